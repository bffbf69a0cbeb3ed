/*
 * test_profile.c - JSON profiles (../shared/spec/profile.md) parsed into
 * struct profile (src/profile/profile.h), and the area-to-region inference
 * behind it (src/profile/geo.h).
 *
 * Valid profiles are checked field by field; malformed ones are a table of
 * input, the exact err.field and a message substring.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "unit.h"
#include "core/buf.h"
#include "profile/field.h"
#include "profile/geo.h"
#include "profile/profile.h"

#define BIT(f) ((uint64_t)1 << (f))

/* Index of value in field f's vocabulary, failing the test when absent. */
static int vocab(int f, const char *value)
{
	int k = field_vocab_index(field_table[f].vocab, value, strlen(value));

	if (k < 0)
		fail_msg("'%s' is not in the vocabulary of %s", value, field_table[f].name);
	return k;
}

static uint64_t set_of(int f, const char *const *values)
{
	uint64_t m = 0;

	for (; *values; values++)
		m |= (uint64_t)1 << vocab(f, *values);
	return m;
}

static void parse_ok(struct profile *p, const char *json)
{
	struct err e = ERR_INIT;

	if (profile_parse(p, json, strlen(json), &e)) {
		profile_clear(p);
		fail_msg("%s: %s: %s", json, e.field, e.msg);
	}
}

/* The example of profile.md, field by field. */
static void test_spec_example(void **state)
{
	static const char json[] =
		"{\"id\": \"X100001\", \"age\": 31, \"sex\": \"male\", \"region\": \"Kent, Surrey and Sussex\",\n"
		" \"area\": \"Kent\", \"sentence\": \"community_order\", \"order_months\": 18,\n"
		" \"requirements\": [\"rar\"], \"rosh\": \"medium\",\n"
		" \"scores\": {\"ogrs\": 48, \"ovp\": 34, \"oasys_total\": 9, \"oasys_11_6\": 2, \"oasys_11_7\": 1},\n"
		" \"index_offence\": \"violence\", \"offences\": [\"violence\"], \"convictions\": 3,\n"
		" \"needs\": [\"thinking_behaviour\", \"ete\"], \"flags\": [], \"completed\": []}";
	static const char *const needs[] = { "thinking_behaviour", "ete", NULL };
	const uint64_t known = BIT(PF_ID) | BIT(PF_AGE) | BIT(PF_SEX) | BIT(PF_REGION) |
		BIT(PF_AREA) | BIT(PF_SENTENCE) | BIT(PF_ORDER_MONTHS) | BIT(PF_REQUIREMENTS) |
		BIT(PF_ROSH) | BIT(PF_OGRS) | BIT(PF_OVP) | BIT(PF_OASYS_TOTAL) |
		BIT(PF_OASYS_11_6) | BIT(PF_OASYS_11_7) | BIT(PF_INDEX_OFFENCE) | BIT(PF_OFFENCES) |
		BIT(PF_CONVICTIONS) | BIT(PF_NEEDS) | BIT(PF_FLAGS) | BIT(PF_COMPLETED);
	struct profile p;

	(void)state;
	parse_ok(&p, json);
	assert_int_equal(p.known, known);
	assert_string_equal(profile_id(&p), "X100001");
	assert_true(p.v[PF_AGE].num == 31);
	assert_int_equal(p.v[PF_SEX].e, vocab(PF_SEX, "male"));
	assert_int_equal(p.v[PF_REGION].e, vocab(PF_REGION, "Kent, Surrey and Sussex"));
	assert_false(p.region_inferred);
	assert_string_equal(p.v[PF_AREA].text, "Kent");
	assert_int_equal(p.v[PF_SENTENCE].e, vocab(PF_SENTENCE, "community_order"));
	assert_true(p.v[PF_ORDER_MONTHS].num == 18);
	assert_int_equal(p.v[PF_REQUIREMENTS].set, BIT(vocab(PF_REQUIREMENTS, "rar")));
	assert_int_equal(p.v[PF_ROSH].e, vocab(PF_ROSH, "medium"));
	assert_true(p.v[PF_OGRS].num == 48);
	assert_true(p.v[PF_OVP].num == 34);
	assert_true(p.v[PF_OASYS_TOTAL].num == 9);
	assert_true(p.v[PF_OASYS_11_6].num == 2);
	assert_true(p.v[PF_OASYS_11_7].num == 1);
	assert_int_equal(p.v[PF_INDEX_OFFENCE].e, vocab(PF_INDEX_OFFENCE, "violence"));
	assert_int_equal(p.v[PF_OFFENCES].set, BIT(vocab(PF_OFFENCES, "violence")));
	assert_true(p.v[PF_CONVICTIONS].num == 3);
	assert_int_equal(p.v[PF_NEEDS].set, set_of(PF_NEEDS, needs));
	assert_int_equal(p.v[PF_FLAGS].set, 0);
	assert_int_equal(profile_ids(&p, PF_COMPLETED)->n, 0);
	profile_clear(&p);
	/* released means empty and reusable */
	assert_int_equal(p.known, 0);
	assert_null(p.doc);
	parse_ok(&p, "{\"age\": 40}");
	assert_int_equal(p.known, BIT(PF_AGE));
	profile_clear(&p);
}

