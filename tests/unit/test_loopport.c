/* test_loopport.c - the port given is free: it can be bound and listened
 * on at once, and it is not one a listener holds. */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "loopport.h"
#include "testhelp.h"

/* A socket bound to 127.0.0.1:port (listening when listen_too), or -1. */
static int
bound(int port, int listen_too)
{
	struct sockaddr_in sa;
	int fd = socket(AF_INET, SOCK_STREAM, 0);

	memset(&sa, 0, sizeof sa);
	sa.sin_family = AF_INET;
	sa.sin_port = htons((uint16_t)port);
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (fd == -1 || bind(fd, (struct sockaddr *)&sa, sizeof sa) == -1 ||
	    (listen_too && listen(fd, 1) == -1)) {
		if (fd != -1)
			close(fd);
		return -1;
	}
	return fd;
}

int
main(void)
{
	struct errbuf e;
	int i, port, fd, held, bad = 0, clash = 0;

	port = loopport_free(&e);
	TEST("a port in 1..65535", port > 0 && port <= 65535);
	fd = bound(port, 1);
	TEST("it can be bound and listened on", fd != -1);
	held = port;
	for (i = 0; i < 200; i++) {
		port = loopport_free(NULL);
		if (port <= 0)
			bad++;
		if (port == held)
			clash++;
	}
	TEST("200 more, each a port", bad == 0);
	TEST("never the one a listener holds", clash == 0);
	if (fd != -1)
		close(fd);
	return test_report();
}
