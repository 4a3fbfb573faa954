/* unit_parse.c — the unit-file syntax walker and the directive table (see unit_parse.h). */
#include "init/unit_parse.h"
#include "base/buf.h"
#include "base/err.h"

#include <errno.h>
#include <signal.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>

enum section { SEC_NONE, SEC_UNIT, SEC_SERVICE, SEC_INSTALL, SEC_EXT };
static const char *const section_names[] = {"", "Unit", "Service", "Install", ""};

enum kind {
	V_STR, V_NAMES, V_DOCS, V_EXEC, V_TYPE, V_RESTART, V_TIME, V_TIME_BOTH, V_BOOL, V_CHECK_BOOL,
	V_UINT, V_ENV, V_ENVFILE, V_WORKDIR, V_ID, V_GROUPS, V_LIMIT, V_BYTES, V_PERCENT, V_WEIGHT,
	V_TASKS, V_SIGNAL, V_KILLMODE, V_OOM, V_COND,
};

#define F(field) offsetof(struct unit, field)
#define NOFF ((size_t)-1)
static const struct directive {
	enum section sec;
	const char *key;
	enum kind kind;
	size_t off;
	bool spec;    /* %-specifiers expanded */
	uint64_t def; /* default for an empty assignment (V_TIME, V_UINT) */
} directives[] = {
	{SEC_UNIT, "Description", V_STR, F(description), true, 0},
	{SEC_UNIT, "Documentation", V_DOCS, F(documentation), true, 0},
	{SEC_UNIT, "After", V_NAMES, F(after), true, 0},
	{SEC_UNIT, "Before", V_NAMES, F(before), true, 0},
	{SEC_UNIT, "Requires", V_NAMES, F(requires), true, 0},
	{SEC_UNIT, "Wants", V_NAMES, F(wants), true, 0},
	{SEC_UNIT, "DefaultDependencies", V_CHECK_BOOL, NOFF, false, 0},
	{SEC_UNIT, "StartLimitIntervalSec", V_TIME, F(start_limit_interval), false, 10000000},
	{SEC_UNIT, "StartLimitBurst", V_UINT, F(start_limit_burst), false, 5},
	{SEC_SERVICE, "Type", V_TYPE, F(type), false, 0},
	{SEC_SERVICE, "ExecStartPre", V_EXEC, F(exec_start_pre), true, 0},
	{SEC_SERVICE, "ExecStart", V_EXEC, F(exec_start), true, 0},
	{SEC_SERVICE, "ExecStop", V_EXEC, F(exec_stop), true, 0},
	{SEC_SERVICE, "Restart", V_RESTART, F(restart), false, 0},
	{SEC_SERVICE, "RestartSec", V_TIME, F(restart_usec), false, 100000},
	{SEC_SERVICE, "RestartMaxDelaySec", V_TIME, F(restart_max_usec), false, 60000000},
	{SEC_SERVICE, "TimeoutStartSec", V_TIME, F(timeout_start_usec), false, 90000000},
	{SEC_SERVICE, "TimeoutStopSec", V_TIME, F(timeout_stop_usec), false, 90000000},
	{SEC_SERVICE, "TimeoutSec", V_TIME_BOTH, NOFF, false, 90000000},
	{SEC_SERVICE, "RemainAfterExit", V_BOOL, F(remain_after_exit), false, 0},
	{SEC_SERVICE, "KillSignal", V_SIGNAL, F(kill_signal), false, SIGTERM},
	{SEC_SERVICE, "User", V_ID, F(user), true, 0},
	{SEC_SERVICE, "Group", V_ID, F(group), true, 0},
	{SEC_SERVICE, "SupplementaryGroups", V_GROUPS, F(supplementary_groups), true, 0},
	{SEC_SERVICE, "Environment", V_ENV, F(environment), true, 0},
	{SEC_SERVICE, "EnvironmentFile", V_ENVFILE, F(environment_files), true, 0},
	{SEC_SERVICE, "WorkingDirectory", V_WORKDIR, F(working_directory), true, 0},
	{SEC_SERVICE, "LimitNOFILE", V_LIMIT, NOFF, false, UL_NOFILE},
	{SEC_SERVICE, "LimitNPROC", V_LIMIT, NOFF, false, UL_NPROC},
	{SEC_SERVICE, "LimitCORE", V_LIMIT, NOFF, false, UL_CORE},
	{SEC_SERVICE, "LimitMEMLOCK", V_LIMIT, NOFF, false, UL_MEMLOCK},
	{SEC_SERVICE, "LimitSTACK", V_LIMIT, NOFF, false, UL_STACK},
	{SEC_SERVICE, "LimitAS", V_LIMIT, NOFF, false, UL_AS},
	{SEC_SERVICE, "LimitFSIZE", V_LIMIT, NOFF, false, UL_FSIZE},
	{SEC_SERVICE, "LimitDATA", V_LIMIT, NOFF, false, UL_DATA},
	{SEC_SERVICE, "LimitSIGPENDING", V_LIMIT, NOFF, false, UL_SIGPENDING},
	{SEC_SERVICE, "LimitMSGQUEUE", V_LIMIT, NOFF, false, UL_MSGQUEUE},
	{SEC_SERVICE, "LimitLOCKS", V_LIMIT, NOFF, false, UL_LOCKS},
	{SEC_SERVICE, "KillMode", V_KILLMODE, NOFF, false, 0},
	{SEC_SERVICE, "Delegate", V_BOOL, F(delegate), false, 0},
	{SEC_SERVICE, "OOMScoreAdjust", V_OOM, NOFF, false, 0},
	{SEC_UNIT, "ConditionPathExists", V_COND, NOFF, true, COND_PATH_EXISTS},
	{SEC_UNIT, "ConditionPathIsDirectory", V_COND, NOFF, true, COND_PATH_IS_DIRECTORY},
	{SEC_UNIT, "ConditionFileNotEmpty", V_COND, NOFF, true, COND_FILE_NOT_EMPTY},
	{SEC_UNIT, "ConditionFileIsExecutable", V_COND, NOFF, true, COND_FILE_IS_EXECUTABLE},
	{SEC_UNIT, "AssertPathExists", V_COND, NOFF, true, COND_PATH_EXISTS | 0x100},
	{SEC_UNIT, "AssertPathIsDirectory", V_COND, NOFF, true, COND_PATH_IS_DIRECTORY | 0x100},
	{SEC_UNIT, "AssertFileNotEmpty", V_COND, NOFF, true, COND_FILE_NOT_EMPTY | 0x100},
	{SEC_UNIT, "AssertFileIsExecutable", V_COND, NOFF, true, COND_FILE_IS_EXECUTABLE | 0x100},
	{SEC_SERVICE, "MemoryMax", V_BYTES, F(memory_max), false, 0},
	{SEC_SERVICE, "CPUQuota", V_PERCENT, F(cpu_quota), false, 0},
	{SEC_SERVICE, "CPUWeight", V_WEIGHT, F(cpu_weight), false, 0},
	{SEC_SERVICE, "TasksMax", V_TASKS, F(tasks_max), false, 0},
	{SEC_INSTALL, "WantedBy", V_NAMES, F(wanted_by), true, 0},
	{SEC_INSTALL, "RequiredBy", V_NAMES, F(required_by), true, 0},
};
#define NDIRECTIVES (sizeof(directives) / sizeof(directives[0]))

