/* blk.h — block devices from sysfs: find a partition by its GPT name (PARTLABEL) or number,
 * wait for it with a bounded timeout.
 *
 * Every entry of SYS/class/block is read: its uevent (MAJOR, MINOR, DEVNAME, DEVTYPE, PARTN,
 * PARTNAME; at most 4 KiB, unknown keys ignored) and, for a partition, its disk (the directory
 * its sysfs link points into). sys is "/sys" on a machine, a directory tree in tests.
 */
#ifndef KEEL_BLK_H
#define KEEL_BLK_H

#include <sys/types.h>

struct kerr;

#define BLK_MAX 256

struct blkdev {
	char name[64];     /* DEVNAME, e.g. vda2 */
	char disk[64];     /* vda (the disk itself for a disk) */
	unsigned partn;    /* 0 for a whole disk */
	char partname[80]; /* PARTNAME (GPT label), "" if none */
	dev_t dev;
};

/* Every block device, in sysfs order; returns the count (at most max) or -errno. */
int blk_scan(const char *sys, struct blkdev *out, int max, struct kerr *e);
/* The one partition named label: -ENOENT if none, -EEXIST (an error naming both) if several. */
int blk_find_label(const char *sys, const char *label, struct blkdev *out, struct kerr *e);
/* Partition partn of disk. */
int blk_find_part(const char *sys, const char *disk, unsigned partn, struct blkdev *out, struct kerr *e);
/* blk_find_label, retried every 20 ms until timeout_ms have passed: then -ETIMEDOUT. */
int blk_wait_label(const char *sys, const char *label, unsigned timeout_ms, struct blkdev *out, struct kerr *e);
/* "/dev/NAME" into path; when the node is missing it is created (mknod) from the device number. */
int blk_node(const struct blkdev *b, char *path, size_t n, struct kerr *e);

#endif
