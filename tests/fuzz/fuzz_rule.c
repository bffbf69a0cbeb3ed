/*
 * fuzz_rule.c - libFuzzer target for the rule lexer, parser and compiler:
 * any bytes either compile or fail with a message naming a column; a program
 * that compiles must evaluate against a few profiles without tripping the
 * sanitizers or the evaluator's assertions.
 */
#include <assert.h>
#include <stdint.h>
#include <string.h>
#include "profile/profile.h"
#include "rules/compile.h"
#include "rules/eval.h"

static const char *const profiles[] = {
	"{}",
	("{\"age\": 30, \"sex\": \"male\", \"region\": \"London\", \"offences\": [\"violence\"],"
	 " \"flags\": [], \"completed\": [\"a/b\"], \"scores\": {\"ovp\": 40, \"sara\": \"high\"}}"),
	"{\"area\": \"Kent\", \"prison\": \"HMP Maidstone\", \"needs\": [], \"requirements\": []}",
};

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct rule_program *prog;
	struct err e = ERR_INIT;

	if (rule_compile((const char *)data, size, &prog, &e)) {
		assert(e.msg[0]);
		return 0;
	}
	for (size_t i = 0; i < sizeof(profiles) / sizeof(profiles[0]); i++) {
		struct profile p;
		struct err pe = ERR_INIT;
		enum truth t;

		if (profile_parse(&p, profiles[i], strlen(profiles[i]), &pe))
			__builtin_trap();
		t = rule_eval(prog, &p);
		assert(t <= TV_JUDGEMENT);
		profile_clear(&p);
	}
	rule_program_free(prog);
	return 0;
}
