/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * A syslog sink for the tests: bind a datagram socket at PATH and append
 * every message, one per line, to FILE until killed.
 *
 *   logsink PATH FILE
 */
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

int main(int argc, char **argv)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	char buf[8192];

	if (argc != 3 || strlen(argv[1]) >= sizeof(sa.sun_path))
		return 2;
	strcpy(sa.sun_path, argv[1]);
	int fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	unlink(argv[1]);
	if (fd < 0 || bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0)
		return 1;
	FILE *out = fopen(argv[2], "ae");
	if (!out)
		return 1;
	for (;;) {
		ssize_t n = recv(fd, buf, sizeof(buf) - 1, 0);
		if (n <= 0)
			continue;
		buf[n] = '\0';
		fprintf(out, "%s\n", buf);
		fflush(out);
	}
}
