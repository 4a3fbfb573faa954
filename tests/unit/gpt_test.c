/* gpt_test.c — core/gpt: attribute bits (Bottlerocket vector), gptprio.next, both copies, forged tables. */
#include "t.h"
#include "base/err.h"
#include "disk/gpt.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

T_TEST(gpt_attr_bottlerocket_vector)
{
	uint64_t a = 0x5555555555555555ull;
	t_check(gpt_attr_priority(a) == 5 && gpt_attr_tries(a) == 5 && gpt_attr_successful(a) == 1, "decode 0x5555…");
	a = gpt_attr_set_priority(a, 0);
	t_check(a == 0x5550555555555555ull, "priority<-0: %016llx", (unsigned long long)a);
	a = gpt_attr_set_tries(a, 0);
	t_check(a == 0x5500555555555555ull, "tries<-0: %016llx", (unsigned long long)a);
	a = gpt_attr_set_successful(a, 0);
	t_check(a == 0x5400555555555555ull, "successful<-0: %016llx", (unsigned long long)a);
	t_check(gpt_attr_set_priority(0, 16) == 0 && gpt_attr_set_tries(0, 31) == 15ull << 52, "values masked to their bits");
}

T_TEST(gpt_crc32_known)
{
	t_check(gpt_crc32("123456789", 9) == 0xcbf43926u, "CRC32 check value");
	t_check(gpt_crc32("", 0) == 0, "empty");
}

T_TEST(gpt_guid_text)
{
	uint8_t g[16];
	char s[37];
	t_check(!gpt_guid_parse(g, "5dfbf5f4-2848-4bac-aa5e-0d9a20b745a6") && !memcmp(g, GPT_TYPE_COREOS_USR, 16), "parse CoreOS USR");
	gpt_guid_str(s, GPT_TYPE_COREOS_USR);
	t_check(!strcmp(s, "5dfbf5f4-2848-4bac-aa5e-0d9a20b745a6"), "format: %s", s);
	static const char *bad[] = {"5dfbf5f4-2848-4bac-aa5e-0d9a20b745a", "5dfbf5f4x2848-4bac-aa5e-0d9a20b745a6",
		"5dfbf5f4-2848-4bac-aa5e-0d9a20b745ag", ""};
	for (size_t i = 0; i < T_LEN(bad); i++)
		t_check(gpt_guid_parse(g, bad[i]) == -EINVAL, "bad guid %zu", i);
}

/* Disks laid out as sgdisk makes them: 128 entries of 128 bytes at LBA 2, their copy just before
 * the backup header at the last LBA. 512-byte sectors: a 1 MiB disk of NS sectors; 4096-byte
 * sectors (4Kn): a 256 KiB disk of NS4 sectors, whose entry array fills LBA 2..5. */
#define NS 2048
#define NS4 64
#define ARR (128 * 128)
static void put32(uint8_t *p, uint32_t v) { for (int i = 0; i < 4; i++) p[i] = (uint8_t)(v >> (8 * i)); }
static void put64(uint8_t *p, uint64_t v) { for (int i = 0; i < 8; i++) p[i] = (uint8_t)(v >> (8 * i)); }

static void entry_at(uint8_t *img, uint32_t ss, int i, const uint8_t type[16], uint64_t first, uint64_t last,
	uint64_t attr, const char *name)
{
	uint8_t *e = img + 2 * ss + i * 128;
	memcpy(e, type, 16);
	memset(e + 16, i + 1, 16);
	put64(e + 32, first);
	put64(e + 40, last);
	put64(e + 48, attr);
	for (int k = 0; name[k] && k < 36; k++)
		e[56 + 2 * k] = (uint8_t)name[k];
}

static void entry(uint8_t *img, int i, const uint8_t type[16], uint64_t first, uint64_t last, uint64_t attr, const char *name)
{
	entry_at(img, 512, i, type, first, last, attr, name);
}

