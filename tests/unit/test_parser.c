/*
 * test_parser.c - rule text to syntax tree (src/rules/parser.h), table-driven.
 *
 * A tree is written as an S-expression so a whole shape fits on one line:
 *   (= sex male)  (< scores.ovp #27)  (between f #1 #2)  (in f [a b])
 *   (not-in f [a])  (has-any f [a])  (has-all ...)  (has-none ...)
 *   (known f)  (unknown f)  (not X)  (and X Y)  (or X Y)  true false judgement
 * Words are bare, numbers are #N (the parsed value), quoted strings "quoted".
 * A second table checks the columns the tree records, a third the errors:
 * the exact "column N" field and a message substring.
 */
#include <stdio.h>
#include <string.h>
#include "unit.h"
#include "core/arena.h"
#include "core/buf.h"
#include "rules/parser.h"

static const char *op_name(enum token_kind op)
{
	switch (op) {
	case TK_EQ: return "=";
	case TK_NE: return "!=";
	case TK_LT: return "<";
	case TK_LE: return "<=";
	case TK_GT: return ">";
	case TK_GE: return ">=";
	default: return "?op";
	}
}

static void put(struct buf *b, const char *s)
{
	assert_int_equal(buf_adds(b, s), RC_OK);
}

static void put_col(struct buf *b, int cols, int col)
{
	if (cols)
		assert_int_equal(buf_addf(b, "@%d", col), RC_OK);
}

static void put_value(struct buf *b, const struct rule_value *v, int cols)
{
	switch (v->kind) {
	case TK_NUMBER:
		assert_int_equal(buf_addf(b, "#%g", v->num), RC_OK);
		break;
	case TK_STRING:
		assert_int_equal(buf_addf(b, "\"%s\"", v->text), RC_OK);
		break;
	case TK_WORD:
		put(b, v->text);
		break;
	default:
		put(b, "?value");
	}
	put_col(b, cols, v->col);
}

static void put_values(struct buf *b, const struct node *n, int cols)
{
	put(b, " [");
	for (size_t i = 0; i < n->nvalues; i++) {
		if (i)
			put(b, " ");
		put_value(b, &n->values[i], cols);
	}
	put(b, "]");
}

static void describe(struct buf *b, const struct node *n, int cols)
{
	static const char *const has_names[] = { "has-any", "has-all", "has-none" };

	switch (n->kind) {
	case N_TRUE: put(b, "true"); put_col(b, cols, n->col); return;
	case N_FALSE: put(b, "false"); put_col(b, cols, n->col); return;
	case N_JUDGEMENT: put(b, "judgement"); put_col(b, cols, n->col); return;
	case N_NOT:
	case N_AND:
	case N_OR:
		put(b, n->kind == N_NOT ? "(not" : n->kind == N_AND ? "(and" : "(or");
		put_col(b, cols, n->col);
		put(b, " ");
		describe(b, n->left, cols);
		if (n->kind != N_NOT) {
			put(b, " ");
			describe(b, n->right, cols);
		}
		put(b, ")");
		return;
	default:
		break;
	}
	put(b, "(");
	switch (n->kind) {
	case N_CMP: put(b, op_name(n->op)); break;
	case N_BETWEEN: put(b, "between"); break;
	case N_IN: put(b, n->negated ? "not-in" : "in"); break;
	case N_HAS: put(b, has_names[n->has]); break;
	case N_KNOWN: put(b, n->negated ? "unknown" : "known"); break;
	default: put(b, "?node"); break;
	}
	put_col(b, cols, n->col);
	put(b, " ");
	put(b, n->field);
	put_col(b, cols, n->field_col);
	switch (n->kind) {
	case N_CMP:
		assert_int_equal(n->nvalues, 1);
		put(b, " ");
		put_value(b, &n->values[0], cols);
		break;
	case N_BETWEEN:
		assert_int_equal(n->nvalues, 2);
		put(b, " ");
		put_value(b, &n->values[0], cols);
		put(b, " ");
		put_value(b, &n->values[1], cols);
		break;
	case N_IN:
	case N_HAS:
		put_values(b, n, cols);
		break;
	default:
		assert_int_equal(n->nvalues, 0);
		break;
	}
	put(b, ")");
}

