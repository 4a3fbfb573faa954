/* tar_test.c — core/archive/tar: archives built header by header here (ustar, GNU, pax), each
 * forgery next to the good archive it was made from; every archive is also fed one byte at a
 * time and must give the same events. core/archive/layer: two layers (whiteout, opaque marker
 * after a sibling of its own layer) and the refusals (planted symlink, "..", hard link to a
 * lower layer, device node, a whiteout of the layer's own entry). */
#include "t.h"
#include "archive/layer.h"
#include "archive/tar.h"
#include "base/buf.h"
#include "base/err.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static void checksum(uint8_t *h)
{
	unsigned sum = 0;
	memset(h + 148, ' ', 8);
	for (int i = 0; i < 512; i++)
		sum += h[i];
	snprintf((char *)h + 148, 8, "%06o", sum);
}

/* A header: name, type, size, optional link; magic 0 ustar, 1 GNU, 2 v7. */
static void hdr(struct buf *b, const char *name, char type, unsigned long long size, const char *link, int magic)
{
	uint8_t h[512] = {0};
	memcpy(h, name, strlen(name) < 100 ? strlen(name) : 100);
	snprintf((char *)h + 100, 8, "%07o", 0644);
	snprintf((char *)h + 108, 8, "%07o", 1000);
	snprintf((char *)h + 116, 8, "%07o", 100);
	snprintf((char *)h + 124, 12, "%011llo", size & 077777777777ull);
	snprintf((char *)h + 136, 12, "%011o", 1700000000);
	h[156] = (uint8_t)type;
	if (link)
		memcpy(h + 157, link, strlen(link));
	if (magic == 0)
		memcpy(h + 257, "ustar\0" "00", 8);
	else if (magic == 1)
		memcpy(h + 257, "ustar  \0", 8);
	checksum(h);
	buf_put(b, h, 512);
}

static void body(struct buf *b, const void *p, size_t n)
{
	static const uint8_t zero[512];
	buf_put(b, p, n);
	buf_put(b, zero, (512 - n % 512) % 512);
}

static void pax(struct buf *b, const char *records)
{
	hdr(b, "PaxHeaders/x", 'x', strlen(records), NULL, 0);
	body(b, records, strlen(records));
}

static void end(struct buf *b)
{
	static const uint8_t zero[1024];
	buf_put(b, zero, 1024);
}

/* The events as text: "E type path -> link size mode uid gid [xattrs]", "D n", "X". */
struct log {
	struct buf b;
};

static int ev_entry(void *ctx, const struct tar_entry *t, struct kerr *e)
{
	struct log *l = ctx;
	(void)e;
	buf_printf(&l->b, "E %c %s -> %s %llu %o %llu %llu", t->type, t->path, t->link, (unsigned long long)t->size, t->mode,
		(unsigned long long)t->uid, (unsigned long long)t->gid);
	for (size_t i = 0; i < t->nxattrs; i++)
		buf_printf(&l->b, " %s=%.*s", t->xattrs[i].name, (int)t->xattrs[i].len, t->xattrs[i].value);
	buf_puts(&l->b, "\n");
	return 0;
}

static int ev_data(void *ctx, const uint8_t *p, size_t n, struct kerr *e)
{
	struct log *l = ctx;
	(void)e;
	return buf_put(&l->b, p, n);
}

static int ev_end(void *ctx, struct kerr *e)
{
	struct log *l = ctx;
	(void)e;
	return buf_puts(&l->b, "|X\n");
}

static const struct tar_ops ops = {ev_entry, ev_data, ev_end};

/* Feed the archive whole (step 0) or in steps of 1 byte; the log and the result. */
static int run(const struct buf *a, size_t step, struct log *l, struct kerr *e)
{
	struct tar *t;
	int ret = tar_new(&t, &ops, l);
	for (size_t i = 0; !ret && i < a->len; i += step ? step : a->len)
		ret = tar_feed(t, a->p + i, step && a->len - i > step ? step : a->len - i, e);
	if (!ret)
		ret = tar_finish(t, e);
	tar_free(t);
	return ret;
}

enum { GOOD, BADSUM, TRUNC, SPARSE, ZERO_THEN_HDR, TWO_PAX, BAD_PAX_LEN, BIG256, LONGNAME, PAX_ALL, V7DIR, AFTER_END,
	NO_END, PAX_DOTDOT_KEEP, LINK_NO_TARGET, PAX_LONG_PATH, GNU_LONG_LINK, NEG256, PAX_EMPTY, NO_PAD, PART_PAD,
	PAX_NO_PAD };

