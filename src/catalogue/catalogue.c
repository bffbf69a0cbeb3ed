/*
 * catalogue.c - load a directory of provider files into struct catalogue.
 *
 * Three stages: convert each file (yamlconv.c reports shape problems), build
 * the typed model from the converted JSON (compiling every rule), then check
 * what no single file can: duplicate ids and references to services that do
 * not exist. The model points into the JSON documents, which it keeps alive.
 */
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include "catalogue/catalogue.h"
#include "catalogue/schema.h"
#include "core/buf.h"
#include "core/err.h"
#include "profile/field.h"

#ifndef RATECARD_DATADIR
#define RATECARD_DATADIR "catalogue"
#endif

const char *catalogue_default_dir(void)
{
	const char *env = getenv("RATECARD_CATALOGUE");

	return env && *env ? env : RATECARD_DATADIR;
}

static int line_of(json_t *obj)
{
	return (int)json_integer_value(json_object_get(obj, "_line"));
}

static const char *str_of(json_t *obj, const char *key)
{
	return json_string_value(json_object_get(obj, key));
}

/* Remove the converter's "_line" keys everywhere below v. */
static void strip_lines(json_t *v)
{
	const char *key;
	json_t *x;
	size_t i;

	if (json_is_object(v)) {
		json_object_del(v, "_line");
		json_object_foreach(v, key, x)
			strip_lines(x);
	} else if (json_is_array(v)) {
		json_array_foreach(v, i, x)
			strip_lines(x);
	}
}

static uint64_t vocab_mask(json_t *arr, const char *const *vocab)
{
	uint64_t m = 0;
	size_t i;
	json_t *x;

	json_array_foreach(arr, i, x)
		m |= (uint64_t)1 << field_vocab_index(vocab, json_string_value(x),
						      json_string_length(x));
	return m;
}

static const char **str_array(struct arena *a, json_t *arr, size_t *n)
{
	const char **v;
	size_t i;
	json_t *x;

	*n = json_array_size(arr);
	if (!*n)
		return NULL;
	v = arena_alloc(a, *n * sizeof(*v));
	if (v)
		json_array_foreach(arr, i, x)
			v[i] = json_string_value(x);
	return v;
}

static char *render_json_str(struct arena *a, const char *s)
{
	struct buf b = BUF_INIT;
	char *out = NULL;

	if (buf_add_json_str(&b, s) == RC_OK)
		out = arena_strndup(a, b.data, b.len);
	buf_release(&b);
	return out;
}

static char *join_places(struct arena *a, const char *lead, const char **v, size_t n,
			 uint64_t regions)
{
	struct buf b = BUF_INIT;
	char *out = NULL;
	int first = 1;
	enum rc rc = buf_adds(&b, lead);

	for (size_t i = 0; !rc && i < n; i++, first = 0)
		rc = buf_addf(&b, "%s%s", first ? "" : ", ", v[i]);
	for (int r = 0; !rc && !n && field_regions[r]; r++)
		if (regions >> r & 1) {
			rc = buf_addf(&b, "%s%s", first ? "" : "; ", field_regions[r]);
			first = 0;
		}
	if (!rc)
		out = arena_strndup(a, b.data, b.len);
	buf_release(&b);
	return out;
}

static char *criterion_prefix(struct arena *a, const struct criterion *c)
{
	struct buf b = BUF_INIT;
	char *out = NULL;

	if (buf_addf(&b, "{\"kind\":\"%s\",\"text\":",
		     c->kind == CRIT_ELIGIBILITY ? "eligibility" : "not_suitable") == RC_OK &&
	    buf_add_json_str(&b, c->text) == RC_OK && buf_adds(&b, ",\"outcome\":\"") == RC_OK)
		out = arena_strndup(a, b.data, b.len);
	buf_release(&b);
	return out;
}

struct builder {
	struct catalogue *cat;
	struct diag *d;
	const char *file;
};

/* The generated location and custody criteria, from availability (or the
 * provider's regions and areas when the service sets none). */
