/*
 * store_sqlite.c - the embedded default backend.
 *
 * One database file opened by a small pool of connections (SQLite
 * connections must not be shared between threads mid-statement), each with
 * WAL journalling, foreign keys on and a busy timeout, and each keeping its
 * own prepared statements, compiled on first use from the table below. WAL
 * with synchronous=NORMAL keeps every committed transaction across a crash
 * or kill -9 of the process; only a power cut can lose the last commits.
 *
 * Writers of this process queue on one mutex before they ask SQLite for the
 * write lock: SQLite's busy handler waits by sleeping (1 ms, then 2, 5 ...),
 * which left a core idle while the holder finished in microseconds. Other
 * processes on the same file (the CLI) still meet the busy timeout.
 *
 * Checkpoints (copying the WAL back into the database file, with an fsync)
 * run after a writer has let the next one in, not inside its COMMIT, where
 * SQLite's automatic checkpoint held every other writer up: the writer that
 * finds the WAL past CHECKPOINT_PAGES copies what it can, then copies the
 * rest with the write mutex held, so the WAL is complete and starts again.
 */
#include <pthread.h>
#include <sqlite3.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include "store/store.h"
#include "store/store_int.h"

#define POOL_SIZE 8
/* WAL pages after which a writer checkpoints (SQLite's default) */
#define CHECKPOINT_PAGES 1000

enum stmt_id {
	Q_USER_ADD, Q_USER_GET, Q_LOGIN_OK, Q_LOGIN_FAIL,
	Q_SESSION_ADD, Q_SESSION_USER, Q_SESSION_DELETE,
	Q_AUDIT, Q_AUDIT_LIST,
	Q_PROVIDER_UPSERT, Q_SERVICE_LATEST, Q_SERVICE_INSERT, Q_CURRENT, Q_PROVIDERS,
	Q_GENERATION, Q_BUMP, Q_HISTORY, Q_PING, Q_SERVICE_ORD,
	Q_PERSON_GET, Q_PERSON_INSERT, Q_PERSON_UPDATE, Q_PERSON_VERSION, Q_PERSON_HISTORY,
	Q_PERSON_OPEN,
	Q_REF_INSERT, Q_REF_GET, Q_REF_UPDATE, Q_REF_EXISTS, Q_REF_SETDOC,
	Q_BEGIN, Q_COMMIT, Q_ROLLBACK,
	Q_IDEM_GET, Q_IDEM_INSERT, Q_OUTBOX_INSERT, Q_OUTBOX_LIST, Q_DRAFTS_PURGE,
	Q_COUNT
};

static const char *const stmt_sql[Q_COUNT] = {
	[Q_USER_ADD] = "INSERT INTO users(username, role, provider, team, pwhash, created_at)"
		       " VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
	[Q_USER_GET] = "SELECT id, username, role, provider, team, pwhash, failed_logins, locked_until"
		       " FROM users WHERE username = ?1",
	[Q_LOGIN_OK] = "UPDATE users SET failed_logins = 0, locked_until = 0 WHERE id = ?1",
	[Q_LOGIN_FAIL] = "UPDATE users SET failed_logins = failed_logins + 1,"
			 " locked_until = CASE WHEN ?2 > 0 THEN ?2 ELSE locked_until END WHERE id = ?1",
	[Q_SESSION_ADD] = "INSERT INTO sessions(token_hash, user_id, created_at, expires_at)"
			  " VALUES (?1, ?2, ?3, ?4)",
	[Q_SESSION_USER] = "SELECT u.id, u.username, u.role, u.provider, u.team, '', u.failed_logins,"
			   " u.locked_until FROM sessions s JOIN users u ON u.id = s.user_id"
			   " WHERE s.token_hash = ?1 AND s.expires_at > ?2",
	[Q_SESSION_DELETE] = "DELETE FROM sessions WHERE token_hash = ?1",
	[Q_AUDIT] = "INSERT INTO audit_log(at, actor, action, object, address, detail)"
		    " VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
	[Q_AUDIT_LIST] = "SELECT id, at, actor, action, object, address, detail FROM audit_log"
			 " ORDER BY id DESC LIMIT ?1",
	[Q_PROVIDER_UPSERT] = "INSERT INTO providers(id, ord, data) VALUES (?1, ?2, ?3)"
			      " ON CONFLICT(id) DO UPDATE SET ord = excluded.ord, data = excluded.data",
	[Q_SERVICE_LATEST] = "SELECT version, status, data FROM service_versions WHERE service_id = ?1"
			     " ORDER BY version DESC LIMIT 1",
	[Q_SERVICE_INSERT] = "INSERT INTO service_versions(service_id, version, provider_id, ord, status,"
			     " data, created_at, created_by, note) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
	[Q_CURRENT] = "SELECT sv.provider_id, sv.status, sv.version, sv.data FROM service_versions sv"
		      " JOIN providers p ON p.id = sv.provider_id"
		      " WHERE sv.version = (SELECT max(version) FROM service_versions x"
		      "                     WHERE x.service_id = sv.service_id)"
		      " ORDER BY p.ord, sv.ord",
	[Q_PROVIDERS] = "SELECT id, data FROM providers ORDER BY ord",
	[Q_GENERATION] = "SELECT generation FROM catalogue_state WHERE id = 1",
	[Q_BUMP] = "UPDATE catalogue_state SET generation = generation + 1 WHERE id = 1",
	[Q_HISTORY] = "SELECT version, status, created_at, created_by, note, data FROM service_versions"
		      " WHERE service_id = ?1 ORDER BY version",
	[Q_PING] = "SELECT 1",
	[Q_SERVICE_ORD] = "SELECT ord FROM service_versions WHERE service_id = ?1 AND version = 1",
	[Q_PERSON_GET] = "SELECT doc, version FROM people WHERE crn = ?1",
	[Q_PERSON_INSERT] = "INSERT INTO people(crn, version, doc, updated_at, updated_by) VALUES (?1, 1, ?2, ?3, ?4)",
	[Q_PERSON_UPDATE] = "UPDATE people SET version = version + 1, doc = ?2, updated_at = ?3, updated_by = ?4"
			    " WHERE crn = ?1 AND version = ?5",
	[Q_PERSON_VERSION] = "INSERT INTO person_versions(crn, version, doc, at, by)"
			     " SELECT crn, version, doc, updated_at, updated_by FROM people WHERE crn = ?1",
	[Q_PERSON_OPEN] = "INSERT INTO people(crn, version, doc, updated_at, updated_by)"
			  " VALUES (?1, 1, ?2, ?3, ?4) ON CONFLICT(crn) DO NOTHING",
	[Q_PERSON_HISTORY] = "SELECT version, at, by, doc FROM person_versions WHERE crn = ?1 ORDER BY version",
	[Q_REF_INSERT] = "INSERT INTO referrals(reference, urn, version, status, provider_id, service_id, team,"
			 " crn, created_by, created_at, updated_at, doc)"
			 " VALUES (?1, ?2, 1, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?9, ?10)",
	[Q_REF_GET] = "SELECT doc, version FROM referrals WHERE id = ?1",
	[Q_REF_UPDATE] = "UPDATE referrals SET version = version + 1, status = ?3, updated_at = ?4, doc = ?5"
			 " WHERE id = ?1 AND version = ?2",
	[Q_REF_EXISTS] = "SELECT version FROM referrals WHERE id = ?1",
	[Q_REF_SETDOC] = "UPDATE referrals SET doc = ?2 WHERE id = ?1",
	[Q_BEGIN] = "BEGIN IMMEDIATE",
	[Q_COMMIT] = "COMMIT",
	[Q_ROLLBACK] = "ROLLBACK",
	[Q_IDEM_GET] = "SELECT referral_id FROM idempotency_keys WHERE scope = ?1 AND key = ?2",
	[Q_IDEM_INSERT] = "INSERT INTO idempotency_keys(scope, key, referral_id, created_at) VALUES (?1, ?2, ?3, ?4)",
	[Q_OUTBOX_INSERT] = "INSERT INTO outbox(referral_id, recipient_kind, recipient, kind, payload, created_at)"
			    " VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
	[Q_OUTBOX_LIST] = "SELECT id, referral_id, kind, payload, created_at FROM outbox"
			  " WHERE recipient_kind = ?1 AND recipient = ?2 ORDER BY id DESC LIMIT ?3",
	[Q_DRAFTS_PURGE] = "DELETE FROM referrals WHERE status = 'draft' AND updated_at < ?1",
};