/* Parse src and describe the tree, or return the error. */
static enum rc parse_describe(const char *src, size_t len, int cols, struct buf *out,
			      struct err *e)
{
	struct arena a;
	struct node *root = NULL;
	enum rc rc;

	arena_init(&a, 0);
	rc = rule_parse(src, len, &a, &root, e);
	if (rc == RC_OK) {
		assert_non_null(root);
		describe(out, root, cols);
	}
	arena_release(&a);
	return rc;
}

struct shape_case {
	const char *src;
	const char *tree;
};

static const struct shape_case shapes[] = {
	/* constants */
	{ "true", "true" },
	{ "false", "false" },
	{ "judgement", "judgement" },
	{ "  judgement  # needs a practitioner", "judgement" },
	/* every comparison */
	{ "sex = male", "(= sex male)" },
	{ "sex == male", "(= sex male)" },
	{ "sex != female", "(!= sex female)" },
	{ "scores.ovp < 27", "(< scores.ovp #27)" },
	{ "scores.ovp <= 27", "(<= scores.ovp #27)" },
	{ "scores.ovp > 27", "(> scores.ovp #27)" },
	{ "scores.ovp >= 27", "(>= scores.ovp #27)" },
	{ "age >= 18", "(>= age #18)" },
	{ "scores.ogrs < 2.5", "(< scores.ogrs #2.5)" },
	{ "weeks_to_release > -3", "(> weeks_to_release #-3)" },
	{ "prison = \"HMP Maidstone\"", "(= prison \"HMP Maidstone\")" },
	{ "region = \"Kent, Surrey and Sussex\"", "(= region \"Kent, Surrey and Sussex\")" },
	{ "completed has kss-crc/ttg-level-1", "(has-any completed [kss-crc/ttg-level-1])" },
	/* the tree does not know the vocabulary: any word is a field or a value */
	{ "sexx = mail", "(= sexx mail)" },
	{ "sex = and", "(= sex and)" },
	/* between */
	{ "scores.ogrs between 25 and 90", "(between scores.ogrs #25 #90)" },
	{ "age between 18 and 18", "(between age #18 #18)" },
	{ "x between a and b", "(between x a b)" },
	/* in / not in */
	{ "scores.sara in [medium, high]", "(in scores.sara [medium high])" },
	{ "scores.sara in [medium]", "(in scores.sara [medium])" },
	{ "sex not in [male]", "(not-in sex [male])" },
	{ "area in [Kent, \"East Sussex\", 3]", "(in area [Kent \"East Sussex\" #3])" },
	/* has: bare value, list, any / all / none */
	{ "flags has veteran", "(has-any flags [veteran])" },
	{ "flags has [veteran, care_leaver]", "(has-any flags [veteran care_leaver])" },
	{ "flags has any veteran", "(has-any flags [veteran])" },
	{ "offences has any [violence, stalking]", "(has-any offences [violence stalking])" },
	{ "needs has all [ete, finance]", "(has-all needs [ete finance])" },
	{ "needs has all ete", "(has-all needs [ete])" },
	{ "flags has none [veteran]", "(has-none flags [veteran])" },
	{ "flags has none veteran", "(has-none flags [veteran])" },
	/* is known / unknown / not known / not unknown */
	{ "scores.ogrs is known", "(known scores.ogrs)" },
	{ "scores.ogrs is unknown", "(unknown scores.ogrs)" },
	{ "scores.ogrs is not known", "(unknown scores.ogrs)" },
	{ "scores.ogrs is not unknown", "(known scores.ogrs)" },
	/* precedence: not > and > or; and/or associate to the left */
	{ "a = 1 or b = 2 and c = 3", "(or (= a #1) (and (= b #2) (= c #3)))" },
	{ "a = 1 and b = 2 or c = 3", "(or (and (= a #1) (= b #2)) (= c #3))" },
	{ "not a = 1 and b = 2", "(and (not (= a #1)) (= b #2))" },
	{ "not a = 1 or b = 2", "(or (not (= a #1)) (= b #2))" },
	{ "a = 1 or not b = 2", "(or (= a #1) (not (= b #2)))" },
	{ "true and false and judgement", "(and (and true false) judgement)" },
	{ "true or false or judgement", "(or (or true false) judgement)" },
	{ "true or false and judgement or true",
	  "(or (or true (and false judgement)) true)" },
	{ "not not true", "(not (not true))" },
	{ "not true and not false", "(and (not true) (not false))" },
	/* parentheses override */
	{ "(a = 1 or b = 2) and c = 3", "(and (or (= a #1) (= b #2)) (= c #3))" },
	{ "a = 1 and (b = 2 or c = 3)", "(and (= a #1) (or (= b #2) (= c #3)))" },
	{ "not (true or false)", "(not (or true false))" },
	{ "((true))", "true" },
	{ "(true)and(false)", "(and true false)" },
	{ "not(sex = male)", "(not (= sex male))" },
	/* predicate words inside a predicate, and keywords as field names */
	{ "sex = male and offences has any [violence] or judgement",
	  "(or (and (= sex male) (has-any offences [violence])) judgement)" },
	{ "x between 1 and 2 and y = 3", "(and (between x #1 #2) (= y #3))" },
	{ "x in [a] and y not in [b]", "(and (in x [a]) (not-in y [b]))" },
	{ "x is known and y is unknown", "(and (known x) (unknown y))" },
	/* a real catalogue rule */
	{ "(prison in [\"HMP Maidstone\", \"HMP Swaleside\"] or sentence = custody or prison is known)"
	  " and completed has kss-crc/ttg-level-1",
	  "(and (or (or (in prison [\"HMP Maidstone\" \"HMP Swaleside\"]) (= sentence custody))"
	  " (known prison)) (has-any completed [kss-crc/ttg-level-1]))" },
	/* comments and line breaks */
	{ "sex = male # men only\nand age >= 18", "(and (= sex male) (>= age #18))" },
};

