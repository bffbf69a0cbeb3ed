/*
 * screen.c - `ratecard screen --caseload FILE [--service ID]... [--brief]`:
 * a whole caseload, one JSON profile a line in, one result a line out, in
 * the same order.
 *
 * The input is read in blocks; each block's complete lines are cut into one
 * contiguous slice per core, screened in parallel into per-slice buffers, and
 * written out in slice order, so output order matches input order without
 * any per-line synchronisation. Memory stays bounded by the block size
 * whatever the caseload's length.
 */
#include <getopt.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "cli/cli.h"
#include "cli/common.h"
#include "core/jsonalloc.h"
#include "engine/eligibility.h"

#define SCREEN_BLOCK ((size_t)4 << 20)     /* bytes read per round */
#define SCREEN_FULL_LINES 256              /* lines per round with full results */
#define SCREEN_MAX_THREADS 16
#define SCREEN_MAX_LINE ((size_t)1 << 20)  /* a longer line is an error */
#define SCREEN_SCRATCH ((size_t)64 << 10)  /* per-thread JSON scratch; more spills to malloc */

static const char screen_usage[] = "screen --caseload FILE [--service ID]... [--brief]";

struct slice {
	const char *start, *end;     /* whole lines */
	size_t first_line;           /* 1-based number of the first line */
	const struct service **svcs;
	size_t nsvcs;
	int brief;
	struct buf out;
	int bad;                     /* lines that were not valid profiles */
	enum rc rc;                  /* environment failure, if any */
};

static enum rc write_error(struct buf *b, size_t line, const struct err *e)
{
	enum rc rc = buf_addf(b, "{\"line\":%zu,\"error\":{\"code\":\"%s\",\"message\":", line,
			      rc_name(e->rc));

	if (!rc)
		rc = buf_add_json_str(b, e->msg);
	if (!rc)
		rc = buf_adds(b, ",\"field\":");
	if (!rc)
		rc = buf_add_json_str(b, e->field);
	return rc ? rc : buf_adds(b, "}}\n");
}

static enum rc screen_line(struct slice *sl, const char *line, size_t len, size_t lineno)
{
	struct profile p;
	struct err e = ERR_INIT;
	struct buf *b = &sl->out;
	enum rc rc;

	if (len > SCREEN_MAX_LINE) {
		sl->bad++;
		err_set(&e, RC_TOO_LARGE, "", "line is longer than %zu bytes", SCREEN_MAX_LINE);
		return write_error(b, lineno, &e);
	}
	if (profile_parse(&p, line, len, &e)) {
		profile_clear(&p);
		if (e.rc != RC_BAD_INPUT)
			return e.rc;
		sl->bad++;
		return write_error(b, lineno, &e);
	}
	rc = buf_adds(b, "{\"id\":");
	if (!rc)
		rc = PROFILE_KNOWN(&p, PF_ID) ? buf_add_json_str(b, profile_id(&p)) : buf_adds(b, "null");
	if (!rc && sl->brief) {
		rc = buf_addch(b, ',');
		if (!rc)
			rc = elig_write_brief(b, sl->svcs, sl->nsvcs, &p);
	} else if (!rc) {
		rc = buf_adds(b, ",\"results\":[");
		for (size_t i = 0; !rc && i < sl->nsvcs; i++)
			if (!(rc = buf_adds(b, i ? "," : "")))
				rc = elig_write_result(b, sl->svcs[i], &p);
		if (!rc)
			rc = buf_addch(b, ']');
	}
	if (!rc)
		rc = buf_adds(b, "}\n");
	profile_clear(&p);
	return rc;
}

static int is_blank(const char *s, const char *end)
{
	for (; s < end; s++)
		if (*s != ' ' && *s != '\t' && *s != '\r')
			return 0;
	return 1;
}

