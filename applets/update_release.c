/* update_release.c — the release verbs of `keel update` (status, check, apply, mark-good, mark-bad,
 * rollback) and `publish release`. See the usage block in update.c and core/update/.
 *
 * Exit codes of status/check/apply/mark-good/mark-bad/rollback:
 *   0 an update is available (check) or was applied (apply); the verb did what it says
 *   1 refused: trust (signatures, hashes, a chunk, the slot manifest, verity), rollback (older
 *     than installed or below the floor without --allow-downgrade), no slot to fall back on
 *   2 usage   3 error (I/O, network, state)   4 nothing to do (up to date, already pending)
 *   5 deferred: apply --reboot staged the release, the strategy said not now (window, FleetLock 423)
 */
#include "base/applet.h"
#include "base/buf.h"
#include "base/err.h"
#include "base/fs.h"
#include "base/json.h"
#include "base/log.h"
#include "base/sandbox.h"
#include "disk/blk.h"
#include "disk/esp.h"
#include "disk/gpt.h"
#include "disk/mount.h"
#include "trust/hash.h"
#include "trust/manifest.h"
#include "applets/update.h"
#include "update/install.h"
#include "update/reboot.h"
#include "update/state.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sched.h>
#include <sys/file.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define UPD_TRIES 3 /* trial boots of a new release: GPT tries and the entry's +3 counter */

static int rootfd = -1;

static int dfd_of(const char *p)
{
	return p[0] == '/' ? rootfd : AT_FDCWD;
}
static const char *rel(const char *p)
{
	return p[0] == '/' ? p + 1 : p;
}

/* ---- the host: disk, GPT, booted and other slot ---- */

struct host {
	char disk[256], slot[8], oslot[8], entry[256], version[MANIFEST_VERSION_MAX + 1];
	int fd, booted, other;
	struct gpt g;
};

/* key= of the boot record ("" when absent) */
static void boot_key(const char *key, char *out, size_t n)
{
	struct buf b = BUF_INIT(4096);
	size_t kl = strlen(key);
	*out = 0;
	if (!fs_read_path(AT_FDCWD, upd.boot, b.max, &b, NULL))
		for (const char *p = (const char *)b.p, *end = p + b.len, *nl; p < end; p = nl + 1) {
			nl = memchr(p, '\n', (size_t)(end - p));
			nl = nl ? nl : end;
			if ((size_t)(nl - p) > kl && !memcmp(p, key, kl) && p[kl] == '=')
				str_fmt(out, n, "%.*s", (int)(nl - p - kl - 1), p + kl + 1);
		}
	buf_free(&b);
}

static int host_open(struct host *h, int rw, struct kerr *e)
{
	int ret;
	memset(h, 0, sizeof(*h));
	h->fd = -1;
	boot_key("slot", h->slot, sizeof(h->slot));
	boot_key("entry", h->entry, sizeof(h->entry));
	boot_key("disk", h->disk, sizeof(h->disk));
	boot_key("version", h->version, sizeof(h->version)); /* what stage 1 verified and booted */
	if (upd.disk && str_copy(h->disk, sizeof(h->disk), upd.disk))
		return kerr_set(e, -ENAMETOOLONG, "--disk: too long");
	if (strcmp(h->slot, "USR-A") && strcmp(h->slot, "USR-B"))
		return kerr_set(e, -ENOENT, "%s: no slot=USR-A or USR-B: which slot is booted?", upd.boot);
	if (!*h->disk)
		return kerr_set(e, -ENOENT, "%s: no disk= and no --disk", upd.boot);
	strcpy(h->oslot, h->slot[4] == 'A' ? "USR-B" : "USR-A");
	if ((h->fd = open(h->disk, (rw ? O_RDWR : O_RDONLY) | O_CLOEXEC)) < 0)
		return kerr_set(e, -errno, "%s: %s", h->disk, kerr_strerror(errno));
	if ((ret = gpt_read(&(struct gpt_io){.fd = h->fd}, 0, &h->g, e)))
		return kerr_wrap(e, ret, "%s", h->disk);
	if ((h->booted = gpt_find_name(&h->g, h->slot)) < 0 || (h->other = gpt_find_name(&h->g, h->oslot)) < 0)
		return kerr_set(e, -ENOENT, "%s: GPT: no single partition labelled %s", h->disk, h->booted < 0 ? h->slot : h->oslot);
	return 0;
}

static void host_close(struct host *h)
{
	gpt_free(&h->g);
	if (h->fd >= 0)
		close(h->fd);
}

/* The partition device of GPT entry idx, opened; *size its bytes. */
static int part_open(const struct host *h, int idx, int flags, uint64_t *size, struct kerr *e)
{
	struct blkdev b;
	char node[96];
	const char *name = strrchr(h->disk, '/') ? strrchr(h->disk, '/') + 1 : h->disk;
	int ret = blk_find_part(upd.sys, name, (unsigned)idx + 1, &b, e), fd;
	if (ret || (ret = blk_node(&b, node, sizeof(node), e)))
		return ret;
	if ((fd = open(node, flags | O_CLOEXEC)) < 0)
		return kerr_set(e, -errno, "%s: %s", node, kerr_strerror(errno));
	off_t end = lseek(fd, 0, SEEK_END);
	if (end < 0) {
		close(fd);
		return kerr_set(e, -errno, "%s: size: %s", node, kerr_strerror(errno));
	}
	*size = (uint64_t)end;
	return fd;
}

