/*
 * test_buf_arena.c - the byte buffer (src/core/buf.h) and the bump allocator
 * (src/core/arena.h).
 *
 * JSON escaping is a table of input bytes and the exact output; every output
 * is also fed back through jansson to prove it is valid JSON. The cap tests
 * hold buf.h to its promise that a refused append leaves the buffer as it was.
 */
#include <fcntl.h>
#include <stdalign.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>
#include <jansson.h>
#include "unit.h"
#include "core/arena.h"
#include "core/buf.h"

/* Let malloc report failure with NULL instead of aborting the run, so the
 * arena's "NULL only when malloc does" can be tested with absurd sizes. */
const char *__asan_default_options(void);
__attribute__((used)) const char *__asan_default_options(void)
{
	return "allocator_may_return_null=1";
}

/* --- buf ------------------------------------------------------------------ */

static void test_buf_init(void **state)
{
	struct buf a = BUF_INIT, b;

	(void)state;
	assert_ptr_equal(a.data, buf_empty);
	assert_string_equal(a.data, "");
	assert_int_equal(a.len, 0);
	assert_int_equal(a.alloc, 0);
	assert_int_equal(a.cap, BUF_DEFAULT_CAP);
	buf_init(&b, 0);
	assert_ptr_equal(b.data, buf_empty);
	assert_int_equal(b.cap, BUF_DEFAULT_CAP);
	buf_init(&b, 100);
	assert_int_equal(b.cap, 100);
	/* releasing an untouched buffer, or twice, is harmless */
	buf_release(&a);
	buf_release(&a);
	assert_ptr_equal(a.data, buf_empty);
	/* the shared empty string was never written */
	assert_int_equal(buf_empty[0], '\0');
}

