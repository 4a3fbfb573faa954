/* verity.c — dm-verity hash trees and superblocks (see verity.h for the layout). */
#include "trust/verity.h"
#include "base/buf.h"
#include "base/err.h"
#include "base/fs.h"

#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <sched.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static const uint8_t sb_magic[8] = {'v', 'e', 'r', 'i', 't', 'y', 0, 0};

/* Superblock field offsets (little-endian). */
enum {
	SB_VERSION = 8, SB_HASH_TYPE = 12, SB_UUID = 16, SB_ALG = 32, SB_DBS = 64, SB_HBS = 68,
	SB_BLOCKS = 72, SB_SALT_SIZE = 80, SB_SALT = 88, SB_ALG_LEN = 32,
};

static uint32_t le32(const uint8_t *p) { return p[0] | p[1] << 8 | p[2] << 16 | (uint32_t)p[3] << 24; }
static uint64_t le64(const uint8_t *p) { return le32(p) | (uint64_t)le32(p + 4) << 32; }
static void put32(uint8_t *p, uint32_t v)
{
	for (int i = 0; i < 4; i++)
		p[i] = (uint8_t)(v >> 8 * i);
}
static void put64(uint8_t *p, uint64_t v)
{
	put32(p, (uint32_t)v);
	put32(p + 4, (uint32_t)(v >> 32));
}

static int block_size_ok(uint64_t bs)
{
	return bs >= VERITY_MIN_BLOCK && bs <= VERITY_MAX_BLOCK && !(bs & (bs - 1));
}

void verity_params_default(struct verity_params *p)
{
	memset(p, 0, sizeof(*p));
	p->hash_type = 1;
	p->alg = HASH_SHA256;
	p->data_block_size = 4096;
	p->hash_block_size = 4096;
}

int verity_layout(const struct verity_params *p, struct verity_layout *out, struct kerr *e)
{
	struct verity_layout l;
	size_t ds = hash_size(p->alg);

	memset(&l, 0, sizeof(l));
	if (p->hash_type > 1)
		return kerr_set(e, -EINVAL, "format %" PRIu32 " unsupported (0 or 1)", p->hash_type);
	if (!ds)
		return kerr_set(e, -EINVAL, "hash algorithm unsupported (sha256 or sha512)");
	if (!block_size_ok(p->data_block_size) || !block_size_ok(p->hash_block_size))
		return kerr_set(e, -EINVAL, "block size %" PRIu32 "/%" PRIu32 " unsupported (powers of two, 512 to 524288)",
			p->data_block_size, p->hash_block_size);
	if (p->salt_size > VERITY_MAX_SALT)
		return kerr_set(e, -EINVAL, "salt of %u bytes is longer than 256", p->salt_size);
	if (p->hash_area_offset % 512)
		return kerr_set(e, -EINVAL, "hash offset %" PRIu64 " is not a multiple of 512", p->hash_area_offset);
	if (p->no_superblock && p->hash_area_offset % p->hash_block_size)
		return kerr_set(e, -EINVAL, "hash offset %" PRIu64 " is not a multiple of the hash block size",
			p->hash_area_offset);
	if (!p->data_blocks)
		return kerr_set(e, -EINVAL, "no data blocks");
	if (p->data_blocks > UINT64_MAX / p->data_block_size)
		return kerr_set(e, -EOVERFLOW, "data_blocks %" PRIu64 " overflows the data size", p->data_blocks);
	if (p->hash_area_offset > UINT64_MAX - VERITY_SB_SIZE - p->hash_block_size)
		return kerr_set(e, -EOVERFLOW, "hash offset %" PRIu64 " too large", p->hash_area_offset);

	unsigned bits = 0;
	while ((2u << bits) * ds <= p->hash_block_size)
		bits++;
	l.per_block = 1u << bits;
	l.stride = (uint32_t)ds; /* sha256/sha512 digests are powers of two in both formats */
	l.hash_start = p->no_superblock ? p->hash_area_offset / p->hash_block_size
					: (p->hash_area_offset + VERITY_SB_SIZE + p->hash_block_size - 1) / p->hash_block_size;
	while (bits * l.levels < 64 && (p->data_blocks - 1) >> (bits * l.levels))
		l.levels++;
	if (l.levels > VERITY_MAX_LEVELS)
		return kerr_set(e, -EOVERFLOW, "too many tree levels");
	uint64_t pos = l.hash_start;
	for (int i = (int)l.levels - 1; i >= 0; i--) {
		unsigned shift = (unsigned)(i + 1) * bits;
		uint64_t n = shift > 63 ? 1 : ((p->data_blocks - 1) >> shift) + 1;
		l.level_start[i] = pos;
		l.level_blocks[i] = n;
		if (pos + n < pos)
			return kerr_set(e, -EOVERFLOW, "hash tree position overflows");
		pos += n;
	}
	l.hash_blocks = pos - l.hash_start;
	if (pos > UINT64_MAX / p->hash_block_size || pos * p->hash_block_size > INT64_MAX)
		return kerr_set(e, -EOVERFLOW, "hash tree end overflows");
	l.hash_end = pos * p->hash_block_size;
	if (out)
		*out = l;
	return 0;
}

