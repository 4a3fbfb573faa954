/* log_test.c — log.c's stderr when it is nonblocking and full (PID 1's console under ^S). */
#include "t.h"
#include "base/log.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static long ms_since(const struct timespec *t0)
{
	struct timespec t1;
	clock_gettime(CLOCK_MONOTONIC, &t1);
	return (t1.tv_sec - t0->tv_sec) * 1000 + (t1.tv_nsec - t0->tv_nsec) / 1000000;
}

T_TEST(log_full_nonblocking_stderr)
{
	int p[2], saved = dup(STDERR_FILENO);
	char junk[4096];
	struct timespec t0;
	memset(junk, 'x', sizeof(junk));
	if (saved < 0 || pipe2(p, O_NONBLOCK | O_CLOEXEC)) {
		t_check(0, "pipe: %s", strerror(errno));
		return;
	}
	while (write(p[1], junk, sizeof(junk)) > 0 || write(p[1], junk, 1) > 0) /* fill it */
		;
	dup2(p[1], STDERR_FILENO);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	log_err("first line");
	long first = ms_since(&t0);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (int i = 0; i < 20; i++)
		log_err("line %d", i);
	long rest = ms_since(&t0);
	ssize_t r;
	while ((r = read(p[0], junk, sizeof(junk))) > 0) /* the console takes output again */
		;
	log_err("after the drain");
	r = read(p[0], junk, sizeof(junk) - 1);
	dup2(saved, STDERR_FILENO);
	close(saved);
	t_check(first >= 900 && first < 3000, "a full console: the first line waits about 1 s, then is dropped (%ld ms)", first);
	t_check(rest < 500, "then lines are dropped without waiting (20 in %ld ms)", rest);
	junk[r > 0 ? r : 0] = 0;
	t_check(r > 0 && strstr(junk, "after the drain\n"), "once there is room again, lines go through (%zd bytes)", r);
	close(p[0]);
	close(p[1]);
}
