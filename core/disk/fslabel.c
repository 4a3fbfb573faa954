/* fslabel.c — filesystem type and label from the superblock. */
#include "disk/fslabel.h"
#include "base/fs.h"

#include <errno.h>
#include <stdint.h>
#include <string.h>
#include <unistd.h>

#define PROBE_BYTES (0x8000 + 2048)

const char *fs_kind_name(enum fs_kind k)
{
	switch (k) {
	case FS_ISO9660:
		return "iso9660";
	case FS_VFAT:
		return "vfat";
	case FS_EXT:
		return "ext4";
	default:
		return NULL;
	}
}

/* Copy a fixed-size, space- or NUL-padded label, keeping printable ASCII only. */
static void copy_label(char *out, size_t n, const unsigned char *s, size_t len)
{
	size_t k = 0;
	for (size_t i = 0; i < len && s[i] && k + 1 < n; i++)
		out[k++] = (s[i] >= 0x20 && s[i] < 0x7f) ? (char)s[i] : '?';
	while (k && out[k - 1] == ' ')
		k--;
	out[k] = 0;
}

int fslabel_probe_buf(const unsigned char *b, size_t len, char *label, size_t n)
{
	label[0] = 0;
	if (len >= 0x8000 + 72 && b[0x8000] == 1 && !memcmp(b + 0x8001, "CD001", 5) && b[0x8006] == 1) {
		copy_label(label, n, b + 0x8000 + 40, 32);
		return FS_ISO9660;
	}
	if (len >= 1024 + 136 && b[1024 + 56] == 0x53 && b[1024 + 57] == 0xEF) {
		copy_label(label, n, b + 1024 + 120, 16);
		return FS_EXT;
	}
	if (len >= 512 && b[510] == 0x55 && b[511] == 0xAA && (b[0] == 0xEB || b[0] == 0xE9)) {
		uint16_t bps = (uint16_t)(b[11] | b[12] << 8);
		if (bps < 512 || bps > 4096 || (bps & (bps - 1)) || !b[13])
			return FS_UNKNOWN;
		const unsigned char *lab = NULL;
		if (!memcmp(b + 82, "FAT32   ", 8) && b[66] == 0x29)
			lab = b + 71;
		else if (!memcmp(b + 54, "FAT", 3) && b[38] == 0x29)
			lab = b + 43;
		else if (memcmp(b + 82, "FAT32", 5) && memcmp(b + 54, "FAT", 3))
			return FS_UNKNOWN;
		if (lab && memcmp(lab, "NO NAME    ", 11))
			copy_label(label, n, lab, 11);
		return FS_VFAT;
	}
	return FS_UNKNOWN;
}

int fslabel_probe(int fd, char *label, size_t n)
{
	static unsigned char b[PROBE_BYTES];
	ssize_t got = fs_read_upto(fd, b, sizeof(b), 0);
	if (got < 0)
		return (int)got;
	return fslabel_probe_buf(b, (size_t)got, label, n);
}
