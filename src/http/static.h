/*
 * static.h - the front-end assets (GOV.UK Frontend, MoJ Frontend and our own
 * few files), read once at start from one directory tree and served from
 * memory under a URL prefix, with a content type, an ETag and 304s.
 */
#ifndef HTTP_STATIC_H
#define HTTP_STATIC_H

#include <stddef.h>
#include "core/err.h"

#define STATIC_MAX_FILES 4096
#define STATIC_MAX_BYTES ((size_t)64 << 20)

struct request;
struct static_files;

/* Every regular file under dir (at most 8 levels deep), served at
 * prefix + relative path ("/assets/" + "fonts/x.woff2"). */
enum rc static_load(struct static_files **out, const char *dir, const char *prefix,
		    struct err *e) RC_MUST;
void static_free(struct static_files *s);
size_t static_count(const struct static_files *s);

/* Answer r when its path is under the prefix: 200 with the file, 304 when
 * If-None-Match names its ETag, 404 for no such file. Returns 1 when it
 * answered, 0 when the path is not under the prefix. */
int static_serve(const struct static_files *s, struct request *r);

#endif
