/*
 * fuzz_profile.c - libFuzzer target for the profile parser: any bytes are a
 * valid profile or a RC_BAD_INPUT naming a field or column, never a crash.
 */
#include <assert.h>
#include <stdint.h>
#include "profile/profile.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct profile p;
	struct err e = ERR_INIT;

	if (profile_parse(&p, (const char *)data, size, &e))
		assert(e.rc == RC_BAD_INPUT || e.rc == RC_NOMEM);
	profile_clear(&p);
	return 0;
}
