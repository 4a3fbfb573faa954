/* log.c — one line per message, written with a single write(2) so lines never interleave. */
#include "log.h"
#include "applet.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

/* The applet being run (core/applet.h); main() sets it before the applet starts. */
const struct applet *keel_applet;

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
	ssize_t w = write(STDERR_FILENO, line + off, len - off);
	(void)w;
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
