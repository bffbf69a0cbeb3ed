/*
 * err.h - the message that travels with RC_BAD_INPUT (and friends).
 *
 * A struct err is caller-owned, fixed size and never allocates, so it can be
 * filled on any failure path, including out-of-memory. `field` names the input
 * that was wrong in the caller's vocabulary ("scores.ovp", "services[3].rule",
 * "line 12"); `msg` says what was wrong with it.
 */
#ifndef CORE_ERR_H
#define CORE_ERR_H

#include <stdarg.h>
#include "core/status.h"

struct err {
	enum rc rc;
	char field[128];
	char msg[384];
};

#define ERR_INIT { RC_OK, "", "" }

/* Record a failure and return it, so callers can `return err_set(...)`. */
enum rc err_set(struct err *e, enum rc rc, const char *field, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

/* Prefix e->field with "prefix." (or "prefix" when field is empty), for errors
 * raised deep in a structure and reported from the outside in. */
void err_prefix_field(struct err *e, const char *prefix);

/* Clear a struct err for reuse. */
void err_clear(struct err *e);

#endif
