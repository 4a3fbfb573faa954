/* esp.h — boot entries on the EFI system partition: Boot Loader Specification type #2 names with
 * Automatic Boot Assessment counters, and marking an entry good on the FAT file system itself,
 * without mounting it (no vfat module, no mount on the host, every write ours to order).
 *
 * Names: NAME.efi (good), NAME+LEFT.efi or NAME+LEFT-DONE.efi (on trial; LEFT 0 = bad: systemd-
 * boot sorts it after all others). systemd-boot renames NAME+LEFT-DONE to NAME+(LEFT-1)-(DONE+1)
 * before it boots the entry and names it in LoaderEntrySelected as it was before that rename.
 *
 * esp_bless() renames the entry's file in EFI/Linux to NAME.efi, as systemd-bless-boot does,
 * by editing the directory entries of that FAT directory in this order, each step written and
 * fsynced before the next:
 *   1. the long-name entries of NAME.efi in free slots (alone they are orphans every FAT driver
 *      ignores: the checksum ties them to a short entry that does not exist yet)
 *   2. the short entry (a unique 8.3 alias, same first cluster, size, times and attributes as
 *      the old one): from here both names exist and share one cluster chain
 *   3. the old short entry marked deleted (0xE5), then its long-name entries
 * A power cut between any two writes leaves the old name, both names, or the new name, each
 * reading the same bytes: the ESP stays bootable. Run again, it finishes the job: when NAME.efi
 * already exists with the same first cluster, only the counted entry's directory entries are
 * deleted (clusters are never freed: they are NAME.efi's). FAT16 and FAT32; the directory is
 * never grown (-ENOSPC when it has no free run for the new entries).
 */
#ifndef KEEL_ESP_H
#define KEEL_ESP_H

#include <stddef.h>
#include <stdint.h>

struct kerr;

#define ESP_NAME_MAX 128 /* bytes of an entry's file name (ASCII), ".efi" included */

/* c12a7328-f81f-11d2-ba4b-00a0c93ec93b: EFI system partition */
extern const uint8_t GPT_TYPE_ESP[16];

/* A type #2 entry name split: base without counter and ".efi"; left/done -1 when absent. */
struct esp_name {
	char base[ESP_NAME_MAX];
	int left, done;
};
/* -EINVAL unless name is BASE[+LEFT[-DONE]].efi (BASE 1.. of printable ASCII without '/';
 * LEFT, DONE decimal 0..999999). */
int esp_name_parse(const char *name, struct esp_name *n);

/* One file in EFI/Linux. */
struct esp_file {
	char name[ESP_NAME_MAX]; /* long name ('?' for a character outside printable ASCII) */
	uint32_t cluster, size;
};

/* The FAT file system of an ESP: fd (a file or a device, read-write for esp_bless) at byte
 * offset off, size bytes long. Everything read is untrusted and bounded. */
struct esp {
	int fd;
	uint64_t off, size;
	uint32_t bps, spc, clusters, fat_bits, root_cluster;
	uint64_t fat, data, root; /* byte offsets within the file system (root: FAT16's fixed root) */
	uint32_t root_entries;
};

int esp_open(struct esp *x, int fd, uint64_t off, uint64_t size, struct kerr *e);
/* The files of EFI/Linux (at most max; *n their count, the rest not listed). */
int esp_list(struct esp *x, struct esp_file *out, int max, int *n, struct kerr *e);
/* Mark entry (an id as LoaderEntrySelected names it, with or without its counter) good: its
 * file in EFI/Linux becomes BASE.efi (sequence above). blessed gets the final name. 1 when it
 * was already good (nothing written), 0 when renamed, -errno. */
int esp_bless(struct esp *x, const char *entry, char *blessed, size_t n, struct kerr *e);
/* Mark entry bad (what `keel update mark-bad` does on a failed trial): its file becomes
 * BASE+0-DONE.efi (no tries left: systemd-boot sorts it after every other entry and boots the
 * previous release next, without spending the tries it had left). Same crash-safe sequence as
 * esp_bless; a good BASE.efi is renamed too. renamed gets the final name. 1 when already +0
 * (nothing written), 0 when renamed, -errno. */
int esp_mark_bad(struct esp *x, const char *entry, char *renamed, size_t n, struct kerr *e);

struct gpt;
/* Index of the first ESP partition (GPT_TYPE_ESP) in g, -ENOENT none. */
int esp_find(const struct gpt *g);
/* Open the FAT of g's ESP on the disk fd (a disk image or a whole disk). */
int esp_open_gpt(struct esp *x, int fd, const struct gpt *g, struct kerr *e);
/* Marking a boot good, what the update's health check calls: on the disk fd (read-write) whose
 * GPT is g, the entry (LoaderEntrySelected; NULL or "": none, a direct kernel boot) is renamed
 * good in the ESP (esp_bless), then GPT entry slot gets successful = 1 and the GPT is written
 * (gpt_write: backup, then primary). The entry first: under UEFI it decides what boots next, and
 * a cut between the two steps is finished by running this again. Returns esp_bless's 0 or 1 (0
 * without an entry) or -errno. */
int esp_bless_boot(int fd, struct gpt *g, int slot, const char *entry, char *blessed, size_t n, struct kerr *e);
#endif
