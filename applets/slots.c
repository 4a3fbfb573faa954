/* keel slots - show and set the A/B slots of a GPT disk (priority, tries, successful)
 *
 * usage: keel slots [--json] [DISK]
 *        keel slots set N [--priority P] [--tries T] [--successful 0|1] DISK
 *        keel slots next [--commit] [--json] DISK
 *        keel slots bless [--slot LABEL] [--entry NAME] [DISK]
 *
 * show (no subcommand): every partition with the CoreOS USR type GUID (USR-A, USR-B) with its
 * priority (attribute bits 48-51), tries (52-55) and successful (56) flags, and which one GRUB's
 * gptprio.next would boot. DISK defaults to the disk holding the partition labelled USR-A
 * (or USR-B), found through /sys/class/block.
 * set: change partition N's fields (1-based, as cgpt -i N), rewriting both GPT copies.
 * The boot entries of the ESP (the .efi files of EFI/Linux, when it is FAT) are shown too, in systemd-boot's
 * order (trial and good entries newest first, bad ones last; * the one it boots next), and which
 * view decides: the entries when this boot came through systemd-boot (entry= in /run/keel/boot),
 * gptprio.next on a direct kernel boot.
 * next: print the partition gptprio.next chooses; with --commit decrement its tries and write
 * the table back, exactly as stage 1 does at boot.
 * bless: mark this boot good: the boot entry loses its counter (EFI/Linux/NAME+L-D.efi becomes
 * NAME.efi, renamed on the FAT crash-safe, see core/disk/esp.h), then the slot's GPT successful
 * bit is set. --slot and --entry default to slot= and entry= of /run/keel/boot, DISK to its
 * disk=; no entry (a direct kernel boot): only the GPT. The ESP must not be mounted.
 *
 * Options:
 *   --json             machine-readable output
 *   --priority P       0..15
 *   --tries T          0..15
 *   --successful S     0 or 1
 *   --commit           (next) write the decremented tries back
 *   --slot LABEL       (bless) USR-A or USR-B
 *   --entry NAME       (bless) the boot entry, as LoaderEntrySelected names it
 *
 * Exit status: 0 ok; 1 no bootable slot (next), no such slot (bless); 2 usage; 3 the disk, its
 * GPT or its ESP is unreadable, or the entry is not in EFI/Linux (bless).
 */
#include "base/applet.h"
#include "base/args.h"
#include "disk/blk.h"
#include "base/buf.h"
#include "base/err.h"
#include "base/fs.h"
#include "disk/esp.h"
#include "disk/gpt.h"
#include "base/json.h"
#include "base/lines.h"
#include "base/log.h"
#include "base/sandbox.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define BOOT_RECORD "/run/keel/boot"
#define ENTRIES_MAX 16

/* key= of /run/keel/boot into out ("" when absent or unreadable). */
static void boot_record(const char *key, char *out, size_t n)
{
	struct buf b = BUF_INIT(4096);
	struct kerr e = {0};
	*out = 0;
	if (!fs_read_path(AT_FDCWD, BOOT_RECORD, b.max, &b, &e))
		lines_value(b.p, b.len, key, out, n);
	buf_free(&b);
}

/* The boot entries in systemd-boot's order: not bad before bad, then newest version first. */
struct entry {
	struct esp_file f;
	struct esp_name n;
};
static int entry_cmp(const void *a, const void *b)
{
	const struct entry *x = a, *y = b;
	int bx = x->n.left == 0, by = y->n.left == 0;
	return bx != by ? bx - by : strverscmp(y->n.base, x->n.base);
}

/* -1: no FAT ESP (a direct-kernel image), else the count (at most ENTRIES_MAX sorted). */
static int read_entries(int fd, const struct gpt *g, struct entry *out)
{
	struct esp x;
	struct esp_file f[ENTRIES_MAX];
	struct kerr e = {0};
	int n = 0, k = 0;
	if (esp_open_gpt(&x, fd, g, &e) || esp_list(&x, f, ENTRIES_MAX, &n, &e))
		return -1;
	for (int i = 0; i < n && i < ENTRIES_MAX; i++)
		if (!esp_name_parse(f[i].name, &out[k].n))
			out[k++].f = f[i];
	qsort(out, (size_t)k, sizeof(*out), entry_cmp);
	return k;
}

static const char *const show_syscalls[] = {NULL};
static const char *const write_syscalls[] = {"pwrite64", "fsync", NULL};
static const char *const bless_syscalls[] = {"pread64", "pwrite64", "fsync", NULL};

/* After the disk is open: only the GPT write-back is left. */
static int narrow(const char *const calls[])
{
	struct kerr e = {0};
	int ret = sandbox_enter(calls, &e);
	return ret ? kfail(EXIT_FAIL, "%s", kerr_str(&e, ret)) : 0;
}