static size_t add_builtins(struct builder *bd, struct service *s, json_t *avail,
			   struct criterion *out)
{
	struct arena *a = &bd->cat->arena;
	const char *text = str_of(avail, "text");
	const char *custody = str_of(avail, "custody");
	struct availability *av = &s->avail;
	size_t n = 0;

	av->regions = vocab_mask(json_object_get(avail, "regions"), field_regions);
	av->areas = str_array(a, json_object_get(avail, "areas"), &av->nareas);
	av->prisons = str_array(a, json_object_get(avail, "prisons"), &av->nprisons);
	if (!av->regions && !av->nareas) {
		av->regions = s->provider->regions;
		av->areas = s->provider->areas;
		av->nareas = s->provider->nareas;
	}
	if (av->regions == ((uint64_t)1 << field_vocab_count(field_regions)) - 1 &&
	    !av->nareas)
		av->regions = 0; /* everywhere: no criterion */
	av->custody = !custody ? CUSTODY_ANY : !strcmp(custody, "only") ? CUSTODY_ONLY
		      : !strcmp(custody, "never") ? CUSTODY_NEVER : CUSTODY_ANY;
	if (av->regions || av->nareas || av->nprisons) {
		out[n].builtin = BUILTIN_LOCATION;
		out[n].text = text ? text
			: av->nprisons ? join_places(a, "Available at ", av->prisons, av->nprisons, 0)
			: join_places(a, "Available in ", av->areas, av->nareas, av->regions);
		n++;
	}
	if (av->custody != CUSTODY_ANY) {
		out[n].builtin = BUILTIN_CUSTODY;
		out[n].text = av->custody == CUSTODY_ONLY ? "For people in custody"
			: "For people in the community (not in custody)";
		n++;
	}
	return n;
}

static void add_criteria(struct builder *bd, struct service *s, json_t *list,
			 enum criterion_kind kind)
{
	struct err e = ERR_INIT;
	size_t i;
	json_t *c;

	json_array_foreach(list, i, c) {
		struct criterion *cr = &s->crit[s->ncrit];

		cr->kind = kind;
		cr->text = str_of(c, "text");
		cr->rule = str_of(c, "rule");
		if (rule_compile(cr->rule, strlen(cr->rule), &cr->prog, &e)) {
			diag_add(bd->d, bd->file, line_of(c), "rule: %s: %s", e.field, e.msg);
			continue;
		}
		s->ncrit++;
	}
}

static void build_search_text(struct arena *a, struct service *s, json_t *svc)
{
	struct buf b = BUF_INIT;
	static const char *const keys[] = { "name", "section", "description", NULL };
	json_t *x;
	size_t i;
	enum rc rc = RC_OK;

	for (int k = 0; keys[k]; k++)
		if (str_of(svc, keys[k]))
			rc |= buf_addf(&b, "%s\n", str_of(svc, keys[k]));
	json_array_foreach(json_object_get(svc, "aims"), i, x)
		rc |= buf_addf(&b, "%s\n", json_string_value(x));
	for (i = 0; i < s->ncrit; i++)
		rc |= buf_addf(&b, "%s\n", s->crit[i].text);
	json_array_foreach(json_object_get(json_object_get(svc, "nsi"), "subtypes"), i, x)
		rc |= buf_addf(&b, "%s\n", json_string_value(x));
	if (rc == RC_OK) {
		for (i = 0; i < b.len; i++)
			b.data[i] = (char)tolower((unsigned char)b.data[i]);
		s->search_text = arena_strndup(a, b.data, b.len);
	}
	buf_release(&b);
}

static enum rc build_service(struct builder *bd, struct provider *p, json_t *svc,
			     struct service *s)
{
	struct arena *a = &bd->cat->arena;
	json_t *elig = json_object_get(svc, "eligibility");
	json_t *ns = json_object_get(svc, "not_suitable");
	json_t *avail = json_object_get(svc, "availability");
	struct buf b = BUF_INIT;
	size_t ncrit = json_array_size(elig) + json_array_size(ns) + 2;
	enum rc rc;

	if (ncrit > CATALOGUE_MAX_CRITERIA) {
		diag_add(bd->d, bd->file, line_of(svc), "service has more than %d criteria",
			 CATALOGUE_MAX_CRITERIA - 2);
		return RC_BAD_INPUT;
	}

