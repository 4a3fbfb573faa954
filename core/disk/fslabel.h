/* fslabel.h — the filesystem type and label of a block device or image, read from its
 * superblock (no udev, no libblkid): ISO 9660 (volume identifier), FAT12/16/32 (boot sector
 * label), ext2/3/4 (s_volume_name). Used to find config drives by label.
 */
#ifndef KEEL_FSLABEL_H
#define KEEL_FSLABEL_H

#include <stddef.h>

struct kerr;

enum fs_kind { FS_UNKNOWN, FS_ISO9660, FS_VFAT, FS_EXT };

/* The kernel's name for the type: "iso9660", "vfat", "ext4" (NULL for FS_UNKNOWN). */
const char *fs_kind_name(enum fs_kind k);

/* Probe the superblock of fd (read with pread; the file offset is not used). label gets the
 * label with trailing spaces removed (NUL-terminated, "" if none); n >= 33.
 * Returns the kind (FS_UNKNOWN: none recognised) or -errno. */
int fslabel_probe(int fd, char *label, size_t n);

/* The same on a buffer holding the first len bytes of a device (for tests and fuzzing). */
int fslabel_probe_buf(const unsigned char *b, size_t len, char *label, size_t n);

#endif
