/* ign_boot.c — first-boot config sources: kernel command line and config drives. */
#include "provision/ign_boot.h"
#include "disk/blk.h"
#include "base/buf.h"
#include "base/err.h"
#include "base/fs.h"

#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

static bool wanted_label(const char *l)
{
	return !strcasecmp(l, "config-2") || !strcasecmp(l, "ignition");
}

int ign_find_drive(const char *sysdir, const char *devdir, struct ign_drive *d, struct kerr *e)
{
	struct blkdev *all = calloc(BLK_MAX, sizeof(*all));
	int n, found = 0;
	if (!all)
		return kerr_set(e, -ENOMEM, "out of memory");
	n = blk_scan(sysdir, all, BLK_MAX, e);
	if (n == -ENOENT)
		n = 0; /* no block devices at all */
	for (int i = 0; i < n && !found; i++) {
		const struct blkdev *b = &all[i];
		char label[64];
		if (!strncmp(b->name, "ram", 3) || !strncmp(b->name, "zram", 4) || strchr(b->name, '/'))
			continue;
		memset(d, 0, sizeof(*d));
		if (str_fmt(d->dev, sizeof(d->dev), "%s/%s", devdir, b->name))
			continue;
		int fd = open(d->dev, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
		if (fd < 0)
			continue;
		struct stat st;
		int kind = fstat(fd, &st) || !(S_ISBLK(st.st_mode) || S_ISREG(st.st_mode)) ? FS_UNKNOWN :
			fslabel_probe(fd, label, sizeof(label));
		close(fd);
		if (kind < 0)
			kind = FS_UNKNOWN;
		if (wanted_label(b->partname)) {
			str_copy(d->label, sizeof(d->label), b->partname);
			d->by_partname = 1;
		} else if (kind != FS_UNKNOWN && wanted_label(label)) {
			str_copy(d->label, sizeof(d->label), label);
		} else {
			continue;
		}
		str_copy(d->name, sizeof(d->name), b->name);
		d->kind = (enum fs_kind)kind;
		found = 1;
	}
	free(all);
	return n < 0 ? n : found;
}

int ign_read_drive(const struct ign_drive *d, const char *mountdir, struct buf *out, struct kerr *e)
{
	const char *file = !strcasecmp(d->label, "config-2") ? "openstack/latest/user_data" : "config.ign";
	int ret;
	if (d->kind == FS_UNKNOWN)
		return kerr_set(e, -EMEDIUMTYPE, "config drive %s (%s): no ISO 9660, FAT or ext4 filesystem on it", d->name, d->label);
	if (mkdir(mountdir, 0700) && errno != EEXIST)
		return kerr_set(e, -errno, "%s: %s", mountdir, strerror(errno));
	if (mount(d->dev, mountdir, fs_kind_name(d->kind), MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL))
		return kerr_set(e, -errno, "mounting config drive %s (%s, %s): %s%s", d->name, d->label, fs_kind_name(d->kind),
			strerror(errno), errno == ENODEV ? " (is the filesystem's kernel module loaded?)" : "");
	int dfd = open(mountdir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dfd < 0) {
		ret = kerr_set(e, -errno, "%s: %s", mountdir, strerror(errno));
	} else {
		int fd = fs_open_beneath(dfd, file, O_RDONLY | O_NOCTTY, 0);
		if (fd < 0) {
			ret = kerr_set(e, fd, "config drive %s (%s): %s: %s", d->name, d->label, file, strerror(-fd));
		} else {
			ret = fs_read_fd(fd, out->max, out);
			if (ret)
				kerr_set(e, ret, "config drive %s: %s: %s", d->name, file, ret == -EFBIG ? "too large" : strerror(-ret));
			close(fd);
		}
		close(dfd);
	}
	if (umount2(mountdir, MNT_DETACH) && !ret)
		ret = kerr_set(e, -errno, "unmounting %s: %s", mountdir, strerror(errno));
	rmdir(mountdir);
	return ret;
}