/* The version in slot idx's signed manifest (the booted slot's: as stage 1 recorded it). */
static int slot_version(const struct host *h, int idx, char *version, struct kerr *e)
{
	struct manifest m;
	char key[32];
	uint64_t size;
	int fd, ret;
	if (idx == h->booted && *h->version)
		return str_copy(version, MANIFEST_VERSION_MAX + 1, h->version) ? kerr_set(e, -EINVAL, "boot record: version too long") : 0;
	if ((fd = part_open(h, idx, O_RDONLY, &size, e)) < 0)
		return fd;
	if (!(ret = manifest_load(fd, size, upd.keys, &m, key, sizeof(key), e)))
		strcpy(version, m.version);
	close(fd);
	return ret;
}

static int floor_get(char *out, struct kerr *e)
{
	int ret = manifest_floor_read(dfd_of(upd.floor), rel(upd.floor), out, e);
	if (ret == -ENOENT)
		*out = 0;
	return ret == -ENOENT ? 0 : ret;
}

static int state_get(struct ustate *st, struct kerr *e)
{
	return state_load(dfd_of(upd.state), rel(upd.state), st, e);
}

static int state_put(const struct ustate *st, struct kerr *e)
{
	char dir[512];
	const char *slash = strrchr(upd.state, '/');
	if (slash && slash != upd.state && !str_fmt(dir, sizeof(dir), "%.*s", (int)(slash - upd.state), upd.state))
		mkdir(dir, 0755); /* /var/lib/keel/update on first use */
	return state_save(dfd_of(upd.state), rel(upd.state), st, e);
}

static void set_last(struct ustate *st, enum state_result r, const char *version, const char *reason)
{
	st->last = r;
	str_copy(st->last_version, sizeof(st->last_version), version);
	st->last_time = (uint64_t)time(NULL);
	str_copy(st->last_reason, sizeof(st->last_reason), reason);
}

/* ---- the repository: the newest release not remembered as failed ---- */

struct cand {
	const char *name;
	struct tuf_file f;
	struct release r;
};

static int pick(const struct tuf_client *c, const struct ustate *st, struct cand *best, unsigned *skipped, struct kerr *e)
{
	const struct json *t = c->m[TUF_TARGETS]->targets;
	int found = 0, cmp, ret;
	*skipped = 0;
	for (size_t i = 0; t && i < t->u.obj.n; i++) {
		struct cand x = {.name = t->u.obj.m[i].key};
		if ((ret = tuf_file_parse(t->u.obj.m[i].val, 0, &x.f, e)))
			return kerr_wrap(e, ret, "target %.200s", x.name);
		if ((ret = release_parse(x.f.custom, x.f.length, &x.r, e)) == -ENOENT)
			continue;
		if (ret)
			return kerr_wrap(e, -EBADMSG, "target %.200s", x.name);
		if (state_failed_find(st, x.r.image_sha512) >= 0) {
			(*skipped)++;
			continue;
		}
		if (!found || (!manifest_version_cmp(x.r.version, best->r.version, &cmp) && cmp > 0)) {
			*best = x;
			found = 1;
		}
	}
	return found ? 0 : -ENOENT;
}

/* ---- install sources: a directory or http(s), from a byte offset on ---- */

struct src {
	char path[TUF_NAME_MAX + 160];
	uint64_t len;
	struct http_fetch *h;
};

static int src_get(void *ctx, uint64_t start, install_sink_fn sink, int (*restart)(void *), void *sctx, struct kerr *e)
{
	struct src *s = ctx;
	int ret = 0;
	if (s->h) {
		struct http_result res = {0};
		struct http_opts o = {.connect_timeout_ms = 10000, .header_timeout_ms = 30000, .idle_timeout_ms = 30000,
			.max_body = s->len, .max_redirects = 5, .retries = 2, .ca = &s->h->ca, .proxy = &s->h->proxy, .user_agent = "keel-update",
			.range_start = start, .restart = restart};
		char url[4096];
		if (str_fmt(url, sizeof(url), "%s/%s", s->h->base, s->path))
			return kerr_set(e, -ENAMETOOLONG, "%s: URL too long", s->path);
		return http_get(url, &o, sink, sctx, &res, e);
	}
	const size_t cap = 256 << 10;
	uint8_t *b = malloc(cap);
	int fd = fs_open_beneath(repofd, s->path, O_RDONLY | O_CLOEXEC, 0);
	if (!b || fd < 0) {
		ret = fd < 0 ? kerr_set(e, fd, "%s: %s", s->path, kerr_strerror(fd)) : kerr_set(e, -ENOMEM, "out of memory");
		goto out;
	}
	for (uint64_t off = start;;) {
		ssize_t n = fs_read_upto(fd, b, cap, (off_t)off);
		if (n <= 0) {
			ret = n < 0 ? kerr_set(e, (int)n, "%s: read: %s", s->path, kerr_strerror((int)n)) : 0;
			break;
		}
		if ((ret = sink(sctx, b, (size_t)n)))
			break;
		off += (uint64_t)n;
	}
out:
	free(b);
	if (fd >= 0)
		close(fd);
	return ret;
}

