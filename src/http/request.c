/*
 * request.c - building answers. Every error goes out in the one shape the
 * interfaces spec gives; server faults are logged with their message, and the
 * client is told only that something failed.
 */
#include <microhttpd.h>
#include <stdio.h>
#include <string.h>
#include "core/log.h"
#include "http/request.h"

json_t *http_body_json(struct request *r)
{
	json_error_t je;
	json_t *v;

	if (!r->body.len) {
		http_error(r, 400, "bad_input", "body", "a JSON body is required");
		return NULL;
	}
	v = json_loadb(r->body.data, r->body.len, JSON_REJECT_DUPLICATES, &je);
	if (!v) {
		http_error(r, 400, "bad_input", "body", "malformed JSON at line %d column %d: %s",
			   je.line, je.column, je.text);
		return NULL;
	}
	if (!json_is_object(v)) {
		json_decref(v);
		http_error(r, 400, "bad_input", "body", "the body must be a JSON object");
		return NULL;
	}
	return v;
}

void http_raw(struct request *r, int status)
{
	r->status = status;
	r->responded = 1;
}

void http_json(struct request *r, int status, json_t *v)
{
	char *text = v ? json_dumps(v, JSON_COMPACT | JSON_PRESERVE_ORDER) : NULL;

	json_decref(v);
	buf_reset(&r->out);
	if (!text || buf_adds(&r->out, text)) {
		free(text);
		buf_reset(&r->out);
		if (buf_adds(&r->out, "{\"error\":{\"code\":\"internal\",\"message\":\"out of memory\",\"field\":\"\"}}"))
			r->out.len = 0;
		http_raw(r, 500);
		return;
	}
	free(text);
	http_raw(r, status);
}

void http_error(struct request *r, int status, const char *code, const char *field,
		const char *fmt, ...)
{
	char msg[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (status >= 500)
		log_message("http", "%s %s: %s", r->method ? r->method : "-", r->path ? r->path : "-", msg);
	http_json(r, status, json_pack("{s:{s:s,s:s,s:s}}", "error", "code", code, "message",
				       status >= 500 ? "the server failed; the fault is logged" : msg,
				       "field", field ? field : ""));
}

void http_fail(struct request *r, const struct err *e)
{
	static const struct {
		int status;
		const char *code;
	} map[] = {
		[RC_OK] = { 500, "internal" },
		[RC_BAD_INPUT] = { 400, "bad_input" },
		[RC_NOT_FOUND] = { 404, "not_found" },
		[RC_CONFLICT] = { 409, "conflict" },
		[RC_FORBIDDEN] = { 403, "forbidden" },
		[RC_UNAUTHORISED] = { 401, "unauthorised" },
		[RC_TOO_LARGE] = { 413, "too_large" },
		[RC_IO] = { 500, "internal" },
		[RC_NOMEM] = { 500, "internal" },
		[RC_INTERNAL] = { 500, "internal" },
	};
	unsigned i = (unsigned)e->rc < sizeof(map) / sizeof(map[0]) ? (unsigned)e->rc : RC_INTERNAL;

	http_error(r, map[i].status, map[i].code, e->field, "%s", e->msg[0] ? e->msg : map[i].code);
}

const char *http_header(struct request *r, const char *name)
{
	return MHD_lookup_connection_value(r->conn, MHD_HEADER_KIND, name);
}

const char *http_cookie(struct request *r, const char *name)
{
	return MHD_lookup_connection_value(r->conn, MHD_COOKIE_KIND, name);
}

void http_redirect(struct request *r, const char *location)
{
	buf_reset(&r->out);
	r->location = arena_strdup(&r->arena, location);
	r->content_type = "text/plain; charset=utf-8";
	http_raw(r, 303);
}

void http_set_cookie(struct request *r, const char *cookie)
{
	for (size_t i = 0; i < sizeof(r->set_cookie) / sizeof(r->set_cookie[0]); i++) {
		if (!r->set_cookie[i]) {
			r->set_cookie[i] = arena_strdup(&r->arena, cookie);
			return;
		}
	}
}
