/* verity_test.c — dm-verity trees against cryptsetup's known root hashes, superblock round trips
 * and forgeries, verification catching every kind of damage. */
#include "t.h"
#include "base/buf.h"
#include "base/err.h"
#include "trust/verity.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static const char *salt_hex = "e48da609055204e89ae53b655ca2216dd983cf3cb829f34f63a297d106d53e2d";

static void params(struct verity_params *p, uint32_t bs, uint32_t fmt, const char *salt)
{
	verity_params_default(p);
	p->data_block_size = p->hash_block_size = bs;
	p->hash_type = fmt;
	p->data_blocks = 8388608 / bs;
	p->salt_size = (uint16_t)(strlen(salt) / 2);
	hex_decode(p->salt, p->salt_size, salt, strlen(salt));
}

static int open_file(const char *name, const void *data, size_t len)
{
	return open(t_write(name, data, len), O_RDWR);
}

/* cryptsetup tests/verity-compat-test: 8 MiB of zeros, data block size = hash block size. */
T_TEST(verity_known_roots)
{
	static const struct { uint32_t bs, fmt; int salted; const char *root; } v[] = {
		{512, 1, 1, "9de18652fe74edfb9b805aaed72ae2aa48f94333f1ba5c452ac33b1c39325174"},
		{1024, 1, 1, "54d92778750495d1f80832b486ebd007617d746271511bbf0e295e143da2b3df"},
		{4096, 1, 1, "e522df0f97da4febb882ac40f30b37dc0b444bf6df418929463fa25280f09d5c"},
		{4096, 0, 1, "cbbf4ebd004ef65e29b935bb635a39cf754d677f3fa10b0126da725bbdf10f7d"},
		{4096, 1, 0, "ef29c902d87350f1da4bfa536e16cebc162a909bf89abe448b81ec500d4fb9bf"},
	};
	uint8_t *zeros = calloc(1, 8388608);
	int dfd = open_file("zeros", zeros, 8388608);
	for (size_t i = 0; i < T_LEN(v); i++) {
		for (unsigned threads = 1; threads <= 3; threads++) {
			struct verity_params p;
			struct kerr e = {0};
			uint8_t root[32], want[32];
			char hex[65];
			params(&p, v[i].bs, v[i].fmt, v[i].salted ? salt_hex : "");
			p.threads = threads;
			hex_decode(want, 32, v[i].root, 64);
			int ret = verity_root(&p, dfd, root, &e);
			hex_encode(hex, root, 32);
			t_check(ret == 0 && !memcmp(root, want, 32), "root %zu threads %u: %s %s", i, threads, hex, e.msg);
			/* format, then verify what was written */
			int hfd = open_file("zeros.hash", "", 0);
			t_check(verity_format(&p, dfd, hfd, root, &e) == 0 && !memcmp(root, want, 32), "format %zu: %s", i, e.msg);
			t_check(verity_verify(&p, dfd, hfd, want, &e) == 0, "verify %zu: %s", i, e.msg);
			struct verity_params q;
			verity_params_default(&q);
			t_check(verity_sb_read(&q, hfd, &e) == 0 && q.data_blocks == p.data_blocks && q.hash_type == p.hash_type &&
				q.salt_size == p.salt_size && !memcmp(q.salt, p.salt, p.salt_size), "superblock %zu: %s", i, e.msg);
			close(hfd);
		}
	}
	close(dfd);
	free(zeros);
}

T_TEST(verity_layout_numbers)
{
	struct verity_params p;
	struct verity_layout l;
	verity_params_default(&p);
	p.data_blocks = 2048; /* 8 MiB at 4 KiB: 16 leaf blocks + 1 top, after the superblock block */
	t_check(verity_layout(&p, &l, NULL) == 0 && l.levels == 2 && l.hash_blocks == 17 && l.hash_start == 1 &&
		l.level_start[1] == 1 && l.level_start[0] == 2 && l.hash_end == 73728 && l.per_block == 128, "8 MiB layout");
	p.no_superblock = 1;
	t_check(verity_layout(&p, &l, NULL) == 0 && l.hash_start == 0 && l.hash_end == 69632, "no superblock");
	p.no_superblock = 0;
	p.hash_area_offset = 1024;
	p.hash_block_size = 512;
	t_check(verity_layout(&p, &l, NULL) == 0 && l.hash_start == 3, "offset 1024, 512-byte hash blocks");
	p.data_blocks = 1;
	t_check(verity_layout(&p, &l, NULL) == 0 && l.levels == 0 && l.hash_blocks == 0, "one block: no levels");
	p.hash_block_size = 4096;
	p.data_blocks = UINT64_MAX / 4096 + 1;
	t_check(verity_layout(&p, &l, NULL) == -EOVERFLOW, "data size overflow");
	p.data_blocks = 1000;
	p.hash_area_offset = (uint64_t)INT64_MAX / 512 * 512 - 8192;
	t_check(verity_layout(&p, &l, NULL) == -EOVERFLOW, "tree end overflow");
	p.hash_area_offset = 0;

	static const struct { uint32_t dbs, hbs, fmt; enum hash_alg alg; uint64_t off, blocks; int nosb; } bad[] = {
		{3, 4096, 1, HASH_SHA256, 0, 1, 0}, {4096, 3, 1, HASH_SHA256, 0, 1, 0}, {256, 4096, 1, HASH_SHA256, 0, 1, 0},
		{1 << 20, 4096, 1, HASH_SHA256, 0, 1, 0}, {4096, 4096, 2, HASH_SHA256, 0, 1, 0},
		{4096, 4096, 1, HASH_NONE, 0, 1, 0}, {4096, 4096, 1, HASH_SHA256, 100, 1, 0},
		{4096, 4096, 1, HASH_SHA256, 512, 1, 1}, {4096, 4096, 1, HASH_SHA256, 0, 0, 0},
		{4096, 4096, 1, HASH_SHA256, UINT64_MAX - 511, 1, 0},
	};
	for (size_t i = 0; i < T_LEN(bad); i++) {
		struct kerr e = {0};
		verity_params_default(&p);
		p.data_block_size = bad[i].dbs;
		p.hash_block_size = bad[i].hbs;
		p.hash_type = bad[i].fmt;
		p.alg = bad[i].alg;
		p.hash_area_offset = bad[i].off;
		p.data_blocks = bad[i].blocks;
		p.no_superblock = bad[i].nosb;
		t_check(verity_layout(&p, &l, &e) < 0 && e.msg[0], "bad params %zu refused", i);
	}
}

