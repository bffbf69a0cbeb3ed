/*
 * router.c - split the path once, then walk the table comparing segments.
 * The table is small (a few dozen routes), so a linear walk is the clear
 * choice.
 */
#include <string.h>
#include "http/query.h"
#include "http/router.h"

struct segments {
	const char *s[ROUTER_MAX_SEGMENTS];
	size_t n;
};

/* Split and decode path ("/a/b%20c") into segments; -1 if malformed. */
static int split_path(const char *path, struct arena *a, struct segments *out)
{
	const char *p = path;

	out->n = 0;
	if (*p != '/')
		return -1;
	p++;
	while (*p) {
		const char *slash = strchr(p, '/');
		size_t len = slash ? (size_t)(slash - p) : strlen(p);
		char *seg;

		if (out->n == ROUTER_MAX_SEGMENTS)
			return -1;
		if (!len && slash)
			return -1; /* "//" */
		seg = arena_alloc(a, len + 1);
		if (!seg || query_decode(p, len, seg, 0) < 0 || strchr(seg, '/'))
			return -1;
		if (len)
			out->s[out->n++] = seg;
		if (!slash)
			break;
		p = slash + 1;
	}
	return 0;
}

/* Does pattern match the segments? Fills captures. */
static int match_pattern(const char *pattern, const struct segments *sg, struct route_match *m)
{
	const char *p = pattern + 1;
	size_t i = 0;

	m->ncaptures = 0;
	while (*p) {
		const char *slash = strchr(p, '/');
		size_t len = slash ? (size_t)(slash - p) : strlen(p);

		if (i == sg->n)
			return 0;
		if (p[0] == '{') {
			if (m->ncaptures == ROUTER_MAX_CAPTURES)
				return 0;
			m->captures[m->ncaptures++] = sg->s[i];
		} else if (strlen(sg->s[i]) != len || memcmp(sg->s[i], p, len)) {
			return 0;
		}
		i++;
		p += len + (slash ? 1 : 0);
	}
	return i == sg->n;
}

int router_match(const void *routes, size_t nroutes, size_t stride, const char *method,
		 const char *path, struct arena *a, struct route_match *m)
{
	struct segments sg;
	int wrong_method = 0;

	if (split_path(path, a, &sg))
		return ROUTER_BAD_PATH;
	for (size_t i = 0; i < nroutes; i++) {
		const struct route_pattern *r =
			(const struct route_pattern *)((const char *)routes + i * stride);

		if (!match_pattern(r->pattern, &sg, m))
			continue;
		if (!strcmp(r->method, method))
			return (int)i;
		wrong_method = 1;
	}
	return wrong_method ? ROUTER_WRONG_METHOD : ROUTER_NO_ROUTE;
}
