/*
 * referral.h - the referral record (an NSI, or a requirement transfer) as a
 * JSON document, and the rules that build and change it.
 *
 * These functions only shape documents: they read the catalogue service and
 * the request, check what the brochures ask for, and write the fields, the
 * history and the notifications. Storing (with the version check) is the
 * caller's, through store.h; who may do what is lifecycle.h's.
 */
#ifndef REFERRAL_REFERRAL_H
#define REFERRAL_REFERRAL_H

#include <jansson.h>
#include <stdint.h>
#include "catalogue/catalogue.h"
#include "referral/lifecycle.h"
#include "store/store.h"

/* A new draft for service s from a create request body (interfaces.md:
 * service, person {crn, name, profile}, level, subtype, notes,
 * expected_end_date, event, msrp, location) by practitioner u. The NSI
 * category and sub-type come from the service (the practitioner picks when it
 * has several); requirement transfers are recorded as such. Errors name the
 * field. *out is owned by the caller. */
enum rc referral_build(const struct service *s, json_t *body, const struct user *u, int64_t now,
		       json_t **out, struct err *e) RC_MUST;

/* Apply transition t (already allowed by lifecycle_check) to doc: status,
 * NSI status and dates, outcome, charges the brochure states, history.
 * body may carry "reason", "reason_code", "outcome" ("completed" or
 * "ended_early"). */
enum rc referral_move(json_t *doc, const struct service *s, const struct transition *t,
		      json_t *body, const struct user *u, int64_t now, struct err *e) RC_MUST;

/* Amend a sent or draft referral: notes, expected_end_date, level, location,
 * prison, release_date. Each change is logged with old and new value, why,
 * who and when. */
enum rc referral_amend(json_t *doc, const struct service *s, json_t *changes, const char *why,
		       const struct user *u, int64_t now, struct err *e) RC_MUST;

/* Add a case note from either side. */
enum rc referral_note(json_t *doc, const char *text, const struct user *u, int64_t now,
		     struct err *e) RC_MUST;

/* Allocate to a member of the provider's staff (history kept). */
void referral_allocate(json_t *doc, const char *staff, const struct user *u, int64_t now);

/* May u see this referral? Practitioners: their team's; provider staff:
 * their provider's, once sent; admins: all. */
int referral_visible(json_t *doc, const struct user *u);

/* The notification for the other side of a change: an outbox array with one
 * message (to the provider when the practitioner acts, to the team when the
 * provider does). */
json_t *referral_notify(json_t *doc, const struct user *u, const char *kind, const char *text);

/* YYYY-MM-DD of a Unix time (UTC). */
void referral_date(int64_t t, char out[11]);

/* Is s a valid YYYY-MM-DD date? */
int referral_valid_date(const char *s);

#endif
