/* digest.h - SHA-256 through OpenSSL's EVP interface, as lowercase hex. */
#ifndef SLUGC_DIGEST_H
#define SLUGC_DIGEST_H

#include <stdbool.h>
#include <stddef.h>

#include "err.h"

/* 64 hex digits and the terminating NUL. */
#define DIGEST_HEX_SIZE 65

struct digest;

/* Starts a SHA-256.  Returns NULL (e filled) when OpenSSL cannot.  Free it
 * with digest_free. */
struct digest *digest_new(struct errbuf *e);

/* Hashes len more bytes. */
int digest_update(struct digest *d, const void *buf, size_t len,
    struct errbuf *e);

/* Finishes the hash and writes it as 64 lowercase hex digits plus a NUL into
 * out.  Afterwards d can only be freed. */
int digest_final_hex(struct digest *d, char out[DIGEST_HEX_SIZE],
    struct errbuf *e);

/* Frees d; NULL is allowed. */
void digest_free(struct digest *d);

/* Hashes the whole file at path into out (lowercase hex). */
int digest_file_hex(const char *path, char out[DIGEST_HEX_SIZE],
    struct errbuf *e);

/* true if s is exactly 64 hex digits (either case). */
bool digest_hex_valid(const char *s);

/* true if a and b are both valid and name the same hash, ignoring case. */
bool digest_hex_equal(const char *a, const char *b);

#endif
