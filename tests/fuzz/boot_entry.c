/* boot_entry.c — fuzz the boot entry's way from the firmware to `keel slots bless`: systemd-boot's
 * LoaderEntrySelected EFI variable (UTF-16LE, read by stage 1: core/boot/stage1.c
 * stage1_efi_vars), the boot record's entry= line it becomes (stage1_record_boot, read back as
 * keel slots bless does with lines_value) and the entry name's parse (core/disk/esp.c
 * esp_name_parse: NAME[+LEFT[-DONE]].efi).
 *
 * Byte 0 picks the variables written: bit 0 a SecureBoot variable (bit 1: of two bytes, which is
 * refused; else the byte 0 >> 3), bit 2 no LoaderEntrySelected; the rest is its data.
 * Invariants: only a two-byte SecureBoot or an overlong entry is refused, with a message; Secure
 * Boot is on exactly for the byte 1; the entry is the variable decoded up to its first NUL (a
 * character outside printable ASCII as '?'), shorter than STAGE1_ENTRY_MAX; the record reads back
 * the same entry and slot (no line of the record can be forged); an entry name that parses —
 * and the raw input as a name — formats back to a name that parses to the same base and
 * counters, and a name without counters is its base plus ".efi".
 */
#include "base/buf.h"
#include "base/err.h"
#include "base/fs.h"
#include "base/lines.h"
#include "boot/stage1.h"
#include "disk/esp.h"
#include "scratch.h"

#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

static char rec[300];
static int dirfd = -1;

static void check(int cond, const char *what)
{
	if (!cond) {
		fprintf(stderr, "boot_entry fuzz: %s\n", what);
		abort();
	}
}

static void put_var(const char *name, const uint8_t *data, size_t len)
{
	char p[400];
	snprintf(p, sizeof(p), "%s/%s", scratch, name);
	int fd = open(p, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	static const uint8_t attr[4] = {7, 0, 0, 0};
	check(fd >= 0 && write(fd, attr, 4) == 4 && (!len || write(fd, data, len) == (ssize_t)len) && !close(fd), "write a variable");
}

static void name_round_trip(const char *name)
{
	struct esp_name n, m;
	char again[ESP_NAME_MAX + 32];
	int r = esp_name_parse(name, &n);
	check(r == 0 || r == -EINVAL, "esp_name_parse: not 0 or -EINVAL");
	if (r)
		return;
	check(n.base[0] && !strncmp(name, n.base, strlen(n.base)) && !strchr(n.base, '/') && !strchr(n.base, '\\'),
		"base: empty, or not the name's start");
	check(n.left >= -1 && n.left <= 999999 && n.done >= -1 && n.done <= 999999 && (n.done < 0 || n.left >= 0), "counters");
	if (n.left < 0)
		snprintf(again, sizeof(again), "%s.efi", n.base);
	else if (n.done < 0)
		snprintf(again, sizeof(again), "%s+%d.efi", n.base, n.left);
	else
		snprintf(again, sizeof(again), "%s+%d-%d.efi", n.base, n.left, n.done);
	check(n.left >= 0 || !strcasecmp(again, name), "a name without counters is not its base plus .efi");
	check(strlen(again) <= strlen(name) && !esp_name_parse(again, &m) && !strcmp(m.base, n.base) && m.left == n.left &&
		m.done == n.done, "the name printed back parses differently");
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (dirfd < 0) {
		dirfd = scratch_open("boot-entry");
		snprintf(rec, sizeof(rec), "%s/rec", scratch);
	}
	if (!size)
		return 0;
	uint8_t sel = data[0], sb = sel >> 3;
	const uint8_t *v = data + 1;
	size_t vlen = size - 1;
	char p[400];
	snprintf(p, sizeof(p), "%s/SecureBoot-8be4df61-93ca-11d2-aa0d-00e098032b8c", scratch);
	unlink(p);
	if (sel & 1)
		put_var("SecureBoot-8be4df61-93ca-11d2-aa0d-00e098032b8c", (const uint8_t[]){sb, sb}, sel & 2 ? 2 : 1);
	snprintf(p, sizeof(p), "%s/LoaderEntrySelected-4a67b082-0a4c-41cf-b6c7-440b29bb8c4f", scratch);
	unlink(p);
	if (!(sel & 4))
		put_var("LoaderEntrySelected-4a67b082-0a4c-41cf-b6c7-440b29bb8c4f", v, vlen);

	static struct stage1 s;
	memset(&s, 0, sizeof(s));
	struct kerr e = {0};
	int r = stage1_efi_vars(&s, scratch, &e);
	bool refuse = ((sel & 3) == 3) || (!(sel & 4) && vlen > 2 * STAGE1_ENTRY_MAX - 2);
	check(refuse ? r == -EINVAL && e.msg[0] : r == 0, "refused exactly a two-byte SecureBoot or an overlong entry");
	if (r)
		return 0;
	check(s.secure_boot == ((sel & 3) == 1 && sb == 1), "Secure Boot on exactly for the byte 1");
	char want[STAGE1_ENTRY_MAX];
	size_t o = 0;
	for (size_t i = 0; !(sel & 4) && i + 1 < vlen && o + 1 < sizeof(want); i += 2) {
		unsigned c = v[i] | (unsigned)v[i + 1] << 8;
		if (!c)
			break;
		want[o++] = c >= 0x20 && c < 0x7f ? (char)c : '?';
	}
	want[o] = 0;
	check(!strcmp(s.entry, want), "the entry is not the variable decoded");

	/* the boot record: entry= reads back as written, and no other line changes */
	snprintf(s.slot, sizeof(s.slot), "USR-A");
	snprintf(p, sizeof(p), "%s/boot", rec);
	unlink(p);
	check(!stage1_record_boot(&s, rec, &e), "stage1_record_boot failed");
	struct buf b = BUF_INIT(1 << 16);
	check(!fs_read_path(AT_FDCWD, p, b.max, &b, &e), "read the record");
	char got[STAGE1_ENTRY_MAX + 8], slot[32], fb[8];
	lines_value(b.p, b.len, "entry", got, sizeof(got));
	lines_value(b.p, b.len, "slot", slot, sizeof(slot));
	lines_value(b.p, b.len, "fallback", fb, sizeof(fb));
	check(!strcmp(got, s.entry) && !strcmp(slot, "USR-A") && !fb[0], "the record reads back differently");
	buf_free(&b);

	name_round_trip(s.entry);
	char raw[ESP_NAME_MAX + 16];
	size_t n = vlen < sizeof(raw) - 1 ? vlen : sizeof(raw) - 1;
	memcpy(raw, v, n);
	raw[n] = 0;
	name_round_trip(raw);
	return 0;
}
