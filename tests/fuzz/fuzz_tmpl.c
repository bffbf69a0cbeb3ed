/*
 * fuzz_tmpl.c - libFuzzer target for the template compiler and renderer
 * (src/web/tmpl.h): any bytes compile or are refused with a message, and a
 * compiled template renders against a view with nested objects, arrays,
 * strings with markup, numbers and nulls without crashing; the output never
 * holds a '<' that the template text did not.
 */
#include <assert.h>
#include <stdint.h>
#include <string.h>
#include <jansson.h>
#include "web/tmpl.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static json_t *view;

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct tmpl *t = NULL;
	struct err e = ERR_INIT;
	struct buf out = BUF_INIT;
	size_t lt_in = 0, lt_out = 0;

	if (!view)
		view = json_pack("{s:s, s:i, s:f, s:b, s:n, s:{s:s, s:[s, s]}, s:[{s:s}, {s:[i, i]}, s]}", "s",
				 "<b>&\"'", "i", 7, "f", 1.5, "t", 1, "n", "o", "a", "<x>", "l", "y", "<z>",
				 "items", "name", "<i>", "rows", 1, 2, "plain");
	assert(view);
	if (tmpl_compile(&t, "fuzz", (const char *)data, size, &e)) {
		assert(e.msg[0]);
		return 0;
	}
	if (tmpl_render_one(t, view, &out, &e) == RC_OK) {
		for (size_t i = 0; i < size; i++)
			lt_in += data[i] == '<';
		for (size_t i = 0; i < out.len; i++)
			lt_out += out.data[i] == '<';
		/* sections may repeat the template's own text, never add markup from values */
		if (!lt_in)
			assert(lt_out == 0);
	}
	buf_release(&out);
	tmpl_free(t);
	return 0;
}
