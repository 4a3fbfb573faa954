/* psa.c — Pod Security Standards on an OCI config.json (see psa.h; the mapping table with every
 * judgement call is in the policy docs). */
#include "policy/psa.h"
#include "base/buf.h"
#include "base/err.h"
#include "base/json.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct ctx {
	struct psa_report *r;
	struct kerr *e;
	enum psa_level level;
	bool userns;       /* a user namespace of its own whose mappings never reach host uid 0 */
	int err;
};

const char *psa_level_name(enum psa_level l)
{
	return l == PSA_RESTRICTED ? "restricted" : "baseline";
}

void psa_report_free(struct psa_report *r)
{
	if (!r)
		return;
	free(r->f);
	memset(r, 0, sizeof(*r));
}

/* Append one JSON pointer token (RFC 6901: ~ -> ~0, / -> ~1). */
static void ptr_add(char *p, size_t n, const char *tok)
{
	size_t l = strlen(p);
	if (l + 1 < n)
		p[l++] = '/';
	for (; *tok && l + 2 < n; tok++) {
		if (*tok == '~' || *tok == '/') {
			p[l++] = '~';
			p[l++] = *tok == '~' ? '0' : '1';
		} else
			p[l++] = *tok;
	}
	p[l] = 0;
}

static const char *ptr(char *buf, size_t n, const char *base, const char *key, long idx)
{
	char num[24];
	str_copy(buf, n, base);
	if (key)
		ptr_add(buf, n, key);
	if (idx >= 0) {
		snprintf(num, sizeof(num), "%ld", idx);
		ptr_add(buf, n, num);
	}
	return buf;
}

/* The controls, as the standard names them, with pod-security-admission's check ids. */
enum ctl { HOSTNS, PRIV, CAPS_B, CAPS_R, HOSTPATH, VOLTYPES, APPARMOR, SELINUX, PROCMOUNT, SECCOMP_B, SECCOMP_R,
	SYSCTLS, PRIVESC, NONROOT, NONROOT_USER };
static const struct {
	const char *control, *check;
	enum psa_level level;
} ctls[] = {
	[HOSTNS] = {"Host Namespaces", "hostNamespaces", PSA_BASELINE},
	[PRIV] = {"Privileged Containers", "privileged", PSA_BASELINE},
	[CAPS_B] = {"Capabilities", "capabilities_baseline", PSA_BASELINE},
	[CAPS_R] = {"Capabilities", "capabilities_restricted", PSA_RESTRICTED},
	[HOSTPATH] = {"HostPath Volumes", "hostPathVolumes", PSA_BASELINE},
	[VOLTYPES] = {"Volume Types", "restrictedVolumes", PSA_RESTRICTED},
	[APPARMOR] = {"AppArmor", "appArmorProfile", PSA_BASELINE},
	[SELINUX] = {"SELinux", "seLinuxOptions", PSA_BASELINE},
	[PROCMOUNT] = {"/proc Mount Type", "procMount", PSA_BASELINE},
	[SECCOMP_B] = {"Seccomp", "seccompProfile_baseline", PSA_BASELINE},
	[SECCOMP_R] = {"Seccomp", "seccompProfile_restricted", PSA_RESTRICTED},
	[SYSCTLS] = {"Sysctls", "sysctls", PSA_BASELINE},
	[PRIVESC] = {"Privilege Escalation", "allowPrivilegeEscalation", PSA_RESTRICTED},
	[NONROOT] = {"Running as Non-root", "runAsNonRoot", PSA_RESTRICTED},
	[NONROOT_USER] = {"Running as Non-root user", "runAsUser", PSA_RESTRICTED},
};

__attribute__((format(printf, 4, 5))) static void add(struct ctx *c, enum ctl k, const char *path, const char *fmt, ...)
{
	struct psa_report *r = c->r;
	if (c->err)
		return;
	if (r->n == r->cap) {
		size_t nc = r->cap ? r->cap * 2 : 16;
		struct psa_finding *f = nc > 100000 ? NULL : realloc(r->f, nc * sizeof(*f));
		if (!f) {
			c->err = kerr_set(c->e, -ENOMEM, "out of memory recording findings");
			return;
		}
		r->f = f;
		r->cap = nc;
	}
	struct psa_finding *f = &r->f[r->n++];
	memset(f, 0, sizeof(*f));
	f->control = ctls[k].control;
	f->check = ctls[k].check;
	f->level = ctls[k].level;
	str_copy(f->path, sizeof(f->path), path);
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(f->reason, sizeof(f->reason), fmt, ap);
	va_end(ap);
	r->violations++;
}