/* Copy the entries to the backup array, then write both headers (hsize bytes, a reserved tail
 * past 92 filled with a pattern a shortened copy would lose) with their CRCs. */
static void seal_at(uint8_t *img, uint32_t ss, uint64_t ns, uint32_t hsize)
{
	uint64_t as = (ARR + ss - 1) / ss;
	memcpy(img + (ns - 1 - as) * ss, img + 2 * ss, ARR);
	uint32_t ecrc = gpt_crc32(img + 2 * ss, ARR);
	for (int copy = 0; copy < 2; copy++) {
		uint8_t *h = img + (copy ? (ns - 1) : 1) * ss;
		memset(h, 0, ss);
		memcpy(h, "EFI PART", 8);
		put32(h + 8, 0x00010000);
		put32(h + 12, hsize);
		put64(h + 24, copy ? ns - 1 : 1);
		put64(h + 32, copy ? 1 : ns - 1);
		put64(h + 40, 2 + as);
		put64(h + 48, ns - 2 - as);
		memset(h + 56, 0xab, 16);
		put64(h + 72, copy ? ns - 1 - as : 2);
		put32(h + 80, 128);
		put32(h + 84, 128);
		put32(h + 88, ecrc);
		for (uint32_t k = 92; k < hsize && k < ss; k++)
			h[k] = (uint8_t)(k % 251 + 1);
		put32(h + 16, gpt_crc32(h, hsize < ss ? hsize : ss)); /* a forged size past the sector: over the sector */
	}
}

static void seal(uint8_t *img) { seal_at(img, 512, NS, 92); }

static const uint8_t esp[16] = {0x28, 0x73, 0x2a, 0xc1, 0x1f, 0xf8, 0xd2, 0x11, 0xba, 0x4b, 0x00, 0xa0, 0xc9, 0x3e, 0xc9, 0x3b};
static const uint8_t linux_fs[16] = {0xaf, 0x3d, 0xc6, 0x0f, 0x83, 0x84, 0x72, 0x47, 0x8e, 0x79, 0x3d, 0x69, 0xd8, 0x47, 0x7d, 0xe4};

static uint8_t *mkdisk(uint64_t attr_a, uint64_t attr_b)
{
	uint8_t *img = calloc(NS, 512);
	entry(img, 0, esp, 40, 99, 0, "EFI-SYSTEM");
	entry(img, 1, GPT_TYPE_COREOS_USR, 100, 599, attr_a, "USR-A");
	entry(img, 2, GPT_TYPE_COREOS_USR, 600, 1099, attr_b, "USR-B");
	entry(img, 3, linux_fs, 1100, 1999, 0, "STATE");
	seal(img);
	return img;
}

/* The same four partitions on a 4Kn disk (usable LBAs 6..58), headers of hsize bytes. */
static uint8_t *mkdisk4k(uint32_t hsize, uint64_t attr_a, uint64_t attr_b)
{
	uint8_t *img = calloc(NS4, 4096);
	entry_at(img, 4096, 0, esp, 6, 9, 0, "EFI-SYSTEM");
	entry_at(img, 4096, 1, GPT_TYPE_COREOS_USR, 10, 29, attr_a, "USR-A");
	entry_at(img, 4096, 2, GPT_TYPE_COREOS_USR, 30, 49, attr_b, "USR-B");
	entry_at(img, 4096, 3, linux_fs, 50, 57, 0, "STATE");
	seal_at(img, 4096, NS4, hsize);
	return img;
}

static uint64_t A(unsigned p, unsigned t, unsigned s)
{
	return gpt_attr_set_successful(gpt_attr_set_tries(gpt_attr_set_priority(0, p), t), s);
}

