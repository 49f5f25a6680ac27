/* unpack_file TARBALL DEST - the physical floor of a runtime install on this
 * machine: the same libarchive extraction runtime_download does (unpack_fd,
 * same filters, same write_disk flags and checks), from a local file, with
 * no network, no hash and no second thread. */
#include <fcntl.h>
#include <stdio.h>
#include <unistd.h>

#include "err.h"
#include "exitcode.h"
#include "unpack.h"

int
main(int argc, char **argv)
{
	struct errbuf e = {""};
	int fd, rc;

	if (argc != 3) {
		fprintf(stderr, "usage: unpack_file TARBALL DEST\n");
		return EXIT_USAGE;
	}
	if ((fd = open(argv[1], O_RDONLY | O_CLOEXEC)) == -1) {
		perror(argv[1]);
		return EXIT_IO;
	}
	rc = unpack_fd(fd, argv[2], NULL, &e);
	close(fd);
	if (rc == -1) {
		fprintf(stderr, "unpack_file: %s\n", e.msg);
		return EXIT_FETCH;
	}
	return EXIT_OK;
}
