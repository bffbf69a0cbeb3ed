/*
 * store_pg.c - the PostgreSQL backend, for several servers on one database.
 *
 * Built like store_sqlite.c: a table of statements, numbered migrations and
 * a pool of connections. A pooled connection is opened when first needed and
 * prepares each statement on first use (named "rcN"); every value travels as
 * a parameter, never inside SQL text. Three decisions a reader must know:
 *
 *  - Every write to the catalogue first locks the one catalogue_state row
 *    (SELECT ... FOR UPDATE), so writers from any number of servers queue
 *    behind one another as SQLite's BEGIN IMMEDIATE makes them; under READ
 *    COMMITTED each later statement then sees the previous writer's rows, so
 *    no two edits compute the same next version (and should one ever try,
 *    the primary key refuses it and the caller gets RC_CONFLICT).
 *  - A connection found broken (a server restart, a terminated backend) is
 *    reset once and the operation tried once more: a read outside a
 *    transaction, a statement that never reached the server, or a whole
 *    transaction that had not yet sent COMMIT. A single write that went out,
 *    or a connection lost during COMMIT, is reported, never retried, since
 *    the change may already be saved.
 *  - Migrations run inside transactions holding a transaction-scoped
 *    advisory lock, so servers starting at once apply each migration once.
 */
#include <assert.h>
#include <libpq-fe.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include "store/store.h"
#include "store/store_int.h"

/* Two servers (2 x 8) plus tools and tests stay far below PostgreSQL's
 * default max_connections of 100; connections open only when needed. */
#define POOL_SIZE 8

/* pg_advisory_xact_lock key for migrations: "ratecard" in ASCII */
#define MIGRATION_LOCK "8241990519355273828"
/* first key of the idempotency locks (two-key form): "rc" */
#define IDEM_LOCK_CLASS "29283"

enum stmt_id {
	Q_USER_ADD, Q_USER_GET, Q_LOGIN_OK, Q_LOGIN_FAIL,
	Q_SESSION_ADD, Q_SESSION_USER, Q_SESSION_DELETE,
	Q_AUDIT, Q_AUDIT_LIST,
	Q_PROVIDER_UPSERT, Q_SERVICE_LATEST, Q_SERVICE_INSERT, Q_CURRENT, Q_PROVIDERS,
	Q_GENERATION, Q_LOCK_CATALOGUE, Q_BUMP, Q_HISTORY, Q_PING, Q_SERVICE_ORD,
	Q_PERSON_GET, Q_PERSON_INSERT, Q_PERSON_UPDATE, Q_PERSON_VERSION, Q_PERSON_HISTORY,
	Q_PERSON_OPEN,
	Q_REF_INSERT, Q_REF_GET, Q_REF_UPDATE, Q_REF_EXISTS,
	Q_REF_SETDOC, Q_IDEM_LOCK, Q_IDEM_GET, Q_IDEM_INSERT, Q_OUTBOX_INSERT, Q_OUTBOX_LIST,
	Q_DRAFTS_PURGE,
	Q_COUNT
};

static const char *const stmt_sql[Q_COUNT] = {
	[Q_USER_ADD] = "INSERT INTO users(username, role, provider, team, pwhash, created_at)"
		       " VALUES ($1, $2, $3, $4, $5, $6) RETURNING id",
	[Q_USER_GET] = "SELECT id, username, role, provider, team, pwhash, failed_logins, locked_until"
		       " FROM users WHERE username = $1",
	[Q_LOGIN_OK] = "UPDATE users SET failed_logins = 0, locked_until = 0 WHERE id = $1",
	[Q_LOGIN_FAIL] = "UPDATE users SET failed_logins = failed_logins + 1, locked_until ="
			 " CASE WHEN $2::bigint > 0 THEN $2::bigint ELSE locked_until END WHERE id = $1",
	[Q_SESSION_ADD] = "INSERT INTO sessions(token_hash, user_id, created_at, expires_at)"
			  " VALUES ($1, $2, $3, $4)",
	[Q_SESSION_USER] = "SELECT u.id, u.username, u.role, u.provider, u.team, '', u.failed_logins,"
			   " u.locked_until FROM sessions s JOIN users u ON u.id = s.user_id"
			   " WHERE s.token_hash = $1 AND s.expires_at > $2",
	[Q_SESSION_DELETE] = "DELETE FROM sessions WHERE token_hash = $1",
	[Q_AUDIT] = "INSERT INTO audit_log(at, actor, action, object, address, detail)"
		    " VALUES ($1, $2, $3, $4, $5, $6)",
	/* LIMIT NULL is no limit, as SQLite's LIMIT -1 */
	[Q_AUDIT_LIST] = "SELECT id, at, actor, action, object, address, detail FROM audit_log"
			 " ORDER BY id DESC LIMIT $1::bigint",
	[Q_PROVIDER_UPSERT] = "INSERT INTO providers(id, ord, data) VALUES ($1, $2, $3)"
			      " ON CONFLICT (id) DO UPDATE SET ord = excluded.ord, data = excluded.data",
	[Q_SERVICE_LATEST] = "SELECT version, status, data FROM service_versions WHERE service_id = $1"
			     " ORDER BY version DESC LIMIT 1",
	[Q_SERVICE_INSERT] = "INSERT INTO service_versions(service_id, version, provider_id, ord, status,"
			     " data, created_at, created_by, note) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
	[Q_CURRENT] = "SELECT sv.provider_id, sv.status, sv.version, sv.data FROM service_versions sv"
		      " JOIN providers p ON p.id = sv.provider_id"
		      " WHERE sv.version = (SELECT max(version) FROM service_versions x"
		      "                     WHERE x.service_id = sv.service_id)"
		      " ORDER BY p.ord, sv.ord",
	[Q_PROVIDERS] = "SELECT id, data FROM providers ORDER BY ord",
	[Q_GENERATION] = "SELECT generation FROM catalogue_state WHERE id = 1",
	[Q_LOCK_CATALOGUE] = "SELECT generation FROM catalogue_state WHERE id = 1 FOR UPDATE",
	[Q_BUMP] = "UPDATE catalogue_state SET generation = generation + 1 WHERE id = 1",
	[Q_HISTORY] = "SELECT version, status, created_at, created_by, note, data FROM service_versions"
		      " WHERE service_id = $1 ORDER BY version",
	[Q_PING] = "SELECT 1",
	[Q_SERVICE_ORD] = "SELECT ord FROM service_versions WHERE service_id = $1 AND version = 1",
	[Q_PERSON_GET] = "SELECT doc, version FROM people WHERE crn = $1",
	[Q_PERSON_INSERT] = "INSERT INTO people(crn, version, doc, updated_at, updated_by)"
			    " VALUES ($1, 1, $2, $3, $4)",
	/* a concurrent update waits for the row, then finds the version moved on */
	[Q_PERSON_UPDATE] = "UPDATE people SET version = version + 1, doc = $2, updated_at = $3,"
			    " updated_by = $4 WHERE crn = $1 AND version = $5",
	[Q_PERSON_VERSION] = "INSERT INTO person_versions(crn, version, doc, at, \"by\")"
			     " SELECT crn, version, doc, updated_at, updated_by FROM people WHERE crn = $1",
	[Q_PERSON_OPEN] = "INSERT INTO people(crn, version, doc, updated_at, updated_by)"
			  " VALUES ($1, 1, $2, $3, $4) ON CONFLICT (crn) DO NOTHING",
	[Q_PERSON_HISTORY] = "SELECT version, at, \"by\", doc FROM person_versions WHERE crn = $1"
			     " ORDER BY version",
	[Q_REF_INSERT] = "INSERT INTO referrals(reference, urn, version, status, provider_id, service_id,"
			 " team, crn, created_by, created_at, updated_at, doc)"
			 " VALUES ($1, $2, 1, $3, $4, $5, $6, $7, $8, $9, $9, $10) RETURNING id",
	[Q_REF_GET] = "SELECT doc, version FROM referrals WHERE id = $1",
	[Q_REF_UPDATE] = "UPDATE referrals SET version = version + 1, status = $3, updated_at = $4,"
			 " doc = $5 WHERE id = $1 AND version = $2",
	[Q_REF_EXISTS] = "SELECT version FROM referrals WHERE id = $1",
	[Q_REF_SETDOC] = "UPDATE referrals SET doc = $2 WHERE id = $1",
	/* one creator's key at a time, across servers, so a repeat finds the
	 * first (the two-key form is a lock space apart from the migrations') */
	[Q_IDEM_LOCK] = "SELECT pg_advisory_xact_lock(" IDEM_LOCK_CLASS ", hashtext($1 || chr(10) || $2))",
	[Q_IDEM_GET] = "SELECT referral_id FROM idempotency_keys WHERE scope = $1 AND key = $2",
	[Q_IDEM_INSERT] = "INSERT INTO idempotency_keys(scope, key, referral_id, created_at)"
			  " VALUES ($1, $2, $3, $4)",
	[Q_OUTBOX_INSERT] = "INSERT INTO outbox(referral_id, recipient_kind, recipient, kind, payload,"
			    " created_at) VALUES ($1, $2, $3, $4, $5, $6)",
	[Q_OUTBOX_LIST] = "SELECT id, referral_id, kind, payload, created_at FROM outbox"
			  " WHERE recipient_kind = $1 AND recipient = $2 ORDER BY id DESC LIMIT $3::bigint",
	[Q_DRAFTS_PURGE] = "DELETE FROM referrals WHERE status = 'draft' AND updated_at < $1",
};

