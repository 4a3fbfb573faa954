/* boot_test.c — core/cmdline, core/module, core/manifest, core/blk, core/mount (remove_tree),
 * core/stage1 (the skeleton on STATE). */
#include "t.h"
#include "disk/blk.h"
#include "base/buf.h"
#include "boot/cmdline.h"
#include "base/err.h"
#include "base/fs.h"
#include "trust/manifest.h"
#include "trust/sig.h"
#include "boot/module.h"
#include "disk/mount.h"
#include "boot/stage1.h"

#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/wait.h>
#include <unistd.h>

T_TEST(cmdline_words)
{
	static const struct {
		const char *in;
		int ret;
		const char *key, *val; /* lookup after parsing; val "(flag)" for a flag, NULL absent */
	} cases[] = {
		{"console=ttyS0 keel.slot=USR-B quiet", 0, "keel.slot", "USR-B"},
		{"console=ttyS0 keel.slot=USR-B quiet", 0, "quiet", "(flag)"},
		{"keel.init=\"/usr/lib/a b\" x", 0, "keel.init", "/usr/lib/a b"},
		{"\"keel.init=/usr/x y\"", 0, "keel.init", "/usr/x y"},
		{"a=1 a=2", 0, "a", "2"},                    /* the last one wins */
		{"a=b=c", 0, "a", "b=c"},                    /* only the first '=' splits */
		{"a= b", 0, "a", ""},
		{"  \t a=1 \n", 0, "a", "1"},
		{"", 0, "a", NULL},
		{"a=\"unterminated", -EINVAL, NULL, NULL},   /* forged: open quote */
		{"=x", -EINVAL, NULL, NULL},                 /* forged: empty key */
		{"a=\x01", -EINVAL, NULL, NULL},             /* forged: control character */
	};
	for (size_t i = 0; i < T_LEN(cases); i++) {
		struct cmdline c;
		int r = cmdline_parse(&c, cases[i].in, strlen(cases[i].in), NULL);
		t_check(r == cases[i].ret, "case %zu: ret %d want %d", i, r, cases[i].ret);
		if (r || !cases[i].key)
			continue;
		const char *v = cmdline_get(&c, cases[i].key);
		if (!cases[i].val)
			t_check(!cmdline_has(&c, cases[i].key), "case %zu: %s present", i, cases[i].key);
		else if (!strcmp(cases[i].val, "(flag)"))
			t_check(!v && cmdline_has(&c, cases[i].key), "case %zu: %s not a flag", i, cases[i].key);
		else
			t_check(v && !strcmp(v, cases[i].val), "case %zu: %s=%s want %s", i, cases[i].key, v ? v : "(null)", cases[i].val);
	}
	/* limits: too long, too many words */
	char *big = malloc(CMDLINE_MAX + 2);
	memset(big, 'a', CMDLINE_MAX + 1);
	big[CMDLINE_MAX + 1] = 0;
	struct cmdline c;
	t_check(cmdline_parse(&c, big, CMDLINE_MAX + 1, NULL) == -E2BIG, "longer than CMDLINE_MAX refused");
	for (int i = 0; i < CMDLINE_MAX; i += 2)
		big[i] = 'a', big[i + 1] = ' ';
	t_check(cmdline_parse(&c, big, CMDLINE_MAX, NULL) == -E2BIG, "more than CMDLINE_WORDS refused");
	free(big);
}

/* A modules tree shaped like Debian's (dependencies in modules.dep order, softdeps, aliases). */
static const char *dep =
	"kernel/drivers/virtio/virtio.ko: kernel/drivers/virtio/virtio_ring.ko\n"
	"kernel/drivers/virtio/virtio_ring.ko:\n"
	"kernel/drivers/virtio/virtio_pci.ko: kernel/drivers/virtio/virtio_pci_legacy_dev.ko kernel/drivers/virtio/virtio_pci_modern_dev.ko kernel/drivers/virtio/virtio.ko kernel/drivers/virtio/virtio_ring.ko\n"
	"kernel/drivers/virtio/virtio_pci_modern_dev.ko:\n"
	"kernel/drivers/virtio/virtio_pci_legacy_dev.ko:\n"
	"kernel/fs/erofs/erofs.ko: kernel/lib/libcrc32c.ko\n"
	"kernel/lib/libcrc32c.ko:\n"
	"kernel/crypto/crc32c_generic.ko:\n"
	"kernel/arch/x86/crypto/crc32c-intel.ko:\n"
	"kernel/fs/ext4/ext4.ko: kernel/lib/crc16.ko kernel/fs/mbcache.ko kernel/fs/jbd2/jbd2.ko\n"
	"kernel/lib/crc16.ko:\n"
	"kernel/fs/mbcache.ko:\n"
	"kernel/fs/jbd2/jbd2.ko:\n"
	"kernel/drivers/md/dm-verity.ko: kernel/drivers/md/dm-bufio.ko kernel/drivers/md/dm-mod.ko kernel/lib/reed_solomon/reed_solomon.ko\n"
	"kernel/drivers/md/dm-bufio.ko: kernel/drivers/md/dm-mod.ko\n"
	"kernel/drivers/md/dm-mod.ko:\n"
	"kernel/lib/reed_solomon/reed_solomon.ko:\n"
	"kernel/a.ko: kernel/b.ko\n"
	"kernel/b.ko:\n";
