/* gpt.c — GUID partition tables: both copies checked, attributes, gptprio.next. */
#include "disk/gpt.h"
#include "base/buf.h"
#include "base/err.h"
#include "base/utf8.h"
#include "base/fs.h"

#include <errno.h>
#include <linux/fs.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <unistd.h>

const uint8_t GPT_TYPE_COREOS_USR[16] = {0xf4, 0xf5, 0xfb, 0x5d, 0x48, 0x28, 0xac, 0x4b, 0xaa, 0x5e,
	0x0d, 0x9a, 0x20, 0xb7, 0x45, 0xa6};

#define HDR_MIN 92

uint32_t gpt_crc32(const void *data, size_t len)
{
	static uint32_t table[256];
	static int ready;
	if (!ready) {
		for (uint32_t i = 0; i < 256; i++) {
			uint32_t c = i;
			for (int k = 0; k < 8; k++)
				c = (c & 1) ? 0xedb88320u ^ (c >> 1) : c >> 1;
			table[i] = c;
		}
		ready = 1;
	}
	const uint8_t *p = data;
	uint32_t c = 0xffffffffu;
	while (len--)
		c = table[(c ^ *p++) & 0xff] ^ (c >> 8);
	return c ^ 0xffffffffu;
}

static uint32_t le32(const uint8_t *p) { return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24; }
static uint64_t le64(const uint8_t *p) { return (uint64_t)le32(p) | (uint64_t)le32(p + 4) << 32; }
static void put32(uint8_t *p, uint32_t v) { for (int i = 0; i < 4; i++) p[i] = (uint8_t)(v >> (8 * i)); }
static void put64(uint8_t *p, uint64_t v) { for (int i = 0; i < 8; i++) p[i] = (uint8_t)(v >> (8 * i)); }

static int io_read(const struct gpt_io *io, uint64_t off, void *buf, size_t len)
{
	if (io->fd >= 0) {
		if (off > (uint64_t)INT64_MAX - len)
			return -EINVAL;
		return fs_pread_all(io->fd, buf, len, (off_t)off);
	}
	if (off > io->len || len > io->len - off)
		return -EIO;
	memcpy(buf, io->mem + off, len);
	return 0;
}

static int io_size(const struct gpt_io *io, uint32_t *sector, uint64_t *bytes)
{
	if (io->fd < 0) {
		*bytes = io->len;
		if (!*sector)
			*sector = 512;
		return 0;
	}
	struct stat st;
	if (fstat(io->fd, &st))
		return -errno;
	if (S_ISBLK(st.st_mode)) {
		int ss = 0;
		if (ioctl(io->fd, BLKGETSIZE64, bytes))
			return -errno;
		if (!*sector) {
			if (ioctl(io->fd, BLKSSZGET, &ss))
				return -errno;
			*sector = (uint32_t)ss;
		}
	} else {
		*bytes = (uint64_t)st.st_size;
		if (!*sector)
			*sector = 512;
	}
	return 0;
}

struct hdr {
	uint8_t raw[GPT_SECTOR_MAX];
	uint32_t size;
	uint64_t my_lba, alt_lba, first_usable, last_usable, entries_lba;
	uint32_t nentries, entry_size, entries_crc;
	uint8_t *entries;
};

static int entry_used(const uint8_t *ent)
{
	for (int i = 0; i < 16; i++)
		if (ent[i])
			return 1;
	return 0;
}