static void test_shapes(void **state)
{
	int bad = 0;

	(void)state;
	for (size_t i = 0; i < sizeof(shapes) / sizeof(shapes[0]); i++) {
		struct buf out = BUF_INIT;
		struct err e = ERR_INIT;
		enum rc rc = parse_describe(shapes[i].src, strlen(shapes[i].src), 0, &out, &e);

		if (rc) {
			print_error("\"%s\": unexpected error %s: %s\n", shapes[i].src, e.field, e.msg);
			bad++;
		} else if (strcmp(out.data, shapes[i].tree)) {
			print_error("\"%s\":\n  expected %s\n  got      %s\n", shapes[i].src,
				    shapes[i].tree, out.data);
			bad++;
		}
		buf_release(&out);
	}
	assert_int_equal(bad, 0);
}

/* Columns: each node, field and value records where it starts (1-based). */
static const struct shape_case columns[] = {
	{ "sex = male", "(=@1 sex@1 male@7)" },
	{ "  scores.ovp>27", "(>@3 scores.ovp@3 #27@14)" },
	{ "x between 1 and 20", "(between@1 x@1 #1@11 #20@17)" },
	{ "flags has any [a, \"b c\"]", "(has-any@1 flags@1 [a@16 \"b c\"@19])" },
	{ "x not in [a]", "(not-in@1 x@1 [a@11])" },
	{ "x is not known", "(unknown@1 x@1)" },
	{ "true and false or judgement", "(or@16 (and@6 true@1 false@10) judgement@19)" },
	{ "not true", "(not@1 true@5)" },
	{ "( not (sex = male) )", "(not@3 (=@8 sex@8 male@14))" },
};

static void test_columns(void **state)
{
	int bad = 0;

	(void)state;
	for (size_t i = 0; i < sizeof(columns) / sizeof(columns[0]); i++) {
		struct buf out = BUF_INIT;
		struct err e = ERR_INIT;
		enum rc rc = parse_describe(columns[i].src, strlen(columns[i].src), 1, &out, &e);

		if (rc) {
			print_error("\"%s\": unexpected error %s: %s\n", columns[i].src, e.field, e.msg);
			bad++;
		} else if (strcmp(out.data, columns[i].tree)) {
			print_error("\"%s\":\n  expected %s\n  got      %s\n", columns[i].src,
				    columns[i].tree, out.data);
			bad++;
		}
		buf_release(&out);
	}
	assert_int_equal(bad, 0);
}

struct error_case {
	const char *src;
	const char *field;
	const char *msg;   /* substring of e.msg */
};