static void relax(struct ctx *c, size_t from)
{
	for (size_t i = from; i < c->r->n; i++)
		if (!c->r->f[i].relaxed) {
			c->r->f[i].relaxed = true;
			c->r->violations--;
		}
}

/* A member of the wanted type, or NULL when absent or null. The wrong type is an error. */
static const struct json *get(struct ctx *c, const struct json *obj, const char *base, const char *key,
	enum json_type t)
{
	char p[160];
	const struct json *v = obj ? json_get(obj, key) : NULL;
	if (!v || v->type == JSON_NULL)
		return NULL;
	if (v->type != t) {
		if (!c->err)
			c->err = kerr_set(c->e, -EINVAL, "%s: %s expected, found %s", ptr(p, sizeof(p), base, key, -1),
				json_type_name(t), json_type_name(v->type));
		return NULL;
	}
	return v;
}

static const char *item_str(struct ctx *c, const struct json *arr, size_t i, const char *path)
{
	const struct json *v = arr->u.arr.v[i];
	char p[160];
	if (v->type == JSON_STRING)
		return v->u.str.s;
	if (!c->err)
		c->err = kerr_set(c->e, -EINVAL, "%s: string expected, found %s", ptr(p, sizeof(p), path, NULL, (long)i),
			json_type_name(v->type));
	return NULL;
}

static bool in_list(const char *s, const char *const list[])
{
	for (int i = 0; list[i]; i++)
		if (!strcmp(s, list[i]))
			return true;
	return false;
}

/* ---- host namespaces ---------------------------------------------------------------------- */

/* A namespace path that names the runtime's own (the host's) namespace. A path that is not in
 * canonical form cannot be judged and counts as the host's. */
static bool host_ns_path(const char *path)
{
	static const char *const host[] = {"/proc/1/ns/", "/proc/self/ns/", "/proc/thread-self/ns/", NULL};
	if (path[0] != '/' || strstr(path, "//") || strstr(path, "/./") || strstr(path, "/../") ||
		str_ends(path, "/.") || str_ends(path, "/.."))
		return true;
	for (int i = 0; host[i]; i++)
		if (str_starts(path, host[i]))
			return true;
	return false;
}

static void check_namespaces(struct ctx *c, const struct json *linux_, const struct json **nsuser)
{
	static const char *const want[] = {"network", "pid", "ipc"};
	static const char *const field[] = {"hostNetwork", "hostPID", "hostIPC"};
	const struct json *ns = get(c, linux_, "/linux", "namespaces", JSON_ARRAY);
	char p[160];
	*nsuser = NULL;
	bool found[3] = {false, false, false};
	for (size_t i = 0; ns && i < ns->u.arr.n; i++) {
		const struct json *x = ns->u.arr.v[i];
		ptr(p, sizeof(p), "/linux/namespaces", NULL, (long)i);
		if (x->type != JSON_OBJECT) {
			c->err = c->err ? c->err : kerr_set(c->e, -EINVAL, "%s: object expected", p);
			return;
		}
		const struct json *t = get(c, x, p, "type", JSON_STRING), *path = get(c, x, p, "path", JSON_STRING);
		if (!t)
			continue;
		if (!strcmp(t->u.str.s, "user"))
			*nsuser = x;
		for (int k = 0; k < 3; k++) {
			if (strcmp(t->u.str.s, want[k]))
				continue;
			found[k] = true;
			if (path && host_ns_path(path->u.str.s))
				add(c, HOSTNS, ptr(p, sizeof(p), p, "path", -1),
					"joins the host's %s namespace %s (%s)", want[k], path->u.str.s, field[k]);
		}
	}
	for (int k = 0; k < 3; k++)
		if (!found[k])
			add(c, HOSTNS, "/linux/namespaces",
				"no %s namespace: the container shares the host's (%s)", want[k], field[k]);
}

/* ---- user namespace: does container root stay off host root? ------------------------------ */