/* Settings systemd has that keel deliberately does not run: a clear refusal beats a guess. */
static const struct { const char *key, *why; } refused[] = {
	{"ExecReload", "keel init has no reload; restart the unit instead"},
	{"ExecStartPost", "not supported; put the command in ExecStart= of a oneshot unit ordered After= this one"},
	{"ExecStopPost", "not supported"},
	{"PIDFile", "Type=forking is not supported"},
	{"WatchdogSec", "no watchdog support"},
	{"BindsTo", "not supported; use Requires="},
	{"Conflicts", "not supported"},
	{"Alias", "aliases are not supported"},
	{"Also", "not supported"},
	{"StandardOutput", "output always goes to the unit's log ring (keel init log UNIT)"},
	{"StandardError", "output always goes to the unit's log ring (keel init log UNIT)"},
	{"StartLimitInterval", "use StartLimitIntervalSec= in [Unit]"},
};

static int set_strdup(char **dst, const char *s)
{
	char *c = NULL;
	if (*s && !(c = strdup(s)))
		return -ENOMEM;
	free(*dst);
	*dst = c;
	return 0;
}

static void cmd_free(struct unit_cmd *c)
{
	free(c->path);
	strv_clear(&c->argv);
}

static void cmds_clear(struct cmd_list *l)
{
	for (size_t i = 0; i < l->n; i++)
		cmd_free(&l->v[i]);
	free(l->v);
	l->v = NULL;
	l->n = 0;
}

int unit_init(struct unit *u, const char *name)
{
	memset(u, 0, sizeof(*u));
	const char *suffix = unit_name_suffix(name);
	if (!suffix || unit_name_is_template(name))
		return -EINVAL;
	strcpy(u->name, name);
	u->kind = !strcmp(suffix, ".target") ? UNIT_TARGET : UNIT_SERVICE;
	u->start_limit_interval = 10000000;
	u->start_limit_burst = 5;
	u->type = SVC_SIMPLE;
	u->restart = RESTART_NO;
	u->restart_usec = 100000;
	u->restart_max_usec = 60000000;
	u->timeout_start_usec = u->timeout_stop_usec = 90000000;
	u->kill_signal = SIGTERM;
	u->memory_max = UV_INFINITY;
	u->tasks_max = UV_INFINITY;
	return 0;
}

static void conds_clear(struct unit *u)
{
	for (size_t i = 0; i < u->nconds; i++)
		free(u->conds[i].path);
	free(u->conds);
	u->conds = NULL;
	u->nconds = 0;
}

