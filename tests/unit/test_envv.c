/* Unit tests for envv, the child environment builder. */
#include <stdlib.h>
#include <string.h>

#include "envv.h"
#include "testhelp.h"

int
main(void)
{
	struct envv ev = ENVV_INIT;
	char *base[] = { "A=1", "PATH=/usr/bin:/bin", "EMPTY=", "B=x=y", NULL };
	char *const *arr;
	size_t n;

	TEST("empty array is terminated", envv_array(&ev)[0] == NULL);
	TEST("from", envv_from(&ev, base, NULL) == 0 && ev.n == 4);
	TEST("get", strcmp(envv_get(&ev, "A"), "1") == 0);
	TEST("get keeps '=' in values", strcmp(envv_get(&ev, "B"), "x=y") == 0);
	TEST("get of a prefix name is NULL", envv_get(&ev, "PAT") == NULL);
	TEST("set replaces", envv_set(&ev, "A", "2", NULL) == 0 &&
	    strcmp(envv_get(&ev, "A"), "2") == 0 && ev.n == 4);
	TEST("set appends", envv_set(&ev, "C", "3", NULL) == 0 && ev.n == 5);
	TEST("prepend path", envv_prepend_path(&ev, "PATH", "/app/bin", NULL) == 0 &&
	    strcmp(envv_get(&ev, "PATH"), "/app/bin:/usr/bin:/bin") == 0);
	TEST("prepend to an empty var has no stray ':'",
	    envv_prepend_path(&ev, "EMPTY", "/lib", NULL) == 0 &&
	    strcmp(envv_get(&ev, "EMPTY"), "/lib") == 0);
	TEST("prepend to an unset var",
	    envv_prepend_path(&ev, "LD_LIBRARY_PATH", "/l", NULL) == 0 &&
	    strcmp(envv_get(&ev, "LD_LIBRARY_PATH"), "/l") == 0);
	envv_unset(&ev, "A");
	TEST("unset", envv_get(&ev, "A") == NULL && ev.n == 5);
	arr = envv_array(&ev);
	for (n = 0; arr[n] != NULL; n++)
		;
	TEST("array is NULL-terminated with every entry", n == ev.n);
	envv_free(&ev);
	TEST("free resets", ev.n == 0 && ev.v == NULL);
	return test_report();
}
