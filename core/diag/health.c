/* health.c — keel diag health (health.h). */
#include "diag/health.h"
#include "base/buf.h"
#include "base/err.h"
#include "base/fs.h"
#include "disk/dm.h"
#include "disk/gpt.h"
#include "init/ctl.h"
#include "update/state.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/statvfs.h>
#include <sys/timex.h>
#include <unistd.h>

static void reason(struct health *h, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void reason(struct health *h, const char *fmt, ...)
{
	if (h->n >= HEALTH_REASONS_MAX)
		return;
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(h->reason[h->n++], sizeof(h->reason[0]), fmt, ap);
	va_end(ap);
}

/* A small file beneath the root, NUL-terminated; -ENOENT when absent. */
static int slurp(int rootfd, const char *path, struct buf *b)
{
	buf_reset(b);
	int fd = fs_open_beneath(rootfd, path, O_RDONLY, 0);
	if (fd < 0)
		return fd;
	int ret = fs_read_fd(fd, b->max, b);
	close(fd);
	return ret ? ret : buf_putc(b, 0) ? -ENOMEM : (b->len--, 0);
}

/* The value of "KEY=" at the start of a line of b, into out[n]. */
static int field(const struct buf *b, const char *key, char *out, size_t n)
{
	size_t kl = strlen(key);
	for (const char *p = (const char *)b->p; p && *p; p = strchr(p, '\n'), p = p ? p + 1 : NULL)
		if (!strncmp(p, key, kl) && p[kl] == '=') {
			size_t l = strcspn(p + kl + 1, "\n");
			if (l >= n)
				return -ENAMETOOLONG;
			memcpy(out, p + kl + 1, l);
			out[l] = 0;
			return 0;
		}
	return -ENOENT;
}

static void units(const char *root, struct health *h)
{
	char sock[512];
	struct buf r = BUF_INIT(CTL_REPLY_MAX);
	struct kerr e = {0};
	int ret = str_fmt(sock, sizeof(sock), "%s/run/keel/init.sock", root);
	if (!ret)
		ret = ctl_call(sock, "status\n", &r, 2000, &e);
	if (!ret && (r.len < 3 || memcmp(r.p, "OK\n", 3)))
		ret = kerr_set(&e, -EPROTO, "no valid answer");
	if (ret) {
		reason(h, "keel init does not answer: %s", kerr_str(&e, ret));
		buf_free(&r);
		return;
	}
	for (char *p = (char *)r.p + 3, *nl; (nl = memchr(p, '\n', (size_t)((char *)r.p + r.len - p))); p = nl + 1) {
		struct ctl_status s;
		const char *why;
		if (ctl_parse_status(p, (size_t)(nl - p), &s, &why))
			reason(h, "keel init status: malformed line: %s", why);
		else if (!strcmp(s.active, "failed") || !strcmp(s.load, "error"))
			reason(h, "unit %s %s (%s)", s.unit, !strcmp(s.load, "error") ? "did not load" : "failed",
			       s.result[0] ? s.result : s.load);
	}
	buf_free(&r);
}

static void release(int rootfd, struct health *h, struct buf *b)
{
	char slot[64], disk[256];
	int ret = slurp(rootfd, "run/keel/boot", b);
	if (ret == -ENOENT)
		return;
	if (ret || field(b, "slot", slot, sizeof(slot)) || field(b, "disk", disk, sizeof(disk)) || disk[0] != '/') {
		reason(h, "run/keel/boot: unreadable or without slot= and disk=");
		return;
	}
	struct gpt g = {0};
	struct gpt_part p;
	struct kerr e = {0};
	int fd = fs_open_beneath(rootfd, disk + 1, O_RDONLY, 0), i;
	ret = fd < 0 ? fd : gpt_read(&(struct gpt_io){.fd = fd}, 0, &g, &e);
	if (ret)
		reason(h, "booted slot %s: %s: %s", slot, disk, kerr_str(&e, ret));
	else if ((i = gpt_find_name(&g, slot)) < 0 || gpt_get(&g, i, &p))
		reason(h, "booted slot %s: no such partition on %s", slot, disk);
	else if (!gpt_attr_successful(p.attr))
		reason(h, "release in slot %s is on trial, not yet marked good (tries left %u)", slot,
		       gpt_attr_tries(p.attr));
	gpt_free(&g);
	if (fd >= 0)
		close(fd);
}

/* The update state (core/update/state.h, read by its own strict parser): "last bad" means the last
 * update's health check failed and the machine went back (a later good update replaces it); a
 * state that does not parse is a reason too — update refuses to run on it. */
static void last_update(int rootfd, struct health *h)
{
	static struct ustate s;
	struct kerr e = {0};
	if (state_load(rootfd, &STATE_PATH[1], &s, &e))
		reason(h, "update state unreadable: /%s", e.msg);
	else if (s.last == RES_BAD)
		reason(h, "the last update, to %s, failed: %s", s.last_version, s.last_reason);
}

/* dm-verity of the booted /usr ("usr", stage 1's device): "C" once a block failed its hash. */
static void verity(const char *root, struct health *h)
{
	char st[64];
	if ((!root[0] || !strcmp(root, "/")) && !dm_status("usr", st, sizeof(st), NULL) && st[0] == 'C')
		reason(h, "dm-verity: /usr (/dev/mapper/usr) read a block that does not match its hash");
}

/* "some avg10=1.23 …" / "full avg10=…": the avg10 of that line, in hundredths. */
static long avg10(const struct buf *b, const char *kind)
{
	size_t kl = strlen(kind);
	for (const char *p = (const char *)b->p; p && *p; p = strchr(p, '\n'), p = p ? p + 1 : NULL)
		if (!strncmp(p, kind, kl) && !strncmp(p + kl, " avg10=", 7)) {
			char *end;
			long whole = strtol(p + kl + 7, &end, 10), frac = 0;
			if (*end == '.')
				frac = strtol(end + 1, NULL, 10) % 100;
			return whole * 100 + frac;
		}
	return -1;
}

static void pressure(int rootfd, struct health *h, struct buf *b)
{
	static const struct { const char *file, *kind; long limit; } psi[] = {
		{"proc/pressure/memory", "full", 1000}, {"proc/pressure/io", "full", 3000}, {"proc/pressure/cpu", "some", 9000}};
	for (size_t i = 0; i < sizeof(psi) / sizeof(psi[0]); i++) {
		if (slurp(rootfd, psi[i].file, b))
			continue;
		long v = avg10(b, psi[i].kind);
		if (v >= psi[i].limit)
			reason(h, "%s pressure: %s avg10=%ld.%02ld%% (limit %ld%%)", psi[i].file + 14, psi[i].kind, v / 100,
			       v % 100, psi[i].limit / 100);
	}
}

static void pids(int rootfd, struct health *h, struct buf *b)
{
	if (slurp(rootfd, "proc/loadavg", b))
		return;
	const char *slash = strchr((const char *)b->p, '/');
	long total = slash ? strtol(slash + 1, NULL, 10) : 0;
	if (slurp(rootfd, "proc/sys/kernel/pid_max", b))
		return;
	long max = strtol((const char *)b->p, NULL, 10);
	if (max > 0 && total * 10 >= max * 9)
		reason(h, "processes: %ld of pid_max %ld", total, max);
}

static void disk(int rootfd, struct health *h)
{
	struct statvfs s;
	if (fstatvfs(rootfd, &s) || !s.f_blocks)
		return;
	if (s.f_bavail * 20 < s.f_blocks)
		reason(h, "disk: %llu%% of the root filesystem used", 100 - (unsigned long long)s.f_bavail * 100 / s.f_blocks);
	if (s.f_files && s.f_favail * 20 < s.f_files)
		reason(h, "disk: %llu%% of the root filesystem's inodes used",
		       100 - (unsigned long long)s.f_favail * 100 / s.f_files);
}

int diag_health(int rootfd, const char *root, struct health *h)
{
	struct buf b = BUF_INIT(64 << 10);
	struct timex tx = {0};
	memset(h, 0, sizeof(*h));
	units(root, h);
	release(rootfd, h, &b);
	last_update(rootfd, h);
	verity(root, h);
	pressure(rootfd, h, &b);
	pids(rootfd, h, &b);
	disk(rootfd, h);
	if (adjtimex(&tx) < 0 || (tx.status & STA_UNSYNC))
		reason(h, "clock not synchronised");
	buf_free(&b);
	return 0;
}
