/*
 * db.c - the database subcommands: `ratecard migrate`, `import`, `user add`,
 * `backup` and `restore`. Each opens the store named by --db (default: the
 * embedded SQLite file), applies pending migrations, and does one thing.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include "api/users.h"
#include "cli/cli.h"
#include "cli/common.h"
#include "http/auth.h"
#include "store/store.h"

int cli_open_store(struct store **s, const char *url)
{
	struct err e = ERR_INIT;

	if (store_open(s, url, &e) || (*s)->ops->migrate(*s, &e)) {
		store_close(*s);
		*s = NULL;
		return cli_report(&e);
	}
	return 0;
}

int cli_import(struct store *s, const char *dir, const char *by, int quiet)
{
	struct catalogue cat;
	struct err e = ERR_INIT;
	int added, code = cli_load_catalogue(&cat, dir);

	if (code)
		return code;
	if (s->ops->catalogue_import(s, cat.docs, by, &added, &e)) {
		catalogue_release(&cat);
		return cli_report(&e);
	}
	if (!quiet)
		printf("imported %zu services from %zu providers: %d new version%s\n", cat.nservices,
		       cat.nproviders, added, added == 1 ? "" : "s");
	catalogue_release(&cat);
	return 0;
}

/* Options shared by the database commands. */
struct db_opts {
	const char *db, *username, *role, *provider, *team, *catalogue;
	int password_stdin;
};

static int parse_db_opts(int argc, char **argv, struct db_opts *o, int allow_user)
{
	static const struct option opts[] = {
		{ "db", required_argument, NULL, 'd' }, { "username", required_argument, NULL, 'u' },
		{ "role", required_argument, NULL, 'r' }, { "provider", required_argument, NULL, 'p' },
		{ "team", required_argument, NULL, 't' }, { "password-stdin", no_argument, NULL, 'w' },
		{ "catalogue", required_argument, NULL, 'c' }, { NULL, 0, NULL, 0 }
	};
	int c;

	memset(o, 0, sizeof(*o));
	optind = 1;
	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (c) {
		case 'd': o->db = optarg; break;
		case 'c': o->catalogue = optarg; break;
		case 'u': if (!allow_user) return -1; o->username = optarg; break;
		case 'r': if (!allow_user) return -1; o->role = optarg; break;
		case 'p': if (!allow_user) return -1; o->provider = optarg; break;
		case 't': if (!allow_user) return -1; o->team = optarg; break;
		case 'w': if (!allow_user) return -1; o->password_stdin = 1; break;
		default: return -1;
		}
	}
	return 0;
}

int cmd_migrate(int argc, char **argv)
{
	struct db_opts o;
	struct store *s;
	int code;

	if (parse_db_opts(argc, argv, &o, 0) || optind != argc)
		return cli_usage("migrate [--db URL]");
	if ((code = cli_open_store(&s, o.db)))
		return code;
	printf("database is up to date (%s)\n", s->ops->name);
	store_close(s);
	return EXIT_OK;
}

int cmd_import(int argc, char **argv)
{
	struct db_opts o;
	struct store *s;
	int code;

	if (parse_db_opts(argc, argv, &o, 0) || optind < argc - 1)
		return cli_usage("import [DIR] [--db URL]");
	if ((code = cli_open_store(&s, o.db)))
		return code;
	code = cli_import(s, optind < argc ? argv[optind] : o.catalogue, "import", 0);
	store_close(s);
	return code;
}

/* Read one line (the password) from standard input, without its newline. */
static int read_password(char *out, size_t len)
{
	size_t n;

	if (!fgets(out, (int)len, stdin))
		return -1;
	n = strlen(out);
	if (n && out[n - 1] == '\n')
		out[--n] = '\0';
	if (n && out[n - 1] == '\r')
		out[--n] = '\0';
	return 0;
}

static int user_add(int argc, char **argv)
{
	static const char usage[] = "user add --username U --role ROLE [--provider P] [--team T] "
				    "--password-stdin [--db URL]";
	struct db_opts o;
	struct store *s = NULL;
	struct catalogue cat;
	struct user_spec spec;
	struct user u;
	struct err e = ERR_INIT;
	char password[AUTH_PASSWORD_MAX + 2];
	int code;

	if (parse_db_opts(argc, argv, &o, 1) || optind != argc || !o.username || !o.role ||
	    !o.password_stdin)
		return cli_usage(usage);
	if (read_password(password, sizeof(password))) {
		err_set(&e, RC_BAD_INPUT, "password", "no password on standard input");
		return cli_report(&e);
	}
	if (auth_init(&e))
		return cli_report(&e);
	if ((code = cli_load_catalogue(&cat, o.catalogue)))
		return code;
	if ((code = cli_open_store(&s, o.db)))
		goto out;
	spec = (struct user_spec){ o.username, password, o.role, o.provider, o.team };
	if (users_add(s, &cat, &spec, &u, &e)) {
		code = cli_report(&e);
		goto out;
	}
	{
		struct audit_entry ae = { "", "user_add", "", "cli", "" };
		char object[96];

		snprintf(object, sizeof(object), "user:%s", u.username);
		ae.object = object;
		if (s->ops->audit(s, &ae, &e)) {
			code = cli_report(&e);
			goto out;
		}
	}
	printf("added %s (%s%s%s)\n", u.username, role_name(u.role), u.provider[0] ? ", " : "",
	       u.provider);
out:
	memset(password, 0, sizeof(password));
	store_close(s);
	catalogue_release(&cat);
	return code;
}

