/*
 * referrals.c - the referral pages: making a referral (who, the details,
 * check your answers and send, the confirmation), the practitioner team's
 * list and the provider's inbox, one referral's record with its timeline,
 * case notes and allocation, and a confirmation page for each move.
 *
 * Pages hold no referral rules. Every change is a call to the referral
 * API's handler (web_call), so checks, audit and notifications are the
 * API's, and its errors come back as the GOV.UK error summary. Which moves a
 * page offers is asked of the lifecycle table (lifecycle_check), never
 * restated here; forms only insist on what a person must fill in.
 */
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "referral/lifecycle.h"
#include "referral/referral.h"
#include "web/web.h"

#define LIST_PAGE_SIZE 25

static const char *const months[] = { "January", "February", "March", "April", "May", "June",
				      "July", "August", "September", "October", "November", "December" };

/* --- small helpers --- */

static const char *str(json_t *o, const char *k)
{
	return json_string_value(json_object_get(o, k));
}

static const char *form_get(const struct query *form, const char *key)
{
	const char *v = query_get(form, key);

	return v ? v : "";
}

/* A form value with the spaces around it removed, in the arena. */
static const char *trimmed(struct request *r, const struct query *form, const char *key)
{
	const char *v = form_get(form, key);
	char *copy;
	size_t n;

	while (*v == ' ' || *v == '\t' || *v == '\r' || *v == '\n')
		v++;
	n = strlen(v);
	while (n && (v[n - 1] == ' ' || v[n - 1] == '\t' || v[n - 1] == '\r' || v[n - 1] == '\n'))
		n--;
	copy = arena_strndup(&r->arena, v, n);
	return copy ? copy : "";
}

/* The API's message with a capital letter, for the error summary. */
static const char *api_message(struct request *r, json_t *answer, const char *fallback)
{
	char *m = arena_strdup(&r->arena, web_error_message(answer, fallback));

	if (m && m[0] >= 'a' && m[0] <= 'z')
		m[0] = (char)(m[0] - 'a' + 'A');
	return m ? m : fallback;
}

static const char *api_code(json_t *answer)
{
	const char *c = str(json_object_get(answer, "error"), "code");

	return c ? c : "";
}

/* "2026-12-04" (or the date of an ISO time) -> "4 December 2026". */
static const char *date_words(struct request *r, const char *s)
{
	struct tm tm = { 0 };

	if (!s || !*s)
		return "";
	if (!strptime(s, "%Y-%m-%d", &tm))
		return s;
	return arena_sprintf(&r->arena, "%d %s %d", tm.tm_mday, months[tm.tm_mon], tm.tm_year + 1900);
}

/* 01:00 UTC on the last Sunday of month mon (0-11): when UK clocks change. */
static time_t last_sunday(int year, int mon)
{
	struct tm tm = { .tm_year = year - 1900, .tm_mon = mon + 1, .tm_mday = 0, .tm_hour = 1 };
	time_t t = timegm(&tm);
	struct tm d;

	gmtime_r(&t, &d);
	return t - (time_t)d.tm_wday * 86400;
}

/* "2026-12-04T10:04:00Z" in UK time: "4 December 2026 at 10:04am". */
static const char *time_words(struct request *r, const char *iso)
{
	struct tm tm = { 0 };
	time_t t;
	int h;

	if (!iso || !strptime(iso, "%Y-%m-%dT%H:%M:%SZ", &tm))
		return date_words(r, iso);
	t = timegm(&tm);
	if (t >= last_sunday(tm.tm_year + 1900, 2) && t < last_sunday(tm.tm_year + 1900, 9))
		t += 3600; /* British Summer Time */
	gmtime_r(&t, &tm);
	h = tm.tm_hour % 12;
	return arena_sprintf(&r->arena, "%d %s %d at %d:%02d%s", tm.tm_mday, months[tm.tm_mon],
			     tm.tm_year + 1900, h ? h : 12, tm.tm_min, tm.tm_hour < 12 ? "am" : "pm");
}

/* Whole days from a YYYY-MM-DD date to now; -1 when there is no date. */
static long days_since(const char *date, time_t now)
{
	struct tm tm = { 0 };
	long d;

	if (!date || !strptime(date, "%Y-%m-%d", &tm))
		return -1;
	d = (long)((now - timegm(&tm)) / 86400);
	return d < 0 ? 0 : d;
}

static const char *money(struct request *r, json_int_t pence)
{
	return arena_sprintf(&r->arena, "\u00a3%lld.%02lld", (long long)(pence / 100), (long long)(pence % 100));
}

/* --- statuses, moves and the words for them --- */

static const struct status_words {
	const char *status, *tag_class, *event;
} status_words[] = {
	{ "draft", "govuk-tag--grey", "Draft started" },
	{ "referred", "", "Referral sent" },
	{ "accepted", "govuk-tag--turquoise", "Referral accepted" },
	{ "rejected", "govuk-tag--red", "Referral rejected" },
	{ "in_progress", "govuk-tag--purple", "Referral started" },
	{ "completed", "govuk-tag--green", "Referral completed" },
	{ "cancelled", "govuk-tag--orange", "Referral cancelled" },
};

static const struct status_words *words_of(const char *status)
{
	for (size_t i = 0; status && i < sizeof(status_words) / sizeof(status_words[0]); i++)
		if (!strcmp(status_words[i].status, status))
			return &status_words[i];
	return NULL;
}

/* "in_progress" -> "in progress", for the middle of a sentence. */
static const char *status_lower(struct request *r, const char *status)
{
	char *out = arena_strdup(&r->arena, status);

	for (char *p = out; p && *p; p++)
		if (*p == '_')
			*p = ' ';
	return out ? out : status;
}

static json_t *status_tag(struct request *r, const char *status)
{
	const struct status_words *w = words_of(status);

	return json_pack("{s:s, s:s}", "text", web_humanise(r, status), "class", w ? w->tag_class : "");
}

/* The moves a page can ask for, by the name in its URL. */
static const struct action {
	const char *name;
	enum rstatus to;
	const char *done;        /* ?done= on the referral page afterwards */
	const char *link;        /* the button on the referral page */
} actions[] = {
	{ "accept", RS_ACCEPTED, "accepted", "Accept referral" },
	{ "reject", RS_REJECTED, "rejected", "Reject referral" },
	{ "start", RS_IN_PROGRESS, "started", "Record the start" },
	{ "complete", RS_COMPLETED, "completed", "Record the end" },
	{ "cancel", RS_CANCELLED, "cancelled", "Cancel referral" },
};

static const struct action *action_named(const char *name)
{
	for (size_t i = 0; name && i < sizeof(actions) / sizeof(actions[0]); i++)
		if (!strcmp(actions[i].name, name))
			return &actions[i];
	return NULL;
}

/* A practitioner withdraws a sent referral; a draft, or the provider's, is cancelled. */
static const char *verb_of(const struct action *act, struct request *r, json_t *doc)
{
	if (act->to == RS_CANCELLED && r->user.role == ROLE_PRACTITIONER && strcmp(web_str(doc, "status", ""), "draft"))
		return "withdraw";
	return act->name;
}

/* May this user make this move now? The lifecycle table answers. */
static int may_move(struct request *r, json_t *doc, const struct action *act, const struct transition **t,
		    struct err *e)
{
	int from = lifecycle_parse(str(doc, "status"));

	if (from < 0) {
		err_set(e, RC_CONFLICT, "status", "the referral has no status");
		return -1;
	}
	return lifecycle_check((enum rstatus)from, act->to, r->user.role, t, e) ? -1 : 0;
}

static const struct done_words {
	const char *done, *text;
} done_words[] = {
	{ "accepted", "Referral accepted" },
	{ "rejected", "Referral rejected" },
	{ "started", "Referral started: it is now in progress" },
	{ "completed", "Referral completed" },
	{ "cancelled", "Referral cancelled" },
	{ "withdrawn", "Referral withdrawn" },
	{ "note", "Case note added" },
	{ "allocated", "Referral allocated" },
};

static const char *done_text(const char *done)
{
	for (size_t i = 0; done && i < sizeof(done_words) / sizeof(done_words[0]); i++)
		if (!strcmp(done_words[i].done, done))
			return done_words[i].text;
	return NULL;
}

/* --- fetching through the API --- */

static const char *referral_href(struct request *r, json_t *doc)
{
	return arena_sprintf(&r->arena, "/referrals/%lld", (long long)json_integer_value(json_object_get(doc, "id")));
}

