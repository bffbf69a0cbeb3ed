/*
 * test_store.c - the store's behaviour (src/store/store.h), one suite run
 * against every backend: SQLite in a scratch file always, PostgreSQL too
 * when RATECARD_TEST_PG names a server (`eval "$(tests/pg.sh start DIR)"`
 * starts one). Set but unreachable is a failure, never a skip.
 *
 * Each test gets a fresh database: a new file, or a new PostgreSQL database
 * made through the admin URL and dropped (WITH FORCE) afterwards. The cases
 * are tables of steps and expected answers; what the interface cannot reach
 * (the audit log refusing UPDATE and DELETE, the schema_migrations rows, the
 * contents of a backup) is checked by opening the same database directly
 * with sqlite3 or libpq.
 */
#include <libpq-fe.h>
#include <pthread.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <jansson.h>
#include "unit.h"
#include "store/store.h"

struct backend {
	const char *name;      /* store_ops.name: "sqlite" or "postgresql" */
	char base[1024];       /* SQLite: the scratch directory; PostgreSQL: the admin URL */
	int seq;               /* databases made so far */
};

struct fixture {
	struct backend *b;
	char url[1200];        /* what store_open gets */
	char dbname[64];       /* PostgreSQL's database for this test */
	struct store *s;
	struct store *others[4]; /* more servers on the same database */
	json_t *kept;            /* test data, released at teardown */
};

/* The SQLite backend, whose migrations PostgreSQL must match. */
static struct backend *sqlite_backend;

static int is_pg(const struct fixture *f)
{
	return !strcmp(f->b->name, "postgresql");
}

/* Call one store operation of fixture f: OP(f, user_get, "alice", &u, &e). */
#define OP(f, op, ...) ((f)->s->ops->op((f)->s, __VA_ARGS__))

/* Expect status `want` from a call that fills the local `struct err e`. */
#define assert_rc(call, want) do { \
	enum rc rc_ = (call); \
	if (rc_ != (want)) \
		fail_msg("%s\n  gave %s, want %s (field '%s': %s)", #call, rc_name(rc_), \
			 rc_name(want), e.field, e.msg); \
} while (0)

/* --- databases ------------------------------------------------------------- */

/* A direct libpq connection. GSSAPI is off as in store_pg.c: libkrb5
 * would call our own profile_clear() (see there). */
static PGconn *pg_connect(const char *url)
{
	static const char *const keys[] = { "gssencmode", "dbname", NULL };
	const char *values[] = { "disable", url, NULL };

	return PQconnectdbParams(keys, values, 1);
}

/* Run sql on the admin connection; 0 when it worked. */
static int pg_admin(const struct backend *b, const char *sql, char *why, size_t len)
{
	PGconn *pg = pg_connect(b->base);
	PGresult *r = NULL;
	int ok = PQstatus(pg) == CONNECTION_OK;

	if (ok) {
		r = PQexec(pg, sql);
		ok = PQresultStatus(r) == PGRES_COMMAND_OK || PQresultStatus(r) == PGRES_TUPLES_OK;
	}
	if (!ok && why)
		snprintf(why, len, "%s", PQerrorMessage(pg));
	PQclear(r);
	PQfinish(pg);
	return ok ? 0 : -1;
}

/* Run sql on f's database directly, not through the store: 0 when it
 * succeeded, else -1 with the database's message in why. When *value is
 * given it receives the first column of the first row as an integer. */
static int direct(const struct fixture *f, const char *sql, long long *value, char *why, size_t len)
{
	int ok = 0;

	if (why)
		why[0] = '\0';
	if (is_pg(f)) {
		PGconn *pg = pg_connect(f->url);
		PGresult *r = PQstatus(pg) == CONNECTION_OK ? PQexec(pg, sql) : NULL;

		ok = r && (PQresultStatus(r) == PGRES_COMMAND_OK || PQresultStatus(r) == PGRES_TUPLES_OK);
		if (ok && value)
			*value = PQntuples(r) ? strtoll(PQgetvalue(r, 0, 0), NULL, 10) : -1;
		if (!ok && why)
			snprintf(why, len, "%s", PQerrorMessage(pg));
		PQclear(r);
		PQfinish(pg);
	} else {
		sqlite3 *db = NULL;
		sqlite3_stmt *st = NULL;
		int r;

		if (sqlite3_open_v2(f->url, &db, SQLITE_OPEN_READWRITE, NULL) == SQLITE_OK &&
		    sqlite3_prepare_v2(db, sql, -1, &st, NULL) == SQLITE_OK) {
			r = sqlite3_step(st);
			ok = r == SQLITE_ROW || r == SQLITE_DONE;
			if (ok && value)
				*value = r == SQLITE_ROW ? sqlite3_column_int64(st, 0) : -1;
		}
		if (!ok && why)
			snprintf(why, len, "%s", sqlite3_errmsg(db));
		sqlite3_finalize(st);
		sqlite3_close(db);
	}
	return ok ? 0 : -1;
}

static long long direct_int(const struct fixture *f, const char *sql)
{
	char why[512];
	long long v = -1;

	if (direct(f, sql, &v, why, sizeof(why)))
		fail_msg("%s: %s", sql, why);
	return v;
}

/* A new empty database for one test, its URL in f->url. */
static int make_database(struct fixture *f)
{
	struct backend *b = f->b;
	char sql[128], why[512];

	b->seq++;
	if (!is_pg(f)) {
		snprintf(f->url, sizeof(f->url), "%s/t%d.db", b->base, b->seq);
		return 0;
	}
	/* digits and underscores only: nothing to quote */
	snprintf(f->dbname, sizeof(f->dbname), "ratecard_test_%d_%d", (int)getpid(), b->seq);
	snprintf(sql, sizeof(sql), "CREATE DATABASE %s", f->dbname);
	if (pg_admin(b, sql, why, sizeof(why))) {
		print_error("%s: %s\n", sql, why);
		return -1;
	}
	/* a later dbname in the query overrides the path's */
	snprintf(f->url, sizeof(f->url), "%s%cdbname=%s", b->base, strchr(b->base, '?') ? '&' : '?',
		 f->dbname);
	return 0;
}

static void drop_database(struct fixture *f)
{
	char sql[128], path[1300];

	if (is_pg(f)) {
		snprintf(sql, sizeof(sql), "DROP DATABASE IF EXISTS %s WITH (FORCE)", f->dbname);
		pg_admin(f->b, sql, NULL, 0);
		return;
	}
	unlink(f->url);
	snprintf(path, sizeof(path), "%s-wal", f->url);
	unlink(path);
	snprintf(path, sizeof(path), "%s-shm", f->url);
	unlink(path);
}

static int setup_open(void **state, int migrate)
{
	struct fixture *f = calloc(1, sizeof(*f));
	struct err e = ERR_INIT;

	if (!f)
		return -1;
	f->b = *state;
	*state = f;
	if (make_database(f))
		return -1;
	if (store_open(&f->s, f->url, &e) || (migrate && f->s->ops->migrate(f->s, &e))) {
		print_error("%s: %s\n", f->url, e.msg);
		return -1;
	}
	if (strcmp(f->s->ops->name, f->b->name)) {
		print_error("%s opened the %s backend\n", f->url, f->s->ops->name);
		return -1;
	}
	return 0;
}

static int setup_migrated(void **state)
{
	return setup_open(state, 1);
}

static int setup_empty(void **state)
{
	return setup_open(state, 0);
}

static int teardown(void **state)
{
	struct fixture *f = *state;

	store_close(f->s);
	for (int i = 0; i < 4; i++)
		store_close(f->others[i]);
	json_decref(f->kept);
	drop_database(f);
	free(f);
	return 0;
}

/* Another store on f's database: another server, closed at teardown. */
static struct store *open_again(struct fixture *f)
{
	struct store *s = NULL;
	struct err e = ERR_INIT;
	int i = 0;

	while (f->others[i])
		assert_in_range(++i, 1, 3);
	if (store_open(&s, f->url, &e))
		fail_msg("another open of %s: %s", f->url, e.msg);
	return f->others[i] = s;
}

/* --- migrations ------------------------------------------------------------ */

