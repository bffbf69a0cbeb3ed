/*
 * services.c - the directory over HTTP: search (cached by query and
 * catalogue generation), one service, its version history, and a
 * commissioner's edit of availability, prices or status, stored as a new
 * version.
 */
#include <stdlib.h>
#include <string.h>
#include "api/app.h"
#include "catalogue/schema.h"
#include "catalogue/search.h"
#include "profile/field.h"

#define PER_PAGE_DEFAULT 20
#define PER_PAGE_MAX 100

static const char *const search_params[] = {
	"q", "provider", "region", "need", "section", "delivery", "route", "page", "per_page", NULL
};

static int parse_positive(const char *s, long max, long *out)
{
	char *end;
	long v;

	if (!s || !*s)
		return -1;
	v = strtol(s, &end, 10);
	if (*end || v < 1 || v > max)
		return -1;
	*out = v;
	return 0;
}

/* "k=v&..." over the known parameters in table order: the cache key. */
static char *cache_key(struct request *r, const char *prefix)
{
	struct buf b = BUF_INIT;
	char *out = NULL;
	enum rc rc = buf_adds(&b, prefix);

	for (int i = 0; !rc && search_params[i]; i++) {
		const char *v = query_get(&r->query, search_params[i]);

		if (v)
			rc = buf_addf(&b, "&%s=%s", search_params[i], v);
	}
	if (!rc)
		out = arena_strndup(&r->arena, b.data, b.len);
	buf_release(&b);
	return out;
}

static int check_params(struct request *r)
{
	for (size_t i = 0; i < r->query.n; i++) {
		int known = 0;

		for (int k = 0; search_params[k]; k++)
			known |= !strcmp(r->query.p[i].key, search_params[k]);
		if (!known) {
			http_error(r, 400, "bad_input", r->query.p[i].key, "is not a search parameter");
			return -1;
		}
	}
	return 0;
}

/* Answer from the cache, or build, cache and answer. */
static void answer_cached(struct app *a, struct request *r, struct cathandle *h, const char *key,
			  int (*build)(struct request *, struct cathandle *, struct buf *))
{
	struct shared_body *sb = key ? body_cache_lookup(a->cache, h->generation, key) : NULL;
	struct buf b = BUF_INIT;

	if (!sb) {
		if (build(r, h, &b)) {
			buf_release(&b);
			return; /* build answered with an error */
		}
		sb = shared_body_new(b.data, b.len);
		buf_release(&b);
		if (!sb) {
			http_error(r, 500, "internal", "", "out of memory");
			return;
		}
		if (key)
			body_cache_store(a->cache, h->generation, key, sb);
	}
	r->shared = sb;
	http_raw(r, 200);
}

void api_search_query(const struct query *q, struct search_query *sq)
{
	*sq = (struct search_query){
		.q = query_get(q, "q"),
		.provider = query_get(q, "provider"),
		.region = query_get(q, "region"),
		.need = query_get(q, "need"),
		.section = query_get(q, "section"),
		.delivery = query_get(q, "delivery"),
		.route = query_get(q, "route"),
	};
}

static int build_search(struct request *r, struct cathandle *h, struct buf *b)
{
	struct search_query sq;
	const struct service **v = malloc((h->cat.nservices + 1) * sizeof(*v));
	long page = 1, per_page = PER_PAGE_DEFAULT;
	struct err e = ERR_INIT;
	size_t n, first;
	enum rc rc;

	api_search_query(&r->query, &sq);
	if (!v) {
		http_error(r, 500, "internal", "", "out of memory");
		return -1;
	}
	if ((query_get(&r->query, "page") && parse_positive(query_get(&r->query, "page"), 100000, &page)) ||
	    (query_get(&r->query, "per_page") &&
	     parse_positive(query_get(&r->query, "per_page"), PER_PAGE_MAX, &per_page))) {
		free(v);
		http_error(r, 400, "bad_input", query_get(&r->query, "per_page") ? "per_page" : "page",
			   "page must be a whole number from 1; per_page from 1 to %d", PER_PAGE_MAX);
		return -1;
	}
	if (search_run(&h->cat, &sq, v, &n, &e)) {
		free(v);
		http_fail(r, &e);
		return -1;
	}
	first = (size_t)(page - 1) * (size_t)per_page;
	rc = buf_adds(b, "{\"services\":[");
	for (size_t i = first; !rc && i < n && i < first + (size_t)per_page; i++) {
		char *one = json_dumps(v[i]->json, JSON_COMPACT | JSON_PRESERVE_ORDER);

		rc = one ? buf_adds(b, i > first ? "," : "") : RC_NOMEM;
		if (!rc)
			rc = buf_adds(b, one);
		free(one);
	}
	if (!rc)
		rc = buf_addf(b, "],\"total\":%zu,\"page\":%ld,\"per_page\":%ld,\"pages\":%zu}", n, page,
			      per_page, (n + (size_t)per_page - 1) / (size_t)per_page);
	free(v);
	if (rc) {
		http_error(r, 500, "internal", "", "out of memory");
		return -1;
	}
	return 0;
}

