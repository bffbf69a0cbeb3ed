/*
 * profile.c - JSON to struct profile. Walks the object's keys (not the field
 * table) so an unknown key is caught; each key is looked up in field_table[]
 * and validated by its type. `scores` is a nested object whose keys are the
 * "scores.*" fields.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "profile/geo.h"
#include "profile/profile.h"

static int ids_slot(int f)
{
	return f == PF_COMPLETED ? 0 : 1;
}

static enum rc parse_number(const struct field *fd, json_t *v, double *out,
			    const char *path, struct err *e)
{
	double d;

	if (!json_is_number(v))
		return err_set(e, RC_BAD_INPUT, path, "must be a number");
	d = json_number_value(v);
	if (fd->type == FT_INT && (!json_is_integer(v) && d != floor(d)))
		return err_set(e, RC_BAD_INPUT, path, "must be a whole number");
	if (!isfinite(d) || d < fd->min || d > fd->max)
		return err_set(e, RC_BAD_INPUT, path, "must be from %g to %g, not %g",
			       fd->min, fd->max, d);
	*out = d;
	return RC_OK;
}

static enum rc vocab_error(const struct field *fd, const char *path, const char *got,
			   struct err *e)
{
	char list[512];

	field_vocab_list(fd->vocab, list, sizeof(list));
	return err_set(e, RC_BAD_INPUT, path, "'%.60s' is not one of: %s", got, list);
}

static enum rc parse_set(const struct field *fd, json_t *v, uint64_t *out,
			 const char *path, struct err *e)
{
	char item[160];
	size_t i;
	json_t *x;

	if (!json_is_array(v))
		return err_set(e, RC_BAD_INPUT, path, "must be a list of strings");
	*out = 0;
	json_array_foreach(v, i, x) {
		int k = json_is_string(x) ? field_vocab_index(fd->vocab, json_string_value(x),
							      json_string_length(x)) : -1;

		if (k >= 0) {
			*out |= (uint64_t)1 << k;
			continue;
		}
		/* the path is only spelled out on the way to an error */
		snprintf(item, sizeof(item), "%s[%zu]", path, i);
		if (!json_is_string(x))
			return err_set(e, RC_BAD_INPUT, item, "must be a string");
		return vocab_error(fd, item, json_string_value(x), e);
	}
	return RC_OK;
}

static enum rc parse_ids(struct profile_ids *ids, json_t *v, const char *path, struct err *e)
{
	char item[160];
	size_t i;
	json_t *x;

	if (!json_is_array(v))
		return err_set(e, RC_BAD_INPUT, path, "must be a list of strings");
	if (json_array_size(v) > 1000)
		return err_set(e, RC_BAD_INPUT, path, "has more than 1000 entries");
	ids->n = 0;
	ids->v = NULL;
	if (!json_array_size(v))
		return RC_OK;
	ids->v = malloc(json_array_size(v) * sizeof(*ids->v));
	if (!ids->v)
		return err_set(e, RC_NOMEM, path, "out of memory");
	json_array_foreach(v, i, x) {
		if (!json_is_string(x) || !json_string_length(x)) {
			snprintf(item, sizeof(item), "%s[%zu]", path, i);
			return err_set(e, RC_BAD_INPUT, item, "must be a non-empty string");
		}
		ids->v[ids->n++] = json_string_value(x);
	}
	return RC_OK;
}

static enum rc parse_field(struct profile *p, int f, json_t *v, struct err *e)
{
	const struct field *fd = &field_table[f];
	const char *path = fd->name;
	enum rc rc = RC_OK;
	int k;

