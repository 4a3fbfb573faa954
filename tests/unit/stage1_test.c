/* stage1_test.c — the steps of stage 1 (core/boot/stage1.c) that run without a block device or
 * PID 1: the keys it knows, the host init it accepts, the modules list, waiting for the slots'
 * disk (a fake sysfs), the minimum version from two roots, the boot record. */
#include "t.h"
#include "base/buf.h"
#include "base/err.h"
#include "boot/cmdline.h"
#include "boot/stage1.h"
#include "disk/esp.h"
#include "disk/mount.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static struct stage1 s1; /* large (command line): not on the stack */

static void s1_reset(const char *cmdline)
{
	memset(&s1, 0, sizeof(s1));
	cmdline_parse(&s1.cmd, cmdline, strlen(cmdline), NULL);
}

T_TEST(stage1_keys)
{
	static const struct { const char *key; int unknown; } cases[] = {
		{"keel.rescue", 0}, {"keel.slot", 0}, {"keel.timeout", 0}, {"keel.init", 0}, {"keel.log", 0},
		{"keel.rescue_timeout", 0}, {"keel.config", 0},
		{"console", 0}, {"quiet", 0}, {"keelx", 0},     /* not ours: not stage 1's to judge */
		{"keel.slots", 1}, {"keel.Slot", 1}, {"keel.", 1}, {"keel.slot.x", 1}, {"keel.rescue_timeou", 1},
	};
	for (size_t i = 0; i < T_LEN(cases); i++)
		t_check(stage1_unknown_key(cases[i].key) == cases[i].unknown, "%s: unknown %d", cases[i].key, !cases[i].unknown);
}

T_TEST(stage1_host_init_path)
{
	char longp[300] = "/usr/";
	memset(longp + 5, 'a', sizeof(longp) - 6);
	longp[sizeof(longp) - 1] = 0;
	static char line[400];
	static const struct { const char *cmdline, *want; } cases[] = {
		{"console=ttyS0", STAGE1_HOST_INIT},
		{"keel.init=/usr/lib/systemd/systemd", "/usr/lib/systemd/systemd"},
		{"keel.init=/usr/bin/..x", "/usr/bin/..x"},
		{"keel.init=/etc/init", NULL},           /* forged: the writable state partition */
		{"keel.init=/usr/../etc/init", NULL},
		{"keel.init=/usr/bin/..", NULL},
		{"keel.init=usr/bin/keel", NULL},
		{"keel.init=/usrx/init", NULL},
		{"keel.init=/usr/", "/usr/"},            /* below /usr, if not useful: exec fails, rescue */
		{"keel.init", STAGE1_HOST_INIT},        /* a flag, no path: the default */
	};
	for (size_t i = 0; i < T_LEN(cases) + 1; i++) {
		const char *cl = i < T_LEN(cases) ? cases[i].cmdline : (snprintf(line, sizeof(line), "keel.init=%s", longp), line);
		const char *want = i < T_LEN(cases) ? cases[i].want : NULL, *path = NULL;
		struct kerr e = {0};
		s1_reset(cl);
		int r = stage1_host_init(&s1.cmd, &path, &e);
		t_check(want ? !r && !strcmp(path, want) : r == -EINVAL && strstr(e.msg, "must be an absolute path below /usr/"),
			"case %zu (%.40s): %d %s (%s)", i, cl, r, path ? path : "-", e.msg);
	}
}

T_TEST(stage1_modules_list)
{
	char list[512], dir[512];
	int loaded = 7, skipped = 7;
	struct kerr e = {0};
	snprintf(list, sizeof(list), "%s/modules", t_tmpdir());
	snprintf(dir, sizeof(dir), "%s/lib", t_tmpdir());
	/* no list: a kernel with everything built in, nothing loaded and nothing said */
	t_check(!stage1_modules(list, dir, &loaded, &skipped, &e) && loaded == -1 && skipped == 0, "no list: %d %d (%s)",
		loaded, skipped, e.msg);
	/* a list but no modules.dep: refused */
	t_write("modules", "# comments and blanks only\n\n   \t\n", 34);
	t_check(stage1_modules(list, dir, &loaded, &skipped, &e) == -ENOENT, "no modules.dep: %s", e.msg);
	mkdir(dir, 0755);
	static const char dep[] = "kernel/drivers/md/dm-verity.ko: kernel/lib/reed_solomon.ko\nkernel/lib/reed_solomon.ko:\n";
	t_write("lib/modules.dep", dep, strlen(dep));
	t_check(!stage1_modules(list, dir, &loaded, &skipped, &e) && loaded == 0 && skipped == 0, "only comments: %d (%s)",
		loaded, e.msg);
	/* a module the index lacks, or one whose file is missing: an error naming it */
	static const char bad[] = "  nosuch_mod \r\n";
	t_write("modules", bad, strlen(bad));
	t_check(stage1_modules(list, dir, &loaded, &skipped, &e) < 0 && strstr(e.msg, "nosuch_mod"), "unknown module: %s", e.msg);
	static const char good[] = "# the root\ndm_verity\n";
	t_write("modules", good, strlen(good));
	t_check(stage1_modules(list, dir, &loaded, &skipped, &e) == -ENOENT && strstr(e.msg, "reed_solomon"), "missing .ko: %s",
		e.msg);
}

