/*
 * catalogue.h - the rate card in memory: providers, their services, and each
 * service's criteria compiled for the eligibility engine.
 *
 * Loaded once from catalogue/ (one YAML file per provider, docs/catalogue.md)
 * and read-only afterwards, so any number of threads may share it. Each
 * service keeps its JSON object (the shape of `GET /api/v1/services/{id}`)
 * next to the typed fields the engine and search use.
 */
#ifndef CATALOGUE_CATALOGUE_H
#define CATALOGUE_CATALOGUE_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>
#include "catalogue/yamlconv.h"
#include "core/arena.h"
#include "core/status.h"
#include "rules/compile.h"

#define CATALOGUE_MAX_SERVICES 4096  /* engine and output buffers rely on these */
#define CATALOGUE_MAX_CRITERIA 256

enum criterion_kind { CRIT_ELIGIBILITY, CRIT_NOT_SUITABLE };

enum criterion_builtin {
	BUILTIN_NONE,
	BUILTIN_LOCATION,  /* where the service is offered: regions/areas/prisons */
	BUILTIN_CUSTODY    /* custody only, or community only */
};

enum custody_rule { CUSTODY_ANY, CUSTODY_ONLY, CUSTODY_NEVER };

struct criterion {
	const char *text;               /* the brochure's words */
	const char *rule;               /* rule source, NULL for builtins */
	struct rule_program *prog;      /* NULL for builtins */
	enum criterion_kind kind;
	enum criterion_builtin builtin;
	char *json;                     /* "{\"kind\":..,\"text\":..,\"outcome\":" prefix */
};

struct availability {
	uint64_t regions;               /* bit i = field_regions[i]; 0 = anywhere */
	const char **areas;
	size_t nareas;
	const char **prisons;
	size_t nprisons;
	enum custody_rule custody;
};

struct provider {
	const char *id, *name;
	uint64_t regions;
	const char **areas;
	size_t nareas;
	size_t nservices;
	json_t *json;
};

struct service {
	char *id;                       /* PROVIDER/SERVICE */
	const char *name, *section, *route;
	const struct provider *provider;
	uint64_t needs;                 /* bits of field_needs */
	uint32_t modes;                 /* bits of schema_delivery_modes */
	struct availability avail;
	struct criterion *crit;         /* eligibility first, then not_suitable */
	size_t ncrit;
	json_t *json;                   /* the public service object (owned) */
	json_t *src;                    /* the converted file's object (borrowed) */
	char *result_head;              /* {"service":..,"provider":..,"name":.., */
	char *json_id;                  /* the id as a JSON string literal */
	char *search_text;              /* lower-case text for `q` */
	const char *file;
	int line;
	int suspended;                  /* a commissioner suspended it */
};

struct catalogue {
	struct provider *providers;
	size_t nproviders;
	struct service *services;       /* in file order, then brochure order */
	size_t nservices;
	struct service **by_id;         /* sorted by id, for lookup */
	size_t ncriteria;
	json_t *docs;                   /* the converted files, owning the strings */
	struct arena arena;             /* arrays and generated text */
};

/* The bundled catalogue directory: $RATECARD_CATALOGUE, else the build's
 * compiled-in path, else "catalogue". */
const char *catalogue_default_dir(void);

/* Load every *.yaml in dir. All problems go to d as FILE:LINE messages; the
 * result is RC_BAD_INPUT when there were any (cat is then empty), RC_IO when
 * the directory cannot be read. */
enum rc catalogue_load(struct catalogue *cat, const char *dir, struct diag *d) RC_MUST;

/* Build from already-converted provider documents (a JSON array of
 * {"provider": {...}, "services": [...]}, as yamlconv makes them or as the
 * store keeps them). Takes its own reference to docs; services may carry
 * "_status" and "_version" from the store. */
enum rc catalogue_build(struct catalogue *cat, json_t *docs, struct diag *d) RC_MUST;

void catalogue_release(struct catalogue *cat);

/* The service with this full id, or NULL. */
const struct service *catalogue_find(const struct catalogue *cat, const char *id);

/* The provider with this id or name (case-insensitive), or NULL. */
const struct provider *catalogue_find_provider(const struct catalogue *cat, const char *key);

#endif