static void test_buf_append(void **state)
{
	struct buf b = BUF_INIT;
	char big[3000];

	(void)state;
	assert_int_equal(buf_add(&b, "abc", 3), RC_OK);
	assert_int_equal(buf_add(&b, "XYZ", 0), RC_OK);
	assert_int_equal(buf_adds(&b, "def"), RC_OK);
	assert_int_equal(buf_addch(&b, '!'), RC_OK);
	assert_int_equal(buf_addf(&b, " %d-%s-%.2f", 42, "x", 1.5), RC_OK);
	assert_string_equal(b.data, "abcdef! 42-x-1.50");
	assert_int_equal(b.len, strlen("abcdef! 42-x-1.50"));
	assert_true(b.alloc > b.len);

	/* binary data, NUL included, is kept; data stays NUL-terminated after it */
	assert_int_equal(buf_add(&b, "\0z", 2), RC_OK);
	assert_int_equal(b.len, 19);
	assert_int_equal(memcmp(b.data + 17, "\0z", 3), 0);

	/* reset keeps the memory */
	{
		size_t alloc = b.alloc;
		char *data = b.data;

		buf_reset(&b);
		assert_int_equal(b.len, 0);
		assert_string_equal(b.data, "");
		assert_int_equal(b.alloc, alloc);
		assert_ptr_equal(b.data, data);
	}

	/* growth past the first block, by every kind of append */
	memset(big, 'q', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	assert_int_equal(buf_adds(&b, big), RC_OK);
	assert_int_equal(buf_addf(&b, "%s|%s", big, big), RC_OK);
	for (int i = 0; i < 1000; i++)
		assert_int_equal(buf_addch(&b, (char)('a' + i % 26)), RC_OK);
	assert_int_equal(b.len, 3 * 2999 + 1 + 1000);
	assert_int_equal(b.data[2999 * 3 + 1], 'a');
	assert_int_equal(b.data[b.len - 1], 'a' + 999 % 26);
	assert_int_equal(b.data[b.len], '\0');
	assert_int_equal(b.data[2999], 'q');
	assert_int_equal(b.data[2999 * 2], '|');
	buf_release(&b);
	assert_ptr_equal(b.data, buf_empty);
	assert_int_equal(b.len, 0);
	assert_int_equal(b.alloc, 0);
}

struct json_case {
	const char *in;
	size_t len;          /* 0: strlen(in) */
	const char *out;     /* exact bytes appended, quotes included */
};

#define FFFD "\xef\xbf\xbd"

static const struct json_case json_cases[] = {
	{ "", 0, "\"\"" },
	{ "plain text", 0, "\"plain text\"" },
	{ "say \"hi\"", 0, "\"say \\\"hi\\\"\"" },
	{ "back\\slash", 0, "\"back\\\\slash\"" },
	{ "a/b", 0, "\"a/b\"" },
	{ "\n\r\t", 0, "\"\\n\\r\\t\"" },
	/* other control characters as \u00XX, lower-case hex */
	{ "\x01", 0, "\"\\u0001\"" },
	{ "\x1f", 0, "\"\\u001f\"" },
	{ "\b\f", 0, "\"\\u0008\\u000c\"" },
	{ "a\x1b[0mb", 0, "\"a\\u001b[0mb\"" },
	{ "\x7f", 0, "\"\x7f\"" },
	/* NUL inside, with an explicit length */
	{ "a\0b", 3, "\"a\\u0000b\"" },
	{ "\0", 1, "\"\\u0000\"" },
	/* valid UTF-8 is kept as it is: 2, 3 and 4 byte sequences and the edges */
	{ "caf\xc3\xa9", 0, "\"caf\xc3\xa9\"" },
	{ "\xc2\x80", 0, "\"\xc2\x80\"" },
	{ "\xe2\x82\xac 10", 0, "\"\xe2\x82\xac 10\"" },
	{ "\xe0\xa0\x80", 0, "\"\xe0\xa0\x80\"" },
	{ "\xef\xbf\xbf", 0, "\"\xef\xbf\xbf\"" },
	{ "\xf0\x9f\x98\x80", 0, "\"\xf0\x9f\x98\x80\"" },
	{ "\xf4\x8f\xbf\xbf", 0, "\"\xf4\x8f\xbf\xbf\"" },
	{ "\xed\x9f\xbf", 0, "\"\xed\x9f\xbf\"" },
	{ "\xee\x80\x80", 0, "\"\xee\x80\x80\"" },
	/* invalid bytes become U+FFFD, one per byte that cannot start a sequence */
	{ "\xff", 0, "\"" FFFD "\"" },
	{ "a\xfe" "b", 0, "\"a" FFFD "b\"" },
	{ "\x80", 0, "\"" FFFD "\"" },
	{ "\xc0\xaf", 0, "\"" FFFD FFFD "\"" },          /* overlong '/' */
	{ "\xc1\xbf", 0, "\"" FFFD FFFD "\"" },
	{ "\xe0\x80\x80", 0, "\"" FFFD FFFD FFFD "\"" }, /* overlong 3-byte */
	{ "\xf0\x80\x80\x80", 0, "\"" FFFD FFFD FFFD FFFD "\"" },
	{ "\xed\xa0\x80", 0, "\"" FFFD FFFD FFFD "\"" }, /* surrogate D800 */
	{ "\xed\xbf\xbf", 0, "\"" FFFD FFFD FFFD "\"" }, /* surrogate DFFF */
	{ "\xf4\x90\x80\x80", 0, "\"" FFFD FFFD FFFD FFFD "\"" }, /* above U+10FFFF */
	{ "\xf5\x80\x80\x80", 0, "\"" FFFD FFFD FFFD FFFD "\"" },
	{ "\xe2\x82", 0, "\"" FFFD FFFD "\"" },          /* truncated at the end */
	{ "\xe2\x82x", 0, "\"" FFFD FFFD "x\"" },        /* truncated mid-string */
	{ "\xc3", 0, "\"" FFFD "\"" },
	{ "\xc3\"", 0, "\"" FFFD "\\\"\"" },
	{ "ok\xc3\xa9\xff\xc3\xa9", 0, "\"ok\xc3\xa9" FFFD "\xc3\xa9\"" },
	/* a sequence cut short by the length, not the string */
	{ "\xc3\xa9", 1, "\"" FFFD "\"" },
	{ "abc", 2, "\"ab\"" },
};

static void test_json_strings(void **state)
{
	int bad = 0;

	(void)state;
	for (size_t i = 0; i < sizeof(json_cases) / sizeof(json_cases[0]); i++) {
		const struct json_case *c = &json_cases[i];
		size_t len = c->len ? c->len : strlen(c->in);
		struct buf b = BUF_INIT;
		json_error_t je;
		json_t *back;

		assert_int_equal(buf_adds(&b, "pre:"), RC_OK);
		assert_int_equal(buf_add_json_strn(&b, c->in, len), RC_OK);
		if (strncmp(b.data, "pre:", 4) || b.len != 4 + strlen(c->out) ||
		    memcmp(b.data + 4, c->out, strlen(c->out))) {
			print_error("case %zu: got [%s], expected [%s]\n", i, b.data + 4, c->out);
			bad++;
		}
		/* always valid JSON */
		back = json_loadb(b.data + 4, b.len - 4, JSON_DECODE_ANY | JSON_ALLOW_NUL, &je);
		if (!back || !json_is_string(back)) {
			print_error("case %zu: [%s] is not a JSON string: %s\n", i, b.data + 4, je.text);
			bad++;
		} else if (!strstr(c->out, FFFD) &&
			   (json_string_length(back) != len || memcmp(json_string_value(back), c->in, len))) {
			/* without replacements, decoding gives back the input exactly */
			print_error("case %zu: does not round-trip\n", i);
			bad++;
		}
		json_decref(back);
		/* buf_add_json_str is the same over a C string */
		if (!c->len || c->len == strlen(c->in)) {
			buf_reset(&b);
			assert_int_equal(buf_add_json_str(&b, c->in), RC_OK);
			if (memchr(c->in, '\0', len) == NULL && strcmp(b.data, c->out)) {
				print_error("case %zu: buf_add_json_str gave [%s]\n", i, b.data);
				bad++;
			}
		}
		buf_release(&b);
	}
	assert_int_equal(bad, 0);
}

/* A cap of 8: up to 8 bytes fit; anything more is refused and changes nothing. */
static void test_cap(void **state)
{
	struct buf b;

	(void)state;
	buf_init(&b, 8);
	assert_int_equal(buf_adds(&b, "12345"), RC_OK);
	assert_int_equal(buf_adds(&b, "6789"), RC_TOO_LARGE);
	assert_string_equal(b.data, "12345");
	assert_int_equal(b.len, 5);
	assert_int_equal(buf_addf(&b, "%d", 6789), RC_TOO_LARGE);
	assert_string_equal(b.data, "12345");
	assert_int_equal(b.len, 5);
	assert_int_equal(buf_addf(&b, "%s", "678"), RC_OK);
	assert_string_equal(b.data, "12345678");
	assert_int_equal(b.len, 8);
	assert_int_equal(buf_addch(&b, '9'), RC_TOO_LARGE);
	assert_int_equal(buf_add(&b, "9", 1), RC_TOO_LARGE);
	assert_int_equal(buf_addf(&b, "x"), RC_TOO_LARGE);
	assert_string_equal(b.data, "12345678");
	assert_int_equal(b.len, 8);
	/* an empty append at the cap is fine */
	assert_int_equal(buf_add(&b, "", 0), RC_OK);
	assert_int_equal(buf_addf(&b, "%s", ""), RC_OK);
	/* the memory never exceeds the cap and its NUL */
	assert_true(b.alloc <= 9);
	/* growth requests that would overflow size_t are refused, not wrapped */
	assert_int_equal(buf_grow(&b, SIZE_MAX), RC_TOO_LARGE);
	assert_int_equal(buf_grow(&b, SIZE_MAX - 4), RC_TOO_LARGE);
	assert_int_equal(buf_add(&b, "x", SIZE_MAX), RC_TOO_LARGE);
	assert_string_equal(b.data, "12345678");
	buf_release(&b);

	/* a fresh buffer whose very first append is too big stays the empty string */
	buf_init(&b, 4);
	assert_int_equal(buf_adds(&b, "hello"), RC_TOO_LARGE);
	assert_ptr_equal(b.data, buf_empty);
	assert_int_equal(b.len, 0);
	buf_release(&b);
}

/* buf_add_json_str is an append like any other: past the cap it must fail
 * and leave the buffer as it was (buf.h), not half-written. */
static void test_cap_json(void **state)
{
	static const struct {
		const char *in;
		size_t cap;
	} t[] = {
		{ "hello world", 10 },   /* the text itself is too long */
		{ "\x01\x02", 10 },      /* fits raw, not once escaped (14 bytes) */
		{ "abcdef", 8 },         /* the closing quote is the byte too many */
		{ "\xff\xff\xff", 10 },  /* replacements grow 3 bytes to 9 */
	};
	int bad = 0;

	(void)state;
	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		struct buf b;
		enum rc rc;

		buf_init(&b, t[i].cap);
		assert_int_equal(buf_adds(&b, "ab"), RC_OK);
		rc = buf_add_json_str(&b, t[i].in);
		if (rc != RC_TOO_LARGE || b.len != 2 || strcmp(b.data, "ab")) {
			print_error("cap %zu, json \"%s\": rc %d, buffer now [%s] (%zu bytes), "
				    "expected too_large and [ab]\n", t[i].cap, t[i].in, rc, b.data, b.len);
			bad++;
		}
		buf_release(&b);
	}
	assert_int_equal(bad, 0);
}

