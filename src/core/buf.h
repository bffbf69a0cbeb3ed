/*
 * buf.h - the growable byte buffer (git's strbuf, with curl's dynbuf cap).
 *
 * A struct buf is never NULL-terminated-less: b->data always points at a
 * NUL-terminated string, even when empty (it starts at a shared static ""), so
 * it can be handed to any C string API. Every buffer has a cap: appending past
 * it fails with RC_TOO_LARGE and leaves the buffer as it was, so one bad input
 * cannot eat the machine's memory.
 *
 * Ownership: the buffer owns data until buf_detach() hands it to the caller,
 * who then frees it with free().
 */
#ifndef CORE_BUF_H
#define CORE_BUF_H

#include <stdarg.h>
#include <stddef.h>
#include "core/status.h"

struct buf {
	char *data;   /* NUL-terminated; never NULL */
	size_t len;   /* bytes used, not counting the NUL */
	size_t alloc; /* bytes allocated; 0 while data is the static "" */
	size_t cap;   /* the most len may ever reach */
};

extern char buf_empty[];

#define BUF_DEFAULT_CAP ((size_t)64 << 20)
#define BUF_INIT { buf_empty, 0, 0, BUF_DEFAULT_CAP }

/* Set up a caller-owned buffer with the given cap (0 means the default). */
void buf_init(struct buf *b, size_t cap);

/* Free what the buffer holds and make it empty again; the struct stays usable. */
void buf_release(struct buf *b);

/* Forget the contents but keep the memory, for reuse in a loop. */
static inline void buf_reset(struct buf *b)
{
	b->len = 0;
	b->data[0] = '\0';
}

/* Make room for at least `extra` more bytes. */
enum rc buf_grow(struct buf *b, size_t extra) RC_MUST;

enum rc buf_add(struct buf *b, const void *data, size_t len) RC_MUST;
enum rc buf_adds(struct buf *b, const char *s) RC_MUST;
enum rc buf_addch(struct buf *b, char c) RC_MUST;
enum rc buf_addf(struct buf *b, const char *fmt, ...) RC_MUST
	__attribute__((format(printf, 2, 3)));
enum rc buf_vaddf(struct buf *b, const char *fmt, va_list ap) RC_MUST;

/* Append s as a JSON string literal, quotes included. Invalid UTF-8 bytes are
 * replaced with U+FFFD so the output is always valid JSON. */
enum rc buf_add_json_str(struct buf *b, const char *s) RC_MUST;
enum rc buf_add_json_strn(struct buf *b, const char *s, size_t len) RC_MUST;

/* Hand the contents to the caller (free() them); the buffer becomes empty. */
char *buf_detach(struct buf *b, size_t *len);

/* Read a whole file (or standard input when path is "-") into b. */
enum rc buf_read_file(struct buf *b, const char *path) RC_MUST;

#endif