/* How many migrations a fresh SQLite database gets. */
static long long sqlite_migrations(void)
{
	struct fixture f = { sqlite_backend };
	struct err e = ERR_INIT;
	long long n;

	assert_int_equal(make_database(&f), 0);
	assert_rc(store_open(&f.s, f.url, &e), RC_OK);
	assert_rc(f.s->ops->migrate(f.s, &e), RC_OK);
	n = direct_int(&f, "SELECT max(version) FROM schema_migrations");
	store_close(f.s);
	drop_database(&f);
	return n;
}

static void test_migrate_twice(void **state)
{
	struct fixture *f = *state;
	struct err e = ERR_INIT;
	int64_t gen = -1;
	long long n;

	assert_rc(OP(f, migrate, &e), RC_OK);
	n = direct_int(f, "SELECT max(version) FROM schema_migrations");
	assert_true(n >= 1);
	assert_rc(OP(f, migrate, &e), RC_OK);
	assert_rc(OP(f, ping, &e), RC_OK);
	/* each applied once, numbered from 1 */
	assert_int_equal(direct_int(f, "SELECT count(*) FROM schema_migrations"), n);
	assert_int_equal(direct_int(f, "SELECT min(version) FROM schema_migrations"), 1);
	/* both backends carry the same numbered migrations */
	if (is_pg(f) && n != sqlite_migrations())
		fail_msg("PostgreSQL has %lld migrations, SQLite %lld: store_pg.c needs the new ones",
			 n, sqlite_migrations());
	assert_rc(OP(f, catalogue_generation, &gen, &e), RC_OK);
	assert_int_equal(gen, 0);
}

struct migrator {
	struct store *s;
	pthread_barrier_t *start;
	enum rc rc;
	struct err e;
};

static void *migrate_thread(void *arg)
{
	struct migrator *m = arg;

	pthread_barrier_wait(m->start);
	m->rc = m->s->ops->migrate(m->s, &m->e);
	return NULL;
}

/* Servers starting at once on an empty database apply each migration once.
 * PostgreSQL only: store_sqlite.c reads the applied version outside its
 * migration transaction, so two SQLite processes can both try migration 1. */
static void test_migrate_concurrently(void **state)
{
	struct fixture *f = *state;
	struct migrator m[4];
	pthread_t t[4];
	pthread_barrier_t start;

	pthread_barrier_init(&start, NULL, 4);
	for (int i = 0; i < 4; i++) {
		m[i] = (struct migrator){ i ? open_again(f) : f->s, &start, RC_OK, ERR_INIT };
		pthread_create(&t[i], NULL, migrate_thread, &m[i]);
	}
	for (int i = 0; i < 4; i++)
		pthread_join(t[i], NULL);
	pthread_barrier_destroy(&start);
	for (int i = 0; i < 4; i++)
		if (m[i].rc)
			fail_msg("server %d: %s: %s", i, rc_name(m[i].rc), m[i].e.msg);
	assert_int_equal(direct_int(f, "SELECT count(*) FROM schema_migrations"),
			 direct_int(f, "SELECT max(version) FROM schema_migrations"));
	assert_int_equal(direct_int(f, "SELECT count(*) FROM catalogue_state"), 1);
}

/* --- users ----------------------------------------------------------------- */

static const struct user_case {
	const char *username;
	enum role role;
	const char *provider, *team;
} user_cases[] = {
	{ "alice", ROLE_ADMIN, "", "" },
	{ "bob", ROLE_PROVIDER, "kss", "" },
	{ "carol", ROLE_PRACTITIONER, "", "north" },
	{ "dave.o'neil", ROLE_COMMISSIONER, "", "" },   /* a quote is just a value */
	{ "\xc3\xa9mile", ROLE_FINANCE, "", "" },         /* UTF-8 */
	{ "judge; DROP TABLE users", ROLE_COURT, "", "" },
};

#define N_USERS (sizeof(user_cases) / sizeof(user_cases[0]))

static struct user make_user(const struct user_case *c)
{
	struct user u;

	memset(&u, 0, sizeof(u));
	snprintf(u.username, sizeof(u.username), "%s", c->username);
	u.role = c->role;
	snprintf(u.provider, sizeof(u.provider), "%s", c->provider);
	snprintf(u.team, sizeof(u.team), "%s", c->team);
	snprintf(u.pwhash, sizeof(u.pwhash), "$argon2id$v=19$m=65536,t=2,p=1$%s", c->username);
	return u;
}

static void add_user(struct fixture *f, const char *name, struct user *out)
{
	struct user_case c = { name, ROLE_PRACTITIONER, "", "team" };
	struct err e = ERR_INIT;

	*out = make_user(&c);
	assert_rc(OP(f, user_add, out, &e), RC_OK);
}

static void test_user_round_trip(void **state)
{
	struct fixture *f = *state;
	struct err e = ERR_INIT;
	struct user in[N_USERS], got;

	for (size_t i = 0; i < N_USERS; i++) {
		in[i] = make_user(&user_cases[i]);
		assert_rc(OP(f, user_add, &in[i], &e), RC_OK);
		assert_true(in[i].id > 0);
		for (size_t j = 0; j < i; j++)
			assert_int_not_equal(in[i].id, in[j].id);
	}
	for (size_t i = 0; i < N_USERS; i++) {
		memset(&got, 0x55, sizeof(got));
		assert_rc(OP(f, user_get, user_cases[i].username, &got, &e), RC_OK);
		assert_int_equal(got.id, in[i].id);
		assert_string_equal(got.username, user_cases[i].username);
		assert_int_equal(got.role, user_cases[i].role);
		assert_string_equal(got.provider, user_cases[i].provider);
		assert_string_equal(got.team, user_cases[i].team);
		assert_string_equal(got.pwhash, in[i].pwhash);
		assert_int_equal(got.failed_logins, 0);
		assert_int_equal(got.locked_until, 0);
	}
	assert_rc(OP(f, user_get, "nobody", &got, &e), RC_NOT_FOUND);
	assert_rc(OP(f, user_get, "Alice", &got, &e), RC_NOT_FOUND); /* names are exact */
}

static void test_user_duplicate(void **state)
{
	struct fixture *f = *state;
	struct err e = ERR_INIT;
	struct user a, again, got;

	add_user(f, "alice", &a);
	again = a;
	again.id = 0;
	again.role = ROLE_ADMIN;
	assert_rc(OP(f, user_add, &again, &e), RC_CONFLICT);
	assert_string_equal(e.field, "username");
	assert_non_null(strstr(e.msg, "alice"));
	/* the first one is untouched and the store goes on working */
	assert_rc(OP(f, user_get, "alice", &got, &e), RC_OK);
	assert_int_equal(got.id, a.id);
	assert_int_equal(got.role, ROLE_PRACTITIONER);
	add_user(f, "alice2", &again);
}

static const struct login_step {
	int success;
	int64_t locked_until;   /* passed with a failure */
	int want_failed;
	int64_t want_locked;
} login_steps[] = {
	{ 0, 0, 1, 0 },
	{ 0, 0, 2, 0 },
	{ 0, 2000000000, 3, 2000000000 },   /* the lock is set when given */
	{ 0, 0, 4, 2000000000 },            /* and kept when not */
	{ 1, 0, 0, 0 },                     /* a success resets both */
	{ 0, 0, 1, 0 },
	{ 0, 5000000000LL, 2, 5000000000LL },/* past 2038: 64-bit times */
	{ 1, 0, 0, 0 },
};

static void test_login_result(void **state)
{
	struct fixture *f = *state;
	struct err e = ERR_INIT;
	struct user a, other, got;

	add_user(f, "alice", &a);
	add_user(f, "bob", &other);
	for (size_t i = 0; i < sizeof(login_steps) / sizeof(login_steps[0]); i++) {
		const struct login_step *s = &login_steps[i];

		assert_rc(OP(f, user_login_result, a.id, s->success, s->locked_until, &e), RC_OK);
		assert_rc(OP(f, user_get, "alice", &got, &e), RC_OK);
		if (got.failed_logins != s->want_failed || got.locked_until != s->want_locked)
			fail_msg("step %zu: failed_logins %d locked_until %lld, want %d %lld", i,
				 got.failed_logins, (long long)got.locked_until, s->want_failed,
				 (long long)s->want_locked);
	}
	/* only that user was counted */
	assert_rc(OP(f, user_get, "bob", &got, &e), RC_OK);
	assert_int_equal(got.failed_logins, 0);
	assert_int_equal(got.locked_until, 0);
}

/* --- sessions -------------------------------------------------------------- */