static const struct { const char *name; int resource; bool bytes; } limit_table[UL_COUNT] = {
	[UL_NOFILE] = {"LimitNOFILE", RLIMIT_NOFILE, false}, [UL_NPROC] = {"LimitNPROC", RLIMIT_NPROC, false},
	[UL_CORE] = {"LimitCORE", RLIMIT_CORE, true}, [UL_MEMLOCK] = {"LimitMEMLOCK", RLIMIT_MEMLOCK, true},
	[UL_STACK] = {"LimitSTACK", RLIMIT_STACK, true}, [UL_AS] = {"LimitAS", RLIMIT_AS, true},
	[UL_FSIZE] = {"LimitFSIZE", RLIMIT_FSIZE, true}, [UL_DATA] = {"LimitDATA", RLIMIT_DATA, true},
	[UL_SIGPENDING] = {"LimitSIGPENDING", RLIMIT_SIGPENDING, false},
	[UL_MSGQUEUE] = {"LimitMSGQUEUE", RLIMIT_MSGQUEUE, true}, [UL_LOCKS] = {"LimitLOCKS", RLIMIT_LOCKS, false},
};

const char *unit_limit_name(enum unit_rlimit l) { return limit_table[l].name; }
int unit_limit_resource(enum unit_rlimit l) { return limit_table[l].resource; }

void unit_free(struct unit *u)
{
	if (!u)
		return;
	conds_clear(u);
	free(u->description);
	strv_clear(&u->documentation);
	strv_clear(&u->after);
	strv_clear(&u->before);
	strv_clear(&u->requires);
	strv_clear(&u->wants);
	cmds_clear(&u->exec_start_pre);
	cmds_clear(&u->exec_start);
	cmds_clear(&u->exec_stop);
	free(u->user);
	free(u->group);
	strv_clear(&u->supplementary_groups);
	strv_clear(&u->environment);
	strv_clear(&u->environment_files);
	free(u->working_directory);
	strv_clear(&u->wanted_by);
	strv_clear(&u->required_by);
	unit_sandbox_free(&u->sandbox);
	memset(u, 0, sizeof(*u));
}

const char *svc_type_name(enum svc_type t)
{
	static const char *const n[] = {"simple", "exec", "notify", "oneshot"};
	return n[t];
}

const char *restart_name(enum restart_mode r)
{
	static const char *const n[] = {"no", "on-success", "on-failure", "on-abnormal", "on-abort", "always"};
	return n[r];
}

/* ---- values ----------------------------------------------------------------------------------- */

struct ctx {
	struct unit *u;
	const char *path;
	unsigned line;
	struct kerr *e;
	struct buf tmp;
	bool install_only; /* unit_parse_install() */
};

static int bad(struct ctx *c, const char *key, const char *why)
{
	return kerr_set(c->e, -EINVAL, "%s:%u: %s=: %s", c->path, c->line, key, why);
}

static bool id_name(const char *s)
{
	size_t n = strlen(s);
	if (!n || n > 256 || s[0] == '-' || s[0] == '.')
		return false;
	for (size_t i = 0; i < n; i++)
		if (!((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= 'A' && s[i] <= 'Z') || (s[i] >= '0' && s[i] <= '9') ||
			    s[i] == '_' || s[i] == '-' || s[i] == '.'))
			return false;
	return true;
}

/* Split into words and expand %-specifiers in each (after unquoting, as systemd does). */
static int words(struct ctx *c, const struct directive *d, const char *v, bool exec, struct strv *out)
{
	const char *why = NULL;
	struct strv raw = {0};
	int ret = uv_words(v, exec, &raw, &why);
	if (ret) {
		strv_clear(&raw);
		return ret == -ENOMEM ? kerr_set(c->e, ret, "out of memory") : bad(c, d->key, why);
	}
	for (size_t i = 0; i < raw.n && !ret; i++) {
		if (d->spec && (ret = uv_specifiers(raw.v[i], c->u->name, &c->tmp, &why))) {
			ret = ret == -ENOMEM ? kerr_set(c->e, ret, "out of memory") : bad(c, d->key, why);
			break;
		}
		ret = strv_push(out, d->spec ? (const char *)c->tmp.p : raw.v[i]);
		if (ret)
			ret = kerr_set(c->e, ret, "%s:%u: %s=: %s", c->path, c->line, d->key,
				ret == -E2BIG ? "too many entries" : strerror(-ret));
	}
	strv_clear(&raw);
	return ret;
}

