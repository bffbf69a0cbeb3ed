/*
 * main.c - ratecard's entry point: a table of subcommands and nothing else
 * (git's commands[]). Each subcommand lives in src/cli/NAME.c.
 */
#include <stdio.h>
#include <string.h>
#include "cli/cli.h"
#include "cli/common.h"

static const struct command {
	const char *name;
	int (*fn)(int argc, char **argv);
	const char *help;
} commands[] = {
	{ "check", cmd_check, "validate the catalogue and print what it holds" },
	{ "services", cmd_services, "list and search the services of the catalogue" },
	{ "eligible", cmd_eligible, "check one profile against the services" },
	{ "screen", cmd_screen, "check a caseload, one JSON profile a line" },
	{ "serve", cmd_serve, "run the web service" },
	{ "user", cmd_user, "add a user account" },
	{ "import", cmd_import, "import the catalogue into the database as new versions" },
	{ "migrate", cmd_migrate, "apply pending database migrations" },
	{ "backup", cmd_backup, "copy the database to a file" },
	{ "restore", cmd_restore, "replace the database with a backup" },
	{ "purge-drafts", cmd_purge_drafts, "delete unsent referral drafts older than N days (90)" },
};

static int usage(FILE *out)
{
	fprintf(out, "usage: ratecard COMMAND [ARGS]\n\ncommands:\n");
	for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		fprintf(out, "  %-10s %s\n", commands[i].name, commands[i].help);
	fprintf(out, "\nThe catalogue is read from $RATECARD_CATALOGUE or the bundled one.\n");
	return out == stdout ? EXIT_OK : EXIT_USAGE;
}

int main(int argc, char **argv)
{
	if (argc < 2)
		return usage(stderr);
	if (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h") || !strcmp(argv[1], "help"))
		return usage(stdout);
	for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		if (!strcmp(argv[1], commands[i].name))
			return commands[i].fn(argc - 1, argv + 1);
	fprintf(stderr, "ratecard: '%s' is not a command\n", argv[1]);
	return usage(stderr);
}
