/* hash.c — SHA-256/512: mbedtls, and SHA-256 with the x86 SHA extensions when the CPU has them. */
#include "trust/hash.h"
#include "base/fs.h"

#include <errno.h>
#include <pthread.h>
#include <semaphore.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#if defined(__x86_64__)
#include <cpuid.h>
#include <immintrin.h>

static const uint32_t sha256_k[64] __attribute__((aligned(16))) = {
	0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5,
	0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174,
	0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da,
	0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967,
	0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85,
	0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
	0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
	0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2,
};

/* Four rounds: the state pair (ABEF, CDGH) advanced by w + K[4i..4i+3]. */
__attribute__((target("sha,sse4.1"), always_inline)) static inline void
ni_rounds4(__m128i *abef, __m128i *cdgh, __m128i w, int i)
{
	__m128i wk = _mm_add_epi32(w, _mm_load_si128((const __m128i *)&sha256_k[4 * i]));
	*cdgh = _mm_sha256rnds2_epu32(*cdgh, *abef, wk);
	*abef = _mm_sha256rnds2_epu32(*abef, *cdgh, _mm_shuffle_epi32(wk, 0x0e));
}

/* The next four message words from the previous sixteen (w0 oldest). */
__attribute__((target("sha,sse4.1"), always_inline)) static inline __m128i
ni_schedule(__m128i w0, __m128i w1, __m128i w2, __m128i w3)
{
	__m128i t = _mm_add_epi32(_mm_sha256msg1_epu32(w0, w1), _mm_alignr_epi8(w3, w2, 4));
	return _mm_sha256msg2_epu32(t, w3);
}

__attribute__((target("sha,sse4.1"))) static void sha256_ni_blocks(uint32_t h[8], const uint8_t *p, size_t n)
{
	const __m128i bswap = _mm_set_epi64x(0x0c0d0e0f08090a0bULL, 0x0405060700010203ULL);
	/* h[0..3] = A B C D, h[4..7] = E F G H; the instructions want ABEF and CDGH. */
	__m128i abcd = _mm_shuffle_epi32(_mm_loadu_si128((const __m128i *)&h[0]), 0xb1); /* CDAB */
	__m128i efgh = _mm_shuffle_epi32(_mm_loadu_si128((const __m128i *)&h[4]), 0x1b); /* EFGH */
	__m128i abef = _mm_alignr_epi8(abcd, efgh, 8);
	__m128i cdgh = _mm_blend_epi16(efgh, abcd, 0xf0);

	for (; n; n--, p += 64) {
		__m128i save_abef = abef, save_cdgh = cdgh;
		__m128i w0 = _mm_shuffle_epi8(_mm_loadu_si128((const __m128i *)(p + 0)), bswap);
		__m128i w1 = _mm_shuffle_epi8(_mm_loadu_si128((const __m128i *)(p + 16)), bswap);
		__m128i w2 = _mm_shuffle_epi8(_mm_loadu_si128((const __m128i *)(p + 32)), bswap);
		__m128i w3 = _mm_shuffle_epi8(_mm_loadu_si128((const __m128i *)(p + 48)), bswap);
		ni_rounds4(&abef, &cdgh, w0, 0);
		ni_rounds4(&abef, &cdgh, w1, 1);
		ni_rounds4(&abef, &cdgh, w2, 2);
		ni_rounds4(&abef, &cdgh, w3, 3);
		for (int i = 4; i < 16; i += 4) {
			w0 = ni_schedule(w0, w1, w2, w3);
			ni_rounds4(&abef, &cdgh, w0, i);
			w1 = ni_schedule(w1, w2, w3, w0);
			ni_rounds4(&abef, &cdgh, w1, i + 1);
			w2 = ni_schedule(w2, w3, w0, w1);
			ni_rounds4(&abef, &cdgh, w2, i + 2);
			w3 = ni_schedule(w3, w0, w1, w2);
			ni_rounds4(&abef, &cdgh, w3, i + 3);
		}
		abef = _mm_add_epi32(abef, save_abef);
		cdgh = _mm_add_epi32(cdgh, save_cdgh);
	}
	__m128i feba = _mm_shuffle_epi32(abef, 0x1b);
	__m128i dchg = _mm_shuffle_epi32(cdgh, 0xb1);
	_mm_storeu_si128((__m128i *)&h[0], _mm_blend_epi16(feba, dchg, 0xf0)); /* DCBA */
	_mm_storeu_si128((__m128i *)&h[4], _mm_alignr_epi8(dchg, feba, 8));    /* HGFE */
}