/* Whether container uid id is host uid 0 through the mappings. */
static bool maps_to_host_root(struct ctx *c, const struct json *maps, long long id)
{
	for (size_t i = 0; maps && i < maps->u.arr.n; i++) {
		const struct json *m = maps->u.arr.v[i], *cid, *hid, *sz;
		char p[160];
		ptr(p, sizeof(p), "/linux/uidMappings", NULL, (long)i);
		if (m->type != JSON_OBJECT || !(cid = get(c, m, p, "containerID", JSON_NUMBER)) ||
			!(hid = get(c, m, p, "hostID", JSON_NUMBER)) || !(sz = get(c, m, p, "size", JSON_NUMBER)) ||
			!cid->u.num.is_int || !hid->u.num.is_int || !sz->u.num.is_int) {
			if (!c->err)
				c->err = kerr_set(c->e, -EINVAL, "%s: containerID, hostID and size (integers) expected", p);
			return true;
		}
		if (id >= cid->u.num.i && id - cid->u.num.i < sz->u.num.i && hid->u.num.i + (id - cid->u.num.i) == 0)
			return true;
	}
	return false;
}

static bool user_namespace(struct ctx *c, const struct json *linux_, const struct json *nsuser)
{
	if (!nsuser)
		return false;
	const struct json *path = get(c, nsuser, "/linux/namespaces", "path", JSON_STRING);
	const struct json *maps = get(c, linux_, "/linux", "uidMappings", JSON_ARRAY);
	if (path || !maps || !maps->u.arr.n)
		return false; /* joined elsewhere, or unmapped: the mappings cannot be seen here */
	/* "hostUsers: false": no container id reaches host uid 0. */
	for (size_t i = 0; i < maps->u.arr.n; i++) {
		const struct json *m = maps->u.arr.v[i];
		const struct json *hid = m->type == JSON_OBJECT ? json_get(m, "hostID") : NULL;
		const struct json *sz = m->type == JSON_OBJECT ? json_get(m, "size") : NULL;
		if (!hid || !sz || hid->type != JSON_NUMBER || sz->type != JSON_NUMBER || !hid->u.num.is_int ||
			!sz->u.num.is_int || hid->u.num.i <= 0 || sz->u.num.i <= 0)
			return false;
	}
	(void)c;
	return true;
}

/* ---- capabilities ------------------------------------------------------------------------- */

static const char *const caps_baseline[] = {"CAP_AUDIT_WRITE", "CAP_CHOWN", "CAP_DAC_OVERRIDE", "CAP_FOWNER",
	"CAP_FSETID", "CAP_KILL", "CAP_MKNOD", "CAP_NET_BIND_SERVICE", "CAP_SETFCAP", "CAP_SETGID", "CAP_SETPCAP",
	"CAP_SETUID", "CAP_SYS_CHROOT", NULL};
static const char *const caps_restricted[] = {"CAP_NET_BIND_SERVICE", NULL};
static const char *const cap_sets[] = {"bounding", "effective", "inheritable", "permitted", "ambient", NULL};

static bool is_all(const char *s)
{
	return !strcasecmp(s, "ALL") || !strcasecmp(s, "CAP_ALL");
}

static void check_caps(struct ctx *c, const struct json *caps)
{
	bool r = c->level == PSA_RESTRICTED;
	const char *const *allowed = r ? caps_restricted : caps_baseline;
	enum ctl ck = r ? CAPS_R : CAPS_B;
	char base[64], p[160];
	for (int s = 0; cap_sets[s]; s++) {
		ptr(base, sizeof(base), "/process/capabilities", cap_sets[s], -1);
		const struct json *set = get(c, caps, "/process/capabilities", cap_sets[s], JSON_ARRAY);
		for (size_t i = 0; set && i < set->u.arr.n; i++) {
			const char *n = item_str(c, set, i, base);
			if (!n || in_list(n, allowed))
				continue;
			ptr(p, sizeof(p), base, NULL, (long)i);
			if (is_all(n))
				add(c, ck, p, "%s grants every capability", n);
			else if (!str_starts(n, "CAP_") || strspn(n, "ABCDEFGHIJKLMNOPQRSTUVWXYZ_0123456789") != strlen(n))
				add(c, ck, p,
					"%s: not the exact name (CAP_ and upper case) the standard allows",
					n);
			else
				add(c, ck, p, "%s is not allowed (%s)", n,
					r ? "only CAP_NET_BIND_SERVICE may be added after dropping ALL"
					  : "beyond the baseline's default set");
		}
	}
}

