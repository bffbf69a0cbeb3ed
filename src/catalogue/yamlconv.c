/*
 * yamlconv.c - libyaml's document API loads the whole file into a node graph
 * (with line marks); we walk it alongside the schema tables. Scalars are typed
 * by the schema, not by YAML's implicit typing, so "12" is a string where the
 * schema says text and a number where it says number. Documents over 4 MiB or
 * nested deeper than the schema are refused.
 */
#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <yaml.h>
#include "catalogue/yamlconv.h"
#include "profile/field.h"
#include "rules/compile.h"

#define YAML_MAX_BYTES ((size_t)4 << 20)

struct conv {
	yaml_document_t *doc;
	const char *file;
	struct diag *d;
	unsigned char *seen;   /* one byte per node: refuses aliases (reuse) */
};

void diag_add(struct diag *d, const char *file, int line, const char *fmt, ...)
{
	va_list ap;
	enum rc rc;

	d->count++;
	va_start(ap, fmt);
	rc = buf_addf(&d->out, "%s:%d: ", file, line);
	if (!rc)
		rc = buf_vaddf(&d->out, fmt, ap);
	if (!rc)
		rc = buf_addch(&d->out, '\n');
	va_end(ap);
	if (rc)
		d->truncated = 1; /* out of room: the count still tells */
}

static int line_of(const yaml_node_t *n)
{
	return (int)n->start_mark.line + 1;
}

static const char *scalar(const yaml_node_t *n)
{
	return (const char *)n->data.scalar.value;
}

static json_t *convert(struct conv *c, yaml_node_t *n, const struct schema_key *k,
		       const char *path);

static const char *type_name(enum stype t)
{
	switch (t) {
	case ST_STR_LIST: case ST_ENUM_LIST: return "a list of text";
	case ST_MAP: return "a mapping";
	case ST_MAP_LIST: return "a list of mappings";
	case ST_NUM: return "a number";
	case ST_INT: return "a whole number";
	case ST_BOOL: return "true or false";
	default: return "text";
	}
}

static json_t *wrong_shape(struct conv *c, yaml_node_t *n, const struct schema_key *k,
			   const char *path)
{
	diag_add(c->d, c->file, line_of(n), "%s: must be %s", path, type_name(k->type));
	return NULL;
}

static int valid_id(const char *s)
{
	if (!*s || *s == '-')
		return 0;
	for (; *s; s++)
		if (!(islower((unsigned char)*s) || isdigit((unsigned char)*s) || *s == '-'))
			return 0;
	return 1;
}

static int valid_date(const char *s)
{
	int y, m, d;
	char tail;

	if (strlen(s) != 10 || sscanf(s, "%4d-%2d-%2d%c", &y, &m, &d, &tail) != 3)
		return 0;
	return s[4] == '-' && s[7] == '-' && y >= 2000 && y <= 2100 && m >= 1 && m <= 12 &&
	       d >= 1 && d <= 31;
}

static json_t *convert_number(struct conv *c, yaml_node_t *n, const struct schema_key *k,
			      const char *path)
{
	const char *s = scalar(n);
	char *end;
	double v;

	errno = 0;
	v = strtod(s, &end);
	if (!*s || *end || errno || !isfinite(v) || v < 0) {
		diag_add(c->d, c->file, line_of(n), "%s: '%s' is not %s", path, s,
			 k->type == ST_INT ? "a whole number" : "a non-negative number");
		return NULL;
	}
	if (k->type == ST_INT) {
		if (v != floor(v) || v > 1e15) {
			diag_add(c->d, c->file, line_of(n), "%s: '%s' is not a whole number", path, s);
			return NULL;
		}
		return json_integer((json_int_t)v);
	}
	if (v == floor(v) && v < 1e15)
		return json_integer((json_int_t)v); /* 26, not 26.0, in the JSON */
	return json_real(v);
}

