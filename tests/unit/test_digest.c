/* Unit tests for digest: known SHA-256 vectors, streaming in odd chunks,
 * whole files (checked against sha256sum run as a child) and hex checks. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "digest.h"
#include "fsutil.h"
#include "testhelp.h"

static int
hash_str(const char *s, char out[DIGEST_HEX_SIZE])
{
	struct errbuf e;
	struct digest *d;
	int rc;

	if ((d = digest_new(&e)) == NULL)
		return -1;
	rc = digest_update(d, s, strlen(s), &e);
	if (rc == 0)
		rc = digest_final_hex(d, out, &e);
	digest_free(d);
	return rc;
}

/* Runs sha256sum (an argv, no shell) and copies its 64 digits into out. */
static int
sha256sum(const char *path, char out[DIGEST_HEX_SIZE])
{
	char line[256];
	size_t len = 0;
	ssize_t n;
	int fds[2], status;
	pid_t pid;

	if (pipe(fds) == -1)
		return -1;
	if ((pid = fork()) == -1)
		return -1;
	if (pid == 0) {
		dup2(fds[1], 1);
		close(fds[0]);
		close(fds[1]);
		execlp("sha256sum", "sha256sum", path, (char *)NULL);
		_exit(127);
	}
	close(fds[1]);
	while (len < sizeof line - 1 &&
	    (n = read(fds[0], line + len, sizeof line - 1 - len)) > 0)
		len += (size_t)n;
	close(fds[0]);
	if (waitpid(pid, &status, 0) != pid || !WIFEXITED(status) ||
	    WEXITSTATUS(status) != 0 || len < 64)
		return -1;
	memcpy(out, line, 64);
	out[64] = '\0';
	return 0;
}

int
main(void)
{
	char hex[DIGEST_HEX_SIZE], ref[DIGEST_HEX_SIZE];
	struct errbuf e = {""};
	struct digest *d;
	char *dir, *path, *buf;
	size_t i, off, n;
	int rc;

	TEST("sha256 of empty string",
	    hash_str("", hex) == 0 &&
		strcmp(hex,
		    "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca4"
		    "95991b7852b855") == 0);
	TEST("sha256 of abc",
	    hash_str("abc", hex) == 0 &&
		strcmp(hex,
		    "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb4"
		    "10ff61f20015ad") == 0);

	/* A million 'a' fed in uneven chunks: streaming must not depend on
	 * how the bytes are cut. */
	buf = malloc(1000000);
	memset(buf, 'a', 1000000);
	d = digest_new(&e);
	rc = d != NULL ? 0 : -1;
	for (off = 0, i = 1; rc == 0 && off < 1000000;
	     off += n, i = i * 7 % 65521) {
		n = i < 1000000 - off ? i : 1000000 - off;
		rc = digest_update(d, buf + off, n, &e);
	}
	if (rc == 0)
		rc = digest_update(d, buf, 0, &e);
	if (rc == 0)
		rc = digest_final_hex(d, hex, &e);
	digest_free(d);
	TEST("sha256 of a million 'a' in uneven chunks",
	    rc == 0 &&
		strcmp(hex,
		    "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e04"
		    "6d39ccc7112cd0") == 0);
	digest_free(NULL);
	TEST("digest_free(NULL) is a no-op", 1);

	dir = fs_mkdtemp("/tmp", "test_digest.", &e);
	TEST("mkdtemp", dir != NULL);
	if (dir == NULL)
		return test_report();
	path = fs_join(dir, "file");
	/* Larger than the 1 MiB read buffer and not a multiple of it. */
	free(buf);
	buf = malloc(2500001);
	for (i = 0; i < 2500001; i++)
		buf[i] = (char)(i * 31 + i / 997);
	TEST("write a 2.5 MB test file",
	    fs_write_file_atomic(path, buf, 2500001, 0644, &e) == 0);
	TEST("digest_file_hex of a 2.5 MB file",
	    digest_file_hex(path, hex, &e) == 0);
	TEST("digest_file_hex agrees with sha256sum",
	    sha256sum(path, ref) == 0 && strcmp(hex, ref) == 0);
	free(path);

	path = fs_join(dir, "empty");
	fs_write_file_atomic(path, "", 0, 0644, &e);
	TEST("digest_file_hex of an empty file",
	    digest_file_hex(path, hex, &e) == 0 &&
		strcmp(hex,
		    "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b78"
		    "52b855") == 0);
	free(path);

	path = fs_join(dir, "missing");
	e.msg[0] = '\0';
	TEST("digest_file_hex of a missing file fails",
	    digest_file_hex(path, hex, &e) == -1);
	TEST("... and the message names the file",
	    strstr(e.msg, path) != NULL &&
		strstr(e.msg, "No such file") != NULL);
	free(path);
	fs_rm_rf(dir, &e);
	free(dir);
	free(buf);

	TEST("hex valid: lowercase",
	    digest_hex_valid("e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca"
			     "495991b7852b855"));
	TEST("hex valid: uppercase",
	    digest_hex_valid("E3B0C44298FC1C149AFBF4C8996FB92427AE41E4649B934CA"
			     "495991B7852B855"));
	TEST("hex invalid: 63 digits",
	    !digest_hex_valid("e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934c"
			      "a495991b7852b85"));
	TEST("hex invalid: 65 digits",
	    !digest_hex_valid("e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934c"
			      "a495991b7852b8555"));
	TEST("hex invalid: non-hex digit",
	    !digest_hex_valid("g3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934c"
			      "a495991b7852b855"));
	TEST("hex invalid: trailing newline",
	    !digest_hex_valid("e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934c"
			      "a495991b7852b85\n"));
	TEST("hex invalid: empty and NULL",
	    !digest_hex_valid("") && !digest_hex_valid(NULL));
	TEST("hex equal ignores case",
	    digest_hex_equal("e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca"
			     "495991b7852b855",
		"E3B0C44298FC1C149AFBF4C8996FB92427AE41E4649B934CA495991B7852B8"
		"55"));
	TEST("hex equal: different hashes",
	    !digest_hex_equal("e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934c"
			      "a495991b7852b855",
		"e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b8"
		"56"));
	TEST("hex equal: invalid never equal", !digest_hex_equal("abc", "abc"));
	return test_report();
}