static const struct session_step {
	const char *op;         /* "add", "user", "delete" */
	const char *token;
	int64_t when;           /* add: expiry; user: now (seconds from the test's start) */
	enum rc want;
} session_steps[] = {
	{ "add", "live", 3600, RC_OK },
	{ "add", "edge", 10, RC_OK },
	{ "add", "old", -1, RC_OK },
	{ "add", "live", 7200, RC_CONFLICT },   /* a token is stored once */
	{ "user", "live", 0, RC_OK },
	{ "user", "edge", 9, RC_OK },
	{ "user", "edge", 10, RC_NOT_FOUND },   /* expired at expires_at itself */
	{ "user", "old", 0, RC_NOT_FOUND },
	{ "user", "nope", 0, RC_NOT_FOUND },
	{ "delete", "live", 0, RC_OK },
	{ "delete", "live", 0, RC_NOT_FOUND },  /* the second delete finds nothing */
	{ "user", "live", 0, RC_NOT_FOUND },
	{ "delete", "nope", 0, RC_NOT_FOUND },
	{ "user", "edge", 0, RC_OK },           /* the others are untouched */
};

static void test_sessions(void **state)
{
	struct fixture *f = *state;
	struct err e = ERR_INIT;
	struct user a, got;
	int64_t t0 = (int64_t)time(NULL);

	add_user(f, "alice", &a);
	for (size_t i = 0; i < sizeof(session_steps) / sizeof(session_steps[0]); i++) {
		const struct session_step *s = &session_steps[i];
		enum rc rc;

		err_clear(&e);
		if (!strcmp(s->op, "add"))
			rc = OP(f, session_add, s->token, a.id, t0 + s->when, &e);
		else if (!strcmp(s->op, "user"))
			rc = OP(f, session_user, s->token, t0 + s->when, &got, &e);
		else
			rc = OP(f, session_delete, s->token, &e);
		if (rc != s->want)
			fail_msg("step %zu (%s %s): %s, want %s (%s)", i, s->op, s->token, rc_name(rc),
				 rc_name(s->want), e.msg);
		if (!strcmp(s->op, "user") && !rc) {
			assert_int_equal(got.id, a.id);
			assert_string_equal(got.username, "alice");
			assert_string_equal(got.team, "team");
			assert_string_equal(got.pwhash, ""); /* a session never carries the hash */
		}
	}
}

/* --- audit ----------------------------------------------------------------- */

static const struct audit_entry audit_cases[] = {
	{ "", "login_failed", "user:alice", "10.0.0.1", "" },
	{ "alice", "login", "user:alice", "10.0.0.1", "" },
	{ "alice", "user_add", "user:bob", "10.0.0.1", "{\"role\":\"provider\"}" },
	{ "alice", "service_edit", "service:kss/resolve", "cli", "{\"version\":2}" },
	{ "bob", "login", "user:bob", "::1", "it's \"quoted\"" },
};

#define N_AUDIT (sizeof(audit_cases) / sizeof(audit_cases[0]))

static void test_audit(void **state)
{
	struct fixture *f = *state;
	struct err e = ERR_INIT;
	static const int limits[] = { 3, 100, 1, 0 };
	static const char *const refused[] = {
		"UPDATE audit_log SET actor = 'mallory'",
		"UPDATE audit_log SET detail = '' WHERE id = 1",
		"DELETE FROM audit_log",
		"DELETE FROM audit_log WHERE id = 2",
	};
	json_t *list;
	char why[512];
	int64_t now = (int64_t)time(NULL);

	for (size_t i = 0; i < N_AUDIT; i++)
		assert_rc(OP(f, audit, &audit_cases[i], &e), RC_OK);
	for (size_t k = 0; k < sizeof(limits) / sizeof(limits[0]); k++) {
		size_t want = (size_t)limits[k] < N_AUDIT ? (size_t)limits[k] : N_AUDIT;
		json_int_t prev_id = 0;

		assert_rc(OP(f, audit_list, limits[k], &list, &e), RC_OK);
		assert_int_equal(json_array_size(list), want);
		for (size_t i = 0; i < want; i++) {
			const struct audit_entry *a = &audit_cases[N_AUDIT - 1 - i]; /* newest first */
			json_t *row = json_array_get(list, i);
			json_int_t id = json_integer_value(json_object_get(row, "id"));

			assert_string_equal(json_string_value(json_object_get(row, "actor")), a->actor);
			assert_string_equal(json_string_value(json_object_get(row, "action")), a->action);
			assert_string_equal(json_string_value(json_object_get(row, "object")), a->object);
			assert_string_equal(json_string_value(json_object_get(row, "address")), a->address);
			assert_string_equal(json_string_value(json_object_get(row, "detail")), a->detail);
			assert_true(json_integer_value(json_object_get(row, "at")) >= now - 5);
			assert_true(i == 0 || id < prev_id);
			prev_id = id;
		}
		json_decref(list);
	}
	/* the database itself refuses to rewrite history, whoever asks */
	for (size_t i = 0; i < sizeof(refused) / sizeof(refused[0]); i++) {
		if (!direct(f, refused[i], NULL, why, sizeof(why)))
			fail_msg("the database accepted: %s", refused[i]);
		assert_non_null(strstr(why, "append-only"));
	}
	if (is_pg(f)) {
		assert_int_equal(direct(f, "TRUNCATE audit_log", NULL, why, sizeof(why)), -1);
		assert_non_null(strstr(why, "append-only"));
	}
	assert_int_equal(direct_int(f, "SELECT count(*) FROM audit_log"), N_AUDIT);
	assert_int_equal(direct_int(f, "SELECT count(*) FROM audit_log WHERE actor = 'mallory'"), 0);
	/* and appending still works */
	assert_rc(OP(f, audit, &audit_cases[0], &e), RC_OK);
	assert_int_equal(direct_int(f, "SELECT count(*) FROM audit_log"), N_AUDIT + 1);
}

/* --- catalogue --------------------------------------------------------------- */

/* Two providers, three services; D2 changes one price; the provider order
 * is not alphabetical, so a store that sorts by id is caught. */
#define D1 \
	"[{\"provider\":{\"id\":\"kss\",\"name\":\"KSS Mediation\"},\"services\":[" \
	"  {\"id\":\"crc\",\"name\":\"Child-responsive check\",\"price\":120}," \
	"  {\"id\":\"resolve\",\"name\":\"Resolve\",\"price\":300}]}," \
	" {\"provider\":{\"id\":\"acme\",\"name\":\"Acme Family Services\"},\"services\":[" \
	"  {\"id\":\"mediate\",\"name\":\"Mediation\",\"price\":90}]}]"
#define D2 \
	"[{\"provider\":{\"id\":\"kss\",\"name\":\"KSS Mediation\"},\"services\":[" \
	"  {\"id\":\"crc\",\"name\":\"Child-responsive check\",\"price\":120}," \
	"  {\"id\":\"resolve\",\"name\":\"Resolve\",\"price\":320}]}," \
	" {\"provider\":{\"id\":\"acme\",\"name\":\"Acme Family Services\"},\"services\":[" \
	"  {\"id\":\"mediate\",\"name\":\"Mediation\",\"price\":90}]}]"

/* Test data parsed; f releases it at teardown. */
static json_t *docs_of(struct fixture *f, const char *text)
{
	json_error_t je;
	json_t *docs = json_loads(text, 0, &je);

	if (!docs)
		fail_msg("test data: %s", je.text);
	if (!f->kept)
		f->kept = json_array();
	json_array_append_new(f->kept, docs);
	return docs;
}

/* "kss/crc@1:active kss/resolve@2:suspended ..." in the order given. */
static void summarise(json_t *docs, char *out, size_t len)
{
	size_t i, j, n = 0;
	json_t *doc, *svc;

	out[0] = '\0';
	json_array_foreach(docs, i, doc)
		json_array_foreach(json_object_get(doc, "services"), j, svc)
			n += (size_t)snprintf(out + n, n < len ? len - n : 0, "%s%s/%s@%d:%s", n ? " " : "",
				json_string_value(json_object_get(json_object_get(doc, "provider"), "id")),
				json_string_value(json_object_get(svc, "id")),
				(int)json_integer_value(json_object_get(svc, "_version")),
				json_string_value(json_object_get(svc, "_status")));
}

