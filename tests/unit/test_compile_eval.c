/*
 * test_compile_eval.c - rule compiler and evaluator (src/rules/compile.h,
 * eval.h) against profiles.
 *
 * Most cases are data, in the .test files of tests/rules (jq.test style):
 *   rule TEXT
 *   met|not_met|unknown|judgement {PROFILE JSON}     (any number)
 *   error column N: MESSAGE SUBSTRING                (for refused rules)
 * separated by blank lines; lines starting with # are comments. Each outcome
 * or error line is its own cmocka test, named FILE:LINE. The C tests below
 * cover what is not a rule/profile pair: rule_program_foreach_id, the
 * program's bookkeeping, and the size limits.
 */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>
#include "unit.h"
#include "core/buf.h"
#include "profile/field.h"
#include "profile/profile.h"
#include "rules/compile.h"
#include "rules/eval.h"

#define MAX_CASES 4096

struct rule_case {
	char name[160];
	char *rule;
	char *outcome;            /* expected outcome name, or NULL for an error case */
	char *profile;
	char *err_field, *err_msg;
};

static struct rule_case cases[MAX_CASES];
static int ncases, nerror_cases;

static char *dup_trimmed(const char *s)
{
	size_t n = strlen(s);

	while (n && (s[n - 1] == '\n' || s[n - 1] == '\r'))
		n--;
	return strndup(s, n);
}

/* Read one .test file into cases[]; returns -1 on a malformed line. */
static int load_file(const char *dir, const char *file)
{
	char path[1024], line[16384];
	char *rule = NULL;  /* the current case's rule, shared by its lines */
	FILE *f;
	int lineno = 0, bad = 0;

	snprintf(path, sizeof(path), "%s/%s", dir, file);
	f = fopen(path, "r");
	if (!f) {
		fprintf(stderr, "cannot open %s\n", path);
		return -1;
	}
	while (fgets(line, sizeof(line), f)) {
		struct rule_case *c;
		char *sp;

		lineno++;
		if (line[0] == '#')
			continue;
		if (line[0] == '\n' || line[0] == '\r') {
			rule = NULL;
			continue;
		}
		if (!strncmp(line, "rule", 4) && (line[4] == ' ' || line[4] == '\n')) {
			if (rule) {
				fprintf(stderr, "%s:%d: two rules in one case\n", file, lineno);
				bad = 1;
			}
			rule = dup_trimmed(line[4] == ' ' ? line + 5 : "");
			/* owned by the first case that uses it; kept alive in a spare slot */
			if (ncases >= MAX_CASES) {
				free(rule);
				bad = 1;
				break;
			}
			cases[ncases].rule = rule;
			cases[ncases].name[0] = '\0';
			ncases++;
			continue;
		}
		if (!rule) {
			fprintf(stderr, "%s:%d: line outside a case: %s", file, lineno, line);
			bad = 1;
			continue;
		}
		if (ncases >= MAX_CASES) {
			bad = 1;
			break;
		}
		c = &cases[ncases++];
		memset(c, 0, sizeof(*c));
		snprintf(c->name, sizeof(c->name), "%s:%d", file, lineno);
		c->rule = rule;
		sp = strchr(line, ' ');
		if (!sp) {
			fprintf(stderr, "%s:%d: malformed line: %s", file, lineno, line);
			bad = 1;
			ncases--;
			continue;
		}
		*sp = '\0';
		if (!strcmp(line, "error")) {
			char *colon = strstr(sp + 1, ": ");

			if (!colon) {
				fprintf(stderr, "%s:%d: error line needs FIELD: MESSAGE\n", file, lineno);
				bad = 1;
				ncases--;
				continue;
			}
			*colon = '\0';
			c->err_field = strdup(sp + 1);
			c->err_msg = dup_trimmed(colon + 2);
			nerror_cases++;
		} else if (!strcmp(line, "met") || !strcmp(line, "not_met") ||
			   !strcmp(line, "unknown") || !strcmp(line, "judgement")) {
			c->outcome = strdup(line);
			c->profile = dup_trimmed(sp + 1);
		} else {
			fprintf(stderr, "%s:%d: unknown line kind '%s'\n", file, lineno, line);
			bad = 1;
			ncases--;
		}
	}
	fclose(f);
	return bad ? -1 : 0;
}

