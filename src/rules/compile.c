/*
 * compile.c - two passes over the tree: the first checks every field and
 * value and counts instructions, strings and string bytes; the second emits
 * into one allocation sized from those counts. A rule that passes the first
 * pass cannot fail the second except for memory.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "core/arena.h"
#include "profile/field.h"
#include "rules/compile.h"

struct sizes {
	size_t insns, strs, bytes;
};

struct emitter {
	struct rule_program *p;
	char *bytes;
	int depth;
};

static enum rc node_error(struct err *e, int col, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static enum rc node_error(struct err *e, int col, const char *fmt, ...)
{
	char field[32], msg[384];
	va_list ap;

	snprintf(field, sizeof(field), "column %d", col);
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	return err_set(e, RC_BAD_INPUT, field, "%s", msg);
}

static enum rc check_enum_value(const struct field *fd, const struct rule_value *v,
				struct err *e, int *index)
{
	char list[512];

	if (v->kind == TK_NUMBER)
		goto bad;
	*index = field_vocab_index(fd->vocab, v->text, strlen(v->text));
	if (*index >= 0)
		return RC_OK;
bad:
	field_vocab_list(fd->vocab, list, sizeof(list));
	return node_error(e, v->col, "'%s' is not a value of %s (one of: %s)", v->text,
			  fd->name, list);
}

static enum rc check_number(const struct field *fd, const struct rule_value *v, struct err *e)
{
	if (v->kind != TK_NUMBER)
		return node_error(e, v->col, "%s is a number; '%s' is not", fd->name, v->text);
	return RC_OK;
}

static int is_numeric(const struct field *fd)
{
	return fd->type == FT_INT || fd->type == FT_NUM;
}

/* Validate a leaf and count what it will emit. */
static enum rc check_leaf(const struct node *n, const struct field *fd, struct sizes *sz,
			  struct err *e)
{
	enum rc rc;
	int k;

	switch (n->kind) {
	case N_KNOWN:
		sz->insns += 1 + n->negated;
		return RC_OK;
	case N_CMP:
		if (is_numeric(fd)) {
			sz->insns++;
			return check_number(fd, &n->values[0], e);
		}
		if (n->op != TK_EQ && n->op != TK_NE)
			return node_error(e, n->values[0].col, "%s is not a number: use = or != (or 'in')",
					  fd->name);
		if (fd->type == FT_SET || fd->type == FT_IDS)
			return node_error(e, n->field_col, "%s is a list: use 'has'", fd->name);
		sz->insns += 1 + (n->op == TK_NE);
		if (fd->type == FT_ENUM)
			return check_enum_value(fd, &n->values[0], e, &k);
		sz->strs++;
		sz->bytes += strlen(n->values[0].text) + 1;
		return RC_OK;
	case N_BETWEEN:
		if (!is_numeric(fd))
			return node_error(e, n->field_col, "'between' needs a number field; %s is not",
					  fd->name);
		if ((rc = check_number(fd, &n->values[0], e)) || (rc = check_number(fd, &n->values[1], e)))
			return rc;
		if (n->values[0].num > n->values[1].num)
			return node_error(e, n->values[0].col, "range %g to %g is empty",
					  n->values[0].num, n->values[1].num);
		sz->insns++;
		return RC_OK;
	case N_IN:
		if (fd->type != FT_ENUM && fd->type != FT_TEXT)
			return node_error(e, n->field_col, "'in' needs a single-valued text field%s",
					  fd->type == FT_SET || fd->type == FT_IDS ? ": use 'has any' for lists"
					  : ": use 'between' for numbers");
		sz->insns += 1 + n->negated;
		break;
	case N_HAS:
		if (fd->type != FT_SET && fd->type != FT_IDS)
			return node_error(e, n->field_col, "'has' needs a list field; %s is not a list (use = or in)",
					  fd->name);
		sz->insns += 1 + (n->has == HAS_NONE);
		break;
	default:
		return node_error(e, n->col, "internal: unexpected node");
	}
	for (size_t i = 0; i < n->nvalues; i++) {
		if (fd->type == FT_ENUM || fd->type == FT_SET) {
			if ((rc = check_enum_value(fd, &n->values[i], e, &k)))
				return rc;
		} else {
			sz->strs++;
			sz->bytes += strlen(n->values[i].text) + 1;
		}
	}
	return RC_OK;
}

static enum rc check(const struct node *n, struct sizes *sz, struct err *e)
{
	enum rc rc;
	int f;

	switch (n->kind) {
	case N_TRUE: case N_FALSE: case N_JUDGEMENT:
		sz->insns++;
		return RC_OK;
	case N_NOT:
		sz->insns++;
		return check(n->left, sz, e);
	case N_AND: case N_OR:
		sz->insns++;
		if ((rc = check(n->left, sz, e)))
			return rc;
		return check(n->right, sz, e);
	default:
		f = field_lookup(n->field, strlen(n->field));
		if (f < 0)
			return node_error(e, n->field_col, "unknown field '%s' (see profile.md)", n->field);
		return check_leaf(n, &field_table[f], sz, e);
	}
}

static struct rule_insn *emit(struct emitter *em, enum rule_op op, int field)
{
	struct rule_insn *in = &em->p->code[em->p->n++];

	memset(in, 0, sizeof(*in));
	in->op = (uint8_t)op;
	in->field = (uint8_t)field;
	if (field >= 0 && op != OP_CONST)
		em->p->fields |= (uint64_t)1 << field;
	if (op == OP_NOT)
		return in;
	if (op == OP_AND || op == OP_OR) {
		em->depth--;
		return in;
	}
	if (++em->depth > em->p->max_stack)
		em->p->max_stack = em->depth;
	return in;
}

