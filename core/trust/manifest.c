/* manifest.c — the signed slot manifest (format in manifest.h). */
#include "trust/manifest.h"
#include "base/buf.h"
#include "base/err.h"
#include "base/fs.h"
#include "trust/hash.h"
#include "trust/sig.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static uint32_t le32(const uint8_t *p) { return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24; }

int manifest_split(const uint8_t *area, size_t len, const uint8_t **text, size_t *text_len,
	const uint8_t **sig, size_t *sig_len, struct kerr *e)
{
	if (len < 16 || memcmp(area, "KEELSLOT", 8))
		return kerr_set(e, -ENOENT, "slot manifest (offset 0): no KEELSLOT magic");
	uint32_t t = le32(area + 8), s = le32(area + 12);
	if (!t || t > MANIFEST_TEXT_MAX)
		return kerr_set(e, -EINVAL, "slot manifest (offset 8): text length %u not in 1..%d", t, MANIFEST_TEXT_MAX);
	if (!s || s > MANIFEST_SIG_MAX)
		return kerr_set(e, -EINVAL, "slot manifest (offset 12): signature length %u not in 1..%d", s, MANIFEST_SIG_MAX);
	if ((size_t)16 + t + s > len)
		return kerr_set(e, -EINVAL, "slot manifest (offset 8): %u + %u bytes do not fit in %zu", t, s, len);
	*text = area + 16;
	*text_len = t;
	*sig = area + 16 + t;
	*sig_len = s;
	return 0;
}

/* Expect "key " at *p; then the value up to '\n' into val[vn]. */
static int field(const uint8_t **p, const uint8_t *end, const char *key, char *val, size_t vn,
	size_t line, struct kerr *e)
{
	size_t kl = strlen(key);
	if ((size_t)(end - *p) < kl + 1 || memcmp(*p, key, kl) || (*p)[kl] != ' ')
		return kerr_set(e, -EINVAL, "slot manifest line %zu: expected \"%s\"", line, key);
	const uint8_t *v = *p + kl + 1;
	const uint8_t *nl = memchr(v, '\n', (size_t)(end - v));
	if (!nl)
		return kerr_set(e, -EINVAL, "slot manifest line %zu (%s): no newline", line, key);
	size_t l = (size_t)(nl - v);
	if (!l || l >= vn)
		return kerr_set(e, -EINVAL, "slot manifest line %zu (%s): value of %zu bytes", line, key, l);
	for (size_t i = 0; i < l; i++)
		if (v[i] <= 0x20 || v[i] >= 0x7f)
			return kerr_set(e, -EINVAL, "slot manifest line %zu (%s): byte 0x%02x in value", line, key, v[i]);
	memcpy(val, v, l);
	val[l] = 0;
	*p = nl + 1;
	return 0;
}

static int pow2_block(uint64_t v) { return v >= 512 && v <= 65536 && !(v & (v - 1)); }

