/*
 * check.c - check eligibility (the profile form and its results), and the
 * people pages (find a person by CRN, one person's record).
 *
 * The profile form is generated from field_table (profile/field.h): this
 * file spells no field name. A small table indexed by the PF_* enum gives
 * each field its group, label and hint; the field's type decides the
 * control. Anything left empty stays out of the profile, so the engine sees
 * it as unknown (profile.md's three-valued logic): a blank is never a zero.
 * A list that is present is complete, so each list's checkboxes end with a
 * "None of these" box, sent as the list's name with an empty value (GOV.UK's
 * exclusive box shares the name): no box ticked means not known, "None"
 * means known to be empty.
 *
 * Validation is the API's. A number that does not parse is sent as the text
 * typed, and the API's 400 names the field, which the page shows by it; the
 * form keeps every value.
 */
#include <ctype.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include "profile/field.h"
#include "profile/geo.h"
#include "web/web.h"

#define MAX_RESULT_GROUPS 4

enum group { G_HIDDEN, G_ABOUT, G_SENTENCE, G_RISK, G_OFFENCES, G_NEEDS, G_CIRCUMSTANCES, G_COUNT };

static const char *const group_titles[G_COUNT] = {
	[G_ABOUT] = "About the person",
	[G_SENTENCE] = "Sentence",
	[G_RISK] = "Risk and scores",
	[G_OFFENCES] = "Offences",
	[G_NEEDS] = "Needs",
	[G_CIRCUMSTANCES] = "Circumstances",
};

/* How the pages ask for and show each profile field. A field added to
 * field_table without an entry here still appears, under Circumstances,
 * labelled with its name. */
static const struct field_words {
	enum group group;       /* G_HIDDEN: not asked on the form */
	const char *label;
	const char *hint;       /* NULL: none; numbers add their range */
	const char *width;      /* numbers: a govuk-input--width-N class */
} field_words[PF_COUNT] = {
	[PF_ID] = { G_HIDDEN, "Case reference", NULL, NULL },
	[PF_AGE] = { G_ABOUT, "Age", "In years", "govuk-input--width-3" },
	[PF_SEX] = { G_ABOUT, "Sex", NULL, NULL },
	[PF_REGION] = { G_ABOUT, "Probation region", NULL, NULL },
	[PF_AREA] = { G_ABOUT, "County or local area",
		      "For example Kent, Lancashire or Southend. It gives the region when that is not chosen", NULL },
	[PF_PRISON] = { G_ABOUT, "Prison", "If in custody, for example HMP Maidstone", NULL },
	[PF_WEEKS_TO_RELEASE] = { G_ABOUT, "Weeks to release", "If in custody", "govuk-input--width-4" },
	[PF_SENTENCE] = { G_SENTENCE, "Sentence, order or licence", NULL, NULL },
	[PF_ORDER_MONTHS] = { G_SENTENCE, "Length of the order or licence in months", NULL, "govuk-input--width-4" },
	[PF_REQUIREMENTS] = { G_SENTENCE, "Requirements on the order", NULL, NULL },
	[PF_ROSH] = { G_RISK, "Risk of serious harm (RoSH)", NULL, NULL },
	[PF_OGRS] = { G_RISK, "OGRS3 score", "Two-year proven reoffending probability, as a percentage",
		      "govuk-input--width-4" },
	[PF_OVP] = { G_RISK, "OVP score", "OASys Violence Predictor, as a percentage", "govuk-input--width-4" },
	[PF_OGP] = { G_RISK, "OGP score", "OASys General reoffending Predictor, as a percentage",
		     "govuk-input--width-4" },
	[PF_RSR] = { G_RISK, "RSR score", "Risk of Serious Recidivism, as a percentage", "govuk-input--width-4" },
	[PF_OSP] = { G_RISK, "OSP band", "OASys Sexual reoffending Predictor", NULL },
	[PF_SARA] = { G_RISK, "SARA", "Spousal Assault Risk Assessment. Medium is the brochures' \"moderate\"", NULL },
	[PF_OASYS_TOTAL] = { G_RISK, "OASys thinking and behaviour total", NULL, "govuk-input--width-3" },
	[PF_OASYS_11_6] = { G_RISK, "OASys item 11.6 (impulsivity)", NULL, "govuk-input--width-2" },
	[PF_OASYS_11_7] = { G_RISK, "OASys item 11.7 (temper control)", NULL, "govuk-input--width-2" },
	[PF_AUDIT] = { G_RISK, "AUDIT alcohol score", NULL, "govuk-input--width-3" },
	[PF_SADQ] = { G_RISK, "SADQ alcohol dependence score", NULL, "govuk-input--width-3" },
	[PF_INDEX_OFFENCE] = { G_OFFENCES, "Index offence", "Its category", NULL },
	[PF_OFFENCES] = { G_OFFENCES, "Offences, index or previous", NULL, NULL },
	[PF_CONVICTIONS] = { G_OFFENCES, "Number of convictions to date", NULL, "govuk-input--width-4" },
	[PF_NEEDS] = { G_NEEDS, "Assessed need areas", NULL, NULL },
	[PF_FLAGS] = { G_CIRCUMSTANCES, "Circumstances that apply", NULL, NULL },
	[PF_COMPLETED] = { G_CIRCUMSTANCES, "Services already completed",
			   "Service ids separated by commas, for example kss-crc/ttg-level-1", NULL },
	[PF_VULNERABILITIES] = { G_CIRCUMSTANCES, "Vulnerabilities", "Separated by commas", NULL },
};

