/*
 * eligible.c - `ratecard eligible --profile FILE [--service ID]... [--json]`:
 * one person against the catalogue, every criterion explained.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "cli/cli.h"
#include "cli/common.h"
#include "engine/eligibility.h"

static const char eligible_usage[] = "eligible --profile FILE [--service ID]... [--json]";

static enum rc write_json(struct buf *b, const struct service **v, size_t n,
			  const struct profile *p)
{
	enum rc rc = buf_adds(b, "{\"profile\":{");

	if (!rc && PROFILE_KNOWN(p, PF_ID) && !(rc = buf_adds(b, "\"id\":")))
		rc = buf_add_json_str(b, profile_id(p));
	if (!rc)
		rc = buf_adds(b, "},\"results\":[");
	for (size_t i = 0; !rc && i < n; i++)
		if (!(rc = buf_adds(b, i ? "," : "")))
			rc = elig_write_result(b, v[i], p);
	return rc ? rc : buf_adds(b, "]}\n");
}

static enum rc write_text(struct buf *b, const struct service **v, size_t n,
			  const struct profile *p)
{
	static const char *const mark[] = { "not met", "met", "unknown", "judgement" };
	uint8_t outcomes[CATALOGUE_MAX_CRITERIA];
	size_t counts[4] = { 0 };
	enum rc rc = RC_OK;

	for (size_t i = 0; !rc && i < n; i++) {
		enum elig_status st = elig_check(v[i], p, outcomes);

		counts[st]++;
		rc = buf_addf(b, "%-11s %s — %s (%s)\n", elig_status_name(st), v[i]->id, v[i]->name,
			      v[i]->provider->name);
		for (size_t k = 0; !rc && k < v[i]->ncrit; k++)
			rc = buf_addf(b, "    %-10s %s: %s\n", mark[outcomes[k]],
				      v[i]->crit[k].kind == CRIT_ELIGIBILITY ? "eligibility" : "not suitable",
				      v[i]->crit[k].text);
	}
	return rc ? rc : buf_addf(b, "%zu eligible, %zu ineligible, %zu unsuitable, %zu unknown\n",
			      counts[ES_ELIGIBLE], counts[ES_INELIGIBLE], counts[ES_UNSUITABLE],
			      counts[ES_UNKNOWN]);
}

int cmd_eligible(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "profile", required_argument, NULL, 'p' }, { "service", required_argument, NULL, 's' },
		{ "json", no_argument, NULL, 'j' }, { "catalogue", required_argument, NULL, 'c' },
		{ NULL, 0, NULL, 0 }
	};
	const char *path = NULL, *dir = NULL;
	char **ids = calloc((size_t)argc + 1, sizeof(*ids));
	struct buf in = BUF_INIT, out = BUF_INIT;
	struct profile p = { 0 };
	struct err e = ERR_INIT;
	struct catalogue cat = { 0 };
	const struct service **v = NULL;
	size_t nids = 0, n;
	int json = 0, c, code = EXIT_OK, loaded = 0;
	enum rc rc;

	if (!ids)
		return EXIT_INTERNAL;
	optind = 1;
	while ((c = getopt_long_only(argc, argv, "", opts, NULL)) != -1) {
		switch (c) {
		case 'p': path = optarg; break;
		case 's': ids[nids++] = optarg; break;
		case 'j': json = 1; break;
		case 'c': dir = optarg; break;
		default: code = cli_usage(eligible_usage); goto out;
		}
	}
	if (!path || optind != argc) {
		code = cli_usage(eligible_usage);
		goto out;
	}
	if ((code = cli_load_catalogue(&cat, dir)))
		goto out;
	loaded = 1;
	if ((rc = buf_read_file(&in, path))) {
		err_set(&e, rc == RC_NOT_FOUND ? RC_BAD_INPUT : rc, "profile", "cannot read '%s'", path);
		code = cli_report(&e);
		goto out;
	}
	if (profile_parse(&p, in.data, in.len, &e) || cli_select_services(&cat, ids, nids, &v, &n, &e)) {
		code = cli_report(&e);
		goto out;
	}
	rc = json ? write_json(&out, v, n, &p) : write_text(&out, v, n, &p);
	if (rc || cli_write(out.data, out.len))
		code = EXIT_INTERNAL;
out:
	free(v);
	free(ids);
	profile_clear(&p);
	buf_release(&in);
	buf_release(&out);
	if (loaded)
		catalogue_release(&cat);
	return code;
}
