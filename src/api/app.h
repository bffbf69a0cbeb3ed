/*
 * app.h - the web service's shared state and its route table.
 *
 * The catalogue the service answers from is the store's current version,
 * built in memory and shared by reference count: a request holds the
 * catalogue it started with even if a commissioner's edit (here or on
 * another server sharing the database) swaps in a new one meanwhile. The
 * generation is re-read from the store at most once a second.
 */
#ifndef API_APP_H
#define API_APP_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include "catalogue/catalogue.h"
#include "http/cache.h"
#include "http/server.h"
#include "store/store.h"

struct cathandle {
	struct catalogue cat;
	int64_t generation;
	atomic_int refs;
};

struct app {
	struct store *store;
	pthread_mutex_t lock;          /* guards cat and checked_us */
	struct cathandle *cat;
	int64_t checked_us;
	struct body_cache *cache;
	int session_hours;
	struct tmpl_set *templates;    /* the pages' templates (NULL: API only) */
};

extern const struct http_route api_routes[];
extern const size_t api_nroutes;

/* Set up over an open, migrated store; loads the current catalogue. */
enum rc app_init(struct app *a, struct store *s, struct err *e) RC_MUST;
void app_release(struct app *a);

/* The current catalogue (a new reference); NULL with e set on failure. */
struct cathandle *app_catalogue(struct app *a, struct err *e);
void cathandle_put(struct cathandle *h);

/* Force the next app_catalogue() to look at the store (after an edit). */
void app_catalogue_changed(struct app *a);

/* Who is calling: the session behind "Authorization: Bearer TOKEN". */
void app_authenticate(void *app, struct request *r);

/* Append to the audit log; a failure is logged, not fatal to the request. */
void app_audit(struct app *a, struct request *r, const char *action, const char *object,
	       const char *detail);

/* The directory search's filters from a query string (the API's and the
 * find-a-service page's parameters are the same). */
struct search_query;
void api_search_query(const struct query *q, struct search_query *sq);

/* Route handlers, one module each. */
void api_health(void *app, struct request *r);
void api_services_search(void *app, struct request *r);
void api_service_get(void *app, struct request *r);
void api_service_edit(void *app, struct request *r);
void api_service_history(void *app, struct request *r);
void api_eligibility(void *app, struct request *r);
void api_session_create(void *app, struct request *r);
void api_session_get(void *app, struct request *r);
void api_session_delete(void *app, struct request *r);
void api_users_create(void *app, struct request *r);
void api_audit_list(void *app, struct request *r);
void api_referral_create(void *app, struct request *r);
void api_referral_list(void *app, struct request *r);
void api_referral_get(void *app, struct request *r);
void api_referral_transition(void *app, struct request *r);
void api_referral_amend(void *app, struct request *r);
void api_referral_note(void *app, struct request *r);
void api_referral_allocate(void *app, struct request *r);
void api_outbox(void *app, struct request *r);
void api_person_create(void *app, struct request *r);
void api_person_get(void *app, struct request *r);
void api_person_update(void *app, struct request *r);
void api_person_history(void *app, struct request *r);
void api_person_event(void *app, struct request *r);

#endif
