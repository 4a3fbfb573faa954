/* zstd_write.c — streaming zstd frame writer (zstd_write.h), after RFC 8878.
 *
 * Block: Literals_Section (Raw, RLE, or Compressed with a direct-representation Huffman tree,
 * one stream up to 1023 literals, else four) then Sequences_Section with all three symbol
 * types in Predefined_Mode. The FSE encoder is the classic one (zstd's FSE_buildCTable /
 * FSE_encodeSymbol): the state table is spread from the predefined normalized counts exactly as
 * the decoder spreads it, and sequences are written last to first so the decoder reads them
 * first to last.
 */
#include "archive/zstd_write.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#define MINMATCH 4
#define HLOG 16
#define BLOCK_MAX (128u << 10)
#define HUF_MAXBITS 11

/* ---- XXH64 ------------------------------------------------------------------------------ */
#define P1 0x9E3779B185EBCA87ull
#define P2 0xC2B2AE3D27D4EB4Full
#define P3 0x165667B19E3779F9ull
#define P4 0x85EBCA77C2B2AE63ull
#define P5 0x27D4EB2F165667C5ull

static uint64_t rotl(uint64_t v, int r) { return v << r | v >> (64 - r); }
static uint64_t rd64(const uint8_t *p) { uint64_t v; memcpy(&v, p, 8); return v; }
static uint32_t rd32(const uint8_t *p) { uint32_t v; memcpy(&v, p, 4); return v; }
static uint64_t xround(uint64_t acc, uint64_t in) { return rotl(acc + in * P2, 31) * P1; }

static void xxh_reset(struct zstdw *z)
{
	z->xxh[0] = P1 + P2;
	z->xxh[1] = P2;
	z->xxh[2] = 0;
	z->xxh[3] = -P1;
	z->xxh_len = 0;
}

static void xxh_update(struct zstdw *z, const uint8_t *p, size_t n)
{
	while (n) {
		size_t fill = z->xxh_len % 32, k = 32 - fill < n ? 32 - fill : n;
		memcpy(z->xxh_buf + fill, p, k);
		z->xxh_len += k;
		p += k;
		n -= k;
		if (fill + k == 32)
			for (int i = 0; i < 4; i++)
				z->xxh[i] = xround(z->xxh[i], rd64(z->xxh_buf + 8 * i));
	}
}

static uint64_t xxh_digest(const struct zstdw *z)
{
	uint64_t h = z->xxh_len >= 32 ? rotl(z->xxh[0], 1) + rotl(z->xxh[1], 7) + rotl(z->xxh[2], 12) + rotl(z->xxh[3], 18)
	                              : z->xxh[2] + P5;
	if (z->xxh_len >= 32)
		for (int i = 0; i < 4; i++)
			h = (h ^ xround(0, z->xxh[i])) * P1 + P4;
	h += z->xxh_len;
	const uint8_t *p = z->xxh_buf;
	size_t n = z->xxh_len % 32;
	for (; n >= 8; n -= 8, p += 8)
		h = rotl(h ^ xround(0, rd64(p)), 27) * P1 + P4;
	if (n >= 4) {
		h = rotl(h ^ (uint64_t)rd32(p) * P1, 23) * P2 + P3;
		n -= 4;
		p += 4;
	}
	for (; n; n--)
		h = rotl(h ^ *p++ * P5, 11) * P1;
	h = (h ^ h >> 33) * P2;
	h = (h ^ h >> 29) * P3;
	return h ^ h >> 32;
}

uint64_t zstdw_xxh64(const void *p, size_t n)
{
	struct zstdw z;
	xxh_reset(&z);
	xxh_update(&z, p, n);
	return xxh_digest(&z);
}

/* ---- bit writer (forward; the decoder reads it backward) -------------------------------- */
struct bw {
	uint8_t *p, *end;
	uint64_t acc;
	unsigned n;
	int over;
};

static void bw_add(struct bw *b, uint64_t v, unsigned nb)
{
	b->acc |= (v & ((1ull << nb) - 1)) << b->n;
	b->n += nb;
	for (; b->n >= 8; b->n -= 8, b->acc >>= 8) {
		if (b->p >= b->end)
			b->over = 1;
		else
			*b->p++ = (uint8_t)b->acc;
	}
}

static void bw_close(struct bw *b)
{
	bw_add(b, 1, 1);
	if (b->n)
		bw_add(b, 0, 8 - b->n);
}

