/*
 * lexer.h - splits a rule ("scores.ovp > 27 and sex = male") into tokens.
 *
 * Keywords (and, or, not, in, has, ...) come out as TK_WORD; the parser
 * decides what a word means where it stands, so a value such as `any` can
 * still be quoted when a vocabulary ever needs it. Columns are 1-based byte
 * offsets into the rule, for error messages.
 */
#ifndef RULES_LEXER_H
#define RULES_LEXER_H

#include <stddef.h>
#include "core/err.h"

enum token_kind {
	TK_EOF, TK_WORD, TK_NUMBER, TK_STRING,
	TK_LPAREN, TK_RPAREN, TK_LBRACK, TK_RBRACK, TK_COMMA,
	TK_EQ, TK_NE, TK_LT, TK_LE, TK_GT, TK_GE
};

struct token {
	enum token_kind kind;
	const char *start;  /* into the source; for TK_STRING, after the quote */
	size_t len;         /* for TK_STRING, the contents without quotes */
	double num;         /* TK_NUMBER */
	int col;            /* 1-based */
};

struct lexer {
	const char *src, *p, *end;
};

void lexer_init(struct lexer *lx, const char *src, size_t len);

/* The next token, or RC_BAD_INPUT with e->field "column N". */
enum rc lexer_next(struct lexer *lx, struct token *t, struct err *e) RC_MUST;

/* A printable name for a token kind, for "expected X" messages. */
const char *token_kind_name(enum token_kind k);

#endif
