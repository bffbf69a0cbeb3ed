/*
 * compile.h - syntax tree to a compact program checked against the profile
 * vocabulary (profile/field.h).
 *
 * A program is a postfix sequence of instructions over a small truth stack:
 * leaves test one field, NOT/AND/OR combine. Values are resolved at compile
 * time: enum values become bit masks, numbers become doubles, so evaluation
 * does no string work except for free-text fields. Everything a program owns
 * is in one allocation freed by rule_program_free().
 */
#ifndef RULES_COMPILE_H
#define RULES_COMPILE_H

#include <stddef.h>
#include <stdint.h>
#include "core/err.h"
#include "rules/parser.h"
#include "rules/truth.h"

enum rule_op {
	OP_CONST,     /* push arg */
	OP_NUM_CMP,   /* field cmp a */
	OP_NUM_RANGE, /* a <= field <= b */
	OP_ENUM_IN,   /* field's enum bit in mask */
	OP_SET_ANY,   /* field's set & mask != 0 */
	OP_SET_ALL,   /* field's set contains mask */
	OP_TEXT_IN,   /* free text matches one of strs[arg .. arg+count) */
	OP_IDS_ANY,   /* an id list holds one of strs[arg .. arg+count) */
	OP_IDS_ALL,   /* an id list holds all of strs[arg .. arg+count) */
	OP_KNOWN,     /* field present */
	OP_NOT, OP_AND, OP_OR
};

enum rule_cmp { CMP_EQ, CMP_NE, CMP_LT, CMP_LE, CMP_GT, CMP_GE };

struct rule_insn {
	uint8_t op;
	uint8_t field;
	uint8_t cmp;
	uint8_t arg;      /* OP_CONST: the truth value */
	uint16_t str;     /* first string */
	uint16_t count;   /* number of strings */
	uint64_t mask;
	double a, b;
};

struct rule_program {
	struct rule_insn *code;
	size_t n;
	const char **strs;   /* text/id values, in the same allocation */
	size_t nstrs;
	uint64_t fields;     /* bit f = the program reads field f */
	int judgement;       /* the program contains `judgement` */
	int max_stack;
};

/* Parse and compile rule text. On error, e->field is "column N" and the
 * message names the problem ("unknown field 'sexx'", "'mail' is not one of:
 * male, female"). Caller frees *out with rule_program_free(). */
enum rc rule_compile(const char *src, size_t len, struct rule_program **out,
		     struct err *e) RC_MUST;

void rule_program_free(struct rule_program *p);

/* Call fn for every id a rule tests with `completed has ...`, so the catalogue
 * can refuse a prerequisite that names no service. */
void rule_program_foreach_id(const struct rule_program *p,
			     void (*fn)(void *ctx, const char *id), void *ctx);

#endif