/* Read and check the header at lba and its entry array. */
static int hdr_read(const struct gpt_io *io, uint32_t sector, uint64_t nsect, uint64_t lba, struct hdr *h,
	struct kerr *e)
{
	const char *which = lba == 1 ? "primary" : "backup";
	int ret;
	memset(h, 0, sizeof(*h));
	if ((ret = io_read(io, lba * sector, h->raw, sector)))
		return kerr_set(e, ret, "GPT %s header (LBA %llu): unreadable", which, (unsigned long long)lba);
	if (memcmp(h->raw, "EFI PART", 8))
		return kerr_set(e, -EINVAL, "GPT %s header (LBA %llu, offset 0): no \"EFI PART\" signature", which, (unsigned long long)lba);
	if (le32(h->raw + 8) != 0x00010000)
		return kerr_set(e, -EINVAL, "GPT %s header (offset 8): revision 0x%08x, want 0x00010000", which, le32(h->raw + 8));
	h->size = le32(h->raw + 12);
	/* UEFI: 92 .. the logical block size; gpt_read() took only sectors of <= GPT_SECTOR_MAX,
	 * the size of struct gpt's copy of the header */
	if (h->size < HDR_MIN || h->size > sector || h->size > GPT_SECTOR_MAX)
		return kerr_set(e, -EINVAL, "GPT %s header (offset 12): size %u out of [%d, %u]", which, h->size, HDR_MIN, sector);
	uint8_t tmp[GPT_SECTOR_MAX];
	memcpy(tmp, h->raw, h->size);
	memset(tmp + 16, 0, 4);
	if (gpt_crc32(tmp, h->size) != le32(h->raw + 16))
		return kerr_set(e, -EBADMSG, "GPT %s header (offset 16): header CRC32 mismatch", which);
	h->my_lba = le64(h->raw + 24);
	h->alt_lba = le64(h->raw + 32);
	h->first_usable = le64(h->raw + 40);
	h->last_usable = le64(h->raw + 48);
	h->entries_lba = le64(h->raw + 72);
	h->nentries = le32(h->raw + 80);
	h->entry_size = le32(h->raw + 84);
	h->entries_crc = le32(h->raw + 88);
	if (h->my_lba != lba)
		return kerr_set(e, -EINVAL, "GPT %s header (offset 24): my LBA %llu, found at %llu", which,
			(unsigned long long)h->my_lba, (unsigned long long)lba);
	if (h->alt_lba >= nsect || h->alt_lba == lba)
		return kerr_set(e, -EINVAL, "GPT %s header (offset 32): alternate LBA %llu invalid", which, (unsigned long long)h->alt_lba);
	if (h->first_usable < 2 || h->first_usable > h->last_usable || h->last_usable >= nsect)
		return kerr_set(e, -EINVAL, "GPT %s header (offset 40): usable LBAs %llu..%llu outside the disk", which,
			(unsigned long long)h->first_usable, (unsigned long long)h->last_usable);
	if (h->entry_size < 128 || h->entry_size > GPT_MAX_ENTRY_SIZE || h->entry_size % 8)
		return kerr_set(e, -EINVAL, "GPT %s header (offset 84): entry size %u", which, h->entry_size);
	if (!h->nentries || h->nentries > GPT_MAX_ENTRIES)
		return kerr_set(e, -EINVAL, "GPT %s header (offset 80): %u entries (1..%d)", which, h->nentries, GPT_MAX_ENTRIES);
	uint64_t arr = (uint64_t)h->nentries * h->entry_size, arr_sect = (arr + sector - 1) / sector;
	if (h->entries_lba < 2 || h->entries_lba >= nsect || arr_sect > nsect - h->entries_lba)
		return kerr_set(e, -EINVAL, "GPT %s header (offset 72): entry array at LBA %llu outside the disk", which,
			(unsigned long long)h->entries_lba);
	/* the array may not overlap the usable area or its own header */
	if ((h->entries_lba <= lba && lba < h->entries_lba + arr_sect) ||
		(h->entries_lba <= h->last_usable && h->entries_lba + arr_sect > h->first_usable))
		return kerr_set(e, -EINVAL, "GPT %s header (offset 72): entry array overlaps the header or the usable LBAs", which);
	h->entries = malloc(arr);
	if (!h->entries)
		return kerr_set(e, -ENOMEM, "GPT %s: out of memory", which);
	if ((ret = io_read(io, h->entries_lba * sector, h->entries, arr)))
		return kerr_set(e, ret, "GPT %s entry array (LBA %llu): unreadable", which, (unsigned long long)h->entries_lba);
	if (gpt_crc32(h->entries, arr) != h->entries_crc)
		return kerr_set(e, -EBADMSG, "GPT %s header (offset 88): entry array CRC32 mismatch", which);
	for (uint32_t i = 0; i < h->nentries; i++) {
		const uint8_t *a = h->entries + (size_t)i * h->entry_size;
		if (!entry_used(a))
			continue;
		uint64_t f = le64(a + 32), l = le64(a + 40);
		if (f > l || f < h->first_usable || l > h->last_usable)
			return kerr_set(e, -EINVAL, "GPT %s entry %u: LBAs %llu..%llu outside the usable area", which, i + 1,
				(unsigned long long)f, (unsigned long long)l);
		for (uint32_t j = 0; j < i; j++) {
			const uint8_t *b = h->entries + (size_t)j * h->entry_size;
			if (entry_used(b) && f <= le64(b + 40) && le64(b + 32) <= l)
				return kerr_set(e, -EINVAL, "GPT %s entries %u and %u overlap", which, j + 1, i + 1);
		}
	}
	return 0;
}

