/*
 * truth.h - the four outcomes of a criterion and Kleene logic over them.
 *
 * FALSE and TRUE are decided. UNKNOWN means the profile lacks what the rule
 * reads; JUDGEMENT means no profile field can decide it. Both are undecided:
 * `and` is false if either side is false, `or` true if either side is true;
 * otherwise undecided, and UNKNOWN wins over JUDGEMENT (data the practitioner
 * can add beats a judgement they must make).
 */
#ifndef RULES_TRUTH_H
#define RULES_TRUTH_H

#include <stdint.h>

enum truth { TV_FALSE = 0, TV_TRUE = 1, TV_UNKNOWN = 2, TV_JUDGEMENT = 3 };

extern const uint8_t truth_and_table[4][4];
extern const uint8_t truth_or_table[4][4];

static inline enum truth truth_and(enum truth a, enum truth b)
{
	return (enum truth)truth_and_table[a][b];
}

static inline enum truth truth_or(enum truth a, enum truth b)
{
	return (enum truth)truth_or_table[a][b];
}

static inline enum truth truth_not(enum truth a)
{
	return a <= TV_TRUE ? (enum truth)!a : a;
}

/* "met", "not_met", "unknown", "judgement": the outcome names of profile.md. */
const char *truth_outcome_name(enum truth t);

#endif
