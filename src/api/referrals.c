/*
 * referrals.c - the NSI process over HTTP: create a draft, send it (with the
 * eligibility re-check and the brochures' prerequisites), the provider's
 * accept / reject / start / complete, cancellation, amendments, case notes,
 * allocation, listings and the notification outbox.
 *
 * Every change is read-modify-write of the referral document under its
 * version (store.h refuses a stale one), so two clients racing on one
 * referral cannot both win; its notifications and its audit row are written
 * in the same transaction. A referral the caller may not see is answered
 * 404, as if it did not exist; every read of personal data is audited.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "api/app.h"
#include "engine/eligibility.h"
#include "referral/reference.h"
#include "referral/referral.h"

#define REFERENCE_TRIES 8

static const char *str(json_t *o, const char *k)
{
	return json_string_value(json_object_get(o, k));
}

/* How long a referral not yet final has waited in its status; 0 when it
 * is final (or its status time is unreadable): it has no waiting time. */
static int waiting(json_t *doc, int64_t now, int64_t *secs)
{
	const char *status = str(doc, "status"), *at = str(doc, "status_at");
	struct tm tm = { 0 };

	if (!status || !strcmp(status, "rejected") || !strcmp(status, "completed") ||
	    !strcmp(status, "cancelled") || !at || !strptime(at, "%Y-%m-%dT%H:%M:%SZ", &tm))
		return 0;
	*secs = now - (int64_t)timegm(&tm);
	if (*secs < 0)
		*secs = 0;
	return 1;
}

/* Answer a referral document with its version and waiting time: doc itself
 * with those added (every caller answers it and lets it go; a copy of the
 * whole document was a twentieth of a transition), as a new reference. */
static json_t *present(json_t *doc, int version, int full, int64_t now)
{
	json_t *out = json_incref(doc);
	int64_t secs;

	json_object_set_new(out, "version", json_integer(version));
	if (!full) {
		static const char *const heavy[] = { "history", "case_notes", "amendments", "allocations", NULL };

		for (int i = 0; heavy[i]; i++)
			json_object_del(out, heavy[i]);
	}
	if (waiting(doc, now, &secs)) {
		json_object_set_new(out, "waiting_seconds", json_integer(secs));
		json_object_set_new(out, "waiting_days", json_integer(secs / 86400));
	}
	return out;
}

/* The document of a change as text, for the store and the answer alike. */
static char *doc_text(json_t *doc)
{
	return json_dumps(doc, JSON_COMPACT | JSON_PRESERVE_ORDER);
}

/* Answer 200 with a changed referral: its stored text (doc_text) with the
 * version and waiting time added, the bytes present() and http_json() would
 * give, without dumping the whole document a second time. */
static void answer_changed(struct request *r, json_t *doc, const char *text, int version,
			   int64_t now)
{
	size_t len = text ? strlen(text) : 0;
	int64_t secs;

	buf_reset(&r->out);
	if (len < 2 || text[len - 1] != '}' || buf_add(&r->out, text, len - 1) ||
	    buf_addf(&r->out, ",\"version\":%d", version) ||
	    (waiting(doc, now, &secs) &&
	     buf_addf(&r->out, ",\"waiting_seconds\":%lld,\"waiting_days\":%lld", (long long)secs,
		      (long long)(secs / 86400))) ||
	    buf_addch(&r->out, '}')) {
		buf_reset(&r->out);
		http_json(r, 200, present(doc, version, 1, now));
		return;
	}
	http_raw(r, 200);
}

/* Load referral {id} (a number or a reference) if the caller may see it;
 * otherwise answer 404 and return NULL. */