/* The four statuses in the order the results show them. */
static const struct status_words {
	const char *status, *title, *tag, *intro;
} statuses[MAX_RESULT_GROUPS] = {
	{ "eligible", "Eligible", "govuk-tag--green",
	  "Every eligibility criterion is met and nothing in the profile makes the service unsuitable." },
	{ "unknown", "Needs checking", "govuk-tag--yellow",
	  "Nothing rules the person out, but some criteria need facts the profile does not give, or your "
	  "judgement. Those with the fewest to check come first." },
	{ "unsuitable", "Not suitable", "govuk-tag--orange",
	  "The eligibility criteria do not rule the person out, but the brochure says the service is not "
	  "suitable for them." },
	{ "ineligible", "Not eligible", "govuk-tag--red", "At least one eligibility criterion is not met." },
};

static enum group group_of(int f)
{
	return field_words[f].label ? field_words[f].group : G_CIRCUMSTANCES;
}

static const char *label_of(struct request *r, int f)
{
	return field_words[f].label ? field_words[f].label : web_humanise(r, field_table[f].name);
}

/* "scores.ovp" -> "scores-ovp": an HTML id (and link target) per field. */
static const char *html_id(struct request *r, int f)
{
	char *id = arena_strdup(&r->arena, field_table[f].name);

	for (char *p = id; p && *p; p++)
		if (*p == '.')
			*p = '-';
	return id ? id : "";
}

/* s without leading and trailing white space, in the arena; NULL stays. */
static const char *trimmed(struct request *r, const char *s)
{
	size_t n;

	if (!s)
		return NULL;
	while (isspace((unsigned char)*s))
		s++;
	n = strlen(s);
	while (n && isspace((unsigned char)s[n - 1]))
		n--;
	return arena_strndup(&r->arena, s, n);
}

/* --- a profile as JSON, by the field table's dotted names --- */

static json_t *profile_value(json_t *profile, const char *name)
{
	const char *dot = strchr(name, '.');
	char head[64];

	if (!dot)
		return json_object_get(profile, name);
	snprintf(head, sizeof(head), "%.*s", (int)(dot - name), name);
	return profile_value(json_object_get(profile, head), dot + 1);
}

/* Set name (dotted: into a nested object) to v, which is stolen. */
static void profile_put(json_t *profile, const char *name, json_t *v)
{
	const char *dot = strchr(name, '.');
	char head[64];
	json_t *sub;

	if (!dot) {
		json_object_set_new(profile, name, v);
		return;
	}
	snprintf(head, sizeof(head), "%.*s", (int)(dot - name), name);
	sub = json_object_get(profile, head);
	if (!json_is_object(sub)) {
		sub = json_object();
		json_object_set_new(profile, head, sub);
	}
	profile_put(sub, dot + 1, v);
}

/* A number as typed: a JSON number when it is one, else the text itself,
 * which the API answers with a message naming the field. */
static json_t *number_of(const char *s)
{
	char *end;
	double d;

	if (strspn(s, "0123456789.+-eE") != strlen(s))
		return json_string(s);
	d = strtod(s, &end);
	if (end == s || *end || !isfinite(d))
		return json_string(s);
	if (d == floor(d) && fabs(d) < 1e15)
		return json_integer((json_int_t)d);
	return json_real(d);
}

static int form_has(const struct query *form, const char *key, const char *value)
{
	for (size_t i = 0; i < form->n; i++)
		if (!strcmp(form->p[i].key, key) && !strcmp(form->p[i].value, value))
			return 1;
	return 0;
}

/* "a, b c" -> ["a", "b", "c"]; "none" alone -> []. */
static json_t *ids_of(const char *s)
{
	json_t *out = json_array();

	if (!strcasecmp(s, "none"))
		return out;
	while (*s) {
		size_t n;

		s += strspn(s, ", \t\r\n");
		n = strcspn(s, ", \t\r\n");
		if (n)
			json_array_append_new(out, json_stringn(s, n));
		s += n;
	}
	return out;
}

/* The profile a submitted form describes. errs[f] gets the page's own
 * objections (a list with both boxes and "None" ticked). */
