/*
 * cache.c - a fixed array of slots addressed by a hash of the key, one mutex
 * per slot; a colliding key simply replaces the slot's entry. That is enough
 * for the few hundred distinct searches a directory sees, and keeps the
 * lookup at one hash, one lock and one compare.
 */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include "http/cache.h"

struct slot {
	pthread_mutex_t lock;
	int64_t generation;
	char *key;
	struct shared_body *body;
};

struct body_cache {
	size_t n;
	struct slot slots[];
};

struct shared_body *shared_body_new(const char *data, size_t len)
{
	struct shared_body *b = malloc(sizeof(*b) + len + 1);

	if (!b)
		return NULL;
	atomic_init(&b->refs, 1);
	b->len = len;
	memcpy(b->data, data, len);
	b->data[len] = '\0';
	return b;
}

struct shared_body *shared_body_get(struct shared_body *b)
{
	if (b)
		atomic_fetch_add(&b->refs, 1);
	return b;
}

void shared_body_put(struct shared_body *b)
{
	if (b && atomic_fetch_sub(&b->refs, 1) == 1)
		free(b);
}

struct body_cache *body_cache_new(size_t slots)
{
	struct body_cache *c = calloc(1, sizeof(*c) + slots * sizeof(struct slot));

	if (!c)
		return NULL;
	c->n = slots;
	for (size_t i = 0; i < slots; i++)
		pthread_mutex_init(&c->slots[i].lock, NULL);
	return c;
}

void body_cache_free(struct body_cache *c)
{
	if (!c)
		return;
	for (size_t i = 0; i < c->n; i++) {
		free(c->slots[i].key);
		shared_body_put(c->slots[i].body);
		pthread_mutex_destroy(&c->slots[i].lock);
	}
	free(c);
}

static struct slot *slot_of(struct body_cache *c, int64_t generation, const char *key)
{
	uint64_t h = 1469598103934665603ULL ^ (uint64_t)generation;

	for (const unsigned char *p = (const unsigned char *)key; *p; p++)
		h = (h ^ *p) * 1099511628211ULL; /* FNV-1a */
	return &c->slots[h % c->n];
}

struct shared_body *body_cache_lookup(struct body_cache *c, int64_t generation, const char *key)
{
	struct slot *s = slot_of(c, generation, key);
	struct shared_body *b = NULL;

	pthread_mutex_lock(&s->lock);
	if (s->body && s->generation == generation && !strcmp(s->key, key))
		b = shared_body_get(s->body);
	pthread_mutex_unlock(&s->lock);
	return b;
}

void body_cache_store(struct body_cache *c, int64_t generation, const char *key,
		      struct shared_body *body)
{
	struct slot *s = slot_of(c, generation, key);
	char *k = strdup(key);
	struct shared_body *old;
	char *oldkey;

	if (!k)
		return;
	pthread_mutex_lock(&s->lock);
	old = s->body;
	oldkey = s->key;
	s->body = shared_body_get(body);
	s->key = k;
	s->generation = generation;
	pthread_mutex_unlock(&s->lock);
	shared_body_put(old);
	free(oldkey);
}
