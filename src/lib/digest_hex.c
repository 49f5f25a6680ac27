/* digest_hex.c - checking and comparing sha256 hex strings (digest.h).
 * Apart from digest.c so that a program that only checks a configured
 * sha256 (compile) does not link libcrypto: 4 ms of start-up on every
 * build. */
#include "digest.h"

#include <strings.h>

bool
digest_hex_valid(const char *s)
{
	size_t i;

	if (s == NULL)
		return false;
	for (i = 0; i < 64; i++) {
		char c = s[i];
		if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') ||
			(c >= 'A' && c <= 'F')))
			return false;
	}
	return s[64] == '\0';
}

bool
digest_hex_equal(const char *a, const char *b)
{
	return digest_hex_valid(a) && digest_hex_valid(b) &&
	    strncasecmp(a, b, 64) == 0;
}