static void emit_strings(struct emitter *em, struct rule_insn *in, const struct node *n)
{
	in->str = (uint16_t)em->p->nstrs;
	in->count = (uint16_t)n->nvalues;
	for (size_t i = 0; i < n->nvalues; i++) {
		size_t l = strlen(n->values[i].text) + 1;

		memcpy(em->bytes, n->values[i].text, l);
		em->p->strs[em->p->nstrs++] = em->bytes;
		em->bytes += l;
	}
}

static uint64_t value_mask(const struct field *fd, const struct node *n)
{
	uint64_t m = 0;

	for (size_t i = 0; i < n->nvalues; i++)
		m |= (uint64_t)1 << field_vocab_index(fd->vocab, n->values[i].text,
						      strlen(n->values[i].text));
	return m;
}

static void emit_leaf(struct emitter *em, const struct node *n, int f)
{
	const struct field *fd = &field_table[f];
	static const uint8_t cmp_of[] = {
		[TK_EQ] = CMP_EQ, [TK_NE] = CMP_NE, [TK_LT] = CMP_LT,
		[TK_LE] = CMP_LE, [TK_GT] = CMP_GT, [TK_GE] = CMP_GE,
	};
	struct rule_insn *in;
	int negate = 0;

	switch (n->kind) {
	case N_KNOWN:
		emit(em, OP_KNOWN, f);
		negate = n->negated;
		break;
	case N_CMP:
		if (is_numeric(fd)) {
			in = emit(em, OP_NUM_CMP, f);
			in->cmp = cmp_of[n->op];
			in->a = n->values[0].num;
			break;
		}
		negate = n->op == TK_NE;
		/* = on a text or enum field is `in` with one value */
		__attribute__((fallthrough));
	case N_IN:
		if (fd->type == FT_ENUM) {
			in = emit(em, OP_ENUM_IN, f);
			in->mask = value_mask(fd, n);
		} else {
			in = emit(em, OP_TEXT_IN, f);
			emit_strings(em, in, n);
		}
		negate |= n->kind == N_IN && n->negated;
		break;
	case N_BETWEEN:
		in = emit(em, OP_NUM_RANGE, f);
		in->a = n->values[0].num;
		in->b = n->values[1].num;
		break;
	case N_HAS:
		if (fd->type == FT_SET) {
			in = emit(em, n->has == HAS_ALL ? OP_SET_ALL : OP_SET_ANY, f);
			in->mask = value_mask(fd, n);
		} else {
			in = emit(em, n->has == HAS_ALL ? OP_IDS_ALL : OP_IDS_ANY, f);
			emit_strings(em, in, n);
		}
		negate = n->has == HAS_NONE;
		break;
	default:
		break;
	}
	if (negate)
		emit(em, OP_NOT, -1);
}

static void emit_node(struct emitter *em, const struct node *n)
{
	struct rule_insn *in;

	switch (n->kind) {
	case N_TRUE: case N_FALSE: case N_JUDGEMENT:
		in = emit(em, OP_CONST, -1);
		in->arg = n->kind == N_TRUE ? TV_TRUE : n->kind == N_FALSE ? TV_FALSE : TV_JUDGEMENT;
		if (n->kind == N_JUDGEMENT)
			em->p->judgement = 1;
		return;
	case N_NOT:
		emit_node(em, n->left);
		emit(em, OP_NOT, -1);
		return;
	case N_AND: case N_OR:
		emit_node(em, n->left);
		emit_node(em, n->right);
		emit(em, n->kind == N_AND ? OP_AND : OP_OR, -1);
		return;
	default:
		emit_leaf(em, n, field_lookup(n->field, strlen(n->field)));
	}
}

enum rc rule_compile(const char *src, size_t len, struct rule_program **out, struct err *e)
{
	struct arena a;
	struct node *root;
	struct sizes sz = { 0, 0, 0 };
	struct emitter em = { 0 };
	struct rule_program *p;
	size_t total;
	enum rc rc;

	*out = NULL;
	arena_init(&a, 4096);
	if ((rc = rule_parse(src, len, &a, &root, e)) || (rc = check(root, &sz, e)))
		goto out;
	if (sz.strs > UINT16_MAX || sz.insns > 4096) {
		rc = node_error(e, 1, "rule is too long");
		goto out;
	}
	total = sizeof(*p) + sz.insns * sizeof(struct rule_insn) + sz.strs * sizeof(char *) + sz.bytes;
	p = calloc(1, total);
	if (!p) {
		rc = err_set(e, RC_NOMEM, "", "out of memory");
		goto out;
	}
	p->code = (struct rule_insn *)(p + 1);
	p->strs = (const char **)(p->code + sz.insns);
	em.p = p;
	em.bytes = (char *)(p->strs + sz.strs);
	emit_node(&em, root);
	if (p->n != sz.insns || p->nstrs != sz.strs) {
		free(p);
		rc = err_set(e, RC_INTERNAL, "", "rule compiler size mismatch");
		goto out;
	}
	*out = p;
out:
	arena_release(&a);
	return rc;
}

void rule_program_free(struct rule_program *p)
{
	free(p);
}

void rule_program_foreach_id(const struct rule_program *p,
			     void (*fn)(void *ctx, const char *id), void *ctx)
{
	for (size_t i = 0; i < p->n; i++) {
		const struct rule_insn *in = &p->code[i];

		if ((in->op == OP_IDS_ANY || in->op == OP_IDS_ALL) && in->field == PF_COMPLETED)
			for (unsigned k = 0; k < in->count; k++)
				fn(ctx, p->strs[in->str + k]);
	}
}