static const struct error_case errors[] = {
	/* empty */
	{ "", "column 1", "rule is empty (write 'judgement' if nothing in the profile decides it)" },
	{ "   ", "column 1", "rule is empty" },
	{ "# only a comment", "column 1", "rule is empty" },
	/* trailing tokens */
	{ "sex = male female", "column 12", "expected 'and', 'or' or the end of the rule, found 'female'" },
	{ "sex = male)", "column 11", "expected 'and', 'or' or the end of the rule, found ')'" },
	{ "true false", "column 6", "found 'false'" },
	{ "(true))", "column 7", "found ')'" },
	{ "sex = male \"x\"", "column 12", "found 'x'" },
	{ "age = 18 2x", "column 10", "expected 'and', 'or' or the end of the rule, found '2x'" },
	/* missing operands and operators */
	{ "sex = male and", "column 15",
	  "expected a field name, 'not', '(' or 'judgement' but the rule ended" },
	{ "sex = male or", "column 14", "but the rule ended" },
	{ "not", "column 4", "expected a field name, 'not', '(' or 'judgement' but the rule ended" },
	{ "()", "column 2", "expected a field name, 'not', '(' or 'judgement', found ')'" },
	{ "18 = age", "column 1", "expected a field name, 'not', '(' or 'judgement', found '18'" },
	{ "\"sex\" = male", "column 1", "found 'sex'" },
	{ "= male", "column 1", "found '='" },
	{ "sex", "column 4",
	  "expected a comparison (=, !=, <, <=, >, >=, between, in, has, is) but the rule ended" },
	{ "sex male", "column 5", "expected a comparison (=, !=, <, <=, >, >=, between, in, has, is), found 'male'" },
	{ "and sex = male", "column 5", "expected a comparison" },
	/* missing value */
	{ "sex =", "column 6", "expected a value but the rule ended" },
	{ "sex = )", "column 7", "expected a value, found ')'" },
	{ "sex = [male]", "column 7", "expected a value, found '['" },
	{ "scores.ovp >", "column 13", "expected a value but the rule ended" },
	{ "flags has", "column 10", "expected a value but the rule ended" },
	{ "flags has any", "column 14", "expected a value but the rule ended" },
	{ "flags has all ]", "column 15", "expected a value, found ']'" },
	/* between */
	{ "x between 1 2", "column 13", "expected 'and' in 'between A and B', found '2'" },
	{ "x between 1", "column 12", "expected 'and' in 'between A and B' but the rule ended" },
	{ "x between 1 and", "column 16", "expected a value but the rule ended" },
	{ "x between and 2", "column 15", "expected 'and' in 'between A and B', found '2'" },
	{ "x between 1 or 2", "column 13", "found 'or'" },
	/* lists */
	{ "flags has any [veteran", "column 23", "expected ',' or ']' but the rule ended" },
	{ "flags has any [veteran care_leaver]", "column 24", "expected ',' or ']', found 'care_leaver'" },
	{ "x in [a,]", "column 9", "expected a value, found ']'" },
	{ "x in []", "column 7", "expected a value, found ']'" },
	{ "x in [a,,b]", "column 9", "expected a value, found ','" },
	{ "x in a", "column 6", "expected '[', found 'a'" },
	{ "x in", "column 5", "expected '[' but the rule ended" },
	{ "x in (a)", "column 6", "expected '[', found '('" },
	{ "x in [a) ", "column 8", "expected ',' or ']', found ')'" },
	/* not in / is */
	{ "x not y", "column 7", "expected 'in' after 'not', found 'y'" },
	{ "x not", "column 6", "expected 'in' after 'not' but the rule ended" },
	{ "x is", "column 5", "expected 'known' or 'unknown' but the rule ended" },
	{ "x is maybe", "column 6", "expected 'known' or 'unknown', found 'maybe'" },
	{ "x is not", "column 9", "expected 'known' or 'unknown' but the rule ended" },
	{ "x is not not known", "column 10", "expected 'known' or 'unknown', found 'not'" },
	/* parentheses */
	{ "(sex = male", "column 12", "expected ')' but the rule ended" },
	{ "(sex = male or", "column 15", "but the rule ended" },
	{ "((true)", "column 8", "expected ')' but the rule ended" },
	/* keywords are case-sensitive */
	{ "sex = male AND age > 18", "column 12", "found 'AND'" },
	{ "TRUE", "column 5", "expected a comparison" },
	/* lexer errors come through unchanged */
	{ "sex = male & age > 18", "column 12", "unexpected character '&'" },
	{ "prison = \"HMP", "column 10", "unterminated string" },
	{ "!(sex = male)", "column 1", "'!' must be followed by '='" },
};

