/* update_test.c — core/update: the release custom fields (a good object next to forgeries that
 * each differ in one point), chunk_frame (valid frames that libzstd's decoder reads back), the
 * state file (good texts and one forgery per rule, format/parse round trips), and install_slot
 * from memory (a flipped chunk named before its bytes reach the slot, resume, restart at 0). */
#include "t.h"
#include "archive/zstd_read.h"
#include "base/buf.h"
#include "base/err.h"
#include "base/json.h"
#include "trust/hash.h"
#include "update/install.h"
#include "update/release.h"
#include "update/state.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define H64 "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
#define H128 H64 H64

/* a release of 2 chunks of 65536 bytes each (image 131072), target length 300 */
#define GOOD_CHUNKS "[[0,100,\"" H64 "\",65536],[100,200,\"" H64 "\",65536]]"
#define REL(fields) "{\"keel-release\":{" fields "}}"
#define F_FORMAT "\"format\":1"
#define F_VERSION "\"version\":\"2.0.1\""
#define F_UKI "\"uki\":\"keel-2.0.1.efi\""
#define F_IMAGE "\"image\":{\"size\":131072,\"sha512\":\"" H128 "\"}"
#define F_ROOT "\"verity-root\":\"" H64 "\""
#define F_CHUNKS "\"chunks\":" GOOD_CHUNKS
#define ALL(a, b, c, d, e, f) REL(a "," b "," c "," d "," e "," f)

static int parse(const char *text, uint64_t len, struct release *r, struct kerr *e)
{
	struct json_doc d = {0};
	int ret = json_parse(&d, text, strlen(text), NULL, e);
	if (!ret)
		ret = release_parse(d.root, len, r, e);
	json_free(&d);
	return ret;
}