static int find_disk(char *out, size_t n)
{
	struct blkdev b;
	struct kerr e = {0};
	int ret = blk_find_label("/sys", "USR-A", &b, &e);
	if (ret == -ENOENT)
		ret = blk_find_label("/sys", "USR-B", &b, &e);
	if (ret)
		return kfail(EXIT_FAIL, "no DISK given and %s", kerr_str(&e, ret));
	return str_fmt(out, n, "/dev/%s", b.disk) ? kfail(EXIT_FAIL, "disk name too long") : 0;
}

static int open_gpt(const char *disk, int rw, struct gpt *g, int *fdp)
{
	struct kerr e = {0};
	int fd = open(disk, (rw ? O_RDWR : O_RDONLY) | O_CLOEXEC);
	if (fd < 0)
		return kfail(EXIT_FAIL, "%s: %s", disk, kerr_strerror(errno));
	int ret = gpt_read(&(struct gpt_io){.fd = fd}, 0, g, &e);
	if (ret) {
		close(fd);
		return kfail(EXIT_FAIL, "%s: %s", disk, kerr_str(&e, ret));
	}
	*fdp = fd;
	return 0;
}

static int emit(struct jw *w, struct buf *b)
{
	int ret = jw_finish(w);
	if (!ret)
		printf("%s\n", (const char *)b->p);
	buf_free(b);
	return ret ? kfail(EXIT_FAIL, "--json: %s", kerr_strerror(ret)) : EXIT_OK;
}

static int print_json(const char *disk, const struct gpt *g, int next, const struct entry *en, int ne, const char *decides)
{
	struct buf b = BUF_INIT(1 << 20);
	struct jw w;
	struct gpt_part p;
	char uuid[37];
	jw_init(&w, &b);
	jw_obj(&w);
	jw_key(&w, "disk");
	jw_str(&w, disk);
	jw_key(&w, "next");
	if (next >= 0)
		jw_int(&w, next + 1);
	else
		jw_null(&w);
	jw_key(&w, "slots");
	jw_arr(&w);
	for (int i = 0; i < gpt_count(g); i++) {
		if (gpt_get(g, i, &p) || memcmp(p.type, GPT_TYPE_COREOS_USR, 16))
			continue;
		gpt_guid_str(uuid, p.uuid);
		jw_obj(&w);
		jw_key(&w, "partition");
		jw_int(&w, i + 1);
		jw_key(&w, "label");
		jw_str(&w, p.name);
		jw_key(&w, "uuid");
		jw_str(&w, uuid);
		jw_key(&w, "priority");
		jw_uint(&w, gpt_attr_priority(p.attr));
		jw_key(&w, "tries");
		jw_uint(&w, gpt_attr_tries(p.attr));
		jw_key(&w, "successful");
		jw_bool(&w, gpt_attr_successful(p.attr));
		jw_obj_end(&w);
	}
	jw_arr_end(&w);
	jw_key(&w, "entries");
	if (ne < 0)
		jw_null(&w);
	else
		jw_arr(&w);
	for (int i = 0; i < ne; i++) {
		jw_obj(&w);
		jw_key(&w, "name");
		jw_str(&w, en[i].f.name);
		jw_key(&w, "tries_left");
		jw_int(&w, en[i].n.left);
		jw_key(&w, "tries_done");
		jw_int(&w, en[i].n.done);
		jw_key(&w, "next");
		jw_bool(&w, i == 0 && en[i].n.left != 0);
		jw_obj_end(&w);
	}
	if (ne >= 0)
		jw_arr_end(&w);
	jw_key(&w, "decides");
	jw_str(&w, decides);
	jw_obj_end(&w);
	return emit(&w, &b);
}

static void print_table(const char *disk, const struct gpt *g, int next, const struct entry *en, int ne, const char *decides)
{
	struct gpt_part p;
	printf("disk %s\n", disk);
	printf("%-4s %-8s %-8s %-5s %-10s %s\n", "PART", "LABEL", "PRIORITY", "TRIES", "SUCCESSFUL", "NEXT");
	for (int i = 0; i < gpt_count(g); i++) {
		if (gpt_get(g, i, &p) || memcmp(p.type, GPT_TYPE_COREOS_USR, 16))
			continue;
		printf("%-4d %-8s %-8u %-5u %-10u %s\n", i + 1, p.name, gpt_attr_priority(p.attr), gpt_attr_tries(p.attr),
			gpt_attr_successful(p.attr), i == next ? "*" : "");
	}
	if (next < 0)
		printf("no bootable slot\n");
	if (ne >= 0)
		printf("%-40s %-5s %-5s %-6s %s\n", "ENTRY", "LEFT", "DONE", "STATE", "NEXT");
	for (int i = 0; i < ne; i++)
		printf("%-40s %-5d %-5d %-6s %s\n", en[i].f.name, en[i].n.left, en[i].n.done,
			en[i].n.left < 0 ? "good" : en[i].n.left ? "trial" : "bad", i == 0 && en[i].n.left ? "*" : "");
	printf("decides: %s\n", decides);
}