static const char *softdep =
	"# Soft dependencies extracted from modules themselves.\n"
	"softdep ext4 pre: crypto-crc32c\n"
	"softdep jbd2 pre: crypto-crc32c\n"
	"softdep libcrc32c pre: crc32c\n"
	"softdep a pre: b post: missing_soft\n"
	"softdep b pre: a\n"; /* a cycle through softdeps */
static const char *alias =
	"alias crypto-crc32c crc32c_intel\n"
	"alias crc32c crc32c_intel\n"
	"alias crypto-crc32c crc32c_generic\n"
	"alias crc32c crc32c_generic\n"
	"alias fs-erofs erofs\n"
	"alias pci:v00001AF4d*sv*sd*bc*sc*i* virtio_pci\n";
static const char *builtin = "kernel/lib/crc32.ko\n";

T_TEST(module_order)
{
	/* Expected orders: kmod's modprobe --show-depends on Debian 6.1 gives the same for these. */
	static const struct {
		const char *name;
		int ret;
		const char *order;
	} cases[] = {
		{"virtio_pci", 0, "virtio_ring virtio virtio_pci_modern_dev virtio_pci_legacy_dev virtio_pci"},
		{"erofs", 0, "crc32c_intel crc32c_generic libcrc32c erofs"},
		{"ext4", 0, "crc32c_intel crc32c_generic jbd2 mbcache crc16 ext4"},
		{"dm-verity", 0, "reed_solomon dm_mod dm_bufio dm_verity"},
		{"fs-erofs", 0, "crc32c_intel crc32c_generic libcrc32c erofs"},     /* an alias */
		{"pci:v00001AF4d00001001sv00001AF4sd00000002bc01sc00i00", 0,
			"virtio_ring virtio virtio_pci_modern_dev virtio_pci_legacy_dev virtio_pci"}, /* a wildcard alias */
		{"crc32", 0, ""},                                                  /* built in */
		{"a", 0, "b a"},                                                   /* softdep cycle stops */
		{"nosuch", -ENOENT, ""},                                           /* forged: unknown */
		{"../../etc/x", -ENOENT, ""},                                      /* forged: path */
	};
	struct modindex m;
	t_check(!modindex_set(&m, dep, softdep, alias, builtin, NULL), "index");
	for (size_t i = 0; i < T_LEN(cases); i++) {
		struct modplan *p = calloc(1, sizeof(*p));
		struct kerr e = {0};
		int r = module_plan(&m, cases[i].name, p, &e);
		t_check(r == cases[i].ret || (cases[i].ret && r < 0), "case %zu (%s): ret %d want %d: %s", i, cases[i].name, r,
			cases[i].ret, e.msg);
		char got[512] = "";
		for (int k = 0; k < p->n; k++) {
			if (k)
				strcat(got, " ");
			strcat(got, p->e[k].name);
		}
		if (!cases[i].ret)
			t_check(!strcmp(got, cases[i].order), "case %zu (%s): order '%s' want '%s'", i, cases[i].name, got, cases[i].order);
		free(p);
	}
	/* soft flags: crc32c_* reached only through softdeps; erofs and libcrc32c are hard */
	struct modplan *p = calloc(1, sizeof(*p));
	module_plan(&m, "erofs", p, NULL);
	t_check(p->n == 4 && p->e[0].soft && p->e[1].soft && !p->e[2].soft && !p->e[3].soft, "softdep modules marked soft");
	/* a plan shared by several names does not repeat modules */
	module_plan(&m, "ext4", p, NULL);
	t_check(p->n == 8, "erofs + ext4: 8 distinct modules, got %d", p->n);
	t_check(!strcmp(p->e[3].path, "kernel/fs/erofs/erofs.ko"), "path kept: %s", p->e[3].path);
	free(p);
	modindex_free(&m);

	/* forged indexes */
	static const char *bad[] = {
		"kernel/x.ko kernel/y.ko\n",     /* no ':' */
		"kernel/x.txt:\n",               /* not a module path */
	};
	for (size_t i = 0; i < T_LEN(bad); i++) {
		struct modplan *q = calloc(1, sizeof(*q));
		t_check(!modindex_set(&m, bad[i], NULL, NULL, NULL, NULL), "bad %zu index", i);
		t_check(module_plan(&m, "x", q, NULL) == -EINVAL, "bad index %zu refused", i);
		modindex_free(&m);
		free(q);
	}
	struct buf longline = BUF_INIT(1 << 20);
	buf_puts(&longline, "kernel/x.ko:");
	for (int i = 0; i < 400; i++)
		buf_puts(&longline, " kernel/yyyyyyyy.ko");
	buf_puts(&longline, "\n");
	struct modplan *q = calloc(1, sizeof(*q));
	modindex_set(&m, (const char *)longline.p, NULL, NULL, NULL, NULL);
	t_check(module_plan(&m, "x", q, NULL) == -E2BIG, "overlong modules.dep line refused");
	modindex_free(&m);
	buf_free(&longline);
	free(q);
}

