/*
 * app.c - the catalogue handle, authentication, auditing and the route
 * table: the one place that says who may call what.
 */
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "api/app.h"
#include "core/log.h"
#include "http/auth.h"
#include "web/tmpl.h"
#include "web/web.h"

#define PRACTITIONER ROLE_BIT(ROLE_PRACTITIONER)
#define COMMISSIONER ROLE_BIT(ROLE_COMMISSIONER)
#define ADMIN ROLE_BIT(ROLE_ADMIN)
#define PROVIDER ROLE_BIT(ROLE_PROVIDER)
#define REFERRAL_PARTIES (PRACTITIONER | PROVIDER | ADMIN)
#define PAGE(method, path, roles, fn) { { method, path }, roles, fn, HTTP_PAGE }

const struct http_route api_routes[] = {
	{ { "GET", "/healthz" }, ROLES_PUBLIC, api_health },
	{ { "POST", "/api/v1/session" }, ROLES_PUBLIC, api_session_create },
	{ { "GET", "/api/v1/session" }, ROLES_ANY_SIGNED_IN, api_session_get },
	{ { "DELETE", "/api/v1/session" }, ROLES_ANY_SIGNED_IN, api_session_delete },
	{ { "GET", "/api/v1/services" }, ROLES_ANY_SIGNED_IN, api_services_search },
	{ { "GET", "/api/v1/services/{provider}/{service}" }, ROLES_ANY_SIGNED_IN, api_service_get },
	{ { "PATCH", "/api/v1/services/{provider}/{service}" }, COMMISSIONER | ADMIN, api_service_edit },
	{ { "GET", "/api/v1/services/{provider}/{service}/history" }, ROLES_ANY_SIGNED_IN,
	  api_service_history },
	{ { "POST", "/api/v1/eligibility" }, ROLES_ANY_SIGNED_IN, api_eligibility },
	{ { "POST", "/api/v1/users" }, ADMIN, api_users_create },
	{ { "GET", "/api/v1/audit" }, ADMIN, api_audit_list },
	{ { "POST", "/api/v1/referrals" }, PRACTITIONER, api_referral_create },
	{ { "GET", "/api/v1/referrals" }, REFERRAL_PARTIES, api_referral_list },
	{ { "GET", "/api/v1/referrals/{id}" }, REFERRAL_PARTIES, api_referral_get },
	{ { "PATCH", "/api/v1/referrals/{id}" }, PRACTITIONER | PROVIDER, api_referral_amend },
	{ { "POST", "/api/v1/referrals/{id}/transitions" }, REFERRAL_PARTIES, api_referral_transition },
	{ { "POST", "/api/v1/referrals/{id}/notes" }, PRACTITIONER | PROVIDER, api_referral_note },
	{ { "POST", "/api/v1/referrals/{id}/allocation" }, PROVIDER, api_referral_allocate },
	{ { "GET", "/api/v1/outbox" }, PRACTITIONER | PROVIDER, api_outbox },
	{ { "POST", "/api/v1/people" }, PRACTITIONER | ADMIN, api_person_create },
	{ { "GET", "/api/v1/people/{crn}" }, PRACTITIONER | ADMIN, api_person_get },
	{ { "PATCH", "/api/v1/people/{crn}" }, PRACTITIONER | ADMIN, api_person_update },
	{ { "GET", "/api/v1/people/{crn}/history" }, PRACTITIONER | ADMIN, api_person_history },
	{ { "POST", "/api/v1/people/{crn}/events" }, PRACTITIONER | ADMIN, api_person_event },

	/* the pages (web/templates), signed in by the session cookie */
	PAGE("GET", "/", ROLES_PUBLIC, web_home),
	PAGE("GET", "/sign-in", ROLES_PUBLIC, web_sign_in_form),
	PAGE("POST", "/sign-in", ROLES_PUBLIC, web_sign_in),
	PAGE("POST", "/sign-out", ROLES_ANY_SIGNED_IN, web_sign_out),
	PAGE("GET", "/accessibility", ROLES_PUBLIC, web_accessibility),
	PAGE("GET", "/services", ROLES_ANY_SIGNED_IN, web_services),
	PAGE("GET", "/services/{provider}/{service}", ROLES_ANY_SIGNED_IN, web_service),
	PAGE("GET", "/services/{provider}/{service}/edit", COMMISSIONER | ADMIN, web_service_edit_form),
	PAGE("POST", "/services/{provider}/{service}/edit", COMMISSIONER | ADMIN, web_service_edit),
	PAGE("GET", "/eligibility", ROLES_ANY_SIGNED_IN, web_eligibility_form),
	PAGE("POST", "/eligibility", ROLES_ANY_SIGNED_IN, web_eligibility),
	PAGE("GET", "/referrals/new", PRACTITIONER, web_referral_new),
	PAGE("POST", "/referrals/new", PRACTITIONER, web_referral_start),
	PAGE("GET", "/referrals", REFERRAL_PARTIES, web_referrals),
	PAGE("GET", "/referrals/{id}", REFERRAL_PARTIES, web_referral),
	PAGE("GET", "/referrals/{id}/details", PRACTITIONER, web_referral_details_form),
	PAGE("POST", "/referrals/{id}/details", PRACTITIONER, web_referral_details),
	PAGE("GET", "/referrals/{id}/check", PRACTITIONER, web_referral_check),
	PAGE("POST", "/referrals/{id}/send", PRACTITIONER, web_referral_send),
	PAGE("GET", "/referrals/{id}/sent", PRACTITIONER, web_referral_sent),
	PAGE("GET", "/referrals/{id}/actions/{action}", REFERRAL_PARTIES, web_referral_action_form),
	PAGE("POST", "/referrals/{id}/actions/{action}", REFERRAL_PARTIES, web_referral_action),
	PAGE("POST", "/referrals/{id}/notes", PRACTITIONER | PROVIDER, web_referral_note),
	PAGE("POST", "/referrals/{id}/allocation", PROVIDER, web_referral_allocate),
	PAGE("GET", "/people", PRACTITIONER | ADMIN, web_people),
	PAGE("GET", "/people/{crn}", PRACTITIONER | ADMIN, web_person),
};
const size_t api_nroutes = sizeof(api_routes) / sizeof(api_routes[0]);

