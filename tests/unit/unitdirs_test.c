/* unitdirs_test.c — the directives Debian's units use (systemd.unit/.service/.exec/.kill): each
 * one good and forged next to it; what the good ones set; conditions evaluated against a tree;
 * exit-status sets; `keel init verify` reporting every error at once. */
#include "t.h"
#include "base/err.h"
#include "init/unit_cond.h"
#include "init/unit_parse.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

static int parse(struct unit *u, const char *name, const char *text, struct kerr *e)
{
	memset(e, 0, sizeof(*e));
	if (unit_init(u, name))
		return -100;
	int ret = unit_parse(u, "/x/t.service", text, strlen(text), e);
	return ret ? ret : unit_check(u, e);
}

/* One line in [Unit] (u) or [Service] (s) of a service with ExecStart=/bin/a: NULL err = valid. */
T_TEST(unitdirs_table)
{
	static const struct { char sec; const char *line, *err; } cases[] = {
		{'u', "Conflicts=a.service shutdown.target", NULL},
		{'u', "Conflicts=nonsense", "Conflicts=: not a valid unit name"},
		{'u', "PartOf=a.service", NULL},
		{'u', "PartOf=a@.service", "PartOf=: not a valid unit name"},
		{'u', "BindsTo=dev-sda.device", NULL},
		{'u', "BindsTo=x.bogus", "BindsTo=: not a valid unit name"},
		{'u', "OnFailure=heartbeat-failed@%n", NULL},
		{'u', "OnFailure=x.service y", "OnFailure=: not a valid unit name"},
		{'u', "OnSuccess=a.service", NULL},
		{'u', "OnSuccess=/a", "OnSuccess=: not a valid unit name"},
		{'u', "Upholds=a.service", NULL},
		{'u', "Upholds=a b", "Upholds=: not a valid unit name"},
		{'u', "Requisite=a.service", NULL},
		{'u', "Requisite=.service", "Requisite=: not a valid unit name"},
		{'u', "JoinsNamespaceOf=a.service", NULL},
		{'u', "PropagatesReloadTo=a.service", NULL},
		{'u', "ReloadPropagatedFrom=a.service", NULL},
		{'u', "After=a.socket b.timer c.mount d.path e.target f.slice g.device h.swap i.automount j.scope", NULL},
		{'u', "Wants=a.bogus", "Wants=: not a valid unit name"},
		{'u', "RequiresMountsFor=/var/lib/a /srv", NULL},
		{'u', "RequiresMountsFor=var/lib", "RequiresMountsFor=: not an absolute path"},
		{'u', "StopWhenUnneeded=yes", NULL},
		{'u', "StopWhenUnneeded=sometimes", "StopWhenUnneeded=: not a boolean"},
		{'u', "RefuseManualStart=yes", NULL},
		{'u', "RefuseManualStop=maybe", "RefuseManualStop=: not a boolean"},
		{'u', "IgnoreOnIsolate=yes", NULL},
		{'u', "StartLimitInterval=3m", NULL},
		{'u', "StartLimitInterval=3 parsecs", "StartLimitInterval=: "},
		{'u', "ConditionVirtualization=!container", NULL},
		{'u', "ConditionVirtualization=vax", "ConditionVirtualization=: unknown virtualization"},
		{'u', "ConditionCapability=CAP_SYS_ADMIN", NULL},
		{'u', "ConditionCapability=CAP_FLY", "ConditionCapability=: unknown capability"},
		{'u', "ConditionArchitecture=|x86-64", NULL},
		{'u', "ConditionArchitecture=x86_64", "ConditionArchitecture=: unknown architecture"},
		{'u', "ConditionSecurity=|!apparmor", NULL},
		{'u', "ConditionSecurity=acme", "ConditionSecurity=: unknown security"},
		{'u', "ConditionFirstBoot=yes", NULL},
		{'u', "ConditionFirstBoot=perhaps", "ConditionFirstBoot=: not a boolean"},
		{'u', "ConditionACPower=true", NULL},
		{'u', "ConditionMemory=>=512M", NULL},
		{'u', "ConditionMemory=>=lots", "ConditionMemory=: "},
		{'u', "ConditionCPUs=>1", NULL},
		{'u', "ConditionCPUs=>", "ConditionCPUs=: "},
		{'u', "ConditionKernelVersion=>=5.10", NULL},
		{'u', "ConditionKernelVersion=<=", "ConditionKernelVersion=: expected a version"},
		{'u', "ConditionKernelCommandLine=|console=ttyS0", NULL},
		{'u', "ConditionPathExistsGlob=/dev/sd*", NULL},
		{'u', "ConditionPathExistsGlob=dev/sd*", "ConditionPathExistsGlob=: not an absolute path"},
		{'u', "ConditionDirectoryNotEmpty=/etc/a.d", NULL},
		{'u', "AssertPathIsMountPoint=/sys/fs/cgroup", NULL},
		{'u', "ConditionPathIsSymbolicLink=!/etc/mtab", NULL},
		{'u', "AssertPathIsReadWrite=rel", "AssertPathIsReadWrite=: not an absolute path"},
		{'u', "ConditionNeedsUpdate=/etc", NULL},
		{'u', "ConditionHost=web-*", NULL},
		{'u', "ConditionEnvironment=!container", NULL},
		{'u', "ConditionControlGroupController=cpu memory", NULL},
		{'u', "ConditionUser=root", NULL},
		{'u', "ConditionFrobnicate=1", "unknown directive ConditionFrobnicate="},
		{'s', "ConditionHost=x", "ConditionHost= belongs in [Unit]"},
		{'s', "ExecReload=/bin/kill -HUP $MAINPID", NULL},
		{'s', "ExecReload=bin/kill", "ExecReload=: the program must be"},
		{'s', "ExecStartPost=-/bin/true", NULL},
		{'s', "ExecStartPost=", NULL},
		{'s', "ExecStopPost=+/bin/cleanup", NULL},
		{'s', "ExecStopPost=++/bin/cleanup", "ExecStopPost=: repeated command prefix"},
		{'s', "ExecCondition=!!/bin/check", NULL},
		{'s', "ExecCondition=!+/bin/check", "ExecCondition=: repeated command prefix"},
		{'s', "ExecStartPre=-@:/bin/a a0 $X", NULL},
		{'s', "ExecStartPre=-@-/bin/a a0", "ExecStartPre=: repeated command prefix"},
		{'s', "PIDFile=/run/a.pid", NULL},
		{'s', "SuccessExitStatus=143 15 SIGUSR1", NULL},
		{'s', "SuccessExitStatus=256", "SuccessExitStatus=: expected exit codes"},
		{'s', "RestartPreventExitStatus=0 255", NULL},
		{'s', "RestartPreventExitStatus=SIGFOO", "RestartPreventExitStatus=: expected exit codes"},
		{'s', "RestartForceExitStatus=SIGABRT", NULL},
		{'s', "RestartForceExitStatus=-1", "RestartForceExitStatus=: expected exit codes"},
		{'s', "Type=forking", NULL},
		{'s', "Type=idle", NULL},
		{'s', "Type=dbus", "Type=dbus is not supported"},
		{'s', "Type=notify-reload", "Type=: unknown value"},
		{'s', "StandardOutput=journal+console", NULL},
		{'s', "StandardOutput=append:/var/log/a.log", NULL},
		{'s', "StandardOutput=file:var/log/a.log", "StandardOutput=: the file must be an absolute path"},
		{'s', "StandardError=truncate:/run/%n.err", NULL},
		{'s', "StandardError=socket", NULL},
		{'s', "StandardError=fd:log", "StandardError=fd:log is not supported"},
		{'s', "StandardError=bogus", "StandardError=: unknown value"},
		{'s', "StandardInput=null", NULL},
		{'s', "StandardInput=tty", "StandardInput=tty is not supported"},
		{'s', "StandardInput=socket", NULL},
		{'s', "StandardInput=sockets", "StandardInput=sockets is not supported"},
		{'s', "NotifyAccess=main", NULL},
		{'s', "NotifyAccess=everyone", "NotifyAccess=: unknown value"},
		{'s', "Nice=-5", NULL},
		{'s', "Nice=20", "Nice=: expected a number from -20 to 19"},
		{'s', "IOSchedulingClass=idle", NULL},
		{'s', "IOSchedulingClass=fastest", "IOSchedulingClass=: unknown value"},
		{'s', "IOSchedulingPriority=7", NULL},
		{'s', "IOSchedulingPriority=8", "IOSchedulingPriority=: "},
		{'s', "CPUSchedulingPolicy=idle", NULL},
		{'s', "CPUSchedulingPolicy=deadline", "CPUSchedulingPolicy=: unknown value"},
		{'s', "CPUSchedulingPriority=99", NULL},
		{'s', "CPUSchedulingPriority=100", "CPUSchedulingPriority=: "},
		{'s', "SendSIGKILL=no", NULL},
		{'s', "SendSIGHUP=often", "SendSIGHUP=: not a boolean"},
		{'s', "IgnoreSIGPIPE=no", NULL},
		{'s', "WatchdogSec=0", NULL},
		{'s', "WatchdogSec=60s", NULL},
		{'s', "WatchdogSec=soon", "WatchdogSec=: "},
		{'s', "WatchdogSignal=SIGKILL", NULL},
		{'s', "WatchdogSignal=SIGWOOF", "WatchdogSignal=: unknown signal"},
		{'s', "Restart=on-watchdog", NULL},
		{'s', "SyslogIdentifier=%N", NULL},
		{'s', "StartLimitBurst=3", NULL},
		{'s', "KillMode=none", NULL},
		{'s', "KillMode=nobody", "KillMode=: unknown value"},
		{'s', "DynamicUser=yes", "DynamicUser= is not supported"},
		{'s', "DynamicUser=yes", "DynamicUser= is not supported"},
		{'s', "Environment=LOGGING=\"--log-level=info\"", NULL},
		{'s', "Environment=LOGGING=\"--log-level=info", "Environment=: unterminated quote"},
		{'s', "Environment=H=%H M=%m B=%b V=%v A=%a T=%t S=%S C=%C L=%L E=%E h=%h u=%u U=%U g=%g G=%G", NULL},
		{'s', "Environment=X=%Z", "Environment=: unknown %-specifier"},
	};
	for (size_t i = 0; i < T_LEN(cases); i++) {
		char text[1024];
		struct unit u;
		struct kerr e;
		snprintf(text, sizeof(text), cases[i].sec == 'u' ? "[Unit]\n%s\n[Service]\nExecStart=/bin/a\n" :
			"[Service]\nExecStart=/bin/a\n%s\n", cases[i].line);
		int ret = parse(&u, "t.service", text, &e);
		if (!cases[i].err)
			t_check(!ret, "good %zu '%s': %s", i, cases[i].line, e.msg);
		else
			t_check(ret == -EINVAL && strstr(e.msg, cases[i].err) && strstr(e.msg, "t.service:"), "forged %zu '%s': %d '%s'",
				i, cases[i].line, ret, e.msg);
		unit_free(&u);
	}
}