static void test_detach(void **state)
{
	struct buf b = BUF_INIT;
	size_t len = 99;
	char *s;

	(void)state;
	assert_int_equal(buf_adds(&b, "owned text"), RC_OK);
	s = buf_detach(&b, &len);
	assert_string_equal(s, "owned text");
	assert_int_equal(len, 10);
	assert_ptr_equal(b.data, buf_empty);
	assert_int_equal(b.len, 0);
	assert_int_equal(b.alloc, 0);
	/* the buffer is usable again and independent of what was handed out */
	assert_int_equal(buf_adds(&b, "again"), RC_OK);
	assert_string_equal(s, "owned text");
	free(s);
	s = buf_detach(&b, NULL);
	assert_string_equal(s, "again");
	free(s);

	/* an empty buffer still hands out memory the caller can free() */
	s = buf_detach(&b, &len);
	assert_non_null(s);
	assert_ptr_not_equal(s, buf_empty);
	assert_string_equal(s, "");
	assert_int_equal(len, 0);
	free(s);
	buf_release(&b);
}

static void test_read_file(void **state)
{
	char path[] = "/tmp/ratecard-test-buf-XXXXXX";
	struct buf b = BUF_INIT;
	int fd = mkstemp(path);
	char *big = malloc(200000);

	(void)state;
	assert_true(fd >= 0);
	assert_non_null(big);
	for (size_t i = 0; i < 200000; i++)
		big[i] = (char)('a' + i % 23);
	assert_int_equal(write(fd, big, 200000), 200000);
	close(fd);

	/* a file over several read blocks, appended after what is there */
	assert_int_equal(buf_adds(&b, ">"), RC_OK);
	assert_int_equal(buf_read_file(&b, path), RC_OK);
	assert_int_equal(b.len, 200001);
	assert_int_equal(memcmp(b.data + 1, big, 200000), 0);
	assert_int_equal(b.data[b.len], '\0');
	buf_release(&b);

	/* a file larger than the cap is refused */
	buf_init(&b, 1000);
	assert_int_equal(buf_read_file(&b, path), RC_TOO_LARGE);
	buf_release(&b);

	/* a missing file */
	assert_int_equal(buf_read_file(&b, "/nonexistent/ratecard/file"), RC_NOT_FOUND);
	buf_release(&b);

	/* a small file under a small cap is read: the cap limits the contents,
	 * not the read-ahead */
	fd = open(path, O_WRONLY | O_TRUNC);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, "small file\n", 11), 11);
	close(fd);
	buf_init(&b, 1024);
	{
		enum rc rc = buf_read_file(&b, path);

		unlink(path);
		free(big);
		if (rc != RC_OK || strcmp(b.data, "small file\n")) {
			buf_release(&b);
			fail_msg("buf_read_file of an 11-byte file with a 1024-byte cap: rc %d (%s)",
				 rc, rc == RC_TOO_LARGE ? "too_large" : "?");
		}
	}
	buf_release(&b);
}

