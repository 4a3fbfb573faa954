/* esp.c — boot entries on the ESP's FAT file system: names with boot counters, listing
 * EFI/Linux, and the crash-safe rename that marks an entry good (esp.h). */
#include "disk/esp.h"
#include "base/buf.h"
#include "base/err.h"
#include "base/fs.h"
#include "disk/gpt.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

const uint8_t GPT_TYPE_ESP[16] = {0x28, 0x73, 0x2a, 0xc1, 0x1f, 0xf8, 0xd2, 0x11, 0xba, 0x4b, 0x00, 0xa0, 0xc9, 0x3e,
	0xc9, 0x3b};

#define DIR_MAX 65536 /* entries in a FAT directory (the spec's limit) */
#define FILES_MAX 1024

static uint32_t le16(const uint8_t *p) { return p[0] | (uint32_t)p[1] << 8; }
static uint32_t le32(const uint8_t *p) { return le16(p) | le16(p + 2) << 16; }

static int parse_num(const char *p, const char *end, int *v)
{
	if (p == end || end - p > 6)
		return -EINVAL;
	*v = 0;
	for (; p < end; p++) {
		if (*p < '0' || *p > '9')
			return -EINVAL;
		*v = *v * 10 + (*p - '0');
	}
	return 0;
}

int esp_name_parse(const char *name, struct esp_name *n)
{
	size_t l = strlen(name);
	if (l < 5 || l >= ESP_NAME_MAX || strcasecmp(name + l - 4, ".efi"))
		return -EINVAL;
	for (size_t i = 0; i < l; i++)
		if (name[i] < 0x20 || name[i] > 0x7e || name[i] == '/' || name[i] == '\\')
			return -EINVAL;
	memcpy(n->base, name, l - 4);
	n->base[l - 4] = 0;
	n->left = n->done = -1;
	char *plus = strrchr(n->base, '+'), *end = n->base + l - 4;
	if (plus && plus > n->base) { /* not a valid counter: the whole name is the base, as systemd-boot reads it */
		char *dash = memchr(plus, '-', (size_t)(end - plus));
		if (!parse_num(plus + 1, dash ? dash : end, &n->left) && (!dash || !parse_num(dash + 1, end, &n->done)))
			*plus = 0;
		else
			n->left = n->done = -1;
	}
	return 0;
}

int esp_open(struct esp *x, int fd, uint64_t off, uint64_t size, struct kerr *e)
{
	uint8_t b[512];
	int ret;
	memset(x, 0, sizeof(*x));
	x->fd = fd, x->off = off, x->size = size;
	if (size < 512 || (ret = fs_pread_all(fd, b, sizeof(b), (off_t)off)))
		return kerr_set(e, size < 512 ? -EINVAL : ret, "ESP: boot sector unreadable");
	uint32_t bps = le16(b + 11), spc = b[13], rsvd = le16(b + 14), nfats = b[16], rootent = le16(b + 17);
	uint64_t tot = le16(b + 19) ? le16(b + 19) : le32(b + 32), fatsz = le16(b + 22) ? le16(b + 22) : le32(b + 36);
	if (b[510] != 0x55 || b[511] != 0xaa || (bps != 512 && bps != 1024 && bps != 2048 && bps != 4096) || !spc ||
		(spc & (spc - 1)) || spc > 128 || !rsvd || nfats < 1 || nfats > 2 || !fatsz)
		return kerr_set(e, -EINVAL, "ESP: not a FAT file system (boot sector at byte %llu)", (unsigned long long)off);
	uint64_t root_secs = ((uint64_t)rootent * 32 + bps - 1) / bps, meta = rsvd + nfats * fatsz + root_secs;
	if (tot <= meta || tot * bps > size)
		return kerr_set(e, -EINVAL, "ESP: FAT of %llu sectors does not fit the partition", (unsigned long long)tot);
	uint64_t clusters = (tot - meta) / spc;
	x->fat_bits = clusters < 4085 ? 12 : clusters < 65525 ? 16 : 32;
	if (x->fat_bits == 12 || (x->fat_bits == 16) != (rootent != 0) || fatsz * bps * 8 / x->fat_bits < clusters + 2)
		return kerr_set(e, -EINVAL, "ESP: FAT%u with %llu clusters and %u root entries: not supported (FAT16 or FAT32)",
			x->fat_bits, (unsigned long long)clusters, rootent);
	x->bps = bps, x->spc = spc, x->clusters = (uint32_t)clusters, x->root_entries = rootent;
	x->fat = (uint64_t)rsvd * bps;
	x->root = (rsvd + nfats * fatsz) * bps;
	x->data = x->root + root_secs * bps;
	x->root_cluster = x->fat_bits == 32 ? le32(b + 44) & 0x0fffffff : 0;
	if (x->fat_bits == 32 && (x->root_cluster < 2 || x->root_cluster >= clusters + 2))
		return kerr_set(e, -EINVAL, "ESP: root cluster %u out of range", x->root_cluster);
	return 0;
}

