/* testlisten.h - a TCP socket on 127.0.0.1 at a port the kernel picks, for
 * the tests that run servers of their own (test_fetch, test_nuget).  Static
 * inline, as the other test headers. */
#ifndef SLUGC_TESTLISTEN_H
#define SLUGC_TESTLISTEN_H

#include <sys/socket.h>
#include <sys/types.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <string.h>
#include <unistd.h>

/* A socket bound to 127.0.0.1 at a free port, put in *port: listening with
 * backlog, or, with backlog 0, not listening (a port nobody answers on
 * while the socket is open).  Returns the fd, or -1. */
static inline int
loopback_socket(int backlog, int *port)
{
	struct sockaddr_in sa;
	socklen_t sl = sizeof sa;
	int fd;

	memset(&sa, 0, sizeof sa);
	sa.sin_family = AF_INET;
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if ((fd = socket(AF_INET, SOCK_STREAM, 0)) == -1)
		return -1;
	if (bind(fd, (struct sockaddr *)&sa, sizeof sa) == -1 ||
	    (backlog > 0 && listen(fd, backlog) == -1) ||
	    getsockname(fd, (struct sockaddr *)&sa, &sl) == -1) {
		close(fd);
		return -1;
	}
	*port = ntohs(sa.sin_port);
	return fd;
}

/* Forks a server listening on loopback_socket(backlog, port).  Returns the
 * child's pid in the parent (its copy of the socket closed), 0 in the
 * child with the listening socket in *fd, or -1. */
static inline pid_t
loopback_fork(int backlog, int *port, int *fd)
{
	pid_t pid;

	if ((*fd = loopback_socket(backlog, port)) == -1)
		return -1;
	if ((pid = fork()) != 0)
		close(*fd);
	return pid;
}

#endif
