/*
 * session.c - signing in and out.
 *
 * Failed sign-ins for one account are slowed, then the account is locked:
 * from the third consecutive failure each one holds the account for 5, 10
 * seconds (answering 429 with Retry-After meanwhile, without checking
 * the password), and the fifth locks it for 15 minutes. Every attempt is
 * audited. An unknown username costs the same time as a wrong password.
 */
#include <stdio.h>
#include <string.h>
#include <time.h>
#include "api/app.h"
#include "http/auth.h"

#define LOCK_AFTER 5
#define LOCK_SECONDS (15 * 60)
#define SLOW_FROM 3

static json_t *user_json(const struct user *u)
{
	return json_pack("{s:s,s:s,s:s,s:s}", "username", u->username, "role", role_name(u->role),
			 "provider", u->provider, "team", u->team);
}

void api_session_create(void *app, struct request *r)
{
	struct app *a = app;
	struct err e = ERR_INIT;
	json_t *body = http_body_json(r);
	const char *username, *password;
	struct user u;
	char token[AUTH_TOKEN_LEN], hash[AUTH_HASH_HEX], object[96];
	int64_t now = (int64_t)time(NULL), expires;
	enum rc rc;

	if (!body)
		return;
	username = json_string_value(json_object_get(body, "username"));
	password = json_string_value(json_object_get(body, "password"));
	if (!username || !*username || strlen(username) >= sizeof(u.username)) {
		http_error(r, 400, "bad_input", "username", "is required");
		goto out;
	}
	if (!password || strlen(password) > AUTH_PASSWORD_MAX) {
		http_error(r, 400, "bad_input", "password", "is required");
		goto out;
	}
	snprintf(object, sizeof(object), "user:%s", username);
	rc = a->store->ops->user_get(a->store, username, &u, &e);
	if (rc == RC_NOT_FOUND) {
		auth_dummy_check(password);
		app_audit(a, r, "login_failed", object, "{\"reason\":\"unknown user\"}");
		http_error(r, 401, "unauthorised", "password", "the username or password is wrong");
		goto out;
	}
	if (rc) {
		http_fail(r, &e);
		goto out;
	}
	if (u.locked_until > now) {
		app_audit(a, r, "login_refused", object, "{\"reason\":\"locked\"}");
		r->retry_after = (int)(u.locked_until - now);
		http_error(r, 429, "too_many_attempts", "username",
			   "too many failed sign-ins; try again in %d seconds", r->retry_after);
		goto out;
	}
	if (!auth_check_password(password, u.pwhash)) {
		int failures = u.failed_logins + 1;
		int64_t until = failures >= LOCK_AFTER ? now + LOCK_SECONDS
			: failures >= SLOW_FROM ? now + (5 << (failures - SLOW_FROM)) : 0;

		if (a->store->ops->user_login_result(a->store, u.id, 0, until, &e)) {
			http_fail(r, &e);
			goto out;
		}
		app_audit(a, r, "login_failed", object,
			  failures >= LOCK_AFTER ? "{\"reason\":\"wrong password\",\"locked\":true}"
			  : "{\"reason\":\"wrong password\"}");
		http_error(r, 401, "unauthorised", "password", "the username or password is wrong");
		goto out;
	}
	auth_new_token(token, hash);
	expires = now + (int64_t)a->session_hours * 3600;
	if (a->store->ops->user_login_result(a->store, u.id, 1, 0, &e) ||
	    a->store->ops->session_add(a->store, hash, u.id, expires, &e)) {
		http_fail(r, &e);
		goto out;
	}
	r->user = u;
	r->authenticated = 1;
	app_audit(a, r, "login", object, "");
	http_json(r, 201, json_pack("{s:s,s:I,s:o}", "token", token, "expires_at", (json_int_t)expires,
				    "user", user_json(&u)));
out:
	json_decref(body);
}

void api_session_get(void *app, struct request *r)
{
	(void)app;
	http_json(r, 200, json_pack("{s:o}", "user", user_json(&r->user)));
}

void api_session_delete(void *app, struct request *r)
{
	struct app *a = app;
	struct err e = ERR_INIT;
	char object[96];

	if (a->store->ops->session_delete(a->store, r->token_hash, &e) == RC_IO) {
		http_fail(r, &e);
		return;
	}
	snprintf(object, sizeof(object), "user:%s", r->user.username);
	app_audit(a, r, "logout", object, "");
	http_json(r, 200, json_pack("{s:s}", "status", "signed out"));
}
