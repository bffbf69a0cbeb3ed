/*
 * jsonalloc.h - jansson's allocations from a per-thread scratch block.
 *
 * Parsing a profile makes a dozen small allocations that all die together a
 * few microseconds later; malloc/free were a fifth of a caseload screen. A
 * thread that calls jsonalloc_begin() gets bump allocation from its own
 * block until jsonalloc_end(), which forgets everything at once (h2o's
 * request pool, applied to a library through its allocator hooks). Memory
 * jansson asks for outside a begin/end pair, or beyond the block, comes from
 * malloc as before, and free() tells the two apart by address.
 */
#ifndef CORE_JSONALLOC_H
#define CORE_JSONALLOC_H

#include <stddef.h>

/* Install the hooks; call once, before any thread uses jansson. */
void jsonalloc_install(void);

/* Start a scratch region of `size` bytes for this thread (0: 64 KiB). Every
 * json_t made until jsonalloc_end() must be released before that call. */
int jsonalloc_begin(size_t size);

/* Forget the region's allocations; the block is kept for the next begin. */
void jsonalloc_end(void);

/* Free this thread's block (at thread exit). */
void jsonalloc_thread_release(void);

#endif
