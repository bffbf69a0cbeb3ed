/*
 * test_eligibility_cases.c - the data-driven eligibility cases (files ending
 * .test in tests/eligibility, jq.test style), run against the real catalogue.
 *
 * A case is a block of lines:
 *   service ID
 *   profile {JSON}
 *   status eligible|ineligible|unsuitable|unknown
 *   outcome met|not_met|unknown|judgement TEXT     (any number)
 * separated by blank lines; lines starting with # are comments. Each case is
 * its own cmocka test, named FILE:LINE.
 */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "unit.h"
#include "catalogue/catalogue.h"
#include "core/buf.h"
#include "engine/eligibility.h"

#define MAX_CASES 4096
#define MAX_OUTCOMES 32

struct expect_outcome {
	char *outcome, *text;
};

struct elig_case {
	char name[160];
	char *service, *profile, *status;
	struct expect_outcome outcomes[MAX_OUTCOMES];
	int noutcomes;
};

static struct catalogue cat;
static struct elig_case cases[MAX_CASES];
static int ncases;

static char *dup_rest(const char *s)
{
	size_t n = strlen(s);

	while (n && (s[n - 1] == '\n' || s[n - 1] == '\r' || s[n - 1] == ' '))
		n--;
	return strndup(s, n);
}

static void parse_file(const char *dir, const char *file)
{
	char path[1024], line[8192];
	struct elig_case *c = NULL;
	FILE *f;
	int lineno = 0;

	snprintf(path, sizeof(path), "%s/%s", dir, file);
	f = fopen(path, "r");
	assert_non_null(f);
	while (fgets(line, sizeof(line), f)) {
		lineno++;
		if (line[0] == '#')
			continue;
		if (line[0] == '\n' || line[0] == '\r') {
			c = NULL;
			continue;
		}
		if (!c) {
			assert_true(ncases < MAX_CASES);
			c = &cases[ncases++];
			snprintf(c->name, sizeof(c->name), "%s:%d", file, lineno);
		}
		if (!strncmp(line, "service ", 8)) {
			c->service = dup_rest(line + 8);
		} else if (!strncmp(line, "profile ", 8)) {
			c->profile = dup_rest(line + 8);
		} else if (!strncmp(line, "status ", 7)) {
			c->status = dup_rest(line + 7);
		} else if (!strncmp(line, "outcome ", 8)) {
			char *rest = line + 8, *sp = strchr(rest, ' ');

			assert_non_null(sp);
			assert_true(c->noutcomes < MAX_OUTCOMES);
			*sp = '\0';
			c->outcomes[c->noutcomes].outcome = strdup(rest);
			c->outcomes[c->noutcomes].text = dup_rest(sp + 1);
			c->noutcomes++;
		} else {
			fail_msg("%s:%d: unknown line: %s", file, lineno, line);
		}
	}
	fclose(f);
}

static void run_case(void **state)
{
	const struct elig_case *c = *state;
	const struct service *s;
	uint8_t outcomes[CATALOGUE_MAX_CRITERIA];
	struct profile p;
	struct err e = ERR_INIT;
	enum elig_status st;

	assert_non_null(c->service);
	assert_non_null(c->profile);
	assert_non_null(c->status);
	s = catalogue_find(&cat, c->service);
	if (!s)
		fail_msg("%s: no service %s", c->name, c->service);
	if (profile_parse(&p, c->profile, strlen(c->profile), &e))
		fail_msg("%s: bad profile: %s: %s", c->name, e.field, e.msg);
	st = elig_check(s, &p, outcomes);
	/* brief mode (early exit) must agree with the full evaluation */
	assert_int_equal(elig_check(s, &p, NULL), st);
	for (int i = 0; i < c->noutcomes; i++) {
		size_t k;

		for (k = 0; k < s->ncrit; k++)
			if (!strcmp(s->crit[k].text, c->outcomes[i].text))
				break;
		if (k == s->ncrit)
			fail_msg("%s: %s has no criterion \"%s\"", c->name, c->service, c->outcomes[i].text);
		if (strcmp(truth_outcome_name((enum truth)outcomes[k]), c->outcomes[i].outcome))
			fail_msg("%s: criterion \"%s\": expected %s, got %s", c->name, c->outcomes[i].text,
				 c->outcomes[i].outcome, truth_outcome_name((enum truth)outcomes[k]));
	}
	if (strcmp(elig_status_name(st), c->status))
		fail_msg("%s: %s: expected %s, got %s", c->name, c->service, c->status,
			 elig_status_name(st));
	profile_clear(&p);
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
	const char *dir = argc > 1 ? argv[1] : "tests/eligibility";
	struct diag d = { BUF_INIT, 0, 0 };
	struct CMUnitTest *tests;
	struct dirent **names;
	int n, failed, providers_covered = 0;

	if (catalogue_load(&cat, catalogue_default_dir(), &d)) {
		fputs(d.out.data, stderr);
		return 1;
	}
	buf_release(&d.out);
	n = scandir(dir, &names, is_test, by_name);
	if (n <= 0) {
		fprintf(stderr, "no .test files in %s\n", dir);
		return 1;
	}
	for (int i = 0; i < n; i++) {
		parse_file(dir, names[i]->d_name);
		free(names[i]);
	}
	free(names);
	/* every provider must have cases, and the total must be meaningful */
	for (size_t p = 0; p < cat.nproviders; p++) {
		size_t len = strlen(cat.providers[p].id);

		for (int i = 0; i < ncases; i++)
			if (cases[i].service && !strncmp(cases[i].service, cat.providers[p].id, len) &&
			    cases[i].service[len] == '/') {
				providers_covered++;
				break;
			}
	}
	if (providers_covered != (int)cat.nproviders || ncases < 40) {
		fprintf(stderr, "eligibility cases cover %d of %zu providers, %d cases\n",
			providers_covered, cat.nproviders, ncases);
		return 1;
	}
	tests = calloc((size_t)ncases, sizeof(*tests));
	for (int i = 0; i < ncases; i++) {
		tests[i].name = cases[i].name;
		tests[i].test_func = run_case;
		tests[i].initial_state = &cases[i];
	}
	failed = _cmocka_run_group_tests("eligibility_cases", tests, (size_t)ncases, NULL, NULL);
	for (int i = 0; i < ncases; i++) {
		free(cases[i].service);
		free(cases[i].profile);
		free(cases[i].status);
		for (int k = 0; k < cases[i].noutcomes; k++) {
			free(cases[i].outcomes[k].outcome);
			free(cases[i].outcomes[k].text);
		}
	}
	free(tests);
	catalogue_release(&cat);
	return failed ? 1 : 0;
}