/* Numbered migrations, applied in order, each in its own transaction; one
 * string per statement (PQexecParams runs one at a time). The tables and
 * columns are SQLite's migration of the same number. */
static const char *const migration_1[] = {
	/* users, sessions, the audit log, the versioned catalogue */
	"CREATE TABLE users("
	"  id BIGSERIAL PRIMARY KEY, username TEXT NOT NULL UNIQUE, role TEXT NOT NULL,"
	"  provider TEXT NOT NULL DEFAULT '', team TEXT NOT NULL DEFAULT '', pwhash TEXT NOT NULL,"
	"  failed_logins INTEGER NOT NULL DEFAULT 0, locked_until BIGINT NOT NULL DEFAULT 0,"
	"  created_at BIGINT NOT NULL)",
	"CREATE TABLE sessions("
	"  token_hash TEXT PRIMARY KEY, user_id BIGINT NOT NULL REFERENCES users(id),"
	"  created_at BIGINT NOT NULL, expires_at BIGINT NOT NULL)",
	"CREATE INDEX sessions_expiry ON sessions(expires_at)",
	"CREATE TABLE audit_log("
	"  id BIGSERIAL PRIMARY KEY, at BIGINT NOT NULL, actor TEXT NOT NULL, action TEXT NOT NULL,"
	"  object TEXT NOT NULL, address TEXT NOT NULL, detail TEXT NOT NULL)",
	/* a statement trigger, so even an UPDATE or DELETE matching no row is refused */
	"CREATE FUNCTION audit_log_append_only() RETURNS trigger LANGUAGE plpgsql AS"
	"  $$ BEGIN RAISE EXCEPTION 'the audit log is append-only'; END $$",
	"CREATE TRIGGER audit_log_append_only BEFORE UPDATE OR DELETE OR TRUNCATE ON audit_log"
	"  FOR EACH STATEMENT EXECUTE FUNCTION audit_log_append_only()",
	"CREATE TABLE providers(id TEXT PRIMARY KEY, ord INTEGER NOT NULL, data TEXT NOT NULL)",
	"CREATE TABLE service_versions("
	"  service_id TEXT NOT NULL, version INTEGER NOT NULL,"
	"  provider_id TEXT NOT NULL REFERENCES providers(id), ord INTEGER NOT NULL,"
	"  status TEXT NOT NULL CHECK (status IN ('active', 'suspended')), data TEXT NOT NULL,"
	"  created_at BIGINT NOT NULL, created_by TEXT NOT NULL, note TEXT NOT NULL DEFAULT '',"
	"  PRIMARY KEY (service_id, version))",
	"CREATE TABLE catalogue_state(id INTEGER PRIMARY KEY CHECK (id = 1),"
	"  generation BIGINT NOT NULL)",
	"INSERT INTO catalogue_state VALUES (1, 0)",
	NULL
};

static const char *const migration_2[] = {
	/* people, referrals (documents with a version), idempotency keys, outbox;
	 * "by" is a reserved word here, so quoted */
	"CREATE TABLE people("
	"  crn TEXT PRIMARY KEY, version INTEGER NOT NULL, doc TEXT NOT NULL,"
	"  updated_at BIGINT NOT NULL, updated_by TEXT NOT NULL)",
	"CREATE TABLE person_versions("
	"  crn TEXT NOT NULL REFERENCES people(crn), version INTEGER NOT NULL, doc TEXT NOT NULL,"
	"  at BIGINT NOT NULL, \"by\" TEXT NOT NULL, PRIMARY KEY (crn, version))",
	"CREATE TABLE referrals("
	"  id BIGSERIAL PRIMARY KEY, reference TEXT NOT NULL UNIQUE, urn TEXT NOT NULL UNIQUE,"
	"  version INTEGER NOT NULL, status TEXT NOT NULL, provider_id TEXT NOT NULL,"
	"  service_id TEXT NOT NULL, team TEXT NOT NULL, crn TEXT NOT NULL, created_by TEXT NOT NULL,"
	"  created_at BIGINT NOT NULL, updated_at BIGINT NOT NULL, doc TEXT NOT NULL)",
	"CREATE INDEX referrals_provider ON referrals(provider_id, status, created_at)",
	"CREATE INDEX referrals_team ON referrals(team, status, created_at)",
	"CREATE INDEX referrals_crn ON referrals(crn)",
	"CREATE INDEX referrals_drafts ON referrals(status, updated_at)",
	"CREATE TABLE idempotency_keys("
	"  scope TEXT NOT NULL, key TEXT NOT NULL,"
	"  referral_id BIGINT NOT NULL REFERENCES referrals(id) ON DELETE CASCADE,"
	"  created_at BIGINT NOT NULL, PRIMARY KEY (scope, key))",
	"CREATE TABLE outbox("
	"  id BIGSERIAL PRIMARY KEY, referral_id BIGINT REFERENCES referrals(id) ON DELETE CASCADE,"
	"  recipient_kind TEXT NOT NULL, recipient TEXT NOT NULL, kind TEXT NOT NULL,"
	"  payload TEXT NOT NULL, created_at BIGINT NOT NULL)",
	"CREATE INDEX outbox_recipient ON outbox(recipient_kind, recipient, id)",
	NULL
};

static const char *const migration_3[] = {
	/* a person's referrals by status, newest first (as store_sqlite.c's 3) */
	"CREATE INDEX referrals_person ON referrals(crn, status, created_at)",
	"DROP INDEX referrals_crn",
	NULL
};

static const char *const migration_4[] = {
	/* fewer index entries to move on a status change (as store_sqlite.c's 4) */
	"DROP INDEX referrals_drafts",
	"CREATE INDEX referrals_drafts ON referrals(updated_at) WHERE status = 'draft'",
	"DROP INDEX referrals_person",
	"CREATE INDEX referrals_crn ON referrals(crn)",
	NULL
};

static const char *const *const migrations[] = { migration_1, migration_2, migration_3, migration_4 };

#define N_MIGRATIONS ((int)(sizeof(migrations) / sizeof(migrations[0])))

struct conn {
	PGconn *pg;                       /* NULL until first needed */
	unsigned char prepared[Q_COUNT];  /* statement prepared on this session */
	unsigned char listed[STORE_LIST_SHAPES]; /* referral listing of that shape prepared */
	int busy;
	int commit_sent;                  /* the open transaction's COMMIT went out */
	char sqlstate[6];                 /* of the last failed statement, or "" */
};

struct pg_store {
	struct store base;
	char url[1024];
	struct conn pool[POOL_SIZE];
	pthread_mutex_t lock;
	pthread_cond_t free_conn;
};

/* Copy libpq's message, its lines joined and trailing blanks dropped. */
static void one_line(char *out, size_t len, const char *msg)
{
	size_t n = 0;

	for (; *msg && n + 1 < len; msg++)
		out[n++] = *msg == '\n' || *msg == '\t' ? ' ' : *msg;
	while (n && out[n - 1] == ' ')
		n--;
	out[n] = '\0';
}

/* RC_IO with the server's (or libpq's) message; r may be NULL. */
static enum rc db_error(struct err *e, const struct conn *c, const PGresult *r, const char *what)
{
	const char *msg = r ? PQresultErrorField(r, PG_DIAG_MESSAGE_PRIMARY) : NULL;
	char text[300];

