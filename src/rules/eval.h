/*
 * eval.h - run a compiled rule against a profile.
 *
 * Pure and thread-safe: reads the program and the profile, writes nothing but
 * its small stack. This is the hot loop of `ratecard screen`.
 */
#ifndef RULES_EVAL_H
#define RULES_EVAL_H

#include "profile/profile.h"
#include "rules/compile.h"
#include "rules/truth.h"

enum truth rule_eval(const struct rule_program *p, const struct profile *pr);

#endif
