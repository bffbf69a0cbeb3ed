/*
 * status.h - the one status enum every fallible function in ratecard returns.
 *
 * Three kinds of failure (STYLE.md): bad input comes back as RC_BAD_INPUT with a
 * message naming the field (see err.h); environment failures (RC_IO, RC_NOMEM)
 * are returned and logged by the caller that gives up; broken invariants are
 * assertions, never statuses.
 */
#ifndef CORE_STATUS_H
#define CORE_STATUS_H

#define RC_MUST __attribute__((warn_unused_result))

enum rc {
	RC_OK = 0,
	RC_BAD_INPUT,   /* the caller's input is wrong; err.h says which field */
	RC_NOT_FOUND,   /* the named thing does not exist (or may not be seen) */
	RC_CONFLICT,    /* illegal state change or stale version */
	RC_FORBIDDEN,   /* authenticated but not allowed */
	RC_UNAUTHORISED,/* no or bad credentials */
	RC_TOO_LARGE,   /* input over a size cap */
	RC_IO,          /* disk, file or database failure */
	RC_NOMEM,       /* allocation failed */
	RC_INTERNAL     /* a dependency failed in a way we cannot name better */
};

/* A short stable name for the status, e.g. "bad_input"; used in JSON errors. */
const char *rc_name(enum rc rc);

/* The process exit code the interfaces spec gives for a status: 1 for input
 * errors, 3 for internal or environment failures, 0 for RC_OK. */
int rc_exit_code(enum rc rc);

#endif