/* What the good settings set, and empty assignments resetting them. */
T_TEST(unitdirs_values)
{
	struct unit u;
	struct kerr e;
	const char *text = "[Unit]\nConflicts=a.service\nConflicts=b.service a.service\nPartOf=p.service\nBindsTo=q.service\n"
		"OnFailure=f@%p.service\nConditionArchitecture=|!native\nConditionHost=|x\n"
		"[Service]\nType=forking\nPIDFile=frr.pid\nExecStart=!/bin/a\nExecReload=/bin/kill -HUP $MAINPID\n"
		"ExecReload=+/bin/b\nExecStopPost=-/bin/c\nSuccessExitStatus=3 SIGUSR1\nSuccessExitStatus=\nSuccessExitStatus=7\n"
		"StandardOutput=append:/var/log/x\nStandardError=null\nNotifyAccess=exec\nNice=-20\nIOSchedulingClass=best-effort\n"
		"IOSchedulingPriority=2\nCPUSchedulingPolicy=rr\nCPUSchedulingPriority=10\nSendSIGKILL=no\nIgnoreSIGPIPE=no\n"
		"Environment=LOGGING=\"--log-level=info\" 'B=x y'z\n"
		"[Install]\nAlso=u.socket\nAlias=v.service\nDefaultInstance=i\n";
	int ret = parse(&u, "t.service", text, &e);
	t_check(!ret, "parses: %s", e.msg);
	if (ret)
		return;
	t_check(u.conflicts.n == 2 && !strcmp(u.conflicts.v[1], "b.service") && u.part_of.n == 1 && u.binds_to.n == 1,
		"dependency lists (a name once)");
	t_check(u.on_failure.n == 1 && !strcmp(u.on_failure.v[0], "f@t.service"), "OnFailure= with %%p");
	t_check(u.nconds == 2 && u.conds[0].trigger && u.conds[0].negate && u.conds[0].kind == COND_ARCHITECTURE &&
			!strcmp(u.conds[0].path, "native") && u.conds[1].trigger && !u.conds[1].negate,
		"conditions: | and !");
	t_check(u.type == SVC_FORKING && u.pid_file && !strcmp(u.pid_file, "/run/frr.pid"), "forking, relative PIDFile= below /run");
	t_check(u.exec_start.n == 1 && u.exec_start.v[0].flags == CMD_NO_SETID && u.exec_reload.n == 2 &&
			u.exec_reload.v[1].flags == CMD_PRIVILEGED && u.exec_stop_post.n == 1 &&
			u.exec_stop_post.v[0].flags == CMD_IGNORE_FAILURE,
		"exec lists and prefixes");
	t_check(unit_status_has(&u.success_status, 7 << 8) && !unit_status_has(&u.success_status, 3 << 8) &&
			!unit_status_has(&u.success_status, SIGUSR1),
		"SuccessExitStatus= reset by an empty assignment, then 7");
	t_check(u.std_out == OUT_APPEND && !strcmp(u.out_path, "/var/log/x") && u.std_err == OUT_NULL, "outputs");
	t_check(u.notify_access == NA_EXEC && u.has_nice && u.nice == -20 && u.io_class == 2 && u.io_prio == 2 &&
			u.cpu_policy == 2 && u.cpu_prio == 10 && !u.send_sigkill && !u.ignore_sigpipe,
		"process settings");
	t_check(u.environment.n == 2 && !strcmp(u.environment.v[0], "LOGGING=--log-level=info") &&
			!strcmp(u.environment.v[1], "B=x yz"),
		"quotes inside a word, as systemd: %s", u.environment.n ? u.environment.v[0] : "");
	t_check(u.also.n == 1 && u.alias.n == 1 && u.default_instance && !strcmp(u.default_instance, "i"), "[Install]");
	unit_free(&u);
	ret = parse(&u, "t.service", "[Service]\nExecStart=/bin/a\nStandardOutput=null\nStandardOutput=\nNice=5\nNice=\n", &e);
	t_check(!ret && u.std_out == OUT_JOURNAL && u.std_err == OUT_INHERIT && !u.has_nice && u.ignore_sigpipe && u.send_sigkill,
		"defaults and resets: %s", e.msg);
	unit_free(&u);
	t_check(parse(&u, "t.service", "[Service]\nType=oneshot\nExecStop=/bin/a\n", &e) == 0, "a oneshot with ExecStop= only");
	unit_free(&u);
	t_check(parse(&u, "t.service", "[Service]\nType=simple\nExecStop=/bin/a\n", &e) == -EINVAL, "ExecStop= only needs oneshot");
	unit_free(&u);
	t_check(parse(&u, "t.service", "[Service]\nExecStart=/bin/a\n[Install]\nAlias=t.socket\n", &e) == -EINVAL &&
			strstr(e.msg, "an alias must have the unit's own type"),
		"an alias of another type: %s", e.msg);
	unit_free(&u);
}

