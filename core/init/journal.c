/* journal.c — the journal file (see journal.h). */
#include "init/journal.h"
#include "base/buf.h"
#include "base/clock.h"
#include "init/log_ring.h"
#include "init/unit_parse.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <time.h>
#include <unistd.h>

static struct {
	char path[256], old[256], boot[33];
	uint64_t size, retry_us;
} J;
static int jfd = -1;

void journal_setup(const char *root)
{
	if (jfd >= 0)
		close(jfd);
	jfd = -1;
	J.retry_us = 0;
	if (str_fmt(J.path, sizeof(J.path), "%s" JOURNAL_PATH, root) || str_fmt(J.old, sizeof(J.old), "%s" JOURNAL_OLD, root))
		J.path[0] = 0;
	journal_boot_id(J.boot);
}

void journal_close(void)
{
	if (jfd >= 0)
		close(jfd);
	jfd = -1;
	J.path[0] = 0;
}

void journal_boot_id(char boot[33])
{
	char id[64] = "";
	int fd = open("/proc/sys/kernel/random/boot_id", O_RDONLY | O_CLOEXEC);
	ssize_t r = fd >= 0 ? read(fd, id, sizeof(id) - 1) : -1;
	if (fd >= 0)
		close(fd);
	size_t k = 0;
	for (ssize_t i = 0; i < r && k < 32; i++)
		if ((id[i] >= '0' && id[i] <= '9') || (id[i] >= 'a' && id[i] <= 'f'))
			boot[k++] = id[i];
	while (k < 32)
		boot[k++] = '0';
	boot[32] = 0;
}

/* Open (and make, with its header) the file; 0 or -errno. After a failure, no new try for 5 s. */
static int jopen(void)
{
	struct stat st;
	if (jfd >= 0)
		return 0;
	if (!J.path[0] || mono_us() < J.retry_us)
		return -EAGAIN;
	jfd = open(J.path, O_WRONLY | O_APPEND | O_CREAT | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC, 0640);
	if (jfd >= 0 && (fstat(jfd, &st) || !S_ISREG(st.st_mode))) {
		close(jfd);
		jfd = -1;
	}
	if (jfd < 0) {
		J.retry_us = mono_us() + 5000000;
		return -EIO;
	}
	J.size = (uint64_t)st.st_size;
	if (!J.size) {
		char h[48];
		int n = snprintf(h, sizeof(h), JOURNAL_MAGIC "%s\n", J.boot);
		if (write(jfd, h, (size_t)n) == n)
			J.size = (uint64_t)n;
	}
	return 0;
}

static uint64_t clock_us(clockid_t c)
{
	struct timespec ts;
	clock_gettime(c, &ts);
	return timespec_us(&ts);
}

/* Records go out in batches: one writev() for up to JBATCH lines of one read. The unit's name and
 * identifier are one piece shared by all; each record has its numbers, its pieces and a '\n'. */
#define JBATCH 32
struct batch {
	struct iovec iov[JBATCH * 6];
	char num[JBATCH][64];
	struct iovec who; /* "UNIT IDENT " */
	int niov, nrec;
	uint64_t bytes;
};

static void flush(struct batch *b)
{
	ssize_t w = b->niov && jfd >= 0 ? writev(jfd, b->iov, b->niov) : 0;
	if (w > 0 && (uint64_t)w < b->bytes && ftruncate(jfd, (off_t)J.size) && write(jfd, "\n", 1) == 1)
		w++; /* a torn batch (tmpfs full) is cut off, or at least ended: the next record starts a line */
	else if (w > 0 && (uint64_t)w < b->bytes)
		w = 0;
	if (w > 0)
		J.size += (uint64_t)w;
	b->niov = b->nrec = 0;
	b->bytes = 0;
}

