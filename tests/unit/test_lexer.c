/*
 * test_lexer.c - the rule lexer (src/rules/lexer.h), table-driven.
 *
 * Each good case is a rule and the token stream it must produce, written as
 * one line: KIND"text"@col for words and strings, NUM[text]=value@col for
 * numbers, and the bare kind for punctuation. Each bad case is a rule and
 * the exact "column N" field plus a message substring. The lexer is driven
 * the way the parser drives it: one struct token reused for every call.
 */
#include <stdio.h>
#include <string.h>
#include "unit.h"
#include "core/buf.h"
#include "rules/lexer.h"

/* Our own names for the kinds, so the expectations do not depend on
 * token_kind_name(), which is tested separately below. */
static const char *kind_tag(enum token_kind k)
{
	switch (k) {
	case TK_EOF: return "EOF";
	case TK_WORD: return "WORD";
	case TK_NUMBER: return "NUM";
	case TK_STRING: return "STR";
	case TK_LPAREN: return "LPAREN";
	case TK_RPAREN: return "RPAREN";
	case TK_LBRACK: return "LBRACK";
	case TK_RBRACK: return "RBRACK";
	case TK_COMMA: return "COMMA";
	case TK_EQ: return "EQ";
	case TK_NE: return "NE";
	case TK_LT: return "LT";
	case TK_LE: return "LE";
	case TK_GT: return "GT";
	case TK_GE: return "GE";
	}
	return "?";
}

/* Lex src (len bytes) to the end or the first error, describing every token
 * in out. Returns the lexer's status; e holds the error. */
static enum rc lex_describe(const char *src, size_t len, struct buf *out, struct err *e)
{
	struct lexer lx;
	struct token t;
	enum rc rc;
	int guard = 0;

	memset(&t, 0, sizeof(t));
	lexer_init(&lx, src, len);
	for (;;) {
		rc = lexer_next(&lx, &t, e);
		if (rc)
			return rc;
		assert_true(t.col >= 1);
		assert_true(t.start >= src && t.start <= src + len);
		if (out->len)
			assert_int_equal(buf_addch(out, ' '), RC_OK);
		switch (t.kind) {
		case TK_WORD:
		case TK_STRING:
			assert_int_equal(buf_addf(out, "%s\"%.*s\"@%d", kind_tag(t.kind), (int)t.len,
						  t.start, t.col), RC_OK);
			break;
		case TK_NUMBER:
			assert_int_equal(buf_addf(out, "NUM[%.*s]=%g@%d", (int)t.len, t.start, t.num,
						  t.col), RC_OK);
			break;
		default:
			assert_int_equal(buf_addf(out, "%s@%d", kind_tag(t.kind), t.col), RC_OK);
		}
		if (t.kind == TK_EOF)
			return RC_OK;
		/* every rule here is short; a lexer that stops advancing must not
		 * hang the test (nor longjmp out of it, leaking out) */
		if (++guard > 200)
			return err_set(e, RC_INTERNAL, "", "lexer stopped advancing after: %.80s",
				       out->data);
	}
}

struct lex_case {
	const char *src;
	const char *tokens;
};