T_TEST(gpt_prio_next_choice)
{
	/* GRUB gptprio.next: highest priority among tries > 0 or successful; the first on a tie */
	static const struct { unsigned pa, ta, sa, pb, tb, sb; int want; } cases[] = {
		{1, 0, 1, 0, 0, 0, 1},   /* A successful, B off */
		{1, 0, 1, 2, 1, 0, 2},   /* B higher with a try left */
		{1, 0, 1, 2, 0, 0, 1},   /* B higher but no tries, not successful */
		{2, 0, 1, 2, 3, 0, 1},   /* tie: the first */
		{0, 5, 1, 0, 5, 1, -1},  /* priority 0 never boots */
		{3, 0, 0, 1, 0, 0, -1},  /* nothing bootable */
		{15, 15, 0, 14, 0, 1, 1},
		{1, 1, 0, 15, 0, 1, 2},
	};
	for (size_t i = 0; i < T_LEN(cases); i++) {
		uint8_t *img = mkdisk(A(cases[i].pa, cases[i].ta, cases[i].sa), A(cases[i].pb, cases[i].tb, cases[i].sb));
		struct gpt g;
		struct kerr e = {0};
		int r = gpt_read(&(struct gpt_io){.fd = -1, .mem = img, .len = (size_t)NS * 512}, 512, &g, &e);
		t_check(!r, "case %zu: read: %s", i, e.msg);
		int n = gpt_prio_next(&g, GPT_TYPE_COREOS_USR);
		t_check(cases[i].want < 0 ? n == -ENOENT : n == cases[i].want, "case %zu: next %d want %d", i, n, cases[i].want);
		gpt_free(&g);
		free(img);
	}
}

T_TEST(gpt_read_entries)
{
	uint8_t *img = mkdisk(A(1, 0, 1), 0);
	struct gpt g;
	struct gpt_part p;
	struct kerr e = {0};
	t_check(!gpt_read(&(struct gpt_io){.fd = -1, .mem = img, .len = (size_t)NS * 512}, 512, &g, &e), "read: %s", e.msg);
	t_check(g.primary_ok && g.backup_ok && gpt_count(&g) == 128, "both copies valid");
	t_check(!gpt_get(&g, 1, &p) && !strcmp(p.name, "USR-A") && p.first_lba == 100 && p.last_lba == 599 &&
		!memcmp(p.type, GPT_TYPE_COREOS_USR, 16), "entry 2");
	t_check(gpt_get(&g, 4, &p) == -ENOENT && gpt_get(&g, 128, &p) == -EINVAL, "unused / out of range");
	t_check(gpt_find_name(&g, "STATE") == 3 && gpt_find_name(&g, "nope") == -ENOENT, "find by name");
	gpt_free(&g);
	free(img);
}

T_TEST(gpt_write_both_copies)
{
	uint8_t *img = mkdisk(A(2, 1, 0), A(1, 0, 1));
	const char *path = t_write("disk.img", img, (size_t)NS * 512);
	int fd = open(path, O_RDWR);
	struct gpt g;
	struct kerr e = {0};
	t_check(!gpt_read(&(struct gpt_io){.fd = fd}, 0, &g, &e), "read file: %s", e.msg);
	int n = gpt_prio_next(&g, GPT_TYPE_COREOS_USR);
	struct gpt_part p;
	gpt_get(&g, n, &p);
	t_check(n == 1 && !gpt_set_attr(&g, n, gpt_attr_set_tries(p.attr, gpt_attr_tries(p.attr) - 1)), "decrement");
	t_check(!gpt_write(fd, &g, &e), "write: %s", e.msg);
	gpt_free(&g);
	/* read back: the primary alone, the backup alone (primary destroyed) */
	uint8_t *disk = malloc((size_t)NS * 512);
	t_check(pread(fd, disk, (size_t)NS * 512, 0) == NS * 512, "pread");
	t_check(!gpt_read(&(struct gpt_io){.fd = -1, .mem = disk, .len = (size_t)NS * 512}, 512, &g, &e) && g.primary_ok &&
		g.backup_ok, "both valid after write: %s", e.msg);
	gpt_get(&g, 1, &p);
	t_check(gpt_attr_tries(p.attr) == 0 && gpt_attr_priority(p.attr) == 2, "tries 0 on disk");
	gpt_free(&g);
	disk[512 + 20] ^= 1; /* a reserved header byte: the header CRC breaks */
	t_check(!gpt_read(&(struct gpt_io){.fd = -1, .mem = disk, .len = (size_t)NS * 512}, 512, &g, &e) && !g.primary_ok &&
		g.backup_ok, "backup used when the primary is damaged");
	gpt_get(&g, 1, &p);
	t_check(gpt_attr_tries(p.attr) == 0, "backup carries the new tries too");
	/* writing from the backup repairs the primary */
	t_check(pwrite(fd, disk, (size_t)NS * 512, 0) == NS * 512, "pwrite");
	t_check(!gpt_write(fd, &g, &e), "repair write");
	gpt_free(&g);
	t_check(!gpt_read(&(struct gpt_io){.fd = fd}, 0, &g, &e) && g.primary_ok && g.backup_ok, "repaired");
	gpt_free(&g);
	close(fd);
	free(disk);
	free(img);
}