int manifest_parse(const uint8_t *text, size_t len, struct manifest *m, struct kerr *e)
{
	const uint8_t *p = text, *end = text + len;
	char v[2 * 256 + 2];
	uint64_t x;
	int ret;
	memset(m, 0, sizeof(*m));
	if ((ret = field(&p, end, "keel-slot-manifest", v, sizeof(v), 1, e)))
		return ret;
	if (strcmp(v, "1"))
		return kerr_set(e, -EINVAL, "slot manifest line 1: format %s unsupported (want 1)", v);
	if ((ret = field(&p, end, "version", m->version, sizeof(m->version), 2, e)))
		return ret;
	for (const char *s = m->version; *s; s++)
		if (!strchr("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._+-", *s))
			return kerr_set(e, -EINVAL, "slot manifest line 2 (version): character '%c'", *s);
	if ((ret = field(&p, end, "fs", m->fs, sizeof(m->fs), 3, e)))
		return ret;
	if (strcmp(m->fs, "erofs") && strcmp(m->fs, "squashfs") && strcmp(m->fs, "ext4"))
		return kerr_set(e, -EINVAL, "slot manifest line 3 (fs): %s unsupported", m->fs);
	if ((ret = field(&p, end, "hash", v, sizeof(v), 4, e)))
		return ret;
	m->hash = hash_alg_from_name(v);
	if (m->hash == HASH_NONE)
		return kerr_set(e, -EINVAL, "slot manifest line 4 (hash): %s unsupported", v);
	static const char *const nums[] = {"data-block-size", "hash-block-size", "data-blocks", "hash-offset"};
	uint64_t n[4];
	for (int i = 0; i < 4; i++) {
		if ((ret = field(&p, end, nums[i], v, 21, (size_t)5 + i, e)))
			return ret;
		if (parse_u64(v, i == 3 ? 0 : 1, UINT64_MAX >> 2, &x) || (v[0] == '0' && v[1]))
			return kerr_set(e, -EINVAL, "slot manifest line %d (%s): not a number: %s", 5 + i, nums[i], v);
		n[i] = x;
	}
	if (!pow2_block(n[0]) || !pow2_block(n[1]))
		return kerr_set(e, -EINVAL, "slot manifest lines 5-6: block sizes %llu/%llu not powers of two in 512..65536",
			(unsigned long long)n[0], (unsigned long long)n[1]);
	m->data_block_size = (uint32_t)n[0];
	m->hash_block_size = (uint32_t)n[1];
	m->data_blocks = n[2];
	m->hash_offset = n[3];
	if (m->hash_offset % m->hash_block_size)
		return kerr_set(e, -EINVAL, "slot manifest line 8 (hash-offset): not a multiple of the hash block size");
	if (m->data_blocks > m->hash_offset / m->data_block_size)
		return kerr_set(e, -EINVAL, "slot manifest line 8 (hash-offset): inside the data");
	if ((ret = field(&p, end, "salt", v, sizeof(v), 9, e)))
		return ret;
	if (strcmp(v, "-")) {
		size_t l = strlen(v);
		if (l % 2 || l / 2 > sizeof(m->salt) || hex_decode(m->salt, l / 2, v, l))
			return kerr_set(e, -EINVAL, "slot manifest line 9 (salt): not hex of at most 256 bytes");
		m->salt_len = l / 2;
	}
	if ((ret = field(&p, end, "root-hash", v, sizeof(v), 10, e)))
		return ret;
	size_t hl = hash_size(m->hash);
	if (strlen(v) != 2 * hl || hex_decode(m->root_hash, hl, v, 2 * hl))
		return kerr_set(e, -EINVAL, "slot manifest line 10 (root-hash): not %zu hex digits", 2 * hl);
	if (p != end)
		return kerr_set(e, -EINVAL, "slot manifest (offset %zu): data after root-hash", (size_t)(p - text));
	return 0;
}

int manifest_verify(const uint8_t *text, size_t text_len, const uint8_t *sig, size_t sig_len,
	const struct sig_keyring *kr, const struct sig_key **which, struct kerr *e)
{
	uint8_t h[32];
	if (!kr || !kr->n)
		return kerr_set(e, -ENOKEY, "slot manifest: no trusted keys");
	hash_once(HASH_SHA256, text, text_len, h);
	int ret = sig_keyring_verify_digest(kr, NULL, SIG_ECDSA, HASH_SHA256, h, sig, sig_len, which, NULL);
	if (ret == -ENOKEY)
		return kerr_set(e, ret, "slot manifest: none of the %zu trusted keys is an ECDSA key", kr->n);
	if (ret)
		return kerr_set(e, -EBADMSG, "slot manifest: signature does not verify with any of %zu trusted keys", kr->n);
	return 0;
}

int manifest_load(int fd, uint64_t part_size, const char *keydir, struct manifest *m, char *key,
	size_t keylen, struct kerr *e)
{
	struct sig_keyring kr = {0};
	const struct sig_key *which = NULL;
	uint8_t *area = NULL;
	int ret;

	if (part_size < 2 * MANIFEST_AREA)
		return kerr_set(e, -EINVAL, "slot of %llu bytes has no room for a manifest", (unsigned long long)part_size);
	area = malloc(MANIFEST_AREA);
	if (!area)
		return kerr_set(e, -ENOMEM, "out of memory");
	if ((ret = fs_pread_all(fd, area, MANIFEST_AREA, (off_t)(part_size - MANIFEST_AREA)))) {
		kerr_set(e, ret, "slot manifest: read: %s", strerror(-ret));
		goto out;
	}
	const uint8_t *text, *sig;
	size_t tl, sl;
	if ((ret = manifest_split(area, MANIFEST_AREA, &text, &tl, &sig, &sl, e)))
		goto out;
	/* fail closed: a missing, empty or unreadable key directory is an error */
	if ((ret = sig_keyring_load_dir(&kr, AT_FDCWD, keydir, e))) {
		if (ret == -ENOENT)
			ret = -ENOKEY;
		goto out;
	}
	if ((ret = manifest_verify(text, tl, sig, sl, &kr, &which, e)))
		goto out;
	if ((ret = manifest_parse(text, tl, m, e)))
		goto out;
	if (m->hash_offset >= part_size - MANIFEST_AREA) {
		ret = kerr_set(e, -EINVAL, "slot manifest: hash offset %llu beyond the slot", (unsigned long long)m->hash_offset);
		goto out;
	}
	if (key && keylen >= 17) { /* "key " + the first 16 hex digits of its id */
		hex_encode(key, sig_key_id(which), 8);
	}
out:
	sig_keyring_free(&kr);
	free(area);
	return ret;
}

