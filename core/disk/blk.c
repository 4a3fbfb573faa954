/* blk.c — block devices from sysfs uevent files. */
#include "disk/blk.h"
#include "base/clock.h"
#include "base/buf.h"
#include "base/err.h"
#include "base/fs.h"
#include "base/lines.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <time.h>
#include <unistd.h>

#define UEVENT_MAX 4096

static int valid_name(const char *s)
{
	if (!*s || !strcmp(s, ".") || !strcmp(s, ".."))
		return 0;
	for (; *s; s++)
		if (*s == '/' || (unsigned char)*s < 0x21 || *s == 0x7f)
			return 0;
	return 1;
}

/* Parse one uevent text into b (name from DEVNAME, falling back to the sysfs entry name). */
static int parse_uevent(const char *entry, const char *txt, size_t len, struct blkdev *b)
{
	unsigned long long maj = ~0ull, min = ~0ull;
	struct lines c;
	const char *p;
	size_t n;
	int is_part = 0;
	memset(b, 0, sizeof(*b));
	lines_init(&c, txt, len);
	while (lines_next(&c, &p, &n)) {
		const char *le = p + n;
		const char *eq = memchr(p, '=', (size_t)(le - p));
		if (eq) {
			size_t kl = (size_t)(eq - p), vl = (size_t)(le - eq - 1);
			char v[128];
			if (vl < sizeof(v)) {
				memcpy(v, eq + 1, vl);
				v[vl] = 0;
				uint64_t x;
				if (kl == 5 && !memcmp(p, "MAJOR", 5) && !parse_u64(v, 0, 0xfffff, &x))
					maj = x;
				else if (kl == 5 && !memcmp(p, "MINOR", 5) && !parse_u64(v, 0, 0xfffff, &x))
					min = x;
				else if (kl == 7 && !memcmp(p, "DEVNAME", 7) && valid_name(v))
					str_copy(b->name, sizeof(b->name), v);
				else if (kl == 5 && !memcmp(p, "PARTN", 5) && !parse_u64(v, 1, 0xffff, &x))
					b->partn = (unsigned)x;
				else if (kl == 8 && !memcmp(p, "PARTNAME", 8))
					str_copy(b->partname, sizeof(b->partname), v);
				else if (kl == 7 && !memcmp(p, "DEVTYPE", 7))
					is_part = !strcmp(v, "partition");
			}
		}
	}
	if (maj == ~0ull || min == ~0ull)
		return -EINVAL;
	if (!b->name[0] && (!valid_name(entry) || str_copy(b->name, sizeof(b->name), entry)))
		return -EINVAL;
	if (!is_part)
		b->partn = 0;
	b->dev = makedev((unsigned)maj, (unsigned)min);
	return 0;
}

/* The disk a partition belongs to: the parent directory of its sysfs link target. */
static int disk_of(const char *sys, const char *entry, char *out, size_t n)
{
	char link[512], target[512];
	if (str_fmt(link, sizeof(link), "%s/class/block/%s", sys, entry))
		return -ENAMETOOLONG;
	ssize_t r = readlink(link, target, sizeof(target) - 1);
	if (r < 0)
		return -errno;
	target[r] = 0;
	char *last = strrchr(target, '/');
	if (!last)
		return -EINVAL;
	*last = 0;
	char *parent = strrchr(target, '/');
	parent = parent ? parent + 1 : target;
	if (!valid_name(parent))
		return -EINVAL;
	return str_copy(out, n, parent);
}

int blk_scan(const char *sys, struct blkdev *out, int max, struct kerr *e)
{
	char dir[512];
	if (str_fmt(dir, sizeof(dir), "%s/class/block", sys))
		return kerr_set(e, -ENAMETOOLONG, "%s: path too long", sys);
	DIR *d = opendir(dir);
	if (!d)
		return kerr_set(e, -errno, "%s: %s", dir, strerror(errno));
	int n = 0;
	struct dirent *de;
	while ((de = readdir(d)) && n < max) {
		if (de->d_name[0] == '.')
			continue;
		char path[800];
		struct buf b = BUF_INIT(UEVENT_MAX);
		if (str_fmt(path, sizeof(path), "%s/%s/uevent", dir, de->d_name))
			continue;
		if (fs_read_path(AT_FDCWD, path, UEVENT_MAX, &b, NULL) ||
			parse_uevent(de->d_name, (const char *)b.p, b.len, &out[n])) {
			buf_free(&b);
			continue; /* gone meanwhile, or not a device we understand */
		}
		buf_free(&b);
		if (out[n].partn) {
			if (disk_of(sys, de->d_name, out[n].disk, sizeof(out[n].disk)))
				continue;
		} else {
			str_copy(out[n].disk, sizeof(out[n].disk), out[n].name);
		}
		n++;
	}
	closedir(d);
	return n;
}

int blk_find_label(const char *sys, const char *label, struct blkdev *out, struct kerr *e)
{
	struct blkdev *all = calloc(BLK_MAX, sizeof(*all));
	if (!all)
		return kerr_set(e, -ENOMEM, "out of memory");
	int n = blk_scan(sys, all, BLK_MAX, e), found = -1, ret;
	if (n < 0) {
		free(all);
		return n;
	}
	ret = kerr_set(e, -ENOENT, "no partition labelled %s", label);
	for (int i = 0; i < n; i++) {
		if (!all[i].partn || strcmp(all[i].partname, label))
			continue;
		if (found >= 0) {
			ret = kerr_set(e, -EEXIST, "partition label %s is on both %s and %s", label, all[found].name, all[i].name);
			break;
		}
		found = i;
		*out = all[i];
		ret = 0;
	}
	free(all);
	return ret;
}

int blk_find_part(const char *sys, const char *disk, unsigned partn, struct blkdev *out, struct kerr *e)
{
	struct blkdev *all = calloc(BLK_MAX, sizeof(*all));
	if (!all)
		return kerr_set(e, -ENOMEM, "out of memory");
	int n = blk_scan(sys, all, BLK_MAX, e), ret;
	if (n < 0) {
		free(all);
		return n;
	}
	ret = kerr_set(e, -ENOENT, "%s: no partition %u", disk, partn);
	for (int i = 0; i < n; i++)
		if (all[i].partn == partn && !strcmp(all[i].disk, disk)) {
			*out = all[i];
			ret = 0;
			break;
		}
	free(all);
	return ret;
}

int blk_wait_label(const char *sys, const char *label, unsigned timeout_ms, struct blkdev *out, struct kerr *e)
{
	uint64_t deadline = mono_ms() + timeout_ms;
	for (;;) {
		int ret = blk_find_label(sys, label, out, e);
		if (ret != -ENOENT)
			return ret;
		if (mono_ms() >= deadline)
			return kerr_set(e, -ETIMEDOUT, "no partition labelled %s after %u ms", label, timeout_ms);
		struct timespec ts = {0, 20 * 1000000};
		nanosleep(&ts, NULL);
	}
}

int blk_node(const struct blkdev *b, char *path, size_t n, struct kerr *e)
{
	struct stat st;
	if (str_fmt(path, n, "/dev/%s", b->name))
		return kerr_set(e, -ENAMETOOLONG, "device path too long");
	if (!stat(path, &st)) {
		if (S_ISBLK(st.st_mode) && st.st_rdev == b->dev)
			return 0;
		return kerr_set(e, -EEXIST, "%s: not block device %u:%u", path, major(b->dev), minor(b->dev));
	}
	if (mknod(path, S_IFBLK | 0600, b->dev) && errno != EEXIST)
		return kerr_set(e, -errno, "%s: mknod: %s", path, strerror(errno));
	return 0;
}
