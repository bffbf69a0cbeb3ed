/*
 * test_yamlconv.c - provider files (docs/catalogue.md) through the YAML
 * converter (src/catalogue/yamlconv.h) and the catalogue loader's cross-file
 * checks (src/catalogue/catalogue.h).
 *
 * The converter cases start from one small valid file, `base` below, and
 * replace one of its lines; each expects the diagnostics, FILE:LINE: PATH:
 * what, exactly as `ratecard check` prints them. The loader cases write
 * files into a fresh temporary directory and remove it afterwards.
 */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>
#include "unit.h"
#include "catalogue/catalogue.h"
#include "catalogue/schema.h"
#include "catalogue/yamlconv.h"
#include "core/buf.h"
#include "profile/field.h"

/* A minimal valid provider file; the comments give each line's number. */
static const char *const base[] = {
	"provider:",                    /* 1 */
	"  id: test-crc",               /* 2 */
	"  name: Test CRC",             /* 3 */
	"  regions: [\"London\"]",      /* 4 */
	"  source: seed.txt:1",         /* 5 */
	"services:",                    /* 6 */
	"  - id: svc-one",              /* 7 */
	"    name: Service One",        /* 8 */
	"    section: Things",          /* 9 */
	"    route: nsi",               /* 10 */
	"    source: seed.txt:10",      /* 11 */
	"    description: Does things.",/* 12 */
	"    eligibility:",             /* 13 */
	"      - text: Men",            /* 14 */
	"        rule: sex = male",     /* 15 */
	"    not_suitable: []",         /* 16 */
	NULL
};

/* base with `span` lines from `line` (1-based) replaced by `with` (which may
 * hold several lines, or be "" to leave one empty line); line 0 replaces
 * nothing and appends `with` at the end. */
static void make_yaml_span(struct buf *out, int line, int span, const char *with)
{
	buf_reset(out);
	for (int i = 0; base[i]; i++) {
		if (i + 1 == line)
			assert_int_equal(buf_addf(out, "%s\n", with), RC_OK);
		else if (line <= 0 || i + 1 < line || i + 1 >= line + span)
			assert_int_equal(buf_addf(out, "%s\n", base[i]), RC_OK);
	}
	if (line == 0 && with)
		assert_int_equal(buf_addf(out, "%s\n", with), RC_OK);
}

static void make_yaml(struct buf *out, int line, const char *with)
{
	make_yaml_span(out, line, 1, with);
}

static enum rc convert(const char *text, size_t len, json_t **out, struct diag *d)
{
	d->count = 0;
	d->truncated = 0;
	buf_reset(&d->out);
	return yamlconv_text(text, len, "t.yaml", schema_file, out, d);
}

static void test_valid_minimal(void **state)
{
	struct buf y = BUF_INIT;
	struct diag d = { BUF_INIT, 0, 0 };
	json_t *doc = NULL, *prov, *svc, *crit;

	(void)state;
	make_yaml(&y, 0, NULL);
	if (convert(y.data, y.len, &doc, &d) != RC_OK) {
		print_error("%s", d.out.data);
		fail();
	}
	assert_int_equal(d.count, 0);
	assert_string_equal(d.out.data, "");
	assert_non_null(doc);
	/* every mapping carries the line it starts on */
	assert_int_equal(json_integer_value(json_object_get(doc, "_line")), 1);
	prov = json_object_get(doc, "provider");
	assert_int_equal(json_integer_value(json_object_get(prov, "_line")), 2);
	assert_string_equal(json_string_value(json_object_get(prov, "id")), "test-crc");
	assert_string_equal(json_string_value(json_object_get(prov, "name")), "Test CRC");
	assert_int_equal(json_array_size(json_object_get(prov, "regions")), 1);
	assert_string_equal(json_string_value(json_array_get(json_object_get(prov, "regions"), 0)),
			    "London");
	/* source becomes {file, line} */
	assert_string_equal(json_string_value(json_object_get(json_object_get(prov, "source"), "file")),
			    "seed.txt");
	assert_int_equal(json_integer_value(json_object_get(json_object_get(prov, "source"), "line")), 1);
	svc = json_array_get(json_object_get(doc, "services"), 0);
	assert_int_equal(json_integer_value(json_object_get(svc, "_line")), 7);
	assert_string_equal(json_string_value(json_object_get(svc, "route")), "nsi");
	assert_int_equal(json_array_size(json_object_get(svc, "not_suitable")), 0);
	crit = json_array_get(json_object_get(svc, "eligibility"), 0);
	assert_int_equal(json_integer_value(json_object_get(crit, "_line")), 14);
	assert_string_equal(json_string_value(json_object_get(crit, "text")), "Men");
	assert_string_equal(json_string_value(json_object_get(crit, "rule")), "sex = male");
	/* nothing the file did not say */
	assert_null(json_object_get(svc, "duration"));
	assert_null(json_object_get(svc, "needs"));
	json_decref(doc);
	buf_release(&y);
	buf_release(&d.out);
}

