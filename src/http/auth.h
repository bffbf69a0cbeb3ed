/*
 * auth.h - passwords and session tokens (libsodium).
 *
 * Passwords are hashed with Argon2id (crypto_pwhash_str, interactive
 * limits). A session token is 32 random bytes, URL-safe base64 for the
 * client; the store keeps only its BLAKE2b hash, so a copy of the database
 * does not hold usable tokens.
 */
#ifndef HTTP_AUTH_H
#define HTTP_AUTH_H

#include <stddef.h>
#include "core/err.h"

#define AUTH_TOKEN_LEN 44         /* base64url of 32 bytes, without padding, + NUL */
#define AUTH_HASH_HEX 65          /* 32-byte hash in hex + NUL */
#define AUTH_PASSWORD_MIN 10
#define AUTH_PASSWORD_MAX 256

/* Call once before threads start. */
enum rc auth_init(struct err *e) RC_MUST;

/* Hash a password for storing (out: crypto_pwhash_STRBYTES). */
enum rc auth_hash_password(const char *password, char *out, size_t outlen, struct err *e) RC_MUST;

/* 1 when password matches the stored hash, else 0. */
int auth_check_password(const char *password, const char *stored);

/* Spend the time a check would, for unknown users (no timing oracle). */
void auth_dummy_check(const char *password);

/* A new random token (AUTH_TOKEN_LEN) and its hash (AUTH_HASH_HEX). */
void auth_new_token(char *token, char *hash_hex);

/* The hash of a presented token; -1 if it is not token-shaped. */
int auth_token_hash(const char *token, char *hash_hex);

/* Why a password is refused, or NULL when it is acceptable. */
const char *auth_password_problem(const char *password);

#endif