static int set_exec(struct ctx *c, const struct directive *d, const char *v, struct cmd_list *l)
{
	struct unit_cmd cmd;
	int ret;
	memset(&cmd, 0, sizeof(cmd));
	if (!*v) {
		cmds_clear(l);
		return 0;
	}
	for (;; v++) {
		unsigned f = *v == '-' ? CMD_IGNORE_FAILURE : *v == '@' ? CMD_ARGV0 : *v == ':' ? CMD_NO_EXPAND : 0;
		if (*v == '+' || *v == '!')
			return bad(c, d->key, "prefixes '+', '!' and '!!' are not supported");
		if (!f)
			break;
		if (cmd.flags & f)
			return bad(c, d->key, "repeated command prefix");
		cmd.flags |= f;
	}
	struct strv w = {0};
	if ((ret = words(c, d, v, true, &w))) {
		strv_clear(&w);
		return ret;
	}
	ret = -EINVAL;
	if (w.n == 0) {
		bad(c, d->key, "empty command");
		goto fail;
	}
	if ((cmd.flags & CMD_ARGV0) && w.n < 2) {
		bad(c, d->key, "'@' needs the program and then argv[0]");
		goto fail;
	}
	if (!w.v[0][0] || (w.v[0][0] != '/' && strchr(w.v[0], '/'))) {
		bad(c, d->key, "the program must be an absolute path or a bare name looked up in PATH");
		goto fail;
	}
	if (l->n >= UNIT_CMDS_MAX) {
		bad(c, d->key, "too many command lines");
		goto fail;
	}
	if (!(cmd.path = strdup(w.v[0]))) {
		ret = kerr_set(c->e, -ENOMEM, "out of memory");
		goto fail;
	}
	for (size_t i = (cmd.flags & CMD_ARGV0) ? 1 : 0; i < w.n; i++)
		if ((ret = strv_push(&cmd.argv, w.v[i]))) {
			kerr_set(c->e, ret, "out of memory");
			goto fail;
		}
	const char *base = strrchr(c->path, '/');
	str_fmt(cmd.where, sizeof(cmd.where), "%.48s:%u", base ? base + 1 : c->path, c->line);
	struct unit_cmd *nv = realloc(l->v, (l->n + 1) * sizeof(*nv));
	if (!nv) {
		ret = kerr_set(c->e, -ENOMEM, "out of memory");
		goto fail;
	}
	l->v = nv;
	l->v[l->n++] = cmd;
	strv_clear(&w);
	return 0;
fail:
	strv_clear(&w);
	cmd_free(&cmd);
	return ret;
}

static int set_enum(struct ctx *c, const char *key, const char *v, const char *const names[], size_t n, int *out)
{
	for (size_t i = 0; i < n; i++)
		if (names[i] && !strcmp(v, names[i]))
			return *out = (int)i, 0;
	return bad(c, key, "unknown value");
}

/* An allocation failure (the one error the setters below do not report themselves) as kerr. */
static int nomem(struct ctx *c, int ret)
{
	return ret == -ENOMEM ? kerr_set(c->e, ret, "out of memory") : ret;
}

/* Lists of words: [Unit] Documentation=, After=, Before=, Requires=, Wants=; [Install]
 * WantedBy=, RequiredBy=; [Service] Environment=, SupplementaryGroups=. */
static int set_list(struct ctx *c, const struct directive *d, const char *v, struct strv *l)
{
	struct strv w = {0};
	int ret;
	if (!*v) {
		strv_clear(l);
		return 0;
	}
	if ((ret = words(c, d, v, false, &w))) {
		strv_clear(&w);
		return ret;
	}
	for (size_t i = 0; i < w.n && !ret; i++) {
		if (d->kind == V_NAMES && (!unit_name_suffix(w.v[i]) || unit_name_is_template(w.v[i])))
			ret = bad(c, d->key, "not a valid unit name (NAME.service or NAME.target)");
		else if (d->kind == V_ENV && !uv_env_assign(w.v[i]))
			ret = bad(c, d->key, "not a NAME=VALUE assignment");
		else if (d->kind == V_GROUPS && !id_name(w.v[i]))
			ret = bad(c, d->key, "not a valid group name");
		else if (!(d->kind == V_NAMES && strv_has(l, w.v[i])) && (ret = strv_push(l, w.v[i])))
			ret = kerr_set(c->e, ret, "%s:%u: %s=: %s", c->path, c->line, d->key,
				ret == -E2BIG ? "too many entries" : strerror(-ret));
	}
	strv_clear(&w);
	return nomem(c, ret);
}

/* [Service] modes: Type=, Restart=, KillMode=. */
static int set_mode(struct ctx *c, const struct directive *d, const char *v)
{
	static const char *const t[] = {"simple", "exec", "notify", "oneshot"};
	static const char *const r[] = {"no", "on-success", "on-failure", "on-abnormal", "on-abort", "always"};
	static const char *const k[] = {"control-group", "mixed", "process"};
	struct unit *u = c->u;
	int ret, iv = 0;
	switch (d->kind) {
	case V_TYPE:
		if (!strcmp(v, "forking") || !strcmp(v, "dbus") || !strcmp(v, "idle") || !strcmp(v, "notify-reload"))
			return bad(c, d->key, "only simple, exec, notify and oneshot are supported");
		if (!*v)
			return u->type = SVC_SIMPLE, 0;
		if ((ret = set_enum(c, d->key, v, t, 4, &iv)))
			return ret;
		u->type = (enum svc_type)iv;
		return 0;
	case V_RESTART:
		if (!strcmp(v, "on-watchdog"))
			return bad(c, d->key, "on-watchdog: keel has no watchdog");
		if (!*v)
			return u->restart = RESTART_NO, 0;
		if ((ret = set_enum(c, d->key, v, r, 6, &iv)))
			return ret;
		u->restart = (enum restart_mode)iv;
		return 0;
	default: /* V_KILLMODE */
		if (!*v)
			return u->kill_mode = KILL_CONTROL_GROUP, 0;
		if (!strcmp(v, "none"))
			return bad(c, d->key, "none is not supported (it leaves every process running)");
		if ((ret = set_enum(c, d->key, v, k, 3, &iv)))
			return ret;
		u->kill_mode = (enum kill_mode)iv;
		return 0;
	}
}

