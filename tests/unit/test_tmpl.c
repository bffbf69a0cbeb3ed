/*
 * test_tmpl.c - the page templates (src/web/tmpl.h).
 *
 * The language's cases are data: tests/tmpl/cases.test holds each template,
 * its view and the exact output or the compile error. Sets (a directory of
 * templates with partials) are tested here: partials see the caller's
 * context, a missing partial fails at load, and a template that includes
 * itself stops at the depth limit instead of overflowing the stack.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <jansson.h>
#include "unit.h"
#include "core/buf.h"
#include "web/tmpl.h"

#ifndef TESTS_DIR
#define TESTS_DIR "tests"
#endif

struct tcase {
	char name[160];
	struct buf tmpl, view, expect, error, render_error;
	int line;
};

static void case_reset(struct tcase *c)
{
	buf_reset(&c->tmpl);
	buf_reset(&c->view);
	buf_reset(&c->expect);
	buf_reset(&c->error);
	buf_reset(&c->render_error);
	c->name[0] = '\0';
}

static void chop(struct buf *b)
{
	while (b->len && b->data[b->len - 1] == '\n')
		b->data[--b->len] = '\0';
}

static int run_case(struct tcase *c)
{
	struct tmpl *t = NULL;
	struct err e = ERR_INIT;
	struct buf out = BUF_INIT;
	json_t *view = NULL;
	json_error_t je;
	int bad = 0;

	chop(&c->tmpl);
	chop(&c->expect);
	chop(&c->error);
	chop(&c->render_error);
	if (tmpl_compile(&t, "case", c->tmpl.data, c->tmpl.len, &e)) {
		if (!c->error.len || !strstr(e.msg, c->error.data)) {
			print_error("%s (line %d): compile failed: %s\n", c->name, c->line, e.msg);
			bad = 1;
		}
		goto out;
	}
	if (c->error.len) {
		print_error("%s (line %d): compiled, wanted error '%s'\n", c->name, c->line, c->error.data);
		bad = 1;
		goto out;
	}
	view = json_loadb(c->view.data, c->view.len, 0, &je);
	if (!view) {
		print_error("%s (line %d): bad view JSON: %s\n", c->name, c->line, je.text);
		bad = 1;
		goto out;
	}
	if (tmpl_render_one(t, view, &out, &e)) {
		if (!c->render_error.len || !strstr(e.msg, c->render_error.data)) {
			print_error("%s (line %d): render failed: %s\n", c->name, c->line, e.msg);
			bad = 1;
		}
		goto out;
	}
	if (c->render_error.len || strcmp(out.data, c->expect.data)) {
		print_error("%s (line %d):\n  got    '%s'\n  wanted '%s'\n", c->name, c->line, out.data,
			    c->render_error.len ? c->render_error.data : c->expect.data);
		bad = 1;
	}
out:
	tmpl_free(t);
	json_decref(view);
	buf_release(&out);
	return bad;
}

static void test_cases(void **state)
{
	FILE *f = fopen(TESTS_DIR "/tmpl/cases.test", "r");
	struct tcase c = { "", BUF_INIT, BUF_INIT, BUF_INIT, BUF_INIT, BUF_INIT, 0 };
	struct buf *into = NULL;
	char line[4096];
	int n = 0, failed = 0, lineno = 0;

	(void)state;
	assert_non_null(f);
	while (1) {
		int eof = !fgets(line, sizeof(line), f);

		lineno++;
		if (eof || !strncmp(line, "=== ", 4)) {
			if (c.name[0]) {
				failed += run_case(&c);
				n++;
			}
			if (eof)
				break;
			case_reset(&c);
			snprintf(c.name, sizeof(c.name), "%.*s", (int)strcspn(line + 4, "\n"), line + 4);
			c.line = lineno;
			into = NULL;
			continue;
		}
		if (!strcmp(line, "--- template\n"))
			into = &c.tmpl;
		else if (!strcmp(line, "--- view\n"))
			into = &c.view;
		else if (!strcmp(line, "--- expect\n"))
			into = &c.expect;
		else if (!strcmp(line, "--- error\n"))
			into = &c.error;
		else if (!strcmp(line, "--- render-error\n"))
			into = &c.render_error;
		else if (into)
			assert_int_equal(buf_adds(into, line), RC_OK);
	}
	fclose(f);
	buf_release(&c.tmpl);
	buf_release(&c.view);
	buf_release(&c.expect);
	buf_release(&c.error);
	buf_release(&c.render_error);
	assert_true(n >= 20);
	assert_int_equal(failed, 0);
}

/* --- sets -------------------------------------------------------------------- */