int gpt_read(const struct gpt_io *io, uint32_t sector, struct gpt *g, struct kerr *e)
{
	struct hdr p, b;
	struct kerr pe = {0}, be = {0};
	uint64_t bytes = 0;
	int ret, rp, rb = -EINVAL;

	memset(g, 0, sizeof(*g));
	if ((ret = io_size(io, &sector, &bytes)))
		return kerr_set(e, ret, "GPT: disk size: %s", strerror(-ret));
	if (sector != 512 && sector != 4096)
		return kerr_set(e, -EINVAL, "GPT: sector size %u unsupported", sector);
	uint64_t nsect = bytes / sector;
	if (nsect < 6)
		return kerr_set(e, -EINVAL, "GPT: disk of %llu bytes is too small", (unsigned long long)bytes);
	rp = hdr_read(io, sector, nsect, 1, &p, &pe);
	/* the backup: where the primary says, else at the last LBA */
	uint64_t blba = (!rp) ? p.alt_lba : nsect - 1;
	rb = hdr_read(io, sector, nsect, blba, &b, &be);
	if (rp && rb) {
		ret = kerr_set(e, rp, "%s; %s", pe.msg, be.msg);
		goto out;
	}
	struct hdr *h = rp ? &b : &p;
	if (!rp && !rb) { /* both valid: they must describe the same table */
		if (p.nentries != b.nentries || p.entry_size != b.entry_size || p.first_usable != b.first_usable ||
			p.last_usable != b.last_usable || memcmp(p.raw + 56, b.raw + 56, 16) ||
			memcmp(p.entries, b.entries, (size_t)p.nentries * p.entry_size) || b.alt_lba != 1)
			rb = -EINVAL; /* use the primary; the backup is rewritten on the next write */
	}
	g->sector = sector;
	g->disk_sectors = nsect;
	memcpy(g->disk_guid, h->raw + 56, 16);
	g->first_usable = h->first_usable;
	g->last_usable = h->last_usable;
	g->nentries = h->nentries;
	g->entry_size = h->entry_size;
	g->hdr_size = h->size;
	memcpy(g->hdr, h->raw, h->size);
	g->primary_ok = !rp;
	g->backup_ok = !rb;
	uint64_t arr_sect = ((uint64_t)h->nentries * h->entry_size + sector - 1) / sector;
	if (!rp) {
		g->primary_entries_lba = p.entries_lba;
		g->backup_lba = p.alt_lba;
		if (rb && p.alt_lba < arr_sect) { /* the backup array would start below LBA 0 */
			ret = kerr_set(e, -EINVAL, "GPT primary header (offset 32): alternate LBA %llu leaves no room for the backup entry array",
				(unsigned long long)p.alt_lba);
			goto out;
		}
		g->backup_entries_lba = !rb ? b.entries_lba : p.alt_lba - arr_sect;
	} else {
		g->primary_entries_lba = 2;
		g->backup_lba = b.my_lba;
		g->backup_entries_lba = b.entries_lba;
	}
	/* gpt_write puts the backup header there: never over a partition */
	if (g->backup_lba <= g->last_usable) {
		ret = kerr_set(e, -EINVAL, "GPT %s header (offset 32): backup header at LBA %llu inside the usable LBAs %llu..%llu",
			rp ? "backup" : "primary", (unsigned long long)g->backup_lba, (unsigned long long)g->first_usable,
			(unsigned long long)g->last_usable);
		goto out;
	}
	if (g->backup_entries_lba <= g->last_usable || g->primary_entries_lba + arr_sect > g->first_usable) {
		ret = kerr_set(e, -EINVAL, "GPT: no room for the %s entry array", rp ? "primary" : "backup");
		goto out;
	}
	g->entries = h->entries;
	h->entries = NULL;
	ret = 0;
out:
	free(p.entries);
	free(b.entries);
	if (ret)
		gpt_free(g);
	return ret;
}