static json_t *profile_from_form(struct request *r, const struct query *form, const char **errs)
{
	json_t *profile = json_object();

	for (int f = 0; f < PF_COUNT; f++) {
		const struct field *fd = &field_table[f];
		const char *v = trimmed(r, query_get(form, fd->name));
		json_t *list;

		if (group_of(f) == G_HIDDEN)
			continue;
		switch (fd->type) {
		case FT_INT:
		case FT_NUM:
			if (v && *v)
				profile_put(profile, fd->name, number_of(v));
			break;
		case FT_ENUM:
		case FT_TEXT:
			if (v && *v)
				profile_put(profile, fd->name, json_string(v));
			break;
		case FT_IDS:
			if (v && *v)
				profile_put(profile, fd->name, ids_of(v));
			break;
		case FT_SET:
			list = json_array();
			for (size_t i = 0; i < form->n; i++)
				if (!strcmp(form->p[i].key, fd->name) && *form->p[i].value)
					json_array_append_new(list, json_string(form->p[i].value));
			if (form_has(form, fd->name, "") && json_array_size(list))
				errs[f] = arena_sprintf(&r->arena, "%s: select the ones that apply, or \"None of "
								   "these\", not both", label_of(r, f));
			if (json_array_size(list) || form_has(form, fd->name, ""))
				profile_put(profile, fd->name, list);
			else
				json_decref(list);
			break;
		}
	}
	return profile;
}

/* --- showing values --- */

static const char *value_text(struct request *r, json_t *v)
{
	if (json_is_string(v))
		return json_string_value(v);
	if (json_is_integer(v))
		return arena_sprintf(&r->arena, "%lld", (long long)json_integer_value(v));
	if (json_is_real(v))
		return arena_sprintf(&r->arena, "%.15g", json_real_value(v));
	return "";
}

static const char *joined(struct request *r, json_t *list, const char *sep)
{
	struct buf b = BUF_INIT;
	const char *out;
	json_t *x;
	size_t i;
	enum rc rc = RC_OK;

	json_array_foreach(list, i, x)
		if (!rc)
			rc = buf_addf(&b, "%s%s", i ? sep : "", value_text(r, x));
	out = rc || !b.len ? "" : arena_strndup(&r->arena, b.data, b.len);
	buf_release(&b);
	return out ? out : "";
}

static int list_has(json_t *list, const char *value)
{
	json_t *x;
	size_t i;

	json_array_foreach(list, i, x)
		if (json_is_string(x) && !strcmp(json_string_value(x), value))
			return 1;
	return 0;
}

/* The words a page shows for a vocabulary value. */
static const char *vocab_words(struct request *r, int f, const char *value)
{
	/* regions are printed as the brochures print them */
	return f == PF_REGION ? value : web_humanise(r, value);
}

/* One row of a summary list: value, or values (a list) when there are several. */
static json_t *summary_row(struct request *r, int f, json_t *v)
{
	json_t *row = json_pack("{s:s, s:s, s:[]}", "key", label_of(r, f), "value", "Not known", "values");
	json_t *values = json_object_get(row, "values"), *x;
	size_t i;

	if (!v || json_is_null(v))
		return row;
	switch (field_table[f].type) {
	case FT_SET:
	case FT_IDS:
		json_array_foreach(v, i, x)
			json_array_append_new(values, json_string(field_table[f].type == FT_SET
									  ? vocab_words(r, f, json_string_value(x))
									  : value_text(r, x)));
		json_object_set_new(row, "value", json_string(json_array_size(v) ? "" : "None"));
		break;
	case FT_ENUM:
		json_object_set_new(row, "value", json_string(vocab_words(r, f, value_text(r, v))));
		break;
	default:
		json_object_set_new(row, "value", json_string(value_text(r, v)));
	}
	return row;
}

/* The profile as summary lists by group: every field (all), or the known
 * ones. [{title, rows: [{key, value, values}]}], groups without rows left out. */
static json_t *profile_summary(struct request *r, json_t *profile, int all)
{
	json_t *groups = json_array();

	for (enum group g = G_ABOUT; g < G_COUNT; g++) {
		json_t *rows = json_array();

		for (int f = 0; f < PF_COUNT; f++) {
			json_t *v = profile_value(profile, field_table[f].name), *row;
			int inferred = -1;

			if (f == PF_REGION && (!v || json_is_null(v))) {
				/* the engine works the region out from the area: say so */
				json_t *area = profile_value(profile, field_table[PF_AREA].name);

				if (json_is_string(area))
					inferred = geo_region_of_area(json_string_value(area));
			}
			if (group_of(f) != g || (!all && (!v || json_is_null(v)) && inferred < 0))
				continue;
			row = summary_row(r, f, v);
			if (inferred >= 0)
				json_object_set_new(row, "value", json_string(arena_sprintf(&r->arena,
					"%s (worked out from the area)", field_regions[inferred])));
			json_array_append_new(rows, row);
		}
		if (json_array_size(rows))
			json_array_append_new(groups, json_pack("{s:s, s:o}", "title", group_titles[g], "rows", rows));
		else
			json_decref(rows);
	}
	return groups;
}

