/* psctl.c - the client side of an app's supervisor socket. */
#include "psctl.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "monotime.h"

int
psctl_addr(int dirfd, const char *name, struct sockaddr_un *addr,
    struct errbuf *e)
{
	int len;

	memset(addr, 0, sizeof *addr);
	addr->sun_family = AF_UNIX;
	len = snprintf(addr->sun_path, sizeof addr->sun_path,
	    "/proc/self/fd/%d/%s", dirfd, name);
	if (len < 0 || (size_t)len >= sizeof addr->sun_path)
		return errf(e, "socket name %s: too long", name);
	return (int)(offsetof(struct sockaddr_un, sun_path) + (size_t)len + 1);
}

/* Writes all of buf to fd; -1 with errno set. */
static int
send_all(int fd, const char *buf, size_t len)
{
	ssize_t w;

	while (len > 0) {
		w = send(fd, buf, len, MSG_NOSIGNAL);
		if (w == -1) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		buf += w;
		len -= (size_t)w;
	}
	return 0;
}

/* Reads until EOF into reply (cut to fit, the rest drained). */
static int
read_reply(int fd, char *reply, size_t n, int timeout_ms, const char *sock,
    struct errbuf *e)
{
	int64_t deadline = monotime_ms() + timeout_ms;
	size_t have = 0;
	char sink[512];
	struct pollfd p = {.fd = fd, .events = POLLIN};
	ssize_t r;
	int wait, pr;

	for (;;) {
		wait = -1;
		if (timeout_ms > 0) {
			int64_t left = deadline - monotime_ms();
			if (left <= 0)
				return errf(e, "%s: no reply in %d ms", sock,
				    timeout_ms);
			wait = (int)left;
		}
		if ((pr = poll(&p, 1, wait)) == -1) {
			if (errno == EINTR)
				continue;
			return errf(e, "poll %s:", sock);
		}
		if (pr == 0)
			continue;
		if (have + 1 < n)
			r = read(fd, reply + have, n - 1 - have);
		else
			r = read(fd, sink, sizeof sink);
		if (r == -1) {
			if (errno == EINTR)
				continue;
			return errf(e, "read %s:", sock);
		}
		if (r == 0)
			break;
		if (have + 1 < n)
			have += (size_t)r;
	}
	if (n > 0)
		reply[have] = '\0';
	return 0;
}

int
psctl_request(const char *app_dir, const char *request, char *reply, size_t n,
    int timeout_ms, struct errbuf *e)
{
	struct sockaddr_un addr;
	char sock[512];
	int dirfd, fd = -1, len, rc = -1;

	if (n > 0)
		reply[0] = '\0';
	snprintf(sock, sizeof sock, "%s/%s", app_dir, PSCTL_SOCKET);
	if (strchr(request, '\n') != NULL)
		return errf(e, "%s: a request is one line", sock);
	dirfd = open(app_dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dirfd == -1)
		return errf(e, "open %s:", app_dir);
	if ((len = psctl_addr(dirfd, PSCTL_SOCKET, &addr, e)) == -1)
		goto out;
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd == -1) {
		errf(e, "socket:");
		goto out;
	}
	if (connect(fd, (struct sockaddr *)&addr, (socklen_t)len) == -1) {
		if (errno == ENOENT || errno == ECONNREFUSED) {
			rc = 1;
			goto out;
		}
		errf(e, "connect %s:", sock);
		goto out;
	}
	if (send_all(fd, request, strlen(request)) == -1 ||
	    send_all(fd, "\n", 1) == -1) {
		errf(e, "send to %s:", sock);
		goto out;
	}
	if (shutdown(fd, SHUT_WR) == -1) {
		errf(e, "shutdown %s:", sock);
		goto out;
	}
	rc = read_reply(fd, reply, n, timeout_ms, sock, e);
out:
	if (fd != -1)
		close(fd);
	close(dirfd);
	return rc;
}