/* The referral of the path's {id}, or the error page answered and NULL. */
static json_t *referral_or_error(struct app *a, struct request *r)
{
	json_t *doc = NULL;
	int status = web_call(a, r, api_referral_get, NULL, NULL, r->match.captures[0], NULL, &doc);

	if (status == 200 && json_is_object(doc))
		return doc;
	web_page_error(a, r, status == 200 ? 500 : status,
		       status == 404 ? "There is no such referral, or it is not one you can see."
				     : web_error_message(doc, "The referral could not be read."));
	json_decref(doc);
	return NULL;
}

/* One catalogue service by its PROVIDER/SERVICE id: the status answered. */
static int service_get(struct app *a, struct request *r, const char *id, json_t **out)
{
	const char *slash = id ? strchr(id, '/') : NULL;

	*out = NULL;
	if (!slash || slash == id || !slash[1])
		return 404;
	return web_call(a, r, api_service_get, NULL, NULL, arena_strndup(&r->arena, id, (size_t)(slash - id)),
			slash + 1, out);
}

/* The person's record (team's own), or NULL. */
static json_t *person_get(struct app *a, struct request *r, const char *crn)
{
	json_t *p = NULL;

	if (!crn || !*crn || web_call(a, r, api_person_get, NULL, NULL, crn, NULL, &p) != 200) {
		json_decref(p);
		return NULL;
	}
	return p;
}

/* --- GOV.UK date inputs --- */

/* Fill shown with NAME_day/_month/_year from a YYYY-MM-DD date. */
static void date_to_form(json_t *shown, const char *name, const char *date)
{
	struct tm tm = { 0 };
	char key[64], n[16];

	if (!date || !strptime(date, "%Y-%m-%d", &tm))
		return;
	snprintf(key, sizeof(key), "%s_day", name);
	snprintf(n, sizeof(n), "%d", tm.tm_mday);
	json_object_set_new(shown, key, json_string(n));
	snprintf(key, sizeof(key), "%s_month", name);
	snprintf(n, sizeof(n), "%d", tm.tm_mon + 1);
	json_object_set_new(shown, key, json_string(n));
	snprintf(key, sizeof(key), "%s_year", name);
	snprintf(n, sizeof(n), "%d", tm.tm_year + 1900);
	json_object_set_new(shown, key, json_string(n));
}

static int digits(const char *s, size_t min, size_t max)
{
	size_t n = strlen(s);

	if (n < min || n > max)
		return 0;
	for (; *s; s++)
		if (*s < '0' || *s > '9')
			return 0;
	return 1;
}

/* Read the date input NAME (fields NAME-day, NAME-month, NAME-year) into
 * shown and answer YYYY-MM-DD, "" when left empty (an error too when
 * required), or NULL with an error added. label starts the messages. */
static const char *date_from_form(struct request *r, const struct query *form, const char *name,
				  const char *label, int required, json_t *shown, json_t *errors)
{
	static const char *const parts[] = { "day", "month", "year" };
	const char *v[3], *missing[3];
	size_t nmissing = 0;
	char key[64];
	const char *date;

	for (int i = 0; i < 3; i++) {
		snprintf(key, sizeof(key), "%s-%s", name, parts[i]);
		v[i] = trimmed(r, form, key);
		snprintf(key, sizeof(key), "%s_%s", name, parts[i]);
		json_object_set_new(shown, key, json_string(v[i]));
		if (!*v[i])
			missing[nmissing++] = parts[i];
	}
	if (nmissing == 3) {
		if (required)
			web_add_error(r, errors, name, arena_sprintf(&r->arena, "#%s-day", name),
				     arena_sprintf(&r->arena, "Enter the %s", label));
		return required ? NULL : "";
	}
	if (nmissing) {
		web_add_error(r, errors, name, arena_sprintf(&r->arena, "#%s-%s", name, missing[0]),
			     arena_sprintf(&r->arena, "The %s must include a %s%s%s", label, missing[0],
					   nmissing > 1 ? " and " : "", nmissing > 1 ? missing[1] : ""));
		return NULL;
	}
	if (!digits(v[2], 4, 4)) {
		web_add_error(r, errors, name, arena_sprintf(&r->arena, "#%s-year", name),
			     "The year must include 4 numbers");
		return NULL;
	}
	date = digits(v[0], 1, 2) && digits(v[1], 1, 2)
		       ? arena_sprintf(&r->arena, "%s-%02ld-%02ld", v[2], strtol(v[1], NULL, 10), strtol(v[0], NULL, 10))
		       : "";
	if (!referral_valid_date(date)) {
		web_add_error(r, errors, name, arena_sprintf(&r->arena, "#%s-day", name),
			     arena_sprintf(&r->arena, "The %s must be a real date", label));
		return NULL;
	}
	return date;
}

static const char *today(struct request *r)
{
	char day[11];

	referral_date((int64_t)time(NULL), day);
	return arena_strdup(&r->arena, day);
}

/* ======================================================================
 * Who are you referring? (GET and POST /referrals/new)
 * ====================================================================== */

/* Radios for the service's levels, or none when it has one or none. */
static json_t *level_choices(struct request *r, json_t *service, const char *chosen)
{
	json_t *out = json_array(), *l, *levels = json_object_get(service, "levels");
	size_t i;

	if (json_array_size(levels) < 2)
		return out;
	json_array_foreach(levels, i, l) {
		const char *name = web_str(l, "name", "");
		json_t *hours = json_object_get(l, "hours");
		const char *hint = web_humanise(r, web_str(l, "kind", ""));

		if (json_is_number(hours))
			hint = arena_sprintf(&r->arena, "%s%s%s%g hours", hint, *hint ? ", " : "",
					     json_is_true(json_object_get(l, "up_to")) ? "up to " : "",
					     json_number_value(hours));
		json_array_append_new(out, json_pack("{s:s, s:s, s:s, s:s, s:b}", "value", name, "text", name,
						     "hint", hint, "id",
						     i ? arena_sprintf(&r->arena, "level-%zu", i + 1) : "level",
						     "checked", chosen && !strcmp(chosen, name)));
	}
	return out;
}

static json_t *subtype_choices(struct request *r, json_t *service, const char *chosen)
{
	json_t *out = json_array(), *x, *subtypes = json_object_get(json_object_get(service, "nsi"), "subtypes");
	size_t i;

	if (json_array_size(subtypes) < 2)
		return out;
	json_array_foreach(subtypes, i, x) {
		const char *name = json_string_value(x) ? json_string_value(x) : "";

		json_array_append_new(out, json_pack("{s:s, s:s, s:s, s:b}", "value", name, "text", name, "id",
						     i ? arena_sprintf(&r->arena, "subtype-%zu", i + 1) : "subtype",
						     "checked", chosen && !strcmp(chosen, name)));
	}
	return out;
}

static void who_page(struct app *a, struct request *r, int status, json_t *service, json_t *form,
		     json_t *errors)
{
	json_t *v = web_view(a, r, "Who are you referring?", "referrals");
	json_t *levels = level_choices(r, service, str(form, "level"));
	json_t *subtypes = subtype_choices(r, service, str(form, "subtype"));

	json_object_set_new(v, "service", json_pack("{s:O, s:O, s:O}", "id", json_object_get(service, "id"),
						    "name", json_object_get(service, "name"), "provider",
						    json_object_get(service, "provider")));
	json_object_set_new(v, "subtype_hint", json_boolean(json_array_size(levels) && json_array_size(subtypes)));
	json_object_set_new(v, "has_levels", json_boolean(json_array_size(levels) > 0));
	json_object_set_new(v, "has_subtypes", json_boolean(json_array_size(subtypes) > 0));
	json_object_set_new(v, "levels", levels);
	json_object_set_new(v, "subtypes", subtypes);
	json_object_set_new(v, "form", form);
	json_object_set_new(v, "back", json_pack("{s:s, s:s}", "href",
						 arena_sprintf(&r->arena, "/services/%s", web_str(service, "id", "")),
						 "text", "Back"));
	if (errors)
		json_object_set_new(v, "errors", errors);
	web_render(a, r, status, "referral-new", v);
}

/* The service a new referral is for, or the error page answered and NULL. */
static json_t *service_for_new(struct app *a, struct request *r, const char *id)
{
	json_t *s = NULL;
	int status = service_get(a, r, id, &s);

	if (status != 200) {
		json_decref(s);
		web_page_error(a, r, 404, "Choose the service first: find it under Find a service, then "
					  "select Refer a person.");
		return NULL;
	}
	if (!strcmp(web_str(s, "status", ""), "suspended")) {
		web_page_error(a, r, 409, arena_sprintf(&r->arena, "%s is suspended: it cannot take referrals now.",
							web_str(s, "name", "The service")));
		json_decref(s);
		return NULL;
	}
	return s;
}

