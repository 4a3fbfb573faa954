/* tar.c — streaming tar reader (see tar.h). */
#include "archive/tar.h"
#include "base/buf.h"
#include "base/err.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

enum { S_HDR, S_DATA, S_META, S_PAD, S_ZERO, S_DONE };

struct tar {
	const struct tar_ops *ops;
	void *ctx;
	int state;
	uint8_t hdr[512];
	size_t hlen;
	uint64_t off;        /* bytes consumed */
	uint64_t left;       /* data (or meta body) bytes still to come */
	size_t pad;          /* padding bytes still to skip */
	uint64_t pad_from;   /* the offset where that padding began */
	char meta;           /* 'x', 'g', 'L', 'K' while reading such a body */
	int have_meta;       /* an 'x', 'L' or 'K' record waits for its entry */
	uint64_t entry_off;
	struct buf body;     /* the meta body being read */
	struct buf pax;      /* the pending 'x' record (xattrs point into it) */
	/* overrides from pax / GNU records for the next entry */
	const char *pax_path, *pax_link;
	int has_size, has_uid, has_gid, has_mtime;
	uint64_t size, uid, gid;
	int64_t mtime;
	char gnu_path[TAR_PATH_MAX], gnu_link[TAR_PATH_MAX];
	struct tar_xattr xattrs[TAR_XATTR_MAX];
	size_t nxattrs;
	char path[TAR_PATH_MAX], link[TAR_PATH_MAX];
};

const uint8_t tar_zero[512];

#define FAIL(t, e, code, ...) kerr_set(e, code, __VA_ARGS__)

int tar_new(struct tar **out, const struct tar_ops *ops, void *ctx)
{
	struct tar *t = calloc(1, sizeof(*t));
	if (!t)
		return -ENOMEM;
	t->ops = ops;
	t->ctx = ctx;
	buf_init(&t->body, TAR_PAX_MAX);
	buf_init(&t->pax, TAR_PAX_MAX);
	*out = t;
	return 0;
}

void tar_free(struct tar *t)
{
	if (!t)
		return;
	buf_free(&t->body);
	buf_free(&t->pax);
	free(t);
}

static void reset_meta(struct tar *t)
{
	t->have_meta = 0;
	t->pax_path = t->pax_link = NULL;
	t->has_size = t->has_uid = t->has_gid = t->has_mtime = 0;
	t->gnu_path[0] = t->gnu_link[0] = 0;
	t->nxattrs = 0;
	buf_reset(&t->pax);
}

/* An octal field (spaces and NULs around the digits) or GNU base-256 (positive). */
static int num(const uint8_t *f, size_t n, uint64_t max, uint64_t *v)
{
	uint64_t x = 0;
	size_t i = 0;
	if (f[0] & 0x80) {
		if (f[0] != 0x80)
			return -1; /* negative or more than 63 bits */
		for (i = 1; i < n; i++) {
			if (x >> 55)
				return -1;
			x = x << 8 | f[i];
		}
	} else {
		while (i < n && (f[i] == ' ' || f[i] == 0))
			i++;
		for (; i < n && f[i] >= '0' && f[i] <= '7'; i++) {
			if (x >> 60)
				return -1;
			x = x << 3 | (uint64_t)(f[i] - '0');
		}
		for (; i < n; i++)
			if (f[i] != ' ' && f[i] != 0)
				return -1;
	}
	if (x > max)
		return -1;
	*v = x;
	return 0;
}

/* A decimal pax value: digits only ("mtime" may have a sign and a fraction, dropped). */
static int pax_num(const char *s, size_t n, int is_time, uint64_t *v, int *neg)
{
	uint64_t x = 0;
	size_t i = 0;
	*neg = 0;
	if (is_time && i < n && s[i] == '-')
		*neg = 1, i++;
	if (i == n)
		return -1;
	for (; i < n && s[i] >= '0' && s[i] <= '9'; i++) {
		if (x > (UINT64_MAX - 9) / 10)
			return -1;
		x = x * 10 + (uint64_t)(s[i] - '0');
	}
	if (is_time && i < n && s[i] == '.')
		for (i++; i < n && s[i] >= '0' && s[i] <= '9'; i++)
			;
	if (i != n || x > (uint64_t)INT64_MAX)
		return -1;
	*v = x;
	return 0;
}

