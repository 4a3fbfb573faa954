/* mount.h — mounting, and switch_root from an initramfs into the real root.
 *
 * switch_root(newroot, …) does what util-linux/busybox switch_root do: make every mount private,
 * move /dev /proc /sys /run below newroot, delete the initramfs contents (only when / really is
 * a ramfs or tmpfs, judged by statfs magic, and never crossing into another filesystem), move
 * newroot onto /, chroot into it and chdir /. The caller then execs the new root's init. On
 * failure (-errno, e says which step) the initramfs may be partly deleted, so the caller should
 * go to the rescue console of the new root or reboot.
 */
#ifndef KEEL_MOUNT_H
#define KEEL_MOUNT_H

struct kerr;

/* mkdir -p path (mode 0755) then mount(2); data may be NULL. */
int mnt(const char *src, const char *dst, const char *type, unsigned long flags, const char *data,
	struct kerr *e);
/* mkdir -p (each missing component with mode). */
int mount_mkdir_p(const char *path, unsigned mode);
/* /proc, /sys, /dev (devtmpfs), /run (tmpfs, mode 0755); each skipped if already mounted there. */
int mount_basic(struct kerr *e);
/* 1 if path is a mount point (its device differs from its parent's, or mountinfo says so). */
int is_mountpoint(const char *path);
/* 1 if the filesystem holding path is a ramfs or tmpfs. */
int is_ramfs(const char *path);

int switch_root(const char *newroot, struct kerr *e);

#endif