static void build(int kind, struct buf *b)
{
	buf_reset(b);
	switch (kind) {
	case GOOD:
	case BADSUM:
	case TRUNC:
	case AFTER_END:
	case NO_END:
		hdr(b, "dir/", '5', 0, NULL, 0);
		hdr(b, "dir/file", '0', 5, NULL, 0);
		body(b, "hello", 5);
		hdr(b, "dir/link", '2', 0, "file", 0);
		if (kind == BADSUM)
			b->p[512 + 10] ^= 1; /* the second header's name */
		if (kind == TRUNC)
			b->len -= 1020; /* inside the file's data */
		if (kind != NO_END && kind != TRUNC)
			end(b);
		if (kind == AFTER_END)
			buf_puts(b, "anything at all after the end marker");
		break;
	case SPARSE:
		hdr(b, "s", 'S', 0, NULL, 1);
		end(b);
		break;
	case ZERO_THEN_HDR: {
		static const uint8_t zero[512];
		buf_put(b, zero, 512);
		hdr(b, "f", '0', 0, NULL, 0);
		end(b);
		break;
	}
	case TWO_PAX:
		pax(b, "12 path=aaa\n");
		pax(b, "12 path=bbb\n");
		hdr(b, "f", '0', 0, NULL, 0);
		end(b);
		break;
	case BAD_PAX_LEN:
		pax(b, "99 path=aaa\n");
		hdr(b, "f", '0', 0, NULL, 0);
		end(b);
		break;
	case BIG256: /* GNU base-256 size of 3 */
		hdr(b, "f", '0', 0, NULL, 1);
		memset(b->p + 124, 0, 12);
		b->p[124] = 0x80;
		b->p[135] = 3;
		checksum(b->p);
		body(b, "abc", 3);
		end(b);
		break;
	case NEG256:
		build(BIG256, b);
		b->p[124] = 0xff;
		checksum(b->p);
		break;
	case LONGNAME: {
		char name[300];
		memset(name, 'n', 299);
		name[299] = 0;
		hdr(b, "././@LongLink", 'L', 300, NULL, 1);
		body(b, name, 300);
		hdr(b, "nnnn", '0', 0, NULL, 1);
		end(b);
		break;
	}
	case PAX_ALL:
		pax(b, "16 path=renamed\n13 size=0003\n12 uid=4242\n19 mtime=1.5000000\n25 SCHILY.xattr.user.k=v\n"
		       "22 linkpath=ignored-x\n18 comment=ignore\n");
		hdr(b, "short", '0', 99, NULL, 0);
		body(b, "xyz", 3);
		end(b);
		break;
	case V7DIR:
		hdr(b, "olddir/", '0', 0, NULL, 2);
		end(b);
		break;
	case PAX_DOTDOT_KEEP: /* the reader passes ".." through: the layer refuses it */
		pax(b, "18 path=../../etc\n");
		hdr(b, "x", '5', 0, NULL, 0);
		end(b);
		break;
	case LINK_NO_TARGET:
		hdr(b, "l", '2', 0, NULL, 0);
		end(b);
		break;
	case PAX_LONG_PATH: {
		char rec[5000];
		size_t n = 4096 + 6 + 6; /* "4108 path=" + 4096 bytes + "\n" */
		snprintf(rec, sizeof(rec), "%zu path=", n);
		memset(rec + strlen(rec), 'p', 4096);
		rec[n - 1] = '\n';
		rec[n] = 0;
		pax(b, rec);
		hdr(b, "x", '0', 0, NULL, 0);
		end(b);
		break;
	}
	case PAX_EMPTY: /* a pax record of size 0 (found by tests/fuzz/layer.c) */
		pax(b, "");
		hdr(b, "f", '0', 0, NULL, 0);
		end(b);
		break;
	case NO_PAD: /* umoci 0.4.7 insert: the input stops right after the last entry's data */
	case PART_PAD:
		hdr(b, "f", '0', 5, NULL, 0);
		buf_put(b, "hello", 5);
		if (kind == PART_PAD)
			buf_put(b, "\0\0\0", 3);
		break;
	case PAX_NO_PAD: /* a pax record whose entry never comes */
		hdr(b, "PaxHeaders/x", 'x', 16, NULL, 0);
		buf_put(b, "16 path=renamed\n", 16);
		break;
	case GNU_LONG_LINK:
		hdr(b, "././@LongLink", 'K', 7, NULL, 1);
		body(b, "target", 7);
		hdr(b, "sym", '2', 0, "short", 1);
		end(b);
		break;
	}
}

