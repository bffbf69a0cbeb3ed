/*
 * status.c - names and exit codes for enum rc, kept in one table so a new
 * status cannot be added without both.
 */
#include "core/status.h"

static const struct {
	const char *name;
	int exit_code;
} rc_table[] = {
	[RC_OK] = { "ok", 0 },
	[RC_BAD_INPUT] = { "bad_input", 1 },
	[RC_NOT_FOUND] = { "not_found", 1 },
	[RC_CONFLICT] = { "conflict", 1 },
	[RC_FORBIDDEN] = { "forbidden", 1 },
	[RC_UNAUTHORISED] = { "unauthorised", 1 },
	[RC_TOO_LARGE] = { "too_large", 1 },
	[RC_IO] = { "io", 3 },
	[RC_NOMEM] = { "no_memory", 3 },
	[RC_INTERNAL] = { "internal", 3 },
};

const char *rc_name(enum rc rc)
{
	if ((unsigned)rc >= sizeof(rc_table) / sizeof(rc_table[0]))
		return "internal";
	return rc_table[rc].name;
}

int rc_exit_code(enum rc rc)
{
	if ((unsigned)rc >= sizeof(rc_table) / sizeof(rc_table[0]))
		return 3;
	return rc_table[rc].exit_code;
}