/* The current catalogue, summarised, and the generation. */
static void current(struct fixture *f, char *summary, size_t len, int64_t *gen, json_t **keep)
{
	struct err e = ERR_INIT;
	json_t *docs;
	int64_t cheap = -1;

	assert_rc(OP(f, catalogue_current, &docs, gen, &e), RC_OK);
	assert_rc(OP(f, catalogue_generation, &cheap, &e), RC_OK);
	assert_int_equal(cheap, *gen);
	summarise(docs, summary, len);
	if (keep)
		*keep = docs;
	else
		json_decref(docs);
}

/* The stored catalogue holds exactly source's providers and services. */
static void assert_same_catalogue(json_t *stored, json_t *source)
{
	size_t i, j;
	json_t *doc, *svc;

	assert_int_equal(json_array_size(stored), json_array_size(source));
	json_array_foreach(source, i, doc) {
		json_t *got = json_array_get(stored, i);
		json_t *services = json_object_get(got, "services");

		assert_true(json_equal(json_object_get(got, "provider"), json_object_get(doc, "provider")));
		assert_int_equal(json_array_size(services), json_array_size(json_object_get(doc, "services")));
		json_array_foreach(json_object_get(doc, "services"), j, svc) {
			json_t *copy = json_copy(json_array_get(services, j));

			json_object_del(copy, "_status");
			json_object_del(copy, "_version");
			assert_true(json_equal(copy, svc));
			json_decref(copy);
		}
	}
}

static const struct import_step {
	const char *docs;
	int want_added;
	int bumps;              /* does the generation change? */
	const char *want;
} import_steps[] = {
	{ D1, 3, 1, "kss/crc@1:active kss/resolve@1:active acme/mediate@1:active" },
	{ D1, 0, 0, "kss/crc@1:active kss/resolve@1:active acme/mediate@1:active" },
	{ D2, 1, 1, "kss/crc@1:active kss/resolve@2:active acme/mediate@1:active" },
	{ D2, 0, 0, "kss/crc@1:active kss/resolve@2:active acme/mediate@1:active" },
	/* going back is a change too: history is never overwritten */
	{ D1, 1, 1, "kss/crc@1:active kss/resolve@3:active acme/mediate@1:active" },
};

static void test_catalogue_import(void **state)
{
	struct fixture *f = *state;
	struct err e = ERR_INIT;
	char got[512];
	int64_t gen, prev;
	json_t *docs, *stored;
	int added;

	current(f, got, sizeof(got), &gen, &stored);
	assert_int_equal(json_array_size(stored), 0);
	assert_int_equal(gen, 0);
	json_decref(stored);
	for (size_t i = 0; i < sizeof(import_steps) / sizeof(import_steps[0]); i++) {
		const struct import_step *s = &import_steps[i];

		prev = gen;
		docs = docs_of(f, s->docs);
		added = -1;
		assert_rc(OP(f, catalogue_import, docs, "import", &added, &e), RC_OK);
		current(f, got, sizeof(got), &gen, &stored);
		if (added != s->want_added || (gen != prev) != s->bumps || strcmp(got, s->want))
			fail_msg("step %zu: added %d, generation %lld -> %lld, catalogue\n  %s\nwant "
				 "added %d, %s, catalogue\n  %s", i, added, (long long)prev,
				 (long long)gen, got, s->want_added, s->bumps ? "a change" : "no change",
				 s->want);
		assert_same_catalogue(stored, docs);
		json_decref(stored);
	}
}

static const struct edit_step {
	const char *service;
	int base;               /* 0: whatever version is newest */
	const char *data;       /* NULL keeps the data */
	const char *status;     /* NULL keeps the status */
	enum rc want;
	int want_version;
	const char *want_field; /* on failure */
} edit_steps[] = {
	{ "kss/resolve", 1, NULL, "suspended", RC_OK, 2, NULL },
	{ "kss/resolve", 1, NULL, "active", RC_CONFLICT, 0, "version" },   /* stale */
	{ "kss/nothing", 0, NULL, "active", RC_NOT_FOUND, 0, "service" },
	{ "nothing", 1, NULL, NULL, RC_NOT_FOUND, 0, "service" },
	{ "kss/resolve", 2, "{\"id\":\"resolve\",\"name\":\"Resolve\",\"price\":310}", NULL, RC_OK, 3,
	  NULL },                                                          /* status kept */
	{ "kss/resolve", 0, NULL, "active", RC_OK, 4, NULL },
	{ "kss/resolve", 9, NULL, "active", RC_CONFLICT, 0, "version" },   /* from the future */
	{ "kss/crc", 1, NULL, "suspended", RC_OK, 2, NULL },
	{ "acme/mediate", 1, NULL, "withdrawn", RC_CONFLICT, 0, NULL },    /* not a status */
};

static void test_service_edit(void **state)
{
	struct fixture *f = *state;
	struct err e = ERR_INIT;
	json_t *docs = docs_of(f, D1);
	char got[512];
	int64_t gen0, gen;
	int added, oks = 0;

	assert_rc(OP(f, catalogue_import, docs, "import", &added, &e), RC_OK);
	current(f, got, sizeof(got), &gen0, NULL);
	for (size_t i = 0; i < sizeof(edit_steps) / sizeof(edit_steps[0]); i++) {
		const struct edit_step *s = &edit_steps[i];
		json_t *data = s->data ? docs_of(f, s->data) : NULL;
		int version = -1;
		enum rc rc;

		err_clear(&e);
		rc = OP(f, service_edit, s->service, s->base, data, s->status, "carol", "a note",
			&version, &e);
		if (rc != s->want || (!rc && version != s->want_version) ||
		    (rc && s->want_field && strcmp(e.field, s->want_field)))
			fail_msg("step %zu (%s from %d): %s version %d field '%s' (%s), want %s version %d",
				 i, s->service, s->base, rc_name(rc), version, e.field, e.msg,
				 rc_name(s->want), s->want_version);
		oks += !rc;
	}
	current(f, got, sizeof(got), &gen, NULL);
	assert_string_equal(got, "kss/crc@2:suspended kss/resolve@4:active acme/mediate@1:active");
	assert_int_equal(gen, gen0 + oks); /* every edit is a change */
	/* re-importing the files: resolve's data differs from its newest
	 * version (a new version, status kept); crc's does not (nothing, and it
	 * stays suspended) */
	assert_rc(OP(f, catalogue_import, docs, "import", &added, &e), RC_OK);
	assert_int_equal(added, 1);
	current(f, got, sizeof(got), &gen, NULL);
	assert_string_equal(got, "kss/crc@2:suspended kss/resolve@5:active acme/mediate@1:active");
}

static const struct history_row {
	int version;
	const char *status, *created_by;
	int price;
} resolve_history[] = {
	{ 1, "active", "import", 300 },
	{ 2, "suspended", "carol", 300 },
	{ 3, "suspended", "carol", 310 },
	{ 4, "active", "dave", 310 },
};

static void test_service_history(void **state)
{
	struct fixture *f = *state;
	struct err e = ERR_INIT;
	json_t *docs = docs_of(f, D1), *hist, *data = docs_of(f, "{\"id\":\"resolve\",\"price\":310}");
	int added, v;
	int64_t now = (int64_t)time(NULL);

	assert_rc(OP(f, catalogue_import, docs, "import", &added, &e), RC_OK);
	assert_rc(OP(f, service_edit, "kss/resolve", 1, NULL, "suspended", "carol", "paused", &v, &e),
		  RC_OK);
	assert_rc(OP(f, service_edit, "kss/resolve", 2, data, NULL, "carol", NULL, &v, &e), RC_OK);
	assert_rc(OP(f, service_edit, "kss/resolve", 3, NULL, "active", "dave", "back", &v, &e), RC_OK);
	assert_rc(OP(f, service_history, "kss/resolve", &hist, &e), RC_OK);
	assert_int_equal(json_array_size(hist), 4);
	for (size_t i = 0; i < 4; i++) {
		const struct history_row *want = &resolve_history[i];
		json_t *row = json_array_get(hist, i);

		assert_int_equal(json_integer_value(json_object_get(row, "version")), want->version);
		assert_string_equal(json_string_value(json_object_get(row, "status")), want->status);
		assert_string_equal(json_string_value(json_object_get(row, "created_by")), want->created_by);
		assert_int_equal(json_integer_value(json_object_get(json_object_get(row, "data"), "price")),
				 want->price);
		assert_true(json_integer_value(json_object_get(row, "created_at")) >= now - 5);
		assert_non_null(json_string_value(json_object_get(row, "note")));
	}
	assert_string_equal(json_string_value(json_object_get(json_array_get(hist, 1), "note")), "paused");
	assert_string_equal(json_string_value(json_object_get(json_array_get(hist, 2), "note")), "");
	json_decref(hist);
	/* a service never edited has its one version */
	assert_rc(OP(f, service_history, "acme/mediate", &hist, &e), RC_OK);
	assert_int_equal(json_array_size(hist), 1);
	json_decref(hist);
	assert_rc(OP(f, service_history, "kss/nothing", &hist, &e), RC_NOT_FOUND);
	json_decref(hist);
}