T_TEST(gpt_forged)
{
	/* each forgery breaks the primary; with the backup broken the same way the read fails */
	static const struct { int off; uint64_t val; int width; const char *what; } forged[] = {
		{0, 0x4641, 2, "signature"},
		{8, 0x00020000, 4, "revision"},
		{12, 91, 4, "header size too small"},
		{12, 513, 4, "header size beyond the sector"},
		{24, 5, 8, "my LBA"},
		{32, NS, 8, "alternate LBA outside"},
		{40, 1, 8, "first usable 1"},
		{48, NS, 8, "last usable outside"},
		{72, NS - 2, 8, "entry array past the end"},
		{72, 40, 8, "entry array inside the usable area"},
		{80, 0, 4, "no entries"},
		{80, 100000, 4, "too many entries"},
		{84, 64, 4, "entry size 64"},
		{84, 4096, 4, "entry size 4096"},
		{84, 132, 4, "entry size not a multiple of 8"},
	};
	for (size_t i = 0; i < T_LEN(forged); i++) {
		uint8_t *img = mkdisk(A(1, 0, 1), 0);
		for (int copy = 0; copy < 2; copy++) {
			uint8_t *h = img + (copy ? NS - 1 : 1) * 512;
			if (forged[i].width == 2)
				h[forged[i].off] ^= 0x41;
			else if (forged[i].width == 4)
				put32(h + forged[i].off, (uint32_t)forged[i].val);
			else
				put64(h + forged[i].off, forged[i].val);
			put32(h + 16, 0);
			put32(h + 16, gpt_crc32(h, 92)); /* a forger recomputes the CRC */
		}
		struct gpt g;
		struct kerr e = {0};
		int r = gpt_read(&(struct gpt_io){.fd = -1, .mem = img, .len = (size_t)NS * 512}, 512, &g, &e);
		t_check(r < 0 && e.msg[0], "forged %zu (%s): refused (%d: %s)", i, forged[i].what, r, e.msg);
		free(img);
	}
	/* entries: overlapping partitions, a partition outside the usable area, a wrong array CRC */
	static const struct { uint64_t first, last; } bad_ent[] = {{500, 700}, {30, 99}, {1900, 2040}, {200, 100}};
	for (size_t i = 0; i < T_LEN(bad_ent); i++) {
		uint8_t *img = mkdisk(A(1, 0, 1), 0);
		uint8_t *ent = img + 2 * 512 + 2 * 128; /* USR-B */
		put64(ent + 32, bad_ent[i].first);
		put64(ent + 40, bad_ent[i].last);
		seal(img);
		struct gpt g;
		struct kerr e = {0};
		t_check(gpt_read(&(struct gpt_io){.fd = -1, .mem = img, .len = (size_t)NS * 512}, 512, &g, &e) == -EINVAL,
			"bad entry %zu refused: %s", i, e.msg);
		free(img);
	}
	uint8_t *img = mkdisk(A(1, 0, 1), 0);
	img[2 * 512 + 48] ^= 1; /* an attribute bit changed without fixing the CRCs */
	memcpy(img + (NS - 33) * 512, img + 2 * 512, 128 * 128);
	struct gpt g;
	struct kerr e = {0};
	t_check(gpt_read(&(struct gpt_io){.fd = -1, .mem = img, .len = (size_t)NS * 512}, 512, &g, &e) == -EBADMSG,
		"entry CRC mismatch in both copies: %s", e.msg);
	/* a truncated disk */
	t_check(gpt_read(&(struct gpt_io){.fd = -1, .mem = img, .len = 2048}, 512, &g, &e) < 0, "4 sectors: refused");
	t_check(gpt_read(&(struct gpt_io){.fd = -1, .mem = img, .len = (size_t)NS * 512}, 1024, &g, &e) == -EINVAL, "sector 1024");
	free(img);
}

