/*
 * tmpl.c - compile a template into a flat array of nodes (a section node
 * knows where its body ends, so rendering is a walk with no re-parsing),
 * then render it against a stack of JSON contexts.
 */
#include <dirent.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "web/tmpl.h"

enum op { OP_TEXT, OP_VAR, OP_URL, OP_SECTION, OP_INVERTED, OP_PARTIAL };

struct node {
	enum op op;
	uint32_t off, len;   /* text, or the tag's name, as a slice of t->text */
	uint32_t end;        /* sections: the node after the body; partials: template index */
};

struct tmpl {
	char *name;
	char *text;
	struct node *nodes;
	size_t n, cap;
};

struct tmpl_set {
	struct tmpl **t;
	size_t n;
};

static int line_of(const char *text, size_t off)
{
	int line = 1;

	for (size_t i = 0; i < off; i++)
		line += text[i] == '\n';
	return line;
}

static enum rc push(struct tmpl *t, enum op op, size_t off, size_t len, struct err *e)
{
	if (t->n == TMPL_MAX_NODES)
		return err_set(e, RC_TOO_LARGE, t->name, "%s: more than %d tags", t->name,
			       TMPL_MAX_NODES);
	if (t->n == t->cap) {
		size_t cap = t->cap ? t->cap * 2 : 64;
		struct node *nn = realloc(t->nodes, cap * sizeof(*nn));

		if (!nn)
			return err_set(e, RC_NOMEM, "", "out of memory");
		t->nodes = nn;
		t->cap = cap;
	}
	t->nodes[t->n++] = (struct node){ op, (uint32_t)off, (uint32_t)len, 0 };
	return RC_OK;
}

static int valid_name(const char *s, size_t len)
{
	if (len == 1 && s[0] == '.')
		return 1;
	if (!len || s[0] == '.' || s[len - 1] == '.')
		return 0;
	for (size_t i = 0; i < len; i++) {
		char c = s[i];

		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
		      c == '_' || c == '-' || (c == '.' && s[i - 1] != '.')))
			return 0;
	}
	return 1;
}

static enum rc parse(struct tmpl *t, size_t len, struct err *e)
{
	const char *text = t->text;
	uint32_t open[TMPL_MAX_DEPTH];
	int depth = 0;
	size_t i = 0;
	enum rc rc = RC_OK;

	while (i < len && !rc) {
		const char *tag = strstr(text + i, "{{");
		size_t start, stop, nstart, nlen;
		enum op op;

		if (!tag || (size_t)(tag - text) >= len) {
			rc = push(t, OP_TEXT, i, len - i, e);
			break;
		}
		start = (size_t)(tag - text);
		if (start > i && (rc = push(t, OP_TEXT, i, start - i, e)))
			break;
		tag = strstr(text + start + 2, "}}");
		if (!tag)
			return err_set(e, RC_BAD_INPUT, t->name, "%s:%d: '{{' is never closed", t->name,
				       line_of(text, start));
		stop = (size_t)(tag - text);
		i = stop + 2;
		nstart = start + 2;
		switch (text[nstart]) {
		case '!':
			continue;
		case '#': op = OP_SECTION; nstart++; break;
		case '^': op = OP_INVERTED; nstart++; break;
		case '/': op = OP_TEXT; nstart++; break; /* a close: handled below */
		case '>': op = OP_PARTIAL; nstart++; break;
		case '%': op = OP_URL; nstart++; break;
		case '{':
			return err_set(e, RC_BAD_INPUT, t->name,
				       "%s:%d: '{{{' (unescaped output) is not supported", t->name,
				       line_of(text, start));
		default: op = OP_VAR; break;
		}
		while (nstart < stop && text[nstart] == ' ')
			nstart++;
		nlen = stop - nstart;
		while (nlen && text[nstart + nlen - 1] == ' ')
			nlen--;
		if (!valid_name(text + nstart, nlen))
			return err_set(e, RC_BAD_INPUT, t->name, "%s:%d: '%.*s' is not a name", t->name,
				       line_of(text, start), (int)(stop - start + 2), text + start);
		if (text[start + 2] == '/') {
			struct node *o;

			if (!depth)
				return err_set(e, RC_BAD_INPUT, t->name, "%s:%d: '{{/%.*s}}' closes nothing",
					       t->name, line_of(text, start), (int)nlen, text + nstart);
			o = &t->nodes[open[--depth]];
			if (o->len != nlen || memcmp(text + o->off, text + nstart, nlen))
				return err_set(e, RC_BAD_INPUT, t->name,
					       "%s:%d: '{{/%.*s}}' closes '%.*s'", t->name,
					       line_of(text, start), (int)nlen, text + nstart, (int)o->len,
					       text + o->off);
			o->end = (uint32_t)t->n;
			continue;
		}
		if (op == OP_SECTION || op == OP_INVERTED) {
			if (depth == TMPL_MAX_DEPTH)
				return err_set(e, RC_TOO_LARGE, t->name, "%s:%d: sections nest deeper than %d",
					       t->name, line_of(text, start), TMPL_MAX_DEPTH);
			open[depth++] = (uint32_t)t->n;
		}
		rc = push(t, op, nstart, nlen, e);
	}
	if (!rc && depth)
		return err_set(e, RC_BAD_INPUT, t->name, "%s:%d: section '%.*s' is never closed",
			       t->name, line_of(text, t->nodes[open[depth - 1]].off), (int)t->nodes[open[depth - 1]].len,
			       text + t->nodes[open[depth - 1]].off);
	return rc;
}

