/* sock-serve — a socket-activated service for tests/vm/sockets.sh (sd_listen_fds(3) by hand):
 * checks LISTEN_PID is its own PID, accepts one connection on fd 3 and answers it with one line
 * naming what it was passed, then exits (the socket unit listens again). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

int main(void)
{
	const char *pid = getenv("LISTEN_PID"), *fds = getenv("LISTEN_FDS"), *names = getenv("LISTEN_FDNAMES");
	char line[256], in[64] = "";
	if (!pid || atol(pid) != (long)getpid() || !fds)
		return 1;
	int c = accept(3, NULL, NULL);
	if (c < 0)
		return 2;
	ssize_t n = read(c, in, sizeof(in) - 1);
	in[n > 0 ? n : 0] = 0;
	in[strcspn(in, "\n")] = 0;
	int len = snprintf(line, sizeof(line), "served '%s' on fd 3: LISTEN_PID ok, LISTEN_FDS=%s LISTEN_FDNAMES=%s\n", in,
		fds, names ? names : "");
	return write(c, line, (size_t)len) == len ? 0 : 3;
}
