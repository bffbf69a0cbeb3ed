/*
 * buf.c - growable buffer. Growth is geometric (x1.5, at least the request)
 * and bounded by the cap; a failed append leaves the buffer unchanged.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "core/buf.h"
#include "core/utf8.h"

char buf_empty[1];

void buf_init(struct buf *b, size_t cap)
{
	b->data = buf_empty;
	b->len = 0;
	b->alloc = 0;
	b->cap = cap ? cap : BUF_DEFAULT_CAP;
}

void buf_release(struct buf *b)
{
	if (b->alloc)
		free(b->data);
	b->data = buf_empty;
	b->len = 0;
	b->alloc = 0;
}

enum rc buf_grow(struct buf *b, size_t extra)
{
	size_t want, n;
	char *p;

	if (extra > b->cap || b->len > b->cap - extra)
		return RC_TOO_LARGE;
	want = b->len + extra + 1;
	if (want <= b->alloc)
		return RC_OK;
	n = b->alloc ? b->alloc + b->alloc / 2 : 64;
	if (n < want)
		n = want;
	if (n > b->cap + 1)
		n = b->cap + 1;
	p = realloc(b->alloc ? b->data : NULL, n);
	if (!p)
		return RC_NOMEM;
	if (!b->alloc)
		p[0] = '\0';
	b->data = p;
	b->alloc = n;
	return RC_OK;
}

enum rc buf_add(struct buf *b, const void *data, size_t len)
{
	enum rc rc = buf_grow(b, len);

	if (rc)
		return rc;
	if (len)
		memcpy(b->data + b->len, data, len);
	b->len += len;
	b->data[b->len] = '\0';
	return RC_OK;
}

enum rc buf_adds(struct buf *b, const char *s)
{
	return buf_add(b, s, strlen(s));
}

enum rc buf_addch(struct buf *b, char c)
{
	return buf_add(b, &c, 1);
}

enum rc buf_vaddf(struct buf *b, const char *fmt, va_list ap)
{
	va_list cp;
	int n;
	enum rc rc;

	va_copy(cp, ap);
	n = vsnprintf(NULL, 0, fmt, cp);
	va_end(cp);
	if (n < 0)
		return RC_INTERNAL;
	rc = buf_grow(b, (size_t)n);
	if (rc)
		return rc;
	vsnprintf(b->data + b->len, (size_t)n + 1, fmt, ap);
	b->len += (size_t)n;
	return RC_OK;
}

enum rc buf_addf(struct buf *b, const char *fmt, ...)
{
	va_list ap;
	enum rc rc;

	va_start(ap, fmt);
	rc = buf_vaddf(b, fmt, ap);
	va_end(ap);
	return rc;
}

static enum rc add_json_strn(struct buf *b, const char *str, size_t n);

enum rc buf_add_json_strn(struct buf *b, const char *str, size_t n)
{
	size_t before = b->len;
	enum rc rc = add_json_strn(b, str, n);

	if (rc) {
		/* all or nothing, like every other append */
		b->len = before;
		b->data[b->len] = '\0';
	}
	return rc;
}

static enum rc add_json_strn(struct buf *b, const char *str, size_t n)
{
	static const char hex[] = "0123456789abcdef";
	const unsigned char *s = (const unsigned char *)str;
	size_t i = 0, run = 0;
	enum rc rc;

	if ((rc = buf_addch(b, '"')))
		return rc;
	while (i < n) {
		unsigned char c = s[i];
		size_t l;
		char esc[7];
		const char *rep = NULL;
		size_t replen = 0;

		if (c >= 0x20 && c != '"' && c != '\\' && c < 0x80) {
			i++;
			run++;
			continue;
		}
		if (c >= 0x80 && (l = utf8_seq_len(s + i, n - i))) {
			i += l;
			run += l;
			continue;
		}
		if ((rc = buf_add(b, s + i - run, run)))
			return rc;
		run = 0;
		switch (c) {
		case '"': rep = "\\\""; replen = 2; break;
		case '\\': rep = "\\\\"; replen = 2; break;
		case '\n': rep = "\\n"; replen = 2; break;
		case '\r': rep = "\\r"; replen = 2; break;
		case '\t': rep = "\\t"; replen = 2; break;
		default:
			if (c < 0x20) {
				memcpy(esc, "\\u00", 4);
				esc[4] = hex[c >> 4];
				esc[5] = hex[c & 15];
				rep = esc;
				replen = 6;
			} else {
				rep = "\xef\xbf\xbd"; /* U+FFFD for a bad byte */
				replen = 3;
			}
		}
		if ((rc = buf_add(b, rep, replen)))
			return rc;
		i++;
	}
	if ((rc = buf_add(b, s + i - run, run)))
		return rc;
	return buf_addch(b, '"');
}

enum rc buf_add_json_str(struct buf *b, const char *s)
{
	return buf_add_json_strn(b, s, strlen(s));
}

char *buf_detach(struct buf *b, size_t *len)
{
	char *p;

	if (len)
		*len = b->len;
	if (!b->alloc) {
		p = malloc(1);
		if (p)
			p[0] = '\0';
	} else {
		p = b->data;
	}
	b->data = buf_empty;
	b->len = 0;
	b->alloc = 0;
	return p;
}

enum rc buf_read_file(struct buf *b, const char *path)
{
	FILE *f = strcmp(path, "-") ? fopen(path, "rb") : stdin;
	enum rc rc = RC_OK;
	size_t n;

	if (!f)
		return errno == ENOENT ? RC_NOT_FOUND : RC_IO;
	for (;;) {
		size_t room = b->cap - b->len < 65536 ? b->cap - b->len : 65536;

		if (!room) {
			/* at the cap: fine only if the file ends here */
			rc = fgetc(f) == EOF ? (ferror(f) ? RC_IO : RC_OK) : RC_TOO_LARGE;
			break;
		}
		if ((rc = buf_grow(b, room)))
			break;
		n = fread(b->data + b->len, 1, room, f);
		b->len += n;
		b->data[b->len] = '\0';
		if (n < room) {
			if (ferror(f))
				rc = RC_IO;
			break;
		}
	}
	if (f != stdin)
		fclose(f);
	return rc;
}