/* Where the table says its backup copy lives: never in the usable area (it would be written over
 * a partition), never an LBA from which the backup entry array would wrap around below 0. */
T_TEST(gpt_forged_backup_position)
{
	static const struct { uint64_t alt; int backup_there; const char *what; } cases[] = {
		{0, 0, "alternate LBA 0, backup unreadable"},
		{20, 0, "alternate LBA below the entry array size, backup unreadable"},
		{1000, 1, "a valid backup header inside USR-B"},
		{1000, 0, "alternate LBA inside USR-B, backup unreadable"},
	};
	for (size_t i = 0; i < T_LEN(cases); i++) {
		uint8_t *img = mkdisk(A(1, 0, 1), 0);
		uint8_t *ph = img + 512, *bh = img + (NS - 1) * 512;
		put64(ph + 32, cases[i].alt);
		put32(ph + 16, 0);
		put32(ph + 16, gpt_crc32(ph, 92));
		if (cases[i].backup_there) { /* the backup header moved to the LBA the primary names */
			put64(bh + 24, cases[i].alt);
			put32(bh + 16, 0);
			put32(bh + 16, gpt_crc32(bh, 92));
			memcpy(img + cases[i].alt * 512, bh, 512);
		}
		memset(bh, 0, 512);
		struct gpt g;
		struct kerr e = {0};
		int r = gpt_read(&(struct gpt_io){.fd = -1, .mem = img, .len = (size_t)NS * 512}, 512, &g, &e);
		t_check(r == -EINVAL && e.msg[0], "%s: refused (%d: %s; backup at %llu, entries at %llu)", cases[i].what, r,
			e.msg, (unsigned long long)g.backup_lba, (unsigned long long)g.backup_entries_lba);
		if (!r)
			gpt_free(&g);
		free(img);
	}
}

/* A partition name is shown by keel slots and in boot messages: no control characters. */
T_TEST(gpt_name_controls)
{
	static const struct { uint16_t units[8]; const char *want; } cases[] = {
		{{'U', 'S', 'R', '-', 'A'}, "USR-A"},
		{{'a', 0x1b, '[', '2', 'J'}, "a?[2J"},
		{{'a', '\n', 'b', '\r'}, "a?b?"},
		{{0x7f, 0x85, 0x9f, 0xe9}, "???\xc3\xa9"},
		{{0xd800, 'x'}, "?x"},
	};
	for (size_t i = 0; i < T_LEN(cases); i++) {
		uint8_t *img = mkdisk(A(1, 0, 1), 0);
		uint8_t *ent = img + 2 * 512 + 1 * 128; /* USR-A */
		memset(ent + 56, 0, 72);
		for (int k = 0; k < 8; k++) {
			ent[56 + 2 * k] = (uint8_t)cases[i].units[k];
			ent[57 + 2 * k] = (uint8_t)(cases[i].units[k] >> 8);
		}
		seal(img);
		struct gpt g;
		struct gpt_part p;
		struct kerr e = {0};
		t_check(!gpt_read(&(struct gpt_io){.fd = -1, .mem = img, .len = (size_t)NS * 512}, 512, &g, &e) &&
				!gpt_get(&g, 1, &p) && !strcmp(p.name, cases[i].want),
			"name %zu: \"%s\", want \"%s\"", i, p.name, cases[i].want);
		gpt_free(&g);
		free(img);
	}
}