static json_t *convert_scalar(struct conv *c, yaml_node_t *n, const struct schema_key *k,
			      const char *path)
{
	const char *s = scalar(n);
	size_t len = n->data.scalar.length;
	struct rule_program *prog;
	struct err e = ERR_INIT;
	const char *colon;

	if (strlen(s) != len) {
		diag_add(c->d, c->file, line_of(n), "%s: contains a NUL character", path);
		return NULL;
	}
	while (len && (s[len - 1] == '\n' || s[len - 1] == ' '))
		len--; /* block scalars keep a final newline we do not want */
	switch (k->type) {
	case ST_STR:
		if (!len) {
			diag_add(c->d, c->file, line_of(n), "%s: is empty", path);
			return NULL;
		}
		return json_stringn(s, len);
	case ST_ID:
		if (!valid_id(s)) {
			diag_add(c->d, c->file, line_of(n),
				 "%s: '%s' must be lower-case letters, digits and hyphens", path, s);
			return NULL;
		}
		return json_string(s);
	case ST_SERVICE_REF:
		colon = strchr(s, '/');
		if (!colon || strchr(colon + 1, '/') || colon == s || !colon[1]) {
			diag_add(c->d, c->file, line_of(n), "%s: '%s' is not a PROVIDER/SERVICE id",
				 path, s);
			return NULL;
		}
		return json_string(s);
	case ST_NUM:
	case ST_INT:
		return convert_number(c, n, k, path);
	case ST_BOOL:
		if (!strcmp(s, "true") || !strcmp(s, "false"))
			return json_boolean(!strcmp(s, "true"));
		diag_add(c->d, c->file, line_of(n), "%s: '%s' must be true or false", path, s);
		return NULL;
	case ST_DATE:
		if (!valid_date(s)) {
			diag_add(c->d, c->file, line_of(n), "%s: '%s' is not a YYYY-MM-DD date", path, s);
			return NULL;
		}
		return json_string(s);
	case ST_ENUM:
		if (field_vocab_index(k->vocab, s, strlen(s)) < 0) {
			char list[512];

			field_vocab_list(k->vocab, list, sizeof(list));
			diag_add(c->d, c->file, line_of(n), "%s: '%s' is not one of: %s", path, s, list);
			return NULL;
		}
		return json_string(s);
	case ST_SOURCE:
		colon = strrchr(s, ':');
		if (!colon || colon == s || !colon[1] || strspn(colon + 1, "0123456789") != strlen(colon + 1)) {
			diag_add(c->d, c->file, line_of(n), "%s: '%s' is not SEEDFILE:LINE", path, s);
			return NULL;
		}
		return json_pack("{s:s%,s:i}", "file", s, (size_t)(colon - s), "line",
				 (int)strtol(colon + 1, NULL, 10));
	case ST_RULE:
		if (rule_compile(s, len, &prog, &e)) {
			diag_add(c->d, c->file, line_of(n), "%s: %s: %s", path, e.field, e.msg);
			return NULL;
		}
		rule_program_free(prog);
		return json_stringn(s, len);
	default:
		return wrong_shape(c, n, k, path);
	}
}

static json_t *convert_list(struct conv *c, yaml_node_t *n, const struct schema_key *k,
			    const char *path)
{
	struct schema_key item = *k;
	json_t *arr = json_array();
	char sub[256];
	int bad = 0;

	item.type = k->type == ST_STR_LIST ? ST_STR : k->type == ST_ENUM_LIST ? ST_ENUM : ST_MAP;
	for (yaml_node_item_t *it = n->data.sequence.items.start; it < n->data.sequence.items.top; it++) {
		yaml_node_t *child = yaml_document_get_node(c->doc, *it);
		json_t *v;

		snprintf(sub, sizeof(sub), "%s[%d]", path, (int)(it - n->data.sequence.items.start));
		v = child ? convert(c, child, &item, sub) : NULL;
		if (!v) {
			bad = 1;
			continue;
		}
		json_array_append_new(arr, v);
	}
	if (bad) {
		json_decref(arr);
		return NULL;
	}
	return arr;
}

static const struct schema_key *find_key(const struct schema_key *keys, const char *name)
{
	for (; keys->name; keys++)
		if (!strcmp(keys->name, name))
			return keys;
	return NULL;
}