static json_t *load(struct app *a, struct request *r, int64_t *id, int *version)
{
	const char *key = r->match.captures[0];
	struct err e = ERR_INIT;
	json_t *doc = NULL;
	char *end;
	enum rc rc;

	*id = strtoll(key, &end, 10);
	if (*end || *id <= 0) {
		/* not a number: the human-friendly reference */
		struct referral_filter f = { .reference = key, .include_drafts = 1, .limit = 1 };
		json_t *list = NULL;
		int total = 0;

		*id = 0;
		if (reference_valid(key) && !a->store->ops->referral_list(a->store, &f, &list, &total, &e) &&
		    json_array_size(list))
			*id = json_integer_value(json_object_get(json_array_get(list, 0), "id"));
		json_decref(list);
	}
	rc = *id ? a->store->ops->referral_get(a->store, *id, &doc, version, &e) : RC_NOT_FOUND;
	if (rc && rc != RC_NOT_FOUND) {
		http_fail(r, &e);
		return NULL;
	}
	if (rc || !referral_visible(doc, &r->user)) {
		json_decref(doc);
		http_error(r, 404, "not_found", "id", "no referral %s", key);
		return NULL;
	}
	return doc;
}

/* The catalogue service of a referral (it may have been edited or suspended
 * since; a referral keeps its own copy of what it needs). */
static const struct service *service_of(struct cathandle *h, json_t *doc)
{
	return catalogue_find(&h->cat, str(doc, "service"));
}

/* Recommended assessments the person has no live referral for. */
static void add_warnings(struct app *a, json_t *doc, const struct service *s, const struct catalogue *cat)
{
	json_t *warnings = json_array(), *ref;
	size_t i;

	json_array_foreach(json_object_get(s->json, "recommends"), i, ref) {
		struct referral_filter f = { .crn = str(json_object_get(doc, "person"), "crn"),
					     .service_id = str(ref, "service"), .include_drafts = 1, .limit = 50 };
		struct err e = ERR_INIT;
		json_t *list = NULL, *x;
		int total = 0, live = 0;
		size_t k;

		if (!a->store->ops->referral_list(a->store, &f, &list, &total, &e))
			json_array_foreach(list, k, x)
				live |= strcmp(str(x, "status"), "cancelled") && strcmp(str(x, "status"), "rejected");
		json_decref(list);
		if (!live) {
			const struct service *rs = catalogue_find(cat, str(ref, "service"));
			char msg[600];

			snprintf(msg, sizeof(msg), "%s (recommended first: %s)",
				 str(ref, "text") ? str(ref, "text") : "An assessment is recommended first",
				 rs ? rs->name : str(ref, "service"));
			json_array_append_new(warnings, json_string(msg));
		}
	}
	json_object_set_new(doc, "warnings", warnings);
}

/* The first referral for a CRN also opens the person's record, in the
 * referrer's team: the record the store opens with the referral unless the
 * CRN has one (which is left as it is). NULL without a CRN and name. */
static json_t *person_record(struct request *r, json_t *person)
{
	const char *crn = str(person, "crn"), *name = str(person, "name");

	if (!crn || !name)
		return NULL;
	return json_pack("{s:s,s:s,s:s,s:O?,s:[]}", "crn", crn, "name", name, "team",
			 r->user.team[0] ? r->user.team : r->user.username, "profile",
			 json_object_get(person, "profile"), "events");
}

/* The audit row of a change by r's user, written with the change. */
static struct audit_entry audit_of(struct request *r, const char *action, const char *detail)
{
	return (struct audit_entry){ .actor = r->user.username, .action = action, .object = NULL,
				     .address = r->address, .detail = detail };
}