/* Privileged: every capability in the bounding set, every device allowed, sysfs writable. */
static void check_privileged(struct ctx *c, const struct json *caps, const struct json *linux_, const struct json *mounts)
{
	static const char *const crit[] = {"CAP_SYS_ADMIN", "CAP_SYS_MODULE", "CAP_SYS_RAWIO", "CAP_SYS_PTRACE",
		"CAP_NET_ADMIN", "CAP_SYS_BOOT", "CAP_MAC_ADMIN", "CAP_BPF", NULL};
	char p[160];
	const struct json *b = caps ? json_get(caps, "bounding") : NULL;
	int hits = 0;
	for (size_t i = 0; b && b->type == JSON_ARRAY && i < b->u.arr.n; i++) {
		const struct json *v = b->u.arr.v[i];
		if (v->type == JSON_STRING && (is_all(v->u.str.s) || in_list(v->u.str.s, crit)))
			hits += is_all(v->u.str.s) ? 8 : 1;
	}
	if (hits >= 8)
		add(c, PRIV, "/process/capabilities/bounding",
			"the bounding set holds every administrative capability (privileged: true)");
	const struct json *res = get(c, linux_, "/linux", "resources", JSON_OBJECT);
	const struct json *dev = get(c, res, "/linux/resources", "devices", JSON_ARRAY);
	for (size_t i = 0; dev && i < dev->u.arr.n; i++) {
		const struct json *d = dev->u.arr.v[i];
		if (d->type != JSON_OBJECT)
			continue;
		const struct json *allow = json_get(d, "allow"), *t = json_get(d, "type");
		if (allow && allow->type == JSON_BOOL && allow->u.b && (!t || (t->type == JSON_STRING && !strcmp(t->u.str.s, "a"))) &&
			!json_get(d, "major") && !json_get(d, "minor"))
			add(c, PRIV,
				ptr(p, sizeof(p), "/linux/resources/devices", NULL, (long)i),
				"every host device is allowed (privileged: true)");
	}
	for (size_t i = 0; mounts && i < mounts->u.arr.n; i++) {
		const struct json *m = mounts->u.arr.v[i];
		const struct json *t = m->type == JSON_OBJECT ? json_get(m, "type") : NULL;
		if (!t || t->type != JSON_STRING || strcmp(t->u.str.s, "sysfs"))
			continue;
		const struct json *o = json_get(m, "options");
		bool ro = false;
		for (size_t k = 0; o && o->type == JSON_ARRAY && k < o->u.arr.n; k++)
			ro |= o->u.arr.v[k]->type == JSON_STRING && !strcmp(o->u.arr.v[k]->u.str.s, "ro");
		if (!ro)
			add(c, PRIV, ptr(p, sizeof(p), "/mounts", NULL, (long)i),
				"sysfs is mounted read-write (privileged: true)");
	}
}

/* ---- volumes ------------------------------------------------------------------------------ */

/* The pod volume plugins (kubelet's kubernetes.io~NAME directories) that restricted allows. */
static const char *const vol_ok[][2] = {{"configmap", "configMap"}, {"secret", "secret"},
	{"empty-dir", "emptyDir"}, {"projected", "projected"}, {"downward-api", "downwardAPI"}, {"csi", "csi"},
	{NULL, NULL}};
/* Files a runtime or the kubelet bind-mounts into every container: /etc/hosts, hostname,
 * resolv.conf, /dev/shm, the termination log. PREFIX<id>/NAME... */
static const char *const runtime_dirs[] = {"/var/lib/containerd/io.containerd.grpc.v1.cri/sandboxes/",
	"/run/containerd/io.containerd.grpc.v1.cri/sandboxes/", "/var/run/containerd/io.containerd.grpc.v1.cri/sandboxes/",
	"/var/lib/containers/storage/overlay-containers/", "/run/containers/storage/overlay-containers/",
	"/var/run/containers/storage/overlay-containers/", NULL};
static const char *const pseudo_fs[] = {"proc", "sysfs", "tmpfs", "devpts", "mqueue", "cgroup", "cgroup2", NULL};

