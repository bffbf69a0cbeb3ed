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
#include <time.h>
#include "api/app.h"
#include "cli/cli.h"
#include "cli/common.h"
#include "core/log.h"
#include "http/auth.h"
#include "http/server.h"
#include "http/static.h"
#include "web/tmpl.h"
#include "web/web.h"

#define DRAFT_DAYS 90

/* The scheduled job: unsent drafts older than 90 days are deleted, at start
 * and then every hour, until the server stops. */
struct purger {
	struct store *store;
	pthread_mutex_t lock;
	pthread_cond_t wake;
	int stop;
};

static void *purge_drafts(void *arg)
{
	struct purger *p = arg;

	pthread_mutex_lock(&p->lock);
	while (!p->stop) {
		struct err e = ERR_INIT;
		struct timespec until;
		int purged = 0;

		pthread_mutex_unlock(&p->lock);
		if (p->store->ops->drafts_purge(p->store, (int64_t)time(NULL) - DRAFT_DAYS * 86400, &purged, &e))
			log_message("drafts", "purge failed: %s", e.msg);
		else if (purged)
			log_message("drafts", "deleted %d unsent drafts older than %d days", purged, DRAFT_DAYS);
		pthread_mutex_lock(&p->lock);
		clock_gettime(CLOCK_REALTIME, &until);
		until.tv_sec += 3600;
		while (!p->stop && pthread_cond_timedwait(&p->wake, &p->lock, &until) == 0)
			;
	}
	pthread_mutex_unlock(&p->lock);
	return NULL;
}

static const char serve_usage[] =
	"serve [--db URL] [--listen ADDR:PORT] [--threads N] [--templates DIR] [--assets DIR] [--quiet]";

/* The pages' templates and assets. Missing ones leave the JSON API running
 * and say so: a deployment may serve only the API. */
static void load_web(struct app *app, struct static_files **assets, const char *tdir,
		     const char *adir)
{
	struct err e = ERR_INIT;

	if (tmpl_load_dir(&app->templates, tdir, &e))
		fprintf(stderr, "ratecard: no web pages: %s\n", e.msg);
	e = (struct err)ERR_INIT;
	if (static_load(assets, adir, "/assets/", &e))
		fprintf(stderr, "ratecard: no /assets/ (run make to build them): %s\n", e.msg);
}

int cmd_serve(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "db", required_argument, NULL, 'd' }, { "listen", required_argument, NULL, 'l' },
		{ "threads", required_argument, NULL, 't' }, { "catalogue", required_argument, NULL, 'c' },
		{ "quiet", no_argument, NULL, 'q' }, { "templates", required_argument, NULL, 'T' },
		{ "assets", required_argument, NULL, 'A' }, { NULL, 0, NULL, 0 }
	};
	const char *db = NULL, *listen = "127.0.0.1:8080", *dir = NULL;
	const char *tdir = RATECARD_TEMPLATES, *adir = RATECARD_ASSETS;
	struct static_files *assets = NULL;
	struct store *s = NULL;
	struct http_server *srv = NULL;
	struct app app;
	struct err e = ERR_INIT;
	struct http_app ha;
	unsigned threads = 0;
	int64_t generation = 0;
	sigset_t stop;
	struct purger purger = { .lock = PTHREAD_MUTEX_INITIALIZER, .wake = PTHREAD_COND_INITIALIZER };
	pthread_t purge_thread;
	int c, sig, code, app_up = 0, purging = 0;

	optind = 1;
	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (c) {
		case 'd': db = optarg; break;
		case 'l': listen = optarg; break;
		case 't': threads = (unsigned)strtoul(optarg, NULL, 10); break;
		case 'c': dir = optarg; break;
		case 'q': log_set_access(0); break;
		case 'T': tdir = optarg; break;
		case 'A': adir = optarg; break;
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
	load_web(&app, &assets, tdir, adir);
	ha = (struct http_app){ &app, api_routes, api_nroutes, app_authenticate, assets, web_page_error };
	if (http_server_start(&srv, listen, threads, &ha, &e)) {
		code = cli_report(&e);
		goto out;
	}
	printf("ratecard is serving %zu services on http://%s (database: %s)\n",
	       app.cat->cat.nservices, listen, s->ops->name);
	printf("sign in: create an account with\n"
	       "  echo 'a-long-password' | ratecard user add --username NAME --role practitioner --team TEAM --password-stdin%s%s\n"
	       "then open http://%s/sign-in in a browser, or POST /api/v1/session "
	       "{\"username\": NAME, \"password\": ...} for an API token\n",
	       db ? " --db " : "", db ? db : "", listen);
	fflush(stdout);
	log_message("serve", "listening on %s", listen);
	purger.store = s;
	purging = pthread_create(&purge_thread, NULL, purge_drafts, &purger) == 0;
	sigwait(&stop, &sig);
	log_message("serve", "signal %d: finishing in-flight requests", sig);
	http_server_stop(srv, 10000);
	if (purging) {
		pthread_mutex_lock(&purger.lock);
		purger.stop = 1;
		pthread_cond_signal(&purger.wake);
		pthread_mutex_unlock(&purger.lock);
		pthread_join(purge_thread, NULL);
	}
	log_message("serve", "stopped");
	code = EXIT_OK;
out:
	if (app_up)
		app_release(&app);
	static_free(assets);
	store_close(s);
	return code;
}