/* One record: the line's pieces v[0..nv) (nv <= 3), "<N>" prefix taken off. */
static void put(struct batch *b, long pid, struct iovec *v, int nv)
{
	char pre[5];
	size_t n = 0, have = 0, k = 1, skip = 0;
	int prio = 6;
	for (int i = 0; i < nv; i++) {
		for (size_t j = 0; j < v[i].iov_len && have < sizeof(pre); j++)
			pre[have++] = ((const char *)v[i].iov_base)[j];
		n += v[i].iov_len;
	}
	/* "<N>" "<NN>" "<NNN>": a syslog priority (facility * 8 + level); the level is kept */
	unsigned p = 0;
	while (have && pre[0] == '<' && k < 4 && k < have && pre[k] >= '0' && pre[k] <= '9')
		p = p * 10 + (unsigned)(pre[k++] - '0');
	if (k > 1 && k < have && pre[k] == '>' && p < 192) {
		prio = (int)(p & 7);
		skip = k + 1;
	}
	if (jopen())
		return;
	char h[sizeof(b->num[0])];
	int hl = snprintf(h, sizeof(h), "%llu %llu %d %ld ", (unsigned long long)clock_us(CLOCK_REALTIME),
		(unsigned long long)clock_us(CLOCK_MONOTONIC), prio, pid);
	uint64_t len = (uint64_t)hl + b->who.iov_len + n - skip + 1;
	if (J.size + b->bytes > 0 && J.size + b->bytes + len > JOURNAL_FILE_MAX) { /* rotate: journal -> journal.1 */
		flush(b);
		rename(J.path, J.old);
		close(jfd);
		jfd = -1;
		J.retry_us = 0;
		if (jopen())
			return;
	}
	if (b->nrec == JBATCH)
		flush(b);
	memcpy(b->num[b->nrec], h, (size_t)hl); /* after the flushes: its slot is free now */
	struct iovec *o = b->iov + b->niov;
	*o++ = (struct iovec){b->num[b->nrec], (size_t)hl};
	*o++ = b->who;
	for (int i = 0; i < nv; i++) { /* the prefix spans at most 5 bytes of the first pieces */
		size_t s = skip < v[i].iov_len ? skip : v[i].iov_len;
		skip -= s;
		if (v[i].iov_len > s)
			*o++ = (struct iovec){(char *)v[i].iov_base + s, v[i].iov_len - s};
	}
	*o++ = (struct iovec){"\n", 1};
	b->niov = (int)(o - b->iov);
	b->nrec++;
	b->bytes += len;
}

void journal_feed(struct log_ring *r, const struct unit *u, const char *unit, long pid, const void *data, size_t n)
{
	const char *d = data, *ident = "";
	size_t il = 0;
	if (!J.path[0])
		return;
	if (u && u->exec_start.n && u->exec_start.v[0].argv.n) /* SYSLOG_IDENTIFIER: argv[0]'s basename */
		ident = u->exec_start.v[0].argv.v[0];
	if (strrchr(ident, '/'))
		ident = strrchr(ident, '/') + 1;
	while (ident[il] > ' ' && ident[il] < 0x7f && il < 64)
		il++;
	if (!il) /* else the unit's name without its suffix */
		ident = unit, il = strcspn(unit, ".");
	char who[UNIT_NAME_MAX + 68];
	struct batch b;
	int wl = snprintf(who, sizeof(who), "%s %.*s ", unit, (int)il, ident);
	if (wl < 0 || (size_t)wl >= sizeof(who))
		return;
	b.who = (struct iovec){who, (size_t)wl};
	b.niov = b.nrec = 0;
	b.bytes = 0;
	uint64_t base = r->jseen; /* byte number of d[0] */
	r->jseen += n;
	size_t i = 0;
	while (i < n) {
		size_t have = (size_t)(base + i - r->jline); /* bytes of the line before d[i] */
		size_t room = JOURNAL_LINE_MAX - have, k = 0;
		while (k < room && i + k < n && d[i + k] != '\n')
			k++;
		if (k < room && i + k == n)
			break; /* the line goes on in the next read */
		struct iovec v[3];
		/* the line's start came with an earlier read: still in the ring (unless it dropped bytes) */
		int nv = have && r->total == r->jseen ? log_ring_span(r, r->jline, have, v) : 0;
		v[nv++] = (struct iovec){(void *)(d + i), k};
		put(&b, pid, v, nv);
		i += k + (i + k < n && d[i + k] == '\n');
		r->jline = base + i;
	}
	flush(&b);
}