static void mkfile(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");
	if (f) {
		fputs(text, f);
		fclose(f);
	}
}

/* A fake sysfs: disk vda (STATE), disk vdb with partition 1 labelled label1. */
static void fake_sys(const char *base, const char *label1)
{
	char p[1024];
	static const char *const dirs[] = {"", "/class", "/class/block", "/devices", "/devices/v", "/devices/v/block",
		"/devices/v/block/vda", "/devices/v/block/vda/vda1", "/devices/v/block/vdb", "/devices/v/block/vdb/vdb1"};
	for (size_t i = 0; i < T_LEN(dirs); i++) {
		snprintf(p, sizeof(p), "%s%s", base, dirs[i]);
		mkdir(p, 0755);
	}
	static const struct { const char *name, *dir; } devs[] = {
		{"vda", "vda"}, {"vda1", "vda/vda1"}, {"vdb", "vdb"}, {"vdb1", "vdb/vdb1"}};
	for (size_t i = 0; i < T_LEN(devs); i++) {
		char target[128];
		snprintf(p, sizeof(p), "%s/class/block/%s", base, devs[i].name);
		snprintf(target, sizeof(target), "../../devices/v/block/%s", devs[i].dir);
		unlink(p);
		t_check(!symlink(target, p), "symlink %s", p);
	}
	snprintf(p, sizeof(p), "%s/devices/v/block/vda/uevent", base);
	mkfile(p, "MAJOR=254\nMINOR=0\nDEVNAME=vda\nDEVTYPE=disk\n");
	snprintf(p, sizeof(p), "%s/devices/v/block/vda/vda1/uevent", base);
	mkfile(p, "MAJOR=254\nMINOR=1\nDEVNAME=vda1\nDEVTYPE=partition\nPARTN=1\nPARTNAME=STATE\n");
	snprintf(p, sizeof(p), "%s/devices/v/block/vdb/uevent", base);
	mkfile(p, "MAJOR=254\nMINOR=16\nDEVNAME=vdb\nDEVTYPE=disk\n");
	snprintf(p, sizeof(p), "%s/devices/v/block/vdb/vdb1/uevent", base);
	char ue[256];
	snprintf(ue, sizeof(ue), "MAJOR=254\nMINOR=17\nDEVNAME=vdb1\nDEVTYPE=partition\nPARTN=1\nPARTNAME=%s\n", label1);
	mkfile(p, ue);
}

T_TEST(stage1_wait_for_disk)
{
	char sys[512], p[1024];
	struct kerr e = {0};
	snprintf(sys, sizeof(sys), "%s/sys", t_tmpdir());
	fake_sys(sys, "USR-B");
	s1_reset("");
	t_check(!stage1_wait_disk(&s1, sys, 1, &e) && !strcmp(s1.disk, "vdb"), "USR-B on vdb: '%s' (%s)", s1.disk, e.msg);
	/* no slot partition at all: gives up after the timeout, saying what it waited for */
	fake_sys(sys, "OTHER");
	s1_reset("");
	t_check(stage1_wait_disk(&s1, sys, 1, &e) == -ETIMEDOUT && !s1.disk[0] && strstr(e.msg, "USR-A or USR-B after 1 s"),
		"none: %s", e.msg);
	/* forged: a second USR-A (a stick) next to the disk's: refused, not a guess */
	fake_sys(sys, "USR-A");
	snprintf(p, sizeof(p), "%s/devices/v/block/vda/vda1/uevent", sys);
	mkfile(p, "MAJOR=254\nMINOR=1\nDEVNAME=vda1\nDEVTYPE=partition\nPARTN=1\nPARTNAME=USR-A\n");
	s1_reset("");
	t_check(stage1_wait_disk(&s1, sys, 1, &e) == -EEXIST && !s1.disk[0], "two USR-A: %s", e.msg);
}

