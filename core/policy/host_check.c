/* host_check.c — run a host profile's checks beneath a root (see host.h). Every value comes
 * from the kernel's own interface: a /proc/sys file, a mountinfo field, a sysfs attribute, an
 * EFI variable, /proc/1/net (PID 1 sees the host's mounts and network); never a command's output. */
#include "policy/host.h"
#include "base/buf.h"
#include "base/err.h"
#include "base/fs.h"
#include "base/mountinfo.h"
#include "base/scan.h"
#include "base/passwd.h"
#include "disk/dm.h"
#include "init/ctl.h"
#include "trust/manifest.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/timex.h>
#include <unistd.h>

#define BIG (16u << 20)

struct run {
	int rootfd;
	const char *role;
	struct buf mi;      /* mountinfo text, split in place */
	struct mountinfo *m;
	size_t nm;
	int mi_err;         /* 0, or -errno reading mountinfo */
};

const char *hc_status_name(enum hc_status s)
{
	static const char *const n[] = {"pass", "fail", "waived", "unknown", "skip"};
	return n[s];
}

static const struct json *ov(const struct run *r, const struct hc_check *c, const char *key)
{
	const struct json *roles = json_get(c->obj, "roles"), *o = roles ? json_get(roles, r->role) : NULL;
	const struct json *v = o ? json_get(o, key) : NULL;
	return v ? v : json_get(c->obj, key);
}

static const char *field(const struct hc_check *c, const char *key)
{
	const struct json *v = json_get(c->obj, key);
	return v && v->type == JSON_STRING ? v->u.str.s : NULL;
}

static bool listed(const struct json *a, const char *s)
{
	for (size_t i = 0; a && i < a->u.arr.n; i++)
		if (!strcmp(a->u.arr.v[i]->u.str.s, s))
			return true;
	return false;
}

static void join(char *out, size_t n, const struct json *a, const char *sep, const char *pre, const char *post)
{
	out[0] = 0;
	for (size_t i = 0; a && i < a->u.arr.n; i++) {
		size_t l = strlen(out);
		snprintf(out + l, n - l, "%s%s%s%s", i ? sep : "", pre, a->u.arr.v[i]->u.str.s, post);
	}
}

/* Read a whole file beneath the root (at most BIG bytes) into b; -errno on failure. */
static int slurp(const struct run *r, const char *path, struct buf *b)
{
	buf_init(b, BIG);
	int fd = fs_open_beneath(r->rootfd, path, O_RDONLY | O_CLOEXEC | O_NOCTTY, 0);
	if (fd < 0)
		return fd;
	int ret = fs_read_fd(fd, BIG, b);
	close(fd);
	if (!ret && !(ret = buf_putc(b, 0)))
		b->len--; /* NUL-terminated, p never NULL */
	return ret;
}

/* The value with white space collapsed to single spaces, trimmed. */
static void norm(char *s)
{
	char *w = s;
	for (char *p = s; *p; p++) {
		bool sp = *p == ' ' || *p == '\t' || *p == '\n';
		if (sp && (w == s || w[-1] == ' '))
			continue;
		*w++ = sp ? ' ' : *p;
	}
	if (w > s && w[-1] == ' ')
		w--;
	*w = 0;
}

static void unknown(struct hc_result *res, const char *where, int err)
{
	res->st = HC_UNKNOWN;
	str_copy(res->where, sizeof(res->where), where);
	snprintf(res->observed, sizeof(res->observed), "could not evaluate: %s", kerr_strerror(err));
}

static void expected(const struct run *r, const struct hc_check *c, struct hc_result *res)
{
	const struct json *expect = ov(r, c, "expect"), *min = ov(r, c, "min"), *sel = json_get(c->obj, "selected");
	if (sel)
		join(res->expected, sizeof(res->expected), sel, " | ", "[", "]");
	else if (min)
		snprintf(res->expected, sizeof(res->expected), ">= %lld", (long long)min->u.num.i);
	else if (expect)
		join(res->expected, sizeof(res->expected), expect, " | ", "", "");
	else
		str_copy(res->expected, sizeof(res->expected), "present");
}

/* Judge a value read from the interface against expect / min / selected. */
static void judge_value(const struct run *r, const struct hc_check *c, struct hc_result *res, char *val)
{
	const struct json *expect = ov(r, c, "expect"), *min = ov(r, c, "min"), *sel = json_get(c->obj, "selected");
	bool ok;
	norm(val);
	if (sel) {
		char *lb = strchr(val, '['), *rb = lb ? strchr(lb, ']') : NULL;
		if (lb && rb) {
			*rb = 0;
			memmove(val, lb + 1, strlen(lb + 1) + 1);
		} else
			val[0] = 0;
		ok = listed(sel, val);
	} else if (min) {
		char *end;
		long long v = strtoll(val, &end, 10);
		ok = *val && !*end && v >= min->u.num.i;
	} else
		ok = expect ? listed(expect, val) : val[0] != 0;
	str_copy(res->observed, sizeof(res->observed), val[0] ? val : "(none)");
	res->st = ok ? HC_PASS : HC_FAIL;
}

