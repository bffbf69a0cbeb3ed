/*
 * test_truth.c - the four outcomes and their logic (src/rules/truth.h).
 *
 * The expected tables are not copied from truth.c: they are computed here
 * from the rule truth.h states -
 *   `and` is false if either side is false, `or` true if either side is true;
 *   otherwise, when both sides are decided, the ordinary result; when one is
 *   undecided, the result is undecided and UNKNOWN wins over JUDGEMENT -
 * and every cell of the published tables is checked against that, then
 * again through the evaluator with rules made of constants and a field the
 * profile lacks.
 */
#include <stdio.h>
#include <string.h>
#include "unit.h"
#include "profile/profile.h"
#include "rules/compile.h"
#include "rules/eval.h"
#include "rules/truth.h"

static const enum truth all[] = { TV_FALSE, TV_TRUE, TV_UNKNOWN, TV_JUDGEMENT };
static const char *const letter[] = { "F", "T", "U", "J" };

static int decided(enum truth t)
{
	return t == TV_FALSE || t == TV_TRUE;
}

/* The undecided result of combining a and b, at least one undecided. */
static enum truth undecided_of(enum truth a, enum truth b)
{
	return a == TV_UNKNOWN || b == TV_UNKNOWN ? TV_UNKNOWN : TV_JUDGEMENT;
}

static enum truth expect_and(enum truth a, enum truth b)
{
	if (a == TV_FALSE || b == TV_FALSE)
		return TV_FALSE;
	if (decided(a) && decided(b))
		return TV_TRUE; /* both true */
	return undecided_of(a, b);
}

static enum truth expect_or(enum truth a, enum truth b)
{
	if (a == TV_TRUE || b == TV_TRUE)
		return TV_TRUE;
	if (decided(a) && decided(b))
		return TV_FALSE; /* both false */
	return undecided_of(a, b);
}

static enum truth expect_not(enum truth a)
{
	return a == TV_TRUE ? TV_FALSE : a == TV_FALSE ? TV_TRUE : a;
}

static void test_enum_values(void **state)
{
	(void)state;
	/* the evaluator stores truths in bytes and indexes tables by them */
	assert_int_equal(TV_FALSE, 0);
	assert_int_equal(TV_TRUE, 1);
	assert_int_equal(TV_UNKNOWN, 2);
	assert_int_equal(TV_JUDGEMENT, 3);
}

static void test_and_table(void **state)
{
	int bad = 0;

	(void)state;
	for (int i = 0; i < 4; i++)
		for (int j = 0; j < 4; j++) {
			enum truth a = all[i], b = all[j], want = expect_and(a, b);

			if (truth_and_table[a][b] != want || truth_and(a, b) != want) {
				print_error("%s and %s: table %s, truth_and %s, expected %s\n", letter[a],
					    letter[b], letter[truth_and_table[a][b] & 3],
					    letter[truth_and(a, b) & 3], letter[want]);
				bad++;
			}
		}
	assert_int_equal(bad, 0);
}

static void test_or_table(void **state)
{
	int bad = 0;

	(void)state;
	for (int i = 0; i < 4; i++)
		for (int j = 0; j < 4; j++) {
			enum truth a = all[i], b = all[j], want = expect_or(a, b);

			if (truth_or_table[a][b] != want || truth_or(a, b) != want) {
				print_error("%s or %s: table %s, truth_or %s, expected %s\n", letter[a],
					    letter[b], letter[truth_or_table[a][b] & 3],
					    letter[truth_or(a, b) & 3], letter[want]);
				bad++;
			}
		}
	assert_int_equal(bad, 0);
}

/* The tables spelt out once more, as a reader would check them by eye. */
static void test_tables_literal(void **state)
{
	static const char *const and_rows[] = { "FFFF", "FTUJ", "FUUU", "FJUJ" };
	static const char *const or_rows[] = { "FTUJ", "TTTT", "UTUU", "JTUJ" };

	(void)state;
	for (int a = 0; a < 4; a++)
		for (int b = 0; b < 4; b++) {
			assert_true(truth_and_table[a][b] < 4 && truth_or_table[a][b] < 4);
			assert_int_equal("FTUJ"[truth_and_table[a][b]], and_rows[a][b]);
			assert_int_equal("FTUJ"[truth_or_table[a][b]], or_rows[a][b]);
		}
}

static void test_not(void **state)
{
	(void)state;
	for (int i = 0; i < 4; i++)
		assert_int_equal(truth_not(all[i]), expect_not(all[i]));
	assert_int_equal(truth_not(TV_FALSE), TV_TRUE);
	assert_int_equal(truth_not(TV_TRUE), TV_FALSE);
	assert_int_equal(truth_not(TV_UNKNOWN), TV_UNKNOWN);
	assert_int_equal(truth_not(TV_JUDGEMENT), TV_JUDGEMENT);
}

