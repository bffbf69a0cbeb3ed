/*
 * static.c - a sorted array of (path, body, type, etag), searched by
 * bisection. Bodies are shared_body values so a response holds a reference
 * instead of a copy.
 */
#include <dirent.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include "http/cache.h"
#include "http/request.h"
#include "http/static.h"

struct static_file {
	char *path;                 /* relative, "fonts/x.woff2" */
	const char *type;
	char etag[20];              /* "\"%016llx\"" */
	struct shared_body *body;
};

struct static_files {
	char *prefix;
	size_t prefix_len;
	struct static_file *f;
	size_t n, cap, bytes;
};

static const struct {
	const char *ext, *type;
} types[] = {
	{ ".css", "text/css; charset=utf-8" },
	{ ".js", "text/javascript; charset=utf-8" },
	{ ".mjs", "text/javascript; charset=utf-8" },
	{ ".json", "application/json" },
	{ ".map", "application/json" },
	{ ".png", "image/png" },
	{ ".svg", "image/svg+xml" },
	{ ".ico", "image/x-icon" },
	{ ".woff2", "font/woff2" },
	{ ".woff", "font/woff" },
	{ ".txt", "text/plain; charset=utf-8" },
	{ ".webmanifest", "application/manifest+json" },
};

static const char *type_of(const char *path)
{
	const char *dot = strrchr(path, '.');

	for (size_t i = 0; dot && i < sizeof(types) / sizeof(types[0]); i++)
		if (!strcmp(dot, types[i].ext))
			return types[i].type;
	return "application/octet-stream";
}

static uint64_t fnv1a(const char *p, size_t len)
{
	uint64_t h = 14695981039346656037ull;

	for (size_t i = 0; i < len; i++)
		h = (h ^ (unsigned char)p[i]) * 1099511628211ull;
	return h;
}

static enum rc add_file(struct static_files *s, const char *full, const char *rel, struct err *e)
{
	struct buf b = BUF_INIT;
	struct static_file *f;

	if (s->n == STATIC_MAX_FILES)
		return err_set(e, RC_TOO_LARGE, "assets", "more than %d asset files", STATIC_MAX_FILES);
	if (buf_read_file(&b, full)) {
		buf_release(&b);
		return err_set(e, RC_IO, "assets", "cannot read %s", full);
	}
	if ((s->bytes += b.len) > STATIC_MAX_BYTES) {
		buf_release(&b);
		return err_set(e, RC_TOO_LARGE, "assets", "the assets are larger than %zu bytes",
			       STATIC_MAX_BYTES);
	}
	if (s->n == s->cap) {
		size_t cap = s->cap ? s->cap * 2 : 64;
		struct static_file *nf = realloc(s->f, cap * sizeof(*nf));

		if (!nf) {
			buf_release(&b);
			return err_set(e, RC_NOMEM, "", "out of memory");
		}
		s->f = nf;
		s->cap = cap;
	}
	f = &s->f[s->n];
	f->path = strdup(rel);
	f->type = type_of(rel);
	snprintf(f->etag, sizeof(f->etag), "\"%016llx\"", (unsigned long long)fnv1a(b.data, b.len));
	f->body = shared_body_new(b.data, b.len);
	buf_release(&b);
	if (!f->path || !f->body) {
		free(f->path);
		shared_body_put(f->body);
		return err_set(e, RC_NOMEM, "", "out of memory");
	}
	s->n++;
	return RC_OK;
}

static enum rc walk(struct static_files *s, const char *dir, const char *rel, int depth,
		    struct err *e)
{
	DIR *d;
	struct dirent *de;
	enum rc rc = RC_OK;

	if (depth > 8)
		return err_set(e, RC_TOO_LARGE, "assets", "%s nests deeper than 8 levels", dir);
	if (!(d = opendir(dir)))
		return err_set(e, RC_IO, "assets", "cannot open the asset directory %s", dir);
	while (!rc && (de = readdir(d))) {
		struct buf full = BUF_INIT, sub = BUF_INIT;
		struct stat st;

		if (de->d_name[0] == '.')
			continue; /* ., .., and hidden files such as the build stamp */
		rc = buf_addf(&full, "%s/%s", dir, de->d_name);
		if (!rc)
			rc = buf_addf(&sub, "%s%s%s", rel, *rel ? "/" : "", de->d_name);
		if (!rc && stat(full.data, &st))
			rc = err_set(e, RC_IO, "assets", "cannot stat %s", full.data);
		else if (!rc && S_ISDIR(st.st_mode))
			rc = walk(s, full.data, sub.data, depth + 1, e);
		else if (!rc && S_ISREG(st.st_mode))
			rc = add_file(s, full.data, sub.data, e);
		if (rc == RC_NOMEM && !e->rc)
			err_set(e, rc, "", "out of memory");
		buf_release(&full);
		buf_release(&sub);
	}
	closedir(d);
	return rc;
}

static int by_path(const void *a, const void *b)
{
	return strcmp(((const struct static_file *)a)->path, ((const struct static_file *)b)->path);
}

enum rc static_load(struct static_files **out, const char *dir, const char *prefix,
		    struct err *e)
{
	struct static_files *s = calloc(1, sizeof(*s));
	enum rc rc;

	*out = NULL;
	if (!s || !(s->prefix = strdup(prefix))) {
		free(s);
		return err_set(e, RC_NOMEM, "", "out of memory");
	}
	s->prefix_len = strlen(prefix);
	rc = walk(s, dir, "", 0, e);
	if (rc) {
		static_free(s);
		return rc;
	}
	qsort(s->f, s->n, sizeof(*s->f), by_path);
	*out = s;
	return RC_OK;
}

void static_free(struct static_files *s)
{
	if (!s)
		return;
	for (size_t i = 0; i < s->n; i++) {
		free(s->f[i].path);
		shared_body_put(s->f[i].body);
	}
	free(s->f);
	free(s->prefix);
	free(s);
}

size_t static_count(const struct static_files *s)
{
	return s ? s->n : 0;
}

int static_serve(const struct static_files *s, struct request *r)
{
	struct static_file key, *f;
	const char *inm;

	if (!s || strncmp(r->path, s->prefix, s->prefix_len))
		return 0;
	if (strcmp(r->method, "GET") && strcmp(r->method, "HEAD")) {
		r->allow = "GET, HEAD";
		http_error(r, 405, "method_not_allowed", "method", "%s is not allowed here", r->method);
		return 1;
	}
	/* no decoding: asset names are plain, so "%2e%2e" simply matches nothing */
	key.path = r->path + s->prefix_len;
	f = bsearch(&key, s->f, s->n, sizeof(*s->f), by_path);
	if (!f) {
		http_error(r, 404, "not_found", "path", "no such asset");
		return 1;
	}
	r->etag = f->etag;
	r->cache_control = "public, max-age=3600";
	inm = http_header(r, "If-None-Match");
	if (inm && !strcmp(inm, f->etag)) {
		http_raw(r, 304);
		return 1;
	}
	r->content_type = f->type;
	r->shared = shared_body_get(f->body);
	http_raw(r, 200);
	return 1;
}