T_TEST(module_load_dir)
{
	/* modindex_load reads the files; a missing modules.dep is an error, the rest optional */
	const char *d = t_tmpdir();
	char dir[512];
	snprintf(dir, sizeof(dir), "%s/mods", d);
	mkdir(dir, 0755);
	struct modindex m;
	struct kerr e = {0};
	t_check(modindex_load(&m, dir, &e) == -ENOENT, "no modules.dep: -ENOENT (%s)", e.msg);
	t_write("mods/modules.dep", dep, strlen(dep));
	t_check(!modindex_load(&m, dir, &e), "modules.dep only: %s", e.msg);
	struct modplan *p = calloc(1, sizeof(*p));
	t_check(!module_plan(&m, "dm_verity", p, &e) && p->n == 4, "plan from files: %d", p->n);
	/* loading a missing file is an error naming the module */
	t_check(module_load_plan(dir, p, NULL, NULL, &e) == -ENOENT && strstr(e.msg, "reed_solomon"), "load: %s", e.msg);
	/* a soft entry that fails is skipped */
	p->e[0].soft = 1;
	p->n = 1;
	int loaded = -1, skipped = -1;
	t_check(!module_load_plan(dir, p, &loaded, &skipped, &e) && loaded == 0 && skipped == 1, "soft skipped");
	free(p);
	modindex_free(&m);
}

/* A manifest text as mkimage.sh writes it. */
static const char *good_manifest =
	"keel-slot-manifest 1\n"
	"version 0.1.0\n"
	"fs erofs\n"
	"hash sha256\n"
	"data-block-size 4096\n"
	"hash-block-size 4096\n"
	"data-blocks 602\n"
	"hash-offset 2465792\n"
	"salt 7eea9f24afc635a1e0cf2d58c817e48af28c41713dff68cb13bf43bdd8681813\n"
	"root-hash 59018cdda0b5c6322cf7a7b1ae167ac9bd486faed5ec471ddbf654056b726b24\n";

static char *replace(const char *s, const char *from, const char *to)
{
	static char out[2048];
	const char *p = strstr(s, from);
	if (!p)
		return NULL;
	snprintf(out, sizeof(out), "%.*s%s%s", (int)(p - s), s, to, p + strlen(from));
	return out;
}

T_TEST(manifest_text)
{
	struct manifest m;
	struct kerr e = {0};
	t_check(!manifest_parse((const uint8_t *)good_manifest, strlen(good_manifest), &m, &e), "good: %s", e.msg);
	t_check(m.data_blocks == 602 && m.hash_offset == 2465792 && m.salt_len == 32 && m.hash == HASH_SHA256 &&
		!strcmp(m.version, "0.1.0") && !strcmp(m.fs, "erofs") && m.root_hash[0] == 0x59, "fields");
	char table[1024];
	t_check(!manifest_verity_table(&m, "/dev/vda2", table, sizeof(table)) &&
		!strcmp(table, "1 /dev/vda2 /dev/vda2 4096 4096 602 602 sha256 "
			"59018cdda0b5c6322cf7a7b1ae167ac9bd486faed5ec471ddbf654056b726b24 "
			"7eea9f24afc635a1e0cf2d58c817e48af28c41713dff68cb13bf43bdd8681813"), "table: %s", table);
	static const struct { const char *from, *to; int ok; } forged[] = {
		{"salt 7eea9f24afc635a1e0cf2d58c817e48af28c41713dff68cb13bf43bdd8681813", "salt -", 1},
		{"keel-slot-manifest 1", "keel-slot-manifest 2", 0},
		{"version 0.1.0", "version 0.1 0", 0},
		{"version 0.1.0", "version 0.1/0", 0},
		{"fs erofs", "fs vfat", 0},
		{"hash sha256", "hash md5", 0},
		{"data-block-size 4096", "data-block-size 4095", 0},
		{"data-block-size 4096", "data-block-size 256", 0},
		{"data-blocks 602", "data-blocks 0", 0},
		{"data-blocks 602", "data-blocks 0602", 0},
		{"data-blocks 602", "data-blocks 603", 0},                  /* data runs into the tree */
		{"hash-offset 2465792", "hash-offset 2465793", 0},
		{"hash-offset 2465792", "hash-offset 99999999999999999999999", 0},
		{"salt 7e", "salt 7", 0},
		{"root-hash 59", "root-hash 5", 0},
		{"root-hash 59", "root-hash zz", 0},
		{"fs erofs\nhash sha256", "hash sha256\nfs erofs", 0},      /* order is fixed */
		{"version 0.1.0\n", "", 0},                                 /* a line missing */
		{"6b24\n", "6b24\nextra 1\n", 0},                            /* trailing data */
		{"6b24\n", "6b24", 0},                                       /* no final newline */
		{"version 0.1.0", "version  0.1.0", 0},
	};
	for (size_t i = 0; i < T_LEN(forged); i++) {
		char *t = replace(good_manifest, forged[i].from, forged[i].to);
		t_check(t != NULL, "forged %zu: pattern", i);
		if (!t)
			continue;
		int r = manifest_parse((const uint8_t *)t, strlen(t), &m, &e);
		t_check(forged[i].ok ? r == 0 : r == -EINVAL, "forged %zu (%s): ret %d", i, forged[i].to, r);
	}
}