/* A directory read whole: its entries and the file-system offset of each segment (cluster). */
struct dir {
	uint8_t *b;
	size_t n;          /* entries */
	uint64_t seg[DIR_MAX * 32 / 512];
	size_t seglen;     /* bytes per segment */
};

static uint64_t ent_off(const struct esp *x, const struct dir *d, size_t i)
{
	return x->off + d->seg[i * 32 / d->seglen] + i * 32 % d->seglen;
}

/* cluster 0: the root directory */
static int dir_load(struct esp *x, uint32_t cl, struct dir *d, struct kerr *e)
{
	uint32_t cb = x->bps * x->spc;
	int ret;
	d->n = 0;
	if (!cl && x->fat_bits == 16) {
		d->seglen = (size_t)x->root_entries * 32;
		d->seg[0] = x->root;
		if (!(d->b = malloc(d->seglen)))
			return kerr_set(e, -ENOMEM, "out of memory");
		d->n = x->root_entries;
		return (ret = fs_pread_all(x->fd, d->b, d->seglen, (off_t)(x->off + x->root))) ? kerr_set(e, ret, "ESP: root directory unreadable") : 0;
	}
	d->seglen = cb;
	d->b = NULL;
	for (size_t k = 0, c = cl ? cl : x->root_cluster;; k++) {
		uint8_t f[4];
		if (c < 2 || c >= (uint64_t)x->clusters + 2 || (k + 1) * cb > DIR_MAX * 32)
			return kerr_set(e, -EINVAL, "ESP: directory cluster chain broken or too long (cluster %zu)", c);
		uint8_t *nb = realloc(d->b, (k + 1) * cb);
		if (!nb)
			return kerr_set(e, -ENOMEM, "out of memory");
		d->b = nb;
		d->seg[k] = x->data + (uint64_t)(c - 2) * cb;
		for (size_t j = 0; j < k; j++) /* a loop would alias entries: writes land on live ones */
			if (d->seg[j] == d->seg[k])
				return kerr_set(e, -EINVAL, "ESP: directory cluster chain loops (cluster %zu)", c);
		if ((ret = fs_pread_all(x->fd, d->b + k * cb, cb, (off_t)(x->off + d->seg[k]))) ||
			(ret = fs_pread_all(x->fd, f, x->fat_bits / 8, (off_t)(x->off + x->fat + c * (x->fat_bits / 8)))))
			return kerr_set(e, ret, "ESP: directory unreadable");
		d->n = (k + 1) * cb / 32;
		uint32_t next = x->fat_bits == 32 ? le32(f) & 0x0fffffff : le16(f);
		if (next >= (x->fat_bits == 32 ? 0x0ffffff8u : 0xfff8u))
			return 0;
		c = next;
	}
}

static uint8_t sfn_sum(const uint8_t *s)
{
	uint8_t sum = 0;
	for (int i = 0; i < 11; i++)
		sum = (uint8_t)(((sum & 1) << 7) + (sum >> 1) + s[i]);
	return sum;
}