void api_referral_create(void *app, struct request *r)
{
	struct app *a = app;
	struct err e = ERR_INIT;
	json_t *body = http_body_json(r), *doc = NULL, *profile, *person = NULL;
	struct cathandle *h = NULL;
	const struct service *s;
	const char *idem = http_header(r, "Idempotency-Key");
	struct audit_entry ae = audit_of(r, "referral_create", "");
	struct referral_write w = { .audit = &ae };
	struct profile p = { 0 };
	int64_t id = 0, now = (int64_t)time(NULL);
	int created = 0, version = 1;
	char object[64];
	enum rc rc = RC_OK;

	if (!body)
		return;
	if (idem && (!*idem || strlen(idem) > 200)) {
		http_error(r, 400, "bad_input", "Idempotency-Key", "must be 1 to 200 characters");
		goto out;
	}
	if (!(h = app_catalogue(a, &e))) {
		http_fail(r, &e);
		goto out;
	}
	if (!json_is_string(json_object_get(body, "service")) ||
	    !(s = catalogue_find(&h->cat, str(body, "service")))) {
		http_error(r, 400, "bad_input", "service", "must be a service id in the catalogue");
		goto out;
	}
	if (s->suspended) {
		http_error(r, 409, "conflict", "service", "%s is suspended: it cannot be bought now", s->id);
		goto out;
	}
	profile = json_object_get(json_object_get(body, "person"), "profile");
	if (profile && profile_from_json(&p, profile, &e)) {
		err_prefix_field(&e, "person.profile");
		http_fail(r, &e);
		goto out;
	}
	w.person = person = person_record(r, json_object_get(body, "person"));
	for (int tries = 0; tries < REFERENCE_TRIES; tries++) {
		json_decref(doc);
		if (referral_build(s, body, &r->user, now, &doc, &e)) {
			http_fail(r, &e);
			goto out;
		}
		add_warnings(a, doc, s, &h->cat);
		rc = a->store->ops->referral_create(a->store, doc, idem, &w, &id, &created, &e);
		if (!(rc == RC_CONFLICT && !strcmp(e.field, "reference")))
			break;
	}
	if (rc) {
		http_fail(r, &e);
		goto out;
	}
	if (!created) {
		/* the same Idempotency-Key again: answer the first referral */
		json_decref(doc);
		if (a->store->ops->referral_get(a->store, id, &doc, &version, &e)) {
			doc = NULL;
			http_fail(r, &e);
			goto out;
		}
	}
	if (!created) {
		snprintf(object, sizeof(object), "referral:%lld", (long long)id);
		app_audit(a, r, "referral_create_repeat", object, "");
	}
	http_json(r, created ? 201 : 200, present(doc, version, 1, now));
out:
	profile_clear(&p);
	json_decref(person);
	json_decref(doc);
	json_decref(body);
	cathandle_put(h);
}

void api_referral_get(void *app, struct request *r)
{
	struct app *a = app;
	int64_t id;
	int version;
	json_t *doc = load(a, r, &id, &version);
	char object[64];

	if (!doc)
		return;
	snprintf(object, sizeof(object), "referral:%lld", (long long)id);
	app_audit(a, r, "referral_read", object, "");
	http_json(r, 200, present(doc, version, 1, (int64_t)time(NULL)));
	json_decref(doc);
}

void api_referral_list(void *app, struct request *r)
{
	struct app *a = app;
	struct err e = ERR_INIT;
	struct referral_filter f = { 0 };
	json_t *docs = NULL, *out, *x;
	const char *inbox = query_get(&r->query, "inbox");
	long page = 1, per_page = 50;
	int total = 0;
	int64_t now = (int64_t)time(NULL);
	size_t i;
	char *end;

	for (size_t k = 0; k < r->query.n; k++) {
		static const char *const known[] = { "status", "service", "provider", "crn", "inbox",
						     "page", "per_page", NULL };
		int ok = 0;

		for (int j = 0; known[j]; j++)
			ok |= !strcmp(r->query.p[k].key, known[j]);
		if (!ok) {
			http_error(r, 400, "bad_input", r->query.p[k].key, "is not a filter of referrals");
			return;
		}
	}
	f.status = query_get(&r->query, "status");
	if (f.status && lifecycle_parse(f.status) < 0) {
		http_error(r, 400, "bad_input", "status", "'%s' is not a referral status", f.status);
		return;
	}
	f.service_id = query_get(&r->query, "service");
	f.crn = query_get(&r->query, "crn");
	f.provider_id = query_get(&r->query, "provider");
	if (query_get(&r->query, "page")) {
		page = strtol(query_get(&r->query, "page"), &end, 10);
		if (*end || page < 1 || page > 100000) {
			http_error(r, 400, "bad_input", "page", "must be a whole number from 1");
			return;
		}
	}
	if (query_get(&r->query, "per_page")) {
		per_page = strtol(query_get(&r->query, "per_page"), &end, 10);
		if (*end || per_page < 1 || per_page > 200) {
			http_error(r, 400, "bad_input", "per_page", "must be from 1 to 200");
			return;
		}
	}
	/* what the caller may see, whatever the filters ask */
	switch (r->user.role) {
	case ROLE_PROVIDER:
		f.provider_id = r->user.provider;
		break;
	case ROLE_PRACTITIONER:
		f.team = r->user.team[0] ? r->user.team : r->user.username;
		f.include_drafts = 1;
		break;
	default:
		f.include_drafts = 1;
	}
	if (inbox && strcmp(inbox, "0")) {
		/* the hub's inbox: new referrals, oldest first */
		f.status = "referred";
		f.oldest_first = 1;
	}
	f.limit = (int)per_page;
	f.offset = (int)((page - 1) * per_page);
	if (a->store->ops->referral_list(a->store, &f, &docs, &total, &e)) {
		json_decref(docs);
		http_fail(r, &e);
		return;
	}
	out = json_array();
	json_array_foreach(docs, i, x)
		json_array_append_new(out, present(x, (int)json_integer_value(json_object_get(x, "version")), 0, now));
	json_decref(docs);
	app_audit(a, r, "referral_list", "referrals", "");
	http_json(r, 200, json_pack("{s:o,s:i,s:i,s:i}", "referrals", out, "total", total, "page",
				    (int)page, "per_page", (int)per_page));
}