/* --- arena ---------------------------------------------------------------- */

static int aligned(const void *p)
{
	return ((uintptr_t)p % alignof(max_align_t)) == 0;
}

/* Odd sizes, aligned for any type, never overlapping. */
static void test_arena_alignment(void **state)
{
	static const size_t sizes[] = { 1, 3, 7, 8, 15, 16, 17, 31, 33, 100, 1000, 5000, 2, 1 };
	struct arena a;
	unsigned char *p[sizeof(sizes) / sizeof(sizes[0]) * 20];
	size_t n = 0;

	(void)state;
	arena_init(&a, 4096);
	for (int round = 0; round < 20; round++)
		for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++, n++) {
			p[n] = arena_alloc(&a, sizes[i]);
			assert_non_null(p[n]);
			assert_true(aligned(p[n]));
			/* every byte asked for is ours (ASan would catch an overrun) */
			memset(p[n], (int)(n & 0xff), sizes[i]);
		}
	/* nothing was overwritten by a later allocation */
	n = 0;
	for (int round = 0; round < 20; round++)
		for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++, n++)
			for (size_t k = 0; k < sizes[i]; k++)
				if (p[n][k] != (unsigned char)(n & 0xff))
					fail_msg("allocation %zu byte %zu overwritten", n, k);
	assert_true(a.total >= 20 * (1 + 3 + 7 + 8 + 15 + 16 + 17 + 31 + 33 + 100 + 1000 + 5000 + 2 + 1));
	arena_release(&a);
	assert_null(a.head);
	assert_int_equal(a.total, 0);
}