/* --- two servers, many threads ---------------------------------------------- */

#define THREADS 8
#define EDITS 5

struct editor {
	struct store *s;
	pthread_barrier_t *start;
	int base, edits;
	int versions[EDITS];
	int ok, conflicts, other;
	struct err e;
};

static void *edit_thread(void *arg)
{
	struct editor *ed = arg;

	pthread_barrier_wait(ed->start);
	for (int i = 0; i < ed->edits; i++) {
		int v = 0;
		enum rc rc = ed->s->ops->service_edit(ed->s, "kss/resolve", ed->base, NULL,
						      i % 2 ? "active" : "suspended", "thread",
						      "concurrent", &v, &ed->e);

		if (rc == RC_OK)
			ed->versions[ed->ok++] = v;
		else if (rc == RC_CONFLICT)
			ed->conflicts++;
		else
			ed->other++;
	}
	return NULL;
}

/* THREADS threads, half on a second store (another server), each making
 * `edits` edits from base; returns how many succeeded. */
static int edit_race(struct fixture *f, struct store *other, int base, int edits, int *versions)
{
	struct editor ed[THREADS];
	pthread_t t[THREADS];
	pthread_barrier_t start;
	int ok = 0;

	pthread_barrier_init(&start, NULL, THREADS);
	for (int i = 0; i < THREADS; i++) {
		memset(&ed[i], 0, sizeof(ed[i]));
		ed[i] = (struct editor){ i % 2 ? other : f->s, &start, base, edits };
		pthread_create(&t[i], NULL, edit_thread, &ed[i]);
	}
	for (int i = 0; i < THREADS; i++)
		pthread_join(t[i], NULL);
	pthread_barrier_destroy(&start);
	for (int i = 0; i < THREADS; i++) {
		if (ed[i].other || ed[i].ok + ed[i].conflicts != edits)
			fail_msg("thread %d: %d ok, %d conflicts, %d failures: %s", i, ed[i].ok,
				 ed[i].conflicts, ed[i].other, ed[i].e.msg);
		for (int j = 0; j < ed[i].ok; j++)
			versions[ok++] = ed[i].versions[j];
	}
	return ok;
}

static void test_concurrent_edits(void **state)
{
	struct fixture *f = *state;
	struct err e = ERR_INIT;
	struct store *other = open_again(f);
	json_t *docs = docs_of(f, D1), *hist;
	int versions[THREADS * EDITS], ok, added;
	char seen[THREADS * EDITS + 2] = { 0 };
	int64_t gen0, gen;

	assert_rc(OP(f, catalogue_import, docs, "import", &added, &e), RC_OK);
	assert_rc(OP(f, catalogue_generation, &gen0, &e), RC_OK);
	/* base 0: every edit goes in, each with its own version */
	ok = edit_race(f, other, 0, EDITS, versions);
	assert_int_equal(ok, THREADS * EDITS);
	for (int i = 0; i < ok; i++) {
		assert_in_range(versions[i], 2, ok + 1);
		if (seen[versions[i]]++)
			fail_msg("version %d was handed out twice", versions[i]);
	}
	assert_rc(OP(f, service_history, "kss/resolve", &hist, &e), RC_OK);
	assert_int_equal(json_array_size(hist), ok + 1);
	for (size_t i = 0; i < json_array_size(hist); i++)
		assert_int_equal(json_integer_value(json_object_get(json_array_get(hist, i), "version")),
				 (int)i + 1);
	json_decref(hist);
	assert_rc(OP(f, catalogue_generation, &gen, &e), RC_OK);
	assert_int_equal(gen, gen0 + ok);
	/* everyone from the same base at once: exactly one wins */
	assert_int_equal(edit_race(f, other, ok + 1, 1, versions), 1);
	assert_int_equal(versions[0], ok + 2);
	assert_int_equal(direct_int(f, "SELECT count(*) FROM service_versions WHERE service_id = "
				    "'kss/resolve'"), ok + 2);
}

/* One server sees another's edit through the generation. */
static void test_two_servers(void **state)
{
	struct fixture *f = *state;
	struct err e = ERR_INIT;
	struct store *b = open_again(f);
	json_t *docs = docs_of(f, D1), *cur;
	int64_t gen_a, gen_b;
	int added, v;
	struct user u;

	assert_rc(OP(f, catalogue_import, docs, "import", &added, &e), RC_OK);
	assert_rc(b->ops->catalogue_generation(b, &gen_b, &e), RC_OK);
	assert_rc(OP(f, catalogue_generation, &gen_a, &e), RC_OK);
	assert_int_equal(gen_a, gen_b);
	assert_rc(b->ops->service_edit(b, "acme/mediate", 1, NULL, "suspended", "carol", "", &v, &e),
		  RC_OK);
	assert_rc(OP(f, catalogue_current, &cur, &gen_a, &e), RC_OK);
	assert_int_equal(gen_a, gen_b + 1);
	assert_string_equal(json_string_value(json_object_get(json_array_get(json_object_get(
		json_array_get(cur, 1), "services"), 0), "_status")), "suspended");
	json_decref(cur);
	add_user(f, "alice", &u);
	assert_rc(b->ops->user_get(b, "alice", &u, &e), RC_OK);
}

/* --- backup ------------------------------------------------------------------ */

static void test_backup(void **state)
{
	struct fixture *f = *state;
	struct err e = ERR_INIT;
	struct user u;
	char path[1100];

	add_user(f, "alice", &u);
	snprintf(path, sizeof(path), "%s/backup-%d.db", is_pg(f) ? "/tmp" : f->b->base, f->b->seq);
	if (is_pg(f)) {
		/* pg_dump does this; the message says how */
		assert_rc(OP(f, backup, path, &e), RC_IO);
		assert_non_null(strstr(e.msg, "pg_dump"));
		assert_non_null(strstr(e.msg, path));
		assert_non_null(strstr(e.msg, f->dbname));
		assert_int_equal(access(path, F_OK), -1);
		/* the message is for logs and terminals: no password in it (the
		 * test server trusts loopback, so any password connects) */
		{
			struct store *s = NULL;
			char url[1300];

			snprintf(url, sizeof(url), "postgresql://postgres:s3cret@%s",
				 strstr(f->url, "@") + 1);
			assert_rc(store_open(&s, url, &e), RC_OK);
			assert_rc(s->ops->backup(s, path, &e), RC_IO);
			store_close(s);
			assert_null(strstr(e.msg, "s3cret"));
			assert_non_null(strstr(e.msg, "postgres:****@"));
		}
		return;
	}
	assert_rc(OP(f, backup, path, &e), RC_OK);
	{
		struct fixture copy = *f;
		long long n;

		snprintf(copy.url, sizeof(copy.url), "%s", path);
		n = direct_int(&copy, "SELECT count(*) FROM users WHERE username = 'alice'");
		assert_int_equal(n, 1);
		assert_int_equal(direct_int(&copy, "SELECT max(version) FROM schema_migrations"),
				 direct_int(f, "SELECT max(version) FROM schema_migrations"));
	}
	unlink(path);
}

/* --- people -------------------------------------------------------------------- */

static const struct person_step {
	const char *crn;
	int expected;           /* 0 creates */
	const char *doc;
	enum rc want;
	int want_version;
	const char *want_field;
} person_steps[] = {
	{ "X100001", 0, "{\"name\":\"Sam\",\"tier\":1}", RC_OK, 1, NULL },
	{ "X100001", 0, "{\"name\":\"Other\"}", RC_CONFLICT, 0, "crn" },     /* exists */
	{ "X100001", 1, "{\"name\":\"Sam\",\"tier\":2}", RC_OK, 2, NULL },
	{ "X100001", 1, "{\"name\":\"Sam\",\"tier\":3}", RC_CONFLICT, 0, "version" }, /* stale */
	{ "X100001", 2, "{\"name\":\"Sam Jones\",\"tier\":2}", RC_OK, 3, NULL },
	{ "X999999", 1, "{\"name\":\"Nobody\"}", RC_CONFLICT, 0, "version" },  /* never created */
	{ "X100002", 0, "{\"name\":\"Alex\"}", RC_OK, 1, NULL },
};

