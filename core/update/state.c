/* state.c — see state.h. */
#include "update/state.h"
#include "base/buf.h"
#include "base/err.h"
#include "base/fs.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

const char *const state_result_names[5] = {"none", "installed", "good", "bad", "rollback"};

int state_reason_ok(const char *r)
{
	size_t n = strnlen(r, STATE_REASON_MAX + 1);
	if (!n || n > STATE_REASON_MAX || r[0] == ' ' || r[n - 1] == ' ')
		return 0;
	for (size_t i = 0; i < n; i++)
		if (r[i] < 0x20 || r[i] > 0x7e)
			return 0;
	return 1;
}

/* The next space-separated field of [*p, end) (last: the rest of the line) into out[n]. */
static int field(const char **p, const char *end, int last, char *out, size_t n)
{
	const char *s = *p, *f = s > end ? NULL : last ? end : memchr(s, ' ', (size_t)(end - s));
	if (!f || f == s || (size_t)(f - s) >= n)
		return -EINVAL;
	memcpy(out, s, (size_t)(f - s));
	out[f - s] = 0;
	*p = last ? end : f + 1;
	return 0;
}

static int version_ok(const char *v)
{
	int c;
	return !manifest_version_cmp(v, v, &c);
}

static int sha_ok(const char *h, uint8_t out[64])
{
	if (strlen(h) != 128 || strspn(h, "0123456789abcdef") != 128)
		return 0;
	return !hex_decode(out, 64, h, 128);
}

/* A number as state_format writes it: decimal without a sign or leading zeros, within max. */
static int num_ok(const char *s, uint64_t max, uint64_t *out)
{
	return (s[0] != '0' || !s[1]) && !parse_u64(s, 0, max, out);
}

static int slot_ok(const char *s)
{
	return !strcmp(s, "USR-A") || !strcmp(s, "USR-B");
}

int state_parse(const char *in, size_t len, struct ustate *s, struct kerr *e)
{
	static const char *const order[] = {"pending", "last", "progress", "failed"};
	const char *p = in, *end = in + len;
	char key[24], a[STATE_REASON_MAX + 1], b[STATE_REASON_MAX + 1], c[STATE_REASON_MAX + 1], d[STATE_REASON_MAX + 1];
	int line = 0, at = -1;

	memset(s, 0, sizeof(*s));
	if (len > STATE_MAX)
		return kerr_set(e, -EINVAL, "state: larger than %u bytes", STATE_MAX);
	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p)), *q = p;
		line++;
		if (!nl)
			return kerr_set(e, -EINVAL, "state line %d: no newline at the end", line);
		for (const char *x = p; x < nl; x++)
			if (*x < 0x20 || *x > 0x7e)
				return kerr_set(e, -EINVAL, "state line %d: a control or non-ASCII byte", line);
		if (field(&q, nl, 0, key, sizeof(key)))
			return kerr_set(e, -EINVAL, "state line %d: no key", line);
		if (line == 1) {
			if (strcmp(key, "keel-update-state") || field(&q, nl, 1, a, sizeof(a)) || strcmp(a, "1"))
				return kerr_set(e, -EINVAL, "state line 1: not \"keel-update-state 1\"");
			p = nl + 1;
			continue;
		}
		int k = 0;
		while (k < 4 && strcmp(key, order[k]))
			k++;
		if (k == 4)
			return kerr_set(e, -EINVAL, "state line %d: unknown key \"%.16s\"", line, key);
		if (k < at || (k == at && k != 3))
			return kerr_set(e, -EINVAL, "state line %d: %s out of order or repeated", line, key);
		at = k;
		if (k == 0) {
			if (field(&q, nl, 0, a, sizeof(a)) || field(&q, nl, 0, b, sizeof(b)) || field(&q, nl, 1, c, sizeof(c)) ||
				!version_ok(a) || !sha_ok(b, s->pending.sha512) || !slot_ok(c))
				return kerr_set(e, -EINVAL, "state line %d: not \"pending VERSION SHA512 SLOT\"", line);
			s->has_pending = 1;
			strcpy(s->pending.version, a);
			strcpy(s->pending_slot, c);
		} else if (k == 1) {
			int r = 1;
			if (field(&q, nl, 0, a, sizeof(a)) || field(&q, nl, 0, b, sizeof(b)) || field(&q, nl, 0, c, sizeof(c)) ||
				field(&q, nl, 1, d, sizeof(d)))
				return kerr_set(e, -EINVAL, "state line %d: not \"last RESULT VERSION TIME REASON\"", line);
			while (r < 5 && strcmp(a, state_result_names[r]))
				r++;
			if (r == 5 || !version_ok(b) || !num_ok(c, (uint64_t)1 << 40, &s->last_time) || !state_reason_ok(d))
				return kerr_set(e, -EINVAL, "state line %d: not \"last RESULT VERSION TIME REASON\"", line);
			s->last = (enum state_result)r;
			strcpy(s->last_version, b);
			strcpy(s->last_reason, d);
		} else if (k == 2) {
			if (field(&q, nl, 0, a, sizeof(a)) || field(&q, nl, 0, b, sizeof(b)) || field(&q, nl, 1, c, sizeof(c)) ||
				!sha_ok(a, s->progress_sha512) || !slot_ok(b) || !num_ok(c, 1u << 20, &s->progress_chunks))
				return kerr_set(e, -EINVAL, "state line %d: not \"progress SHA512 SLOT CHUNKS\"", line);
			s->has_progress = 1;
			strcpy(s->progress_slot, b);
		} else {
			struct state_rel *f = &s->failed[s->nfailed];
			if (s->nfailed == STATE_MAX_FAILED)
				return kerr_set(e, -EINVAL, "state line %d: more than %u failed releases", line, STATE_MAX_FAILED);
			if (field(&q, nl, 0, a, sizeof(a)) || field(&q, nl, 0, b, sizeof(b)) || field(&q, nl, 1, c, sizeof(c)) ||
				!version_ok(a) || !sha_ok(b, f->sha512) || !state_reason_ok(c))
				return kerr_set(e, -EINVAL, "state line %d: not \"failed VERSION SHA512 REASON\"", line);
			strcpy(f->version, a);
			strcpy(s->failed_reason[s->nfailed++], c);
		}
		p = nl + 1;
	}
	if (!line)
		return kerr_set(e, -EINVAL, "state: empty");
	return 0;
}

