/*
 * eligibility.h - a profile against a service: each criterion's outcome and
 * the service's status, by the rules of ../shared/spec/profile.md.
 *
 * Status precedence: ineligible > unsuitable > unknown > eligible. An
 * eligibility criterion not met makes the person ineligible; a not-suitable
 * criterion met makes them unsuitable; any criterion undecided (unknown or
 * judgement) leaves the service unknown.
 *
 * All functions are pure over read-only inputs and safe from many threads.
 */
#ifndef ENGINE_ELIGIBILITY_H
#define ENGINE_ELIGIBILITY_H

#include <stdint.h>
#include "catalogue/catalogue.h"
#include "core/buf.h"
#include "profile/profile.h"
#include "rules/truth.h"

enum elig_status { ES_ELIGIBLE, ES_INELIGIBLE, ES_UNSUITABLE, ES_UNKNOWN };

/* "eligible", "ineligible", "unsuitable", "unknown". */
const char *elig_status_name(enum elig_status st);

/* One criterion's outcome (builtins included). */
enum truth elig_criterion(const struct service *s, const struct criterion *c,
			  const struct profile *p);

/* The service's status. With outcomes (s->ncrit entries) every criterion is
 * evaluated and recorded; with NULL, evaluation stops at the first eligibility
 * criterion not met, which is what a caseload screen needs. */
enum elig_status elig_check(const struct service *s, const struct profile *p,
			    uint8_t *outcomes);

/* Append one result object: {"service", "provider", "name", "status",
 * "criteria": [{"kind", "text", "outcome"}...]}. */
enum rc elig_write_result(struct buf *b, const struct service *s, const struct profile *p) RC_MUST;

/* Append `"eligible":[ids],"unknown":[ids]` over the n services. */
enum rc elig_write_brief(struct buf *b, const struct service *const *svcs, size_t n,
			 const struct profile *p) RC_MUST;

#endif