	if (!msg)
		msg = c->pg ? PQerrorMessage(c->pg) : "no connection";
	one_line(text, sizeof(text), msg);
	return err_set(e, RC_IO, "database", "%s: %s", what, text);
}

/* The status of a finished statement: RC_OK, RC_CONFLICT for an integrity
 * violation (class 23, as SQLite's SQLITE_CONSTRAINT) or a serialization
 * failure (class 40), else RC_IO. Records the SQLSTATE in c. */
static enum rc result_rc(struct conn *c, const PGresult *r, const char *what, struct err *e)
{
	ExecStatusType st = r ? PQresultStatus(r) : PGRES_FATAL_ERROR;
	const char *state;

	c->sqlstate[0] = '\0';
	if (st == PGRES_COMMAND_OK || st == PGRES_TUPLES_OK)
		return RC_OK;
	state = r ? PQresultErrorField(r, PG_DIAG_SQLSTATE) : NULL;
	if (state)
		snprintf(c->sqlstate, sizeof(c->sqlstate), "%s", state);
	if (state && (!strncmp(state, "23", 2) || !strncmp(state, "40", 2))) {
		char text[300];

		one_line(text, sizeof(text), PQresultErrorField(r, PG_DIAG_MESSAGE_PRIMARY));
		return err_set(e, RC_CONFLICT, "", "%s", text);
	}
	return db_error(e, c, r, what);
}

/* Notices (such as "already exists, skipping") are dropped; warnings go to
 * stderr, where the server's operator looks. */
static void on_notice(void *arg, const PGresult *r)
{
	const char *sev = PQresultErrorField(r, PG_DIAG_SEVERITY_NONLOCALIZED);

	(void)arg;
	if (sev && !strcmp(sev, "WARNING"))
		fprintf(stderr, "ratecard: postgresql: %s", PQresultErrorMessage(r));
}

static enum rc connect_conn(struct pg_store *ps, struct conn *c, struct err *e)
{
	/* Entries before "dbname" are defaults the URL may override. A lock
	 * waited for over 10 s fails the statement (RC_IO), as SQLite's busy
	 * timeout does. GSSAPI encryption is off unless asked for: trying it
	 * makes libkrb5 call its profile_clear(), which src/profile's
	 * function of the same name overrides in our binary: a crash. */
	static const char *const keys[] = { "connect_timeout", "application_name", "gssencmode",
					    "options", "dbname", NULL };
	const char *values[] = { "10", "ratecard", "disable", "-c lock_timeout=10s", ps->url, NULL };
	enum rc rc;

	memset(c->prepared, 0, sizeof(c->prepared));
	memset(c->listed, 0, sizeof(c->listed));
	c->pg = PQconnectdbParams(keys, values, 1);
	if (!c->pg)
		return err_set(e, RC_NOMEM, "", "out of memory");
	if (PQstatus(c->pg) != CONNECTION_OK) {
		rc = db_error(e, c, NULL, "connecting to PostgreSQL");
		PQfinish(c->pg);
		c->pg = NULL;
		return rc;
	}
	PQsetNoticeReceiver(c->pg, on_notice, NULL);
	return RC_OK;
}

/* After a failure: when the connection is broken, reset it (once) and say
 * whether it works again, so the caller may try once more. */
static int reconnected(struct conn *c)
{
	if (!c->pg || PQstatus(c->pg) != CONNECTION_BAD)
		return 0;
	PQreset(c->pg);
	memset(c->prepared, 0, sizeof(c->prepared));
	memset(c->listed, 0, sizeof(c->listed));
	return PQstatus(c->pg) == CONNECTION_OK;
}

static void give_back(struct pg_store *ps, struct conn *c)
{
	/* every operation ends its transaction, whatever happened */
	assert(!c->pg || PQtransactionStatus(c->pg) == PQTRANS_IDLE ||
	       PQtransactionStatus(c->pg) == PQTRANS_UNKNOWN);
	pthread_mutex_lock(&ps->lock);
	c->busy = 0;
	pthread_cond_signal(&ps->free_conn);
	pthread_mutex_unlock(&ps->lock);
}

/* A free connection, preferring one already open; opened if need be. A
 * connection the server closed while it sat in the pool (PQconsumeInput
 * reads the end of file) is reset before any statement runs on it. */
static enum rc borrow(struct pg_store *ps, struct conn **out, struct err *e)
{
	struct conn *c = NULL;
	enum rc rc;

	pthread_mutex_lock(&ps->lock);
	for (;;) {
		for (int i = 0; i < POOL_SIZE && !c; i++)
			if (!ps->pool[i].busy && ps->pool[i].pg)
				c = &ps->pool[i];
		for (int i = 0; i < POOL_SIZE && !c; i++)
			if (!ps->pool[i].busy)
				c = &ps->pool[i];
		if (c)
			break;
		pthread_cond_wait(&ps->free_conn, &ps->lock);
	}
	c->busy = 1;
	pthread_mutex_unlock(&ps->lock);
	if (c->pg && (!PQconsumeInput(c->pg) || PQstatus(c->pg) == CONNECTION_BAD))
		reconnected(c); /* if it fails, the first statement says why */
	if (!c->pg && (rc = connect_conn(ps, c, e))) {
		give_back(ps, c);
		return rc;
	}
	*out = c;
	return RC_OK;
}

static int in_transaction(const struct conn *c)
{
	PGTransactionStatusType t = PQtransactionStatus(c->pg);

	return t == PQTRANS_INTRANS || t == PQTRANS_INERROR || t == PQTRANS_ACTIVE;
}

/* Run one SQL statement that is not in the table (transaction control,
 * migrations), with parameters. *out, when given, receives the result. */
static enum rc exec_params(struct conn *c, const char *sql, int n, const char *const *params,
			   PGresult **out, struct err *e)
{
	PGresult *r = PQexecParams(c->pg, sql, n, NULL, params, NULL, NULL, 0);
	enum rc rc = result_rc(c, r, "running SQL", e);

	if (out && !rc)
		*out = r;
	else
		PQclear(r);
	return rc;
}

/* Prepare sql as name on c's session unless *prepared says it is. */
static enum rc prepare(struct conn *c, const char *name, const char *sql, unsigned char *prepared,
		       struct err *e)
{
	PGresult *r;
	enum rc rc;

	if (*prepared)
		return RC_OK;
	r = PQprepare(c->pg, name, sql, 0, NULL);
	rc = result_rc(c, r, "preparing a statement", e);
	PQclear(r);
	*prepared = !rc;
	return rc;
}

/* A statement that only reads: running it twice changes nothing. */
static int reads_only(const char *sql)
{
	while (*sql == ' ' || *sql == '\n' || *sql == '\t' || *sql == '(')
		sql++;
	return !strncasecmp(sql, "SELECT", 6);
}

/* Run prepared statement name (sql, prepared on first use) with text
 * parameters (NULL is SQL NULL). On success *out, when given, holds the
 * result for the caller to PQclear. Outside a transaction a statement that
 * failed on a broken connection runs once more on the reset connection when
 * that cannot do it twice: it only reads, or it never left (the connection
 * broke while preparing it). */
static enum rc run_named(struct conn *c, const char *name, const char *sql, unsigned char *prepared,
			 int n, const char *const *params, PGresult **out, struct err *e)
{
	int retry = !in_transaction(c), sent;
	PGresult *r = NULL;
	enum rc rc;

	for (;;) {
		sent = 0;
		rc = prepare(c, name, sql, prepared, e);
		if (!rc) {
			sent = 1;
			r = PQexecPrepared(c->pg, name, n, params, NULL, NULL, 0);
			rc = result_rc(c, r, "running a statement", e);
		}
		if (rc != RC_IO || !retry-- || (sent && !reads_only(sql)) || !reconnected(c))
			break;
		PQclear(r);
		r = NULL;
	}
	if (out && !rc)
		*out = r;
	else
		PQclear(r);
	return rc;
}

/* Run statement q of the table, as run_named. */
static enum rc run(struct conn *c, enum stmt_id q, int n, const char *const *params,
		   PGresult **out, struct err *e)
{
	char name[16];

	snprintf(name, sizeof(name), "rc%d", (int)q);
	return run_named(c, name, stmt_sql[q], &c->prepared[q], n, params, out, e);
}

