/* ign_boot.c — first-boot config sources: kernel command line and config drives. */
#include "ign_boot.h"
#include "buf.h"
#include "err.h"
#include "fs.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

int ign_cmdline_config(const char *s, size_t len, char *out, size_t n)
{
	static const char key[] = "keel.config=";
	size_t i = 0;
	int found = 0;
	while (i < len) {
		while (i < len && (s[i] == ' ' || s[i] == '\t' || s[i] == '\n'))
			i++;
		if (i >= len)
			break;
		/* one word: quotes group spaces and are dropped, as the kernel does */
		char word[8192];
		size_t w = 0;
		bool quoted = false, toolong = false;
		for (; i < len && (quoted || (s[i] != ' ' && s[i] != '\t' && s[i] != '\n')); i++) {
			if (s[i] == '"') {
				quoted = !quoted;
				continue;
			}
			if (w + 1 < sizeof(word))
				word[w++] = s[i];
			else
				toolong = true;
		}
		word[w] = 0;
		if (strncmp(word, key, sizeof(key) - 1))
			continue;
		if (toolong || w - (sizeof(key) - 1) + 1 > n)
			return -ENAMETOOLONG;
		memcpy(out, word + sizeof(key) - 1, w - (sizeof(key) - 1) + 1);
		found = 1;
	}
	return found;
}

/* KEY=value from a uevent file's contents. */
static bool uevent_get(const char *ue, const char *key, char *out, size_t n)
{
	size_t kl = strlen(key);
	for (const char *p = ue; *p;) {
		const char *nl = strchrnul(p, '\n');
		if ((size_t)(nl - p) > kl && !strncmp(p, key, kl) && p[kl] == '=') {
			size_t vl = (size_t)(nl - p) - kl - 1;
			if (vl >= n)
				return false;
			memcpy(out, p + kl + 1, vl);
			out[vl] = 0;
			return true;
		}
		p = *nl ? nl + 1 : nl;
	}
	return false;
}

static bool wanted_label(const char *l)
{
	return !strcasecmp(l, "config-2") || !strcasecmp(l, "ignition");
}

int ign_find_drive(const char *sysdir, const char *devdir, struct ign_drive *d, struct kerr *e)
{
	char path[PATH_MAX];
	if (str_fmt(path, sizeof(path), "%s/class/block", sysdir))
		return kerr_set(e, -ENAMETOOLONG, "%s: path too long", sysdir);
	DIR *dir = opendir(path);
	if (!dir && errno == ENOENT)
		return 0; /* no block devices at all */
	if (!dir)
		return kerr_set(e, -errno, "%s: %s", path, strerror(errno));
	struct dirent *de;
	int found = 0;
	while (!found && (de = readdir(dir))) {
		char ue[4096], devname[64] = "", partname[64] = "";
		if (de->d_name[0] == '.' || !strncmp(de->d_name, "ram", 3) || !strncmp(de->d_name, "zram", 4))
			continue;
		if (str_fmt(path, sizeof(path), "%s/class/block/%s/uevent", sysdir, de->d_name))
			continue;
		struct buf b = BUF_INIT(sizeof(ue) - 1);
		if (fs_read_path(AT_FDCWD, path, b.max, &b, NULL) || !b.len) {
			buf_free(&b);
			continue;
		}
		memcpy(ue, b.p, b.len + 1);
		buf_free(&b);
		if (!uevent_get(ue, "DEVNAME", devname, sizeof(devname)) || strchr(devname, '/') || !strcmp(devname, "..")) {
			continue;
		}
		uevent_get(ue, "PARTNAME", partname, sizeof(partname));
		memset(d, 0, sizeof(*d));
		if (str_fmt(d->dev, sizeof(d->dev), "%s/%s", devdir, devname))
			continue;
		int fd = open(d->dev, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
		if (fd < 0)
			continue;
		struct stat st;
		char label[64];
		int kind = fstat(fd, &st) || !(S_ISBLK(st.st_mode) || S_ISREG(st.st_mode)) ? FS_UNKNOWN :
			fslabel_probe(fd, label, sizeof(label));
		close(fd);
		if (kind < 0)
			kind = FS_UNKNOWN;
		if (wanted_label(partname)) {
			snprintf(d->label, sizeof(d->label), "%s", partname);
			d->by_partname = 1;
		} else if (kind != FS_UNKNOWN && wanted_label(label)) {
			snprintf(d->label, sizeof(d->label), "%s", label);
		} else {
			continue;
		}
		snprintf(d->name, sizeof(d->name), "%s", devname);
		d->kind = (enum fs_kind)kind;
		found = 1;
	}
	closedir(dir);
	return found;
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