static bool holds(const char *kind_line, int rootfd)
{
	struct unit u;
	struct kerr e;
	char text[512];
	snprintf(text, sizeof(text), "[Unit]\n%s\n[Service]\nExecStart=/bin/a\n", kind_line);
	bool ok = !parse(&u, "t.service", text, &e) && !unit_cond_failed(u.conds, u.nconds, false, rootfd) &&
		!unit_cond_failed(u.conds, u.nconds, true, rootfd);
	if (e.msg[0])
		t_check(0, "'%s': %s", kind_line, e.msg);
	unit_free(&u);
	return ok;
}

/* Conditions against a tree (paths beneath it) and the host's own facts. */
T_TEST(unitdirs_conditions)
{
	const char *d = t_tmpdir();
	char p[600];
	snprintf(p, sizeof(p), "%s/full", d);
	mkdir(p, 0755);
	t_write("full/x", "", 0);
	snprintf(p, sizeof(p), "%s/empty", d);
	mkdir(p, 0755);
	snprintf(p, sizeof(p), "%s/link", d);
	t_check(!symlink("full", p), "symlink");
	int root = open(d, O_PATH | O_DIRECTORY | O_CLOEXEC);
	static const struct { const char *line; bool want; } cases[] = {
		{"ConditionDirectoryNotEmpty=/full", true},
		{"ConditionDirectoryNotEmpty=/empty", false},
		{"ConditionDirectoryNotEmpty=/none", false},
		{"ConditionDirectoryNotEmpty=!/empty", true},
		{"ConditionPathExistsGlob=/full/*", true},
		{"ConditionPathExistsGlob=/empty/*", false},
		{"ConditionPathExistsGlob=/f*l/[wx]", true},
		{"ConditionPathExistsGlob=/*/y", false},
		{"ConditionPathExistsGlob=/*", true},
		{"ConditionPathExistsGlob=/l?nk/x", true},
		{"ConditionPathIsSymbolicLink=/link", true},
		{"ConditionPathIsSymbolicLink=/full", false},
		{"ConditionPathIsMountPoint=/full", false},
		{"ConditionPathIsReadWrite=/full", true},
		{"ConditionPathIsReadWrite=/none", false},
		{"ConditionFirstBoot=yes", true}, /* no etc/machine-id in the tree */
		{"ConditionFirstBoot=no", false},
		{"ConditionArchitecture=native", true},
		{"ConditionArchitecture=!native", false},
		{"ConditionCPUs=>=1", true},
		{"ConditionCPUs=<1", false},
		{"ConditionMemory=>=1M", true},
		{"ConditionMemory=<1M", false},
		{"ConditionKernelVersion=>=2.6", true},
		{"ConditionKernelVersion=<2.6", false},
		{"ConditionKernelVersion=*", true},
		{"ConditionEnvironment=!NO_SUCH_VARIABLE_HERE", true},
		{"ConditionEnvironment=NO_SUCH_VARIABLE_HERE", false},
		{"ConditionUser=root", true},
		{"ConditionUser=nobody", false},
		{"ConditionKernelCommandLine=no-such-kernel-argument", false},
		{"ConditionCapability=CAP_FLY", false}, /* refused at parse: holds() reports it */
		/* '|': one of the triggering ones suffices; plain ones must all hold */
		{"ConditionPathExists=|/none\nConditionPathExists=|/full", true},
		{"ConditionPathExists=|/none\nConditionPathExists=|/none2", false},
		{"ConditionPathExists=|/full\nConditionPathExists=/none", false},
		{"AssertPathExists=/full\nConditionPathExists=|/full", true},
		{"AssertPathExists=/none", false},
	};
	for (size_t i = 0; i < T_LEN(cases); i++) {
		if (strstr(cases[i].line, "CAP_FLY"))
			continue; /* the refused one: only its refusal is checked below */
		t_check(holds(cases[i].line, root) == cases[i].want, "condition %zu '%s' want %d", i, cases[i].line, cases[i].want);
	}
	struct unit u;
	struct kerr e;
	t_check(parse(&u, "t.service", "[Unit]\nConditionCapability=CAP_FLY\n[Service]\nExecStart=/bin/a\n", &e) == -EINVAL,
		"unknown capability refused");
	unit_free(&u);
	snprintf(p, sizeof(p), "%s/etc", d);
	mkdir(p, 0755);
	t_write("etc/machine-id", "0123456789abcdef0123456789abcdef\n", 33);
	t_check(holds("ConditionFirstBoot=no", root), "machine-id written: not the first boot");
	close(root);
	t_check(unit_cap_number("CAP_NET_ADMIN") == 12 && unit_cap_number("cap_chown") == 0 && unit_cap_number("NET_ADMIN") < 0,
		"capability numbers");
}