/* Every field of the spec, with the types it names. */
static void test_every_field(void **state)
{
	static const char json[] =
		"{\"id\": \"X123456\", \"age\": 10, \"sex\": \"female\", \"region\": \"Wales\","
		" \"area\": \"Cardiff\", \"prison\": \"HMP Cardiff\", \"weeks_to_release\": 2000,"
		" \"sentence\": \"custody\", \"order_months\": 0,"
		" \"requirements\": [\"alcohol_abstinence_monitoring\", \"rar\", \"curfew\"],"
		" \"rosh\": \"very_high\","
		" \"scores\": {\"ogrs\": 0, \"ovp\": 100, \"ogp\": 12.5, \"rsr\": 6.75, \"osp\": \"low\","
		"   \"sara\": \"medium\", \"oasys_total\": 20, \"oasys_11_6\": 0, \"oasys_11_7\": 2,"
		"   \"audit\": 40, \"sadq\": 60},"
		" \"index_offence\": \"fraud\", \"offences\": [\"fraud\", \"arson\", \"violence\"],"
		" \"convictions\": 0,"
		" \"needs\": [\"maturity\", \"accommodation\"],"
		" \"flags\": [\"jobseeker_long_term\", \"unstable_mental_health\", \"veteran\"],"
		" \"completed\": [\"kss-crc/resolve\", \"essex-crc/accommodation-assessment\"],"
		" \"vulnerabilities\": [\"anything at all\"]}";
	static const char *const reqs[] = { "alcohol_abstinence_monitoring", "rar", "curfew", NULL };
	static const char *const offences[] = { "fraud", "arson", "violence", NULL };
	static const char *const needs[] = { "maturity", "accommodation", NULL };
	static const char *const flags[] = { "jobseeker_long_term", "unstable_mental_health", "veteran", NULL };
	const struct profile_ids *ids;
	struct profile p;

	(void)state;
	parse_ok(&p, json);
	/* every field known */
	assert_int_equal(p.known, BIT(PF_COUNT) - 1);
	assert_false(p.region_inferred);
	assert_string_equal(profile_id(&p), "X123456");
	assert_true(p.v[PF_AGE].num == 10);
	assert_int_equal(p.v[PF_SEX].e, vocab(PF_SEX, "female"));
	assert_int_equal(p.v[PF_REGION].e, vocab(PF_REGION, "Wales"));
	assert_string_equal(p.v[PF_AREA].text, "Cardiff");
	assert_string_equal(p.v[PF_PRISON].text, "HMP Cardiff");
	assert_true(p.v[PF_WEEKS_TO_RELEASE].num == 2000);
	assert_int_equal(p.v[PF_SENTENCE].e, vocab(PF_SENTENCE, "custody"));
	assert_true(p.v[PF_ORDER_MONTHS].num == 0);
	assert_int_equal(p.v[PF_REQUIREMENTS].set, set_of(PF_REQUIREMENTS, reqs));
	assert_int_equal(p.v[PF_ROSH].e, vocab(PF_ROSH, "very_high"));
	assert_true(p.v[PF_OGRS].num == 0);
	assert_true(p.v[PF_OVP].num == 100);
	assert_true(p.v[PF_OGP].num == 12.5);
	assert_true(p.v[PF_RSR].num == 6.75);
	assert_int_equal(p.v[PF_OSP].e, vocab(PF_OSP, "low"));
	assert_int_equal(p.v[PF_SARA].e, vocab(PF_SARA, "medium"));
	assert_true(p.v[PF_OASYS_TOTAL].num == 20);
	assert_true(p.v[PF_OASYS_11_6].num == 0);
	assert_true(p.v[PF_OASYS_11_7].num == 2);
	assert_true(p.v[PF_AUDIT].num == 40);
	assert_true(p.v[PF_SADQ].num == 60);
	assert_int_equal(p.v[PF_INDEX_OFFENCE].e, vocab(PF_INDEX_OFFENCE, "fraud"));
	assert_int_equal(p.v[PF_OFFENCES].set, set_of(PF_OFFENCES, offences));
	assert_true(p.v[PF_CONVICTIONS].num == 0);
	assert_int_equal(p.v[PF_NEEDS].set, set_of(PF_NEEDS, needs));
	assert_int_equal(p.v[PF_FLAGS].set, set_of(PF_FLAGS, flags));
	ids = profile_ids(&p, PF_COMPLETED);
	assert_int_equal(ids->n, 2);
	assert_string_equal(ids->v[0], "kss-crc/resolve");
	assert_string_equal(ids->v[1], "essex-crc/accommodation-assessment");
	ids = profile_ids(&p, PF_VULNERABILITIES);
	assert_int_equal(ids->n, 1);
	assert_string_equal(ids->v[0], "anything at all");
	profile_clear(&p);
}