/* Test key pair (P-256) and a signature over good_manifest made with
 * openssl dgst -sha256 -sign tests/vm/keys/slot-test.key; both read from the tree. */
static int read_file(const char *path, struct buf *b)
{
	FILE *f = fopen(path, "rb");
	if (!f)
		return -1;
	char tmp[4096];
	size_t n;
	while ((n = fread(tmp, 1, sizeof(tmp), f)) > 0)
		buf_put(b, tmp, n);
	fclose(f);
	return 0;
}

T_TEST(manifest_signature)
{
	const char *src = getenv("KEEL_SRC");
	char path[1024];
	struct buf pub = BUF_INIT(1 << 16), sig = BUF_INIT(1 << 16);
	snprintf(path, sizeof(path), "%s/tests/vm/keys/slot-test.pem", src ? src : ".");
	int have = !read_file(path, &pub);
	snprintf(path, sizeof(path), "%s/tests/unit/boot/manifest.sig", src ? src : ".");
	have = have && !read_file(path, &sig);
	t_check(have, "test key and signature readable (KEEL_SRC=%s)", src ? src : "(unset)");
	if (!have)
		goto out;
	struct sig_keyring kr = {0}, none = {0};
	struct sig_key *k = NULL;
	const struct sig_key *which = NULL;
	struct kerr e = {0};
	t_check(!sig_key_parse(&k, pub.p, pub.len, &e) && !sig_keyring_add(&kr, k, &e), "test key: %s", e.msg);
	const uint8_t *text = (const uint8_t *)good_manifest;
	size_t tl = strlen(good_manifest);
	t_check(!manifest_verify(text, tl, sig.p, sig.len, &kr, &which, &e) && which == k, "good signature: %s", e.msg);
	/* forged: one text byte changed, one signature bit flipped, no keys */
	char *t = replace(good_manifest, "data-blocks 602", "data-blocks 601");
	t_check(manifest_verify((const uint8_t *)t, strlen(t), sig.p, sig.len, &kr, NULL, &e) == -EBADMSG, "changed text refused");
	sig.p[sig.len - 1] ^= 1;
	t_check(manifest_verify(text, tl, sig.p, sig.len, &kr, NULL, &e) == -EBADMSG, "flipped signature refused");
	sig.p[sig.len - 1] ^= 1;
	t_check(manifest_verify(text, tl, sig.p, sig.len, &none, NULL, &e) == -ENOKEY, "no keys: fail closed");
	t_check(manifest_verify(text, tl, sig.p, sig.len, NULL, NULL, &e) == -ENOKEY, "no keyring: fail closed");
	sig_keyring_free(&kr);

	/* the area framing */
	uint8_t area[1024] = "KEELSLOT";
	const uint8_t *tp, *sp;
	size_t tlen, slen;
	area[8] = (uint8_t)tl;
	area[9] = (uint8_t)(tl >> 8);
	area[12] = (uint8_t)sig.len;
	memcpy(area + 16, good_manifest, tl);
	memcpy(area + 16 + tl, sig.p, sig.len);
	t_check(!manifest_split(area, sizeof(area), &tp, &tlen, &sp, &slen, &e) && tlen == tl && slen == sig.len &&
		!memcmp(tp, good_manifest, tl), "split");
	area[0] = 'k';
	t_check(manifest_split(area, sizeof(area), &tp, &tlen, &sp, &slen, &e) == -ENOENT, "no magic");
	area[0] = 'K';
	area[9] = 0x20; /* text length 8K+ */
	t_check(manifest_split(area, sizeof(area), &tp, &tlen, &sp, &slen, &e) == -EINVAL, "text too long");
	area[9] = (uint8_t)(tl >> 8);
	t_check(manifest_split(area, 16 + tl, &tp, &tlen, &sp, &slen, &e) == -EINVAL, "signature past the area");
out:
	buf_free(&pub);
	buf_free(&sig);
}

static void mkfile(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");
	if (f) {
		fputs(text, f);
		fclose(f);
	}
}