static enum rc begin(struct conn *c, const char *sql, struct err *e)
{
	c->commit_sent = 0;
	return exec_params(c, sql, 0, NULL, NULL, e);
}

static enum rc commit(struct conn *c, struct err *e)
{
	enum rc rc;

	c->commit_sent = 1;
	rc = exec_params(c, "COMMIT", 0, NULL, NULL, e);
	if (rc && PQstatus(c->pg) == CONNECTION_BAD) {
		char why[300];

		one_line(why, sizeof(why), PQerrorMessage(c->pg));
		err_set(e, RC_IO, "database", "the connection was lost while committing; the change "
			"may or may not have been saved: %s", why);
	}
	return rc;
}

static void rollback(struct conn *c)
{
	if (in_transaction(c))
		exec_params(c, "ROLLBACK", 0, NULL, NULL, NULL);
}

/* Whether a transaction that failed with rc may run once more: the
 * connection broke before COMMIT went out and has been reset. */
static int retry_transaction(struct conn *c, enum rc rc)
{
	return rc == RC_IO && !c->commit_sent && reconnected(c);
}

static const char *num(char buf[24], long long v)
{
	snprintf(buf, 24, "%lld", v);
	return buf;
}

static long long col_int(const PGresult *r, int row, int col)
{
	return strtoll(PQgetvalue(r, row, col), NULL, 10);
}

static void col_text(const PGresult *r, int row, int col, char *out, size_t len)
{
	snprintf(out, len, "%s", PQgetvalue(r, row, col));
}

static enum rc pg_open(struct store **out, const char *url, struct err *e)
{
	struct pg_store *ps;
	enum rc rc;

	*out = NULL;
	if (strlen(url) >= sizeof(ps->url))
		return err_set(e, RC_BAD_INPUT, "url", "the database URL is too long");
	if (!(ps = calloc(1, sizeof(*ps))))
		return err_set(e, RC_NOMEM, "", "out of memory");
	ps->base.ops = &store_pg_ops;
	snprintf(ps->url, sizeof(ps->url), "%s", url);
	pthread_mutex_init(&ps->lock, NULL);
	pthread_cond_init(&ps->free_conn, NULL);
	/* one connection now, so a wrong URL or a server that is down shows at
	 * start; the others open when concurrency needs them */
	if ((rc = connect_conn(ps, &ps->pool[0], e))) {
		store_pg_ops.close(&ps->base);
		return rc;
	}
	*out = &ps->base;
	return RC_OK;
}

static void pg_close(struct store *s)
{
	struct pg_store *ps = (struct pg_store *)s;

	for (int i = 0; i < POOL_SIZE; i++)
		if (ps->pool[i].pg)
			PQfinish(ps->pool[i].pg);
	pthread_mutex_destroy(&ps->lock);
	pthread_cond_destroy(&ps->free_conn);
	free(ps);
}

/* Apply the next migration not yet applied, if any (*done when none is
 * left). The advisory lock makes a second server wait here, then see the
 * migration done; safe to run again after any failure. */
static enum rc migrate_next(struct conn *c, int *done, struct err *e)
{
	char v[24], now[24];
	const char *params[2];
	PGresult *r = NULL;
	enum rc rc;
	int have;

	*done = 0;
	if ((rc = begin(c, "BEGIN", e)))
		return rc;
	params[0] = MIGRATION_LOCK;
	if ((rc = exec_params(c, "SELECT pg_advisory_xact_lock($1::bigint)", 1, params, NULL, e)) ||
	    (rc = exec_params(c, "CREATE TABLE IF NOT EXISTS schema_migrations("
			      "version INTEGER PRIMARY KEY, applied_at BIGINT NOT NULL)", 0, NULL, NULL, e)) ||
	    (rc = exec_params(c, "SELECT coalesce(max(version), 0) FROM schema_migrations", 0, NULL,
			      &r, e)))
		goto rollback;
	have = (int)col_int(r, 0, 0);
	PQclear(r);
	if (have >= N_MIGRATIONS) {
		*done = 1;
		return commit(c, e);
	}
	for (const char *const *sql = migrations[have]; *sql; sql++) {
		if ((rc = exec_params(c, *sql, 0, NULL, NULL, e))) {
			char why[sizeof(e->msg)];

			snprintf(why, sizeof(why), "%s", e ? e->msg : "");
			err_set(e, rc, "database", "migration %d: %s", have + 1, why);
			goto rollback;
		}
	}
	params[0] = num(v, have + 1);
	params[1] = num(now, (long long)time(NULL));
	if ((rc = exec_params(c, "INSERT INTO schema_migrations VALUES ($1, $2)", 2, params, NULL, e)))
		goto rollback;
	return commit(c, e);
rollback:
	rollback(c);
	return rc;
}

static enum rc pg_migrate(struct store *s, struct err *e)
{
	struct pg_store *ps = (struct pg_store *)s;
	struct conn *c;
	enum rc rc = borrow(ps, &c, e);
	int done = 0, retried = 0;

	if (rc)
		return rc;
	while (!done) {
		rc = migrate_next(c, &done, e);
		/* re-reading the applied versions makes even a lost COMMIT safe to retry */
		if (rc == RC_IO && !retried++ && reconnected(c))
			continue;
		if (rc)
			break;
	}
	give_back(ps, c);
	return rc;
}

static enum rc pg_ping(struct store *s, struct err *e)
{
	struct pg_store *ps = (struct pg_store *)s;
	struct conn *c;
	enum rc rc = borrow(ps, &c, e);

	if (rc)
		return rc;
	rc = run(c, Q_PING, 0, NULL, NULL, e);
	give_back(ps, c);
	return rc;
}

static enum rc pg_user_add(struct store *s, struct user *u, struct err *e)
{
	struct pg_store *ps = (struct pg_store *)s;
	char now[24];
	const char *params[] = { u->username, role_name(u->role), u->provider, u->team, u->pwhash,
				 num(now, (long long)time(NULL)) };
	PGresult *r;
	struct conn *c;
	enum rc rc = borrow(ps, &c, e);

	if (rc)
		return rc;
	rc = run(c, Q_USER_ADD, 6, params, &r, e);
	if (rc == RC_CONFLICT)
		err_set(e, RC_CONFLICT, "username", "'%s' is already taken", u->username);
	if (!rc) {
		u->id = col_int(r, 0, 0);
		PQclear(r);
	}
	give_back(ps, c);
	return rc;
}

static void read_user(const PGresult *r, struct user *u)
{
	char role[32];

	memset(u, 0, sizeof(*u));
	u->id = col_int(r, 0, 0);
	col_text(r, 0, 1, u->username, sizeof(u->username));
	col_text(r, 0, 2, role, sizeof(role));
	u->role = (enum role)role_parse(role);
	col_text(r, 0, 3, u->provider, sizeof(u->provider));
	col_text(r, 0, 4, u->team, sizeof(u->team));
	col_text(r, 0, 5, u->pwhash, sizeof(u->pwhash));
	u->failed_logins = (int)col_int(r, 0, 6);
	u->locked_until = col_int(r, 0, 7);
}

static enum rc query_user(struct store *s, enum stmt_id q, const char *key, int64_t now,
			  struct user *out, struct err *e)
{
	struct pg_store *ps = (struct pg_store *)s;
	char t[24];
	const char *params[] = { key, num(t, (long long)now) };
	PGresult *r;
	struct conn *c;
	enum rc rc = borrow(ps, &c, e);

	if (rc)
		return rc;
	rc = run(c, q, q == Q_SESSION_USER ? 2 : 1, params, &r, e);
	if (!rc) {
		if (PQntuples(r) > 0)
			read_user(r, out);
		else
			rc = RC_NOT_FOUND;
		PQclear(r);
	}
	give_back(ps, c);
	return rc;
}

static enum rc pg_user_get(struct store *s, const char *username, struct user *out, struct err *e)
{
	return query_user(s, Q_USER_GET, username, 0, out, e);
}

static enum rc pg_session_user(struct store *s, const char *token_hash, int64_t now,
			       struct user *out, struct err *e)
{
	return query_user(s, Q_SESSION_USER, token_hash, now, out, e);
}