/* The floor from the initramfs, raised (never lowered) by STATE's; the slot held against it. */
T_TEST(stage1_floor_two_roots)
{
	char ini[512], st[512], p[1024];
	snprintf(ini, sizeof(ini), "%s/initramfs", t_tmpdir());
	snprintf(st, sizeof(st), "%s/state", t_tmpdir());
	snprintf(p, sizeof(p), "%s/etc/keel", ini);
	t_check(!mount_mkdir_p(p, 0755), "mkdir");
	snprintf(p, sizeof(p), "%s/var/lib/keel", st);
	t_check(!mount_mkdir_p(p, 0755), "mkdir");
	static const struct {
		const char *ini, *st, *version;  /* floor files (NULL none), the slot's version */
		int ret;
		const char *floor, *src;         /* the floor in force afterwards, where it came from */
	} cases[] = {
		{NULL, NULL, "1.0", 0, "", ""},
		{"1.2\n", NULL, "1.3", 0, "1.2", STAGE1_FLOOR_INITRAMFS " on the initramfs"},
		{"1.2\n", "1.0\n", "1.3", 0, "1.2", STAGE1_FLOOR_INITRAMFS " on the initramfs"}, /* STATE never lowers it */
		{"1.2\n", "1.3\n", "1.3", 0, "1.3", STAGE1_FLOOR_STATE " on STATE"},
		{NULL, "1.3\n", "1.3", 0, "1.3", STAGE1_FLOOR_STATE " on STATE"},
		{"1.2\n", "1.5\n", "1.3", -EPERM, "1.5", STAGE1_FLOOR_STATE " on STATE"},
		{"1.4\n", NULL, "1.3", -EPERM, "1.4", STAGE1_FLOOR_INITRAMFS " on the initramfs"},
		{"1.2\n", "junk\n", "1.3", -EINVAL, "1.2", STAGE1_FLOOR_INITRAMFS " on the initramfs"}, /* fail closed */
		{"1.2\n", NULL, "1.3-rc1", -EPERM, "1.2", STAGE1_FLOOR_INITRAMFS " on the initramfs"},
	};
	for (size_t i = 0; i < T_LEN(cases); i++) {
		char fi[1024], fs[1024];
		struct kerr e = {0};
		snprintf(fi, sizeof(fi), "%s%s", ini, STAGE1_FLOOR_INITRAMFS);
		snprintf(fs, sizeof(fs), "%s%s", st, STAGE1_FLOOR_STATE);
		unlink(fi);
		unlink(fs);
		if (cases[i].ini)
			mkfile(fi, cases[i].ini);
		if (cases[i].st)
			mkfile(fs, cases[i].st);
		s1_reset("");
		str_copy(s1.m.version, sizeof(s1.m.version), cases[i].version);
		int r = stage1_floor(&s1, ini, STAGE1_FLOOR_INITRAMFS, "the initramfs", &e);
		if (!r)
			r = stage1_floor(&s1, st, STAGE1_FLOOR_STATE, "STATE", &e);
		t_check(r == cases[i].ret && !strcmp(s1.floor, cases[i].floor) && !strcmp(s1.floor_src, cases[i].src) &&
			(!r || r == -EINVAL ? 1 : strstr(e.msg, cases[i].src) != NULL), "case %zu: %d floor '%s' from '%s' (%s)", i, r,
			s1.floor, s1.floor_src, e.msg);
		if (r == -EINVAL)
			t_check(strstr(e.msg, "STATE") && strstr(e.msg, "min-version"), "case %zu: names STATE's file: %s", i, e.msg);
	}
	/* a floor behind a symlink (STATE is writable) is refused, not followed */
	char fs[1024];
	snprintf(fs, sizeof(fs), "%s%s", st, STAGE1_FLOOR_STATE);
	unlink(fs);
	snprintf(p, sizeof(p), "%s/low", st);
	mkfile(p, "0.1\n");
	t_check(!symlink("../../../low", fs), "symlink");
	s1_reset("");
	struct kerr e = {0};
	str_copy(s1.m.version, sizeof(s1.m.version), "1.3");
	int r = stage1_floor(&s1, st, STAGE1_FLOOR_STATE, "STATE", &e);
	t_check(r < 0 && r != -ENOENT && !s1.floor[0] && strstr(e.msg, "STATE"), "symlinked floor: %d (%s)", r, e.msg);
	s1_reset("");
	t_check(stage1_floor(&s1, "/nonexistent-root", STAGE1_FLOOR_STATE, "STATE", &e) == -ENOENT, "no root: %s", e.msg);
}

