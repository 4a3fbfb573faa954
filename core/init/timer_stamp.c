/* timer_stamp.c — the Persistent= stamp of a timer (see timer_stamp.h). */
#include "init/timer_stamp.h"
#include "base/buf.h"
#include "base/err.h"
#include "base/fs.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#define STAMP_PATH_MAX 1024

/* DIR/stamp-NAME.timer; NAME.timer must be a unit name (no '/', not starting with '.'). */
static int stamp_path(char out[STAMP_PATH_MAX], const char *dir, const char *timer)
{
	size_t n = strnlen(timer, 256);
	if (n <= 6 || n > 255 || timer[0] == '.' || strcmp(timer + n - 6, ".timer") ||
	    timer[strspn(timer, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789:_.\\-@")])
		return -EINVAL;
	return str_fmt(out, STAMP_PATH_MAX, "%s/stamp-%s", dir, timer);
}

int timer_stamp_read(int rootfd, const char *dir, const char *timer, uint64_t now_real, uint64_t *last,
	struct kerr *e)
{
	char path[STAMP_PATH_MAX];
	struct buf b = BUF_INIT(32);
	uint64_t t;
	int fd, ret = stamp_path(path, dir, timer);
	*last = 0;
	if (ret)
		return kerr_set(e, ret, "%s: not a timer name", timer);
	fd = fs_open_beneath(rootfd, path, O_RDONLY | O_CLOEXEC, 0);
	if (fd == -ENOENT)
		return 0;
	if (fd < 0)
		return kerr_set(e, fd, "%s: %s", path, kerr_strerror(fd));
	ret = fs_read_fd(fd, 32, &b);
	close(fd);
	if (ret)
		ret = kerr_set(e, ret == -EFBIG ? -EBADMSG : ret, "%s: %s", path,
			ret == -EFBIG ? "not a stamp (too long)" : kerr_strerror(ret));
	else if (b.len < 2 || b.p[b.len - 1] != '\n' || (b.p[b.len - 1] = 0, parse_u64((char *)b.p, 1, UINT64_MAX - 1, &t)))
		ret = kerr_set(e, -EBADMSG, "%s: not a stamp (microseconds since the epoch)", path);
	else if (t < now_real)
		*last = t;
	buf_free(&b);
	return ret;
}

int timer_stamp_write(int rootfd, const char *dir, const char *timer, uint64_t t)
{
	char path[STAMP_PATH_MAX], text[24];
	int ret = stamp_path(path, dir, timer);
	if (ret)
		return ret;
	int n = snprintf(text, sizeof(text), "%llu\n", (unsigned long long)t);
	return fs_write_atomic(rootfd, path, text, (size_t)n, 0644);
}