void gpt_free(struct gpt *g)
{
	if (!g)
		return;
	free(g->entries);
	g->entries = NULL;
	g->nentries = 0;
}

int gpt_count(const struct gpt *g) { return (int)g->nentries; }

static void name_utf8(char *out, const uint8_t *in)
{
	size_t o = 0;
	for (int i = 0; i < 36; i++) {
		unsigned u = (unsigned)in[2 * i] | (unsigned)in[2 * i + 1] << 8;
		if (!u)
			break;
		if ((u >= 0xd800 && u <= 0xdfff) || u < 0x20 || (u >= 0x7f && u < 0xa0))
			u = '?'; /* surrogates; control characters never reach a terminal or a log line */
		o += utf8_put((unsigned char *)out + o, u);
		if (o > GPT_NAME_MAX - 4)
			break;
	}
	out[o] = 0;
}

int gpt_get(const struct gpt *g, int i, struct gpt_part *p)
{
	if (i < 0 || (uint32_t)i >= g->nentries)
		return -EINVAL;
	const uint8_t *a = g->entries + (size_t)i * g->entry_size;
	memset(p, 0, sizeof(*p));
	if (!entry_used(a))
		return -ENOENT;
	memcpy(p->type, a, 16);
	memcpy(p->uuid, a + 16, 16);
	p->first_lba = le64(a + 32);
	p->last_lba = le64(a + 40);
	p->attr = le64(a + 48);
	name_utf8(p->name, a + 56);
	return 0;
}

int gpt_set_attr(struct gpt *g, int i, uint64_t attr)
{
	if (i < 0 || (uint32_t)i >= g->nentries)
		return -EINVAL;
	uint8_t *a = g->entries + (size_t)i * g->entry_size;
	if (!entry_used(a))
		return -ENOENT;
	put64(a + 48, attr);
	return 0;
}

int gpt_find_name(const struct gpt *g, const char *name)
{
	int found = -ENOENT;
	struct gpt_part p;
	for (int i = 0; i < (int)g->nentries; i++) {
		if (gpt_get(g, i, &p) || strcmp(p.name, name))
			continue;
		if (found >= 0)
			return -EEXIST;
		found = i;
	}
	return found;
}

static int write_copy(int fd, struct gpt *g, const uint8_t *hdr, uint64_t lba, uint64_t entries_lba)
{
	size_t arr = (size_t)g->nentries * g->entry_size;
	int ret;
	if ((ret = fs_pwrite_all(fd, g->entries, arr, (off_t)(entries_lba * g->sector))) ||
		(ret = fs_pwrite_all(fd, hdr, g->sector, (off_t)(lba * g->sector))))
		return ret;
	return fsync(fd) ? -errno : 0;
}