static void run_eval_case(void **state)
{
	const struct rule_case *c = *state;
	struct rule_program *prog = NULL;
	struct profile p;
	struct err e = ERR_INIT;
	enum truth got, again;

	if (rule_compile(c->rule, strlen(c->rule), &prog, &e))
		fail_msg("%s: rule \"%s\" does not compile: %s: %s", c->name, c->rule, e.field, e.msg);
	if (profile_parse(&p, c->profile, strlen(c->profile), &e)) {
		rule_program_free(prog);
		profile_clear(&p);
		fail_msg("%s: bad profile %s: %s: %s", c->name, c->profile, e.field, e.msg);
	}
	got = rule_eval(prog, &p);
	again = rule_eval(prog, &p); /* pure: the same answer twice */
	rule_program_free(prog);
	profile_clear(&p);
	assert_int_equal(got, again);
	if (strcmp(truth_outcome_name(got), c->outcome))
		fail_msg("%s: \"%s\" on %s: expected %s, got %s", c->name, c->rule, c->profile,
			 c->outcome, truth_outcome_name(got));
}

static void run_error_case(void **state)
{
	const struct rule_case *c = *state;
	struct rule_program *prog = (struct rule_program *)&prog; /* must be reset to NULL */
	struct err e = ERR_INIT;
	enum rc rc = rule_compile(c->rule, strlen(c->rule), &prog, &e);

	if (rc == RC_OK) {
		rule_program_free(prog);
		fail_msg("%s: \"%s\" compiled; expected %s: %s", c->name, c->rule, c->err_field,
			 c->err_msg);
	}
	assert_int_equal(rc, RC_BAD_INPUT);
	assert_int_equal(e.rc, RC_BAD_INPUT);
	assert_null(prog);
	if (strcmp(e.field, c->err_field) || !strstr(e.msg, c->err_msg))
		fail_msg("%s: \"%s\":\n  got      %s: %s\n  expected %s: ...%s...", c->name, c->rule,
			 e.field, e.msg, c->err_field, c->err_msg);
}

/* --- C tests --------------------------------------------------------------- */

static void collect_id(void *ctx, const char *id)
{
	struct buf *b = ctx;

	assert_int_equal(buf_addf(b, "%s%s", b->len ? "," : "", id), RC_OK);
}

static void test_foreach_id(void **state)
{
	static const struct {
		const char *rule;
		const char *ids;
	} t[] = {
		{ "completed has kss-crc/ttg-level-1", "kss-crc/ttg-level-1" },
		{ "completed has any [a/one, b/two] and not completed has c/three"
		  " or completed has none [d/four] or completed has all [e/five, \"f/six\"]",
		  "a/one,b/two,c/three,d/four,e/five,f/six" },
		/* only `completed`: other lists and text values are not service ids */
		{ "vulnerabilities has x/y or prison = \"g/h\" or area in [i/j]", "" },
		{ "sex = male and age > 18 or judgement", "" },
		{ "flags has veteran and completed has z/z", "z/z" },
		/* an id named twice is reported twice; the caller decides */
		{ "completed has a/a or completed has a/a", "a/a,a/a" },
	};

	(void)state;
	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		struct rule_program *prog = NULL;
		struct err e = ERR_INIT;
		struct buf ids = BUF_INIT;

		if (rule_compile(t[i].rule, strlen(t[i].rule), &prog, &e))
			fail_msg("\"%s\": %s: %s", t[i].rule, e.field, e.msg);
		rule_program_foreach_id(prog, collect_id, &ids);
		rule_program_free(prog);
		if (strcmp(ids.data, t[i].ids)) {
			print_error("\"%s\": ids \"%s\", expected \"%s\"\n", t[i].rule, ids.data, t[i].ids);
			buf_release(&ids);
			fail();
		}
		buf_release(&ids);
	}
}

#define BIT(f) ((uint64_t)1 << (f))

/* What the program records about itself: the fields it reads and whether it
 * holds a judgement. */
static void test_program_summary(void **state)
{
	static const struct {
		const char *rule;
		uint64_t fields;
		int judgement;
	} t[] = {
		{ "true", 0, 0 },
		{ "judgement", 0, 1 },
		{ "not judgement or false", 0, 1 },
		{ "sex = male and age > 18", BIT(PF_SEX) | BIT(PF_AGE), 0 },
		{ "scores.ovp is known or judgement", BIT(PF_OVP), 1 },
		{ "offences has any [violence] and needs has all [ete]", BIT(PF_OFFENCES) | BIT(PF_NEEDS), 0 },
		{ "completed has a/b", BIT(PF_COMPLETED), 0 },
		{ "scores.ogrs between 1 and 2 or prison = x", BIT(PF_OGRS) | BIT(PF_PRISON), 0 },
		{ "sex not in [male]", BIT(PF_SEX), 0 },
	};

	(void)state;
	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		struct rule_program *prog = NULL;
		struct err e = ERR_INIT;
		uint64_t fields;
		int judgement, stack;

		if (rule_compile(t[i].rule, strlen(t[i].rule), &prog, &e))
			fail_msg("\"%s\": %s: %s", t[i].rule, e.field, e.msg);
		fields = prog->fields;
		judgement = prog->judgement;
		stack = prog->max_stack;
		rule_program_free(prog);
		if (fields != t[i].fields || !judgement != !t[i].judgement)
			fail_msg("\"%s\": fields %#llx judgement %d, expected %#llx %d", t[i].rule,
				 (unsigned long long)fields, judgement,
				 (unsigned long long)t[i].fields, t[i].judgement);
		assert_true(stack >= 1);
	}
}