enum rc tmpl_compile(struct tmpl **out, const char *name, const char *text, size_t len,
		     struct err *e)
{
	struct tmpl *t = calloc(1, sizeof(*t));
	enum rc rc;

	*out = NULL;
	if (!t)
		return err_set(e, RC_NOMEM, "", "out of memory");
	if (len > UINT32_MAX / 2) {
		free(t);
		return err_set(e, RC_TOO_LARGE, name, "%s: the template is too large", name);
	}
	t->name = strdup(name);
	t->text = malloc(len + 1);
	if (!t->name || !t->text) {
		tmpl_free(t);
		return err_set(e, RC_NOMEM, "", "out of memory");
	}
	memcpy(t->text, text, len);
	t->text[len] = '\0';
	if (memchr(text, '\0', len)) {
		tmpl_free(t);
		return err_set(e, RC_BAD_INPUT, name, "%s: the template holds a NUL byte", name);
	}
	rc = parse(t, len, e);
	if (rc) {
		tmpl_free(t);
		return rc;
	}
	*out = t;
	return RC_OK;
}

void tmpl_free(struct tmpl *t)
{
	if (!t)
		return;
	free(t->name);
	free(t->text);
	free(t->nodes);
	free(t);
}

/* --- rendering --- */

struct ctx {
	const struct tmpl_set *set;
	json_t *stack[TMPL_MAX_DEPTH + 1];
	int depth;    /* contexts on the stack */
	int level;    /* sections and partials entered */
	struct buf *out;
	struct err *e;
};

static json_t *lookup(struct ctx *c, const char *name, size_t len)
{
	const char *dot;
	size_t seg;
	json_t *v = NULL;
	char key[128];

	if (len == 1 && name[0] == '.')
		return c->stack[c->depth - 1];
	dot = memchr(name, '.', len);
	seg = dot ? (size_t)(dot - name) : len;
	if (seg >= sizeof(key))
		return NULL;
	memcpy(key, name, seg);
	key[seg] = '\0';
	for (int i = c->depth; i-- > 0 && !v;)
		if (json_is_object(c->stack[i]))
			v = json_object_get(c->stack[i], key);
	while (v && dot) {
		name = dot + 1;
		len -= seg + 1;
		dot = memchr(name, '.', len);
		seg = dot ? (size_t)(dot - name) : len;
		if (seg >= sizeof(key) || !json_is_object(v))
			return NULL;
		memcpy(key, name, seg);
		key[seg] = '\0';
		v = json_object_get(v, key);
	}
	return v;
}

static int truthy(const json_t *v)
{
	switch (v ? json_typeof(v) : JSON_NULL) {
	case JSON_OBJECT: return 1;
	case JSON_ARRAY: return json_array_size(v) > 0;
	case JSON_STRING: return json_string_length(v) > 0;
	case JSON_INTEGER: return json_integer_value(v) != 0;
	case JSON_REAL: return json_real_value(v) != 0;
	case JSON_TRUE: return 1;
	default: return 0;
	}
}

