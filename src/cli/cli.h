/*
 * cli.h - the subcommands main.c's table dispatches to. Each takes the
 * arguments after "ratecard" (argv[0] is the subcommand's name) and returns
 * the process exit code.
 */
#ifndef CLI_CLI_H
#define CLI_CLI_H

int cmd_check(int argc, char **argv);
int cmd_services(int argc, char **argv);
int cmd_eligible(int argc, char **argv);
int cmd_screen(int argc, char **argv);
int cmd_serve(int argc, char **argv);
int cmd_migrate(int argc, char **argv);
int cmd_import(int argc, char **argv);
int cmd_user(int argc, char **argv);
int cmd_backup(int argc, char **argv);
int cmd_restore(int argc, char **argv);
int cmd_purge_drafts(int argc, char **argv);

struct store;
/* Open the store at url (NULL: the default) and migrate it; 0 or an exit code. */
int cli_open_store(struct store **s, const char *url);
/* Import the catalogue directory (NULL: bundled) into s; 0 or an exit code. */
int cli_import(struct store *s, const char *dir, const char *by, int quiet);

#endif