/* A rule of n constants joined by `op`. */
static void chain(struct buf *b, size_t n, const char *op)
{
	buf_reset(b);
	for (size_t i = 0; i < n; i++)
		assert_int_equal(buf_addf(b, "%s%s", i ? op : "", i % 2 ? "false" : "true"), RC_OK);
}

/* Up to 4096 instructions compile; one more is "rule is too long". */
static void test_instruction_limit(void **state)
{
	struct buf src = BUF_INIT;
	struct rule_program *prog = NULL;
	struct err e = ERR_INIT;
	struct profile p;

	(void)state;
	assert_int_equal(profile_parse(&p, "{}", 2, &e), RC_OK);
	chain(&src, 2048, " or "); /* 2048 constants + 2047 ORs = 4095 instructions */
	assert_int_equal(rule_compile(src.data, src.len, &prog, &e), RC_OK);
	assert_int_equal(prog->n, 4095);
	assert_int_equal(rule_eval(prog, &p), TV_TRUE);
	rule_program_free(prog);

	chain(&src, 2048, " and ");
	assert_int_equal(rule_compile(src.data, src.len, &prog, &e), RC_OK);
	assert_int_equal(rule_eval(prog, &p), TV_FALSE);
	rule_program_free(prog);

	chain(&src, 2049, " or ");
	prog = NULL;
	assert_int_equal(rule_compile(src.data, src.len, &prog, &e), RC_BAD_INPUT);
	assert_null(prog);
	assert_string_equal(e.field, "column 1");
	assert_string_equal(e.msg, "rule is too long");
	buf_release(&src);
	profile_clear(&p);
}

/* More than 65535 strings is too long as well (instructions index them
 * with 16 bits): 257 lists of 256 prisons. */
static void test_string_limit(void **state)
{
	struct buf src = BUF_INIT;
	struct rule_program *prog = NULL;
	struct err e = ERR_INIT;

	(void)state;
	for (int l = 0; l < 257; l++) {
		assert_int_equal(buf_adds(&src, l ? " or prison in [" : "prison in ["), RC_OK);
		for (int v = 0; v < 256; v++)
			assert_int_equal(buf_addf(&src, "%sp%d", v ? "," : "", v), RC_OK);
		assert_int_equal(buf_addch(&src, ']'), RC_OK);
	}
	assert_int_equal(rule_compile(src.data, src.len, &prog, &e), RC_BAD_INPUT);
	assert_null(prog);
	assert_string_equal(e.field, "column 1");
	assert_string_equal(e.msg, "rule is too long");
	buf_release(&src);
}

/* A very long flat chain ("true and true and ... true", 100 000 terms, under
 * a megabyte: it fits in a catalogue file) must be refused as too long, not
 * crash. The parser builds such chains without recursion, so the compiler
 * must not recurse once per term either. Run in a child process so a crash
 * is reported as a failure of this test, not the end of the whole run. */
static void test_long_chain_does_not_crash(void **state)
{
	pid_t pid;
	int status = 0;

	(void)state;
	fflush(NULL);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		struct buf src = BUF_INIT;
		struct rule_program *prog = NULL;
		struct err e = ERR_INIT;
		enum rc rc;
		int ok;

		for (int i = 0; i < 100000; i++)
			if (buf_adds(&src, "true and "))
				_exit(3);
		if (buf_adds(&src, "true"))
			_exit(3);
		rc = rule_compile(src.data, src.len, &prog, &e);
		ok = rc == RC_BAD_INPUT && !strcmp(e.msg, "rule is too long");
		if (!ok)
			fprintf(stderr, "long chain: rc %d, %s: %s\n", rc, e.field, e.msg);
		if (rc == RC_OK)
			rule_program_free(prog);
		buf_release(&src);
		exit(ok ? 0 : 2);
	}
	assert_int_equal(waitpid(pid, &status, 0), pid);
	if (WIFSIGNALED(status))
		fail_msg("rule_compile on a 100000-term 'and' chain killed by signal %d", WTERMSIG(status));
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
		fail_msg("rule_compile on a 100000-term 'and' chain: child exit status %d "
			 "(1 = the sanitizer found a fault, e.g. stack overflow; 2 = wrong result)",
			 WEXITSTATUS(status));
}