/* Which view decides what boots next. */
static const char *decides(int ne)
{
	char entry[256];
	boot_record("entry", entry, sizeof(entry));
	if (*entry)
		return "the boot entries (this boot came through systemd-boot)";
	boot_record("slot", entry, sizeof(entry));
	if (*entry)
		return "gptprio.next (this boot was a direct kernel boot)";
	return ne > 0 ? "the boot entries when the firmware boots this disk, gptprio.next on a direct kernel boot"
		: "gptprio.next (no boot entries)";
}

static int cmd_show(int json, const char *disk)
{
	char dbuf[96];
	struct gpt g;
	int fd, ret;
	if (!disk) {
		if ((ret = find_disk(dbuf, sizeof(dbuf))))
			return ret;
		disk = dbuf;
	}
	if ((ret = open_gpt(disk, 0, &g, &fd)))
		return ret;
	struct entry en[ENTRIES_MAX];
	int ne = read_entries(fd, &g, en);
	const char *dec = decides(ne);
	struct kerr e = {0};
	if ((ret = sandbox_enter(show_syscalls, &e))) {
		gpt_free(&g);
		return kfail(EXIT_FAIL, "%s", kerr_str(&e, ret));
	}
	int next = gpt_prio_next(&g, GPT_TYPE_COREOS_USR);
	ret = EXIT_OK;
	if (json)
		ret = print_json(disk, &g, next, en, ne, dec);
	else
		print_table(disk, &g, next, en, ne, dec);
	gpt_free(&g);
	close(fd);
	return ret;
}

static int cmd_set(int argc, char **argv)
{
	const char *prio = NULL, *tries = NULL, *succ = NULL;
	char **ops;
	const struct opt opts[] = {
		{"priority", 'P', OPT_STR, &prio},
		{"tries", 'T', OPT_STR, &tries},
		{"successful", 'S', OPT_STR, &succ},
		{0},
	};
	int n = args_parse(opts, argc, argv, &ops);
	if (n < 0)
		return args_exit(n);
	uint64_t idx, v[3];
	if (n != 2 || parse_u64(ops[0], 1, GPT_MAX_ENTRIES, &idx))
		return kfail(EXIT_USAGE, "set: want N DISK (see --help)");
	const char *vals[3] = {prio, tries, succ};
	const uint64_t max[3] = {15, 15, 1};
	for (int i = 0; i < 3; i++)
		if (vals[i] && parse_u64(vals[i], 0, max[i], &v[i]))
			return kfail(EXIT_USAGE, "set: %s must be 0..%llu", i == 0 ? "--priority" : i == 1 ? "--tries" : "--successful",
				(unsigned long long)max[i]);
	struct gpt g;
	struct gpt_part p;
	struct kerr e = {0};
	int fd, ret;
	if ((ret = open_gpt(ops[1], 1, &g, &fd)))
		return ret;
	if ((ret = narrow(write_syscalls)))
		goto out;
	if (gpt_get(&g, (int)idx - 1, &p)) {
		ret = kfail(EXIT_FAIL, "%s: partition %llu is not in use", ops[1], (unsigned long long)idx);
		goto out;
	}
	uint64_t a = p.attr;
	if (prio)
		a = gpt_attr_set_priority(a, (unsigned)v[0]);
	if (tries)
		a = gpt_attr_set_tries(a, (unsigned)v[1]);
	if (succ)
		a = gpt_attr_set_successful(a, (unsigned)v[2]);
	gpt_set_attr(&g, (int)idx - 1, a);
	if ((ret = gpt_write(fd, &g, &e)))
		ret = kfail(EXIT_FAIL, "%s: %s", ops[1], kerr_str(&e, ret));
out:
	gpt_free(&g);
	close(fd);
	return ret;
}

