/*
 * web.c - what every page shares: the view, rendering, error pages, forms
 * and CSRF, the session cookie, and web_call() into the API handlers.
 */
#include <sodium.h>
#include <stdlib.h>
#include <string.h>
#include "core/log.h"
#include "web/tmpl.h"
#include "web/web.h"

#define ROLE(x) ROLE_BIT(ROLE_##x)

static const struct nav_item {
	const char *key, *href, *text;
	unsigned roles;
} nav_items[] = {
	{ "services", "/services", "Find a service", ROLES_ANY_SIGNED_IN },
	{ "eligibility", "/eligibility", "Check eligibility", ROLES_ANY_SIGNED_IN },
	{ "referrals", "/referrals", "Referrals", ROLE(PRACTITIONER) | ROLE(PROVIDER) | ROLE(ADMIN) },
	{ "people", "/people", "People", ROLE(PRACTITIONER) | ROLE(ADMIN) },
};

static const char *const role_labels[ROLE_COUNT] = {
	[ROLE_PRACTITIONER] = "Probation practitioner",
	[ROLE_PROVIDER] = "Provider",
	[ROLE_COMMISSIONER] = "Commissioner",
	[ROLE_COURT] = "Court",
	[ROLE_FINANCE] = "Finance",
	[ROLE_ADMIN] = "Administrator",
};

json_t *web_view(struct app *a, struct request *r, const char *title, const char *nav)
{
	json_t *v = json_object(), *items = json_array();

	(void)a;
	json_object_set_new(v, "title", json_string(title));
	json_object_set_new(v, "csrf", json_string(web_csrf(r)));
	if (r->authenticated) {
		unsigned bit = ROLE_BIT(r->user.role);

		json_object_set_new(v, "user", json_pack("{s:s, s:s, s:s, s:s}", "username",
							 r->user.username, "role", role_name(r->user.role),
							 "role_label", role_labels[r->user.role], "team",
							 r->user.team));
		json_object_set_new(json_object_get(v, "user"), "provider", json_string(r->user.provider));
		for (size_t i = 0; i < sizeof(nav_items) / sizeof(nav_items[0]); i++) {
			if (!(nav_items[i].roles & bit))
				continue;
			json_array_append_new(items, json_pack("{s:s, s:s, s:b}", "href", nav_items[i].href,
							       "text", nav_items[i].text, "current",
							       nav && !strcmp(nav, nav_items[i].key)));
		}
		json_object_set_new(v, "is_practitioner", json_boolean(r->user.role == ROLE_PRACTITIONER));
		json_object_set_new(v, "is_provider", json_boolean(r->user.role == ROLE_PROVIDER));
		json_object_set_new(v, "is_commissioner",
				    json_boolean(r->user.role == ROLE_COMMISSIONER || r->user.role == ROLE_ADMIN));
	}
	json_object_set_new(v, "nav", items);
	return v;
}

/* A page with errors: "Error: " before its title (the GOV.UK pattern),
 * has_errors for the summary, and error.FIELD for the message by each field. */
static void mark_errors(json_t *view)
{
	json_t *errors = json_object_get(view, "errors"), *by_field, *item;
	const char *title = json_string_value(json_object_get(view, "title"));
	size_t i;

	if (!json_array_size(errors))
		return;
	by_field = json_object();
	json_array_foreach(errors, i, item) {
		const char *f = json_string_value(json_object_get(item, "field"));

		if (f && !json_object_get(by_field, f))
			json_object_set(by_field, f, json_object_get(item, "text"));
	}
	json_object_set_new(view, "error", by_field);
	json_object_set_new(view, "has_errors", json_true());
	if (title && strncmp(title, "Error: ", 7)) {
		char *t = NULL;

		if (asprintf(&t, "Error: %s", title) >= 0) {
			json_object_set_new(view, "title", json_string(t));
			free(t);
		}
	}
}

