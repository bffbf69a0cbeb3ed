/*
 * query.c - a single pass over "k=v&k=v". Empty pieces ("a=1&&b=2") are
 * skipped; a key without '=' has the empty value.
 */
#include <string.h>
#include "core/utf8.h"
#include "http/query.h"

static int hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* lines: a form's text box may hold tab, line feed and carriage return */
static long decode(const char *s, size_t len, char *out, int plus_is_space, int lines)
{
	size_t o = 0;

	for (size_t i = 0; i < len; i++) {
		char c = s[i];

		if (c == '%') {
			int hi, lo;

			if (len - i < 3)
				return -1;
			hi = hexval(s[i + 1]);
			lo = hexval(s[i + 2]);
			if (hi < 0 || lo < 0)
				return -1;
			c = (char)(hi << 4 | lo);
			i += 2;
		} else if (c == '+' && plus_is_space) {
			c = ' ';
		}
		out[o++] = c;
	}
	out[o] = '\0';
	for (size_t i = 0; i < o;) {
		unsigned char u = (unsigned char)out[i];
		size_t l;

		if ((u < 0x20 && !(lines && (u == '\t' || u == '\n' || u == '\r'))) || u == 0x7f)
			return -1;
		l = utf8_seq_len((const unsigned char *)out + i, o - i);
		if (!l)
			return -1;
		i += l;
	}
	return (long)o;
}

long query_decode(const char *s, size_t len, char *out, int plus_is_space)
{
	return decode(s, len, out, plus_is_space, 0);
}

static enum rc parse(struct query *q, const char *s, size_t len, struct arena *a,
		     size_t max_params, size_t max_len, const char *what, int lines, struct err *e)
{
	size_t i = 0, pieces = 1;

	q->n = 0;
	q->p = NULL;
	if (len > max_len)
		return err_set(e, RC_BAD_INPUT, what, "the %s is longer than %zu bytes", what, max_len);
	for (size_t k = 0; k < len; k++)
		pieces += s[k] == '&';
	if (pieces > max_params)
		pieces = max_params + 1;
	q->p = arena_alloc(a, pieces * sizeof(*q->p));
	if (!q->p)
		return err_set(e, RC_NOMEM, "", "out of memory");
	while (i < len) {
		const char *piece = s + i, *amp = memchr(piece, '&', len - i);
		size_t plen = amp ? (size_t)(amp - piece) : len - i;
		const char *eq = memchr(piece, '=', plen);
		size_t klen = eq ? (size_t)(eq - piece) : plen;
		char *key, *val;

		i += plen + 1;
		if (!plen)
			continue;
		if (q->n == max_params)
			return err_set(e, RC_BAD_INPUT, what, "more than %zu parameters", max_params);
		key = arena_alloc(a, klen + 1);
		val = arena_alloc(a, plen - klen + 1);
		if (!key || !val)
			return err_set(e, RC_NOMEM, "", "out of memory");
		if (query_decode(piece, klen, key, 1) < 0)
			return err_set(e, RC_BAD_INPUT, what, "a parameter name is not valid percent-encoded UTF-8");
		if (decode(eq ? eq + 1 : piece + plen, eq ? plen - klen - 1 : 0, val, 1, lines) < 0)
			return err_set(e, RC_BAD_INPUT, key[0] ? key : what,
				       "not valid percent-encoded UTF-8");
		q->p[q->n].key = key;
		q->p[q->n].value = val;
		q->n++;
	}
	return RC_OK;
}

enum rc query_parse(struct query *q, const char *s, size_t len, struct arena *a, struct err *e)
{
	return parse(q, s, len, a, QUERY_MAX_PARAMS, QUERY_MAX_LEN, "query", 0, e);
}

enum rc query_parse_form(struct query *q, const char *s, size_t len, struct arena *a,
			 struct err *e)
{
	return parse(q, s, len, a, FORM_MAX_PARAMS, FORM_MAX_LEN, "form", 1, e);
}

const char *query_get(const struct query *q, const char *key)
{
	for (size_t i = q->n; i-- > 0;)
		if (!strcmp(q->p[i].key, key))
			return q->p[i].value;
	return NULL;
}