T_TEST(release_fields)
{
	static const struct {
		const char *in;
		int want;
		const char *needle;
	} cases[] = {
		{ALL(F_FORMAT, F_VERSION, F_UKI, F_IMAGE, F_ROOT, F_CHUNKS), 0, NULL},
		{REL(F_FORMAT "," F_VERSION "," F_UKI "," F_IMAGE ",\"verity-root\":\"" H128 "\"," F_CHUNKS), 0, NULL},
		{"{\"other\":1}", -ENOENT, NULL},
		{"{\"keel-release\":[]}", -EINVAL, "not an object"},
		{ALL("\"format\":2", F_VERSION, F_UKI, F_IMAGE, F_ROOT, F_CHUNKS), -EINVAL, "format"},
		{ALL(F_FORMAT, "\"version\":\"2.0.1-rc1\"", F_UKI, F_IMAGE, F_ROOT, F_CHUNKS), -EINVAL, "version"},
		{ALL(F_FORMAT, "\"version\":2", F_UKI, F_IMAGE, F_ROOT, F_CHUNKS), -EINVAL, "version"},
		{ALL(F_FORMAT, F_VERSION, "\"uki\":\"../x.efi\"", F_IMAGE, F_ROOT, F_CHUNKS), -EINVAL, "uki"},
		{ALL(F_FORMAT, F_VERSION, F_UKI, "\"image\":{\"size\":131073,\"sha512\":\"" H128 "\"}", F_ROOT, F_CHUNKS), -EINVAL, "size"},
		{ALL(F_FORMAT, F_VERSION, F_UKI, "\"image\":{\"size\":131072,\"sha512\":\"" H64 "\"}", F_ROOT, F_CHUNKS), -EINVAL, "sha512"},
		{ALL(F_FORMAT, F_VERSION, F_UKI, "\"image\":{\"size\":131072,\"sha512\":\"" H128 "\",\"x\":1}", F_ROOT, F_CHUNKS), -EINVAL, "image"},
		{ALL(F_FORMAT, F_VERSION, F_UKI, F_IMAGE, "\"verity-root\":\"" H64 "A\"", F_CHUNKS), -EINVAL, "verity-root"},
		{ALL(F_FORMAT, F_VERSION, F_UKI, F_IMAGE, "\"verity-root\":\"AAAA" H64 "\"", F_CHUNKS), -EINVAL, "verity-root"},
		{ALL(F_FORMAT, F_VERSION, F_UKI, F_IMAGE, F_ROOT, "\"chunks\":[]"), -EINVAL, "chunks"},
		{ALL(F_FORMAT, F_VERSION, F_UKI, F_IMAGE, F_ROOT, "\"chunks\":[[0,100,\"" H64 "\",65536],[101,199,\"" H64 "\",65536]]"), -EINVAL, "chunks[1] offset"},
		{ALL(F_FORMAT, F_VERSION, F_UKI, F_IMAGE, F_ROOT, "\"chunks\":[[0,100,\"" H64 "\",65536],[100,200,\"" H64 "\",65537]]"), -EINVAL, "uncompressed"},
		{ALL(F_FORMAT, F_VERSION, F_UKI, F_IMAGE, F_ROOT, "\"chunks\":[[0,100,\"" H64 "\",65536],[100,200,\"" H64 "\"]]"), -EINVAL, "chunks[1]"},
		{ALL(F_FORMAT, F_VERSION, F_UKI, F_IMAGE, F_ROOT, "\"chunks\":[[0,0,\"" H64 "\",65536],[0,300,\"" H64 "\",65536]]"), -EINVAL, "chunks[0]"},
		{ALL(F_FORMAT, F_VERSION, F_UKI, F_IMAGE, F_ROOT, "\"chunks\":[[0,100,\"" H64 "\",4194304],[100,200,\"" H64 "\",65536]]"), -EINVAL, "chunks[0]"},
		{ALL(F_FORMAT, F_VERSION, F_UKI, F_IMAGE, F_ROOT, "\"chunks\":[[0,100,\"" H64 "\",65536.0],[100,200,\"" H64 "\",65536]]"), -EINVAL, "chunks[0]"},
		{REL(F_FORMAT "," F_VERSION "," F_UKI "," F_IMAGE "," F_ROOT "," F_CHUNKS ",\"extra\":1"), -EINVAL, "unknown field"},
		{REL(F_FORMAT "," F_VERSION "," F_UKI "," F_IMAGE "," F_ROOT), -EINVAL, "chunks"},
	};
	for (size_t i = 0; i < T_LEN(cases); i++) {
		struct release r;
		struct kerr e = {0};
		int ret = parse(cases[i].in, 300, &r, &e);
		t_check(ret == cases[i].want, "case %zu: %d, want %d (%s)", i, ret, cases[i].want, e.msg);
		if (cases[i].needle)
			t_check(strstr(e.msg, cases[i].needle) != NULL, "case %zu: '%s' lacks '%s'", i, e.msg, cases[i].needle);
		if (!ret)
			t_check(r.nchunks == 2 && r.image_size == 131072 && r.clen_max == 200 && !strcmp(r.version, "2.0.1"),
				"case %zu: fields", i);
	}
	/* the chunk lengths must add up to the target's signed length */
	struct release r;
	struct kerr e = {0};
	t_check(parse(ALL(F_FORMAT, F_VERSION, F_UKI, F_IMAGE, F_ROOT, F_CHUNKS), 301, &r, &e) == -EINVAL &&
		strstr(e.msg, "target length 301"), "target length: %s", e.msg);
}

static int to_buf(void *ctx, const uint8_t *p, size_t n, struct kerr *e)
{
	(void)e;
	return buf_put(ctx, p, n);
}