void web_render(struct app *a, struct request *r, int status, const char *name, json_t *view)
{
	struct err e = ERR_INIT;

	mark_errors(view);
	buf_reset(&r->out);
	if (!a->templates || tmpl_render(a->templates, name, view, &r->out, &e)) {
		log_message("web", "rendering %s failed: %s", name, a->templates ? e.msg : "no templates");
		buf_reset(&r->out);
		status = 500;
		if (buf_adds(&r->out, "<!DOCTYPE html><html lang=\"en\"><head><title>Sorry, there is a "
				      "problem with the service</title></head><body><h1>Sorry, there is a "
				      "problem with the service</h1></body></html>"))
			buf_reset(&r->out);
	}
	json_decref(view);
	r->content_type = "text/html; charset=utf-8";
	http_raw(r, status);
}

const char *web_safe_next(const char *next)
{
	if (!next || next[0] != '/' || next[1] == '/' || next[1] == '\\' || strchr(next, '\\') ||
	    !strncmp(next, "/sign-", 6))
		return "/services";
	return next;
}

void web_page_error(void *app, struct request *r, int status, const char *message)
{
	static const struct {
		int status;
		const char *title;
	} titles[] = {
		{ 400, "There is a problem with the request" },
		{ 403, "You do not have access to this page" },
		{ 404, "Page not found" },
		{ 405, "Page not found" },
		{ 409, "Someone else has changed this" },
		{ 413, "What you sent is too large" },
		{ 429, "Too many attempts" },
	};
	const char *title = "Sorry, there is a problem with the service";
	json_t *view;

	if (status == 401) {
		if (strcmp(r->method, "GET")) {
			http_redirect(r, "/sign-in");
		} else {
			struct query none = { NULL, 0 };

			http_redirect(r, arena_sprintf(&r->arena, "/sign-in%s",
						       web_query_with(r, &none, "next", r->path)));
		}
		return;
	}
	for (size_t i = 0; i < sizeof(titles) / sizeof(titles[0]); i++)
		if (titles[i].status == status)
			title = titles[i].title;
	view = web_view(app, r, title, NULL);
	json_object_set_new(view, "message", json_string(message));
	json_object_set_new(view, "status", json_integer(status));
	web_render(app, r, status, "error", view);
}

/* --- CSRF and cookies --- */

static const char *token_of(const unsigned char *bytes, size_t n, struct request *r)
{
	char *out = arena_alloc(&r->arena, sodium_base64_ENCODED_LEN(n, sodium_base64_VARIANT_URLSAFE_NO_PADDING));

	if (out)
		sodium_bin2base64(out, sodium_base64_ENCODED_LEN(n, sodium_base64_VARIANT_URLSAFE_NO_PADDING),
				  bytes, n, sodium_base64_VARIANT_URLSAFE_NO_PADDING);
	return out ? out : "";
}

static int plain_token(const char *s)
{
	size_t n = s ? strlen(s) : 0;

	if (n < 16 || n > 128)
		return 0;
	for (size_t i = 0; i < n; i++)
		if (!((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= 'A' && s[i] <= 'Z') ||
		      (s[i] >= '0' && s[i] <= '9') || s[i] == '-' || s[i] == '_'))
			return 0;
	return 1;
}

/* Cookies are Secure when the browser came over TLS (to a proxy in front). */
static const char *secure(struct request *r)
{
	const char *proto = http_header(r, "X-Forwarded-Proto");

	return proto && !strcmp(proto, "https") ? "; Secure" : "";
}

/* Signed in: a hash of the session token, so any server sharing the database
 * derives the same one and nothing need be stored. Before sign-in: a random
 * value also sent as a cookie (double submit). */
