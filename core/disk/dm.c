/* dm.c — device-mapper ioctls. */
#include "disk/dm.h"
#include "base/buf.h"
#include "base/err.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/dm-ioctl.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#define DM_BUF 16384

union dmbuf {
	struct dm_ioctl io;
	uint8_t b[DM_BUF];
};

static int dm_prepare(union dmbuf *u, const char *name, const char *uuid, uint32_t flags, struct kerr *e)
{
	memset(u, 0, sizeof(*u));
	u->io.version[0] = DM_VERSION_MAJOR;
	u->io.version[1] = 0;
	u->io.version[2] = 0;
	u->io.data_size = sizeof(*u);
	u->io.data_start = sizeof(struct dm_ioctl);
	u->io.flags = flags;
	if (name && (!*name || strchr(name, '/') || str_copy(u->io.name, sizeof(u->io.name), name)))
		return kerr_set(e, -EINVAL, "device-mapper: bad device name '%.64s'", name);
	if (uuid && str_copy(u->io.uuid, sizeof(u->io.uuid), uuid))
		return kerr_set(e, -EINVAL, "device-mapper: uuid too long");
	return 0;
}

static int dm_call(unsigned long req, union dmbuf *u, const char *what, const char *name, struct kerr *e)
{
	int fd = open(DM_CONTROL, O_RDWR | O_CLOEXEC);
	if (fd < 0)
		return kerr_set(e, -errno, "%s: %s", DM_CONTROL, strerror(errno));
	int r = ioctl(fd, req, u);
	int err = errno;
	close(fd);
	if (r)
		return kerr_set(e, -err, "device-mapper %s %s: %s", what, name ? name : "", strerror(err));
	return 0;
}

int dm_create(const char *name, const char *uuid, int readonly, dev_t *dev, struct kerr *e)
{
	union dmbuf u;
	int ret;
	if ((ret = dm_prepare(&u, name, uuid, readonly ? DM_READONLY_FLAG : 0, e)) ||
		(ret = dm_call(DM_DEV_CREATE, &u, "create", name, e)))
		return ret;
	if (dev)
		*dev = (dev_t)u.io.dev;
	return 0;
}

int dm_load(const char *name, uint64_t sectors, const char *type, const char *params, int readonly,
	struct kerr *e)
{
	union dmbuf u;
	int ret;
	size_t pl = strlen(params);
	if ((ret = dm_prepare(&u, name, NULL, readonly ? DM_READONLY_FLAG : 0, e)))
		return ret;
	if (pl > DM_PARAMS_MAX)
		return kerr_set(e, -E2BIG, "device-mapper load %s: parameters longer than %d", name, DM_PARAMS_MAX);
	struct dm_target_spec *t = (struct dm_target_spec *)(u.b + sizeof(struct dm_ioctl));
	t->sector_start = 0;
	t->length = sectors;
	t->status = 0;
	if (str_copy(t->target_type, sizeof(t->target_type), type))
		return kerr_set(e, -EINVAL, "device-mapper load %s: target type too long", name);
	char *p = (char *)(t + 1);
	memcpy(p, params, pl + 1);
	size_t spec = sizeof(*t) + pl + 1;
	spec = (spec + 7) & ~(size_t)7;
	t->next = (uint32_t)spec;
	u.io.target_count = 1;
	u.io.data_size = (uint32_t)(sizeof(struct dm_ioctl) + spec);
	return dm_call(DM_TABLE_LOAD, &u, "load table", name, e);
}

int dm_resume(const char *name, struct kerr *e)
{
	union dmbuf u;
	int ret;
	if ((ret = dm_prepare(&u, name, NULL, 0, e)))
		return ret;
	return dm_call(DM_DEV_SUSPEND, &u, "resume", name, e);
}

int dm_remove(const char *name, struct kerr *e)
{
	union dmbuf u;
	int ret;
	if ((ret = dm_prepare(&u, name, NULL, 0, e)))
		return ret;
	return dm_call(DM_DEV_REMOVE, &u, "remove", name, e);
}

/* DM_TABLE_STATUS: the status line, or with DM_STATUS_TABLE_FLAG "TYPE PARAMS" of the table. */
static int table_status(const char *name, uint32_t flags, char *out, size_t n, struct kerr *e)
{
	union dmbuf u;
	int ret;
	if ((ret = dm_prepare(&u, name, NULL, flags, e)) || (ret = dm_call(DM_TABLE_STATUS, &u, "status", name, e)))
		return ret;
	if (u.io.flags & DM_BUFFER_FULL_FLAG)
		return kerr_set(e, -E2BIG, "device-mapper status %s: too long", name);
	if (!u.io.target_count)
		return str_copy(out, n, "");
	if (u.io.data_start + sizeof(struct dm_target_spec) >= u.io.data_size)
		return kerr_set(e, -EIO, "device-mapper status %s: short reply", name);
	const struct dm_target_spec *t = (const struct dm_target_spec *)(u.b + u.io.data_start);
	const char *s = (const char *)(t + 1);
	size_t max = u.io.data_size - u.io.data_start - sizeof(*t);
	if (!memchr(s, 0, max))
		return kerr_set(e, -EIO, "device-mapper status %s: unterminated", name);
	if (str_fmt(out, n, "%.16s%s%s", flags ? t->target_type : "", flags ? " " : "", s))
		return kerr_set(e, -ENAMETOOLONG, "device-mapper status %s: too long", name);
	return 0;
}

int dm_status(const char *name, char *out, size_t n, struct kerr *e)
{
	return table_status(name, 0, out, n, e);
}

int dm_table(const char *name, char *out, size_t n, struct kerr *e)
{
	return table_status(name, DM_STATUS_TABLE_FLAG, out, n, e);
}

/* Names of every device (DM_LIST_DEVICES), copied into names[][DM_NAME_MAX]. */
static int dm_list(char names[][DM_NAME_MAX], int max, struct kerr *e)
{
	union dmbuf u;
	int ret, n = 0;
	if ((ret = dm_prepare(&u, NULL, NULL, 0, e)) || (ret = dm_call(DM_LIST_DEVICES, &u, "list", NULL, e)))
		return ret;
	if (u.io.flags & DM_BUFFER_FULL_FLAG)
		return kerr_set(e, -E2BIG, "device-mapper list: too many devices");
	size_t off = u.io.data_start, end = u.io.data_size;
	if (end > sizeof(u) || off + sizeof(struct dm_name_list) > end)
		return 0;
	for (;;) {
		const struct dm_name_list *nl = (const struct dm_name_list *)(u.b + off);
		if (!nl->dev)
			break;
		size_t room = end - off - sizeof(*nl);
		if (!memchr(nl->name, 0, room))
			return kerr_set(e, -EIO, "device-mapper list: malformed reply");
		if (n < max && !str_copy(names[n], DM_NAME_MAX, nl->name))
			n++;
		if (!nl->next || nl->next > end - off || off + nl->next + sizeof(*nl) > end)
			break;
		off += nl->next;
	}
	return n;
}

int dm_remove_all(struct kerr *e)
{
	char names[64][DM_NAME_MAX];
	int left = 0;
	for (int round = 0; round < 5; round++) {
		int n = dm_list(names, 64, e);
		if (n <= 0)
			return n;
		int gone = 0;
		for (int i = 0; i < n; i++)
			if (!dm_remove(names[i], e))
				gone++;
		left = n - gone;
		if (!left)
			return 0;
		if (!gone)
			usleep(100000);
	}
	return left;
}