void web_referral_new(void *app, struct request *r)
{
	struct app *a = app;
	json_t *service = service_for_new(a, r, query_get(&r->query, "service")), *form, *person;
	const char *crn = query_get(&r->query, "crn");

	if (!service)
		return;
	form = json_pack("{s:s}", "crn", crn ? crn : "");
	if ((person = person_get(a, r, crn))) {
		json_object_set(form, "name", json_object_get(person, "name"));
		date_to_form(form, "dob", str(person, "date_of_birth"));
		json_decref(person);
	}
	who_page(a, r, 200, service, form, NULL);
	json_decref(service);
}

/* Where an API error about a new referral belongs on the form. */
static const char *who_field(json_t *answer)
{
	static const char *const map[][2] = {
		{ "person.crn", "crn" }, { "crn", "crn" }, { "person.name", "name" }, { "name", "name" },
		{ "date_of_birth", "dob" }, { "level", "level" }, { "subtype", "subtype" },
	};
	const char *f = web_error_field(answer);

	for (size_t i = 0; i < sizeof(map) / sizeof(map[0]); i++)
		if (!strcmp(f, map[i][0]))
			return map[i][1];
	return "crn";
}

static void add_api_error(struct request *r, json_t *errors, const char *field, json_t *answer,
			  const char *fallback)
{
	web_add_error(r, errors, field, !strcmp(field, "dob") ? "#dob-day" : NULL,
		     api_message(r, answer, fallback));
}

/* The person's record gets the date of birth: a new record for a new CRN,
 * the date added to one without it. A record of another team is left
 * alone (the referral still names the person). 0, or -1 with an error. */
static int record_person(struct app *a, struct request *r, const char *crn, const char *name,
			 const char *dob, json_t *errors)
{
	json_t *person = person_get(a, r, crn), *body, *answer = NULL;
	int status, rc = 0;

	if (person) {
		const char *have = str(person, "date_of_birth");

		if (have && strcmp(have, dob)) {
			web_add_error(r, errors, "dob", "#dob-day",
				     arena_sprintf(&r->arena, "The date of birth does not match the record for %s "
							      "(%s): check the CRN and the date of birth",
						   crn, date_words(r, have)));
			rc = -1;
		} else if (!have) {
			body = json_pack("{s:s, s:O, s:s}", "date_of_birth", dob, "version",
					 json_object_get(person, "version"), "reason", "date of birth given on referral");
			status = web_call(a, r, api_person_update, body, NULL, crn, NULL, &answer);
			json_decref(body);
			if (status != 200 && status != 409) {
				add_api_error(r, errors, "dob", answer, "The date of birth was not saved");
				rc = -1;
			}
		}
		json_decref(person);
		json_decref(answer);
		return rc;
	}
	body = json_pack("{s:s, s:s, s:s}", "crn", crn, "name", name, "date_of_birth", dob);
	status = web_call(a, r, api_person_create, body, NULL, NULL, NULL, &answer);
	json_decref(body);
	if (status / 100 != 2 && status != 409) {
		add_api_error(r, errors, who_field(answer), answer, "The person's record was not saved");
		rc = -1;
	}
	json_decref(answer);
	return rc;
}

/* The chosen level's own NSI sub-type, if it has one. */
static const char *level_subtype(json_t *service, const char *level)
{
	json_t *l;
	size_t i;

	json_array_foreach(json_object_get(service, "levels"), i, l)
		if (level && !strcmp(web_str(l, "name", ""), level))
			return str(l, "nsi_subtype");
	return NULL;
}

void web_referral_start(void *app, struct request *r)
{
	struct app *a = app;
	struct query form;
	json_t *service = NULL, *shown = NULL, *errors = json_array(), *body = NULL, *answer = NULL;
	const char *crn, *name, *dob, *level, *subtype;
	int status;

	if (web_form(a, r, &form))
		goto out;
	if (!(service = service_for_new(a, r, query_get(&form, "service"))))
		goto out;
	crn = trimmed(r, &form, "crn");
	for (char *p = (char *)crn; *p; p++)
		if (*p >= 'a' && *p <= 'z')
			*p = (char)(*p - 'a' + 'A'); /* CRNs are written in capitals */
	name = trimmed(r, &form, "name");
	level = form_get(&form, "level");
	subtype = form_get(&form, "subtype");
	shown = json_pack("{s:s, s:s, s:s, s:s}", "crn", crn, "name", name, "level", level, "subtype", subtype);
	if (!*crn)
		web_add_error(r, errors, "crn", NULL, "Enter the case reference number (CRN)");
	if (!*name)
		web_add_error(r, errors, "name", NULL, "Enter the person's full name");
	dob = date_from_form(r, &form, "dob", "date of birth", 1, shown, errors);
	if (dob && strcmp(dob, today(r)) >= 0) {
		web_add_error(r, errors, "dob", "#dob-day", "The date of birth must be in the past");
		dob = NULL;
	}
	if (json_array_size(json_object_get(service, "levels")) > 1 && !*level)
		web_add_error(r, errors, "level", NULL, "Select the level of the service");
	if (json_array_size(json_object_get(json_object_get(service, "nsi"), "subtypes")) > 1 && !*subtype &&
	    !level_subtype(service, level))
		web_add_error(r, errors, "subtype", NULL, "Select the NSI sub-type");
	if (json_array_size(errors) || record_person(a, r, crn, name, dob, errors))
		goto again;
	body = json_pack("{s:O, s:{s:s, s:s}}", "service", json_object_get(service, "id"), "person", "crn", crn,
			 "name", name);
	if (*level)
		json_object_set_new(body, "level", json_string(level));
	if (*subtype && !level_subtype(service, level))
		json_object_set_new(body, "subtype", json_string(subtype));
	status = web_call(a, r, api_referral_create, body, NULL, NULL, NULL, &answer);
	if (status / 100 == 2) {
		http_redirect(r, referral_href(r, answer));
		goto out;
	}
	add_api_error(r, errors, who_field(answer), answer, "The referral was not started");
again:
	who_page(a, r, 400, service, shown, errors);
	shown = errors = NULL;
out:
	json_decref(service);
	json_decref(shown);
	json_decref(errors);
	json_decref(body);
	json_decref(answer);
}

/* ======================================================================
 * The draft: task list, details, check your answers, send, sent
 * ====================================================================== */

static const char *const note_keys[] = { "risk", "support", "priority", "urgency", "location", NULL };

static const struct priority {
	const char *value, *text, *hint;
} priorities[] = {
	{ "high", "High", "Start as soon as the provider can" },
	{ "medium", "Medium", "Start within the usual waiting time" },
	{ "low", "Low", "Start when a place is free" },
};

static int priority_known(const char *value)
{
	for (size_t i = 0; value && i < sizeof(priorities) / sizeof(priorities[0]); i++)
		if (!strcmp(priorities[i].value, value))
			return 1;
	return 0;
}

static const char *priority_text(const char *value)
{
	for (size_t i = 0; value && i < sizeof(priorities) / sizeof(priorities[0]); i++)
		if (!strcmp(priorities[i].value, value))
			return priorities[i].text;
	return value;
}

/* The details are done once their required answers are there. */
static int details_done(json_t *doc)
{
	json_t *notes = json_object_get(doc, "notes");

	return json_is_object(notes) && *web_str(notes, "risk", "") && *web_str(notes, "support", "") &&
	       *web_str(notes, "priority", "");
}

/* What every page about one referral shows: reference, service, person. */
static void add_referral_basics(struct request *r, json_t *v, json_t *doc)
{
	json_t *person = json_object_get(doc, "person");

	json_object_set_new(v, "referral", json_pack("{s:O, s:O, s:s, s:s, s:s, s:s, s:s, s:o, s:O}",
		"id", json_object_get(doc, "id"), "reference", json_object_get(doc, "reference"),
		"href", referral_href(r, doc), "service_name", web_str(doc, "service_name", ""),
		"provider", web_str(json_object_get(doc, "provider"), "name", ""),
		"person_name", web_str(person, "name", ""), "crn", web_str(person, "crn", ""),
		"status", status_tag(r, str(doc, "status")), "version", json_object_get(doc, "version")));
}

static void task_list_page(struct app *a, struct request *r, json_t *doc)
{
	json_t *v = web_view(a, r, "Make a referral", "referrals");
	int done = details_done(doc), started = json_is_object(json_object_get(doc, "notes"));

	add_referral_basics(r, v, doc);
	json_object_set_new(v, "details_done", json_boolean(done));
	json_object_set_new(v, "details_started", json_boolean(started && !done));
	json_object_set_new(v, "back", json_pack("{s:s, s:s}", "href", "/referrals", "text", "Back to referrals"));
	web_render(a, r, 200, "referral-tasks", v);
}