static int cpu_has_sha_ni(void)
{
	unsigned a, b, c, d;
	if (!__get_cpuid(1, &a, &b, &c, &d) || !(c & bit_SSSE3) || !(c & bit_SSE4_1))
		return 0;
	if (__get_cpuid_max(0, NULL) < 7)
		return 0;
	__cpuid_count(7, 0, a, b, c, d);
	return (b & bit_SHA) != 0;
}
#else
static void sha256_ni_blocks(uint32_t h[8], const uint8_t *p, size_t n) { (void)h, (void)p, (void)n; }
static int cpu_has_sha_ni(void) { return 0; }
#endif

static int ni_state = -1; /* -1 not probed yet, 0 absent, 1 present */
static int ni_forced_off;

static int use_ni(void)
{
	if (ni_state < 0)
		ni_state = cpu_has_sha_ni();
	return ni_state && !ni_forced_off;
}

int hash_force_portable(int on)
{
	ni_forced_off = on;
	if (ni_state < 0)
		ni_state = cpu_has_sha_ni();
	return ni_state;
}

const char *hash_sha256_impl(void) { return use_ni() ? "sha-ni" : "mbedtls"; }

static void ni_init(struct sha256_ni *s)
{
	static const uint32_t iv[8] = {0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a,
		0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19};
	memcpy(s->h, iv, sizeof(iv));
	s->len = 0;
}

static void ni_update(struct sha256_ni *s, const uint8_t *p, size_t n)
{
	size_t fill = (size_t)(s->len & 63);
	s->len += n;
	if (fill) {
		size_t take = 64 - fill < n ? 64 - fill : n;
		memcpy(s->buf + fill, p, take);
		p += take;
		n -= take;
		if (fill + take < 64)
			return;
		sha256_ni_blocks(s->h, s->buf, 1);
	}
	if (n >= 64) {
		sha256_ni_blocks(s->h, p, n / 64);
		p += n & ~(size_t)63;
		n &= 63;
	}
	if (n)
		memcpy(s->buf, p, n);
}

static void ni_final(struct sha256_ni *s, uint8_t *out)
{
	uint64_t bits = s->len * 8;
	size_t fill = (size_t)(s->len & 63);
	s->buf[fill++] = 0x80;
	if (fill > 56) {
		memset(s->buf + fill, 0, 64 - fill);
		sha256_ni_blocks(s->h, s->buf, 1);
		fill = 0;
	}
	memset(s->buf + fill, 0, 56 - fill);
	for (int i = 0; i < 8; i++)
		s->buf[56 + i] = (uint8_t)(bits >> (56 - 8 * i));
	sha256_ni_blocks(s->h, s->buf, 1);
	for (int i = 0; i < 8; i++) {
		out[4 * i] = (uint8_t)(s->h[i] >> 24);
		out[4 * i + 1] = (uint8_t)(s->h[i] >> 16);
		out[4 * i + 2] = (uint8_t)(s->h[i] >> 8);
		out[4 * i + 3] = (uint8_t)s->h[i];
	}
}

enum hash_alg hash_alg_from_name(const char *name)
{
	if (!strcmp(name, "sha256"))
		return HASH_SHA256;
	if (!strcmp(name, "sha512"))
		return HASH_SHA512;
	return HASH_NONE;
}

const char *hash_name(enum hash_alg alg)
{
	return alg == HASH_SHA256 ? "sha256" : alg == HASH_SHA512 ? "sha512" : "unknown";
}

size_t hash_size(enum hash_alg alg) { return alg == HASH_SHA256 ? 32 : alg == HASH_SHA512 ? 64 : 0; }