/* Parse the pending 'x' record in t->pax: "LEN key=value\n" records. */
static int parse_pax(struct tar *t, struct kerr *e)
{
	if (!t->pax.len) /* an empty record: no buffer at all */
		return 0;
	char *p = (char *)t->pax.p, *end = p + t->pax.len;
	while (p < end) {
		char *rec = p, *sp, *eq;
		size_t len = 0;
		for (; p < end && *p >= '0' && *p <= '9'; p++) {
			if (len > TAR_PAX_MAX)
				break;
			len = len * 10 + (size_t)(*p - '0');
		}
		if (p == rec || p >= end || *p != ' ' || len > (size_t)(end - rec) || len < (size_t)(p - rec) + 3 ||
			rec[len - 1] != '\n')
			return FAIL(t, e, -EINVAL, "tar: malformed pax record (offset %llu)", (unsigned long long)t->entry_off);
		sp = p + 1;
		p = rec + len;
		p[-1] = 0; /* the value ends where the newline was */
		if (!(eq = memchr(sp, '=', (size_t)(p - 1 - sp))) || eq == sp)
			return FAIL(t, e, -EINVAL, "tar: malformed pax record (offset %llu)", (unsigned long long)t->entry_off);
		*eq = 0;
		const char *key = sp, *val = eq + 1;
		size_t vlen = (size_t)(p - 1 - val);
		uint64_t v;
		int neg;
		if (!strcmp(key, "path") || !strcmp(key, "linkpath")) {
			if (strlen(val) != vlen || vlen >= TAR_PATH_MAX)
				return FAIL(t, e, -EINVAL, "tar: pax %s too long or with a NUL byte (offset %llu)", key,
					(unsigned long long)t->entry_off);
			*(key[0] == 'p' ? &t->pax_path : &t->pax_link) = val;
		} else if (!strcmp(key, "size") || !strcmp(key, "uid") || !strcmp(key, "gid") || !strcmp(key, "mtime")) {
			int is_time = key[0] == 'm';
			if (pax_num(val, vlen, is_time, &v, &neg) || (!is_time && key[0] != 's' && v > UINT32_MAX))
				return FAIL(t, e, -EINVAL, "tar: pax %s out of range (offset %llu)", key, (unsigned long long)t->entry_off);
			if (key[0] == 's')
				t->size = v, t->has_size = 1;
			else if (key[0] == 'u')
				t->uid = v, t->has_uid = 1;
			else if (key[0] == 'g')
				t->gid = v, t->has_gid = 1;
			else
				t->mtime = neg ? -(int64_t)v : (int64_t)v, t->has_mtime = 1;
		} else if (!strncmp(key, "SCHILY.xattr.", 13)) {
			if (!key[13] || t->nxattrs == TAR_XATTR_MAX)
				return FAIL(t, e, -EINVAL, "tar: pax xattr without a name or more than %d (offset %llu)", TAR_XATTR_MAX,
					(unsigned long long)t->entry_off);
			t->xattrs[t->nxattrs++] = (struct tar_xattr){key + 13, (const uint8_t *)val, vlen};
		} else if (!strncmp(key, "GNU.sparse.", 11)) {
			return FAIL(t, e, -ENOTSUP, "tar: sparse files are not supported (offset %llu)", (unsigned long long)t->entry_off);
		}
	}
	return 0;
}

/* A NUL-padded name field of n bytes into out (appended after what is there). */
static int field_str(char *out, size_t cap, const uint8_t *f, size_t n)
{
	size_t len = strnlen((const char *)f, n), have = strlen(out);
	if (have + len >= cap)
		return -1;
	memcpy(out + have, f, len);
	out[have + len] = 0;
	return 0;
}