static enum rc pg_user_login_result(struct store *s, int64_t user_id, int success,
				    int64_t locked_until, struct err *e)
{
	struct pg_store *ps = (struct pg_store *)s;
	char id[24], until[24];
	const char *params[] = { num(id, (long long)user_id), num(until, (long long)locked_until) };
	struct conn *c;
	enum rc rc = borrow(ps, &c, e);

	if (rc)
		return rc;
	rc = run(c, success ? Q_LOGIN_OK : Q_LOGIN_FAIL, success ? 1 : 2, params, NULL, e);
	give_back(ps, c);
	return rc;
}

static enum rc pg_session_add(struct store *s, const char *token_hash, int64_t user_id,
			      int64_t expires_at, struct err *e)
{
	struct pg_store *ps = (struct pg_store *)s;
	char id[24], now[24], exp[24];
	const char *params[] = { token_hash, num(id, (long long)user_id),
				 num(now, (long long)time(NULL)), num(exp, (long long)expires_at) };
	struct conn *c;
	enum rc rc = borrow(ps, &c, e);

	if (rc)
		return rc;
	rc = run(c, Q_SESSION_ADD, 4, params, NULL, e);
	give_back(ps, c);
	return rc;
}

static enum rc pg_session_delete(struct store *s, const char *token_hash, struct err *e)
{
	struct pg_store *ps = (struct pg_store *)s;
	const char *params[] = { token_hash };
	PGresult *r;
	struct conn *c;
	enum rc rc = borrow(ps, &c, e);

	if (rc)
		return rc;
	rc = run(c, Q_SESSION_DELETE, 1, params, &r, e);
	if (!rc) {
		if (!strcmp(PQcmdTuples(r), "0"))
			rc = RC_NOT_FOUND;
		PQclear(r);
	}
	give_back(ps, c);
	return rc;
}

static enum rc pg_audit(struct store *s, const struct audit_entry *a, struct err *e)
{
	struct pg_store *ps = (struct pg_store *)s;
	char now[24];
	const char *params[] = { num(now, (long long)time(NULL)), a->actor ? a->actor : "", a->action,
				 a->object ? a->object : "", a->address ? a->address : "",
				 a->detail ? a->detail : "" };
	struct conn *c;
	enum rc rc = borrow(ps, &c, e);

	if (rc)
		return rc;
	rc = run(c, Q_AUDIT, 6, params, NULL, e);
	give_back(ps, c);
	return rc;
}

static enum rc pg_audit_list(struct store *s, int limit, json_t **out, struct err *e)
{
	struct pg_store *ps = (struct pg_store *)s;
	char n[24];
	const char *params[] = { limit >= 0 ? num(n, limit) : NULL };
	PGresult *r;
	struct conn *c;
	enum rc rc;

	*out = json_array();
	if ((rc = borrow(ps, &c, e)))
		return rc;
	rc = run(c, Q_AUDIT_LIST, 1, params, &r, e);
	if (!rc) {
		for (int i = 0; i < PQntuples(r); i++)
			json_array_append_new(*out, json_pack("{s:I,s:I,s:s,s:s,s:s,s:s,s:s}",
				"id", (json_int_t)col_int(r, i, 0),
				"at", (json_int_t)col_int(r, i, 1),
				"actor", PQgetvalue(r, i, 2),
				"action", PQgetvalue(r, i, 3),
				"object", PQgetvalue(r, i, 4),
				"address", PQgetvalue(r, i, 5),
				"detail", PQgetvalue(r, i, 6)));
		PQclear(r);
	}
	give_back(ps, c);
	return rc;
}

/* Insert version `version` of a service. */
static enum rc insert_version(struct conn *c, const char *sid, int version, const char *provider,
			      int ord, const char *status, const char *data, const char *by,
			      const char *note, struct err *e)
{
	char v[24], o[24], now[24];
	const char *params[] = { sid, num(v, version), provider, num(o, ord), status, data,
				 num(now, (long long)time(NULL)), by, note ? note : "" };

	return run(c, Q_SERVICE_INSERT, 9, params, NULL, e);
}

/* The newest version of a service: its number, status and data text (0 and
 * NULL when there is none). *data is malloc'd. */
static enum rc latest(struct conn *c, const char *sid, int *version, char *status, size_t slen,
		      char **data, struct err *e)
{
	const char *params[] = { sid };
	PGresult *r;
	enum rc rc;

	*version = 0;
	*data = NULL;
	if ((rc = run(c, Q_SERVICE_LATEST, 1, params, &r, e)))
		return rc;
	if (PQntuples(r) > 0) {
		*version = (int)col_int(r, 0, 0);
		col_text(r, 0, 1, status, slen);
		if (!(*data = strdup(PQgetvalue(r, 0, 2))))
			rc = err_set(e, RC_NOMEM, "", "out of memory");
	}
	PQclear(r);
	return rc;
}

/* Store one provider document's provider row and changed services. */
static enum rc import_doc(struct conn *c, json_t *doc, int i, const char *by, int *added,
			  struct err *e)
{
	json_t *prov = json_object_get(doc, "provider"), *svc;
	const char *pid = json_string_value(json_object_get(prov, "id"));
	char o[24], *pdata;
	const char *params[3];
	enum rc rc;
	size_t j;

	if (!pid)
		return err_set(e, RC_BAD_INPUT, "provider.id", "a provider document has no id");
	if (!(pdata = json_dumps(prov, JSON_COMPACT | JSON_SORT_KEYS)))
		return err_set(e, RC_NOMEM, "", "out of memory");
	params[0] = pid;
	params[1] = num(o, i);
	params[2] = pdata;
	rc = run(c, Q_PROVIDER_UPSERT, 3, params, NULL, e);
	free(pdata);
	json_array_foreach(json_object_get(doc, "services"), j, svc) {
		const char *id = json_string_value(json_object_get(svc, "id"));
		char sid[160], status[16] = "active", *old = NULL, *data;
		int version;

		if (rc)
			break;
		if (!id)
			return err_set(e, RC_BAD_INPUT, "services.id", "a service of '%s' has no id", pid);
		snprintf(sid, sizeof(sid), "%s/%s", pid, id);
		if (!(data = json_dumps(svc, JSON_COMPACT | JSON_SORT_KEYS)))
			return err_set(e, RC_NOMEM, "", "out of memory");
		rc = latest(c, sid, &version, status, sizeof(status), &old, e);
		if (!rc && (!old || strcmp(old, data))) {
			rc = insert_version(c, sid, version + 1, pid, (int)j, status, data, by,
					    version ? "re-imported from the catalogue files"
					    : "imported from the catalogue files", e);
			(*added)++;
		}
		free(old);
		free(data);
	}
	return rc;
}

static enum rc import_tx(struct conn *c, json_t *docs, const char *by, int *added, struct err *e)
{
	size_t i;
	json_t *doc;
	enum rc rc;

	*added = 0;
	if ((rc = begin(c, "BEGIN", e)))
		return rc;
	if ((rc = run(c, Q_LOCK_CATALOGUE, 0, NULL, NULL, e)))
		goto rollback;
	json_array_foreach(docs, i, doc)
		if ((rc = import_doc(c, doc, (int)i, by, added, e)))
			goto rollback;
	if (*added && (rc = run(c, Q_BUMP, 0, NULL, NULL, e)))
		goto rollback;
	return commit(c, e);
rollback:
	rollback(c);
	*added = 0;
	return rc;
}

static enum rc pg_catalogue_import(struct store *s, json_t *docs, const char *by, int *added,
				   struct err *e)
{
	struct pg_store *ps = (struct pg_store *)s;
	struct conn *c;
	enum rc rc;

	*added = 0;
	if ((rc = borrow(ps, &c, e)))
		return rc;
	rc = import_tx(c, docs, by, added, e);
	if (retry_transaction(c, rc))
		rc = import_tx(c, docs, by, added, e);
	give_back(ps, c);
	return rc;
}

static enum rc read_generation(struct conn *c, int64_t *gen, struct err *e)
{
	PGresult *r;
	enum rc rc = run(c, Q_GENERATION, 0, NULL, &r, e);

	*gen = 0;
	if (rc)
		return rc;
	if (PQntuples(r) > 0)
		*gen = col_int(r, 0, 0);
	else
		rc = err_set(e, RC_IO, "database", "read generation: no catalogue_state row");
	PQclear(r);
	return rc;
}

static enum rc pg_catalogue_generation(struct store *s, int64_t *generation, struct err *e)
{
	struct pg_store *ps = (struct pg_store *)s;
	struct conn *c;
	enum rc rc = borrow(ps, &c, e);