T_TEST(chunk_frames)
{
	static const size_t sizes[] = {0, 1, 131071, 131072, 131073, 1 << 20, RELEASE_CHUNK_MAX};
	uint8_t *in = malloc(RELEASE_CHUNK_MAX), *out = malloc(RELEASE_FRAME_BOUND(RELEASE_CHUNK_MAX));
	for (size_t i = 0; i < RELEASE_CHUNK_MAX; i++)
		in[i] = (uint8_t)(i * 7 + (i >> 9));
	for (size_t i = 0; i < T_LEN(sizes); i++) {
		struct buf b = BUF_INIT(RELEASE_CHUNK_MAX + 1);
		struct kerr e = {0};
		size_t n = 0;
		t_check(!chunk_frame(in, sizes[i], out, RELEASE_FRAME_BOUND(sizes[i]), &n), "size %zu: compressed", sizes[i]);
		t_check(n <= RELEASE_FRAME_BOUND(sizes[i]) && n <= sizes[i] + RELEASE_FRAME_SLACK, "size %zu: frame %zu", sizes[i], n);
		int ret = zstd_read_mem_sink(out, n, to_buf, &b, sizes[i], RELEASE_WINDOW_LOG, &e);
		t_check(!ret && b.len == sizes[i] && (!b.len || !memcmp(b.p, in, b.len)), "size %zu: decodes: %d %s", sizes[i], ret, e.msg);
		/* the frame ends where it says: one byte fewer is truncated */
		if (n > 9) {
			b.len = 0;
			t_check(zstd_read_mem_sink(out, n - 1, to_buf, &b, sizes[i], RELEASE_WINDOW_LOG, &e) == -EINVAL,
				"size %zu: truncated frame refused", sizes[i]);
		}
		buf_free(&b);
	}
	/* keel's compressor, not stored blocks: a compressible chunk shrinks; too small an output
	 * buffer is an error, never a cut frame */
	memset(in, 'k', 1 << 20);
	size_t zn = 0;
	t_check(!chunk_frame(in, 1 << 20, out, RELEASE_FRAME_BOUND(1 << 20), &zn) && zn < 4096, "1 MiB of 'k': %zu bytes", zn);
	t_check(chunk_frame(in, 1 << 20, out, zn - 1, &zn) == -ENOSPC, "a buffer one byte short: -ENOSPC");
	t_check(chunk_frame(in, RELEASE_CHUNK_MAX + 1, out, RELEASE_FRAME_BOUND(RELEASE_CHUNK_MAX), &zn) == -EINVAL,
		"more than a chunk refused");
	free(in);
	free(out);
}

#define SHA "00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff"

T_TEST(state_file)
{
	static const struct {
		const char *in;
		int ok;
	} cases[] = {
		{"keel-update-state 1\n", 1},
		{"keel-update-state 1\npending 2.0.0 " SHA " USR-B\nlast installed 2.0.0 1700000000 installed, waiting\n"
			"progress " SHA " USR-B 12\nfailed 3.0.0 " SHA " health: unit x failed\nfailed 3.1.0 " SHA " deadline\n", 1},
		{"", 0},
		{"keel-update-state 2\n", 0},
		{"keel-update-state 1", 0},                                  /* no newline */
		{"keel-update-state 1\r\n", 0},
		{"keel-update-state 1\n\n", 0},                              /* empty line */
		{"keel-update-state 1\npending 2.0.0 " SHA " USR-C\n", 0},
		{"keel-update-state 1\npending 2.0.0-rc1 " SHA " USR-B\n", 0},
		{"keel-update-state 1\npending 2.0.0 " SHA "0 USR-B\n", 0},
		{"keel-update-state 1\npending 2.0.0  " SHA " USR-B\n", 0}, /* two spaces */
		{"keel-update-state 1\npending 2.0.0 " SHA " USR-B\npending 2.0.0 " SHA " USR-B\n", 0},
		{"keel-update-state 1\nlast good 2.0.0 1 ok\npending 2.0.0 " SHA " USR-B\n", 0}, /* order */
		{"keel-update-state 1\nlast fine 2.0.0 1 ok\n", 0},
		{"keel-update-state 1\nlast good 2.0.0 x ok\n", 0},
		{"keel-update-state 1\nlast good 2.0.0 0 ok\n", 1},
		{"keel-update-state 1\nlast good 2.0.0 00 ok\n", 0},       /* fuzz: formats back as 0 */
		{"keel-update-state 1\nlast good 2.0.0 +1 ok\n", 0},
		{"keel-update-state 1\nlast good 2.0.0 01700000000 ok\n", 0},
		{"keel-update-state 1\nprogress " SHA " USR-B 012\n", 0},
		{"keel-update-state 1\nlast good 2.0.0 1\n", 0},            /* no reason */
		{"keel-update-state 1\nlast good 2.0.0 1 ok \n", 0},        /* trailing space */
		{"keel-update-state 1\nlast good 2.0.0 1 \x01\n", 0},
		{"keel-update-state 1\nlast good 2.0.0 1 caf\xc3\xa9\n", 0},
		{"keel-update-state 1\nprogress " SHA " USR-B 2000000\n", 0},
		{"keel-update-state 1\nfailed 3.0.0 " SHA "\n", 0},
		{"keel-update-state 1\nwhat 1\n", 0},
		{"pending 2.0.0 " SHA " USR-B\n", 0},
	};
	for (size_t i = 0; i < T_LEN(cases); i++) {
		struct ustate s;
		struct kerr e = {0};
		int ret = state_parse(cases[i].in, strlen(cases[i].in), &s, &e);
		t_check((ret == 0) == cases[i].ok, "case %zu: %d (%s)", i, ret, e.msg);
		if (!ret) { /* round trip: formatting gives the same text */
			struct buf b = BUF_INIT(STATE_MAX);
			t_check(!state_format(&s, &b) && b.len == strlen(cases[i].in) && !memcmp(b.p, cases[i].in, b.len),
				"case %zu: round trip", i);
			buf_free(&b);
		}
	}
	/* more than STATE_MAX_FAILED failures: the oldest is forgotten; save and load agree */
	struct ustate s = {0}, t;
	uint8_t sha[64] = {0};
	char v[16];
	struct kerr e = {0};
	for (int i = 0; i < STATE_MAX_FAILED + 3; i++) {
		sha[0] = (uint8_t)i;
		snprintf(v, sizeof(v), "1.%d", i);
		state_failed_add(&s, v, sha, "bad");
	}
	state_failed_add(&s, "9.9", sha, "again"); /* the same image once */
	t_check(s.nfailed == STATE_MAX_FAILED && !strcmp(s.failed[0].version, "1.3"), "failed kept: %u %s", s.nfailed,
		s.failed[0].version);
	int dfd = open(t_tmpdir(), O_RDONLY | O_DIRECTORY);
	t_check(!state_save(dfd, "update.state", &s, &e) && !state_load(dfd, "update.state", &t, &e) && t.nfailed == s.nfailed &&
		state_failed_find(&t, sha) == STATE_MAX_FAILED - 1, "save/load: %s", e.msg);
	t_check(!state_load(dfd, "none", &t, &e) && t.nfailed == 0 && !t.has_pending, "missing file: empty state");
	str_copy(s.last_reason, sizeof(s.last_reason), "new\nline");
	s.last = RES_GOOD;
	str_copy(s.last_version, sizeof(s.last_version), "1.0");
	t_check(state_save(dfd, "update.state", &s, &e) == -EINVAL, "a reason with a newline is never written");
	close(dfd);
}

