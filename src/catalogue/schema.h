/*
 * schema.h - the catalogue file format (docs/catalogue.md) as data.
 *
 * Every mapping in a provider file is described by a table of keys; the YAML
 * converter (yamlconv.h) walks these tables, so adding a key to the format is
 * one line here. Unknown keys are errors.
 */
#ifndef CATALOGUE_SCHEMA_H
#define CATALOGUE_SCHEMA_H

enum stype {
	ST_STR,        /* one line or block of text */
	ST_STR_LIST,   /* list of text */
	ST_ID,         /* lower-case letters, digits, hyphens */
	ST_NUM,        /* non-negative number */
	ST_INT,        /* non-negative whole number */
	ST_BOOL,       /* true / false */
	ST_DATE,       /* YYYY-MM-DD */
	ST_ENUM,       /* one of vocab */
	ST_ENUM_LIST,  /* list of vocab */
	ST_SOURCE,     /* SEEDFILE:LINE */
	ST_RULE,       /* a rule in the rule language; compiled to validate */
	ST_SERVICE_REF,/* PROVIDER/SERVICE id; checked to exist after loading */
	ST_MAP,        /* mapping described by sub */
	ST_MAP_LIST    /* list of mappings described by sub */
};

struct schema_key {
	const char *name;
	enum stype type;
	int required;
	const struct schema_key *sub;    /* ST_MAP, ST_MAP_LIST */
	const char *const *vocab;        /* ST_ENUM, ST_ENUM_LIST */
};

/* Top level of a provider file: provider + services. */
extern const struct schema_key schema_file[];

extern const char *const schema_routes[];
extern const char *const schema_delivery_modes[];
extern const char *const schema_level_kinds[];

#endif
