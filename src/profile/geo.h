/*
 * geo.h - which probation region a county or local area lies in, so a profile
 * that names only its area ("Kent") still matches a service limited to a
 * region, and a person in "Lancashire" is known to be outside Essex.
 */
#ifndef PROFILE_GEO_H
#define PROFILE_GEO_H

#include <stddef.h>

/* Index into field_regions of the region holding `area` (matched as
 * geo_place_matches() does: "East Sussex" finds Sussex), or -1 when the area
 * is not in the table. */
int geo_region_of_area(const char *area);

/* Case-insensitive match of a profile's free-text place against a catalogue
 * place: equal, or equal after a compass or "Greater" qualifier ("West
 * Sussex" matches "Sussex"; "Bury St Edmunds" does not match "Bury").
 * Leading "HMP ", "HMYOI ", "HMP/YOI " and "HM Prison " are ignored on both
 * sides so "Maidstone" matches "HMP Maidstone". */
int geo_place_matches(const char *profile_text, const char *catalogue_text);

#endif