static void do_file(struct run *r, const struct hc_check *c, struct hc_result *res, const char *path, const char *key)
{
	struct buf b;
	int ret = slurp(r, path, &b);
	str_copy(res->where, sizeof(res->where), path);
	expected(r, c, res);
	if (ret) {
		unknown(res, path, ret);
		goto out;
	}
	char *val = (char *)b.p;
	if (key) {
		size_t kl = strlen(key);
		char *line = val, *found = NULL;
		for (char *nl; line && *line; line = nl ? nl + 1 : NULL) {
			if ((nl = strchr(line, '\n')))
				*nl = 0;
			if (!strncmp(line, key, kl) && line[kl] == '=')
				found = line + kl + 1;
		}
		if (!found) {
			snprintf(res->observed, sizeof(res->observed), "%s= not present", key);
			res->st = HC_FAIL;
			goto out;
		}
		val = found;
		snprintf(res->where + strlen(res->where), sizeof(res->where) - strlen(res->where), " (%s=)", key);
	}
	judge_value(r, c, res, val);
out:
	buf_free(&b);
}

static void do_sysctl(struct run *r, const struct hc_check *c, struct hc_result *res)
{
	char path[160];
	snprintf(path, sizeof(path), "/proc/sys/%s", field(c, "key"));
	for (char *p = path + 10; *p; p++)
		if (*p == '.')
			*p = '/';
	do_file(r, c, res, path, NULL);
}

static void do_efivar(struct run *r, const struct hc_check *c, struct hc_result *res)
{
	char path[200], val[8];
	struct buf b;
	snprintf(path, sizeof(path), "/sys/firmware/efi/efivars/%s", field(c, "name"));
	int ret = slurp(r, path, &b);
	str_copy(res->where, sizeof(res->where), path);
	expected(r, c, res);
	if (!ret && b.len < 5)
		ret = -EINVAL;
	if (ret)
		unknown(res, path, ret);
	else {
		snprintf(val, sizeof(val), "%u", ((unsigned char *)b.p)[4]);
		judge_value(r, c, res, val);
	}
	buf_free(&b);
}

/* ---- mountinfo ------------------------------------------------------------------------------ */

static int load_mounts(struct run *r)
{
	int ret = slurp(r, "/proc/1/mountinfo", &r->mi);
	if (ret)
		return r->mi_err = ret;
	struct mountinfo_iter it;
	struct mountinfo e;
	mountinfo_init(&it, (char *)r->mi.p, r->mi.len);
	while (mountinfo_next(&it, &e)) {
		if (r->nm % 64 == 0) {
			struct mountinfo *m = realloc(r->m, (r->nm + 64) * sizeof(*m));
			if (!m)
				return r->mi_err = -ENOMEM;
			r->m = m;
		}
		r->m[r->nm++] = e;
	}
	return 0;
}

static bool has_opt(const char *list, const char *o)
{
	size_t l = strlen(o);
	for (const char *p = list; p && *p; p = strchr(p, ',') ? strchr(p, ',') + 1 : NULL)
		if (!strncmp(p, o, l) && (p[l] == ',' || !p[l]))
			return true;
	return false;
}

static bool mnt_opt(const struct mountinfo *m, const char *o)
{
	return has_opt(m->opts, o) || (!strcmp(o, "ro") && has_opt(m->super, o));
}

static bool writable(const struct mountinfo *m)
{
	return !mnt_opt(m, "ro");
}

static const struct mountinfo *find_mount(const struct run *r, const char *mp)
{
	const struct mountinfo *found = NULL;
	for (size_t i = 0; i < r->nm; i++)
		if (!strcmp(r->m[i].mp, mp))
			found = &r->m[i]; /* the last one is on top */
	return found;
}

static void missing_opts(char *out, size_t n, const struct mountinfo *m, const struct json *opts)
{
	for (size_t i = 0; opts && i < opts->u.arr.n; i++)
		if (!mnt_opt(m, opts->u.arr.v[i]->u.str.s)) {
			size_t l = strlen(out);
			snprintf(out + l, n - l, "%s%s", l && out[l - 1] != '(' ? "," : "", opts->u.arr.v[i]->u.str.s);
		}
}