int state_format(const struct ustate *s, struct buf *out)
{
	char h[129];
	int ret = buf_printf(out, "keel-update-state 1\n");
	if (s->has_pending) {
		hex_encode(h, s->pending.sha512, 64);
		if (!version_ok(s->pending.version) || !slot_ok(s->pending_slot))
			return -EINVAL;
		ret = ret ? ret : buf_printf(out, "pending %s %s %s\n", s->pending.version, h, s->pending_slot);
	}
	if (s->last != RES_NONE) {
		if ((unsigned)s->last > RES_ROLLBACK || !version_ok(s->last_version) || !state_reason_ok(s->last_reason) ||
			s->last_time > (uint64_t)1 << 40)
			return -EINVAL;
		ret = ret ? ret : buf_printf(out, "last %s %s %llu %s\n", state_result_names[s->last], s->last_version,
			(unsigned long long)s->last_time, s->last_reason);
	}
	if (s->has_progress) {
		hex_encode(h, s->progress_sha512, 64);
		if (!slot_ok(s->progress_slot) || s->progress_chunks > 1u << 20)
			return -EINVAL;
		ret = ret ? ret : buf_printf(out, "progress %s %s %llu\n", h, s->progress_slot,
			(unsigned long long)s->progress_chunks);
	}
	for (unsigned i = 0; i < s->nfailed && i < STATE_MAX_FAILED; i++) {
		hex_encode(h, s->failed[i].sha512, 64);
		if (!version_ok(s->failed[i].version) || !state_reason_ok(s->failed_reason[i]))
			return -EINVAL;
		ret = ret ? ret : buf_printf(out, "failed %s %s %s\n", s->failed[i].version, h, s->failed_reason[i]);
	}
	return ret;
}

int state_load(int dirfd, const char *path, struct ustate *s, struct kerr *e)
{
	struct buf b = BUF_INIT(STATE_MAX + 1);
	int ret = -ENOENT, fd = fs_open_beneath(dirfd, path, O_RDONLY | O_NONBLOCK, 0);
	memset(s, 0, sizeof(*s));
	if (fd == -ENOENT)
		return 0;
	if (fd < 0)
		return kerr_set(e, fd, "%s: %s", path, kerr_strerror(fd));
	if ((ret = fs_read_fd(fd, b.max, &b)))
		kerr_set(e, ret == -EFBIG ? -EINVAL : ret, "%s: %s", path, ret == -EFBIG ? "too large" : kerr_strerror(ret));
	else if ((ret = state_parse((const char *)b.p, b.len, s, e)))
		kerr_wrap(e, ret, "%s", path);
	close(fd);
	buf_free(&b);
	return ret == -EFBIG ? -EINVAL : ret;
}

int state_save(int dirfd, const char *path, const struct ustate *s, struct kerr *e)
{
	struct buf b = BUF_INIT(STATE_MAX);
	int ret = state_format(s, &b);
	if (ret)
		ret = kerr_set(e, ret, "%s: the state would not parse back", path);
	else if ((ret = fs_write_atomic(dirfd, path, b.p, b.len, 0644)))
		kerr_set(e, ret, "%s: %s", path, kerr_strerror(ret));
	buf_free(&b);
	return ret;
}

int state_failed_find(const struct ustate *s, const uint8_t sha512[64])
{
	for (unsigned i = 0; i < s->nfailed; i++)
		if (!memcmp(s->failed[i].sha512, sha512, 64))
			return (int)i;
	return -1;
}

void state_failed_add(struct ustate *s, const char *version, const uint8_t sha512[64], const char *reason)
{
	if (state_failed_find(s, sha512) >= 0)
		return;
	if (s->nfailed == STATE_MAX_FAILED) {
		memmove(&s->failed[0], &s->failed[1], sizeof(s->failed[0]) * (STATE_MAX_FAILED - 1));
		memmove(&s->failed_reason[0], &s->failed_reason[1], sizeof(s->failed_reason[0]) * (STATE_MAX_FAILED - 1));
		s->nfailed--;
	}
	str_copy(s->failed[s->nfailed].version, sizeof(s->failed[0].version), version);
	memcpy(s->failed[s->nfailed].sha512, sha512, 64);
	str_copy(s->failed_reason[s->nfailed], sizeof(s->failed_reason[0]), reason);
	s->nfailed++;
}