/* Numbers, times and switches: StartLimit*=, Restart*Sec=, Timeout*Sec=, RemainAfterExit=,
 * Delegate=, DefaultDependencies=, KillSignal=, OOMScoreAdjust=. */
static int set_number(struct ctx *c, const struct directive *d, const char *v, void *dst)
{
	struct unit *u = c->u;
	const char *why = NULL;
	uint64_t n, x;
	bool b, neg;
	int iv = 0;
	switch (d->kind) {
	case V_TIME:
	case V_TIME_BOTH:
		if (!*v)
			n = d->def;
		else if (uv_timespan(v, &n, &why))
			return bad(c, d->key, why);
		if (d->kind == V_TIME_BOTH)
			u->timeout_start_usec = u->timeout_stop_usec = n;
		else
			*(uint64_t *)dst = n;
		return 0;
	case V_BOOL:
	case V_CHECK_BOOL:
		if (!*v)
			b = false;
		else if (uv_bool(v, &b, &why))
			return bad(c, d->key, why);
		if (dst)
			*(bool *)dst = b;
		return 0;
	case V_UINT:
		if (!*v)
			n = d->def;
		else if (uv_uint(v, 0, UINT32_MAX, false, &n, &why))
			return bad(c, d->key, why);
		*(uint64_t *)dst = n;
		return 0;
	case V_SIGNAL:
		if (!*v)
			iv = (int)d->def;
		else if (uv_signal(v, &iv, &why))
			return bad(c, d->key, why);
		u->kill_signal = iv;
		return 0;
	default: /* V_OOM */
		neg = v[0] == '-';
		if (!*v) {
			u->has_oom_score_adjust = false;
			return 0;
		}
		if (uv_uint(neg ? v + 1 : v, 0, 1000, false, &x, &why))
			return bad(c, d->key, "expected a number from -1000 to 1000");
		u->oom_score_adjust = neg ? -(int)x : (int)x;
		u->has_oom_score_adjust = true;
		return 0;
	}
}

/* Strings, paths and credentials: Description=, User=, Group=, WorkingDirectory=,
 * EnvironmentFile=. */
static int set_text(struct ctx *c, const struct directive *d, const char *v, void *dst)
{
	const char *path = v[0] == '-' ? v + 1 : v;
	int ret;
	switch (d->kind) {
	case V_ENVFILE:
		if (!*v) {
			strv_clear(dst);
			return 0;
		}
		if (path[0] != '/')
			return bad(c, d->key, "not an absolute path");
		if ((ret = strv_push(dst, v)))
			return kerr_set(c->e, ret, "%s:%u: %s=: too many entries", c->path, c->line, d->key);
		return 0;
	case V_WORKDIR:
		if (*v && path[0] != '/' && strcmp(path, "~"))
			return bad(c, d->key, "not an absolute path or ~");
		break;
	case V_ID:
		if (*v && !id_name(v))
			return bad(c, d->key, "not a valid user or group name or number");
		break;
	default: /* V_STR */
		break;
	}
	return nomem(c, set_strdup(dst, v));
}

/* [Service] LimitNOFILE= and the other Limit*=: SOFT[:HARD]. */
static int set_limit(struct ctx *c, const struct directive *d, const char *v)
{
	struct unit_limit *l = &c->u->limits[d->def];
	const char *why = NULL;
	if (!*v) {
		l->set = false;
		return 0;
	}
	const char *colon = strchr(v, ':');
	char a[32];
	size_t al = colon ? (size_t)(colon - v) : strlen(v);
	if (al >= sizeof(a))
		return bad(c, d->key, "value too long");
	memcpy(a, v, al);
	a[al] = 0;
	const char *parts[2] = {a, colon ? colon + 1 : a};
	uint64_t val[2];
	for (int i = 0; i < 2; i++) {
		int ret;
		if (limit_table[d->def].bytes && strcmp(parts[i], "infinity"))
			ret = uv_bytes(parts[i], &val[i], &why);
		else
			ret = uv_uint(parts[i], 0, UINT64_MAX - 1, true, &val[i], &why);
		if (ret)
			return bad(c, d->key, why);
	}
	if (val[0] > val[1])
		return bad(c, d->key, "soft limit above the hard limit");
	*l = (struct unit_limit){true, val[0], val[1]};
	return 0;
}