T_TEST(stage1_boot_record)
{
	char dir[512], p[1024];
	struct kerr e = {0};
	snprintf(dir, sizeof(dir), "%s/run/keel", t_tmpdir());
	s1_reset("");
	str_copy(s1.slot, sizeof(s1.slot), "USR-B");
	str_copy(s1.disk, sizeof(s1.disk), "vda");
	str_copy(s1.part_dev, sizeof(s1.part_dev), "/dev/vda4");
	str_copy(s1.m.version, sizeof(s1.m.version), "2026.1.0");
	str_copy(s1.floor, sizeof(s1.floor), "2025.12");
	s1.m.hash = HASH_SHA256;
	for (int i = 0; i < 32; i++)
		s1.m.root_hash[i] = (uint8_t)(i * 7 + 1);
	t_check(!stage1_record_boot(&s1, dir, &e), "record: %s", e.msg);
	snprintf(p, sizeof(p), "%s/boot", dir);
	int fd = open(p, O_RDONLY);
	char got[1024] = "";
	ssize_t n = fd >= 0 ? read(fd, got, sizeof(got) - 1) : -1;
	if (fd >= 0)
		close(fd);
	got[n > 0 ? n : 0] = 0;
	static const char want[] = "slot=USR-B\ndisk=/dev/vda\ndevice=/dev/vda4\nversion=2026.1.0\n"
		"root_hash=01080f161d242b323940474e555c636a71787f868d949ba2a9b0b7bec5ccd3da\nmin_version=2025.12\n"
		"usrhash=\nsecure_boot=0\nentry=\nfallback=\n";
	t_check(!strcmp(got, want), "record text:\n%s", got);
	struct stat st;
	t_check(!stat(p, &st) && (st.st_mode & 07777) == 0644, "mode %o", st.st_mode & 07777);
	/* created once: a second run, or a file or symlink already there, is refused, never followed */
	t_check(stage1_record_boot(&s1, dir, &e) == -EEXIST && strstr(e.msg, "/run/keel/boot"), "second: %s", e.msg);
	unlink(p);
	snprintf(got, sizeof(got), "%s/target", t_tmpdir());
	t_check(!symlink(got, p), "symlink");
	t_check(stage1_record_boot(&s1, dir, &e) == -EEXIST && access(got, F_OK), "planted symlink: %s", e.msg);
}

/* the initramfs's TUF root to /run/keel/tuf/root.json: the same bytes, 0444, created once;
 * none in the initramfs: nothing written, no error */
