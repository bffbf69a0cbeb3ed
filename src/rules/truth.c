/*
 * truth.c - the truth tables, written out so tests can check them cell by
 * cell against the rule stated in truth.h.
 */
#include "rules/truth.h"

#define F TV_FALSE
#define T TV_TRUE
#define U TV_UNKNOWN
#define J TV_JUDGEMENT

const uint8_t truth_and_table[4][4] = {
	/*        F  T  U  J */
	/* F */ { F, F, F, F },
	/* T */ { F, T, U, J },
	/* U */ { F, U, U, U },
	/* J */ { F, J, U, J },
};

const uint8_t truth_or_table[4][4] = {
	/*        F  T  U  J */
	/* F */ { F, T, U, J },
	/* T */ { T, T, T, T },
	/* U */ { U, T, U, U },
	/* J */ { J, T, U, J },
};

const char *truth_outcome_name(enum truth t)
{
	static const char *const names[] = { "not_met", "met", "unknown", "judgement" };

	return names[t & 3];
}
