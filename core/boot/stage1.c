/* stage1.c — the steps of the initramfs half of `keel init` (sequence in stage1.h; the program
 * that runs them is applets/init_stage1.c). */
#include "boot/stage1.h"
#include "base/clock.h"
#include "base/buf.h"
#include "base/err.h"
#include "base/fs.h"
#include "boot/module.h"
#include "disk/blk.h"
#include "disk/dm.h"
#include "disk/esp.h"
#include "disk/gpt.h"
#include "disk/mount.h"
#include "trust/tuf.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/fs.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/utsname.h>
#include <time.h>
#include <unistd.h>

int stage1_unknown_key(const char *key)
{
	static const char *const known[] = {"keel.rescue", "keel.slot", "keel.timeout", "keel.init", "keel.log",
		"keel.rescue_timeout", "keel.config", "keel.usrhash"};
	if (!str_starts(key, "keel."))
		return 0;
	for (size_t i = 0; i < sizeof(known) / sizeof(known[0]); i++)
		if (!strcmp(key, known[i]))
			return 0;
	return 1;
}

int stage1_modules(const char *list_path, const char *moddir, int *loaded, int *skipped, struct kerr *e)
{
	struct utsname u;
	char dir[300];
	struct modindex mi;
	struct buf list = BUF_INIT(16384);
	struct modplan *plan = NULL;
	int ret;

	*loaded = *skipped = 0;
	if (moddir ? str_copy(dir, sizeof(dir), moddir) : uname(&u) || str_fmt(dir, sizeof(dir), "/lib/modules/%s", u.release))
		return kerr_set(e, -EINVAL, moddir ? "module directory too long" : "uname failed");
	if ((ret = fs_read_path(AT_FDCWD, list_path, list.max, &list, e))) {
		if (ret == -ENOENT) { /* nothing to load: a kernel with everything built in */
			*loaded = -1;
			return 0;
		}
		return ret;
	}
	if ((ret = modindex_load(&mi, dir, e))) {
		buf_free(&list);
		return ret;
	}
	plan = calloc(1, sizeof(*plan));
	if (!plan) {
		ret = kerr_set(e, -ENOMEM, "out of memory");
		goto out;
	}
	char *p = (char *)list.p, *end = p + list.len;
	while (p < end) {
		char *nl = memchr(p, '\n', (size_t)(end - p));
		if (nl)
			*nl = 0;
		while (*p == ' ' || *p == '\t')
			p++;
		size_t l = strlen(p);
		while (l && (p[l - 1] == ' ' || p[l - 1] == '\t' || p[l - 1] == '\r'))
			p[--l] = 0;
		if (*p && *p != '#' && (ret = module_plan(&mi, p, plan, e)))
			goto out;
		p = nl ? nl + 1 : end;
	}
	ret = module_load_plan(dir, plan, loaded, skipped, e);
out:
	free(plan);
	modindex_free(&mi);
	buf_free(&list);
	return ret;
}

int stage1_wait_disk(struct stage1 *s, const char *sys, unsigned timeout_s, struct kerr *e)
{
	uint64_t deadline = mono_ms() + (uint64_t)timeout_s * 1000;
	struct blkdev any;
	int ret;
	for (;;) {
		ret = blk_find_label(sys, "USR-A", &any, e);
		if (ret == -ENOENT)
			ret = blk_find_label(sys, "USR-B", &any, e);
		if (ret != -ENOENT)
			break;
		if (mono_ms() >= deadline)
			return kerr_set(e, -ETIMEDOUT, "no partition labelled USR-A or USR-B after %u s", timeout_s);
		struct timespec ts = {0, 20 * 1000000};
		nanosleep(&ts, NULL);
	}
	if (ret)
		return ret;
	str_copy(s->disk, sizeof(s->disk), any.disk);
	return 0;
}