/* A disk of ss-byte sectors (512: mkdisk's, 4096: mkdisk4k's) whose headers are hsize bytes. */
static uint8_t *mkdisk_ss(uint32_t ss, uint32_t hsize, uint64_t attr_a, uint64_t attr_b, size_t *len)
{
	*len = ss == 512 ? (size_t)NS * 512 : (size_t)NS4 * 4096;
	if (ss != 512)
		return mkdisk4k(hsize, attr_a, attr_b);
	uint8_t *img = mkdisk(attr_a, attr_b);
	seal_at(img, 512, NS, hsize);
	return img;
}

/* Read img (ss-byte sectors) from a file, set entry idx's tries to 0, write, read the disk back:
 * the same table (header bytes, entries, geometry) with both copies valid. Returns the disk as
 * written (to free), NULL if the first read failed. */
static uint8_t *roundtrip(const uint8_t *img, size_t len, uint32_t ss, int idx, const char *what)
{
	int fd = open(t_write("rt.img", img, len), O_RDWR);
	struct gpt g, h;
	struct gpt_part p;
	struct kerr e = {0};
	uint8_t *disk = NULL;
	int r = gpt_read(&(struct gpt_io){.fd = fd}, ss, &g, &e);
	t_check(!r, "%s: read from a file: %s", what, e.msg);
	if (r)
		goto out;
	t_check(!gpt_get(&g, idx, &p) && !gpt_set_attr(&g, idx, gpt_attr_set_tries(p.attr, 0)) && !gpt_write(fd, &g, &e),
		"%s: write: %s", what, e.msg);
	disk = malloc(len);
	t_check(pread(fd, disk, len, 0) == (ssize_t)len, "%s: pread", what);
	r = gpt_read(&(struct gpt_io){.fd = -1, .mem = disk, .len = len}, ss, &h, &e);
	t_check(!r && h.primary_ok && h.backup_ok, "%s: both copies valid after the write: %s", what, e.msg);
	if (!r) {
		t_check(h.sector == g.sector && h.disk_sectors == g.disk_sectors && h.hdr_size == g.hdr_size &&
				!memcmp(h.hdr, g.hdr, g.hdr_size) && !memcmp(h.disk_guid, g.disk_guid, 16) &&
				h.first_usable == g.first_usable && h.last_usable == g.last_usable &&
				h.primary_entries_lba == g.primary_entries_lba && h.backup_lba == g.backup_lba &&
				h.backup_entries_lba == g.backup_entries_lba && h.nentries == g.nentries && h.entry_size == g.entry_size &&
				!memcmp(h.entries, g.entries, (size_t)g.nentries * g.entry_size),
			"%s: the table read back is the table written", what);
		t_check(!gpt_get(&h, idx, &p) && gpt_attr_tries(p.attr) == 0, "%s: tries 0 on disk", what);
		gpt_free(&h);
	}
	gpt_free(&g);
out:
	close(fd);
	return disk;
}

static int all_zero(const uint8_t *p, size_t n)
{
	while (n--)
		if (*p++)
			return 0;
	return 1;
}

/* 4Kn disks: UEFI allows a header as large as the logical block (4096 bytes); the whole header
 * is kept and written back, its reserved tail included, on both sector sizes. */