struct dent {
	char name[ESP_NAME_MAX];
	size_t first, sfn; /* entry indexes: first of the set (long names), the short entry */
	uint8_t attr;
	uint32_t cluster, size;
};

/* The live entries of d (without . and ..) into f (at most FILES_MAX); *end: index of the end
 * marker (or d->n); live[i] 1 for every entry in use (a file's long and short entries, ., ..,
 * the label): a long entry left 0 is an orphan. */
static int dir_scan(const struct dir *d, struct dent *f, int *nf, size_t *end, uint8_t *live, struct kerr *e)
{
	uint16_t u[20 * 13];
	int expect = 0, n = 0;
	uint8_t sum = 0;
	size_t start = 0, i;
	for (i = 0; i < d->n; i++) {
		const uint8_t *p = d->b + i * 32;
		if (!p[0])
			break;
		if (p[0] == 0xe5) {
			expect = 0;
			continue;
		}
		if ((p[11] & 0x3f) == 0x0f) {
			int ord = p[0] & 0x1f;
			if (p[0] & 0x40) {
				memset(u, 0, sizeof(u));
				expect = ord, sum = p[13], start = i;
			}
			if (!ord || ord > 20 || ord != expect || p[13] != sum) { /* 20 x 13 = the 255 characters of a name */
				expect = 0;
				continue;
			}
			static const uint8_t at[13] = {1, 3, 5, 7, 9, 14, 16, 18, 20, 22, 24, 28, 30};
			for (int k = 0; k < 13; k++)
				u[(ord - 1) * 13 + k] = (uint16_t)le16(p + at[k]);
			expect = ord == 1 ? -1 : ord - 1; /* -1: complete, the short entry comes next */
			continue;
		}
		if ((p[11] & 0x08) || p[0] == '.') { /* volume label, . and .. */
			expect = 0;
			live[i] = 1;
			continue;
		}
		if (n == FILES_MAX)
			return kerr_set(e, -E2BIG, "ESP: more than %d entries in a directory", FILES_MAX);
		struct dent *t = &f[n++];
		size_t o = 0;
		if (expect == -1 && sfn_sum(p) == sum) {
			for (size_t k = 0; k < 20 * 13 && u[k] && u[k] != 0xffff && o + 1 < sizeof(t->name); k++)
				t->name[o++] = u[k] >= 0x20 && u[k] < 0x7f ? (char)u[k] : '?';
			t->first = start;
		} else {
			for (int k = 0; k < 11; k++) {
				if (p[k] == ' ')
					continue;
				if (k == 8 && o)
					t->name[o++] = '.';
				int c = k == 0 && p[0] == 0x05 ? 0xe5 : p[k], lower = p[12] & (k < 8 ? 0x08 : 0x10);
				t->name[o++] = c >= 0x20 && c < 0x7f ? (char)(lower && c >= 'A' && c <= 'Z' ? c + 32 : c) : '?';
			}
			t->first = i;
		}
		t->name[o] = 0;
		memset(live + t->first, 1, i + 1 - t->first);
		t->sfn = i, t->attr = p[11];
		t->cluster = le16(p + 26) | le16(p + 20) << 16, t->size = le32(p + 28);
		expect = 0;
	}
	*nf = n;
	*end = i;
	return 0;
}

static const struct dent *find(const struct dent *f, int n, const char *name)
{
	for (int i = 0; i < n; i++)
		if (!strcasecmp(f[i].name, name))
			return &f[i];
	return NULL;
}

struct walk {
	struct dir d;
	uint8_t live[DIR_MAX];
	struct dent f[FILES_MAX];
	int n;
	size_t end;
};