const char *web_csrf(struct request *r)
{
	const char *session = http_cookie(r, WEB_SESSION_COOKIE);
	unsigned char h[24], rnd[24];

	if (r->csrf)
		return r->csrf;
	if (r->authenticated && plain_token(session)) {
		crypto_generichash_state st;

		crypto_generichash_init(&st, NULL, 0, sizeof(h));
		crypto_generichash_update(&st, (const unsigned char *)"ratecard-csrf:", 14);
		crypto_generichash_update(&st, (const unsigned char *)session, strlen(session));
		crypto_generichash_final(&st, h, sizeof(h));
		r->csrf = token_of(h, sizeof(h), r);
		return r->csrf;
	}
	if (plain_token(http_cookie(r, WEB_CSRF_COOKIE))) {
		r->csrf = arena_strdup(&r->arena, http_cookie(r, WEB_CSRF_COOKIE));
		return r->csrf;
	}
	randombytes_buf(rnd, sizeof(rnd));
	r->csrf = token_of(rnd, sizeof(rnd), r);
	http_set_cookie(r, arena_sprintf(&r->arena, "%s=%s; Path=/; HttpOnly; SameSite=Strict%s",
					 WEB_CSRF_COOKIE, r->csrf, secure(r)));
	return r->csrf;
}

void web_session_cookie(struct request *r, const char *token, int max_age)
{
	http_set_cookie(r, arena_sprintf(&r->arena, "%s=%s; Path=/; HttpOnly; SameSite=Strict; Max-Age=%d%s",
					 WEB_SESSION_COOKIE, token ? token : "", token ? max_age : 0, secure(r)));
}

int web_form(struct app *a, struct request *r, struct query *form)
{
	const char *ct = http_header(r, "Content-Type");
	const char *sent;
	struct err e = ERR_INIT;

	if (!ct || strncmp(ct, "application/x-www-form-urlencoded", 33)) {
		web_page_error(a, r, 400, "The form was not sent as a form.");
		return -1;
	}
	if (query_parse_form(form, r->body.data, r->body.len, &r->arena, &e)) {
		web_page_error(a, r, 400, e.msg);
		return -1;
	}
	sent = query_get(form, WEB_CSRF_FIELD);
	r->csrf = NULL;
	{
		const char *want = web_csrf(r);

		if (!sent || strlen(sent) != strlen(want) || sodium_memcmp(sent, want, strlen(want))) {
			web_page_error(a, r, 400,
				       "The form has expired or did not come from this service. Go back, "
				       "reload the page and try again.");
			return -1;
		}
	}
	return 0;
}

/* --- calling the API --- */

int web_call(struct app *a, struct request *r, web_handler fn, json_t *body,
	     const struct query *query, const char *cap0, const char *cap1, json_t **out)
{
	struct buf saved_body = r->body, saved_out = r->out;
	struct shared_body *saved_shared = r->shared;
	struct query saved_query = r->query;
	struct route_match saved_match = r->match;
	const char *saved_type = r->content_type;
	int saved_status = r->status, saved_responded = r->responded, status;
	json_error_t je;

	buf_init(&r->body, HTTP_MAX_BODY);
	buf_init(&r->out, 0);
	r->shared = NULL;
	r->responded = 0;
	r->status = 0;
	r->query = query ? *query : (struct query){ NULL, 0 };
	r->match = (struct route_match){ { cap0, cap1 }, (size_t)(cap0 != NULL) + (cap1 != NULL) };
	if (body) {
		char *text = json_dumps(body, JSON_COMPACT);

		if (!text || buf_adds(&r->body, text))
			r->body_too_large = 1;
		free(text);
	}
	fn(a, r);
	status = r->responded ? r->status : 500;
	if (r->shared)
		*out = json_loadb(r->shared->data, r->shared->len, 0, &je);
	else
		*out = r->out.len ? json_loadb(r->out.data, r->out.len, 0, &je) : NULL;
	buf_release(&r->body);
	buf_release(&r->out);
	shared_body_put(r->shared);
	r->body = saved_body;
	r->out = saved_out;
	r->shared = saved_shared;
	r->query = saved_query;
	r->match = saved_match;
	r->content_type = saved_type;
	r->status = saved_status;
	r->responded = saved_responded;
	r->body_too_large = 0;
	return status;
}