int hash_init(struct hash_ctx *c, enum hash_alg alg)
{
	c->alg = alg;
	c->ni = 0;
	switch (alg) {
	case HASH_SHA256:
		if (use_ni()) {
			c->ni = 1;
			ni_init(&c->u.ni);
			return 0;
		}
		mbedtls_sha256_init(&c->u.s256);
		return mbedtls_sha256_starts(&c->u.s256, 0) ? -EINVAL : 0;
	case HASH_SHA512:
		mbedtls_sha512_init(&c->u.s512);
		return mbedtls_sha512_starts(&c->u.s512, 0) ? -EINVAL : 0;
	default:
		return -EINVAL;
	}
}

void hash_update(struct hash_ctx *c, const void *data, size_t len)
{
	if (c->alg == HASH_SHA256 && c->ni)
		ni_update(&c->u.ni, data, len);
	else if (c->alg == HASH_SHA256)
		mbedtls_sha256_update(&c->u.s256, data, len);
	else if (c->alg == HASH_SHA512)
		mbedtls_sha512_update(&c->u.s512, data, len);
}

void hash_final(struct hash_ctx *c, uint8_t *out)
{
	if (c->alg == HASH_SHA256 && c->ni)
		ni_final(&c->u.ni, out);
	else if (c->alg == HASH_SHA256)
		mbedtls_sha256_finish(&c->u.s256, out);
	else if (c->alg == HASH_SHA512)
		mbedtls_sha512_finish(&c->u.s512, out);
	hash_free(c);
}

static void secure_wipe_ni(struct sha256_ni *s)
{
	explicit_bzero(s, sizeof(*s));
}

void hash_free(struct hash_ctx *c)
{
	if (!c)
		return;
	if (c->alg == HASH_SHA256 && c->ni)
		secure_wipe_ni(&c->u.ni);
	else if (c->alg == HASH_SHA256)
		mbedtls_sha256_free(&c->u.s256);
	else if (c->alg == HASH_SHA512)
		mbedtls_sha512_free(&c->u.s512);
	c->alg = HASH_NONE;
}

int hash_once(enum hash_alg alg, const void *data, size_t len, uint8_t *out)
{
	struct hash_ctx c;
	int ret = hash_init(&c, alg);
	if (ret)
		return ret;
	hash_update(&c, data, len);
	hash_final(&c, out);
	return 0;
}

/* With hash_fd_threads(1), hash_fd reads in one thread and hashes in the caller's, through a ring
 * of buffers, so that on two cores the copy out of the page cache costs no time. One thread
 * otherwise, or if a thread cannot start. */
enum { RING = 4, CHUNK = 256 << 10 };

static int fd_threads;
void hash_fd_threads(int on) { fd_threads = on; }

struct hash_ring {
	int fd;
	uint8_t *buf[RING];
	ssize_t len[RING]; /* bytes in the slot; 0 end of file; < 0 -errno */
	sem_t empty, full;
};

/* Fill one chunk (short only at end of file). */
static ssize_t read_chunk(int fd, uint8_t *p) { return fs_read_upto(fd, p, CHUNK, -1); }

static void *ring_reader(void *arg)
{
	struct hash_ring *r = arg;
	for (unsigned i = 0;; i++) {
		while (sem_wait(&r->empty))
			;
		ssize_t n = read_chunk(r->fd, r->buf[i % RING]);
		r->len[i % RING] = n;
		sem_post(&r->full);
		if (n <= 0)
			return NULL;
	}
}

struct hash_async {
	struct hash_ctx c; /* the thread's until it is joined */
	uint8_t *buf[RING];
	size_t len[RING]; /* bytes in the slot; 0: the end */
	size_t fill;      /* bytes in the slot being filled (head % RING) */
	unsigned head;
	int threaded;
	pthread_t th;
	sem_t empty, full;
};

static void *async_hasher(void *arg)
{
	struct hash_async *a = arg;
	for (unsigned i = 0;; i++) {
		while (sem_wait(&a->full))
			;
		size_t n = a->len[i % RING];
		if (!n)
			return NULL;
		hash_update(&a->c, a->buf[i % RING], n);
		sem_post(&a->empty);
	}
}