T_TEST(gpt_4k_sectors)
{
	static const struct { uint32_t ss, hsize; } cases[] = {{512, 92}, {512, 512}, {4096, 92}, {4096, 512}, {4096, 4096}};
	for (size_t i = 0; i < T_LEN(cases); i++) {
		uint32_t ss = cases[i].ss, hs = cases[i].hsize;
		char what[64];
		snprintf(what, sizeof(what), "%u-byte sectors, %u-byte header", ss, hs);
		size_t len;
		uint8_t *img = mkdisk_ss(ss, hs, A(2, 1, 0), A(1, 0, 1), &len);
		struct gpt g;
		struct gpt_part p;
		struct kerr e = {0};
		int r = gpt_read(&(struct gpt_io){.fd = -1, .mem = img, .len = len}, ss, &g, &e);
		t_check(!r && g.primary_ok && g.backup_ok && g.sector == ss && g.hdr_size == hs && !memcmp(g.hdr, img + ss, hs),
			"%s: read: %s", what, e.msg);
		if (!r) {
			t_check(!gpt_get(&g, 1, &p) && !strcmp(p.name, "USR-A") && gpt_prio_next(&g, GPT_TYPE_COREOS_USR) == 1 &&
					g.backup_lba == len / ss - 1 && g.backup_entries_lba == len / ss - 1 - ARR / ss,
				"%s: entries and geometry", what);
			gpt_free(&g);
		}
		/* the other sector size finds no header at its LBA 1 */
		r = gpt_read(&(struct gpt_io){.fd = -1, .mem = img, .len = len}, ss == 512 ? 4096 : 512, &g, &e);
		t_check(r < 0, "%s: read with the other sector size refused (%s)", what, e.msg);
		uint8_t *disk = roundtrip(img, len, ss, 1, what);
		if (disk) {
			t_check(!memcmp(disk + ss, img + ss, 12) && !memcmp(disk + ss + 92, img + ss + 92, hs - 92) &&
					all_zero(disk + ss + hs, ss - hs),
				"%s: on disk: the reserved tail kept, the rest of the sector zero", what);
			disk[ss + 20] ^= 1; /* a reserved byte of the primary: its CRC breaks */
			r = gpt_read(&(struct gpt_io){.fd = -1, .mem = disk, .len = len}, ss, &g, &e);
			t_check(!r && !g.primary_ok && g.backup_ok && !gpt_get(&g, 1, &p) && gpt_attr_tries(p.attr) == 0 &&
					g.hdr_size == hs,
				"%s: primary damaged, the backup carries the write: %s", what, e.msg);
			if (!r)
				gpt_free(&g);
			free(disk);
		}
		free(img);
	}
}

/* Header sizes outside 92 .. the sector size, the CRC recomputed as a forger would. */
T_TEST(gpt_forged_header_size)
{
	static const struct { uint32_t ss, hsize; } cases[] = {
		{512, 91}, {512, 513}, {512, 4096}, {4096, 91}, {4096, 4097}, {4096, 8192}, {4096, 0xffffffffu},
	};
	for (size_t i = 0; i < T_LEN(cases); i++) {
		size_t len;
		uint8_t *img = mkdisk_ss(cases[i].ss, cases[i].hsize, A(1, 0, 1), 0, &len);
		struct gpt g;
		struct kerr e = {0};
		int r = gpt_read(&(struct gpt_io){.fd = -1, .mem = img, .len = len}, cases[i].ss, &g, &e);
		t_check(r == -EINVAL && strstr(e.msg, "(offset 12): size"), "%u-byte sectors, header size %u: refused (%d: %s)",
			cases[i].ss, cases[i].hsize, r, e.msg);
		if (!r)
			gpt_free(&g);
		free(img);
	}
}

/* gpt_write() of a table that was never read (or was freed) writes nothing. */
T_TEST(gpt_write_unread)
{
	int fd = open(t_write("unread.img", "", 0), O_RDWR);
	struct gpt g;
	struct kerr e = {0};
	memset(&g, 0, sizeof(g));
	t_check(gpt_write(fd, &g, &e) == -EINVAL && e.msg[0], "zeroed table refused: %s", e.msg);
	g.sector = 4096;
	g.hdr_size = 4097;
	t_check(gpt_write(fd, &g, &e) == -EINVAL, "header size past the sector refused");
	struct stat st;
	t_check(!fstat(fd, &st) && st.st_size == 0, "nothing written");
	close(fd);
}
