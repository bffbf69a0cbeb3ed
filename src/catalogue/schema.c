/*
 * schema.c - the key tables. Each table ends with a NULL name.
 */
#include <stddef.h>
#include "catalogue/schema.h"
#include "profile/field.h"

const char *const schema_routes[] = {
	"nsi", "requirement_transfer", "court_requirement", "structured_intervention",
	"toolkit", "commissioned", "other", NULL
};
const char *const schema_delivery_modes[] = {
	"group", "one_to_one", "face_to_face", "telephone", "online", "community",
	"custody", "residential", "drop_in", NULL
};
const char *const schema_level_kinds[] = {
	"assessment", "intensity", "complexity", "level", "unit", NULL
};
static const char *const custody_values[] = { "only", "also", "never", NULL };
static const char *const charge_kinds[] = {
	"cancellation", "minimum", "hourly", "block", "other", NULL
};
static const char *const price_units[] = {
	"session", "hour", "place", "block", "service", NULL
};

static const struct schema_key criterion_keys[] = {
	{ "text", ST_STR, 1, NULL, NULL },
	{ "rule", ST_RULE, 1, NULL, NULL },
	{ "note", ST_STR, 0, NULL, NULL },
	{ NULL, 0, 0, NULL, NULL }
};

static const struct schema_key duration_keys[] = {
	{ "text", ST_STR_LIST, 1, NULL, NULL },
	{ "sessions", ST_NUM, 0, NULL, NULL },
	{ "hours", ST_NUM, 0, NULL, NULL },
	{ "weeks", ST_NUM, 0, NULL, NULL },
	{ "months", ST_NUM, 0, NULL, NULL },
	{ NULL, 0, 0, NULL, NULL }
};

static const struct schema_key delivery_keys[] = {
	{ "text", ST_STR_LIST, 0, NULL, NULL },
	{ "modes", ST_ENUM_LIST, 0, NULL, schema_delivery_modes },
	{ NULL, 0, 0, NULL, NULL }
};

static const struct schema_key availability_keys[] = {
	{ "text", ST_STR, 0, NULL, NULL },
	{ "regions", ST_ENUM_LIST, 0, NULL, field_regions },
	{ "areas", ST_STR_LIST, 0, NULL, NULL },
	{ "prisons", ST_STR_LIST, 0, NULL, NULL },
	{ "custody", ST_ENUM, 0, NULL, custody_values },
	{ NULL, 0, 0, NULL, NULL }
};

static const struct schema_key nsi_keys[] = {
	{ "category", ST_STR, 1, NULL, NULL },
	{ "subtypes", ST_STR_LIST, 0, NULL, NULL },
	{ "notes", ST_STR, 0, NULL, NULL },
	{ NULL, 0, 0, NULL, NULL }
};

static const struct schema_key transfer_keys[] = {
	{ "team", ST_STR, 0, NULL, NULL },
	{ "text", ST_STR, 0, NULL, NULL },
	{ NULL, 0, 0, NULL, NULL }
};

static const struct schema_key level_keys[] = {
	{ "name", ST_STR, 1, NULL, NULL },
	{ "kind", ST_ENUM, 1, NULL, schema_level_kinds },
	{ "hours", ST_NUM, 0, NULL, NULL },
	{ "up_to", ST_BOOL, 0, NULL, NULL },
	{ "sessions", ST_NUM, 0, NULL, NULL },
	{ "weeks", ST_NUM, 0, NULL, NULL },
	{ "text", ST_STR, 0, NULL, NULL },
	{ "nsi_subtype", ST_STR, 0, NULL, NULL },
	{ NULL, 0, 0, NULL, NULL }
};

static const struct schema_key msrp_keys[] = {
	{ "routeway", ST_STR, 1, NULL, NULL },
	{ "modules", ST_INT, 0, NULL, NULL },
	{ "sessions", ST_INT, 0, NULL, NULL },
	{ "session_minutes", ST_NUM, 0, NULL, NULL },
	{ NULL, 0, 0, NULL, NULL }
};

