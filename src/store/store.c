/*
 * store.c - role names and choosing a backend by URL.
 */
#include <string.h>
#include "store/store.h"

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
