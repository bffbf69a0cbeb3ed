/*
 * lifecycle.c - the transition table. Reading it top to bottom is reading
 * the NSI process: a practitioner sends; the provider's hub accepts or
 * rejects, starts at the first session and completes; either side may
 * cancel anything not yet final.
 */
#include <string.h>
#include "http/server.h"
#include "referral/lifecycle.h"

#define PRACTITIONER ROLE_BIT(ROLE_PRACTITIONER)
#define PROVIDER ROLE_BIT(ROLE_PROVIDER)

static const char *const names[RS_COUNT] = {
	[RS_DRAFT] = "draft", [RS_REFERRED] = "referred", [RS_ACCEPTED] = "accepted",
	[RS_REJECTED] = "rejected", [RS_IN_PROGRESS] = "in_progress",
	[RS_COMPLETED] = "completed", [RS_CANCELLED] = "cancelled",
};

static const struct transition table[] = {
	{ RS_DRAFT, RS_REFERRED, PRACTITIONER, 0, "sent" },
	{ RS_REFERRED, RS_ACCEPTED, PROVIDER, 0, "accepted" },
	{ RS_REFERRED, RS_REJECTED, PROVIDER, 1, "rejected" },
	{ RS_ACCEPTED, RS_IN_PROGRESS, PROVIDER, 0, "started" },
	{ RS_IN_PROGRESS, RS_COMPLETED, PROVIDER, 0, "completed" },
	{ RS_DRAFT, RS_CANCELLED, PRACTITIONER, 1, "cancelled" },
	{ RS_REFERRED, RS_CANCELLED, PRACTITIONER | PROVIDER, 1, "cancelled" },
	{ RS_ACCEPTED, RS_CANCELLED, PRACTITIONER | PROVIDER, 1, "cancelled" },
	{ RS_IN_PROGRESS, RS_CANCELLED, PRACTITIONER | PROVIDER, 1, "cancelled" },
};

const struct cancel_reason lifecycle_cancel_reasons[] = {
	{ "ineligible", "referral", "Not eligible for the service" },
	{ "mistaken", "referral", "Referred by mistake" },
	{ "duplicate", "referral", "Duplicate referral" },
	{ "not_engaged", "person", "Did not engage" },
	{ "needs_met", "person", "Needs met elsewhere" },
	{ "moved", "person", "Moved out of the area" },
	{ "work_caring_sickness", "person", "Work, caring responsibilities or sickness" },
	{ "died", "person", "Died" },
	{ "acquitted", "sentence", "Acquitted on appeal" },
	{ "returned_to_custody", "sentence", "Returned to custody" },
	{ "revoked", "sentence", "Order or licence revoked" },
	{ "expired", "sentence", "Order or licence expired" },
	{ "other", "other", "Other (give details)" },
	{ NULL, NULL, NULL }
};

const char *lifecycle_name(enum rstatus s)
{
	return (unsigned)s < RS_COUNT ? names[s] : NULL;
}

int lifecycle_parse(const char *name)
{
	for (int i = 0; name && i < RS_COUNT; i++)
		if (!strcmp(names[i], name))
			return i;
	return -1;
}

int lifecycle_is_final(enum rstatus s)
{
	return s == RS_REJECTED || s == RS_COMPLETED || s == RS_CANCELLED;
}

enum rc lifecycle_check(enum rstatus from, enum rstatus to, enum role role,
			const struct transition **t, struct err *e)
{
	for (size_t i = 0; i < sizeof(table) / sizeof(table[0]); i++) {
		if (table[i].from != from || table[i].to != to)
			continue;
		if (!(table[i].roles & ROLE_BIT(role)))
			return err_set(e, RC_FORBIDDEN, "to", "the %s role may not move a referral from %s to %s",
				       role_name(role), names[from], names[to]);
		*t = &table[i];
		return RC_OK;
	}
	return err_set(e, RC_CONFLICT, "to", "a referral cannot move from %s to %s", names[from],
		       names[to]);
}

const struct cancel_reason *lifecycle_cancel_reason(const char *code)
{
	for (int i = 0; code && lifecycle_cancel_reasons[i].code; i++)
		if (!strcmp(lifecycle_cancel_reasons[i].code, code))
			return &lifecycle_cancel_reasons[i];
	return NULL;
}