/* Numbered migrations, applied in order, each in its own transaction. */
static const char *const migrations[] = {
	/* 1: users, sessions, the audit log, the versioned catalogue */
	"CREATE TABLE users("
	"  id INTEGER PRIMARY KEY, username TEXT NOT NULL UNIQUE, role TEXT NOT NULL,"
	"  provider TEXT NOT NULL DEFAULT '', team TEXT NOT NULL DEFAULT '', pwhash TEXT NOT NULL,"
	"  failed_logins INTEGER NOT NULL DEFAULT 0, locked_until INTEGER NOT NULL DEFAULT 0,"
	"  created_at INTEGER NOT NULL);"
	"CREATE TABLE sessions("
	"  token_hash TEXT PRIMARY KEY, user_id INTEGER NOT NULL REFERENCES users(id),"
	"  created_at INTEGER NOT NULL, expires_at INTEGER NOT NULL);"
	"CREATE INDEX sessions_expiry ON sessions(expires_at);"
	"CREATE TABLE audit_log("
	"  id INTEGER PRIMARY KEY, at INTEGER NOT NULL, actor TEXT NOT NULL, action TEXT NOT NULL,"
	"  object TEXT NOT NULL, address TEXT NOT NULL, detail TEXT NOT NULL);"
	"CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log"
	"  BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;"
	"CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log"
	"  BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;"
	"CREATE TABLE providers(id TEXT PRIMARY KEY, ord INTEGER NOT NULL, data TEXT NOT NULL);"
	"CREATE TABLE service_versions("
	"  service_id TEXT NOT NULL, version INTEGER NOT NULL,"
	"  provider_id TEXT NOT NULL REFERENCES providers(id), ord INTEGER NOT NULL,"
	"  status TEXT NOT NULL CHECK (status IN ('active', 'suspended')), data TEXT NOT NULL,"
	"  created_at INTEGER NOT NULL, created_by TEXT NOT NULL, note TEXT NOT NULL DEFAULT '',"
	"  PRIMARY KEY (service_id, version));"
	"CREATE TABLE catalogue_state(id INTEGER PRIMARY KEY CHECK (id = 1), generation INTEGER NOT NULL);"
	"INSERT INTO catalogue_state VALUES (1, 0);",
	/* 2: people, referrals (documents with a version), idempotency keys, outbox */
	"CREATE TABLE people("
	"  crn TEXT PRIMARY KEY, version INTEGER NOT NULL, doc TEXT NOT NULL,"
	"  updated_at INTEGER NOT NULL, updated_by TEXT NOT NULL);"
	"CREATE TABLE person_versions("
	"  crn TEXT NOT NULL REFERENCES people(crn), version INTEGER NOT NULL, doc TEXT NOT NULL,"
	"  at INTEGER NOT NULL, by TEXT NOT NULL, PRIMARY KEY (crn, version));"
	"CREATE TABLE referrals("
	"  id INTEGER PRIMARY KEY AUTOINCREMENT, reference TEXT NOT NULL UNIQUE, urn TEXT NOT NULL UNIQUE,"
	"  version INTEGER NOT NULL, status TEXT NOT NULL, provider_id TEXT NOT NULL,"
	"  service_id TEXT NOT NULL, team TEXT NOT NULL, crn TEXT NOT NULL, created_by TEXT NOT NULL,"
	"  created_at INTEGER NOT NULL, updated_at INTEGER NOT NULL, doc TEXT NOT NULL);"
	"CREATE INDEX referrals_provider ON referrals(provider_id, status, created_at);"
	"CREATE INDEX referrals_team ON referrals(team, status, created_at);"
	"CREATE INDEX referrals_crn ON referrals(crn);"
	"CREATE INDEX referrals_drafts ON referrals(status, updated_at);"
	"CREATE TABLE idempotency_keys("
	"  scope TEXT NOT NULL, key TEXT NOT NULL,"
	"  referral_id INTEGER NOT NULL REFERENCES referrals(id) ON DELETE CASCADE,"
	"  created_at INTEGER NOT NULL, PRIMARY KEY (scope, key));"
	"CREATE TABLE outbox("
	"  id INTEGER PRIMARY KEY, referral_id INTEGER REFERENCES referrals(id) ON DELETE CASCADE,"
	"  recipient_kind TEXT NOT NULL, recipient TEXT NOT NULL, kind TEXT NOT NULL,"
	"  payload TEXT NOT NULL, created_at INTEGER NOT NULL);"
	"CREATE INDEX outbox_recipient ON outbox(recipient_kind, recipient, id);",
	/* 3: a person's referrals by status (the eligibility re-check on every
	 * send lists the completed ones), newest first without a sort; the index
	 * on status alone otherwise wins and reads every referral in that status */
	("CREATE INDEX referrals_person ON referrals(crn, status, created_at);"
	 "DROP INDEX referrals_crn;"),
	/* 4: fewer index entries move when a referral changes status (each
	 * index page touched is written to the WAL again): drafts are indexed
	 * alone, for the purge, and a person's referrals by CRN alone again,
	 * which the listing now uses without the index on status competing */
	("DROP INDEX referrals_drafts;"
	 "CREATE INDEX referrals_drafts ON referrals(updated_at) WHERE status = 'draft';"
	 "DROP INDEX referrals_person;"
	 "CREATE INDEX referrals_crn ON referrals(crn);"),
};

struct conn {
	sqlite3 *db;
	sqlite3_stmt *stmt[Q_COUNT];
	sqlite3_stmt *list[STORE_LIST_SHAPES]; /* referral listings, by shape */
	int busy;
};

struct sqlite_store {
	struct store base;
	char path[1024];
	struct conn pool[POOL_SIZE];
	pthread_mutex_t lock;
	pthread_cond_t free_conn;
	pthread_mutex_t write_lock;  /* held from BEGIN IMMEDIATE to COMMIT or ROLLBACK */
	pthread_mutex_t checkpoint;  /* one checkpointing writer at a time */
	atomic_int wal_pages;        /* pages in the WAL after the last commit */
};

static enum rc db_error(struct err *e, sqlite3 *db, const char *what)
{
	return err_set(e, RC_IO, "database", "%s: %s", what, db ? sqlite3_errmsg(db) : "no connection");
}

/* After each commit: how long the WAL is (instead of checkpointing). */
static int on_wal(void *arg, sqlite3 *db, const char *name, int pages)
{
	struct sqlite_store *ss = arg;

	(void)db;
	(void)name;
	atomic_store(&ss->wal_pages, pages);
	return SQLITE_OK;
}

static enum rc open_conn(struct sqlite_store *ss, struct conn *c, struct err *e)
{
	static const char setup[] = "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;"
				    " PRAGMA foreign_keys=ON;";

	if (sqlite3_open_v2(ss->path, &c->db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE |
			    SQLITE_OPEN_NOMUTEX, NULL) != SQLITE_OK)
		return db_error(e, c->db, ss->path);
	sqlite3_busy_timeout(c->db, 10000);
	if (sqlite3_exec(c->db, setup, NULL, NULL, NULL) != SQLITE_OK)
		return db_error(e, c->db, "setting up the connection");
	sqlite3_wal_hook(c->db, on_wal, ss); /* replaces the automatic checkpoint */
	return RC_OK;
}

