/* ign_boot.h — where a first-boot config comes from.
 *
 * Read only at the first boot: once ROOT has its marker (IGN_MARKER, ign_apply.h) keel provision
 * boot reads none of these, unless keel provision reset asked for it (IGN_FIRSTBOOT).
 * In order (the first found wins; ROOT/usr/lib/keel/base.ign is always merged under it):
 *  1. the kernel command line (core/boot/cmdline.h): keel.config=URL (file:/path, file:///path,
 *     data:..., http(s)://); the last keel.config= counts;
 *  2. a config drive: a block device whose GPT partition name (PARTNAME in sysfs) or whose
 *     filesystem label (ISO 9660, FAT, ext4; compared without case) is "config-2" or
 *     "ignition". It is mounted read-only (nosuid, nodev, noexec) and the config read from
 *     openstack/latest/user_data (config-2, as OpenStack writes it) or config.ign (ignition).
 */
#ifndef KEEL_IGN_BOOT_H
#define KEEL_IGN_BOOT_H

#include <limits.h>
#include <stddef.h>

#include "disk/fslabel.h"

struct buf;
struct kerr;

struct ign_drive {
	char dev[PATH_MAX];    /* devdir/NAME */
	char name[64];         /* kernel name: sda1, vdb, loop3 */
	enum fs_kind kind;
	char label[64];        /* "config-2" or "ignition" as found */
	int by_partname;       /* found by PARTNAME rather than by the filesystem label */
};

/* Scan sysdir/class/block (core/disk/blk.h; devices opened as devdir/NAME). 1 found, 0 none. */
int ign_find_drive(const char *sysdir, const char *devdir, struct ign_drive *d, struct kerr *e);

/* Mount d read-only on mountdir (created if missing), read its config (at most out->max
 * bytes), unmount. */
int ign_read_drive(const struct ign_drive *d, const char *mountdir, struct buf *out, struct kerr *e);

#endif