/* A draft of this practitioner's team, or the page answered (the referral
 * page when it has been sent) and NULL. */
static json_t *draft_or_away(struct app *a, struct request *r)
{
	json_t *doc = referral_or_error(a, r);

	if (doc && strcmp(web_str(doc, "status", ""), "draft")) {
		http_redirect(r, referral_href(r, doc));
		json_decref(doc);
		return NULL;
	}
	return doc;
}

static json_t *priority_choices(const char *chosen)
{
	json_t *out = json_array();

	for (size_t i = 0; i < sizeof(priorities) / sizeof(priorities[0]); i++)
		json_array_append_new(out, json_pack("{s:s, s:s, s:s, s:s, s:b}", "value", priorities[i].value,
						     "text", priorities[i].text, "hint", priorities[i].hint, "id",
						     i ? priorities[i].value : "priority", "checked",
						     chosen && !strcmp(chosen, priorities[i].value)));
	return out;
}

static void details_page(struct app *a, struct request *r, int status, json_t *doc, json_t *form,
			 json_t *errors)
{
	json_t *v = web_view(a, r, "Referral details", "referrals");

	add_referral_basics(r, v, doc);
	json_object_set_new(v, "priorities", priority_choices(str(form, "priority")));
	json_object_set_new(v, "form", form);
	json_object_set_new(v, "back", json_pack("{s:s, s:s}", "href", referral_href(r, doc), "text", "Back"));
	if (errors)
		json_object_set_new(v, "errors", errors);
	web_render(a, r, status, "referral-details", v);
}

void web_referral_details_form(void *app, struct request *r)
{
	struct app *a = app;
	json_t *doc = draft_or_away(a, r), *form, *notes;

	if (!doc)
		return;
	form = json_object();
	notes = json_object_get(doc, "notes");
	for (int i = 0; note_keys[i]; i++)
		json_object_set_new(form, note_keys[i], json_string(web_str(notes, note_keys[i], "")));
	date_to_form(form, "end", str(doc, "expected_end_date"));
	details_page(a, r, 200, doc, form, NULL);
	json_decref(doc);
}

void web_referral_details(void *app, struct request *r)
{
	struct app *a = app;
	struct query form;
	json_t *doc = NULL, *shown = NULL, *errors = json_array(), *notes, *changes, *body = NULL, *answer = NULL;
	const char *end, *had_end;
	int status;

	if (web_form(a, r, &form) || !(doc = draft_or_away(a, r)))
		goto out;
	shown = json_object();
	notes = json_is_object(json_object_get(doc, "notes")) ? json_deep_copy(json_object_get(doc, "notes"))
							     : json_object();
	for (int i = 0; note_keys[i]; i++) {
		const char *val = trimmed(r, &form, note_keys[i]);

		json_object_set_new(shown, note_keys[i], json_string(val));
		if (*val)
			json_object_set_new(notes, note_keys[i], json_string(val));
		else
			json_object_del(notes, note_keys[i]);
	}
	if (!*web_str(shown, "risk", ""))
		web_add_error(r, errors, "risk", NULL, "Enter the risks the provider needs to know about, or say there are none");
	if (!*web_str(shown, "support", ""))
		web_add_error(r, errors, "support", NULL, "Enter the support the person needs");
	if (!priority_known(str(shown, "priority")))
		web_add_error(r, errors, "priority", NULL, "Select the priority");
	end = date_from_form(r, &form, "end", "expected end date", 0, shown, errors);
	if (end && *end && strcmp(end, today(r)) < 0) {
		web_add_error(r, errors, "end", "#end-day", "The expected end date must be today or in the future");
		end = NULL;
	}
	if (json_array_size(errors)) {
		json_decref(notes);
		goto again;
	}
	changes = json_pack("{s:o}", "notes", notes);
	had_end = str(doc, "expected_end_date");
	if (*end)
		json_object_set_new(changes, "expected_end_date", json_string(end));
	else if (had_end)
		json_object_set_new(changes, "expected_end_date", json_null());
	body = json_pack("{s:o, s:I}", "changes", changes, "version",
			 (json_int_t)strtol(form_get(&form, "version"), NULL, 10));
	status = web_call(a, r, api_referral_amend, body, NULL, r->match.captures[0], NULL, &answer);
	if (status == 200) {
		http_redirect(r, referral_href(r, doc));
		goto out;
	}
	{
		const char *f = web_error_field(answer), *field = "risk";

		if (!strcmp(f, "expected_end_date"))
			field = "end";
		web_add_error(r, errors, field, !strcmp(field, "end") ? "#end-day" : "#risk",
			     status == 409 ? "Someone else has changed this referral since you opened this page. "
					     "Your answers are below: save them again to keep them."
				           : api_message(r, answer, "The details were not saved"));
	}
	if (status == 409) {
		/* the form goes on from the new version */
		json_decref(doc);
		if (!(doc = referral_or_error(a, r)))
			goto out;
	}
again:
	details_page(a, r, 400, doc, shown, errors);
	shown = errors = NULL;
out:
	json_decref(doc);
	json_decref(shown);
	json_decref(errors);
	json_decref(body);
	json_decref(answer);
}

/* Summary rows: {key, lines, change?}. */
static json_t *row(json_t *rows, const char *key, const char *value)
{
	json_t *o = json_pack("{s:s, s:[s]}", "key", key, "lines", value && *value ? value : "Not given");

	json_array_append_new(rows, o);
	return o;
}

static void change_link(struct request *r, json_t *row_o, json_t *doc, const char *anchor, const char *what)
{
	json_object_set_new(row_o, "change", json_pack("{s:s, s:s}", "href",
						       arena_sprintf(&r->arena, "%s/details#%s", referral_href(r, doc), anchor),
						       "what", what));
}

/* What the eligibility engine says of the person for this service now:
 * {status, failed: [{text, not_suitable}], to_confirm: [{text, not_suitable}]}. */
static json_t *eligibility_now(struct app *a, struct request *r, json_t *doc, json_t *person)
{
	json_t *profile = json_object_get(json_object_get(doc, "person"), "profile"), *body, *answer = NULL;
	json_t *result, *c, *failed = json_array(), *unknown = json_array(), *out;
	size_t i;

	if (!json_is_object(profile))
		profile = json_object_get(person, "profile");
	body = json_pack("{s:o, s:[O]}", "profile", json_is_object(profile) ? json_incref(profile) : json_object(),
			 "services", json_object_get(doc, "service"));
	if (web_call(a, r, api_eligibility, body, NULL, NULL, NULL, &answer) != 200) {
		json_decref(body);
		json_decref(answer);
		json_decref(failed);
		json_decref(unknown);
		return json_pack("{s:s, s:[], s:[]}", "status", "unknown", "failed", "to_confirm");
	}
	json_decref(body);
	result = json_array_get(json_object_get(answer, "results"), 0);
	json_array_foreach(json_object_get(result, "criteria"), i, c) {
		const char *kind = web_str(c, "kind", ""), *outcome = web_str(c, "outcome", "");

		if ((!strcmp(kind, "eligibility") && !strcmp(outcome, "not_met")) ||
		    (!strcmp(kind, "not_suitable") && !strcmp(outcome, "met")))
			json_array_append_new(failed, json_pack("{s:O, s:b}", "text", json_object_get(c, "text"),
								"not_suitable", !strcmp(kind, "not_suitable")));
		else if (!strcmp(outcome, "unknown") || !strcmp(outcome, "judgement"))
			json_array_append_new(unknown, json_pack("{s:O, s:b}", "text", json_object_get(c, "text"),
								 "not_suitable", !strcmp(kind, "not_suitable")));
	}
	out = json_pack("{s:s, s:o, s:o}", "status", web_str(result, "status", "unknown"), "failed", failed,
			"to_confirm", unknown);
	json_decref(answer);
	return out;
}