/* Numbers: whole numbers written as reals are whole; the ranges are inclusive. */
static void test_numbers(void **state)
{
	static const struct {
		const char *json;
		int field;
		double value;
	} t[] = {
		{ "{\"age\": 120}", PF_AGE, 120 },
		{ "{\"age\": 30.0}", PF_AGE, 30 },
		{ "{\"age\": 3e1}", PF_AGE, 30 },
		{ "{\"scores\": {\"ogrs\": 48.5}}", PF_OGRS, 48.5 },
		{ "{\"scores\": {\"ogrs\": 100.0}}", PF_OGRS, 100 },
		{ "{\"weeks_to_release\": 0}", PF_WEEKS_TO_RELEASE, 0 },
		{ "{\"convictions\": 1000}", PF_CONVICTIONS, 1000 },
		{ "{\"order_months\": 1200}", PF_ORDER_MONTHS, 1200 },
	};

	(void)state;
	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		struct profile p;

		parse_ok(&p, t[i].json);
		assert_int_equal(p.known, BIT(t[i].field));
		if (p.v[t[i].field].num != t[i].value)
			fail_msg("%s: %g", t[i].json, p.v[t[i].field].num);
		profile_clear(&p);
	}
}

/* null is the same as absent, for every kind of field. */
static void test_null_is_absent(void **state)
{
	static const char *const t[] = {
		"{}",
		"{\"id\": null, \"age\": null, \"sex\": null, \"region\": null, \"area\": null,"
		" \"prison\": null, \"weeks_to_release\": null, \"sentence\": null,"
		" \"order_months\": null, \"requirements\": null, \"rosh\": null, \"scores\": null,"
		" \"index_offence\": null, \"offences\": null, \"convictions\": null, \"needs\": null,"
		" \"flags\": null, \"completed\": null, \"vulnerabilities\": null}",
		"{\"scores\": {}}",
		"{\"scores\": {\"ogrs\": null, \"ovp\": null, \"ogp\": null, \"rsr\": null, \"osp\": null,"
		" \"sara\": null, \"oasys_total\": null, \"oasys_11_6\": null, \"oasys_11_7\": null,"
		" \"audit\": null, \"sadq\": null}}",
	};

	(void)state;
	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		struct profile p;

		parse_ok(&p, t[i]);
		if (p.known)
			fail_msg("%s: known %#llx", t[i], (unsigned long long)p.known);
		assert_false(p.region_inferred);
		assert_string_equal(profile_id(&p), "");
		assert_int_equal(profile_ids(&p, PF_COMPLETED)->n, 0);
		profile_clear(&p);
	}
}

