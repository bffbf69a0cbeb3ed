/*
 * server.c - libmicrohttpd glue.
 *
 * The URI-log callback runs first for every request: it creates the request
 * (with its arena) from the raw URI, before libmicrohttpd decodes anything,
 * so path and query are decoded once, by our own checked code (router.c,
 * query.c). The access handler gathers the body up to HTTP_MAX_BODY, then
 * routes, authenticates, authorises and calls the handler on the last call.
 * The completion callback writes the access log line and frees the arena.
 */
#include <arpa/inet.h>
#include <microhttpd.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include "core/log.h"
#include "http/cache.h"
#include "http/server.h"
#include "http/static.h"

/* Scripts, styles, fonts and images only from this origin, no inline script
 * or style, no framing, forms post only here. */
#define CSP "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; " \
	    "font-src 'self'; connect-src 'self'; object-src 'none'; base-uri 'none'; " \
	    "form-action 'self'; frame-ancestors 'none'"

struct http_server {
	struct MHD_Daemon *d;
	struct http_app app;
};

int64_t http_now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

static void *on_uri(void *cls, const char *uri, struct MHD_Connection *c)
{
	struct request *r = calloc(1, sizeof(*r));
	const char *qm;
	struct err e = ERR_INIT;
	const union MHD_ConnectionInfo *ci;

	(void)cls;
	if (!r)
		return NULL;
	arena_init(&r->arena, 8192);
	buf_init(&r->body, HTTP_MAX_BODY);
	buf_init(&r->out, 0);
	r->conn = c;
	r->start_us = http_now_us();
	r->content_type = "application/json";
	ci = MHD_get_connection_info(c, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
	if (ci && ci->client_addr) {
		const struct sockaddr *sa = ci->client_addr;

		if (sa->sa_family == AF_INET)
			inet_ntop(AF_INET, &((const struct sockaddr_in *)sa)->sin_addr, r->address,
				  sizeof(r->address));
		else if (sa->sa_family == AF_INET6)
			inet_ntop(AF_INET6, &((const struct sockaddr_in6 *)sa)->sin6_addr, r->address,
				  sizeof(r->address));
	}
	qm = strchr(uri, '?');
	r->path = arena_strndup(&r->arena, uri, qm ? (size_t)(qm - uri) : strlen(uri));
	if (qm && query_parse(&r->query, qm + 1, strlen(qm + 1), &r->arena, &e))
		http_error(r, 400, "bad_input", e.field, "%s", e.msg);
	return r;
}

static void request_free(struct request *r)
{
	arena_release(&r->arena);
	buf_release(&r->body);
	buf_release(&r->out);
	shared_body_put(r->shared);
	free(r);
}

static void on_done(void *cls, struct MHD_Connection *c, void **con_cls,
		    enum MHD_RequestTerminationCode toe)
{
	struct request *r = *con_cls;

	(void)cls;
	(void)c;
	if (!r)
		return;
	log_access(r->method ? r->method : "-", r->path ? r->path : "-",
		   r->responded ? r->status : 0, r->bytes, http_now_us() - r->start_us,
		   r->authenticated ? r->user.username : "-",
		   toe == MHD_REQUEST_TERMINATED_COMPLETED_OK ? NULL : "aborted");
	request_free(r);
	*con_cls = NULL;
}

static void free_shared(void *p)
{
	shared_body_put(p);
}

static enum MHD_Result send_response(struct request *r)
{
	struct MHD_Response *resp;
	enum MHD_Result ok;

	if (!r->responded)
		http_error(r, 500, "internal", "", "the handler gave no answer");
	if (r->shared) {
		struct shared_body *sb = shared_body_get(r->shared);

		resp = MHD_create_response_from_buffer_with_free_callback_cls(sb->len, sb->data,
									       free_shared, sb);
		r->bytes = sb->len;
	} else {
		size_t len;
		char *data = buf_detach(&r->out, &len);

		resp = MHD_create_response_from_buffer(len, data, MHD_RESPMEM_MUST_FREE);
		r->bytes = len;
	}
	if (!resp)
		return MHD_NO;
	MHD_add_response_header(resp, "Content-Type", r->content_type);
	MHD_add_response_header(resp, "X-Content-Type-Options", "nosniff");
	MHD_add_response_header(resp, "Cache-Control", r->cache_control ? r->cache_control : "no-store");
	MHD_add_response_header(resp, "Content-Security-Policy", CSP);
	MHD_add_response_header(resp, "Referrer-Policy", "same-origin");
	MHD_add_response_header(resp, "X-Frame-Options", "DENY");
	if (r->etag)
		MHD_add_response_header(resp, "ETag", r->etag);
	if (r->location)
		MHD_add_response_header(resp, "Location", r->location);
	for (size_t i = 0; i < sizeof(r->set_cookie) / sizeof(r->set_cookie[0]); i++)
		if (r->set_cookie[i])
			MHD_add_response_header(resp, "Set-Cookie", r->set_cookie[i]);
	if (r->allow)
		MHD_add_response_header(resp, "Allow", r->allow);
	if (r->status == 401)
		MHD_add_response_header(resp, "WWW-Authenticate", "Bearer");
	if (r->retry_after) {
		char v[16];

		snprintf(v, sizeof(v), "%d", r->retry_after);
		MHD_add_response_header(resp, "Retry-After", v);
	}
	ok = MHD_queue_response(r->conn, (unsigned)r->status, resp);
	MHD_destroy_response(resp);
	return ok;
}

/* Paths outside the API answer as pages when nothing matched them. */
static int api_path(const char *path)
{
	return !strncmp(path, "/api/", 5) || !strcmp(path, "/healthz");
}

static void deny(const struct http_app *app, struct request *r, int status, const char *code,
		 const char *field, const char *msg)
{
	if (r->is_page && app->page_error)
		app->page_error(app->app, r, status, msg);
	else
		http_error(r, status, code, field, "%s", msg);
}

static void dispatch(struct http_server *s, struct request *r)
{
	const struct http_app *app = &s->app;
	int i;
	const struct http_route *route;
	char msg[96];

	if (static_serve(app->assets, r))
		return;
	i = router_match(app->routes, app->nroutes, sizeof(app->routes[0]), r->method, r->path,
			 &r->arena, &r->match);
	r->is_page = i >= 0 ? !!(app->routes[i].flags & HTTP_PAGE) : !api_path(r->path);
	if (i == ROUTER_BAD_PATH) {
		deny(app, r, 400, "bad_input", "path", "the path is not valid");
		return;
	}
	if (i == ROUTER_NO_ROUTE) {
		deny(app, r, 404, "not_found", "path", "no such resource");
		return;
	}
	if (i == ROUTER_WRONG_METHOD) {
		snprintf(msg, sizeof(msg), "%s is not allowed here", r->method);
		deny(app, r, 405, "method_not_allowed", "method", msg);
		return;
	}
	route = &app->routes[i];
	app->authenticate(app->app, r);
	if (r->responded)
		return;
	if (route->roles != ROLES_PUBLIC) {
		if (!r->authenticated) {
			deny(app, r, 401, "unauthorised", "Authorization",
			     "sign in first: send Authorization: Bearer TOKEN");
			return;
		}
		if (!(route->roles & ROLE_BIT(r->user.role))) {
			snprintf(msg, sizeof(msg), "the %s role may not do this", role_name(r->user.role));
			deny(app, r, 403, "forbidden", "", msg);
			return;
		}
	}
	route->fn(app->app, r);
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *c, const char *url,
				  const char *method, const char *version, const char *upload,
				  size_t *upload_size, void **con_cls)
{
	struct http_server *s = cls;
	struct request *r = *con_cls;

	(void)url;
	(void)version;
	if (!r)
		return MHD_NO; /* out of memory in on_uri */
	if (!r->method) {
		/* first call: headers only */
		r->method = arena_strdup(&r->arena, method);
		return MHD_YES;
	}
	if (*upload_size) {
		if (!r->body_too_large && buf_add(&r->body, upload, *upload_size))
			r->body_too_large = 1;
		*upload_size = 0;
		return MHD_YES;
	}
	(void)c;
	if (!r->responded) {
		if (r->body_too_large)
			http_error(r, 413, "too_large", "body", "the body is larger than %zu bytes",
				   (size_t)HTTP_MAX_BODY);
		else
			dispatch(s, r);
	}
	return send_response(r);
}

static void on_mhd_log(void *cls, const char *fmt, va_list ap)
{
	(void)cls;
	log_vmessage("http", fmt, ap);
}

static int parse_listen(const char *listen, struct sockaddr_storage *ss, socklen_t *len)
{
	char host[128];
	const char *colon = strrchr(listen, ':');
	long port;
	char *end;

	if (!colon || (size_t)(colon - listen) >= sizeof(host))
		return -1;
	port = strtol(colon + 1, &end, 10);
	if (*end || port < 0 || port > 65535 || end == colon + 1)
		return -1;
	memcpy(host, listen, (size_t)(colon - listen));
	host[colon - listen] = '\0';
	memset(ss, 0, sizeof(*ss));
	if (host[0] == '[' && host[strlen(host) - 1] == ']') {
		struct sockaddr_in6 *a6 = (struct sockaddr_in6 *)ss;

		host[strlen(host) - 1] = '\0';
		a6->sin6_family = AF_INET6;
		a6->sin6_port = htons((uint16_t)port);
		*len = sizeof(*a6);
		return inet_pton(AF_INET6, host + 1, &a6->sin6_addr) == 1 ? 0 : -1;
	} else {
		struct sockaddr_in *a4 = (struct sockaddr_in *)ss;

		a4->sin_family = AF_INET;
		a4->sin_port = htons((uint16_t)port);
		*len = sizeof(*a4);
		return inet_pton(AF_INET, host, &a4->sin_addr) == 1 ? 0 : -1;
	}
}

enum rc http_server_start(struct http_server **out, const char *listen, unsigned threads,
			  const struct http_app *app, struct err *e)
{
	struct http_server *s = calloc(1, sizeof(*s));
	struct sockaddr_storage ss;
	socklen_t sslen;
	unsigned flags = MHD_USE_EPOLL_INTERNAL_THREAD | MHD_USE_ITC | MHD_USE_ERROR_LOG;

	*out = NULL;
	if (!s)
		return err_set(e, RC_NOMEM, "", "out of memory");
	if (parse_listen(listen, &ss, &sslen)) {
		free(s);
		return err_set(e, RC_BAD_INPUT, "listen", "'%s' is not ADDR:PORT", listen);
	}
	if (ss.ss_family == AF_INET6)
		flags |= MHD_USE_IPv6;
	if (!threads) {
		long n = sysconf(_SC_NPROCESSORS_ONLN);

		threads = n > 0 ? (unsigned)n : 1;
	}
	s->app = *app;
	s->d = MHD_start_daemon(flags, 0, NULL, NULL, on_request, s,
				MHD_OPTION_EXTERNAL_LOGGER, on_mhd_log, s,
				MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&ss,
				MHD_OPTION_THREAD_POOL_SIZE, threads,
				MHD_OPTION_CONNECTION_TIMEOUT, 30u,
				MHD_OPTION_CONNECTION_LIMIT, 4096u,
				MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t)64 * 1024,
				MHD_OPTION_LISTEN_BACKLOG_SIZE, 1024u,
				MHD_OPTION_URI_LOG_CALLBACK, on_uri, s,
				MHD_OPTION_NOTIFY_COMPLETED, on_done, s,
				MHD_OPTION_END);
	if (!s->d) {
		free(s);
		return err_set(e, RC_IO, "listen", "cannot listen on %s (in use, or not this machine's address)",
			       listen);
	}
	*out = s;
	return RC_OK;
}

void http_server_stop(struct http_server *s, int grace_ms)
{
	MHD_socket fd;
	const union MHD_DaemonInfo *info;

	if (!s)
		return;
	fd = MHD_quiesce_daemon(s->d);
	if (fd != MHD_INVALID_SOCKET)
		close(fd);
	for (int waited = 0; waited < grace_ms; waited += 20) {
		info = MHD_get_daemon_info(s->d, MHD_DAEMON_INFO_CURRENT_CONNECTIONS);
		if (!info || info->num_connections == 0)
			break;
		usleep(20000);
	}
	MHD_stop_daemon(s->d);
	free(s);
}
