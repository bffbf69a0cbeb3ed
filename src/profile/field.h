/*
 * field.h - the profile vocabulary of ../shared/spec/profile.md, declared once.
 *
 * Every profile field has an entry in field_table[]: its JSON name, its type,
 * its allowed values or range. The profile parser, the rule compiler and the
 * documentation walk this table; nothing else spells a field name.
 */
#ifndef PROFILE_FIELD_H
#define PROFILE_FIELD_H

#include <stddef.h>
#include <stdint.h>

enum field_type {
	FT_INT,   /* whole number within [min, max] */
	FT_NUM,   /* number within [min, max] */
	FT_ENUM,  /* one value of vocab */
	FT_SET,   /* list of values of vocab, stored as a bit mask */
	FT_TEXT,  /* free text, compared case-insensitively */
	FT_IDS    /* list of free strings (service ids) */
};

enum field_id {
	PF_ID, PF_AGE, PF_SEX, PF_REGION, PF_AREA, PF_PRISON, PF_WEEKS_TO_RELEASE,
	PF_SENTENCE, PF_ORDER_MONTHS, PF_REQUIREMENTS, PF_ROSH,
	PF_OGRS, PF_OVP, PF_OGP, PF_RSR, PF_OSP, PF_SARA, PF_OASYS_TOTAL,
	PF_OASYS_11_6, PF_OASYS_11_7, PF_AUDIT, PF_SADQ,
	PF_INDEX_OFFENCE, PF_OFFENCES, PF_CONVICTIONS, PF_NEEDS, PF_FLAGS,
	PF_COMPLETED, PF_VULNERABILITIES,
	PF_COUNT
};

struct field {
	const char *name;            /* as in JSON, dotted for scores.* */
	enum field_type type;
	const char *const *vocab;    /* FT_ENUM / FT_SET: NULL-terminated */
	double min, max;             /* FT_INT / FT_NUM */
};

extern const struct field field_table[PF_COUNT];

/* Vocabularies shared by more than one field or by other modules. */
extern const char *const field_regions[];
extern const char *const field_needs[];
extern const char *const field_offences[];

/* The field called `name` ("scores.ovp"), or -1. */
int field_lookup(const char *name, size_t len);

/* Index of `value` in a NULL-terminated vocab (exact match), or -1. */
int field_vocab_index(const char *const *vocab, const char *value, size_t len);

/* Number of entries in a vocab. */
size_t field_vocab_count(const char *const *vocab);

/* "male, female": the vocab as a comma-separated list for messages. */
void field_vocab_list(const char *const *vocab, char *out, size_t outlen);

#endif