T_TEST(blk_sysfs)
{
	/* a fake /sys: class/block/X -> ../../devices/virtio/block/DISK[/PART] */
	char base[512], p[1024];
	snprintf(base, sizeof(base), "%s/sys", t_tmpdir());
	const char *dirs[] = {"", "/class", "/class/block", "/devices", "/devices/v", "/devices/v/block",
		"/devices/v/block/vda", "/devices/v/block/vda/vda1", "/devices/v/block/vda/vda2", "/devices/v/block/vdb",
		"/devices/v/block/vdb/vdb1"};
	for (size_t i = 0; i < T_LEN(dirs); i++) {
		snprintf(p, sizeof(p), "%s%s", base, dirs[i]);
		mkdir(p, 0755);
	}
	static const struct { const char *name, *target, *uevent; } devs[] = {
		{"vda", "../../devices/v/block/vda", "MAJOR=254\nMINOR=0\nDEVNAME=vda\nDEVTYPE=disk\n"},
		{"vda1", "../../devices/v/block/vda/vda1", "MAJOR=254\nMINOR=1\nDEVNAME=vda1\nDEVTYPE=partition\nPARTN=1\nPARTNAME=USR-A\n"},
		{"vda2", "../../devices/v/block/vda/vda2", "MAJOR=254\nMINOR=2\nDEVNAME=vda2\nDEVTYPE=partition\nPARTN=2\nPARTNAME=STATE\n"},
		{"vdb", "../../devices/v/block/vdb", "MAJOR=254\nMINOR=16\nDEVNAME=vdb\nDEVTYPE=disk\n"},
		{"vdb1", "../../devices/v/block/vdb/vdb1", "MAJOR=254\nMINOR=17\nDEVNAME=vdb1\nDEVTYPE=partition\nPARTN=1\nPARTNAME=config-2\n"},
	};
	for (size_t i = 0; i < T_LEN(devs); i++) {
		snprintf(p, sizeof(p), "%s/class/block/%s", base, devs[i].name);
		t_check(!symlink(devs[i].target, p), "symlink %s", p);
		snprintf(p, sizeof(p), "%s/devices/v/block/%s%s%s/uevent", base,
			strlen(devs[i].name) > 3 ? (devs[i].name[2] == 'a' ? "vda/" : "vdb/") : "", devs[i].name, "");
		mkfile(p, devs[i].uevent);
	}
	struct blkdev b;
	struct kerr e = {0};
	t_check(!blk_find_label(base, "USR-A", &b, &e) && !strcmp(b.name, "vda1") && !strcmp(b.disk, "vda") && b.partn == 1 &&
		b.dev == makedev(254, 1), "USR-A: %s disk %s partn %u (%s)", b.name, b.disk, b.partn, e.msg);
	t_check(blk_find_label(base, "USR-B", &b, &e) == -ENOENT, "USR-B absent");
	t_check(!blk_find_part(base, "vda", 2, &b, &e) && !strcmp(b.partname, "STATE"), "vda partition 2");
	t_check(!blk_find_part(base, "vdb", 0, &b, &e) && !strcmp(b.name, "vdb"), "a whole disk is partn 0");
	t_check(blk_wait_label(base, "USR-B", 50, &b, &e) == -ETIMEDOUT, "wait times out");
	/* forged: a second disk with the same label is refused (which one would we trust?) */
	snprintf(p, sizeof(p), "%s/devices/v/block/vdb/vdb1/uevent", base);
	mkfile(p, "MAJOR=254\nMINOR=17\nDEVNAME=vdb1\nDEVTYPE=partition\nPARTN=1\nPARTNAME=USR-A\n");
	t_check(blk_find_label(base, "USR-A", &b, &e) == -EEXIST && strstr(e.msg, "vda1") && strstr(e.msg, "vdb1"), "duplicate label: %s", e.msg);
	/* forged: DEVNAME with a slash is ignored (the sysfs name is used), missing MAJOR skips it */
	mkfile(p, "MAJOR=254\nMINOR=17\nDEVNAME=../../etc\nDEVTYPE=partition\nPARTN=1\nPARTNAME=X\n");
	t_check(!blk_find_label(base, "X", &b, &e) && !strcmp(b.name, "vdb1"), "bad DEVNAME: %s", b.name);
	mkfile(p, "MINOR=17\nDEVNAME=vdb1\nDEVTYPE=partition\nPARTN=1\nPARTNAME=Y\n");
	t_check(blk_find_label(base, "Y", &b, &e) == -ENOENT, "no MAJOR: skipped");
}

T_TEST(remove_tree_stays_on_device)
{
	char base[512], p[1024];
	snprintf(base, sizeof(base), "%s/rt", t_tmpdir());
	t_check(!mount_mkdir_p(base, 0755), "mount_mkdir_p");
	snprintf(p, sizeof(p), "%s/a/b/c", base);
	t_check(!mount_mkdir_p(p, 0755), "mount_mkdir_p nested");
	snprintf(p, sizeof(p), "%s/a/b/c/file", base);
	mkfile(p, "x");
	snprintf(p, sizeof(p), "%s/link", base);
	t_check(!symlink("/etc", p), "symlink");
	int fd = open(base, O_RDONLY | O_DIRECTORY);
	t_check(!fs_empty_dir(fd, FS_SAME_DEV, 64), "remove");
	close(fd);
	snprintf(p, sizeof(p), "%s/a", base);
	t_check(access(p, F_OK) && !access("/etc/passwd", F_OK) && !access(base, F_OK), "tree gone, symlink target kept");
	/* another filesystem mounted below (a tmpfs, in a mount namespace of a child): kept */
	pid_t pid = fork();
	if (pid == 0) {
		char m[1024], f[1100], g[1100];
		snprintf(m, sizeof(m), "%s/m", base);
		snprintf(f, sizeof(f), "%s/m/kept", base);
		snprintf(g, sizeof(g), "%s/gone", base);
		if (mkdir(m, 0755) || (unshare(CLONE_NEWNS) && unshare(CLONE_NEWUSER | CLONE_NEWNS)) ||
			mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) || mount("t", m, "tmpfs", 0, NULL))
			_exit(10);
		mkfile(f, "x");
		mkfile(g, "x");
		int d = open(base, O_RDONLY | O_DIRECTORY);
		int r = fs_empty_dir(d, FS_SAME_DEV, 64);
		_exit(r ? 11 : access(f, F_OK) ? 12 : !access(g, F_OK) ? 13 : 0);
	}
	int st = -1;
	waitpid(pid, &st, 0);
	t_check(WIFEXITED(st) && WEXITSTATUS(st) == 0, "a mount below is left alone (child status %d: 10 no namespace, "
		"11 error, 12 mount emptied, 13 file kept)", WIFEXITED(st) ? WEXITSTATUS(st) : -1);
	snprintf(p, sizeof(p), "%s/x/file", base);
	t_check(mount_mkdir_p(p, 0755) == 0, "mount_mkdir_p x/file");
	snprintf(p, sizeof(p), "%s/keep", base);
	mkfile(p, "x");
	snprintf(p, sizeof(p), "%s/keep/sub", base);
	t_check(mount_mkdir_p(p, 0755) == -ENOTDIR, "mount_mkdir_p through a file: -ENOTDIR");
}

