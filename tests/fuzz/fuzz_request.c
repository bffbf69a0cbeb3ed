/*
 * fuzz_request.c - libFuzzer target for what the HTTP layer parses itself:
 * the query string, a form body and the request path through the router. The input is
 * split at the first '?' like a request URI; any bytes must parse or be
 * refused, never crash, and captures must be decoded, '/'-free strings.
 */
#include <assert.h>
#include <stdint.h>
#include <string.h>
#include "http/query.h"
#include "http/router.h"

static const struct route_pattern routes[] = {
	{ "GET", "/healthz" },
	{ "GET", "/api/v1/services" },
	{ "GET", "/api/v1/services/{provider}/{service}" },
	{ "GET", "/api/v1/services/{provider}/{service}/history" },
	{ "POST", "/api/v1/referrals/{id}/transitions" },
};

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct arena a;
	struct query q;
	struct route_match m;
	struct err e = ERR_INIT;
	char path[4096];
	const char *qm = memchr(data, '?', size);
	size_t plen = qm ? (size_t)(qm - (const char *)data) : size;
	int i;

	if (plen >= sizeof(path))
		return 0;
	memcpy(path, data, plen);
	path[plen] = '\0';
	if (strlen(path) != plen)
		return 0; /* the server never sees a NUL in a URI */
	arena_init(&a, 1024);
	i = router_match(routes, sizeof(routes) / sizeof(routes[0]), sizeof(routes[0]),
			 size % 2 ? "GET" : "POST", path, &a, &m);
	if (i >= 0)
		for (size_t k = 0; k < m.ncaptures; k++)
			assert(!strchr(m.captures[k], '/'));
	if (qm && query_parse(&q, qm + 1, size - plen - 1, &a, &e) == RC_OK)
		for (size_t k = 0; k < q.n; k++)
			assert(query_get(&q, q.p[k].key) != NULL);
	/* the same bytes as a submitted form body */
	if (qm && query_parse_form(&q, qm + 1, size - plen - 1, &a, &e) == RC_OK)
		for (size_t k = 0; k < q.n; k++)
			assert(query_get(&q, q.p[k].key) != NULL);
	arena_release(&a);
	return 0;
}