	s->provider = p;
	s->file = bd->file;
	s->line = line_of(svc);
	s->name = str_of(svc, "name");
	s->section = str_of(svc, "section");
	s->route = str_of(svc, "route");
	s->needs = vocab_mask(json_object_get(svc, "needs"), field_needs);
	s->modes = (uint32_t)vocab_mask(json_object_get(json_object_get(svc, "delivery"), "modes"),
					schema_delivery_modes);
	if ((rc = buf_addf(&b, "%s/%s", p->id, str_of(svc, "id"))))
		return rc;
	s->id = arena_strndup(a, b.data, b.len);
	buf_release(&b);
	s->crit = arena_zalloc(a, ncrit * sizeof(*s->crit));
	if (!s->id || !s->crit)
		return RC_NOMEM;
	s->ncrit = add_builtins(bd, s, avail, s->crit);
	add_criteria(bd, s, elig, CRIT_ELIGIBILITY);
	add_criteria(bd, s, ns, CRIT_NOT_SUITABLE);
	for (size_t i = 0; i < s->ncrit; i++)
		if (!(s->crit[i].json = criterion_prefix(a, &s->crit[i])))
			return RC_NOMEM;
	build_search_text(a, s, svc);
	s->json_id = render_json_str(a, s->id);
	if ((rc = buf_addf(&b, "{\"service\":%s,\"provider\":", s->json_id)) ||
	    (rc = buf_add_json_str(&b, p->name)) || (rc = buf_adds(&b, ",\"name\":")) ||
	    (rc = buf_add_json_str(&b, s->name)) || (rc = buf_addch(&b, ',')))
		goto out;
	s->result_head = arena_strndup(a, b.data, b.len);
	s->src = svc;
	if (!s->search_text || !s->json_id || !s->result_head)
		rc = RC_NOMEM;
out:
	buf_release(&b);
	return rc;
}

static void finish_service_json(struct service *s)
{
	json_t *svc = s->src, *regions = json_array();
	json_t *ordered = json_object();
	const char *key;
	json_t *v;

	for (int r = 0; field_regions[r]; r++)
		if (!s->avail.regions || (s->avail.regions >> r & 1))
			json_array_append_new(regions, json_string(field_regions[r]));
	/* id, name, provider first: the order a reader expects */
	json_object_set_new(ordered, "id", json_string(s->id));
	json_object_set(ordered, "name", json_object_get(svc, "name"));
	json_object_set_new(ordered, "provider", json_string(s->provider->name));
	json_object_set_new(ordered, "provider_id", json_string(s->provider->id));
	json_object_set_new(ordered, "service_id", json_string(str_of(svc, "id")));
	json_object_set_new(ordered, "regions", regions);
	json_object_foreach(svc, key, v)
		if (!json_object_get(ordered, key) && strcmp(key, "id"))
			json_object_set(ordered, key, v);
	if (!json_object_get(ordered, "needs"))
		json_object_set_new(ordered, "needs", json_array());
	if (!json_object_get(ordered, "duration"))
		json_object_set_new(ordered, "duration", json_pack("{s:[]}", "text"));
	if (!json_object_get(ordered, "delivery"))
		json_object_set_new(ordered, "delivery", json_pack("{s:[],s:[]}", "text", "modes"));
	if (!json_object_get(ordered, "prices"))
		json_object_set_new(ordered, "prices", json_array());
	/* a catalogue built from the store carries each service's version and
	 * status (active or suspended); one built from files is version 0 */
	json_object_set_new(ordered, "status",
			    json_string(str_of(svc, "_status") ? str_of(svc, "_status") : "active"));
	json_object_set_new(ordered, "version", json_integer(json_integer_value(json_object_get(svc, "_version"))));
	json_object_del(ordered, "_status");
	json_object_del(ordered, "_version");
	s->suspended = str_of(svc, "_status") && !strcmp(str_of(svc, "_status"), "suspended");
	s->json = ordered;
}

