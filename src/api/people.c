/*
 * people.c - people on probation and their events (the sentence or licence a
 * referral belongs to). A person's record is personal data: only their
 * team and admins see it (a provider sees what a referral to it carries),
 * every read is audited, and every change keeps the version before it.
 */
#include <stdio.h>
#include <string.h>
#include <time.h>
#include "api/app.h"
#include "profile/profile.h"
#include "referral/referral.h"

static const char *str(json_t *o, const char *k)
{
	return json_string_value(json_object_get(o, k));
}

static const char *team_of(const struct user *u)
{
	return u->team[0] ? u->team : u->username;
}

static int may_see(json_t *person, const struct user *u)
{
	return u->role == ROLE_ADMIN ||
	       (u->role == ROLE_PRACTITIONER && !strcmp(str(person, "team"), team_of(u)));
}

/* Validate the editable fields of a person (name, date_of_birth, region,
 * area, profile) from body into doc. */
static int apply_fields(struct request *r, json_t *doc, json_t *body, int creating)
{
	static const char *const keys[] = {
		"crn", "name", "date_of_birth", "profile", "version", "reason", NULL
	};
	const char *k;
	json_t *v;

	json_object_foreach(body, k, v) {
		int known = 0;

		for (int i = 0; keys[i]; i++)
			known |= !strcmp(k, keys[i]);
		if (!known || (!creating && !strcmp(k, "crn"))) {
			http_error(r, 400, "bad_input", k, "is not a field of a person here");
			return -1;
		}
	}
	if ((v = json_object_get(body, "name"))) {
		if (!json_is_string(v) || !json_string_length(v) || json_string_length(v) > 200) {
			http_error(r, 400, "bad_input", "name", "must be 1 to 200 characters");
			return -1;
		}
		json_object_set(doc, "name", v);
	} else if (creating) {
		http_error(r, 400, "bad_input", "name", "is required");
		return -1;
	}
	if ((v = json_object_get(body, "date_of_birth"))) {
		if (!referral_valid_date(json_string_value(v))) {
			http_error(r, 400, "bad_input", "date_of_birth", "must be a YYYY-MM-DD date");
			return -1;
		}
		json_object_set(doc, "date_of_birth", v);
	}
	if ((v = json_object_get(body, "profile"))) {
		struct profile p;
		struct err e = ERR_INIT;

		if (profile_from_json(&p, v, &e)) {
			profile_clear(&p);
			err_prefix_field(&e, "profile");
			http_fail(r, &e);
			return -1;
		}
		/* region and area live in the profile, as profile.md has them */
		profile_clear(&p);
		json_object_set(doc, "profile", v);
	}
	return 0;
}