/* --- the form --- */

static const char *range_hint(struct request *r, int f)
{
	const struct field *fd = &field_table[f];
	const char *range = arena_sprintf(&r->arena, "%s from %g to %g",
					  fd->type == FT_INT ? "A whole number" : "A number", fd->min, fd->max);

	if (field_words[f].hint)
		return arena_sprintf(&r->arena, "%s. %s", field_words[f].hint, range);
	return range;
}

static const char *set_hint(struct request *r, int f)
{
	const char *how = "Select all that apply. Leave every box empty if you do not know";

	if (field_words[f].hint)
		return arena_sprintf(&r->arena, "%s. %s", field_words[f].hint, how);
	return how;
}

static json_t *enum_options(struct request *r, int f, const char *selected)
{
	const char *const *vocab = field_table[f].vocab;
	json_t *options = json_array();

	json_array_append_new(options, json_pack("{s:s, s:s, s:b}", "value", "", "text", "Not known",
						 "selected", !selected || !*selected));
	for (size_t k = 0; vocab[k]; k++)
		json_array_append_new(options, json_pack("{s:s, s:s, s:b}", "value", vocab[k], "text",
							 vocab_words(r, f, vocab[k]), "selected",
							 selected && !strcmp(selected, vocab[k])));
	return options;
}

static json_t *set_items(struct request *r, int f, const char *id, json_t *have)
{
	const char *const *vocab = field_table[f].vocab;
	json_t *items = json_array();

	for (size_t k = 0; vocab[k]; k++)
		json_array_append_new(items, json_pack("{s:s, s:s, s:s, s:b}", "id",
						       k ? arena_sprintf(&r->arena, "%s-%zu", id, k + 1) : id,
						       "value", vocab[k], "text", vocab_words(r, f, vocab[k]),
						       "checked", list_has(have, vocab[k])));
	return items;
}

/* One control: {id, name, label, hint, describedby, error_text, and one of
 * number / select / checkboxes / text with what it needs}. */
static json_t *field_view(struct request *r, int f, json_t *profile, const char *err)
{
	const struct field *fd = &field_table[f];
	const char *id = html_id(r, f);
	json_t *v = profile_value(profile, fd->name);
	json_t *o = json_pack("{s:s, s:s, s:s, s:s, s:b, s:b, s:b, s:b}", "id", id, "name", fd->name,
			      "label", label_of(r, f), "error_text", err ? err : "", "number", 0, "select", 0,
			      "checkboxes", 0, "text", 0);
	const char *hint = field_words[f].hint;

	switch (fd->type) {
	case FT_INT:
	case FT_NUM:
		hint = range_hint(r, f);
		json_object_set_new(o, "number", json_true());
		json_object_set_new(o, "width", json_string(field_words[f].width ? field_words[f].width
									     : "govuk-input--width-5"));
		json_object_set_new(o, "inputmode", json_string(fd->type == FT_INT ? "numeric" : "decimal"));
		json_object_set_new(o, "value", json_string(value_text(r, v)));
		break;
	case FT_ENUM:
		json_object_set_new(o, "select", json_true());
		json_object_set_new(o, "options", enum_options(r, f, json_string_value(v)));
		break;
	case FT_SET:
		hint = set_hint(r, f);
		json_object_set_new(o, "checkboxes", json_true());
		json_object_set_new(o, "items", set_items(r, f, id, v));
		json_object_set_new(o, "none_id", json_string(arena_sprintf(&r->arena, "%s-none", id)));
		json_object_set_new(o, "none_checked", json_boolean(json_is_array(v) && !json_array_size(v)));
		break;
	case FT_IDS:
		hint = arena_sprintf(&r->arena, "%s. Leave it empty if you do not know; write none if there are none",
				     hint ? hint : "Separated by commas");
		json_object_set_new(o, "text", json_true());
		json_object_set_new(o, "value", json_string(!json_is_array(v) ? value_text(r, v)
							    : json_array_size(v) ? joined(r, v, ", ") : "none"));
		break;
	case FT_TEXT:
		json_object_set_new(o, "text", json_true());
		json_object_set_new(o, "value", json_string(value_text(r, v)));
		break;
	}
	{
		const char *hint_id = hint ? arena_sprintf(&r->arena, "%s-hint", id) : NULL;
		const char *err_id = err ? arena_sprintf(&r->arena, "%s-error", id) : NULL;

		json_object_set_new(o, "hint", json_string(hint ? hint : ""));
		json_object_set_new(o, "describedby",
				    json_string(hint_id && err_id ? arena_sprintf(&r->arena, "%s %s", hint_id, err_id)
						: hint_id	      ? hint_id
						: err_id	      ? err_id
								      : ""));
	}
	return o;
}

