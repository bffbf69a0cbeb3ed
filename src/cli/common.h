/*
 * common.h - what every subcommand shares: loading the catalogue with its
 * messages, reporting an error the way the interfaces spec says (exit 1 for
 * bad input naming the field, 2 for usage, 3 for the environment), and
 * turning --service options into a list of services.
 */
#ifndef CLI_COMMON_H
#define CLI_COMMON_H

#include <stddef.h>
#include "catalogue/catalogue.h"
#include "core/err.h"

enum { EXIT_OK = 0, EXIT_INPUT = 1, EXIT_USAGE = 2, EXIT_INTERNAL = 3 };

/* Print "ratecard: USAGE" to stderr; returns EXIT_USAGE. */
int cli_usage(const char *usage);

/* Print e as "ratecard: FIELD: MESSAGE" and return the exit code for e->rc. */
int cli_report(const struct err *e);

/* Load the catalogue from dir (NULL: the bundled one); on failure prints the
 * FILE:LINE messages and returns the exit code, else 0. */
int cli_load_catalogue(struct catalogue *cat, const char *dir);

/* The services named by ids (all of them when nids is 0), in the order given
 * (catalogue order for all). *out is malloc'd; an unknown id is RC_BAD_INPUT
 * naming it. */
enum rc cli_select_services(const struct catalogue *cat, char **ids, size_t nids,
			    const struct service ***out, size_t *n, struct err *e) RC_MUST;

/* Write all of buf to stdout; RC_IO on failure (e.g. a closed pipe). */
enum rc cli_write(const char *data, size_t len) RC_MUST;

#endif