/* Scalars are typed by the schema, not by YAML. */
static void test_valid_typing(void **state)
{
	static const char extra[] =
		"    description: |\n"
		"      Line one.\n"
		"      Line two.\n"
		"    duration:\n"
		"      text: [\"22 sessions\"]\n"
		"      sessions: 27\n"
		"      hours: 1.5\n"
		"      weeks: \"12\"\n"
		"    levels:\n"
		"      - name: Low\n"
		"        kind: intensity\n"
		"        up_to: true\n"
		"        hours: 2\n"
		"    notes: ~\n"
		"    how_to_request: 12\n"
		"    needs: [ete, finance]\n"
		"    prices:\n"
		"      - {unit: session, pence: 12500, valid_from: 2026-04-01}";
	struct buf y = BUF_INIT;
	struct diag d = { BUF_INIT, 0, 0 };
	json_t *doc = NULL, *svc, *dur, *lvl, *price;

	(void)state;
	make_yaml(&y, 12, extra);
	if (convert(y.data, y.len, &doc, &d) != RC_OK) {
		print_error("%s", d.out.data);
		fail();
	}
	svc = json_array_get(json_object_get(doc, "services"), 0);
	/* a block scalar loses its final newline only */
	assert_string_equal(json_string_value(json_object_get(svc, "description")), "Line one.\nLine two.");
	dur = json_object_get(svc, "duration");
	assert_true(json_is_integer(json_object_get(dur, "sessions")));
	assert_int_equal(json_integer_value(json_object_get(dur, "sessions")), 27);
	assert_true(json_is_real(json_object_get(dur, "hours")));
	assert_true(json_real_value(json_object_get(dur, "hours")) == 1.5);
	/* quoted or not, a number where the schema says number */
	assert_int_equal(json_integer_value(json_object_get(dur, "weeks")), 12);
	lvl = json_array_get(json_object_get(svc, "levels"), 0);
	assert_true(json_is_true(json_object_get(lvl, "up_to")));
	/* null means absent */
	assert_null(json_object_get(svc, "notes"));
	/* a number where the schema says text stays text */
	assert_string_equal(json_string_value(json_object_get(svc, "how_to_request")), "12");
	assert_int_equal(json_array_size(json_object_get(svc, "needs")), 2);
	price = json_array_get(json_object_get(svc, "prices"), 0);
	assert_int_equal(json_integer_value(json_object_get(price, "pence")), 12500);
	assert_string_equal(json_string_value(json_object_get(price, "valid_from")), "2026-04-01");
	json_decref(doc);
	buf_release(&y);
	buf_release(&d.out);
}

struct yaml_case {
	int line;            /* line of base to replace; 0 appends; -1: `with` is the whole file */
	int span;            /* how many lines from `line` to replace (0 means 1) */
	const char *with;
	int count;           /* number of diagnostics expected */
	const char *diag;    /* substring of the diagnostics */
};

