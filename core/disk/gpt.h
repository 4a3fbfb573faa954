/* gpt.h — GUID partition tables: read and check both copies, change entries, write both back;
 * the A/B slot attributes of ChromeOS/Flatcar and GRUB's gptprio.next choice.
 *
 * Layout (UEFI 2.x §5.3): primary header at LBA 1, its entry array after it (normally LBA 2),
 * backup entry array before the backup header at the last LBA. Each header carries the CRC32
 * (IEEE, as zlib) of its first header_size bytes (the CRC field zeroed) and of the entry array.
 * gpt_read() accepts the primary copy when it is valid, else the backup (and says so); both are
 * checked against each other when both are valid. gpt_write() rewrites the backup copy first
 * (entries, header, fsync), then the primary: a crash at any point leaves one valid copy.
 *
 * Attribute bits (vboot cgptlib, Flatcar): 48–51 priority, 52–55 tries, 56 successful.
 * Everything read from the disk is untrusted: sizes are capped (GPT_MAX_ENTRIES entries of at
 * most GPT_MAX_ENTRY_SIZE bytes) and every LBA is checked against the disk size. The header
 * size must be 92 .. the logical sector size (UEFI 2.x §5.3.2: 512 or 4096 here); struct gpt
 * keeps the whole header of the largest sector (GPT_SECTOR_MAX bytes), so what is read is
 * written back byte for byte (its reserved tail included) on any disk keel accepts.
 */
#ifndef KEEL_GPT_H
#define KEEL_GPT_H

#include <stddef.h>
#include <stdint.h>

struct kerr;

#define GPT_MAX_ENTRIES 1024
#define GPT_MAX_ENTRY_SIZE 1024
#define GPT_SECTOR_MAX 4096 /* logical sector sizes: 512 and 4096 */
#define GPT_NAME_MAX 72 /* 36 UTF-16 code units, as UTF-8 (BMP only) plus NUL */

/* 5dfbf5f4-2848-4bac-aa5e-0d9a20b745a6: CoreOS/Flatcar USR partition (the A/B slots) */
extern const uint8_t GPT_TYPE_COREOS_USR[16];

struct gpt_part {
	uint8_t type[16];   /* on-disk byte order (mixed-endian) */
	uint8_t uuid[16];
	uint64_t first_lba, last_lba;
	uint64_t attr;
	char name[GPT_NAME_MAX]; /* UTF-8; a surrogate or control code unit becomes '?' */
};

struct gpt {
	uint32_t sector;       /* logical sector size: 512 or 4096 */
	uint64_t disk_sectors; /* size of the disk in sectors */
	uint8_t disk_guid[16];
	uint64_t first_usable, last_usable;
	uint64_t primary_entries_lba, backup_lba, backup_entries_lba;
	uint32_t nentries, entry_size;
	uint8_t *entries;      /* nentries * entry_size raw bytes (owned) */
	int primary_ok, backup_ok; /* which copies were valid when read */
	uint32_t hdr_size;     /* 92 .. sector (checked on read and before a write) */
	uint8_t hdr[GPT_SECTOR_MAX]; /* header bytes of the valid copy (rebuilt on write) */
};

/* Source of bytes: a file/device (fd >= 0) or memory (fd < 0, tests and fuzzing). */
struct gpt_io {
	int fd;
	const uint8_t *mem;
	size_t len;
};

/* Read the table. sector 0 means: the device's logical block size (BLKSSZGET), 512 for a file. */
int gpt_read(const struct gpt_io *io, uint32_t sector, struct gpt *g, struct kerr *e);
void gpt_free(struct gpt *g); /* accepts a zeroed or freed table */

int gpt_count(const struct gpt *g);                 /* entries (in use or not) */
int gpt_get(const struct gpt *g, int i, struct gpt_part *p); /* -EINVAL out of range; unused: -ENOENT */
/* Change entry i's attributes (the only field keel writes). */
int gpt_set_attr(struct gpt *g, int i, uint64_t attr);
/* Write entries and both headers back (fd must be the same disk, opened read-write). */
int gpt_write(int fd, struct gpt *g, struct kerr *e);

/* Index of the first used entry with this name (PARTLABEL), -ENOENT if none, -EEXIST if two. */
int gpt_find_name(const struct gpt *g, const char *name);

/* Slot attributes (bits 48–56). */
unsigned gpt_attr_priority(uint64_t attr);
unsigned gpt_attr_tries(uint64_t attr);
unsigned gpt_attr_successful(uint64_t attr);
uint64_t gpt_attr_set_priority(uint64_t attr, unsigned v); /* v is masked to 4 bits */
uint64_t gpt_attr_set_tries(uint64_t attr, unsigned v);
uint64_t gpt_attr_set_successful(uint64_t attr, unsigned v);

/* GRUB gptprio.next: among entries of this type with tries > 0 or successful, the one with the
 * highest priority (> 0; the first in table order on a tie). Returns its index or -ENOENT.
 * Does not change anything: the caller decrements tries (gpt_attr_set_tries) and writes. */
int gpt_prio_next(const struct gpt *g, const uint8_t type[16]);

/* "xxxxxxxx-xxxx-…" (lower case) for a GUID in on-disk order; out has 37 bytes. */
void gpt_guid_str(char out[37], const uint8_t guid[16]);
int gpt_guid_parse(uint8_t guid[16], const char *s); /* -EINVAL unless 36 chars of that form */

uint32_t gpt_crc32(const void *data, size_t len);

#endif
