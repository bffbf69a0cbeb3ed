/*
 * directory.c - find a service (the MoJ filter layout over the search API),
 * one service's page, and a commissioner's edit of availability, prices and
 * suspension with the version history.
 *
 * Sex and age filter through the eligibility engine: a service stays in the
 * list unless a person of that sex and age would be ineligible for it.
 */
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "catalogue/schema.h"
#include "catalogue/search.h"
#include "engine/eligibility.h"
#include "profile/field.h"
#include "web/web.h"

#define PAGE_SIZE 20

static const char *const search_keys[] = { "q", "need", "region", "provider", "section",
					     "delivery", NULL };

static json_t *option(struct request *r, const char *value, const char *text, const char *selected)
{
	return web_option(value, text ? text : web_humanise(r, value), selected);
}

static json_t *vocab_options(struct request *r, const char *const *vocab, const char *selected)
{
	json_t *a = json_array();

	json_array_append_new(a, option(r, "", "Any", selected ? selected : ""));
	for (size_t i = 0; vocab[i]; i++)
		json_array_append_new(a, option(r, vocab[i], NULL, selected));
	return a;
}

/* The filter panel's choices, from the catalogue in use. */
static void add_filters(struct request *r, const struct cathandle *h, json_t *v)
{
	json_t *providers = json_array(), *sections = json_array(), *seen = json_object();
	const char *sel;

	json_object_set_new(v, "needs", vocab_options(r, field_needs, query_get(&r->query, "need")));
	json_object_set_new(v, "regions", vocab_options(r, field_regions, query_get(&r->query, "region")));
	json_object_set_new(v, "deliveries",
			    vocab_options(r, schema_delivery_modes, query_get(&r->query, "delivery")));
	sel = query_get(&r->query, "provider");
	json_array_append_new(providers, option(r, "", "Any", sel ? sel : ""));
	sel = query_get(&r->query, "section");
	json_array_append_new(sections, option(r, "", "Any", sel ? sel : ""));
	for (size_t i = 0; h && i < h->cat.nproviders; i++)
		json_array_append_new(providers, option(r, h->cat.providers[i].id, h->cat.providers[i].name,
							 query_get(&r->query, "provider")));
	for (size_t i = 0; h && i < h->cat.nservices; i++) {
		const char *s = h->cat.services[i].section;

		if (!s || json_object_get(seen, s))
			continue;
		json_object_set_new(seen, s, json_true());
		json_array_append_new(sections, option(r, s, s, query_get(&r->query, "section")));
	}
	json_decref(seen);
	json_object_set_new(v, "providers", providers);
	json_object_set_new(v, "sections", sections);
	sel = query_get(&r->query, "sex");
	json_object_set_new(v, "sexes", json_pack("[o, o, o]", option(r, "", "Any", sel ? sel : ""),
						  option(r, "female", "Female", sel),
						  option(r, "male", "Male", sel)));
}

static int by_name(const void *x, const void *y)
{
	return strcasecmp((*(const struct service *const *)x)->name, (*(const struct service *const *)y)->name);
}

static int by_provider(const void *x, const void *y)
{
	int c = strcasecmp((*(const struct service *const *)x)->provider->name,
			   (*(const struct service *const *)y)->provider->name);

	return c ? c : by_name(x, y);
}

/* The search: the catalogue's search module, as the API's search runs it
 * (the API only pages and prints its answer; parsing that back for every
 * page view cost more than the rest of the page). The services point into
 * h, which the caller holds. Errors are added to errors. */
static const struct service **search_all(struct request *r, struct cathandle *h, size_t *n,
					 json_t *errors)
{
	struct search_query sq;
	const struct service **v = arena_alloc(&r->arena, (h->cat.nservices + 1) * sizeof(*v));
	struct err e = ERR_INIT;
	const char **fields[] = { &sq.q, &sq.provider, &sq.region, &sq.need, &sq.section, &sq.delivery,
				  &sq.route };

	api_search_query(&r->query, &sq);
	*n = 0;
	for (size_t i = 0; i < sizeof(fields) / sizeof(fields[0]); i++)
		if (*fields[i] && !**fields[i])
			*fields[i] = NULL; /* an empty box is no filter */
	if (!v || search_run(&h->cat, &sq, v, n, &e)) {
		web_add_error(r, errors, e.field, NULL, v ? e.msg : "out of memory");
		*n = 0;
	}
	return v;
}