static json_t *convert_map(struct conv *c, yaml_node_t *n, const struct schema_key *keys,
			   const char *path)
{
	json_t *obj = json_object();
	char sub[256];
	int bad = 0;

	json_t *seen = json_object(); /* keys present, valid or not */

	json_object_set_new(obj, "_line", json_integer(line_of(n)));
	for (yaml_node_pair_t *p = n->data.mapping.pairs.start; p < n->data.mapping.pairs.top; p++) {
		yaml_node_t *kn = yaml_document_get_node(c->doc, p->key);
		yaml_node_t *vn = yaml_document_get_node(c->doc, p->value);
		const struct schema_key *k;
		json_t *v;

		if (!kn || !vn || kn->type != YAML_SCALAR_NODE) {
			diag_add(c->d, c->file, kn ? line_of(kn) : line_of(n), "%s: keys must be text", path);
			bad = 1;
			continue;
		}
		snprintf(sub, sizeof(sub), "%s%s%s", path, *path ? "." : "", scalar(kn));
		k = find_key(keys, scalar(kn));
		if (!k) {
			diag_add(c->d, c->file, line_of(kn), "%s: unknown key", sub);
			bad = 1;
			continue;
		}
		if (json_object_get(seen, k->name)) {
			diag_add(c->d, c->file, line_of(kn), "%s: key appears twice", sub);
			bad = 1;
			continue;
		}
		json_object_set_new(seen, k->name, json_true());
		if (vn->type == YAML_SCALAR_NODE && vn->data.scalar.style == YAML_PLAIN_SCALAR_STYLE &&
		    (!strcmp(scalar(vn), "") || !strcmp(scalar(vn), "~") || !strcmp(scalar(vn), "null"))) {
			if (k->required) {
				diag_add(c->d, c->file, line_of(kn), "%s: is required but empty", sub);
				bad = 1;
			}
			continue;
		}
		v = convert(c, vn, k, sub);
		if (!v) {
			bad = 1;
			continue;
		}
		json_object_set_new(obj, k->name, v);
	}
	for (; keys->name; keys++) {
		if (keys->required && !json_object_get(seen, keys->name)) {
			diag_add(c->d, c->file, line_of(n), "%s%s%s: is required", path, *path ? "." : "",
				 keys->name);
			bad = 1;
		}
	}
	json_decref(seen);
	if (bad) {
		json_decref(obj);
		return NULL;
	}
	return obj;
}

static json_t *convert(struct conv *c, yaml_node_t *n, const struct schema_key *k,
		       const char *path)
{
	size_t index = (size_t)(n - c->doc->nodes.start);

	if (c->seen[index]) {
		diag_add(c->d, c->file, line_of(n), "%s: YAML aliases are not allowed", path);
		return NULL;
	}
	c->seen[index] = 1;
	switch (k->type) {
	case ST_MAP:
		if (n->type != YAML_MAPPING_NODE)
			return wrong_shape(c, n, k, path);
		return convert_map(c, n, k->sub, path);
	case ST_MAP_LIST:
	case ST_STR_LIST:
	case ST_ENUM_LIST:
		if (n->type != YAML_SEQUENCE_NODE)
			return wrong_shape(c, n, k, path);
		return convert_list(c, n, k, path);
	default:
		if (n->type != YAML_SCALAR_NODE)
			return wrong_shape(c, n, k, path);
		return convert_scalar(c, n, k, path);
	}
}

enum rc yamlconv_text(const char *text, size_t len, const char *name,
		      const struct schema_key *schema, json_t **out, struct diag *d)
{
	yaml_parser_t parser;
	yaml_document_t doc;
	yaml_node_t *root;
	struct schema_key top = { "", ST_MAP, 1, schema, NULL };
	struct conv c = { &doc, name, d, NULL };
	int before = d->count;

	*out = NULL;
	if (len > YAML_MAX_BYTES) {
		diag_add(d, name, 1, "file is larger than %zu bytes", YAML_MAX_BYTES);
		return RC_BAD_INPUT;
	}
	if (!yaml_parser_initialize(&parser))
		return RC_NOMEM;
	yaml_parser_set_input_string(&parser, (const unsigned char *)text, len);
	if (!yaml_parser_load(&parser, &doc)) {
		diag_add(d, name, (int)parser.problem_mark.line + 1, "YAML: %s%s%s",
			 parser.problem ? parser.problem : "syntax error",
			 parser.context ? " " : "", parser.context ? parser.context : "");
		yaml_parser_delete(&parser);
		return RC_BAD_INPUT;
	}
	root = yaml_document_get_root_node(&doc);
	c.seen = calloc((size_t)(doc.nodes.top - doc.nodes.start) + 1, 1);
	if (!c.seen)
		diag_add(d, name, 1, "out of memory");
	else if (!root)
		diag_add(d, name, 1, "file is empty");
	else
		*out = convert(&c, root, &top, "");
	free(c.seen);
	yaml_document_delete(&doc);
	yaml_parser_delete(&parser);
	return d->count > before ? RC_BAD_INPUT : RC_OK;
}

enum rc yamlconv_file(const char *path, const char *name, const struct schema_key *schema,
		      json_t **out, struct diag *d)
{
	struct buf b = BUF_INIT;
	enum rc rc;

	*out = NULL;
	rc = buf_read_file(&b, path);
	if (rc) {
		diag_add(d, name, 0, "cannot read: %s", rc == RC_TOO_LARGE ? "too large" : strerror(errno));
		buf_release(&b);
		return RC_IO;
	}
	rc = yamlconv_text(b.data, b.len, name, schema, out, d);
	buf_release(&b);
	return rc;
}