static void close_conn(struct conn *c)
{
	for (int i = 0; i < Q_COUNT; i++)
		sqlite3_finalize(c->stmt[i]);
	for (int i = 0; i < STORE_LIST_SHAPES; i++)
		sqlite3_finalize(c->list[i]);
	sqlite3_close(c->db);
	memset(c, 0, sizeof(*c));
}

static struct conn *borrow(struct sqlite_store *ss)
{
	struct conn *c = NULL;

	pthread_mutex_lock(&ss->lock);
	for (;;) {
		for (int i = 0; i < POOL_SIZE && !c; i++)
			if (!ss->pool[i].busy)
				c = &ss->pool[i];
		if (c)
			break;
		pthread_cond_wait(&ss->free_conn, &ss->lock);
	}
	c->busy = 1;
	pthread_mutex_unlock(&ss->lock);
	return c;
}

static void give_back(struct sqlite_store *ss, struct conn *c)
{
	pthread_mutex_lock(&ss->lock);
	c->busy = 0;
	pthread_cond_signal(&ss->free_conn);
	pthread_mutex_unlock(&ss->lock);
}

/* The prepared statement q on c, reset and with bindings cleared. */
static sqlite3_stmt *stmt(struct conn *c, enum stmt_id q, struct err *e)
{
	if (!c->stmt[q] &&
	    sqlite3_prepare_v3(c->db, stmt_sql[q], -1, SQLITE_PREPARE_PERSISTENT, &c->stmt[q], NULL)) {
		db_error(e, c->db, "preparing a statement");
		return NULL;
	}
	sqlite3_reset(c->stmt[q]);
	sqlite3_clear_bindings(c->stmt[q]);
	return c->stmt[q];
}

static enum rc exec_sql(struct conn *c, const char *sql, struct err *e)
{
	char *msg = NULL;

	if (sqlite3_exec(c->db, sql, NULL, NULL, &msg) != SQLITE_OK) {
		err_set(e, RC_IO, "database", "%s", msg ? msg : sqlite3_errmsg(c->db));
		sqlite3_free(msg);
		return RC_IO;
	}
	return RC_OK;
}

static void text(sqlite3_stmt *st, int col, char *out, size_t len)
{
	const unsigned char *s = sqlite3_column_text(st, col);

	snprintf(out, len, "%s", s ? (const char *)s : "");
}

static enum rc sq_open(struct store **out, const char *url, struct err *e)
{
	struct sqlite_store *ss = calloc(1, sizeof(*ss));
	enum rc rc = RC_OK;
	char dir[1024], *slash;

	*out = NULL;
	if (!ss)
		return err_set(e, RC_NOMEM, "", "out of memory");
	ss->base.ops = &store_sqlite_ops;
	if (!strncmp(url, "sqlite:", 7))
		url += 7;
	snprintf(ss->path, sizeof(ss->path), "%s", url);
	snprintf(dir, sizeof(dir), "%s", ss->path);
	if ((slash = strrchr(dir, '/')) && slash != dir) {
		*slash = '\0';
		mkdir(dir, 0750); /* ./var/ on first start; an error shows at open */
	}
	pthread_mutex_init(&ss->lock, NULL);
	pthread_cond_init(&ss->free_conn, NULL);
	pthread_mutex_init(&ss->write_lock, NULL);
	pthread_mutex_init(&ss->checkpoint, NULL);
	for (int i = 0; i < POOL_SIZE && !rc; i++)
		rc = open_conn(ss, &ss->pool[i], e);
	if (rc) {
		store_sqlite_ops.close(&ss->base);
		return rc;
	}
	*out = &ss->base;
	return RC_OK;
}

static void sq_close(struct store *s)
{
	struct sqlite_store *ss = (struct sqlite_store *)s;

	for (int i = 0; i < POOL_SIZE; i++)
		if (ss->pool[i].db)
			close_conn(&ss->pool[i]);
	pthread_mutex_destroy(&ss->lock);
	pthread_cond_destroy(&ss->free_conn);
	pthread_mutex_destroy(&ss->write_lock);
	pthread_mutex_destroy(&ss->checkpoint);
	free(ss);
}

static enum rc sq_migrate(struct store *s, struct err *e)
{
	struct sqlite_store *ss = (struct sqlite_store *)s;
	struct conn *c = borrow(ss);
	enum rc rc;
	int have = 0;
	sqlite3_stmt *st;
	char sql[64];

	rc = exec_sql(c, "BEGIN IMMEDIATE; CREATE TABLE IF NOT EXISTS schema_migrations("
		      "version INTEGER PRIMARY KEY, applied_at INTEGER NOT NULL); COMMIT;", e);
	if (rc)
		goto out;
	for (int v = 0; v < (int)(sizeof(migrations) / sizeof(migrations[0])); v++) {
		/* read what is applied inside the write lock: two processes
		 * opening a new file at once must not both apply a migration */
		if ((rc = exec_sql(c, "BEGIN IMMEDIATE", e)))
			goto out;
		if (sqlite3_prepare_v2(c->db, "SELECT coalesce(max(version), 0) FROM schema_migrations",
				       -1, &st, NULL) != SQLITE_OK) {
			rc = db_error(e, c->db, "reading migrations");
			exec_sql(c, "ROLLBACK", NULL);
			goto out;
		}
		have = sqlite3_step(st) == SQLITE_ROW ? sqlite3_column_int(st, 0) : 0;
		sqlite3_finalize(st);
		if (have > v) {
			exec_sql(c, "COMMIT", NULL);
			continue;
		}
		snprintf(sql, sizeof(sql), "INSERT INTO schema_migrations VALUES (%d, %lld)", v + 1,
			 (long long)time(NULL));
		if ((rc = exec_sql(c, migrations[v], e)) || (rc = exec_sql(c, sql, e))) {
			exec_sql(c, "ROLLBACK", NULL);
			goto out;
		}
		if ((rc = exec_sql(c, "COMMIT", e)))
			goto out;
	}
out:
	give_back(ss, c);
	return rc;
}

static enum rc sq_ping(struct store *s, struct err *e)
{
	struct sqlite_store *ss = (struct sqlite_store *)s;
	struct conn *c = borrow(ss);
	sqlite3_stmt *st = stmt(c, Q_PING, e);
	enum rc rc = st && sqlite3_step(st) == SQLITE_ROW ? RC_OK : db_error(e, c->db, "ping");

	give_back(ss, c);
	return rc;
}

/* Run a statement that returns no rows; RC_CONFLICT on a constraint. */
static enum rc step_done(struct conn *c, sqlite3_stmt *st, struct err *e)
{
	int r = sqlite3_step(st);

	if (r == SQLITE_DONE)
		return RC_OK;
	if ((r & 0xff) == SQLITE_CONSTRAINT)
		return err_set(e, RC_CONFLICT, "", "%s", sqlite3_errmsg(c->db));
	return db_error(e, c->db, "write");
}

/* Begin a write transaction, first in this process's queue of writers. */
static enum rc write_begin(struct sqlite_store *ss, struct conn *c, struct err *e)
{
	sqlite3_stmt *st;
	enum rc rc;

	pthread_mutex_lock(&ss->write_lock);
	st = stmt(c, Q_BEGIN, e);
	rc = st ? step_done(c, st, e) : RC_IO;
	if (rc)
		pthread_mutex_unlock(&ss->write_lock);
	return rc;
}