static void test_errors(void **state)
{
	int bad = 0;

	(void)state;
	for (size_t i = 0; i < sizeof(errors) / sizeof(errors[0]); i++) {
		const struct error_case *c = &errors[i];
		struct buf out = BUF_INIT;
		struct err e = ERR_INIT;
		enum rc rc = parse_describe(c->src, strlen(c->src), 0, &out, &e);

		if (rc != RC_BAD_INPUT || e.rc != RC_BAD_INPUT) {
			print_error("\"%s\": expected an error, got rc %d: %s\n", c->src, rc, out.data);
			bad++;
		} else if (strcmp(e.field, c->field) || !strstr(e.msg, c->msg)) {
			print_error("\"%s\":\n  got      %s: %s\n  expected %s: ...%s...\n", c->src,
				    e.field, e.msg, c->field, c->msg);
			bad++;
		}
		buf_release(&out);
	}
	assert_int_equal(bad, 0);
}

/* A long token in "found '...'" is cut to 40 bytes. */
static void test_found_is_truncated(void **state)
{
	char src[128], expect[80];
	struct buf out = BUF_INIT;
	struct err e = ERR_INIT;

	(void)state;
	snprintf(src, sizeof(src), "sex = male %s", "abcdefghijabcdefghijabcdefghijabcdefghijKLMNOPQRST");
	assert_int_equal(parse_describe(src, strlen(src), 0, &out, &e), RC_BAD_INPUT);
	assert_string_equal(e.field, "column 12");
	snprintf(expect, sizeof(expect), "found '%s'", "abcdefghijabcdefghijabcdefghijabcdefghij");
	assert_non_null(strstr(e.msg, expect));
	assert_null(strstr(e.msg, "K"));
	buf_release(&out);
}

/* Build "(((...(true)...)))" with `depth` parentheses, or "not not ... true". */
static void nested(struct buf *b, int depth, int use_not)
{
	buf_reset(b);
	for (int i = 0; i < depth; i++)
		assert_int_equal(buf_adds(b, use_not ? "not " : "("), RC_OK);
	assert_int_equal(buf_adds(b, "true"), RC_OK);
	for (int i = 0; !use_not && i < depth; i++)
		assert_int_equal(buf_addch(b, ')'), RC_OK);
}

/* Nesting is capped at 64 levels (a '(' or a 'not' is a level, and so is the
 * innermost operand): 63 parentheses parse, the 65th level is refused at the
 * column of the token that opens it. */
static void test_nesting_limit(void **state)
{
	struct buf src = BUF_INIT, out = BUF_INIT;
	struct err e = ERR_INIT;

	(void)state;
	nested(&src, 63, 0);
	assert_int_equal(parse_describe(src.data, src.len, 0, &out, &e), RC_OK);
	assert_string_equal(out.data, "true");

	nested(&src, 64, 0);
	assert_int_equal(parse_describe(src.data, src.len, 0, &out, &e), RC_BAD_INPUT);
	assert_string_equal(e.field, "column 65");
	assert_string_equal(e.msg, "rule is nested too deeply");

	nested(&src, 100, 0);
	err_clear(&e);
	assert_int_equal(parse_describe(src.data, src.len, 0, &out, &e), RC_BAD_INPUT);
	assert_string_equal(e.field, "column 65");
	assert_string_equal(e.msg, "rule is nested too deeply");

	/* 100 '(' with nothing after them: still the depth error, not a crash */
	buf_reset(&src);
	for (int i = 0; i < 100; i++)
		assert_int_equal(buf_addch(&src, '('), RC_OK);
	err_clear(&e);
	assert_int_equal(parse_describe(src.data, src.len, 0, &out, &e), RC_BAD_INPUT);
	assert_string_equal(e.field, "column 65");

	/* 100 000 '(' : refused just the same */
	buf_reset(&src);
	for (int i = 0; i < 100000; i++)
		assert_int_equal(buf_addch(&src, '('), RC_OK);
	err_clear(&e);
	assert_int_equal(parse_describe(src.data, src.len, 0, &out, &e), RC_BAD_INPUT);
	assert_string_equal(e.field, "column 65");

	/* not not ... true: each "not " is four bytes */
	buf_reset(&out);
	nested(&src, 63, 1);
	assert_int_equal(parse_describe(src.data, src.len, 0, &out, &e), RC_OK);
	assert_int_equal(strncmp(out.data, "(not (not (not ", 15), 0);
	nested(&src, 100, 1);
	err_clear(&e);
	assert_int_equal(parse_describe(src.data, src.len, 0, &out, &e), RC_BAD_INPUT);
	assert_string_equal(e.field, "column 257");
	assert_string_equal(e.msg, "rule is nested too deeply");

	/* long flat chains are not nesting */
	buf_reset(&src);
	buf_reset(&out);
	for (int i = 0; i < 1000; i++)
		assert_int_equal(buf_adds(&src, "true and "), RC_OK);
	assert_int_equal(buf_adds(&src, "true"), RC_OK);
	assert_int_equal(parse_describe(src.data, src.len, 0, &out, &e), RC_OK);
	buf_release(&src);
	buf_release(&out);
}

