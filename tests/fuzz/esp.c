/* esp.c — fuzz core/disk/esp: the input is the start of a FAT file system (the rest of a 4 MiB
 * partition reads as zeros). Whatever esp_open accepts is listed and then blessed (entry
 * keel-1+3.efi) on a memfd copy; the invariants: listing never fails after a successful bless,
 * the blessed name is then in EFI/Linux and no counted keel-1 entry is left, a second bless
 * finds nothing to do, and the partition's size never changes; then it is marked bad
 * (esp_mark_bad: keel-1+0-0.efi), and a second time finds nothing to do. */
#include "disk/esp.h"

#include "base/applet.h"

#include <stdint.h>
#include <string.h>
#include <strings.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

__attribute__((weak)) const struct applet *keel_applet;

#define CHECK(c) do { if (!(c)) __builtin_trap(); } while (0)
#define PART (4u << 20)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static int fd = -1;
	static struct esp_file f[64];
	struct esp x;
	struct stat st;
	char out[ESP_NAME_MAX];
	int n;
	if (size > PART)
		return 0;
	if (fd < 0)
		fd = memfd_create("esp-fuzz", MFD_CLOEXEC);
	CHECK(fd >= 0 && !ftruncate(fd, 0) && !ftruncate(fd, PART) && pwrite(fd, data, size, 0) == (ssize_t)size);
	if (esp_open(&x, fd, 0, PART, NULL))
		return 0;
	CHECK(x.fat_bits == 16 || x.fat_bits == 32);
	if (esp_list(&x, f, 64, &n, NULL))
		return 0;
	int r = esp_bless(&x, "keel-1+3.efi", out, sizeof(out), NULL);
	CHECK(!fstat(fd, &st) && st.st_size == PART);
	if (r != 0)
		return 0;
	CHECK(!strcmp(out, "keel-1.efi") && !esp_list(&x, f, 64, &n, NULL));
	int good = 0;
	for (int i = 0; i < n && i < 64; i++) {
		struct esp_name en;
		good += !strcasecmp(f[i].name, "keel-1.efi");
		CHECK(esp_name_parse(f[i].name, &en) || strcasecmp(en.base, "keel-1") || en.left < 0 ? 1 : 0);
	}
	CHECK(good == 1 && esp_bless(&x, "keel-1+2-1.efi", out, sizeof(out), NULL) == 1);
	/* then marked bad (keel update mark-bad): BASE+0-0.efi (it was good: no DONE), and a second
	 * time nothing to do; the partition's size unchanged */
	r = esp_mark_bad(&x, "keel-1+3.efi", out, sizeof(out), NULL);
	CHECK(!fstat(fd, &st) && st.st_size == PART);
	CHECK(r < 0 || (r == 0 && !strcmp(out, "keel-1+0-0.efi") && esp_mark_bad(&x, "keel-1.efi", out, sizeof(out), NULL) == 1));
	return 0;
}