static unsigned highbit(uint32_t v) { return 31 - (unsigned)__builtin_clz(v); }

/* ---- FSE, predefined distributions (RFC 8878 3.1.1.3.2.2) -------------------------------- */
static const int8_t ll_norm[36] = {4, 3, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 1, 1, 1, 2, 2,
                                   2, 2, 2, 2, 2, 2, 2, 3, 2, 1, 1, 1, 1, 1, -1, -1, -1, -1};
static const int8_t ml_norm[53] = {1, 4, 3, 2, 2, 2, 2, 2, 2, 1, 1, 1, 1, 1, 1, 1, 1, 1,
                                   1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
                                   1, 1, 1, 1, 1, 1, 1, 1, 1, 1, -1, -1, -1, -1, -1, -1, -1};
static const int8_t of_norm[29] = {1, 1, 1, 1, 1, 1, 2, 2, 2, 1, 1, 1, 1, 1, 1,
                                   1, 1, 1, 1, 1, 1, 1, 1, 1, -1, -1, -1, -1, -1};
/* Extra bits of the literal-length codes from 16 and match-length codes from 32; each code's
 * baseline is the previous one's plus 1 << its bits. */
static const uint8_t ll_bits[20] = {1, 1, 1, 1, 2, 2, 3, 3, 4, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16};
static const uint8_t ml_bits[21] = {1, 1, 1, 1, 2, 2, 3, 3, 4, 4, 5, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16};

struct fse {
	uint16_t st[64];
	struct {
		int32_t dfs;
		uint32_t dnb;
	} tt[53];
	unsigned log;
};

static struct fse fse_ll, fse_ml, fse_of;

static void fse_build(struct fse *f, const int8_t *norm, unsigned nsym, unsigned log)
{
	unsigned size = 1u << log, high = size - 1, step = (size >> 1) + (size >> 3) + 3, pos = 0, total = 0;
	uint8_t sym[64];
	unsigned cum[54];
	cum[0] = 0;
	for (unsigned s = 0; s < nsym; s++) {
		cum[s + 1] = cum[s] + (norm[s] < 0 ? 1 : (unsigned)norm[s]);
		if (norm[s] < 0)
			sym[high--] = (uint8_t)s;
	}
	for (unsigned s = 0; s < nsym; s++)
		for (int i = 0; i < norm[s]; i++) {
			sym[pos] = (uint8_t)s;
			do
				pos = (pos + step) & (size - 1);
			while (pos > high);
		}
	for (unsigned u = 0; u < size; u++)
		f->st[cum[sym[u]]++] = (uint16_t)(size + u);
	for (unsigned s = 0; s < nsym; s++) {
		int n = norm[s];
		if (n == -1 || n == 1) {
			f->tt[s].dnb = (log << 16) - size;
			f->tt[s].dfs = (int32_t)total - 1;
			total++;
		} else {
			unsigned mbo = log - highbit((uint32_t)n - 1);
			f->tt[s].dnb = (mbo << 16) - ((unsigned)n << mbo);
			f->tt[s].dfs = (int32_t)total - n;
			total += (unsigned)n;
		}
	}
	f->log = log;
}

static uint32_t fse_first(const struct fse *f, unsigned s)
{
	uint32_t nb = (f->tt[s].dnb + (1u << 15)) >> 16, v = (nb << 16) - f->tt[s].dnb;
	return f->st[(v >> nb) + f->tt[s].dfs];
}

static void fse_enc(struct bw *b, const struct fse *f, uint32_t *state, unsigned s)
{
	uint32_t nb = (*state + f->tt[s].dnb) >> 16;
	bw_add(b, *state, nb);
	*state = f->st[(*state >> nb) + f->tt[s].dfs];
}

/* Code of value v whose codes below `first` are v itself; bits[] as above. */
static unsigned code_of(uint32_t v, unsigned first, const uint8_t *bits, uint32_t *extra, unsigned *nb)
{
	if (v < first) {
		*extra = 0, *nb = 0;
		return v;
	}
	unsigned c = 0;
	uint32_t base = first;
	while (v >= base + (1u << bits[c]))
		base += 1u << bits[c++];
	*extra = v - base, *nb = bits[c];
	return first + c;
}

