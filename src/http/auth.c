/*
 * auth.c - thin, careful wrappers over libsodium.
 */
#include <sodium.h>
#include <string.h>
#include "http/auth.h"

static char dummy_hash[crypto_pwhash_STRBYTES];

enum rc auth_init(struct err *e)
{
	if (sodium_init() < 0)
		return err_set(e, RC_INTERNAL, "", "libsodium failed to start");
	if (crypto_pwhash_str(dummy_hash, "not a real password", 19, crypto_pwhash_OPSLIMIT_INTERACTIVE,
			      crypto_pwhash_MEMLIMIT_INTERACTIVE))
		return err_set(e, RC_NOMEM, "", "password hashing needs more memory");
	return RC_OK;
}

const char *auth_password_problem(const char *password)
{
	size_t n = strlen(password);

	if (n < AUTH_PASSWORD_MIN)
		return "must be at least 10 characters";
	if (n > AUTH_PASSWORD_MAX)
		return "must be at most 256 characters";
	return NULL;
}

enum rc auth_hash_password(const char *password, char *out, size_t outlen, struct err *e)
{
	if (outlen < crypto_pwhash_STRBYTES)
		return err_set(e, RC_INTERNAL, "", "hash buffer too small");
	if (crypto_pwhash_str(out, password, strlen(password), crypto_pwhash_OPSLIMIT_INTERACTIVE,
			      crypto_pwhash_MEMLIMIT_INTERACTIVE))
		return err_set(e, RC_NOMEM, "", "password hashing needs more memory");
	return RC_OK;
}

int auth_check_password(const char *password, const char *stored)
{
	return crypto_pwhash_str_verify(stored, password, strlen(password)) == 0;
}

void auth_dummy_check(const char *password)
{
	volatile int sink = crypto_pwhash_str_verify(dummy_hash, password, strlen(password));

	(void)sink;
}

static void hash_hex(const unsigned char *bin, size_t len, char *hex)
{
	unsigned char h[32];

	crypto_generichash(h, sizeof(h), bin, len, NULL, 0);
	sodium_bin2hex(hex, AUTH_HASH_HEX, h, sizeof(h));
}

void auth_new_token(char *token, char *hex)
{
	unsigned char raw[32];

	randombytes_buf(raw, sizeof(raw));
	sodium_bin2base64(token, AUTH_TOKEN_LEN, raw, sizeof(raw),
			  sodium_base64_VARIANT_URLSAFE_NO_PADDING);
	hash_hex((const unsigned char *)token, strlen(token), hex);
	sodium_memzero(raw, sizeof(raw));
}

int auth_token_hash(const char *token, char *hex)
{
	size_t n = strlen(token);

	if (n != AUTH_TOKEN_LEN - 1)
		return -1;
	for (size_t i = 0; i < n; i++) {
		char c = token[i];

		if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
		      c == '-' || c == '_'))
			return -1;
	}
	hash_hex((const unsigned char *)token, n, hex);
	return 0;
}
