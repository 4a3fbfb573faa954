/* fslabel.c — libFuzzer harness for superblock probing (core/disk/fslabel.c): a config drive is
 * untrusted. The input is the start of a device; a label found is printable ASCII without
 * trailing spaces, and only a recognised filesystem has one.
 */
#include "disk/fslabel.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char label[64];
	int kind = fslabel_probe_buf(data, size, label, sizeof(label));
	size_t n = strlen(label);
	int ok = kind >= FS_UNKNOWN && kind <= FS_EXT && n < 33 && (!n || label[n - 1] != ' ') &&
		(kind != FS_UNKNOWN || !n);
	for (size_t i = 0; i < n; i++)
		ok &= label[i] >= 0x20 && label[i] < 0x7f;
	if (!ok) {
		fprintf(stderr, "fslabel fuzz: kind %d, label \"%s\"\n", kind, label);
		abort();
	}
	return 0;
}
