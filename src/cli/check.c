/*
 * check.c - `ratecard check [DIR]`: validate the catalogue and say what it
 * holds, provider by provider. Every problem is printed as FILE:LINE.
 */
#include <stdio.h>
#include "cli/cli.h"
#include "cli/common.h"

int cmd_check(int argc, char **argv)
{
	struct catalogue cat;
	size_t rules = 0, judgement = 0;
	int code;

	if (argc > 2 || (argc == 2 && argv[1][0] == '-'))
		return cli_usage("check [DIR]");
	code = cli_load_catalogue(&cat, argc == 2 ? argv[1] : NULL);
	if (code)
		return code;
	for (size_t i = 0; i < cat.nservices; i++)
		for (size_t k = 0; k < cat.services[i].ncrit; k++) {
			const struct criterion *c = &cat.services[i].crit[k];

			rules += c->prog != NULL;
			judgement += c->prog && c->prog->judgement;
		}
	printf("%-45s %s\n", "provider", "services");
	for (size_t i = 0; i < cat.nproviders; i++)
		printf("%-45s %zu\n", cat.providers[i].name, cat.providers[i].nservices);
	printf("%zu providers, %zu services, %zu criteria (%zu rules, %zu needing judgement)\n",
	       cat.nproviders, cat.nservices, cat.ncriteria, rules, judgement);
	catalogue_release(&cat);
	return EXIT_OK;
}