T_TEST(stage1_tuf_root_copy)
{
	char src[512], dir[512], dst[600], got[64] = "";
	struct kerr e = {0};
	struct stat st;
	snprintf(src, sizeof(src), "%s/root.json", t_tmpdir());
	snprintf(dir, sizeof(dir), "%s/run/keel/tuf", t_tmpdir());
	snprintf(dst, sizeof(dst), "%s/root.json", dir);
	t_check(!stage1_tuf_root(src, dir, dst, &e) && access(dst, F_OK), "no root in the initramfs: %s", e.msg);
	int fd = open(src, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	t_check(fd >= 0 && write(fd, "{\"signed\":{}}", 14) == 14, "source");
	close(fd);
	t_check(!stage1_tuf_root(src, dir, dst, &e), "copy: %s", e.msg);
	fd = open(dst, O_RDONLY);
	ssize_t n = fd >= 0 ? read(fd, got, sizeof(got) - 1) : -1;
	if (fd >= 0)
		close(fd);
	got[n > 0 ? n : 0] = 0;
	t_check(!strcmp(got, "{\"signed\":{}}") && !stat(dst, &st) && (st.st_mode & 07777) == 0444, "copied: %s, mode %o", got,
		st.st_mode & 07777);
	t_check(stage1_tuf_root(src, dir, dst, &e) == -EEXIST, "second: %s", e.msg);
}

/* keel.usrhash=: slot images whose last 64 KiB hold the manifest boot_test.c checks
 * (tests/unit/boot/manifest.sig, signed with tests/vm/keys/slot-test.key), loaded as stage 1
 * loads them; a forged copy (one signature bit flipped, the same root hash in its text) next to
 * each good one. */
static const char usr_manifest[] = "keel-slot-manifest 1\nversion 0.1.0\nfs erofs\nhash sha256\n"
	"data-block-size 4096\nhash-block-size 4096\ndata-blocks 602\nhash-offset 2465792\n"
	"salt 7eea9f24afc635a1e0cf2d58c817e48af28c41713dff68cb13bf43bdd8681813\n"
	"root-hash 59018cdda0b5c6322cf7a7b1ae167ac9bd486faed5ec471ddbf654056b726b24\n";
#define USR_HASH "59018cdda0b5c6322cf7a7b1ae167ac9bd486faed5ec471ddbf654056b726b24"

static int slurp(const char *path, uint8_t *out, size_t cap)
{
	int fd = open(path, O_RDONLY);
	ssize_t n = fd < 0 ? -1 : read(fd, out, cap);
	if (fd >= 0)
		close(fd);
	return (int)n;
}

/* A 4 MiB slot file with the manifest area; forged: flip the signature's last bit. */
static void load_cand(struct stage1_cand *c, int idx, const char *name, const uint8_t *sig, int sl, int forged, const char *keys)
{
	char path[1024];
	uint8_t area[1024] = "KEELSLOT";
	size_t tl = sizeof(usr_manifest) - 1;
	area[8] = (uint8_t)tl;
	area[9] = (uint8_t)(tl >> 8);
	area[12] = (uint8_t)sl;
	memcpy(area + 16, usr_manifest, tl);
	memcpy(area + 16 + tl, sig, (size_t)sl);
	if (forged)
		area[16 + tl + (size_t)sl - 1] ^= 1;
	snprintf(path, sizeof(path), "%s/%s.img", t_tmpdir(), name);
	int fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0600);
	t_check(fd >= 0 && !ftruncate(fd, 4 << 20) && pwrite(fd, area, sizeof(area), (4 << 20) - 65536) == sizeof(area), "%s", path);
	memset(c, 0, sizeof(*c));
	c->idx = idx;
	str_copy(c->name, sizeof(c->name), name);
	char key[32];
	struct kerr e = {0};
	c->ret = manifest_load(fd, 4 << 20, keys, &c->m, key, sizeof(key), &e);
	close(fd);
	t_check(forged ? c->ret == -EBADMSG : c->ret == 0, "%s: manifest_load %d (%s)", name, c->ret, e.msg);
}