/* One EFI variable from efivarfs: 4 bytes of attributes, then the data (at most cap bytes). */
static int efivar(const char *dir, const char *name, uint8_t *data, size_t cap, size_t *len)
{
	char path[256];
	uint8_t b[4 + 2 * STAGE1_ENTRY_MAX];
	if (str_fmt(path, sizeof(path), "%s/%s", dir, name))
		return -ENAMETOOLONG;
	int fd = open(path, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	ssize_t n = read(fd, b, sizeof(b)); /* efivarfs hands out a variable in one read */
	int ret = n < 0 ? -errno : n < 4 || (size_t)n - 4 > cap ? -EINVAL : 0;
	close(fd);
	if (!ret) {
		*len = (size_t)n - 4;
		memcpy(data, b + 4, *len);
	}
	return ret;
}

int stage1_efi_vars(struct stage1 *s, const char *dir, struct kerr *e)
{
	uint8_t v[2 * STAGE1_ENTRY_MAX];
	size_t len = 0, o = 0;
	int ret = efivar(dir, "SecureBoot-8be4df61-93ca-11d2-aa0d-00e098032b8c", v, 1, &len);
	if (ret && ret != -ENOENT)
		return kerr_set(e, ret, "%s/SecureBoot-8be4df61-...: %s", dir, ret == -EINVAL ? "not one byte" : strerror(-ret));
	s->secure_boot = !ret && len == 1 && v[0] == 1;
	s->entry[0] = 0;
	ret = efivar(dir, "LoaderEntrySelected-4a67b082-0a4c-41cf-b6c7-440b29bb8c4f", v, sizeof(v) - 2, &len);
	if (ret == -ENOENT)
		return 0;
	if (ret)
		return kerr_set(e, ret, "%s/LoaderEntrySelected-4a67b082-...: %s", dir, ret == -EINVAL ? "too long" : strerror(-ret));
	for (size_t i = 0; i + 1 < len && o + 1 < sizeof(s->entry); i += 2) {
		unsigned c = v[i] | (unsigned)v[i + 1] << 8;
		if (!c)
			break;
		s->entry[o++] = c >= 0x20 && c < 0x7f ? (char)c : '?';
	}
	s->entry[o] = 0;
	return 0;
}

int stage1_efi(struct stage1 *s, const char *sys, struct kerr *e)
{
	char dir[256];
	s->entry[0] = 0;
	if (str_fmt(dir, sizeof(dir), "%s/firmware/efi/efivars", sys))
		return kerr_set(e, -ENAMETOOLONG, "%s: path too long", sys);
	if (access(dir, F_OK)) { /* the directory is there exactly when the kernel booted through UEFI */
		s->secure_boot = -1;
		return 0;
	}
	int ret = mnt("efivarfs", dir, "efivarfs", MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL, e);
	if (ret && ret != -EBUSY)
		return ret;
	return stage1_efi_vars(s, dir, e);
}

int stage1_usrhash_pick(const char *hex, const struct stage1_cand *c, int n, int preferred, struct kerr *e)
{
	uint8_t want[HASH_MAX_SIZE];
	char seen[320] = "", h[2 * HASH_MAX_SIZE + 1];
	size_t len = strlen(hex), o = 0;
	int pick = -1;
	if ((len != 64 && len != 128) || strspn(hex, "0123456789abcdef") != len || hex_decode(want, len / 2, hex, len))
		return kerr_set(e, -EINVAL, "keel.usrhash=%.140s: want 64 or 128 lower-case hex digits", hex);
	for (int i = 0; i < n; i++) {
		size_t hs = hash_size(c[i].m.hash);
		if (!c[i].ret && hs == len / 2 && !memcmp(c[i].m.root_hash, want, hs)) {
			if (pick < 0 || c[i].idx == preferred)
				pick = i;
			continue;
		}
		if (!c[i].ret)
			hex_encode(h, c[i].m.root_hash, hs);
		int w = snprintf(seen + o, sizeof(seen) - o, "%s%s %s%.16s", o ? ", " : "", c[i].name,
			c[i].ret ? "has no verified manifest: " : "has ", c[i].ret ? kerr_strerror(c[i].ret) : h);
		o = w < 0 || (size_t)w >= sizeof(seen) - o ? sizeof(seen) - 1 : o + (size_t)w;
	}
	if (pick < 0)
		return kerr_set(e, -ENOENT, "keel.usrhash=%s: no slot's signed manifest has this root hash (%s)", hex,
			n ? seen : "no USR-A or USR-B partition");
	return pick;
}

/* keel.usrhash=: load both slots' manifests and pick (stage1_usrhash_pick). */
static int choose_usrhash(const struct stage1 *s, const char *sys, const struct gpt *g, const char *hex, struct kerr *e)
{
	struct stage1_cand c[2];
	struct gpt_part p;
	struct blkdev b;
	char node[96], key[32];
	int n = 0;
	for (int i = 0; i < gpt_count(g) && n < 2; i++) {
		if (gpt_get(g, i, &p) || memcmp(p.type, GPT_TYPE_COREOS_USR, 16) || (strcmp(p.name, "USR-A") && strcmp(p.name, "USR-B")))
			continue;
		struct stage1_cand *x = &c[n++];
		memset(x, 0, sizeof(*x));
		x->idx = i;
		str_copy(x->name, sizeof(x->name), p.name);
		struct kerr ie = {0};
		uint64_t size = 0;
		x->ret = blk_find_part(sys, s->disk, (unsigned)i + 1, &b, &ie);
		if (!x->ret)
			x->ret = blk_node(&b, node, sizeof(node), &ie);
		int fd = x->ret ? -1 : open(node, O_RDONLY | O_CLOEXEC);
		if (!x->ret && fd < 0)
			x->ret = -errno;
		if (fd >= 0) {
			x->ret = ioctl(fd, BLKGETSIZE64, &size) ? -errno : manifest_load(fd, size, STAGE1_KEYDIR, &x->m, key, sizeof(key), &ie);
			close(fd);
		}
	}
	int pick = stage1_usrhash_pick(hex, c, n, gpt_prio_next(g, GPT_TYPE_COREOS_USR), e);
	return pick < 0 ? pick : c[pick].idx;
}

/* keel.usrhash= booted entry idx: a bad entry in the ESP means boot counting fell back here; then
 * the other slot, if not successful, loses its tries so gptprio.next agrees (stage1.h). The ESP
 * is only looked at: a FAT that does not read changes nothing and fails nothing. */
static int usrhash_fallback(struct stage1 *s, int fd, struct gpt *g, int idx, struct stage1_choice *c, struct kerr *e)
{
	struct esp x;
	struct esp_file f[16];
	struct esp_name n;
	struct gpt_part p;
	int nf = 0;
	if (esp_open_gpt(&x, fd, g, NULL) || esp_list(&x, f, 16, &nf, NULL))
		return 0;
	for (int i = 0; i < nf && i < 16; i++)
		if (!esp_name_parse(f[i].name, &n) && n.left == 0)
			str_copy(s->fallback, sizeof(s->fallback), f[i].name);
	if (!s->fallback[0])
		return 0;
	for (int i = 0; i < gpt_count(g); i++) {
		if (i == idx || gpt_get(g, i, &p) || memcmp(p.type, GPT_TYPE_COREOS_USR, 16) || gpt_attr_successful(p.attr) ||
			!gpt_attr_tries(p.attr))
			continue;
		int ret = gpt_set_attr(g, i, gpt_attr_set_tries(p.attr, 0));
		if (ret || (ret = gpt_write(fd, g, e)))
			return ret;
		c->cleared = (unsigned)i + 1;
	}
	return 0;
}

int stage1_choose_slot(struct stage1 *s, const char *sys, struct stage1_choice *c, struct kerr *e)
{
	struct blkdev d, part;
	struct gpt g;
	int ret, fd, idx;

	memset(c, 0, sizeof(*c));
	ret = blk_find_part(sys, s->disk, 0, &d, e);
	if (ret || (ret = blk_node(&d, c->gpt_dev, sizeof(c->gpt_dev), e)))
		return ret;
	fd = open(c->gpt_dev, O_RDWR | O_CLOEXEC);
	if (fd < 0)
		return kerr_set(e, -errno, "%s: %s", c->gpt_dev, strerror(errno));
	if ((ret = gpt_read(&(struct gpt_io){.fd = fd}, 0, &g, e)))
		goto out;
	if (!g.primary_ok || !g.backup_ok)
		c->damaged = g.primary_ok ? "backup" : "primary";
	const char *forced = cmdline_get(&s->cmd, "keel.slot"), *usrhash = cmdline_get(&s->cmd, "keel.usrhash");
	if (usrhash) {
		forced = NULL;
		if ((idx = choose_usrhash(s, sys, &g, usrhash, e)) < 0 || (ret = usrhash_fallback(s, fd, &g, idx, c, e))) {
			ret = idx < 0 ? idx : ret;
			goto out;
		}
		c->by_usrhash = true;
	} else if (forced) {
		if (strcmp(forced, "USR-A") && strcmp(forced, "USR-B")) {
			ret = kerr_set(e, -EINVAL, "keel.slot=%s: want USR-A or USR-B", forced);
			goto out;
		}
		idx = gpt_find_name(&g, forced);
		if (idx < 0) {
			ret = kerr_set(e, idx, "keel.slot=%s: %s", forced, idx == -EEXIST ? "two partitions have that label" : "no such partition");
			goto out;
		}
	} else {
		idx = gpt_prio_next(&g, GPT_TYPE_COREOS_USR);
		if (idx < 0) {
			ret = kerr_set(e, -ENOENT, "%s: no bootable slot (every USR partition has priority 0, or no tries left and not successful)", c->gpt_dev);
			goto out;
		}
	}
	struct gpt_part p;
	gpt_get(&g, idx, &p);
	if (strcmp(p.name, "USR-A") && strcmp(p.name, "USR-B")) {
		ret = kerr_set(e, -EINVAL, "%s: partition %d is labelled '%s', not USR-A or USR-B", c->gpt_dev, idx + 1, p.name);
		goto out;
	}
	str_copy(s->slot, sizeof(s->slot), p.name);
	c->forced = forced != NULL;
	c->tries = gpt_attr_tries(p.attr);
	c->priority = gpt_attr_priority(p.attr);
	c->successful = gpt_attr_successful(p.attr);
	if (!forced && !usrhash && c->tries > 0) {
		if ((ret = gpt_set_attr(&g, idx, gpt_attr_set_tries(p.attr, c->tries - 1))) || (ret = gpt_write(fd, &g, e)))
			goto out;
		c->decremented = true;
	}
	c->partn = (unsigned)idx + 1;
	if (!(ret = blk_find_part(sys, s->disk, c->partn, &part, e)))
		ret = blk_node(&part, s->part_dev, sizeof(s->part_dev), e);
out:
	gpt_free(&g);
	close(fd);
	return ret;
}

int stage1_manifest(struct stage1 *s, const char *keydir, struct kerr *e)
{
	uint64_t size = 0;
	int ret, fd = open(s->part_dev, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return kerr_set(e, -errno, "%s: %s", s->part_dev, strerror(errno));
	if (ioctl(fd, BLKGETSIZE64, &size))
		ret = kerr_set(e, -errno, "%s: size: %s", s->part_dev, strerror(errno));
	else
		ret = manifest_load(fd, size, keydir, &s->m, s->key, sizeof(s->key), e);
	close(fd);
	return ret;
}

int stage1_floor(struct stage1 *s, const char *root, const char *path, const char *where, struct kerr *e)
{
	char v[MANIFEST_VERSION_MAX + 1];
	int cmp = -1, ret, fd;
	if ((fd = open(root, O_PATH | O_DIRECTORY | O_CLOEXEC)) < 0)
		return kerr_set(e, -errno, "%s: %s", root, strerror(errno));
	ret = manifest_floor_read(fd, path, v, e);
	close(fd);
	if (ret && ret != -ENOENT)
		return kerr_wrap(e, ret, "%s", where);
	if (!ret && (!s->floor[0] || (!manifest_version_cmp(v, s->floor, &cmp) && cmp > 0))) {
		str_copy(s->floor, sizeof(s->floor), v);
		str_fmt(s->floor_src, sizeof(s->floor_src), "%s on %s", path, where);
	}
	return manifest_floor_check(s->m.version, s->floor, s->floor_src, e);
}

int stage1_verity(const struct stage1 *s, struct kerr *e)
{
	char table[1024];
	dev_t dev;
	int ret;
	if ((ret = manifest_verity_table(&s->m, s->part_dev, table, sizeof(table))))
		return kerr_set(e, ret, "verity table too long");
	uint64_t sectors = s->m.data_blocks * (s->m.data_block_size / 512);
	if ((ret = dm_create(STAGE1_DM_NAME, NULL, 1, &dev, e)))
		return ret;
	if ((ret = dm_load(STAGE1_DM_NAME, sectors, "verity", table, 1, e)) || (ret = dm_resume(STAGE1_DM_NAME, e))) {
		dm_remove(STAGE1_DM_NAME, NULL);
		return ret;
	}
	mkdir("/dev/mapper", 0755);
	if (mknod("/dev/mapper/" STAGE1_DM_NAME, S_IFBLK | 0600, dev) && errno != EEXIST)
		return kerr_set(e, -errno, "mknod /dev/mapper/%s: %s", STAGE1_DM_NAME, strerror(errno));
	return 0;
}

int stage1_is_initramfs(const char *root)
{
	char p[512];
	if (!is_ramfs(root) || str_fmt(p, sizeof(p), "%s%s", strcmp(root, "/") ? root : "", STAGE1_MARKER))
		return 0;
	return !access(p, F_OK);
}

static const char *node_kind(mode_t m)
{
	return S_ISDIR(m) ? "a directory" : S_ISREG(m) ? "a regular file" : S_ISLNK(m) ? "a symlink elsewhere" : "a special file";
}

int stage1_skeleton(const char *root, struct kerr *e)
{
	static const char *const dirs[] = {"usr", "etc", "var", "home", "root", "proc", "sys", "dev", "run", "tmp", "mnt"};
	static const char *const links[][2] = {{"bin", "usr/bin"}, {"sbin", "usr/sbin"}, {"lib", "usr/lib"}, {"lib64", "usr/lib64"}};
	struct stat st;
	char t[16];
	int ret = 0, fd = open(root, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return kerr_set(e, -errno, "%s: %s", root, strerror(errno));
	for (size_t i = 0; i < sizeof(dirs) / sizeof(dirs[0]); i++) {
		if (mkdirat(fd, dirs[i], !strcmp(dirs[i], "tmp") ? 01777 : !strcmp(dirs[i], "root") ? 0700 : 0755) && errno != EEXIST) {
			ret = kerr_set(e, -errno, "mkdir %s/%s: %s", root, dirs[i], strerror(errno));
			goto out;
		}
		if (fstatat(fd, dirs[i], &st, AT_SYMLINK_NOFOLLOW) || !S_ISDIR(st.st_mode)) {
			ret = kerr_set(e, -ENOTDIR, "STATE: /%s is not a directory", dirs[i]);
			goto out;
		}
	}
	for (size_t i = 0; i < sizeof(links) / sizeof(links[0]); i++) {
		const char *name = links[i][0], *want = links[i][1];
		if (fstatat(fd, name, &st, AT_SYMLINK_NOFOLLOW)) {
			if (errno != ENOENT || symlinkat(want, fd, name)) {
				ret = kerr_set(e, -errno, "symlink %s/%s: %s", root, name, strerror(errno));
				goto out;
			}
			continue;
		}
		ssize_t n = S_ISLNK(st.st_mode) ? readlinkat(fd, name, t, sizeof(t)) : -1;
		if (n != (ssize_t)strlen(want) || memcmp(t, want, (size_t)n)) {
			ret = kerr_set(e, -EEXIST, "STATE: /%s is %s, not the symlink %s -> %s", name, node_kind(st.st_mode), name, want);
			goto out;
		}
	}
out:
	close(fd);
	return ret;
}

int stage1_mount_state(struct stage1 *s, const char *sys, struct kerr *e)
{
	struct blkdev st;
	int ret;
	if ((ret = blk_find_label(sys, "STATE", &st, e)) || (ret = blk_node(&st, s->state_dev, sizeof(s->state_dev), e)))
		return ret;
	if (strcmp(st.disk, s->disk)) /* a STATE on another disk (a stick, a second volume) is not ours */
		return kerr_set(e, -EXDEV, "STATE is on %s, the slots on %s", st.disk, s->disk);
	return mnt(s->state_dev, STAGE1_SYSROOT, "ext4", MS_NOATIME | MS_NODEV | MS_NOSUID, "errors=remount-ro", e);
}

int stage1_mount_usr(const struct stage1 *s, struct kerr *e)
{
	return mnt("/dev/mapper/" STAGE1_DM_NAME, STAGE1_SYSROOT "/usr", s->m.fs, MS_RDONLY | MS_NODEV, NULL, e);
}

int stage1_mount_tmp(struct kerr *e)
{
	return mnt("tmpfs", STAGE1_SYSROOT "/tmp", "tmpfs", MS_NOSUID | MS_NODEV, "mode=1777", e);
}

/* path below dir (made if missing), created exclusively: a fresh tmpfs nobody reads yet, so a
 * plain exclusive create is enough (fs_write_atomic's random temporary name would wait for the
 * kernel's RNG, ~1 s this early under TCG) */
static int write_excl(const char *dir, const char *path, const void *p, size_t n, mode_t mode, struct kerr *e)
{
	int ret = mount_mkdir_p(dir, 0755);
	if (!ret) {
		int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, mode);
		ret = fd < 0 ? -errno : fs_write_all(fd, p, n);
		if (fd >= 0)
			close(fd);
	}
	return ret ? kerr_set(e, ret, "%s: %s", path, strerror(-ret)) : 0;
}

int stage1_record_boot(const struct stage1 *s, const char *dir, struct kerr *e)
{
	char txt[1536], root[2 * HASH_MAX_SIZE + 1], path[256];
	const char *uh = cmdline_get(&s->cmd, "keel.usrhash");
	hex_encode(root, s->m.root_hash, hash_size(s->m.hash));
	if (str_fmt(path, sizeof(path), "%s/boot", dir))
		return kerr_set(e, -ENAMETOOLONG, "%s/boot: path too long", dir);
	if (str_fmt(txt, sizeof(txt), "slot=%s\ndisk=/dev/%s\ndevice=%s\nversion=%s\nroot_hash=%s\nmin_version=%s\n"
		"usrhash=%.128s\nsecure_boot=%s\nentry=%s\nfallback=%s\n", s->slot, s->disk, s->part_dev, s->m.version, root,
		s->floor, uh ? uh : "", s->secure_boot < 0 ? "" : s->secure_boot ? "1" : "0", s->entry, s->fallback))
		return kerr_set(e, -ENAMETOOLONG, "boot record too long");
	return write_excl(dir, path, txt, strlen(txt), 0644, e);
}

int stage1_tuf_root(const char *src, const char *dir, const char *dst, struct kerr *e)
{
	struct buf b = BUF_INIT(TUF_ROOT_MAX);
	int ret = fs_read_path(AT_FDCWD, src, b.max, &b, e);
	if (ret == -ENOENT)
		ret = 0; /* an initramfs without one: update reads /usr's */
	else if (!ret)
		ret = write_excl(dir, dst, b.p, b.len, 0444, e);
	buf_free(&b);
	return ret;
}

int stage1_host_init(const struct cmdline *cmd, const char **path, struct kerr *e)
{
	const char *v = cmdline_get(cmd, "keel.init");
	*path = STAGE1_HOST_INIT;
	if (!v)
		return 0;
	if (!str_starts(v, "/usr/") || strstr(v, "/../") || str_ends(v, "/..") || strlen(v) > 255)
		return kerr_set(e, -EINVAL, "keel.init=%s: must be an absolute path below /usr/", v);
	*path = v;
	return 0;
}