static void check_page(struct app *a, struct request *r, int status, json_t *doc, const char *override,
		       int need_override, json_t *errors)
{
	json_t *v = web_view(a, r, "Check your answers before sending the referral", "referrals");
	json_t *person = person_get(a, r, str(json_object_get(doc, "person"), "crn"));
	json_t *who = json_array(), *details = json_array(), *notes = json_object_get(doc, "notes");
	json_t *nsi = json_object_get(doc, "nsi"), *elig = eligibility_now(a, r, doc, person), *o;
	const char *est = str(elig, "status");

	add_referral_basics(r, v, doc);
	row(who, "Case reference number (CRN)", str(json_object_get(doc, "person"), "crn"));
	row(who, "Name", str(json_object_get(doc, "person"), "name"));
	row(who, "Date of birth", date_words(r, str(person, "date_of_birth")));
	row(who, "Service", arena_sprintf(&r->arena, "%s (%s)", web_str(doc, "service_name", ""),
					  web_str(json_object_get(doc, "provider"), "name", "")));
	if (json_is_object(nsi)) {
		row(who, "NSI category", str(nsi, "category"));
		row(who, "NSI sub-type", str(nsi, "subtype"));
	}
	if (json_is_object(json_object_get(doc, "level")))
		row(who, "Level", str(json_object_get(doc, "level"), "name"));
	o = row(details, "Risk", str(notes, "risk"));
	change_link(r, o, doc, "risk", "risk");
	o = row(details, "Support required", str(notes, "support"));
	change_link(r, o, doc, "support", "support required");
	o = row(details, "Priority", priority_text(str(notes, "priority")));
	change_link(r, o, doc, "priority", "priority");
	o = row(details, "Urgency", str(notes, "urgency"));
	change_link(r, o, doc, "urgency", "urgency");
	o = row(details, "Location", str(notes, "location"));
	change_link(r, o, doc, "location", "location");
	o = row(details, "Expected end date", date_words(r, str(doc, "expected_end_date")));
	change_link(r, o, doc, "end-day", "expected end date");
	json_object_set_new(v, "who", who);
	json_object_set_new(v, "details", details);
	json_object_set(v, "warnings", json_object_get(doc, "warnings"));
	json_object_set_new(v, "to_confirm", json_incref(json_object_get(elig, "to_confirm")));
	json_object_set_new(v, "has_to_confirm", json_boolean(json_array_size(json_object_get(elig, "to_confirm")) > 0));
	json_object_set_new(v, "failed", json_incref(json_object_get(elig, "failed")));
	json_object_set_new(v, "ineligible", json_boolean(est && !strcmp(est, "ineligible")));
	json_object_set_new(v, "unsuitable", json_boolean(est && !strcmp(est, "unsuitable")));
	json_object_set_new(v, "need_override", json_boolean(need_override || (est && (!strcmp(est, "ineligible") ||
								       !strcmp(est, "unsuitable")))));
	json_object_set_new(v, "override_reason", json_string(override ? override : ""));
	json_object_set_new(v, "back", json_pack("{s:s, s:s}", "href", referral_href(r, doc), "text", "Back"));
	if (errors)
		json_object_set_new(v, "errors", errors);
	json_decref(elig);
	json_decref(person);
	web_render(a, r, status, "referral-check", v);
}

void web_referral_check(void *app, struct request *r)
{
	struct app *a = app;
	json_t *doc = draft_or_away(a, r);

	if (!doc)
		return;
	check_page(a, r, 200, doc, NULL, 0, NULL);
	json_decref(doc);
}

void web_referral_send(void *app, struct request *r)
{
	struct app *a = app;
	struct query form;
	json_t *doc = NULL, *errors = json_array(), *body = NULL, *answer = NULL;
	const char *override;
	int status, need_override = 0;

	if (web_form(a, r, &form) || !(doc = draft_or_away(a, r)))
		goto out;
	override = trimmed(r, &form, "override_reason");
	if (!details_done(doc)) {
		web_add_error(r, errors, "details", arena_sprintf(&r->arena, "%s/details", referral_href(r, doc)),
			     "Add the referral details before you send it");
		check_page(a, r, 400, doc, override, 0, errors);
		errors = NULL;
		goto out;
	}
	body = json_pack("{s:s, s:I}", "to", "referred", "version",
			 (json_int_t)strtol(form_get(&form, "version"), NULL, 10));
	if (*override)
		json_object_set_new(body, "override_reason", json_string(override));
	status = web_call(a, r, api_referral_transition, body, NULL, r->match.captures[0], NULL, &answer);
	if (status == 200) {
		http_redirect(r, arena_sprintf(&r->arena, "%s/sent", referral_href(r, doc)));
		goto out;
	}
	if (!strcmp(api_code(answer), "ineligible")) {
		need_override = 1;
		web_add_error(r, errors, "override_reason", NULL, "The person does not meet this service's criteria: give a "
							"reason to send the referral anyway");
	} else if (!strcmp(api_code(answer), "prerequisite")) {
		need_override = 1;
		web_add_error(r, errors, "override_reason", NULL,
			  arena_sprintf(&r->arena, "%s. Refer to that first, or give a reason to send this one anyway",
					api_message(r, answer, "Another referral is needed first")));
	} else if (!strcmp(web_error_field(answer), "version")) {
		web_add_error(r, errors, "version", arena_sprintf(&r->arena, "%s/check", referral_href(r, doc)),
			     "Someone else has changed this referral since you opened this page: check your "
			     "answers again before you send it");
	} else {
		web_add_error(r, errors, "send", "#send", api_message(r, answer, "The referral was not sent"));
	}
	if (status == 409 && !need_override) {
		json_decref(doc);
		if (!(doc = draft_or_away(a, r)))
			goto out;
	}
	check_page(a, r, status == 409 || status == 400 ? status : 400, doc, override, need_override, errors);
	errors = NULL;
out:
	json_decref(doc);
	json_decref(errors);
	json_decref(body);
	json_decref(answer);
}

void web_referral_sent(void *app, struct request *r)
{
	struct app *a = app;
	json_t *doc = referral_or_error(a, r), *v;

	if (!doc)
		return;
	if (!strcmp(web_str(doc, "status", ""), "draft")) {
		http_redirect(r, referral_href(r, doc));
		json_decref(doc);
		return;
	}
	v = web_view(a, r, "Referral sent", "referrals");
	add_referral_basics(r, v, doc);
	json_object_set_new(v, "hub", json_string(web_str(json_object_get(doc, "transfer"), "team", "the provider")));
	json_decref(doc);
	web_render(a, r, 200, "referral-sent", v);
}

/* ======================================================================
 * Lists: the team's referrals, the provider's inbox
 * ====================================================================== */

static json_t *status_options(struct request *r, const char *selected)
{
	json_t *out = json_array();

	json_array_append_new(out, web_option("", "Any status", selected ? selected : ""));
	for (int s = 0; s < RS_COUNT; s++) {
		if (s == RS_DRAFT && r->user.role == ROLE_PROVIDER)
			continue; /* drafts are the practitioner's own */
		json_array_append_new(out, web_option(lifecycle_name((enum rstatus)s),
						  web_humanise(r, lifecycle_name((enum rstatus)s)), selected));
	}
	return out;
}

/* The services a user's referrals can be for: a provider's own, or all. */
static json_t *service_options(struct app *a, struct request *r, const char *selected)
{
	struct err e = ERR_INIT;
	struct cathandle *h = app_catalogue(a, &e);
	json_t *out = json_array();

	json_array_append_new(out, web_option("", "Any service", selected ? selected : ""));
	for (size_t i = 0; h && i < h->cat.nservices; i++) {
		const struct service *s = &h->cat.services[i];

		if (r->user.role == ROLE_PROVIDER && strcmp(s->provider->id, r->user.provider))
			continue;
		json_array_append_new(out, web_option(s->id, r->user.role == ROLE_PROVIDER ? s->name
						  : arena_sprintf(&r->arena, "%s (%s)", s->name, s->provider->name),
						  selected));
	}
	cathandle_put(h);
	return out;
}

static json_t *list_row(struct request *r, json_t *x, time_t now)
{
	const char *status = web_str(x, "status", "");
	const char *sent = str(x, "referral_date");
	int waiting = !strcmp(status, "referred") || !strcmp(status, "accepted") || !strcmp(status, "in_progress");
	long days = waiting ? days_since(sent, now) : -1;
	const char *date = sent ? sent : str(x, "created_at");

	return json_pack("{s:s, s:O, s:s, s:s, s:s, s:s, s:o, s:s, s:I, s:s, s:s}",
		"href", referral_href(r, x), "reference", json_object_get(x, "reference"),
		"person", web_str(json_object_get(x, "person"), "name", ""),
		"crn", web_str(json_object_get(x, "person"), "crn", ""),
		"service", web_str(x, "service_name", ""), "provider", web_str(json_object_get(x, "provider"), "name", ""),
		"status", status_tag(r, status),
		"waiting", days < 0 ? (!strcmp(status, "draft") ? "Not sent" : "") :
			   days == 1 ? "1 day" : arena_sprintf(&r->arena, "%ld days", days),
		"waiting_sort", (json_int_t)days,
		"date", date_words(r, date), "date_sort", date ? date : "");
}