static void test_people(void **state)
{
	struct fixture *f = *state;
	struct err e = ERR_INIT;
	json_t *doc, *hist;
	int v;

	for (size_t i = 0; i < sizeof(person_steps) / sizeof(person_steps[0]); i++) {
		const struct person_step *p = &person_steps[i];
		enum rc rc;

		err_clear(&e);
		v = -1;
		rc = OP(f, person_put, p->crn, docs_of(f, p->doc), p->expected, "carol", &v, &e);
		if (rc != p->want || (!rc && v != p->want_version) ||
		    (rc && p->want_field && strcmp(e.field, p->want_field)))
			fail_msg("step %zu (%s from %d): %s version %d field '%s' (%s)", i, p->crn,
				 p->expected, rc_name(rc), v, e.field, e.msg);
	}
	assert_rc(OP(f, person_get, "X100001", &doc, &v, &e), RC_OK);
	assert_int_equal(v, 3);
	assert_true(json_equal(doc, docs_of(f, person_steps[4].doc)));
	json_decref(doc);
	assert_rc(OP(f, person_get, "X999999", &doc, &v, &e), RC_NOT_FOUND);
	assert_null(doc);
	assert_rc(OP(f, person_history, "X100001", &hist, &e), RC_OK);
	assert_int_equal(json_array_size(hist), 3);
	for (size_t i = 0; i < 3; i++) {
		json_t *row = json_array_get(hist, i);

		assert_int_equal(json_integer_value(json_object_get(row, "version")), i + 1);
		assert_string_equal(json_string_value(json_object_get(row, "by")), "carol");
		assert_true(json_integer_value(json_object_get(row, "at")) > 0);
	}
	assert_true(json_equal(json_object_get(json_array_get(hist, 0), "record"),
			       docs_of(f, person_steps[0].doc)));
	json_decref(hist);
	assert_rc(OP(f, person_history, "X999999", &hist, &e), RC_OK); /* nothing: empty */
	assert_int_equal(json_array_size(hist), 0);
	json_decref(hist);
}

/* --- referrals -------------------------------------------------------------------- */

static const struct referral_case {
	const char *reference, *status, *provider, *team, *service, *crn;
} referral_cases[] = {
	{ "A", "sent", "kss", "north", "kss/crc", "X1" },
	{ "B", "draft", "kss", "south", "kss/crc", "X1" },
	{ "C", "accepted", "acme", "north", "acme/mediate", "Y2" },
	{ "D", "accepted", "kss", "north", "kss/resolve", "X1" },
};

#define N_REFERRALS (sizeof(referral_cases) / sizeof(referral_cases[0]))

static json_t *referral_doc(struct fixture *f, const struct referral_case *r)
{
	json_t *doc = json_pack("{s:s,s:s+,s:s,s:s,s:{s:s},s:s,s:{s:s},s:s}",
		"reference", r->reference, "urn", "urn:rc:", r->reference, "status", r->status,
		"service", r->service, "provider", "id", r->provider, "team", r->team,
		"person", "crn", r->crn, "created_by", "carol");

	if (!f->kept)
		f->kept = json_array();
	json_array_append_new(f->kept, doc);
	return doc;
}

static json_t *message(struct fixture *f, const char *kind, const char *ref)
{
	return docs_of(f, kind[0] == 'n'
		? "[{\"recipient_kind\":\"provider\",\"recipient\":\"kss\",\"kind\":\"new_referral\","
		  "\"payload\":{\"n\":1}}]"
		: "[{\"recipient_kind\":\"provider\",\"recipient\":\"kss\",\"kind\":\"updated\","
		  "\"payload\":{\"n\":2}},{\"recipient_kind\":\"team\",\"recipient\":\"north\","
		  "\"kind\":\"updated\",\"payload\":{\"n\":3}}]");
	(void)ref;
}

/* Create every referral of the table, one a second apart in creation order
 * is not needed: equal times fall back to id order. */
static void create_referrals(struct fixture *f, int64_t *ids)
{
	struct err e = ERR_INIT;
	int created;

	for (size_t i = 0; i < N_REFERRALS; i++) {
		struct referral_write w = { i == 0 ? message(f, "new", "A") : NULL };
		json_t *doc = referral_doc(f, &referral_cases[i]);

		assert_rc(OP(f, referral_create, doc, NULL, &w, &ids[i], &created, &e), RC_OK);
		assert_int_equal(created, 1);
		assert_true(ids[i] > 0);
		assert_int_equal(json_integer_value(json_object_get(doc, "id")), ids[i]);
	}
}

static void test_referral_create_get_update(void **state)
{
	struct fixture *f = *state;
	struct err e = ERR_INIT;
	int64_t ids[N_REFERRALS], id;
	json_t *doc, *again, *out;
	int created, v;
	struct referral_write w = { NULL };

	create_referrals(f, ids);
	assert_rc(OP(f, referral_get, ids[0], &doc, &v, &e), RC_OK);
	assert_int_equal(v, 1);
	assert_int_equal(json_integer_value(json_object_get(doc, "id")), ids[0]);
	assert_string_equal(json_string_value(json_object_get(doc, "reference")), "A");
	/* a reference (or URN) is taken once */
	again = referral_doc(f, &referral_cases[0]);
	assert_rc(OP(f, referral_create, again, NULL, NULL, &id, &created, &e), RC_CONFLICT);
	assert_string_equal(e.field, "reference");
	/* updates: from the stored version only */
	json_object_set_new(doc, "status", json_string("accepted"));
	w.outbox = message(f, "updated", "A");
	assert_rc(OP(f, referral_update, ids[0], 1, doc, &w, &v, &e), RC_OK);
	assert_int_equal(v, 2);
	assert_rc(OP(f, referral_update, ids[0], 1, doc, NULL, &v, &e), RC_CONFLICT);
	assert_string_equal(e.field, "version");
	assert_rc(OP(f, referral_update, 999999, 1, doc, NULL, &v, &e), RC_NOT_FOUND);
	json_decref(doc);
	assert_rc(OP(f, referral_get, ids[0], &doc, &v, &e), RC_OK);
	assert_int_equal(v, 2);
	assert_string_equal(json_string_value(json_object_get(doc, "status")), "accepted");
	json_decref(doc);
	assert_rc(OP(f, referral_get, 999999, &doc, &v, &e), RC_NOT_FOUND);
	/* the outbox: newest first, per recipient */
	assert_rc(OP(f, outbox_list, "provider", "kss", 10, &out, &e), RC_OK);
	assert_int_equal(json_array_size(out), 2);
	assert_string_equal(json_string_value(json_object_get(json_array_get(out, 0), "kind")), "updated");
	assert_string_equal(json_string_value(json_object_get(json_array_get(out, 1), "kind")),
			    "new_referral");
	assert_int_equal(json_integer_value(json_object_get(json_array_get(out, 1), "referral")), ids[0]);
	assert_int_equal(json_integer_value(json_object_get(json_object_get(json_array_get(out, 0),
				"payload"), "n")), 2);
	json_decref(out);
	assert_rc(OP(f, outbox_list, "provider", "kss", 1, &out, &e), RC_OK);
	assert_int_equal(json_array_size(out), 1);
	json_decref(out);
	assert_rc(OP(f, outbox_list, "team", "north", 10, &out, &e), RC_OK);
	assert_int_equal(json_array_size(out), 1);
	json_decref(out);
	assert_rc(OP(f, outbox_list, "team", "south", 10, &out, &e), RC_OK);
	assert_int_equal(json_array_size(out), 0);
	json_decref(out);
}

/* The audit row and the person's record a referral write carries go in
 * with it, or not at all. */