/* ---- Huffman literals (direct weights: every literal < 128) ------------------------------ */
/* Code lengths for cnt[0..nsym), at most HUF_MAXBITS; returns the longest. */
static unsigned huf_lengths(const uint32_t *cnt, unsigned nsym, uint8_t *len)
{
	uint32_t f[256];
	int16_t parent[256];
	for (unsigned shift = 0;; shift++) {
		unsigned n = 0, maxl = 0;
		for (unsigned s = 0; s < nsym; s++)
			f[s] = cnt[s] ? (cnt[s] >> shift) | 1 : 0;
		for (unsigned s = 0; s < nsym; s++)
			parent[s] = -1, n += cnt[s] != 0;
		unsigned nodes = nsym;
		for (; n > 1; n--) {
			int a = -1, b = -1;
			for (unsigned i = 0; i < nodes; i++) {
				if (!f[i] || parent[i] >= 0)
					continue;
				if (a < 0 || f[i] < f[a])
					b = a, a = (int)i;
				else if (b < 0 || f[i] < f[b])
					b = (int)i;
			}
			f[nodes] = f[a] + f[b];
			parent[nodes] = -1;
			parent[a] = parent[b] = (int16_t)nodes++;
		}
		for (unsigned s = 0; s < nsym; s++) {
			len[s] = 0;
			if (cnt[s])
				for (int i = parent[s]; i >= 0; i = parent[i])
					len[s]++;
			if (len[s] > maxl)
				maxl = len[s];
		}
		if (maxl <= HUF_MAXBITS)
			return maxl;
	}
}

/* Compressed literals into o (header included); 0 when not possible or not smaller than cap. */
static size_t huf_literals(const uint8_t *lit, size_t n, uint8_t *o, size_t cap)
{
	uint32_t cnt[128] = {0};
	uint8_t len[128];
	uint16_t code[128];
	unsigned nsym = 0, distinct = 0;
	if (n < 64 || n > BLOCK_MAX)
		return 0;
	for (size_t i = 0; i < n; i++) {
		if (lit[i] >= 128)
			return 0;
		distinct += !cnt[lit[i]]++;
		if (lit[i] >= nsym)
			nsym = lit[i] + 1u;
	}
	if (distinct < 2)
		return 0;
	unsigned maxb = huf_lengths(cnt, nsym, len), pos = 0;
	for (unsigned w = 1; w <= maxb; w++)
		for (unsigned s = 0; s < nsym; s++)
			if (len[s] && maxb + 1 - len[s] == w) {
				code[s] = (uint16_t)(pos >> (w - 1));
				pos += 1u << (w - 1);
			}
	int four = n > 1023;
	size_t hl = four ? (n < 16384 ? 4 : 5) : 3, tree = 1 + (nsym) / 2, at = hl + tree + (four ? 6 : 0);
	if (at >= cap)
		return 0;
	o[hl] = (uint8_t)(127 + nsym - 1);
	memset(o + hl + 1, 0, tree - 1);
	for (unsigned s = 0; s + 1 < nsym; s++)
		o[hl + 1 + s / 2] |= (uint8_t)((len[s] ? maxb + 1 - len[s] : 0) << (s & 1 ? 0 : 4));
	size_t seg = four ? (n + 3) / 4 : n;
	for (int k = 0; k < (four ? 4 : 1); k++) {
		size_t from = (size_t)k * seg, to = k == 3 || !four ? n : from + seg;
		struct bw b = {o + at, o + cap, 0, 0, 0};
		for (size_t i = to; i-- > from;)
			bw_add(&b, code[lit[i]], len[lit[i]]);
		bw_close(&b);
		size_t sz = (size_t)(b.p - (o + at));
		if (b.over || (four && k < 3 && sz > 0xFFFF))
			return 0;
		if (four && k < 3) {
			o[hl + tree + 2 * k] = (uint8_t)sz;
			o[hl + tree + 2 * k + 1] = (uint8_t)(sz >> 8);
		}
		at += sz;
	}
	uint64_t comp = at - hl, h = 2 | (uint64_t)(four ? (hl == 4 ? 2 : 3) : 0) << 2;
	unsigned w = hl == 3 ? 10 : hl == 4 ? 14 : 18;
	h |= (uint64_t)n << 4 | comp << (4 + w);
	for (size_t i = 0; i < hl; i++)
		o[i] = (uint8_t)(h >> 8 * i);
	return at;
}