void journal_syslog(const char *unit, long pid, int level, const char *line, size_t n)
{
	if (!J.path[0])
		return;
	if (n && line[n - 1] == '\n')
		n--;
	size_t t = 0, m = 0; /* TAG: up to 64 printable bytes before "[PID]: " or ": " */
	while (t < n && t < 64 && line[t] > ' ' && line[t] < 0x7f && line[t] != '[' && line[t] != ':')
		t++;
	if (t && t < n && line[t] == '[') {
		size_t j = t + 1;
		while (j < n && line[j] >= '0' && line[j] <= '9')
			j++;
		m = j > t + 1 && j + 1 < n && line[j] == ']' && line[j + 1] == ':' ? j + 2 : 0;
	} else if (t && t < n && line[t] == ':')
		m = t + 1;
	if (!m)
		t = strcspn(unit, ".");
	if (m < n && line[m] == ' ')
		m++;
	char who[UNIT_NAME_MAX + 68], pre[4] = {'<', (char)('0' + (level & 7)), '>', 0};
	int wl = snprintf(who, sizeof(who), "%s %.*s ", unit, (int)t, m ? line : unit);
	if (wl < 0 || (size_t)wl >= sizeof(who))
		return;
	struct batch b = {.who = {who, (size_t)wl}};
	struct iovec v[2] = {{pre, 3}, {(void *)(line + m), n - m}};
	put(&b, pid, v, 2);
	flush(&b);
}

/* ---- reading --------------------------------------------------------------------------------- */

/* A decimal field up to the next space: its value, or -1. */
static int field_u64(const char **p, const char *end, uint64_t max, uint64_t *out)
{
	const char *s = *p;
	uint64_t v = 0;
	if (s >= end || *s < '0' || *s > '9' || (*s == '0' && s + 1 < end && s[1] != ' '))
		return -1;
	for (; s < end && *s >= '0' && *s <= '9'; s++) {
		if (v > (UINT64_MAX - (uint64_t)(*s - '0')) / 10)
			return -1;
		v = v * 10 + (uint64_t)(*s - '0');
	}
	if (v > max || s >= end || *s != ' ')
		return -1;
	*p = s + 1;
	*out = v;
	return 0;
}

/* A word of printable non-space ASCII up to the next space, 1..max bytes. */
static int field_word(const char **p, const char *end, size_t max, const char **w, size_t *len)
{
	const char *s = *p;
	while (s < end && *s > ' ' && *s < 0x7f)
		s++;
	if (s == *p || s >= end || *s != ' ' || (size_t)(s - *p) > max)
		return -1;
	*w = *p;
	*len = (size_t)(s - *p);
	*p = s + 1;
	return 0;
}

int journal_parse(const char *p, size_t n, struct journal_rec *r)
{
	const char *end = p + n;
	uint64_t prio, pid;
	memset(r, 0, sizeof(*r));
	if (n > JOURNAL_REC_MAX || field_u64(&p, end, UINT64_MAX, &r->rt) || field_u64(&p, end, UINT64_MAX, &r->mono) ||
		field_u64(&p, end, 7, &prio) || field_u64(&p, end, 0x7fffffff, &pid) ||
		field_word(&p, end, UNIT_NAME_MAX, &r->unit, &r->unit_len) || field_word(&p, end, 64, &r->ident, &r->ident_len))
		return -EINVAL;
	if ((size_t)(end - p) > JOURNAL_LINE_MAX || memchr(p, '\n', (size_t)(end - p)))
		return -EINVAL;
	r->prio = (int)prio;
	r->pid = (long)pid;
	r->msg = p;
	r->msg_len = (size_t)(end - p);
	return 0;
}

int journal_header(const char *p, size_t n, char boot[33])
{
	size_t m = sizeof(JOURNAL_MAGIC) - 1;
	if (n != m + 32 || memcmp(p, JOURNAL_MAGIC, m))
		return -EINVAL;
	for (size_t i = 0; i < 32; i++) {
		char c = p[m + i];
		if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f')))
			return -EINVAL;
		boot[i] = c;
	}
	boot[32] = 0;
	return 0;
}