/* EFI/Linux of x into w. */
static int walk_linux(struct esp *x, struct walk *w, struct kerr *e)
{
	static const char *const path[] = {"EFI", "Linux"};
	uint32_t cl = 0;
	int ret;
	for (int k = 0;; k++) {
		free(w->d.b);
		w->d.b = NULL;
		memset(w->live, 0, sizeof(w->live));
		if ((ret = dir_load(x, cl, &w->d, e)) || (ret = dir_scan(&w->d, w->f, &w->n, &w->end, w->live, e)))
			return ret;
		if (k == 2)
			return 0;
		const struct dent *t = find(w->f, w->n, path[k]);
		if (!t || !(t->attr & 0x10))
			return kerr_set(e, -ENOENT, "ESP: no directory %s%s", k ? "EFI/" : "", path[k]);
		cl = t->cluster;
		if (!cl)
			return kerr_set(e, -EINVAL, "ESP: directory %s has no cluster", path[k]);
	}
}

static struct walk *walk_new(struct kerr *e)
{
	struct walk *w = calloc(1, sizeof(*w));
	if (!w)
		kerr_set(e, -ENOMEM, "out of memory");
	return w;
}

static void walk_free(struct walk *w)
{
	if (w)
		free(w->d.b);
	free(w);
}

int esp_list(struct esp *x, struct esp_file *out, int max, int *n, struct kerr *e)
{
	struct walk *w = walk_new(e);
	int ret = w ? walk_linux(x, w, e) : -ENOMEM;
	*n = 0;
	for (int i = 0; !ret && i < w->n; i++) {
		if (w->f[i].attr & 0x10)
			continue;
		if (*n < max) {
			str_copy(out[*n].name, sizeof(out[*n].name), w->f[i].name);
			out[*n].cluster = w->f[i].cluster, out[*n].size = w->f[i].size;
		}
		(*n)++;
	}
	walk_free(w);
	return ret;
}

/* One directory entry (or its first byte, len 1) at entry index i; then fsync when asked. */
static int put(struct esp *x, const struct dir *d, size_t i, const uint8_t *p, size_t len, int sync, struct kerr *e)
{
	int ret = fs_pwrite_all(x->fd, p, len, (off_t)ent_off(x, d, i));
	if (!ret && sync && fsync(x->fd))
		ret = -errno;
	return ret ? kerr_set(e, ret, "ESP: writing a directory entry: %s", kerr_strerror(ret)) : 0;
}

/* Mark t's entries deleted: the short entry first (that removes the name), then its long ones. */
static int drop(struct esp *x, const struct dir *d, const struct dent *t, struct kerr *e)
{
	static const uint8_t del = 0xe5;
	int ret = put(x, d, t->sfn, &del, 1, 0, e);
	for (size_t i = t->first; !ret && i < t->sfn; i++)
		ret = put(x, d, i, &del, 1, 0, e);
	if (!ret && fsync(x->fd))
		ret = kerr_set(e, -errno, "ESP: fsync: %s", kerr_strerror(errno));
	return ret;
}

/* A short name for name unique in d: BASIS~N.EXT (Windows' scheme), 11 bytes into s. */
static int alias(const struct dir *d, size_t end, const char *name, uint8_t s[11])
{
	const char *dot = strrchr(name, '.');
	char b[8], x[3];
	size_t bl = 0, xl = 0;
	for (const char *p = name; p < (dot ? dot : name + strlen(name)) && bl < 6; p++)
		if (*p != '.' && *p != ' ')
			b[bl++] = strchr("+,;=[]", *p) ? '_' : (char)(*p >= 'a' && *p <= 'z' ? *p - 32 : *p);
	for (const char *p = dot ? dot + 1 : ""; *p && xl < 3; p++)
		x[xl++] = (char)(*p >= 'a' && *p <= 'z' ? *p - 32 : *p);
	for (unsigned n = 1; n < 1000000; n++) {
		char tail[9];
		int tl = snprintf(tail, sizeof(tail), "~%u", n);
		size_t keep = bl + (size_t)tl > 8 ? 8 - (size_t)tl : bl;
		memset(s, ' ', 11);
		memcpy(s, b, keep);
		memcpy(s + keep, tail, (size_t)tl);
		memcpy(s + 8, x, xl);
		size_t i;
		for (i = 0; i < end; i++) {
			const uint8_t *p = d->b + i * 32;
			if (p[0] != 0xe5 && (p[11] & 0x3f) != 0x0f && !memcmp(p, s, 11))
				break;
		}
		if (i == end)
			return 0;
	}
	return -EEXIST;
}