struct prog {
	struct ustate *st;
	const struct cand *c;
	const char *slot;
	struct timespec t0, last;
	int tty;
};

static int save_progress(void *ctx, size_t n)
{
	struct prog *p = ctx;
	struct kerr e = {0};
	p->st->has_progress = 1;
	memcpy(p->st->progress_sha512, p->c->r.image_sha512, 64);
	str_copy(p->st->progress_slot, sizeof(p->st->progress_slot), p->slot);
	p->st->progress_chunks = n;
	int ret = state_put(p->st, &e);
	if (ret)
		log_warn("progress not recorded: %s", kerr_str(&e, ret));
	return 0; /* the install goes on; only a resume is lost */
}

static void report(void *ctx, uint64_t done, uint64_t total)
{
	struct prog *p = ctx;
	struct timespec t;
	if (!p->tty)
		return;
	clock_gettime(CLOCK_MONOTONIC, &t);
	double dt = (double)(t.tv_sec - p->t0.tv_sec) + (double)(t.tv_nsec - p->t0.tv_nsec) / 1e9;
	if (done < total && (double)(t.tv_sec - p->last.tv_sec) + (double)(t.tv_nsec - p->last.tv_nsec) / 1e9 < 0.25)
		return;
	p->last = t;
	double rate = dt > 0 ? (double)done / dt : 0;
	fprintf(stderr, "\r%llu/%llu MiB  %.1f MiB/s  ETA %.0f s  ", (unsigned long long)(done >> 20),
		(unsigned long long)(total >> 20), rate / 1048576, rate > 0 ? (double)(total - done) / rate : 0);
	if (done == total)
		fputc('\n', stderr);
}

/* The UKI into a mounted ESP (--esp DIR): EFI/Linux/BASE+TRIES.efi via a temporary name that is
 * not *.efi (systemd-boot never lists it), fsync, rename, fsync of the directory. */
static int write_uki(const struct tuf_client *c, const struct release *r, char *entry, size_t en, struct kerr *e)
{
	struct tuf_file f;
	const char *base = strrchr(r->uki, '/') ? strrchr(r->uki, '/') + 1 : r->uki;
	size_t bl = strlen(base);
	char dir[4096];
	int ret, dfd, fd = -1;
	if (bl < 5 || strcmp(base + bl - 4, ".efi") || str_fmt(entry, en, "%.*s+%d.efi", (int)(bl - 4), base, UPD_TRIES))
		return kerr_set(e, -EINVAL, "uki target %.200s: not NAME.efi", r->uki);
	if ((ret = tuf_target(c, r->uki, &f, e)))
		return ret == -ENOENT ? kerr_set(e, -EBADMSG, "uki target %.200s: not in targets.json", r->uki) : ret;
	if (str_fmt(dir, sizeof(dir), "%s/EFI/Linux", upd.esp) || (dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0)
		return kerr_set(e, -errno, "%s: %s", dir, kerr_strerror(errno));
	if ((fd = openat(dfd, ".keel-update.tmp", O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC, 0644)) < 0)
		ret = kerr_set(e, -errno, "%s/.keel-update.tmp: %s", dir, kerr_strerror(errno));
	else if (!(ret = tuf_download(c, r->uki, &f, fd, e)) &&
		(fsync(fd) || renameat(dfd, ".keel-update.tmp", dfd, entry) || fsync(dfd)))
		ret = kerr_set(e, -errno, "%s/%s: %s", dir, entry, kerr_strerror(errno));
	if (fd >= 0) {
		close(fd);
		if (ret)
			unlinkat(dfd, ".keel-update.tmp", 0);
	}
	close(dfd);
	return ret;
}

/* No --esp, but the host booted through a boot loader (entry= in the boot record): the UKI goes
 * to the GPT's ESP, mounted (vfat; nosuid, nodev, noexec, umask 077) in a mount namespace of this
 * process's own: nobody else sees it, and it goes away with the process. */
static int esp_mount_private(const struct host *h, struct kerr *e)
{
	static char dir[] = "/run/keel/update-esp";
	struct blkdev b;
	char node[96];
	const char *name = strrchr(h->disk, '/') ? strrchr(h->disk, '/') + 1 : h->disk;
	int idx = esp_find(&h->g), ret;
	if (idx < 0)
		return kerr_set(e, idx, "%s: booted from %s, but no EFI system partition for the UKI", h->disk, h->entry);
	if ((ret = blk_find_part(upd.sys, name, (unsigned)idx + 1, &b, e)) || (ret = blk_node(&b, node, sizeof(node), e)))
		return ret;
	if (unshare(CLONE_NEWNS) || mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL))
		return kerr_set(e, -errno, "ESP: a mount namespace of our own: %s", kerr_strerror(errno));
	if ((mkdir(dir, 0700) && errno != EEXIST) || mount(node, dir, "vfat", MS_NOSUID | MS_NODEV | MS_NOEXEC, "umask=0077"))
		return kerr_set(e, -errno, "ESP %s: mount (vfat) on %s: %s", node, dir, kerr_strerror(errno));
	upd.esp = dir;
	return 0;
}