static const struct yaml_case yaml_cases[] = {
	/* unknown keys, named by their full path */
	/* a misspelt required key is unknown, and the required one missing */
	{ 8, 0, "    nmae: Service One", 2, "t.yaml:8: services[0].nmae: unknown key\n" },
	{ 8, 0, "    nmae: Service One", 2, "t.yaml:7: services[0].name: is required\n" },
	{ 3, 0, "  nme: Test CRC", 2, "t.yaml:3: provider.nme: unknown key\n" },
	{ 0, 0, "extra: 1", 1, "t.yaml:17: extra: unknown key\n" },
	{ 15, 0, "        rule: sex = male\n        why: because", 1,
	  "t.yaml:16: services[0].eligibility[0].why: unknown key\n" },
	{ 12, 0, "    description: Does things.\n    duration: {text: [x], hour: 2}", 1,
	  "t.yaml:13: services[0].duration.hour: unknown key\n" },
	/* missing required keys, at the line of the mapping that lacks them */
	{ 12, 0, "", 1, "t.yaml:7: services[0].description: is required\n" },
	{ 5, 0, "", 1, "t.yaml:2: provider.source: is required\n" },
	{ 15, 0, "", 1, "t.yaml:14: services[0].eligibility[0].rule: is required\n" },
	{ 16, 0, "", 1, "t.yaml:7: services[0].not_suitable: is required\n" },
	{ -1, 0, "provider:\n  id: x\n  name: X\n  regions: [London]\n  source: s:1\n", 1,
	  "t.yaml:1: services: is required\n" },
	/* required but empty */
	{ 12, 0, "    description:", 1, "t.yaml:12: services[0].description: is required but empty\n" },
	{ 8, 0, "    name: ~", 1, "t.yaml:8: services[0].name: is required but empty\n" },
	{ 8, 0, "    name: \"\"", 1, "t.yaml:8: services[0].name: is empty\n" },
	/* wrong shapes */
	{ 13, 3, "    eligibility: sex = male", 1, "t.yaml:13: services[0].eligibility: must be a list of mappings\n" },
	{ 4, 0, "  regions: London", 1, "t.yaml:4: provider.regions: must be a list of text\n" },
	{ 8, 0, "    name: [Service, One]", 1, "t.yaml:8: services[0].name: must be text\n" },
	{ 12, 0, "    description: Does things.\n    duration: 12 weeks", 1,
	  "t.yaml:13: services[0].duration: must be a mapping\n" },
	{ 14, 2, "      - Men", 1, "t.yaml:14: services[0].eligibility[0]: must be a mapping\n" },
	{ -1, 0, "- provider\n", 1, "t.yaml:1: : must be a mapping\n" },
	{ -1, 0, "just text\n", 1, "t.yaml:1: : must be a mapping\n" },
	/* enumerations */
	{ 10, 0, "    route: NSI", 1, "t.yaml:10: services[0].route: 'NSI' is not one of: nsi, "
	  "requirement_transfer, court_requirement, structured_intervention, toolkit, commissioned, other\n" },
	{ 4, 0, "  regions: [\"Londn\"]", 1, "t.yaml:4: provider.regions[0]: 'Londn' is not one of: North East, North West," },
	{ 12, 0, "    description: Does things.\n    needs: [ete, money]", 1,
	  "t.yaml:13: services[0].needs[1]: 'money' is not one of: accommodation, ete," },
	{ 12, 0, "    description: Does things.\n    delivery: {modes: [group, zoom]}", 1,
	  "t.yaml:13: services[0].delivery.modes[1]: 'zoom' is not one of: group, one_to_one," },
	/* numbers, booleans, dates */
	{ 12, 0, "    description: Does things.\n    duration: {text: [x], hours: lots}", 1,
	  "t.yaml:13: services[0].duration.hours: 'lots' is not a non-negative number\n" },
	{ 12, 0, "    description: Does things.\n    duration: {text: [x], hours: -1}", 1,
	  "t.yaml:13: services[0].duration.hours: '-1' is not a non-negative number\n" },
	{ 12, 0, "    description: Does things.\n    duration: {text: [x], hours: .inf}", 1,
	  "t.yaml:13: services[0].duration.hours: '.inf' is not a non-negative number\n" },
	{ 12, 0, "    description: Does things.\n    msrp: {routeway: Home, modules: 1.5}", 1,
	  "t.yaml:13: services[0].msrp.modules: '1.5' is not a whole number\n" },
	{ 12, 0, "    description: Does things.\n    msrp: {routeway: Home, modules: ten}", 1,
	  "t.yaml:13: services[0].msrp.modules: 'ten' is not a whole number\n" },
	{ 12, 0, "    description: Does things.\n    levels: [{name: A, kind: unit, up_to: yes}]", 1,
	  "t.yaml:13: services[0].levels[0].up_to: 'yes' must be true or false\n" },
	{ 12, 0, "    description: Does things.\n    prices: [{unit: hour, pence: 1, valid_from: 2026-13-01}]", 1,
	  "t.yaml:13: services[0].prices[0].valid_from: '2026-13-01' is not a YYYY-MM-DD date\n" },
	{ 12, 0, "    description: Does things.\n    prices: [{unit: hour, pence: 1, valid_from: 1/4/2026}]", 1,
	  "t.yaml:13: services[0].prices[0].valid_from: '1/4/2026' is not a YYYY-MM-DD date\n" },
	/* rules: the compiler's column comes through */
	{ 15, 0, "        rule: sex = mail", 1, "t.yaml:15: services[0].eligibility[0].rule: column 7: "
	  "'mail' is not a value of sex (one of: male, female)\n" },
	{ 15, 0, "        rule: age >", 1, "t.yaml:15: services[0].eligibility[0].rule: column 6: "
	  "expected a value but the rule ended\n" },
	{ 15, 0, "        rule: sexx = male", 1, "t.yaml:15: services[0].eligibility[0].rule: column 1: "
	  "unknown field 'sexx'" },
	{ 16, 0, "    not_suitable:\n      - text: Women\n        rule: sex = female and", 1,
	  "t.yaml:18: services[0].not_suitable[0].rule: column 17: "
	  "expected a field name, 'not', '(' or 'judgement' but the rule ended\n" },
	{ 15, 0, "        rule: \"\"", 1, "t.yaml:15: services[0].eligibility[0].rule: column 1: rule is empty" },
	/* sources */
	{ 11, 0, "    source: seed.txt", 1, "t.yaml:11: services[0].source: 'seed.txt' is not SEEDFILE:LINE\n" },
	{ 11, 0, "    source: seed.txt:x1", 1, "t.yaml:11: services[0].source: 'seed.txt:x1' is not SEEDFILE:LINE\n" },
	{ 11, 0, "    source: \":12\"", 1, "t.yaml:11: services[0].source: ':12' is not SEEDFILE:LINE\n" },
	{ 11, 0, "    source: \"seed.txt:\"", 1, "t.yaml:11: services[0].source: 'seed.txt:' is not SEEDFILE:LINE\n" },
	/* ids */
	{ 7, 0, "  - id: Svc_One", 1, "t.yaml:7: services[0].id: 'Svc_One' must be lower-case letters, digits and hyphens\n" },
	{ 7, 0, "  - id: -svc", 1, "t.yaml:7: services[0].id: '-svc' must be lower-case letters, digits and hyphens\n" },
	{ 2, 0, "  id: test crc", 1, "t.yaml:2: provider.id: 'test crc' must be lower-case letters, digits and hyphens\n" },
	{ 7, 0, "  - id: svc/one", 1, "t.yaml:7: services[0].id: 'svc/one' must be" },
	/* service references */
	{ 12, 0, "    description: Does things.\n    requires: [{service: resolve}]", 1,
	  "t.yaml:13: services[0].requires[0].service: 'resolve' is not a PROVIDER/SERVICE id\n" },
	{ 12, 0, "    description: Does things.\n    recommends: [{service: a/b/c}]", 1,
	  "t.yaml:13: services[0].recommends[0].service: 'a/b/c' is not a PROVIDER/SERVICE id\n" },
	/* duplicate keys */
	{ 8, 0, "    name: Service One\n    name: Again", 1, "t.yaml:9: services[0].name: key appears twice\n" },
	{ 3, 0, "  name: Test CRC\n  id: again", 1, "t.yaml:4: provider.id: key appears twice\n" },
	/* keys must be text */
	{ 8, 0, "    name: Service One\n    ? [a]\n    : b", 1, "t.yaml:9: services[0]: keys must be text\n" },
	/* a NUL inside a quoted scalar */
	{ 8, 0, "    name: \"Service\\0One\"", 1, "t.yaml:8: services[0].name: contains a NUL character\n" },
	/* YAML syntax errors: one diagnostic, no tree */
	{ 8, 0, "    name: [unclosed", 1, "t.yaml:9: YAML: " },
	{ 8, 0, "\tname: tabbed", 1, "t.yaml:8: YAML: " },
	{ 8, 0, "    name: \"unterminated", 1, "t.yaml:17: YAML: found unexpected end of stream" },
	/* aliases: reusing a node is refused where it is reused. libyaml's
	 * document API resolves the alias to the anchored node, so the line
	 * reported is the anchor's. */
	{ 8, 0, "    name: &n Service One\n    section: *n", 2,
	  "t.yaml:8: services[0].section: YAML aliases are not allowed\n" },
	/* (the base file's own section line then makes the key appear twice) */
	{ 8, 0, "    name: &n Service One\n    section: *n", 2,
	  "t.yaml:10: services[0].section: key appears twice\n" },
	/* empty files */
	{ -1, 0, "", 1, "t.yaml:1: file is empty\n" },
	{ -1, 0, "# only a comment\n", 1, "t.yaml:1: file is empty\n" },
	/* an explicit empty document has an empty scalar for its root */
	{ -1, 0, "---\n", 1, ": : must be a mapping\n" },
	/* every problem is reported, not only the first */
	{ 8, 4, "    nmae: Service One\n    route: NSI\n    section: Things\n    source: seed.txt", 4,
	  "t.yaml:8: services[0].nmae: unknown key\n" },
	{ 8, 4, "    nmae: Service One\n    route: NSI\n    section: Things\n    source: seed.txt", 4,
	  "t.yaml:9: services[0].route: 'NSI' is not one of:" },
	{ 8, 4, "    nmae: Service One\n    route: NSI\n    section: Things\n    source: seed.txt", 4,
	  "t.yaml:11: services[0].source: 'seed.txt' is not SEEDFILE:LINE\n" },
	/* a missing key is a problem of its own, even when another key of the
	 * same mapping is wrong: one run must show both */
	{ 10, 3, "    route: NSI\n    source: seed.txt:10", 2, "t.yaml:10: services[0].route: 'NSI' is not one of:" },
	{ 10, 3, "    route: NSI\n    source: seed.txt:10", 2, "t.yaml:7: services[0].description: is required\n" },
};

