/*
 * cache.h - response bodies shared between requests: the search cache.
 *
 * A shared_body is reference-counted; the cache holds one reference, each
 * response being sent holds another, so an entry can be replaced while an
 * old copy is still going out. Keys include the catalogue generation, so an
 * edit makes every older entry miss without any invalidation walk.
 */
#ifndef HTTP_CACHE_H
#define HTTP_CACHE_H

#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>

struct shared_body {
	atomic_int refs;
	size_t len;
	char data[];
};

/* A new body with one reference, holding a copy of data. */
struct shared_body *shared_body_new(const char *data, size_t len);
struct shared_body *shared_body_get(struct shared_body *b);
void shared_body_put(struct shared_body *b);

struct body_cache;

struct body_cache *body_cache_new(size_t slots);
void body_cache_free(struct body_cache *c);

/* A new reference to the body cached under (generation, key), or NULL. */
struct shared_body *body_cache_lookup(struct body_cache *c, int64_t generation, const char *key);

/* Cache body (the cache takes its own reference). */
void body_cache_store(struct body_cache *c, int64_t generation, const char *key,
		      struct shared_body *body);

#endif
