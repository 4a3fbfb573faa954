/* unit_parse.c — the unit-file syntax walker and the directive table (see unit_parse.h). */
#include "init/unit_parse.h"
#include "init/unit_cond.h"
#include "init/socket_parse.h"
#include "init/timer_parse.h"
#include "base/buf.h"
#include "base/err.h"

#include <errno.h>
#include <signal.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>

enum section { SEC_NONE, SEC_UNIT, SEC_SERVICE, SEC_INSTALL, SEC_EXT, SEC_SOCKET, SEC_TIMER };
static const char *const section_names[] = {"", "Unit", "Service", "Install", "", "Socket", "Timer"};

enum kind {
	V_STR, V_NAMES, V_DOCS, V_EXEC, V_TYPE, V_RESTART, V_TIME, V_TIME_BOTH, V_BOOL, V_CHECK_BOOL,
	V_UINT, V_ENV, V_ENVFILE, V_WORKDIR, V_ID, V_GROUPS, V_LIMIT, V_BYTES, V_PERCENT, V_WEIGHT,
	V_TASKS, V_SIGNAL, V_KILLMODE, V_OOM, V_COND, V_PATHS, V_STATUS, V_OUTPUT, V_NOTIFYACC, V_NICE,
	V_IOCLASS, V_IOPRIO, V_CPUPOL, V_CPUPRIO, V_PIDFILE, V_INFO, V_STDIN, V_ALIAS,
};

