/* reboot.c — the update strategy and the reboot request (see reboot.h). */
#include "update/reboot.h"
#include "base/buf.h"
#include "base/err.h"
#include "base/fs.h"
#include "base/json.h"
#include "init/ctl.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define WEEK (7 * 1440)

static const char *const kinds[] = {"immediate", "fleetlock", "window", "off"};
static const char *const days[] = {"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"};

const char *update_strategy_name(enum update_strategy_kind k)
{
	return kinds[k];
}

/* Refuse members of o not in keys (NULL-terminated). */
static int only(const struct json *o, const char *where, const char *const keys[], struct kerr *e)
{
	if (o->type != JSON_OBJECT)
		return kerr_set(e, -EINVAL, "%s: object expected", where);
	for (size_t i = 0; i < o->u.obj.n; i++) {
		size_t k = 0;
		while (keys[k] && strcmp(keys[k], o->u.obj.m[i].key))
			k++;
		if (!keys[k])
			return kerr_set(e, -EINVAL, "%s/%s: unknown field", where, o->u.obj.m[i].key);
	}
	return 0;
}

static const char *str(const struct json *o, const char *key)
{
	const struct json *v = json_get(o, key);
	return v && v->type == JSON_STRING ? v->u.str.s : NULL;
}

static int window(const struct json *w, size_t i, struct update_window *out, struct kerr *e)
{
	static const char *const keys[] = {"days", "start", "minutes", NULL};
	char where[32];
	int ret;
	str_fmt(where, sizeof(where), "/windows/%zu", i);
	if ((ret = only(w, where, keys, e)))
		return ret;
	const struct json *d = json_get(w, "days"), *m = json_get(w, "minutes");
	const char *st = str(w, "start");
	if (!d || d->type != JSON_ARRAY || !d->u.arr.n || d->u.arr.n > 7)
		return kerr_set(e, -EINVAL, "%s/days: 1..7 days expected (Sun..Sat)", where);
	for (size_t k = 0; k < d->u.arr.n; k++) {
		size_t n = 0;
		while (n < 7 && (d->u.arr.v[k]->type != JSON_STRING || strcmp(d->u.arr.v[k]->u.str.s, days[n])))
			n++;
		if (n == 7 || (out->days & (1u << n)))
			return kerr_set(e, -EINVAL, "%s/days/%zu: Sun, Mon, Tue, Wed, Thu, Fri or Sat, once", where, k);
		out->days |= (uint8_t)(1u << n);
	}
	if (!st || strlen(st) != 5 || st[2] != ':' || st[0] < '0' || st[0] > '2' || st[1] < '0' || st[1] > '9' ||
		st[3] < '0' || st[3] > '5' || st[4] < '0' || st[4] > '9' || (st[0] - '0') * 10 + st[1] - '0' > 23)
		return kerr_set(e, -EINVAL, "%s/start: HH:MM (UTC) expected", where);
	out->start = (uint16_t)(((st[0] - '0') * 10 + st[1] - '0') * 60 + (st[3] - '0') * 10 + st[4] - '0');
	if (!m || m->type != JSON_NUMBER || !m->u.num.is_int || m->u.num.i < 1 || m->u.num.i > 1440)
		return kerr_set(e, -EINVAL, "%s/minutes: 1..1440 expected", where);
	out->length = (uint16_t)m->u.num.i;
	return 0;
}

int update_strategy_parse(const char *data, size_t len, struct update_strategy *s, struct kerr *e)
{
	static const struct json_limits lim = {UPDATE_CONFIG_MAX, 5, 1024, FLEETLOCK_URL_MAX + 1};
	static const char *const top[] = {"version", "strategy", "fleetlock", "windows", NULL};
	static const char *const fl[] = {"url", "group", NULL};
	struct json_doc d = {0};
	const char *v;
	int ret;
	memset(s->win, 0, sizeof(s->win));
	s->nwin = 0;
	s->url[0] = 0;
	str_copy(s->group, sizeof(s->group), "default");
	if ((ret = json_parse(&d, data, len, &lim, e)))
		return ret;
	const struct json *r = d.root, *ver = json_get(r, "version"), *f = json_get(r, "fleetlock"),
		*w = json_get(r, "windows");
	if ((ret = only(r, "", top, e)))
		goto out;
	ret = -EINVAL;
	if (!ver || ver->type != JSON_NUMBER || !ver->u.num.is_int || ver->u.num.i != 1) {
		kerr_set(e, ret, "/version: must be 1");
		goto out;
	}
	v = str(r, "strategy");
	s->kind = STRATEGY_IMMEDIATE;
	while (v && s->kind <= STRATEGY_OFF && strcmp(v, kinds[s->kind]))
		s->kind++;
	if (!v || s->kind > STRATEGY_OFF) {
		kerr_set(e, ret, "/strategy: immediate, fleetlock, window or off expected");
		goto out;
	}
	if ((f != NULL) != (s->kind == STRATEGY_FLEETLOCK) || (w != NULL) != (s->kind == STRATEGY_WINDOW)) {
		kerr_set(e, ret, "/%s: %s with strategy %s", f || s->kind == STRATEGY_FLEETLOCK ? "fleetlock" : "windows",
			f || w ? "not used" : "required", kinds[s->kind]);
		goto out;
	}
	if (f) {
		if ((ret = only(f, "/fleetlock", fl, e)))
			goto out;
		ret = -EINVAL;
		if (!(v = str(f, "url")) || (strncmp(v, "http://", 7) && strncmp(v, "https://", 8)) || str_copy(s->url, sizeof(s->url), v)) {
			kerr_set(e, ret, "/fleetlock/url: an http(s) URL of at most %d bytes expected", FLEETLOCK_URL_MAX);
			goto out;
		}
		if (json_get(f, "group") && (!(v = str(f, "group")) || !fleetlock_group_ok(v))) {
			kerr_set(e, ret, "/fleetlock/group: 1..63 of [a-zA-Z0-9.-] expected");
			goto out;
		}
		if (v && json_get(f, "group"))
			str_copy(s->group, sizeof(s->group), v);
	}
	if (w) {
		if (w->type != JSON_ARRAY || !w->u.arr.n || w->u.arr.n > UPDATE_WINDOWS_MAX) {
			kerr_set(e, ret, "/windows: 1..%d windows expected", UPDATE_WINDOWS_MAX);
			goto out;
		}
		for (size_t i = 0; i < w->u.arr.n; i++)
			if ((ret = window(w->u.arr.v[i], i, &s->win[i], e)))
				goto out;
		s->nwin = w->u.arr.n;
	}
	ret = 0;
out:
	json_free(&d);
	return ret;
}