T_TEST(unitdirs_status_sets)
{
	struct unit_status st = {0};
	st.code[0] = 1ULL << 3;
	st.code[3] = 1ULL << (255 - 192);
	st.sig = 1ULL << SIGUSR1;
	t_check(unit_status_has(&st, 3 << 8) && unit_status_has(&st, 255 << 8) && unit_status_has(&st, SIGUSR1), "members");
	t_check(!unit_status_has(&st, 0) && !unit_status_has(&st, 4 << 8) && !unit_status_has(&st, SIGTERM), "non-members");
}

static int nreports;
static char reports[8][400];
static void collect(void *arg, const struct kerr *e)
{
	(void)arg;
	if (nreports < 8)
		snprintf(reports[nreports], sizeof(reports[0]), "%s", e->msg);
	nreports++;
}

T_TEST(unitdirs_verify)
{
	struct kerr e = {0};
	const char *bad = "[Unit]\nFrobnicate=1\n[Bogus]\nA=b\n[Service]\nType=bogus\nExecStart=/bin/a\nDynamicUser=yes\n";
	nreports = 0;
	int ret = unit_verify("/d/a@.service", bad, strlen(bad), collect, NULL, &e);
	t_check(ret == -EINVAL && nreports == 4, "four errors, each once: %d %d", ret, nreports);
	t_check(nreports >= 4 && strstr(reports[0], "/d/a@.service:2: unknown directive Frobnicate=") &&
			strstr(reports[1], ":3: unknown section [Bogus]") && strstr(reports[2], ":6: Type=: unknown value") &&
			strstr(reports[3], ":8: DynamicUser= is not supported"),
		"in order, with lines: %s | %s | %s | %s", reports[0], reports[1], reports[2], reports[3]);
	const char *good = "[Unit]\nDescription=%i %I\n[Service]\nExecStart=/bin/a %i\n";
	nreports = 0;
	t_check(unit_verify("/d/a@.service", good, strlen(good), collect, NULL, &e) == 0 && nreports == 0,
		"a template verifies as an instance: %s", nreports ? reports[0] : "");
	const char *sock = "[Unit]\nDescription=s\n[Socket]\nListenStream=1\nBacklog=9\n[Install]\nWantedBy=sockets.target\n";
	nreports = 0;
	t_check(unit_verify("s.socket", sock, strlen(sock), collect, NULL, &e) == 0 && nreports == 0,
		"a socket unit verifies: %d %s", nreports, nreports ? reports[0] : "");
	const char *bsock = "[Socket]\nListenStream=0\nListenSpecial=/dev/x\n[Service]\nExecStart=/bin/a\n";
	nreports = 0;
	t_check(unit_verify("s.socket", bsock, strlen(bsock), collect, NULL, &e) == -EINVAL && nreports == 4 &&
			strstr(reports[0], "s.socket:2: ListenStream=: not a port") &&
			strstr(reports[1], "s.socket:3: ListenSpecial= is not supported") &&
			strstr(reports[2], "s.socket:4: a socket has no [Service] section") && strstr(reports[3], "no Listen setting"),
		"a forged socket unit: every error: %d %s", nreports, reports[0]);
	nreports = 0;
	t_check(unit_verify("x.conf", good, strlen(good), collect, NULL, &e) == -EINVAL && nreports == 1, "not a unit name");
	const char *utf = "[Service]\nExecStart=/bin/a\xff\n";
	nreports = 0;
	t_check(unit_verify("/d/u.service", utf, strlen(utf), collect, NULL, &e) == -EINVAL && nreports == 1 &&
			strstr(reports[0], "u.service:2: invalid UTF-8"),
		"a file that cannot be read is reported (once): %d %s", nreports, reports[0]);
	const char *noexec = "[Service]\nType=simple\n";
	nreports = 0;
	t_check(unit_verify("/d/n.service", noexec, strlen(noexec), collect, NULL, &e) == -EINVAL && nreports == 1 &&
			strstr(reports[0], "no ExecStart="),
		"unit_check's error too: %s", reports[0]);
}
