/*
 * pages.c - signing in and out, the front door and the accessibility
 * statement.
 */
#include <string.h>
#include "web/web.h"

void web_home(void *app, struct request *r)
{
	(void)app;
	http_redirect(r, r->authenticated ? "/services" : "/sign-in");
}

static void sign_in_page(struct app *a, struct request *r, int status, const char *next,
			 const char *username, json_t *errors)
{
	json_t *v = web_view(a, r, "Sign in", NULL);

	json_object_set_new(v, "next", json_string(web_safe_next(next)));
	json_object_set_new(v, "username", json_string(username ? username : ""));
	if (errors)
		json_object_set_new(v, "errors", errors);
	web_render(a, r, status, "sign-in", v);
}

void web_sign_in_form(void *app, struct request *r)
{
	if (r->authenticated) {
		http_redirect(r, web_safe_next(query_get(&r->query, "next")));
		return;
	}
	sign_in_page(app, r, 200, query_get(&r->query, "next"), NULL, NULL);
}

void web_sign_in(void *app, struct request *r)
{
	struct app *a = app;
	struct query form;
	const char *user, *pass, *next;
	json_t *errors = json_array(), *answer = NULL, *body;
	int status;

	if (web_form(a, r, &form)) {
		json_decref(errors);
		return;
	}
	user = query_get(&form, "username");
	pass = query_get(&form, "password");
	next = query_get(&form, "next");
	if (!user || !*user)
		web_add_error(r, errors, "username", NULL, "Enter your username");
	if (!pass || !*pass)
		web_add_error(r, errors, "password", NULL, "Enter your password");
	if (json_array_size(errors)) {
		sign_in_page(a, r, 400, next, user, errors);
		return;
	}
	body = json_pack("{s:s, s:s}", "username", user, "password", pass);
	status = web_call(a, r, api_session_create, body, NULL, NULL, NULL, &answer);
	json_decref(body);
	if (status / 100 == 2 && json_is_string(json_object_get(answer, "token"))) {
		web_session_cookie(r, json_string_value(json_object_get(answer, "token")),
				   a->session_hours * 3600);
		http_redirect(r, web_safe_next(next));
	} else {
		web_add_error(r, errors, "username", NULL,
			      status == 429 ? web_error_message(answer, "Too many attempts")
					    : "Enter a correct username and password");
		sign_in_page(a, r, status == 429 ? 429 : 401, next, user, errors);
		errors = NULL;
	}
	json_decref(errors);
	json_decref(answer);
}

void web_sign_out(void *app, struct request *r)
{
	struct query form;
	json_t *answer = NULL;

	if (web_form(app, r, &form))
		return;
	web_call(app, r, api_session_delete, NULL, NULL, NULL, NULL, &answer);
	json_decref(answer);
	web_session_cookie(r, NULL, 0);
	http_redirect(r, "/sign-in");
}

void web_accessibility(void *app, struct request *r)
{
	web_render(app, r, 200, "accessibility", web_view(app, r, "Accessibility statement", NULL));
}