static void *screen_slice(void *arg)
{
	struct slice *sl = arg;
	const char *p = sl->start;
	size_t lineno = sl->first_line;

	while (p < sl->end && !sl->rc) {
		const char *nl = memchr(p, '\n', (size_t)(sl->end - p));
		const char *eol = nl ? nl : sl->end;

		if (!is_blank(p, eol)) {
			/* the profile's JSON lives and dies within this line */
			int scoped = jsonalloc_begin(SCREEN_SCRATCH) == 0;

			sl->rc = screen_line(sl, p, (size_t)(eol - p), lineno);
			if (scoped)
				jsonalloc_end();
		}
		lineno++;
		p = nl ? nl + 1 : sl->end;
	}
	jsonalloc_thread_release();
	return NULL;
}

static size_t thread_count(void)
{
	const char *env = getenv("RATECARD_THREADS");
	long n = env ? strtol(env, NULL, 10) : sysconf(_SC_NPROCESSORS_ONLN);

	if (n < 1)
		n = 1;
	return n > SCREEN_MAX_THREADS ? SCREEN_MAX_THREADS : (size_t)n;
}

/* Cut [start, end) (whole lines, `lines` of them) into up to nt slices of
 * about equal line counts. */
static size_t cut_slices(struct slice *sl, size_t nt, const char *start, const char *end,
			 size_t lines, size_t first_line)
{
	size_t per = (lines + nt - 1) / nt, n = 0, line = first_line;
	const char *p = start;

	while (p < end && n < nt) {
		size_t k = 0;

		sl[n].start = p;
		sl[n].first_line = line;
		while (p < end && k < per) {
			const char *nl = memchr(p, '\n', (size_t)(end - p));

			p = nl ? nl + 1 : end;
			k++;
		}
		sl[n].end = p;
		line += k;
		n++;
	}
	return n;
}

/* Screen one block of whole lines; returns the worst status. */
static enum rc screen_block(struct slice *sl, size_t nt, const char *start, const char *end,
			    size_t lines, size_t first_line, int *bad)
{
	pthread_t tid[SCREEN_MAX_THREADS];
	size_t n = cut_slices(sl, lines < 64 ? 1 : nt, start, end, lines, first_line);
	enum rc rc = RC_OK;

	for (size_t i = 0; i < n; i++) {
		buf_reset(&sl[i].out);
		sl[i].bad = 0;
		sl[i].rc = RC_OK;
		if (i + 1 < n && pthread_create(&tid[i], NULL, screen_slice, &sl[i]))
			screen_slice(&sl[i]); /* no thread to be had: do it here */
		else if (i + 1 == n)
			screen_slice(&sl[i]);
		else
			continue;
		tid[i] = 0;
	}
	for (size_t i = 0; i < n; i++) {
		if (tid[i])
			pthread_join(tid[i], NULL);
		*bad += sl[i].bad;
		if (sl[i].rc && !rc)
			rc = sl[i].rc;
		if (!rc && cli_write(sl[i].out.data, sl[i].out.len))
			rc = RC_IO;
	}
	return rc;
}

static size_t count_lines(const char *s, const char *end)
{
	size_t n = 0;

	while (s < end && (s = memchr(s, '\n', (size_t)(end - s)))) {
		n++;
		s++;
	}
	return n;
}