	if (rc) {
		*generation = 0;
		return rc;
	}
	rc = read_generation(c, generation, e);
	give_back(ps, c);
	return rc;
}

/* Fill docs (an empty array) from one snapshot, so the generation matches
 * the rows. */
static enum rc current_tx(struct conn *c, json_t *docs, int64_t *generation, struct err *e)
{
	json_t *by_provider = json_object();
	PGresult *r = NULL;
	enum rc rc;

	json_array_clear(docs);
	if ((rc = begin(c, "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY", e)))
		goto out;
	if ((rc = read_generation(c, generation, e)) ||
	    (rc = run(c, Q_PROVIDERS, 0, NULL, &r, e)))
		goto rollback;
	for (int i = 0; i < PQntuples(r); i++) {
		json_t *prov = json_loads(PQgetvalue(r, i, 1), 0, NULL);
		json_t *doc = json_pack("{s:o,s:[],s:s}", "provider", prov ? prov : json_object(),
					"services", "_file", "store");

		json_object_set(by_provider, PQgetvalue(r, i, 0), doc);
		json_array_append_new(docs, doc);
	}
	PQclear(r);
	if ((rc = run(c, Q_CURRENT, 0, NULL, &r, e)))
		goto rollback;
	for (int i = 0; i < PQntuples(r); i++) {
		json_t *doc = json_object_get(by_provider, PQgetvalue(r, i, 0));
		json_t *svc = json_loads(PQgetvalue(r, i, 3), 0, NULL);

		if (!doc || !svc) {
			json_decref(svc);
			continue;
		}
		json_object_set_new(svc, "_status", json_string(PQgetvalue(r, i, 1)));
		json_object_set_new(svc, "_version", json_integer(col_int(r, i, 2)));
		json_array_append_new(json_object_get(doc, "services"), svc);
	}
	PQclear(r);
	rc = commit(c, e);
	goto out;
rollback:
	rollback(c);
out:
	json_decref(by_provider);
	return rc;
}

static enum rc pg_catalogue_current(struct store *s, json_t **docs, int64_t *generation,
				    struct err *e)
{
	struct pg_store *ps = (struct pg_store *)s;
	struct conn *c;
	enum rc rc;

	*docs = json_array();
	*generation = 0;
	if ((rc = borrow(ps, &c, e)))
		return rc;
	rc = current_tx(c, *docs, generation, e);
	if (retry_transaction(c, rc))
		rc = current_tx(c, *docs, generation, e);
	give_back(ps, c);
	return rc;
}

static enum rc edit_tx(struct conn *c, const char *service_id, int base_version, const char *data,
		       const char *status, const char *by, const char *note, int *new_version,
		       struct err *e)
{
	char cur_status[16] = "", provider[160], *slash, *old = NULL;
	const char *params[] = { service_id };
	int version, ord = 0;
	PGresult *r;
	enum rc rc;

	if ((rc = begin(c, "BEGIN", e)))
		return rc;
	/* wait for any other writer of the catalogue, on any server */
	if ((rc = run(c, Q_LOCK_CATALOGUE, 0, NULL, NULL, e)) ||
	    (rc = latest(c, service_id, &version, cur_status, sizeof(cur_status), &old, e)))
		goto rollback;
	if (!version) {
		rc = err_set(e, RC_NOT_FOUND, "service", "no service '%s'", service_id);
		goto rollback;
	}
	if (base_version && base_version != version) {
		rc = err_set(e, RC_CONFLICT, "version", "the service is at version %d, not %d",
			     version, base_version);
		goto rollback;
	}
	snprintf(provider, sizeof(provider), "%s", service_id);
	if ((slash = strchr(provider, '/')))
		*slash = '\0';
	/* the new version keeps the service's place in its brochure */
	if ((rc = run(c, Q_SERVICE_ORD, 1, params, &r, e)))
		goto rollback;
	if (PQntuples(r) > 0)
		ord = (int)col_int(r, 0, 0);
	PQclear(r);
	rc = insert_version(c, service_id, version + 1, provider, ord, status ? status : cur_status,
			    data ? data : old, by, note, e);
	if (rc == RC_CONFLICT && !strcmp(c->sqlstate, "23505"))
		err_set(e, RC_CONFLICT, "version", "version %d of '%s' was written meanwhile",
			version + 1, service_id);
	if (rc || (rc = run(c, Q_BUMP, 0, NULL, NULL, e)))
		goto rollback;
	free(old);
	if (!(rc = commit(c, e)))
		*new_version = version + 1;
	return rc;
rollback:
	rollback(c);
	free(old);
	return rc;
}

static enum rc pg_service_edit(struct store *s, const char *service_id, int base_version,
			       json_t *data, const char *status, const char *by, const char *note,
			       int *new_version, struct err *e)
{
	struct pg_store *ps = (struct pg_store *)s;
	char *text_data = data ? json_dumps(data, JSON_COMPACT | JSON_SORT_KEYS) : NULL;
	struct conn *c;
	enum rc rc;

	if (data && !text_data)
		return err_set(e, RC_NOMEM, "", "out of memory");
	if ((rc = borrow(ps, &c, e)))
		goto out;
	rc = edit_tx(c, service_id, base_version, text_data, status, by, note, new_version, e);
	if (retry_transaction(c, rc))
		rc = edit_tx(c, service_id, base_version, text_data, status, by, note, new_version, e);
	give_back(ps, c);
out:
	free(text_data);
	return rc;
}

static enum rc pg_service_history(struct store *s, const char *service_id, json_t **out,
				  struct err *e)
{
	struct pg_store *ps = (struct pg_store *)s;
	const char *params[] = { service_id };
	PGresult *r;
	struct conn *c;
	enum rc rc;

	*out = json_array();
	if ((rc = borrow(ps, &c, e)))
		return rc;
	rc = run(c, Q_HISTORY, 1, params, &r, e);
	if (!rc) {
		for (int i = 0; i < PQntuples(r); i++) {
			json_t *data = json_loads(PQgetvalue(r, i, 5), 0, NULL);

			json_array_append_new(*out, json_pack("{s:i,s:s,s:I,s:s,s:s,s:o}",
				"version", (int)col_int(r, i, 0),
				"status", PQgetvalue(r, i, 1),
				"created_at", (json_int_t)col_int(r, i, 2),
				"created_by", PQgetvalue(r, i, 3),
				"note", PQgetvalue(r, i, 4),
				"data", data ? data : json_null()));
		}
		PQclear(r);
		if (!json_array_size(*out))
			rc = err_set(e, RC_NOT_FOUND, "service", "no service '%s'", service_id);
	}
	give_back(ps, c);
	return rc;
}

/* The URL with any password replaced by "****", for messages. */
static void url_for_display(const char *url, char *out, size_t len)
{
	const char *auth = strstr(url, "://"), *end, *at = NULL, *colon = NULL;

	snprintf(out, len, "%s", url);
	if (!auth)
		return;
	auth += 3;
	end = auth + strcspn(auth, "/?");
	for (const char *p = auth; p < end; p++)
		if (*p == '@')
			at = p;
	for (const char *p = auth; at && p < at && !colon; p++)
		if (*p == ':')
			colon = p;
	if (colon)
		snprintf(out, len, "%.*s****%s", (int)(colon + 1 - url), url, at);
}

/* A PostgreSQL database is copied by pg_dump, which takes a consistent
 * snapshot without stopping the servers; the message gives the command. */
static enum rc pg_backup(struct store *s, const char *path, struct err *e)
{
	struct pg_store *ps = (struct pg_store *)s;
	char shown[sizeof(ps->url)];

	url_for_display(ps->url, shown, sizeof(shown));
	return err_set(e, RC_IO, "backup", "back up a PostgreSQL database with pg_dump: "
		       "pg_dump --format=custom --file='%s' '%s'%s", path, shown,
		       strcmp(shown, ps->url) ? " (with the password, not shown here)" : "");
}

/* ---- people ---- */

static char *dump(json_t *doc)
{
	return json_dumps(doc, JSON_COMPACT | JSON_PRESERVE_ORDER);
}