	if (json_is_null(v))
		return RC_OK; /* null is the same as absent */
	switch (fd->type) {
	case FT_INT:
	case FT_NUM:
		rc = parse_number(fd, v, &p->v[f].num, path, e);
		break;
	case FT_ENUM:
		if (!json_is_string(v))
			return err_set(e, RC_BAD_INPUT, path, "must be a string");
		k = field_vocab_index(fd->vocab, json_string_value(v), json_string_length(v));
		if (k < 0)
			return vocab_error(fd, path, json_string_value(v), e);
		p->v[f].e = k;
		break;
	case FT_SET:
		rc = parse_set(fd, v, &p->v[f].set, path, e);
		break;
	case FT_TEXT:
		if (!json_is_string(v))
			return err_set(e, RC_BAD_INPUT, path, "must be a string");
		if (json_string_length(v) > 200)
			return err_set(e, RC_BAD_INPUT, path, "is longer than 200 characters");
		if (strlen(json_string_value(v)) != json_string_length(v))
			return err_set(e, RC_BAD_INPUT, path, "contains a NUL character");
		p->v[f].text = json_string_value(v);
		break;
	case FT_IDS:
		rc = parse_ids(&p->ids[ids_slot(f)], v, path, e);
		break;
	}
	if (rc == RC_OK)
		p->known |= (uint64_t)1 << f;
	return rc;
}

static enum rc parse_scores(struct profile *p, json_t *scores, struct err *e)
{
	char name[96];
	const char *key;
	json_t *v;
	int f;

	if (json_is_null(scores))
		return RC_OK;
	if (!json_is_object(scores))
		return err_set(e, RC_BAD_INPUT, "scores", "must be an object");
	memcpy(name, "scores.", 7);
	json_object_foreach(scores, key, v) {
		size_t n = strlen(key);

		f = -1;
		if (n + 8 <= sizeof(name)) {
			memcpy(name + 7, key, n + 1);
			f = field_lookup(name, n + 7);
		}
		if (f < 0)
			return err_set(e, RC_BAD_INPUT, "scores", "unknown score '%.60s'", key);
		if (parse_field(p, f, v, e))
			return e->rc;
	}
	return RC_OK;
}

enum rc profile_from_json(struct profile *p, json_t *obj, struct err *e)
{
	const char *key;
	json_t *v;
	int f;

	memset(p, 0, sizeof(*p));
	if (!json_is_object(obj))
		return err_set(e, RC_BAD_INPUT, "profile", "must be a JSON object");
	p->doc = json_incref(obj);
	json_object_foreach(obj, key, v) {
		if (!strcmp(key, "scores")) {
			if (parse_scores(p, v, e))
				return e->rc;
			continue;
		}
		f = field_lookup(key, strlen(key));
		if (f < 0 || !strncmp(key, "scores.", 7))
			return err_set(e, RC_BAD_INPUT, key, "is not a profile field");
		if (parse_field(p, f, v, e))
			return e->rc;
	}
	if (!PROFILE_KNOWN(p, PF_REGION) && PROFILE_KNOWN(p, PF_AREA)) {
		int r = geo_region_of_area(p->v[PF_AREA].text);

		if (r >= 0) {
			p->v[PF_REGION].e = r;
			p->known |= (uint64_t)1 << PF_REGION;
			p->region_inferred = 1;
		}
	}
	return RC_OK;
}

enum rc profile_parse(struct profile *p, const char *text, size_t len, struct err *e)
{
	json_error_t je;
	json_t *obj;
	enum rc rc;

	memset(p, 0, sizeof(*p));
	obj = json_loadb(text, len, JSON_REJECT_DUPLICATES, &je);
	if (!obj) {
		char where[64];

		snprintf(where, sizeof(where), "column %d", je.column);
		return err_set(e, RC_BAD_INPUT, where, "malformed JSON: %s", je.text);
	}
	rc = profile_from_json(p, obj, e);
	json_decref(obj);
	return rc;
}

void profile_clear(struct profile *p)
{
	free(p->ids[0].v);
	free(p->ids[1].v);
	json_decref(p->doc);
	memset(p, 0, sizeof(*p));
}

const char *profile_id(const struct profile *p)
{
	return PROFILE_KNOWN(p, PF_ID) ? p->v[PF_ID].text : "";
}

const struct profile_ids *profile_ids(const struct profile *p, int field)
{
	return &p->ids[ids_slot(field)];
}
