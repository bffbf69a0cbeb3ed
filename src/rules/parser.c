/*
 * parser.c - recursive descent with one token of look-ahead. Depth is capped
 * so a hostile rule ("((((((...") cannot overflow the stack.
 */
#include <stdio.h>
#include <string.h>
#include "rules/parser.h"

#define PARSE_MAX_DEPTH 64
#define PARSE_MAX_LIST 256
#define PARSE_MAX_NODES 4096 /* bounds the compiler's recursion over and/or chains */

struct parser {
	struct lexer lx;
	struct token tok;
	struct arena *a;
	struct err *e;
	int depth;
	int nodes;
};

static enum rc advance(struct parser *ps)
{
	return lexer_next(&ps->lx, &ps->tok, ps->e);
}

static enum rc fail(struct parser *ps, int col, const char *fmt, const char *what)
{
	char field[32], msg[160];

	snprintf(field, sizeof(field), "column %d", col);
	snprintf(msg, sizeof(msg), fmt, what);
	return err_set(ps->e, RC_BAD_INPUT, field, "%s", msg);
}

static int is_word(const struct token *t, const char *w)
{
	return t->kind == TK_WORD && t->len == strlen(w) && !memcmp(t->start, w, t->len);
}

static enum rc found_instead(struct parser *ps, const char *expected)
{
	char msg[160];
	const struct token *t = &ps->tok;

	if (t->kind == TK_EOF)
		snprintf(msg, sizeof(msg), "expected %s but the rule ended", expected);
	else
		snprintf(msg, sizeof(msg), "expected %s, found '%.*s'", expected,
			 (int)(t->len > 40 ? 40 : t->len), t->start);
	return fail(ps, t->col, "%s", msg);
}

static struct node *new_node(struct parser *ps, enum node_kind k, int col)
{
	struct node *n;

	if (++ps->nodes > PARSE_MAX_NODES) {
		fail(ps, 1, "%s", "rule is too long"); /* the whole rule is the problem */
		return NULL;
	}
	n = arena_zalloc(ps->a, sizeof(*n));

	if (n) {
		n->kind = k;
		n->col = col;
	}
	return n;
}

/* Why new_node() gave nothing: the rule was too long, or memory ran out. */
static enum rc no_node(struct parser *ps)
{
	if (ps->nodes > PARSE_MAX_NODES)
		return RC_BAD_INPUT;
	return err_set(ps->e, RC_NOMEM, "", "out of memory");
}

static enum rc parse_value(struct parser *ps, struct rule_value *v)
{
	const struct token *t = &ps->tok;

	if (t->kind != TK_WORD && t->kind != TK_NUMBER && t->kind != TK_STRING)
		return found_instead(ps, "a value");
	v->kind = t->kind;
	v->num = t->num;
	v->col = t->col;
	v->text = arena_strndup(ps->a, t->start, t->len);
	if (!v->text)
		return err_set(ps->e, RC_NOMEM, "", "out of memory");
	return advance(ps);
}

static enum rc parse_list(struct parser *ps, struct node *n)
{
	struct rule_value tmp[PARSE_MAX_LIST];
	enum rc rc;

	if (ps->tok.kind != TK_LBRACK)
		return found_instead(ps, "'['");
	if ((rc = advance(ps)))
		return rc;
	n->nvalues = 0;
	for (;;) {
		if (n->nvalues == PARSE_MAX_LIST)
			return fail(ps, ps->tok.col, "%s", "list has too many values");
		if ((rc = parse_value(ps, &tmp[n->nvalues++])))
			return rc;
		if (ps->tok.kind == TK_RBRACK)
			break;
		if (ps->tok.kind != TK_COMMA)
			return found_instead(ps, "',' or ']'");
		if ((rc = advance(ps)))
			return rc;
	}
	n->values = arena_alloc(ps->a, n->nvalues * sizeof(*n->values));
	if (!n->values)
		return err_set(ps->e, RC_NOMEM, "", "out of memory");
	memcpy(n->values, tmp, n->nvalues * sizeof(*n->values));
	return advance(ps);
}

static enum rc parse_single(struct parser *ps, struct node *n)
{
	n->values = arena_alloc(ps->a, sizeof(*n->values));
	if (!n->values)
		return err_set(ps->e, RC_NOMEM, "", "out of memory");
	n->nvalues = 1;
	return parse_value(ps, &n->values[0]);
}

static enum rc parse_pred(struct parser *ps, struct node *n)
{
	struct token *t = &ps->tok;
	enum rc rc;

