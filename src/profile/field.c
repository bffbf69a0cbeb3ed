/*
 * field.c - the table behind field.h. Vocabularies copy profile.md exactly;
 * the order of a vocab is the bit order of its FT_SET masks, so appending is
 * safe and reordering is not (compiled rules hold masks only in memory, so
 * nothing persistent depends on it).
 */
#include <stdio.h>
#include <string.h>
#include "profile/field.h"

static const char *const sexes[] = { "male", "female", NULL };
const char *const field_regions[] = {
	"North East", "North West", "Greater Manchester", "Yorkshire and the Humber",
	"East Midlands", "West Midlands", "East of England", "London",
	"Kent, Surrey and Sussex", "South West", "South Central", "Wales", NULL
};
static const char *const sentences[] = {
	"community_order", "suspended_sentence_order", "licence",
	"post_sentence_supervision", "custody", "none", NULL
};
static const char *const requirements[] = {
	"rar", "accredited_programme", "unpaid_work", "attendance_centre",
	"drug_rehabilitation", "alcohol_treatment", "mental_health_treatment",
	"curfew", "exclusion", "alcohol_abstinence_monitoring", NULL
};
static const char *const rosh_levels[] = { "low", "medium", "high", "very_high", NULL };
static const char *const sara_levels[] = { "low", "medium", "high", NULL };
const char *const field_offences[] = {
	"violence", "intimate_partner_violence", "domestic_abuse", "sexual",
	"sexually_motivated", "drink_driving", "dangerous_driving", "hate_crime",
	"stalking", "acquisitive", "drugs", "terrorism", "extremism", "arson",
	"fraud", NULL
};
const char *const field_needs[] = {
	"accommodation", "ete", "finance", "relationships", "family", "alcohol",
	"drugs", "mental_health", "physical_health", "thinking_behaviour",
	"attitudes", "lifestyle", "emotional_wellbeing", "maturity", NULL
};
static const char *const flags[] = {
	"unstable_mental_health", "substance_misuse", "alcohol_dependent",
	"drug_dependent", "no_english", "shift_work", "learning_disability",
	"veteran", "sex_worker", "care_leaver", "foreign_national",
	"immigration_deportation", "recalled", "gypsy_traveller",
	"victim_of_domestic_abuse", "no_fixed_abode", "denies_responsibility",
	"politically_motivated", "jobseeker_long_term", NULL
};

const struct field field_table[PF_COUNT] = {
	[PF_ID] = { "id", FT_TEXT, NULL, 0, 0 },
	[PF_AGE] = { "age", FT_INT, NULL, 10, 120 },
	[PF_SEX] = { "sex", FT_ENUM, sexes, 0, 0 },
	[PF_REGION] = { "region", FT_ENUM, field_regions, 0, 0 },
	[PF_AREA] = { "area", FT_TEXT, NULL, 0, 0 },
	[PF_PRISON] = { "prison", FT_TEXT, NULL, 0, 0 },
	[PF_WEEKS_TO_RELEASE] = { "weeks_to_release", FT_INT, NULL, 0, 2000 },
	[PF_SENTENCE] = { "sentence", FT_ENUM, sentences, 0, 0 },
	[PF_ORDER_MONTHS] = { "order_months", FT_INT, NULL, 0, 1200 },
	[PF_REQUIREMENTS] = { "requirements", FT_SET, requirements, 0, 0 },
	[PF_ROSH] = { "rosh", FT_ENUM, rosh_levels, 0, 0 },
	[PF_OGRS] = { "scores.ogrs", FT_NUM, NULL, 0, 100 },
	[PF_OVP] = { "scores.ovp", FT_NUM, NULL, 0, 100 },
	[PF_OGP] = { "scores.ogp", FT_NUM, NULL, 0, 100 },
	[PF_RSR] = { "scores.rsr", FT_NUM, NULL, 0, 100 },
	[PF_OSP] = { "scores.osp", FT_ENUM, rosh_levels, 0, 0 },
	[PF_SARA] = { "scores.sara", FT_ENUM, sara_levels, 0, 0 },
	[PF_OASYS_TOTAL] = { "scores.oasys_total", FT_INT, NULL, 0, 20 },
	[PF_OASYS_11_6] = { "scores.oasys_11_6", FT_INT, NULL, 0, 2 },
	[PF_OASYS_11_7] = { "scores.oasys_11_7", FT_INT, NULL, 0, 2 },
	[PF_AUDIT] = { "scores.audit", FT_INT, NULL, 0, 40 },
	[PF_SADQ] = { "scores.sadq", FT_INT, NULL, 0, 60 },
	[PF_INDEX_OFFENCE] = { "index_offence", FT_ENUM, field_offences, 0, 0 },
	[PF_OFFENCES] = { "offences", FT_SET, field_offences, 0, 0 },
	[PF_CONVICTIONS] = { "convictions", FT_INT, NULL, 0, 1000 },
	[PF_NEEDS] = { "needs", FT_SET, field_needs, 0, 0 },
	[PF_FLAGS] = { "flags", FT_SET, flags, 0, 0 },
	[PF_COMPLETED] = { "completed", FT_IDS, NULL, 0, 0 },
	[PF_VULNERABILITIES] = { "vulnerabilities", FT_IDS, NULL, 0, 0 },
};

/* Does the NUL-terminated word equal the len bytes at s? Stops at the first
 * difference instead of measuring the word first: these lookups run for every
 * key of every profile of a caseload. */
static int word_equals(const char *word, const char *s, size_t len)
{
	return !strncmp(word, s, len) && word[len] == '\0';
}

int field_lookup(const char *name, size_t len)
{
	for (int i = 0; i < PF_COUNT; i++)
		if (field_table[i].name[0] == name[0] && word_equals(field_table[i].name, name, len))
			return i;
	return -1;
}

int field_vocab_index(const char *const *vocab, const char *value, size_t len)
{
	for (int i = 0; vocab[i]; i++)
		if (vocab[i][0] == value[0] && word_equals(vocab[i], value, len))
			return i;
	return -1;
}

size_t field_vocab_count(const char *const *vocab)
{
	size_t n = 0;

	while (vocab[n])
		n++;
	return n;
}

void field_vocab_list(const char *const *vocab, char *out, size_t outlen)
{
	size_t used = 0;

	if (!outlen)
		return;
	out[0] = '\0';
	for (int i = 0; vocab[i] && used < outlen; i++) {
		int n = snprintf(out + used, outlen - used, "%s%s", i ? ", " : "", vocab[i]);
		if (n < 0)
			break;
		used += (size_t)n;
	}
}