static void test_yaml_errors(void **state)
{
	struct buf y = BUF_INIT;
	struct diag d = { BUF_INIT, 0, 0 };
	int bad = 0;

	(void)state;
	for (size_t i = 0; i < sizeof(yaml_cases) / sizeof(yaml_cases[0]); i++) {
		const struct yaml_case *c = &yaml_cases[i];
		json_t *doc = (json_t *)&doc; /* must be reset */
		enum rc rc;

		if (c->line < 0) {
			buf_reset(&y);
			assert_int_equal(buf_adds(&y, c->with), RC_OK);
		} else {
			make_yaml_span(&y, c->line, c->span ? c->span : 1, c->with);
		}
		rc = convert(y.data, y.len, &doc, &d);
		if (rc != RC_BAD_INPUT || doc || d.count != c->count || !strstr(d.out.data, c->diag)) {
			print_error("case %zu (line %d: %s):\n  rc %d, tree %s, %d diagnostics:\n%s"
				    "  expected %d containing: %s\n", i, c->line, c->with, rc,
				    doc ? "returned" : "NULL", d.count, d.out.data, c->count, c->diag);
			bad++;
		}
		json_decref(doc);
	}
	buf_release(&y);
	buf_release(&d.out);
	assert_int_equal(bad, 0);
}

