/*
 * gencaseload.c - a synthetic national caseload for the screening benchmark.
 *
 *   gencaseload N SEED OUT.jsonl OUT.csv
 *
 * Writes N profiles (profile.md vocabulary) as JSON lines, and the same
 * people as a flat CSV an analyst would load into SQLite (lists as
 * "|a|b|", unknown values empty). A fixed seed gives the same caseload on
 * every machine. The spread is plausible, not real: mostly men, ages skewed
 * young, regions weighted by size, scores spread over their ranges, some
 * scores missing as they are in practice.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static uint64_t rng_state;

static uint64_t rng(void)
{
	/* xorshift64*: small, fast, reproducible everywhere */
	rng_state ^= rng_state >> 12;
	rng_state ^= rng_state << 25;
	rng_state ^= rng_state >> 27;
	return rng_state * 2685821657736338717ULL;
}

static int pct(int p)
{
	return (int)(rng() % 100) < p;
}

static int between(int lo, int hi)
{
	return lo + (int)(rng() % (uint64_t)(hi - lo + 1));
}

struct region {
	const char *name;
	int weight;
	const char *areas[6];
};

static const struct region regions[] = {
	{ "North East", 6, { "Northumberland", "Durham", "Teesside", NULL } },
	{ "North West", 11, { "Lancashire", "Cumbria", "Merseyside", "Cheshire", NULL } },
	{ "Greater Manchester", 8, { "Manchester", "Bolton", "Wigan", "Salford", NULL } },
	{ "Yorkshire and the Humber", 10, { "Yorkshire", "Humberside", "Leeds", NULL } },
	{ "East Midlands", 8, { "Derbyshire", "Nottinghamshire", "Leicestershire", NULL } },
	{ "West Midlands", 10, { "Birmingham", "Staffordshire", "Warwickshire", NULL } },
	{ "East of England", 9, { "Essex", "Southend", "Thurrock", "Norfolk", "Suffolk", NULL } },
	{ "London", 14, { "London", NULL } },
	{ "Kent, Surrey and Sussex", 8, { "Kent", "Surrey", "Sussex", "Medway", NULL } },
	{ "South West", 6, { "Devon", "Cornwall", "Bristol", NULL } },
	{ "South Central", 6, { "Hampshire", "Thames Valley", NULL } },
	{ "Wales", 4, { "Cardiff", "Swansea", "Gwent", NULL } },
};

static const char *const sentences[] = {
	"community_order", "community_order", "community_order", "suspended_sentence_order",
	"suspended_sentence_order", "licence", "licence", "post_sentence_supervision", "custody",
	"custody",
};
static const char *const rosh[] = { "low", "low", "medium", "medium", "medium", "high", "very_high" };
static const char *const sara[] = { "low", "medium", "high" };
static const char *const offences[] = {
	"violence", "intimate_partner_violence", "domestic_abuse", "sexual", "sexually_motivated",
	"drink_driving", "dangerous_driving", "hate_crime", "stalking", "acquisitive", "drugs",
	"arson", "fraud",
};
static const int offence_weight[] = { 24, 10, 8, 4, 2, 7, 3, 2, 2, 22, 12, 1, 3 };
static const char *const needs[] = {
	"accommodation", "ete", "finance", "relationships", "family", "alcohol", "drugs",
	"mental_health", "physical_health", "thinking_behaviour", "attitudes", "lifestyle",
	"emotional_wellbeing", "maturity",
};
static const char *const flags[] = {
	"unstable_mental_health", "substance_misuse", "alcohol_dependent", "drug_dependent",
	"no_english", "shift_work", "learning_disability", "veteran", "care_leaver",
	"foreign_national", "recalled", "victim_of_domestic_abuse", "no_fixed_abode",
	"denies_responsibility",
};
static const char *const requirements[] = {
	"rar", "accredited_programme", "unpaid_work", "curfew", "drug_rehabilitation",
	"alcohol_treatment", "mental_health_treatment",
};

#define N(a) (sizeof(a) / sizeof((a)[0]))

static const char *weighted_offence(void)
{
	int total = 0, r;

	for (size_t i = 0; i < N(offences); i++)
		total += offence_weight[i];
	r = between(0, total - 1);
	for (size_t i = 0; i < N(offences); i++) {
		if (r < offence_weight[i])
			return offences[i];
		r -= offence_weight[i];
	}
	return offences[0];
}

/* A random subset of v (each with probability p%), always including must. */
static unsigned pick_set(size_t n, int p, int must)
{
	unsigned m = must >= 0 ? 1u << must : 0;

	for (size_t i = 0; i < n; i++)
		if (pct(p))
			m |= 1u << i;
	return m;
}

