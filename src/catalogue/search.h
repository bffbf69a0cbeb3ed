/*
 * search.h - the directory search behind `ratecard services` and
 * `GET /api/v1/services`: filters combine with AND, `q` ranks.
 */
#ifndef CATALOGUE_SEARCH_H
#define CATALOGUE_SEARCH_H

#include <stddef.h>
#include "catalogue/catalogue.h"
#include "core/err.h"

struct search_query {
	const char *q;         /* words, all must appear; ranked by where */
	const char *provider;  /* provider id or name */
	const char *region;    /* a profile.md region */
	const char *need;      /* a profile.md need area */
	const char *section;   /* brochure section, case-insensitive */
	const char *delivery;  /* a delivery mode */
	const char *route;     /* how it is bought */
};

/* Fill out (room for cat->nservices) with matches, best first; *n is their
 * count. An unknown filter value is RC_BAD_INPUT naming the filter. */
enum rc search_run(const struct catalogue *cat, const struct search_query *sq,
		   const struct service **out, size_t *n, struct err *e) RC_MUST;

#endif