/* Files over 4 MiB are refused before parsing. */
static void test_too_large(void **state)
{
	size_t n = ((size_t)4 << 20) + 1;
	char *text = malloc(n);
	struct diag d = { BUF_INIT, 0, 0 };
	json_t *doc = NULL;

	(void)state;
	assert_non_null(text);
	memset(text, '#', n);
	assert_int_equal(convert(text, n, &doc, &d), RC_BAD_INPUT);
	free(text);
	assert_null(doc);
	assert_int_equal(d.count, 1);
	assert_non_null(strstr(d.out.data, "t.yaml:1: file is larger than 4194304 bytes"));
	buf_release(&d.out);
}

/* diag_add counts what does not fit and says so. */
static void test_diag_truncation(void **state)
{
	struct diag d = { BUF_INIT, 0, 0 };

	(void)state;
	buf_init(&d.out, 40);
	diag_add(&d, "f.yaml", 3, "%s", "short");
	assert_string_equal(d.out.data, "f.yaml:3: short\n");
	diag_add(&d, "f.yaml", 4, "%s", "a message far too long to fit in the rest");
	assert_int_equal(d.count, 2);
	assert_true(d.truncated);
	buf_release(&d.out);
}

/* --- catalogue_load over a temporary directory ---------------------------- */

static char tmpdir[64];

static void write_file(const char *name, const char *text)
{
	char path[256];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", tmpdir, name);
	f = fopen(path, "w");
	assert_non_null(f);
	assert_int_equal(fputs(text, f) >= 0, 1);
	assert_int_equal(fclose(f), 0);
}

/* Remove every file in tmpdir, keeping the directory. */
static void empty_dir(void)
{
	DIR *dir = opendir(tmpdir);
	struct dirent *de;
	char path[512];

	assert_non_null(dir);
	while ((de = readdir(dir))) {
		if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
			continue;
		snprintf(path, sizeof(path), "%s/%s", tmpdir, de->d_name);
		assert_int_equal(unlink(path), 0);
	}
	closedir(dir);
}