static int header(struct tar *t, struct kerr *e)
{
	const uint8_t *h = t->hdr;
	uint64_t sum = 0, ssum = 0, want, mode, v;
	unsigned long long at = (unsigned long long)t->off - 512;
	int ret;

	if (!t->have_meta)
		t->entry_off = (uint64_t)at;
	for (size_t i = 0; i < 512; i++) {
		uint8_t b = i >= 148 && i < 156 ? ' ' : h[i];
		sum += b;
		ssum += (uint64_t)(int64_t)(int8_t)b;
	}
	if (num(h + 148, 8, UINT32_MAX, &want) || (want != sum && want != (ssum & 0xffffffffu)))
		return FAIL(t, e, -EINVAL, "tar: header checksum wrong (offset %llu)", at);
	int ustar = !memcmp(h + 257, "ustar\0" "00", 8), gnu = !memcmp(h + 257, "ustar  \0", 8);
	if (!ustar && !gnu && memcmp(h + 257, "\0\0\0\0\0\0\0\0", 8))
		return FAIL(t, e, -EINVAL, "tar: unknown header format (offset %llu)", at);
	char type = (char)h[156];
	uint64_t size;
	if (num(h + 124, 12, INT64_MAX, &size))
		goto range;
	if (type == 'x' || type == 'g' || type == 'L' || type == 'K') {
		if (size > TAR_PAX_MAX)
			return FAIL(t, e, -EINVAL, "tar: %c record larger than %u bytes (offset %llu)", type, TAR_PAX_MAX, at);
		if (type != 'g' && t->have_meta & (1 << (type == 'x' ? 0 : type == 'L' ? 1 : 2)))
			return FAIL(t, e, -EINVAL, "tar: two %c records for one entry (offset %llu)", type, at);
		t->meta = type;
		t->left = size;
		t->pad = (size_t)(-size & 511);
		buf_reset(&t->body);
		t->state = S_META;
		return 0;
	}
	struct tar_entry en = {0};
	switch (type) {
	case '0': case 0: case '7':
		en.type = TAR_FILE;
		break;
	case '1': case '2': case '3': case '4': case '5': case '6':
		en.type = (enum tar_type)type;
		break;
	default:
		return FAIL(t, e, -ENOTSUP, "tar: entry type '%c' is not supported (offset %llu)", type >= 32 && type < 127 ? type : '?', at);
	}
	t->path[0] = t->link[0] = 0;
	if (t->pax_path)
		strcpy(t->path, t->pax_path);
	else if (t->gnu_path[0])
		strcpy(t->path, t->gnu_path);
	else if ((ustar && h[345] && (field_str(t->path, sizeof(t->path), h + 345, 155) || field_str(t->path, sizeof(t->path), (const uint8_t *)"/", 1))) ||
		field_str(t->path, sizeof(t->path), h, 100))
		return FAIL(t, e, -EINVAL, "tar: name too long (offset %llu)", at);
	if (t->pax_link)
		strcpy(t->link, t->pax_link);
	else if (t->gnu_link[0])
		strcpy(t->link, t->gnu_link);
	else
		field_str(t->link, sizeof(t->link), h + 157, 100);
	if (!t->path[0])
		return FAIL(t, e, -EINVAL, "tar: empty name (offset %llu)", at);
	if (num(h + 100, 8, 07777777, &mode) || num(h + 108, 8, UINT32_MAX, &en.uid) || num(h + 116, 8, UINT32_MAX, &en.gid) ||
		num(h + 136, 12, INT64_MAX, &v))
		goto range;
	en.mtime = (int64_t)v;
	if ((ustar || gnu) && (en.type == TAR_CHAR || en.type == TAR_BLOCK)) {
		uint64_t ma, mi;
		if (num(h + 329, 8, 0xfff, &ma) || num(h + 337, 8, 0xfffff, &mi))
			goto range;
		en.devmajor = (uint32_t)ma;
		en.devminor = (uint32_t)mi;
	}
	if (t->has_size)
		size = t->size;
	if (t->has_uid)
		en.uid = t->uid;
	if (t->has_gid)
		en.gid = t->gid;
	if (t->has_mtime)
		en.mtime = t->mtime;
	if (en.type == TAR_FILE && !ustar && !gnu && t->path[strlen(t->path) - 1] == '/')
		en.type = TAR_DIR; /* v7 directories */
	if ((en.type == TAR_SYMLINK || en.type == TAR_HARDLINK) && !t->link[0])
		return FAIL(t, e, -EINVAL, "tar: link without a target (offset %llu)", at);
	en.mode = (uint32_t)mode & 07777;
	en.size = en.type == TAR_FILE ? size : 0; /* other types carry no data, whatever size says (as Go) */
	en.path = t->path;
	en.link = en.type == TAR_SYMLINK || en.type == TAR_HARDLINK ? t->link : "";
	en.xattrs = t->xattrs;
	en.nxattrs = t->nxattrs;
	en.offset = t->entry_off;
	if ((ret = t->ops->entry(t->ctx, &en, e)))
		return ret;
	t->left = en.size;
	t->pad = (size_t)(-en.size & 511);
	t->state = S_DATA;
	return 0;
range:
	return FAIL(t, e, -EINVAL, "tar: a number out of range (size, mode, uid, gid, mtime, device) (offset %llu)", at);
}