struct hash_async *hash_async_new(enum hash_alg alg)
{
	struct hash_async *a = calloc(1, sizeof(*a));
	if (!a)
		return NULL;
	if (hash_init(&a->c, alg)) {
		free(a);
		return NULL;
	}
	if (fd_threads && (a->buf[0] = malloc((size_t)RING * CHUNK))) {
		for (int i = 1; i < RING; i++)
			a->buf[i] = a->buf[0] + (size_t)i * CHUNK;
		if (!sem_init(&a->empty, 0, RING) && !sem_init(&a->full, 0, 0))
			a->threaded = !pthread_create(&a->th, NULL, async_hasher, a);
		if (!a->threaded) {
			free(a->buf[0]);
			a->buf[0] = NULL;
		}
	}
	return a;
}

/* Hand the slot being filled (len bytes; 0 ends the thread) to the thread. */
static void async_post(struct hash_async *a, size_t len)
{
	a->len[a->head % RING] = len;
	a->head++;
	a->fill = 0;
	sem_post(&a->full);
}

void hash_async_update(struct hash_async *a, const void *data, size_t len)
{
	const uint8_t *p = data;
	if (!a->threaded) {
		hash_update(&a->c, data, len);
		return;
	}
	while (len) {
		if (!a->fill) /* a new slot: wait until the thread is done with it */
			while (sem_wait(&a->empty))
				;
		size_t n = CHUNK - a->fill < len ? CHUNK - a->fill : len;
		memcpy(a->buf[a->head % RING] + a->fill, p, n);
		a->fill += n;
		p += n;
		len -= n;
		if (a->fill == CHUNK)
			async_post(a, CHUNK);
	}
}

/* Stop the thread after what was handed over; the context is the caller's again. */
static void async_join(struct hash_async *a)
{
	if (!a->threaded)
		return;
	if (a->fill)
		async_post(a, a->fill);
	while (sem_wait(&a->empty))
		;
	async_post(a, 0);
	pthread_join(a->th, NULL);
	sem_destroy(&a->empty);
	sem_destroy(&a->full);
	free(a->buf[0]);
	a->threaded = 0;
}

void hash_async_final(struct hash_async *a, uint8_t *out)
{
	async_join(a);
	hash_final(&a->c, out);
	free(a);
}

void hash_async_free(struct hash_async *a)
{
	if (!a)
		return;
	async_join(a);
	hash_free(&a->c);
	free(a);
}

int hash_fd(enum hash_alg alg, int fd, uint8_t *out, uint64_t *total)
{
	struct hash_ctx c;
	struct hash_ring r = {.fd = fd};
	pthread_t th;
	uint64_t n = 0;
	int ret = -ENOMEM, threaded = 0;
	uint8_t *mem = malloc((size_t)RING * CHUNK);
	if (!mem)
		return ret;
	for (int i = 0; i < RING; i++)
		r.buf[i] = mem + (size_t)i * CHUNK;
	if ((ret = hash_init(&c, alg)))
		goto out;
	if (fd_threads && !sem_init(&r.empty, 0, RING) && !sem_init(&r.full, 0, 0))
		threaded = !pthread_create(&th, NULL, ring_reader, &r);
	/* The reader's last slot is the one with len <= 0; after it, it has returned. */
	for (unsigned i = 0;; i++) {
		uint8_t *p = r.buf[threaded ? i % RING : 0];
		ssize_t got;
		if (threaded) {
			while (sem_wait(&r.full))
				;
			got = r.len[i % RING];
		} else {
			got = read_chunk(fd, p);
		}
		if (got <= 0) {
			ret = (int)got;
			break;
		}
		hash_update(&c, p, (size_t)got);
		n += (uint64_t)got;
		if (threaded)
			sem_post(&r.empty);
	}
	if (threaded)
		pthread_join(th, NULL);
	if (fd_threads) {
		sem_destroy(&r.empty);
		sem_destroy(&r.full);
	}
	if (ret)
		hash_free(&c);
	else
		hash_final(&c, out);
	if (!ret && total)
		*total = n;
out:
	free(mem);
	return ret;
}
