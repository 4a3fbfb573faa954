/* install.c — see install.h. */
#include "update/install.h"
#include "archive/zstd_read.h"
#include "base/buf.h"
#include "base/err.h"
#include "base/fs.h"
#include "trust/hash.h"
#include "trust/manifest.h"
#include "trust/verity.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

struct sink {
	struct install *in;
	struct kerr *e;
	uint8_t *buf;
	uint64_t have;          /* compressed bytes of chunk k in buf */
	uint64_t pos;           /* target offset of the next byte the source hands over */
	size_t k;               /* the chunk being collected */
	struct release_chunk c; /* chunk k */
	uint64_t image_off;     /* where chunk k goes */
	uint64_t wrote;         /* decompressed bytes of chunk k so far */
	struct hash_async *img; /* SHA-512 of the image, in a second thread where the sandbox allows one */
	struct zstd_reader *zr; /* one decoder for every chunk */
	int fatal;              /* the error is the data's, not the transfer's: never retried */
	size_t synced;          /* chunks recorded by the last checkpoint */
};

static int to_slot(void *ctx, const uint8_t *p, size_t n, struct kerr *e)
{
	struct sink *s = ctx;
	int ret;
	if (n > s->c.size - s->wrote)
		return kerr_set(e, -EFBIG, "more than its %llu bytes", (unsigned long long)s->c.size);
	if ((ret = fs_pwrite_all(s->in->slotfd, p, n, (off_t)(s->image_off + s->wrote))))
		return kerr_set(e, ret, "slot: write at %llu: %s", (unsigned long long)(s->image_off + s->wrote),
			kerr_strerror(ret));
	hash_async_update(s->img, p, n);
	s->wrote += n;
	return 0;
}

static int checkpoint(struct sink *s)
{
	int ret;
	if (s->k == s->synced)
		return 0;
	if (fdatasync(s->in->slotfd))
		return kerr_set(s->e, -errno, "slot: fsync: %s", kerr_strerror(errno));
	if (s->in->progress && (ret = s->in->progress(s->in->pctx, s->k)))
		return ret;
	s->synced = s->k;
	return 0;
}

/* Chunk k is complete in buf: check, decompress to the slot, move on. */
static int chunk_done(struct sink *s)
{
	const struct release *r = s->in->r;
	uint8_t d[32];
	int ret;
	hash_once(HASH_SHA256, s->buf, s->have, d);
	if (memcmp(d, s->c.sha256, 32)) {
		s->fatal = 1;
		return kerr_set(s->e, -EBADMSG, "chunk %zu (offset %llu, %llu bytes): sha256 mismatch", s->k,
			(unsigned long long)s->c.offset, (unsigned long long)s->c.length);
	}
	s->wrote = 0;
	ret = zstd_read_mem_sink_r(s->zr, s->buf, s->have, to_slot, s, s->c.size, RELEASE_WINDOW_LOG, s->e);
	if (!ret && s->wrote != s->c.size)
		ret = kerr_set(s->e, -EINVAL, "%llu bytes, %llu expected", (unsigned long long)s->wrote,
			(unsigned long long)s->c.size);
	if (ret) {
		s->fatal = 1;
		return kerr_wrap(s->e, ret, "chunk %zu (offset %llu)", s->k, (unsigned long long)s->c.offset);
	}
	/* start writing the chunk back now, beside the next one's decompression: the checkpoint's
	 * fdatasync then waits for little (a hint: its failure is the fdatasync's to report) */
	sync_file_range(s->in->slotfd, (off_t)s->image_off, (off_t)s->c.size, SYNC_FILE_RANGE_WRITE);
	s->image_off += s->c.size;
	s->have = 0;
	if (++s->k < r->nchunks)
		release_chunk(r, s->k, &s->c);
	if (s->in->report)
		s->in->report(s->in->pctx, s->image_off, r->image_size);
	if (s->k - s->synced >= (s->in->checkpoint ? s->in->checkpoint : 16) && (ret = checkpoint(s)))
		s->fatal = 1;
	return ret;
}

static int feed(void *ctx, const void *data, size_t len)
{
	struct sink *s = ctx;
	const uint8_t *p = data;
	int ret;
	while (len) {
		uint64_t want = s->c.offset + s->have; /* the next byte chunk k needs */
		if (s->k == s->in->r->nchunks) {
			s->fatal = 1;
			return kerr_set(s->e, -EFBIG, "more than the target's %llu bytes", (unsigned long long)s->in->r->compressed);
		}
		if (s->pos < want) { /* before the resume point (a source that restarted at 0) */
			uint64_t skip = want - s->pos < len ? want - s->pos : len;
			s->pos += skip;
			p += skip;
			len -= (size_t)skip;
			continue;
		}
		uint64_t n = s->c.length - s->have < len ? s->c.length - s->have : len;
		memcpy(s->buf + s->have, p, (size_t)n);
		s->have += n;
		s->pos += n;
		p += n;
		len -= (size_t)n;
		if (s->have == s->c.length && (ret = chunk_done(s)))
			return ret;
	}
	return 0;
}