/* On any error *out is NULL and nothing leaks (ASan checks the latter). */
static void test_out_reset_on_error(void **state)
{
	static const char *const bad[] = { "", "sexx = male", "sex = mail", "(((", "x between 2 and 1" };

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct rule_program *prog = (struct rule_program *)&bad; /* not NULL */
		struct err e = ERR_INIT;

		assert_int_equal(rule_compile(bad[i], strlen(bad[i]), &prog, &e), RC_BAD_INPUT);
		assert_null(prog);
		assert_int_equal(strncmp(e.field, "column ", 7), 0);
		assert_true(e.msg[0] != '\0');
	}
}

/* One program, many profiles: the evaluator reads nothing but its inputs. */
static void test_shared_program(void **state)
{
	static const char rule[] = "sex = male and (scores.ovp > 27 or offences has violence)";
	static const struct {
		const char *profile;
		enum truth want;
	} t[] = {
		{ "{\"sex\": \"male\", \"scores\": {\"ovp\": 30}}", TV_TRUE },
		{ "{\"sex\": \"female\"}", TV_FALSE },
		{ "{\"sex\": \"male\", \"offences\": []}", TV_UNKNOWN },
		{ "{\"sex\": \"male\", \"offences\": [], \"scores\": {\"ovp\": 1}}", TV_FALSE },
		{ "{\"sex\": \"male\", \"offences\": [\"violence\"]}", TV_TRUE },
	};
	struct rule_program *prog = NULL;
	struct err e = ERR_INIT;
	struct profile p[5];

	(void)state;
	assert_int_equal(rule_compile(rule, strlen(rule), &prog, &e), RC_OK);
	for (int i = 0; i < 5; i++)
		assert_int_equal(profile_parse(&p[i], t[i].profile, strlen(t[i].profile), &e), RC_OK);
	for (int round = 0; round < 3; round++)
		for (int i = 4; i >= 0; i--)
			assert_int_equal(rule_eval(prog, &p[i]), t[i].want);
	for (int i = 0; i < 5; i++)
		profile_clear(&p[i]);
	rule_program_free(prog);
}

static int by_name(const struct dirent **a, const struct dirent **b)
{
	return strcmp((*a)->d_name, (*b)->d_name);
}

static int is_test(const struct dirent *de)
{
	size_t n = strlen(de->d_name);

	return n > 5 && !strcmp(de->d_name + n - 5, ".test");
}

int main(int argc, char **argv)
{
	const char *dir = argc > 1 ? argv[1] : "tests/rules";
	const struct CMUnitTest unit_tests[] = {
		cmocka_unit_test(test_foreach_id),
		cmocka_unit_test(test_program_summary),
		cmocka_unit_test(test_instruction_limit),
		cmocka_unit_test(test_string_limit),
		cmocka_unit_test(test_long_chain_does_not_crash),
		cmocka_unit_test(test_out_reset_on_error),
		cmocka_unit_test(test_shared_program),
	};
	struct CMUnitTest *tests;
	struct dirent **names;
	int n, ntests = 0, failed, bad = 0;

	n = scandir(dir, &names, is_test, by_name);
	if (n <= 0) {
		fprintf(stderr, "no .test files in %s\n", dir);
		return 1;
	}
	for (int i = 0; i < n; i++) {
		if (load_file(dir, names[i]->d_name))
			bad = 1;
		free(names[i]);
	}
	free(names);
	tests = calloc((size_t)ncases, sizeof(*tests));
	for (int i = 0; i < ncases; i++) {
		if (!cases[i].name[0])
			continue; /* a rule's holder slot, not a case */
		tests[ntests].name = cases[i].name;
		tests[ntests].test_func = cases[i].outcome ? run_eval_case : run_error_case;
		tests[ntests].initial_state = &cases[i];
		ntests++;
	}
	/* a missing or truncated data file must not pass quietly */
	if (bad || ntests - nerror_cases < 250 || nerror_cases < 40) {
		fprintf(stderr, "rule cases: %d outcome, %d error%s\n", ntests - nerror_cases,
			nerror_cases, bad ? ", and malformed lines" : "");
		failed = 1;
	} else {
		failed = _cmocka_run_group_tests("rule_cases", tests, (size_t)ntests, NULL, NULL);
	}
	failed += cmocka_run_group_tests_name("compile_eval", unit_tests, NULL, NULL);
	for (int i = 0; i < ncases; i++) {
		if (!cases[i].name[0])
			free(cases[i].rule); /* the holder slot owns the rule text */
		free(cases[i].outcome);
		free(cases[i].profile);
		free(cases[i].err_field);
		free(cases[i].err_msg);
	}
	free(tests);
	return failed ? 1 : 0;
}
