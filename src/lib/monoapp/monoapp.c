#include "monoapp/monoapp.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "beneath.h"
#include "fsutil.h"
#include "shquote.h"

int
monoapp_write_executables(const char *build_dir, const struct strlist *l,
    struct errbuf *e)
{
	char *dir = fs_join(build_dir, ".mono"), *path = NULL, *buf = NULL;
	size_t len = 0;
	FILE *mem = NULL;
	int rc = -1;

	if (dir == NULL ||
	    (path = fs_join(build_dir, MONOAPP_EXECUTABLES)) == NULL) {
		errf(e, "record executables:");
		goto out;
	}
	if (fs_mkdir_p(dir, 0755, e) == -1)
		goto out;
	if ((mem = open_memstream(&buf, &len)) == NULL) {
		errf(e, "record executables:");
		goto out;
	}
	for (size_t i = 0; i < l->n; i++)
		fprintf(mem, "%s\n", l->v[i]);
	if (fclose(mem) == EOF) {
		mem = NULL;
		errf(e, "record executables:");
		goto out;
	}
	mem = NULL;
	rc = fs_write_file_atomic(path, buf, len, 0644, e);
out:
	if (mem != NULL)
		fclose(mem);
	free(buf);
	free(dir);
	free(path);
	return rc;
}

int
monoapp_read_executables(const char *build_dir, struct strlist *out,
    struct errbuf *e)
{
	char *buf, *line, *save;
	size_t len;

	/* Compile wrote it, but the app may ship one of its own: a link out
	 * of the app is refused like any other app file. */
	buf =
	    beneath_read_file(build_dir, MONOAPP_EXECUTABLES, 1 << 20, &len, e);
	if (buf == NULL)
		return errno == ENOENT ? 0 : -1;
	for (line = strtok_r(buf, "\n", &save); line != NULL;
	     line = strtok_r(NULL, "\n", &save)) {
		if (strlist_push(out, line) == -1) {
			free(buf);
			strlist_free(out);
			return errf(e, "read executables:");
		}
	}
	free(buf);
	return 0;
}

char *
monoapp_web_command(const char *exe)
{
	char *q = shquote(exe), *cmd;

	if (q == NULL)
		return NULL;
	if (asprintf(&cmd, "mono %s", q) < 0)
		cmd = NULL;
	free(q);
	return cmd;
}