void web_referrals(void *app, struct request *r)
{
	struct app *a = app;
	const char *view_name = query_get(&r->query, "view"), *status = query_get(&r->query, "status");
	const char *service = query_get(&r->query, "service"), *pg = query_get(&r->query, "page");
	int inbox = r->user.role == ROLE_PROVIDER && !(view_name && !strcmp(view_name, "all"));
	struct query_param p[8];
	struct query q = { p, 0 };
	json_t *v, *answer = NULL, *rows = json_array(), *errors = json_array(), *x, *pagination = NULL;
	long page = pg ? strtol(pg, NULL, 10) : 1, total = 0, pages = 0;
	char pagebuf[24], perbuf[24];
	time_t now = time(NULL);
	int code;
	size_t i;

	if (page < 1 || page > 100000)
		page = 1;
	if (status && *status && lifecycle_parse(status) < 0)
		status = NULL; /* a status that does not exist filters nothing */
	snprintf(pagebuf, sizeof(pagebuf), "%ld", page);
	snprintf(perbuf, sizeof(perbuf), "%d", LIST_PAGE_SIZE);
	if (inbox)
		p[q.n++] = (struct query_param){ "inbox", "1" };
	else if (status && *status)
		p[q.n++] = (struct query_param){ "status", status };
	if (service && *service)
		p[q.n++] = (struct query_param){ "service", service };
	p[q.n++] = (struct query_param){ "page", pagebuf };
	p[q.n++] = (struct query_param){ "per_page", perbuf };
	code = web_call(a, r, api_referral_list, NULL, &q, NULL, NULL, &answer);
	if (code == 200) {
		json_array_foreach(json_object_get(answer, "referrals"), i, x)
			json_array_append_new(rows, list_row(r, x, now));
		total = (long)json_integer_value(json_object_get(answer, "total"));
	} else {
		const char *f = web_error_field(answer);

		web_add_error(r, errors, !strcmp(f, "service") ? "service" : "status", NULL,
			  api_message(r, answer, "The referrals could not be listed"));
	}
	pages = (total + LIST_PAGE_SIZE - 1) / LIST_PAGE_SIZE;
	if (pages > 1) {
		char n[24];

		pagination = json_pack("{s:i, s:i}", "page", (int)page, "pages", (int)pages);
		if (page > 1) {
			snprintf(n, sizeof(n), "%ld", page - 1);
			json_object_set_new(pagination, "previous", json_string(arena_sprintf(&r->arena, "/referrals%s",
					    web_query_with(r, &r->query, "page", n))));
		}
		if (page < pages) {
			snprintf(n, sizeof(n), "%ld", page + 1);
			json_object_set_new(pagination, "next", json_string(arena_sprintf(&r->arena, "/referrals%s",
					    web_query_with(r, &r->query, "page", n))));
		}
	}
	v = web_view(a, r, inbox ? "New referrals" : r->user.role == ROLE_PROVIDER ? "All referrals"
					       : r->user.role == ROLE_PRACTITIONER ? "Your team's referrals" : "Referrals",
		     "referrals");
	json_object_set_new(v, "rows", rows);
	json_object_set_new(v, "total", json_integer(total));
	json_object_set_new(v, "noun", json_string(total == 1 ? "referral" : "referrals"));
	json_object_set_new(v, "first", json_integer(total ? (page - 1) * LIST_PAGE_SIZE + 1 : 0));
	json_object_set_new(v, "last", json_integer(page * LIST_PAGE_SIZE < total ? page * LIST_PAGE_SIZE : total));
	json_object_set_new(v, "inbox", json_boolean(inbox));
	json_object_set_new(v, "tabs", json_boolean(r->user.role == ROLE_PROVIDER));
	json_object_set_new(v, "statuses", status_options(r, status));
	json_object_set_new(v, "services", service_options(a, r, service));
	json_object_set_new(v, "view", json_string(inbox ? "" : view_name ? view_name : ""));
	json_object_set_new(v, "filtered", json_boolean((status && *status && !inbox) || (service && *service)));
	if (pagination)
		json_object_set_new(v, "pagination", pagination);
	json_object_set_new(v, "errors", errors);
	json_decref(answer);
	web_render(a, r, json_array_size(errors) ? 400 : 200, "referrals", v);
}

/* ======================================================================
 * One referral's record
 * ====================================================================== */

static const char *level_words(struct request *r, json_t *level)
{
	json_t *hours = json_object_get(level, "hours");

	if (!json_is_object(level))
		return NULL;
	if (json_is_number(hours))
		return arena_sprintf(&r->arena, "%s (%s%g hours)", web_str(level, "name", ""),
				     json_is_true(json_object_get(level, "up_to")) ? "up to " : "", json_number_value(hours));
	return str(level, "name");
}

static json_t *record_rows(struct request *r, json_t *doc)
{
	json_t *rows = json_array(), *nsi = json_object_get(doc, "nsi"), *o, *lines, *c;
	json_t *transfer = json_object_get(doc, "transfer"), *referring = json_object_get(doc, "referring");
	json_t *person = json_object_get(doc, "person"), *elig = json_object_get(doc, "eligibility");
	const char *outcome = str(doc, "outcome");
	size_t i;

	row(rows, "Reference", str(doc, "reference"));
	o = row(rows, "Status", NULL);
	json_object_set_new(o, "lines", json_array());
	json_object_set_new(o, "tag", status_tag(r, str(doc, "status")));
	row(rows, "Service", str(doc, "service_name"));
	row(rows, "Provider", str(json_object_get(doc, "provider"), "name"));
	if (json_is_object(nsi)) {
		row(rows, "NSI category", str(nsi, "category"));
		row(rows, "NSI sub-type", str(nsi, "subtype"));
	} else {
		row(rows, "NSI category", "Requirement transfer (no NSI)");
	}
	if (json_is_object(json_object_get(doc, "level")))
		row(rows, "Level", level_words(r, json_object_get(doc, "level")));
	o = row(rows, "Person", str(person, "name"));
	json_array_append_new(json_object_get(o, "lines"),
			      json_string(arena_sprintf(&r->arena, "CRN %s", web_str(person, "crn", ""))));
	row(rows, "Referral date", str(doc, "referral_date") ? date_words(r, str(doc, "referral_date")) : "Not sent yet");
	row(rows, "Expected end date", date_words(r, str(doc, "expected_end_date")));
	row(rows, "Actual end date", str(doc, "actual_end_date") ? date_words(r, str(doc, "actual_end_date")) : "Not ended");
	o = row(rows, "Referring team", str(referring, "team"));
	json_array_append_new(json_object_get(o, "lines"), json_string(arena_sprintf(&r->arena, "Officer: %s",
										   web_str(referring, "officer", ""))));
	row(rows, "Team", str(transfer, "team"));
	row(rows, "Officer", str(transfer, "officer"));
	o = row(rows, "Allocation", web_str(doc, "allocated_to", "Not allocated"));
	c = json_array_get(json_object_get(doc, "allocations"), json_array_size(json_object_get(doc, "allocations")) - 1);
	if (c)
		json_array_append_new(json_object_get(o, "lines"), json_string(arena_sprintf(&r->arena,
			"By %s on %s", web_str(c, "by", ""), date_words(r, str(c, "at")))));
	o = row(rows, "Transfer request", str(transfer, "reason"));
	if (str(transfer, "receiving_provider"))
		json_array_append_new(json_object_get(o, "lines"), json_string(arena_sprintf(&r->arena,
			"Receiving provider: %s", str(transfer, "receiving_provider"))));
	lines = json_array();
	json_array_foreach(json_object_get(doc, "charges"), i, c)
		json_array_append_new(lines, json_string(arena_sprintf(&r->arena, "%s: %s (%s, %s)",
			money(r, json_integer_value(json_object_get(c, "pence"))), web_str(c, "text", ""),
			web_str(c, "trigger", web_humanise(r, web_str(c, "kind", ""))), date_words(r, str(c, "at"))))); 
	if (!json_array_size(lines))
		json_array_append_new(lines, json_string("None"));
	json_array_append_new(rows, json_pack("{s:s, s:o}", "key", "Charges", "lines", lines));
	o = row(rows, "Outcome", outcome ? web_humanise(r, outcome) : "Not ended");
	if (json_is_object(json_object_get(doc, "cancellation"))) {
		json_t *cx = json_object_get(doc, "cancellation");

		json_array_append_new(json_object_get(o, "lines"), json_string(arena_sprintf(&r->arena, "Reason: %s",
			web_str(cx, "text", ""))));
		if (str(cx, "details"))
			json_array_append_new(json_object_get(o, "lines"), json_string(str(cx, "details")));
	}
	if (str(doc, "rejection_reason"))
		json_array_append_new(json_object_get(o, "lines"), json_string(arena_sprintf(&r->arena, "Reason: %s",
			str(doc, "rejection_reason"))));
	if (json_is_object(elig)) {
		static const char *const words[][2] = {
			{ "eligible", "Eligible" }, { "ineligible", "Not eligible" }, { "unsuitable", "Not suitable" },
			{ "unknown", "Not known from the person's record: criteria to check" },
		};
		const char *said = web_humanise(r, str(elig, "status"));

		for (size_t k = 0; k < sizeof(words) / sizeof(words[0]); k++)
			if (!strcmp(web_str(elig, "status", ""), words[k][0]))
				said = words[k][1];
		o = row(rows, "Eligibility when sent", said);
		if (str(elig, "override_reason"))
			json_array_append_new(json_object_get(o, "lines"), json_string(arena_sprintf(&r->arena,
				"Sent anyway because: %s", str(elig, "override_reason"))));
	}
	return rows;
}