/* Drop the services a person of this sex and age would be ineligible for:
 * the eligibility engine with a profile of just those two facts (everything
 * else unknown), as the eligibility API runs it. */
static void filter_person(struct request *r, const struct service **v, size_t *n, json_t *errors)
{
	const char *sex = query_get(&r->query, "sex"), *age = query_get(&r->query, "age");
	json_t *obj = json_object();
	struct profile p;
	struct err e = ERR_INIT;
	size_t kept = 0;
	char *end;

	if (sex && *sex)
		json_object_set_new(obj, "sex", json_string(sex));
	if (age && *age) {
		long years = strtol(age, &end, 10);

		if (*end || years < 10 || years > 120) {
			web_add_error(r, errors, "age", NULL, "Age must be a whole number from 10 to 120");
			goto out;
		}
		json_object_set_new(obj, "age", json_integer(years));
	}
	if (!json_object_size(obj) || !*n)
		goto out;
	if (profile_from_json(&p, obj, &e)) {
		web_add_error(r, errors, e.field, NULL, e.msg);
		profile_clear(&p);
		goto out;
	}
	for (size_t i = 0; i < *n; i++)
		if (elig_check(v[i], &p, NULL) != ES_INELIGIBLE)
			v[kept++] = v[i];
	*n = kept;
	profile_clear(&p);
out:
	json_decref(obj);
}

static json_t *words_of(struct request *r, json_t *values)
{
	json_t *out = json_array(), *v;
	size_t i;

	json_array_foreach(values, i, v)
		json_array_append_new(out, json_string(web_humanise(r, json_string_value(v))));
	return out;
}

static json_t *copy_strings(json_t *list)
{
	json_t *out = json_array(), *x;
	size_t i;

	json_array_foreach(list, i, x)
		if (json_is_string(x))
			json_array_append_new(out, json_string(json_string_value(x)));
	return out;
}

/* One result. The catalogue's JSON is shared by every thread: it is only
 * read here, and what the view needs is copied. */
static json_t *summary(struct request *r, const struct service *svc)
{
	json_t *s = svc->json, *o = json_object();
	const char *desc = json_string_value(json_object_get(s, "description"));
	char shortdesc[300];

	json_object_set_new(o, "href", json_string(arena_sprintf(&r->arena, "/services/%s", svc->id)));
	json_object_set_new(o, "id", json_string(svc->id));
	json_object_set_new(o, "name", json_string(svc->name));
	json_object_set_new(o, "provider", json_string(svc->provider->name));
	json_object_set_new(o, "section", json_string(svc->section ? svc->section : ""));
	json_object_set_new(o, "regions", copy_strings(json_object_get(s, "regions")));
	json_object_set_new(o, "needs", words_of(r, json_object_get(s, "needs")));
	json_object_set_new(o, "modes", words_of(r, json_object_get(json_object_get(s, "delivery"), "modes")));
	json_object_set_new(o, "suspended", json_boolean(svc->suspended));
	if (desc) {
		size_t n = strlen(desc);

		if (n >= sizeof(shortdesc)) {
			n = sizeof(shortdesc) - 4;
			while (n && (desc[n] & 0xC0) == 0x80)
				n--; /* not inside a UTF-8 sequence */
			snprintf(shortdesc, sizeof(shortdesc), "%.*s...", (int)n, desc);
		} else {
			snprintf(shortdesc, sizeof(shortdesc), "%s", desc);
		}
		json_object_set_new(o, "description", json_string(shortdesc));
	}
	return o;
}