	switch (t->kind) {
	case TK_EQ: case TK_NE: case TK_LT: case TK_LE: case TK_GT: case TK_GE:
		n->kind = N_CMP;
		n->op = t->kind;
		if ((rc = advance(ps)))
			return rc;
		return parse_single(ps, n);
	default:
		break;
	}
	if (is_word(t, "between")) {
		n->kind = N_BETWEEN;
		n->values = arena_alloc(ps->a, 2 * sizeof(*n->values));
		if (!n->values)
			return err_set(ps->e, RC_NOMEM, "", "out of memory");
		n->nvalues = 2;
		if ((rc = advance(ps)) || (rc = parse_value(ps, &n->values[0])))
			return rc;
		if (!is_word(t, "and"))
			return found_instead(ps, "'and' in 'between A and B'");
		if ((rc = advance(ps)))
			return rc;
		return parse_value(ps, &n->values[1]);
	}
	if (is_word(t, "not") || is_word(t, "in")) {
		n->kind = N_IN;
		if (is_word(t, "not")) {
			n->negated = 1;
			if ((rc = advance(ps)))
				return rc;
			if (!is_word(t, "in"))
				return found_instead(ps, "'in' after 'not'");
		}
		if ((rc = advance(ps)))
			return rc;
		return parse_list(ps, n);
	}
	if (is_word(t, "has")) {
		n->kind = N_HAS;
		n->has = HAS_ANY;
		if ((rc = advance(ps)))
			return rc;
		if (is_word(t, "any") || is_word(t, "all") || is_word(t, "none")) {
			n->has = is_word(t, "all") ? HAS_ALL : is_word(t, "none") ? HAS_NONE : HAS_ANY;
			if ((rc = advance(ps)))
				return rc;
		}
		return t->kind == TK_LBRACK ? parse_list(ps, n) : parse_single(ps, n);
	}
	if (is_word(t, "is")) {
		n->kind = N_KNOWN;
		if ((rc = advance(ps)))
			return rc;
		if (is_word(t, "not")) {
			n->negated = 1;
			if ((rc = advance(ps)))
				return rc;
		}
		if (is_word(t, "unknown"))
			n->negated = !n->negated;
		else if (!is_word(t, "known"))
			return found_instead(ps, "'known' or 'unknown'");
		return advance(ps);
	}
	return found_instead(ps, "a comparison (=, !=, <, <=, >, >=, between, in, has, is)");
}

static enum rc parse_or(struct parser *ps, struct node **out);

static enum rc parse_unary(struct parser *ps, struct node **out)
{
	struct token *t = &ps->tok;
	struct node *n;
	enum rc rc;

	if (++ps->depth > PARSE_MAX_DEPTH)
		return fail(ps, t->col, "%s", "rule is nested too deeply");
	if (is_word(t, "not")) {
		n = new_node(ps, N_NOT, t->col);
		if (!n)
			return no_node(ps);
		if ((rc = advance(ps)) || (rc = parse_unary(ps, &n->left)))
			return rc;
		goto done;
	}
	if (t->kind == TK_LPAREN) {
		if ((rc = advance(ps)) || (rc = parse_or(ps, &n)))
			return rc;
		if (t->kind != TK_RPAREN)
			return found_instead(ps, "')'");
		if ((rc = advance(ps)))
			return rc;
		goto done;
	}
	if (t->kind != TK_WORD)
		return found_instead(ps, "a field name, 'not', '(' or 'judgement'");
	if (is_word(t, "true") || is_word(t, "false") || is_word(t, "judgement")) {
		n = new_node(ps, is_word(t, "true") ? N_TRUE : is_word(t, "false") ? N_FALSE
			     : N_JUDGEMENT, t->col);
		if (!n)
			return no_node(ps);
		if ((rc = advance(ps)))
			return rc;
		goto done;
	}
	n = new_node(ps, N_CMP, t->col);
	if (!n)
		return no_node(ps);
	if (!(n->field = arena_strndup(ps->a, t->start, t->len)))
		return err_set(ps->e, RC_NOMEM, "", "out of memory");
	n->field_col = t->col;
	if ((rc = advance(ps)) || (rc = parse_pred(ps, n)))
		return rc;
done:
	ps->depth--;
	*out = n;
	return RC_OK;
}

static enum rc parse_binary(struct parser *ps, struct node **out, const char *word,
			    enum node_kind kind,
			    enum rc (*sub)(struct parser *, struct node **))
{
	struct node *left, *n;
	enum rc rc;

	if ((rc = sub(ps, &left)))
		return rc;
	while (is_word(&ps->tok, word)) {
		n = new_node(ps, kind, ps->tok.col);
		if (!n)
			return no_node(ps);
		n->left = left;
		if ((rc = advance(ps)) || (rc = sub(ps, &n->right)))
			return rc;
		left = n;
	}
	*out = left;
	return RC_OK;
}

static enum rc parse_and(struct parser *ps, struct node **out)
{
	return parse_binary(ps, out, "and", N_AND, parse_unary);
}

static enum rc parse_or(struct parser *ps, struct node **out)
{
	return parse_binary(ps, out, "or", N_OR, parse_and);
}

enum rc rule_parse(const char *src, size_t len, struct arena *a, struct node **out,
		   struct err *e)
{
	struct parser ps = { .a = a, .e = e };
	enum rc rc;

	lexer_init(&ps.lx, src, len);
	if ((rc = advance(&ps)))
		return rc;
	if (ps.tok.kind == TK_EOF)
		return fail(&ps, 1, "%s", "rule is empty (write 'judgement' if nothing in the profile decides it)");
	if ((rc = parse_or(&ps, out)))
		return rc;
	if (ps.tok.kind != TK_EOF)
		return found_instead(&ps, "'and', 'or' or the end of the rule");
	return RC_OK;
}