/* stage1_skeleton: what a STATE may hold where the host's skeleton goes. A planted node is
 * refused by name and left as it was; the right links and directories are kept or made. */
T_TEST(stage1_skeleton_state)
{
	static const char *const links[][2] = {{"bin", "usr/bin"}, {"sbin", "usr/sbin"}, {"lib", "usr/lib"}, {"lib64", "usr/lib64"}};
	static const struct { char kind; const char *name, *target; int ret; const char *msg; } cases[] = {
		{0, NULL, NULL, 0, NULL},   /* an empty STATE: everything made */
		{'L', NULL, NULL, 0, NULL}, /* the four links already there, as a previous boot made them */
		{'d', "lib64", NULL, -EEXIST, "STATE: /lib64 is a directory, not the symlink lib64 -> usr/lib64"},
		{'d', "bin", NULL, -EEXIST, "STATE: /bin is a directory, not the symlink bin -> usr/bin"},
		{'l', "lib64", "/usr/lib64", -EEXIST, "STATE: /lib64 is a symlink elsewhere, not the symlink lib64 -> usr/lib64"},
		{'l', "lib64", "usr/lib64/", -EEXIST, "/lib64 is a symlink elsewhere"},
		{'l', "lib", "usr/lib64", -EEXIST, "/lib is a symlink elsewhere"},
		{'l', "lib", "usr/li", -EEXIST, "/lib is a symlink elsewhere"},
		{'l', "sbin", "usr/sbin/../../var/sbin", -EEXIST, "/sbin is a symlink elsewhere"},
		{'f', "sbin", NULL, -EEXIST, "STATE: /sbin is a regular file, not the symlink sbin -> usr/sbin"},
		{'p', "lib", NULL, -EEXIST, "STATE: /lib is a special file, not the symlink lib -> usr/lib"},
		{'l', "usr", "/tmp", -ENOTDIR, "STATE: /usr is not a directory"},
		{'f', "etc", NULL, -ENOTDIR, "STATE: /etc is not a directory"},
	};
	for (size_t i = 0; i < T_LEN(cases); i++) {
		char root[512], p[1024], t[64];
		struct kerr e = {0};
		struct stat st;
		snprintf(root, sizeof(root), "%s/state%zu", t_tmpdir(), i);
		t_check(!mkdir(root, 0755), "case %zu: mkdir", i);
		if (cases[i].name)
			snprintf(p, sizeof(p), "%s/%s", root, cases[i].name);
		switch (cases[i].kind) {
		case 'L':
			for (size_t k = 0; k < T_LEN(links); k++) {
				snprintf(p, sizeof(p), "%s/%s", root, links[k][0]);
				t_check(!symlink(links[k][1], p), "case %zu: plant %s", i, p);
			}
			break;
		case 'd': t_check(!mkdir(p, 0755), "case %zu: plant %s", i, p); break;
		case 'l': t_check(!symlink(cases[i].target, p), "case %zu: plant %s", i, p); break;
		case 'f': mkfile(p, "x"); break;
		case 'p': t_check(!mkfifo(p, 0644), "case %zu: plant %s", i, p); break;
		}
		struct stat before = {0};
		if (cases[i].name)
			lstat(p, &before);
		int r = stage1_skeleton(root, &e);
		if (cases[i].ret) {
			t_check(r == cases[i].ret && strstr(e.msg, cases[i].msg), "case %zu: refused (%d: %s)", i, r, e.msg);
			t_check(!lstat(p, &st) && st.st_mode == before.st_mode && st.st_ino == before.st_ino, "case %zu: %s left alone", i, p);
			continue;
		}
		t_check(!r, "case %zu: %s", i, e.msg);
		for (size_t k = 0; k < T_LEN(links); k++) {
			snprintf(p, sizeof(p), "%s/%s", root, links[k][0]);
			ssize_t n = readlink(p, t, sizeof(t) - 1);
			t_check(n > 0 && (t[n] = 0, !strcmp(t, links[k][1])), "case %zu: %s -> %s", i, p, links[k][1]);
		}
		snprintf(p, sizeof(p), "%s/usr", root);
		t_check(!lstat(p, &st) && S_ISDIR(st.st_mode), "case %zu: /usr a directory", i);
		t_check(!stage1_skeleton(root, &e), "case %zu: a second run keeps it: %s", i, e.msg);
	}
}