/* ---- match finder ----------------------------------------------------------------------- */
static uint32_t hash6(const uint8_t *p) { return (uint32_t)(((rd64(p) << 16) * 0xCF1BBCDCBF9Bull) >> (64 - HLOG)); }

static size_t count(const uint8_t *a, const uint8_t *b, const uint8_t *end)
{
	const uint8_t *s = a;
	while (a + 8 <= end) {
		uint64_t x = rd64(a) ^ rd64(b);
		if (x)
			return (size_t)(a - s) + (unsigned)__builtin_ctzll(x) / 8;
		a += 8, b += 8;
	}
	while (a < end && *a == *b)
		a++, b++;
	return (size_t)(a - s);
}

/* Greedy parse of win[start, end): sequences (lit, offset value, match) into z->seq, literals
 * into z->lit; returns the number of sequences, *nlit the literals' count. */
static size_t lz(struct zstdw *z, size_t start, size_t end, size_t *nlit)
{
	const uint8_t *w = z->win;
	size_t ip = start, anchor = start, ns = 0, nl = 0, limit = end - start > 8 ? end - 8 : start;
	while (ip < limit) {
		uint32_t h = hash6(w + ip), ov = 0;
		size_t c = z->hash[h], ml = 0;
		z->hash[h] = (uint32_t)ip;
		if (ip > anchor && ip - z->low >= z->rep[0] && rd32(w + ip - z->rep[0]) == rd32(w + ip)) {
			ml = count(w + ip, w + ip - z->rep[0], w + end);
			ov = 1;
		} else if (c >= z->low && c < ip && ip - c <= z->wsize && rd32(w + c) == rd32(w + ip)) {
			ml = count(w + ip, w + c, w + end);
			for (; ip > anchor && c > z->low && w[ip - 1] == w[c - 1]; ml++)
				ip--, c--;
			ov = (uint32_t)(ip - c + 3);
		}
		if (ml < MINMATCH) {
			ip += 1 + ((ip - anchor) >> 6);
			continue;
		}
		memcpy(z->lit + nl, w + anchor, ip - anchor);
		nl += ip - anchor;
		z->seq[3 * ns] = (uint32_t)(ip - anchor);
		z->seq[3 * ns + 1] = ov;
		z->seq[3 * ns + 2] = (uint32_t)ml;
		ns++;
		if (ov > 3) {
			z->rep[2] = z->rep[1];
			z->rep[1] = z->rep[0];
			z->rep[0] = ov - 3;
		}
		ip += ml;
		anchor = ip;
		if (ip < limit + 2)
			z->hash[hash6(w + ip - 2)] = (uint32_t)(ip - 2);
		/* the second repeat offset right away: literal length 0, Offset_Value 1 */
		while (ip < limit && ip - z->low >= z->rep[1] && rd32(w + ip - z->rep[1]) == rd32(w + ip)) {
			uint32_t r = z->rep[1];
			ml = count(w + ip, w + ip - r, w + end);
			z->seq[3 * ns] = 0, z->seq[3 * ns + 1] = 1, z->seq[3 * ns + 2] = (uint32_t)ml;
			ns++;
			z->rep[1] = z->rep[0], z->rep[0] = r;
			ip += ml;
			anchor = ip;
		}
	}
	memcpy(z->lit + nl, w + anchor, end - anchor);
	*nlit = nl + end - anchor;
	return ns;
}

