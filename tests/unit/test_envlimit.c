/* test_envlimit.c - execve's limits, checked against the kernel itself:
 * a real child given the largest variable envlimit allows, and one byte
 * more. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>

#include "envlimit.h"
#include "spawn.h"
#include "testhelp.h"

/* "name=" and n bytes of 'x', malloc'd. */
static char *
var_of(const char *name, size_t n)
{
	size_t nl = strlen(name);
	char *s = malloc(nl + 1 + n + 1);

	if (s == NULL)
		abort();
	memcpy(s, name, nl);
	s[nl] = '=';
	memset(s + nl + 1, 'x', n);
	s[nl + 1 + n] = '\0';
	return s;
}

/* Runs /bin/true with envp; its status, or -1 (e filled). */
static int
run_env(char **envp, struct errbuf *e)
{
	struct spawn s = SPAWN_INIT;
	const char *argv[] = { "/bin/true", NULL };

	s.argv = argv;
	s.envp = envp;
	return spawn_run(&s, e);
}

static int
run_with(char *v, struct errbuf *e)
{
	char *envp[] = { v, NULL };

	return run_env(envp, e);
}

int
main(void)
{
	struct errbuf e;
	size_t max = envlimit_value_max("BIG");
	char *fits = var_of("BIG", max), *over = var_of("BIG", max + 1);
	char *argv[] = { "prog", NULL };
	char *envp[3] = { NULL, NULL, NULL };
	char **many;
	struct rlimit rl, small;
	size_t i, n;
	int r;

	TEST("value max is MAX_ARG_STRLEN less NAME, '=' and NUL",
	    max == 131072 - 5);
	TEST("the largest value fits", envlimit_check_var("config var", "BIG",
	    max, &e) == 0);
	TEST("one byte more is refused, naming the var and the limit",
	    envlimit_check_var("config var", "BIG", max + 1, &e) == -1 &&
	    strcmp(e.msg, "config var BIG (131068 bytes) is too big for a "
	    "process's environment: Linux takes at most 131072 bytes per "
	    "NAME=value (MAX_ARG_STRLEN)") == 0);
	TEST("a name from a release is quoted",
	    envlimit_check_var("config var", "A\nB", 200000, &e) == -1 &&
	    strstr(e.msg, "A\\x0aB (200000 bytes)") != NULL);

	/* The kernel agrees: the largest runs, one byte more is E2BIG. */
	TEST("execve takes the largest value", run_with(fits, &e) == 0);
	r = run_with(over, &e);
	TEST("execve refuses one byte more (E2BIG)", r == -1 &&
	    strstr(e.msg, "Argument list too long") != NULL);

	envp[0] = fits;
	TEST("envp: the largest passes", envlimit_check("config var", argv,
	    envp, &e) == 0);
	envp[0] = "A=1";
	envp[1] = over;
	TEST("envp: too long names the var, not the value",
	    envlimit_check("config var", argv, envp, &e) == -1 &&
	    strncmp(e.msg, "config var BIG (131068 bytes) is too big", 40) ==
	    0 && strstr(e.msg, "xxx") == NULL);

	/* Together: 100 KiB vars, as many as pass the total. */
	n = envlimit_total_max() / (100 * 1024) + 2;
	many = calloc(n + 1, sizeof *many);
	for (i = 0; many != NULL && i < n; i++)
		many[i] = var_of("V", 100 * 1024);
	TEST("total over the limit is refused with the sizes",
	    many != NULL && envlimit_check("config var", argv, many, &e) ==
	    -1 && strstr(e.msg, "more than the") != NULL);
	for (i = 0; many != NULL && i < n; i++)
		free(many[i]);
	free(many);

	/* The total follows the stack limit, as the kernel's does. */
	if (getrlimit(RLIMIT_STACK, &rl) == 0) {
		small = rl;
		small.rlim_cur = 1024 * 1024;
		if (rl.rlim_max == RLIM_INFINITY || rl.rlim_max >= small.rlim_cur) {
			setrlimit(RLIMIT_STACK, &small);
			TEST("total is a quarter of the stack limit",
			    envlimit_total_max() == 256 * 1024);
			/* And the kernel agrees: 2 x 100 KiB run, 3 do not. */
			char *three[4] = { var_of("A", 100 * 1024),
			    var_of("B", 100 * 1024), var_of("C", 100 * 1024),
			    NULL };
			char *two[3] = { three[0], three[1], NULL };
			char *const targv[] = { "/bin/true", NULL };
			TEST("kernel and envlimit: 200 KiB of 256 KiB run",
			    envlimit_check("config var", targv, two, &e) ==
			    0 && run_env(two, &e) == 0);
			TEST("kernel and envlimit: 300 KiB of 256 KiB do not",
			    envlimit_check("config var", targv, three, &e) ==
			    -1 && run_env(three, &e) == -1 &&
			    strstr(e.msg, "Argument list too long") != NULL);
			free(three[0]);
			free(three[1]);
			free(three[2]);
			small.rlim_cur = 64 * 1024;
			setrlimit(RLIMIT_STACK, &small);
			TEST("never below 128 KiB",
			    envlimit_total_max() == 128 * 1024);
			setrlimit(RLIMIT_STACK, &rl);
		}
	}
	free(fits);
	free(over);
	return test_report();
}
