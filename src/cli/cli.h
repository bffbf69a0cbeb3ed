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

#endif