T_TEST(stage1_usrhash)
{
	const char *src = getenv("KEEL_SRC");
	char path[1100], keys[1024];
	uint8_t sig[512], pub[4096];
	snprintf(path, sizeof(path), "%s/tests/unit/boot/manifest.sig", src ? src : ".");
	int sl = slurp(path, sig, sizeof(sig));
	snprintf(path, sizeof(path), "%s/tests/vm/keys/slot-test.pem", src ? src : ".");
	int pl = slurp(path, pub, sizeof(pub));
	t_check(sl > 0 && pl > 0, "test signature and key readable (KEEL_SRC=%s)", src ? src : "(unset)");
	if (sl <= 0 || pl <= 0)
		return;
	snprintf(keys, sizeof(keys), "%s/usrhash-keys", t_tmpdir());
	mkdir(keys, 0755);
	snprintf(path, sizeof(path), "%s/slot-test.pem", keys);
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	t_check(fd >= 0 && write(fd, pub, (size_t)pl) == pl, "key file");
	close(fd);

	struct stage1_cand good_a, good_b, forged_a, forged_b, other_b;
	load_cand(&good_a, 1, "USR-A", sig, sl, 0, keys);
	load_cand(&good_b, 2, "USR-B", sig, sl, 0, keys);
	load_cand(&forged_a, 1, "USR-A", sig, sl, 1, keys);
	load_cand(&forged_b, 2, "USR-B", sig, sl, 1, keys);
	other_b = good_b; /* a verified manifest of another release */
	other_b.m.root_hash[0] ^= 0xff;
	struct stage1_cand c[2];
	struct kerr e = {0};
	static const struct {
		const char *what, *hex;
		int a, b;      /* 0 good, 1 forged, 2 another release (b only) */
		int preferred; /* GPT entry gptprio.next picks, -1 none */
		int want;      /* index into c, or -errno */
		const char *msg;
	} cases[] = {
		{"good A, forged B", USR_HASH, 0, 1, -1, 0, NULL},
		{"forged A, good B", USR_HASH, 1, 0, -1, 1, NULL},
		{"forged A, forged B: the hash is in both texts, neither verifies", USR_HASH, 1, 1, -1, -ENOENT, "no verified manifest"},
		{"both good, gptprio prefers B", USR_HASH, 0, 0, 2, 1, NULL},
		{"both good, gptprio prefers A", USR_HASH, 0, 0, 1, 0, NULL},
		{"both good, no gptprio choice: the first", USR_HASH, 0, 0, -1, 0, NULL},
		{"A good, B another release, gptprio prefers B", USR_HASH, 0, 2, 2, 0, NULL},
		{"a hash no manifest has", "59018cdda0b5c6322cf7a7b1ae167ac9bd486faed5ec471ddbf654056b726b25", 0, 2, 1, -ENOENT,
			"keel.usrhash=59018cdda0b5c6322cf7a7b1ae167ac9bd486faed5ec471ddbf654056b726b25: no slot's signed manifest has this root hash (USR-A has 59018cdda0b5c632, USR-B has a6018cdda0b5c632)"},
		{"upper case", "59018CDDA0B5C6322CF7A7B1AE167AC9BD486FAED5EC471DDBF654056B726B24", 0, 0, -1, -EINVAL, "lower-case hex"},
		{"63 digits", "59018cdda0b5c6322cf7a7b1ae167ac9bd486faed5ec471ddbf654056b726b2", 0, 0, -1, -EINVAL, "lower-case hex"},
		{"not hex", "g9018cdda0b5c6322cf7a7b1ae167ac9bd486faed5ec471ddbf654056b726b24", 0, 0, -1, -EINVAL, "lower-case hex"},
		{"empty", "", 0, 0, -1, -EINVAL, "lower-case hex"},
		{"a sha512-sized hash against sha256 manifests", USR_HASH USR_HASH, 0, 0, -1, -ENOENT, "no slot's signed manifest"},
	};
	for (size_t i = 0; i < T_LEN(cases); i++) {
		c[0] = cases[i].a ? forged_a : good_a;
		c[1] = cases[i].b == 1 ? forged_b : cases[i].b == 2 ? other_b : good_b;
		memset(&e, 0, sizeof(e));
		int r = stage1_usrhash_pick(cases[i].hex, c, 2, cases[i].preferred, &e);
		t_check(r == cases[i].want && (!cases[i].msg || strstr(e.msg, cases[i].msg)), "%s: got %d (%s)", cases[i].what, r, e.msg);
	}
	t_check(stage1_usrhash_pick(USR_HASH, c, 0, -1, &e) == -ENOENT && strstr(e.msg, "no USR-A or USR-B partition"), "no slots: %s", e.msg);
}

