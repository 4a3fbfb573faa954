/* gpt.c — fuzz core/gpt: the input is one selector byte and a disk image (both headers, entry
 * arrays, entries). Bit 0 of the selector picks the logical sector size (0: 512, 1: 4096, a 4Kn
 * disk); bits 1-7 pick an entry whose tries are changed before the write. Every table that reads
 * is written back (gpt_write on a copy of the disk in a memfd) and read again; the invariant: the
 * table read back is the table written, both copies valid, the disk's size unchanged. */
#include "disk/gpt.h"

#include "base/applet.h"

#include <stdint.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

/* core/base/log.c and core/base/args.c name the running applet; weak so a shared definition may win */
__attribute__((weak)) const struct applet *keel_applet;

#define CHECK(c) do { if (!(c)) __builtin_trap(); } while (0)

static void same_table(const struct gpt *a, const struct gpt *b)
{
	CHECK(a->sector == b->sector && a->disk_sectors == b->disk_sectors && a->hdr_size == b->hdr_size);
	CHECK(a->hdr_size <= a->sector && a->hdr_size <= sizeof(a->hdr) && !memcmp(a->hdr, b->hdr, a->hdr_size));
	CHECK(!memcmp(a->disk_guid, b->disk_guid, 16) && a->first_usable == b->first_usable && a->last_usable == b->last_usable);
	CHECK(a->primary_entries_lba == b->primary_entries_lba && a->backup_lba == b->backup_lba &&
		a->backup_entries_lba == b->backup_entries_lba);
	CHECK(a->nentries == b->nentries && a->entry_size == b->entry_size &&
		!memcmp(a->entries, b->entries, (size_t)a->nentries * a->entry_size));
}

static void write_read_back(const uint8_t *disk, size_t len, uint32_t sector, struct gpt *g, unsigned pick)
{
	static int fd = -1;
	struct gpt h;
	struct gpt_part p;
	struct stat st;
	if (fd < 0)
		fd = memfd_create("gpt-fuzz", MFD_CLOEXEC);
	CHECK(fd >= 0 && !ftruncate(fd, 0) && pwrite(fd, disk, len, 0) == (ssize_t)len);
	int i = (int)(pick % (unsigned)gpt_count(g));
	if (!gpt_get(g, i, &p))
		CHECK(!gpt_set_attr(g, i, gpt_attr_set_tries(p.attr, gpt_attr_tries(p.attr) + 1)));
	CHECK(!gpt_write(fd, g, NULL));
	CHECK(!fstat(fd, &st) && (size_t)st.st_size == len);
	CHECK(!gpt_read(&(struct gpt_io){.fd = fd}, sector, &h, NULL));
	CHECK(h.primary_ok && h.backup_ok);
	same_table(g, &h);
	gpt_free(&h);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct gpt g;
	struct gpt_part p;
	if (size < 1)
		return 0;
	uint32_t sector = data[0] & 1 ? 4096 : 512;
	const uint8_t *disk = data + 1;
	size_t len = size - 1;
	if (gpt_read(&(struct gpt_io){.fd = -1, .mem = disk, .len = len}, sector, &g, NULL))
		return 0;
	CHECK(g.sector == sector && g.hdr_size >= 92 && g.hdr_size <= sector);
	for (int i = 0; i < gpt_count(&g); i++)
		if (!gpt_get(&g, i, &p))
			CHECK(strlen(p.name) < GPT_NAME_MAX && p.first_lba >= g.first_usable && p.last_lba <= g.last_usable);
	gpt_prio_next(&g, GPT_TYPE_COREOS_USR);
	gpt_find_name(&g, "USR-A");
	write_read_back(disk, len, sector, &g, data[0] >> 1);
	gpt_free(&g);
	return 0;
}
