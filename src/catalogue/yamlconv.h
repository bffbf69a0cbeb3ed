/*
 * yamlconv.h - read one YAML catalogue file and convert it, checked against
 * schema.h, into a JSON tree (jansson) the rest of the program reads.
 *
 * Every problem is reported, not only the first, as "FILE:LINE: PATH: what",
 * through the diag sink; conversion goes on past a bad key so one run of
 * `ratecard check` shows everything to fix. Every mapping in the result has
 * an integer "_line" (the line it starts on) for later cross-file checks;
 * catalogue.c strips those before anything is shown.
 */
#ifndef CATALOGUE_YAMLCONV_H
#define CATALOGUE_YAMLCONV_H

#include <jansson.h>
#include "core/buf.h"
#include "core/status.h"
#include "catalogue/schema.h"

struct diag {
	struct buf out;   /* one line per problem */
	int count;
	int truncated;    /* some messages did not fit in out */
};

void diag_add(struct diag *d, const char *file, int line, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

/* Parse `path` (shown as `name` in messages). *out is the converted tree, or
 * NULL when the YAML itself could not be read. Returns RC_BAD_INPUT when any
 * problem was reported, RC_IO when the file cannot be read. */
enum rc yamlconv_file(const char *path, const char *name, const struct schema_key *schema,
		      json_t **out, struct diag *d) RC_MUST;

/* The same over text in memory (for tests and fuzzing). */
enum rc yamlconv_text(const char *text, size_t len, const char *name,
		      const struct schema_key *schema, json_t **out, struct diag *d) RC_MUST;

#endif