/* One compressed block's body into o; 0 when it would not be smaller than cap. */
static size_t compress_block(struct zstdw *z, size_t start, size_t end, uint8_t *o, size_t cap)
{
	size_t nl, ns = lz(z, start, end, &nl), at;
	int same = nl > 0;
	for (size_t i = 1; same && i < nl; i++)
		same = z->lit[i] == z->lit[0];
	if (!(at = huf_literals(z->lit, nl, o, cap < nl + 3 ? cap : nl + 3))) {
		at = nl < 32 ? 1 : nl < 4096 ? 2 : 3;
		uint32_t h = at == 1 ? (uint32_t)nl << 3 : (uint32_t)nl << 4 | (at == 2 ? 1 : 3) << 2;
		h |= (uint32_t)same;
		if (at + (same ? 1 : nl) + 4 > cap)
			return 0;
		for (size_t i = 0; i < at; i++)
			o[i] = (uint8_t)(h >> 8 * i);
		memcpy(o + at, z->lit, same ? 1 : nl);
		at += same ? 1 : nl;
	}
	if (at + 4 > cap) /* the Sequences_Section header and modes must fit too */
		return 0;
	if (ns < 128) {
		o[at++] = (uint8_t)ns;
	} else if (ns < 0x7F00) {
		o[at++] = (uint8_t)(ns >> 8 | 0x80);
		o[at++] = (uint8_t)ns;
	} else {
		o[at++] = 255;
		o[at++] = (uint8_t)(ns - 0x7F00);
		o[at++] = (uint8_t)((ns - 0x7F00) >> 8);
	}
	if (!ns)
		return at;
	o[at++] = 0; /* Predefined_Mode for all three */
	struct bw b = {o + at, o + cap, 0, 0, 0};
	uint32_t sl = 0, so = 0, sm = 0;
	for (size_t i = ns; i-- > 0;) {
		uint32_t *q = z->seq + 3 * i, lx, mx, ox;
		unsigned lb, mb, ob = highbit(q[1]);
		unsigned lc = code_of(q[0], 16, ll_bits, &lx, &lb), mc = code_of(q[2] - 3, 32, ml_bits, &mx, &mb);
		ox = q[1] - (1u << ob);
		if (i == ns - 1) {
			sl = fse_first(&fse_ll, lc), so = fse_first(&fse_of, ob), sm = fse_first(&fse_ml, mc);
		} else {
			fse_enc(&b, &fse_of, &so, ob);
			fse_enc(&b, &fse_ml, &sm, mc);
			fse_enc(&b, &fse_ll, &sl, lc);
		}
		bw_add(&b, lx, lb);
		bw_add(&b, mx, mb);
		bw_add(&b, ox, ob);
	}
	bw_add(&b, sm, fse_ml.log);
	bw_add(&b, so, fse_of.log);
	bw_add(&b, sl, fse_ll.log);
	bw_close(&b);
	return b.over ? 0 : (size_t)(b.p - o);
}

/* ---- frames ----------------------------------------------------------------------------- */
static int emit(struct zstdw *z, const void *p, size_t n)
{
	if (!z->err && n)
		z->err = z->out(z->ctx, p, n);
	return z->err;
}

static int frame_header(struct zstdw *z, uint64_t fcs)
{
	uint8_t h[18] = {0x28, 0xB5, 0x2F, 0xFD};
	size_t k = 5;
	int known = fcs != ZSTDW_SIZE_UNKNOWN, single = known && fcs <= z->wsize;
	unsigned flag = !known ? 0 : fcs < 256 && single ? 0 : fcs < 65536 + 256 ? 1 : fcs <= 0xFFFFFFFFu ? 2 : 3;
	h[4] = (uint8_t)(flag << 6 | (unsigned)single << 5 | 4);
	if (!single)
		h[k++] = (uint8_t)((z->wlog - 10) << 3);
	if (flag == 1)
		fcs -= 256;
	for (unsigned i = 0; known && i < (flag ? 1u << flag : 1u); i++)
		h[k++] = (uint8_t)(fcs >> 8 * i);
	z->header_done = 1;
	return emit(z, h, k);
}

static int emit_block(struct zstdw *z, int last)
{
	size_t start = z->done, n = z->fill - start, c = 0;
	if (!z->header_done) {
		uint64_t fcs = last ? z->frame_in : z->content_size;
		if (!last && fcs != ZSTDW_SIZE_UNKNOWN) {
			fcs -= z->total - z->frame_in;
			if (z->frame_size && fcs > z->frame_size)
				fcs = z->frame_size;
		}
		if (frame_header(z, fcs))
			return z->err;
	}
	uint32_t rep[3];
	memcpy(rep, z->rep, sizeof(rep));
	const uint8_t *w = z->win + start;
	size_t same = n > 0;
	while (same < n && w[same] == w[0])
		same++;
	unsigned type = n && same == n ? 1 : 0;
	if (!type && n > 16 && (c = compress_block(z, start, z->fill, z->ob + 3, n - 1)))
		type = 2;
	else
		memcpy(z->rep, rep, sizeof(rep));
	uint32_t bh = (uint32_t)(type == 2 ? c : n) << 3 | type << 1 | (unsigned)last;
	z->ob[0] = (uint8_t)bh, z->ob[1] = (uint8_t)(bh >> 8), z->ob[2] = (uint8_t)(bh >> 16);
	if (type == 2)
		emit(z, z->ob, 3 + c);
	else if (!emit(z, z->ob, 3))
		emit(z, w, type ? 1 : n);
	z->done = z->fill;
	if (last && !z->err) {
		uint32_t x = (uint32_t)xxh_digest(z);
		uint8_t ck[4] = {(uint8_t)x, (uint8_t)(x >> 8), (uint8_t)(x >> 16), (uint8_t)(x >> 24)};
		emit(z, ck, 4);
		/* the next frame starts afresh */
		z->header_done = 0;
		z->frame_in = 0;
		z->low = z->fill;
		z->rep[0] = 1, z->rep[1] = 4, z->rep[2] = 8;
		xxh_reset(z);
	}
	return z->err;
}