/* Roll the write transaction back and let the next writer in. */
static void write_rollback(struct sqlite_store *ss, struct conn *c)
{
	sqlite3_stmt *st = stmt(c, Q_ROLLBACK, NULL);

	if (!st || sqlite3_step(st) != SQLITE_DONE)
		exec_sql(c, "ROLLBACK", NULL);
	pthread_mutex_unlock(&ss->write_lock);
}

/* With the WAL past CHECKPOINT_PAGES, and no other writer at it, copy it
 * into the database: most of it while writers go on, the rest with them
 * held, so that it is all copied and the next writer starts the WAL again.
 * A checkpoint that fails is tried again after the next commit. */
static void checkpoint(struct sqlite_store *ss, struct conn *c)
{
	if (atomic_load(&ss->wal_pages) < CHECKPOINT_PAGES || pthread_mutex_trylock(&ss->checkpoint))
		return;
	sqlite3_wal_checkpoint_v2(c->db, NULL, SQLITE_CHECKPOINT_PASSIVE, NULL, NULL);
	pthread_mutex_lock(&ss->write_lock);
	if (sqlite3_wal_checkpoint_v2(c->db, NULL, SQLITE_CHECKPOINT_PASSIVE, NULL, NULL) == SQLITE_OK)
		atomic_store(&ss->wal_pages, 0);
	pthread_mutex_unlock(&ss->write_lock);
	pthread_mutex_unlock(&ss->checkpoint);
}

/* Commit the write transaction (rolled back if that fails), let the next
 * writer in, and checkpoint if it is time. */
static enum rc write_commit(struct sqlite_store *ss, struct conn *c, struct err *e)
{
	sqlite3_stmt *st = stmt(c, Q_COMMIT, e);
	enum rc rc = st ? step_done(c, st, e) : RC_IO;

	if (rc) {
		write_rollback(ss, c);
		return rc;
	}
	pthread_mutex_unlock(&ss->write_lock);
	checkpoint(ss, c);
	return RC_OK;
}

/* Run one write statement as its own transaction, in the writers' queue. */
static enum rc write_one(struct sqlite_store *ss, struct conn *c, sqlite3_stmt *st, struct err *e)
{
	enum rc rc;

	pthread_mutex_lock(&ss->write_lock);
	rc = step_done(c, st, e);
	sqlite3_reset(st);
	pthread_mutex_unlock(&ss->write_lock);
	if (!rc)
		checkpoint(ss, c);
	return rc;
}

static enum rc sq_user_add(struct store *s, struct user *u, struct err *e)
{
	struct sqlite_store *ss = (struct sqlite_store *)s;
	struct conn *c = borrow(ss);
	sqlite3_stmt *st = stmt(c, Q_USER_ADD, e);
	enum rc rc = RC_IO;

	if (st) {
		sqlite3_bind_text(st, 1, u->username, -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 2, role_name(u->role), -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 3, u->provider, -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 4, u->team, -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 5, u->pwhash, -1, SQLITE_STATIC);
		sqlite3_bind_int64(st, 6, (sqlite3_int64)time(NULL));
		rc = write_one(ss, c, st, e);
		if (rc == RC_CONFLICT)
			err_set(e, RC_CONFLICT, "username", "'%s' is already taken", u->username);
		if (!rc)
			u->id = sqlite3_last_insert_rowid(c->db);
	}
	give_back(ss, c);
	return rc;
}

static void read_user(sqlite3_stmt *st, struct user *u)
{
	char role[32];

	memset(u, 0, sizeof(*u));
	u->id = sqlite3_column_int64(st, 0);
	text(st, 1, u->username, sizeof(u->username));
	text(st, 2, role, sizeof(role));
	u->role = (enum role)role_parse(role);
	text(st, 3, u->provider, sizeof(u->provider));
	text(st, 4, u->team, sizeof(u->team));
	text(st, 5, u->pwhash, sizeof(u->pwhash));
	u->failed_logins = sqlite3_column_int(st, 6);
	u->locked_until = sqlite3_column_int64(st, 7);
}

static enum rc query_user(struct store *s, enum stmt_id q, const char *key, int64_t now,
			  struct user *out, struct err *e)
{
	struct sqlite_store *ss = (struct sqlite_store *)s;
	struct conn *c = borrow(ss);
	sqlite3_stmt *st = stmt(c, q, e);
	enum rc rc = RC_IO;
	int r;

	if (st) {
		sqlite3_bind_text(st, 1, key, -1, SQLITE_STATIC);
		if (q == Q_SESSION_USER)
			sqlite3_bind_int64(st, 2, (sqlite3_int64)now);
		r = sqlite3_step(st);
		if (r == SQLITE_ROW) {
			read_user(st, out);
			rc = RC_OK;
		} else {
			rc = r == SQLITE_DONE ? RC_NOT_FOUND : db_error(e, c->db, "read");
		}
		sqlite3_reset(st);
	}
	give_back(ss, c);
	return rc;
}

static enum rc sq_user_get(struct store *s, const char *username, struct user *out, struct err *e)
{
	return query_user(s, Q_USER_GET, username, 0, out, e);
}

static enum rc sq_session_user(struct store *s, const char *token_hash, int64_t now,
			       struct user *out, struct err *e)
{
	return query_user(s, Q_SESSION_USER, token_hash, now, out, e);
}

static enum rc sq_user_login_result(struct store *s, int64_t user_id, int success,
				    int64_t locked_until, struct err *e)
{
	struct sqlite_store *ss = (struct sqlite_store *)s;
	struct conn *c = borrow(ss);
	sqlite3_stmt *st = stmt(c, success ? Q_LOGIN_OK : Q_LOGIN_FAIL, e);
	enum rc rc = RC_IO;

	if (st) {
		sqlite3_bind_int64(st, 1, user_id);
		if (!success)
			sqlite3_bind_int64(st, 2, locked_until);
		rc = write_one(ss, c, st, e);
	}
	give_back(ss, c);
	return rc;
}

static enum rc sq_session_add(struct store *s, const char *token_hash, int64_t user_id,
			      int64_t expires_at, struct err *e)
{
	struct sqlite_store *ss = (struct sqlite_store *)s;
	struct conn *c = borrow(ss);
	sqlite3_stmt *st = stmt(c, Q_SESSION_ADD, e);
	enum rc rc = RC_IO;

	if (st) {
		sqlite3_bind_text(st, 1, token_hash, -1, SQLITE_STATIC);
		sqlite3_bind_int64(st, 2, user_id);
		sqlite3_bind_int64(st, 3, (sqlite3_int64)time(NULL));
		sqlite3_bind_int64(st, 4, expires_at);
		rc = write_one(ss, c, st, e);
	}
	give_back(ss, c);
	return rc;
}

static enum rc sq_session_delete(struct store *s, const char *token_hash, struct err *e)
{
	struct sqlite_store *ss = (struct sqlite_store *)s;
	struct conn *c = borrow(ss);
	sqlite3_stmt *st = stmt(c, Q_SESSION_DELETE, e);
	enum rc rc = RC_IO;

	if (st) {
		sqlite3_bind_text(st, 1, token_hash, -1, SQLITE_STATIC);
		rc = write_one(ss, c, st, e);
		if (!rc && !sqlite3_changes(c->db))
			rc = RC_NOT_FOUND;
	}
	give_back(ss, c);
	return rc;
}

static enum rc sq_audit(struct store *s, const struct audit_entry *a, struct err *e)
{
	struct sqlite_store *ss = (struct sqlite_store *)s;
	struct conn *c = borrow(ss);
	sqlite3_stmt *st = stmt(c, Q_AUDIT, e);
	enum rc rc = RC_IO;

	if (st) {
		sqlite3_bind_int64(st, 1, (sqlite3_int64)time(NULL));
		sqlite3_bind_text(st, 2, a->actor ? a->actor : "", -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 3, a->action, -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 4, a->object ? a->object : "", -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 5, a->address ? a->address : "", -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 6, a->detail ? a->detail : "", -1, SQLITE_STATIC);
		rc = write_one(ss, c, st, e);
	}
	give_back(ss, c);
	return rc;
}