#define F(field) offsetof(struct unit, field)
#define NOFF 0xffff
/* Names inline and small fields: a static-pie binary pays a 24-byte relocation per pointer. */
static const struct directive {
	uint8_t sec;
	char key[25];
	uint8_t kind;
	uint16_t off;
	bool spec;    /* %-specifiers expanded */
	uint32_t def; /* default for an empty assignment (V_TIME, V_UINT) */
} directives[] = {
	{SEC_UNIT, "Description", V_STR, F(description), true, 0},
	{SEC_UNIT, "Documentation", V_DOCS, F(documentation), true, 0},
	{SEC_UNIT, "After", V_NAMES, F(after), true, 0},
	{SEC_UNIT, "Before", V_NAMES, F(before), true, 0},
	{SEC_UNIT, "Requires", V_NAMES, F(requires), true, 0},
	{SEC_UNIT, "Wants", V_NAMES, F(wants), true, 0},
	{SEC_UNIT, "Conflicts", V_NAMES, F(conflicts), true, 0},
	{SEC_UNIT, "PartOf", V_NAMES, F(part_of), true, 0},
	{SEC_UNIT, "BindsTo", V_NAMES, F(binds_to), true, 0},
	{SEC_UNIT, "OnFailure", V_NAMES, F(on_failure), true, 0},
	{SEC_UNIT, "OnSuccess", V_NAMES, F(on_success), true, 0},
	{SEC_UNIT, "Upholds", V_NAMES, F(upholds), true, 0},
	{SEC_UNIT, "Requisite", V_NAMES, F(requisite), true, 0},
	{SEC_UNIT, "PropagatesReloadTo", V_NAMES, F(propagates_reload_to), true, 0},
	{SEC_UNIT, "ReloadPropagatedFrom", V_NAMES, F(reload_propagated_from), true, 0},
	{SEC_UNIT, "JoinsNamespaceOf", V_NAMES, F(joins_namespace_of), true, 0},
	{SEC_UNIT, "RequiresMountsFor", V_PATHS, F(requires_mounts_for), true, 0},
	{SEC_UNIT, "StopWhenUnneeded", V_BOOL, F(stop_when_unneeded), false, 0},
	{SEC_UNIT, "RefuseManualStart", V_BOOL, F(refuse_manual_start), false, 0},
	{SEC_UNIT, "RefuseManualStop", V_BOOL, F(refuse_manual_stop), false, 0},
	{SEC_UNIT, "AllowIsolate", V_CHECK_BOOL, NOFF, false, 0},
	{SEC_UNIT, "IgnoreOnIsolate", V_CHECK_BOOL, NOFF, false, 0},
	{SEC_UNIT, "SourcePath", V_INFO, NOFF, true, 0},
	{SEC_UNIT, "StartLimitInterval", V_TIME, F(start_limit_interval), false, 10000000},
	{SEC_SERVICE, "StartLimitInterval", V_TIME, F(start_limit_interval), false, 10000000},
	{SEC_SERVICE, "StartLimitBurst", V_UINT, F(start_limit_burst), false, 5},
	{SEC_UNIT, "DefaultDependencies", V_CHECK_BOOL, NOFF, false, 0},
	{SEC_UNIT, "StartLimitIntervalSec", V_TIME, F(start_limit_interval), false, 10000000},
	{SEC_UNIT, "StartLimitBurst", V_UINT, F(start_limit_burst), false, 5},
	{SEC_SERVICE, "Type", V_TYPE, F(type), false, 0},
	{SEC_SERVICE, "ExecStartPre", V_EXEC, F(exec_start_pre), true, 0},
	{SEC_SERVICE, "ExecStart", V_EXEC, F(exec_start), true, 0},
	{SEC_SERVICE, "ExecStop", V_EXEC, F(exec_stop), true, 0},
	{SEC_SERVICE, "ExecCondition", V_EXEC, F(exec_condition), true, 0},
	{SEC_SERVICE, "ExecStartPost", V_EXEC, F(exec_start_post), true, 0},
	{SEC_SERVICE, "ExecReload", V_EXEC, F(exec_reload), true, 0},
	{SEC_SERVICE, "ExecStopPost", V_EXEC, F(exec_stop_post), true, 0},
	{SEC_SERVICE, "PIDFile", V_PIDFILE, F(pid_file), true, 0},
	{SEC_SERVICE, "GuessMainPID", V_CHECK_BOOL, NOFF, false, 0},
	{SEC_SERVICE, "NonBlocking", V_CHECK_BOOL, NOFF, false, 0},
	{SEC_SERVICE, "SuccessExitStatus", V_STATUS, F(success_status), false, 0},
	{SEC_SERVICE, "RestartPreventExitStatus", V_STATUS, F(restart_prevent), false, 0},
	{SEC_SERVICE, "RestartForceExitStatus", V_STATUS, F(restart_force), false, 0},
	{SEC_SERVICE, "StandardOutput", V_OUTPUT, F(std_out), true, 0},
	{SEC_SERVICE, "StandardError", V_OUTPUT, F(std_err), true, 1},
	{SEC_SERVICE, "StandardInput", V_STDIN, NOFF, false, 0},
	{SEC_SERVICE, "SyslogIdentifier", V_INFO, NOFF, true, 0},
	{SEC_SERVICE, "SyslogFacility", V_INFO, NOFF, false, 0},
	{SEC_SERVICE, "SyslogLevel", V_INFO, NOFF, false, 0},
	{SEC_SERVICE, "SyslogLevelPrefix", V_CHECK_BOOL, NOFF, false, 0},
	{SEC_SERVICE, "NotifyAccess", V_NOTIFYACC, F(notify_access), false, 0},
	{SEC_SERVICE, "WatchdogSec", V_TIME, F(watchdog_usec), false, 0},
	{SEC_SERVICE, "WatchdogSignal", V_SIGNAL, F(watchdog_signal), false, SIGABRT},
	{SEC_SERVICE, "Nice", V_NICE, NOFF, false, 0},
	{SEC_SERVICE, "IOSchedulingClass", V_IOCLASS, NOFF, false, 0},
	{SEC_SERVICE, "IOSchedulingPriority", V_IOPRIO, NOFF, false, 0},
	{SEC_SERVICE, "CPUSchedulingPolicy", V_CPUPOL, NOFF, false, 0},
	{SEC_SERVICE, "CPUSchedulingPriority", V_CPUPRIO, NOFF, false, 0},
	{SEC_SERVICE, "CPUSchedulingResetOnFork", V_BOOL, F(cpu_reset_on_fork), false, 0},
	{SEC_SERVICE, "IgnoreSIGPIPE", V_BOOL, F(ignore_sigpipe), false, 1},
	{SEC_SERVICE, "SendSIGKILL", V_BOOL, F(send_sigkill), false, 1},
	{SEC_SERVICE, "SendSIGHUP", V_BOOL, F(send_sighup), false, 0},
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
	{SEC_SERVICE, "MemoryMax", V_BYTES, F(memory_max), false, 0},
	{SEC_SERVICE, "CPUQuota", V_PERCENT, F(cpu_quota), false, 0},
	{SEC_SERVICE, "CPUWeight", V_WEIGHT, F(cpu_weight), false, 0},
	{SEC_SERVICE, "TasksMax", V_TASKS, F(tasks_max), false, 0},
	{SEC_INSTALL, "WantedBy", V_NAMES, F(wanted_by), true, 0},
	{SEC_INSTALL, "RequiredBy", V_NAMES, F(required_by), true, 0},
	{SEC_INSTALL, "Also", V_NAMES, F(also), true, 0},
	{SEC_INSTALL, "Alias", V_ALIAS, F(alias), true, 0},
	{SEC_INSTALL, "DefaultInstance", V_STR, F(default_instance), true, 0},
};
#define NDIRECTIVES (sizeof(directives) / sizeof(directives[0]))

/* Settings systemd has that keel deliberately does not run: a clear refusal beats a guess.
 * README's "refused, and why" table lists them; tests/compat/units.sh checks real units against it. */
static const struct { char key[16]; const char *why; } refused[] = {
	{"DynamicUser", "keel init allocates no users; create one (keel provision) and name it in User="},
	{"IPAddressDeny", "keel init has no per-service IP firewall (BPF); use nftables"},
	{"IPAddressAllow", "keel init has no per-service IP firewall (BPF); use nftables"},
	{"BusName", "there is no D-Bus in keel init"},
	{"LimitCPU", "not supported"},
	{"LimitRTTIME", "not supported"},
	{"LimitNICE", "not supported"},
	{"LimitRTPRIO", "not supported"},
	{"KeyringMode", "not supported"},
};

/* Sections of unit types keel init does not run: refused by name, their settings skipped. */
static const char other_sections[][10] = {"Socket", "Timer", "Path", "Mount", "Automount", "Swap", "Slice", "Scope"};