int cmd_user(int argc, char **argv)
{
	if (argc >= 2 && !strcmp(argv[1], "add"))
		return user_add(argc - 1, argv + 1);
	return cli_usage("user add --username U --role ROLE [--provider P] [--team T] --password-stdin [--db URL]");
}

int cmd_purge_drafts(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "db", required_argument, NULL, 'd' }, { "days", required_argument, NULL, 'n' },
		{ NULL, 0, NULL, 0 }
	};
	const char *db = NULL;
	long days = 90;
	struct store *s;
	struct err e = ERR_INIT;
	int c, code, purged;
	char *end;

	optind = 1;
	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (c) {
		case 'd': db = optarg; break;
		case 'n':
			days = strtol(optarg, &end, 10);
			if (*end || days < 0 || days > 100000)
				return cli_usage("purge-drafts [--days N] [--db URL]");
			break;
		default: return cli_usage("purge-drafts [--days N] [--db URL]");
		}
	}
	if (optind != argc)
		return cli_usage("purge-drafts [--days N] [--db URL]");
	if ((code = cli_open_store(&s, db)))
		return code;
	/* "older than 0 days" is every draft, up to this second */
	if (s->ops->drafts_purge(s, (int64_t)time(NULL) - days * 86400 + (days ? 0 : 1), &purged, &e))
		code = cli_report(&e);
	else
		printf("deleted %d unsent draft%s older than %ld days\n", purged, purged == 1 ? "" : "s", days);
	store_close(s);
	return code;
}

int cmd_backup(int argc, char **argv)
{
	struct db_opts o;
	struct store *s;
	struct err e = ERR_INIT;
	int code;

	if (parse_db_opts(argc, argv, &o, 0) || optind != argc - 1)
		return cli_usage("backup FILE [--db URL]");
	if (access(argv[optind], F_OK) == 0) {
		err_set(&e, RC_BAD_INPUT, "FILE", "'%s' exists; backups never overwrite", argv[optind]);
		return cli_report(&e);
	}
	if ((code = cli_open_store(&s, o.db)))
		return code;
	if (s->ops->backup(s, argv[optind], &e))
		code = cli_report(&e);
	else
		printf("backed up to %s\n", argv[optind]);
	store_close(s);
	return code;
}

int cmd_restore(int argc, char **argv)
{
	struct db_opts o;
	struct store *from = NULL, *to = NULL;
	struct err e = ERR_INIT;
	int code;

	if (parse_db_opts(argc, argv, &o, 0) || optind != argc - 1)
		return cli_usage("restore FILE [--db URL]   (SQLite; PostgreSQL: pg_restore)");
	if (o.db && (!strncmp(o.db, "postgres", 8))) {
		err_set(&e, RC_BAD_INPUT, "db", "restore a PostgreSQL database with pg_restore");
		return cli_report(&e);
	}
	if (access(argv[optind], R_OK)) {
		err_set(&e, RC_BAD_INPUT, "FILE", "cannot read '%s'", argv[optind]);
		return cli_report(&e);
	}
	/* the backup is opened as a store (checking it is one of ours), then
	 * copied over the target with the same online backup API */
	if ((code = cli_open_store(&from, argv[optind])))
		return code;
	if (!access(o.db ? o.db : STORE_DEFAULT_URL, F_OK)) {
		/* move the database and its WAL and shared-memory files aside
		 * together: a stale -wal next to the new file would be replayed
		 * into it */
		static const char *const suffix[] = { "", "-wal", "-shm" };
		const char *target = o.db ? o.db : STORE_DEFAULT_URL;

		for (int i = 0; i < 3; i++) {
			char cur[1100], saved[1200];

			snprintf(cur, sizeof(cur), "%s%s", target, suffix[i]);
			snprintf(saved, sizeof(saved), "%s.before-restore%s", target, suffix[i]);
			if (!access(cur, F_OK) && rename(cur, saved)) {
				err_set(&e, RC_IO, "db", "cannot move %s aside", cur);
				code = cli_report(&e);
				goto out;
			}
		}
		printf("the current database was moved to %s.before-restore\n", target);
	}
	if (from->ops->backup(from, o.db ? o.db : STORE_DEFAULT_URL, &e)) {
		code = cli_report(&e);
		goto out;
	}
	if ((code = cli_open_store(&to, o.db)))
		goto out;
	printf("restored %s\n", argv[optind]);
out:
	store_close(from);
	store_close(to);
	return code;
}
