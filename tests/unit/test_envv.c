/* Unit tests for envv, the child environment builder. */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include "envv.h"
#include "testhelp.h"

/* What the over callback was told, and which names it may leave out. */
struct seen {
	char log[1024];
	const char *droppable; /* names, each followed by ' ' */
};

static bool
over_cb(void *arg, const char *name, size_t len, enum envv_over why,
    const struct envv_limits *l)
{
	struct seen *s = arg;
	size_t k = strlen(s->log);
	char word[128];

	snprintf(s->log + k, sizeof s->log - k, "%s:%zu:%s:%zu ", name, len,
	    why == ENVV_OVER_STRING ? "string" : "total",
	    why == ENVV_OVER_STRING ? l->str_max : l->total_max);
	snprintf(word, sizeof word, "%s ", name);
	return s->droppable != NULL && strstr(s->droppable, word) != NULL;
}

/* A value of n bytes of 'v', malloc'd. */
static char *
value(size_t n)
{
	char *v = malloc(n + 1);

	if (v == NULL)
		abort();
	memset(v, 'v', n);
	v[n] = '\0';
	return v;
}

/* Runs /bin/true with ev's environment: 0 when execve took it, E2BIG when
 * the kernel refused it, -1 for anything else. */
static int
exec_true(struct envv *ev)
{
	const char *argv[] = {"/bin/true", NULL};
	int status;
	pid_t pid = fork();

	if (pid == -1)
		return -1;
	if (pid == 0) {
		execve(argv[0], (char *const *)argv, envv_array(ev));
		_exit(errno == E2BIG ? 42 : 43);
	}
	if (waitpid(pid, &status, 0) == -1 || !WIFEXITED(status))
		return -1;
	return WEXITSTATUS(status) == 0 ? 0
	    : WEXITSTATUS(status) == 42 ? E2BIG
					: -1;
}

/* The fake limits of the logic tests. */
static const struct envv_limits small = {16, 200};

