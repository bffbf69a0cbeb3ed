/*
 * web.h - the HTML pages' common ground: the page view every template sees,
 * rendering, forms with their CSRF check, the session cookie, and calling
 * the JSON API's handlers from a page.
 *
 * Pages hold no business logic. A page handler calls the same API handler a
 * JSON client would (web_call), with the same checks, audit and errors, and
 * renders what it answered. Templates are files in web/templates/.
 */
#ifndef WEB_WEB_H
#define WEB_WEB_H

#include <jansson.h>
#include "api/app.h"
#include "http/request.h"

#define WEB_SESSION_COOKIE "rc_session"
#define WEB_CSRF_COOKIE "rc_csrf"     /* before sign-in: double-submit */
#define WEB_CSRF_FIELD "csrf"

typedef void (*web_handler)(void *app, struct request *r);

/* The view every page starts from: title, the signed-in user and the
 * navigation for their role, the CSRF token. Owned by the caller. */
json_t *web_view(struct app *a, struct request *r, const char *title, const char *nav);

/* Render template `name` with view (stolen) as the page, with status. */
void web_render(struct app *a, struct request *r, int status, const char *name, json_t *view);

/* The http_app page_error hook: nobody signed in goes to the sign-in page
 * (and comes back after); other failures are an error page. */
void web_page_error(void *app, struct request *r, int status, const char *message);

/* Parse the submitted form into *form and check its CSRF token. On failure
 * answers (400 page) and returns -1. */
int web_form(struct app *a, struct request *r, struct query *form);

/* Call an API handler as if a client had sent body (borrowed; NULL for
 * none) with the given query (NULL: none) and path captures. Returns the
 * status it answered; *out is the JSON it answered (new reference, or NULL
 * when the body was not JSON). The request's own answer is untouched. */
int web_call(struct app *a, struct request *r, web_handler fn, json_t *body,
	     const struct query *query, const char *cap0, const char *cap1, json_t **out);

/* The message of an API error answer ({"error": {"message"}}), or fallback. */
const char *web_error_message(json_t *answer, const char *fallback);
const char *web_error_field(json_t *answer);

/* The CSRF token for this request's session (or pre-session cookie). */
const char *web_csrf(struct request *r);

/* Set or clear (token NULL) the session cookie. */
void web_session_cookie(struct request *r, const char *token, int max_age);

/* Human words for a vocabulary value: "intimate_partner_violence" ->
 * "Intimate partner violence"; in the arena. */
const char *web_humanise(struct request *r, const char *value);

/* "?a=1&b=2" of a query, with key replaced by value (NULL: removed); for
 * filter and page links. In the arena. */
const char *web_query_with(struct request *r, const struct query *q, const char *key,
			   const char *value);

/* A string member of o, or dflt when it is missing or empty. */
const char *web_str(json_t *o, const char *key, const char *dflt);

/* Add {field, href, text} to a page's errors (href NULL: "#field"). */
void web_add_error(struct request *r, json_t *errors, const char *field, const char *href,
		   const char *text);

/* A choice of a select: {value, text, selected}. */
json_t *web_option(const char *value, const char *text, const char *selected);

/* A relative path safe to send the browser back to after sign-in, or "/". */
const char *web_safe_next(const char *next);

/* Page routes, one module each. */
void web_home(void *app, struct request *r);
void web_sign_in_form(void *app, struct request *r);
void web_sign_in(void *app, struct request *r);
void web_sign_out(void *app, struct request *r);
void web_accessibility(void *app, struct request *r);
void web_services(void *app, struct request *r);
void web_service(void *app, struct request *r);
void web_service_edit_form(void *app, struct request *r);
void web_service_edit(void *app, struct request *r);
void web_eligibility_form(void *app, struct request *r);
void web_eligibility(void *app, struct request *r);
void web_referral_new(void *app, struct request *r);
void web_referral_start(void *app, struct request *r);
void web_referral_details_form(void *app, struct request *r);
void web_referral_details(void *app, struct request *r);
void web_referral_check(void *app, struct request *r);
void web_referral_send(void *app, struct request *r);
void web_referral_sent(void *app, struct request *r);
void web_referrals(void *app, struct request *r);
void web_referral(void *app, struct request *r);
void web_referral_action_form(void *app, struct request *r);
void web_referral_action(void *app, struct request *r);
void web_referral_note(void *app, struct request *r);
void web_referral_allocate(void *app, struct request *r);
void web_person(void *app, struct request *r);
void web_people(void *app, struct request *r);

#endif