/* Algebraic laws that follow from the definition: commutative, associative,
 * idempotent, De Morgan, double negation, absorption by the constants. */
static void test_laws(void **state)
{
	(void)state;
	for (int i = 0; i < 4; i++) {
		enum truth a = all[i];

		assert_int_equal(truth_not(truth_not(a)), a);
		assert_int_equal(truth_and(a, a), a);
		assert_int_equal(truth_or(a, a), a);
		assert_int_equal(truth_and(a, TV_TRUE), a);
		assert_int_equal(truth_or(a, TV_FALSE), a);
		assert_int_equal(truth_and(a, TV_FALSE), TV_FALSE);
		assert_int_equal(truth_or(a, TV_TRUE), TV_TRUE);
		for (int j = 0; j < 4; j++) {
			enum truth b = all[j];

			assert_int_equal(truth_and(a, b), truth_and(b, a));
			assert_int_equal(truth_or(a, b), truth_or(b, a));
			assert_int_equal(truth_not(truth_and(a, b)),
					 truth_or(truth_not(a), truth_not(b)));
			assert_int_equal(truth_not(truth_or(a, b)),
					 truth_and(truth_not(a), truth_not(b)));
			for (int k = 0; k < 4; k++) {
				enum truth c = all[k];

				assert_int_equal(truth_and(truth_and(a, b), c), truth_and(a, truth_and(b, c)));
				assert_int_equal(truth_or(truth_or(a, b), c), truth_or(a, truth_or(b, c)));
			}
		}
	}
}

static void test_outcome_names(void **state)
{
	(void)state;
	assert_string_equal(truth_outcome_name(TV_TRUE), "met");
	assert_string_equal(truth_outcome_name(TV_FALSE), "not_met");
	assert_string_equal(truth_outcome_name(TV_UNKNOWN), "unknown");
	assert_string_equal(truth_outcome_name(TV_JUDGEMENT), "judgement");
}

/* Rule text whose value is each truth against a profile without age. */
static const char *const operand[] = { "false", "true", "age > 1", "judgement" };

static enum truth eval_text(const char *rule, const struct profile *p)
{
	struct rule_program *prog = NULL;
	struct err e = ERR_INIT;
	enum truth t;

	if (rule_compile(rule, strlen(rule), &prog, &e)) {
		print_error("\"%s\": %s: %s\n", rule, e.field, e.msg);
		return (enum truth)7; /* no truth: every comparison fails */
	}
	t = rule_eval(prog, p);
	rule_program_free(prog);
	return t;
}

/* The same tables through the compiler and evaluator. */
static void test_through_evaluator(void **state)
{
	struct profile p;
	struct err e = ERR_INIT;
	char rule[96];
	int bad = 0;

	(void)state;
	assert_int_equal(profile_parse(&p, "{}", 2, &e), RC_OK);
	for (int i = 0; i < 4; i++) {
		enum truth got = eval_text(operand[i], &p);

		if (got != all[i]) {
			print_error("\"%s\": %s, expected %s\n", operand[i], letter[got & 3], letter[i]);
			bad++;
		}
		snprintf(rule, sizeof(rule), "not (%s)", operand[i]);
		if ((got = eval_text(rule, &p)) != expect_not(all[i])) {
			print_error("\"%s\": %s\n", rule, letter[got & 3]);
			bad++;
		}
		for (int j = 0; j < 4; j++) {
			snprintf(rule, sizeof(rule), "%s and %s", operand[i], operand[j]);
			if ((got = eval_text(rule, &p)) != expect_and(all[i], all[j])) {
				print_error("\"%s\": %s, expected %s\n", rule, letter[got & 3],
					    letter[expect_and(all[i], all[j])]);
				bad++;
			}
			snprintf(rule, sizeof(rule), "%s or %s", operand[i], operand[j]);
			if ((got = eval_text(rule, &p)) != expect_or(all[i], all[j])) {
				print_error("\"%s\": %s, expected %s\n", rule, letter[got & 3],
					    letter[expect_or(all[i], all[j])]);
				bad++;
			}
		}
	}
	profile_clear(&p);
	assert_int_equal(bad, 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_enum_values),
		cmocka_unit_test(test_and_table),
		cmocka_unit_test(test_or_table),
		cmocka_unit_test(test_tables_literal),
		cmocka_unit_test(test_not),
		cmocka_unit_test(test_laws),
		cmocka_unit_test(test_outcome_names),
		cmocka_unit_test(test_through_evaluator),
	};

	return cmocka_run_group_tests_name("truth", tests, NULL, NULL);
}