static int meta_done(struct tar *t, struct kerr *e)
{
	char *s = (char *)t->body.p;
	size_t n = t->body.len;
	switch (t->meta) {
	case 'g':
		return 0;
	case 'x':
		t->have_meta |= 1;
		buf_reset(&t->pax);
		if (n && buf_put(&t->pax, s, n))
			return FAIL(t, e, -ENOMEM, "tar: out of memory");
		return parse_pax(t, e);
	default: { /* 'L', 'K': the name, NUL-terminated or not */
		char *dst = t->meta == 'L' ? t->gnu_path : t->gnu_link;
		size_t len = n ? strnlen(s, n) : 0;
		t->have_meta |= t->meta == 'L' ? 2 : 4;
		if (len >= TAR_PATH_MAX || !len)
			return FAIL(t, e, -EINVAL, "tar: GNU long %s empty or longer than %d bytes (offset %llu)",
				t->meta == 'L' ? "name" : "link", TAR_PATH_MAX - 1, (unsigned long long)t->entry_off);
		memcpy(dst, s, len);
		dst[len] = 0;
		return 0;
	}
	}
}

/* The body of a record has been read: a meta record takes effect, an entry ends. */
static int record_done(struct tar *t, struct kerr *e)
{
	int ret;
	if (t->state == S_META) {
		if ((ret = meta_done(t, e)))
			return ret;
	} else {
		if ((ret = t->ops->end(t->ctx, e)))
			return ret;
		reset_meta(t);
	}
	t->state = t->pad ? S_PAD : S_HDR;
	t->pad_from = t->off;
	return 0;
}

int tar_feed(struct tar *t, const uint8_t *p, size_t n, struct kerr *e)
{
	int ret;
	while (n) {
		size_t k;
		switch (t->state) {
		case S_HDR:
		case S_ZERO:
			k = 512 - t->hlen < n ? 512 - t->hlen : n;
			memcpy(t->hdr + t->hlen, p, k);
			t->hlen += k, t->off += k, p += k, n -= k;
			if (t->hlen < 512)
				break;
			t->hlen = 0;
			if (!memcmp(t->hdr, tar_zero, 512)) {
				if (t->have_meta)
					return FAIL(t, e, -EINVAL, "tar: end of archive after an extended header (offset %llu)",
						(unsigned long long)t->off - 512);
				t->state = t->state == S_ZERO ? S_DONE : S_ZERO;
				break;
			}
			if (t->state == S_ZERO)
				return FAIL(t, e, -EINVAL, "tar: a header after a zero block (offset %llu)", (unsigned long long)t->off - 512);
			if ((ret = header(t, e)) || (!t->left && (ret = record_done(t, e))))
				return ret;
			break;
		case S_DATA:
		case S_META:
			k = t->left < n ? (size_t)t->left : n;
			if (t->state == S_META) {
				if (buf_put(&t->body, p, k))
					return FAIL(t, e, -ENOMEM, "tar: out of memory");
			} else if ((ret = t->ops->data(t->ctx, p, k, e))) {
				return ret;
			}
			t->left -= k, t->off += k, p += k, n -= k;
			if (!t->left && (ret = record_done(t, e)))
				return ret;
			break;
		case S_PAD:
			k = t->pad < n ? t->pad : n;
			t->pad -= k, t->off += k, p += k, n -= k;
			if (!t->pad)
				t->state = S_HDR;
			break;
		default: /* S_DONE: what follows the end marker is not read */
			t->off += n;
			return 0;
		}
	}
	return 0;
}

int tar_finish(struct tar *t, struct kerr *e)
{
	/* The input may end where a header would begin, or right after an entry's data with none of
	 * its padding (Go's archive/tar takes both as the end; umoci 0.4.7's `insert` writes layers
	 * that stop there). Some of the padding, or a pending pax/long-name record, is truncation. */
	if (((t->state == S_HDR && !t->hlen) || (t->state == S_PAD && t->off == t->pad_from)) && !t->have_meta)
		return 0;
	if (t->state == S_DONE || (t->state == S_ZERO && !t->hlen))
		return 0;
	return FAIL(t, e, -EINVAL, "tar: truncated archive (offset %llu)", (unsigned long long)t->off);
}