/* The form's groups of controls, holding the profile's values. */
static json_t *form_groups(struct request *r, json_t *profile, const char *const *errs)
{
	json_t *groups = json_array();

	for (enum group g = G_ABOUT; g < G_COUNT; g++) {
		json_t *fields = json_array();

		for (int f = 0; f < PF_COUNT; f++)
			if (group_of(f) == g)
				json_array_append_new(fields, field_view(r, f, profile, errs[f]));
		json_array_append_new(groups, json_pack("{s:s, s:o}", "title", group_titles[g], "fields", fields));
	}
	return groups;
}

/* Everything the form needs in view v: its controls, the hidden person and
 * services, and the error summary for errs. */
static void add_form(struct request *r, json_t *v, json_t *profile, json_t *services, const char *crn,
		     const char *const *errs)
{
	json_t *errors = json_array();

	for (int f = 0; f < PF_COUNT; f++)
		if (errs[f])
			web_add_error(r, errors, html_id(r, f), NULL, errs[f]);
	json_object_set_new(v, "groups", form_groups(r, profile, errs));
	json_object_set_new(v, "crn", json_string(crn ? crn : ""));
	json_object_set(v, "services", services);
	json_object_set_new(v, "errors", errors);
}

/* The one service a check is limited to: {name, provider, href, all_href},
 * or NULL with the page answered when there is no such service. */
static json_t *only_service(struct app *a, struct request *r, json_t *services, const char *crn,
			    int *failed)
{
	const char *id, *slash;
	json_t *answer = NULL, *out;
	struct query_param p = { "crn", crn ? crn : "" };
	struct query q = { &p, 1 };
	int status;

	*failed = 0;
	if (json_array_size(services) != 1)
		return NULL;
	id = json_string_value(json_array_get(services, 0));
	slash = id ? strchr(id, '/') : NULL;
	status = slash ? web_call(a, r, api_service_get, NULL, NULL, arena_strndup(&r->arena, id, (size_t)(slash - id)),
				  slash + 1, &answer)
		       : 404;
	if (status != 200) {
		web_page_error(a, r, status, web_error_message(answer, "There is no such service."));
		json_decref(answer);
		*failed = 1;
		return NULL;
	}
	out = json_pack("{s:s, s:s, s:s, s:s}", "name", web_str(answer, "name", id), "provider",
			web_str(answer, "provider", ""), "href", arena_sprintf(&r->arena, "/services/%s", id),
			"all_href", arena_sprintf(&r->arena, "/eligibility%s", web_query_with(r, &q, "crn", crn)));
	json_decref(answer);
	return out;
}

static int may_open_people(const struct request *r)
{
	return r->user.role == ROLE_PRACTITIONER || r->user.role == ROLE_ADMIN;
}

void web_eligibility_form(void *app, struct request *r)
{
	struct app *a = app;
	const char *crn = trimmed(r, query_get(&r->query, "crn"));
	const char *errs[PF_COUNT] = { 0 };
	json_t *services = json_array(), *person = NULL, *profile = NULL, *only, *v;
	int failed;

	for (size_t i = 0; i < r->query.n; i++)
		if (!strcmp(r->query.p[i].key, "service") && *r->query.p[i].value)
			json_array_append_new(services, json_string(r->query.p[i].value));
	if (crn && *crn) {
		int status;

		if (!may_open_people(r)) {
			web_page_error(a, r, 403, "Only probation practitioners can check a person from their record.");
			goto out;
		}
		status = web_call(a, r, api_person_get, NULL, NULL, crn, NULL, &person);
		if (status != 200) {
			web_page_error(a, r, status,
				       status == 404 ? arena_sprintf(&r->arena, "There is no record for CRN %s that you can open.", crn)
						     : web_error_message(person, "The person's record could not be read."));
			goto out;
		}
		profile = json_incref(json_object_get(person, "profile"));
	}
	only = only_service(a, r, services, crn, &failed);
	if (failed)
		goto out;
	v = web_view(a, r, "Check eligibility", "eligibility");
	if (only)
		json_object_set_new(v, "only", only);
	if (person)
		json_object_set_new(v, "person", json_pack("{s:s, s:s}", "name", web_str(person, "name", ""), "crn", crn));
	add_form(r, v, profile, services, crn, errs);
	web_render(a, r, 200, "eligibility", v);
out:
	json_decref(profile);
	json_decref(person);
	json_decref(services);
}

/* --- results --- */

static json_t *criterion_view(json_t *c)
{
	const char *kind = web_str(c, "kind", ""), *outcome = web_str(c, "outcome", "");
	int excluding = !strcmp(kind, "not_suitable");
	const char *text = "Unknown", *tag = "govuk-tag--grey";

	if (!strcmp(outcome, "met")) {
		text = "Met";
		tag = excluding ? "govuk-tag--red" : "govuk-tag--green";
	} else if (!strcmp(outcome, "not_met")) {
		text = "Not met";
		tag = excluding ? "govuk-tag--green" : "govuk-tag--red";
	} else if (!strcmp(outcome, "judgement")) {
		text = "Your judgement";
		tag = "govuk-tag--blue";
	}
	return json_pack("{s:O, s:s, s:s}", "text", json_object_get(c, "text"), "outcome_text", text, "tag", tag);
}