T_TEST(tar_archives)
{
	static const struct {
		const char *name;
		int kind, want;
		const char *log_or_msg;
	} cases[] = {
		{"ustar: dir, file, symlink", GOOD, 0,
			"E 5 dir/ ->  0 644 1000 100\n|X\nE 0 dir/file ->  5 644 1000 100\nhello|X\nE 2 dir/link -> file 0 644 1000 100\n|X\n"},
		{"a header checksum wrong", BADSUM, -EINVAL, "header checksum wrong (offset 512)"},
		{"truncated inside a file", TRUNC, -EINVAL, "truncated archive (offset 1028)"},
		{"bytes after the end marker are not read", AFTER_END, 0, NULL},
		{"no end marker, ends on an entry boundary", NO_END, 0, NULL},
		{"GNU sparse entry", SPARSE, -ENOTSUP, "entry type 'S' is not supported (offset 0)"},
		{"a header after one zero block", ZERO_THEN_HDR, -EINVAL, "a header after a zero block (offset 512)"},
		{"two pax records for one entry", TWO_PAX, -EINVAL, "two x records"},
		{"pax record length past the body", BAD_PAX_LEN, -EINVAL, "malformed pax record (offset 0)"},
		{"GNU base-256 size", BIG256, 0, "E 0 f ->  3 644 1000 100\nabc|X\n"},
		{"negative base-256 size", NEG256, -EINVAL, "a number out of range (size, mode, uid, gid, mtime, device) (offset 0)"},
		{"GNU long name", LONGNAME, 0, NULL},
		{"pax path, size, uid, mtime, xattr; linkpath on a file ignored", PAX_ALL, 0,
			"E 0 renamed ->  3 644 4242 100 user.k=v\nxyz|X\n"},
		{"v7 directory (a name ending in /)", V7DIR, 0, "E 5 olddir/ ->  0 644 1000 100\n|X\n"},
		{"pax path with .. is passed on as written", PAX_DOTDOT_KEEP, 0, "E 5 ../../etc ->  0 644 1000 100\n|X\n"},
		{"a symlink without a target", LINK_NO_TARGET, -EINVAL, "link without a target (offset 0)"},
		{"pax path of 4096 bytes", PAX_LONG_PATH, -EINVAL, "pax path too long"},
		{"GNU long link target", GNU_LONG_LINK, 0, "E 2 sym -> target 0 644 1000 100\n|X\n"},
		{"an empty pax record", PAX_EMPTY, 0, "E 0 f ->  0 644 1000 100\n|X\n"},
		{"the input ends right after the data (no padding, no end marker)", NO_PAD, 0,
			"E 0 f ->  5 644 1000 100\nhello|X\n"},
		{"the input ends inside the padding", PART_PAD, -EINVAL, "truncated archive (offset 520)"},
		{"the input ends after a pax record, before its entry", PAX_NO_PAD, -EINVAL, "truncated archive (offset 528)"},
	};
	struct buf a = BUF_INIT(1 << 20);
	for (size_t i = 0; i < T_LEN(cases); i++) {
		struct log l1 = {BUF_INIT(1 << 20)}, l2 = {BUF_INIT(1 << 20)};
		struct kerr e1 = {0}, e2 = {0};
		build(cases[i].kind, &a);
		int r1 = run(&a, 0, &l1, &e1), r2 = run(&a, 1, &l2, &e2);
		t_check(r1 == cases[i].want, "%s: got %d (%s)", cases[i].name, r1, e1.msg);
		t_check(r1 == r2 && l1.b.len == l2.b.len && (!l1.b.len || !memcmp(l1.b.p, l2.b.p, l1.b.len)) && !strcmp(e1.msg, e2.msg),
			"%s: byte by byte differs", cases[i].name);
		if (cases[i].log_or_msg && !r1)
			t_check(l1.b.len && !strcmp((char *)l1.b.p, cases[i].log_or_msg), "%s: log %s", cases[i].name,
				l1.b.p ? (char *)l1.b.p : "");
		else if (cases[i].log_or_msg)
			t_check(strstr(e1.msg, cases[i].log_or_msg) != NULL, "%s: message %s", cases[i].name, e1.msg);
		if (cases[i].kind == LONGNAME)
			t_check(!r1 && l1.b.len > 300 && strspn((char *)l1.b.p + 4, "n") == 299, "long name: %.40s", (char *)l1.b.p);
		buf_free(&l1.b);
		buf_free(&l2.b);
	}
	buf_free(&a);
}

