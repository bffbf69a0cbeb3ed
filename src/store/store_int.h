/*
 * store_int.h - what the two backends share and no caller needs.
 *
 * The SQL of a referral listing is built for the filters a listing uses, one
 * statement per combination ("shape"), each prepared once per connection: a
 * single statement written as "(? = '' OR crn = ?)" for every filter cannot
 * use an index, so every listing (the eligibility re-check lists a person's
 * referrals on each send) scanned every referral in the database.
 */
#ifndef STORE_STORE_INT_H
#define STORE_STORE_INT_H

#include <stddef.h>
#include "store/store.h"

/* How many shapes there are: one bit per filter, drafts and order. */
#define STORE_LIST_SHAPES 256

/* The shape of the listing f asks for, 0 .. STORE_LIST_SHAPES - 1. */
unsigned store_list_shape(const struct referral_filter *f);

/* The filter values the statement of f's shape takes, in its parameter
 * order (provider, team, status, service, crn, reference, those given);
 * limit and offset follow them. Returns how many were set in values. */
int store_list_values(const struct referral_filter *f, const char *values[6]);

/* The SQL of a shape into out (len >= 1024 always suffices): columns doc,
 * version and the total count; parameters numbered from 1 and written
 * "?N" (mark '?', SQLite) or "$N" (mark '$', PostgreSQL). */
void store_list_sql(unsigned shape, char mark, char *out, size_t len);

#endif
