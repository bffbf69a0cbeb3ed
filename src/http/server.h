/*
 * server.h - the HTTP server: libmicrohttpd with epoll and a thread pool,
 * a route table, the per-request arena, limits, the access log, and a clean
 * stop.
 *
 * Authorisation happens here and nowhere else: each route names the roles
 * that may call it; the server asks the application's authenticate hook who
 * the caller is, answers 401 when nobody is signed in and 403 when the role
 * is not in the route's set, before the handler runs.
 */
#ifndef HTTP_SERVER_H
#define HTTP_SERVER_H

#include <stddef.h>
#include "core/err.h"
#include "http/request.h"

#define ROLE_BIT(r) (1u << (r))
#define ROLES_ANY_SIGNED_IN ((1u << ROLE_COUNT) - 1)
#define ROLES_PUBLIC 0u

/* Route flags. A page is HTML for a browser: its caller is signed in by the
 * session cookie, nobody signed in is sent to the sign-in page, and errors
 * are pages too. API routes take only "Authorization: Bearer". */
#define HTTP_PAGE 1u

struct http_route {
	struct route_pattern p;      /* first: the router walks these */
	unsigned roles;              /* ROLES_PUBLIC, or the roles allowed */
	void (*fn)(void *app, struct request *r);
	unsigned flags;              /* HTTP_PAGE */
};

struct static_files;

struct http_app {
	void *app;
	const struct http_route *routes;
	size_t nroutes;
	/* Set r->user and r->authenticated from the request's credentials;
	 * may answer (e.g. 401 for an expired token) by setting r->responded. */
	void (*authenticate)(void *app, struct request *r);
	/* Files served as they are under their prefix (may be NULL). */
	const struct static_files *assets;
	/* Answer a page request that failed before its handler ran: 401 (send
	 * to sign-in), 403, 404, 405, 400 (may be NULL: JSON errors then). */
	void (*page_error)(void *app, struct request *r, int status, const char *message);
};

struct http_server;

/* Listen on "ADDR:PORT" ("127.0.0.1:8080", "[::1]:8080") with `threads`
 * workers (0: one per core). */
enum rc http_server_start(struct http_server **out, const char *listen, unsigned threads,
			  const struct http_app *app, struct err *e) RC_MUST;

/* Stop accepting, let in-flight requests finish (up to grace_ms), stop. */
void http_server_stop(struct http_server *s, int grace_ms);

#endif