void api_services_search(void *app, struct request *r)
{
	struct app *a = app;
	struct err e = ERR_INIT;
	struct cathandle *h;

	if (check_params(r))
		return;
	if (!(h = app_catalogue(a, &e))) {
		http_fail(r, &e);
		return;
	}
	answer_cached(a, r, h, cache_key(r, "search"), build_search);
	cathandle_put(h);
}

static const struct service *find_service(struct request *r, struct cathandle *h)
{
	char id[256];
	const struct service *s;

	snprintf(id, sizeof(id), "%s/%s", r->match.captures[0], r->match.captures[1]);
	s = catalogue_find(&h->cat, id);
	if (!s)
		http_error(r, 404, "not_found", "service", "no service '%s'", id);
	return s;
}

static int build_one(struct request *r, struct cathandle *h, struct buf *b)
{
	const struct service *s = find_service(r, h);
	char *text;
	enum rc rc;

	if (!s)
		return -1;
	text = json_dumps(s->json, JSON_COMPACT | JSON_PRESERVE_ORDER);
	rc = text ? buf_adds(b, text) : RC_NOMEM;
	free(text);
	if (rc) {
		http_error(r, 500, "internal", "", "out of memory");
		return -1;
	}
	return 0;
}

void api_service_get(void *app, struct request *r)
{
	struct app *a = app;
	struct err e = ERR_INIT;
	struct cathandle *h = app_catalogue(a, &e);
	char key[300];

	if (!h) {
		http_fail(r, &e);
		return;
	}
	snprintf(key, sizeof(key), "one/%s/%s", r->match.captures[0], r->match.captures[1]);
	answer_cached(a, r, h, key, build_one);
	cathandle_put(h);
}

void api_service_history(void *app, struct request *r)
{
	struct app *a = app;
	struct err e = ERR_INIT;
	char id[256];
	json_t *versions;

	snprintf(id, sizeof(id), "%s/%s", r->match.captures[0], r->match.captures[1]);
	if (a->store->ops->service_history(a->store, id, &versions, &e)) {
		json_decref(versions);
		http_fail(r, &e);
		return;
	}
	http_json(r, 200, json_pack("{s:s,s:o}", "service", id, "versions", versions));
}

/* Check a list of strings from a vocabulary (vocab NULL: any text). */
static int check_strings(struct request *r, json_t *v, const char *field, const char *const *vocab)
{
	size_t i;
	json_t *x;

	if (!json_is_array(v)) {
		http_error(r, 400, "bad_input", field, "must be a list of strings");
		return -1;
	}
	json_array_foreach(v, i, x) {
		if (!json_is_string(x) || !json_string_length(x) ||
		    (vocab && field_vocab_index(vocab, json_string_value(x), json_string_length(x)) < 0)) {
			http_error(r, 400, "bad_input", field, "item %zu is not allowed here", i);
			return -1;
		}
	}
	return 0;
}

static int check_availability(struct request *r, json_t *av)
{
	static const char *const custody[] = { "only", "also", "never", NULL };
	const char *key;
	json_t *v;

	if (!json_is_object(av)) {
		http_error(r, 400, "bad_input", "availability", "must be an object");
		return -1;
	}
	json_object_foreach(av, key, v) {
		if (json_is_null(v))
			continue; /* merge-patch: removes the key */
		if (!strcmp(key, "regions")) {
			if (check_strings(r, v, "availability.regions", field_regions))
				return -1;
		} else if (!strcmp(key, "areas") || !strcmp(key, "prisons")) {
			if (check_strings(r, v, !strcmp(key, "areas") ? "availability.areas"
					  : "availability.prisons", NULL))
				return -1;
		} else if (!strcmp(key, "text")) {
			if (!json_is_string(v)) {
				http_error(r, 400, "bad_input", "availability.text", "must be a string");
				return -1;
			}
		} else if (!strcmp(key, "custody")) {
			if (!json_is_string(v) || field_vocab_index(custody, json_string_value(v),
								     json_string_length(v)) < 0) {
				http_error(r, 400, "bad_input", "availability.custody", "must be only, also or never");
				return -1;
			}
		} else {
			http_error(r, 400, "bad_input", "availability", "unknown key '%s'", key);
			return -1;
		}
	}
	return 0;
}

static int valid_date(const char *s)
{
	int y, m, d;
	char tail;

	return s && strlen(s) == 10 && sscanf(s, "%4d-%2d-%2d%c", &y, &m, &d, &tail) == 3 &&
	       s[4] == '-' && s[7] == '-' && y >= 2000 && y <= 2100 && m >= 1 && m <= 12 && d >= 1 &&
	       d <= 31;
}