static bool canonical_abs(const char *s)
{
	return s[0] == '/' && !strstr(s, "//") && !strstr(s, "/./") && !strstr(s, "/../") && !str_ends(s, "/.") &&
		!str_ends(s, "/..");
}

/* Skip one path component (non-empty); returns the rest after '/', or NULL. */
static const char *component(const char *s)
{
	const char *sl = strchr(s, '/');
	return sl && sl > s ? sl + 1 : NULL;
}

enum vol { VOL_RUNTIME, VOL_OK, VOL_OTHER, VOL_HOST };

static enum vol classify_bind(const char *src, char *kind, size_t n)
{
	const char *rest;
	str_copy(kind, n, "hostPath");
	if (!canonical_abs(src))
		return VOL_HOST;
	if (str_starts(src, "/var/lib/kubelet/pods/") && (rest = component(src + 22))) {
		if (!strcmp(rest, "etc-hosts") || (str_starts(rest, "containers/") && component(rest + 11)))
			return VOL_RUNTIME;
		if (str_starts(rest, "volumes/kubernetes.io~")) {
			const char *plug = rest + 22, *end = strchr(plug, '/');
			if (!end || end == plug || !end[1])
				return VOL_HOST;
			snprintf(kind, n, "%.*s", (int)(end - plug), plug);
			for (int i = 0; vol_ok[i][0]; i++)
				if (!strcmp(kind, vol_ok[i][0])) {
					str_copy(kind, n, vol_ok[i][1]);
					return VOL_OK;
				}
			return VOL_OTHER;
		}
		if (str_starts(rest, "volume-subpaths/")) {
			str_copy(kind, n, "a subPath (volume type not visible)");
			return VOL_OTHER;
		}
		return VOL_HOST;
	}
	for (int i = 0; runtime_dirs[i]; i++)
		if (str_starts(src, runtime_dirs[i]) && (rest = component(src + strlen(runtime_dirs[i]))) && *rest)
			return VOL_RUNTIME;
	return VOL_HOST;
}

static void check_mounts(struct ctx *c, const struct json *mounts)
{
	bool r = c->level == PSA_RESTRICTED;
	char p[160], kind[64];
	for (size_t i = 0; mounts && i < mounts->u.arr.n; i++) {
		const struct json *m = mounts->u.arr.v[i];
		ptr(p, sizeof(p), "/mounts", NULL, (long)i);
		if (m->type != JSON_OBJECT) {
			c->err = c->err ? c->err : kerr_set(c->e, -EINVAL, "%s: object expected", p);
			return;
		}
		const struct json *t = get(c, m, p, "type", JSON_STRING), *src = get(c, m, p, "source", JSON_STRING);
		const struct json *o = get(c, m, p, "options", JSON_ARRAY);
		bool bind = t && (!strcmp(t->u.str.s, "bind") || !strcmp(t->u.str.s, "rbind"));
		for (size_t k = 0; o && k < o->u.arr.n; k++) {
			const char *s = item_str(c, o, k, p);
			bind |= s && (!strcmp(s, "bind") || !strcmp(s, "rbind"));
		}
		if (c->err)
			return;
		const char *s = src ? src->u.str.s : "";
		enum vol v;
		if (bind)
			v = classify_bind(s, kind, sizeof(kind));
		else if (t && in_list(t->u.str.s, pseudo_fs))
			v = VOL_RUNTIME;
		else {
			v = VOL_HOST;
			snprintf(kind, sizeof(kind), "a %s filesystem mounted directly", t ? t->u.str.s : "typeless");
		}
		ptr(p, sizeof(p), p, "source", -1);
		if (v == VOL_HOST && !r)
			add(c, HOSTPATH, p, "%s from the host: %s", kind, s);
		else if ((v == VOL_HOST || v == VOL_OTHER) && r)
			add(c, VOLTYPES, p, "%s is not an allowed volume type: %s",
				kind, s);
	}
}

/* ---- /proc mount, sysctls, seccomp, LSMs, user -------------------------------------------- */

/* What every runtime's default has masked for years (runc spec, containerd, CRI-O, umoci). */
static const char *const masked_req[] = {"/proc/kcore", "/proc/latency_stats", "/proc/timer_list",
	"/proc/sched_debug", "/sys/firmware", NULL};
