/*
 * check.c - check eligibility: the profile form and the results. (Being
 * written: answers "not found" until then.)
 */
#include "web/web.h"

void web_eligibility_form(void *app, struct request *r)
{
	web_page_error(app, r, 404, "This page is not ready yet.");
}

void web_eligibility(void *app, struct request *r)
{
	web_page_error(app, r, 404, "This page is not ready yet.");
}

void web_people(void *app, struct request *r)
{
	web_page_error(app, r, 404, "This page is not ready yet.");
}

void web_person(void *app, struct request *r)
{
	web_page_error(app, r, 404, "This page is not ready yet.");
}
