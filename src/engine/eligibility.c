/*
 * eligibility.c - criterion outcomes and service status. The builtin
 * criteria (where a service is offered, custody or community) are decided
 * here rather than in the rule language because they read the service's
 * availability, not a rule, and need the region-from-area inference of geo.h.
 */
#include <string.h>
#include "engine/eligibility.h"
#include "profile/geo.h"
#include "rules/eval.h"

const char *elig_status_name(enum elig_status st)
{
	static const char *const names[] = { "eligible", "ineligible", "unsuitable", "unknown" };

	return names[st];
}

static int in_custody_known(const struct profile *p, int *custody)
{
	if (PROFILE_KNOWN(p, PF_PRISON) || PROFILE_KNOWN(p, PF_WEEKS_TO_RELEASE)) {
		*custody = 1;
		return 1;
	}
	if (PROFILE_KNOWN(p, PF_SENTENCE)) {
		*custody = !strcmp(field_table[PF_SENTENCE].vocab[p->v[PF_SENTENCE].e], "custody");
		return 1;
	}
	return 0;
}

static enum truth location_prisons(const struct availability *av, const struct profile *p)
{
	int custody;

	if (PROFILE_KNOWN(p, PF_PRISON)) {
		for (size_t i = 0; i < av->nprisons; i++)
			if (geo_place_matches(p->v[PF_PRISON].text, av->prisons[i]))
				return TV_TRUE;
		return TV_FALSE;
	}
	if (in_custody_known(p, &custody) && !custody)
		return TV_FALSE;
	return TV_UNKNOWN;
}

static enum truth location_areas(const struct availability *av, const struct profile *p)
{
	if (PROFILE_KNOWN(p, PF_REGION) && av->regions && !(av->regions >> p->v[PF_REGION].e & 1))
		return TV_FALSE;
	if (!av->nareas)
		return PROFILE_KNOWN(p, PF_REGION) ? TV_TRUE : TV_UNKNOWN;
	if (PROFILE_KNOWN(p, PF_AREA)) {
		for (size_t i = 0; i < av->nareas; i++)
			if (geo_place_matches(p->v[PF_AREA].text, av->areas[i]))
				return TV_TRUE;
		return TV_FALSE;
	}
	if (PROFILE_KNOWN(p, PF_REGION)) {
		for (size_t i = 0; i < av->nareas; i++) {
			int r = geo_region_of_area(av->areas[i]);

			if (r < 0 || r == p->v[PF_REGION].e)
				return TV_UNKNOWN;
		}
		return TV_FALSE;
	}
	return TV_UNKNOWN;
}

enum truth elig_criterion(const struct service *s, const struct criterion *c,
			  const struct profile *p)
{
	int custody;

	switch (c->builtin) {
	case BUILTIN_LOCATION:
		return s->avail.nprisons ? location_prisons(&s->avail, p) : location_areas(&s->avail, p);
	case BUILTIN_CUSTODY:
		if (!in_custody_known(p, &custody))
			return TV_UNKNOWN;
		return (s->avail.custody == CUSTODY_ONLY) == (custody != 0) ? TV_TRUE : TV_FALSE;
	default:
		return rule_eval(c->prog, p);
	}
}

enum elig_status elig_check(const struct service *s, const struct profile *p, uint8_t *outcomes)
{
	int ineligible = 0, unsuitable = 0, undecided = 0;

	for (size_t i = 0; i < s->ncrit; i++) {
		const struct criterion *c = &s->crit[i];
		enum truth t = elig_criterion(s, c, p);

		if (outcomes)
			outcomes[i] = (uint8_t)t;
		if (t >= TV_UNKNOWN) {
			undecided = 1;
		} else if (c->kind == CRIT_ELIGIBILITY && t == TV_FALSE) {
			ineligible = 1;
			if (!outcomes)
				return ES_INELIGIBLE;
		} else if (c->kind == CRIT_NOT_SUITABLE && t == TV_TRUE) {
			unsuitable = 1;
		}
	}
	return ineligible ? ES_INELIGIBLE : unsuitable ? ES_UNSUITABLE
		: undecided ? ES_UNKNOWN : ES_ELIGIBLE;
}

enum rc elig_write_result(struct buf *b, const struct service *s, const struct profile *p)
{
	uint8_t outcomes[CATALOGUE_MAX_CRITERIA];
	enum elig_status st;
	enum rc rc;

	st = elig_check(s, p, outcomes);
	if ((rc = buf_adds(b, s->result_head)) ||
	    (rc = buf_addf(b, "\"status\":\"%s\",\"criteria\":[", elig_status_name(st))))
		return rc;
	for (size_t i = 0; i < s->ncrit; i++) {
		if ((rc = buf_adds(b, i ? "," : "")) || (rc = buf_adds(b, s->crit[i].json)) ||
		    (rc = buf_adds(b, truth_outcome_name((enum truth)outcomes[i]))) ||
		    (rc = buf_adds(b, "\"}")))
			return rc;
	}
	return buf_adds(b, "]}");
}

enum rc elig_write_brief(struct buf *b, const struct service *const *svcs, size_t n,
			 const struct profile *p)
{
	/* One pass: eligible ids go straight out; unknown ones wait in a small
	 * list so no service is checked twice. */
	const struct service *unknown[CATALOGUE_MAX_SERVICES];
	size_t nunknown = 0, neligible = 0;
	enum rc rc;

	if (n > CATALOGUE_MAX_SERVICES)
		return RC_INTERNAL;
	if ((rc = buf_adds(b, "\"eligible\":[")))
		return rc;
	for (size_t i = 0; i < n; i++) {
		enum elig_status st = elig_check(svcs[i], p, NULL);

		if (st == ES_ELIGIBLE) {
			if ((rc = buf_adds(b, neligible++ ? "," : "")) || (rc = buf_adds(b, svcs[i]->json_id)))
				return rc;
		} else if (st == ES_UNKNOWN) {
			unknown[nunknown++] = svcs[i];
		}
	}
	if ((rc = buf_adds(b, "],\"unknown\":[")))
		return rc;
	for (size_t i = 0; i < nunknown; i++)
		if ((rc = buf_adds(b, i ? "," : "")) || (rc = buf_adds(b, unknown[i]->json_id)))
			return rc;
	return buf_addch(b, ']');
}