static const struct schema_key ref_keys[] = {
	{ "service", ST_SERVICE_REF, 1, NULL, NULL },
	{ "text", ST_STR, 0, NULL, NULL },
	{ NULL, 0, 0, NULL, NULL }
};

static const struct schema_key charge_keys[] = {
	{ "kind", ST_ENUM, 1, NULL, charge_kinds },
	{ "text", ST_STR, 1, NULL, NULL },
	{ "amount_pence", ST_INT, 0, NULL, NULL },
	{ "trigger", ST_STR, 0, NULL, NULL },
	{ NULL, 0, 0, NULL, NULL }
};

static const struct schema_key price_keys[] = {
	{ "unit", ST_ENUM, 1, NULL, price_units },
	{ "pence", ST_INT, 1, NULL, NULL },
	{ "valid_from", ST_DATE, 1, NULL, NULL },
	{ "valid_to", ST_DATE, 0, NULL, NULL },
	{ "level", ST_STR, 0, NULL, NULL },
	{ NULL, 0, 0, NULL, NULL }
};

static const struct schema_key service_keys[] = {
	{ "id", ST_ID, 1, NULL, NULL },
	{ "name", ST_STR, 1, NULL, NULL },
	{ "section", ST_STR, 1, NULL, NULL },
	{ "route", ST_ENUM, 1, NULL, schema_routes },
	{ "needs", ST_ENUM_LIST, 0, NULL, field_needs },
	{ "source", ST_SOURCE, 1, NULL, NULL },
	{ "description", ST_STR, 1, NULL, NULL },
	{ "duration", ST_MAP, 0, duration_keys, NULL },
	{ "delivery", ST_MAP, 0, delivery_keys, NULL },
	{ "availability", ST_MAP, 0, availability_keys, NULL },
	{ "eligibility", ST_MAP_LIST, 1, criterion_keys, NULL },
	{ "not_suitable", ST_MAP_LIST, 1, criterion_keys, NULL },
	{ "aims", ST_STR_LIST, 0, NULL, NULL },
	{ "nsi", ST_MAP, 0, nsi_keys, NULL },
	{ "transfer", ST_MAP, 0, transfer_keys, NULL },
	{ "how_to_request", ST_STR, 0, NULL, NULL },
	{ "levels", ST_MAP_LIST, 0, level_keys, NULL },
	{ "msrp", ST_MAP, 0, msrp_keys, NULL },
	{ "requires", ST_MAP_LIST, 0, ref_keys, NULL },
	{ "recommends", ST_MAP_LIST, 0, ref_keys, NULL },
	{ "charges", ST_MAP_LIST, 0, charge_keys, NULL },
	{ "prices", ST_MAP_LIST, 0, price_keys, NULL },
	{ "notes", ST_STR, 0, NULL, NULL },
	{ NULL, 0, 0, NULL, NULL }
};

static const struct schema_key provider_keys[] = {
	{ "id", ST_ID, 1, NULL, NULL },
	{ "name", ST_STR, 1, NULL, NULL },
	{ "full_name", ST_STR, 0, NULL, NULL },
	{ "regions", ST_ENUM_LIST, 1, NULL, field_regions },
	{ "areas", ST_STR_LIST, 0, NULL, NULL },
	{ "contact", ST_STR, 0, NULL, NULL },
	{ "description", ST_STR, 0, NULL, NULL },
	{ "nsi_process", ST_STR, 0, NULL, NULL },
	{ "notes", ST_STR, 0, NULL, NULL },
	{ "source", ST_SOURCE, 1, NULL, NULL },
	{ NULL, 0, 0, NULL, NULL }
};

const struct schema_key schema_file[] = {
	{ "provider", ST_MAP, 1, provider_keys, NULL },
	{ "services", ST_MAP_LIST, 1, service_keys, NULL },
	{ NULL, 0, 0, NULL, NULL }
};