static char dir[64];

static void put(const char *name, const char *text)
{
	char path[160];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	f = fopen(path, "w");
	assert_non_null(f);
	fputs(text, f);
	fclose(f);
}

static void clean(void)
{
	char cmd[128];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	assert_int_equal(system(cmd), 0);
}

static void fresh_dir(void)
{
	snprintf(dir, sizeof(dir), "/tmp/tmpl-test-XXXXXX");
	assert_non_null(mkdtemp(dir));
}

static void test_set_partials(void **state)
{
	struct tmpl_set *s = NULL;
	struct err e = ERR_INIT;
	struct buf out = BUF_INIT;
	json_t *view = json_pack("{s:s, s:[{s:s}, {s:s}]}", "title", "T<", "items", "n", "a", "n", "b");

	(void)state;
	fresh_dir();
	put("page.html", "{{> head}}{{#items}}{{> item}}{{/items}}");
	put("head.html", "<title>{{title}}</title>");
	put("item.html", "<li>{{n}} in {{title}}</li>");
	put("notes.txt", "{{#not a template"); /* only *.html are read */
	assert_int_equal(tmpl_load_dir(&s, dir, &e), RC_OK);
	assert_int_equal(tmpl_render(s, "page", view, &out, &e), RC_OK);
	assert_string_equal(out.data, "<title>T&lt;</title><li>a in T&lt;</li><li>b in T&lt;</li>");
	assert_int_equal(tmpl_render(s, "nope", view, &out, &e), RC_NOT_FOUND);
	tmpl_set_free(s);
	json_decref(view);
	buf_release(&out);
	clean();
}

static void test_set_missing_partial(void **state)
{
	struct tmpl_set *s = NULL;
	struct err e = ERR_INIT;

	(void)state;
	fresh_dir();
	put("page.html", "ok\n{{> absent}}");
	assert_int_equal(tmpl_load_dir(&s, dir, &e), RC_BAD_INPUT);
	assert_null(s);
	assert_non_null(strstr(e.msg, "page:2: no template 'absent'"));
	clean();
}

static void test_set_bad_template(void **state)
{
	struct tmpl_set *s = NULL;
	struct err e = ERR_INIT;

	(void)state;
	fresh_dir();
	put("good.html", "fine");
	put("bad.html", "{{#a}}");
	assert_int_equal(tmpl_load_dir(&s, dir, &e), RC_BAD_INPUT);
	assert_non_null(strstr(e.msg, "bad:1"));
	clean();
	assert_int_equal(tmpl_load_dir(&s, "/nonexistent/templates", &e), RC_IO);
}

static void test_set_recursion_stops(void **state)
{
	struct tmpl_set *s = NULL;
	struct err e = ERR_INIT;
	struct buf out = BUF_INIT;
	json_t *view = json_object();

	(void)state;
	fresh_dir();
	put("loop.html", "x{{> loop}}");
	assert_int_equal(tmpl_load_dir(&s, dir, &e), RC_OK);
	assert_int_equal(tmpl_render(s, "loop", view, &out, &e), RC_TOO_LARGE);
	assert_non_null(strstr(e.msg, "deeper than"));
	tmpl_set_free(s);
	json_decref(view);
	buf_release(&out);
	clean();
}

/* The project's own templates compile and link: a typo in a tag or a
 * missing partial fails here, not when a user opens the page. */
static void test_project_templates(void **state)
{
	struct tmpl_set *s = NULL;
	struct err e = ERR_INIT;

	(void)state;
	if (tmpl_load_dir(&s, TESTS_DIR "/../web/templates", &e))
		print_error("%s\n", e.msg);
	assert_non_null(s);
	tmpl_set_free(s);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_cases),
		cmocka_unit_test(test_set_partials),
		cmocka_unit_test(test_set_missing_partial),
		cmocka_unit_test(test_set_bad_template),
		cmocka_unit_test(test_set_recursion_stops),
		cmocka_unit_test(test_project_templates),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