static const char *const ro_req[] = {"/proc/bus", "/proc/fs", "/proc/irq", "/proc/sys", "/proc/sysrq-trigger", NULL};

static bool listed(struct ctx *c, const struct json *arr, const char *base, const char *want)
{
	for (size_t i = 0; arr && i < arr->u.arr.n; i++) {
		const char *s = item_str(c, arr, i, base);
		if (s && !strcmp(s, want))
			return true;
	}
	return false;
}

static void check_procmount(struct ctx *c, const struct json *linux_)
{
	const struct json *mp = get(c, linux_, "/linux", "maskedPaths", JSON_ARRAY);
	const struct json *rp = get(c, linux_, "/linux", "readonlyPaths", JSON_ARRAY);
	size_t from = c->r->n;
	for (int i = 0; masked_req[i]; i++)
		if (!listed(c, mp, "/linux/maskedPaths", masked_req[i]))
			add(c, PROCMOUNT, "/linux/maskedPaths",
				"%s is not masked (procMount: Unmasked)", masked_req[i]);
	for (int i = 0; ro_req[i]; i++)
		if (!listed(c, rp, "/linux/readonlyPaths", ro_req[i]) && !listed(c, mp, "/linux/maskedPaths", ro_req[i]))
			add(c, PROCMOUNT, "/linux/readonlyPaths",
				"%s is neither read-only nor masked (procMount: Unmasked)", ro_req[i]);
	if (c->userns)
		relax(c, from);
}

static const char *const safe_sysctls[] = {"kernel.shm_rmid_forced", "net.ipv4.ip_local_port_range",
	"net.ipv4.tcp_syncookies", "net.ipv4.ping_group_range", "net.ipv4.ip_unprivileged_port_start",
	"net.ipv4.ip_local_reserved_ports", "net.ipv4.tcp_keepalive_time", "net.ipv4.tcp_fin_timeout",
	"net.ipv4.tcp_keepalive_intvl", "net.ipv4.tcp_keepalive_probes", "net.ipv4.tcp_rmem", "net.ipv4.tcp_wmem",
	NULL};

static void check_sysctls(struct ctx *c, const struct json *linux_)
{
	const struct json *s = get(c, linux_, "/linux", "sysctl", JSON_OBJECT);
	char p[160];
	for (size_t i = 0; s && i < s->u.obj.n; i++) {
		const char *k = s->u.obj.m[i].key;
		if (!in_list(k, safe_sysctls))
			add(c, SYSCTLS, ptr(p, sizeof(p), "/linux/sysctl", k, -1),
				"%s is not in the safe set (names compared exactly)", k);
	}
}

static bool allow_action(const char *a)
{
	return !strcmp(a, "SCMP_ACT_ALLOW") || !strcmp(a, "SCMP_ACT_LOG");
}

bool psa_seccomp_allows_all(const struct json *sc)
{
	const struct json *d = json_get(sc, "defaultAction"), *sys = json_get(sc, "syscalls");
	if (!d || d->type != JSON_STRING || !allow_action(d->u.str.s))
		return false;
	for (size_t i = 0; sys && sys->type == JSON_ARRAY && i < sys->u.arr.n; i++) {
		const struct json *a = json_get(sys->u.arr.v[i], "action");
		if (!a || a->type != JSON_STRING || !allow_action(a->u.str.s))
			return false;
	}
	return true;
}

static void check_seccomp(struct ctx *c, const struct json *linux_)
{
	bool r = c->level == PSA_RESTRICTED;
	enum ctl ck = r ? SECCOMP_R : SECCOMP_B;
	const struct json *sc = get(c, linux_, "/linux", "seccomp", JSON_OBJECT);
	if (c->err)
		return;
	if (!sc) {
		if (r)
			add(c, SECCOMP_R, "/linux/seccomp",
				"no seccomp profile (RuntimeDefault or Localhost required)");
		return;
	}
	if (!get(c, sc, "/linux/seccomp", "defaultAction", JSON_STRING)) {
		if (!c->err)
			c->err = kerr_set(c->e, -EINVAL, "/linux/seccomp/defaultAction: required");
		return;
	}
	if (psa_seccomp_allows_all(sc))
		add(c, ck, "/linux/seccomp/defaultAction",
			"the profile allows every system call (Unconfined)");
}