int gpt_write(int fd, struct gpt *g, struct kerr *e)
{
	uint8_t ph[GPT_SECTOR_MAX], bh[GPT_SECTOR_MAX];
	size_t arr = (size_t)g->nentries * g->entry_size;
	int ret;

	/* what gpt_read() guarantees, checked again: ph, bh and g->hdr hold a whole sector */
	if ((g->sector != 512 && g->sector != 4096) || g->hdr_size < HDR_MIN || g->hdr_size > g->sector ||
		g->hdr_size > sizeof(g->hdr) || !g->entries)
		return kerr_set(e, -EINVAL, "GPT: no table read to write (sector %u, header size %u)", g->sector, g->hdr_size);
	uint32_t ecrc = gpt_crc32(g->entries, arr);
	memset(ph, 0, sizeof(ph));
	memcpy(ph, g->hdr, g->hdr_size);
	put32(ph + 88, ecrc);
	memcpy(bh, ph, sizeof(bh));
	put64(ph + 24, 1);
	put64(ph + 32, g->backup_lba);
	put64(ph + 72, g->primary_entries_lba);
	put32(ph + 16, 0);
	put32(ph + 16, gpt_crc32(ph, g->hdr_size));
	put64(bh + 24, g->backup_lba);
	put64(bh + 32, 1);
	put64(bh + 72, g->backup_entries_lba);
	put32(bh + 16, 0);
	put32(bh + 16, gpt_crc32(bh, g->hdr_size));
	if ((ret = write_copy(fd, g, bh, g->backup_lba, g->backup_entries_lba)))
		return kerr_set(e, ret, "GPT backup copy (LBA %llu): write: %s", (unsigned long long)g->backup_lba, strerror(-ret));
	if ((ret = write_copy(fd, g, ph, 1, g->primary_entries_lba)))
		return kerr_set(e, ret, "GPT primary copy (LBA 1): write: %s", strerror(-ret));
	memcpy(g->hdr, ph, g->hdr_size);
	g->primary_ok = g->backup_ok = 1;
	return 0;
}

unsigned gpt_attr_priority(uint64_t attr) { return (unsigned)(attr >> 48) & 15; }
unsigned gpt_attr_tries(uint64_t attr) { return (unsigned)(attr >> 52) & 15; }
unsigned gpt_attr_successful(uint64_t attr) { return (unsigned)(attr >> 56) & 1; }
uint64_t gpt_attr_set_priority(uint64_t attr, unsigned v) { return (attr & ~(15ull << 48)) | (uint64_t)(v & 15) << 48; }
uint64_t gpt_attr_set_tries(uint64_t attr, unsigned v) { return (attr & ~(15ull << 52)) | (uint64_t)(v & 15) << 52; }
uint64_t gpt_attr_set_successful(uint64_t attr, unsigned v) { return (attr & ~(1ull << 56)) | (uint64_t)(v & 1) << 56; }

int gpt_prio_next(const struct gpt *g, const uint8_t type[16])
{
	int best = -ENOENT;
	unsigned best_prio = 0;
	struct gpt_part p;
	for (int i = 0; i < (int)g->nentries; i++) {
		if (gpt_get(g, i, &p) || memcmp(p.type, type, 16))
			continue;
		unsigned prio = gpt_attr_priority(p.attr);
		if (prio > best_prio && (gpt_attr_tries(p.attr) || gpt_attr_successful(p.attr))) {
			best_prio = prio;
			best = i;
		}
	}
	return best;
}

/* GUIDs: the first three fields little-endian on disk, the last two as bytes. */
static const int guid_order[16] = {3, 2, 1, 0, 5, 4, 7, 6, 8, 9, 10, 11, 12, 13, 14, 15};

void gpt_guid_str(char out[37], const uint8_t guid[16])
{
	int o = 0;
	for (int i = 0; i < 16; i++) {
		if (i == 4 || i == 6 || i == 8 || i == 10)
			out[o++] = '-';
		hex_encode(out + o, &guid[guid_order[i]], 1);
		o += 2;
	}
	out[o] = 0;
}

int gpt_guid_parse(uint8_t guid[16], const char *s)
{
	if (strlen(s) != 36)
		return -EINVAL;
	int k = 0;
	for (int i = 0; i < 36;) {
		if (i == 8 || i == 13 || i == 18 || i == 23) {
			if (s[i++] != '-')
				return -EINVAL;
			continue;
		}
		if (hex_decode(&guid[guid_order[k++]], 1, s + i, 2))
			return -EINVAL;
		i += 2;
	}
	return 0;
}