/* The profile to check, with `completed` extended by the services this
 * person has completed referrals for: ratecard knows what it delivered
 * (Through the Gate level one before level two). A new reference. */
static json_t *with_completed(struct app *a, json_t *doc, json_t *profile)
{
	struct referral_filter f = { .crn = str(json_object_get(doc, "person"), "crn"),
				     .status = "completed", .limit = 200 };
	json_t *out = profile && json_is_object(profile) ? json_deep_copy(profile) : json_object();
	json_t *list = NULL, *x, *completed = json_object_get(out, "completed");
	struct err e = ERR_INIT;
	int total;
	size_t i;

	if (a->store->ops->referral_list(a->store, &f, &list, &total, &e) || !json_array_size(list)) {
		json_decref(list);
		return out;
	}
	if (!json_is_array(completed)) {
		completed = json_array();
		json_object_set_new(out, "completed", completed);
	}
	json_array_foreach(list, i, x)
		if (!strcmp(str(x, "outcome") ? str(x, "outcome") : "", "completed"))
			json_array_append(completed, json_object_get(x, "service"));
	json_decref(list);
	return out;
}

/* The eligibility re-check when a referral is sent. Answers and returns -1
 * when the referral must not go (ineligible or unsuitable without an
 * override reason). */
static int recheck(struct app *a, struct request *r, json_t *doc, const struct service *s,
		   const char *override)
{
	json_t *profile = json_object_get(json_object_get(doc, "person"), "profile"), *stored = NULL;
	json_t *failed = json_array(), *unknown = json_array(), *check;
	uint8_t outcomes[CATALOGUE_MAX_CRITERIA];
	struct profile p = { 0 };
	struct err e = ERR_INIT;
	enum elig_status st;
	int version;

	if (!profile && !a->store->ops->person_get(a->store, str(json_object_get(doc, "person"), "crn"),
						    &stored, &version, &e))
		profile = json_object_get(stored, "profile");
	profile = with_completed(a, doc, profile);
	if (profile_from_json(&p, profile, &e)) {
		profile_clear(&p);
		memset(&p, 0, sizeof(p));
		if (profile_from_json(&p, json_object(), &e))
			return -1;
	}
	st = elig_check(s, &p, outcomes);
	for (size_t k = 0; k < s->ncrit; k++) {
		if ((s->crit[k].kind == CRIT_ELIGIBILITY && outcomes[k] == TV_FALSE) ||
		    (s->crit[k].kind == CRIT_NOT_SUITABLE && outcomes[k] == TV_TRUE))
			json_array_append_new(failed, json_string(s->crit[k].text));
		else if (outcomes[k] >= TV_UNKNOWN)
			json_array_append_new(unknown, json_pack("{s:s,s:s,s:s}", "kind",
				s->crit[k].kind == CRIT_ELIGIBILITY ? "eligibility" : "not_suitable",
				"text", s->crit[k].text, "outcome", truth_outcome_name((enum truth)outcomes[k])));
	}
	profile_clear(&p);
	json_decref(profile);
	json_decref(stored);
	check = json_pack("{s:s,s:o,s:o,s:s?}", "status", elig_status_name(st), "failed", failed,
			  "to_confirm", unknown, "override_reason", override);
	if ((st == ES_INELIGIBLE || st == ES_UNSUITABLE) && !override) {
		char msg[1024];
		char *list = json_dumps(json_object_get(check, "failed"), JSON_COMPACT);

		snprintf(msg, sizeof(msg), "the person is %s for %s: %s; give override_reason to send it anyway",
			 elig_status_name(st), s->name, list ? list : "");
		free(list);
		json_decref(check);
		http_error(r, 409, "ineligible", "override_reason", "%s", msg);
		return -1;
	}
	json_object_set_new(doc, "eligibility", check);
	return 0;
}