static json_t *result_view(struct request *r, json_t *res, const struct status_words *sw, int refer,
			   const char *crn, int *to_check)
{
	const char *id = web_str(res, "service", "");
	json_t *elig = json_array(), *unsuit = json_array(), *o, *c;
	size_t i;

	*to_check = 0;
	json_array_foreach(json_object_get(res, "criteria"), i, c) {
		const char *outcome = web_str(c, "outcome", "");

		*to_check += !strcmp(outcome, "unknown") || !strcmp(outcome, "judgement");
		json_array_append_new(strcmp(web_str(c, "kind", ""), "not_suitable") ? elig : unsuit,
				      criterion_view(c));
	}
	o = json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:i}", "id", id, "href",
		      arena_sprintf(&r->arena, "/services/%s", id), "name", web_str(res, "name", id), "provider",
		      web_str(res, "provider", ""), "status_text", sw->title, "tag", sw->tag, "to_check",
		      strcmp(sw->status, "unknown") ? 0 : *to_check);
	json_object_set_new(o, "eligibility", json_array_size(elig) ? json_pack("{s:o}", "items", elig) : json_false());
	json_object_set_new(o, "not_suitable", json_array_size(unsuit) ? json_pack("{s:o}", "items", unsuit)
								       : json_false());
	if (!json_array_size(elig))
		json_decref(elig);
	if (!json_array_size(unsuit))
		json_decref(unsuit);
	if (refer) {
		struct query_param p[2] = { { "service", id }, { "crn", crn ? crn : "" } };
		struct query q = { p, 2 };

		json_object_set_new(o, "refer", json_string(arena_sprintf(&r->arena, "/referrals/new%s",
									  web_query_with(r, &q, "crn", crn))));
	} else {
		json_object_set_new(o, "refer", json_false());
	}
	return o;
}

struct ranked {
	json_t *item;
	int to_check;
	size_t order;
};

static int by_to_check(const void *x, const void *y)
{
	const struct ranked *a = x, *b = y;

	if (a->to_check != b->to_check)
		return a->to_check < b->to_check ? -1 : 1;
	return a->order < b->order ? -1 : a->order > b->order;
}

/* The API's results grouped by status in the order of statuses[]. */
static json_t *result_groups(struct request *r, json_t *results, const char *crn, size_t *total)
{
	json_t *groups = json_array();
	int refer_ok = r->user.role == ROLE_PRACTITIONER;

	*total = json_array_size(results);
	for (int g = 0; g < MAX_RESULT_GROUPS; g++) {
		const struct status_words *sw = &statuses[g];
		struct ranked *rank = calloc(*total + 1, sizeof(*rank));
		json_t *list = json_array(), *res;
		size_t i, n = 0;

		json_array_foreach(results, i, res) {
			if (strcmp(web_str(res, "status", ""), sw->status) || !rank)
				continue;
			rank[n].item = result_view(r, res, sw, refer_ok && g < 2, crn, &rank[n].to_check);
			rank[n].order = n;
			n++;
		}
		if (rank && g == 1)
			qsort(rank, n, sizeof(*rank), by_to_check);
		for (i = 0; i < n; i++)
			json_array_append_new(list, rank[i].item);
		free(rank);
		json_array_append_new(groups, json_pack("{s:s, s:s, s:s, s:s, s:I, s:o}", "status", sw->status,
							"title", sw->title, "tag", sw->tag, "intro", sw->intro,
							"count", (json_int_t)n, "services", list));
	}
	return groups;
}

/* The API's 400 names a field ("profile.scores.ovp", "profile.offences[2]"):
 * the form field it means, or -1. */
static int field_of_error(const char *name)
{
	size_t n;
	int f;

	if (strncmp(name, "profile.", 8))
		return -1;
	name += 8;
	n = strcspn(name, "[");
	f = field_lookup(name, n);
	return f >= 0 && group_of(f) != G_HIDDEN ? f : -1;
}

