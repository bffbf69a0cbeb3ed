/*
 * parser.h - rule text to syntax tree (docs/catalogue.md, "The rule language").
 *
 * The tree knows nothing of the profile vocabulary: field names and values
 * are kept as written, with their columns, and compile.h checks them. All
 * nodes live in the caller's arena and die with it.
 *
 * Grammar (not binds tightest, then and, then or):
 *   expr    := and ('or' and)*
 *   and     := unary ('and' unary)*
 *   unary   := 'not' unary | '(' expr ')' | 'true' | 'false' | 'judgement'
 *            | FIELD pred
 *   pred    := CMP value | 'between' value 'and' value
 *            | ['not'] 'in' list | 'has' ['any' | 'all' | 'none'] (value | list)
 *            | 'is' ['not'] ('known' | 'unknown')
 *   list    := '[' value (',' value)* ']'
 *   value   := WORD | NUMBER | STRING
 */
#ifndef RULES_PARSER_H
#define RULES_PARSER_H

#include <stddef.h>
#include "core/arena.h"
#include "core/err.h"
#include "rules/lexer.h"

enum node_kind {
	N_TRUE, N_FALSE, N_JUDGEMENT,
	N_CMP,      /* field op value */
	N_BETWEEN,  /* field between values[0] and values[1] */
	N_IN,       /* field in [values]; negated by `not in` */
	N_HAS,      /* field has any/all/none [values] */
	N_KNOWN,    /* field is known; negated for `is unknown` */
	N_NOT, N_AND, N_OR
};

enum has_mode { HAS_ANY, HAS_ALL, HAS_NONE };

struct rule_value {
	enum token_kind kind;   /* TK_WORD, TK_NUMBER or TK_STRING */
	const char *text;       /* NUL-terminated copy in the arena */
	double num;
	int col;
};

struct node {
	enum node_kind kind;
	int col;
	/* N_CMP .. N_KNOWN */
	const char *field;
	int field_col;
	enum token_kind op;     /* N_CMP: TK_EQ .. TK_GE */
	enum has_mode has;
	int negated;
	struct rule_value *values;
	size_t nvalues;
	/* N_NOT, N_AND, N_OR */
	struct node *left, *right;
};

/* Parse `len` bytes of rule text. On error, e->field is "column N". */
enum rc rule_parse(const char *src, size_t len, struct arena *a, struct node **out,
		   struct err *e) RC_MUST;

#endif