/* The brochure's prerequisites (Through the Gate level one before two, the
 * Community Integration assessment before its support services): a live or
 * completed referral for each, or the profile's `completed` list. */
static int prerequisites(struct app *a, struct request *r, json_t *doc, const struct service *s,
			 const char *override)
{
	json_t *ref, *profile = json_object_get(json_object_get(doc, "person"), "profile");
	json_t *missing = json_array();
	size_t i;

	json_array_foreach(json_object_get(s->json, "requires"), i, ref) {
		struct referral_filter f = { .crn = str(json_object_get(doc, "person"), "crn"),
					     .service_id = str(ref, "service"), .limit = 50 };
		struct err e = ERR_INIT;
		json_t *list = NULL, *x, *done;
		int total = 0, met = 0;
		size_t k;

		json_array_foreach(json_object_get(profile, "completed"), k, done)
			met |= json_is_string(done) && !strcmp(json_string_value(done), str(ref, "service"));
		if (!a->store->ops->referral_list(a->store, &f, &list, &total, &e))
			json_array_foreach(list, k, x)
				met |= !strcmp(str(x, "status"), "referred") || !strcmp(str(x, "status"), "accepted") ||
				       !strcmp(str(x, "status"), "in_progress") || !strcmp(str(x, "status"), "completed");
		json_decref(list);
		if (!met)
			json_array_append_new(missing, json_string(str(ref, "service")));
	}
	if (json_array_size(missing) && !override) {
		char *list = json_dumps(missing, JSON_COMPACT);

		http_error(r, 409, "prerequisite", "override_reason",
			   "%s needs %s first; refer to that first, or give override_reason", s->name,
			   list ? list : "");
		free(list);
		json_decref(missing);
		return -1;
	}
	if (json_array_size(missing))
		json_object_set_new(doc, "prerequisites_overridden", missing);
	else
		json_decref(missing);
	return 0;
}

/* Before sending: the choices the NSI needs are made. */
static int ready_to_send(struct request *r, json_t *doc, const struct service *s)
{
	json_t *nsi = json_object_get(doc, "nsi");
	json_t *subtypes = json_object_get(json_object_get(s->json, "nsi"), "subtypes");
	json_t *levels = json_object_get(s->json, "levels");

	if (json_is_object(nsi) && json_array_size(subtypes) > 1 && !str(nsi, "subtype")) {
		char *list = json_dumps(subtypes, JSON_COMPACT);

		http_error(r, 400, "bad_input", "subtype", "choose the NSI sub-type: %s", list ? list : "");
		free(list);
		return -1;
	}
	if (json_array_size(levels) > 1 && json_is_null(json_object_get(doc, "level"))) {
		http_error(r, 400, "bad_input", "level", "choose a level of this service (amend the draft)");
		return -1;
	}
	return 0;
}