/* Versions as dotted decimal numbers; anything else cannot be ordered (-EINVAL). */
T_TEST(manifest_version_order)
{
	static const struct { const char *a, *b; int ret, cmp; } cases[] = {
		{"2026.1.0", "2026.1.0", 0, 0},
		{"2026.1.0", "2026.1.1", 0, -1},
		{"2026.1.10", "2026.1.9", 0, 1},   /* numbers, not strings */
		{"2026.2", "2026.1.99", 0, 1},
		{"2026.1", "2026.1.0", 0, 0},      /* a missing component is 0 */
		{"2026.1", "2026.1.0.1", 0, -1},
		{"2026.01.0", "2026.1", 0, 0},     /* leading zeros do not count */
		{"0", "0.0.0", 0, 0},
		{"10", "9.99", 0, 1},
		{"1", "0001", 0, 0},
		{"99999999999999999999999999", "99999999999999999999999998", 0, 1}, /* longer than 64 bits */
		{"100000000000000000000", "99999999999999999999", 0, 1},
		{"0.100000000000000000000", "0.99999999999999999999", 0, 1},
		/* forged: cannot be ordered, whichever side */
		{"2026.1.0-rc1", "2026.1.0", -EINVAL, 0},
		{"2026.1.0", "2026.1.0+build", -EINVAL, 0},
		{"v2026", "1", -EINVAL, 0},
		{"", "1", -EINVAL, 0},
		{"1", "", -EINVAL, 0},
		{".1", "1", -EINVAL, 0},
		{"1.", "1", -EINVAL, 0},
		{"1..2", "1.2", -EINVAL, 0},
		{"1.2", "1 .2", -EINVAL, 0},
		{"-1", "1", -EINVAL, 0},
		{"1.2\n", "1.2", -EINVAL, 0},
		{"11111111111111111111111111111111111111111111111111111111111111111", "1", -EINVAL, 0}, /* 65 bytes */
	};
	for (size_t i = 0; i < T_LEN(cases); i++) {
		int c = 7, r = manifest_version_cmp(cases[i].a, cases[i].b, &c);
		t_check(r == cases[i].ret && (r || c == cases[i].cmp), "case %zu: %s vs %s: %d/%d, want %d/%d", i, cases[i].a,
			cases[i].b, r, c, cases[i].ret, cases[i].cmp);
		if (!r) { /* antisymmetric */
			int c2 = 7;
			t_check(!manifest_version_cmp(cases[i].b, cases[i].a, &c2) && c2 == -c, "case %zu: reversed %d", i, c2);
		}
	}
	/* 64 bytes is the longest a manifest allows, and still orders */
	char v64[65];
	memset(v64, '1', 64);
	v64[64] = 0;
	int c = 7;
	t_check(!manifest_version_cmp(v64, "1", &c) && c == 1, "64 digits: %d", c);
}