void verity_sb_encode(const struct verity_params *p, uint8_t sb[VERITY_SB_SIZE])
{
	memset(sb, 0, VERITY_SB_SIZE);
	memcpy(sb, sb_magic, sizeof(sb_magic));
	put32(sb + SB_VERSION, 1);
	put32(sb + SB_HASH_TYPE, p->hash_type);
	memcpy(sb + SB_UUID, p->uuid, 16);
	const char *name = hash_name(p->alg);
	memcpy(sb + SB_ALG, name, strlen(name));
	put32(sb + SB_DBS, p->data_block_size);
	put32(sb + SB_HBS, p->hash_block_size);
	put64(sb + SB_BLOCKS, p->data_blocks);
	sb[SB_SALT_SIZE] = (uint8_t)p->salt_size;
	sb[SB_SALT_SIZE + 1] = (uint8_t)(p->salt_size >> 8);
	memcpy(sb + SB_SALT, p->salt, p->salt_size <= VERITY_MAX_SALT ? p->salt_size : VERITY_MAX_SALT);
}

int verity_sb_decode(struct verity_params *p, const void *in, size_t len, struct kerr *e)
{
	const uint8_t *sb = in;
	struct verity_params q = *p;
	char alg[SB_ALG_LEN + 1];

	if (len < VERITY_SB_SIZE)
		return kerr_set(e, -EINVAL, "superblock: %zu bytes, need 512", len);
	if (memcmp(sb, sb_magic, sizeof(sb_magic)))
		return kerr_set(e, -EINVAL, "superblock: no verity signature (offset 0)");
	if (le32(sb + SB_VERSION) != 1)
		return kerr_set(e, -EINVAL, "superblock: version %" PRIu32 " unsupported (offset 8)", le32(sb + SB_VERSION));
	q.hash_type = le32(sb + SB_HASH_TYPE);
	if (q.hash_type > 1)
		return kerr_set(e, -EINVAL, "superblock: hash type %" PRIu32 " unsupported (offset 12)", q.hash_type);
	memcpy(q.uuid, sb + SB_UUID, 16);
	memcpy(alg, sb + SB_ALG, SB_ALG_LEN);
	alg[SB_ALG_LEN] = 0;
	if (memchr(sb + SB_ALG, 0, SB_ALG_LEN) == NULL || (q.alg = hash_alg_from_name(alg)) == HASH_NONE) {
		for (char *c = alg; *c; c++)
			if (*c < 0x20 || *c > 0x7e)
				*c = '?';
		return kerr_set(e, -EINVAL, "superblock: hash algorithm '%s' unsupported (offset 32)", alg);
	}
	q.data_block_size = le32(sb + SB_DBS);
	q.hash_block_size = le32(sb + SB_HBS);
	if (!block_size_ok(q.data_block_size) || !block_size_ok(q.hash_block_size))
		return kerr_set(e, -EINVAL, "superblock: block size %" PRIu32 "/%" PRIu32 " unsupported (offset 64)",
			q.data_block_size, q.hash_block_size);
	q.data_blocks = le64(sb + SB_BLOCKS);
	q.salt_size = (uint16_t)(sb[SB_SALT_SIZE] | sb[SB_SALT_SIZE + 1] << 8);
	if (q.salt_size > VERITY_MAX_SALT)
		return kerr_set(e, -EINVAL, "superblock: salt size %u larger than 256 (offset 80)", q.salt_size);
	memset(q.salt, 0, sizeof(q.salt));
	memcpy(q.salt, sb + SB_SALT, q.salt_size);
	q.no_superblock = 0;
	struct kerr le = {0};
	int ret = verity_layout(&q, NULL, &le);
	if (ret)
		return kerr_set(e, -EINVAL, "superblock: data_blocks %" PRIu64 " (offset 72): %s", q.data_blocks, le.msg);
	*p = q;
	return 0;
}

