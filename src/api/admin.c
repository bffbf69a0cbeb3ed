/*
 * admin.c - health, accounts and the audit log.
 */
#include <stdio.h>
#include <string.h>
#include "api/app.h"
#include "api/users.h"

void api_health(void *app, struct request *r)
{
	struct app *a = app;
	struct err e = ERR_INIT;

	if (a->store->ops->ping(a->store, &e)) {
		http_json(r, 503, json_pack("{s:s,s:s}", "status", "unavailable", "database", e.msg));
		return;
	}
	http_json(r, 200, json_pack("{s:s}", "status", "ok"));
}

void api_users_create(void *app, struct request *r)
{
	struct app *a = app;
	struct err e = ERR_INIT;
	json_t *body = http_body_json(r);
	struct user_spec spec = { 0 };
	struct user u;
	char object[96];
	struct cathandle *h;

	if (!body)
		return;
	spec.username = json_string_value(json_object_get(body, "username"));
	spec.password = json_string_value(json_object_get(body, "password"));
	spec.role = json_string_value(json_object_get(body, "role"));
	spec.provider = json_string_value(json_object_get(body, "provider"));
	spec.team = json_string_value(json_object_get(body, "team"));
	if (!(h = app_catalogue(a, &e)) || users_add(a->store, &h->cat, &spec, &u, &e)) {
		cathandle_put(h);
		http_fail(r, &e);
		json_decref(body);
		return;
	}
	cathandle_put(h);
	snprintf(object, sizeof(object), "user:%s", u.username);
	app_audit(a, r, "user_add", object, "");
	http_json(r, 201, json_pack("{s:I,s:s,s:s,s:s,s:s}", "id", (json_int_t)u.id, "username",
				    u.username, "role", role_name(u.role), "provider", u.provider,
				    "team", u.team));
	json_decref(body);
}

void api_audit_list(void *app, struct request *r)
{
	struct app *a = app;
	struct err e = ERR_INIT;
	json_t *rows;

	if (a->store->ops->audit_list(a->store, 200, &rows, &e)) {
		json_decref(rows);
		http_fail(r, &e);
		return;
	}
	http_json(r, 200, json_pack("{s:o}", "audit", rows));
}