/* 1..MANIFEST_VERSION_MAX bytes of digits in dot-separated, non-empty components. */
static int version_numeric(const char *v, size_t len)
{
	if (!len || len > MANIFEST_VERSION_MAX || v[0] == '.' || v[len - 1] == '.')
		return 0;
	for (size_t i = 0; i < len; i++)
		if (!(v[i] >= '0' && v[i] <= '9') && !(v[i] == '.' && v[i + 1] != '.'))
			return 0;
	return 1;
}

int manifest_version_cmp(const char *a, const char *b, int *cmp)
{
	if (!version_numeric(a, strnlen(a, MANIFEST_VERSION_MAX + 1)) || !version_numeric(b, strnlen(b, MANIFEST_VERSION_MAX + 1)))
		return -EINVAL;
	*cmp = 0;
	while (*a || *b) {
		/* one component of each ("" past the end is 0), without leading zeros: the longer
		 * number is the larger, numbers of one length compare as their digits */
		while (*a == '0')
			a++;
		while (*b == '0')
			b++;
		size_t la = strspn(a, "0123456789"), lb = strspn(b, "0123456789");
		int c = la != lb ? (la < lb ? -1 : 1) : memcmp(a, b, la);
		if (c) {
			*cmp = c < 0 ? -1 : 1;
			return 0;
		}
		a += la + (a[la] == '.');
		b += lb + (b[lb] == '.');
	}
	return 0;
}

#define FLOOR_FILE_MAX 128

int manifest_floor_read(int rootfd, const char *path, char out[MANIFEST_VERSION_MAX + 1], struct kerr *e)
{
	char b[FLOOR_FILE_MAX + 1];
	struct stat st;
	ssize_t n = 0;
	int ret = 0, fd = fs_open_beneath(rootfd, path, O_RDONLY | O_NONBLOCK | O_NOCTTY | O_CLOEXEC, 0);
	if (fd == -ENOENT)
		return -ENOENT;
	if (fd < 0)
		return kerr_set(e, fd, "%s: %s", path, strerror(-fd));
	if (fstat(fd, &st))
		ret = kerr_set(e, -errno, "%s: %s", path, strerror(errno));
	else if (!S_ISREG(st.st_mode))
		ret = kerr_set(e, -EINVAL, "%s: not a regular file", path);
	else if ((n = fs_read_upto(fd, b, sizeof(b), 0)) < 0)
		ret = kerr_set(e, (int)n, "%s: read: %s", path, strerror((int)-n));
	else if (n > FLOOR_FILE_MAX)
		ret = kerr_set(e, -EFBIG, "%s: more than %d bytes (offset %d)", path, FLOOR_FILE_MAX, FLOOR_FILE_MAX);
	close(fd);
	if (ret)
		return ret;
	size_t len = (size_t)n;
	if (len && b[len - 1] == '\n')
		len--;
	if (memchr(b, 0, len) || !version_numeric(b, len))
		return kerr_set(e, -EINVAL, "%s: \"%.*s\" is not a version of digits and dots (e.g. 2026.1.0)", path,
			(int)(len < MANIFEST_VERSION_MAX ? len : MANIFEST_VERSION_MAX), b);
	memcpy(out, b, len);
	out[len] = 0;
	return 0;
}

int manifest_floor_check(const char *version, const char *floor, const char *src, struct kerr *e)
{
	int cmp;
	if (!floor || !*floor)
		return 0;
	if (manifest_version_cmp(version, floor, &cmp))
		return kerr_set(e, -EPERM, "version %s cannot be ordered against the minimum version %s (%s): a minimum needs versions of digits and dots",
			version, floor, src);
	if (cmp < 0)
		return kerr_set(e, -EPERM, "version %s is below the minimum version %s (%s)", version, floor, src);
	return 0;
}

int manifest_verity_table(const struct manifest *m, const char *dev, char *out, size_t n)
{
	char root[2 * HASH_MAX_SIZE + 1], salt[2 * 256 + 1];
	hex_encode(root, m->root_hash, hash_size(m->hash));
	if (m->salt_len)
		hex_encode(salt, m->salt, m->salt_len);
	else
		strcpy(salt, "-");
	return str_fmt(out, n, "1 %s %s %u %u %llu %llu %s %s %s", dev, dev, m->data_block_size, m->hash_block_size,
		(unsigned long long)m->data_blocks, (unsigned long long)(m->hash_offset / m->hash_block_size),
		hash_name(m->hash), root, salt);
}