int verity_sb_read(struct verity_params *p, int hash_fd, struct kerr *e)
{
	uint8_t sb[VERITY_SB_SIZE];
	if (p->hash_area_offset % 512)
		return kerr_set(e, -EINVAL, "hash offset %" PRIu64 " is not a multiple of 512", p->hash_area_offset);
	if (p->hash_area_offset > INT64_MAX - VERITY_SB_SIZE)
		return kerr_set(e, -EINVAL, "hash offset %" PRIu64 " too large", p->hash_area_offset);
	int ret = fs_pread_all(hash_fd, sb, sizeof(sb), (off_t)p->hash_area_offset);
	if (ret)
		return kerr_set(e, ret == -EIO ? -EINVAL : ret, "superblock at offset %" PRIu64 ": %s",
			p->hash_area_offset, ret == -EIO ? "device too short" : strerror(-ret));
	return verity_sb_decode(p, sb, sizeof(sb), e);
}

int verity_dev_size(int fd, uint64_t *size)
{
	struct stat st;
	if (fstat(fd, &st))
		return -errno;
	if (S_ISREG(st.st_mode)) {
		*size = (uint64_t)st.st_size;
		return 0;
	}
	if (!S_ISBLK(st.st_mode))
		return -EINVAL;
	off_t end = lseek(fd, 0, SEEK_END); /* a block device's size, without an ioctl to allow */
	if (end < 0)
		return -errno;
	*size = (uint64_t)end;
	return 0;
}

unsigned verity_default_threads(void)
{
	cpu_set_t set;
	if (sched_getaffinity(0, sizeof(set), &set))
		return 1;
	int n = CPU_COUNT(&set);
	return n < 1 ? 1 : n > VERITY_MAX_THREADS ? VERITY_MAX_THREADS : (unsigned)n;
}

/* ---- the tree ------------------------------------------------------------------------------ */

enum mode { MODE_WRITE, MODE_VERIFY, MODE_ROOT };
enum { WINDOW = 1 << 20, SLICE = 2 << 20 };

struct level {
	uint64_t start, blocks; /* in hash blocks */
	uint64_t next;          /* index (in the level) of the block being built */
	uint32_t fill;          /* digests in it */
	uint64_t children;      /* blocks of the level below (data blocks for level 0) */
	uint8_t *cur;           /* hash_block_size bytes */
	uint8_t *win;           /* whole blocks: write-behind or read-ahead */
	uint64_t win_first;     /* level index of win's first block */
	uint32_t win_n, win_cap;
};

struct tree {
	const struct verity_params *p;
	struct verity_layout l;
	enum mode mode;
	int hash_fd;
	size_t ds;
	struct hash_ctx salted; /* format 1: the state after the salt */
	struct level lv[VERITY_MAX_LEVELS];
	uint8_t root[HASH_MAX_SIZE];
	struct kerr *e;
};

