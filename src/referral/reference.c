/*
 * reference.c - random references from libsodium's generator. Uniqueness
 * is the store's job (a unique index); the caller draws again on a clash,
 * which at 23^2 * 8^4 * 14 possibilities per need is rare.
 */
#include <sodium.h>
#include <stdio.h>
#include <string.h>
#include "referral/reference.h"

static const char letters[] = "ABCDEFGHJKLMNPQRSTUVWXYZ"; /* no I, O */
static const char digits[] = "23456789";                  /* no 0, 1 */

static const struct {
	const char *need, *code;
} need_codes[] = {
	{ "accommodation", "AC" }, { "ete", "ET" }, { "finance", "FB" },
	{ "relationships", "RL" }, { "family", "FM" }, { "alcohol", "AL" },
	{ "drugs", "DR" }, { "mental_health", "MH" }, { "physical_health", "PH" },
	{ "thinking_behaviour", "TB" }, { "attitudes", "AT" }, { "lifestyle", "LS" },
	{ "emotional_wellbeing", "EW" }, { "maturity", "MA" },
};

void reference_new(char out[REFERENCE_LEN], const char *need)
{
	const char *code = "GN"; /* general: the service names no need */

	for (size_t i = 0; need && i < sizeof(need_codes) / sizeof(need_codes[0]); i++)
		if (!strcmp(need_codes[i].need, need))
			code = need_codes[i].code;
	out[0] = letters[randombytes_uniform(sizeof(letters) - 1)];
	out[1] = letters[randombytes_uniform(sizeof(letters) - 1)];
	for (int i = 2; i < 6; i++)
		out[i] = digits[randombytes_uniform(sizeof(digits) - 1)];
	out[6] = code[0];
	out[7] = code[1];
	out[8] = '\0';
}

int reference_valid(const char *s)
{
	if (strlen(s) != 8)
		return 0;
	for (int i = 0; i < 8; i++) {
		int digit = i >= 2 && i < 6;

		if (!strchr(digit ? digits : letters, s[i]) || !s[i])
			return 0;
	}
	return 1;
}

void reference_urn(char out[URN_LEN])
{
	unsigned char b[16];

	randombytes_buf(b, sizeof(b));
	b[6] = (unsigned char)((b[6] & 0x0f) | 0x40); /* version 4 */
	b[8] = (unsigned char)((b[8] & 0x3f) | 0x80); /* variant */
	snprintf(out, URN_LEN,
		 "urn:uuid:%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x",
		 b[0], b[1], b[2], b[3], b[4], b[5], b[6], b[7], b[8], b[9], b[10], b[11], b[12],
		 b[13], b[14], b[15]);
}