static int make_tmpdir(void **state)
{
	(void)state;
	snprintf(tmpdir, sizeof(tmpdir), "/tmp/ratecard-test-cat-XXXXXX");
	return mkdtemp(tmpdir) ? 0 : -1;
}

static int remove_tmpdir(void **state)
{
	(void)state;
	empty_dir();
	return rmdir(tmpdir);
}

static int clear_tmpdir(void **state)
{
	(void)state;
	empty_dir();
	return 0;
}

/* A provider with a list of services, each given as YAML list items. */
static void provider_file(struct buf *b, const char *id, const char *services)
{
	buf_reset(b);
	assert_int_equal(buf_addf(b,
				  "provider:\n"                          /* 1 */
				  "  id: %s\n"                           /* 2 */
				  "  name: Provider %s\n"                /* 3 */
				  "  regions: [\"Kent, Surrey and Sussex\"]\n" /* 4 */
				  "  areas: [Kent]\n"                    /* 5 */
				  "  source: seed.txt:1\n"               /* 6 */
				  "services:\n"                          /* 7 */
				  "%s", id, id, services), RC_OK);
}

/* One service as YAML list items: 8 lines, plus whatever `extra` adds. */
static void service_yaml(struct buf *b, const char *id, const char *rule, const char *extra)
{
	assert_int_equal(buf_addf(b,
				  "  - id: %s\n"
				  "    name: Service %s\n"
				  "    section: S\n"
				  "    route: other\n"
				  "    source: seed.txt:2\n"
				  "    description: D.\n"
				  "    eligibility: [{text: As printed, rule: \"%s\"}]\n"
				  "    not_suitable: []\n"
				  "%s", id, id, rule, extra ? extra : ""), RC_OK);
}

static enum rc load(struct catalogue *cat, struct diag *d)
{
	d->count = 0;
	d->truncated = 0;
	buf_reset(&d->out);
	return catalogue_load(cat, tmpdir, d);
}

static void test_load_valid(void **state)
{
	struct buf svcs = BUF_INIT, file = BUF_INIT;
	struct diag d = { BUF_INIT, 0, 0 };
	struct catalogue cat;
	const struct service *s;

	(void)state;
	service_yaml(&svcs, "first", "sex = male", NULL);
	service_yaml(&svcs, "second", "completed has aa/first",
		     "    requires: [{service: aa/first, text: first}]\n");
	provider_file(&file, "aa", svcs.data);
	write_file("aa.yaml", file.data);
	buf_reset(&svcs);
	service_yaml(&svcs, "other", "completed has aa/second", NULL);
	provider_file(&file, "bb", svcs.data);
	write_file("bb.yaml", file.data);
	write_file(".hidden.yaml", "not: [valid");   /* dot files are skipped */
	write_file("notes.txt", "not: [valid");      /* so is anything not .yaml */

	if (load(&cat, &d) != RC_OK) {
		print_error("%s", d.out.data);
		fail();
	}
	assert_int_equal(d.count, 0);
	assert_int_equal(cat.nproviders, 2);
	assert_int_equal(cat.nservices, 3);
	s = catalogue_find(&cat, "aa/second");
	assert_non_null(s);
	assert_string_equal(s->name, "Service second");
	assert_string_equal(s->file, "aa.yaml");
	assert_int_equal(s->line, 16);
	/* the location criterion comes from the provider, then the rule */
	assert_int_equal(s->ncrit, 2);
	assert_int_equal(s->crit[0].builtin, BUILTIN_LOCATION);
	assert_string_equal(s->crit[1].rule, "completed has aa/first");
	assert_non_null(catalogue_find(&cat, "bb/other"));
	assert_null(catalogue_find(&cat, "bb/first"));
	assert_non_null(catalogue_find_provider(&cat, "Provider bb"));
	/* no converter line numbers leak into what is shown */
	assert_null(json_object_get(s->json, "_line"));
	catalogue_release(&cat);
	buf_release(&svcs);
	buf_release(&file);
	buf_release(&d.out);
}

struct load_case {
	const char *what;
	const char *files[2];   /* aa.yaml, bb.yaml (NULL: not written) */
	int count;
	const char *diag[3];    /* substrings, all expected */
};

