/*
 * bench_engine.c - one profile against the whole catalogue, in process:
 *
 *   bench_engine CASELOAD.jsonl [N]
 *
 * Parses the first N profiles (default 20,000), then times, per profile,
 * (a) the brief check of every service and (b) the full explained result of
 * every service written as JSON, and prints mean, p50 and p99 in
 * microseconds. Parsing is timed separately.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "catalogue/catalogue.h"
#include "engine/eligibility.h"

static double now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e6 + (double)ts.tv_nsec / 1e3;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

static void report(const char *what, double *t, size_t n)
{
	double sum = 0;

	for (size_t i = 0; i < n; i++)
		sum += t[i];
	qsort(t, n, sizeof(*t), cmp_double);
	printf("%-44s mean %7.1f us   p50 %7.1f us   p99 %7.1f us\n", what, sum / (double)n,
	       t[n / 2], t[n * 99 / 100]);
}

int main(int argc, char **argv)
{
	struct diag d = { BUF_INIT, 0, 0 };
	struct catalogue cat;
	struct profile *p;
	const struct service **all;
	struct buf line = BUF_INIT, out = BUF_INIT;
	size_t want = argc > 2 ? strtoul(argv[2], NULL, 10) : 20000, n = 0;
	double *t, t0, parse_us;
	FILE *f;
	int c;

	if (argc < 2 || catalogue_load(&cat, catalogue_default_dir(), &d)) {
		fprintf(stderr, "usage: bench_engine CASELOAD [N]\n%s", d.out.data);
		return 2;
	}
	f = fopen(argv[1], "r");
	p = calloc(want, sizeof(*p));
	t = calloc(want, sizeof(*t));
	all = calloc(cat.nservices, sizeof(*all));
	if (!f || !p || !t || !all)
		return 3;
	for (size_t i = 0; i < cat.nservices; i++)
		all[i] = &cat.services[i];
	t0 = now_us();
	while (n < want) {
		struct err e = ERR_INIT;

		buf_reset(&line);
		while ((c = getc(f)) != EOF && c != '\n')
			if (buf_addch(&line, (char)c))
				return 3;
		if (c == EOF && !line.len)
			break;
		if (profile_parse(&p[n], line.data, line.len, &e)) {
			fprintf(stderr, "line %zu: %s: %s\n", n + 1, e.field, e.msg);
			return 1;
		}
		n++;
	}
	parse_us = (now_us() - t0) / (double)n;
	printf("catalogue: %zu services, %zu criteria; %zu profiles; parse %.1f us/profile\n",
	       cat.nservices, cat.ncriteria, n, parse_us);
	for (size_t i = 0; i < n; i++) {
		buf_reset(&out);
		t0 = now_us();
		if (elig_write_brief(&out, all, cat.nservices, &p[i]))
			return 3;
		t[i] = now_us() - t0;
	}
	report("brief (eligible + unknown ids), all services", t, n);
	for (size_t i = 0; i < n; i++) {
		buf_reset(&out);
		t0 = now_us();
		for (size_t k = 0; k < cat.nservices; k++)
			if (elig_write_result(&out, all[k], &p[i]))
				return 3;
		t[i] = now_us() - t0;
	}
	report("full explained JSON, all services", t, n);
	for (size_t i = 0; i < n; i++)
		profile_release(&p[i]);
	free(p);
	free(t);
	free(all);
	fclose(f);
	buf_release(&line);
	buf_release(&out);
	buf_release(&d.out);
	catalogue_release(&cat);
	return 0;
}