static void check_lsm(struct ctx *c, const struct json *proc)
{
	static const char *const types[] = {"container_t", "container_init_t", "container_kvm_t", "container_engine_t", NULL};
	const struct json *aa = get(c, proc, "/process", "apparmorProfile", JSON_STRING);
	const struct json *se = get(c, proc, "/process", "selinuxLabel", JSON_STRING);
	if (aa && !strcmp(aa->u.str.s, "unconfined"))
		add(c, APPARMOR, "/process/apparmorProfile",
			"AppArmor profile unconfined (allowed: runtime/default, localhost/*)");
	if (!se || !se->u.str.s[0])
		return;
	char f[4][64] = {{0}};
	const char *s = se->u.str.s;
	int k = 0;
	for (; k < 4 && *s; k++) {
		size_t n = k < 3 ? strcspn(s, ":") : strlen(s);
		snprintf(f[k], sizeof(f[k]), "%.*s", (int)n, s);
		s += n + (s[n] == ':');
	}
	if (k < 3)
		add(c, SELINUX, "/process/selinuxLabel",
			"'%s' is not a context user:role:type[:level]", se->u.str.s);
	else if (!in_list(f[2], types))
		add(c, SELINUX, "/process/selinuxLabel", "type %s is not allowed", f[2]);
	else if ((f[0][0] && strcmp(f[0], "system_u")) || (f[1][0] && strcmp(f[1], "system_r")))
		add(c, SELINUX, "/process/selinuxLabel",
			"custom user or role %s:%s (only the runtime's system_u:system_r)", f[0], f[1]);
}

static void check_user(struct ctx *c, const struct json *proc, const struct json *linux_)
{
	const struct json *nnp = get(c, proc, "/process", "noNewPrivileges", JSON_BOOL);
	const struct json *user = get(c, proc, "/process", "user", JSON_OBJECT);
	const struct json *uid = get(c, user, "/process/user", "uid", JSON_NUMBER);
	const struct json *maps = get(c, linux_, "/linux", "uidMappings", JSON_ARRAY);
	if (c->err)
		return;
	if (!nnp || !nnp->u.b)
		add(c, PRIVESC, "/process/noNewPrivileges",
			"noNewPrivileges is not true (allowPrivilegeEscalation must be false)");
	if (uid && (!uid->u.num.is_int || uid->u.num.i < 0 || uid->u.num.i > 0xffffffffLL)) {
		c->err = kerr_set(c->e, -EINVAL, "/process/user/uid: not a uid");
		return;
	}
	long long id = uid ? uid->u.num.i : 0;
	const char *path = uid ? "/process/user/uid" : "/process/user";
	if (id != 0) {
		if (maps_to_host_root(c, maps, id))
			add(c, NONROOT_USER, path,
				"uid %lld is host uid 0 through /linux/uidMappings", id);
		return;
	}
	size_t from = c->r->n;
	add(c, NONROOT, path, "runs as uid 0 (runAsNonRoot must be true)");
	add(c, NONROOT_USER, path, "runs as uid 0");
	if (c->userns)
		relax(c, from);
}

int psa_check(const struct json *root, enum psa_level level, struct psa_report *r, struct kerr *e)
{
	struct ctx c = {.r = r, .e = e, .level = level};
	const struct json *nsuser;
	memset(r, 0, sizeof(*r));
	if (!root || root->type != JSON_OBJECT)
		return kerr_set(e, -EINVAL, "/: a config.json object expected");
	const struct json *proc = get(&c, root, "", "process", JSON_OBJECT);
	const struct json *linux_ = get(&c, root, "", "linux", JSON_OBJECT);
	const struct json *mounts = get(&c, root, "", "mounts", JSON_ARRAY);
	const struct json *caps = get(&c, proc, "/process", "capabilities", JSON_OBJECT);
	check_namespaces(&c, linux_, &nsuser);
	c.userns = !c.err && user_namespace(&c, linux_, nsuser);
	check_privileged(&c, caps, linux_, mounts);
	check_caps(&c, caps);
	check_mounts(&c, mounts);
	check_lsm(&c, proc);
	check_procmount(&c, linux_);
	check_seccomp(&c, linux_);
	check_sysctls(&c, linux_);
	if (level == PSA_RESTRICTED)
		check_user(&c, proc, linux_);
	if (c.err)
		psa_report_free(r);
	return c.err;
}