static json_t *notes_rows(json_t *doc)
{
	json_t *rows = json_array(), *notes = json_object_get(doc, "notes");

	if (json_is_string(notes)) {
		row(rows, "Notes", json_string_value(notes));
		return rows;
	}
	row(rows, "Risk", str(notes, "risk"));
	row(rows, "Support required", str(notes, "support"));
	row(rows, "Priority", priority_text(str(notes, "priority")));
	row(rows, "Urgency", str(notes, "urgency"));
	row(rows, "Location", str(notes, "location") ? str(notes, "location") : str(doc, "location"));
	if (str(notes, "text"))
		row(rows, "Notes", str(notes, "text"));
	return rows;
}

static int newest_first(const void *x, const void *y)
{
	json_t *a = *(json_t *const *)x, *b = *(json_t *const *)y;
	int c = strcmp(web_str(b, "at", ""), web_str(a, "at", ""));

	if (c)
		return c;
	/* one second: the record's own order (seq), then the list order */
	c = (int)(json_integer_value(json_object_get(b, "seq")) - json_integer_value(json_object_get(a, "seq")));
	if (c)
		return c;
	return (int)(json_integer_value(json_object_get(b, "n")) - json_integer_value(json_object_get(a, "n")));
}

/* The MoJ timeline: moves, allocations and amendments of a sent
 * referral, newest first. */
static json_t *timeline(struct request *r, json_t *doc)
{
	json_t *all = json_array(), *x, *out = json_array(), **items;
	size_t i, n;

	json_array_foreach(json_object_get(doc, "history"), i, x) {
		const struct status_words *w = words_of(str(x, "to"));
		const char *reason = str(x, "reason");

		json_array_append_new(all, json_pack("{s:s, s:s, s:s, s:s, s:O?}", "title", w ? w->event : "Changed", "by",
						     web_str(x, "by", ""), "at", web_str(x, "at", ""), "text",
						     reason && strcmp(reason, "created") ? reason : "", "seq",
						     json_object_get(x, "seq")));
	}
	json_array_foreach(json_object_get(doc, "allocations"), i, x)
		json_array_append_new(all, json_pack("{s:s, s:s, s:s, s:s, s:O?}", "title",
						     arena_sprintf(&r->arena, "Allocated to %s", web_str(x, "to", "")),
						     "by", web_str(x, "by", ""), "at", web_str(x, "at", ""), "text", "",
						     "seq", json_object_get(x, "seq")));
	json_array_foreach(json_object_get(doc, "amendments"), i, x)
		if (str(x, "why")) /* a draft's edits are not amendments of a sent referral */
			json_array_append_new(all, json_pack("{s:s, s:s, s:s, s:s, s:O?}", "title",
				arena_sprintf(&r->arena, "Amended: %s", web_humanise(r, web_str(x, "field", ""))),
				"by", web_str(x, "by", ""), "at", web_str(x, "at", ""), "text", str(x, "why"),
				"seq", json_object_get(x, "seq")));
	n = json_array_size(all);
	items = malloc((n + 1) * sizeof(*items));
	if (!items)
		return all;
	json_array_foreach(all, i, x) {
		json_object_set_new(x, "n", json_integer((json_int_t)i));
		items[i] = x;
	}
	qsort(items, n, sizeof(*items), newest_first);
	for (i = 0; i < n; i++) {
		json_object_set_new(items[i], "when", json_string(time_words(r, str(items[i], "at"))));
		json_array_append(out, items[i]);
	}
	free(items);
	json_decref(all);
	return out;
}

static json_t *case_notes(struct request *r, json_t *doc)
{
	json_t *out = json_array(), *x;
	size_t i;

	json_array_foreach(json_object_get(doc, "case_notes"), i, x)
		json_array_insert_new(out, 0, json_pack("{s:s, s:s, s:s, s:s, s:s}", "text", web_str(x, "text", ""),
							"by", web_str(x, "by", ""), "side",
							!strcmp(web_str(x, "side", ""), "provider") ? "Provider" : "Probation",
							"when", time_words(r, str(x, "at")), "at", web_str(x, "at", "")));
	return out;
}

/* The moves this user may make now, as links to their confirmation pages. */
static json_t *action_links(struct request *r, json_t *doc)
{
	json_t *out = json_array();

	for (size_t i = 0; i < sizeof(actions) / sizeof(actions[0]); i++) {
		const struct transition *t;
		struct err e = ERR_INIT;
		const char *verb = verb_of(&actions[i], r, doc);

		if (may_move(r, doc, &actions[i], &t, &e))
			continue;
		json_array_append_new(out, json_pack("{s:s, s:s, s:b}", "href",
			arena_sprintf(&r->arena, "%s/actions/%s", referral_href(r, doc), actions[i].name),
			"text", strcmp(verb, actions[i].name) ? "Withdraw referral" : actions[i].link,
			"secondary", actions[i].to == RS_CANCELLED || actions[i].to == RS_REJECTED));
	}
	return out;
}

/* form: what was typed into the note or allocation form, kept on errors. */
static void record_page(struct app *a, struct request *r, int status, json_t *doc, json_t *form,
			json_t *errors)
{
	const char *done = query_get(&r->query, "done");
	json_t *v = web_view(a, r, arena_sprintf(&r->arena, "Referral %s", web_str(doc, "reference", "")), "referrals");
	int final = lifecycle_is_final((enum rstatus)lifecycle_parse(web_str(doc, "status", "")));

	add_referral_basics(r, v, doc);
	if (done && done_text(done)) {
		const char *text = done_text(done);

		if (!strcmp(done, "allocated") && str(doc, "allocated_to"))
			text = arena_sprintf(&r->arena, "Referral allocated to %s", str(doc, "allocated_to"));
		json_object_set_new(v, "done", json_string(text));
	}
	json_object_set_new(v, "rows", record_rows(r, doc));
	json_object_set_new(v, "notes_rows", notes_rows(doc));
	json_object_set_new(v, "timeline", timeline(r, doc));
	json_object_set_new(v, "case_notes", case_notes(r, doc));
	json_object_set_new(v, "actions", action_links(r, doc));
	json_object_set_new(v, "has_actions", json_boolean(json_array_size(json_object_get(v, "actions")) > 0));
	json_object_set_new(v, "warnings", json_incref(json_object_get(doc, "warnings")));
	json_object_set_new(v, "may_note", json_boolean(r->user.role == ROLE_PRACTITIONER ||
							r->user.role == ROLE_PROVIDER));
	json_object_set_new(v, "may_allocate", json_boolean(r->user.role == ROLE_PROVIDER && !final));
	json_object_set_new(v, "form", form ? form : json_pack("{s:s, s:s}", "text", "", "staff",
								 web_str(doc, "allocated_to", "")));
	json_object_set_new(v, "back", json_pack("{s:s, s:s}", "href", "/referrals", "text", "Back to referrals"));
	if (errors)
		json_object_set_new(v, "errors", errors);
	web_render(a, r, status, "referral", v);
}

void web_referral(void *app, struct request *r)
{
	struct app *a = app;
	json_t *doc = referral_or_error(a, r);

	if (!doc)
		return;
	if (!strcmp(web_str(doc, "status", ""), "draft") && r->user.role == ROLE_PRACTITIONER)
		task_list_page(a, r, doc);
	else
		record_page(a, r, 200, doc, NULL, NULL);
	json_decref(doc);
}

