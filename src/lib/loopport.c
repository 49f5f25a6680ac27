/* loopport.c - a free port on 127.0.0.1, chosen by the kernel. */
#include "loopport.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

int
loopport_free(struct errbuf *e)
{
	struct sockaddr_in sa;
	socklen_t len = sizeof sa;
	int fd, port = -1;

	if ((fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0)) == -1)
		return errf(e, "socket:");
	memset(&sa, 0, sizeof sa);
	sa.sin_family = AF_INET;
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (bind(fd, (struct sockaddr *)&sa, sizeof sa) == 0 &&
	    getsockname(fd, (struct sockaddr *)&sa, &len) == 0)
		port = ntohs(sa.sin_port);
	else
		errf(e, "choosing a port on 127.0.0.1:");
	close(fd);
	return port;
}