static void do_mount(struct run *r, const struct hc_check *c, struct hc_result *res)
{
	const char *path = field(c, "path"), *src = field(c, "source");
	const struct json *opts = json_get(c->obj, "options"), *optional = json_get(c->obj, "optional");
	char miss[96] = "";
	snprintf(res->where, sizeof(res->where), "/proc/1/mountinfo: %s", path);
	join(res->expected, sizeof(res->expected), opts, ",", "", "");
	if (src) {
		size_t l = strlen(res->expected);
		snprintf(res->expected + l, sizeof(res->expected) - l, "%sfrom %s", l ? " " : "", src);
	}
	if (r->mi_err) {
		unknown(res, "/proc/1/mountinfo", r->mi_err);
		return;
	}
	const struct mountinfo *m = find_mount(r, path);
	if (!m) {
		res->st = optional && optional->u.b ? HC_PASS : HC_FAIL;
		str_copy(res->observed, sizeof(res->observed), "not a mount point");
		return;
	}
	missing_opts(miss, sizeof(miss), m, opts);
	snprintf(res->observed, sizeof(res->observed), "%s %s from %s%s%s", m->fstype, m->opts, m->source,
		miss[0] ? "; missing " : "", miss);
	res->st = miss[0] || (src && strcmp(src, m->source)) ? HC_FAIL : HC_PASS;
}

static void do_writable(struct run *r, const struct hc_check *c, struct hc_result *res)
{
	const struct json *opts = json_get(c->obj, "options"), *except = json_get(c->obj, "except");
	size_t bad = 0;
	str_copy(res->where, sizeof(res->where), "/proc/1/mountinfo");
	join(res->expected, sizeof(res->expected), opts, ",", "", "");
	if (r->mi_err) {
		unknown(res, "/proc/1/mountinfo", r->mi_err);
		return;
	}
	for (size_t i = 0; i < r->nm; i++) {
		char miss[96] = "";
		if (!writable(&r->m[i]) || listed(except, r->m[i].mp))
			continue;
		missing_opts(miss, sizeof(miss), &r->m[i], opts);
		if (!miss[0])
			continue;
		size_t l = strlen(res->observed);
		snprintf(res->observed + l, sizeof(res->observed) - l, "%s%s (no %s)", bad++ ? "; " : "", r->m[i].mp, miss);
	}
	if (!bad)
		snprintf(res->observed, sizeof(res->observed), "%zu writable mounts, all with them", r->nm);
	res->st = bad ? HC_FAIL : HC_PASS;
}

/* ---- modules -------------------------------------------------------------------------------- */

static void modname(char *s)
{
	for (; *s; s++)
		if (*s == '-')
			*s = '_';
}

static void do_module(struct run *r, const struct hc_check *c, struct hc_result *res)
{
	char want[64], rel[128], path[256];
	struct buf b = {0};
	int ret;
	str_copy(want, sizeof(want), field(c, "name"));
	modname(want);
	str_copy(res->expected, sizeof(res->expected), "not loaded, not loadable");
	str_copy(res->where, sizeof(res->where), "/proc/modules");
	if ((ret = slurp(r, "/proc/modules", &b))) {
		unknown(res, "/proc/modules", ret);
		goto out;
	}
	for (char *save = NULL, *l = strtok_r((char *)b.p, "\n", &save); l; l = strtok_r(NULL, "\n", &save)) {
		l[strcspn(l, " ")] = 0;
		modname(l);
		if (!strcmp(l, want)) {
			str_copy(res->observed, sizeof(res->observed), "loaded");
			res->st = HC_FAIL;
			goto out;
		}
	}
	buf_free(&b);
	if (!slurp(r, "/proc/sys/kernel/modules_disabled", &b) && ((char *)b.p)[0] == '1') {
		str_copy(res->observed, sizeof(res->observed), "not loaded; module loading disabled");
		res->st = HC_PASS;
		goto out;
	}
	buf_free(&b);
	if ((ret = slurp(r, "/proc/sys/kernel/osrelease", &b))) {
		unknown(res, "/proc/sys/kernel/osrelease", ret);
		goto out;
	}
	str_copy(rel, sizeof(rel), (char *)b.p);
	norm(rel);
	buf_free(&b);
	const char *dirs[] = {"/usr/lib/modules", "/lib/modules"};
	int found_tree = 0;
	for (int d = 0; d < 2; d++) {
		snprintf(path, sizeof(path), "%s/%s/modules.dep", dirs[d], rel);
		buf_free(&b);
		if ((ret = slurp(r, path, &b))) {
			snprintf(path, sizeof(path), "%s/%s", dirs[d], rel);
			int fd = fs_open_beneath(r->rootfd, path, O_RDONLY | O_DIRECTORY | O_CLOEXEC, 0);
			if (fd >= 0) {
				close(fd);
				unknown(res, path, -ENOENT); /* a module tree without its index */
				goto out;
			}
			continue;
		}
		found_tree = 1;
		for (char *save = NULL, *l = strtok_r((char *)b.p, "\n", &save); l; l = strtok_r(NULL, "\n", &save)) {
			char *colon = strchr(l, ':'), *base;
			if (!colon)
				continue;
			*colon = 0;
			base = strrchr(l, '/') ? strrchr(l, '/') + 1 : l;
			char *ko = strstr(base, ".ko");
			if (!ko)
				continue;
			*ko = 0;
			modname(base);
			if (!strcmp(base, want)) {
				snprintf(res->observed, sizeof(res->observed), "not loaded; loadable (%s)", l);
				str_copy(res->where, sizeof(res->where), path);
				res->st = HC_FAIL;
				goto out;
			}
		}
		break;
	}
	snprintf(res->observed, sizeof(res->observed), "not loaded; %s", found_tree ? "not in modules.dep" : "no module tree for this kernel");
	res->st = HC_PASS;
out:
	buf_free(&b);
}

