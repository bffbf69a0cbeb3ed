/*
 * query.h - the query string of a request URI, decoded and checked.
 *
 * "q=building+better&region=North%20West" becomes two parameters. Keys and
 * values are percent-decoded ('+' is a space), must be valid UTF-8 without
 * NUL or control characters, and are limited in count and length; anything
 * else is RC_BAD_INPUT naming the parameter. Strings live in the arena.
 */
#ifndef HTTP_QUERY_H
#define HTTP_QUERY_H

#include <stddef.h>
#include "core/arena.h"
#include "core/err.h"

#define QUERY_MAX_PARAMS 32
#define QUERY_MAX_LEN 2048
#define FORM_MAX_PARAMS 512      /* a submitted form: the profile has many boxes */
#define FORM_MAX_LEN (256 * 1024)

struct query_param {
	const char *key, *value;
};

struct query {
	struct query_param *p;   /* in the arena */
	size_t n;
};

/* Parse len bytes (without the leading '?'): at most QUERY_MAX_PARAMS
 * parameters and QUERY_MAX_LEN bytes. */
enum rc query_parse(struct query *q, const char *s, size_t len, struct arena *a,
		    struct err *e) RC_MUST;

/* The same for an application/x-www-form-urlencoded body, with the larger
 * FORM_ limits; values may also hold tab, line feed and carriage return
 * (a text box's lines). */
enum rc query_parse_form(struct query *q, const char *s, size_t len, struct arena *a,
			 struct err *e) RC_MUST;

/* The value of the last parameter named key, or NULL. */
const char *query_get(const struct query *q, const char *key);

/* Percent-decode len bytes into out (room for len + 1), '+' as space when
 * plus_is_space. Returns the decoded length, or -1 for a bad escape, a NUL,
 * a control character or invalid UTF-8. */
long query_decode(const char *s, size_t len, char *out, int plus_is_space);

#endif