static enum rc sq_audit_list(struct store *s, int limit, json_t **out, struct err *e)
{
	struct sqlite_store *ss = (struct sqlite_store *)s;
	struct conn *c = borrow(ss);
	sqlite3_stmt *st = stmt(c, Q_AUDIT_LIST, e);
	enum rc rc = RC_IO;
	int r;

	*out = json_array();
	if (st) {
		sqlite3_bind_int(st, 1, limit);
		while ((r = sqlite3_step(st)) == SQLITE_ROW)
			json_array_append_new(*out, json_pack("{s:I,s:I,s:s,s:s,s:s,s:s,s:s}",
				"id", (json_int_t)sqlite3_column_int64(st, 0),
				"at", (json_int_t)sqlite3_column_int64(st, 1),
				"actor", (const char *)sqlite3_column_text(st, 2),
				"action", (const char *)sqlite3_column_text(st, 3),
				"object", (const char *)sqlite3_column_text(st, 4),
				"address", (const char *)sqlite3_column_text(st, 5),
				"detail", (const char *)sqlite3_column_text(st, 6)));
		rc = r == SQLITE_DONE ? RC_OK : db_error(e, c->db, "audit list");
		sqlite3_reset(st);
	}
	give_back(ss, c);
	return rc;
}

/* Insert version `version` of a service. */
static enum rc insert_version(struct conn *c, const char *sid, int version, const char *provider,
			      int ord, const char *status, const char *data, const char *by,
			      const char *note, struct err *e)
{
	sqlite3_stmt *st = stmt(c, Q_SERVICE_INSERT, e);

	if (!st)
		return RC_IO;
	sqlite3_bind_text(st, 1, sid, -1, SQLITE_STATIC);
	sqlite3_bind_int(st, 2, version);
	sqlite3_bind_text(st, 3, provider, -1, SQLITE_STATIC);
	sqlite3_bind_int(st, 4, ord);
	sqlite3_bind_text(st, 5, status, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 6, data, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 7, (sqlite3_int64)time(NULL));
	sqlite3_bind_text(st, 8, by, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 9, note ? note : "", -1, SQLITE_STATIC);
	return step_done(c, st, e);
}

/* The newest version of a service: its number, status and data text (0 and
 * NULL when there is none). *data is malloc'd. */
static enum rc latest(struct conn *c, const char *sid, int *version, char *status, size_t slen,
		      char **data, struct err *e)
{
	sqlite3_stmt *st = stmt(c, Q_SERVICE_LATEST, e);
	int r;

	*version = 0;
	*data = NULL;
	if (!st)
		return RC_IO;
	sqlite3_bind_text(st, 1, sid, -1, SQLITE_STATIC);
	r = sqlite3_step(st);
	if (r == SQLITE_ROW) {
		*version = sqlite3_column_int(st, 0);
		text(st, 1, status, slen);
		*data = strdup((const char *)sqlite3_column_text(st, 2));
	}
	sqlite3_reset(st);
	return r == SQLITE_ROW || r == SQLITE_DONE ? RC_OK : db_error(e, c->db, "read version");
}

static enum rc sq_catalogue_import(struct store *s, json_t *docs, const char *by, int *added,
				   struct err *e)
{
	struct sqlite_store *ss = (struct sqlite_store *)s;
	struct conn *c = borrow(ss);
	enum rc rc;
	size_t i, j;
	json_t *doc, *svc;

	*added = 0;
	if ((rc = write_begin(ss, c, e)))
		goto out;
	json_array_foreach(docs, i, doc) {
		json_t *prov = json_object_get(doc, "provider");
		const char *pid = json_string_value(json_object_get(prov, "id"));
		char *pdata = json_dumps(prov, JSON_COMPACT | JSON_SORT_KEYS);
		sqlite3_stmt *st = stmt(c, Q_PROVIDER_UPSERT, e);

		if (!st || !pdata) {
			free(pdata);
			rc = RC_IO;
			goto rollback;
		}
		sqlite3_bind_text(st, 1, pid, -1, SQLITE_STATIC);
		sqlite3_bind_int(st, 2, (int)i);
		sqlite3_bind_text(st, 3, pdata, -1, SQLITE_TRANSIENT);
		free(pdata);
		if ((rc = step_done(c, st, e)))
			goto rollback;
		json_array_foreach(json_object_get(doc, "services"), j, svc) {
			char sid[160], status[16] = "active", *old, *data;
			int version;

			snprintf(sid, sizeof(sid), "%s/%s", pid,
				 json_string_value(json_object_get(svc, "id")));
			data = json_dumps(svc, JSON_COMPACT | JSON_SORT_KEYS);
			if (!data) {
				rc = err_set(e, RC_NOMEM, "", "out of memory");
				goto rollback;
			}
			rc = latest(c, sid, &version, status, sizeof(status), &old, e);
			if (!rc && (!old || strcmp(old, data))) {
				rc = insert_version(c, sid, version + 1, pid, (int)j, status, data, by,
						    version ? "re-imported from the catalogue files"
						    : "imported from the catalogue files", e);
				(*added)++;
			}
			free(old);
			free(data);
			if (rc)
				goto rollback;
		}
	}
	if (*added) {
		sqlite3_stmt *st = stmt(c, Q_BUMP, e);

		if (!st || (rc = step_done(c, st, e)))
			goto rollback;
	}
	rc = write_commit(ss, c, e);
	goto out;
rollback:
	write_rollback(ss, c);
out:
	give_back(ss, c);
	return rc;
}

static enum rc read_generation(struct conn *c, int64_t *gen, struct err *e)
{
	sqlite3_stmt *st = stmt(c, Q_GENERATION, e);
	int r;

	if (!st)
		return RC_IO;
	r = sqlite3_step(st);
	*gen = r == SQLITE_ROW ? sqlite3_column_int64(st, 0) : 0;
	sqlite3_reset(st);
	return r == SQLITE_ROW ? RC_OK : db_error(e, c->db, "read generation");
}

static enum rc sq_catalogue_generation(struct store *s, int64_t *generation, struct err *e)
{
	struct sqlite_store *ss = (struct sqlite_store *)s;
	struct conn *c = borrow(ss);
	enum rc rc = read_generation(c, generation, e);

	give_back(ss, c);
	return rc;
}

static enum rc sq_catalogue_current(struct store *s, json_t **docs, int64_t *generation,
				    struct err *e)
{
	struct sqlite_store *ss = (struct sqlite_store *)s;
	struct conn *c = borrow(ss);
	sqlite3_stmt *st;
	json_t *by_provider = json_object();
	enum rc rc;
	int r;

	*docs = json_array();
	/* one read transaction, so the generation matches the rows */
	if ((rc = exec_sql(c, "BEGIN", e)))
		goto out;
	if ((rc = read_generation(c, generation, e)))
		goto end;
	if (!(st = stmt(c, Q_PROVIDERS, e))) {
		rc = RC_IO;
		goto end;
	}
	while ((r = sqlite3_step(st)) == SQLITE_ROW) {
		json_t *prov = json_loads((const char *)sqlite3_column_text(st, 1), 0, NULL);
		json_t *doc = json_pack("{s:o,s:[],s:s}", "provider", prov ? prov : json_object(),
					"services", "_file", "store");

		json_object_set(by_provider, (const char *)sqlite3_column_text(st, 0), doc);
		json_array_append_new(*docs, doc);
	}
	sqlite3_reset(st);
	if (!(st = stmt(c, Q_CURRENT, e))) {
		rc = RC_IO;
		goto end;
	}
	while ((r = sqlite3_step(st)) == SQLITE_ROW) {
		json_t *doc = json_object_get(by_provider, (const char *)sqlite3_column_text(st, 0));
		json_t *svc = json_loads((const char *)sqlite3_column_text(st, 3), 0, NULL);

		if (!doc || !svc) {
			json_decref(svc);
			continue;
		}
		json_object_set_new(svc, "_status", json_string((const char *)sqlite3_column_text(st, 1)));
		json_object_set_new(svc, "_version", json_integer(sqlite3_column_int(st, 2)));
		json_array_append_new(json_object_get(doc, "services"), svc);
	}
	if (r != SQLITE_DONE)
		rc = db_error(e, c->db, "reading the catalogue");
	sqlite3_reset(st);
end:
	exec_sql(c, "COMMIT", NULL);
out:
	json_decref(by_provider);
	give_back(ss, c);
	return rc;
}