static enum rc person_tx(struct conn *c, const char *crn, const char *text, int expected_version,
			 const char *by, int *new_version, struct err *e)
{
	char now[24], v[24];
	const char *params[] = { crn, text, num(now, (long long)time(NULL)), by,
				 num(v, expected_version) };
	PGresult *r;
	enum rc rc;

	if ((rc = begin(c, "BEGIN", e)))
		return rc;
	rc = run(c, expected_version ? Q_PERSON_UPDATE : Q_PERSON_INSERT, expected_version ? 5 : 4,
		 params, &r, e);
	if (rc == RC_CONFLICT) {
		err_set(e, RC_CONFLICT, "crn", "a person with CRN %s already exists", crn);
		goto rollback;
	}
	if (rc)
		goto rollback;
	if (expected_version && !strcmp(PQcmdTuples(r), "0")) {
		PQclear(r);
		rc = err_set(e, RC_CONFLICT, "version",
			     "the person's record changed since version %d", expected_version);
		goto rollback;
	}
	PQclear(r);
	if ((rc = run(c, Q_PERSON_VERSION, 1, params, NULL, e)))
		goto rollback;
	if (!(rc = commit(c, e)))
		*new_version = expected_version + 1;
	return rc;
rollback:
	rollback(c);
	return rc;
}

static enum rc pg_person_put(struct store *s, const char *crn, json_t *doc, int expected_version,
			     const char *by, int *new_version, struct err *e)
{
	struct pg_store *ps = (struct pg_store *)s;
	char *text = dump(doc);
	struct conn *c;
	enum rc rc;

	if (!text)
		return err_set(e, RC_NOMEM, "", "out of memory");
	if ((rc = borrow(ps, &c, e)))
		goto out;
	rc = person_tx(c, crn, text, expected_version, by, new_version, e);
	if (retry_transaction(c, rc))
		rc = person_tx(c, crn, text, expected_version, by, new_version, e);
	give_back(ps, c);
out:
	free(text);
	return rc;
}

/* One stored document and its version by key; RC_NOT_FOUND naming `what`. */
static enum rc get_doc(struct store *s, enum stmt_id q, const char *key, json_t **doc,
		       int *version, const char *what, struct err *e)
{
	struct pg_store *ps = (struct pg_store *)s;
	const char *params[] = { key };
	PGresult *r;
	struct conn *c;
	enum rc rc;

	*doc = NULL;
	if ((rc = borrow(ps, &c, e)))
		return rc;
	if (!(rc = run(c, q, 1, params, &r, e))) {
		if (!PQntuples(r)) {
			rc = err_set(e, RC_NOT_FOUND, what, "not found");
		} else {
			*doc = json_loads(PQgetvalue(r, 0, 0), 0, NULL);
			if (version)
				*version = (int)col_int(r, 0, 1);
			if (!*doc)
				rc = err_set(e, RC_IO, what, "stored document does not parse");
		}
		PQclear(r);
	}
	give_back(ps, c);
	return rc;
}

static enum rc pg_person_get(struct store *s, const char *crn, json_t **doc, int *version,
			     struct err *e)
{
	return get_doc(s, Q_PERSON_GET, crn, doc, version, "crn", e);
}

static enum rc pg_person_history(struct store *s, const char *crn, json_t **out, struct err *e)
{
	struct pg_store *ps = (struct pg_store *)s;
	const char *params[] = { crn };
	PGresult *r;
	struct conn *c;
	enum rc rc;

	*out = json_array();
	if ((rc = borrow(ps, &c, e)))
		return rc;
	if (!(rc = run(c, Q_PERSON_HISTORY, 1, params, &r, e))) {
		for (int i = 0; i < PQntuples(r); i++) {
			json_t *doc = json_loads(PQgetvalue(r, i, 3), 0, NULL);

			json_array_append_new(*out, json_pack("{s:i,s:I,s:s,s:o}",
				"version", (int)col_int(r, i, 0),
				"at", (json_int_t)col_int(r, i, 1),
				"by", PQgetvalue(r, i, 2),
				"record", doc ? doc : json_null()));
		}
		PQclear(r);
	}
	give_back(ps, c);
	return rc;
}

/* ---- referrals ---- */

static const char *jstr(json_t *doc, const char *a, const char *b)
{
	json_t *v = json_object_get(doc, a);

	if (b)
		v = json_object_get(v, b);
	return json_is_string(v) ? json_string_value(v) : "";
}

static enum rc write_outbox(struct conn *c, int64_t id, const struct referral_write *w,
			    struct err *e)
{
	char ref[24], now[24];
	size_t i;
	json_t *m;

	if (!w || !w->outbox)
		return RC_OK;
	json_array_foreach(w->outbox, i, m) {
		char *payload = dump(json_object_get(m, "payload"));
		const char *params[] = { num(ref, (long long)id), jstr(m, "recipient_kind", NULL),
					 jstr(m, "recipient", NULL), jstr(m, "kind", NULL), payload,
					 num(now, (long long)time(NULL)) };
		enum rc rc;

		if (!payload)
			return err_set(e, RC_IO, "outbox", "a message has no payload");
		rc = run(c, Q_OUTBOX_INSERT, 6, params, NULL, e);
		free(payload);
		if (rc)
			return rc;
	}
	return RC_OK;
}

/* The referral an idempotency key already made (*id 0 when none). */
static enum rc idem_lookup(struct conn *c, const char *scope, const char *key, int64_t *id,
			   struct err *e)
{
	const char *params[] = { scope, key };
	PGresult *r;
	enum rc rc;

	*id = 0;
	if ((rc = run(c, Q_IDEM_LOCK, 2, params, NULL, e)) ||
	    (rc = run(c, Q_IDEM_GET, 2, params, &r, e)))
		return rc;
	if (PQntuples(r))
		*id = col_int(r, 0, 0);
	PQclear(r);
	return RC_OK;
}

/* The audit row and the person's record a referral write carries. */
static enum rc write_extras(struct conn *c, int64_t id, const char *by,
			    const struct referral_write *w, struct err *e)
{
	char now[24], object[40];
	const char *crn;
	char *text;
	PGresult *r;
	enum rc rc;
	int opened;

	if (!w)
		return RC_OK;
	num(now, (long long)time(NULL));
	if (w->audit) {
		const struct audit_entry *a = w->audit;
		const char *params[] = { now, a->actor ? a->actor : "", a->action, a->object ? a->object : object,
					 a->address ? a->address : "", a->detail ? a->detail : "" };

		snprintf(object, sizeof(object), "referral:%lld", (long long)id);
		if ((rc = run(c, Q_AUDIT, 6, params, NULL, e)))
			return rc;
	}
	if (!w->person || !(crn = json_string_value(json_object_get(w->person, "crn"))))
		return RC_OK;
	if (!(text = dump(w->person)))
		return err_set(e, RC_NOMEM, "", "out of memory");
	{
		const char *params[] = { crn, text, now, by };

		rc = run(c, Q_PERSON_OPEN, 4, params, &r, e);
	}
	free(text);
	if (rc)
		return rc;
	opened = strcmp(PQcmdTuples(r), "0") != 0;
	PQclear(r);
	if (!opened)
		return RC_OK;
	{
		const char *params[] = { crn };

		return run(c, Q_PERSON_VERSION, 1, params, NULL, e);
	}
}

static enum rc create_tx(struct conn *c, json_t *doc, const char *idem_key,
			 const struct referral_write *w, int64_t *id, int *created, struct err *e)
{
	const char *scope = jstr(doc, "created_by", NULL);
	char now[24], idtext[24], *text = NULL;
	int64_t existing;
	PGresult *r;
	enum rc rc;

	*created = 0;
	num(now, (long long)time(NULL));
	if ((rc = begin(c, "BEGIN", e)))
		return rc;
	if (idem_key) {
		if ((rc = idem_lookup(c, scope, idem_key, &existing, e)))
			goto rollback;
		if (existing) {
			*id = existing;
			return commit(c, e);
		}
	}
	{
		const char *params[] = { jstr(doc, "reference", NULL), jstr(doc, "urn", NULL),
					 jstr(doc, "status", NULL), jstr(doc, "provider", "id"),
					 jstr(doc, "service", NULL), jstr(doc, "team", NULL),
					 jstr(doc, "person", "crn"), scope, now, "{}" };

		/* the document holds its id, so insert, learn the id, then write it */
		if ((rc = run(c, Q_REF_INSERT, 10, params, &r, e))) {
			if (rc == RC_CONFLICT)
				err_set(e, RC_CONFLICT, "reference", "reference or URN already in use");
			goto rollback;
		}
		*id = col_int(r, 0, 0);
		PQclear(r);
	}
	json_object_set_new(doc, "id", json_integer(*id));
	if (!(text = dump(doc))) {
		rc = err_set(e, RC_NOMEM, "", "out of memory");
		goto rollback;
	}
	{
		const char *params[] = { num(idtext, (long long)*id), text };

		if ((rc = run(c, Q_REF_SETDOC, 2, params, NULL, e)))
			goto rollback;
	}
	if (idem_key) {
		const char *params[] = { scope, idem_key, idtext, now };

		if ((rc = run(c, Q_IDEM_INSERT, 4, params, NULL, e)))
			goto rollback;
	}
	if ((rc = write_outbox(c, *id, w, e)) || (rc = write_extras(c, *id, scope, w, e)))
		goto rollback;
	if (!(rc = commit(c, e)))
		*created = 1;
	free(text);
	return rc;
rollback:
	rollback(c);
	free(text);
	return rc;
}