static void
test_fit_logic(void)
{
	const char *argv[] = {"prog", "arg", NULL};
	struct envv ev = ENVV_INIT;
	struct errbuf e = {""};
	struct seen s = {"", "BIG "};

	/* "BIG=" + 20 bytes is 25 with its NUL: over 16. */
	envv_set(&ev, "A", "1", NULL);
	envv_set(&ev, "BIG", "vvvvvvvvvvvvvvvvvvvv", NULL);
	envv_set(&ev, "B", "2", NULL);
	TEST("fit: an oversized droppable var is left out",
	    envv_fit_exec(&ev, argv, &small, over_cb, &s, &e) == 0 &&
		envv_get(&ev, "BIG") == NULL && ev.n == 2 &&
		strcmp(envv_get(&ev, "B"), "2") == 0);
	TEST("fit: the callback got the name, value length, reason, limit",
	    strcmp(s.log, "BIG:20:string:16 ") == 0);
	TEST("fit: the array stays NULL-terminated",
	    envv_array(&ev)[ev.n] == NULL);

	memset(s.log, 0, sizeof s.log);
	s.droppable = "";
	envv_set(&ev, "PATH", "/a/very/long/path/indeed", NULL);
	TEST("fit: an oversized var that must stay fails, naming it and the "
	     "limit",
	    envv_fit_exec(&ev, argv, &small, over_cb, &s, &e) == -1 &&
		strcmp(e.msg,
		    "variable PATH (24 bytes) is too big for a "
		    "process's environment: Linux takes at most 16 bytes per "
		    "NAME=value (MAX_ARG_STRLEN)") == 0);
	TEST("fit: NULL callback: nothing left out",
	    envv_fit_exec(&ev, argv, &small, NULL, NULL, &e) == -1 &&
		envv_get(&ev, "PATH") != NULL);
	envv_free(&ev);

	/* Total: 5 vars of 15 bytes, L and M (+8 for each pointer) with argv
	 * (5+4 + 16) is 210 > 200: the largest is offered first. */
	{
		struct envv_limits lim = {64, 200};
		envv_set(&ev, "K1", "aaaaaaaaaaa", NULL); /* 14 + 1 */
		envv_set(&ev, "K2", "aaaaaaaaaaa", NULL);
		envv_set(&ev, "K3", "aaaaaaaaaaa", NULL);
		envv_set(&ev, "K4", "aaaaaaaaaaa", NULL);
		envv_set(&ev, "K5", "aaaaaaaaaaa", NULL);
		envv_set(&ev, "L", "aaaaaaaaaaaaaaaaaaaaaaaaaaaa",
		    NULL);					  /* 31 */
		envv_set(&ev, "M", "aaaaaaaaaaaaaaaaaaaa", NULL); /* 23 */
		memset(s.log, 0, sizeof s.log);
		s.droppable = "M ";
		TEST("total: over before",
		    envv_exec_size(&ev, argv) ==
			(5 + 4 + 2 * 8) + 5 * (15 + 8) + (31 + 8) + (23 + 8));
		TEST("total: the largest is offered first; a refused one is "
		     "kept, the next largest left out",
		    envv_fit_exec(&ev, argv, &lim, over_cb, &s, &e) == 0 &&
			strcmp(s.log, "L:28:total:200 M:20:total:200 ") == 0 &&
			envv_get(&ev, "L") != NULL &&
			envv_get(&ev, "M") == NULL &&
			envv_exec_size(&ev, argv) <= 200);
		memset(s.log, 0, sizeof s.log);
		s.droppable = "";
		lim.total_max = 100;
		TEST("total: nothing may go: fails with the sizes",
		    envv_fit_exec(&ev, argv, &lim, over_cb, &s, &e) == -1 &&
			strstr(e.msg, "over the 100 bytes execve allows") !=
			    NULL);
		envv_free(&ev);
	}
	{
		char *big = value(20);
		const char *av[] = {"prog", big, NULL};
		TEST("an argument over str_max is named",
		    envv_fit_exec(&ev, av, &small, over_cb, &s, &e) == -1 &&
			strcmp(e.msg,
			    "argument 1 is 21 bytes, over the 16 bytes "
			    "Linux allows one argument") == 0);
		free(big);
	}
}

/* The limits against the running kernel: one byte over str_max is what
 * execve refuses, and fitting makes a refused environment start. */
static void
test_fit_kernel(void)
{
	struct envv_limits l;
	struct envv ev = ENVV_INIT;
	struct errbuf e = {""};
	struct seen s = {"", "BIG "};
	struct rlimit rl;
	char *v;

	envv_exec_limits(&l);
	TEST("limits: str_max is 32 pages",
	    l.str_max == 32 * (size_t)sysconf(_SC_PAGESIZE));
	TEST("limits: total between 128 KiB and 6 MiB, under ulimit -s / 4",
	    l.total_max > 64 * 1024 && l.total_max <= 6 * 1024 * 1024 &&
		(getrlimit(RLIMIT_STACK, &rl) == -1 ||
		    rl.rlim_cur == RLIM_INFINITY ||
		    l.total_max <= rl.rlim_cur / 4));

	/* "X=" + value + NUL = exactly str_max: allowed; one more: not. */
	v = value(l.str_max - 3);
	envv_set(&ev, "X", v, NULL);
	free(v);
	TEST("kernel: a NAME=value of exactly str_max bytes execs",
	    exec_true(&ev) == 0);
	TEST("fit: and is kept",
	    envv_fit_exec(&ev, NULL, &l, over_cb, &s, &e) == 0 &&
		envv_get(&ev, "X") != NULL && s.log[0] == '\0');
	v = value(l.str_max - 2);
	envv_set(&ev, "X", v, NULL);
	free(v);
	TEST("kernel: one byte more is E2BIG", exec_true(&ev) == E2BIG);
	envv_free(&ev);

	/* A 200 KiB config var: refused by the kernel, then left out. */
	v = value(200 * 1024);
	envv_set(&ev, "A", "1", NULL);
	envv_set(&ev, "BIG", v, NULL);
	free(v);
	TEST("kernel: a 200 KiB variable is E2BIG", exec_true(&ev) == E2BIG);
	TEST("fit: it is left out, the rest kept",
	    envv_fit_exec(&ev, NULL, &l, over_cb, &s, &e) == 0 &&
		envv_get(&ev, "BIG") == NULL && envv_get(&ev, "A") != NULL);
	TEST("kernel: then it execs", exec_true(&ev) == 0);
	envv_free(&ev);

	/* Many variables each under str_max, together over total_max. */
	{
		size_t each = l.str_max / 2, n = l.total_max / each + 2;
		char name[32];
		v = value(each);
		for (size_t i = 0; i < n; i++) {
			snprintf(name, sizeof name, "V%zu", i);
			envv_set(&ev, name, v, NULL);
		}
		free(v);
		envv_set(&ev, "KEEP", "1", NULL);
		s.droppable =
		    "V0 V1 V2 V3 V4 V5 V6 V7 V8 V9 V10 V11 V12 V13 "
		    "V14 V15 V16 V17 V18 V19 V20 V21 V22 V23 V24 V25 V26 V27 "
		    "V28 V29 V30 V31 V32 V33 V34 V35 V36 V37 V38 V39 V40 V41 "
		    "V42 V43 V44 V45 V46 V47 V48 V49 ";
		TEST("kernel: together over the total is E2BIG",
		    n <= 50 && exec_true(&ev) == E2BIG);
		TEST("fit: some are left out until it fits",
		    envv_fit_exec(&ev, NULL, &l, over_cb, &s, &e) == 0 &&
			ev.n < n + 1 && envv_get(&ev, "KEEP") != NULL &&
			envv_exec_size(&ev, NULL) <= l.total_max);
		TEST("kernel: then it execs", exec_true(&ev) == 0);
		envv_free(&ev);
	}
}

