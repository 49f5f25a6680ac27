#include "digest.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <unistd.h>

#include <openssl/err.h>
#include <openssl/evp.h>

struct digest {
	EVP_MD_CTX *ctx;
};

/* The first queued OpenSSL error, for messages; OpenSSL rarely fails here
 * (out of memory, a FIPS provider refusing), but when it does say why. */
static const char *
ssl_reason(void)
{
	unsigned long code = ERR_get_error();
	const char *r;

	if (code == 0)
		return "unknown OpenSSL error";
	r = ERR_reason_error_string(code);
	return r != NULL ? r : "unknown OpenSSL error";
}

struct digest *
digest_new(struct errbuf *e)
{
	struct digest *d;

	if ((d = calloc(1, sizeof *d)) == NULL) {
		errf(e, "sha256:");
		return NULL;
	}
	if ((d->ctx = EVP_MD_CTX_new()) == NULL ||
	    EVP_DigestInit_ex(d->ctx, EVP_sha256(), NULL) != 1) {
		errf(e, "sha256: %s", ssl_reason());
		digest_free(d);
		return NULL;
	}
	return d;
}

int
digest_update(struct digest *d, const void *buf, size_t len, struct errbuf *e)
{
	if (len > 0 && EVP_DigestUpdate(d->ctx, buf, len) != 1)
		return errf(e, "sha256: %s", ssl_reason());
	return 0;
}

int
digest_final_hex(struct digest *d, char out[DIGEST_HEX_SIZE], struct errbuf *e)
{
	static const char hex[] = "0123456789abcdef";
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int n = 0, i;

	if (EVP_DigestFinal_ex(d->ctx, md, &n) != 1 || n != 32)
		return errf(e, "sha256: %s", ssl_reason());
	for (i = 0; i < n; i++) {
		out[2 * i] = hex[md[i] >> 4];
		out[2 * i + 1] = hex[md[i] & 0xf];
	}
	out[2 * n] = '\0';
	return 0;
}

void
digest_free(struct digest *d)
{
	if (d == NULL)
		return;
	EVP_MD_CTX_free(d->ctx);
	free(d);
}

int
digest_file_hex(const char *path, char out[DIGEST_HEX_SIZE], struct errbuf *e)
{
	struct digest *d = NULL;
	unsigned char *buf = NULL;
	const size_t bufsz = 1 << 20;
	int fd, rc = -1;
	ssize_t n;

	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1)
		return errf(e, "open %s:", path);
	if ((buf = malloc(bufsz)) == NULL) {
		errf(e, "sha256 %s:", path);
		goto out;
	}
	if ((d = digest_new(e)) == NULL)
		goto out;
	for (;;) {
		n = read(fd, buf, bufsz);
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1) {
			errf(e, "read %s:", path);
			goto out;
		}
		if (n == 0)
			break;
		if (digest_update(d, buf, (size_t)n, e) == -1)
			goto out;
	}
	if (digest_final_hex(d, out, e) == -1)
		goto out;
	rc = 0;
out:
	digest_free(d);
	free(buf);
	close(fd);
	return rc;
}
