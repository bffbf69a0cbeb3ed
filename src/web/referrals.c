/*
 * referrals.c - making, listing and working referrals. (Being written:
 * answers "not found" until then.)
 */
#include "web/web.h"

#define NOT_READY(fn) \
	void fn(void *app, struct request *r) { web_page_error(app, r, 404, "This page is not ready yet."); }

NOT_READY(web_referral_new)
NOT_READY(web_referral_start)
NOT_READY(web_referral_details_form)
NOT_READY(web_referral_details)
NOT_READY(web_referral_check)
NOT_READY(web_referral_send)
NOT_READY(web_referral_sent)
NOT_READY(web_referrals)
NOT_READY(web_referral)
NOT_READY(web_referral_action_form)
NOT_READY(web_referral_action)
NOT_READY(web_referral_note)
NOT_READY(web_referral_allocate)
