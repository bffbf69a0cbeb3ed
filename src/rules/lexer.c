/*
 * lexer.c - a hand-written scanner over a byte range. Words are runs of
 * letters, digits and `_ . / -` so that dotted fields (scores.ovp) and service
 * ids (kss-crc/ttg-level-1) are single tokens. A number is digits with one
 * optional fraction, optionally signed, and must not run into a word.
 * `#` starts a comment to the end of the rule.
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include "rules/lexer.h"

static int is_word_char(int c)
{
	return isalnum(c) || c == '_' || c == '.' || c == '/' || c == '-';
}

void lexer_init(struct lexer *lx, const char *src, size_t len)
{
	lx->src = src;
	lx->p = src;
	lx->end = src + len;
}

static enum rc lex_error(struct lexer *lx, const char *at, struct err *e, const char *msg)
{
	char col[32];

	snprintf(col, sizeof(col), "column %d", (int)(at - lx->src) + 1);
	return err_set(e, RC_BAD_INPUT, col, "%s", msg);
}

/* Lex a number at lx->p into t; *is_number is 0 when the text runs on into
 * a word ("2nd"), which the caller then lexes as a word. */
static enum rc lex_number(struct lexer *lx, struct token *t, int *is_number, struct err *e)
{
	const char *s = lx->p;
	char tmp[64];
	size_t n;

	if (*s == '-')
		s++;
	while (s < lx->end && isdigit((unsigned char)*s))
		s++;
	if (s + 1 < lx->end && *s == '.' && isdigit((unsigned char)s[1])) {
		s++;
		while (s < lx->end && isdigit((unsigned char)*s))
			s++;
	}
	*is_number = 0;
	if (s < lx->end && is_word_char((unsigned char)*s))
		return RC_OK; /* not a number after all: the caller lexes a word */
	n = (size_t)(s - lx->p);
	if (n >= sizeof(tmp))
		return lex_error(lx, lx->p, e, "number too long");
	for (size_t i = 0; i < n; i++)
		tmp[i] = lx->p[i];
	tmp[n] = '\0';
	*is_number = 1;
	t->kind = TK_NUMBER;
	t->num = strtod(tmp, NULL);
	t->len = n;
	lx->p = s;
	return RC_OK;
}

enum rc lexer_next(struct lexer *lx, struct token *t, struct err *e)
{
	const char *s;
	unsigned char c;

	for (;;) {
		while (lx->p < lx->end && isspace((unsigned char)*lx->p))
			lx->p++;
		if (lx->p < lx->end && *lx->p == '#') {
			while (lx->p < lx->end && *lx->p != '\n')
				lx->p++;
			continue;
		}
		break;
	}
	t->start = lx->p;
	t->col = (int)(lx->p - lx->src) + 1;
	t->len = 0;
	t->num = 0;
	if (lx->p >= lx->end) {
		t->kind = TK_EOF;
		return RC_OK;
	}
	c = (unsigned char)*lx->p;
	s = lx->p;
	switch (c) {
	case '(': t->kind = TK_LPAREN; lx->p++; t->len = 1; return RC_OK;
	case ')': t->kind = TK_RPAREN; lx->p++; t->len = 1; return RC_OK;
	case '[': t->kind = TK_LBRACK; lx->p++; t->len = 1; return RC_OK;
	case ']': t->kind = TK_RBRACK; lx->p++; t->len = 1; return RC_OK;
	case ',': t->kind = TK_COMMA; lx->p++; t->len = 1; return RC_OK;
	case '=':
		t->kind = TK_EQ;
		lx->p += (lx->p + 1 < lx->end && lx->p[1] == '=') ? 2 : 1;
		t->len = (size_t)(lx->p - s);
		return RC_OK;
	case '!':
		if (lx->p + 1 < lx->end && lx->p[1] == '=') {
			t->kind = TK_NE;
			lx->p += 2;
			t->len = 2;
			return RC_OK;
		}
		return lex_error(lx, s, e, "'!' must be followed by '=' (use 'not' for negation)");
	case '<':
	case '>':
		if (lx->p + 1 < lx->end && lx->p[1] == '=') {
			t->kind = c == '<' ? TK_LE : TK_GE;
			lx->p += 2;
		} else {
			t->kind = c == '<' ? TK_LT : TK_GT;
			lx->p++;
		}
		t->len = (size_t)(lx->p - s);
		return RC_OK;
	case '"':
		lx->p++;
		t->start = lx->p;
		while (lx->p < lx->end && *lx->p != '"') {
			if (*lx->p == '\\' || *lx->p == '\n')
				return lex_error(lx, lx->p, e, "strings may not contain '\\' or line breaks");
			lx->p++;
		}
		if (lx->p >= lx->end)
			return lex_error(lx, s, e, "unterminated string");
		t->kind = TK_STRING;
		t->len = (size_t)(lx->p - t->start);
		lx->p++;
		return RC_OK;
	}
	if (isdigit(c) || (c == '-' && lx->p + 1 < lx->end && isdigit((unsigned char)lx->p[1]))) {
		int is_number;
		enum rc rc = lex_number(lx, t, &is_number, e);

		if (rc || is_number)
			return rc;
	}
	if (is_word_char(c)) {
		while (lx->p < lx->end && is_word_char((unsigned char)*lx->p))
			lx->p++;
		t->kind = TK_WORD;
		t->len = (size_t)(lx->p - s);
		return RC_OK;
	}
	if (c >= 0x80)
		return lex_error(lx, s, e, "unexpected non-ASCII character (quote text values)");
	{
		char msg[64];

		snprintf(msg, sizeof(msg), "unexpected character '%c'", c);
		return lex_error(lx, s, e, msg);
	}
}

const char *token_kind_name(enum token_kind k)
{
	static const char *const names[] = {
		[TK_EOF] = "end of rule", [TK_WORD] = "word", [TK_NUMBER] = "number",
		[TK_STRING] = "quoted string", [TK_LPAREN] = "'('", [TK_RPAREN] = "')'",
		[TK_LBRACK] = "'['", [TK_RBRACK] = "']'", [TK_COMMA] = "','",
		[TK_EQ] = "'='", [TK_NE] = "'!='", [TK_LT] = "'<'", [TK_LE] = "'<='",
		[TK_GT] = "'>'", [TK_GE] = "'>='",
	};
	return names[k];
}