int update_strategy_load(const char *root, struct update_strategy *s, struct kerr *e)
{
	char path[320];
	struct buf b = BUF_INIT(UPDATE_CONFIG_MAX);
	memset(s, 0, sizeof(*s));
	if (str_copy(s->root, sizeof(s->root), root) || str_fmt(path, sizeof(path), "%s" UPDATE_CONFIG, root))
		return kerr_set(e, -ENAMETOOLONG, "%s: path too long", root);
	int ret = fs_read_path(AT_FDCWD, path, b.max, &b, e);
	if (ret == -ENOENT)
		ret = 0; /* immediate */
	else if (!ret && (ret = update_strategy_parse(b.p ? (const char *)b.p : "", b.len, s, e)))
		kerr_wrap(e, ret, "%s", path);
	buf_free(&b);
	return ret;
}

uint64_t update_window_wait(const struct update_strategy *s, uint64_t now)
{
	uint64_t m = (now / 60 + 4 * 1440) % WEEK, best = UINT64_MAX; /* 1970-01-01 was a Thursday */
	for (size_t i = 0; i < s->nwin; i++)
		for (unsigned d = 0; d < 7; d++) {
			if (!(s->win[i].days & (1u << d)))
				continue;
			uint64_t open = d * 1440u + s->win[i].start, since = (m + WEEK - open) % WEEK;
			if (since < s->win[i].length)
				return 0;
			if (WEEK - since < best)
				best = WEEK - since;
		}
	return best == UINT64_MAX ? best : best * 60 - now % 60;
}

static int node_id(const struct update_strategy *s, char id[33], struct kerr *e)
{
	char path[320];
	struct buf b = BUF_INIT(64);
	str_fmt(path, sizeof(path), "%s/etc/machine-id", s->root);
	int ret = fs_read_path(AT_FDCWD, path, b.max, &b, e);
	if (!ret)
		ret = fleetlock_node_id(b.p ? (const char *)b.p : "", b.len, id, e);
	buf_free(&b);
	return ret;
}

int reboot_request(const struct update_strategy *s, struct kerr *e)
{
	char path[320], id[33];
	struct fleetlock_answer a;
	str_fmt(path, sizeof(path), "%s/run/reboot-required", s->root);
	int fd = open(path, O_WRONLY | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0644), ret;
	if (fd < 0)
		return kerr_set(e, -errno, "%s: %s", path, strerror(errno));
	close(fd);
	switch (s->kind) {
	case STRATEGY_OFF:
		kerr_set(e, 0, "strategy off: not rebooting (/run/reboot-required is there for kured or a person)");
		return REBOOT_OFF;
	case STRATEGY_WINDOW: {
		uint64_t now = s->now ? s->now : (uint64_t)time(NULL), wait = update_window_wait(s, now);
		if (wait) {
			uint64_t m = ((now + wait) / 60 + 4 * 1440) % WEEK;
			kerr_set(e, 0, "outside the maintenance window: the next opens %s %02u:%02u UTC (in %llu s)", days[m / 1440],
				(unsigned)(m % 1440 / 60), (unsigned)(m % 60), (unsigned long long)wait);
			return REBOOT_DEFERRED;
		}
		break;
	}
	case STRATEGY_FLEETLOCK:
		if ((ret = node_id(s, id, e)) || (ret = fleetlock_call(s->url, "pre-reboot", id, s->group, &a, e)) < 0)
			return ret;
		if (ret == 1)
			return a.status == 423 ? REBOOT_DEFERRED : -EREMOTEIO;
		break;
	case STRATEGY_IMMEDIATE:
		break;
	}
	struct buf reply = BUF_INIT(4096);
	str_fmt(path, sizeof(path), "%s/run/keel/init.sock", s->root);
	ret = ctl_call(path, "reboot\n", &reply, 10000, e);
	if (!ret && (reply.len < 2 || memcmp(reply.p, "OK", 2)))
		ret = kerr_set(e, -EPROTO, "init refused the reboot: %.200s", reply.p ? (const char *)reply.p : "");
	buf_free(&reply);
	return ret;
}

int update_steady_state(const struct update_strategy *s, struct kerr *e)
{
	char id[33];
	struct fleetlock_answer a;
	int ret;
	if (s->kind != STRATEGY_FLEETLOCK)
		return 2;
	if ((ret = node_id(s, id, e)))
		return ret;
	return fleetlock_call(s->url, "steady-state", id, s->group, &a, e);
}