/* [Unit] Condition*= and Assert*=. */
static int set_cond(struct ctx *c, const struct directive *d, const char *v)
{
	struct unit *u = c->u;
	if (!*v) {
		conds_clear(u);
		return 0;
	}
	bool neg = v[0] == '!';
	const char *path = neg ? v + 1 : v;
	if (v[0] == '|')
		return bad(c, d->key, "triggering conditions ('|') are not supported");
	if (path[0] != '/')
		return bad(c, d->key, "not an absolute path");
	if (u->nconds == UNIT_CONDS_MAX)
		return bad(c, d->key, "too many conditions");
	struct unit_cond *nc = realloc(u->conds, (u->nconds + 1) * sizeof(*nc));
	if (!nc)
		return kerr_set(c->e, -ENOMEM, "out of memory");
	u->conds = nc;
	struct unit_cond *x = &nc[u->nconds];
	memset(x, 0, sizeof(*x));
	if (!(x->path = strdup(path)))
		return kerr_set(c->e, -ENOMEM, "out of memory");
	x->kind = (enum cond_kind)(d->def & 0xff);
	x->assert = d->def & 0x100;
	x->negate = neg;
	str_copy(x->key, sizeof(x->key), d->key);
	u->nconds++;
	return 0;
}

/* [Service] cgroup resources: MemoryMax=, CPUQuota=, CPUWeight=, TasksMax=. */
static int set_resource(struct ctx *c, const struct directive *d, const char *v, void *dst)
{
	struct unit *u = c->u;
	const char *why = NULL;
	size_t len;
	char num[16];
	uint64_t n;
	switch (d->kind) {
	case V_BYTES:
		if (!*v)
			n = UV_INFINITY;
		else if (strchr(v, '%'))
			return bad(c, d->key, "percentages are not supported; give bytes (K, M, G suffixes)");
		else if (uv_bytes(v, &n, &why))
			return bad(c, d->key, why);
		*(uint64_t *)dst = n;
		return 0;
	case V_PERCENT:
		len = strlen(v);
		if (!len) {
			u->cpu_quota = 0;
			return 0;
		}
		if (v[len - 1] != '%' || len - 1 >= sizeof(num))
			return bad(c, d->key, "expected a percentage such as 50% or 200%");
		memcpy(num, v, len - 1);
		num[len - 1] = 0;
		if (uv_uint(num, 1, 100000, false, &n, &why))
			return bad(c, d->key, why);
		u->cpu_quota = n;
		return 0;
	case V_WEIGHT:
		if (!*v)
			n = 0;
		else if (uv_uint(v, 1, 10000, false, &n, &why))
			return bad(c, d->key, "expected a weight from 1 to 10000");
		u->cpu_weight = n;
		return 0;
	default: /* V_TASKS */
		if (!*v)
			n = UV_INFINITY;
		else if (strchr(v, '%'))
			return bad(c, d->key, "percentages are not supported; give a number or infinity");
		else if (uv_uint(v, 1, UINT64_MAX - 1, true, &n, &why))
			return bad(c, d->key, why);
		u->tasks_max = n;
		return 0;
	}
}

static int apply(struct ctx *c, const struct directive *d, const char *value)
{
	void *dst = d->off == NOFF ? NULL : (char *)c->u + d->off;
	const char *why = NULL, *v = value;
	int ret;

	/* scalars that take %-specifiers: expand the whole value first */
	if (d->spec && (d->kind == V_STR || d->kind == V_ID || d->kind == V_WORKDIR || d->kind == V_ENVFILE ||
			    d->kind == V_COND)) {
		if ((ret = uv_specifiers(value, c->u->name, &c->tmp, &why)))
			return ret == -ENOMEM ? kerr_set(c->e, ret, "out of memory") : bad(c, d->key, why);
		v = (const char *)c->tmp.p;
	}
	switch (d->kind) {
	case V_DOCS:
	case V_NAMES:
	case V_ENV:
	case V_GROUPS:
		return set_list(c, d, v, dst);
	case V_EXEC:
		return set_exec(c, d, v, dst);
	case V_TYPE:
	case V_RESTART:
	case V_KILLMODE:
		return set_mode(c, d, v);
	case V_TIME:
	case V_TIME_BOTH:
	case V_BOOL:
	case V_CHECK_BOOL:
	case V_UINT:
	case V_SIGNAL:
	case V_OOM:
		return set_number(c, d, v, dst);
	case V_STR:
	case V_ENVFILE:
	case V_WORKDIR:
	case V_ID:
		return set_text(c, d, v, dst);
	case V_LIMIT:
		return set_limit(c, d, v);
	case V_COND:
		return set_cond(c, d, v);
	case V_BYTES:
	case V_PERCENT:
	case V_WEIGHT:
	case V_TASKS:
		return set_resource(c, d, v, dst);
	}
	return -EINVAL;
}

/* ---- syntax ------------------------------------------------------------------------------------ */

/* Offset of the first byte that is not valid UTF-8 or is a control character (other than
 * tab, CR, LF), or len if there is none. */
