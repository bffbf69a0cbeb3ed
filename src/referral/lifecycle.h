/*
 * lifecycle.h - the referral (NSI) lifecycle: its states and the one table
 * of legal moves, by role. Every status change anywhere in ratecard goes
 * through lifecycle_check(); nothing else decides who may move a referral.
 */
#ifndef REFERRAL_LIFECYCLE_H
#define REFERRAL_LIFECYCLE_H

#include "store/store.h"

enum rstatus {
	RS_DRAFT,        /* being written by the practitioner; not yet sent */
	RS_REFERRED,     /* sent and transferred to the provider's hub */
	RS_ACCEPTED,     /* the provider will deliver it */
	RS_REJECTED,     /* the provider declined it (final; with a reason) */
	RS_IN_PROGRESS,  /* the first session has happened */
	RS_COMPLETED,    /* delivery ended: completed, or ended early (final) */
	RS_CANCELLED,    /* withdrawn by either side, with a reason code (final) */
	RS_COUNT
};

/* "draft", ..., or NULL; lifecycle_parse() answers -1 for an unknown name. */
const char *lifecycle_name(enum rstatus s);
int lifecycle_parse(const char *name);
int lifecycle_is_final(enum rstatus s);

struct transition {
	enum rstatus from, to;
	unsigned roles;          /* ROLE_BIT()s allowed to make the move */
	int needs_reason;        /* a reason (or reason code) is required */
	const char *what;        /* the verb, for history and notifications */
};

/* RC_OK with *t set when role may move from -> to; RC_CONFLICT when the
 * move is not in the table at all; RC_FORBIDDEN when it is, but not for
 * this role. e names the problem. */
enum rc lifecycle_check(enum rstatus from, enum rstatus to, enum role role,
			const struct transition **t, struct err *e) RC_MUST;

/* Cancellation and withdrawal reasons: a fixed list in four groups. */
struct cancel_reason {
	const char *code, *group, *text;
};

extern const struct cancel_reason lifecycle_cancel_reasons[];

/* The reason with this code, or NULL. */
const struct cancel_reason *lifecycle_cancel_reason(const char *code);

#endif