/* Condition…=/Assert…= (the name after the prefix) and the kind each is. */
/* in the order of enum cond_kind */
static const char cond_names[] =
	"PathExists\0" "PathIsDirectory\0" "FileNotEmpty\0" "FileIsExecutable\0" "PathExistsGlob\0"
	"DirectoryNotEmpty\0" "PathIsMountPoint\0" "PathIsSymbolicLink\0" "PathIsReadWrite\0"
	"NeedsUpdate\0" "Virtualization\0" "Capability\0" "KernelCommandLine\0" "KernelVersion\0"
	"Architecture\0" "Host\0" "FirstBoot\0" "Security\0" "ControlGroupController\0" "Memory\0" "CPUs\0"
	"Environment\0" "ACPower\0" "User\0" "Group\0";

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
	const char *suffix = unit_ref_suffix(name);
	if (!suffix || unit_name_is_template(name))
		return -EINVAL;
	strcpy(u->name, name);
	u->kind = !strcmp(suffix, ".target") ? UNIT_TARGET : !strcmp(suffix, ".service") ? UNIT_SERVICE :
		!strcmp(suffix, ".socket") ? UNIT_SOCKET : !strcmp(suffix, ".timer") ? UNIT_TIMER : UNIT_OTHER;
	if (u->kind == UNIT_SOCKET && !(u->sock = malloc(sizeof(*u->sock))))
		return -ENOMEM;
	if (u->sock)
		socket_init(u->sock);
	u->start_limit_interval = 10000000;
	u->start_limit_burst = 5;
	u->type = SVC_SIMPLE;
	u->restart = RESTART_NO;
	u->restart_usec = 100000;
	u->restart_max_usec = 60000000;
	u->timeout_start_usec = u->timeout_stop_usec = 90000000;
	u->kill_signal = SIGTERM;
	u->watchdog_signal = SIGABRT;
	u->std_err = OUT_INHERIT;
	u->io_prio = u->cpu_policy = -1;
	u->ignore_sigpipe = u->send_sigkill = true;
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
	struct strv *lists[] = {&u->after, &u->before, &u->requires, &u->wants, &u->conflicts, &u->part_of,
		&u->binds_to, &u->on_failure, &u->on_success, &u->upholds, &u->requisite, &u->propagates_reload_to,
		&u->reload_propagated_from, &u->joins_namespace_of, &u->requires_mounts_for, &u->also, &u->alias};
	for (size_t i = 0; i < sizeof(lists) / sizeof(lists[0]); i++)
		strv_clear(lists[i]);
	struct cmd_list *cmds[] = {&u->exec_condition, &u->exec_start_pre, &u->exec_start, &u->exec_start_post,
		&u->exec_reload, &u->exec_stop, &u->exec_stop_post};
	for (size_t i = 0; i < sizeof(cmds) / sizeof(cmds[0]); i++)
		cmds_clear(cmds[i]);
	free(u->pid_file);
	free(u->out_path);
	free(u->err_path);
	free(u->default_instance);
	free(u->fragment);
	if (u->timer)
		timer_free(u->timer);
	free(u->timer);
	free(u->user);
	free(u->group);
	strv_clear(&u->supplementary_groups);
	strv_clear(&u->environment);
	strv_clear(&u->environment_files);
	free(u->working_directory);
	strv_clear(&u->wanted_by);
	strv_clear(&u->required_by);
	unit_sandbox_free(&u->sandbox);
	if (u->sock)
		socket_free(u->sock);
	free(u->sock);
	memset(u, 0, sizeof(*u));
}

const char *svc_type_name(enum svc_type t)
{
	static const char *const n[] = {"simple", "exec", "notify", "oneshot", "forking", "idle"};
	return n[t];
}