/* Removable tags for the filters in use (the MoJ filter's selected panel). */
static json_t *selected_tags(struct request *r)
{
	static const char *const keys[] = { "q", "need", "region", "provider", "section", "delivery",
					    "sex", "age", NULL };
	static const char *const labels[] = { "Words", "Need", "Region", "Provider", "Section",
					      "Delivery", "Sex", "Age", NULL };
	json_t *tags = json_array();

	for (int i = 0; keys[i]; i++) {
		const char *v = query_get(&r->query, keys[i]);

		if (!v || !*v)
			continue;
		json_array_append_new(tags, json_pack("{s:s, s:s, s:s}", "label", labels[i], "text",
						      web_humanise(r, v), "href",
						      arena_sprintf(&r->arena, "/services%s",
								    web_query_with(r, &r->query, keys[i], NULL))));
	}
	return tags;
}

static json_t *pagination(struct request *r, long page, long pages)
{
	json_t *items = json_array(), *o = json_object();

	for (long k = 1; k <= pages; k++) {
		char n[24];

		snprintf(n, sizeof(n), "%ld", k);
		if (pages > 7 && k != 1 && k != pages && labs(k - page) > 1) {
			if (labs(k - page) == 2)
				json_array_append_new(items, json_pack("{s:b}", "ellipsis", 1));
			continue;
		}
		json_array_append_new(items, json_pack("{s:s, s:s, s:b}", "number", n, "href",
						       arena_sprintf(&r->arena, "/services%s",
								     web_query_with(r, &r->query, "page", n)),
						       "current", k == page));
	}
	json_object_set_new(o, "items", items);
	if (page > 1) {
		char n[24];

		snprintf(n, sizeof(n), "%ld", page - 1);
		json_object_set_new(o, "previous", json_string(arena_sprintf(&r->arena, "/services%s",
									     web_query_with(r, &r->query, "page", n))));
	}
	if (page < pages) {
		char n[24];

		snprintf(n, sizeof(n), "%ld", page + 1);
		json_object_set_new(o, "next", json_string(arena_sprintf(&r->arena, "/services%s",
									 web_query_with(r, &r->query, "page", n))));
	}
	return o;
}

void web_services(void *app, struct request *r)
{
	struct app *a = app;
	json_t *v = web_view(a, r, "Find a service", "services");
	json_t *errors = json_array(), *results = json_array(), *sorts = json_array();
	const char *sort = query_get(&r->query, "sort"), *pg = query_get(&r->query, "page");
	long page = pg ? strtol(pg, NULL, 10) : 1, pages;
	struct err e = ERR_INIT;
	struct cathandle *h = app_catalogue(a, &e);
	const struct service **found = NULL;
	size_t n = 0;

	if (!sort || (strcmp(sort, "name") && strcmp(sort, "provider")))
		sort = "relevance";
	if (h) {
		found = search_all(r, h, &n, errors);
		filter_person(r, found, &n, errors);
	} else {
		web_add_error(r, errors, "q", NULL, e.msg);
	}
	if (n > 1 && strcmp(sort, "relevance"))
		qsort(found, n, sizeof(*found), !strcmp(sort, "name") ? by_name : by_provider);
	pages = (long)((n + PAGE_SIZE - 1) / PAGE_SIZE);
	if (page < 1 || page > (pages ? pages : 1))
		page = 1;
	for (size_t i = (size_t)(page - 1) * PAGE_SIZE; i < n && i < (size_t)page * PAGE_SIZE; i++)
		json_array_append_new(results, summary(r, found[i]));
	for (int k = 0; k < 3; k++) {
		static const char *const keys[] = { "relevance", "name", "provider" };
		static const char *const texts[] = { "Best match", "Name", "Provider" };

		struct query_param p[QUERY_MAX_PARAMS];
		struct query q = { p, 0 };

		for (size_t i = 0; i < r->query.n && i < QUERY_MAX_PARAMS; i++)
			if (strcmp(r->query.p[i].key, "page")) /* a new order starts at page one */
				p[q.n++] = r->query.p[i];
		json_array_append_new(sorts, json_pack("{s:s, s:s, s:b, s:s}", "value", keys[k], "text", texts[k],
						       "selected", !strcmp(sort, keys[k]), "href",
						       arena_sprintf(&r->arena, "/services%s",
								     web_query_with(r, &q, "sort", keys[k]))));
	}
	add_filters(r, h, v);
	for (int i = 0; search_keys[i]; i++)
		json_object_set_new(v, search_keys[i], json_string(query_get(&r->query, search_keys[i]) ?
									   query_get(&r->query, search_keys[i]) : ""));
	json_object_set_new(v, "age", json_string(query_get(&r->query, "age") ? query_get(&r->query, "age") : ""));
	json_object_set_new(v, "sorts", sorts);
	json_object_set_new(v, "selected", selected_tags(r));
	json_object_set_new(v, "has_selected", json_boolean(json_array_size(json_object_get(v, "selected")) > 0));
	json_object_set_new(v, "results", results);
	json_object_set_new(v, "total", json_integer((json_int_t)n));
	json_object_set_new(v, "first", json_integer(n ? (page - 1) * PAGE_SIZE + 1 : 0));
	json_object_set_new(v, "last", json_integer((json_int_t)((size_t)page * PAGE_SIZE < n ? (size_t)page * PAGE_SIZE : n)));
	if (pages > 1)
		json_object_set_new(v, "pagination", pagination(r, page, pages));
	json_object_set_new(v, "errors", errors);
	cathandle_put(h);
	web_render(a, r, json_array_size(errors) ? 400 : 200, "services", v);
}