const char *web_error_message(json_t *answer, const char *fallback)
{
	const char *m = json_string_value(json_object_get(json_object_get(answer, "error"), "message"));

	return m ? m : fallback;
}

const char *web_error_field(json_t *answer)
{
	const char *f = json_string_value(json_object_get(json_object_get(answer, "error"), "field"));

	return f ? f : "";
}

/* --- small shared pieces --- */

const char *web_str(json_t *o, const char *key, const char *dflt)
{
	const char *v = json_string_value(json_object_get(o, key));

	return v && *v ? v : dflt;
}

void web_add_error(struct request *r, json_t *errors, const char *field, const char *href,
		   const char *text)
{
	json_array_append_new(errors, json_pack("{s:s, s:s, s:s}", "field", field, "href",
						href ? href : arena_sprintf(&r->arena, "#%s", field), "text", text));
}

json_t *web_option(const char *value, const char *text, const char *selected)
{
	return json_pack("{s:s, s:s, s:b}", "value", value, "text", text, "selected",
			 selected && !strcmp(selected, value));
}

/* --- words and links --- */

const char *web_humanise(struct request *r, const char *value)
{
	static const struct {
		const char *value, *words;
	} special[] = {
		{ "ete", "Education, training and employment" },
		{ "rar", "Rehabilitation activity requirement (RAR)" },
		{ "in_progress", "In progress" },
		{ "nsi", "Non Statutory Intervention" },
		{ "ogrs", "OGRS" },
		{ "ovp", "OVP" },
	};
	char *out;

	if (!value)
		return "";
	for (size_t i = 0; i < sizeof(special) / sizeof(special[0]); i++)
		if (!strcmp(value, special[i].value))
			return special[i].words;
	out = arena_strdup(&r->arena, value);
	if (!out)
		return value;
	for (char *p = out; *p; p++)
		if (*p == '_')
			*p = ' ';
	if (out[0] >= 'a' && out[0] <= 'z')
		out[0] = (char)(out[0] - 'a' + 'A');
	return out;
}

static enum rc add_encoded(struct buf *b, const char *s)
{
	static const char hex[] = "0123456789ABCDEF";
	enum rc rc = RC_OK;

	for (; *s && !rc; s++) {
		unsigned char u = (unsigned char)*s;

		if ((u >= 'a' && u <= 'z') || (u >= 'A' && u <= 'Z') || (u >= '0' && u <= '9') ||
		    u == '-' || u == '_' || u == '.' || u == '~' || u == '/')
			rc = buf_addch(b, (char)u);
		else if (u == ' ')
			rc = buf_addch(b, '+');
		else
			rc = buf_addf(b, "%%%c%c", hex[u >> 4], hex[u & 15]);
	}
	return rc;
}

const char *web_query_with(struct request *r, const struct query *q, const char *key,
			   const char *value)
{
	struct buf b = BUF_INIT;
	enum rc rc = RC_OK;
	const char *out;
	int replaced = 0;

	for (size_t i = 0; i < q->n && !rc; i++) {
		const char *v = q->p[i].value;

		if (!strcmp(q->p[i].key, key)) {
			if (replaced || !value)
				continue;
			v = value;
			replaced = 1;
		}
		if (!*v)
			continue;
		rc = buf_addch(&b, b.len ? '&' : '?');
		if (!rc)
			rc = add_encoded(&b, q->p[i].key);
		if (!rc)
			rc = buf_addch(&b, '=');
		if (!rc)
			rc = add_encoded(&b, v);
	}
	if (!rc && !replaced && value && *value) {
		rc = buf_addch(&b, b.len ? '&' : '?');
		if (!rc)
			rc = add_encoded(&b, key);
		if (!rc)
			rc = buf_addch(&b, '=');
		if (!rc)
			rc = add_encoded(&b, value);
	}
	out = rc || !b.len ? "" : arena_strndup(&r->arena, b.data, b.len);
	buf_release(&b);
	return out ? out : "";
}