int zstdw_init(struct zstdw *z, const struct zstdw_opts *o, zstdw_out_fn out, void *ctx)
{
	unsigned wlog = o && o->wlog ? o->wlog : ZSTDW_WLOG_DEFAULT;
	memset(z, 0, sizeof(*z));
	if (wlog < ZSTDW_WLOG_MIN || wlog > ZSTDW_WLOG_MAX)
		return -EINVAL;
	z->out = out;
	z->ctx = ctx;
	z->wlog = wlog;
	z->wsize = (size_t)1 << wlog;
	z->bsize = z->wsize < BLOCK_MAX ? z->wsize : BLOCK_MAX;
	z->content_size = o ? o->content_size : ZSTDW_SIZE_UNKNOWN;
	z->frame_size = o ? o->frame_size : 0;
	z->cap = z->wsize + 4 * z->bsize;
	z->win = malloc(z->cap);
	z->lit = malloc(z->bsize);
	z->ob = malloc(z->bsize + 3);
	z->hash = calloc((size_t)1 << HLOG, sizeof(uint32_t));
	z->seq = malloc((z->bsize / MINMATCH + 1) * 3 * sizeof(uint32_t));
	if (!z->win || !z->lit || !z->ob || !z->hash || !z->seq) {
		zstdw_free(z);
		return -ENOMEM;
	}
	if (!fse_ll.log) {
		fse_build(&fse_ll, ll_norm, 36, 6);
		fse_build(&fse_ml, ml_norm, 53, 6);
		fse_build(&fse_of, of_norm, 29, 5);
	}
	z->rep[0] = 1, z->rep[1] = 4, z->rep[2] = 8;
	xxh_reset(z);
	return 0;
}

int zstdw_write(struct zstdw *z, const void *p, size_t n)
{
	const uint8_t *s = p;
	if (!z->err && n > z->content_size - z->total)
		z->err = -EINVAL;
	while (n && !z->err) {
		if (z->frame_size && z->frame_in == z->frame_size) {
			if (emit_block(z, 1))
				break;
		} else if (z->fill - z->done == z->bsize && emit_block(z, 0)) {
			break;
		}
		if (z->done + z->bsize > z->cap) {
			size_t shift = z->done - z->wsize;
			memmove(z->win, z->win + shift, z->fill - shift);
			z->fill -= shift, z->done -= shift;
			z->low = z->low > shift ? z->low - shift : 0;
			for (size_t i = 0; i < (size_t)1 << HLOG; i++)
				z->hash[i] = z->hash[i] > shift ? z->hash[i] - (uint32_t)shift : 0;
		}
		size_t k = z->bsize - (z->fill - z->done);
		if (k > n)
			k = n;
		if (z->frame_size && k > z->frame_size - z->frame_in)
			k = (size_t)(z->frame_size - z->frame_in);
		memcpy(z->win + z->fill, s, k);
		xxh_update(z, s, k);
		z->fill += k, z->frame_in += k, z->total += k;
		s += k, n -= k;
	}
	return z->err;
}

int zstdw_finish(struct zstdw *z)
{
	if (!z->err && z->content_size != ZSTDW_SIZE_UNKNOWN && z->total != z->content_size)
		z->err = -EINVAL;
	if (!z->err && (z->frame_in || !z->total))
		emit_block(z, 1);
	return z->err;
}

void zstdw_free(struct zstdw *z)
{
	free(z->win);
	free(z->lit);
	free(z->ob);
	free(z->hash);
	free(z->seq);
	z->win = z->lit = z->ob = NULL;
	z->hash = z->seq = NULL;
}