/* --- one service --- */

static json_t *criteria(json_t *list)
{
	json_t *out = json_array(), *c;
	size_t i;

	json_array_foreach(list, i, c)
		json_array_append_new(out, json_pack("{s:O}", "text", json_object_get(c, "text")));
	return out;
}

static const char *money(struct request *r, json_int_t pence)
{
	return arena_sprintf(&r->arena, "\u00a3%lld.%02lld", (long long)(pence / 100), (long long)(pence % 100));
}

static json_t *prices_view(struct request *r, json_t *prices)
{
	json_t *out = json_array(), *p;
	size_t i;

	json_array_foreach(prices, i, p) {
		const char *to = json_string_value(json_object_get(p, "valid_to"));

		json_array_append_new(out, json_pack("{s:s, s:s, s:s, s:s, s:s}", "amount",
						     money(r, json_integer_value(json_object_get(p, "pence"))),
						     "unit", web_humanise(r, json_string_value(json_object_get(p, "unit"))),
						     "from", web_str(p, "valid_from", ""), "to", to ? to : "",
						     "level", web_str(p, "level", "")));
	}
	return out;
}

/* "up to 20 hours", "12 sessions over 6 weeks" */
static json_t *levels_view(struct request *r, json_t *levels)
{
	json_t *out = json_array(), *l;
	size_t i;

	json_array_foreach(levels, i, l) {
		struct buf b = BUF_INIT;
		json_t *hours = json_object_get(l, "hours"), *sessions = json_object_get(l, "sessions");
		json_t *weeks = json_object_get(l, "weeks");
		enum rc rc = RC_OK;

		if (hours)
			rc = buf_addf(&b, "%s%g hours", json_is_true(json_object_get(l, "up_to")) ? "up to " : "",
				      json_number_value(hours));
		if (!rc && sessions)
			rc = buf_addf(&b, "%s%g sessions", b.len ? ", " : "", json_number_value(sessions));
		if (!rc && weeks)
			rc = buf_addf(&b, "%s%g weeks", b.len ? " over " : "", json_number_value(weeks));
		json_array_append_new(out, json_pack("{s:s, s:s, s:s, s:s}", "name", web_str(l, "name", ""),
						     "kind", web_humanise(r, web_str(l, "kind", "")), "size",
						     !rc && b.len ? arena_strndup(&r->arena, b.data, b.len) : "",
						     "text", web_str(l, "text", "")));
		buf_release(&b);
	}
	return out;
}