static int check_prices(struct request *r, json_t *prices)
{
	static const char *const units[] = { "session", "hour", "place", "block", "service", NULL };
	size_t i;
	json_t *p;

	if (!json_is_array(prices)) {
		http_error(r, 400, "bad_input", "prices", "must be a list");
		return -1;
	}
	json_array_foreach(prices, i, p) {
		json_t *unit = json_object_get(p, "unit"), *pence = json_object_get(p, "pence");
		const char *from = json_string_value(json_object_get(p, "valid_from"));
		json_t *to = json_object_get(p, "valid_to"), *level = json_object_get(p, "level");
		const char *key;
		json_t *v;
		char field[64];

		snprintf(field, sizeof(field), "prices[%zu]", i);
		if (!json_is_object(p)) {
			http_error(r, 400, "bad_input", field, "must be an object");
			return -1;
		}
		json_object_foreach(p, key, v) {
			if (strcmp(key, "unit") && strcmp(key, "pence") && strcmp(key, "valid_from") &&
			    strcmp(key, "valid_to") && strcmp(key, "level")) {
				http_error(r, 400, "bad_input", field, "unknown key '%s'", key);
				return -1;
			}
		}
		if (!json_is_string(unit) ||
		    field_vocab_index(units, json_string_value(unit), json_string_length(unit)) < 0) {
			http_error(r, 400, "bad_input", field, "unit must be session, hour, place, block or service");
			return -1;
		}
		if (!json_is_integer(pence) || json_integer_value(pence) < 0 ||
		    json_integer_value(pence) > 100000000) {
			http_error(r, 400, "bad_input", field, "pence must be a whole number of pence from 0");
			return -1;
		}
		if (!valid_date(from) || (to && (!valid_date(json_string_value(to)) ||
						  strcmp(json_string_value(to), from) < 0))) {
			http_error(r, 400, "bad_input", field,
				   "valid_from (and valid_to, not before it) must be YYYY-MM-DD dates");
			return -1;
		}
		if (level && !json_is_string(level)) {
			http_error(r, 400, "bad_input", field, "level must be a string");
			return -1;
		}
	}
	return 0;
}

void api_service_edit(void *app, struct request *r)
{
	struct app *a = app;
	struct err e = ERR_INIT;
	json_t *body = http_body_json(r), *data = NULL, *v;
	struct cathandle *h = NULL;
	const struct service *s;
	const char *status = NULL, *note = "", *key;
	int version = 0, new_version;
	char object[300];

	if (!body)
		return;
	json_object_foreach(body, key, v) {
		if (strcmp(key, "version") && strcmp(key, "status") && strcmp(key, "prices") &&
		    strcmp(key, "availability") && strcmp(key, "note")) {
			http_error(r, 400, "bad_input", key, "cannot be edited here");
			goto out;
		}
	}
	if ((v = json_object_get(body, "version")) && (!json_is_integer(v) || json_integer_value(v) < 1)) {
		http_error(r, 400, "bad_input", "version", "must be the version being edited");
		goto out;
	}
	version = v ? (int)json_integer_value(v) : 0;
	if ((v = json_object_get(body, "status"))) {
		status = json_string_value(v);
		if (!status || (strcmp(status, "active") && strcmp(status, "suspended"))) {
			http_error(r, 400, "bad_input", "status", "must be active or suspended");
			goto out;
		}
	}
	if ((v = json_object_get(body, "note")) && !(note = json_string_value(v))) {
		http_error(r, 400, "bad_input", "note", "must be a string");
		goto out;
	}
	if (((v = json_object_get(body, "prices")) && check_prices(r, v)) ||
	    ((v = json_object_get(body, "availability")) && check_availability(r, v)))
		goto out;
	if (!(h = app_catalogue(a, &e))) {
		http_fail(r, &e);
		goto out;
	}
	if (!(s = find_service(r, h)))
		goto out;
	data = json_deep_copy(s->src);
	json_object_del(data, "_status");
	json_object_del(data, "_version");
	if ((v = json_object_get(body, "prices")))
		json_object_set(data, "prices", v);
	if ((v = json_object_get(body, "availability"))) {
		/* merge-patch (RFC 7396): keys sent replace, null removes, the rest stay */
		json_t *av = json_object_get(data, "availability"), *x;
		void *tmp;

		if (!json_is_object(av)) {
			av = json_object();
			json_object_set_new(data, "availability", av);
		}
		json_object_foreach_safe(v, tmp, key, x) {
			if (json_is_null(x))
				json_object_del(av, key);
			else
				json_object_set(av, key, x);
		}
		if (!json_object_size(av))
			json_object_del(data, "availability");
	}
	if (a->store->ops->service_edit(a->store, s->id, version, data, status, r->user.username, note,
					&new_version, &e)) {
		http_fail(r, &e);
		goto out;
	}
	snprintf(object, sizeof(object), "service:%s", s->id);
	{
		char *detail = json_dumps(body, JSON_COMPACT);

		app_audit(a, r, "service_edit", object, detail);
		free(detail);
	}
	app_catalogue_changed(a);
	http_json(r, 200, json_pack("{s:s,s:i,s:s}", "service", s->id, "version", new_version,
				    "status", status ? status : (s->suspended ? "suspended" : "active")));
out:
	cathandle_put(h);
	json_decref(data);
	json_decref(body);
}
