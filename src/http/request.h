/*
 * request.h - one HTTP request and the response being built for it.
 *
 * Everything a request allocates lives in its arena and dies when the
 * response has been sent (h2o's per-request pool). Handlers read method,
 * path captures, query and body, and answer through http_json(),
 * http_error() and friends, which set the status and the body.
 */
#ifndef HTTP_REQUEST_H
#define HTTP_REQUEST_H

#include <jansson.h>
#include <stdint.h>
#include "core/arena.h"
#include "core/buf.h"
#include "core/err.h"
#include "http/query.h"
#include "http/router.h"
#include "store/store.h"

#define HTTP_MAX_BODY ((size_t)1 << 20)

struct shared_body;   /* a cached response body shared between requests */

struct request {
	struct arena arena;
	struct MHD_Connection *conn;
	const char *method;
	char *path;                  /* raw path, before decoding */
	struct query query;
	struct route_match match;    /* decoded {captures} of the route */
	struct buf body;             /* request body, capped at HTTP_MAX_BODY */
	int body_too_large;
	char address[64];            /* client IP */
	int64_t start_us;

	struct user user;            /* who is signed in (when authenticated) */
	int authenticated;
	char token_hash[65];

	/* the response */
	int status;
	struct buf out;
	struct shared_body *shared;  /* set instead of out for cached bodies */
	const char *content_type;
	const char *allow;           /* for 405 */
	int retry_after;             /* seconds, for 429; 0 = none */
	const char *cache_control;   /* NULL: no-store */
	const char *etag;
	const char *location;        /* for redirects */
	const char *set_cookie[2];
	int is_page;                 /* an HTML page route: errors as pages */
	const char *csrf;            /* the page's CSRF token, once worked out */
	size_t bytes;
	int responded;
};

/* The JSON body, parsed; on failure answers 400 and returns NULL. The
 * result is owned by the caller (json_decref). */
json_t *http_body_json(struct request *r);

/* Answer with status and a JSON value (stolen). */
void http_json(struct request *r, int status, json_t *v);

/* Answer with status and JSON text already built in r->out. */
void http_raw(struct request *r, int status);

/* Answer with the error shape of interfaces.md:
 * {"error": {"code", "message", "field"}}. */
void http_error(struct request *r, int status, const char *code, const char *field,
		const char *fmt, ...) __attribute__((format(printf, 5, 6)));

/* Answer for a failed operation: the status that fits e->rc (400 bad input,
 * 404, 409, 403, 401, 413, 500 for environment failures, which are logged). */
void http_fail(struct request *r, const struct err *e);

/* The value of a request header, or NULL. */
const char *http_header(struct request *r, const char *name);

/* The value of a cookie the request sent, or NULL. */
const char *http_cookie(struct request *r, const char *name);

/* Answer 303 See Other to location (copied into the arena). */
void http_redirect(struct request *r, const char *location);

/* Add a Set-Cookie header (copied into the arena); at most two. */
void http_set_cookie(struct request *r, const char *cookie);

int64_t http_now_us(void);

#endif