/* ---- install_slot from memory ---- */

struct mem_src {
	const uint8_t *p;
	size_t n;
	size_t cut;      /* the first get stops after this absolute offset (0: no cut) */
	int from_zero;   /* answer every get from byte 0 (restart) */
	unsigned gets;
	uint64_t starts[8];
};

static int mem_get(void *ctx, uint64_t start, install_sink_fn sink, int (*restart)(void *), void *sctx, struct kerr *e)
{
	struct mem_src *m = ctx;
	size_t end = m->n;
	int ret;
	if (m->gets < 8)
		m->starts[m->gets] = start;
	if (m->gets++ == 0 && m->cut)
		end = m->cut;
	if (m->from_zero && start) {
		restart(sctx);
		start = 0;
	}
	for (size_t off = start; off < end;) {
		size_t k = end - off < 4000 ? end - off : 4000;
		if ((ret = sink(sctx, m->p + off, k)))
			return ret;
		off += k;
	}
	return end < m->n ? kerr_set(e, -ECONNRESET, "cut") : 0;
}

T_TEST(install_chunks)
{
	enum { N = 4, CH = 65536 };
	uint8_t *img = malloc(N * CH), *z = malloc(N * RELEASE_FRAME_BOUND(CH)), d[64];
	char text[4096], hex[129], *p = text;
	size_t off = 0, offs[N + 1];
	uint32_t x = 2463534242u; /* incompressible (xorshift): the frames are stored blocks, the offsets below hold */
	for (size_t i = 0; i < N * CH; i++) {
		x ^= x << 13, x ^= x >> 17, x ^= x << 5;
		img[i] = (uint8_t)(x >> 24);
	}
	hash_once(HASH_SHA512, img, N * CH, d);
	hex_encode(hex, d, 64);
	p += sprintf(p, "{\"keel-release\":{\"format\":1,\"version\":\"1.0\",\"uki\":\"u.efi\",\"image\":{\"size\":%d,\"sha512\":\"%s\"},"
		"\"verity-root\":\"" H64 "\",\"chunks\":[", N * CH, hex);
	for (int i = 0; i < N; i++) {
		size_t f = 0;
		t_check(!chunk_frame(img + i * CH, CH, z + off, RELEASE_FRAME_BOUND(CH), &f), "chunk %d compressed", i);
		uint8_t h[32];
		char hh[65];
		hash_once(HASH_SHA256, z + off, f, h);
		hex_encode(hh, h, 32);
		p += sprintf(p, "%s[%zu,%zu,\"%s\",%d]", i ? "," : "", off, f, hh, CH);
		offs[i] = off;
		off += f;
	}
	offs[N] = off;
	sprintf(p, "]}}");
	struct release r;
	struct kerr e = {0};
	struct json_doc doc = {0};
	t_check(!json_parse(&doc, text, strlen(text), NULL, &e) && !release_parse(doc.root, off, &r, &e), "parse: %s", e.msg);
	static const struct {
		size_t cut, flip; /* flip: 1 + offset of a flipped byte */
		int from_zero, retries, want;
		size_t done;
		unsigned gets;
	} cases[] = {
		{0, 0, 0, 0, 0, N, 1},
		{1, 0, 0, 0, -ECONNRESET, 0, 1},    /* cut inside chunk 0, no retry */
		{150000, 0, 0, 0, -ECONNRESET, 2, 1}, /* cut in chunk 2: 2 verified */
		{150000, 0, 0, 1, 0, N, 2},           /* one retry: from chunk 2 */
		{150000, 0, 1, 1, 0, N, 2},           /* the retry answered from 0: skipped to chunk 2 */
		{0, 70000, 0, 3, -EBADMSG, 1, 1},     /* a flipped byte in chunk 1: never retried */
	};
	for (size_t i = 0; i < T_LEN(cases); i++) {
		uint8_t *copy = malloc(off);
		memcpy(copy, z, off);
		if (cases[i].flip)
			copy[cases[i].flip - 1] ^= 0x40;
		struct mem_src m = {copy, off, cases[i].cut, cases[i].from_zero, 0, {0}};
		char path[64];
		snprintf(path, sizeof(path), "slot%zu", i);
		int fd = open(t_write(path, "", 0), O_RDWR);
		struct install in = {.r = &r, .src = {mem_get, &m}, .slotfd = fd, .retries = (unsigned)cases[i].retries, .checkpoint = 1};
		e = (struct kerr){0};
		int ret = install_slot(&in, &e);
		t_check(ret == cases[i].want && in.done == cases[i].done && m.gets == cases[i].gets, "case %zu: %d done %zu gets %u (%s)",
			i, ret, in.done, m.gets, e.msg);
		if (cases[i].gets == 2)
			t_check(m.starts[1] == offs[2], "case %zu: resumed at %llu, chunk 2 is at %zu", i, (unsigned long long)m.starts[1], offs[2]);
		if (cases[i].flip)
			t_check(strstr(e.msg, "chunk 1 (offset") != NULL, "case %zu: names chunk 1: %s", i, e.msg);
		/* what is on the slot is exactly the verified chunks */
		off_t end = lseek(fd, 0, SEEK_END);
		uint8_t *got = malloc(N * CH);
		t_check(end == (off_t)(in.done * CH) && pread(fd, got, (size_t)end, 0) == end && !memcmp(got, img, (size_t)end),
			"case %zu: slot holds %lld bytes, %zu verified chunks", i, (long long)end, in.done);
		/* and a second run resumes from there */
		if (ret == -ECONNRESET) {
			struct mem_src m2 = {z, off, 0, 0, 0, {0}};
			struct install in2 = {.r = &r, .src = {mem_get, &m2}, .slotfd = fd, .first = in.done};
			t_check(!install_slot(&in2, &e) && m2.starts[0] == offs[in.done], "case %zu: next run resumes: %s", i, e.msg);
		}
		free(got);
		free(copy);
		close(fd);
	}
	json_free(&doc);
	free(img);
	free(z);
}
