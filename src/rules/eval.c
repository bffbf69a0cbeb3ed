/*
 * eval.c - a stack machine over struct rule_insn. Leaves push one truth value;
 * NOT rewrites the top; AND/OR pop two and push one. The stack depth was
 * bounded at compile time (max_stack), so a fixed array suffices; rules deeper
 * than EVAL_STACK are refused by the compiler's instruction limit long before.
 */
#include <assert.h>
#include <string.h>
#include "profile/geo.h"
#include "rules/eval.h"

#define EVAL_STACK 4096

static enum truth num_cmp(double v, int cmp, double a)
{
	switch (cmp) {
	case CMP_EQ: return v == a;
	case CMP_NE: return v != a;
	case CMP_LT: return v < a;
	case CMP_LE: return v <= a;
	case CMP_GT: return v > a;
	default: return v >= a;
	}
}

static int ids_has(const struct profile_ids *ids, const char *id)
{
	for (size_t i = 0; i < ids->n; i++)
		if (!strcmp(ids->v[i], id))
			return 1;
	return 0;
}

static enum truth text_in(const struct rule_program *p, const struct rule_insn *in,
			  const struct profile *pr)
{
	const char *text;

	if (!PROFILE_KNOWN(pr, in->field)) {
		/* An area that is not known may still be ruled out by the region:
		 * a person in London is in none of Kent, Surrey or Sussex. */
		if (in->field == PF_AREA && PROFILE_KNOWN(pr, PF_REGION)) {
			for (unsigned k = 0; k < in->count; k++) {
				int r = geo_region_of_area(p->strs[in->str + k]);

				if (r < 0 || r == pr->v[PF_REGION].e)
					return TV_UNKNOWN;
			}
			return TV_FALSE;
		}
		return TV_UNKNOWN;
	}
	text = pr->v[in->field].text;
	for (unsigned k = 0; k < in->count; k++)
		if (geo_place_matches(text, p->strs[in->str + k]))
			return TV_TRUE;
	return TV_FALSE;
}

static enum truth leaf(const struct rule_program *p, const struct rule_insn *in,
		       const struct profile *pr)
{
	const union profile_value *v = &pr->v[in->field];

	if (in->op == OP_KNOWN)
		return PROFILE_KNOWN(pr, in->field) ? TV_TRUE : TV_FALSE;
	if (in->op == OP_TEXT_IN)
		return text_in(p, in, pr);
	if (!PROFILE_KNOWN(pr, in->field))
		return TV_UNKNOWN;
	switch (in->op) {
	case OP_NUM_CMP:
		return num_cmp(v->num, in->cmp, in->a);
	case OP_NUM_RANGE:
		return v->num >= in->a && v->num <= in->b;
	case OP_ENUM_IN:
		return (in->mask >> v->e) & 1;
	case OP_SET_ANY:
		return (v->set & in->mask) != 0;
	case OP_SET_ALL:
		return (v->set & in->mask) == in->mask;
	case OP_IDS_ANY:
	case OP_IDS_ALL: {
		const struct profile_ids *ids = profile_ids(pr, in->field);
		int all = in->op == OP_IDS_ALL;

		for (unsigned k = 0; k < in->count; k++) {
			int has = ids_has(ids, p->strs[in->str + k]);

			if (has && !all)
				return TV_TRUE;
			if (!has && all)
				return TV_FALSE;
		}
		return all ? TV_TRUE : TV_FALSE;
	}
	default:
		assert(!"unexpected leaf op");
		return TV_UNKNOWN;
	}
}

enum truth rule_eval(const struct rule_program *p, const struct profile *pr)
{
	uint8_t stack[EVAL_STACK];
	int sp = 0;

	for (size_t i = 0; i < p->n; i++) {
		const struct rule_insn *in = &p->code[i];

		switch (in->op) {
		case OP_CONST:
			stack[sp++] = in->arg;
			break;
		case OP_NOT:
			stack[sp - 1] = (uint8_t)truth_not((enum truth)stack[sp - 1]);
			break;
		case OP_AND:
			sp--;
			stack[sp - 1] = truth_and_table[stack[sp - 1]][stack[sp]];
			break;
		case OP_OR:
			sp--;
			stack[sp - 1] = truth_or_table[stack[sp - 1]][stack[sp]];
			break;
		default:
			stack[sp++] = (uint8_t)leaf(p, in, pr);
		}
	}
	assert(sp == 1);
	return (enum truth)stack[0];
}
