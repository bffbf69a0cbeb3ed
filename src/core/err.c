/*
 * err.c - filling struct err. Messages are truncated, never overflowed.
 */
#include <stdio.h>
#include <string.h>
#include "core/err.h"

enum rc err_set(struct err *e, enum rc rc, const char *field, const char *fmt, ...)
{
	va_list ap;

	if (!e)
		return rc;
	e->rc = rc;
	snprintf(e->field, sizeof(e->field), "%s", field ? field : "");
	va_start(ap, fmt);
	vsnprintf(e->msg, sizeof(e->msg), fmt, ap);
	va_end(ap);
	return rc;
}

void err_prefix_field(struct err *e, const char *prefix)
{
	char joined[2 * sizeof(e->field) + 2];
	const char *sep = e->field[0] == '\0' || e->field[0] == '[' ? "" : ".";
	size_t n;

	snprintf(joined, sizeof(joined), "%s%s%s", prefix, sep, e->field);
	n = strlen(joined);
	if (n >= sizeof(e->field))
		n = sizeof(e->field) - 1;
	memcpy(e->field, joined, n);
	e->field[n] = '\0';
}

void err_clear(struct err *e)
{
	e->rc = RC_OK;
	e->field[0] = '\0';
	e->msg[0] = '\0';
}