static size_t first_bad_byte(const unsigned char *p, size_t len)
{
	size_t i = 0;
	while (i < len) {
		unsigned char c = p[i];
		if (c < 0x80) {
			if ((c < 0x20 && c != '\t' && c != '\n' && c != '\r') || c == 0x7f)
				return i;
			i++;
			continue;
		}
		size_t n = c >= 0xf0 ? 4 : c >= 0xe0 ? 3 : c >= 0xc2 ? 2 : 0;
		if (!n || c > 0xf4 || i + n > len)
			return i;
		uint32_t cp = c & (0x7f >> n);
		for (size_t k = 1; k < n; k++) {
			if ((p[i + k] & 0xc0) != 0x80)
				return i;
			cp = cp << 6 | (p[i + k] & 0x3f);
		}
		if ((n == 3 && cp < 0x800) || (n == 4 && (cp < 0x10000 || cp > 0x10ffff)) ||
			(cp >= 0xd800 && cp <= 0xdfff))
			return i;
		i += n;
	}
	return len;
}

static bool ws(char c) { return c == ' ' || c == '\t' || c == '\r'; }

/* The next physical line [*ls, *le) with white space stripped at both ends. */
static bool next_line(const char **cur, const char *end, const char **ls, const char **le)
{
	if (*cur >= end)
		return false;
	const char *s = *cur, *nl = memchr(s, '\n', (size_t)(end - s));
	const char *e = nl ? nl : end;
	*cur = nl ? nl + 1 : end;
	while (s < e && ws(*s))
		s++;
	while (e > s && ws(e[-1]))
		e--;
	*ls = s;
	*le = e;
	return true;
}

static int section(struct ctx *c, const char *s, const char *e, enum section *sec)
{
	if (e - s < 3 || e[-1] != ']')
		return kerr_set(c->e, -EINVAL, "%s:%u: malformed section header", c->path, c->line);
	size_t n = (size_t)(e - s - 2);
	s++;
	if (c->install_only)
		return *sec = n == 7 && !memcmp(s, "Install", 7) ? SEC_INSTALL : SEC_EXT, 0;
	if (n >= 2 && s[0] == 'X' && s[1] == '-')
		return *sec = SEC_EXT, 0;
	for (int i = SEC_UNIT; i <= SEC_INSTALL; i++)
		if (strlen(section_names[i]) == n && !memcmp(section_names[i], s, n)) {
			if (i == SEC_SERVICE && c->u->kind == UNIT_TARGET)
				return kerr_set(c->e, -EINVAL, "%s:%u: a target has no [Service] section", c->path, c->line);
			if (i == SEC_SERVICE)
				c->u->seen_service = true;
			if (i == SEC_UNIT)
				c->u->seen_unit = true;
			return *sec = (enum section)i, 0;
		}
	return kerr_set(c->e, -EINVAL, "%s:%u: unknown section [%.*s]", c->path, c->line, (int)(n > 64 ? 64 : n), s);
}

/* The sandboxing directives (svc_sandbox.c), their values %-expanded. */
static int sandbox_key(struct ctx *c, const char *line, size_t kl, const char *v)
{
	const char *why = NULL;
	char key[65];
	if (kl >= sizeof(key))
		return UNIT_SANDBOX_NOT_MINE;
	memcpy(key, line, kl);
	key[kl] = 0;
	int ret = unit_sandbox_key(&c->u->sandbox, key, NULL, c->e); /* is it one? */
	if (!ret && (ret = uv_specifiers(v, c->u->name, &c->tmp, &why)))
		return ret == -ENOMEM ? kerr_set(c->e, ret, "out of memory") : bad(c, key, why);
	if (!ret)
		ret = unit_sandbox_key(&c->u->sandbox, key, (const char *)c->tmp.p, c->e);
	if (ret == UNIT_SANDBOX_NOT_MINE || ret == -ENOMEM)
		return ret == -ENOMEM ? kerr_set(c->e, ret, "out of memory") : ret;
	return ret ? kerr_wrap(c->e, ret, "%s:%u", c->path, c->line) : 0;
}