/* Slot idx's attributes; written back only when they change. */
static int set_attr(struct host *h, int idx, unsigned prio, unsigned tries, unsigned succ, struct kerr *e)
{
	struct gpt_part p;
	gpt_get(&h->g, idx, &p);
	uint64_t a = gpt_attr_set_successful(gpt_attr_set_tries(gpt_attr_set_priority(p.attr, prio), tries), succ);
	if (a == p.attr)
		return 0;
	gpt_set_attr(&h->g, idx, a);
	return gpt_write(h->fd, &h->g, e);
}

static unsigned prio_of(const struct host *h, int idx)
{
	struct gpt_part p;
	return gpt_get(&h->g, idx, &p) ? 0 : gpt_attr_priority(p.attr);
}

/* Make idx the slot that boots next: priority above the other one's. */
static int boot_next(struct host *h, int idx, unsigned tries, unsigned succ, struct kerr *e)
{
	int o = idx == h->booted ? h->other : h->booted, ret;
	unsigned po = prio_of(h, o);
	struct gpt_part p;
	if (po >= 15) {
		gpt_get(&h->g, o, &p);
		gpt_set_attr(&h->g, o, gpt_attr_set_priority(p.attr, 14));
		po = 14;
	}
	if ((ret = set_attr(h, idx, po + 1, tries, succ, e)))
		return ret;
	return gpt_write(h->fd, &h->g, e);
}

static void emit_json(struct jw *w, struct buf *b)
{
	if (!jw_finish(w))
		printf("%s\n", (const char *)b->p);
	buf_free(b);
}

static void jw_hexkey(struct jw *w, const char *k, const uint8_t *p, size_t n)
{
	char hex[129];
	hex_encode(hex, p, n);
	jw_key(w, k);
	jw_str(w, hex);
}

/* check and apply */
/* apply --reboot: the staged release boots when the strategy of /etc/keel/update.json allows
 * (core/update/reboot.h: the kured sentinel, window, FleetLock pre-reboot, then PID 1 reboots). */
static int apply_reboot(const struct update_strategy *s, const char *version)
{
	struct kerr e = {0};
	int ret = reboot_request(s, &e);
	if (ret < 0)
		return kfail(EXIT_FAIL, "reboot: %s (release %s stays staged)", kerr_str(&e, ret), version);
	if (ret == REBOOT_REQUESTED)
		log_info("release %s staged: rebooting (strategy %s)", version, update_strategy_name(s->kind));
	else
		log_notice("release %s staged, not rebooting now: %s", version, e.msg);
	return ret == REBOOT_DEFERRED ? UPD_DEFERRED : EXIT_OK;
}