/* A region comes from the area when the profile gives none. */
static void test_region_from_area(void **state)
{
	static const struct {
		const char *json;
		const char *region;   /* NULL: region stays unknown */
		int inferred;
	} t[] = {
		{ "{\"area\": \"Kent\"}", "Kent, Surrey and Sussex", 1 },
		{ "{\"area\": \"West Sussex\"}", "Kent, Surrey and Sussex", 1 },
		{ "{\"area\": \"east sussex\"}", "Kent, Surrey and Sussex", 1 },
		{ "{\"area\": \"Southend\"}", "East of England", 1 },
		{ "{\"area\": \"Southend-on-Sea\"}", "East of England", 1 },
		{ "{\"area\": \"Thurrock\"}", "East of England", 1 },
		{ "{\"area\": \"Lancashire\"}", "North West", 1 },
		{ "{\"area\": \"Cumbria\"}", "North West", 1 },
		{ "{\"area\": \"Greater Manchester\"}", "Greater Manchester", 1 },
		{ "{\"area\": \"London\"}", "London", 1 },
		{ "{\"area\": \"Cardiff\"}", "Wales", 1 },
		{ "{\"area\": \"Lambeth\"}", NULL, 0 },
		{ "{\"area\": \"Kentish Town\"}", NULL, 0 },
		{ "{\"area\": \"\"}", NULL, 0 },
		{ "{\"area\": null}", NULL, 0 },
		/* a given region is never overwritten, even when it disagrees */
		{ "{\"area\": \"Kent\", \"region\": \"London\"}", "London", 0 },
		{ "{\"region\": \"London\", \"area\": \"Kent\"}", "London", 0 },
		/* a null region is absent, so the area still decides */
		{ "{\"region\": null, \"area\": \"Essex\"}", "East of England", 1 },
	};

	(void)state;
	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		struct profile p;
		int known, region, inferred;

		parse_ok(&p, t[i].json);
		known = PROFILE_KNOWN(&p, PF_REGION);
		region = p.v[PF_REGION].e;
		inferred = p.region_inferred;
		profile_clear(&p);
		if (!t[i].region) {
			if (known)
				fail_msg("%s: region %s inferred, expected none", t[i].json,
					 field_regions[region]);
		} else if (!known || region != vocab(PF_REGION, t[i].region)) {
			fail_msg("%s: region %s, expected %s", t[i].json,
				 known ? field_regions[region] : "(unknown)", t[i].region);
		}
		if (inferred != t[i].inferred)
			fail_msg("%s: region_inferred %d, expected %d", t[i].json, inferred, t[i].inferred);
	}
}

/* Town names that contain a table name as a whole word but lie elsewhere:
 * the region must not be inferred wrongly (unknown is acceptable). */
static void test_region_not_misinferred(void **state)
{
	static const struct {
		const char *area;
		const char *wrong;
	} t[] = {
		{ "Bury St Edmunds", "Greater Manchester" },     /* Suffolk: East of England */
		{ "Newcastle-under-Lyme", "North East" },        /* Staffordshire: West Midlands */
	};
	int bad = 0;

	(void)state;
	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		int r = geo_region_of_area(t[i].area);

		if (r >= 0 && !strcmp(field_regions[r], t[i].wrong)) {
			print_error("geo_region_of_area(\"%s\") = %s\n", t[i].area, t[i].wrong);
			bad++;
		}
	}
	assert_int_equal(bad, 0);
}

struct bad_case {
	const char *json;
	const char *field;
	const char *msg;   /* substring of e.msg */
};