static void service_view(struct request *r, json_t *v, json_t *s)
{
	json_t *nsi = json_object_get(s, "nsi"), *prices = json_object_get(s, "prices");
	const char *status = json_string_value(json_object_get(s, "status"));

	json_object_set(v, "service", s);
	json_object_set_new(v, "needs_words", words_of(r, json_object_get(s, "needs")));
	json_object_set_new(v, "modes_words", words_of(r, json_object_get(json_object_get(s, "delivery"), "modes")));
	json_object_set_new(v, "eligibility_list", criteria(json_object_get(s, "eligibility")));
	json_object_set_new(v, "not_suitable_list", criteria(json_object_get(s, "not_suitable")));
	json_object_set_new(v, "route_words", json_string(web_humanise(r, json_string_value(json_object_get(s, "route")))));
	json_object_set_new(v, "suspended", json_boolean(status && !strcmp(status, "suspended")));
	json_object_set_new(v, "has_nsi", json_boolean(json_object_size(nsi) > 0));
	json_object_set_new(v, "has_prices", json_boolean(json_array_size(prices) > 0));
	json_object_set_new(v, "href", json_string(arena_sprintf(&r->arena, "/services/%s",
								 json_string_value(json_object_get(s, "id")))));
	json_object_set_new(v, "prices_view", prices_view(r, prices));
	json_object_set_new(v, "levels_view", levels_view(r, json_object_get(s, "levels")));
}

/* The versions, newest first, each with the table's "at" (the date of its
 * created_at, in words, UTC) and "by" (its created_by). */
static json_t *history_of(struct app *a, struct request *r)
{
	static const char *const months[] = { "January", "February", "March", "April", "May", "June", "July",
					      "August", "September", "October", "November", "December" };
	json_t *answer = NULL, *out = json_array(), *item, *by;
	size_t i;

	if (web_call(a, r, api_service_history, NULL, NULL, r->match.captures[0], r->match.captures[1],
		     &answer) == 200) {
		json_array_foreach(json_object_get(answer, "versions"), i, item) {
			time_t t = (time_t)json_integer_value(json_object_get(item, "created_at"));
			struct tm tm;

			if (t > 0 && gmtime_r(&t, &tm))
				json_object_set_new(item, "at", json_string(arena_sprintf(&r->arena, "%d %s %d",
					tm.tm_mday, months[tm.tm_mon], tm.tm_year + 1900)));
			if ((by = json_object_get(item, "created_by")))
				json_object_set(item, "by", by);
			json_array_insert(out, 0, item);
		}
	}
	json_decref(answer);
	return out;
}

void web_service(void *app, struct request *r)
{
	struct app *a = app;
	json_t *answer = NULL, *v;
	int status = web_call(a, r, api_service_get, NULL, NULL, r->match.captures[0],
			      r->match.captures[1], &answer);

	if (status != 200) {
		web_page_error(a, r, status, web_error_message(answer, "There is no such service."));
		json_decref(answer);
		return;
	}
	v = web_view(a, r, json_string_value(json_object_get(answer, "name")), "services");
	service_view(r, v, answer);
	json_object_set_new(v, "history", history_of(a, r));
	if (query_get(&r->query, "changed"))
		json_object_set_new(v, "changed", json_string(query_get(&r->query, "changed")));
	json_object_set_new(v, "back", json_pack("{s:s, s:s}", "href", "/services", "text", "Back to find a service"));
	json_decref(answer);
	web_render(a, r, 200, "service", v);
}

/* --- a commissioner's edit --- */

#define MAX_PRICE_ROWS 12

static const char *const price_units[] = { "session", "hour", "place", "block", "service", NULL };

/* The form as the page shows it: status, region boxes, price rows (each
 * existing price and one blank for a new one), note. */
