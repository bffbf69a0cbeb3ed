/*
 * store.h - ratecard's persistent state behind one table of operations, with
 * an embedded SQLite backend (store_sqlite.c, the default) and a PostgreSQL
 * backend (store_pg.c) for deployments that run several servers on one
 * database (git's ref backends: the callers never know which).
 *
 * A struct store is safe to use from many threads at once: each backend
 * keeps a pool of connections and every operation borrows one.
 *
 * Every operation returns enum rc; RC_NOT_FOUND and RC_CONFLICT are ordinary
 * answers, RC_IO means the database failed (the message is in e). Strings in
 * results are owned by the caller's struct and released by the matching
 * _release function. Times are Unix seconds (UTC).
 */
#ifndef STORE_STORE_H
#define STORE_STORE_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>
#include "core/err.h"

struct store;

enum role {
	ROLE_PRACTITIONER, ROLE_PROVIDER, ROLE_COMMISSIONER, ROLE_COURT, ROLE_FINANCE,
	ROLE_ADMIN, ROLE_COUNT
};

/* "practitioner", ...; role_parse() answers -1 for an unknown name. */
const char *role_name(enum role r);
int role_parse(const char *name);

struct user {
	int64_t id;
	char username[64];
	enum role role;
	char provider[64];     /* provider id, for ROLE_PROVIDER; else "" */
	char team[64];         /* practitioner's team; else "" */
	char pwhash[160];      /* libsodium crypt_pwhash_str output */
	int failed_logins;     /* consecutive failures since the last success */
	int64_t locked_until;  /* 0, or when a lock-out ends */
};

struct audit_entry {
	const char *actor;     /* username, or "" for anonymous */
	const char *action;    /* "login", "login_failed", "user_add", "service_edit", ... */
	const char *object;    /* what it was done to: "user:alice", "service:kss-crc/resolve" */
	const char *address;   /* client address, or "cli" */
	const char *detail;    /* JSON text or "" */
};

struct service_version {
	char service_id[160];
	int version;
	char status[16];       /* active | suspended */
	json_t *data;          /* the service in catalogue source form (owned) */
	int64_t created_at;
	char created_by[64];
	char note[256];
};

/* Which referrals a listing wants; empty strings and 0 mean "any". */
struct referral_filter {
	const char *provider_id;   /* referrals sent to this provider */
	const char *team;          /* the referring team */
	const char *status;
	const char *service_id;
	const char *crn;
	const char *reference;     /* the human-friendly reference */
	int include_drafts;        /* drafts are the referrer's own: off for providers */
	int oldest_first;          /* the provider inbox order */
	int limit, offset;
};

/* What a referral create or update writes besides the document, in the same
 * transaction: the change, its notifications and its audit row are saved
 * together or not at all. */
struct referral_write {
	json_t *outbox;            /* array of {"recipient_kind", "recipient", "kind", "payload"} */
	const struct audit_entry *audit; /* or NULL; an object of NULL is "referral:ID" */
	json_t *person;            /* create only, or NULL: a person's record (with "crn"),
				      opened at version 1 by the referral's creator unless
				      that CRN has one already (which is left as it is) */
	const char *text;          /* update only, or NULL: the document as json_dumps()
				      with JSON_COMPACT | JSON_PRESERVE_ORDER writes it,
				      when the caller has it already (stored as is) */
};

struct store_ops {
	const char *name;
	enum rc (*open)(struct store **out, const char *url, struct err *e);
	void (*close)(struct store *s);
	/* Apply every migration not yet applied; idempotent. */
	enum rc (*migrate)(struct store *s, struct err *e);
	/* The database answers (for /healthz). */
	enum rc (*ping)(struct store *s, struct err *e);

	enum rc (*user_add)(struct store *s, struct user *u, struct err *e);   /* sets u->id; RC_CONFLICT if taken */
	enum rc (*user_get)(struct store *s, const char *username, struct user *out, struct err *e);
	/* Record a login attempt's outcome: success resets the failure count;
	 * failure increments it and sets locked_until when given (non-zero). */
	enum rc (*user_login_result)(struct store *s, int64_t user_id, int success,
				     int64_t locked_until, struct err *e);

	enum rc (*session_add)(struct store *s, const char *token_hash, int64_t user_id,
			       int64_t expires_at, struct err *e);
	/* The user of an unexpired session, or RC_NOT_FOUND. */
	enum rc (*session_user)(struct store *s, const char *token_hash, int64_t now,
				struct user *out, struct err *e);
	enum rc (*session_delete)(struct store *s, const char *token_hash, struct err *e);

