/* test_psctl.c - a request reaches the supervisor's socket in the app's
 * state directory, even when its path is longer than sun_path; no socket,
 * or nobody listening, is "not running", not an error. */
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include "psctl.h"
#include "testhelp.h"
#include "testtmp.h"

/* A one-shot server: accepts one connection, reads the request up to EOF,
 * answers "got <request>" and exits. */
static pid_t
serve_once(int lfd)
{
	pid_t pid = fork();
	char req[256], out[300];
	size_t have = 0;
	ssize_t r;
	int c;

	if (pid != 0)
		return pid;
	if ((c = accept(lfd, NULL, NULL)) == -1)
		_exit(1);
	while (have < sizeof req - 1 &&
	    (r = read(c, req + have, sizeof req - 1 - have)) > 0)
		have += (size_t)r;
	req[have] = '\0';
	snprintf(out, sizeof out, "got %s", req);
	if (write(c, out, strlen(out)) != (ssize_t)strlen(out))
		_exit(1);
	_exit(0);
}

int
main(void)
{
	char dir[600], sock[700], reply[64];
	struct sockaddr_un addr;
	struct errbuf e;
	int dfd, lfd, len, rc, status;
	pid_t pid;

	if (tmp_init("test_psctl") == -1)
		return 1;
	/* A directory path longer than sun_path's 108 bytes. */
	snprintf(dir, sizeof dir, "%s/%0120d", tmpdir, 0);
	if (mkdir(dir, 0700) == -1)
		return 1;

	rc = psctl_request(dir, "status", reply, sizeof reply, 1000, &e);
	TEST("no socket: not running", rc == 1 && reply[0] == '\0');
	rc = psctl_request("/nonexistent/app", "status", reply, sizeof reply,
	    1000, &e);
	TEST("no state directory: an error naming it",
	    rc == -1 && strstr(e.msg, "/nonexistent/app") != NULL);
	rc = psctl_request(dir, "a\nb", reply, sizeof reply, 1000, &e);
	TEST("a request of two lines is refused", rc == -1);

	dfd = open(dir, O_RDONLY | O_DIRECTORY);
	lfd = socket(AF_UNIX, SOCK_STREAM, 0);
	len = psctl_addr(dfd, PSCTL_SOCKET, &addr, &e);
	TEST("the address fits", len > 0);
	TEST("bind through the directory's fd",
	    bind(lfd, (struct sockaddr *)&addr, (socklen_t)len) == 0);
	close(lfd); /* bound, nobody listening */
	rc = psctl_request(dir, "status", reply, sizeof reply, 1000, &e);
	TEST("a stale socket: not running", rc == 1);
	snprintf(sock, sizeof sock, "%s/%s", dir, PSCTL_SOCKET);
	TEST("the stale socket is removed", unlink(sock) == 0);

	lfd = socket(AF_UNIX, SOCK_STREAM, 0);
	TEST("bind again",
	    bind(lfd, (struct sockaddr *)&addr, (socklen_t)len) == 0 &&
		listen(lfd, 1) == 0);
	pid = serve_once(lfd);
	rc = psctl_request(dir, "release 7", reply, sizeof reply, 5000, &e);
	TEST("a listening supervisor gets the line and answers",
	    rc == 0 && strcmp(reply, "got release 7\n") == 0);
	TEST("the server saw a whole request",
	    waitpid(pid, &status, 0) == pid && WIFEXITED(status) &&
		WEXITSTATUS(status) == 0);

	pid = serve_once(lfd);
	rc = psctl_request(dir, "scale web=2 worker=1", reply, 8, 5000, &e);
	TEST("a long reply is cut to fit",
	    rc == 0 && strlen(reply) == 7 && strncmp(reply, "got sca", 7) == 0);
	waitpid(pid, &status, 0);

	close(lfd);
	close(dfd);
	tmp_done();
	return test_report();
}
