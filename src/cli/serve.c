/*
 * serve.c - `ratecard serve [--db URL] [--listen ADDR:PORT]`: the web
 * service. Opens and migrates the store, imports the bundled catalogue on
 * first start (when the store holds none), serves until SIGINT or SIGTERM,
 * then stops accepting, lets in-flight requests finish and closes the
 * database.
 */
#include <getopt.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "api/app.h"
#include "cli/cli.h"
#include "cli/common.h"
#include "core/log.h"
#include "http/auth.h"
#include "http/server.h"

static const char serve_usage[] = "serve [--db URL] [--listen ADDR:PORT] [--threads N] [--quiet]";

int cmd_serve(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "db", required_argument, NULL, 'd' }, { "listen", required_argument, NULL, 'l' },
		{ "threads", required_argument, NULL, 't' }, { "catalogue", required_argument, NULL, 'c' },
		{ "quiet", no_argument, NULL, 'q' }, { NULL, 0, NULL, 0 }
	};
	const char *db = NULL, *listen = "127.0.0.1:8080", *dir = NULL;
	struct store *s = NULL;
	struct http_server *srv = NULL;
	struct app app;
	struct err e = ERR_INIT;
	struct http_app ha;
	unsigned threads = 0;
	int64_t generation = 0;
	sigset_t stop;
	int c, sig, code, app_up = 0;

	optind = 1;
	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (c) {
		case 'd': db = optarg; break;
		case 'l': listen = optarg; break;
		case 't': threads = (unsigned)strtoul(optarg, NULL, 10); break;
		case 'c': dir = optarg; break;
		case 'q': log_set_access(0); break;
		default: return cli_usage(serve_usage);
		}
	}
	if (optind != argc)
		return cli_usage(serve_usage);
	/* signals are taken by sigwait below, never by a worker thread */
	sigemptyset(&stop);
	sigaddset(&stop, SIGINT);
	sigaddset(&stop, SIGTERM);
	pthread_sigmask(SIG_BLOCK, &stop, NULL);
	signal(SIGPIPE, SIG_IGN);
	if (auth_init(&e))
		return cli_report(&e);
	json_object_seed(0);
	if ((code = cli_open_store(&s, db)))
		return code;
	if (s->ops->catalogue_generation(s, &generation, &e)) {
		code = cli_report(&e);
		goto out;
	}
	if (generation == 0 && (code = cli_import(s, dir, "first start", 0)))
		goto out;
	if (app_init(&app, s, &e)) {
		code = cli_report(&e);
		goto out;
	}
	app_up = 1;
	ha = (struct http_app){ &app, api_routes, api_nroutes, app_authenticate };
	if (http_server_start(&srv, listen, threads, &ha, &e)) {
		code = cli_report(&e);
		goto out;
	}
	printf("ratecard is serving %zu services on http://%s (database: %s)\n",
	       app.cat->cat.nservices, listen, s->ops->name);
	printf("sign in: create an account with\n"
	       "  echo 'a-long-password' | ratecard user add --username NAME --role practitioner --password-stdin%s%s\n"
	       "then POST /api/v1/session {\"username\": NAME, \"password\": ...} for a token\n",
	       db ? " --db " : "", db ? db : "");
	fflush(stdout);
	log_message("serve", "listening on %s", listen);
	sigwait(&stop, &sig);
	log_message("serve", "signal %d: finishing in-flight requests", sig);
	http_server_stop(srv, 10000);
	log_message("serve", "stopped");
	code = EXIT_OK;
out:
	if (app_up)
		app_release(&app);
	store_close(s);
	return code;
}
