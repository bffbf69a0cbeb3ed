/*
 * users.c - account creation rules in one place.
 */
#include <ctype.h>
#include <stdio.h>
#include <string.h>
#include "api/users.h"
#include "http/auth.h"

static int valid_username(const char *u)
{
	size_t n = strlen(u);

	if (n < 2 || n > 63)
		return 0;
	for (; *u; u++)
		if (!(isalnum((unsigned char)*u) || *u == '.' || *u == '_' || *u == '-' || *u == '@'))
			return 0;
	return 1;
}

enum rc users_add(struct store *s, const struct catalogue *cat, const struct user_spec *spec,
		  struct user *out, struct err *e)
{
	const struct provider *p = NULL;
	const char *problem;
	int role;

	memset(out, 0, sizeof(*out));
	if (!spec->username || !valid_username(spec->username))
		return err_set(e, RC_BAD_INPUT, "username",
			       "must be 2 to 63 letters, digits or . _ - @");
	if (!spec->password)
		return err_set(e, RC_BAD_INPUT, "password", "is required");
	if ((problem = auth_password_problem(spec->password)))
		return err_set(e, RC_BAD_INPUT, "password", "%s", problem);
	if (!spec->role || (role = role_parse(spec->role)) < 0)
		return err_set(e, RC_BAD_INPUT, "role",
			       "must be one of: practitioner, provider, commissioner, court, finance, admin");
	if (role == ROLE_PROVIDER) {
		if (!spec->provider || !*spec->provider)
			return err_set(e, RC_BAD_INPUT, "provider", "a provider user needs --provider");
		if (!(p = catalogue_find_provider(cat, spec->provider)))
			return err_set(e, RC_BAD_INPUT, "provider", "'%s' is not a provider in the catalogue",
				       spec->provider);
	} else if (spec->provider && *spec->provider) {
		return err_set(e, RC_BAD_INPUT, "provider", "only provider users belong to a provider");
	}
	if (spec->team && strlen(spec->team) >= sizeof(out->team))
		return err_set(e, RC_BAD_INPUT, "team", "is too long");
	snprintf(out->username, sizeof(out->username), "%s", spec->username);
	out->role = (enum role)role;
	snprintf(out->provider, sizeof(out->provider), "%s", p ? p->id : "");
	snprintf(out->team, sizeof(out->team), "%s", spec->team ? spec->team : "");
	if (auth_hash_password(spec->password, out->pwhash, sizeof(out->pwhash), e))
		return e->rc;
	return s->ops->user_add(s, out, e);
}