static enum rc sq_service_edit(struct store *s, const char *service_id, int base_version,
			       json_t *data, const char *status, const char *by, const char *note,
			       int *new_version, struct err *e)
{
	struct sqlite_store *ss = (struct sqlite_store *)s;
	struct conn *c = borrow(ss);
	char cur_status[16] = "", provider[160], *slash, *old = NULL, *text_data = NULL;
	int version, ord = 0;
	sqlite3_stmt *st;
	enum rc rc;

	if ((rc = write_begin(ss, c, e)))
		goto out;
	if ((rc = latest(c, service_id, &version, cur_status, sizeof(cur_status), &old, e)))
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
	if ((st = stmt(c, Q_SERVICE_ORD, e))) {
		/* the new version keeps the service's place in its brochure */
		sqlite3_bind_text(st, 1, service_id, -1, SQLITE_STATIC);
		if (sqlite3_step(st) == SQLITE_ROW)
			ord = sqlite3_column_int(st, 0);
		sqlite3_reset(st);
	}
	text_data = data ? json_dumps(data, JSON_COMPACT | JSON_SORT_KEYS) : NULL;
	rc = insert_version(c, service_id, version + 1, provider, ord, status ? status : cur_status,
			    text_data ? text_data : old, by, note, e);
	if (!rc) {
		st = stmt(c, Q_BUMP, e);
		rc = st ? step_done(c, st, e) : RC_IO;
	}
	if (rc)
		goto rollback;
	rc = write_commit(ss, c, e);
	*new_version = version + 1;
	goto out;
rollback:
	write_rollback(ss, c);
out:
	free(old);
	free(text_data);
	give_back(ss, c);
	return rc;
}

static enum rc sq_service_history(struct store *s, const char *service_id, json_t **out,
				  struct err *e)
{
	struct sqlite_store *ss = (struct sqlite_store *)s;
	struct conn *c = borrow(ss);
	sqlite3_stmt *st = stmt(c, Q_HISTORY, e);
	enum rc rc = RC_IO;
	int r;

	*out = json_array();
	if (st) {
		sqlite3_bind_text(st, 1, service_id, -1, SQLITE_STATIC);
		while ((r = sqlite3_step(st)) == SQLITE_ROW)
			json_array_append_new(*out, json_pack("{s:i,s:s,s:I,s:s,s:s,s:o}",
				"version", sqlite3_column_int(st, 0),
				"status", (const char *)sqlite3_column_text(st, 1),
				"created_at", (json_int_t)sqlite3_column_int64(st, 2),
				"created_by", (const char *)sqlite3_column_text(st, 3),
				"note", (const char *)sqlite3_column_text(st, 4),
				"data", json_loads((const char *)sqlite3_column_text(st, 5), 0, NULL)));
		rc = r == SQLITE_DONE ? RC_OK : db_error(e, c->db, "history");
		sqlite3_reset(st);
		if (!rc && !json_array_size(*out))
			rc = err_set(e, RC_NOT_FOUND, "service", "no service '%s'", service_id);
	}
	give_back(ss, c);
	return rc;
}

static enum rc sq_backup(struct store *s, const char *path, struct err *e)
{
	struct sqlite_store *ss = (struct sqlite_store *)s;
	struct conn *c = borrow(ss);
	sqlite3 *dest = NULL;
	sqlite3_backup *b;
	enum rc rc = RC_OK;

	if (sqlite3_open(path, &dest) != SQLITE_OK) {
		rc = db_error(e, dest, path);
		goto out;
	}
	b = sqlite3_backup_init(dest, "main", c->db, "main");
	if (!b) {
		rc = db_error(e, dest, "backup");
		goto out;
	}
	while (sqlite3_backup_step(b, 256) == SQLITE_OK)
		;
	if (sqlite3_backup_finish(b) != SQLITE_OK)
		rc = db_error(e, dest, "backup");
out:
	sqlite3_close(dest);
	give_back(ss, c);
	return rc;
}

/* ---- people ---- */

static char *dump(json_t *doc)
{
	return json_dumps(doc, JSON_COMPACT | JSON_PRESERVE_ORDER);
}

static enum rc sq_person_put(struct store *s, const char *crn, json_t *doc, int expected_version,
			     const char *by, int *new_version, struct err *e)
{
	struct sqlite_store *ss = (struct sqlite_store *)s;
	struct conn *c = borrow(ss);
	char *text = dump(doc);
	sqlite3_stmt *st;
	enum rc rc;

	if (!text) {
		rc = err_set(e, RC_NOMEM, "", "out of memory");
		goto out;
	}
	if ((rc = write_begin(ss, c, e)))
		goto out;
	st = stmt(c, expected_version ? Q_PERSON_UPDATE : Q_PERSON_INSERT, e);
	if (!st) {
		rc = RC_IO;
		goto rollback;
	}
	sqlite3_bind_text(st, 1, crn, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, text, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 3, (sqlite3_int64)time(NULL));
	sqlite3_bind_text(st, 4, by, -1, SQLITE_STATIC);
	if (expected_version)
		sqlite3_bind_int(st, 5, expected_version);
	rc = step_done(c, st, e);
	if (rc == RC_CONFLICT) {
		err_set(e, RC_CONFLICT, "crn", "a person with CRN %s already exists", crn);
		goto rollback;
	}
	if (!rc && expected_version && !sqlite3_changes(c->db)) {
		rc = err_set(e, RC_CONFLICT, "version",
			     "the person's record changed since version %d", expected_version);
		goto rollback;
	}
	if (rc || !(st = stmt(c, Q_PERSON_VERSION, e)))
		goto rollback;
	sqlite3_bind_text(st, 1, crn, -1, SQLITE_STATIC);
	if ((rc = step_done(c, st, e)))
		goto rollback;
	if ((rc = write_commit(ss, c, e)))
		goto out;
	*new_version = expected_version + 1;
	goto out;
rollback:
	if (!rc)
		rc = RC_IO;
	write_rollback(ss, c);
out:
	free(text);
	give_back(ss, c);
	return rc;
}

/* Read one document column and version from the first row of st. */
static enum rc read_doc(struct conn *c, sqlite3_stmt *st, json_t **doc, int *version,
			const char *what, struct err *e)
{
	int r = sqlite3_step(st);

	*doc = NULL;
	if (r == SQLITE_DONE)
		return err_set(e, RC_NOT_FOUND, what, "not found");
	if (r != SQLITE_ROW)
		return db_error(e, c->db, "read");
	*doc = json_loads((const char *)sqlite3_column_text(st, 0), 0, NULL);
	if (version)
		*version = sqlite3_column_int(st, 1);
	return *doc ? RC_OK : err_set(e, RC_IO, what, "stored document does not parse");
}

static enum rc sq_person_get(struct store *s, const char *crn, json_t **doc, int *version,
			     struct err *e)
{
	struct sqlite_store *ss = (struct sqlite_store *)s;
	struct conn *c = borrow(ss);
	sqlite3_stmt *st = stmt(c, Q_PERSON_GET, e);
	enum rc rc = RC_IO;