/* Built at run time from service_yaml(); see test_load_errors. */
static void test_load_errors(void **state)
{
	struct buf a = BUF_INIT, b = BUF_INIT, svcs = BUF_INIT;
	struct diag d = { BUF_INIT, 0, 0 };
	struct catalogue cat;
	int bad = 0;
	struct load_case cases[4];
	char *texts[4][2] = { { NULL } };

	(void)state;
	/* 0: a `requires` naming no service; reported at the requires entry (line 17) */
	buf_reset(&svcs);
	service_yaml(&svcs, "first", "true", "    requires:\n      - service: aa/missing\n        text: x\n");
	provider_file(&a, "aa", svcs.data);
	texts[0][0] = strdup(a.data);
	cases[0] = (struct load_case){ "dangling requires", { texts[0][0], NULL }, 1,
		{ "aa.yaml:17: requires 'aa/missing' names no service in the catalogue\n" } };

	/* 1: the same service id twice in one file (services at lines 8 and 16) */
	buf_reset(&svcs);
	service_yaml(&svcs, "twice", "true", NULL);
	service_yaml(&svcs, "twice", "false", NULL);
	provider_file(&a, "aa", svcs.data);
	texts[1][0] = strdup(a.data);
	cases[1] = (struct load_case){ "duplicate service id", { texts[1][0], NULL }, 1,
		{ "duplicate service id 'aa/twice' (also aa.yaml:", "aa.yaml:8", "aa.yaml:16" } };

	/* 2: a rule testing `completed has` an id that names no service; at the
	 * service's line (8) */
	buf_reset(&svcs);
	service_yaml(&svcs, "first", "completed has any [aa/first, aa/nope]", NULL);
	provider_file(&a, "aa", svcs.data);
	texts[2][0] = strdup(a.data);
	cases[2] = (struct load_case){ "completed has unknown id", { texts[2][0], NULL }, 1,
		{ "aa.yaml:8: rule: completed 'aa/nope' names no service in the catalogue\n" } };

	/* 3: a recommends naming another provider's missing service, and the same
	 * provider id in two files */
	buf_reset(&svcs);
	service_yaml(&svcs, "first", "true", "    recommends: [{service: bb/none}]\n");
	provider_file(&a, "aa", svcs.data);
	texts[3][0] = strdup(a.data);
	buf_reset(&svcs);
	service_yaml(&svcs, "second", "true", NULL);
	provider_file(&b, "aa", svcs.data);
	texts[3][1] = strdup(b.data);
	cases[3] = (struct load_case){ "cross-file", { texts[3][0], texts[3][1] }, 2,
		{ "aa.yaml:16: recommends 'bb/none' names no service in the catalogue\n",
		  "duplicate provider id 'aa'" } };

	for (int i = 0; i < 4; i++) {
		const struct load_case *c = &cases[i];
		enum rc rc;
		int ok;

		empty_dir();
		write_file("aa.yaml", c->files[0]);
		if (c->files[1])
			write_file("bb.yaml", c->files[1]);
		rc = load(&cat, &d);
		ok = rc == RC_BAD_INPUT && d.count == c->count && cat.nservices == 0;
		for (int k = 0; k < 3 && c->diag[k]; k++)
			ok = ok && strstr(d.out.data, c->diag[k]);
		if (!ok) {
			print_error("%s: rc %d, %d diagnostics:\n%s  expected %d with: %s | %s | %s\n",
				    c->what, rc, d.count, d.out.data, c->count, c->diag[0],
				    c->diag[1] ? c->diag[1] : "", c->diag[2] ? c->diag[2] : "");
			bad++;
		}
		if (rc == RC_OK)
			catalogue_release(&cat);
		free(texts[i][0]);
		free(texts[i][1]);
	}
	buf_release(&a);
	buf_release(&b);
	buf_release(&svcs);
	buf_release(&d.out);
	assert_int_equal(bad, 0);
}

/* Per-file problems come through the loader with their file names; a good
 * file next to a bad one does not make the load succeed. */
static void test_load_bad_file(void **state)
{
	struct buf a = BUF_INIT, svcs = BUF_INIT;
	struct diag d = { BUF_INIT, 0, 0 };
	struct catalogue cat;

	(void)state;
	service_yaml(&svcs, "first", "sex = mail", NULL);
	provider_file(&a, "aa", svcs.data);
	write_file("aa.yaml", a.data);
	buf_reset(&svcs);
	service_yaml(&svcs, "fine", "true", NULL);
	provider_file(&a, "bb", svcs.data);
	write_file("bb.yaml", a.data);
	assert_int_equal(load(&cat, &d), RC_BAD_INPUT);
	assert_int_equal(cat.nservices, 0);
	assert_int_equal(cat.nproviders, 0);
	assert_int_equal(d.count, 1);
	assert_non_null(strstr(d.out.data, "aa.yaml:14: services[0].eligibility[0].rule: column 7: "
			       "'mail' is not a value of sex"));
	catalogue_release(&cat); /* safe after a failed load */
	buf_release(&a);
	buf_release(&svcs);
	buf_release(&d.out);
}