static int cmd_apply(int apply, struct kerr *e)
{
	struct tuf_client c = {.trustfd = -1, .bootstrap = root_file};
	struct http_fetch hf = {0};
	struct ustate st;
	struct host h = {.fd = -1};
	struct update_strategy strat;
	struct cand best;
	char installed[MANIFEST_VERSION_MAX + 1] = "", floor[MANIFEST_VERSION_MAX + 1], entry[ESP_NAME_MAX] = "";
	const char *what = "refresh";
	unsigned skipped;
	uint64_t psize = 0;
	int ret, rc = EXIT_FAIL, pfd = -1, cmp = 0;

	if (!repo)
		return kfail(EXIT_USAGE, "%s: --repo is required", apply ? "apply" : "check");
	if (upd.reboot && (ret = update_strategy_load(upd.reboot_root, &strat, e)))
		return kfail(EXIT_FAIL, "reboot: %s", kerr_str(e, ret)); /* a broken config before any byte moves */
	c.now = now ? (int64_t)now : (int64_t)time(NULL);
	if ((c.trustfd = open(trust, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0)
		return kfail(EXIT_FAIL, "trust directory %s: %s", trust, strerror(errno));
	if ((rc = open_repo(&c.fetch, &hf)))
		goto done_rc;
	rc = EXIT_FAIL;
	if ((ret = state_get(&st, e)) || (ret = floor_get(floor, e)) || (ret = host_open(&h, apply, e)) ||
		(ret = slot_version(&h, h.booted, installed, e)))
		goto fail;
	if (apply && (pfd = part_open(&h, h.other, O_RDWR, &psize, e)) < 0) {
		ret = pfd;
		goto fail;
	}
	what = "uki";
	if (apply && !upd.esp && *h.entry && (ret = esp_mount_private(&h, e)))
		goto fail;
	what = "refresh";
	hash_fd_threads(apply); /* install hashes the image in a second thread: the sandbox allows it */
	if ((ret = sandbox_enter(update_syscalls, e)) || (ret = tuf_refresh(&c, e)))
		goto fail;
	what = "release";
	if ((ret = pick(&c, &st, &best, &skipped, e)) == -ENOENT) {
		rc = kfail(UPD_NOTHING, "no release in the repository%s", skipped ? " that has not failed before" : "");
		goto done;
	}
	if (ret)
		goto fail;
	manifest_version_cmp(best.r.version, installed, &cmp);
	int below = 0;
	if (*floor && manifest_version_cmp(best.r.version, floor, &below) == 0)
		below = below < 0;
	if (cmp == 0 || (st.has_pending && !memcmp(st.pending.sha512, best.r.image_sha512, 64))) {
		rc = UPD_NOTHING;
		if (json)
			printf("{\"result\":\"%s\",\"version\":\"%s\"}\n", cmp ? "pending" : "up-to-date", best.r.version);
		else
			printf("%s: %s\n", best.r.version, cmp ? "installed, waiting for a reboot" : "installed and booted");
		goto done;
	}
	if ((cmp < 0 || below) && !upd.allow_downgrade) {
		rc = kfail(EXIT_NO, "%s: release %s is %s %s: refused (rollback; --allow-downgrade to force)", best.name,
			best.r.version, cmp < 0 ? "older than the installed" : "below the floor", cmp < 0 ? installed : floor);
		goto done;
	}
	if (cmp < 0 || below)
		log_warn("downgrade to %s (installed %s, floor %s) allowed by --allow-downgrade", best.r.version,
			installed, *floor ? floor : "none");
	if (!apply) {
		rc = EXIT_OK;
		if (json)
			printf("{\"result\":\"available\",\"version\":\"%s\",\"installed\":\"%s\",\"target\":\"%s\"}\n",
				best.r.version, installed, best.name);
		else
			printf("%s: update available (installed %s)\n", best.r.version, installed);
		goto done;
	}
	/* apply: the other slot stops being bootable before its first byte changes */
	what = "install";
	if (psize != best.r.image_size) {
		ret = kerr_set(e, -EBADMSG, "%s: image of %llu bytes, slot %s has %llu", best.name,
			(unsigned long long)best.r.image_size, h.oslot, (unsigned long long)psize);
		goto fail;
	}
	if (st.has_pending && !strcmp(st.pending_slot, h.oslot))
		st.has_pending = 0;
	int resume = st.has_progress && !strcmp(st.progress_slot, h.oslot) && !memcmp(st.progress_sha512, best.r.image_sha512, 64);
	if (!resume)
		st.has_progress = 0;
	if ((ret = set_attr(&h, h.other, 0, 0, 0, e)) || (ret = state_put(&st, e)))
		goto fail;
	struct src s = {.len = best.f.length, .h = hf.base[0] ? &hf : NULL};
	const char *base = strrchr(best.name, '/');
	base = base ? base + 1 : best.name;
	if (c.m[TUF_ROOT]->root->consistent)
		str_fmt(s.path, sizeof(s.path), "targets/%.*s%.128s.%s", (int)(base - best.name), best.name, best.f.first, base);
	else
		str_fmt(s.path, sizeof(s.path), "targets/%s", best.name);
	struct prog pg = {.st = &st, .c = &best, .slot = h.oslot, .tty = isatty(2)};
	clock_gettime(CLOCK_MONOTONIC, &pg.t0);
	struct install in = {.r = &best.r, .src = {src_get, &s}, .slotfd = pfd, .first = resume ? st.progress_chunks : 0,
		.retries = (unsigned)upd.retries, .progress = save_progress, .pctx = &pg, .report = report};
	if (resume)
		log_info("%s: resuming at chunk %zu of %zu", best.r.version, in.first, best.r.nchunks);
	if ((ret = install_slot(&in, e))) {
		if (ret == -EBADMSG && in.done == best.r.nchunks) {
			/* every chunk verified, the image not: an earlier run's chunks changed on the slot,
			 * so resuming would fail forever; the next apply starts from chunk 0 */
			st.has_progress = 0;
			state_put(&st, &(struct kerr){0});
		}
		goto fail;
	}
	what = "verify";
	if ((ret = install_verify(pfd, psize, upd.keys, &best.r, e))) {
		st.has_progress = 0; /* the bytes on the slot are not a release: next time from the start */
		state_put(&st, &(struct kerr){0});
		goto fail;
	}
	what = "uki";
	if (upd.esp && (ret = write_uki(&c, &best.r, entry, sizeof(entry), e)))
		goto fail;
	what = "gpt";
	if ((ret = boot_next(&h, h.other, UPD_TRIES, 0, e)))
		goto fail;
	st.has_progress = 0;
	st.has_pending = 1;
	st.pending = (struct state_rel){{0}};
	strcpy(st.pending.version, best.r.version);
	memcpy(st.pending.sha512, best.r.image_sha512, 64);
	strcpy(st.pending_slot, h.oslot);
	set_last(&st, RES_INSTALLED, best.r.version, "installed, waiting for a reboot");
	if ((ret = state_put(&st, e)))
		goto fail;
	if (json)
		printf("{\"result\":\"applied\",\"version\":\"%s\",\"slot\":\"%s\",\"entry\":\"%s\",\"requests\":%u}\n",
			best.r.version, h.oslot, entry, in.requests);
	else
		printf("%s: installed on %s%s%s; boots next\n", best.r.version, h.oslot, *entry ? ", EFI/Linux/" : "", entry);
	rc = EXIT_OK;
	if (upd.reboot)
		rc = apply_reboot(&strat, best.r.version);
	goto done;
fail:
	rc = kfail(ret == -EBADMSG || ret == -EPERM || ret == -ENOKEY ? EXIT_NO : kerr_exit(ret), "%s: %s", what,
		kerr_str(e, ret));
done:
	if (pfd >= 0)
		close(pfd);
	host_close(&h);
done_rc:
	tuf_client_free(&c);
	if (hf.base[0])
		http_ca_free(&hf.ca);
	close(c.trustfd);
	if (repofd >= 0)
		close(repofd);
	return rc;
}

/* ---- mark-good, mark-bad, rollback ---- */

/* A verdict's reason as the state file keeps it: a health check's reason may be longer (up to
 * 300 bytes) or carry bytes outside printable ASCII; the verdict must never fail on its reason.
 * Other bytes become '?', the text is cut to STATE_REASON_MAX (ending in "..."), spaces trimmed.
 * 0 when nothing is left. */
static int reason_fit(char out[STATE_REASON_MAX + 1], const char *in)
{
	size_t n = 0, len;
	while (*in == ' ')
		in++;
	for (len = strlen(in); len && in[len - 1] == ' '; len--)
		;
	for (; n < len && n < STATE_REASON_MAX; n++)
		out[n] = in[n] >= 0x20 && in[n] <= 0x7e ? in[n] : '?';
	if (len > STATE_REASON_MAX)
		memcpy(out + STATE_REASON_MAX - 3, "...", 3);
	out[n] = 0;
	return n && state_reason_ok(out);
}

static int cmd_mark(const char *cmd, struct kerr *e)
{
	struct host h = {.fd = -1};
	struct ustate st;
	char version[MANIFEST_VERSION_MAX + 1], floor[MANIFEST_VERSION_MAX + 1], blessed[ESP_NAME_MAX];
	int good = !strcmp(cmd, "mark-good"), rb = !strcmp(cmd, "rollback"), ret, rc = EXIT_FAIL, cmp = 1;
	char reason[STATE_REASON_MAX + 1];

	if (!good && !rb && !upd.reason)
		return kfail(EXIT_USAGE, "mark-bad: --reason TEXT is required");
	if (!reason_fit(reason, upd.reason ? upd.reason : good ? "marked good" : "rollback"))
		return kfail(EXIT_USAGE, "--reason: empty");
	if ((ret = state_get(&st, e)) || (ret = floor_get(floor, e)) || (ret = host_open(&h, 1, e)) ||
		(ret = slot_version(&h, rb ? h.other : h.booted, version, e)))
		goto fail;
	if (good) {
		if ((ret = esp_bless_boot(h.fd, &h.g, h.booted, h.entry, blessed, sizeof(blessed), e)) < 0)
			goto fail;
		/* the floor only rises, and only once the release proved itself */
		if ((!*floor || (!manifest_version_cmp(version, floor, &cmp) && cmp > 0))) {
			char line[MANIFEST_VERSION_MAX + 2];
			int n = snprintf(line, sizeof(line), "%s\n", version);
			if ((ret = fs_write_atomic(dfd_of(upd.floor), rel(upd.floor), line, (size_t)n, 0644))) {
				kerr_set(e, ret, "%s: %s", upd.floor, kerr_strerror(ret));
				goto fail;
			}
		}
		if (st.has_pending && !strcmp(st.pending_slot, h.slot))
			st.has_pending = 0;
		set_last(&st, RES_GOOD, version, reason);
	} else if (!rb) {
		uint8_t sha[64];
		if (st.has_pending && !strcmp(st.pending_slot, h.slot) && !strcmp(st.pending.version, version)) {
			memcpy(sha, st.pending.sha512, 64);
		} else {
			uint64_t size, total;
			int fd = part_open(&h, h.booted, O_RDONLY, &size, e);
			if (fd < 0 || (ret = hash_fd(HASH_SHA512, fd, sha, &total))) {
				ret = fd < 0 ? fd : kerr_set(e, ret, "%s: read: %s", h.slot, kerr_strerror(ret));
				if (fd >= 0)
					close(fd);
				goto fail;
			}
			close(fd);
		}
		state_failed_add(&st, version, sha, reason);
		if (st.has_pending && !strcmp(st.pending_slot, h.slot))
			st.has_pending = 0;
		set_last(&st, RES_BAD, version, reason);
		/* never again on its own: under UEFI the entry decides first (renamed +0-DONE: systemd-boot
		 * boots the previous release next, without spending the tries left), then the GPT */
		if (*h.entry) {
			struct esp x;
			if ((ret = esp_open_gpt(&x, h.fd, &h.g, e)) || (ret = esp_mark_bad(&x, h.entry, blessed, sizeof(blessed), e)) < 0)
				goto fail;
			log_notice("boot entry %s marked bad: EFI/Linux/%s", h.entry, blessed);
		}
		if ((ret = set_attr(&h, h.booted, 0, 0, 0, e)))
			goto fail;
		struct gpt_part p;
		gpt_get(&h.g, h.other, &p);
		if (!gpt_attr_successful(p.attr) && !gpt_attr_tries(p.attr))
			log_warn("%s is not marked successful: there may be no slot to fall back on", h.oslot);
		else if (!gpt_attr_priority(p.attr) && (ret = set_attr(&h, h.other, 1, gpt_attr_tries(p.attr),
			gpt_attr_successful(p.attr), e)))
			goto fail;
	} else {
		struct gpt_part p;
		gpt_get(&h.g, h.other, &p);
		if (st.has_pending && !strcmp(st.pending_slot, h.oslot)) {
			/* a staged release not booted yet: cancelled */
			if ((ret = set_attr(&h, h.other, 0, 0, 0, e)))
				goto fail;
			st.has_pending = 0;
			set_last(&st, RES_ROLLBACK, version, "staged release cancelled");
		} else if (!gpt_attr_successful(p.attr)) {
			rc = kfail(EXIT_NO, "rollback: %s (%s) never booted successfully: refused", h.oslot, version);
			goto done;
		} else if (*floor && (manifest_version_cmp(version, floor, &cmp) || cmp < 0)) {
			rc = kfail(EXIT_NO, "rollback: %s holds %s, below the floor %s: refused", h.oslot, version, floor);
			goto done;
		} else {
			if ((ret = boot_next(&h, h.other, 0, 1, e)))
				goto fail;
			set_last(&st, RES_ROLLBACK, version, reason);
		}
	}
	if ((ret = state_put(&st, e)))
		goto fail;
	if (json)
		printf("{\"result\":\"%s\",\"slot\":\"%s\",\"version\":\"%s\"}\n", state_result_names[st.last],
			rb ? h.oslot : h.slot, version);
	else
		printf("%s %s: %s\n", rb ? h.oslot : h.slot, version, state_result_names[st.last]);
	rc = EXIT_OK;
	goto done;
fail:
	rc = kfail(kerr_exit(ret), "%s: %s", cmd, kerr_str(e, ret));
done:
	host_close(&h);
	return rc;
}

/* ---- status ---- */

static int cmd_status(struct kerr *e)
{
	struct host h = {.fd = -1};
	struct ustate st;
	struct buf b = BUF_INIT(1 << 20);
	struct jw w;
	char floor[MANIFEST_VERSION_MAX + 1], hex[129];
	int ret;

	if ((ret = state_get(&st, e)) || (ret = floor_get(floor, e)) || (ret = host_open(&h, 0, e))) {
		host_close(&h);
		return kfail(kerr_exit(ret), "status: %s", kerr_str(e, ret));
	}
	jw_init(&w, &b);
	jw_obj(&w);
	jw_key(&w, "disk");
	jw_str(&w, h.disk);
	jw_key(&w, "booted");
	jw_str(&w, h.slot);
	if (!json)
		printf("disk %s, booted %s\n", h.disk, h.slot);
	jw_key(&w, "slots");
	jw_arr(&w);
	for (int k = 0; k < 2; k++) {
		int idx = k ? h.other : h.booted;
		struct gpt_part p;
		char v[MANIFEST_VERSION_MAX + 1];
		struct kerr ve = {0};
		int vr = slot_version(&h, idx, v, &ve);
		gpt_get(&h.g, idx, &p);
		jw_obj(&w);
		jw_key(&w, "label");
		jw_str(&w, p.name);
		jw_key(&w, "partition");
		jw_int(&w, idx + 1);
		jw_key(&w, "version");
		vr ? jw_null(&w) : jw_str(&w, v);
		jw_key(&w, "priority");
		jw_uint(&w, gpt_attr_priority(p.attr));
		jw_key(&w, "tries");
		jw_uint(&w, gpt_attr_tries(p.attr));
		jw_key(&w, "successful");
		jw_bool(&w, gpt_attr_successful(p.attr));
		jw_obj_end(&w);
		if (!json)
			printf("slot %s (partition %d): %s, priority %u tries %u successful %u\n", p.name, idx + 1,
				vr ? kerr_str(&ve, vr) : v, gpt_attr_priority(p.attr), gpt_attr_tries(p.attr), gpt_attr_successful(p.attr));
	}
	jw_arr_end(&w);
	struct esp x;
	struct esp_file f[16];
	int nf = -1;
	jw_key(&w, "entries");
	if (esp_open_gpt(&x, h.fd, &h.g, &(struct kerr){0}) || esp_list(&x, f, 16, &nf, &(struct kerr){0}))
		nf = -1;
	nf < 0 ? jw_null(&w) : jw_arr(&w);
	for (int i = 0; i < nf && i < 16; i++) {
		jw_str(&w, f[i].name);
		if (!json)
			printf("entry EFI/Linux/%s\n", f[i].name);
	}
	if (nf >= 0)
		jw_arr_end(&w);
	jw_key(&w, "floor");
	*floor ? jw_str(&w, floor) : jw_null(&w);
	jw_key(&w, "pending");
	if (st.has_pending) {
		jw_obj(&w);
		jw_key(&w, "version");
		jw_str(&w, st.pending.version);
		jw_hexkey(&w, "sha512", st.pending.sha512, 64);
		jw_key(&w, "slot");
		jw_str(&w, st.pending_slot);
		jw_obj_end(&w);
	} else {
		jw_null(&w);
	}
	jw_key(&w, "last");
	if (st.last != RES_NONE) {
		jw_obj(&w);
		jw_key(&w, "result");
		jw_str(&w, state_result_names[st.last]);
		jw_key(&w, "version");
		jw_str(&w, st.last_version);
		jw_key(&w, "time");
		jw_uint(&w, st.last_time);
		jw_key(&w, "reason");
		jw_str(&w, st.last_reason);
		jw_obj_end(&w);
	} else {
		jw_null(&w);
	}
	jw_key(&w, "progress");
	if (st.has_progress) {
		jw_obj(&w);
		jw_hexkey(&w, "sha512", st.progress_sha512, 64);
		jw_key(&w, "slot");
		jw_str(&w, st.progress_slot);
		jw_key(&w, "chunks");
		jw_uint(&w, st.progress_chunks);
		jw_obj_end(&w);
	} else {
		jw_null(&w);
	}
	jw_key(&w, "failed");
	jw_arr(&w);
	for (unsigned i = 0; i < st.nfailed; i++) {
		jw_obj(&w);
		jw_key(&w, "version");
		jw_str(&w, st.failed[i].version);
		jw_hexkey(&w, "sha512", st.failed[i].sha512, 64);
		jw_key(&w, "reason");
		jw_str(&w, st.failed_reason[i]);
		jw_obj_end(&w);
	}
	jw_arr_end(&w);
	jw_obj_end(&w);
	if (json) {
		emit_json(&w, &b);
	} else {
		buf_free(&b);
		printf("floor %s\n", *floor ? floor : "none");
		if (st.has_pending)
			printf("pending %s on %s\n", st.pending.version, st.pending_slot);
		if (st.last != RES_NONE)
			printf("last %s %s at %llu: %s\n", state_result_names[st.last], st.last_version,
				(unsigned long long)st.last_time, st.last_reason);
		if (st.has_progress)
			printf("interrupted install on %s: %llu chunks verified\n", st.progress_slot,
				(unsigned long long)st.progress_chunks);
		for (unsigned i = 0; i < st.nfailed; i++) {
			hex_encode(hex, st.failed[i].sha512, 8);
			printf("failed %s (sha512 %s…): %s\n", st.failed[i].version, hex, st.failed_reason[i]);
		}
	}
	host_close(&h);
	return EXIT_OK;
}

int update_release(const char *cmd, int n, char **ops)
{
	struct kerr e = {0};
	char dir[512];
	const char *slash = strrchr(upd.state, '/');
	int lock = -1;
	(void)ops;
	if (n)
		return kfail(EXIT_USAGE, "%s: takes no operands (see --help)", cmd);
	if ((rootfd = open("/", O_PATH | O_DIRECTORY | O_CLOEXEC)) < 0)
		return kfail(EXIT_FAIL, "/: %s", strerror(errno));
	/* one verb that changes the state at a time: a lock on the state file's directory */
	if (strcmp(cmd, "status") && strcmp(cmd, "check")) {
		if (str_fmt(dir, sizeof(dir), "%.*s", slash ? (int)(slash - upd.state) : 1, slash ? upd.state : "."))
			return kfail(EXIT_USAGE, "--state: too long");
		if (*dir)
			mount_mkdir_p(dir, 0755); /* and /var/lib/keel on a fresh STATE */
		if ((lock = open(*dir ? dir : "/", O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0 || flock(lock, LOCK_EX | LOCK_NB))
			return kfail(EXIT_FAIL, "%s: %s", dir, errno == EWOULDBLOCK ? "another keel update holds the lock" : strerror(errno));
	}
	int rc = !strcmp(cmd, "status") ? cmd_status(&e)
		: !strcmp(cmd, "check") ? cmd_apply(0, &e)
		: !strcmp(cmd, "apply") ? cmd_apply(1, &e)
		: cmd_mark(cmd, &e);
	close(rootfd);
	if (lock >= 0)
		close(lock);
	return rc;
}

/* ---- publish release ---- */

int update_publish_release(struct tuf_pub *p, int n, char **ops, struct kerr *e)
{
	char version[MANIFEST_VERSION_MAX + 1], name[2][MANIFEST_VERSION_MAX + 16], tmp[] = ".keel-release.tmp";
	struct buf custom = BUF_INIT(8 << 20);
	struct jw w;
	int ret, img = -1, out = -1;
	if (n != 3)
		return kerr_set(e, -EINVAL, "publish release: SLOT.img UKI.efi");
	if ((img = open(ops[1], O_RDONLY | O_CLOEXEC)) < 0)
		return kerr_set(e, -errno, "%s: %s", ops[1], kerr_strerror(errno));
	if ((out = openat(p->repofd, tmp, O_RDWR | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC, 0644)) < 0) {
		ret = kerr_set(e, -errno, "%s: %s", tmp, kerr_strerror(errno));
		goto out;
	}
	struct manifest m;
	if ((ret = release_manifest(img, &m, e))) {
		kerr_wrap(e, ret, "%s", ops[1]);
		goto out;
	}
	snprintf(name[0], sizeof(name[0]), "keel-%s.usr.zst", m.version);
	snprintf(name[1], sizeof(name[1]), "keel-%s.efi", m.version);
	jw_init(&w, &custom);
	if ((ret = release_build(img, out, (size_t)upd.chunk, name[1], &w, version, e)))
		goto out;
	if ((ret = jw_finish(&w))) {
		kerr_set(e, ret, "release fields: %s", kerr_strerror(ret));
		goto out;
	}
	char path[4096], ukic[128], *paths[2] = {path, ops[2]}, *names[2] = {name[0], name[1]};
	const char *customs[2] = {(const char *)custom.p, ukic};
	snprintf(ukic, sizeof(ukic), "{\"keel-uki\":{\"version\":\"%s\"}}", version);
	if (str_fmt(path, sizeof(path), "%s/%s", repo, tmp)) {
		ret = kerr_set(e, -ENAMETOOLONG, "--repo: too long");
		goto out;
	}
	p->customs = customs;
	ret = tuf_pub_targets(p, paths, names, 2, e);
	if (!ret)
		printf("release %s: %s, %s\n", version, name[0], name[1]);
out:
	if (out >= 0) {
		close(out);
		unlinkat(p->repofd, tmp, 0);
	}
	close(img);
	buf_free(&custom);
	return ret;
}