/* envv_check_var names the variable and the limit, never the value. */
static void
test_check_var(void)
{
	struct envv_limits l;
	struct errbuf e;
	size_t max;

	envv_exec_limits(&l);
	max = l.str_max - strlen("BIG=") - 1;
	TEST("check_var: the largest value fits",
	    envv_check_var("config var", "BIG", max, &l, &e) == 0);
	TEST("check_var: one byte more is refused, naming var and limit",
	    envv_check_var("config var", "BIG", max + 1, &l, &e) == -1 &&
		strstr(e.msg, "config var BIG (") == e.msg &&
		strstr(e.msg,
		    "bytes) is too big for a process's environment: "
		    "Linux takes at most ") != NULL &&
		strstr(e.msg, " bytes per NAME=value (MAX_ARG_STRLEN)") !=
		    NULL);
	TEST("check_var: a name from a release is quoted",
	    envv_check_var("config var", "A\nB", 200000, &l, &e) == -1 &&
		strstr(e.msg, "A\\x0aB (200000 bytes)") != NULL);
}

int
main(void)
{
	struct envv ev = ENVV_INIT;
	char *base[] = {"A=1", "PATH=/usr/bin:/bin", "EMPTY=", "B=x=y", NULL};
	char *const *arr;
	size_t n;

	TEST("empty array is terminated", envv_array(&ev)[0] == NULL);
	TEST("from", envv_from(&ev, base, NULL) == 0 && ev.n == 4);
	TEST("get", strcmp(envv_get(&ev, "A"), "1") == 0);
	TEST("get keeps '=' in values", strcmp(envv_get(&ev, "B"), "x=y") == 0);
	TEST("get of a prefix name is NULL", envv_get(&ev, "PAT") == NULL);
	TEST("set replaces",
	    envv_set(&ev, "A", "2", NULL) == 0 &&
		strcmp(envv_get(&ev, "A"), "2") == 0 && ev.n == 4);
	TEST("set appends", envv_set(&ev, "C", "3", NULL) == 0 && ev.n == 5);
	TEST("prepend path",
	    envv_prepend_path(&ev, "PATH", "/app/bin", NULL) == 0 &&
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
	test_fit_logic();
	test_fit_kernel();
	test_check_var();
	return test_report();
}