static const struct bad_case bad_cases[] = {
	/* not JSON, or not an object */
	{ "not json", "column 3", "malformed JSON: '[' or '{' expected near 'not'" },
	{ "", "column 0", "malformed JSON" },
	{ "{\"age\": 30", "column 10", "malformed JSON" },
	{ "{} x", "column 4", "malformed JSON: end of file expected" },
	{ "{\"age\": 30,}", "column 12", "malformed JSON" },
	{ "\"profile\"", "column 9", "malformed JSON" },
	{ "[1, 2]", "profile", "must be a JSON object" },
	{ "[]", "profile", "must be a JSON object" },
	/* duplicate keys, at the top and inside scores */
	{ "{\"age\": 30, \"age\": 31}", "column 17", "malformed JSON: duplicate object key" },
	{ "{\"scores\": {\"ovp\": 1, \"ovp\": 2}}", "column 27", "duplicate object key" },
	/* unknown fields and scores */
	{ "{\"agee\": 30}", "agee", "is not a profile field" },
	{ "{\"Age\": 30}", "Age", "is not a profile field" },
	{ "{\"scores.ovp\": 30}", "scores.ovp", "is not a profile field" },
	{ "{\"scores\": {\"foo\": 1}}", "scores", "unknown score 'foo'" },
	{ "{\"scores\": {\"ogrs\": 1, \"age\": 30}}", "scores", "unknown score 'age'" },
	{ "{\"scores\": {\"scores.ovp\": 1}}", "scores", "unknown score 'scores.ovp'" },
	/* integers */
	{ "{\"age\": 9}", "age", "must be from 10 to 120, not 9" },
	{ "{\"age\": 121}", "age", "must be from 10 to 120, not 121" },
	{ "{\"age\": 30.5}", "age", "must be a whole number" },
	{ "{\"age\": \"30\"}", "age", "must be a number" },
	{ "{\"age\": true}", "age", "must be a number" },
	{ "{\"age\": [30]}", "age", "must be a number" },
	{ "{\"weeks_to_release\": -1}", "weeks_to_release", "must be from 0 to 2000, not -1" },
	{ "{\"weeks_to_release\": 2001}", "weeks_to_release", "must be from 0 to 2000" },
	{ "{\"scores\": {\"oasys_11_6\": 3}}", "scores.oasys_11_6", "must be from 0 to 2, not 3" },
	{ "{\"scores\": {\"oasys_total\": 1.5}}", "scores.oasys_total", "must be a whole number" },
	{ "{\"scores\": {\"sadq\": 61}}", "scores.sadq", "must be from 0 to 60" },
	/* numbers */
	{ "{\"scores\": {\"ovp\": 101}}", "scores.ovp", "must be from 0 to 100, not 101" },
	{ "{\"scores\": {\"ovp\": -1}}", "scores.ovp", "must be from 0 to 100, not -1" },
	{ "{\"scores\": {\"ogrs\": 100.5}}", "scores.ogrs", "must be from 0 to 100" },
	{ "{\"scores\": {\"rsr\": \"high\"}}", "scores.rsr", "must be a number" },
	/* enumerations */
	{ "{\"sex\": \"m\"}", "sex", "'m' is not one of: male, female" },
	{ "{\"sex\": \"Male\"}", "sex", "'Male' is not one of: male, female" },
	{ "{\"sex\": 1}", "sex", "must be a string" },
	{ "{\"region\": \"Kent, Surrey & Sussex\"}", "region", "'Kent, Surrey & Sussex' is not one of: North East," },
	{ "{\"region\": \"london\"}", "region", "is not one of:" },
	{ "{\"region\": \"Kent\"}", "region", "is not one of:" },
	{ "{\"rosh\": \"very high\"}", "rosh", "'very high' is not one of: low, medium, high, very_high" },
	{ "{\"scores\": {\"sara\": \"moderate\"}}", "scores.sara", "'moderate' is not one of: low, medium, high" },
	{ "{\"scores\": {\"osp\": 2}}", "scores.osp", "must be a string" },
	{ "{\"index_offence\": \"burglary\"}", "index_offence", "'burglary' is not one of: violence," },
	{ "{\"sentence\": \"probation\"}", "sentence", "is not one of: community_order," },
	/* lists */
	{ "{\"offences\": \"violence\"}", "offences", "must be a list of strings" },
	{ "{\"offences\": {}}", "offences", "must be a list of strings" },
	{ "{\"offences\": [\"violence\", \"burglary\"]}", "offences[1]",
	  "'burglary' is not one of: violence, intimate_partner_violence," },
	{ "{\"offences\": [\"violence\", 3]}", "offences[1]", "must be a string" },
	{ "{\"needs\": [null]}", "needs[0]", "must be a string" },
	{ "{\"flags\": [\"veteran\", \"care_leaver\", \"Veteran\"]}", "flags[2]", "'Veteran' is not one of:" },
	{ "{\"requirements\": [\"RAR\"]}", "requirements[0]", "is not one of: rar," },
	{ "{\"completed\": \"kss-crc/resolve\"}", "completed", "must be a list of strings" },
	{ "{\"completed\": [\"kss-crc/resolve\", 7]}", "completed[1]", "must be a non-empty string" },
	{ "{\"completed\": [\"\"]}", "completed[0]", "must be a non-empty string" },
	{ "{\"completed\": [null]}", "completed[0]", "must be a non-empty string" },
	{ "{\"vulnerabilities\": [[]]}", "vulnerabilities[0]", "must be a non-empty string" },
	/* scores must be an object */
	{ "{\"scores\": []}", "scores", "must be an object" },
	{ "{\"scores\": 5}", "scores", "must be an object" },
	{ "{\"scores\": \"ogrs 40\"}", "scores", "must be an object" },
	/* text */
	{ "{\"id\": 100001}", "id", "must be a string" },
	{ "{\"area\": [\"Kent\"]}", "area", "must be a string" },
	/* jansson refuses an escaped NUL in text; profile_from_json checks too (below) */
	{ "{\"area\": \"Ke\\u0000nt\"}", "column 21", "malformed JSON: \\u0000 is not allowed" },
	/* the first problem is reported, after the fields before it were fine */
	{ "{\"completed\": [\"a/b\", \"c/d\"], \"age\": 5}", "age", "must be from 10 to 120, not 5" },
	{ "{\"age\": 30, \"sex\": \"male\", \"offences\": [\"violence\", \"theft\"], \"rosh\": \"x\"}",
	  "offences[1]", "'theft'" },
};

