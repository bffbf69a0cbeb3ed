/*
 * geo.c - a small table of counties, unitary authorities and cities to
 * probation regions. It covers the places the seed brochures name and the
 * other common county names; an area not listed is simply not inferred, and
 * a listed name only matches itself or itself with a compass qualifier.
 */
#include <ctype.h>
#include <string.h>
#include <strings.h>
#include "profile/field.h"
#include "profile/geo.h"

static const struct {
	const char *area;
	const char *region;
} geo_table[] = {
	{ "Kent", "Kent, Surrey and Sussex" }, { "Surrey", "Kent, Surrey and Sussex" },
	{ "Sussex", "Kent, Surrey and Sussex" }, { "Medway", "Kent, Surrey and Sussex" },
	{ "Brighton", "Kent, Surrey and Sussex" },
	{ "Essex", "East of England" }, { "Southend", "East of England" },
	{ "Southend-on-Sea", "East of England" }, { "Thurrock", "East of England" },
	{ "Suffolk", "East of England" },
	{ "Norfolk", "East of England" }, { "Cambridgeshire", "East of England" },
	{ "Peterborough", "East of England" }, { "Hertfordshire", "East of England" },
	{ "Bedfordshire", "East of England" }, { "Luton", "East of England" },
	{ "Lancashire", "North West" }, { "Cumbria", "North West" },
	{ "Merseyside", "North West" }, { "Liverpool", "North West" },
	{ "Cheshire", "North West" }, { "Blackpool", "North West" },
	{ "Blackburn", "North West" }, { "Preston", "North West" },
	{ "Carlisle", "North West" }, { "Warrington", "North West" },
	{ "Greater Manchester", "Greater Manchester" }, { "Manchester", "Greater Manchester" },
	{ "Bolton", "Greater Manchester" }, { "Bury", "Greater Manchester" },
	{ "Oldham", "Greater Manchester" }, { "Rochdale", "Greater Manchester" },
	{ "Salford", "Greater Manchester" }, { "Stockport", "Greater Manchester" },
	{ "Tameside", "Greater Manchester" }, { "Trafford", "Greater Manchester" },
	{ "Wigan", "Greater Manchester" },
	{ "London", "London" },
	{ "Northumberland", "North East" }, { "Durham", "North East" },
	{ "Tyne and Wear", "North East" }, { "Newcastle", "North East" },
	{ "Sunderland", "North East" }, { "Teesside", "North East" },
	{ "Cleveland", "North East" }, { "Middlesbrough", "North East" },
	{ "Yorkshire", "Yorkshire and the Humber" }, { "Humberside", "Yorkshire and the Humber" },
	{ "Leeds", "Yorkshire and the Humber" }, { "Sheffield", "Yorkshire and the Humber" },
	{ "Derbyshire", "East Midlands" }, { "Nottinghamshire", "East Midlands" },
	{ "Leicestershire", "East Midlands" }, { "Lincolnshire", "East Midlands" },
	{ "Northamptonshire", "East Midlands" },
	{ "Birmingham", "West Midlands" }, { "Staffordshire", "West Midlands" },
	{ "Warwickshire", "West Midlands" }, { "West Mercia", "West Midlands" },
	{ "Worcestershire", "West Midlands" }, { "Shropshire", "West Midlands" },
	{ "Devon", "South West" }, { "Cornwall", "South West" }, { "Dorset", "South West" },
	{ "Somerset", "South West" }, { "Bristol", "South West" },
	{ "Gloucestershire", "South West" }, { "Wiltshire", "South West" },
	{ "Hampshire", "South Central" }, { "Thames Valley", "South Central" },
	{ "Oxfordshire", "South Central" }, { "Berkshire", "South Central" },
	{ "Buckinghamshire", "South Central" }, { "Isle of Wight", "South Central" },
	{ "Wales", "Wales" }, { "Cardiff", "Wales" }, { "Swansea", "Wales" },
	{ "Gwent", "Wales" }, { "Dyfed", "Wales" }, { "Powys", "Wales" },
};

static const char *skip_prison_prefix(const char *s)
{
	static const char *const prefixes[] = { "hm prison ", "hmp/yoi ", "hmyoi ", "hmp ", NULL };

	while (isspace((unsigned char)*s))
		s++;
	if ((*s | 0x20) != 'h')
		return s; /* every prefix starts with "hm" */
	for (int i = 0; prefixes[i]; i++)
		if (!strncasecmp(s, prefixes[i], strlen(prefixes[i])))
			return s + strlen(prefixes[i]);
	return s;
}

/* Is text the place name itself, or the name with a compass or "Greater"
 * qualifier ("West Sussex", "South Yorkshire", "East London")? Anything
 * longer ("Bury St Edmunds", "Newcastle-under-Lyme") is another place. */
static int names_place(const char *text, const char *place)
{
	static const char *const qualifiers[] = {
		"north ", "south ", "east ", "west ", "greater ", "mid ", "inner ", "outer ", NULL
	};

	if (!strcasecmp(text, place))
		return 1;
	for (int i = 0; qualifiers[i]; i++) {
		size_t n = strlen(qualifiers[i]);

		if (!strncasecmp(text, qualifiers[i], n))
			return !strcasecmp(text + n, place);
	}
	return 0;
}

int geo_place_matches(const char *profile_text, const char *catalogue_text)
{
	const char *p = skip_prison_prefix(profile_text);
	const char *c = skip_prison_prefix(catalogue_text);

	return names_place(p, c);
}

int geo_region_of_area(const char *area)
{
	for (size_t i = 0; i < sizeof(geo_table) / sizeof(geo_table[0]); i++)
		if (geo_place_matches(area, geo_table[i].area))
			return field_vocab_index(field_regions, geo_table[i].region,
						 strlen(geo_table[i].region));
	return -1;
}
