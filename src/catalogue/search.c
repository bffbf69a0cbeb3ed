/*
 * search.c - a linear scan: the catalogue is a few hundred services, and a
 * scan over precomputed lower-case text (catalogue.c's search_text) beats an
 * index at that size. Filters are resolved to masks once, before the scan.
 */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include "catalogue/schema.h"
#include "catalogue/search.h"
#include "profile/field.h"

#define SEARCH_MAX_WORDS 16

struct scored {
	const struct service *s;
	int score;
	size_t order;
};

static int vocab_ci(const char *const *vocab, const char *v)
{
	for (int i = 0; vocab[i]; i++)
		if (!strcasecmp(vocab[i], v))
			return i;
	return -1;
}

static enum rc bad_value(struct err *e, const char *field, const char *v,
			 const char *const *vocab)
{
	char list[600];

	field_vocab_list(vocab, list, sizeof(list));
	return err_set(e, RC_BAD_INPUT, field, "'%.60s' is not one of: %s", v, list);
}

/* Lower-case words of q into words[], NUL-separated in store. */
static size_t split_words(const char *q, char *store, size_t storelen, const char **words)
{
	size_t n = 0, used = 0;

	while (*q && n < SEARCH_MAX_WORDS) {
		while (*q && !isalnum((unsigned char)*q) && !((unsigned char)*q & 0x80))
			q++;
		if (!*q)
			break;
		words[n++] = store + used;
		while (*q && (isalnum((unsigned char)*q) || ((unsigned char)*q & 0x80)) &&
		       used + 1 < storelen)
			store[used++] = (char)tolower((unsigned char)*q++);
		store[used++] = '\0';
		if (used + 1 >= storelen)
			break;
	}
	return n;
}

static int contains_ci(const char *hay, const char *lower_word)
{
	size_t wl = strlen(lower_word);

	for (; *hay; hay++)
		if (!strncasecmp(hay, lower_word, wl))
			return 1;
	return 0;
}

static int score_of(const struct service *s, const char **words, size_t nwords)
{
	int score = 0;

	for (size_t i = 0; i < nwords; i++) {
		if (!strstr(s->search_text, words[i]))
			return -1;
		score += contains_ci(s->name, words[i]) ? 10
			: contains_ci(s->section, words[i]) ? 3 : 1;
	}
	return score;
}

static int cmp_scored(const void *a, const void *b)
{
	const struct scored *x = a, *y = b;

	if (x->score != y->score)
		return y->score - x->score;
	return x->order < y->order ? -1 : x->order > y->order;
}

enum rc search_run(const struct catalogue *cat, const struct search_query *sq,
		   const struct service **out, size_t *n, struct err *e)
{
	const struct provider *prov = NULL;
	int region = -1, need = -1, mode = -1, route = -1;
	char store[512];
	const char *words[SEARCH_MAX_WORDS];
	size_t nwords = 0, count = 0;
	struct scored *sc;

	*n = 0;
	if (sq->provider && *sq->provider && !(prov = catalogue_find_provider(cat, sq->provider)))
		return err_set(e, RC_BAD_INPUT, "provider", "'%.60s' is not a provider in the catalogue",
			       sq->provider);
	if (sq->region && *sq->region && (region = vocab_ci(field_regions, sq->region)) < 0)
		return bad_value(e, "region", sq->region, field_regions);
	if (sq->need && *sq->need && (need = vocab_ci(field_needs, sq->need)) < 0)
		return bad_value(e, "need", sq->need, field_needs);
	if (sq->delivery && *sq->delivery && (mode = vocab_ci(schema_delivery_modes, sq->delivery)) < 0)
		return bad_value(e, "delivery", sq->delivery, schema_delivery_modes);
	if (sq->route && *sq->route && (route = vocab_ci(schema_routes, sq->route)) < 0)
		return bad_value(e, "route", sq->route, schema_routes);
	if (sq->q)
		nwords = split_words(sq->q, store, sizeof(store), words);
	sc = malloc((cat->nservices + 1) * sizeof(*sc));
	if (!sc)
		return err_set(e, RC_NOMEM, "", "out of memory");
	for (size_t i = 0; i < cat->nservices; i++) {
		const struct service *s = &cat->services[i];
		int score;

		if ((prov && s->provider != prov) ||
		    (region >= 0 && s->avail.regions && !(s->avail.regions >> region & 1)) ||
		    (need >= 0 && !(s->needs >> need & 1)) ||
		    (mode >= 0 && !(s->modes >> mode & 1)) ||
		    (route >= 0 && strcmp(s->route, schema_routes[route])) ||
		    (sq->section && *sq->section && strcasecmp(s->section, sq->section)))
			continue;
		if ((score = score_of(s, words, nwords)) < 0)
			continue;
		sc[count].s = s;
		sc[count].score = score;
		sc[count].order = i;
		count++;
	}
	if (nwords)
		qsort(sc, count, sizeof(*sc), cmp_scored);
	for (size_t i = 0; i < count; i++)
		out[i] = sc[i].s;
	*n = count;
	free(sc);
	return RC_OK;
}