static const struct lex_case lex_cases[] = {
	/* empty input and whitespace */
	{ "", "EOF@1" },
	{ "   ", "EOF@4" },
	{ "\t\n\r ", "EOF@5" },
	/* punctuation: every kind */
	{ "( ) [ ] ,", "LPAREN@1 RPAREN@3 LBRACK@5 RBRACK@7 COMMA@9 EOF@10" },
	{ "= == != < <= > >=", "EQ@1 EQ@3 NE@6 LT@9 LE@11 GT@14 GE@16 EOF@18" },
	{ "()[],", "LPAREN@1 RPAREN@2 LBRACK@3 RBRACK@4 COMMA@5 EOF@6" },
	{ "<>", "LT@1 GT@2 EOF@3" },
	{ "=<", "EQ@1 LT@2 EOF@3" },
	{ "===", "EQ@1 EQ@3 EOF@4" },
	/* a whole rule, with and without spaces */
	{ "scores.ovp > 27", "WORD\"scores.ovp\"@1 GT@12 NUM[27]=27@14 EOF@16" },
	{ "age>=18", "WORD\"age\"@1 GE@4 NUM[18]=18@6 EOF@8" },
	{ "sex=male", "WORD\"sex\"@1 EQ@4 WORD\"male\"@5 EOF@9" },
	{ "sex!=female", "WORD\"sex\"@1 NE@4 WORD\"female\"@6 EOF@12" },
	{ "offences has any [violence,stalking]",
	  "WORD\"offences\"@1 WORD\"has\"@10 WORD\"any\"@14 LBRACK@18 WORD\"violence\"@19 "
	  "COMMA@27 WORD\"stalking\"@28 RBRACK@36 EOF@37" },
	{ "not (a or b)", "WORD\"not\"@1 LPAREN@5 WORD\"a\"@6 WORD\"or\"@8 WORD\"b\"@11 RPAREN@12 EOF@13" },
	/* numbers */
	{ "18", "NUM[18]=18@1 EOF@3" },
	{ "0", "NUM[0]=0@1 EOF@2" },
	{ "-3", "NUM[-3]=-3@1 EOF@3" },
	{ "2.5", "NUM[2.5]=2.5@1 EOF@4" },
	{ "11.6", "NUM[11.6]=11.6@1 EOF@5" },
	{ "-0.25", "NUM[-0.25]=-0.25@1 EOF@6" },
	{ "007", "NUM[007]=7@1 EOF@4" },
	{ "[1,2]", "LBRACK@1 NUM[1]=1@2 COMMA@3 NUM[2]=2@4 RBRACK@5 EOF@6" },
	{ "(27)", "LPAREN@1 NUM[27]=27@2 RPAREN@4 EOF@5" },
	{ "x between 25 and 90", "WORD\"x\"@1 WORD\"between\"@3 NUM[25]=25@11 WORD\"and\"@14 "
	  "NUM[90]=90@18 EOF@20" },
	/* words that look like numbers, or contain digits, stay one word */
	{ "scores.oasys_11_6", "WORD\"scores.oasys_11_6\"@1 EOF@18" },
	{ "kss-crc/ttg-level-1", "WORD\"kss-crc/ttg-level-1\"@1 EOF@20" },
	{ "18x", "WORD\"18x\"@1 EOF@4" },
	{ "1.2.3", "WORD\"1.2.3\"@1 EOF@6" },
	{ "11.", "WORD\"11.\"@1 EOF@4" },
	{ ".5", "WORD\".5\"@1 EOF@3" },
	{ "3-4", "WORD\"3-4\"@1 EOF@4" },
	{ "-x", "WORD\"-x\"@1 EOF@3" },
	{ "- 3", "WORD\"-\"@1 NUM[3]=3@3 EOF@4" },
	{ "2nd_go", "WORD\"2nd_go\"@1 EOF@7" },
	/* a number followed by a word that starts with a digit: the second
	 * token must be lexed on its own, whatever the previous token was */
	{ "18 2nd", "NUM[18]=18@1 WORD\"2nd\"@4 EOF@7" },
	{ "age = 18 2x", "WORD\"age\"@1 EQ@5 NUM[18]=18@7 WORD\"2x\"@10 EOF@12" },
	{ "18 x 2nd", "NUM[18]=18@1 WORD\"x\"@4 WORD\"2nd\"@6 EOF@9" },
	/* strings: contents without quotes, column of the opening quote */
	{ "\"HMP Maidstone\"", "STR\"HMP Maidstone\"@1 EOF@16" },
	{ "prison = \"HMP Maidstone\"", "WORD\"prison\"@1 EQ@8 STR\"HMP Maidstone\"@10 EOF@25" },
	{ "\"\"", "STR\"\"@1 EOF@3" },
	{ "\"a,b\"x", "STR\"a,b\"@1 WORD\"x\"@6 EOF@7" },
	{ "\"Kent, Surrey and Sussex\"", "STR\"Kent, Surrey and Sussex\"@1 EOF@26" },
	{ "\"# not a comment\"", "STR\"# not a comment\"@1 EOF@18" },
	{ "\"Ynys M\xc3\xb4n\"", "STR\"Ynys M\xc3\xb4n\"@1 EOF@12" },
	{ "\"(x)!+\"", "STR\"(x)!+\"@1 EOF@8" },
	/* comments run to the end of the line; columns count bytes from the start */
	{ "# only a comment", "EOF@17" },
	{ "sex = male # Male service users", "WORD\"sex\"@1 EQ@5 WORD\"male\"@7 EOF@32" },
	{ "a # c\nb", "WORD\"a\"@1 WORD\"b\"@7 EOF@8" },
	{ "a#b", "WORD\"a\"@1 EOF@4" },
	{ "# one\n# two\nx", "WORD\"x\"@13 EOF@14" },
	{ "a\n\tb", "WORD\"a\"@1 WORD\"b\"@4 EOF@5" },
};