void api_person_create(void *app, struct request *r)
{
	struct app *a = app;
	struct err e = ERR_INIT;
	json_t *body = http_body_json(r), *doc;
	const char *crn;
	int version;
	char object[64];

	if (!body)
		return;
	crn = str(body, "crn");
	if (!crn || !*crn || strlen(crn) > 16 || strspn(crn, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789") != strlen(crn)) {
		http_error(r, 400, "bad_input", "crn", "must be the case reference number (letters and digits)");
		json_decref(body);
		return;
	}
	doc = json_pack("{s:s,s:s,s:o}", "crn", crn, "team", team_of(&r->user), "events", json_array());
	if (apply_fields(r, doc, body, 1) ||
	    a->store->ops->person_put(a->store, crn, doc, 0, r->user.username, &version, &e)) {
		if (!r->responded)
			http_fail(r, &e);
		goto out;
	}
	snprintf(object, sizeof(object), "person:%s", crn);
	app_audit(a, r, "person_create", object, "");
	json_object_set_new(doc, "version", json_integer(version));
	http_json(r, 201, json_incref(doc));
out:
	json_decref(doc);
	json_decref(body);
}

/* Load person {crn} if the caller may see it; else answer 404. */
static json_t *load_person(struct app *a, struct request *r, int *version)
{
	struct err e = ERR_INIT;
	json_t *doc = NULL;
	enum rc rc = a->store->ops->person_get(a->store, r->match.captures[0], &doc, version, &e);

	if (rc && rc != RC_NOT_FOUND) {
		http_fail(r, &e);
		return NULL;
	}
	if (rc || !may_see(doc, &r->user)) {
		json_decref(doc);
		http_error(r, 404, "not_found", "crn", "no person %s", r->match.captures[0]);
		return NULL;
	}
	return doc;
}

void api_person_get(void *app, struct request *r)
{
	struct app *a = app;
	struct err e = ERR_INIT;
	struct referral_filter f = { .crn = r->match.captures[0], .include_drafts = 1, .limit = 200 };
	json_t *doc, *refs = NULL, *summary = json_array(), *x;
	int version, total;
	size_t i;
	char object[64];

	if (!(doc = load_person(a, r, &version))) {
		json_decref(summary);
		return;
	}
	if (!a->store->ops->referral_list(a->store, &f, &refs, &total, &e))
		json_array_foreach(refs, i, x)
			if (!strcmp(str(x, "team"), str(doc, "team")) || r->user.role == ROLE_ADMIN)
				json_array_append_new(summary, json_pack("{s:O,s:O,s:O,s:O,s:O}", "id",
					json_object_get(x, "id"), "reference", json_object_get(x, "reference"),
					"service", json_object_get(x, "service"), "status",
					json_object_get(x, "status"), "created_at", json_object_get(x, "created_at")));
	json_decref(refs);
	snprintf(object, sizeof(object), "person:%s", r->match.captures[0]);
	app_audit(a, r, "person_read", object, "");
	json_object_set_new(doc, "version", json_integer(version));
	json_object_set_new(doc, "referrals", summary);
	http_json(r, 200, doc);
}

void api_person_update(void *app, struct request *r)
{
	struct app *a = app;
	struct err e = ERR_INIT;
	json_t *body = http_body_json(r), *doc = NULL, *v;
	int version, new_version;
	char object[64];

	if (!body || !(doc = load_person(a, r, &version)))
		goto out;
	v = json_object_get(body, "version");
	if (!json_is_integer(v)) {
		http_error(r, 400, "bad_input", "version", "give the version being changed");
		goto out;
	}
	if (json_integer_value(v) != version) {
		http_error(r, 409, "conflict", "version", "the record is at version %d; reload it", version);
		goto out;
	}
	if (apply_fields(r, doc, body, 0) ||
	    a->store->ops->person_put(a->store, r->match.captures[0], doc, version, r->user.username,
				      &new_version, &e)) {
		if (!r->responded)
			http_fail(r, &e);
		goto out;
	}
	snprintf(object, sizeof(object), "person:%s", r->match.captures[0]);
	app_audit(a, r, "person_update", object, "");
	json_object_set_new(doc, "version", json_integer(new_version));
	http_json(r, 200, json_incref(doc));
out:
	json_decref(doc);
	json_decref(body);
}

void api_person_history(void *app, struct request *r)
{
	struct app *a = app;
	struct err e = ERR_INIT;
	json_t *doc, *versions;
	int version;
	char object[64];

	if (!(doc = load_person(a, r, &version)))
		return;
	json_decref(doc);
	if (a->store->ops->person_history(a->store, r->match.captures[0], &versions, &e)) {
		json_decref(versions);
		http_fail(r, &e);
		return;
	}
	snprintf(object, sizeof(object), "person:%s", r->match.captures[0]);
	app_audit(a, r, "person_history_read", object, "");
	http_json(r, 200, json_pack("{s:s,s:o}", "crn", r->match.captures[0], "versions", versions));
}

void api_person_event(void *app, struct request *r)
{
	static const char *const types[] = {
		"community_order", "suspended_sentence_order", "licence", "post_sentence_supervision",
		"custody", NULL
	};
	struct app *a = app;
	struct err e = ERR_INIT;
	json_t *body = http_body_json(r), *doc = NULL, *events, *reqs, *x, *event;
	const char *type, *start, *end;
	int version, new_version, known = 0;
	char id[16], object[64];
	size_t i;

	if (!body || !(doc = load_person(a, r, &version)))
		goto out;
	type = str(body, "type");
	start = str(body, "start_date");
	end = str(body, "end_date");
	for (int k = 0; type && types[k]; k++)
		known |= !strcmp(type, types[k]);
	if (!known) {
		http_error(r, 400, "bad_input", "type", "must be community_order, suspended_sentence_order, licence, post_sentence_supervision or custody");
		goto out;
	}
	if (!referral_valid_date(start) || (end && !referral_valid_date(end)) || (end && strcmp(end, start) < 0)) {
		http_error(r, 400, "bad_input", start && referral_valid_date(start) ? "end_date" : "start_date",
			   "dates are YYYY-MM-DD, and the end is not before the start");
		goto out;
	}
	reqs = json_object_get(body, "requirements");
	if (reqs && !json_is_array(reqs)) {
		http_error(r, 400, "bad_input", "requirements", "must be a list");
		goto out;
	}
	json_array_foreach(reqs, i, x) {
		json_t *days = json_object_get(x, "days"), *hours = json_object_get(x, "hours");

		if (!json_is_object(x) || field_vocab_index(field_table[PF_REQUIREMENTS].vocab,
				str(x, "type") ? str(x, "type") : "", str(x, "type") ? strlen(str(x, "type")) : 0) < 0 ||
		    (days && (!json_is_integer(days) || json_integer_value(days) < 1 || json_integer_value(days) > 1000)) ||
		    (hours && (!json_is_integer(hours) || json_integer_value(hours) < 1 || json_integer_value(hours) > 1000))) {
			http_error(r, 400, "bad_input", "requirements", "item %zu: {\"type\": a profile.md requirement, \"days\" or \"hours\"}", i);
			goto out;
		}
	}
	events = json_object_get(doc, "events");
	if (!json_is_array(events)) {
		events = json_array();
		json_object_set_new(doc, "events", events);
	}
	snprintf(id, sizeof(id), "E%zu", json_array_size(events) + 1);
	event = json_pack("{s:s,s:s,s:s,s:s?,s:O?}", "id", id, "type", type, "start_date", start,
			  "end_date", end, "requirements", reqs);
	json_array_append_new(events, event);
	if (a->store->ops->person_put(a->store, r->match.captures[0], doc, version, r->user.username,
				      &new_version, &e)) {
		http_fail(r, &e);
		goto out;
	}
	snprintf(object, sizeof(object), "person:%s", r->match.captures[0]);
	app_audit(a, r, "event_add", object, "");
	http_json(r, 201, json_incref(event));
out:
	json_decref(doc);
	json_decref(body);
}