static void test_referral_write_extras(void **state)
{
	struct fixture *f = *state;
	struct err e = ERR_INIT;
	const struct audit_entry made = { "carol", "referral_create", NULL, "10.0.0.1", "" };
	const struct audit_entry moved = { "kim", "referral_transition", NULL, "10.0.0.2", "{\"to\":\"x\"}" };
	json_t *person = docs_of(f, "{\"crn\":\"Z9\",\"name\":\"First\",\"events\":[]}");
	json_t *other = docs_of(f, "{\"crn\":\"Z9\",\"name\":\"Second\",\"events\":[]}");
	struct referral_write w = { NULL, &made, person };
	const struct referral_case r1 = { "P", "draft", "kss", "north", "kss/crc", "Z9" };
	const struct referral_case r2 = { "Q", "draft", "kss", "north", "kss/crc", "Z9" };
	json_t *doc = referral_doc(f, &r1), *out;
	int64_t id, id2;
	int created, v;
	char object[40];

	assert_rc(OP(f, referral_create, doc, NULL, &w, &id, &created, &e), RC_OK);
	snprintf(object, sizeof(object), "referral:%lld", (long long)id);
	assert_rc(OP(f, audit_list, 10, &out, &e), RC_OK);
	assert_int_equal(json_array_size(out), 1);
	assert_string_equal(json_string_value(json_object_get(json_array_get(out, 0), "object")), object);
	assert_string_equal(json_string_value(json_object_get(json_array_get(out, 0), "actor")), "carol");
	json_decref(out);
	assert_rc(OP(f, person_get, "Z9", &out, &v, &e), RC_OK);
	assert_int_equal(v, 1);
	assert_string_equal(json_string_value(json_object_get(out, "name")), "First");
	json_decref(out);
	assert_rc(OP(f, person_history, "Z9", &out, &e), RC_OK);
	assert_int_equal(json_array_size(out), 1);
	json_decref(out);
	/* a second referral leaves the record as it is */
	w.person = other;
	assert_rc(OP(f, referral_create, referral_doc(f, &r2), NULL, &w, &id2, &created, &e), RC_OK);
	assert_rc(OP(f, person_get, "Z9", &out, &v, &e), RC_OK);
	assert_int_equal(v, 1);
	assert_string_equal(json_string_value(json_object_get(out, "name")), "First");
	json_decref(out);
	/* an update's row; a refused update writes none */
	w = (struct referral_write){ NULL, &moved, NULL };
	assert_rc(OP(f, referral_update, id, 1, doc, &w, &v, &e), RC_OK);
	assert_rc(OP(f, referral_update, id, 1, doc, &w, &v, &e), RC_CONFLICT);
	assert_rc(OP(f, audit_list, 10, &out, &e), RC_OK);
	assert_int_equal(json_array_size(out), 3);
	assert_string_equal(json_string_value(json_object_get(json_array_get(out, 0), "action")),
			    "referral_transition");
	assert_string_equal(json_string_value(json_object_get(json_array_get(out, 0), "object")), object);
	assert_string_equal(json_string_value(json_object_get(json_array_get(out, 0), "detail")), "{\"to\":\"x\"}");
	json_decref(out);
}

static const struct list_case {
	struct referral_filter filter;
	const char *want;       /* references in order */
	int total;
} list_cases[] = {
	{ { 0 }, "DCA", 3 },                                   /* no drafts, newest first */
	{ { .include_drafts = 1 }, "DCBA", 4 },
	{ { .provider_id = "kss" }, "DA", 2 },
	{ { .provider_id = "kss", .include_drafts = 1, .oldest_first = 1 }, "ABD", 3 },
	{ { .team = "north", .status = "accepted" }, "DC", 2 },
	{ { .crn = "Y2" }, "C", 1 },
	{ { .service_id = "kss/resolve" }, "D", 1 },
	{ { .limit = 1, .offset = 1 }, "C", 3 },
	{ { .limit = 2, .oldest_first = 1 }, "AC", 3 },
	{ { .status = "draft" }, "", 0 },                      /* drafts stay hidden */
	{ { .provider_id = "nobody" }, "", 0 },
	{ { .reference = "B", .include_drafts = 1 }, "B", 1 },  /* by reference, on both backends */
	{ { .reference = "B" }, "", 0 },
	{ { .reference = "A", .provider_id = "acme" }, "", 0 },
	{ { .crn = "X1", .status = "accepted" }, "D", 1 },     /* a person's, by status */
	{ { .crn = "X1", .service_id = "kss/crc", .include_drafts = 1 }, "BA", 2 },
};

static void test_referral_list(void **state)
{
	struct fixture *f = *state;
	struct err e = ERR_INIT;
	int64_t ids[N_REFERRALS];

	create_referrals(f, ids);
	for (size_t i = 0; i < sizeof(list_cases) / sizeof(list_cases[0]); i++) {
		json_t *docs, *doc;
		char got[16] = "";
		int total = -1;
		size_t j, n = 0;

		assert_rc(OP(f, referral_list, &list_cases[i].filter, &docs, &total, &e), RC_OK);
		json_array_foreach(docs, j, doc) {
			if (n + 1 < sizeof(got))
				got[n++] = json_string_value(json_object_get(doc, "reference"))[0];
			assert_int_equal(json_integer_value(json_object_get(doc, "version")), 1);
		}
		got[n] = '\0';
		json_decref(docs);
		if (strcmp(got, list_cases[i].want) || total != list_cases[i].total)
			fail_msg("case %zu: %s (total %d), want %s (total %d)", i, got, total,
				 list_cases[i].want, list_cases[i].total);
	}
}

static void test_idempotency_and_purge(void **state)
{
	struct fixture *f = *state;
	struct err e = ERR_INIT;
	const struct referral_case draft = { "P", "draft", "kss", "south", "kss/crc", "X1" };
	int64_t id, again, now = (int64_t)time(NULL);
	json_t *doc;
	int created, purged;

	assert_rc(OP(f, referral_create, referral_doc(f, &draft), "key-1", NULL, &id, &created, &e),
		  RC_OK);
	assert_int_equal(created, 1);
	/* the same key from the same creator answers the first referral */
	assert_rc(OP(f, referral_create, referral_doc(f, &draft), "key-1", NULL, &again, &created, &e),
		  RC_OK);
	assert_int_equal(created, 0);
	assert_int_equal(again, id);
	/* drafts untouched since before the cut-off go, with their keys */
	assert_rc(OP(f, drafts_purge, now - 60, &purged, &e), RC_OK);
	assert_int_equal(purged, 0);
	assert_rc(OP(f, drafts_purge, now + 60, &purged, &e), RC_OK);
	assert_int_equal(purged, 1);
	assert_rc(OP(f, referral_get, id, &doc, NULL, &e), RC_NOT_FOUND);
	assert_rc(OP(f, drafts_purge, now + 60, &purged, &e), RC_OK);
	assert_int_equal(purged, 0);
	assert_rc(OP(f, referral_create, referral_doc(f, &draft), "key-1", NULL, &again, &created, &e),
		  RC_OK);
	assert_int_equal(created, 1);
	/* (SQLite may hand the purged id out again; PostgreSQL never does) */
	assert_rc(OP(f, referral_get, again, &doc, NULL, &e), RC_OK);
	json_decref(doc);
}

struct creator {
	struct store *s;
	pthread_barrier_t *start;
	json_t *doc;            /* the thread's own */
	const char *crn;        /* person_put race instead, when set */
	int64_t id;
	int created, version;
	enum rc rc;
	struct err e;
};

static void *create_thread(void *arg)
{
	struct creator *c = arg;

	pthread_barrier_wait(c->start);
	if (c->crn)
		c->rc = c->s->ops->person_put(c->s, c->crn, c->doc, 1, "thread", &c->version, &c->e);
	else
		c->rc = c->s->ops->referral_create(c->s, c->doc, "same-key", NULL, &c->id, &c->created,
						   &c->e);
	return NULL;
}

/* Eight requests on two servers: one referral for one idempotency key, one
 * winner among updates of one person from the same version. */