static void test_tokens(void **state)
{
	int bad = 0;

	(void)state;
	for (size_t i = 0; i < sizeof(lex_cases) / sizeof(lex_cases[0]); i++) {
		const struct lex_case *c = &lex_cases[i];
		struct buf out = BUF_INIT;
		struct err e = ERR_INIT;
		enum rc rc = lex_describe(c->src, strlen(c->src), &out, &e);

		if (rc) {
			print_error("\"%s\": unexpected error %s: %s\n", c->src, e.field, e.msg);
			bad++;
		} else if (strcmp(out.data, c->tokens)) {
			print_error("\"%s\":\n  expected %s\n  got      %s\n", c->src, c->tokens,
				    out.data);
			bad++;
		}
		buf_release(&out);
	}
	assert_int_equal(bad, 0);
}

/* A number's value must be the one strtod gives for the same text. */
static void test_number_values(void **state)
{
	static const struct {
		const char *src;
		double num;
		size_t len;
	} nums[] = {
		{ "18", 18, 2 }, { "-3", -3, 2 }, { "2.5", 2.5, 3 }, { "11.6", 11.6, 4 },
		{ "0.1", 0.1, 3 }, { "100", 100, 3 }, { "-0.5", -0.5, 4 },
		{ "27)", 27, 2 }, { "1,", 1, 1 }, { "5]", 5, 1 },
	};

	(void)state;
	for (size_t i = 0; i < sizeof(nums) / sizeof(nums[0]); i++) {
		struct lexer lx;
		struct token t;
		struct err e = ERR_INIT;

		memset(&t, 0, sizeof(t));
		lexer_init(&lx, nums[i].src, strlen(nums[i].src));
		assert_int_equal(lexer_next(&lx, &t, &e), RC_OK);
		assert_int_equal(t.kind, TK_NUMBER);
		if (t.num != nums[i].num)
			fail_msg("\"%s\": num %.17g, expected %.17g", nums[i].src, t.num, nums[i].num);
		assert_int_equal(t.len, nums[i].len);
		assert_ptr_equal(t.start, nums[i].src);
	}
}

/* The lexer reads only the len bytes it is given, not up to a NUL. */
static void test_length_bounded(void **state)
{
	static const char src[] = "age >= 18 and sex = male";
	struct buf out = BUF_INIT;
	struct err e = ERR_INIT;

	(void)state;
	assert_int_equal(lex_describe(src, 9, &out, &e), RC_OK);
	assert_string_equal(out.data, "WORD\"age\"@1 GE@5 NUM[18]=18@8 EOF@10");
	buf_reset(&out);
	/* "18" cut to "1" */
	assert_int_equal(lex_describe(src, 8, &out, &e), RC_OK);
	assert_string_equal(out.data, "WORD\"age\"@1 GE@5 NUM[1]=1@8 EOF@9");
	buf_reset(&out);
	/* a string whose closing quote lies past len is unterminated */
	assert_int_equal(lex_describe("\"abc\"", 4, &out, &e), RC_BAD_INPUT);
	assert_string_equal(e.field, "column 1");
	/* a '!' at the very end, with '=' just past len */
	assert_int_equal(lex_describe("a !=", 3, &out, &e), RC_BAD_INPUT);
	assert_string_equal(e.field, "column 3");
	buf_release(&out);
}

/* EOF is sticky: asking again after the end keeps returning EOF. */
static void test_eof_repeats(void **state)
{
	struct lexer lx;
	struct token t;
	struct err e = ERR_INIT;

	(void)state;
	memset(&t, 0, sizeof(t));
	lexer_init(&lx, "x", 1);
	assert_int_equal(lexer_next(&lx, &t, &e), RC_OK);
	assert_int_equal(t.kind, TK_WORD);
	for (int i = 0; i < 3; i++) {
		assert_int_equal(lexer_next(&lx, &t, &e), RC_OK);
		assert_int_equal(t.kind, TK_EOF);
		assert_int_equal(t.col, 2);
	}
}

struct lex_error_case {
	const char *src;
	const char *field;
	const char *msg;     /* substring of e.msg */
};