static void block_digest(const struct tree *t, const uint8_t *blk, size_t len, uint8_t *out)
{
	struct hash_ctx c;
	if (t->p->hash_type == 1) {
		c = t->salted;
		hash_update(&c, blk, len);
	} else {
		hash_init(&c, t->p->alg);
		hash_update(&c, blk, len);
		hash_update(&c, t->p->salt, t->p->salt_size);
	}
	hash_final(&c, out);
}

static int flush_window(struct tree *t, struct level *v)
{
	if (t->mode != MODE_WRITE || !v->win_n)
		return 0;
	uint32_t hbs = t->p->hash_block_size;
	int ret = fs_pwrite_all(t->hash_fd, v->win, (size_t)v->win_n * hbs, (off_t)((v->start + v->win_first) * hbs));
	if (ret)
		return kerr_set(t->e, ret, "write hash block at offset %" PRIu64 ": %s",
			(v->start + v->win_first) * hbs, strerror(-ret));
	v->win_first += v->win_n;
	v->win_n = 0;
	return 0;
}

/* Verify mode: the first byte where the block built differs from the device's names the culprit. */
static int mismatch(struct tree *t, int li, const struct level *v, const uint8_t *disk)
{
	uint32_t hbs = t->p->hash_block_size;
	uint64_t blk_off = (v->start + v->next) * hbs;
	size_t o = 0;
	while (v->cur[o] == disk[o])
		o++;
	size_t slot = o / t->l.stride;
	if (slot < v->fill && o % t->l.stride < t->ds) {
		uint64_t child = v->next * t->l.per_block + slot;
		if (li == 0)
			return kerr_set(t->e, -EBADMSG, "data block %" PRIu64 " (offset %" PRIu64
				") does not match its hash at hash device offset %" PRIu64,
				child, child * t->p->data_block_size, blk_off + slot * t->l.stride);
		uint64_t c_off = (t->lv[li - 1].start + child) * hbs;
		return kerr_set(t->e, -EBADMSG, "hash block at offset %" PRIu64
			" does not match its hash at hash device offset %" PRIu64, c_off, blk_off + slot * t->l.stride);
	}
	return kerr_set(t->e, -EBADMSG, "hash block at offset %" PRIu64 ": padding not zero at offset %" PRIu64,
		blk_off, blk_off + o);
}

static int verify_block(struct tree *t, int li, struct level *v)
{
	uint32_t hbs = t->p->hash_block_size;
	if (v->next < v->win_first || v->next >= v->win_first + v->win_n) {
		uint64_t left = v->blocks - v->next;
		v->win_first = v->next;
		v->win_n = left < v->win_cap ? (uint32_t)left : v->win_cap;
		off_t off = (off_t)((v->start + v->next) * hbs);
		int ret = fs_pread_all(t->hash_fd, v->win, (size_t)v->win_n * hbs, off);
		if (ret)
			return kerr_set(t->e, ret == -EIO ? -EBADMSG : ret, "read hash block at offset %" PRIu64 ": %s",
				(uint64_t)off, ret == -EIO ? "hash device too short" : strerror(-ret));
	}
	const uint8_t *disk = v->win + (size_t)(v->next - v->win_first) * hbs;
	return memcmp(disk, v->cur, hbs) ? mismatch(t, li, v, disk) : 0;
}

/* Add the digest of child number `child` to level li; emit the level's block when it is full. */
static int add_digest(struct tree *t, int li, const uint8_t *d)
{
	if (li == (int)t->l.levels) { /* above the top level: the root */
		memcpy(t->root, d, t->ds);
		return 0;
	}
	struct level *v = &t->lv[li];
	uint32_t hbs = t->p->hash_block_size;
	memcpy(v->cur + (size_t)v->fill * t->l.stride, d, t->ds);
	v->fill++;
	uint64_t done = v->next * t->l.per_block + v->fill;
	if (v->fill < t->l.per_block && done < v->children)
		return 0;
	int ret = 0;
	if (t->mode == MODE_WRITE) {
		if (v->win_n == v->win_cap && (ret = flush_window(t, v)))
			return ret;
		memcpy(v->win + (size_t)v->win_n++ * hbs, v->cur, hbs);
	} else if (t->mode == MODE_VERIFY && (ret = verify_block(t, li, v))) {
		return ret;
	}
	uint8_t up[HASH_MAX_SIZE];
	block_digest(t, v->cur, hbs, up);
	memset(v->cur, 0, hbs);
	v->fill = 0;
	v->next++;
	return add_digest(t, li + 1, up);
}

