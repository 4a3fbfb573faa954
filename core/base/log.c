/* log.c — one line per message, written with a single write(2) so lines never interleave. */
#include "base/log.h"
#include "base/clock.h"
#include "base/applet.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

/* The applet being run (core/base/applet.h); main() sets it before the applet starts. */
const struct applet *keel_applet;

#define ERR_WAIT_MS 1000 /* a nonblocking stderr that is full: how long one line may wait */

static int kmsg_fd = -1;
static int max_level = -1;
static int echo_min = 1, echo_max = 0; /* none */

int log_to_kmsg(void)
{
	int fd = open("/dev/kmsg", O_WRONLY | O_CLOEXEC | O_NOCTTY);
	if (fd < 0)
		return -errno;
	if (kmsg_fd >= 0)
		close(kmsg_fd);
	kmsg_fd = fd;
	return 0;
}

void log_set_level(int level) { max_level = level; }

void log_echo_stderr(int min, int max)
{
	echo_min = min;
	echo_max = max;
}

int log_level(void)
{
	static const char *const names[] = {[KLOG_ERR] = "err", [KLOG_WARN] = "warn",
		[KLOG_NOTICE] = "notice", [KLOG_INFO] = "info", [KLOG_DEBUG] = "debug"};
	if (max_level >= 0)
		return max_level;
	max_level = KLOG_NOTICE;
	const char *env = getenv("KEEL_LOG");
	for (int i = KLOG_ERR; env && i <= KLOG_DEBUG; i++)
		if (!strcasecmp(env, names[i]))
			max_level = i;
	return max_level;
}

/* Write to stderr. When it is nonblocking (PID 1 opens the console so: a serial line stopped by
 * ^S or flow control must not stall it) and full, wait up to ERR_WAIT_MS, then drop the rest;
 * after that, lines are only tried without waiting until one goes through again. */
static void write_err(const char *p, size_t n)
{
	static bool stalled;
	int left = stalled ? 0 : ERR_WAIT_MS;
	while (n) {
		ssize_t w = write(STDERR_FILENO, p, n);
		if (w > 0) {
			p += w;
			n -= (size_t)w;
			stalled = false;
			continue;
		}
		if (w < 0 && errno == EINTR)
			continue;
		struct pollfd pf = {STDERR_FILENO, POLLOUT, 0};
		uint64_t t0 = mono_ms();
		if (w < 0 && errno == EAGAIN && left > 0 && poll(&pf, 1, left) > 0) {
			left -= (int)(mono_ms() - t0);
			continue;
		}
		stalled = w < 0 && errno == EAGAIN;
		return;
	}
}

__attribute__((format(printf, 2, 0))) static void vlog(int level, const char *fmt, va_list ap)
{
	char line[1024];
	const char *name = keel_applet ? keel_applet->name : NULL;
	int hdr, n;

	if (level > log_level())
		return;
	if (kmsg_fd >= 0)
		hdr = snprintf(line, sizeof(line), "<%d>keel%s%s: ", level, name ? " " : "", name ? name : "");
	else
		hdr = snprintf(line, sizeof(line), "keel%s%s: ", name ? " " : "", name ? name : "");
	n = vsnprintf(line + hdr, sizeof(line) - hdr - 1, fmt, ap);
	if (n < 0)
		return;
	size_t len = hdr + (size_t)n;
	if (len > sizeof(line) - 2) { /* keep the line, mark the cut */
		len = sizeof(line) - 2;
		memcpy(line + len - 3, "...", 3);
	}
	for (size_t i = hdr; i < len; i++) /* one record is one line */
		if (line[i] == '\n')
			line[i] = ' ';
	line[len++] = '\n';
	bool sent = kmsg_fd >= 0 && write(kmsg_fd, line, len) == (ssize_t)len;
	if (sent && (level < echo_min || level > echo_max))
		return;
	size_t off = (kmsg_fd >= 0 && line[0] == '<') ? (size_t)(strchr(line, '>') - line + 1) : 0;
	write_err(line + off, len - off);
}

void log_msg(int level, const char *fmt, ...)
{
	int saved = errno;
	va_list ap;
	va_start(ap, fmt);
	vlog(level, fmt, ap);
	va_end(ap);
	errno = saved;
}

int kfail(int exitcode, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vlog(KLOG_ERR, fmt, ap);
	va_end(ap);
	return exitcode;
}