static enum rc build_provider(struct builder *bd, json_t *doc, struct provider *p)
{
	json_t *pj = json_object_get(doc, "provider");

	p->id = str_of(pj, "id");
	p->name = str_of(pj, "name");
	p->regions = vocab_mask(json_object_get(pj, "regions"), field_regions);
	p->areas = str_array(&bd->cat->arena, json_object_get(pj, "areas"), &p->nareas);
	p->json = pj;
	p->nservices = json_array_size(json_object_get(doc, "services"));
	return RC_OK;
}

static int cmp_service_id(const void *a, const void *b)
{
	return strcmp((*(struct service *const *)a)->id, (*(struct service *const *)b)->id);
}

struct ref_check {
	const struct catalogue *cat;
	struct diag *d;
	const char *file;
	int line;
	const char *what;
};

static void check_ref(void *ctx, const char *id)
{
	struct ref_check *rc = ctx;

	if (!catalogue_find(rc->cat, id))
		diag_add(rc->d, rc->file, rc->line, "%s '%s' names no service in the catalogue",
			 rc->what, id);
}

static void check_references(struct catalogue *cat, struct diag *d)
{
	static const char *const refs[] = { "requires", "recommends", NULL };

	for (size_t i = 0; i < cat->nservices; i++) {
		struct service *s = &cat->services[i];
		struct ref_check rc = { cat, d, s->file, s->line, "prerequisite" };
		json_t *x;
		size_t k;

		for (int r = 0; refs[r]; r++) {
			json_array_foreach(json_object_get(s->src, refs[r]), k, x) {
				rc.line = line_of(x);
				rc.what = refs[r];
				check_ref(&rc, str_of(x, "service"));
			}
		}
		rc.what = "rule: completed";
		rc.line = s->line;
		for (k = 0; k < s->ncrit; k++)
			if (s->crit[k].prog)
				rule_program_foreach_id(s->crit[k].prog, check_ref, &rc);
	}
}

static int is_yaml(const struct dirent *de)
{
	size_t n = strlen(de->d_name);

	return de->d_name[0] != '.' && n > 5 && !strcmp(de->d_name + n - 5, ".yaml");
}

static enum rc load_docs(json_t *docs, const char *dir, struct diag *d, size_t *nsvc)
{
	struct dirent **names;
	char path[4096];
	int n = scandir(dir, &names, is_yaml, alphasort);
	enum rc rc = RC_OK;

	if (n < 0) {
		int missing = errno == ENOENT || errno == ENOTDIR;

		diag_add(d, dir, 0, "cannot read directory: %s", strerror(errno));
		return missing ? RC_BAD_INPUT : RC_IO;
	}
	if (n == 0)
		diag_add(d, dir, 0, "no .yaml files");
	for (int i = 0; i < n; i++) {
		json_t *doc;
		enum rc r;

		snprintf(path, sizeof(path), "%s/%s", dir, names[i]->d_name);
		r = yamlconv_file(path, names[i]->d_name, schema_file, &doc, d);
		if (r == RC_IO)
			rc = RC_IO;
		if (doc) {
			json_object_set_new(doc, "_file", json_string(names[i]->d_name));
			json_array_append_new(docs, doc);
			*nsvc += json_array_size(json_object_get(doc, "services"));
		}
		free(names[i]);
	}
	free(names);
	return rc;
}

static void check_duplicates(struct catalogue *cat, struct diag *d)
{
	for (size_t i = 0; i + 1 < cat->nservices; i++)
		if (!strcmp(cat->by_id[i]->id, cat->by_id[i + 1]->id))
			diag_add(d, cat->by_id[i + 1]->file, cat->by_id[i + 1]->line,
				 "duplicate service id '%s' (also %s:%d)", cat->by_id[i]->id,
				 cat->by_id[i]->file, cat->by_id[i]->line);
	for (size_t i = 0; i < cat->nproviders; i++)
		for (size_t j = 0; j < i; j++)
			if (!strcmp(cat->providers[i].id, cat->providers[j].id))
				diag_add(d, "catalogue", 0, "duplicate provider id '%s'",
					 cat->providers[i].id);
}