void web_eligibility(void *app, struct request *r)
{
	struct app *a = app;
	struct query form;
	const char *errs[PF_COUNT] = { 0 }, *crn;
	json_t *profile = NULL, *services, *body = NULL, *answer = NULL, *only = NULL, *v;
	int status, bad = 0, failed = 0;
	size_t total;

	if (web_form(a, r, &form))
		return;
	services = json_array();
	crn = trimmed(r, query_get(&form, "crn"));
	for (size_t i = 0; i < form.n; i++)
		if (!strcmp(form.p[i].key, "service") && *form.p[i].value)
			json_array_append_new(services, json_string(form.p[i].value));
	profile = profile_from_form(r, &form, errs);
	for (int f = 0; f < PF_COUNT; f++)
		bad |= errs[f] != NULL;
	only = only_service(a, r, services, crn, &failed);
	if (failed)
		goto out;
	if (!bad) {
		body = json_pack("{s:O}", "profile", profile);
		if (json_array_size(services))
			json_object_set(body, "services", services);
		status = web_call(a, r, api_eligibility, body, NULL, NULL, NULL, &answer);
		if (status == 400 && field_of_error(web_error_field(answer)) >= 0) {
			int f = field_of_error(web_error_field(answer));

			errs[f] = arena_sprintf(&r->arena, "%s %s", label_of(r, f),
						web_error_message(answer, "is not right"));
			bad = 1;
		} else if (status != 200) {
			web_page_error(a, r, status, web_error_message(answer, "The check could not be made."));
			goto out;
		}
	}
	v = web_view(a, r, bad ? "Check eligibility" : "Eligibility results", "eligibility");
	if (only)
		json_object_set_new(v, "only", only);
	only = NULL;
	add_form(r, v, profile, services, crn, errs);
	if (bad) {
		web_render(a, r, 400, "eligibility", v);
		goto out;
	}
	json_object_set_new(v, "result_groups", result_groups(r, json_object_get(answer, "results"), crn, &total));
	json_object_set_new(v, "total", json_integer((json_int_t)total));
	json_object_set_new(v, "checked", profile_summary(r, profile, 0));
	json_object_set_new(v, "has_checked", json_boolean(json_array_size(json_object_get(v, "checked")) > 0));
	web_render(a, r, 200, "eligibility-results", v);
out:
	json_decref(only);
	json_decref(answer);
	json_decref(body);
	json_decref(profile);
	json_decref(services);
}

/* --- people --- */

static int crn_valid(const char *s)
{
	size_t n = strlen(s);

	if (!n || n > 16)
		return 0;
	for (size_t i = 0; i < n; i++)
		if (!isalnum((unsigned char)s[i]))
			return 0;
	return 1;
}

void web_people(void *app, struct request *r)
{
	struct app *a = app;
	const char *crn = trimmed(r, query_get(&r->query, "crn"));
	json_t *v;
	int given = query_get(&r->query, "crn") != NULL;

	if (crn && crn_valid(crn)) {
		http_redirect(r, arena_sprintf(&r->arena, "/people/%s", crn));
		return;
	}
	v = web_view(a, r, "Find a person", "people");
	json_object_set_new(v, "crn", json_string(crn ? crn : ""));
	if (given)
		json_object_set_new(v, "errors", json_pack("[{s:s, s:s, s:s}]", "field", "crn", "href", "#crn", "text",
							   crn && *crn ? "Enter a case reference number using letters and "
									 "digits only, like X123456"
								       : "Enter a case reference number"));
	web_render(a, r, given ? 400 : 200, "people", v);
}

static const char *long_date(struct request *r, const char *iso)
{
	static const char *const months[] = { "January", "February", "March", "April", "May", "June", "July",
					       "August", "September", "October", "November", "December" };
	char *end;
	long y, m, d;

	if (!iso || strlen(iso) < 10 || iso[4] != '-' || iso[7] != '-')
		return iso ? iso : "";
	y = strtol(iso, &end, 10);
	m = strtol(iso + 5, &end, 10);
	d = strtol(iso + 8, &end, 10);
	if (m < 1 || m > 12 || d < 1 || d > 31)
		return iso;
	return arena_sprintf(&r->arena, "%ld %s %ld", d, months[m - 1], y);
}

static json_t *events_view(struct request *r, json_t *events)
{
	json_t *out = json_array(), *ev, *req;
	size_t i, k;

	json_array_foreach(events, i, ev) {
		json_t *reqs = json_array();

		json_array_foreach(json_object_get(ev, "requirements"), k, req) {
			json_t *days = json_object_get(req, "days"), *hours = json_object_get(req, "hours");
			const char *what = web_humanise(r, web_str(req, "type", ""));

			json_array_append_new(reqs, json_string(
				days ? arena_sprintf(&r->arena, "%s: %lld days", what, (long long)json_integer_value(days))
				: hours ? arena_sprintf(&r->arena, "%s: %lld hours", what,
							(long long)json_integer_value(hours))
					: what));
		}
		json_array_append_new(out, json_pack("{s:s, s:s, s:s, s:s, s:o}", "id", web_str(ev, "id", ""), "type",
						      web_humanise(r, web_str(ev, "type", "")), "start",
						      long_date(r, web_str(ev, "start_date", "")), "end",
						      json_object_get(ev, "end_date") ? long_date(r, web_str(ev, "end_date", ""))
										       : "Not set",
						      "requirements", reqs));
	}
	return out;
}