/* Requests bigger than a block get a block of their own; small ones carry on. */
static void test_arena_large(void **state)
{
	struct arena a;
	unsigned char *big, *small, *big2;

	(void)state;
	arena_init(&a, 64);
	small = arena_alloc(&a, 10);
	big = arena_alloc(&a, (size_t)1 << 20);
	assert_non_null(small);
	assert_non_null(big);
	assert_true(aligned(big));
	memset(big, 0xab, (size_t)1 << 20);
	memset(small, 0x11, 10);
	big2 = arena_alloc(&a, 100000);
	assert_non_null(big2);
	memset(big2, 0xcd, 100000);
	for (int i = 0; i < 1000; i++) {
		unsigned char *q = arena_alloc(&a, 24);

		assert_non_null(q);
		assert_true(aligned(q));
		memset(q, 0x22, 24);
	}
	assert_int_equal(big[0], 0xab);
	assert_int_equal(big[((size_t)1 << 20) - 1], 0xab);
	assert_int_equal(big2[99999], 0xcd);
	assert_int_equal(small[9], 0x11);
	assert_true(a.total >= ((size_t)1 << 20) + 100000 + 1000 * 24 + 10);
	arena_release(&a);
}

static void test_arena_misc(void **state)
{
	struct arena a = ARENA_INIT;
	char *s, *t, *z;
	void *p0, *p1;

	(void)state;
	/* a static ARENA_INIT arena works without arena_init */
	s = arena_strdup(&a, "Kent, Surrey and Sussex");
	assert_string_equal(s, "Kent, Surrey and Sussex");
	t = arena_strndup(&a, "Kent, Surrey and Sussex", 4);
	assert_string_equal(t, "Kent");
	assert_ptr_not_equal(s, t);
	t = arena_strndup(&a, "", 0);
	assert_string_equal(t, "");
	/* zero-size allocations are distinct, aligned pointers */
	p0 = arena_alloc(&a, 0);
	p1 = arena_alloc(&a, 0);
	assert_non_null(p0);
	assert_non_null(p1);
	assert_ptr_not_equal(p0, p1);
	assert_true(aligned(p0) && aligned(p1));
	/* zalloc zeroes, even over a large fresh block */
	z = arena_zalloc(&a, 70000);
	assert_non_null(z);
	for (size_t i = 0; i < 70000; i++)
		if (z[i])
			fail_msg("arena_zalloc byte %zu is %d", i, z[i]);
	arena_release(&a);
	/* released arenas are reusable */
	s = arena_strdup(&a, "again");
	assert_string_equal(s, "again");
	arena_release(&a);
	arena_release(&a);
}

/* Sizes near SIZE_MAX must come back NULL ("NULL only when malloc does":
 * no malloc can give that much), not as a small block after the rounding
 * or the header arithmetic wraps around. Each size runs in a child process,
 * since a wrapped size can corrupt the heap and end the whole run. */
static void test_arena_overflow(void **state)
{
	static const size_t sizes[] = { SIZE_MAX, SIZE_MAX - 1, SIZE_MAX - 15, SIZE_MAX - 31,
					SIZE_MAX / 2 + 1 };
	int bad = 0;

	(void)state;
	for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		int status = 0;
		pid_t pid;

		fflush(NULL);
		pid = fork();
		assert_true(pid >= 0);
		if (pid == 0) {
			struct arena a;
			void *p;

			arena_init(&a, 0);
			p = arena_alloc(&a, sizes[i]);
			arena_release(&a);
			_exit(p ? 10 : 0);
		}
		assert_int_equal(waitpid(pid, &status, 0), pid);
		if (WIFEXITED(status) && WEXITSTATUS(status) == 0)
			continue;
		bad++;
		if (WIFEXITED(status) && WEXITSTATUS(status) == 10)
			print_error("arena_alloc(SIZE_MAX - %zu) returned a pointer, expected NULL\n",
				    SIZE_MAX - sizes[i]);
		else
			print_error("arena_alloc(SIZE_MAX - %zu) crashed (status %#x; the sanitizer "
				    "report is above)\n", SIZE_MAX - sizes[i], status);
	}
	assert_int_equal(bad, 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_buf_init),
		cmocka_unit_test(test_buf_append),
		cmocka_unit_test(test_json_strings),
		cmocka_unit_test(test_cap),
		cmocka_unit_test(test_cap_json),
		cmocka_unit_test(test_detach),
		cmocka_unit_test(test_read_file),
		cmocka_unit_test(test_arena_alignment),
		cmocka_unit_test(test_arena_large),
		cmocka_unit_test(test_arena_misc),
		cmocka_unit_test(test_arena_overflow),
	};

	return cmocka_run_group_tests_name("buf_arena", tests, NULL, NULL);
}