enum rc tmpl_escape(struct buf *out, const char *s, size_t len)
{
	size_t run = 0;
	enum rc rc = RC_OK;

	for (size_t i = 0; i < len && !rc; i++) {
		const char *rep;

		switch (s[i]) {
		case '&': rep = "&amp;"; break;
		case '<': rep = "&lt;"; break;
		case '>': rep = "&gt;"; break;
		case '"': rep = "&quot;"; break;
		case '\'': rep = "&#39;"; break;
		default: continue;
		}
		rc = buf_add(out, s + run, i - run);
		if (!rc)
			rc = buf_adds(out, rep);
		run = i + 1;
	}
	return rc ? rc : buf_add(out, s + run, len - run);
}

static enum rc add_url(struct buf *out, const char *s, size_t len)
{
	static const char hex[] = "0123456789ABCDEF";
	enum rc rc = RC_OK;

	for (size_t i = 0; i < len && !rc; i++) {
		unsigned char u = (unsigned char)s[i];

		if ((u >= 'a' && u <= 'z') || (u >= 'A' && u <= 'Z') || (u >= '0' && u <= '9') ||
		    u == '-' || u == '_' || u == '.' || u == '~') {
			rc = buf_addch(out, (char)u);
		} else {
			char esc[3] = { '%', hex[u >> 4], hex[u & 15] };

			rc = buf_add(out, esc, 3);
		}
	}
	return rc;
}

static enum rc add_value(struct ctx *c, const json_t *v, int url)
{
	char num[40];
	const char *s = num;
	size_t len;

	switch (v ? json_typeof(v) : JSON_NULL) {
	case JSON_STRING:
		s = json_string_value(v);
		len = json_string_length(v);
		break;
	case JSON_INTEGER:
		len = (size_t)snprintf(num, sizeof(num), "%" JSON_INTEGER_FORMAT, json_integer_value(v));
		break;
	case JSON_REAL:
		len = (size_t)snprintf(num, sizeof(num), "%.15g", json_real_value(v));
		break;
	case JSON_TRUE:
		s = "true";
		len = 4;
		break;
	default:
		return RC_OK;
	}
	return url ? add_url(c->out, s, len) : tmpl_escape(c->out, s, len);
}

static enum rc render(struct ctx *c, const struct tmpl *t, size_t from, size_t to);

static enum rc enter(struct ctx *c, const struct tmpl *t, size_t from, size_t to, json_t *v)
{
	enum rc rc;

	c->stack[c->depth++] = v;
	rc = render(c, t, from, to);
	c->depth--;
	return rc;
}

static enum rc section(struct ctx *c, const struct tmpl *t, size_t i)
{
	const struct node *nd = &t->nodes[i];
	json_t *v = lookup(c, t->text + nd->off, nd->len);
	enum rc rc = RC_OK;

	if (nd->op == OP_INVERTED)
		return truthy(v) ? RC_OK : render(c, t, i + 1, nd->end);
	if (!truthy(v))
		return RC_OK;
	if (json_is_array(v)) {
		size_t k;
		json_t *item;

		json_array_foreach(v, k, item) {
			if ((rc = enter(c, t, i + 1, nd->end, item)))
				break;
		}
		return rc;
	}
	return enter(c, t, i + 1, nd->end, v);
}

static enum rc render(struct ctx *c, const struct tmpl *t, size_t from, size_t to)
{
	enum rc rc = RC_OK;

	if (++c->level > TMPL_MAX_DEPTH) {
		c->level--;
		return err_set(c->e, RC_TOO_LARGE, t->name, "%s: sections and partials nest deeper than %d",
			       t->name, TMPL_MAX_DEPTH);
	}
	for (size_t i = from; i < to && !rc;) {
		const struct node *nd = &t->nodes[i];

		switch (nd->op) {
		case OP_TEXT:
			rc = buf_add(c->out, t->text + nd->off, nd->len);
			i++;
			break;
		case OP_VAR:
		case OP_URL:
			rc = add_value(c, lookup(c, t->text + nd->off, nd->len), nd->op == OP_URL);
			i++;
			break;
		case OP_SECTION:
		case OP_INVERTED:
			rc = section(c, t, i);
			i = nd->end;
			break;
		case OP_PARTIAL:
			if (!c->set)
				rc = err_set(c->e, RC_INTERNAL, t->name, "%s: a partial outside a set", t->name);
			else {
				const struct tmpl *p = c->set->t[nd->end];

				rc = render(c, p, 0, p->n);
			}
			i++;
			break;
		}
	}
	if (rc == RC_NOMEM)
		err_set(c->e, rc, "", "out of memory");
	c->level--;
	return rc;
}