static const struct lex_error_case lex_errors[] = {
	{ "\"abc", "column 1", "unterminated string" },
	{ "prison = \"HMP Maidstone", "column 10", "unterminated string" },
	{ "\"", "column 1", "unterminated string" },
	{ "\"a\\\"b\"", "column 3", "strings may not contain '\\' or line breaks" },
	{ "x = \"a\nb\"", "column 7", "strings may not contain '\\' or line breaks" },
	{ "!", "column 1", "'!' must be followed by '=' (use 'not' for negation)" },
	{ "! sex = male", "column 1", "'!' must be followed by '='" },
	{ "sex ! male", "column 5", "'!' must be followed by '='" },
	{ "!x", "column 1", "'!' must be followed by '='" },
	{ "a !", "column 3", "'!' must be followed by '='" },
	{ "area = M\xc3\xb4n", "column 9", "unexpected non-ASCII character (quote text values)" },
	{ "\xc3\xa9", "column 1", "unexpected non-ASCII character" },
	{ "area = Kent\xe2\x80\x94Sussex", "column 12", "unexpected non-ASCII character" },
	{ "\xff", "column 1", "unexpected non-ASCII character" },
	{ "18+", "column 3", "unexpected character '+'" },
	{ "age >= 18+", "column 10", "unexpected character '+'" },
	{ "a + b", "column 3", "unexpected character '+'" },
	{ "a; b", "column 2", "unexpected character ';'" },
	{ "a & b", "column 3", "unexpected character '&'" },
	{ "a && b", "column 3", "unexpected character '&'" },
	{ "a | b", "column 3", "unexpected character '|'" },
	{ "sex = 'male'", "column 7", "unexpected character '''" },
	{ "{x}", "column 1", "unexpected character '{'" },
	{ "x = $1", "column 5", "unexpected character '$'" },
	{ "x = 5%", "column 6", "unexpected character '%'" },
	{ "a\\b", "column 2", "unexpected character '\\'" },
	{ "x ~ y", "column 3", "unexpected character '~'" },
	{ "x @ y", "column 3", "unexpected character '@'" },
	{ "x \x01", "column 3", "unexpected character" },
	{ "x \x7f", "column 3", "unexpected character" },
	/* 64 digits do not fit the lexer's number buffer; 63 do (see below) */
	{ "1234567890123456789012345678901234567890123456789012345678901234", "column 1",
	  "number too long" },
	{ "x = -123456789012345678901234567890123456789012345678901234567890123", "column 5",
	  "number too long" },
};

static void test_errors(void **state)
{
	int bad = 0;

	(void)state;
	for (size_t i = 0; i < sizeof(lex_errors) / sizeof(lex_errors[0]); i++) {
		const struct lex_error_case *c = &lex_errors[i];
		struct buf out = BUF_INIT;
		struct err e = ERR_INIT;
		enum rc rc = lex_describe(c->src, strlen(c->src), &out, &e);

		if (rc != RC_BAD_INPUT || e.rc != RC_BAD_INPUT) {
			print_error("\"%s\": expected an error, got rc %d and %s\n", c->src, rc, out.data);
			bad++;
		} else if (strcmp(e.field, c->field) || !strstr(e.msg, c->msg)) {
			print_error("\"%s\": got \"%s: %s\", expected \"%s\" and \"%s\"\n", c->src,
				    e.field, e.msg, c->field, c->msg);
			bad++;
		}
		buf_release(&out);
	}
	assert_int_equal(bad, 0);
}

/* 63 digits is the longest number the lexer takes. */
static void test_long_number_limit(void **state)
{
	char src[80];
	struct buf out = BUF_INIT;
	struct err e = ERR_INIT;

	(void)state;
	memset(src, '9', 63);
	src[63] = '\0';
	assert_int_equal(lex_describe(src, 63, &out, &e), RC_OK);
	assert_non_null(strstr(out.data, "NUM["));
	assert_non_null(strstr(out.data, "EOF@64"));
	buf_release(&out);
	/* a long run of digits that turns into a word is a word, however long */
	memset(src, '9', 70);
	src[70] = 'x';
	src[71] = '\0';
	assert_int_equal(lex_describe(src, 71, &out, &e), RC_OK);
	assert_int_equal(strncmp(out.data, "WORD\"", 5), 0);
	assert_non_null(strstr(out.data, "EOF@72"));
	buf_release(&out);
}

static void test_kind_names(void **state)
{
	static const struct {
		enum token_kind k;
		const char *name;
	} names[] = {
		{ TK_EOF, "end of rule" }, { TK_WORD, "word" }, { TK_NUMBER, "number" },
		{ TK_STRING, "quoted string" }, { TK_LPAREN, "'('" }, { TK_RPAREN, "')'" },
		{ TK_LBRACK, "'['" }, { TK_RBRACK, "']'" }, { TK_COMMA, "','" },
		{ TK_EQ, "'='" }, { TK_NE, "'!='" }, { TK_LT, "'<'" }, { TK_LE, "'<='" },
		{ TK_GT, "'>'" }, { TK_GE, "'>='" },
	};

	(void)state;
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		assert_string_equal(token_kind_name(names[i].k), names[i].name);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_tokens),
		cmocka_unit_test(test_number_values),
		cmocka_unit_test(test_length_bounded),
		cmocka_unit_test(test_eof_repeats),
		cmocka_unit_test(test_errors),
		cmocka_unit_test(test_long_number_limit),
		cmocka_unit_test(test_kind_names),
	};

	return cmocka_run_group_tests_name("lexer", tests, NULL, NULL);
}