/* ---- file walk ------------------------------------------------------------------------------ */

struct walk {
	const struct run *r;
	const struct json *allow;
	char *obs;
	size_t obsn, bad, files;
	dev_t dev;
	struct pwdb db; /* etc/passwd and etc/group beneath the root (absent: empty) */
};

/* An owner no account database names (root, uid and gid 0, always exists). */
static bool unowned(struct walk *w, const struct stat *st)
{
	return (st->st_uid && !pw_find_id(&w->db, PW_PASSWD, st->st_uid)) ||
		(st->st_gid && !pw_find_id(&w->db, PW_GROUP, st->st_gid));
}

static void walk_flag(struct walk *w, const char *path, const char *what)
{
	size_t l = strlen(w->obs);
	if (w->bad++ < 8)
		snprintf(w->obs + l, w->obsn - l, "%s%s (%s)", l ? "; " : "", path, what);
}

static bool other_mount(const struct run *r, const char *path, const char *self)
{
	for (size_t i = 0; i < r->nm; i++)
		if (!strcmp(r->m[i].mp, path) && strcmp(path, self))
			return true;
	return false;
}

static void walk_dir(struct walk *w, int dfd, char *path, size_t plen, const char *mp, unsigned depth)
{
	DIR *d = fdopendir(dfd);
	struct dirent *de;
	if (!d) {
		close(dfd);
		return;
	}
	while ((de = readdir(d)) && w->files < 20000000) {
		struct stat st;
		if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
			continue;
		if (snprintf(path + plen, PATH_MAX - plen, "%s%s", plen > 1 ? "/" : "", de->d_name) >= (int)(PATH_MAX - plen) ||
			fstatat(dirfd(d), de->d_name, &st, AT_SYMLINK_NOFOLLOW))
			continue;
		w->files++;
		if (unowned(w, &st))
			walk_flag(w, path, "unowned");
		if (S_ISREG(st.st_mode)) {
			if (st.st_mode & S_IWOTH)
				walk_flag(w, path, "world-writable");
			if ((st.st_mode & (S_ISUID | S_ISGID)) && !listed(w->allow, path))
				walk_flag(w, path, st.st_mode & S_ISUID ? "setuid" : "setgid");
		} else if (S_ISDIR(st.st_mode)) {
			if ((st.st_mode & S_IWOTH) && !(st.st_mode & S_ISVTX))
				walk_flag(w, path, "world-writable, not sticky");
			if (st.st_dev != w->dev || depth >= 64 || other_mount(w->r, path, mp))
				continue;
			int fd = openat(dirfd(d), de->d_name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
			if (fd >= 0)
				walk_dir(w, fd, path, strlen(path), mp, depth + 1);
		}
		path[plen] = 0;
	}
	path[plen] = 0;
	closedir(d);
}

static const char *const walk_skip[] = {"proc", "sysfs", "devtmpfs", "devpts", "cgroup", "cgroup2", "mqueue",
	"securityfs", "debugfs", "tracefs", "bpf", "efivarfs", "pstore", "configfs", "fusectl", "hugetlbfs", "autofs",
	"binfmt_misc", "nsfs", "selinuxfs", NULL};

static void do_walk(struct run *r, const struct hc_check *c, struct hc_result *res)
{
	struct walk w = {.r = r, .allow = ov(r, c, "allow"), .obs = res->observed, .obsn = sizeof(res->observed)};
	char *path = malloc(PATH_MAX);
	struct buf b;
	int ret = 0;
	str_copy(res->expected, sizeof(res->expected),
		"no world-writable files or unsticky dirs, no unowned files; setuid/setgid only as allowed");
	str_copy(res->where, sizeof(res->where), "writable mounts in /proc/1/mountinfo; /etc/passwd, /etc/group");
	pwdb_init(&w.db);
	for (int f = PW_PASSWD; f <= PW_GROUP && !ret; f++) {
		ret = slurp(r, f == PW_PASSWD ? "/etc/passwd" : "/etc/group", &b);
		ret = ret == -ENOENT ? 0 : ret ? ret : pwdb_parse(&w.db, (enum pw_file)f, (const char *)b.p, b.len, NULL);
		buf_free(&b);
	}
	if (r->mi_err || !path || ret) {
		unknown(res, ret ? "/etc/passwd, /etc/group" : "/proc/1/mountinfo", !path ? -ENOMEM : ret ? ret : r->mi_err);
		goto out;
	}
	for (size_t i = 0; i < r->nm; i++) {
		const struct mountinfo *m = &r->m[i];
		struct stat st;
		int k = 0;
		while (walk_skip[k] && strcmp(walk_skip[k], m->fstype))
			k++;
		if (walk_skip[k] || !writable(m) || find_mount(r, m->mp) != m)
			continue;
		int fd = fs_open_beneath(r->rootfd, m->mp, O_RDONLY | O_DIRECTORY | O_CLOEXEC, 0);
		if (fd < 0 || fstat(fd, &st)) {
			if (fd >= 0)
				close(fd);
			continue;
		}
		w.dev = st.st_dev;
		str_copy(path, PATH_MAX, m->mp);
		walk_dir(&w, fd, path, strlen(path), m->mp, 0);
	}
	if (w.bad > 8) {
		size_t l = strlen(res->observed);
		snprintf(res->observed + l, sizeof(res->observed) - l, "; and %zu more", w.bad - 8);
	}
	if (!w.bad)
		snprintf(res->observed, sizeof(res->observed), "none in %zu entries", w.files);
	res->st = w.bad ? HC_FAIL : HC_PASS;
out:
	pwdb_free(&w.db);
	free(path);
}

/* ---- listening sockets ---------------------------------------------------------------------- */

static bool loopback(const char *hex)
{
	if (strlen(hex) == 8)
		return !strncmp(hex + 6, "7F", 2); /* little-endian: 127 is the low byte */
	return !strcmp(hex, "00000000000000000000000001000000") ||
		(!strncmp(hex, "0000000000000000FFFF0000", 24) && !strncmp(hex + 30, "7F", 2));
}

static void do_listen(struct run *r, const struct hc_check *c, struct hc_result *res)
{
	static const char *const files[] = {"/proc/1/net/tcp", "/proc/1/net/tcp6", "/proc/1/net/udp", "/proc/1/net/udp6"};
	const struct json *allow = ov(r, c, "allow");
	size_t bad = 0;
	join(res->expected, sizeof(res->expected), allow, " ", "", "");
	if (!res->expected[0])
		str_copy(res->expected, sizeof(res->expected), "none beyond loopback");
	str_copy(res->where, sizeof(res->where), "/proc/1/net/{tcp,tcp6,udp,udp6}");
	for (int f = 0; f < 4; f++) {
		struct buf b;
		int ret = slurp(r, files[f], &b);
		if (ret && (f % 2 == 0 || ret != -ENOENT)) { /* tcp6/udp6 are absent without IPv6 */
			unknown(res, files[f], ret);
			buf_free(&b);
			return;
		}
		const char *proto = f < 2 ? "tcp" : "udp";
		char *save = NULL;
		for (char *l = ret ? NULL : strtok_r((char *)b.p, "\n", &save); l; l = strtok_r(NULL, "\n", &save)) {
			char local[64], remote[64], st[8], name[32];
			unsigned port, rport;
			/* "sl local:port remote:port st …" */
			static const char hex[] = "0123456789abcdefABCDEF";
			const char *q = scan_blanks(scan_span(scan_blanks(l), NULL, local, sizeof(local)));
			q = scan_uint(scan_lit(scan_span(q, hex, local, sizeof(local)), ':'), 16, &port);
			q = scan_uint(scan_lit(scan_span(scan_blanks(q), hex, remote, sizeof(remote)), ':'), 16, &rport);
			if (!scan_span(scan_blanks(q), NULL, st, sizeof(st)))
				continue;
			if ((f < 2 && strcmp(st, "0A")) || (f >= 2 && (strcmp(st, "07") || rport)) || loopback(local))
				continue;
			snprintf(name, sizeof(name), "%s:%u", proto, port);
			if (listed(allow, name))
				continue;
			size_t l2 = strlen(res->observed);
			if (bad++ < 8)
				snprintf(res->observed + l2, sizeof(res->observed) - l2, "%s%s", l2 ? " " : "", name);
		}
		buf_free(&b);
	}
	if (!bad)
		str_copy(res->observed, sizeof(res->observed), "none beyond the allowed");
	res->st = bad ? HC_FAIL : HC_PASS;
}

/* ---- kernel command line -------------------------------------------------------------------- */

static void do_cmdline(struct run *r, const struct hc_check *c, struct hc_result *res)
{
	const struct json *absent = json_get(c->obj, "absent"), *present = json_get(c->obj, "present");
	struct buf b;
	int ret = slurp(r, "/proc/cmdline", &b);
	str_copy(res->where, sizeof(res->where), "/proc/cmdline");
	snprintf(res->expected, sizeof(res->expected), "%zu flags absent, %zu present", absent ? absent->u.arr.n : 0,
		present ? present->u.arr.n : 0);
	if (ret) {
		unknown(res, "/proc/cmdline", ret);
		buf_free(&b);
		return;
	}
	char *s = (char *)b.p;
	size_t bad = 0, seen[64] = {0};
	/* words as the kernel splits them: blanks separate, double quotes group */
	for (char *p = s; *p;) {
		while (*p == ' ' || *p == '\n' || *p == '\t')
			p++;
		if (!*p)
			break;
		char *w = p, *o = p;
		bool q = false;
		for (; *p && (q || (*p != ' ' && *p != '\n' && *p != '\t')); p++)
			if (*p == '"')
				q = !q;
			else
				*o++ = *p;
		if (*p)
			p++;
		*o = 0;
		for (size_t i = 0; absent && i < absent->u.arr.n; i++) {
			const char *a = absent->u.arr.v[i]->u.str.s;
			size_t al = strlen(a);
			if (!strcmp(w, a) || (!strchr(a, '=') && !strncmp(w, a, al) && w[al] == '=')) {
				size_t l = strlen(res->observed);
				if (bad++ < 8)
					snprintf(res->observed + l, sizeof(res->observed) - l, "%s%s present", l ? "; " : "", w);
			}
		}
		for (size_t i = 0; present && i < present->u.arr.n && i < 64; i++)
			seen[i] |= !strcmp(w, present->u.arr.v[i]->u.str.s);
	}
	for (size_t i = 0; present && i < present->u.arr.n && i < 64; i++)
		if (!seen[i]) {
			size_t l = strlen(res->observed);
			bad++;
			snprintf(res->observed + l, sizeof(res->observed) - l, "%s%s missing", l ? "; " : "", present->u.arr.v[i]->u.str.s);
		}
	if (!bad)
		str_copy(res->observed, sizeof(res->observed), "as expected");
	res->st = bad ? HC_FAIL : HC_PASS;
	buf_free(&b);
}

/* ---- what only the running kernel answers ----------------------------------------------------- */

static struct {
	int err;             /* 0, or why the live values are missing (-EXDEV: --root is not /) */
	struct timex tx;
	int tx_err;
	char dev[64], table[600];
	int table_err;
	struct buf units;    /* keel init's "status" reply (OK line dropped), for "units" checks */
	int units_err;
} live = {.err = -ENODATA};

int hc_live_read(const struct hc_profile *p, int rootfd)
{
	struct stat a, b;
	live.err = fstat(rootfd, &a) || stat("/", &b) || a.st_dev != b.st_dev || a.st_ino != b.st_ino ? -EXDEV : 0;
	if (live.err)
		return 0;
	live.tx_err = adjtimex(&live.tx) < 0 ? -errno : 0; /* modes 0: read only */
	live.table_err = -ENOENT;
	for (size_t i = 0; i < p->n && live.table_err == -ENOENT; i++)
		if (!strcmp(p->c[i].kind, "verity") && field(&p->c[i], "device")) {
			str_copy(live.dev, sizeof(live.dev), field(&p->c[i], "device"));
			live.table_err = dm_table(live.dev, live.table, sizeof(live.table), NULL);
		}
	live.units_err = -ENOENT;
	for (size_t i = 0; i < p->n && live.units_err == -ENOENT; i++)
		if (!strcmp(p->c[i].kind, "units")) { /* keel init answers status within 2 s, or not at all */
			buf_init(&live.units, CTL_REPLY_MAX);
			live.units_err = ctl_call(HC_INIT_SOCK, "status\n", &live.units, 2000, NULL);
			if (!live.units_err && (live.units.len < 3 || memcmp(live.units.p, "OK\n", 3)))
				live.units_err = -EPROTO;
		}
	return 0;
}

static bool live_ok(struct hc_result *res, const char *where, int err);

/* Required units active, as keel init's status says (its control socket). */
static void do_units(struct run *r, const struct hc_check *c, struct hc_result *res)
{
	const struct json *want = ov(r, c, "expect");
	size_t miss = 0;
	join(res->expected, sizeof(res->expected), want, " ", "", "");
	str_copy(res->where, sizeof(res->where), "keel init status (" HC_INIT_SOCK ")");
	if (!live_ok(res, res->where, live.units_err))
		return;
	for (size_t i = 0; want && i < want->u.arr.n; i++) {
		const char *u = want->u.arr.v[i]->u.str.s, *p = (const char *)live.units.p + 3;
		const char *end = (const char *)live.units.p + live.units.len, *state = "not loaded";
		struct ctl_status st;
		const char *why;
		for (const char *nl; p < end; p = nl + 1) {
			nl = memchr(p, '\n', (size_t)(end - p));
			nl = nl ? nl : end;
			if (!ctl_parse_status(p, (size_t)(nl - p), &st, &why) && !strcmp(st.unit, u))
				state = strcmp(st.active, "active") ? st.active : NULL;
		}
		if (state) {
			size_t l = strlen(res->observed);
			snprintf(res->observed + l, sizeof(res->observed) - l, "%s%s %s", l ? "; " : "", u, state);
			miss++;
		}
	}
	if (!miss)
		str_copy(res->observed, sizeof(res->observed), "all active");
	res->st = miss ? HC_FAIL : HC_PASS;
}

static bool live_ok(struct hc_result *res, const char *where, int err)
{
	if (!live.err && !err)
		return true;
	unknown(res, where, live.err ? live.err : err);
	if (live.err == -EXDEV)
		snprintf(res->observed, sizeof(res->observed), "could not evaluate: the running kernel's value, and --root is not /");
	return false;
}

/* Clock synchronised: adjtimex(2) status without STA_UNSYNC, maxerror at most max microseconds. */
static void do_clock(struct run *r, const struct hc_check *c, struct hc_result *res)
{
	const struct json *max = ov(r, c, "max");
	long long lim = max ? max->u.num.i : 1000000;
	str_copy(res->where, sizeof(res->where), "adjtimex(2)");
	snprintf(res->expected, sizeof(res->expected), "STA_UNSYNC clear, maxerror <= %lld us", lim);
	if (!live_ok(res, "adjtimex(2)", live.tx_err))
		return;
	bool unsync = live.tx.status & STA_UNSYNC;
	snprintf(res->observed, sizeof(res->observed), "STA_UNSYNC %s, maxerror %ld us", unsync ? "set" : "clear",
		(long)live.tx.maxerror);
	res->st = unsync || live.tx.maxerror > lim ? HC_FAIL : HC_PASS;
}

/* A key of /run/keel/boot (stage 1's record) into out; 0, or -ENOENT when the key is absent. */
static int boot_key(const struct buf *b, const char *key, char *out, size_t n)
{
	size_t kl = strlen(key);
	for (const char *l = (const char *)b->p; l && *l; l = strchr(l, '\n') ? strchr(l, '\n') + 1 : NULL)
		if (!strncmp(l, key, kl) && l[kl] == '=') {
			snprintf(out, n, "%.*s", (int)strcspn(l + kl + 1, "\n"), l + kl + 1);
			return 0;
		}
	return -ENOENT;
}

/* The booted release against the floor in force (min_version=, "" none), both from stage 1. */
static void do_floor(struct run *r, const struct hc_check *c, struct hc_result *res)
{
	struct buf b;
	char ver[80], min[80];
	int cmp = 0, ret = slurp(r, "/run/keel/boot", &b);
	(void)c;
	str_copy(res->where, sizeof(res->where), "/run/keel/boot (version=, min_version=)");
	str_copy(res->expected, sizeof(res->expected), "version >= min_version");
	if (!ret && (ret = boot_key(&b, "version", ver, sizeof(ver))) == 0 && (ret = boot_key(&b, "min_version", min,
		sizeof(min))) == -ENOENT) {
		str_copy(res->observed, sizeof(res->observed), "could not evaluate: stage 1 recorded no min_version=");
		res->st = HC_UNKNOWN;
	} else if (ret) {
		unknown(res, res->where, ret);
	} else if (min[0] && manifest_version_cmp(ver, min, &cmp)) {
		snprintf(res->observed, sizeof(res->observed), "version %.60s, floor %.60s: cannot be ordered", ver, min);
		res->st = HC_FAIL;
	} else {
		snprintf(res->observed, sizeof(res->observed), "version %.60s, floor %.60s", ver, min[0] ? min : "none");
		res->st = cmp < 0 ? HC_FAIL : HC_PASS;
	}
	buf_free(&b);
}

/* The dm-verity device's live table carries the root hash stage 1 verified against the signed
 * manifest (root_hash= of /run/keel/boot). */
static void do_verity(struct run *r, const struct hc_check *c, struct hc_result *res)
{
	struct buf b;
	char want[140] = "", where[100], *w[10] = {0}, *save = NULL;
	int n = 0, ret = slurp(r, "/run/keel/boot", &b);
	if (!ret)
		ret = boot_key(&b, "root_hash", want, sizeof(want));
	buf_free(&b);
	snprintf(where, sizeof(where), "device-mapper table of %.40s", field(c, "device"));
	str_copy(res->where, sizeof(res->where), where);
	snprintf(res->expected, sizeof(res->expected), "verity, root hash %.128s", want[0] ? want : "?");
	if (ret) {
		unknown(res, "/run/keel/boot (root_hash=)", ret);
		return;
	}
	if (!live_ok(res, where, live.table_err))
		return;
	for (char *t = strtok_r(live.table, " ", &save); t && n < 10; t = strtok_r(NULL, " ", &save))
		w[n++] = t;
	/* "verity VERSION DATA HASH DBS HBS BLOCKS START ALG DIGEST SALT…" */
	bool ok = n >= 10 && !strcmp(w[0], "verity") && !strcmp(w[9], want);
	snprintf(res->observed, sizeof(res->observed), "%.16s, root hash %.128s", w[0] ? w[0] : "empty",
		n >= 10 ? w[9] : "none");
	res->st = ok ? HC_PASS : HC_FAIL;
	live.table_err = -EALREADY; /* the table was split in place: a second check re-reads nothing */
}

int hc_apply(int rootfd, const char *role, const struct hc_result *x, char *val, size_t n)
{
	struct run r = {.rootfd = rootfd, .role = role};
	const struct json *ex = ov(&r, x->c, "expect"), *min = ov(&r, x->c, "min");
	char path[160];
	if (x->st != HC_FAIL || strcmp(x->c->kind, "sysctl") || (!min && !(ex && ex->u.arr.n)))
		return 1;
	if (min)
		snprintf(val, n, "%lld", (long long)min->u.num.i);
	else
		str_copy(val, n, ex->u.arr.v[0]->u.str.s);
	snprintf(path, sizeof(path), "proc/sys/%s", field(x->c, "key"));
	for (char *p = path + 9; *p; p++)
		if (*p == '.')
			*p = '/';
	int fd = fs_open_beneath(rootfd, path, O_WRONLY | O_CLOEXEC | O_NOCTTY, 0);
	if (fd < 0)
		return fd;
	size_t l = strlen(val);
	ssize_t w = write(fd, val, l); /* one write: the kernel takes the value whole or refuses it */
	int ret = w == (ssize_t)l ? 0 : w < 0 ? -errno : -EIO;
	close(fd);
	return ret;
}

int hc_booted(int rootfd, struct hc_booted *b)
{
	struct run r = {.rootfd = rootfd};
	struct buf x;
	memset(b, 0, sizeof(*b));
	if (!slurp(&r, "/run/keel/boot", &x)) {
		char *save = NULL;
		for (char *l = strtok_r((char *)x.p, "\n", &save); l; l = strtok_r(NULL, "\n", &save)) {
			if (str_starts(l, "version="))
				str_copy(b->release, sizeof(b->release), l + 8);
			else if (str_starts(l, "root_hash="))
				str_copy(b->root_hash, sizeof(b->root_hash), l + 10);
			else if (str_starts(l, "slot="))
				str_copy(b->slot, sizeof(b->slot), l + 5);
		}
	}
	buf_free(&x);
	if (!slurp(&r, "/proc/cmdline", &x)) {
		str_copy(b->cmdline, sizeof(b->cmdline), (char *)x.p);
		norm(b->cmdline);
	}
	buf_free(&x);
	b->secure_boot = -1;
	if (!slurp(&r, "/sys/firmware/efi/efivars/SecureBoot-8be4df61-93ca-11d2-aa0d-00e098032b8c", &x) && x.len >= 5)
		b->secure_boot = ((unsigned char *)x.p)[4] == 1;
	buf_free(&x);
	return 0;
}

int hc_run(const struct hc_profile *p, int rootfd, const char *role, const char *today, struct hc_result *res)
{
	struct run r = {.rootfd = rootfd, .role = role};
	load_mounts(&r);
	if (r.mi_err == -ENOMEM) {
		buf_free(&r.mi);
		free(r.m);
		return -ENOMEM;
	}
	for (size_t i = 0; i < p->n; i++) {
		const struct hc_check *c = &p->c[i];
		struct hc_result *x = &res[i];
		const struct json *skip = ov(&r, c, "skip");
		memset(x, 0, sizeof(*x));
		x->c = c;
		if (skip && skip->u.b) {
			x->st = HC_SKIP;
			snprintf(x->observed, sizeof(x->observed), "not checked for role %s", role);
			continue;
		}
		if (!strcmp(c->kind, "sysctl"))
			do_sysctl(&r, c, x);
		else if (!strcmp(c->kind, "file"))
			do_file(&r, c, x, field(c, "path"), field(c, "key"));
		else if (!strcmp(c->kind, "efivar"))
			do_efivar(&r, c, x);
		else if (!strcmp(c->kind, "mount"))
			do_mount(&r, c, x);
		else if (!strcmp(c->kind, "writable-mounts"))
			do_writable(&r, c, x);
		else if (!strcmp(c->kind, "module"))
			do_module(&r, c, x);
		else if (!strcmp(c->kind, "walk"))
			do_walk(&r, c, x);
		else if (!strcmp(c->kind, "listen"))
			do_listen(&r, c, x);
		else if (!strcmp(c->kind, "clock"))
			do_clock(&r, c, x);
		else if (!strcmp(c->kind, "floor"))
			do_floor(&r, c, x);
		else if (!strcmp(c->kind, "verity"))
			do_verity(&r, c, x);
		else if (!strcmp(c->kind, "units"))
			do_units(&r, c, x);
		else
			do_cmdline(&r, c, x);
		for (size_t k = 0; x->st == HC_FAIL && k < p->nw; k++)
			if (!strcmp(p->w[k].id, c->id)) {
				x->w = &p->w[k];
				if (strcmp(p->w[k].expires, today) >= 0)
					x->st = HC_WAIVED;
			}
	}
	buf_free(&r.mi);
	free(r.m);
	return 0;
}