static void put_list(FILE *json, FILE *csv, const char *key, const char *const *v, size_t n,
		     unsigned m, int first)
{
	int k = 0;

	fprintf(json, "%s\"%s\":[", first ? "" : ",", key);
	fputs(",|", csv);
	for (size_t i = 0; i < n; i++)
		if (m >> i & 1) {
			fprintf(json, "%s\"%s\"", k++ ? "," : "", v[i]);
			fprintf(csv, "%s|", v[i]);
		}
	fputc(']', json);
}

static int index_of(const char *const *v, size_t n, const char *s)
{
	for (size_t i = 0; i < n; i++)
		if (!strcmp(v[i], s))
			return (int)i;
	return -1;
}

int main(int argc, char **argv)
{
	FILE *json, *csv;
	long n;
	int total_weight = 0;

	if (argc != 5) {
		fprintf(stderr, "usage: gencaseload N SEED OUT.jsonl OUT.csv\n");
		return 2;
	}
	n = strtol(argv[1], NULL, 10);
	rng_state = strtoull(argv[2], NULL, 10) * 0x9E3779B97F4A7C15ULL + 1;
	json = fopen(argv[3], "w");
	csv = fopen(argv[4], "w");
	if (!json || !csv) {
		perror("gencaseload");
		return 3;
	}
	for (size_t i = 0; i < N(regions); i++)
		total_weight += regions[i].weight;
	fputs("id,age,sex,region,area,sentence,order_months,rosh,ogrs,ovp,sara,oasys_total,"
	      "oasys_11_6,oasys_11_7,audit,convictions,index_offence,offences,needs,flags,requirements\n", csv);
	for (long i = 0; i < n; i++) {
		const struct region *rg = &regions[0];
		int r = between(0, total_weight - 1), nareas = 0;
		int age = 18 + (int)((rng() % 1000) * (rng() % 1000) / 20000); /* skewed young */
		const char *sex = pct(86) ? "male" : "female";
		const char *sent = sentences[rng() % N(sentences)];
		const char *idx = weighted_offence();
		int ix = index_of(offences, N(offences), idx);
		int has_ovp = pct(80), has_sara = ix == 1 || ix == 2 ? pct(85) : pct(5);
		int ogrs = between(2, 98), ovp = between(1, 95), oasys = between(0, 20);
		int o116 = between(0, 2), o117 = between(0, 2), audit = between(0, 40);
		int order = between(6, 36), conv = between(1, 30) * between(1, 3) / 3;
		const char *rs = rosh[rng() % N(rosh)];
		const char *sr = sara[rng() % N(sara)];

		for (size_t k = 0; k < N(regions); k++) {
			if (r < regions[k].weight) {
				rg = &regions[k];
				break;
			}
			r -= regions[k].weight;
		}
		while (rg->areas[nareas])
			nareas++;
		const char *area = rg->areas[rng() % (uint64_t)nareas];
		fprintf(json, "{\"id\":\"X%06ld\",\"age\":%d,\"sex\":\"%s\",\"region\":\"%s\",\"area\":\"%s\","
			"\"sentence\":\"%s\"", i + 1, age, sex, rg->name, area, sent);
		fprintf(csv, "X%06ld,%d,%s,\"%s\",%s,%s", i + 1, age, sex, rg->name, area, sent);
		if (strcmp(sent, "custody")) {
			fprintf(json, ",\"order_months\":%d", order);
			fprintf(csv, ",%d", order);
		} else {
			fputs(",", csv);
		}
		fprintf(json, ",\"rosh\":\"%s\",\"scores\":{\"ogrs\":%d,\"oasys_total\":%d,"
			"\"oasys_11_6\":%d,\"oasys_11_7\":%d,\"audit\":%d", rs, ogrs, oasys, o116, o117, audit);
		if (has_ovp)
			fprintf(json, ",\"ovp\":%d", ovp);
		if (has_sara)
			fprintf(json, ",\"sara\":\"%s\"", sr);
		fputc('}', json);
		fprintf(csv, ",%s,%d,", rs, ogrs);
		if (has_ovp)
			fprintf(csv, "%d", ovp);
		fprintf(csv, ",%s,%d,%d,%d,%d,%d,%s", has_sara ? sr : "", oasys, o116, o117, audit, conv, idx);
		fprintf(json, ",\"convictions\":%d,\"index_offence\":\"%s\",", conv, idx);
		put_list(json, csv, "offences", offences, N(offences), pick_set(N(offences), 8, ix), 1);
		put_list(json, csv, "needs", needs, N(needs), pick_set(N(needs), 22, -1), 0);
		put_list(json, csv, "flags", flags, N(flags), pick_set(N(flags), 7, -1), 0);
		put_list(json, csv, "requirements", requirements, N(requirements),
			 strcmp(sent, "custody") ? pick_set(N(requirements), 25, -1) : 0, 0);
		fputs(",\"completed\":[]}\n", json);
		fputc('\n', csv);
	}
	if (fclose(json) || fclose(csv)) {
		perror("gencaseload");
		return 3;
	}
	return 0;
}
