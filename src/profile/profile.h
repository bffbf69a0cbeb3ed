/*
 * profile.h - one person's profile (../shared/spec/profile.md), parsed and
 * validated from JSON into a flat, typed form the rule evaluator reads fast.
 *
 * Three-valued from the start: a field is either known (its bit is set in
 * `known`) or unknown; null counts as absent. A present list is complete.
 * Strings point into the JSON document the profile keeps, so a profile owns
 * exactly one jansson reference and profile_clear() drops it.
 */
#ifndef PROFILE_PROFILE_H
#define PROFILE_PROFILE_H

#include <jansson.h>
#include <stdint.h>
#include "core/err.h"
#include "profile/field.h"

union profile_value {
	double num;        /* FT_INT, FT_NUM */
	int e;             /* FT_ENUM: index into the field's vocab */
	uint64_t set;      /* FT_SET: bit i = vocab[i] present */
	const char *text;  /* FT_TEXT */
};

struct profile_ids {
	const char **v;    /* borrowed from the JSON document */
	size_t n;
};

struct profile {
	uint64_t known;                  /* bit f = field f present */
	union profile_value v[PF_COUNT];
	struct profile_ids ids[2];       /* PF_COMPLETED, PF_VULNERABILITIES */
	unsigned region_inferred : 1;    /* region came from the area (geo.h) */
	json_t *doc;                     /* owned reference */
};

#define PROFILE_KNOWN(p, f) (((p)->known >> (f)) & 1)

/* Validate `obj` (a JSON object) as a profile and fill p. On RC_BAD_INPUT, e
 * names the field ("scores.ovp", "offences[2]") and what is wrong. Unknown
 * top-level or scores keys are refused so a typo never passes silently.
 * Takes its own reference to obj; call profile_clear() either way. */
enum rc profile_from_json(struct profile *p, json_t *obj, struct err *e) RC_MUST;

/* Parse JSON text (len bytes) then profile_from_json(). */
enum rc profile_parse(struct profile *p, const char *text, size_t len, struct err *e) RC_MUST;

/* Drop the JSON reference; p may be reused after profile_from_json() again.
 * (Not profile_release(): libkrb5, which libpq loads, exports that name.) */
void profile_clear(struct profile *p);

/* The id string ("" when absent). */
const char *profile_id(const struct profile *p);

/* The ids list of an FT_IDS field. */
const struct profile_ids *profile_ids(const struct profile *p, int field);

#endif