static enum rc screen_stream(FILE *f, const struct service **svcs, size_t nsvcs, int brief,
			     int *bad)
{
	struct slice sl[SCREEN_MAX_THREADS];
	size_t nt = thread_count(), line = 1;
	struct buf in = BUF_INIT;
	enum rc rc = RC_OK;
	int eof = 0;

	memset(sl, 0, sizeof(sl));
	for (size_t i = 0; i < nt; i++) {
		buf_init(&sl[i].out, 0);
		sl[i].svcs = svcs;
		sl[i].nsvcs = nsvcs;
		sl[i].brief = brief;
	}
	buf_init(&in, SCREEN_BLOCK + SCREEN_MAX_LINE + 1);
	while (!rc && (!eof || in.len)) {
		const char *end, *cut;
		size_t lines, used;

		if (!eof && (rc = buf_grow(&in, SCREEN_BLOCK)) == RC_OK) {
			size_t got = fread(in.data + in.len, 1, SCREEN_BLOCK, f);

			in.len += got;
			in.data[in.len] = '\0';
			eof = got < SCREEN_BLOCK;
			if (eof && ferror(f))
				rc = RC_IO;
		} else if (rc == RC_TOO_LARGE) {
			rc = RC_OK; /* an over-long line: let the slice report it */
		}
		if (rc)
			break;
		end = in.data + in.len;
		cut = eof ? end : in.data;
		if (!eof) {
			const char *p = in.data + in.len;

			while (p > in.data && p[-1] != '\n')
				p--;
			cut = p;
			if (cut == in.data && in.len > SCREEN_MAX_LINE)
				cut = end; /* no newline in sight: hand over as one line */
		}
		if (!brief) {
			/* full results are large: keep each round to a few lines */
			const char *p = in.data;
			size_t k = 0;

			while (p < cut && k < SCREEN_FULL_LINES * nt) {
				const char *nl = memchr(p, '\n', (size_t)(cut - p));
				p = nl ? nl + 1 : cut;
				k++;
			}
			cut = p;
		}
		lines = count_lines(in.data, cut) + (cut > in.data && cut[-1] != '\n');
		rc = screen_block(sl, nt, in.data, cut, lines, line, bad);
		line += lines;
		used = (size_t)(cut - in.data);
		memmove(in.data, cut, in.len - used);
		in.len -= used;
		in.data[in.len] = '\0';
		if (eof && !in.len)
			break;
	}
	for (size_t i = 0; i < nt; i++)
		buf_release(&sl[i].out);
	buf_release(&in);
	return rc;
}

int cmd_screen(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "caseload", required_argument, NULL, 'f' }, { "service", required_argument, NULL, 's' },
		{ "brief", no_argument, NULL, 'b' }, { "catalogue", required_argument, NULL, 'c' },
		{ NULL, 0, NULL, 0 }
	};
	const char *path = NULL, *dir = NULL;
	char **ids = calloc((size_t)argc + 1, sizeof(*ids));
	struct err e = ERR_INIT;
	struct catalogue cat = { 0 };
	const struct service **v = NULL;
	size_t nids = 0, n;
	int brief = 0, c, code = EXIT_OK, loaded = 0, bad = 0;
	FILE *f = NULL;
	enum rc rc;

	if (!ids)
		return EXIT_INTERNAL;
	optind = 1;
	while ((c = getopt_long_only(argc, argv, "", opts, NULL)) != -1) {
		switch (c) {
		case 'f': path = optarg; break;
		case 's': ids[nids++] = optarg; break;
		case 'b': brief = 1; break;
		case 'c': dir = optarg; break;
		default: code = cli_usage(screen_usage); goto out;
		}
	}
	if (!path || optind != argc) {
		code = cli_usage(screen_usage);
		goto out;
	}
	if ((code = cli_load_catalogue(&cat, dir)))
		goto out;
	loaded = 1;
	if (cli_select_services(&cat, ids, nids, &v, &n, &e)) {
		code = cli_report(&e);
		goto out;
	}
	f = strcmp(path, "-") ? fopen(path, "rb") : stdin;
	if (!f) {
		err_set(&e, RC_BAD_INPUT, "caseload", "cannot read '%s'", path);
		code = cli_report(&e);
		goto out;
	}
	json_object_seed(0); /* once, before the worker threads parse JSON */
	jsonalloc_install();
	rc = screen_stream(f, v, n, brief, &bad);
	if (fflush(stdout))
		rc = RC_IO;
	if (rc) {
		err_set(&e, rc, "caseload", "screening stopped: %s", rc_name(rc));
		code = cli_report(&e);
	} else {
		code = bad ? EXIT_INPUT : EXIT_OK;
	}
out:
	if (f && f != stdin)
		fclose(f);
	free(v);
	free(ids);
	if (loaded)
		catalogue_release(&cat);
	return code;
}
