/*
 * arena.h - a bump allocator for memory that dies together (h2o's mem pool):
 * one request, one catalogue load, one parsed rule. Allocations are never
 * freed one by one; arena_release() frees them all.
 */
#ifndef CORE_ARENA_H
#define CORE_ARENA_H

#include <stddef.h>

struct arena_block;

struct arena {
	struct arena_block *head;
	size_t block_size;
	size_t total;   /* bytes handed out, for accounting */
};

#define ARENA_INIT { NULL, 0, 0 }

void arena_init(struct arena *a, size_t block_size);
void arena_release(struct arena *a);

/* Aligned for any type. Returns NULL only when malloc does. */
void *arena_alloc(struct arena *a, size_t n);
void *arena_zalloc(struct arena *a, size_t n);
char *arena_strdup(struct arena *a, const char *s);
char *arena_strndup(struct arena *a, const char *s, size_t n);

/* A formatted string in the arena; "" when out of memory. */
char *arena_sprintf(struct arena *a, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#endif