/* bad 0: entry -> BASE.efi (good); bad 1: entry -> BASE+0-DONE.efi (no tries left). */
static int esp_rename(struct esp *x, const char *entry, int bad, char *out, size_t bn, struct kerr *e)
{
	struct esp_name en, fn;
	char target[ESP_NAME_MAX + 16];
	const struct dent *good = NULL, *counted = NULL;
	int ret;
	if (esp_name_parse(entry, &en) || str_fmt(target, sizeof(target), "%s.efi", en.base) || strlen(target) >= ESP_NAME_MAX)
		return kerr_set(e, -EINVAL, "entry %.140s: not a NAME[+LEFT[-DONE]].efi boot entry name", entry);
	struct walk *w = walk_new(e);
	if (!w)
		return -ENOMEM;
	if ((ret = walk_linux(x, w, e)))
		goto out;
	/* long entries a cut-short run left without their short entry: deleted first (every FAT
	 * driver ignores them already; fsck.fat would not) */
	static const uint8_t del = 0xe5;
	for (size_t i = 0, any = 0; i <= w->end; i++) {
		if (i == w->end) {
			if (any && fsync(x->fd)) {
				ret = kerr_set(e, -errno, "ESP: fsync: %s", kerr_strerror(errno));
				goto out;
			}
			break;
		}
		if (w->live[i] || w->d.b[i * 32] == 0xe5)
			continue;
		if ((ret = put(x, &w->d, i, &del, 1, 0, e)))
			goto out;
		w->d.b[i * 32] = 0xe5;
		any = 1;
	}
	/* bless: the counted entry (+LEFT) is renamed, BASE.efi is the target. mark bad: the entry
	 * with tries left (or a good one) is renamed, BASE+0-DONE.efi is the target. */
	if (!bad)
		good = find(w->f, w->n, target);
	for (int i = 0; i < w->n; i++) {
		if ((w->f[i].attr & 0x10) || esp_name_parse(w->f[i].name, &fn) || strcasecmp(fn.base, en.base))
			continue;
		if (bad && !fn.left) {
			good = &w->f[i];
			continue;
		}
		if (!bad && fn.left < 0)
			continue;
		if (counted) {
			ret = kerr_set(e, -EEXIST, "ESP: EFI/Linux has both %s and %s", counted->name, w->f[i].name);
			goto out;
		}
		counted = &w->f[i];
		if (bad && (str_fmt(target, sizeof(target), "%s+0-%d.efi", en.base, fn.done < 0 ? 0 : fn.done) ||
			strlen(target) >= ESP_NAME_MAX)) {
			ret = kerr_set(e, -ENAMETOOLONG, "entry name too long");
			goto out;
		}
	}
	if (!counted) {
		if (good && str_copy(out, bn, bad ? good->name : target))
			ret = kerr_set(e, -ENAMETOOLONG, "entry name too long");
		else
			ret = good ? 1 : kerr_set(e, -ENOENT, "ESP: no EFI/Linux/%s%s.efi nor %s", en.base,
				bad ? "[+LEFT[-DONE]]" : "+LEFT[-DONE]", bad ? "a +0 entry" : target);
		goto out;
	}
	if (str_copy(out, bn, target)) {
		ret = kerr_set(e, -ENAMETOOLONG, "entry name too long");
		goto out;
	}
	if (good) { /* a rename cut short after step 2: both names, one file */
		ret = good->cluster == counted->cluster ? drop(x, &w->d, counted, e)
			: kerr_set(e, -EEXIST, "ESP: EFI/Linux has %s and %s as different files", good->name, counted->name);
		goto out;
	}
	/* a free run for the long entries and the short one, before the end marker or on it */
	size_t len = strlen(target), nl = (len + 12) / 13, need = nl + 1, at = 0, run = 0, i;
	for (i = 0; i < w->d.n; i++) {
		const uint8_t *p = w->d.b + i * 32;
		int fr = i < w->end ? p[0] == 0xe5 : !p[0];
		run = fr ? run + 1 : 0;
		/* past the end marker, only a run that starts on it is seen by anyone, and the entry
		 * after it must still end the directory */
		if (run == need && (i < w->end || (i + 1 - need <= w->end && (i + 1 == w->d.n || !w->d.b[(i + 1) * 32])))) {
			at = i + 1 - need;
			break;
		}
	}
	if (i == w->d.n) {
		ret = kerr_set(e, -ENOSPC, "ESP: EFI/Linux has no room for %zu more directory entries", need);
		goto out;
	}
	uint8_t ent[32], sfn[32];
	memcpy(sfn, w->d.b + counted->sfn * 32, 32);
	if ((ret = alias(&w->d, w->end, target, sfn))) {
		ret = kerr_set(e, ret, "ESP: no free short name for %s", target);
		goto out;
	}
	sfn[12] = 0;
	uint8_t sum = sfn_sum(sfn);
	static const uint8_t pos[13] = {1, 3, 5, 7, 9, 14, 16, 18, 20, 22, 24, 28, 30};
	for (size_t k = 0; k < nl; k++) { /* on disk: the last part first (ord nl | 0x40) */
		size_t ord = nl - k;
		memset(ent, 0, sizeof(ent));
		ent[0] = (uint8_t)(ord | (k ? 0 : 0x40));
		ent[11] = 0x0f, ent[13] = sum;
		for (size_t c = 0; c < 13; c++) {
			size_t j = (ord - 1) * 13 + c;
			unsigned v = j < len ? (unsigned char)target[j] : j == len ? 0 : 0xffff;
			ent[pos[c]] = (uint8_t)v, ent[pos[c] + 1] = (uint8_t)(v >> 8);
		}
		if ((ret = put(x, &w->d, at + k, ent, 32, k + 1 == nl, e)))
			goto out;
	}
	if (!(ret = put(x, &w->d, at + nl, sfn, 32, 1, e)))
		ret = drop(x, &w->d, counted, e);
out:
	walk_free(w);
	return ret;
}