	*doc = NULL;
	if (st) {
		sqlite3_bind_text(st, 1, crn, -1, SQLITE_STATIC);
		rc = read_doc(c, st, doc, version, "crn", e);
		sqlite3_reset(st);
	}
	give_back(ss, c);
	return rc;
}

static enum rc sq_person_history(struct store *s, const char *crn, json_t **out, struct err *e)
{
	struct sqlite_store *ss = (struct sqlite_store *)s;
	struct conn *c = borrow(ss);
	sqlite3_stmt *st = stmt(c, Q_PERSON_HISTORY, e);
	enum rc rc = RC_IO;
	int r;

	*out = json_array();
	if (st) {
		sqlite3_bind_text(st, 1, crn, -1, SQLITE_STATIC);
		while ((r = sqlite3_step(st)) == SQLITE_ROW)
			json_array_append_new(*out, json_pack("{s:i,s:I,s:s,s:o}",
				"version", sqlite3_column_int(st, 0),
				"at", (json_int_t)sqlite3_column_int64(st, 1),
				"by", (const char *)sqlite3_column_text(st, 2),
				"record", json_loads((const char *)sqlite3_column_text(st, 3), 0, NULL)));
		rc = r == SQLITE_DONE ? RC_OK : db_error(e, c->db, "person history");
		sqlite3_reset(st);
	}
	give_back(ss, c);
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
	size_t i;
	json_t *m;

	if (!w || !w->outbox)
		return RC_OK;
	json_array_foreach(w->outbox, i, m) {
		sqlite3_stmt *st = stmt(c, Q_OUTBOX_INSERT, e);
		char *payload = dump(json_object_get(m, "payload"));
		enum rc rc;

		if (!st || !payload) {
			free(payload);
			return RC_IO;
		}
		sqlite3_bind_int64(st, 1, id);
		sqlite3_bind_text(st, 2, jstr(m, "recipient_kind", NULL), -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 3, jstr(m, "recipient", NULL), -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 4, jstr(m, "kind", NULL), -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 5, payload, -1, SQLITE_TRANSIENT);
		sqlite3_bind_int64(st, 6, (sqlite3_int64)time(NULL));
		rc = step_done(c, st, e);
		free(payload);
		if (rc)
			return rc;
	}
	return RC_OK;
}

/* The audit row and the person's record a referral write carries. */
static enum rc write_extras(struct conn *c, int64_t id, const char *by,
			    const struct referral_write *w, struct err *e)
{
	sqlite3_stmt *st;
	char object[40], *text;
	const char *crn;
	enum rc rc;

	if (!w)
		return RC_OK;
	if (w->audit) {
		const struct audit_entry *a = w->audit;

		if (!(st = stmt(c, Q_AUDIT, e)))
			return RC_IO;
		snprintf(object, sizeof(object), "referral:%lld", (long long)id);
		sqlite3_bind_int64(st, 1, (sqlite3_int64)time(NULL));
		sqlite3_bind_text(st, 2, a->actor ? a->actor : "", -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 3, a->action, -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 4, a->object ? a->object : object, -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 5, a->address ? a->address : "", -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 6, a->detail ? a->detail : "", -1, SQLITE_STATIC);
		if ((rc = step_done(c, st, e)))
			return rc;
	}
	if (!w->person || !(crn = json_string_value(json_object_get(w->person, "crn"))))
		return RC_OK;
	if (!(text = dump(w->person)))
		return err_set(e, RC_NOMEM, "", "out of memory");
	if (!(st = stmt(c, Q_PERSON_OPEN, e))) {
		free(text);
		return RC_IO;
	}
	sqlite3_bind_text(st, 1, crn, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, text, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 3, (sqlite3_int64)time(NULL));
	sqlite3_bind_text(st, 4, by, -1, SQLITE_STATIC);
	rc = step_done(c, st, e);
	sqlite3_reset(st); /* text is bound without a copy */
	free(text);
	if (rc || !sqlite3_changes(c->db))
		return rc;
	if (!(st = stmt(c, Q_PERSON_VERSION, e)))
		return RC_IO;
	sqlite3_bind_text(st, 1, crn, -1, SQLITE_STATIC);
	return step_done(c, st, e);
}

static int64_t idem_lookup(struct conn *c, const char *scope, const char *key, struct err *e)
{
	sqlite3_stmt *st = stmt(c, Q_IDEM_GET, e);
	int64_t id = 0;

	if (!st)
		return -1;
	sqlite3_bind_text(st, 1, scope, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, key, -1, SQLITE_STATIC);
	if (sqlite3_step(st) == SQLITE_ROW)
		id = sqlite3_column_int64(st, 0);
	sqlite3_reset(st);
	return id;
}

static enum rc sq_referral_create(struct store *s, json_t *doc, const char *idem_key,
				  const struct referral_write *w, int64_t *id, int *created,
				  struct err *e)
{
	struct sqlite_store *ss = (struct sqlite_store *)s;
	struct conn *c = borrow(ss);
	const char *scope = jstr(doc, "created_by", NULL);
	int64_t now = (int64_t)time(NULL), existing;
	char *text = NULL;
	sqlite3_stmt *st;
	enum rc rc;

	*created = 0;
	if ((rc = write_begin(ss, c, e)))
		goto out;
	if (idem_key && (existing = idem_lookup(c, scope, idem_key, e)) != 0) {
		write_commit(ss, c, NULL);
		if (existing < 0)
			rc = RC_IO;
		*id = existing;
		goto out;
	}
	if (!(st = stmt(c, Q_REF_INSERT, e)))
		goto rollback;
	/* the document holds its id, so insert, learn the id, then write it */
	sqlite3_bind_text(st, 1, jstr(doc, "reference", NULL), -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, jstr(doc, "urn", NULL), -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 3, jstr(doc, "status", NULL), -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 4, jstr(doc, "provider", "id"), -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 5, jstr(doc, "service", NULL), -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 6, jstr(doc, "team", NULL), -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 7, jstr(doc, "person", "crn"), -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 8, scope, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 9, (sqlite3_int64)now);
	sqlite3_bind_text(st, 10, "{}", -1, SQLITE_STATIC);
	if ((rc = step_done(c, st, e))) {
		if (rc == RC_CONFLICT)
			err_set(e, RC_CONFLICT, "reference", "reference or URN already in use");
		goto rollback;
	}
	*id = sqlite3_last_insert_rowid(c->db);
	json_object_set_new(doc, "id", json_integer(*id));
	text = dump(doc);
	if (!text || !(st = stmt(c, Q_REF_SETDOC, e))) {
		rc = RC_IO;
		goto rollback;
	}
	sqlite3_bind_int64(st, 1, *id);
	sqlite3_bind_text(st, 2, text, -1, SQLITE_STATIC);
	if ((rc = step_done(c, st, e)))
		goto rollback;
	if (idem_key) {
		if (!(st = stmt(c, Q_IDEM_INSERT, e))) {
			rc = RC_IO;
			goto rollback;
		}
		sqlite3_bind_text(st, 1, scope, -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 2, idem_key, -1, SQLITE_STATIC);
		sqlite3_bind_int64(st, 3, *id);
		sqlite3_bind_int64(st, 4, (sqlite3_int64)now);
		if ((rc = step_done(c, st, e)))
			goto rollback;
	}
	if ((rc = write_outbox(c, *id, w, e)) || (rc = write_extras(c, *id, scope, w, e)))
		goto rollback;
	if ((rc = write_commit(ss, c, e)))
		goto out;
	*created = 1;
	goto out;
rollback:
	if (!rc)
		rc = RC_IO;
	write_rollback(ss, c);
out:
	free(text);
	give_back(ss, c);
	return rc;
}

