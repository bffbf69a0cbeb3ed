/*
 * reference.h - the identifiers a referral carries besides its number:
 * a human-friendly reference ("KX4827AC": two letters, four digits, two
 * letters for the need area, with I, O, 0 and 1 left out so it can be read
 * over the telephone) and a stable external URN (urn:uuid:..., random).
 */
#ifndef REFERRAL_REFERENCE_H
#define REFERRAL_REFERENCE_H

#include <stdint.h>

#define REFERENCE_LEN 9   /* 8 characters + NUL */
#define URN_LEN 46        /* "urn:uuid:" + 36 + NUL */

/* need: a profile.md need area (or NULL) picks the two-letter suffix. */
void reference_new(char out[REFERENCE_LEN], const char *need);

/* 1 when s has the shape of a reference (used to look referrals up by it). */
int reference_valid(const char *s);

void reference_urn(char out[URN_LEN]);

#endif