	/* Append to the audit log (never updated or deleted). */
	enum rc (*audit)(struct store *s, const struct audit_entry *a, struct err *e);
	/* The newest `limit` audit rows as a JSON array of objects, newest first. */
	enum rc (*audit_list)(struct store *s, int limit, json_t **out, struct err *e);

	/* Store each provider document of docs (the catalogue's source form); a
	 * service whose data differs from its newest version gets a new version
	 * (status kept), so history is never overwritten. *added counts them. */
	enum rc (*catalogue_import)(struct store *s, json_t *docs, const char *by, int *added,
				    struct err *e);
	/* The current catalogue as provider documents (array of {"provider",
	 * "services"}), each service carrying "_status" and "_version"; an
	 * empty array when nothing was imported. *generation is a number that
	 * changes whenever the catalogue does. */
	enum rc (*catalogue_current)(struct store *s, json_t **docs, int64_t *generation,
				     struct err *e);
	/* Just the generation, cheaply, to notice another server's edit. */
	enum rc (*catalogue_generation)(struct store *s, int64_t *generation, struct err *e);
	/* Add a version of one service (a commissioner's edit). RC_NOT_FOUND for
	 * an unknown service; RC_CONFLICT when base_version is not the newest. */
	enum rc (*service_edit)(struct store *s, const char *service_id, int base_version,
				json_t *data, const char *status, const char *by, const char *note,
				int *new_version, struct err *e);
	/* Every version of a service, oldest first, as a JSON array. */
	enum rc (*service_history)(struct store *s, const char *service_id, json_t **out,
				   struct err *e);

	/* Copy the whole database to path (a consistent snapshot). */
	enum rc (*backup)(struct store *s, const char *path, struct err *e);

	/* People on probation, by case reference number. person_put creates
	 * (expected_version 0; RC_CONFLICT when the CRN exists) or updates
	 * (RC_CONFLICT when stale); every version is kept. */
	enum rc (*person_put)(struct store *s, const char *crn, json_t *doc, int expected_version,
			      const char *by, int *new_version, struct err *e);
	enum rc (*person_get)(struct store *s, const char *crn, json_t **doc, int *version,
			      struct err *e);
	/* Every version of a person's record, oldest first. */
	enum rc (*person_history)(struct store *s, const char *crn, json_t **out, struct err *e);

	/* Create a referral from doc (which carries "reference", "urn",
	 * "status", "service", "provider" ("id"), "team", "person" ("crn") and
	 * "created_by"); sets *id and stores it in doc as "id", version 1. With
	 * an idempotency key (scoped to its creator) a repeated create answers
	 * the first referral's id with *created 0. RC_CONFLICT field
	 * "reference" when the reference is taken (the caller draws another). */
	enum rc (*referral_create)(struct store *s, json_t *doc, const char *idem_key,
				   const struct referral_write *w, int64_t *id, int *created,
				   struct err *e);
	enum rc (*referral_get)(struct store *s, int64_t id, json_t **doc, int *version,
				struct err *e);
	/* Replace the document if the stored version is still expected_version
	 * (else RC_CONFLICT field "version"); the new version is returned. */
	enum rc (*referral_update)(struct store *s, int64_t id, int expected_version, json_t *doc,
				   const struct referral_write *w, int *new_version, struct err *e);
	/* Matching referrals (documents, newest first unless oldest_first) and
	 * how many match in all. */
	enum rc (*referral_list)(struct store *s, const struct referral_filter *f, json_t **docs,
				 int *total, struct err *e);
	/* Notifications waiting for one recipient ("provider"/"team", name),
	 * newest first. */
	enum rc (*outbox_list)(struct store *s, const char *recipient_kind, const char *recipient,
			       int limit, json_t **out, struct err *e);
	/* Delete drafts not touched since before `older_than`; *purged counts. */
	enum rc (*drafts_purge)(struct store *s, int64_t older_than, int *purged, struct err *e);
};

struct store {
	const struct store_ops *ops;
};

extern const struct store_ops store_sqlite_ops;
extern const struct store_ops store_pg_ops;

/* Open by URL: "postgresql://..." or "postgres://..." selects PostgreSQL,
 * anything else is a SQLite file path (default "var/ratecard.db"). The
 * caller runs migrate() when it should. */
enum rc store_open(struct store **out, const char *url, struct err *e) RC_MUST;

static inline void store_close(struct store *s)
{
	if (s)
		s->ops->close(s);
}

#define STORE_DEFAULT_URL "var/ratecard.db"

#endif