void api_referral_transition(void *app, struct request *r)
{
	struct app *a = app;
	struct err e = ERR_INIT;
	json_t *body = http_body_json(r), *doc = NULL, *outbox = NULL, *v;
	struct cathandle *h = NULL;
	const struct service *s;
	const struct transition *t;
	struct referral_write w = { NULL };
	int64_t id, now = (int64_t)time(NULL);
	int version, new_version, to, from;
	const char *override, *key;
	char detail[256], *text = NULL;
	struct audit_entry ae = audit_of(r, "referral_transition", detail);

	if (!body)
		return;
	json_object_foreach(body, key, v) {
		if (strcmp(key, "to") && strcmp(key, "reason") && strcmp(key, "reason_code") &&
		    strcmp(key, "version") && strcmp(key, "outcome") && strcmp(key, "override_reason")) {
			http_error(r, 400, "bad_input", key, "is not a field of a transition");
			goto out;
		}
	}
	if ((to = lifecycle_parse(str(body, "to"))) < 0) {
		http_error(r, 400, "bad_input", "to", "must be a referral status");
		goto out;
	}
	v = json_object_get(body, "version");
	if (v && (!json_is_integer(v) || json_integer_value(v) < 1)) {
		http_error(r, 400, "bad_input", "version", "must be the referral's version");
		goto out;
	}
	override = str(body, "override_reason");
	if (!(doc = load(a, r, &id, &version)))
		goto out;
	if (v && json_integer_value(v) != version) {
		http_error(r, 409, "conflict", "version", "the referral is at version %d, not %lld; reload it",
			   version, (long long)json_integer_value(v));
		goto out;
	}
	from = lifecycle_parse(str(doc, "status"));
	if (lifecycle_check((enum rstatus)from, (enum rstatus)to, r->user.role, &t, &e)) {
		http_fail(r, &e);
		goto out;
	}
	if (!(h = app_catalogue(a, &e))) {
		http_fail(r, &e);
		goto out;
	}
	if (!(s = service_of(h, doc))) {
		http_error(r, 409, "conflict", "service", "the service is no longer in the catalogue");
		goto out;
	}
	if (to == RS_REFERRED && (ready_to_send(r, doc, s) || recheck(a, r, doc, s, override) ||
				  prerequisites(a, r, doc, s, override)))
		goto out;
	if (referral_move(doc, s, t, body, &r->user, now, &e)) {
		http_fail(r, &e);
		goto out;
	}
	outbox = referral_notify(doc, &r->user, "status", t->what);
	w.outbox = outbox;
	snprintf(detail, sizeof(detail), "{\"from\":\"%s\",\"to\":\"%s\"%s}", lifecycle_name((enum rstatus)from),
		 lifecycle_name((enum rstatus)to), override ? ",\"override\":true" : "");
	w.audit = &ae;
	w.text = text = doc_text(doc);
	if (a->store->ops->referral_update(a->store, id, version, doc, &w, &new_version, &e)) {
		http_fail(r, &e);
		goto out;
	}
	answer_changed(r, doc, text, new_version, now);
out:
	free(text);
	json_decref(outbox);
	json_decref(doc);
	json_decref(body);
	cathandle_put(h);
}

/* Shared by amend, note and allocate: load, change, store under version. */
static void update_with(struct app *a, struct request *r, const char *action,
			enum rc (*change)(struct app *, struct request *, json_t *doc, json_t *body,
					  const struct service *s, struct err *e))
{
	struct err e = ERR_INIT;
	json_t *body = http_body_json(r), *doc = NULL, *outbox = NULL, *v;
	struct cathandle *h = NULL;
	struct audit_entry ae = audit_of(r, action, "");
	struct referral_write w = { .audit = &ae };
	int64_t id;
	int version, new_version;
	char *text = NULL;

	if (!body)
		return;
	v = json_object_get(body, "version");
	if (v && (!json_is_integer(v) || json_integer_value(v) < 1)) {
		http_error(r, 400, "bad_input", "version", "must be the referral's version");
		goto out;
	}
	if (!(doc = load(a, r, &id, &version)))
		goto out;
	if (v && json_integer_value(v) != version) {
		http_error(r, 409, "conflict", "version", "the referral is at version %d; reload it", version);
		goto out;
	}
	if (!(h = app_catalogue(a, &e))) {
		http_fail(r, &e);
		goto out;
	}
	if (change(a, r, doc, body, service_of(h, doc), &e)) {
		if (!r->responded)
			http_fail(r, &e);
		goto out;
	}
	outbox = referral_notify(doc, &r->user, action, action);
	w.outbox = outbox;
	w.text = text = doc_text(doc);
	if (a->store->ops->referral_update(a->store, id, version, doc, &w, &new_version, &e)) {
		http_fail(r, &e);
		goto out;
	}
	answer_changed(r, doc, text, new_version, (int64_t)time(NULL));
out:
	free(text);
	json_decref(outbox);
	json_decref(doc);
	json_decref(body);
	cathandle_put(h);
}

