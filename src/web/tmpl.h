/*
 * tmpl.h - HTML templates kept as files, rendered from a JSON view.
 *
 * A small logic-less language (after mustache), compiled once at start:
 *
 *   {{name}} {{a.b}} {{.}}    the value, HTML-escaped (every value is)
 *   {{%name}}                 the value percent-encoded for a URL, then escaped
 *   {{#name}}...{{/name}}     a section: once per element of an array, once
 *                             with the object as context, once when truthy
 *   {{^name}}...{{/name}}     rendered when name is missing, null, false,
 *                             0, "" or an empty array
 *   {{> other}}               another template of the set, same context
 *   {{! comment }}
 *
 * Names are looked up from the innermost context outwards. There is no way to
 * output unescaped text: markup comes only from template files.
 */
#ifndef WEB_TMPL_H
#define WEB_TMPL_H

#include <jansson.h>
#include <stddef.h>
#include "core/buf.h"
#include "core/err.h"

#define TMPL_MAX_DEPTH 32       /* nested sections and partials */
#define TMPL_MAX_NODES 65536    /* per template */

struct tmpl;
struct tmpl_set;

/* Compile one template; errors name "name:line". */
enum rc tmpl_compile(struct tmpl **out, const char *name, const char *text, size_t len,
		     struct err *e) RC_MUST;
void tmpl_free(struct tmpl *t);

/* Every NAME.html of dir, compiled; a {{> partial}} naming no template of the
 * set is an error here, not at render time. */
enum rc tmpl_load_dir(struct tmpl_set **out, const char *dir, struct err *e) RC_MUST;
void tmpl_set_free(struct tmpl_set *s);

/* Render template `name` of the set with view as the outermost context.
 * A lone template (set NULL) may render without partials. */
enum rc tmpl_render(const struct tmpl_set *s, const char *name, json_t *view, struct buf *out,
		    struct err *e) RC_MUST;
enum rc tmpl_render_one(const struct tmpl *t, json_t *view, struct buf *out,
			struct err *e) RC_MUST;

/* HTML-escape len bytes into out (& < > " '). */
enum rc tmpl_escape(struct buf *out, const char *s, size_t len) RC_MUST;

#endif
