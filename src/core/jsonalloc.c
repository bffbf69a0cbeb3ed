/*
 * jsonalloc.c - one block per thread, bumped; frees inside the block are
 * no-ops. Pointers are 16-byte aligned like malloc's.
 */
#include <jansson.h>
#include <stdint.h>
#include <stdlib.h>
#include "core/jsonalloc.h"

struct scratch {
	unsigned char *base;
	size_t size, used;
	int active;
};

static _Thread_local struct scratch scratch;

static void *scratch_malloc(size_t n)
{
	struct scratch *s = &scratch;

	n = (n + 15) & ~(size_t)15;
	if (s->active && n <= s->size - s->used) {
		void *p = s->base + s->used;

		s->used += n;
		return p;
	}
	return malloc(n);
}

static void scratch_free(void *p)
{
	struct scratch *s = &scratch;

	if (s->base && (unsigned char *)p >= s->base && (unsigned char *)p < s->base + s->size)
		return; /* dies with the region */
	free(p);
}

void jsonalloc_install(void)
{
	json_set_alloc_funcs(scratch_malloc, scratch_free);
}

int jsonalloc_begin(size_t size)
{
	struct scratch *s = &scratch;

	if (!size)
		size = 65536;
	if (!s->base || s->size < size) {
		free(s->base);
		s->base = aligned_alloc(16, (size + 15) & ~(size_t)15);
		s->size = s->base ? size : 0;
		if (!s->base)
			return -1;
	}
	s->used = 0;
	s->active = 1;
	return 0;
}

void jsonalloc_end(void)
{
	scratch.used = 0;
	scratch.active = 0;
}

void jsonalloc_thread_release(void)
{
	free(scratch.base);
	scratch.base = NULL;
	scratch.size = scratch.used = 0;
	scratch.active = 0;
}