enum rc catalogue_build(struct catalogue *cat, json_t *docs, struct diag *d)
{
	struct builder bd = { cat, d, NULL };
	size_t nsvc = 0, k = 0, i, j;
	int before = d->count;
	enum rc rc = RC_OK;
	json_t *doc;

	memset(cat, 0, sizeof(*cat));
	arena_init(&cat->arena, 65536);
	cat->docs = json_incref(docs);
	json_array_foreach(docs, i, doc)
		nsvc += json_array_size(json_object_get(doc, "services"));
	if (nsvc > CATALOGUE_MAX_SERVICES) {
		diag_add(d, "catalogue", 0, "more than %d services", CATALOGUE_MAX_SERVICES);
		rc = RC_BAD_INPUT;
		goto out;
	}
	cat->nproviders = json_array_size(cat->docs);
	cat->providers = arena_zalloc(&cat->arena, (cat->nproviders + 1) * sizeof(*cat->providers));
	cat->services = arena_zalloc(&cat->arena, (nsvc + 1) * sizeof(*cat->services));
	cat->by_id = arena_zalloc(&cat->arena, (nsvc + 1) * sizeof(*cat->by_id));
	if (!cat->providers || !cat->services || !cat->by_id) {
		rc = RC_NOMEM;
		goto out;
	}
	json_array_foreach(cat->docs, i, doc) {
		json_t *svc;

		bd.file = str_of(doc, "_file") ? str_of(doc, "_file") : "catalogue";
		if ((rc = build_provider(&bd, doc, &cat->providers[i])))
			goto out;
		json_array_foreach(json_object_get(doc, "services"), j, svc) {
			if ((rc = build_service(&bd, &cat->providers[i], svc, &cat->services[k])))
				goto out;
			cat->by_id[k] = &cat->services[k];
			cat->ncriteria += cat->services[k].ncrit;
			k++;
		}
	}
	cat->nservices = k;
	qsort(cat->by_id, cat->nservices, sizeof(*cat->by_id), cmp_service_id);
	check_duplicates(cat, d);
	check_references(cat, d);
	for (i = 0; i < cat->nservices; i++) {
		strip_lines(cat->services[i].src);
		finish_service_json(&cat->services[i]);
	}
	for (i = 0; i < cat->nproviders; i++)
		strip_lines(cat->providers[i].json);
	if (d->count > before)
		rc = RC_BAD_INPUT;
out:
	if (rc)
		catalogue_release(cat);
	return rc;
}

enum rc catalogue_load(struct catalogue *cat, const char *dir, struct diag *d)
{
	json_t *docs = json_array();
	size_t nsvc = 0;
	int before = d->count;
	enum rc rc;

	memset(cat, 0, sizeof(*cat));
	if (!docs)
		return RC_NOMEM;
	rc = load_docs(docs, dir, d, &nsvc);
	if (rc == RC_OK)
		rc = catalogue_build(cat, docs, d);
	if (rc == RC_OK && d->count > before) {
		catalogue_release(cat);
		rc = RC_BAD_INPUT;
	}
	json_decref(docs);
	return rc;
}

void catalogue_release(struct catalogue *cat)
{
	for (size_t i = 0; i < cat->nservices; i++) {
		for (size_t k = 0; k < cat->services[i].ncrit; k++)
			rule_program_free(cat->services[i].crit[k].prog);
		if (cat->services[i].json)
			json_decref(cat->services[i].json);
	}
	json_decref(cat->docs);
	arena_release(&cat->arena);
	memset(cat, 0, sizeof(*cat));
}

const struct service *catalogue_find(const struct catalogue *cat, const char *id)
{
	size_t lo = 0, hi = cat->nservices;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		int c = strcmp(cat->by_id[mid]->id, id);

		if (!c)
			return cat->by_id[mid];
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return NULL;
}

const struct provider *catalogue_find_provider(const struct catalogue *cat, const char *key)
{
	for (size_t i = 0; i < cat->nproviders; i++)
		if (!strcasecmp(cat->providers[i].id, key) || !strcasecmp(cat->providers[i].name, key))
			return &cat->providers[i];
	return NULL;
}