static json_t *form_from_service(struct request *r, json_t *s)
{
	json_t *form = json_object(), *rows = json_array(), *p, *regions = json_array();
	json_t *have = json_object_get(s, "regions");
	size_t i;

	json_object_set_new(form, "status", json_string(web_str(s, "status", "active")));
	for (size_t k = 0; field_regions[k]; k++) {
		int on = 0;
		json_t *x;

		json_array_foreach(have, i, x)
			on |= json_is_string(x) && !strcmp(json_string_value(x), field_regions[k]);
		json_array_append_new(regions, json_pack("{s:s, s:s, s:b}", "value", field_regions[k], "id",
							 arena_sprintf(&r->arena, "region-%zu", k), "checked", on));
	}
	json_array_foreach(json_object_get(s, "prices"), i, p) {
		char pounds[32];

		snprintf(pounds, sizeof(pounds), "%.2f", (double)json_integer_value(json_object_get(p, "pence")) / 100);
		json_array_append_new(rows, json_pack("{s:s, s:s, s:s, s:s, s:s}", "unit", web_str(p, "unit", ""),
						      "amount", pounds, "from", web_str(p, "valid_from", ""), "to",
						      web_str(p, "valid_to", ""), "level", web_str(p, "level", "")));
	}
	json_array_append_new(rows, json_pack("{s:s, s:s, s:s, s:s, s:s}", "unit", "", "amount", "", "from", "",
					      "to", "", "level", ""));
	json_object_set_new(form, "regions", regions);
	json_object_set_new(form, "prices", rows);
	json_object_set_new(form, "note", json_string(""));
	return form;
}

static void edit_page(struct app *a, struct request *r, int status, json_t *s, json_t *form,
		      json_t *errors)
{
	json_t *v = web_view(a, r, "Change a service", "services"), *row;
	const char *st = json_string_value(json_object_get(form, "status"));
	size_t i;

	service_view(r, v, s);
	json_array_foreach(json_object_get(form, "prices"), i, row) {
		json_t *units = json_array();

		json_object_set_new(row, "n", json_integer((json_int_t)i));
		json_object_set_new(row, "number", json_integer((json_int_t)i + 1));
		json_array_append_new(units, option(r, "", "Choose", web_str(row, "unit", "")));
		for (size_t k = 0; price_units[k]; k++)
			json_array_append_new(units, option(r, price_units[k], NULL, web_str(row, "unit", "")));
		json_object_set_new(row, "units", units);
	}
	json_object_set_new(v, "form", form);
	json_object_set_new(v, "statuses", json_pack("[{s:s, s:s, s:b}, {s:s, s:s, s:b}]", "value", "active",
						     "text", "Available for referrals", "selected",
						     st && !strcmp(st, "active"), "value", "suspended", "text",
						     "Suspended: no new referrals", "selected",
						     st && !strcmp(st, "suspended")));
	json_object_set_new(v, "back", json_pack("{s:s, s:s}", "href",
						 json_string_value(json_object_get(v, "href")), "text", "Back"));
	if (errors)
		json_object_set_new(v, "errors", errors);
	web_render(a, r, status, "service-edit", v);
}

void web_service_edit_form(void *app, struct request *r)
{
	struct app *a = app;
	json_t *answer = NULL;
	int status = web_call(a, r, api_service_get, NULL, NULL, r->match.captures[0],
			      r->match.captures[1], &answer);

	if (status != 200) {
		web_page_error(a, r, status, web_error_message(answer, "There is no such service."));
		json_decref(answer);
		return;
	}
	edit_page(a, r, 200, answer, form_from_service(r, answer), NULL);
	json_decref(answer);
}

/* Price rows from the form: the shown rows for the page, the API's list. */
static void read_prices(struct request *r, struct query *form, json_t *shown, json_t *prices,
			json_t *errors)
{
	for (int i = 0; i < MAX_PRICE_ROWS; i++) {
		const char *unit = query_get(form, arena_sprintf(&r->arena, "price_unit_%d", i));
		const char *amount = query_get(form, arena_sprintf(&r->arena, "price_amount_%d", i));
		const char *from = query_get(form, arena_sprintf(&r->arena, "price_from_%d", i));
		const char *to = query_get(form, arena_sprintf(&r->arena, "price_to_%d", i));
		const char *level = query_get(form, arena_sprintf(&r->arena, "price_level_%d", i));
		char *end;
		double pounds;
		json_t *p;

		if (!unit && !amount)
			break;
		json_array_append_new(shown, json_pack("{s:s, s:s, s:s, s:s, s:s}", "unit", unit ? unit : "",
						       "amount", amount ? amount : "", "from", from ? from : "",
						       "to", to ? to : "", "level", level ? level : ""));
		if (!amount || !*amount)
			continue; /* a blank row adds nothing; clearing the amount removes a price */
		pounds = strtod(amount, &end);
		if (*end || pounds < 0 || pounds > 1000000) {
			web_add_error(r, errors, arena_sprintf(&r->arena, "price_amount_%d", i), NULL,
				  arena_sprintf(&r->arena, "Price %d must be an amount in pounds, like 125.00", i + 1));
			continue;
		}
		p = json_pack("{s:s, s:I, s:s}", "unit", unit ? unit : "", "pence",
			      (json_int_t)(pounds * 100 + 0.5), "valid_from", from ? from : "");
		if (to && *to)
			json_object_set_new(p, "valid_to", json_string(to));
		if (level && *level)
			json_object_set_new(p, "level", json_string(level));
		json_array_append_new(prices, p);
	}
}

