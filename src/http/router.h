/*
 * router.h - match a request path against a table of routes.
 *
 * Patterns are literal segments and {captures}: "/api/v1/services/{provider}/{service}".
 * Each path segment is percent-decoded (no '+' rule in paths) and must be
 * valid UTF-8 without control characters or '/'. A path that matches a
 * pattern with another method gives ROUTER_WRONG_METHOD (405), one that
 * matches nothing ROUTER_NO_ROUTE (404).
 */
#ifndef HTTP_ROUTER_H
#define HTTP_ROUTER_H

#include <stddef.h>
#include "core/arena.h"

#define ROUTER_MAX_CAPTURES 4
#define ROUTER_MAX_SEGMENTS 16

enum { ROUTER_NO_ROUTE = -1, ROUTER_WRONG_METHOD = -2, ROUTER_BAD_PATH = -3 };

struct route_pattern {
	const char *method;   /* "GET", "POST", ... */
	const char *pattern;
};

struct route_match {
	const char *captures[ROUTER_MAX_CAPTURES];
	size_t ncaptures;
};

/* Index of the first route (stride bytes apart, each starting with a struct
 * route_pattern) that matches method and path, or a negative ROUTER_ value.
 * Captures are decoded into the arena. */
int router_match(const void *routes, size_t nroutes, size_t stride, const char *method,
		 const char *path, struct arena *a, struct route_match *m);

#endif