/* A list holds at most 256 values; the 257th is refused at its column. */
static void test_list_limit(void **state)
{
	struct buf src = BUF_INIT, out = BUF_INIT;
	struct err e = ERR_INIT;
	int col257 = 0;

	(void)state;
	assert_int_equal(buf_adds(&src, "area in ["), RC_OK);
	for (int i = 0; i < 256; i++)
		assert_int_equal(buf_addf(&src, "%sa%d", i ? ", " : "", i), RC_OK);
	assert_int_equal(buf_addch(&src, ']'), RC_OK);
	assert_int_equal(parse_describe(src.data, src.len, 0, &out, &e), RC_OK);
	assert_int_equal(strncmp(out.data, "(in area [a0 a1 a2 ", 19), 0);
	assert_non_null(strstr(out.data, " a255])"));

	src.len--; /* drop the ']' and add a 257th value */
	assert_int_equal(buf_adds(&src, ", "), RC_OK);
	col257 = (int)src.len + 1;
	assert_int_equal(buf_adds(&src, "a256]"), RC_OK);
	assert_int_equal(parse_describe(src.data, src.len, 0, &out, &e), RC_BAD_INPUT);
	{
		char want[32];

		snprintf(want, sizeof(want), "column %d", col257);
		assert_string_equal(e.field, want);
	}
	assert_string_equal(e.msg, "list has too many values");
	buf_release(&src);
	buf_release(&out);
}

/* The parser reads len bytes, not up to a NUL; values are NUL-terminated
 * copies that outlive the source text. */
static void test_copies_and_length(void **state)
{
	char src[] = "sex = male and age >= 18";
	struct arena a;
	struct node *root = NULL;
	struct err e = ERR_INIT;
	struct buf out = BUF_INIT;

	(void)state;
	assert_int_equal(parse_describe(src, 10, 0, &out, &e), RC_OK);
	assert_string_equal(out.data, "(= sex male)");
	buf_release(&out);

	arena_init(&a, 64); /* small blocks: several allocations must chain */
	assert_int_equal(rule_parse(src, strlen(src), &a, &root, &e), RC_OK);
	memset(src, 'X', sizeof(src) - 1);
	assert_int_equal(root->kind, N_AND);
	assert_string_equal(root->left->field, "sex");
	assert_string_equal(root->left->values[0].text, "male");
	assert_string_equal(root->right->field, "age");
	assert_string_equal(root->right->values[0].text, "18");
	assert_true(root->right->values[0].num == 18);
	arena_release(&a);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_shapes),
		cmocka_unit_test(test_columns),
		cmocka_unit_test(test_errors),
		cmocka_unit_test(test_found_is_truncated),
		cmocka_unit_test(test_nesting_limit),
		cmocka_unit_test(test_list_limit),
		cmocka_unit_test(test_copies_and_length),
	};

	return cmocka_run_group_tests_name("parser", tests, NULL, NULL);
}