void web_service_edit(void *app, struct request *r)
{
	struct app *a = app;
	struct query form;
	json_t *current = NULL, *answer = NULL, *body = NULL, *errors = json_array(), *shown = NULL;
	json_t *regions, *prices = json_array(), *rows = json_array(), *boxes = json_array();
	const char *status_v, *note;
	int status;

	if (web_form(a, r, &form))
		goto out;
	status = web_call(a, r, api_service_get, NULL, NULL, r->match.captures[0], r->match.captures[1],
			  &current);
	if (status != 200) {
		web_page_error(a, r, status, web_error_message(current, "There is no such service."));
		goto out;
	}
	status_v = query_get(&form, "status");
	note = query_get(&form, "note");
	regions = json_array();
	for (size_t k = 0; field_regions[k]; k++) {
		int on = 0;

		for (size_t i = 0; i < form.n; i++)
			on |= !strcmp(form.p[i].key, "regions") && !strcmp(form.p[i].value, field_regions[k]);
		if (on)
			json_array_append_new(regions, json_string(field_regions[k]));
		json_array_append_new(boxes, json_pack("{s:s, s:s, s:b}", "value", field_regions[k], "id",
						       arena_sprintf(&r->arena, "region-%zu", k), "checked", on));
	}
	read_prices(r, &form, rows, prices, errors);
	shown = json_pack("{s:s, s:o, s:o, s:s}", "status", status_v ? status_v : "", "regions", boxes,
			  "prices", rows, "note", note ? note : "");
	boxes = rows = NULL;
	if (!note || !*note)
		web_add_error(r, errors, "note", NULL, "Enter why you are making this change");
	body = json_pack("{s:s, s:s, s:o, s:o}", "status", status_v ? status_v : "", "note",
			 note ? note : "", "availability",
			 json_pack("{s:o}", "regions", json_array_size(regions) ? regions : json_null()),
			 "prices", prices);
	if (!json_array_size(regions))
		json_decref(regions);
	prices = NULL;
	if (!json_array_size(errors)) {
		status = web_call(a, r, api_service_edit, body, NULL, r->match.captures[0],
				  r->match.captures[1], &answer);
		if (status == 200) {
			http_redirect(r, arena_sprintf(&r->arena, "/services/%s/%s?changed=%lld",
						       r->match.captures[0], r->match.captures[1],
						       (long long)json_integer_value(json_object_get(answer, "version"))));
			goto out;
		}
		{
			const char *f = web_error_field(answer), *field = "note";

			if (!strncmp(f, "prices[", 7))
				field = arena_sprintf(&r->arena, "price_amount_%ld", strtol(f + 7, NULL, 10));
			else if (!strncmp(f, "availability", 12))
				field = "region-0";
			else if (!strcmp(f, "status"))
				field = "status";
			web_add_error(r, errors, field, NULL, web_error_message(answer, "The change was not saved"));
		}
	}
	edit_page(a, r, 400, current, shown, errors);
	errors = shown = NULL;
out:
	json_decref(boxes);
	json_decref(rows);
	json_decref(prices);
	json_decref(shown);
	json_decref(errors);
	json_decref(body);
	json_decref(answer);
	json_decref(current);
}
