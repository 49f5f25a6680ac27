/* cmd_logs.c - `slugc logs [-t] [-n N]`: the app's log (applog.h), as
 * `heroku logs` shows it; -t follows it until Ctrl-C (then exits 0). */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "appcmd.h"
#include "applog.h"
#include "psd.h"
#include "slugc.h"
#include "spawn.h"

#define LOGS_DEFAULT 100

static const char usage_text[] =
    "usage: slugc logs [-t] [-n N] [-a APP]\n"
    "\n"
    "  -a, --app NAME   the app (default: the current directory's name)\n"
    "  -n, --num N      the last N lines (default 100; 0: all)\n"
    "  -t, --tail       then follow the log as it grows, until Ctrl-C\n";

static const struct option longopts[] = {{"app", required_argument, NULL, 'a'},
    {"num", required_argument, NULL, 'n'}, {"tail", no_argument, NULL, 't'},
    {"help", no_argument, NULL, 'h'}, {NULL, 0, NULL, 0}};

/* The options into *given, *n and *tail: -1 to go on, else the status. */
static int
parse_opts(int argc, char **argv, const char **given, long *n, bool *tail)
{
	char *end;
	int c;

	optind = 0;
	opterr = 0;
	while ((c = getopt_long(argc, argv, ":a:n:th", longopts, NULL)) != -1) {
		switch (c) {
		case 'h':
			fputs(usage_text, stdout);
			return SX_OK;
		case 'a':
			*given = optarg;
			break;
		case 'n':
			*n = strtol(optarg, &end, 10);
			if (*end != '\0' || *n < 0 || *n > 1000000)
				return appcmd_usage("logs", "bad -n");
			break;
		case 't':
			*tail = true;
			break;
		default:
			return appcmd_opt_error("logs", c, argv);
		}
	}
	if (optind < argc)
		return appcmd_usage("logs", "takes no arguments");
	return -1;
}

int
cmd_logs(int argc, char **argv)
{
	char app[APPSTATE_NAME_MAX + 1];
	const char *given = NULL;
	struct appstate *st = NULL;
	struct errbuf e;
	char *path;
	long n = LOGS_DEFAULT;
	bool tail = false;
	int code, rc;

	if ((code = parse_opts(argc, argv, &given, &n, &tail)) != -1)
		return code;
	if ((code = appcmd_app(given, app)) != SX_OK)
		return code;
	if ((code = appcmd_open(app, false, &st)) == 1)
		return SX_OK; /* no state: no log yet */
	if (code != SX_OK)
		return code;
	if ((path = appstate_path(st, PSD_LOG, &e)) == NULL ||
	    spawn_install_signal_handlers(&e) == -1) {
		fprintf(stderr, PROGNAME ": %s\n", e.msg);
		free(path);
		appstate_close(st);
		return SX_FAIL;
	}
	if (tail)
		rc = applog_follow(path, (size_t)n, stdout,
		    spawn_interrupt_flag(), &e);
	else
		rc = applog_tail(path, (size_t)n, stdout, &e);
	if (rc == -1)
		fprintf(stderr, PROGNAME ": %s\n", e.msg);
	free(path);
	appstate_close(st);
	return rc == -1 ? SX_FAIL : SX_OK;
}