/* Leaf level: threads each read a slice of a chunk of data blocks and hash it. */
struct slice {
	const struct tree *t;
	int fd;
	uint64_t first, n; /* data blocks */
	uint8_t *buf, *digests;
	int err;
};

static void *hash_slice(void *arg)
{
	struct slice *s = arg;
	uint32_t dbs = s->t->p->data_block_size;
	s->err = fs_pread_all(s->fd, s->buf, (size_t)(s->n * dbs), (off_t)(s->first * dbs));
	if (s->err)
		return NULL;
	for (uint64_t i = 0; i < s->n; i++)
		block_digest(s->t, s->buf + i * dbs, dbs, s->digests + i * s->t->ds);
	return NULL;
}

static int hash_data(struct tree *t, int data_fd)
{
	const struct verity_params *p = t->p;
	unsigned nt = p->threads < 1 ? 1 : p->threads > VERITY_MAX_THREADS ? VERITY_MAX_THREADS : p->threads;
	uint64_t per = SLICE / p->data_block_size ? SLICE / p->data_block_size : 1; /* blocks per slice */
	struct slice s[VERITY_MAX_THREADS];
	pthread_t th[VERITY_MAX_THREADS];
	int ret = -ENOMEM;
	uint8_t *mem = malloc((size_t)nt * per * (p->data_block_size + t->ds));
	if (!mem)
		return kerr_set(t->e, ret, "out of memory");
	for (unsigned i = 0; i < nt; i++) {
		s[i].t = t;
		s[i].fd = data_fd;
		s[i].buf = mem + (size_t)i * per * p->data_block_size;
		s[i].digests = mem + (size_t)nt * per * p->data_block_size + (size_t)i * per * t->ds;
	}
	for (uint64_t b = 0; b < p->data_blocks;) {
		unsigned used = 0;
		for (; used < nt && b < p->data_blocks; used++) {
			s[used].first = b;
			s[used].n = p->data_blocks - b < per ? p->data_blocks - b : per;
			b += s[used].n;
		}
		unsigned started = 1;
		for (unsigned i = 1; i < used; i++, started++)
			if (pthread_create(&th[i], NULL, hash_slice, &s[i]))
				break;
		for (unsigned i = started; i < used; i++) /* no thread: do it here */
			hash_slice(&s[i]);
		hash_slice(&s[0]);
		for (unsigned i = 1; i < started; i++)
			pthread_join(th[i], NULL);
		for (unsigned i = 0; i < used; i++) {
			if (s[i].err) {
				ret = kerr_set(t->e, s[i].err, "read data block %" PRIu64 ": %s", s[i].first,
					s[i].err == -EIO ? "data device too short" : strerror(-s[i].err));
				goto out;
			}
			for (uint64_t j = 0; j < s[i].n; j++)
				if ((ret = add_digest(t, 0, s[i].digests + j * t->ds)))
					goto out;
		}
	}
	ret = 0;
out:
	free(mem);
	return ret;
}

static void tree_free(struct tree *t)
{
	for (unsigned i = 0; i < VERITY_MAX_LEVELS; i++) {
		free(t->lv[i].cur);
		free(t->lv[i].win);
	}
	hash_free(&t->salted);
}