static void test_concurrent_referrals(void **state)
{
	struct fixture *f = *state;
	struct err e = ERR_INIT;
	struct store *other = open_again(f);
	struct creator c[THREADS];
	pthread_t t[THREADS];
	pthread_barrier_t start;
	int v;

	assert_rc(OP(f, person_put, "X1", docs_of(f, "{\"n\":0}"), 0, "carol", &v, &e), RC_OK);
	for (int round = 0; round < 2; round++) {
		int created = 0, won = 0;

		pthread_barrier_init(&start, NULL, THREADS);
		for (int i = 0; i < THREADS; i++) {
			struct referral_case r = { "", "sent", "kss", "north", "kss/crc", "X1" };
			char ref[16];

			snprintf(ref, sizeof(ref), "T%d", i);
			r.reference = ref;
			memset(&c[i], 0, sizeof(c[i]));
			c[i].s = i % 2 ? other : f->s;
			c[i].start = &start;
			c[i].doc = round ? docs_of(f, "{\"n\":1}") : referral_doc(f, &r);
			c[i].crn = round ? "X1" : NULL;
			pthread_create(&t[i], NULL, create_thread, &c[i]);
		}
		for (int i = 0; i < THREADS; i++)
			pthread_join(t[i], NULL);
		pthread_barrier_destroy(&start);
		for (int i = 0; i < THREADS; i++) {
			if (round == 0) {
				if (c[i].rc)
					fail_msg("create %d: %s: %s", i, rc_name(c[i].rc), c[i].e.msg);
				assert_int_equal(c[i].id, c[0].id);
				created += c[i].created;
			} else if (c[i].rc == RC_OK) {
				won++;
				assert_int_equal(c[i].version, 2);
			} else if (c[i].rc != RC_CONFLICT) {
				fail_msg("put %d: %s: %s", i, rc_name(c[i].rc), c[i].e.msg);
			}
		}
		assert_int_equal(round ? won : created, 1);
	}
	assert_int_equal(direct_int(f, "SELECT count(*) FROM referrals"), 1);
	assert_int_equal(direct_int(f, "SELECT count(*) FROM person_versions WHERE crn = 'X1'"), 2);
}

/* --- PostgreSQL only ---------------------------------------------------------- */

/* The server ends the store's sessions (a restart, a failover, an admin):
 * the next operations reset their connections and go on; a single write
 * finds its connection broken before it goes out and is done exactly once. */
static void test_pg_connection_loss(void **state)
{
	struct fixture *f = *state;
	struct err e = ERR_INIT;
	char sql[256];
	struct user u, got;
	json_t *docs = docs_of(f, D1);
	int added, v;

	add_user(f, "alice", &u);
	assert_rc(OP(f, catalogue_import, docs, "import", &added, &e), RC_OK);
	snprintf(sql, sizeof(sql), "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity"
		 " WHERE datname = '%s' AND pid <> pg_backend_pid()", f->dbname);
	struct audit_entry ae = { "alice", "connection_test", "store", "cli", "" };

	for (int round = 0; round < 4; round++) {
		assert_true(direct_int(f, sql) >= 1);
		usleep(100 * 1000); /* let the sessions end */
		switch (round) {
		case 0:
			assert_rc(OP(f, user_get, "alice", &got, &e), RC_OK);
			break;
		case 1:  /* a transaction */
			assert_rc(OP(f, service_edit, "kss/crc", 0, NULL, "suspended", "carol", "", &v, &e),
				  RC_OK);
			assert_int_equal(v, 2);
			break;
		case 2: /* one write outside a transaction */
			assert_rc(OP(f, audit, &ae, &e), RC_OK);
			assert_int_equal(direct_int(f, "SELECT count(*) FROM audit_log WHERE action = 'connection_test'"), 1);
			break;
		default:
			assert_rc(OP(f, ping, &e), RC_OK);
			assert_rc(OP(f, catalogue_import, docs, "import", &added, &e), RC_OK);
			assert_int_equal(added, 0);
		}
	}
}

static void test_pg_unreachable(void **state)
{
	struct fixture *f = *state;
	struct err e = ERR_INIT;
	struct store *s = (struct store *)&e; /* must be reset to NULL */

	assert_rc(store_open(&s, "postgresql://postgres@127.0.0.1:1/nothing?connect_timeout=3", &e),
		  RC_IO);
	assert_null(s);
	assert_non_null(strstr(e.msg, "connect"));
	(void)f;
}

/* Stands for the whole PostgreSQL run when RATECARD_TEST_PG does not answer. */
static char pg_unreachable_why[768];

static void test_pg_reachable(void **state)
{
	(void)state;
	fail_msg("RATECARD_TEST_PG is set but PostgreSQL does not answer: %s", pg_unreachable_why);
}

/* --- the suite ----------------------------------------------------------------- */

enum { ONLY_PG = 1, EMPTY = 2 /* not migrated by the setup */ };

static const struct store_case {
	const char *name;
	CMUnitTestFunction fn;
	int flags;
} cases[] = {
	{ "migrate_twice", test_migrate_twice, EMPTY },
	{ "migrate_concurrently", test_migrate_concurrently, EMPTY | ONLY_PG },
	{ "user_round_trip", test_user_round_trip, 0 },
	{ "user_duplicate", test_user_duplicate, 0 },
	{ "login_result", test_login_result, 0 },
	{ "sessions", test_sessions, 0 },
	{ "audit", test_audit, 0 },
	{ "catalogue_import", test_catalogue_import, 0 },
	{ "service_edit", test_service_edit, 0 },
	{ "service_history", test_service_history, 0 },
	{ "concurrent_edits", test_concurrent_edits, 0 },
	{ "two_servers", test_two_servers, 0 },
	{ "backup", test_backup, 0 },
	{ "people", test_people, 0 },
	{ "referral_create_get_update", test_referral_create_get_update, 0 },
	{ "referral_list", test_referral_list, 0 },
	{ "referral_write_extras", test_referral_write_extras, 0 },
	{ "idempotency_and_purge", test_idempotency_and_purge, 0 },
	{ "concurrent_referrals", test_concurrent_referrals, 0 },
	{ "connection_loss", test_pg_connection_loss, ONLY_PG },
	{ "unreachable", test_pg_unreachable, ONLY_PG },
};

#define N_CASES (sizeof(cases) / sizeof(cases[0]))

static size_t add_cases(struct CMUnitTest *tests, size_t n, struct backend *b,
			char (*names)[96])
{
	int pg = !strcmp(b->name, "postgresql");

	for (size_t i = 0; i < N_CASES; i++) {
		if ((cases[i].flags & ONLY_PG) && !pg)
			continue;
		snprintf(names[n], sizeof(names[n]), "%s: %s", b->name, cases[i].name);
		tests[n] = (struct CMUnitTest){ names[n], cases[i].fn,
			cases[i].flags & EMPTY ? setup_empty : setup_migrated, teardown, b };
		n++;
	}
	return n;
}

/* Whether the admin URL answers; why it does not in pg_unreachable_why. */
static int pg_answers(const char *url)
{
	PGconn *pg = pg_connect(url);
	int ok = PQstatus(pg) == CONNECTION_OK;

	if (!ok)
		snprintf(pg_unreachable_why, sizeof(pg_unreachable_why), "%s: %s", url,
			 PQerrorMessage(pg));
	PQfinish(pg);
	return ok;
}

int main(void)
{
	static struct backend sqlite = { "sqlite" }, pg = { "postgresql" };
	static struct CMUnitTest tests[2 * N_CASES + 1];
	static char names[2 * N_CASES + 1][96];
	const char *url = getenv("RATECARD_TEST_PG");
	char ran[64] = "sqlite";
	size_t n = 0;
	int failed;

	snprintf(sqlite.base, sizeof(sqlite.base), "%s/ratecard-store-XXXXXX",
		 getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp");
	if (!mkdtemp(sqlite.base)) {
		perror(sqlite.base);
		return 1;
	}
	sqlite_backend = &sqlite;
	n = add_cases(tests, n, &sqlite, names);
	if (url && *url) {
		snprintf(pg.base, sizeof(pg.base), "%s", url);
		if (pg_answers(url)) {
			n = add_cases(tests, n, &pg, names);
			snprintf(ran, sizeof(ran), "sqlite, postgresql");
		} else {
			tests[n++] = (struct CMUnitTest){ "postgresql: reachable", test_pg_reachable,
							  NULL, NULL, NULL };
			snprintf(ran, sizeof(ran), "sqlite (postgresql unreachable: FAILED)");
		}
	}
	failed = _cmocka_run_group_tests("store", tests, n, NULL, NULL);
	rmdir(sqlite.base);
	printf("store backends run: %s%s\n", ran,
	       url && *url ? "" : " (postgresql not run: set RATECARD_TEST_PG, see tests/pg.sh)");
	return failed ? 1 : 0;
}