static enum rc pg_referral_create(struct store *s, json_t *doc, const char *idem_key,
				  const struct referral_write *w, int64_t *id, int *created,
				  struct err *e)
{
	struct pg_store *ps = (struct pg_store *)s;
	struct conn *c;
	enum rc rc;

	*created = 0;
	if ((rc = borrow(ps, &c, e)))
		return rc;
	rc = create_tx(c, doc, idem_key, w, id, created, e);
	if (retry_transaction(c, rc))
		rc = create_tx(c, doc, idem_key, w, id, created, e);
	give_back(ps, c);
	return rc;
}

static enum rc pg_referral_get(struct store *s, int64_t id, json_t **doc, int *version,
			       struct err *e)
{
	char key[24];

	return get_doc(s, Q_REF_GET, num(key, (long long)id), doc, version, "referral", e);
}

static enum rc update_tx(struct conn *c, int64_t id, int expected_version, const char *text,
			 const char *status, const struct referral_write *w, int *new_version,
			 struct err *e)
{
	char idtext[24], v[24], now[24];
	const char *params[] = { num(idtext, (long long)id), num(v, expected_version), status,
				 num(now, (long long)time(NULL)), text };
	PGresult *r;
	enum rc rc;
	int changed;

	if ((rc = begin(c, "BEGIN", e)))
		return rc;
	if ((rc = run(c, Q_REF_UPDATE, 5, params, &r, e)))
		goto rollback;
	changed = strcmp(PQcmdTuples(r), "0") != 0;
	PQclear(r);
	if (!changed) {
		if ((rc = run(c, Q_REF_EXISTS, 1, params, &r, e)))
			goto rollback;
		rc = PQntuples(r) ? err_set(e, RC_CONFLICT, "version", "the referral has changed "
					    "since version %d; reload it", expected_version)
				  : err_set(e, RC_NOT_FOUND, "referral", "not found");
		PQclear(r);
		goto rollback;
	}
	if ((rc = write_outbox(c, id, w, e)) || (rc = write_extras(c, id, "", w, e)))
		goto rollback;
	if (!(rc = commit(c, e)))
		*new_version = expected_version + 1;
	return rc;
rollback:
	rollback(c);
	return rc;
}

static enum rc pg_referral_update(struct store *s, int64_t id, int expected_version, json_t *doc,
				  const struct referral_write *w, int *new_version, struct err *e)
{
	struct pg_store *ps = (struct pg_store *)s;
	char *text = w && w->text ? NULL : dump(doc);
	const char *stored = text ? text : w && w->text ? w->text : NULL;
	const char *status = jstr(doc, "status", NULL);
	struct conn *c;
	enum rc rc;

	if (!stored)
		return err_set(e, RC_NOMEM, "", "out of memory");
	if ((rc = borrow(ps, &c, e)))
		goto out;
	rc = update_tx(c, id, expected_version, stored, status, w, new_version, e);
	if (retry_transaction(c, rc))
		rc = update_tx(c, id, expected_version, stored, status, w, new_version, e);
	give_back(ps, c);
out:
	free(text);
	return rc;
}

static enum rc pg_referral_list(struct store *s, const struct referral_filter *f, json_t **docs,
				int *total, struct err *e)
{
	struct pg_store *ps = (struct pg_store *)s;
	unsigned shape = store_list_shape(f);
	char limit[24], offset[24], name[16], sql[1024];
	const char *params[8];
	int n = store_list_values(f, params);
	PGresult *r;
	struct conn *c;
	enum rc rc;

	params[n++] = num(limit, f->limit > 0 ? f->limit : 50);
	params[n++] = num(offset, f->offset > 0 ? f->offset : 0);
	snprintf(name, sizeof(name), "rl%u", shape);
	store_list_sql(shape, '$', sql, sizeof(sql));
	*docs = json_array();
	*total = 0;
	if ((rc = borrow(ps, &c, e)))
		return rc;
	if (!(rc = run_named(c, name, sql, &c->listed[shape], n, params, &r, e))) {
		for (int i = 0; i < PQntuples(r); i++) {
			json_t *doc = json_loads(PQgetvalue(r, i, 0), 0, NULL);

			if (doc) {
				json_object_set_new(doc, "version", json_integer(col_int(r, i, 1)));
				json_array_append_new(*docs, doc);
			}
			*total = (int)col_int(r, i, 2);
		}
		PQclear(r);
	}
	give_back(ps, c);
	return rc;
}

static enum rc pg_outbox_list(struct store *s, const char *kind, const char *recipient, int limit,
			      json_t **out, struct err *e)
{
	struct pg_store *ps = (struct pg_store *)s;
	char n[24];
	const char *params[] = { kind, recipient, limit >= 0 ? num(n, limit) : NULL };
	PGresult *r;
	struct conn *c;
	enum rc rc;

	*out = json_array();
	if ((rc = borrow(ps, &c, e)))
		return rc;
	if (!(rc = run(c, Q_OUTBOX_LIST, 3, params, &r, e))) {
		for (int i = 0; i < PQntuples(r); i++) {
			json_t *payload = json_loads(PQgetvalue(r, i, 3), 0, NULL);

			json_array_append_new(*out, json_pack("{s:I,s:I,s:s,s:o,s:I}",
				"id", (json_int_t)col_int(r, i, 0),
				"referral", (json_int_t)col_int(r, i, 1),
				"kind", PQgetvalue(r, i, 2),
				"payload", payload ? payload : json_null(),
				"created_at", (json_int_t)col_int(r, i, 4)));
		}
		PQclear(r);
	}
	give_back(ps, c);
	return rc;
}

static enum rc pg_drafts_purge(struct store *s, int64_t older_than, int *purged, struct err *e)
{
	struct pg_store *ps = (struct pg_store *)s;
	char t[24];
	const char *params[] = { num(t, (long long)older_than) };
	PGresult *r;
	struct conn *c;
	enum rc rc;

	*purged = 0;
	if ((rc = borrow(ps, &c, e)))
		return rc;
	if (!(rc = run(c, Q_DRAFTS_PURGE, 1, params, &r, e))) {
		*purged = (int)strtol(PQcmdTuples(r), NULL, 10);
		PQclear(r);
	}
	give_back(ps, c);
	return rc;
}

const struct store_ops store_pg_ops = {
	.name = "postgresql",
	.open = pg_open,
	.close = pg_close,
	.migrate = pg_migrate,
	.ping = pg_ping,
	.user_add = pg_user_add,
	.user_get = pg_user_get,
	.user_login_result = pg_user_login_result,
	.session_add = pg_session_add,
	.session_user = pg_session_user,
	.session_delete = pg_session_delete,
	.audit = pg_audit,
	.audit_list = pg_audit_list,
	.catalogue_import = pg_catalogue_import,
	.catalogue_current = pg_catalogue_current,
	.catalogue_generation = pg_catalogue_generation,
	.service_edit = pg_service_edit,
	.service_history = pg_service_history,
	.backup = pg_backup,
	.person_put = pg_person_put,
	.person_get = pg_person_get,
	.person_history = pg_person_history,
	.referral_create = pg_referral_create,
	.referral_get = pg_referral_get,
	.referral_update = pg_referral_update,
	.referral_list = pg_referral_list,
	.outbox_list = pg_outbox_list,
	.drafts_purge = pg_drafts_purge,
};