static enum rc do_amend(struct app *a, struct request *r, json_t *doc, json_t *body,
			const struct service *s, struct err *e)
{
	const char *key;
	json_t *v;

	(void)a;
	json_object_foreach(body, key, v)
		if (strcmp(key, "changes") && strcmp(key, "reason") && strcmp(key, "version"))
			return err_set(e, RC_BAD_INPUT, key, "is not a field of an amendment");
	if (lifecycle_is_final((enum rstatus)lifecycle_parse(str(doc, "status"))))
		return err_set(e, RC_CONFLICT, "status", "a %s referral cannot be amended", str(doc, "status"));
	if (!s)
		return err_set(e, RC_CONFLICT, "service", "the service is no longer in the catalogue");
	return referral_amend(doc, s, json_object_get(body, "changes"), str(body, "reason"), &r->user,
			      (int64_t)time(NULL), e);
}

static enum rc do_note(struct app *a, struct request *r, json_t *doc, json_t *body,
		       const struct service *s, struct err *e)
{
	(void)a;
	(void)s;
	return referral_note(doc, str(body, "text"), &r->user, (int64_t)time(NULL), e);
}

static enum rc do_allocate(struct app *a, struct request *r, json_t *doc, json_t *body,
			   const struct service *s, struct err *e)
{
	const char *staff = str(body, "staff");
	struct user u;

	(void)s;
	if (r->user.role != ROLE_PROVIDER)
		return err_set(e, RC_FORBIDDEN, "", "only the provider's staff allocate its referrals");
	if (!staff || !*staff)
		return err_set(e, RC_BAD_INPUT, "staff", "name the member of staff (a username)");
	if (a->store->ops->user_get(a->store, staff, &u, e) || u.role != ROLE_PROVIDER ||
	    strcmp(u.provider, r->user.provider))
		return err_set(e, RC_BAD_INPUT, "staff", "'%s' is not a member of this provider's staff", staff);
	if (lifecycle_is_final((enum rstatus)lifecycle_parse(str(doc, "status"))))
		return err_set(e, RC_CONFLICT, "status", "a %s referral cannot be allocated", str(doc, "status"));
	referral_allocate(doc, staff, &r->user, (int64_t)time(NULL));
	return RC_OK;
}

void api_referral_amend(void *app, struct request *r)
{
	update_with(app, r, "amended", do_amend);
}

void api_referral_note(void *app, struct request *r)
{
	update_with(app, r, "note", do_note);
}

void api_referral_allocate(void *app, struct request *r)
{
	update_with(app, r, "allocated", do_allocate);
}

void api_outbox(void *app, struct request *r)
{
	struct app *a = app;
	struct err e = ERR_INIT;
	json_t *list;
	int provider = r->user.role == ROLE_PROVIDER;
	const char *who = provider ? r->user.provider : (r->user.team[0] ? r->user.team : r->user.username);

	if (a->store->ops->outbox_list(a->store, provider ? "provider" : "team", who, 100, &list, &e)) {
		json_decref(list);
		http_fail(r, &e);
		return;
	}
	http_json(r, 200, json_pack("{s:s,s:s,s:o}", "recipient_kind", provider ? "provider" : "team",
				    "recipient", who, "notifications", list));
}