static int restart(void *ctx)
{
	struct sink *s = ctx;
	s->pos = 0;
	s->have = 0;
	return 0;
}

int install_slot(struct install *in, struct kerr *e)
{
	const struct release *r = in->r;
	struct sink s = {.in = in, .e = e, .k = in->first, .synced = in->first};
	struct release_chunk c;
	int ret = 0;

	in->requests = 0;
	if (!(s.buf = malloc(r->clen_max > 1 << 20 ? r->clen_max : 1 << 20)) || !(s.zr = zstd_reader_new()) ||
		!(s.img = hash_async_new(HASH_SHA512))) {
		ret = kerr_set(e, -ENOMEM, "out of memory");
		goto out;
	}
	zstd_reader_skip_checksums(s.zr); /* chunk sha256 before, image sha512 after: xxh64 adds nothing */
	if (in->first > r->nchunks)
		s.k = s.synced = 0;
	/* a resumed install: what an earlier run wrote is read back into the image hash */
	for (size_t i = 0; i < s.k; i++) {
		release_chunk(r, i, &c);
		if ((ret = fs_pread_all(in->slotfd, s.buf, (size_t)c.size, (off_t)s.image_off))) {
			kerr_set(e, ret, "slot: read at %llu: %s", (unsigned long long)s.image_off, kerr_strerror(ret));
			goto out;
		}
		hash_async_update(s.img, s.buf, (size_t)c.size);
		s.image_off += c.size;
	}
	if (s.k < r->nchunks)
		release_chunk(r, s.k, &s.c);
	for (unsigned tries = 0; s.k < r->nchunks;) {
		size_t k0 = s.k;
		s.have = 0;
		s.pos = s.c.offset;
		in->requests++;
		struct kerr se = {0};
		s.e = &se; /* the data's verdict, kept apart from what the transport makes of the sink's error */
		ret = in->src.get(in->src.ctx, s.c.offset, feed, restart, &s, e);
		s.e = e;
		if (ret && s.fatal)
			*e = se;
		if (!ret && s.k < r->nchunks)
			ret = kerr_set(e, -EPIPE, "the target ends at byte %llu, in chunk %zu", (unsigned long long)s.pos, s.k);
		/* a broken transfer: again from the first unverified chunk, retries times in a row
		 * without progress */
		if (!ret || s.fatal || ++tries > in->retries)
			break;
		if (s.k > k0)
			tries = 0;
	}
	if (ret) {
		struct kerr ce = {0};
		s.e = &ce; /* keep what was verified for the next run; the first error is the one reported */
		checkpoint(&s);
		goto out;
	}
	uint8_t d[64];
	hash_async_final(s.img, d);
	s.img = NULL;
	if (memcmp(d, r->image_sha512, 64)) {
		ret = kerr_set(e, -EBADMSG, "slot image: sha512 mismatch (the bytes on the slot are not the release's)");
		goto out;
	}
	if (fsync(in->slotfd))
		ret = kerr_set(e, -errno, "slot: fsync: %s", kerr_strerror(errno));
out:
	in->done = s.k;
	hash_async_free(s.img);
	zstd_reader_free(s.zr);
	free(s.buf);
	return ret;
}

int install_verify(int fd, uint64_t size, const char *keydir, const struct release *r, struct kerr *e)
{
	struct manifest m;
	struct verity_params p;
	char key[32];
	int ret;

	if ((ret = manifest_load(fd, size, keydir, &m, key, sizeof(key), e)))
		return kerr_wrap(e, ret, "slot manifest");
	if (strcmp(m.version, r->version))
		return kerr_set(e, -EBADMSG, "slot manifest: version %s, the release says %s", m.version, r->version);
	if (hash_size(m.hash) != r->verity_len || memcmp(m.root_hash, r->verity_root, r->verity_len))
		return kerr_set(e, -EBADMSG, "slot manifest: root hash differs from the release's verity-root");
	verity_params_default(&p);
	p.alg = m.hash;
	p.data_block_size = m.data_block_size;
	p.hash_block_size = m.hash_block_size;
	p.data_blocks = m.data_blocks;
	p.hash_area_offset = m.hash_offset;
	p.no_superblock = 1;
	p.salt_size = (uint16_t)m.salt_len;
	memcpy(p.salt, m.salt, m.salt_len);
	if ((ret = verity_verify(&p, fd, fd, m.root_hash, e)))
		return kerr_wrap(e, ret, "slot verity tree");
	return 0;
}