static enum rc sq_referral_get(struct store *s, int64_t id, json_t **doc, int *version,
			       struct err *e)
{
	struct sqlite_store *ss = (struct sqlite_store *)s;
	struct conn *c = borrow(ss);
	sqlite3_stmt *st = stmt(c, Q_REF_GET, e);
	enum rc rc = RC_IO;

	*doc = NULL;
	if (st) {
		sqlite3_bind_int64(st, 1, id);
		rc = read_doc(c, st, doc, version, "referral", e);
		sqlite3_reset(st);
	}
	give_back(ss, c);
	return rc;
}

static enum rc sq_referral_update(struct store *s, int64_t id, int expected_version, json_t *doc,
				  const struct referral_write *w, int *new_version, struct err *e)
{
	struct sqlite_store *ss = (struct sqlite_store *)s;
	struct conn *c = borrow(ss);
	char *text = w && w->text ? NULL : dump(doc);
	const char *stored = text ? text : w && w->text ? w->text : NULL;
	sqlite3_stmt *st;
	enum rc rc;

	if (!stored) {
		rc = err_set(e, RC_NOMEM, "", "out of memory");
		goto out;
	}
	if ((rc = write_begin(ss, c, e)))
		goto out;
	if (!(st = stmt(c, Q_REF_UPDATE, e))) {
		rc = RC_IO;
		goto rollback;
	}
	sqlite3_bind_int64(st, 1, id);
	sqlite3_bind_int(st, 2, expected_version);
	sqlite3_bind_text(st, 3, jstr(doc, "status", NULL), -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 4, (sqlite3_int64)time(NULL));
	sqlite3_bind_text(st, 5, stored, -1, SQLITE_STATIC);
	if ((rc = step_done(c, st, e)))
		goto rollback;
	if (!sqlite3_changes(c->db)) {
		int exists = 0;

		if ((st = stmt(c, Q_REF_EXISTS, e))) {
			sqlite3_bind_int64(st, 1, id);
			exists = sqlite3_step(st) == SQLITE_ROW;
			sqlite3_reset(st);
		}
		rc = exists ? err_set(e, RC_CONFLICT, "version",
				      "the referral has changed since version %d; reload it", expected_version)
			    : err_set(e, RC_NOT_FOUND, "referral", "not found");
		goto rollback;
	}
	if ((rc = write_outbox(c, id, w, e)) || (rc = write_extras(c, id, "", w, e)))
		goto rollback;
	if ((rc = write_commit(ss, c, e)))
		goto out;
	*new_version = expected_version + 1;
	goto out;
rollback:
	write_rollback(ss, c);
out:
	free(text);
	give_back(ss, c);
	return rc;
}

/* The listing statement of f's shape on c, prepared on first use. */
static sqlite3_stmt *list_stmt(struct conn *c, const struct referral_filter *f, struct err *e)
{
	unsigned shape = store_list_shape(f);
	char sql[1024];

	if (!c->list[shape]) {
		store_list_sql(shape, '?', sql, sizeof(sql));
		if (sqlite3_prepare_v3(c->db, sql, -1, SQLITE_PREPARE_PERSISTENT, &c->list[shape], NULL)) {
			db_error(e, c->db, "preparing a referral listing");
			return NULL;
		}
	}
	sqlite3_reset(c->list[shape]);
	sqlite3_clear_bindings(c->list[shape]);
	return c->list[shape];
}

static enum rc sq_referral_list(struct store *s, const struct referral_filter *f, json_t **docs,
				int *total, struct err *e)
{
	struct sqlite_store *ss = (struct sqlite_store *)s;
	struct conn *c = borrow(ss);
	sqlite3_stmt *st = list_stmt(c, f, e);
	const char *values[6];
	enum rc rc = RC_IO;
	int r, n;

	*docs = json_array();
	*total = 0;
	if (st) {
		n = store_list_values(f, values);
		for (int i = 0; i < n; i++)
			sqlite3_bind_text(st, i + 1, values[i], -1, SQLITE_STATIC);
		sqlite3_bind_int(st, n + 1, f->limit > 0 ? f->limit : 50);
		sqlite3_bind_int(st, n + 2, f->offset);
		while ((r = sqlite3_step(st)) == SQLITE_ROW) {
			json_t *doc = json_loads((const char *)sqlite3_column_text(st, 0), 0, NULL);

			if (doc) {
				json_object_set_new(doc, "version", json_integer(sqlite3_column_int(st, 1)));
				json_array_append_new(*docs, doc);
			}
			*total = sqlite3_column_int(st, 2);
		}
		rc = r == SQLITE_DONE ? RC_OK : db_error(e, c->db, "referral list");
		sqlite3_reset(st);
	}
	give_back(ss, c);
	return rc;
}

static enum rc sq_outbox_list(struct store *s, const char *kind, const char *recipient, int limit,
			      json_t **out, struct err *e)
{
	struct sqlite_store *ss = (struct sqlite_store *)s;
	struct conn *c = borrow(ss);
	sqlite3_stmt *st = stmt(c, Q_OUTBOX_LIST, e);
	enum rc rc = RC_IO;
	int r;

	*out = json_array();
	if (st) {
		sqlite3_bind_text(st, 1, kind, -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 2, recipient, -1, SQLITE_STATIC);
		sqlite3_bind_int(st, 3, limit);
		while ((r = sqlite3_step(st)) == SQLITE_ROW)
			json_array_append_new(*out, json_pack("{s:I,s:I,s:s,s:o,s:I}",
				"id", (json_int_t)sqlite3_column_int64(st, 0),
				"referral", (json_int_t)sqlite3_column_int64(st, 1),
				"kind", (const char *)sqlite3_column_text(st, 2),
				"payload", json_loads((const char *)sqlite3_column_text(st, 3), 0, NULL),
				"created_at", (json_int_t)sqlite3_column_int64(st, 4)));
		rc = r == SQLITE_DONE ? RC_OK : db_error(e, c->db, "outbox");
		sqlite3_reset(st);
	}
	give_back(ss, c);
	return rc;
}

static enum rc sq_drafts_purge(struct store *s, int64_t older_than, int *purged, struct err *e)
{
	struct sqlite_store *ss = (struct sqlite_store *)s;
	struct conn *c = borrow(ss);
	sqlite3_stmt *st = stmt(c, Q_DRAFTS_PURGE, e);
	enum rc rc = RC_IO;

	*purged = 0;
	if (st) {
		sqlite3_bind_int64(st, 1, older_than);
		rc = write_one(ss, c, st, e);
		if (!rc)
			*purged = sqlite3_changes(c->db);
	}
	give_back(ss, c);
	return rc;
}

const struct store_ops store_sqlite_ops = {
	.name = "sqlite",
	.open = sq_open,
	.close = sq_close,
	.migrate = sq_migrate,
	.ping = sq_ping,
	.user_add = sq_user_add,
	.user_get = sq_user_get,
	.user_login_result = sq_user_login_result,
	.session_add = sq_session_add,
	.session_user = sq_session_user,
	.session_delete = sq_session_delete,
	.audit = sq_audit,
	.audit_list = sq_audit_list,
	.catalogue_import = sq_catalogue_import,
	.catalogue_current = sq_catalogue_current,
	.catalogue_generation = sq_catalogue_generation,
	.service_edit = sq_service_edit,
	.service_history = sq_service_history,
	.backup = sq_backup,
	.person_put = sq_person_put,
	.person_get = sq_person_get,
	.person_history = sq_person_history,
	.referral_create = sq_referral_create,
	.referral_get = sq_referral_get,
	.referral_update = sq_referral_update,
	.referral_list = sq_referral_list,
	.outbox_list = sq_outbox_list,
	.drafts_purge = sq_drafts_purge,
};