static int check_devices(const struct tree *t, int data_fd, int hash_fd)
{
	const struct verity_params *p = t->p;
	uint64_t size;
	int ret = verity_dev_size(data_fd, &size);
	if (ret)
		return kerr_set(t->e, ret, "data device size: %s", strerror(-ret));
	if (p->data_blocks > size / p->data_block_size)
		return kerr_set(t->e, -EINVAL, "data device too small: %" PRIu64 " bytes, %" PRIu64 " blocks of %" PRIu32
			" need %" PRIu64, size, p->data_blocks, p->data_block_size, p->data_blocks * p->data_block_size);
	struct stat a, b;
	if (hash_fd >= 0 && !fstat(data_fd, &a) && !fstat(hash_fd, &b) && a.st_dev == b.st_dev &&
		a.st_ino == b.st_ino && p->data_blocks * p->data_block_size > p->hash_area_offset)
		return kerr_set(t->e, -EINVAL, "data area (%" PRIu64 " bytes) overlaps the hash area at offset %" PRIu64,
			p->data_blocks * p->data_block_size, p->hash_area_offset);
	return 0;
}

static int tree_run(const struct verity_params *p, enum mode mode, int data_fd, int hash_fd, uint8_t *root,
	struct kerr *e)
{
	struct tree t;
	int ret;

	memset(&t, 0, sizeof(t));
	t.p = p;
	t.mode = mode;
	t.hash_fd = hash_fd;
	t.e = e;
	if ((ret = verity_layout(p, &t.l, e)) || (ret = check_devices(&t, data_fd, mode == MODE_ROOT ? -1 : hash_fd)))
		return ret;
	t.ds = hash_size(p->alg);
	if (mode == MODE_VERIFY) {
		uint64_t size;
		if ((ret = verity_dev_size(hash_fd, &size)))
			return kerr_set(e, ret, "hash device size: %s", strerror(-ret));
		if (size < t.l.hash_end)
			return kerr_set(e, -EBADMSG, "hash device too small: %" PRIu64 " bytes, the tree ends at %" PRIu64,
				size, t.l.hash_end);
	}
	hash_init(&t.salted, p->alg);
	if (p->hash_type == 1)
		hash_update(&t.salted, p->salt, p->salt_size);
	for (unsigned i = 0; i < t.l.levels; i++) {
		struct level *v = &t.lv[i];
		v->start = t.l.level_start[i];
		v->blocks = t.l.level_blocks[i];
		v->children = i ? t.l.level_blocks[i - 1] : p->data_blocks;
		uint64_t cap = WINDOW / p->hash_block_size ? WINDOW / p->hash_block_size : 1;
		v->win_cap = (uint32_t)(mode == MODE_ROOT ? 0 : cap < v->blocks ? cap : v->blocks);
		v->cur = calloc(1, p->hash_block_size);
		v->win = v->win_cap ? malloc((size_t)v->win_cap * p->hash_block_size) : NULL;
		if (!v->cur || (v->win_cap && !v->win)) {
			ret = kerr_set(e, -ENOMEM, "out of memory");
			goto out;
		}
	}
	if ((ret = hash_data(&t, data_fd)))
		goto out;
	for (unsigned i = 0; i < t.l.levels; i++)
		if ((ret = flush_window(&t, &t.lv[i])))
			goto out;
	memcpy(root, t.root, t.ds);
out:
	tree_free(&t);
	return ret;
}