const char *restart_name(enum restart_mode r)
{
	static const char *const n[] = {"no", "on-success", "on-failure", "on-abnormal", "on-abort", "always", "on-watchdog"};
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
	unit_report_fn *report; /* unit_parse_each(): every error goes here and parsing goes on */
	void *arg;
	unsigned nerr;
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
		if (d->spec && (ret = uv_specifiers(raw.v[i], c->u->name, c->u->fragment, &c->tmp, &why))) {
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
	for (;; v++) { /* systemd.service(5): any of - @ : and one of + ! !!, in any order */
		unsigned f = *v == '-' ? CMD_IGNORE_FAILURE : *v == '@' ? CMD_ARGV0 : *v == ':' ? CMD_NO_EXPAND :
			*v == '+' ? CMD_PRIVILEGED : *v == '!' ? CMD_NO_SETID : 0;
		if (!f)
			break;
		if (f == CMD_NO_SETID && v[1] == '!')
			v++;
		if ((cmd.flags & f) || ((f & (CMD_PRIVILEGED | CMD_NO_SETID)) && (cmd.flags & (CMD_PRIVILEGED | CMD_NO_SETID))))
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
		if ((d->kind == V_NAMES || d->kind == V_ALIAS) && (!unit_ref_suffix(w.v[i]) || unit_name_is_template(w.v[i])))
			ret = bad(c, d->key, "not a valid unit name (NAME.service, NAME.socket, NAME.target…)");
		else if (d->kind == V_ALIAS && strcmp(unit_ref_suffix(w.v[i]), unit_ref_suffix(c->u->name)))
			ret = bad(c, d->key, "an alias must have the unit's own type");
		else if (d->kind == V_PATHS && w.v[i][0] != '/')
			ret = bad(c, d->key, "not an absolute path");
		else if (d->kind == V_ENV && !uv_env_assign(w.v[i]))
			ret = bad(c, d->key, "not a NAME=VALUE assignment");
		else if (d->kind == V_GROUPS && !id_name(w.v[i]))
			ret = bad(c, d->key, "not a valid group name");
		else if (!(d->kind != V_ENV && d->kind != V_DOCS && strv_has(l, w.v[i])) && (ret = strv_push(l, w.v[i])))
			ret = kerr_set(c->e, ret, "%s:%u: %s=: %s", c->path, c->line, d->key,
				ret == -E2BIG ? "too many entries" : strerror(-ret));
	}
	strv_clear(&w);
	return nomem(c, ret);
}

/* [Service] modes: Type=, Restart=, KillMode=. */
static int set_mode(struct ctx *c, const struct directive *d, const char *v)
{
	static const char *const t[] = {"simple", "exec", "notify", "oneshot", "forking", "idle"};
	static const char *const r[] = {"no", "on-success", "on-failure", "on-abnormal", "on-abort", "always", "on-watchdog"};
	static const char *const k[] = {"control-group", "mixed", "process", "none"};
	struct unit *u = c->u;
	int ret, iv = 0;
	switch (d->kind) {
	case V_TYPE:
		if (!strcmp(v, "dbus"))
			return kerr_set(c->e, -EINVAL, "%s:%u: Type=dbus is not supported: there is no D-Bus in keel init",
				c->path, c->line);
		if (!*v)
			return u->type = SVC_SIMPLE, 0;
		if ((ret = set_enum(c, d->key, v, t, 6, &iv)))
			return ret;
		u->type = (enum svc_type)iv;
		return 0;
	case V_RESTART:
		if (!*v)
			return u->restart = RESTART_NO, 0;
		if ((ret = set_enum(c, d->key, v, r, 7, &iv)))
			return ret;
		u->restart = (enum restart_mode)iv;
		return 0;
	default: /* V_KILLMODE */
		if (!*v)
			return u->kill_mode = KILL_CONTROL_GROUP, 0;
		if ((ret = set_enum(c, d->key, v, k, 4, &iv)))
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
			b = d->def;
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
		*(int *)dst = iv;
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

/* [Unit] Condition…= and Assert…= (kind: cond_names; the value checked as systemd would read it). */
static int set_cond(struct ctx *c, const char *key, enum cond_kind kind, bool assert, const char *v)
{
	struct unit *u = c->u;
	const char *why = NULL;
	uint64_t n;
	bool b;
	int op;
	if (!*v) { /* an empty assignment resets every condition of this kind */
		size_t k = 0;
		for (size_t i = 0; i < u->nconds; i++)
			if (u->conds[i].kind == kind && u->conds[i].assert == assert)
				free(u->conds[i].path);
			else
				u->conds[k++] = u->conds[i];
		u->nconds = k;
		return 0;
	}
	bool trig = v[0] == '|';
	v += trig;
	v += strspn(v, " \t");
	bool neg = v[0] == '!';
	v += neg;
	v += strspn(v, " \t");
	if (kind <= COND_LAST_PATH && v[0] != '/')
		return bad(c, key, "not an absolute path");
	switch (kind) {
	case COND_VIRTUALIZATION:
		if (!unit_virt_known(v))
			return bad(c, key, "unknown virtualization (yes, no, vm, container, private-users, kvm, qemu, docker…)");
		break;
	case COND_CAPABILITY:
		if (unit_cap_number(v) < 0)
			return bad(c, key, "unknown capability");
		break;
	case COND_ARCHITECTURE:
		if (!unit_arch_known(v))
			return bad(c, key, "unknown architecture (systemd's names: x86-64, arm64, …)");
		break;
	case COND_SECURITY:
		if (!unit_security_known(v))
			return bad(c, key, "unknown security technology");
		break;
	case COND_FIRST_BOOT:
	case COND_AC_POWER:
		if (uv_bool(v, &b, &why))
			return bad(c, key, why);
		break;
	case COND_MEMORY:
	case COND_CPUS:
		if ((op = unit_cond_op(v, &op)) < 0 ||
			(kind == COND_MEMORY ? uv_bytes(v + op, &n, &why) : uv_uint(v + op, 0, 1 << 20, false, &n, &why)))
			return bad(c, key, why ? why : "expected [<|<=|=|!=|>=|>]NUMBER");
		break;
	case COND_KERNEL_VERSION:
		if (unit_cond_op(v, &op) < 0)
			return bad(c, key, "expected a version or [<|<=|=|!=|>=|>]VERSION");
		break;
	default:
		break;
	}
	if (u->nconds == UNIT_CONDS_MAX)
		return bad(c, key, "too many conditions");
	struct unit_cond *nc = realloc(u->conds, (u->nconds + 1) * sizeof(*nc));
	if (!nc)
		return kerr_set(c->e, -ENOMEM, "out of memory");
	u->conds = nc;
	struct unit_cond *x = &nc[u->nconds];
	memset(x, 0, sizeof(*x));
	if (!(x->path = strdup(v)))
		return kerr_set(c->e, -ENOMEM, "out of memory");
	x->kind = kind;
	x->assert = assert;
	x->negate = neg;
	x->trigger = trig;
	str_copy(x->key, sizeof(x->key), key);
	u->nconds++;
	return 0;
}

/* SuccessExitStatus=, RestartPreventExitStatus=, RestartForceExitStatus=: exit codes 0..255 and
 * signal names, white-space separated; an empty assignment resets the set. */
static int set_status(struct ctx *c, const struct directive *d, const char *v, struct unit_status *st)
{
	struct strv w = {0};
	const char *why = NULL;
	int ret;
	if (!*v) {
		memset(st, 0, sizeof(*st));
		return 0;
	}
	if ((ret = words(c, d, v, false, &w))) {
		strv_clear(&w);
		return ret;
	}
	for (size_t i = 0; i < w.n && !ret; i++) {
		uint64_t n;
		int sig;
		if (!uv_uint(w.v[i], 0, 255, false, &n, &why))
			st->code[n / 64] |= 1ULL << (n % 64);
		else if ((w.v[i][0] < '0' || w.v[i][0] > '9') && !uv_signal(w.v[i], &sig, &why))
			st->sig |= 1ULL << sig;
		else
			ret = bad(c, d->key, "expected exit codes (0..255) and signal names");
	}
	strv_clear(&w);
	return ret;
}

bool unit_status_has(const struct unit_status *st, int wstatus)
{
	if (WIFEXITED(wstatus))
		return st->code[WEXITSTATUS(wstatus) / 64] >> (WEXITSTATUS(wstatus) % 64) & 1;
	return WIFSIGNALED(wstatus) && WTERMSIG(wstatus) < 64 && (st->sig >> WTERMSIG(wstatus) & 1);
}

/* StandardOutput=/StandardError= (def 1: StandardError=). */
static int set_output(struct ctx *c, const struct directive *d, const char *v)
{
	static const char outs[] = "journal\0journal+console\0syslog\0syslog+console\0kmsg\0kmsg+console\0"
				   "inherit\0null\0tty\0console\0file:\0append:\0truncate:\0";
	static const uint8_t kinds[] = {OUT_JOURNAL, OUT_JOURNAL, OUT_JOURNAL, OUT_JOURNAL, OUT_JOURNAL, OUT_JOURNAL,
		OUT_INHERIT, OUT_NULL, OUT_CONSOLE, OUT_CONSOLE, OUT_FILE, OUT_APPEND, OUT_TRUNCATE};
	struct unit *u = c->u;
	enum unit_output *o = d->def ? &u->std_err : &u->std_out;
	char **path = d->def ? &u->err_path : &u->out_path;
	if (!d->def)
		u->std_out_set = *v != 0;
	if (!*v) {
		*o = d->def ? OUT_INHERIT : OUT_JOURNAL;
		return 0;
	}
	if (!strcmp(v, "socket")) {
		*o = OUT_SOCKET;
		return 0;
	}
	if (!strncmp(v, "fd:", 3) || !strcmp(v, "fd"))
		return kerr_set(c->e, -EINVAL, "%s:%u: %s=%s is not supported: keel init passes no named descriptors",
			c->path, c->line, d->key, v);
	size_t i = 0;
	for (const char *k = outs; *k; k += strlen(k) + 1, i++) {
		size_t n = strlen(k);
		if (k[n - 1] == ':' ? strncmp(v, k, n) : strcmp(v, k))
			continue;
		if (kinds[i] >= OUT_FILE) {
			if (v[n] != '/')
				return bad(c, d->key, "the file must be an absolute path");
			int ret = nomem(c, set_strdup(path, v + n));
			if (ret)
				return ret;
		}
		*o = (enum unit_output)kinds[i];
		return 0;
	}
	return bad(c, d->key, "unknown value (journal, kmsg, console, tty, null, inherit, file:, append:, truncate:)");
}

/* How the processes run: NotifyAccess=, Nice=, IOScheduling*=, CPUScheduling*=, PIDFile=,
 * StandardInput=, WatchdogSec=, and informational settings (SyslogIdentifier=…). */
static int set_proc(struct ctx *c, const struct directive *d, const char *v)
{
	static const char *const na[] = {NULL, "none", "main", "exec", "all"};
	static const char *const io[] = {"none", "realtime", "best-effort", "idle"};
	static const char *const pol[] = {"other", "fifo", "rr", "batch", NULL, "idle"}; /* SCHED_* numbers */
	struct unit *u = c->u;
	const char *why = NULL;
	uint64_t n;
	int iv = 0, ret;
	bool neg = v[0] == '-';
	switch (d->kind) {
	case V_NOTIFYACC:
		if (!*v)
			return u->notify_access = NA_DEFAULT, 0;
		if ((ret = set_enum(c, d->key, v, na, 5, &iv)))
			return ret;
		u->notify_access = (enum notify_access)iv;
		return 0;
	case V_NICE:
		if (!*v)
			return u->has_nice = false, 0;
		if (uv_uint(neg ? v + 1 : v, 0, neg ? 20 : 19, false, &n, &why))
			return bad(c, d->key, "expected a number from -20 to 19");
		u->nice = neg ? -(int)n : (int)n;
		u->has_nice = true;
		return 0;
	case V_IOCLASS:
		if (!*v)
			return u->io_class = 0, 0;
		if (!uv_uint(v, 0, 3, false, &n, &why))
			return u->io_class = (int)n, 0;
		if ((ret = set_enum(c, d->key, v, io, 4, &iv)))
			return ret;
		u->io_class = iv;
		return 0;
	case V_IOPRIO:
	case V_CPUPRIO:
		if (!*v)
			n = (uint64_t)-1;
		else if (uv_uint(v, 0, d->kind == V_IOPRIO ? 7 : 99, false, &n, &why))
			return bad(c, d->key, why);
		*(d->kind == V_IOPRIO ? &u->io_prio : &u->cpu_prio) = (int)n;
		return 0;
	case V_CPUPOL:
		if (!*v)
			return u->cpu_policy = -1, 0;
		if ((ret = set_enum(c, d->key, v, pol, 6, &iv)))
			return ret;
		u->cpu_policy = iv;
		return 0;
	case V_PIDFILE:
		if (!*v)
			return free(u->pid_file), u->pid_file = NULL, 0;
		if (v[0] != '/') { /* systemd: a relative path is below /run */
			char abs[512];
			if (str_fmt(abs, sizeof(abs), "/run/%s", v))
				return bad(c, d->key, "path too long");
			return nomem(c, set_strdup(&u->pid_file, abs));
		}
		return nomem(c, set_strdup(&u->pid_file, v));
	case V_STDIN: /* null, or the socket a socket unit passes */
		if (*v && strcmp(v, "null") && strcmp(v, "socket"))
			return kerr_set(c->e, -EINVAL, "%s:%u: StandardInput=%s is not supported: a service's stdin is /dev/null "
				"or its socket", c->path, c->line, v);
		c->u->std_in_socket = !strcmp(v, "socket");
		return 0;
	default: /* V_INFO */
		return 0;
	}
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
			    d->kind == V_OUTPUT || d->kind == V_PIDFILE || d->kind == V_INFO)) {
		if ((ret = uv_specifiers(value, c->u->name, c->u->fragment, &c->tmp, &why)))
			return ret == -ENOMEM ? kerr_set(c->e, ret, "out of memory") : bad(c, d->key, why);
		v = (const char *)c->tmp.p;
	}
	switch (d->kind) {
	case V_DOCS:
	case V_NAMES:
	case V_ENV:
	case V_GROUPS:
	case V_PATHS:
	case V_ALIAS:
		return set_list(c, d, v, dst);
	case V_STATUS:
		return set_status(c, d, v, dst);
	case V_OUTPUT:
		return set_output(c, d, v);
	case V_NOTIFYACC:
	case V_NICE:
	case V_IOCLASS:
	case V_IOPRIO:
	case V_CPUPOL:
	case V_CPUPRIO:
	case V_PIDFILE:
	case V_INFO:
	case V_STDIN:
		return set_proc(c, d, v);
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
		break;
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
			if (i == SEC_SERVICE && c->u->kind != UNIT_SERVICE)
				return kerr_set(c->e, -EINVAL, "%s:%u: a %s has no [Service] section", c->path, c->line,
					unit_ref_suffix(c->u->name) + 1);
			if (i == SEC_SERVICE)
				c->u->seen_service = true;
			if (i == SEC_UNIT)
				c->u->seen_unit = true;
			return *sec = (enum section)i, 0;
		}
	if ((n == 6 && !memcmp(s, "Socket", 6)) || (n == 5 && !memcmp(s, "Timer", 5))) { /* a section of one kind */
		enum unit_kind k = n == 6 ? UNIT_SOCKET : UNIT_TIMER;
		return c->u->kind == k ? (*sec = n == 6 ? SEC_SOCKET : SEC_TIMER, 0) : kerr_set(c->e, -EINVAL,
			"%s:%u: a %s has no [%.*s] section", c->path, c->line, unit_ref_suffix(c->u->name) + 1, (int)n, s);
	}
	for (size_t i = 0; i < sizeof(other_sections) / sizeof(other_sections[0]); i++)
		if (strlen(other_sections[i]) == n && !memcmp(other_sections[i], s, n))
			return kerr_set(c->e, -EINVAL, "%s:%u: [%s] is not supported: keel init runs .service, .socket, .target "
				"and .timer units only", c->path, c->line, other_sections[i]);
	return kerr_set(c->e, -EINVAL, "%s:%u: unknown section [%.*s]", c->path, c->line, (int)(n > 64 ? 64 : n), s);
}

/* The sandboxing directives of systemd.exec(5), parsed by core/init/svc_sandbox.c with their
 * values %-expanded. 1: not one of them; 0: applied; negative: refused (e names file:line and why:
 * a security setting is never silently dropped). */
static int sandbox_key(struct ctx *c, const char *key, const char *v)
{
	const char *why = NULL;
	int ret = unit_sandbox_key(&c->u->sandbox, key, NULL, c->e); /* is it one? */
	if (ret == UNIT_SANDBOX_NOT_MINE)
		return 1;
	if (!ret && (ret = uv_specifiers(v, c->u->name, c->u->fragment, &c->tmp, &why)))
		return ret == -ENOMEM ? kerr_set(c->e, ret, "out of memory") : bad(c, key, why);
	if (!ret)
		ret = unit_sandbox_key(&c->u->sandbox, key, (const char *)c->tmp.p, c->e);
	if (ret == -ENOMEM)
		return kerr_set(c->e, ret, "out of memory");
	return ret ? kerr_wrap(c->e, ret, "%s:%u", c->path, c->line) : 0;
}

/* A [Socket] or [Timer] setting (init/socket_parse.c, init/timer_parse.c), its value %-expanded. */
static int kind_key(struct ctx *c, enum section sec, const char *key, const char *v)
{
	const char *why = NULL;
	int ret = 0;
	if (sec == SEC_TIMER && !c->u->timer) { /* NULL until the first setting: "no [Timer] section" */
		if (!(c->u->timer = malloc(sizeof(*c->u->timer))))
			return kerr_set(c->e, -ENOMEM, "out of memory");
		timer_init(c->u->timer);
	}
	if (!(ret = uv_specifiers(v, c->u->name, c->u->fragment, &c->tmp, &why)))
		ret = sec == SEC_TIMER ? timer_set(c->u->timer, key, (const char *)c->tmp.p, &why) :
			socket_set(c->u->sock, key, (const char *)c->tmp.p, &why);
	if (ret == -ENOMEM)
		return kerr_set(c->e, ret, "out of memory");
	if (ret == -ENOENT)
		return kerr_set(c->e, -EINVAL, "%s:%u: unknown directive %s= in [%s]", c->path, c->line, key, section_names[sec]);
	if (ret == -ENOTSUP)
		return kerr_set(c->e, -EINVAL, "%s:%u: %s= is not supported: %s", c->path, c->line, key, why);
	return ret ? bad(c, key, why) : 0;
}

static int assignment(struct ctx *c, enum section sec, const char *line)
{
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
	char key[65];
	memcpy(key, line, (size_t)klp);
	key[klp] = 0;
	if (c->u->observer && !c->install_only)
		c->u->observer->assignment(c->u->observer, section_names[sec], key, v);
	if (sec == SEC_SOCKET || sec == SEC_TIMER)
		return kind_key(c, sec, key, v);
	const struct directive *other = NULL;
	for (size_t i = 0; i < NDIRECTIVES; i++) {
		const struct directive *d = &directives[i];
		if (strlen(d->key) != kl || memcmp(d->key, line, kl))
			continue;
		if (d->sec == sec)
			return apply(c, d, v);
		other = d;
	}
	bool assert = !strncmp(key, "Assert", 6);
	if (!c->install_only && (assert || !strncmp(key, "Condition", 9))) {
		const char *cn = key + (assert ? 6 : 9);
		int ci = uv_word_index(cond_names, cn, false);
		if (ci >= 0) {
			if (sec != SEC_UNIT)
				return kerr_set(c->e, -EINVAL, "%s:%u: %s= belongs in [Unit], not [%s]", c->path, c->line,
					key, section_names[sec]);
			const char *why = NULL;
			int ret = uv_specifiers(v, c->u->name, c->u->fragment, &c->tmp, &why);
			if (ret)
				return ret == -ENOMEM ? kerr_set(c->e, ret, "out of memory") : bad(c, key, why);
			return set_cond(c, key, (enum cond_kind)ci, assert, (const char *)c->tmp.p);
		}
	}
	if (sec == SEC_SERVICE && !c->install_only) {
		int ret = sandbox_key(c, key, v);
		if (ret != 1)
			return ret;
	}
	if (c->install_only)
		return 0;
	if (other)
		return kerr_set(c->e, -EINVAL, "%s:%u: %s= belongs in [%s], not [%s]", c->path, c->line, other->key,
			section_names[other->sec], section_names[sec]);
	for (size_t i = 0; i < sizeof(refused) / sizeof(refused[0]); i++)
		if (strlen(refused[i].key) == kl && !memcmp(refused[i].key, line, kl))
			return kerr_set(c->e, -EINVAL, "%s:%u: %s= is not supported: %s", c->path, c->line, refused[i].key,
				refused[i].why);
	return kerr_set(c->e, -EINVAL, "%s:%u: unknown directive %.*s= in [%s]", c->path, c->line, klp, line,
		section_names[sec]);
}

/* An error of one line: reported and skipped in unit_parse_each(), the end of unit_parse(). A
 * section that could not be read skips its settings (one error, not one per line). */
static int line_error(struct ctx *c, int ret, enum section *sec)
{
	if (!ret || !c->report || ret == -ENOMEM)
		return ret;
	c->report(c->arg, c->e);
	c->nerr++;
	if (sec)
		*sec = SEC_EXT;
	return 0;
}

/* An error that ends the file's reading: reported too in unit_parse_each() (but out of memory). */
static int whole_file_error(struct ctx *c, int ret)
{
	if (c->report && ret != -ENOMEM)
		c->report(c->arg, c->e);
	return ret;
}

static int parse(struct ctx *cp, const char *p, size_t len)
{
	struct ctx c = *cp;
	const char *path = c.path;
	struct kerr *e = c.e;
	c.tmp = (struct buf)BUF_INIT(UV_VALUE_MAX);
	struct buf logical = BUF_INIT(UV_VALUE_MAX);
	const char *cur = p, *end = p + len, *ls, *le;
	enum section sec = SEC_NONE;
	int ret = 0;

	if (len > UNIT_FILE_MAX)
		return whole_file_error(&c, kerr_set(e, -EFBIG, "%s: larger than %d bytes", path, UNIT_FILE_MAX));
	if (!c.u->fragment && !(c.u->fragment = strdup(path)))
		return kerr_set(e, -ENOMEM, "%s: out of memory", path);
	size_t badoff = first_bad_byte((const unsigned char *)p, len);
	if (badoff < len) {
		unsigned line = 1;
		for (size_t i = 0; i < badoff; i++)
			line += p[i] == '\n';
		return whole_file_error(&c, kerr_set(e, -EINVAL, "%s:%u: invalid UTF-8 or control character (offset %zu)",
			path, line, badoff));
	}
	unsigned lineno = 0;
	while (!ret && next_line(&cur, end, &ls, &le)) {
		c.line = ++lineno;
		if (ls == le || *ls == '#' || *ls == ';')
			continue;
		if (*ls == '[') {
			ret = line_error(&c, section(&c, ls, le, &sec), &sec);
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
		ret = line_error(&c, assignment(&c, sec, (const char *)logical.p), NULL);
	}
	bool unreported = ret != 0;
	if (!ret && c.nerr && !c.u->observer)
		ret = -EINVAL;
	if (ret == -E2BIG)
		ret = kerr_set(e, ret, "%s:%u: line longer than %d bytes", path, c.line, UV_VALUE_MAX);
	else if (ret == -ENOMEM && (!e || !e->msg[0]))
		ret = kerr_set(e, ret, "%s: out of memory", path);
	if (unreported)
		whole_file_error(&c, ret);
	buf_free(&logical);
	buf_free(&c.tmp);
	return ret;
}

int unit_parse(struct unit *u, const char *path, const char *p, size_t len, struct kerr *e)
{
	const struct unit_observer *o = u->observer;
	return parse(&(struct ctx){.u = u, .path = path, .e = e, .report = o ? o->report : NULL, .arg = o ? o->arg : NULL},
		p, len);
}

int unit_parse_each(struct unit *u, const char *path, const char *p, size_t len, unit_report_fn *report,
	void *arg, struct kerr *e)
{
	return parse(&(struct ctx){.u = u, .path = path, .e = e, .report = report, .arg = arg}, p, len);
}

int unit_parse_install(struct unit *u, const char *path, const char *p, size_t len, struct kerr *e)
{
	return parse(&(struct ctx){.u = u, .path = path, .e = e, .install_only = true}, p, len);
}

int unit_check(struct unit *u, struct kerr *e)
{
	const char *why = "no [Timer] section";
	if (u->kind == UNIT_TIMER && (!u->timer || timer_check(u->timer, u->name, &why)))
		return kerr_set(e, -EINVAL, "%s: %s", u->name, why);
	if (u->sock) {
		int ret = socket_check(u->sock, u->name, &why);
		if (!ret && !u->sock->accept && !strv_has(&u->before, u->sock->service))
			ret = strv_push(&u->before, u->sock->service), why = "too many Before= entries";
		return ret ? kerr_set(e, ret == -ENOMEM ? ret : -EINVAL, "%s: %s", u->name, why) : 0;
	}
	if (u->kind != UNIT_SERVICE)
		return 0;
	if (u->std_in_socket && !u->std_out_set)
		u->std_out = OUT_INHERIT; /* systemd.exec(5): stdout defaults to inherit with StandardInput=socket */
	if (!u->exec_start.n && !(u->type == SVC_ONESHOT && u->exec_stop.n))
		return kerr_set(e, -EINVAL, "%s: no ExecStart=", u->name);
	if (u->type != SVC_ONESHOT && u->exec_start.n > 1)
		return kerr_set(e, -EINVAL, "%s: more than one ExecStart= is only allowed for Type=oneshot", u->name);
	if (u->type == SVC_ONESHOT && (u->restart == RESTART_ALWAYS || u->restart == RESTART_ON_SUCCESS))
		return kerr_set(e, -EINVAL, "%s: Restart=%s is not allowed for Type=oneshot", u->name,
			restart_name(u->restart));
	return 0;
}

int unit_verify(const char *path, const char *p, size_t len, unit_report_fn *report, void *arg, struct kerr *e)
{
	struct unit u;
	char name[UNIT_NAME_MAX + 1];
	const char *base = strrchr(path, '/');
	base = base ? base + 1 : path;
	const char *suffix = unit_ref_suffix(base), *at = strchr(base, '@');
	int ret = -EINVAL;
	if (unit_name_is_template(base)) { /* a@.service -> a@test_instance.service */
		if (str_fmt(name, sizeof(name), "%.*stest_instance%s", (int)(at - base + 1), base, suffix))
			suffix = NULL;
	} else if (suffix) {
		str_copy(name, sizeof(name), base);
	}
	memset(&u, 0, sizeof(u));
	if (!suffix || unit_init(&u, name)) {
		kerr_set(e, -EINVAL, "%s: not a unit file name (NAME.service, NAME.socket, NAME.target…)", path);
		report(arg, e);
		return -EINVAL;
	}
	ret = unit_parse_each(&u, path, p, len, report, arg, e);
	/* the settings are checked together only when every line could be read */
	if (ret != -ENOMEM && len <= UNIT_FILE_MAX && first_bad_byte((const unsigned char *)p, len) == len) {
		struct kerr ce = {0};
		if (unit_check(&u, &ce)) {
			kerr_set(e, -EINVAL, "%s: %s", path, ce.msg);
			report(arg, e);
			ret = -EINVAL;
		}
	}
	unit_free(&u);
	return ret;
}
