/*
 * referral.c - building and changing referral documents.
 *
 * A referral document is the system of record for one NSI: everything the
 * brochures' NSI pages ask for, its history, notes, amendments, allocations
 * and charges. Its shape is the API's (interfaces.md), so what is stored is
 * what a client reads.
 */
#include <ctype.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include "profile/field.h"
#include "referral/reference.h"
#include "referral/referral.h"

static void iso_time(int64_t t, char out[21])
{
	time_t tt = (time_t)t;
	struct tm tm;

	gmtime_r(&tt, &tm);
	strftime(out, 21, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

void referral_date(int64_t t, char out[11])
{
	time_t tt = (time_t)t;
	struct tm tm;

	gmtime_r(&tt, &tm);
	strftime(out, 11, "%Y-%m-%d", &tm);
}

int referral_valid_date(const char *s)
{
	struct tm tm = { 0 };
	int y, m, d;
	char tail;

	if (!s || strlen(s) != 10 || s[4] != '-' || s[7] != '-' ||
	    sscanf(s, "%4d-%2d-%2d%c", &y, &m, &d, &tail) != 3)
		return 0;
	if (y < 1900 || y > 2200 || m < 1 || m > 12 || d < 1 || d > 31)
		return 0;
	tm.tm_year = y - 1900;
	tm.tm_mon = m - 1;
	tm.tm_mday = d;
	tm.tm_hour = 12;
	if (timegm(&tm) == -1)
		return 0;
	return tm.tm_mday == d && tm.tm_mon == m - 1; /* 2026-02-30 normalises away */
}

static const char *str(json_t *o, const char *k)
{
	return json_string_value(json_object_get(o, k));
}

/* Number an entry of the record's history, allocations, amendments or notes
 * in the order they happened: entries of one second keep their order when
 * the lists are merged into one timeline. */
static json_t *sequenced(json_t *doc, json_t *entry)
{
	json_int_t n = json_integer_value(json_object_get(doc, "seq")) + 1;

	json_object_set_new(doc, "seq", json_integer(n));
	json_object_set_new(entry, "seq", json_integer(n));
	return entry;
}

static json_t *history_entry(const char *from, const char *to, const struct user *u, int64_t now,
			     const char *reason)
{
	char at[21];

	iso_time(now, at);
	return json_pack("{s:s?,s:s,s:s,s:s,s:s?}", "from", from, "to", to, "at", at, "by",
			 u->username, "reason", reason);
}

/* Text fields of a request: a string, present and within limits, or absent. */
static enum rc optional_text(json_t *body, const char *key, size_t max, const char **out,
			     struct err *e)
{
	json_t *v = json_object_get(body, key);

	*out = NULL;
	if (!v || json_is_null(v))
		return RC_OK;
	if (!json_is_string(v))
		return err_set(e, RC_BAD_INPUT, key, "must be a string");
	if (json_string_length(v) > max)
		return err_set(e, RC_BAD_INPUT, key, "is longer than %zu characters", max);
	if (strlen(json_string_value(v)) != json_string_length(v))
		return err_set(e, RC_BAD_INPUT, key, "contains a NUL character");
	*out = json_string_value(v);
	return RC_OK;
}

static int valid_crn(const char *crn)
{
	size_t n = strlen(crn);

	if (n < 2 || n > 16)
		return 0;
	for (; *crn; crn++)
		if (!isalnum((unsigned char)*crn))
			return 0;
	return 1;
}

/* The level of s named name (case-insensitive), or NULL. */
static json_t *find_level(const struct service *s, const char *name)
{
	size_t i;
	json_t *l;

	json_array_foreach(json_object_get(s->json, "levels"), i, l)
		if (!strcasecmp(str(l, "name"), name))
			return l;
	return NULL;
}

/* Notes are a string, or an object of the fields the NSI pages ask for. */
static enum rc check_notes(json_t *notes, struct err *e)
{
	static const char *const keys[] = {
		"text", "risk", "support", "priority", "urgency", "location", NULL
	};
	const char *k;
	json_t *v;

	if (!notes || json_is_null(notes) || (json_is_string(notes) && json_string_length(notes) <= 10000))
		return RC_OK;
	if (!json_is_object(notes))
		return err_set(e, RC_BAD_INPUT, "notes", "must be text or an object of text fields");
	json_object_foreach(notes, k, v) {
		int known = 0;

		for (int i = 0; keys[i]; i++)
			known |= !strcmp(k, keys[i]);
		if (!known)
			return err_set(e, RC_BAD_INPUT, "notes", "unknown note '%s' (text, risk, support, priority, urgency, location)", k);
		if (!json_is_string(v) || json_string_length(v) > 10000)
			return err_set(e, RC_BAD_INPUT, "notes", "'%s' must be text up to 10000 characters", k);
	}
	return RC_OK;
}

/* Pick the NSI sub-type: the level's own, the one asked for, or the only one. */
static enum rc pick_subtype(const struct service *s, json_t *level, const char *asked,
			    const char **out, struct err *e)
{
	json_t *subtypes = json_object_get(json_object_get(s->json, "nsi"), "subtypes");
	size_t i;
	json_t *x;

	*out = NULL;
	if (level && str(level, "nsi_subtype")) {
		*out = str(level, "nsi_subtype");
		return RC_OK;
	}
	if (asked) {
		json_array_foreach(subtypes, i, x)
			if (!strcmp(json_string_value(x), asked)) {
				*out = json_string_value(x);
				return RC_OK;
			}
		return err_set(e, RC_BAD_INPUT, "subtype", "'%s' is not a sub-type of this service", asked);
	}
	if (json_array_size(subtypes) == 1)
		*out = json_string_value(json_array_get(subtypes, 0));
	return RC_OK;
}

static const char *const create_keys[] = {
	"service", "person", "level", "subtype", "notes", "expected_end_date", "event", "msrp",
	"location", NULL
};

static enum rc check_keys(json_t *body, const char *const *keys, struct err *e)
{
	const char *k;
	json_t *v;

	json_object_foreach(body, k, v) {
		int known = 0;

		for (int i = 0; keys[i]; i++)
			known |= !strcmp(k, keys[i]);
		if (!known)
			return err_set(e, RC_BAD_INPUT, k, "is not a field here");
	}
	return RC_OK;
}

static enum rc build_msrp(const struct service *s, json_t *msrp, json_t **out, struct err *e)
{
	json_t *sessions;

	*out = NULL;
	if (!msrp || json_is_null(msrp))
		return RC_OK;
	if (!json_object_get(s->json, "msrp"))
		return err_set(e, RC_BAD_INPUT, "msrp", "this service is not a My Solution module");
	sessions = json_object_get(msrp, "sessions");
	if (!json_is_object(msrp) || !json_is_string(json_object_get(msrp, "modules")) ||
	    (sessions && (!json_is_integer(sessions) || json_integer_value(sessions) < 1 ||
			  json_integer_value(sessions) > 100)))
		return err_set(e, RC_BAD_INPUT, "msrp",
			       "give the modules requested as text and the number of sessions (1-100)");
	*out = json_pack("{s:O,s:O?}", "modules", json_object_get(msrp, "modules"), "sessions", sessions);
	return RC_OK;
}

enum rc referral_build(const struct service *s, json_t *body, const struct user *u, int64_t now,
		       json_t **out, struct err *e)
{
	json_t *person = json_object_get(body, "person"), *level = NULL, *msrp = NULL, *doc;
	const char *crn, *name, *level_name, *subtype_asked, *subtype, *end, *location, *event;
	const char *need = NULL, *team_name;
	json_t *transfer_team = json_object_get(json_object_get(s->json, "transfer"), "team");
	char reference[REFERENCE_LEN], urn[URN_LEN], at[21], hub[256];
	int is_transfer = !strcmp(s->route, "requirement_transfer");
	enum rc rc;

	*out = NULL;
	if ((rc = check_keys(body, create_keys, e)))
		return rc;
	if (!json_is_object(person))
		return err_set(e, RC_BAD_INPUT, "person", "is required: {\"crn\", \"name\", \"profile\"}");
	crn = str(person, "crn");
	name = str(person, "name");
	if (!crn || !valid_crn(crn))
		return err_set(e, RC_BAD_INPUT, "person.crn", "must be the case reference number (letters and digits)");
	if (!name || !*name || strlen(name) > 200)
		return err_set(e, RC_BAD_INPUT, "person.name", "is required (up to 200 characters)");
	if ((rc = optional_text(body, "level", 200, &level_name, e)) ||
	    (rc = optional_text(body, "subtype", 300, &subtype_asked, e)) ||
	    (rc = optional_text(body, "expected_end_date", 10, &end, e)) ||
	    (rc = optional_text(body, "location", 300, &location, e)) ||
	    (rc = optional_text(body, "event", 64, &event, e)))
		return rc;
	if (level_name && !(level = find_level(s, level_name)))
		return err_set(e, RC_BAD_INPUT, "level", "'%s' is not a level of this service", level_name);
	if ((rc = pick_subtype(s, level, subtype_asked, &subtype, e)))
		return rc;
	if (end && !referral_valid_date(end))
		return err_set(e, RC_BAD_INPUT, "expected_end_date", "must be a YYYY-MM-DD date");
	if ((rc = check_notes(json_object_get(body, "notes"), e)) ||
	    (rc = build_msrp(s, json_object_get(body, "msrp"), &msrp, e)))
		return rc;
	for (int i = 0; field_needs[i] && !need; i++)
		if (s->needs >> i & 1)
			need = field_needs[i];
	reference_new(reference, need);
	reference_urn(urn);
	iso_time(now, at);
	snprintf(hub, sizeof(hub), "%s referral hub", s->provider->name);
	team_name = u->team[0] ? u->team : u->username;
	doc = json_pack("{s:s,s:s,s:s,s:s,s:s,s:s,s:s,s:{s:s,s:s},s:{s:s,s:s},s:s?,s:s}",
			"reference", reference, "urn", urn, "status", "draft",
			"kind", is_transfer ? "requirement_transfer" : "nsi",
			"service", s->id, "service_name", s->name, "route", s->route,
			"provider", "id", s->provider->id, "name", s->provider->name,
			"person", "crn", crn, "name", name,
			"event", event, "team", team_name);
	if (!doc)
		return err_set(e, RC_NOMEM, "", "out of memory");
	if (json_object_get(person, "profile"))
		json_object_set(json_object_get(doc, "person"), "profile", json_object_get(person, "profile"));
	json_object_set_new(doc, "nsi", is_transfer ? json_null() : json_pack(
		"{s:s?,s:s?,s:s,s:s,s:s,s:n,s:s?,s:n,s:s}",
		"category", str(json_object_get(s->json, "nsi"), "category"), "subtype", subtype,
		"provider", s->provider->name, "status", "draft", "status_at", at, "referral_date",
		"expected_end_date", end, "actual_end_date", "urn", urn));
	json_object_set_new(doc, "transfer", json_pack("{s:s,s:s,s:s,s:s}",
		"receiving_provider", s->provider->name,
		"team", json_is_string(transfer_team) ? json_string_value(transfer_team) : hub,
		"officer", "Unallocated",
		"reason", is_transfer ? "Requirement transfer" : "External NSI Referral"));
	json_object_set_new(doc, "referring", json_pack("{s:s,s:s,s:s}", "provider", "Probation Service",
							"team", team_name, "officer", u->username));
	json_object_set_new(doc, "level", level ? json_pack("{s:O,s:O,s:O?,s:O?}", "name",
			    json_object_get(level, "name"), "kind", json_object_get(level, "kind"),
			    "hours", json_object_get(level, "hours"), "up_to", json_object_get(level, "up_to"))
			    : json_null());
	json_object_set_new(doc, "msrp", msrp ? msrp : json_null());
	json_object_set(doc, "notes", json_object_get(body, "notes") ? json_object_get(body, "notes") : json_null());
	json_object_set_new(doc, "location", location ? json_string(location) : json_null());
	json_object_set_new(doc, "expected_end_date", end ? json_string(end) : json_null());
	json_object_set_new(doc, "actual_end_date", json_null());
	json_object_set_new(doc, "outcome", json_null());
	json_object_set_new(doc, "allocated_to", json_null());
	json_object_set_new(doc, "created_by", json_string(u->username));
	json_object_set_new(doc, "created_at", json_string(at));
	json_object_set_new(doc, "updated_at", json_string(at));
	json_object_set_new(doc, "status_at", json_string(at));
	json_object_set_new(doc, "warnings", json_array());
	json_object_set_new(doc, "charges", json_array());
	json_object_set_new(doc, "case_notes", json_array());
	json_object_set_new(doc, "amendments", json_array());
	json_object_set_new(doc, "allocations", json_array());
	json_object_set_new(doc, "history", json_pack("[o]", sequenced(doc, history_entry(NULL, "draft", u, now, "created"))));
	*out = doc;
	return RC_OK;
}

static void set_status(json_t *doc, const char *status, int64_t now)
{
	char at[21];

	iso_time(now, at);
	json_object_set_new(doc, "status", json_string(status));
	json_object_set_new(doc, "status_at", json_string(at));
	json_object_set_new(doc, "updated_at", json_string(at));
	if (json_is_object(json_object_get(doc, "nsi"))) {
		json_object_set_new(json_object_get(doc, "nsi"), "status", json_string(status));
		json_object_set_new(json_object_get(doc, "nsi"), "status_at", json_string(at));
	}
}

static void set_end_date(json_t *doc, int64_t now)
{
	char day[11];

	referral_date(now, day);
	json_object_set_new(doc, "actual_end_date", json_string(day));
	if (json_is_object(json_object_get(doc, "nsi")))
		json_object_set_new(json_object_get(doc, "nsi"), "actual_end_date", json_string(day));
}

/* Charges the brochure states for a cancellation after registration (the
 * provider accepted, so registration costs were incurred), e.g. CSCS's £100. */
static void add_cancellation_charges(json_t *doc, const struct service *s, enum rstatus from,
				     int64_t now)
{
	size_t i;
	json_t *c;
	char at[21];

	if (from != RS_ACCEPTED && from != RS_IN_PROGRESS)
		return;
	iso_time(now, at);
	json_array_foreach(json_object_get(s->json, "charges"), i, c) {
		if (strcmp(str(c, "kind"), "cancellation") || !json_is_integer(json_object_get(c, "amount_pence")))
			continue;
		json_array_append_new(json_object_get(doc, "charges"), json_pack(
			"{s:s,s:O,s:O,s:s,s:s}", "kind", "cancellation", "pence",
			json_object_get(c, "amount_pence"), "text", json_object_get(c, "text"), "at", at,
			"trigger", "cancelled after registration"));
	}
}

enum rc referral_move(json_t *doc, const struct service *s, const struct transition *t,
		      json_t *body, const struct user *u, int64_t now, struct err *e)
{
	const char *reason, *code, *outcome;
	char day[11];
	enum rc rc;

	if ((rc = optional_text(body, "reason", 2000, &reason, e)) ||
	    (rc = optional_text(body, "reason_code", 64, &code, e)) ||
	    (rc = optional_text(body, "outcome", 32, &outcome, e)))
		return rc;
	if (t->to == RS_CANCELLED) {
		const struct cancel_reason *cr = lifecycle_cancel_reason(code);

		if (!cr)
			return err_set(e, RC_BAD_INPUT, "reason_code",
				       "give a reason code: ineligible, mistaken, duplicate, not_engaged, needs_met, "
				       "moved, work_caring_sickness, died, acquitted, returned_to_custody, revoked, "
				       "expired or other");
		if (!strcmp(cr->code, "other") && (!reason || !*reason))
			return err_set(e, RC_BAD_INPUT, "reason", "say why when the reason is 'other'");
		json_object_set_new(doc, "cancellation", json_pack("{s:s,s:s,s:s,s:s?}", "code", cr->code,
			"group", cr->group, "text", cr->text, "details", reason));
		if (!reason)
			reason = cr->text;
		add_cancellation_charges(doc, s, (enum rstatus)lifecycle_parse(str(doc, "status")), now);
		json_object_set_new(doc, "outcome", json_string("cancelled"));
		set_end_date(doc, now);
	} else if (t->needs_reason && (!reason || !*reason)) {
		return err_set(e, RC_BAD_INPUT, "reason", "a reason is required to move to %s",
			       lifecycle_name(t->to));
	}
	if (t->to == RS_REJECTED)
		json_object_set_new(doc, "rejection_reason", json_string(reason));
	if (t->to == RS_REFERRED) {
		referral_date(now, day);
		if (json_is_object(json_object_get(doc, "nsi")))
			json_object_set_new(json_object_get(doc, "nsi"), "referral_date", json_string(day));
		json_object_set_new(doc, "referral_date", json_string(day));
	}
	if (t->to == RS_COMPLETED) {
		if (outcome && strcmp(outcome, "completed") && strcmp(outcome, "ended_early"))
			return err_set(e, RC_BAD_INPUT, "outcome", "must be completed or ended_early");
		json_object_set_new(doc, "outcome", json_string(outcome && !strcmp(outcome, "ended_early")
								? "prematurely ended" : "completed"));
		set_end_date(doc, now);
	}
	json_array_append_new(json_object_get(doc, "history"),
			      sequenced(doc, history_entry(str(doc, "status"), lifecycle_name(t->to), u, now, reason)));
	set_status(doc, lifecycle_name(t->to), now);
	return RC_OK;
}

static const char *const amend_keys[] = {
	"notes", "expected_end_date", "level", "location", "prison", "release_date", NULL
};

enum rc referral_amend(json_t *doc, const struct service *s, json_t *changes, const char *why,
		       const struct user *u, int64_t now, struct err *e)
{
	const char *k;
	json_t *v;
	char at[21];
	enum rc rc;

	if (!json_is_object(changes) || !json_object_size(changes))
		return err_set(e, RC_BAD_INPUT, "changes", "give the fields to change");
	if ((rc = check_keys(changes, amend_keys, e)))
		return rc;
	if (strcmp(str(doc, "status"), "draft") && (!why || !*why))
		return err_set(e, RC_BAD_INPUT, "reason", "say why a sent referral is amended");
	iso_time(now, at);
	json_object_foreach(changes, k, v) {
		json_t *old = json_object_get(doc, k), *value = v;

		if (!strcmp(k, "notes")) {
			if ((rc = check_notes(v, e)))
				return rc;
		} else if (!strcmp(k, "expected_end_date") || !strcmp(k, "release_date")) {
			if (!json_is_null(v) && !referral_valid_date(json_string_value(v)))
				return err_set(e, RC_BAD_INPUT, k, "must be a YYYY-MM-DD date");
		} else if (!strcmp(k, "level")) {
			json_t *l = json_is_string(v) ? find_level(s, json_string_value(v)) : NULL;

			if (!l)
				return err_set(e, RC_BAD_INPUT, "level", "is not a level of this service");
			value = json_pack("{s:O,s:O,s:O?,s:O?}", "name", json_object_get(l, "name"),
					  "kind", json_object_get(l, "kind"), "hours",
					  json_object_get(l, "hours"), "up_to", json_object_get(l, "up_to"));
			if (str(l, "nsi_subtype") && json_is_object(json_object_get(doc, "nsi")))
				json_object_set(json_object_get(doc, "nsi"), "subtype", json_object_get(l, "nsi_subtype"));
		} else if (!json_is_string(v) || json_string_length(v) > 300) {
			return err_set(e, RC_BAD_INPUT, k, "must be text up to 300 characters");
		}
		json_array_append_new(json_object_get(doc, "amendments"), sequenced(doc, json_pack(
			"{s:s,s:O?,s:O,s:s?,s:s,s:s}", "field", k, "old", old, "new", value, "why", why,
			"by", u->username, "at", at)));
		if (!strcmp(k, "expected_end_date") && json_is_object(json_object_get(doc, "nsi")))
			json_object_set(json_object_get(doc, "nsi"), "expected_end_date", v);
		json_object_set(doc, k, value);
		if (value != v)
			json_decref(value);
	}
	json_object_set_new(doc, "updated_at", json_string(at));
	return RC_OK;
}

enum rc referral_note(json_t *doc, const char *text, const struct user *u, int64_t now,
		     struct err *e)
{
	char at[21];

	if (!text || !*text || strlen(text) > 10000)
		return err_set(e, RC_BAD_INPUT, "text", "a note of 1 to 10000 characters is required");
	iso_time(now, at);
	json_array_append_new(json_object_get(doc, "case_notes"), sequenced(doc, json_pack(
		"{s:s,s:s,s:s,s:s}", "text", text, "by", u->username, "side",
		u->role == ROLE_PROVIDER ? "provider" : "probation", "at", at)));
	json_object_set_new(doc, "updated_at", json_string(at));
	return RC_OK;
}

void referral_allocate(json_t *doc, const char *staff, const struct user *u, int64_t now)
{
	char at[21];

	iso_time(now, at);
	json_array_append_new(json_object_get(doc, "allocations"), sequenced(doc, json_pack(
		"{s:s,s:O,s:s,s:s}", "to", staff, "from", json_object_get(doc, "allocated_to"),
		"by", u->username, "at", at)));
	json_object_set_new(doc, "allocated_to", json_string(staff));
	json_object_set_new(json_object_get(doc, "transfer"), "officer", json_string(staff));
	json_object_set_new(doc, "updated_at", json_string(at));
}

int referral_visible(json_t *doc, const struct user *u)
{
	switch (u->role) {
	case ROLE_ADMIN:
		return 1;
	case ROLE_PRACTITIONER:
		return !strcmp(str(doc, "team"), u->team[0] ? u->team : u->username);
	case ROLE_PROVIDER:
		return !strcmp(str(json_object_get(doc, "provider"), "id"), u->provider) &&
		       strcmp(str(doc, "status"), "draft");
	default:
		return 0;
	}
}

json_t *referral_notify(json_t *doc, const struct user *u, const char *kind, const char *text)
{
	int to_team = u->role == ROLE_PROVIDER;

	return json_pack("[{s:s,s:s,s:s,s:{s:O,s:O,s:O,s:s,s:s,s:s}}]",
		"recipient_kind", to_team ? "team" : "provider",
		"recipient", to_team ? str(doc, "team") : str(json_object_get(doc, "provider"), "id"),
		"kind", kind,
		"payload", "referral", json_object_get(doc, "id"), "reference", json_object_get(doc, "reference"),
		"status", json_object_get(doc, "status"), "text", text, "by", u->username,
		"at", str(doc, "updated_at") ? str(doc, "updated_at") : "");
}