int verity_format(const struct verity_params *p, int data_fd, int hash_fd, uint8_t *root, struct kerr *e)
{
	struct verity_layout l;
	struct stat st;
	int ret = verity_layout(p, &l, e);
	if (ret)
		return ret;
	if (fstat(hash_fd, &st))
		return kerr_set(e, -errno, "hash device: %s", strerror(errno));
	if (!S_ISREG(st.st_mode) && !S_ISBLK(st.st_mode)) /* nothing written to a fifo, a tty, /dev/null… */
		return kerr_set(e, -EINVAL, "hash device: not a regular file or block device");
	if (S_ISREG(st.st_mode) && (uint64_t)st.st_size < l.hash_end && ftruncate(hash_fd, (off_t)l.hash_end))
		return kerr_set(e, -errno, "extend hash file to %" PRIu64 " bytes: %s", l.hash_end, strerror(errno));
	uint64_t size;
	if (!S_ISREG(st.st_mode) && !verity_dev_size(hash_fd, &size) && size < l.hash_end)
		return kerr_set(e, -ENOSPC, "hash device too small: %" PRIu64 " bytes, the tree ends at %" PRIu64,
			size, l.hash_end);
	if ((ret = tree_run(p, MODE_WRITE, data_fd, hash_fd, root, e)))
		return ret;
	if (!p->no_superblock) {
		uint8_t sb[VERITY_SB_SIZE];
		verity_sb_encode(p, sb);
		if ((ret = fs_pwrite_all(hash_fd, sb, sizeof(sb), (off_t)p->hash_area_offset)))
			return kerr_set(e, ret, "write superblock at offset %" PRIu64 ": %s", p->hash_area_offset,
				strerror(-ret));
	}
	if (fsync(hash_fd) && errno != EINVAL)
		return kerr_set(e, -errno, "fsync hash device: %s", strerror(errno));
	return 0;
}

int verity_verify(const struct verity_params *p, int data_fd, int hash_fd, const uint8_t *root, struct kerr *e)
{
	uint8_t got[HASH_MAX_SIZE];
	int ret = tree_run(p, MODE_VERIFY, data_fd, hash_fd, got, e);
	if (ret)
		return ret;
	if (memcmp(got, root, hash_size(p->alg))) {
		char hex[2 * HASH_MAX_SIZE + 1];
		hex_encode(hex, got, hash_size(p->alg));
		return kerr_set(e, -EBADMSG, "root hash mismatch (the tree's root is %s)", hex);
	}
	return 0;
}

int verity_root(const struct verity_params *p, int data_fd, uint8_t *root, struct kerr *e)
{
	return tree_run(p, MODE_ROOT, data_fd, -1, root, e);
}

/* ---- text ---------------------------------------------------------------------------------- */

int verity_uuid_parse(uint8_t uuid[16], const char *s)
{
	static const int groups[] = {8, 4, 4, 4, 12};
	size_t n = 0;
	for (int g = 0; g < 5; g++) {
		size_t len = (size_t)groups[g];
		if (strspn(s, "0123456789abcdefABCDEF") < len || hex_decode(uuid + n, len / 2, s, len))
			return -EINVAL;
		n += len / 2;
		s += len;
		if (g < 4 && *s++ != '-')
			return -EINVAL;
	}
	return *s ? -EINVAL : 0;
}

void verity_uuid_format(char out[37], const uint8_t uuid[16])
{
	static const int groups[] = {4, 2, 2, 2, 6};
	char *o = out;
	const uint8_t *u = uuid;
	for (int g = 0; g < 5; g++) {
		hex_encode(o, u, (size_t)groups[g]);
		o += 2 * groups[g];
		u += groups[g];
		if (g < 4)
			*o++ = '-';
	}
	*o = 0;
}

int verity_dm_table(const struct verity_params *p, const char *data_dev, const char *hash_dev,
	const uint8_t *root, char *out, size_t n)
{
	struct verity_layout l;
	char rh[2 * HASH_MAX_SIZE + 1], salt[2 * VERITY_MAX_SALT + 1];
	int ret = verity_layout(p, &l, NULL);
	if (ret)
		return ret;
	hex_encode(rh, root, hash_size(p->alg));
	if (p->salt_size)
		hex_encode(salt, p->salt, p->salt_size);
	else
		strcpy(salt, "-");
	return str_fmt(out, n, "%" PRIu32 " %s %s %" PRIu32 " %" PRIu32 " %" PRIu64 " %" PRIu64 " %s %s %s",
		p->hash_type, data_dev, hash_dev, p->data_block_size, p->hash_block_size, p->data_blocks,
		l.hash_start, hash_name(p->alg), rh, salt);
}