static void test_malformed(void **state)
{
	int bad = 0;

	(void)state;
	for (size_t i = 0; i < sizeof(bad_cases) / sizeof(bad_cases[0]); i++) {
		const struct bad_case *c = &bad_cases[i];
		struct profile p;
		struct err e = ERR_INIT;
		enum rc rc = profile_parse(&p, c->json, strlen(c->json), &e);

		/* whatever happened, release must be safe and leave nothing behind */
		profile_clear(&p);
		if (rc != RC_BAD_INPUT || e.rc != RC_BAD_INPUT) {
			print_error("%s: rc %d, expected bad_input\n", c->json, rc);
			bad++;
		} else if (strcmp(e.field, c->field) || !strstr(e.msg, c->msg)) {
			print_error("%s:\n  got      %s: %s\n  expected %s: ...%s...\n", c->json, e.field,
				    e.msg, c->field, c->msg);
			bad++;
		}
	}
	assert_int_equal(bad, 0);
}

/* Long inputs: a text field over 200 characters, an id list over 1000. */
static void test_sizes(void **state)
{
	struct buf b = BUF_INIT;
	struct profile p;
	struct err e = ERR_INIT;

	(void)state;
	/* 200 characters of prison is fine, 201 is not */
	assert_int_equal(buf_adds(&b, "{\"prison\": \""), RC_OK);
	for (int i = 0; i < 200; i++)
		assert_int_equal(buf_addch(&b, 'x'), RC_OK);
	assert_int_equal(buf_adds(&b, "\"}"), RC_OK);
	assert_int_equal(profile_parse(&p, b.data, b.len, &e), RC_OK);
	assert_int_equal(strlen(p.v[PF_PRISON].text), 200);
	profile_clear(&p);
	b.len -= 2;
	assert_int_equal(buf_adds(&b, "x\"}"), RC_OK);
	assert_int_equal(profile_parse(&p, b.data, b.len, &e), RC_BAD_INPUT);
	profile_clear(&p);
	assert_string_equal(e.field, "prison");
	assert_string_equal(e.msg, "is longer than 200 characters");

	/* completed: 1000 ids are fine, 1001 are refused */
	buf_reset(&b);
	assert_int_equal(buf_adds(&b, "{\"completed\": ["), RC_OK);
	for (int i = 0; i < 1000; i++)
		assert_int_equal(buf_addf(&b, "%s\"p/s%d\"", i ? "," : "", i), RC_OK);
	assert_int_equal(buf_adds(&b, "]}"), RC_OK);
	assert_int_equal(profile_parse(&p, b.data, b.len, &e), RC_OK);
	assert_int_equal(profile_ids(&p, PF_COMPLETED)->n, 1000);
	assert_string_equal(profile_ids(&p, PF_COMPLETED)->v[999], "p/s999");
	profile_clear(&p);
	b.len -= 2;
	assert_int_equal(buf_adds(&b, ",\"p/s1000\"]}"), RC_OK);
	err_clear(&e);
	assert_int_equal(profile_parse(&p, b.data, b.len, &e), RC_BAD_INPUT);
	profile_clear(&p);
	assert_string_equal(e.field, "completed");
	assert_string_equal(e.msg, "has more than 1000 entries");

	/* a huge list of valid set values is just that set */
	buf_reset(&b);
	assert_int_equal(buf_adds(&b, "{\"offences\": ["), RC_OK);
	for (int i = 0; i < 20000; i++)
		assert_int_equal(buf_addf(&b, "%s\"%s\"", i ? "," : "", i % 2 ? "fraud" : "arson"), RC_OK);
	assert_int_equal(buf_adds(&b, "]}"), RC_OK);
	assert_int_equal(profile_parse(&p, b.data, b.len, &e), RC_OK);
	assert_int_equal(p.v[PF_OFFENCES].set,
			 BIT(vocab(PF_OFFENCES, "fraud")) | BIT(vocab(PF_OFFENCES, "arson")));
	profile_clear(&p);
	buf_release(&b);
}