T_TEST(manifest_floor)
{
	static const struct { const char *version, *floor; int ret; } checks[] = {
		{"2026.1.0", "", 0},             /* no floor: any version, any format */
		{"2026.1.0-rc1", "", 0},
		{"2026.1.0", "2026.1.0", 0},
		{"2026.1.1", "2026.1", 0},
		{"2026.1.0", "2026.1.1", -EPERM},
		{"2025.12.31", "2026", -EPERM},
		{"2026.1.0-rc1", "2026.1.0", -EPERM}, /* cannot be ordered: refused */
		{"2027", "2026.1.0-rc1", -EPERM},
	};
	for (size_t i = 0; i < T_LEN(checks); i++) {
		struct kerr e = {0};
		int r = manifest_floor_check(checks[i].version, checks[i].floor, "test floor", &e);
		t_check(r == checks[i].ret && (!r || (strstr(e.msg, checks[i].version) && strstr(e.msg, checks[i].floor) &&
			strstr(e.msg, "(test floor)"))), "check %zu: %s against %s: %d (%s)", i, checks[i].version, checks[i].floor, r, e.msg);
	}
	struct kerr e = {0};
	t_check(manifest_floor_check("1.0", "1.2", "/etc/keel/min-version on the initramfs", &e) == -EPERM &&
		!strcmp(e.msg, "version 1.0 is below the minimum version 1.2 (/etc/keel/min-version on the initramfs)"), "message: %s", e.msg);

	/* floor files beneath a root: only a regular file holding one version */
	static const struct { const char *text; int len; int ret; const char *want; } files[] = {
		{"2026.1.0\n", -1, 0, "2026.1.0"},
		{"2026.1.0", -1, 0, "2026.1.0"},
		{"7", -1, 0, "7"},
		{"", -1, -EINVAL, NULL},
		{"\n", -1, -EINVAL, NULL},
		{"2026.1.0\n\n", -1, -EINVAL, NULL},
		{" 2026.1.0", -1, -EINVAL, NULL},
		{"2026.1.0\r\n", -1, -EINVAL, NULL},
		{"2026.1.0-rc1\n", -1, -EINVAL, NULL},
		{"2026\0.1\n", 8, -EINVAL, NULL},
		{"\x1b[2J1.0", -1, -EINVAL, NULL},
		{"11111111111111111111111111111111111111111111111111111111111111111\n", -1, -EINVAL, NULL}, /* 65 digits */
	};
	int rootfd = open(t_tmpdir(), O_PATH | O_DIRECTORY);
	char p[1024], v[MANIFEST_VERSION_MAX + 1];
	snprintf(p, sizeof(p), "%s/var/lib/keel", t_tmpdir());
	t_check(!mount_mkdir_p(p, 0755), "mkdir");
	t_check(manifest_floor_read(rootfd, "var/lib/keel/min-version", v, &e) == -ENOENT, "none: -ENOENT");
	snprintf(p, sizeof(p), "%s/var/lib/keel/min-version", t_tmpdir());
	for (size_t i = 0; i < T_LEN(files); i++) {
		int fd = open(p, O_WRONLY | O_CREAT | O_TRUNC, 0644);
		size_t l = files[i].len < 0 ? strlen(files[i].text) : (size_t)files[i].len;
		t_check(fd >= 0 && write(fd, files[i].text, l) == (ssize_t)l && !close(fd), "file %zu: write", i);
		memset(&e, 0, sizeof(e));
		int r = manifest_floor_read(rootfd, "var/lib/keel/min-version", v, &e);
		t_check(r == files[i].ret && (r ? strstr(e.msg, "var/lib/keel/min-version") && !strchr(e.msg, 0x1b) :
			!strcmp(v, files[i].want)), "file %zu: %d (%s)", i, r, r ? e.msg : v);
	}
	/* a long file, a FIFO (must not block), a directory, a symlink in the path: refused */
	int fd = open(p, O_WRONLY | O_TRUNC);
	for (int i = 0; i < 20; i++)
		t_check(write(fd, "1.1.1.1.1.1.1.1.", 16) == 16, "write");
	close(fd);
	t_check(manifest_floor_read(rootfd, "var/lib/keel/min-version", v, &e) == -EFBIG, "320 bytes: %s", e.msg);
	unlink(p);
	t_check(!mkfifo(p, 0644) && manifest_floor_read(rootfd, "var/lib/keel/min-version", v, &e) == -EINVAL &&
		strstr(e.msg, "not a regular file"), "FIFO: %s", e.msg);
	unlink(p);
	t_check(!mkdir(p, 0755) && manifest_floor_read(rootfd, "var/lib/keel/min-version", v, &e) == -EINVAL, "directory: %s", e.msg);
	rmdir(p);
	snprintf(p, sizeof(p), "%s/elsewhere", t_tmpdir());
	mkfile(p, "1.0\n");
	snprintf(p, sizeof(p), "%s/var/lib/keel/min-version", t_tmpdir());
	t_check(!symlink("../../../elsewhere", p), "symlink");
	int r = manifest_floor_read(rootfd, "var/lib/keel/min-version", v, &e);
	t_check(r < 0 && r != -ENOENT, "a symlink is not followed: %d (%s)", r, e.msg);
	close(rootfd);
}

/* Stage 1 only on a ramfs/tmpfs root with the marker: never on a host root (STATE, ext4, …),
 * whatever it holds. */
T_TEST(stage1_only_in_initramfs)
{
	/* a directory on a disk filesystem and one on tmpfs (/dev/shm), each with the marker */
	char disk[512], shm[] = "/dev/shm/keel-unit.XXXXXX", p[1024];
	const char *dirs[] = {t_tmpdir(), ".", NULL};
	disk[0] = 0;
	for (int i = 0; dirs[i] && !disk[0]; i++)
		if (!is_ramfs(dirs[i]))
			snprintf(disk, sizeof(disk), "%s/host-root", dirs[i]);
	t_check(disk[0] && is_ramfs("/dev/shm") && mkdtemp(shm), "a disk directory (%s) and a tmpfs one (/dev/shm)", disk);
	if (!disk[0] || !is_ramfs("/dev/shm"))
		return;
	for (int k = 0; k < 2; k++) {
		const char *root = k ? shm : disk;
		snprintf(p, sizeof(p), "%s/etc", root);
		mount_mkdir_p(p, 0755);
		t_check(!stage1_is_initramfs(root), "%s without the marker: not stage 1", root);
		snprintf(p, sizeof(p), "%s%s", root, STAGE1_MARKER);
		mkfile(p, "keel initramfs\n");
		t_check(stage1_is_initramfs(root) == k, "%s with the marker: %s", root, k ? "stage 1" : "not stage 1 (a host root)");
		unlink(p);
		snprintf(p, sizeof(p), "%s/etc", root);
		rmdir(p);
	}
	rmdir(shm);
	rmdir(disk);
}
