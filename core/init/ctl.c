/* ctl.c — the control protocol (see ctl.h). */
#include "init/ctl.h"
#include "base/buf.h"
#include "base/err.h"
#include "base/fs.h"

#include <errno.h>
#include <stdbool.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/time.h>
#include <unistd.h>

static const char *const verbs[] = {"status", "start", "stop", "restart", "log", "poweroff", "reboot", "reload", "timers",
	"sockets"};
#define NVERBS (sizeof(verbs) / sizeof(verbs[0]))

const char *ctl_verb_name(enum ctl_verb v) { return verbs[v]; }

static int fail(const char **why, const char *msg)
{
	if (why)
		*why = msg;
	return -EINVAL;
}

/* 0: no unit allowed; 1: optional; 2: required */
static int unit_arg(enum ctl_verb v)
{
	return v == CTL_STATUS || v == CTL_TIMERS ? 1 : (v == CTL_POWEROFF || v == CTL_REBOOT || v == CTL_SOCKETS) ? 0 : 2;
}

int ctl_parse_request(const char *p, size_t len, struct ctl_req *r, const char **why)
{
	if (len < 2 || len > CTL_REQ_MAX || p[len - 1] != '\n')
		return fail(why, "a request is one line of at most 300 bytes");
	len--;
	for (size_t i = 0; i < len; i++)
		if (p[i] < 0x20 || p[i] > 0x7e)
			return fail(why, "control or non-ASCII byte in the request");
	const char *sp = memchr(p, ' ', len);
	size_t vl = sp ? (size_t)(sp - p) : len;
	size_t k;
	for (k = 0; k < NVERBS; k++)
		if (strlen(verbs[k]) == vl && !memcmp(verbs[k], p, vl))
			break;
	if (k == NVERBS)
		return fail(why, "unknown command");
	r->verb = (enum ctl_verb)k;
	r->unit[0] = 0;
	if (sp) {
		size_t ul = len - vl - 1;
		if (!ul || ul > UNIT_NAME_MAX)
			return fail(why, "bad unit name");
		memcpy(r->unit, sp + 1, ul);
		r->unit[ul] = 0;
		if (!unit_name_suffix(r->unit) || unit_name_is_template(r->unit))
			return fail(why, "bad unit name");
	}
	int need = unit_arg(r->verb);
	if (need == 0 && r->unit[0])
		return fail(why, "this command takes no unit");
	if (need == 2 && !r->unit[0])
		return fail(why, "this command needs a unit");
	return 0;
}

int ctl_format_request(const struct ctl_req *r, char *out, size_t n)
{
	if ((unsigned)r->verb >= NVERBS)
		return -EINVAL;
	int need = unit_arg(r->verb);
	if ((need == 0 && r->unit[0]) || (need == 2 && !r->unit[0]) ||
		(r->unit[0] && (!unit_name_suffix(r->unit) || unit_name_is_template(r->unit))))
		return -EINVAL;
	return r->unit[0] ? str_fmt(out, n, "%s %s\n", verbs[r->verb], r->unit) : str_fmt(out, n, "%s\n", verbs[r->verb]);
}

static int put_text(struct buf *out, const char *s)
{
	size_t n = strnlen(s, CTL_TEXT_MAX);
	int ret = buf_reserve(out, n);
	for (size_t i = 0; i < n && !ret; i++) {
		unsigned char c = (unsigned char)s[i];
		ret = buf_putc(out, (c < 0x20 || c == 0x7f) ? ' ' : c);
	}
	return ret;
}

int ctl_format_status(struct buf *out, const struct ctl_status *s)
{
	int ret = buf_printf(out, "%s\t%s\t%s\t%s\t%s\t%llu\t%llu\t%llu\t", s->unit, s->load, s->active, s->sub, s->result,
		(unsigned long long)s->pid, (unsigned long long)s->restarts, (unsigned long long)s->since_ms);
	const char *t[4] = {s->description, s->text, s->error, s->comm};
	for (int i = 0; i < 4 && !ret; i++)
		if (!(ret = put_text(out, t[i])))
			ret = buf_putc(out, i < 3 ? '\t' : '\n');
	return ret;
}

static bool word_ok(const char *p, size_t n, size_t max)
{
	if (!n || n >= max)
		return false;
	for (size_t i = 0; i < n; i++)
		if (!((p[i] >= 'a' && p[i] <= 'z') || p[i] == '-'))
			return false;
	return true;
}