static void sb_good(uint8_t sb[512])
{
	struct verity_params p;
	verity_params_default(&p);
	p.data_blocks = 2048;
	p.salt_size = 2;
	p.salt[0] = 0xab, p.salt[1] = 0xcd;
	verity_uuid_parse(p.uuid, "12345678-1234-1234-1234-123456789abc");
	verity_sb_encode(&p, sb);
}

T_TEST(verity_superblock)
{
	uint8_t sb[512];
	struct verity_params p;
	struct kerr e = {0};
	sb_good(sb);
	verity_params_default(&p);
	t_check(verity_sb_decode(&p, sb, sizeof(sb), &e) == 0 && p.data_blocks == 2048 && p.salt_size == 2 &&
		p.salt[1] == 0xcd && p.alg == HASH_SHA256 && p.hash_type == 1, "good superblock: %s", e.msg);
	char uuid[37];
	verity_uuid_format(uuid, p.uuid);
	t_check(!strcmp(uuid, "12345678-1234-1234-1234-123456789abc"), "uuid %s", uuid);
	uint8_t again[512];
	verity_sb_encode(&p, again);
	t_check(!memcmp(sb, again, 512), "decode/encode round trip");

	static const struct { size_t off; uint8_t val; const char *why; } forged[] = {
		{0, 'V', "wrong magic"},
		{8, 2, "version 2"},
		{12, 2, "hash type 2"},
		{64, 3, "data block size"},  /* low byte of 4096 is 0: 3 makes 4099 */
		{65, 0, "data block size 0"}, /* 4096 -> 0 */
		{69, 0x00, "hash block size"},
		{32, 'x', "algorithm"},
		{81, 1, "salt size 258"},
		{79, 0x80, "data_blocks overflowing"},
	};
	for (size_t i = 0; i < T_LEN(forged); i++) {
		uint8_t f[512];
		memcpy(f, sb, 512);
		f[forged[i].off] = forged[i].val;
		if (forged[i].off == 64) { f[64] = 3, f[65] = 0, f[66] = 0; } /* block size 3 */
		if (forged[i].off == 81) { f[80] = 0x2c, f[81] = 1; }       /* salt size 300 */
		struct kerr fe = {0};
		struct verity_params q;
		verity_params_default(&q);
		t_check(verity_sb_decode(&q, f, 512, &fe) == -EINVAL && fe.msg[0], "forged %s refused (%s)", forged[i].why, fe.msg);
	}
	t_check(verity_sb_decode(&p, sb, 511, &e) == -EINVAL, "short superblock");
	uint8_t noterm[512];
	memcpy(noterm, sb, 512);
	memset(noterm + 32, 'a', 32);
	t_check(verity_sb_decode(&p, noterm, 512, &e) == -EINVAL, "algorithm without NUL");

	t_check(verity_uuid_parse(again, "12345678-1234-1234-1234-123456789ab") < 0 &&
		verity_uuid_parse(again, "12345678-1234-1234-1234-123456789abcd") < 0 &&
		verity_uuid_parse(again, "1234567-81234-1234-1234-123456789abc") < 0 &&
		verity_uuid_parse(again, "12345678-1234-1234-1234-123456789abg") < 0, "bad uuids");
}