static int64_t now_us(void)
{
	return http_now_us();
}

void cathandle_put(struct cathandle *h)
{
	if (h && atomic_fetch_sub(&h->refs, 1) == 1) {
		catalogue_release(&h->cat);
		free(h);
	}
}

static enum rc load_current(struct app *a, struct cathandle **out, struct err *e)
{
	struct cathandle *h = calloc(1, sizeof(*h));
	struct diag d = { BUF_INIT, 0, 0 };
	json_t *docs = NULL;
	enum rc rc;

	*out = NULL;
	if (!h)
		return err_set(e, RC_NOMEM, "", "out of memory");
	rc = a->store->ops->catalogue_current(a->store, &docs, &h->generation, e);
	if (!rc && catalogue_build(&h->cat, docs, &d)) {
		log_message("catalogue", "the stored catalogue does not build: %s", d.out.data);
		rc = err_set(e, RC_INTERNAL, "catalogue", "the stored catalogue does not build");
	}
	json_decref(docs);
	buf_release(&d.out);
	if (rc) {
		free(h);
		return rc;
	}
	atomic_init(&h->refs, 1);
	*out = h;
	return RC_OK;
}

enum rc app_init(struct app *a, struct store *s, struct err *e)
{
	memset(a, 0, sizeof(*a));
	a->store = s;
	a->session_hours = 12;
	pthread_mutex_init(&a->lock, NULL);
	a->cache = body_cache_new(1024);
	if (!a->cache)
		return err_set(e, RC_NOMEM, "", "out of memory");
	a->checked_us = now_us();
	return load_current(a, &a->cat, e);
}

void app_release(struct app *a)
{
	cathandle_put(a->cat);
	body_cache_free(a->cache);
	tmpl_set_free(a->templates);
	pthread_mutex_destroy(&a->lock);
}

void app_catalogue_changed(struct app *a)
{
	pthread_mutex_lock(&a->lock);
	a->checked_us = 0;
	pthread_mutex_unlock(&a->lock);
}

struct cathandle *app_catalogue(struct app *a, struct err *e)
{
	struct cathandle *h, *fresh;
	int64_t gen, now = now_us();
	int check;

	pthread_mutex_lock(&a->lock);
	check = now - a->checked_us >= 1000000;
	if (check)
		a->checked_us = now;
	h = a->cat;
	atomic_fetch_add(&h->refs, 1);
	pthread_mutex_unlock(&a->lock);
	if (!check || a->store->ops->catalogue_generation(a->store, &gen, e) || gen == h->generation)
		return h; /* a failed check keeps serving what we have */
	if (load_current(a, &fresh, e)) {
		log_message("catalogue", "reload failed: %s", e->msg);
		return h;
	}
	cathandle_put(h);
	pthread_mutex_lock(&a->lock);
	if (fresh->generation > a->cat->generation) {
		struct cathandle *old = a->cat;

		a->cat = fresh;
		atomic_fetch_add(&fresh->refs, 1);
		cathandle_put(old);
	}
	pthread_mutex_unlock(&a->lock);
	return fresh;
}

void app_authenticate(void *app, struct request *r)
{
	struct app *a = app;
	const char *h = http_header(r, "Authorization");
	struct err e = ERR_INIT;
	enum rc rc;

	if (!h && r->is_page) {
		/* a browser: the session cookie; a bad or ended one is nobody */
		const char *token = http_cookie(r, WEB_SESSION_COOKIE);

		if (token && !auth_token_hash(token, r->token_hash) &&
		    !a->store->ops->session_user(a->store, r->token_hash, (int64_t)time(NULL), &r->user, &e))
			r->authenticated = 1;
		return;
	}
	if (!h)
		return;
	if (strncmp(h, "Bearer ", 7) || auth_token_hash(h + 7, r->token_hash)) {
		http_error(r, 401, "unauthorised", "Authorization", "expected 'Bearer TOKEN'");
		return;
	}
	rc = a->store->ops->session_user(a->store, r->token_hash, (int64_t)time(NULL), &r->user, &e);
	if (rc == RC_NOT_FOUND) {
		http_error(r, 401, "unauthorised", "Authorization",
			   "the session has expired or was ended; sign in again");
		return;
	}
	if (rc) {
		http_fail(r, &e);
		return;
	}
	r->authenticated = 1;
}

void app_audit(struct app *a, struct request *r, const char *action, const char *object,
	       const char *detail)
{
	struct audit_entry ae = {
		.actor = r && r->authenticated ? r->user.username : "",
		.action = action,
		.object = object,
		.address = r ? r->address : "cli",
		.detail = detail ? detail : "",
	};
	struct err e = ERR_INIT;

	if (a->store->ops->audit(a->store, &ae, &e))
		log_message("audit", "could not record %s %s: %s", action, object, e.msg);
}