enum rc tmpl_render_one(const struct tmpl *t, json_t *view, struct buf *out, struct err *e)
{
	struct ctx c = { .out = out, .e = e, .depth = 1 };

	c.stack[0] = view;
	return render(&c, t, 0, t->n);
}

/* --- sets --- */

static int find(const struct tmpl_set *s, const char *name, size_t len)
{
	for (size_t i = 0; i < s->n; i++)
		if (strlen(s->t[i]->name) == len && !memcmp(s->t[i]->name, name, len))
			return (int)i;
	return -1;
}

enum rc tmpl_render(const struct tmpl_set *s, const char *name, json_t *view, struct buf *out,
		    struct err *e)
{
	int i = find(s, name, strlen(name));
	struct ctx c = { .set = s, .out = out, .e = e, .depth = 1 };

	if (i < 0)
		return err_set(e, RC_NOT_FOUND, name, "no template '%s'", name);
	c.stack[0] = view;
	return render(&c, s->t[i], 0, s->t[i]->n);
}

void tmpl_set_free(struct tmpl_set *s)
{
	if (!s)
		return;
	for (size_t i = 0; i < s->n; i++)
		tmpl_free(s->t[i]);
	free(s->t);
	free(s);
}

static enum rc link_partials(struct tmpl_set *s, struct err *e)
{
	for (size_t k = 0; k < s->n; k++) {
		struct tmpl *t = s->t[k];

		for (size_t i = 0; i < t->n; i++) {
			struct node *nd = &t->nodes[i];
			int p;

			if (nd->op != OP_PARTIAL)
				continue;
			p = find(s, t->text + nd->off, nd->len);
			if (p < 0)
				return err_set(e, RC_BAD_INPUT, t->name, "%s:%d: no template '%.*s' to include",
					       t->name, line_of(t->text, nd->off), (int)nd->len,
					       t->text + nd->off);
			nd->end = (uint32_t)p;
		}
	}
	return RC_OK;
}

enum rc tmpl_load_dir(struct tmpl_set **out, const char *dir, struct err *e)
{
	struct tmpl_set *s = calloc(1, sizeof(*s));
	DIR *d = opendir(dir);
	struct dirent *de;
	struct buf path = BUF_INIT, text = BUF_INIT;
	enum rc rc = RC_OK;
	size_t cap = 0;

	*out = NULL;
	if (!s || !d) {
		rc = s ? err_set(e, RC_IO, "templates", "cannot open the template directory %s", dir)
		       : err_set(e, RC_NOMEM, "", "out of memory");
		goto out;
	}
	while (!rc && (de = readdir(d))) {
		size_t len = strlen(de->d_name);
		struct tmpl *t;

		if (len <= 5 || strcmp(de->d_name + len - 5, ".html") || de->d_name[0] == '.')
			continue;
		buf_reset(&path);
		buf_reset(&text);
		if ((rc = buf_addf(&path, "%s/%s", dir, de->d_name)))
			break;
		if (buf_read_file(&text, path.data)) {
			rc = err_set(e, RC_IO, "templates", "cannot read %s", path.data);
			break;
		}
		de->d_name[len - 5] = '\0';
		if ((rc = tmpl_compile(&t, de->d_name, text.data, text.len, e)))
			break;
		if (s->n == cap) {
			struct tmpl **nt = realloc(s->t, (cap = cap ? cap * 2 : 32) * sizeof(*nt));

			if (!nt) {
				tmpl_free(t);
				rc = err_set(e, RC_NOMEM, "", "out of memory");
				break;
			}
			s->t = nt;
		}
		s->t[s->n++] = t;
	}
	if (!rc)
		rc = link_partials(s, e);
out:
	if (d)
		closedir(d);
	buf_release(&path);
	buf_release(&text);
	if (rc) {
		tmpl_set_free(s);
		return rc;
	}
	*out = s;
	return RC_OK;
}
