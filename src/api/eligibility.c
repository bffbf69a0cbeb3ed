/*
 * eligibility.c - POST /api/v1/eligibility: one profile against every
 * active service, or the ones named, in the same shape as
 * `ratecard eligible --json`. No personal data is stored or logged.
 */
#include <stdlib.h>
#include <string.h>
#include "api/app.h"
#include "engine/eligibility.h"

void api_eligibility(void *app, struct request *r)
{
	struct app *a = app;
	struct err e = ERR_INIT;
	json_t *body = http_body_json(r), *profile, *services, *x;
	struct cathandle *h = NULL;
	struct profile p = { 0 };
	const struct service **v = NULL;
	const char *key;
	size_t n = 0, i;
	enum rc rc;

	if (!body)
		return;
	json_object_foreach(body, key, x) {
		if (strcmp(key, "profile") && strcmp(key, "services")) {
			http_error(r, 400, "bad_input", key, "is not a field of an eligibility request");
			goto out;
		}
	}
	profile = json_object_get(body, "profile");
	services = json_object_get(body, "services");
	if (!profile) {
		http_error(r, 400, "bad_input", "profile", "is required");
		goto out;
	}
	if (services && !json_is_array(services)) {
		http_error(r, 400, "bad_input", "services", "must be a list of service ids");
		goto out;
	}
	if (profile_from_json(&p, profile, &e)) {
		err_prefix_field(&e, "profile");
		http_fail(r, &e);
		goto out;
	}
	if (!(h = app_catalogue(a, &e))) {
		http_fail(r, &e);
		goto out;
	}
	v = malloc((h->cat.nservices + json_array_size(services) + 1) * sizeof(*v));
	if (!v) {
		http_error(r, 500, "internal", "", "out of memory");
		goto out;
	}
	if (services) {
		json_array_foreach(services, i, x) {
			const struct service *s = json_is_string(x) ? catalogue_find(&h->cat, json_string_value(x)) : NULL;

			if (!s) {
				http_error(r, 400, "bad_input", "services", "item %zu is not a service id in the catalogue", i);
				goto out;
			}
			v[n++] = s;
		}
	} else {
		for (i = 0; i < h->cat.nservices; i++)
			if (!h->cat.services[i].suspended)
				v[n++] = &h->cat.services[i];
	}
	rc = buf_adds(&r->out, "{\"profile\":{");
	if (!rc && PROFILE_KNOWN(&p, PF_ID) && !(rc = buf_adds(&r->out, "\"id\":")))
		rc = buf_add_json_str(&r->out, profile_id(&p));
	if (!rc)
		rc = buf_adds(&r->out, "},\"results\":[");
	for (i = 0; !rc && i < n; i++)
		if (!(rc = buf_adds(&r->out, i ? "," : "")))
			rc = elig_write_result(&r->out, v[i], &p);
	if (!rc)
		rc = buf_adds(&r->out, "]}");
	if (rc)
		http_error(r, 500, "internal", "", "could not build the answer");
	else
		http_raw(r, 200);
out:
	free(v);
	cathandle_put(h);
	profile_clear(&p);
	json_decref(body);
}