T_TEST(stage1_efi_variables)
{
	char dir[512], p[1024];
	struct kerr e = {0};
	snprintf(dir, sizeof(dir), "%s/efivars", t_tmpdir());
	mkdir(dir, 0755);
	static const uint8_t sb_on[] = {6, 0, 0, 0, 1}, sb_off[] = {6, 0, 0, 0, 0}, sb_long[] = {6, 0, 0, 0, 1, 1},
		entry[] = {6, 0, 0, 0, 'k', 0, 'e', 0, 'e', 0, 'l', 0, '+', 0, '3', 0, '\n', 0, 0x3a, 0x26, '.', 0, 0, 0, 'x', 0};
	static const struct { const uint8_t *sb; size_t sl; const uint8_t *en; size_t el; int ret, secure; const char *entry; } cases[] = {
		{sb_on, sizeof(sb_on), entry, sizeof(entry), 0, 1, "keel+3??."},  /* control and non-ASCII become '?', stops at NUL */
		{sb_off, sizeof(sb_off), NULL, 0, 0, 0, ""},
		{NULL, 0, NULL, 0, 0, 0, ""},                                      /* no SecureBoot variable: off */
		{sb_long, sizeof(sb_long), NULL, 0, -EINVAL, 0, ""},               /* forged: two bytes */
		{sb_on, 3, NULL, 0, -EINVAL, 0, ""},                               /* forged: shorter than the attributes */
	};
	for (size_t i = 0; i < T_LEN(cases); i++) {
		snprintf(p, sizeof(p), "%s/SecureBoot-8be4df61-93ca-11d2-aa0d-00e098032b8c", dir);
		unlink(p);
		if (cases[i].sb)
			t_write("efivars/SecureBoot-8be4df61-93ca-11d2-aa0d-00e098032b8c", cases[i].sb, cases[i].sl);
		snprintf(p, sizeof(p), "%s/LoaderEntrySelected-4a67b082-0a4c-41cf-b6c7-440b29bb8c4f", dir);
		unlink(p);
		if (cases[i].en)
			t_write("efivars/LoaderEntrySelected-4a67b082-0a4c-41cf-b6c7-440b29bb8c4f", cases[i].en, cases[i].el);
		s1_reset("");
		int r = stage1_efi_vars(&s1, dir, &e);
		t_check(r == cases[i].ret && (r || (s1.secure_boot == cases[i].secure && !strcmp(s1.entry, cases[i].entry))),
			"case %zu: ret %d secure %d entry '%s'", i, r, s1.secure_boot, s1.entry);
	}
	/* not booted through UEFI: no efivars directory under sys */
	snprintf(p, sizeof(p), "%s/nosys", t_tmpdir());
	mkdir(p, 0755);
	s1_reset("");
	t_check(!stage1_efi(&s1, p, &e) && s1.secure_boot == -1 && !s1.entry[0], "no UEFI: secure_boot -1");
	/* forged: an entry name longer than a variable may be here */
	uint8_t big[4 + 2 * STAGE1_ENTRY_MAX + 2];
	memset(big, 'a', sizeof(big));
	t_write("efivars/SecureBoot-8be4df61-93ca-11d2-aa0d-00e098032b8c", sb_on, sizeof(sb_on));
	t_write("efivars/LoaderEntrySelected-4a67b082-0a4c-41cf-b6c7-440b29bb8c4f", big, sizeof(big));
	t_check(stage1_efi_vars(&s1, dir, &e) == -EINVAL && strstr(e.msg, "too long"), "long entry: %s", e.msg);
}

T_TEST(esp_entry_names)
{
	static const struct { const char *name; int ret; const char *base; int left, done; } cases[] = {
		{"keel-2026.1.0.efi", 0, "keel-2026.1.0", -1, -1},
		{"keel-2026.1.0+3.efi", 0, "keel-2026.1.0", 3, -1},
		{"keel-2026.1.0+2-1.efi", 0, "keel-2026.1.0", 2, 1},
		{"keel-2026.1.0+0-3.efi", 0, "keel-2026.1.0", 0, 3},
		{"KEEL+1.EFI", 0, "KEEL", 1, -1},
		/* not a counter: the whole name is the base, as systemd-boot reads it */
		{"keel+x.efi", 0, "keel+x", -1, -1},
		{"keel+3-.efi", 0, "keel+3-", -1, -1},
		{"keel+1234567.efi", 0, "keel+1234567", -1, -1},
		{"+3.efi", 0, "+3", -1, -1},
		{"keel++3.efi", 0, "keel+", 3, -1},
		/* forged */
		{"keel.efi.txt", -EINVAL, NULL, 0, 0}, {".efi", -EINVAL, NULL, 0, 0}, {"a/b.efi", -EINVAL, NULL, 0, 0},
		{"a\\b.efi", -EINVAL, NULL, 0, 0}, {"a\nb.efi", -EINVAL, NULL, 0, 0}, {"\xc3\xa9.efi", -EINVAL, NULL, 0, 0},
	};
	for (size_t i = 0; i < T_LEN(cases); i++) {
		struct esp_name n;
		int r = esp_name_parse(cases[i].name, &n);
		t_check(r == cases[i].ret && (r || (!strcmp(n.base, cases[i].base) && n.left == cases[i].left && n.done == cases[i].done)),
			"%s: ret %d base %s left %d done %d", cases[i].name, r, r ? "" : n.base, n.left, n.done);
	}
	char longname[ESP_NAME_MAX + 8];
	memset(longname, 'a', sizeof(longname));
	memcpy(longname + sizeof(longname) - 5, ".efi", 5);
	struct esp_name n;
	t_check(esp_name_parse(longname, &n) == -EINVAL, "a name of %zu bytes refused", strlen(longname));
}