static int cmd_next(int argc, char **argv)
{
	int commit = 0, json = 0;
	char **ops;
	const struct opt opts[] = {
		{"commit", 0, OPT_FLAG, &commit},
		{"json", 'j', OPT_FLAG, &json},
		{0},
	};
	int n = args_parse(opts, argc, argv, &ops);
	if (n < 0)
		return args_exit(n);
	if (n != 1)
		return kfail(EXIT_USAGE, "next: want DISK (see --help)");
	struct gpt g;
	struct gpt_part p;
	struct kerr e = {0};
	int fd, ret;
	if ((ret = open_gpt(ops[0], commit, &g, &fd)))
		return ret;
	if ((ret = narrow(commit ? write_syscalls : show_syscalls)))
		goto out;
	int i = gpt_prio_next(&g, GPT_TYPE_COREOS_USR);
	if (i < 0) {
		printf(json ? "{\"next\":null}\n" : "no bootable slot\n");
		ret = EXIT_NO;
		goto out;
	}
	gpt_get(&g, i, &p);
	unsigned t = gpt_attr_tries(p.attr);
	if (commit && t) {
		gpt_set_attr(&g, i, gpt_attr_set_tries(p.attr, t - 1));
		if ((ret = gpt_write(fd, &g, &e))) {
			ret = kfail(EXIT_FAIL, "%s: %s", ops[0], kerr_str(&e, ret));
			goto out;
		}
	}
	unsigned now = commit && t ? t - 1 : t;
	if (json) {
		struct buf b = BUF_INIT(4096);
		struct jw w;
		jw_init(&w, &b);
		jw_obj(&w);
		jw_key(&w, "next");
		jw_int(&w, i + 1);
		jw_key(&w, "label");
		jw_str(&w, p.name);
		jw_key(&w, "tries");
		jw_uint(&w, now);
		jw_obj_end(&w);
		ret = emit(&w, &b);
		goto out;
	} else {
		printf("%d %s tries %u\n", i + 1, p.name, now);
	}
	ret = EXIT_OK;
out:
	gpt_free(&g);
	close(fd);
	return ret;
}

static int cmd_bless(int argc, char **argv)
{
	const char *slot = NULL, *entry = NULL;
	char dbuf[96], rslot[32], rentry[256], blessed[ESP_NAME_MAX];
	char **ops;
	const struct opt opts[] = {
		{"slot", 0, OPT_STR, &slot},
		{"entry", 0, OPT_STR, &entry},
		{0},
	};
	int n = args_parse(opts, argc, argv, &ops);
	if (n < 0)
		return args_exit(n);
	if (n > 1)
		return kfail(EXIT_USAGE, "bless: at most one DISK (see --help)");
	const char *disk = n ? ops[0] : NULL;
	if (!slot) {
		boot_record("slot", rslot, sizeof(rslot));
		if (!*rslot)
			return kfail(EXIT_USAGE, "bless: no --slot and no slot= in " BOOT_RECORD);
		slot = rslot;
		if (!entry) {
			boot_record("entry", rentry, sizeof(rentry));
			entry = rentry;
		}
	}
	if (!disk) {
		boot_record("disk", dbuf, sizeof(dbuf));
		if (!*dbuf && find_disk(dbuf, sizeof(dbuf)))
			return EXIT_FAIL;
		disk = dbuf;
	}
	struct gpt g;
	struct kerr e = {0};
	int fd, ret;
	if ((ret = open_gpt(disk, 1, &g, &fd)))
		return ret;
	if ((ret = narrow(bless_syscalls)))
		goto out;
	int idx = gpt_find_name(&g, slot);
	if (idx < 0 || (strcmp(slot, "USR-A") && strcmp(slot, "USR-B"))) {
		ret = kfail(EXIT_NO, "bless: %s: no slot %.40s", disk, slot);
		goto out;
	}
	ret = esp_bless_boot(fd, &g, idx, entry, blessed, sizeof(blessed), &e);
	if (ret < 0) {
		ret = kfail(kerr_exit(ret), "bless: %s: %s", disk, kerr_str(&e, ret));
		goto out;
	}
	if (entry && *entry)
		printf("entry %s: %s EFI/Linux/%s\n", entry, ret ? "already good as" : "renamed to", blessed);
	printf("slot %s (partition %d): successful\n", slot, idx + 1);
	ret = EXIT_OK;
out:
	gpt_free(&g);
	close(fd);
	return ret;
}

int slots_main(int argc, char **argv)
{
	if (argc >= 2 && !strcmp(argv[1], "bless"))
		return cmd_bless(argc - 2, argv + 2);
	if (argc >= 2 && !strcmp(argv[1], "set"))
		return cmd_set(argc - 2, argv + 2);
	if (argc >= 2 && !strcmp(argv[1], "next"))
		return cmd_next(argc - 2, argv + 2);
	int json = 0;
	char **ops;
	const struct opt opts[] = {{"json", 'j', OPT_FLAG, &json}, {0}};
	int n = args_parse(opts, argc - 1, argv + 1, &ops);
	if (n < 0)
		return args_exit(n);
	if (n > 1)
		return kfail(EXIT_USAGE, "at most one DISK (see --help)");
	return cmd_show(json, n ? ops[0] : NULL);
}