/* ---- archive/layer: one layer applied to a directory ------------------------------------------ */

static int apply(int root, const struct buf *a, const struct layer_opts *o, struct kerr *e)
{
	struct layer_stats st = {0};
	struct layer *l;
	int ret = layer_new(&l, root, o, &st);
	if (!ret)
		ret = layer_feed(l, a->p, a->len, e);
	if (!ret)
		ret = layer_finish(l, e);
	layer_free(l);
	return ret;
}

static int exists(int root, const char *p)
{
	struct stat s;
	return !fstatat(root, p, &s, AT_SYMLINK_NOFOLLOW);
}

T_TEST(layer_semantics)
{
	char dir[512];
	struct layer_opts o = {.no_chown = 1};
	struct buf a = BUF_INIT(1 << 20);
	struct kerr e = {0};
	snprintf(dir, sizeof(dir), "%s/layer-root", t_tmpdir());
	mkdir(dir, 0755);
	char outside[600];
	snprintf(outside, sizeof(outside), "%s/outside", t_tmpdir());
	mkdir(outside, 0755);
	int root = open(dir, O_RDONLY | O_DIRECTORY);
	t_check(root >= 0, "open root");

	/* lower layer: files, a dir to make opaque, a file to white out */
	hdr(&a, "keep", '0', 1, NULL, 0);
	body(&a, "k", 1);
	hdr(&a, "gone", '0', 1, NULL, 0);
	body(&a, "g", 1);
	hdr(&a, "op/lower", '0', 0, NULL, 0);
	end(&a);
	t_check(!apply(root, &a, &o, &e) && exists(root, "op/lower") && exists(root, "gone"), "lower layer: %s", e.msg);

	/* upper: a sibling before the opaque marker survives it; the whiteout removes "gone" */
	buf_reset(&a);
	hdr(&a, "op/mine", '0', 0, NULL, 0);
	hdr(&a, "op/.wh..wh..opq", '0', 0, NULL, 0);
	hdr(&a, ".wh.gone", '0', 0, NULL, 0);
	end(&a);
	t_check(!apply(root, &a, &o, &e), "upper layer: %s", e.msg);
	t_check(exists(root, "op/mine") && !exists(root, "op/lower") && !exists(root, "gone") && exists(root, "keep"),
		"opaque and whiteout applied");

	static const struct {
		const char *name;
		int want;
		const char *msg;
	} bad[] = {
		{"a symlink planted, then written through", -EINVAL, "esc is a symbolic link"},
		{"a .. component", -EINVAL, "would leave the root"},
		{"a hard link to a lower layer", -EINVAL, "hard link to an entry this layer did not make"},
		{"a device node (refused by default)", -ENOTSUP, "device node refused by policy"},
		{"a whiteout of its own entry", -EINVAL, "a whiteout of an entry of the same layer"},
	};
	for (size_t i = 0; i < T_LEN(bad); i++) {
		buf_reset(&a);
		switch (i) {
		case 0:
			hdr(&a, "esc", '2', 0, outside, 0);
			hdr(&a, "esc/pwned", '0', 0, NULL, 0);
			break;
		case 1:
			hdr(&a, "a/../../x", '0', 0, NULL, 0);
			break;
		case 2:
			hdr(&a, "hl", '1', 0, "keep", 0);
			break;
		case 3:
			hdr(&a, "null", '3', 0, NULL, 0);
			break;
		case 4:
			hdr(&a, "new", '0', 0, NULL, 0);
			hdr(&a, ".wh.new", '0', 0, NULL, 0);
			break;
		}
		end(&a);
		memset(&e, 0, sizeof(e));
		int r = apply(root, &a, &o, &e);
		t_check(r == bad[i].want && strstr(e.msg, bad[i].msg) && strstr(e.msg, "(tar offset "), "%s: %d %s", bad[i].name, r, e.msg);
	}
	struct stat s;
	t_check(fstatat(AT_FDCWD, outside, &s, 0) == 0 && !exists(AT_FDCWD, "pwned"), "outside");
	char pw[700];
	snprintf(pw, sizeof(pw), "%s/pwned", outside);
	t_check(access(pw, F_OK) != 0, "nothing written through the planted symlink");
	close(root);
	buf_free(&a);
}