static int assignment(struct ctx *c, enum section sec, const char *line)
{
	int ret;
	if (c->install_only && sec != SEC_INSTALL)
		return 0;
	const char *eq = strchr(line, '=');
	if (!eq)
		return kerr_set(c->e, -EINVAL, "%s:%u: expected Key=Value", c->path, c->line);
	const char *ke = eq;
	while (ke > line && ws(ke[-1]))
		ke--;
	size_t kl = (size_t)(ke - line);
	const char *v = eq + 1;
	while (ws(*v))
		v++;
	if (!kl)
		return kerr_set(c->e, -EINVAL, "%s:%u: expected Key=Value", c->path, c->line);
	for (size_t i = 0; i < kl; i++)
		if (!((line[i] >= 'a' && line[i] <= 'z') || (line[i] >= 'A' && line[i] <= 'Z') ||
			    (line[i] >= '0' && line[i] <= '9') || line[i] == '-'))
			return kerr_set(c->e, -EINVAL, "%s:%u: invalid key", c->path, c->line);
	int klp = kl > 64 ? 64 : (int)kl;
	if (sec == SEC_NONE)
		return kerr_set(c->e, -EINVAL, "%s:%u: %.*s= before any [Section]", c->path, c->line, klp, line);
	if (sec == SEC_EXT || (kl >= 2 && line[0] == 'X' && line[1] == '-'))
		return 0;
	const struct directive *other = NULL;
	for (size_t i = 0; i < NDIRECTIVES; i++) {
		const struct directive *d = &directives[i];
		if (strlen(d->key) != kl || memcmp(d->key, line, kl))
			continue;
		if (d->sec == sec)
			return apply(c, d, v);
		other = d;
	}
	if (c->install_only)
		return 0;
	if (other)
		return kerr_set(c->e, -EINVAL, "%s:%u: %s= belongs in [%s], not [%s]", c->path, c->line, other->key,
			section_names[other->sec], section_names[sec]);
	if (sec == SEC_SERVICE && (ret = sandbox_key(c, line, kl, v)) != UNIT_SANDBOX_NOT_MINE)
		return ret;
	for (size_t i = 0; i < sizeof(refused) / sizeof(refused[0]); i++)
		if (strlen(refused[i].key) == kl && !memcmp(refused[i].key, line, kl))
			return kerr_set(c->e, -EINVAL, "%s:%u: %s= is not supported: %s", c->path, c->line, refused[i].key,
				refused[i].why);
	return kerr_set(c->e, -EINVAL, "%s:%u: unknown directive %.*s= in [%s]", c->path, c->line, klp, line,
		section_names[sec]);
}

static int parse(struct unit *u, const char *path, const char *p, size_t len, bool install_only, struct kerr *e)
{
	struct ctx c = {.u = u, .path = path, .e = e, .tmp = BUF_INIT(UV_VALUE_MAX), .install_only = install_only};
	struct buf logical = BUF_INIT(UV_VALUE_MAX);
	const char *cur = p, *end = p + len, *ls, *le;
	enum section sec = SEC_NONE;
	int ret = 0;

	if (len > UNIT_FILE_MAX)
		return kerr_set(e, -EFBIG, "%s: larger than %d bytes", path, UNIT_FILE_MAX);
	size_t badoff = first_bad_byte((const unsigned char *)p, len);
	if (badoff < len) {
		unsigned line = 1;
		for (size_t i = 0; i < badoff; i++)
			line += p[i] == '\n';
		return kerr_set(e, -EINVAL, "%s:%u: invalid UTF-8 or control character (offset %zu)", path, line, badoff);
	}
	unsigned lineno = 0;
	while (!ret && next_line(&cur, end, &ls, &le)) {
		c.line = ++lineno;
		if (ls == le || *ls == '#' || *ls == ';')
			continue;
		if (*ls == '[') {
			ret = section(&c, ls, le, &sec);
			continue;
		}
		buf_reset(&logical);
		if ((ret = buf_put(&logical, ls, (size_t)(le - ls))))
			break;
		/* continuation lines: the backslash becomes a space; comment lines in between are skipped */
		while (logical.len && logical.p[logical.len - 1] == '\\') {
			logical.p[logical.len - 1] = ' ';
			bool more = false;
			while (next_line(&cur, end, &ls, &le)) {
				lineno++;
				if (ls < le && (*ls == '#' || *ls == ';'))
					continue;
				more = true;
				break;
			}
			if (!more)
				break;
			if ((ret = buf_put(&logical, ls, (size_t)(le - ls))))
				break;
		}
		if (ret)
			break;
		/* trailing white space of the joined value (a final continuation left a space) */
		while (logical.len && ws((char)logical.p[logical.len - 1]))
			logical.p[--logical.len] = 0;
		ret = assignment(&c, sec, (const char *)logical.p);
	}
	if (ret == -E2BIG)
		ret = kerr_set(e, ret, "%s:%u: line longer than %d bytes", path, c.line, UV_VALUE_MAX);
	else if (ret == -ENOMEM && (!e || !e->msg[0]))
		ret = kerr_set(e, ret, "%s: out of memory", path);
	buf_free(&logical);
	buf_free(&c.tmp);
	return ret;
}

int unit_parse(struct unit *u, const char *path, const char *p, size_t len, struct kerr *e)
{
	return parse(u, path, p, len, false, e);
}

int unit_parse_install(struct unit *u, const char *path, const char *p, size_t len, struct kerr *e)
{
	return parse(u, path, p, len, true, e);
}

int unit_check(const struct unit *u, struct kerr *e)
{
	if (u->kind == UNIT_TARGET)
		return 0;
	if (!u->exec_start.n)
		return kerr_set(e, -EINVAL, "%s: no ExecStart=", u->name);
	if (u->type != SVC_ONESHOT && u->exec_start.n > 1)
		return kerr_set(e, -EINVAL, "%s: more than one ExecStart= is only allowed for Type=oneshot", u->name);
	if (u->type == SVC_ONESHOT && (u->restart == RESTART_ALWAYS || u->restart == RESTART_ON_SUCCESS))
		return kerr_set(e, -EINVAL, "%s: Restart=%s is not allowed for Type=oneshot", u->name,
			restart_name(u->restart));
	return 0;
}