/* Damage every part of an image: each is -EBADMSG with a message naming the place. */
T_TEST(verity_verify_damage)
{
	enum { N = 300 * 4096 + 100 };
	uint8_t *data = malloc(N), root[32], bad_root[32];
	uint64_t x = 88172645463325252ULL;
	for (size_t i = 0; i < N; i++) {
		x ^= x << 13, x ^= x >> 7, x ^= x << 17;
		data[i] = (uint8_t)x;
	}
	struct verity_params p;
	struct verity_layout l;
	struct kerr e = {0};
	params(&p, 4096, 1, salt_hex);
	p.data_blocks = 300;
	p.threads = 2;
	verity_layout(&p, &l, NULL);
	int dfd = open_file("data", data, N), hfd = open_file("hash", "", 0);
	t_check(verity_format(&p, dfd, hfd, root, &e) == 0, "format: %s", e.msg);
	t_check(verity_verify(&p, dfd, hfd, root, &e) == 0, "verify: %s", e.msg);
	memcpy(bad_root, root, 32);
	bad_root[31] ^= 1;
	t_check(verity_verify(&p, dfd, hfd, bad_root, &e) == -EBADMSG && strstr(e.msg, "root hash"), "wrong root: %s", e.msg);

	static const struct { int in_hash; uint64_t off; const char *says; } dmg[] = {
		{0, 0, "data block 0 "},
		{0, 150 * 4096 + 7, "data block 150 "},
		{0, 300 * 4096 - 1, "data block 299 "},
		{1, 4096 + 5, "hash block at offset 8192 "},  /* top block, first digest */
		{1, 4096 + 3 * 32, "padding"},                 /* top block has 3 digests */
		{1, 8192 + 40, "data block 1 "},              /* leaf block 0, digest 1 */
		{1, 4 * 4096 + 4095, "padding"},              /* last leaf block: 44 digests */
	};
	for (size_t i = 0; i < T_LEN(dmg); i++) {
		int fd = dmg[i].in_hash ? hfd : dfd;
		uint8_t b;
		pread(fd, &b, 1, (off_t)dmg[i].off);
		b ^= 0x10;
		pwrite(fd, &b, 1, (off_t)dmg[i].off);
		struct kerr de = {0};
		int ret = verity_verify(&p, dfd, hfd, root, &de);
		t_check(ret == -EBADMSG && strstr(de.msg, dmg[i].says), "damage %zu: %d %s", i, ret, de.msg);
		b ^= 0x10;
		pwrite(fd, &b, 1, (off_t)dmg[i].off);
	}
	t_check(verity_verify(&p, dfd, hfd, root, &e) == 0, "repaired");
	/* a byte past the data blocks is not covered, as in veritysetup */
	uint8_t b = 1;
	pwrite(dfd, &b, 1, 300 * 4096 + 50);
	t_check(verity_verify(&p, dfd, hfd, root, &e) == 0, "trailing partial block not covered");
	/* truncated hash device */
	ftruncate(hfd, (off_t)l.hash_end - 1);
	t_check(verity_verify(&p, dfd, hfd, root, &e) == -EBADMSG && strstr(e.msg, "too small"), "truncated: %s", e.msg);
	/* data_blocks beyond the data device */
	p.data_blocks = 301;
	t_check(verity_verify(&p, dfd, hfd, root, &e) == -EINVAL && strstr(e.msg, "too small"), "data too small: %s", e.msg);
	/* data and hash area overlapping in one file */
	p.data_blocks = 300;
	p.hash_area_offset = 4096;
	t_check(verity_format(&p, dfd, dfd, root, &e) == -EINVAL && strstr(e.msg, "overlaps"), "overlap: %s", e.msg);
	/* a hash device that is neither a regular file nor a block device: never written */
	p.hash_area_offset = 0;
	int pfd[2], nfd = open("/dev/null", O_RDWR | O_CLOEXEC);
	t_check(verity_format(&p, dfd, nfd, root, &e) == -EINVAL && strstr(e.msg, "hash device"), "/dev/null: %s", e.msg);
	t_check(verity_verify(&p, dfd, nfd, root, &e) == -EINVAL && strstr(e.msg, "hash device"), "verify /dev/null: %s", e.msg);
	close(nfd);
	if (!pipe(pfd)) {
		t_check(verity_format(&p, dfd, pfd[1], root, &e) == -EINVAL && strstr(e.msg, "hash device"), "pipe: %s", e.msg);
		close(pfd[0]);
		close(pfd[1]);
	}
	close(dfd);
	close(hfd);
	free(data);
}

T_TEST(verity_table_line)
{
	struct verity_params p;
	uint8_t root[32];
	char line[400];
	params(&p, 4096, 1, "abcd");
	p.data_blocks = 2048;
	memset(root, 0x11, 32);
	t_check(verity_dm_table(&p, "/dev/sda2", "/dev/sda2", root, line, sizeof(line)) == 0 &&
		!strcmp(line, "1 /dev/sda2 /dev/sda2 4096 4096 2048 1 sha256 "
			"1111111111111111111111111111111111111111111111111111111111111111 abcd"), "table: %s", line);
	p.salt_size = 0;
	p.no_superblock = 1;
	p.hash_area_offset = 8 << 20;
	t_check(verity_dm_table(&p, "a", "b", root, line, sizeof(line)) == 0 && strstr(line, " 2048 2048 sha256 ") &&
		!strcmp(line + strlen(line) - 2, " -"), "no salt, offset: %s", line);
	t_check(verity_dm_table(&p, "a", "b", root, line, 20) == -ENAMETOOLONG, "too long");
}