static const char *referral_tag(const char *status)
{
	static const struct {
		const char *status, *tag;
	} tags[] = {
		{ "draft", "govuk-tag--grey" },	    { "referred", "govuk-tag--blue" },
		{ "accepted", "govuk-tag--turquoise" }, { "in_progress", "govuk-tag--purple" },
		{ "completed", "govuk-tag--green" },    { "rejected", "govuk-tag--red" },
		{ "cancelled", "govuk-tag--grey" },
	};

	for (size_t i = 0; i < sizeof(tags) / sizeof(tags[0]); i++)
		if (!strcmp(status, tags[i].status))
			return tags[i].tag;
	return "govuk-tag--grey";
}

static json_t *referrals_view(struct request *r, json_t *list)
{
	json_t *out = json_array(), *x;
	size_t i;

	json_array_foreach(list, i, x) {
		const char *status = web_str(x, "status", "");

		json_array_append_new(out, json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s}", "href",
						     arena_sprintf(&r->arena, "/referrals/%lld",
								   (long long)json_integer_value(json_object_get(x, "id"))),
						     "reference", web_str(x, "reference", ""), "service",
						     web_str(x, "service_name", web_str(x, "service", "")), "service_href",
						     arena_sprintf(&r->arena, "/services/%s", web_str(x, "service", "")),
						     "provider", web_str(json_object_get(x, "provider"), "name", ""),
						     "status", web_humanise(r, status), "tag", referral_tag(status), "date",
						     long_date(r, web_str(x, "created_at", ""))));
	}
	return out;
}

/* "Find a service" already filtered by what the profile knows of the person
 * (the filters of the find-a-service page that are profile fields). */
static const char *services_href(struct request *r, json_t *profile)
{
	static const int filters[] = { PF_REGION, PF_SEX, PF_AGE };
	struct query_param p[3];
	struct query q = { p, 0 };

	for (size_t i = 0; i < sizeof(filters) / sizeof(filters[0]); i++) {
		json_t *v = profile_value(profile, field_table[filters[i]].name);

		if (v && !json_is_null(v))
			p[q.n++] = (struct query_param){ field_table[filters[i]].name, value_text(r, v) };
	}
	return arena_sprintf(&r->arena, "/services%s", q.n ? web_query_with(r, &q, "", NULL) : "");
}

void web_person(void *app, struct request *r)
{
	struct app *a = app;
	const char *crn = r->match.captures[0];
	struct query_param qp[2] = { { "crn", crn }, { "per_page", "200" } };
	struct query q = { qp, 2 }, cq = { qp, 1 };
	json_t *person = NULL, *refs = NULL, *profile, *v;
	int status = web_call(a, r, api_person_get, NULL, NULL, crn, NULL, &person);

	if (status != 200) {
		web_page_error(a, r, status,
			       status == 404 ? arena_sprintf(&r->arena, "There is no record for CRN %s that you can open.", crn)
					     : web_error_message(person, "The person's record could not be read."));
		goto out;
	}
	profile = json_object_get(person, "profile");
	v = web_view(a, r, web_str(person, "name", crn), "people");
	json_object_set_new(v, "person", json_pack("{s:s, s:s, s:s, s:s}", "name", web_str(person, "name", ""),
						   "crn", web_str(person, "crn", crn), "date_of_birth",
						   json_object_get(person, "date_of_birth")
							   ? long_date(r, web_str(person, "date_of_birth", ""))
							   : "Not known",
						   "team", web_str(person, "team", "")));
	json_object_set_new(v, "about", json_pack("[o, o]", summary_row(r, PF_REGION, profile_value(profile,
								field_table[PF_REGION].name)),
						  summary_row(r, PF_AREA, profile_value(profile, field_table[PF_AREA].name))));
	json_object_set_new(v, "profile", profile_summary(r, profile, 1));
	json_object_set_new(v, "events", events_view(r, json_object_get(person, "events")));
	json_object_set_new(v, "has_events", json_boolean(json_array_size(json_object_get(v, "events")) > 0));
	status = web_call(a, r, api_referral_list, NULL, &q, NULL, NULL, &refs);
	json_object_set_new(v, "referrals_failed", json_boolean(status != 200));
	json_object_set_new(v, "referrals", referrals_view(r, json_object_get(refs, "referrals")));
	json_object_set_new(v, "has_referrals", json_boolean(json_array_size(json_object_get(v, "referrals")) > 0));
	json_object_set_new(v, "check_href", json_string(arena_sprintf(&r->arena, "/eligibility%s",
									     web_query_with(r, &cq, "crn", crn))));
	json_object_set_new(v, "services_href", json_string(services_href(r, profile)));
	json_object_set_new(v, "back", json_pack("{s:s, s:s}", "href", "/people", "text", "Find another person"));
	web_render(a, r, 200, "person", v);
out:
	json_decref(refs);
	json_decref(person);
}
