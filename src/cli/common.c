/*
 * common.c - shared subcommand plumbing.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "cli/common.h"

int cli_usage(const char *usage)
{
	fprintf(stderr, "usage: ratecard %s\n", usage);
	return EXIT_USAGE;
}

int cli_report(const struct err *e)
{
	if (e->field[0])
		fprintf(stderr, "ratecard: %s: %s\n", e->field, e->msg);
	else
		fprintf(stderr, "ratecard: %s\n", e->msg[0] ? e->msg : rc_name(e->rc));
	return rc_exit_code(e->rc);
}

int cli_load_catalogue(struct catalogue *cat, const char *dir)
{
	struct diag d = { BUF_INIT, 0, 0 };
	enum rc rc;

	rc = catalogue_load(cat, dir ? dir : catalogue_default_dir(), &d);
	if (d.count)
		fputs(d.out.data, stderr);
	buf_release(&d.out);
	if (rc)
		fprintf(stderr, "ratecard: catalogue %s: %d problem%s\n",
			dir ? dir : catalogue_default_dir(), d.count, d.count == 1 ? "" : "s");
	return rc == RC_OK ? 0 : rc == RC_BAD_INPUT ? EXIT_INPUT : EXIT_INTERNAL;
}

enum rc cli_select_services(const struct catalogue *cat, char **ids, size_t nids,
			    const struct service ***out, size_t *n, struct err *e)
{
	size_t count = nids ? nids : cat->nservices;
	const struct service **v = malloc((count + 1) * sizeof(*v));

	*out = NULL;
	*n = 0;
	if (!v)
		return err_set(e, RC_NOMEM, "", "out of memory");
	for (size_t i = 0; i < count; i++) {
		v[i] = nids ? catalogue_find(cat, ids[i]) : &cat->services[i];
		if (!v[i]) {
			free(v);
			return err_set(e, RC_BAD_INPUT, "service", "'%s' is not in the catalogue", ids[i]);
		}
	}
	*out = v;
	*n = count;
	return RC_OK;
}

enum rc cli_write(const char *data, size_t len)
{
	if (len && fwrite(data, 1, len, stdout) != len)
		return RC_IO;
	return RC_OK;
}