/* Case notes and allocation: one field, one API call, back to the page. */
static void record_post(struct app *a, struct request *r, web_handler fn, const char *field,
			const char *api_key, const char *empty_message, const char *done)
{
	struct query form;
	json_t *doc = NULL, *errors = json_array(), *body = NULL, *answer = NULL, *shown;
	const char *value;
	int status;

	if (web_form(a, r, &form) || !(doc = referral_or_error(a, r)))
		goto out;
	value = trimmed(r, &form, field);
	if (!*value) {
		web_add_error(r, errors, field, NULL, empty_message);
		status = 400;
	} else {
		body = json_pack("{s:s}", api_key, value);
		status = web_call(a, r, fn, body, NULL, r->match.captures[0], NULL, &answer);
		if (status == 200) {
			http_redirect(r, arena_sprintf(&r->arena, "%s?done=%s", referral_href(r, doc), done));
			goto out;
		}
		web_add_error(r, errors, field, NULL, api_message(r, answer, "That was not saved"));
	}
	shown = json_pack("{s:s, s:s}", "text", "", "staff", web_str(doc, "allocated_to", ""));
	json_object_set_new(shown, field, json_string(value));
	record_page(a, r, status / 100 == 4 ? status : 400, doc, shown, errors);
	errors = NULL;
out:
	json_decref(doc);
	json_decref(errors);
	json_decref(body);
	json_decref(answer);
}

void web_referral_note(void *app, struct request *r)
{
	record_post(app, r, api_referral_note, "text", "text", "Enter the case note", "note");
}

void web_referral_allocate(void *app, struct request *r)
{
	record_post(app, r, api_referral_allocate, "staff", "staff",
		    "Enter the username of the member of staff", "allocated");
}

/* ======================================================================
 * Are you sure? (accept, reject, start, complete, cancel / withdraw)
 * ====================================================================== */

static json_t *cancel_reason_groups(struct request *r, const char *selected)
{
	json_t *groups = json_array(), *group = NULL;
	const char *last = "";

	for (int i = 0; lifecycle_cancel_reasons[i].code; i++) {
		const struct cancel_reason *c = &lifecycle_cancel_reasons[i];

		if (strcmp(c->group, last)) {
			group = json_pack("{s:s, s:[]}", "label", web_humanise(r, c->group), "options");
			json_array_append_new(groups, group);
			last = c->group;
		}
		json_array_append_new(json_object_get(group, "options"), web_option(c->code, c->text, selected));
	}
	return groups;
}

static void action_page(struct app *a, struct request *r, int status, json_t *doc, const struct action *act,
			const struct transition *t, json_t *form, json_t *errors)
{
	const char *verb = verb_of(act, r, doc);
	json_t *v = web_view(a, r, arena_sprintf(&r->arena, "Are you sure you want to %s this referral?", verb),
			     "referrals");
	const char *outcome = str(form, "outcome");

	add_referral_basics(r, v, doc);
	json_object_set_new(v, "action", json_pack("{s:s, s:s, s:s, s:b, s:b, s:b, s:b, s:b}", "name", act->name,
		"verb", verb, "button", arena_sprintf(&r->arena, "Yes, %s %s", verb,
						      act->to == RS_IN_PROGRESS || act->to == RS_COMPLETED ? "it" : "the referral"),
		"warning", act->to == RS_CANCELLED || act->to == RS_REJECTED,
		"reason_required", t->needs_reason && act->to != RS_CANCELLED,
		"reason_optional", !t->needs_reason,
		"cancel", act->to == RS_CANCELLED, "complete", act->to == RS_COMPLETED));
	if (act->to == RS_CANCELLED)
		json_object_set_new(v, "reason_groups", cancel_reason_groups(r, str(form, "reason_code")));
	json_object_set_new(v, "outcomes", json_pack("[{s:s, s:s, s:s, s:b}, {s:s, s:s, s:s, s:b}]",
		"value", "completed", "text", "Completed", "id", "outcome", "checked", outcome && !strcmp(outcome, "completed"),
		"value", "ended_early", "text", "Ended early", "id", "outcome-ended-early", "checked",
		outcome && !strcmp(outcome, "ended_early")));
	json_object_set_new(v, "form", form);
	json_object_set_new(v, "back", json_pack("{s:s, s:s}", "href", referral_href(r, doc), "text", "Back"));
	if (errors)
		json_object_set_new(v, "errors", errors);
	web_render(a, r, status, "referral-action", v);
}

/* The action of the path and the referral, if this user may make the move
 * now; otherwise the error page answered and NULL. */
static json_t *action_target(struct app *a, struct request *r, const struct action **act,
			     const struct transition **t)
{
	struct err e = ERR_INIT;
	json_t *doc;

	if (!(*act = action_named(r->match.captures[1]))) {
		web_page_error(a, r, 404, "There is no such action.");
		return NULL;
	}
	if (!(doc = referral_or_error(a, r)))
		return NULL;
	if (may_move(r, doc, *act, t, &e)) {
		web_page_error(a, r, e.rc == RC_FORBIDDEN ? 403 : 409,
			       arena_sprintf(&r->arena, "You cannot %s referral %s: it is %s.", verb_of(*act, r, doc),
					     web_str(doc, "reference", ""), status_lower(r, web_str(doc, "status", ""))));
		json_decref(doc);
		return NULL;
	}
	return doc;
}

void web_referral_action_form(void *app, struct request *r)
{
	struct app *a = app;
	const struct action *act;
	const struct transition *t;
	json_t *doc = action_target(a, r, &act, &t);

	if (!doc)
		return;
	action_page(a, r, 200, doc, act, t, json_pack("{s:s, s:s, s:s}", "reason", "", "reason_code", "",
						      "outcome", ""), NULL);
	json_decref(doc);
}

void web_referral_action(void *app, struct request *r)
{
	struct app *a = app;
	struct query form;
	const struct action *act;
	const struct transition *t;
	json_t *doc = NULL, *errors = json_array(), *shown = NULL, *body = NULL, *answer = NULL;
	const char *reason, *code, *outcome, *done;
	int status;

	if (web_form(a, r, &form) || !(doc = action_target(a, r, &act, &t)))
		goto out;
	reason = trimmed(r, &form, "reason");
	code = form_get(&form, "reason_code");
	outcome = form_get(&form, "outcome");
	shown = json_pack("{s:s, s:s, s:s}", "reason", reason, "reason_code", code, "outcome", outcome);
	if (act->to == RS_CANCELLED && !*code)
		web_add_error(r, errors, "reason_code", NULL, arena_sprintf(&r->arena, "Select why you are %s this referral",
								  !strcmp(verb_of(act, r, doc), "withdraw")
									  ? "withdrawing" : "cancelling"));
	else if (t->needs_reason && act->to != RS_CANCELLED && !*reason)
		web_add_error(r, errors, "reason", NULL, arena_sprintf(&r->arena, "Enter why you are %sing this referral",
							     act->name));
	if (act->to == RS_COMPLETED && !*outcome)
		web_add_error(r, errors, "outcome", NULL, "Select the outcome");
	if (json_array_size(errors)) {
		status = 400;
		goto again;
	}
	body = json_pack("{s:s, s:I}", "to", lifecycle_name(act->to), "version",
			 (json_int_t)strtol(form_get(&form, "version"), NULL, 10));
	if (*reason)
		json_object_set_new(body, "reason", json_string(reason));
	if (act->to == RS_CANCELLED)
		json_object_set_new(body, "reason_code", json_string(code));
	if (act->to == RS_COMPLETED)
		json_object_set_new(body, "outcome", json_string(outcome));
	status = web_call(a, r, api_referral_transition, body, NULL, r->match.captures[0], NULL, &answer);
	if (status == 200) {
		done = !strcmp(verb_of(act, r, doc), "withdraw") ? "withdrawn" : act->done;
		http_redirect(r, arena_sprintf(&r->arena, "%s?done=%s", referral_href(r, doc), done));
		goto out;
	}
	{
		const char *f = web_error_field(answer);

		if (!strcmp(f, "reason") || !strcmp(f, "reason_code") || !strcmp(f, "outcome"))
			web_add_error(r, errors, f, NULL, api_message(r, answer, "The change was not made"));
		else
			web_add_error(r, errors, "version", referral_href(r, doc),
				     api_message(r, answer, "The change was not made"));
	}
	if (status == 409) {
		/* show the page at the referral's version now, if the move is still open */
		json_decref(doc);
		if (!(doc = referral_or_error(a, r)))
			goto out;
	}
again:
	action_page(a, r, status / 100 == 4 ? status : 400, doc, act, t, shown, errors);
	shown = errors = NULL;
out:
	json_decref(doc);
	json_decref(errors);
	json_decref(shown);
	json_decref(body);
	json_decref(answer);
}