int esp_bless(struct esp *x, const char *entry, char *blessed, size_t n, struct kerr *e)
{
	return esp_rename(x, entry, 0, blessed, n, e);
}

int esp_mark_bad(struct esp *x, const char *entry, char *renamed, size_t n, struct kerr *e)
{
	return esp_rename(x, entry, 1, renamed, n, e);
}

int esp_find(const struct gpt *g)
{
	struct gpt_part p;
	for (int i = 0; i < gpt_count(g); i++)
		if (!gpt_get(g, i, &p) && !memcmp(p.type, GPT_TYPE_ESP, 16))
			return i;
	return -ENOENT;
}

int esp_open_gpt(struct esp *x, int fd, const struct gpt *g, struct kerr *e)
{
	struct gpt_part p;
	int i = esp_find(g);
	if (i < 0)
		return kerr_set(e, i, "no EFI system partition in the GPT");
	gpt_get(g, i, &p);
	return esp_open(x, fd, p.first_lba * g->sector, (p.last_lba + 1 - p.first_lba) * g->sector, e);
}

int esp_bless_boot(int fd, struct gpt *g, int slot, const char *entry, char *blessed, size_t n, struct kerr *e)
{
	struct esp x;
	struct gpt_part p;
	int ret = 0, r;
	if (gpt_get(g, slot, &p))
		return kerr_set(e, -EINVAL, "partition %d is not in use", slot + 1);
	if (entry && *entry && ((ret = esp_open_gpt(&x, fd, g, e)) || (ret = esp_bless(&x, entry, blessed, n, e)) < 0))
		return ret;
	if ((r = gpt_set_attr(g, slot, gpt_attr_set_successful(p.attr, 1))) || (r = gpt_write(fd, g, e)))
		return r;
	return ret;
}