int ctl_parse_status(const char *p, size_t len, struct ctl_status *s, const char **why)
{
	const char *f[12];
	size_t fl[12], nf = 0;
	const char *end = p + len, *cur = p;
	memset(s, 0, sizeof(*s));
	for (;;) {
		const char *tab = memchr(cur, '\t', (size_t)(end - cur));
		if (nf == 12)
			return fail(why, "too many fields");
		f[nf] = cur;
		fl[nf++] = (size_t)((tab ? tab : end) - cur);
		if (!tab)
			break;
		cur = tab + 1;
	}
	if (nf < 11)
		return fail(why, "expected 12 tab-separated fields");
	for (size_t i = 0; i < len; i++)
		if (((unsigned char)p[i] < 0x20 && p[i] != '\t') || p[i] == 0x7f)
			return fail(why, "control character");
	if (!fl[0] || fl[0] > UNIT_NAME_MAX)
		return fail(why, "bad unit name");
	memcpy(s->unit, f[0], fl[0]);
	if (!unit_name_suffix(s->unit))
		return fail(why, "bad unit name");
	char *words[4] = {s->load, s->active, s->sub, s->result};
	size_t sizes[4] = {sizeof(s->load), sizeof(s->active), sizeof(s->sub), sizeof(s->result)};
	for (int i = 0; i < 4; i++) {
		if (!word_ok(f[1 + i], fl[1 + i], sizes[i]))
			return fail(why, "bad state word");
		memcpy(words[i], f[1 + i], fl[1 + i]);
	}
	uint64_t *nums[3] = {&s->pid, &s->restarts, &s->since_ms};
	for (int i = 0; i < 3; i++) {
		char tmp[24];
		if (!fl[5 + i] || fl[5 + i] >= sizeof(tmp))
			return fail(why, "bad number");
		memcpy(tmp, f[5 + i], fl[5 + i]);
		tmp[fl[5 + i]] = 0;
		if (parse_u64(tmp, 0, UINT64_MAX, nums[i]))
			return fail(why, "bad number");
	}
	char *texts[4] = {s->description, s->text, s->error, s->comm};
	for (size_t i = 0; i + 8 < nf; i++) {
		if (fl[8 + i] > (i == 3 ? sizeof(s->comm) - 1 : CTL_TEXT_MAX))
			return fail(why, "text field too long");
		memcpy(texts[i], f[8 + i], fl[8 + i]);
	}
	return 0;
}

int ctl_call(const char *path, const char *line, struct buf *reply, int timeout_ms, struct kerr *e)
{
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	int ret, fd;
	if (str_copy(sa.sun_path, sizeof(sa.sun_path), path))
		return kerr_set(e, -ENAMETOOLONG, "%.200s: socket path too long", path);
	if ((fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0)) < 0)
		return kerr_set(e, -errno, "socket: %s", strerror(errno));
	if (timeout_ms >= 0) { /* each read waits at most this long */
		struct timeval tv = {timeout_ms / 1000, (timeout_ms % 1000) * 1000};
		if (setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)) ||
			setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv))) {
			ret = kerr_set(e, -errno, "setsockopt: %s", strerror(errno));
			goto out;
		}
	}
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa))) {
		ret = kerr_set(e, -errno, "connect %.200s: %s", path, strerror(errno));
		goto out;
	}
	size_t n = strlen(line);
	for (size_t off = 0; off < n;) {
		ssize_t w = send(fd, line + off, n - off, MSG_NOSIGNAL);
		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0) {
			ret = kerr_set(e, -errno, "send to %.200s: %s", path, strerror(errno));
			goto out;
		}
		off += (size_t)w;
	}
	shutdown(fd, SHUT_WR);
	ret = fs_read_fd(fd, reply->max, reply);
	/* PID 1 does not read what a client it refuses sent: closing with that unread, it resets
	 * the connection after its answer */
	if (ret == -ECONNRESET && reply->len && reply->p[reply->len - 1] == '\n')
		ret = 0;
	if (ret == -EAGAIN || ret == -EWOULDBLOCK)
		ret = kerr_set(e, -ETIMEDOUT, "no answer from %.200s within %d ms", path, timeout_ms);
	else if (ret == -EFBIG || ret == -E2BIG)
		ret = kerr_set(e, -E2BIG, "reply from %.200s larger than %zu bytes", path, reply->max);
	else if (ret)
		kerr_set(e, ret, "read from %.200s: %s", path, strerror(-ret));
out:
	close(fd);
	return ret;
}