static void test_load_dirs(void **state)
{
	struct diag d = { BUF_INIT, 0, 0 };
	struct catalogue cat;

	(void)state;
	/* an empty directory */
	assert_int_equal(load(&cat, &d), RC_BAD_INPUT);
	assert_int_equal(d.count, 1);
	assert_non_null(strstr(d.out.data, "no .yaml files"));
	/* a directory that does not exist */
	d.count = 0;
	buf_reset(&d.out);
	assert_int_equal(catalogue_load(&cat, "/nonexistent/ratecard/catalogue", &d), RC_BAD_INPUT);
	assert_int_equal(d.count, 1);
	assert_non_null(strstr(d.out.data, "/nonexistent/ratecard/catalogue:0: cannot read directory"));
	catalogue_release(&cat);
	buf_release(&d.out);
}

/* A service with more criteria than the engine allows is reported, not
 * loaded - and the load must survive it. Run in a child: a crash here must
 * fail this test, not end the run. */
static void test_load_too_many_criteria(void **state)
{
	struct buf a = BUF_INIT, svcs = BUF_INIT, extra = BUF_INIT;
	pid_t pid;
	int status = 0;

	(void)state;
	assert_int_equal(buf_adds(&extra, "    not_suitable:\n"), RC_OK);
	for (int i = 0; i < CATALOGUE_MAX_CRITERIA; i++)
		assert_int_equal(buf_addf(&extra, "      - {text: \"Item %d\", rule: \"false\"}\n", i), RC_OK);
	/* service_yaml writes `not_suitable: []`; replace it with the long list */
	service_yaml(&svcs, "many", "true", NULL);
	svcs.len -= strlen("    not_suitable: []\n");
	svcs.data[svcs.len] = '\0';
	assert_int_equal(buf_adds(&svcs, extra.data), RC_OK);
	service_yaml(&svcs, "fine", "true", NULL);
	provider_file(&a, "aa", svcs.data);
	write_file("aa.yaml", a.data);
	buf_release(&a);
	buf_release(&svcs);
	buf_release(&extra);

	fflush(NULL);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		struct diag d = { BUF_INIT, 0, 0 };
		struct catalogue cat;
		enum rc rc = catalogue_load(&cat, tmpdir, &d);
		int ok = rc == RC_BAD_INPUT && d.count == 1 &&
			 strstr(d.out.data, "aa.yaml:8: service has more than 254 criteria");

		if (!ok)
			fprintf(stderr, "too many criteria: rc %d, %d diagnostics:\n%s", rc, d.count,
				d.out.data);
		if (rc == RC_OK)
			catalogue_release(&cat);
		buf_release(&d.out);
		exit(ok ? 0 : 2);
	}
	assert_int_equal(waitpid(pid, &status, 0), pid);
	if (WIFSIGNALED(status))
		fail_msg("catalogue_load with a 256-criterion service: killed by signal %d",
			 WTERMSIG(status));
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
		fail_msg("catalogue_load with a 256-criterion service: child exit status %d "
			 "(1 = the sanitizer found a fault, its report is above; 2 = wrong result)",
			 WEXITSTATUS(status));
}

int main(void)
{
	const struct CMUnitTest conv_tests[] = {
		cmocka_unit_test(test_valid_minimal),
		cmocka_unit_test(test_valid_typing),
		cmocka_unit_test(test_yaml_errors),
		cmocka_unit_test(test_too_large),
		cmocka_unit_test(test_diag_truncation),
	};
	const struct CMUnitTest load_tests[] = {
		cmocka_unit_test_setup(test_load_valid, clear_tmpdir),
		cmocka_unit_test_setup(test_load_errors, clear_tmpdir),
		cmocka_unit_test_setup(test_load_bad_file, clear_tmpdir),
		cmocka_unit_test_setup(test_load_dirs, clear_tmpdir),
		cmocka_unit_test_setup(test_load_too_many_criteria, clear_tmpdir),
	};
	int failed;

	failed = cmocka_run_group_tests_name("yamlconv", conv_tests, NULL, NULL);
	failed += cmocka_run_group_tests_name("catalogue_load", load_tests, make_tmpdir, remove_tmpdir);
	return failed ? 1 : 0;
}
