/*
 * store_pg.c - PostgreSQL backend (being written; see store.h).
 */
#include "store/store.h"

static enum rc pg_open(struct store **out, const char *url, struct err *e)
{
	(void)url;
	*out = NULL;
	return err_set(e, RC_IO, "db", "PostgreSQL support is not built yet");
}

const struct store_ops store_pg_ops = { .name = "postgresql", .open = pg_open };