/* profile_from_json takes its own reference: the caller may drop theirs,
 * and the strings stay valid until profile_clear. */
static void test_from_json_reference(void **state)
{
	json_error_t je;
	json_t *obj = json_loads("{\"id\": \"X9\", \"prison\": \"HMP Elmley\", \"completed\": [\"a/b\"]}",
				 0, &je);
	struct profile p;
	struct err e = ERR_INIT;

	(void)state;
	assert_non_null(obj);
	assert_int_equal(profile_from_json(&p, obj, &e), RC_OK);
	assert_int_equal(obj->refcount, 2);
	json_decref(obj);
	assert_string_equal(profile_id(&p), "X9");
	assert_string_equal(p.v[PF_PRISON].text, "HMP Elmley");
	assert_string_equal(profile_ids(&p, PF_COMPLETED)->v[0], "a/b");
	profile_clear(&p);

	/* a text value with a NUL inside, which only a json_t built in code can hold */
	obj = json_pack("{s:s%}", "area", "Ke\0nt", (size_t)5);
	assert_non_null(obj);
	assert_int_equal(profile_from_json(&p, obj, &e), RC_BAD_INPUT);
	assert_string_equal(e.field, "area");
	assert_string_equal(e.msg, "contains a NUL character");
	profile_clear(&p);
	json_decref(obj);

	/* not an object: refused, and release is still safe */
	obj = json_array();
	assert_int_equal(profile_from_json(&p, obj, &e), RC_BAD_INPUT);
	assert_string_equal(e.field, "profile");
	profile_clear(&p);
	assert_int_equal(obj->refcount, 1);
	json_decref(obj);
}

/* The parser reads len bytes, not up to a NUL. */
static void test_length_bounded(void **state)
{
	static const char text[] = "{\"age\": 30}{\"age\": 31}";
	struct profile p;
	struct err e = ERR_INIT;

	(void)state;
	assert_int_equal(profile_parse(&p, text, 11, &e), RC_OK);
	assert_true(p.v[PF_AGE].num == 30);
	profile_clear(&p);
	assert_int_equal(profile_parse(&p, text, 10, &e), RC_BAD_INPUT);
	profile_clear(&p);
	assert_int_equal(strncmp(e.field, "column ", 7), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_spec_example),
		cmocka_unit_test(test_every_field),
		cmocka_unit_test(test_numbers),
		cmocka_unit_test(test_null_is_absent),
		cmocka_unit_test(test_region_from_area),
		cmocka_unit_test(test_region_not_misinferred),
		cmocka_unit_test(test_malformed),
		cmocka_unit_test(test_sizes),
		cmocka_unit_test(test_from_json_reference),
		cmocka_unit_test(test_length_bounded),
	};

	return cmocka_run_group_tests_name("profile", tests, NULL, NULL);
}
