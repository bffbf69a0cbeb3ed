/*
 * utf8.h - one UTF-8 validator for everything that checks text it is given
 * (JSON output escaping, query strings, paths).
 */
#ifndef CORE_UTF8_H
#define CORE_UTF8_H

#include <stddef.h>

/* Length of the valid, shortest-form UTF-8 sequence at s (at most n bytes;
 * no surrogates, nothing above U+10FFFF), or 0 when it is not one. */
size_t utf8_seq_len(const unsigned char *s, size_t n);

#endif
