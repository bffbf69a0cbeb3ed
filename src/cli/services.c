/*
 * services.c - `ratecard services`: the directory from the command line, with
 * the same filters and JSON shape as GET /api/v1/services.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "catalogue/search.h"
#include "cli/cli.h"
#include "cli/common.h"

static const char services_usage[] =
	"services [--json] [--q TEXT] [--provider P] [--region R] [--need N] "
	"[--section S] [--delivery MODE] [--route ROUTE]";

static int print_json(const struct service **v, size_t n)
{
	json_t *list = json_array(), *out;
	char *text;
	int code = EXIT_OK;

	for (size_t i = 0; i < n; i++)
		json_array_append(list, v[i]->json);
	out = json_pack("{s:o,s:I}", "services", list, "total", (json_int_t)n);
	text = out ? json_dumps(out, JSON_COMPACT | JSON_PRESERVE_ORDER) : NULL;
	if (!text || cli_write(text, strlen(text)) || cli_write("\n", 1))
		code = EXIT_INTERNAL;
	free(text);
	json_decref(out);
	return code;
}

int cmd_services(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "json", no_argument, NULL, 'j' }, { "q", required_argument, NULL, 'q' },
		{ "provider", required_argument, NULL, 'p' }, { "region", required_argument, NULL, 'r' },
		{ "need", required_argument, NULL, 'n' }, { "section", required_argument, NULL, 's' },
		{ "delivery", required_argument, NULL, 'd' }, { "route", required_argument, NULL, 'o' },
		{ "catalogue", required_argument, NULL, 'c' }, { NULL, 0, NULL, 0 }
	};
	struct search_query sq = { 0 };
	struct err e = ERR_INIT;
	struct catalogue cat;
	const struct service **v = NULL;
	const char *dir = NULL;
	size_t n;
	int json = 0, c, code;

	optind = 1;
	while ((c = getopt_long_only(argc, argv, "", opts, NULL)) != -1) {
		switch (c) {
		case 'j': json = 1; break;
		case 'q': sq.q = optarg; break;
		case 'p': sq.provider = optarg; break;
		case 'r': sq.region = optarg; break;
		case 'n': sq.need = optarg; break;
		case 's': sq.section = optarg; break;
		case 'd': sq.delivery = optarg; break;
		case 'o': sq.route = optarg; break;
		case 'c': dir = optarg; break;
		default: return cli_usage(services_usage);
		}
	}
	if (optind != argc)
		return cli_usage(services_usage);
	if ((code = cli_load_catalogue(&cat, dir)))
		return code;
	v = malloc((cat.nservices + 1) * sizeof(*v));
	if (!v) {
		code = EXIT_INTERNAL;
		goto out;
	}
	if (search_run(&cat, &sq, v, &n, &e)) {
		code = cli_report(&e);
		goto out;
	}
	if (json) {
		code = print_json(v, n);
		goto out;
	}
	for (size_t i = 0; i < n; i++)
		printf("%-55s %s (%s)\n", v[i]->id, v[i]->name, v[i]->provider->name);
	printf("%zu service%s\n", n, n == 1 ? "" : "s");
out:
	free(v);
	catalogue_release(&cat);
	return code;
}
