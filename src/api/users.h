/*
 * users.h - creating an account, shared by `ratecard user add` and
 * POST /api/v1/users so both check the same things the same way.
 */
#ifndef API_USERS_H
#define API_USERS_H

#include "catalogue/catalogue.h"
#include "store/store.h"

struct user_spec {
	const char *username, *password, *role, *provider, *team;
};

/* Validate spec (username shape, password length, role, the provider
 * exists for provider users), hash the password
 * and add the user. Errors name the field. */
enum rc users_add(struct store *s, const struct catalogue *cat, const struct user_spec *spec,
		  struct user *out, struct err *e) RC_MUST;

#endif
