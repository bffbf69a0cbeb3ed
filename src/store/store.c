/*
 * store.c - role names, choosing a backend by URL, and the SQL of referral
 * listings the backends share (store_int.h).
 */
#include <stdio.h>
#include <string.h>
#include "store/store.h"
#include "store/store_int.h"

static const char *const role_names[ROLE_COUNT] = {
	[ROLE_PRACTITIONER] = "practitioner", [ROLE_PROVIDER] = "provider",
	[ROLE_COMMISSIONER] = "commissioner", [ROLE_COURT] = "court",
	[ROLE_FINANCE] = "finance", [ROLE_ADMIN] = "admin",
};

const char *role_name(enum role r)
{
	return (unsigned)r < ROLE_COUNT ? role_names[r] : "unknown";
}

int role_parse(const char *name)
{
	for (int i = 0; i < ROLE_COUNT; i++)
		if (!strcmp(role_names[i], name))
			return i;
	return -1;
}

enum rc store_open(struct store **out, const char *url, struct err *e)
{
	if (!url || !*url)
		url = STORE_DEFAULT_URL;
	if (!strncmp(url, "postgresql://", 13) || !strncmp(url, "postgres://", 11))
		return store_pg_ops.open(out, url, e);
	return store_sqlite_ops.open(out, url, e);
}

/* The filters of a listing, in parameter order: bit i of a shape is set when
 * filter i is given. */
static const char *const list_columns[] = {
	"provider_id", "team", "status", "service_id", "crn", "reference"
};

#define LIST_NFILTERS 6
#define LIST_NO_DRAFTS (1u << LIST_NFILTERS)
#define LIST_OLDEST (1u << (LIST_NFILTERS + 1))

static void list_filter_values(const struct referral_filter *f, const char *v[LIST_NFILTERS])
{
	v[0] = f->provider_id;
	v[1] = f->team;
	v[2] = f->status;
	v[3] = f->service_id;
	v[4] = f->crn;
	v[5] = f->reference;
}

unsigned store_list_shape(const struct referral_filter *f)
{
	const char *v[LIST_NFILTERS];
	unsigned shape = 0;

	list_filter_values(f, v);
	for (int i = 0; i < LIST_NFILTERS; i++)
		if (v[i] && *v[i])
			shape |= 1u << i;
	if (!f->include_drafts)
		shape |= LIST_NO_DRAFTS;
	if (f->oldest_first)
		shape |= LIST_OLDEST;
	return shape;
}

int store_list_values(const struct referral_filter *f, const char *values[6])
{
	const char *v[LIST_NFILTERS];
	int n = 0;

	list_filter_values(f, v);
	for (int i = 0; i < LIST_NFILTERS; i++)
		if (v[i] && *v[i])
			values[n++] = v[i];
	return n;
}

void store_list_sql(unsigned shape, char mark, char *out, size_t len)
{
	const char *cast = mark == '$' ? "::bigint" : "";
	size_t at = 0;
	int n = 0;

#define ADD(...) (at += (size_t)snprintf(out + at, at < len ? len - at : 0, __VA_ARGS__))
	ADD("SELECT doc, version, count(*) OVER () FROM referrals WHERE true");
	for (int i = 0; i < LIST_NFILTERS; i++)
		if (shape & (1u << i))
			ADD(" AND %s = %c%d", list_columns[i], mark, ++n);
	if (shape & LIST_NO_DRAFTS)
		ADD(" AND status <> 'draft'");
	ADD(" ORDER BY created_at %s, id %s", shape & LIST_OLDEST ? "ASC" : "DESC",
	    shape & LIST_OLDEST ? "ASC" : "DESC");
	ADD(" LIMIT %c%d%s OFFSET %c%d%s", mark, n + 1, cast, mark, n + 2, cast);
#undef ADD
}
