/* unit_test.c — unit-file syntax and directives, the search path, masks, drop-ins, .wants/;
 * every good file has forged neighbours that must be refused with file:line. */
#include "t.h"
#include "base/err.h"
#include "init/unit_parse.h"
#include "init/unit_load.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static int parse(struct unit *u, const char *name, const char *text, struct kerr *e)
{
	memset(e, 0, sizeof(*e));
	if (unit_init(u, name))
		return -100;
	int ret = unit_parse(u, "/x/" "t.service", text, strlen(text), e);
	return ret ? ret : unit_check(u, e);
}

T_TEST(unit_good_service)
{
	struct unit u;
	struct kerr e;
	const char *text =
		"# a comment\n"
		"; another\n"
		"[Unit]\n"
		"Description=Web %n\n"
		"Documentation=https://example.com man:web(8)\n"
		"After=network.target b.service\n"
		"After=c.service\n"
		"Requires=b.service\n"
		"Wants=c.service d.service\n"
		"StartLimitIntervalSec=30s\n"
		"StartLimitBurst=3\n"
		"X-Vendor=ignored\n"
		"\n"
		"[Service]\n"
		"Type=notify\n"
		"ExecStartPre=-/bin/mkdir -p /run/web\n"
		"ExecStart=@/usr/bin/web web-daemon \\\n"
		"  --port 80 \\\n"
		"# a comment inside the continuation\n"
		"  \"--name=%p x\"\n"
		"ExecStop=/bin/kill -TERM $MAINPID\n"
		"Restart=on-failure\n"
		"RestartSec=250ms\n"
		"TimeoutStopSec=5\n"
		"User=www\n"
		"Group=www\n"
		"SupplementaryGroups=audio video\n"
		"Environment=A=1 \"B=two words\"\n"
		"Environment=C=%i\n"
		"EnvironmentFile=-/etc/default/web\n"
		"WorkingDirectory=/srv\n"
		"LimitNOFILE=1024:4096\n"
		"MemoryMax=64M\n"
		"CPUQuota=50%\n"
		"CPUWeight=200\n"
		"TasksMax=32\n"
		"KillSignal=SIGINT\n"
		"\n"
		"[X-Extension]\n"
		"Anything=goes\n"
		"[Install]\n"
		"WantedBy=multi-user.target\n";
	int ret = parse(&u, "web.service", text, &e);
	t_check(!ret, "good service parses: %d %s", ret, e.msg);
	if (ret)
		return;
	t_check(!strcmp(u.description, "Web web.service"), "description %s", u.description);
	t_check(u.documentation.n == 2, "docs");
	t_check(u.after.n == 3 && !strcmp(u.after.v[2], "c.service"), "after appends");
	t_check(u.requires.n == 1 && u.wants.n == 2, "requires/wants");
	t_check(u.start_limit_interval == 30000000 && u.start_limit_burst == 3, "start limit");
	t_check(u.type == SVC_NOTIFY, "type");
	t_check(u.exec_start_pre.n == 1 && u.exec_start_pre.v[0].flags == CMD_IGNORE_FAILURE, "pre '-'");
	t_check(u.exec_start.n == 1, "one ExecStart");
	struct unit_cmd *c = &u.exec_start.v[0];
	t_check(c->flags == CMD_ARGV0 && !strcmp(c->path, "/usr/bin/web") && c->argv.n == 4 &&
			!strcmp(c->argv.v[0], "web-daemon") && !strcmp(c->argv.v[3], "--name=web x"),
		"ExecStart words: path %s argv0 %s n %zu last %s", c->path, c->argv.v[0], c->argv.n, c->argv.v[c->argv.n - 1]);
	t_check(!strcmp(c->where, "t.service:17"), "where %s", c->where);
	t_check(u.exec_stop.n == 1 && !strcmp(u.exec_stop.v[0].argv.v[2], "$MAINPID"), "ExecStop keeps $MAINPID");
	t_check(u.restart == RESTART_ON_FAILURE && u.restart_usec == 250000, "restart");
	t_check(u.timeout_stop_usec == 5000000 && u.timeout_start_usec == 90000000, "timeouts");
	t_check(!strcmp(u.user, "www") && !strcmp(u.group, "www") && u.supplementary_groups.n == 2, "ids");
	t_check(u.environment.n == 3 && !strcmp(u.environment.v[1], "B=two words") && !strcmp(u.environment.v[2], "C="),
		"environment");
	t_check(u.environment_files.n == 1 && !strcmp(u.environment_files.v[0], "-/etc/default/web"), "envfile");
	t_check(!strcmp(u.working_directory, "/srv"), "cwd");
	t_check(u.limits[UL_NOFILE].set && u.limits[UL_NOFILE].soft == 1024 && u.limits[UL_NOFILE].hard == 4096, "nofile");
	t_check(u.memory_max == 64 << 20 && u.cpu_quota == 50 && u.cpu_weight == 200 && u.tasks_max == 32, "limits");
	t_check(u.kill_signal == SIGINT, "kill signal");
	t_check(u.wanted_by.n == 1, "wanted by");
	unit_free(&u);
	unit_free(&u); /* twice is harmless */
	unit_free(NULL);
}

T_TEST(unit_resets_and_defaults)
{
	struct unit u;
	struct kerr e;
	const char *text = "[Unit]\nAfter=a.service\nAfter=\nAfter=b.service\n"
			   "[Service]\nExecStart=/bin/a\nExecStart=\nExecStart=/bin/b\nEnvironment=A=1\nEnvironment=\n"
			   "RestartSec=5\nRestartSec=\nUser=x\nUser=\nTimeoutSec=7\n";
	int ret = parse(&u, "r.service", text, &e);
	t_check(!ret, "resets parse: %s", e.msg);
	if (ret)
		return;
	t_check(u.after.n == 1 && !strcmp(u.after.v[0], "b.service"), "After= reset");
	t_check(u.exec_start.n == 1 && !strcmp(u.exec_start.v[0].path, "/bin/b"), "ExecStart= reset");
	t_check(u.environment.n == 0, "Environment= reset");
	t_check(u.restart_usec == 100000, "RestartSec= back to default");
	t_check(!u.user, "User= reset");
	t_check(u.timeout_start_usec == 7000000 && u.timeout_stop_usec == 7000000, "TimeoutSec sets both");
	t_check(u.type == SVC_SIMPLE && u.restart == RESTART_NO && u.kill_signal == SIGTERM, "defaults");
	unit_free(&u);

	ret = parse(&u, "t.target", "[Unit]\nDescription=T\nWants=a.service\n[Install]\nWantedBy=multi-user.target\n", &e);
	t_check(!ret && u.kind == UNIT_TARGET, "target parses: %s", e.msg);
	unit_free(&u);
	ret = parse(&u, "o.service", "[Service]\nType=oneshot\nExecStart=/bin/a\nExecStart=/bin/b\nRemainAfterExit=yes\n", &e);
	t_check(!ret && u.exec_start.n == 2 && u.remain_after_exit, "oneshot with two commands: %s", e.msg);
	unit_free(&u);
	ret = parse(&u, "n.service", "[Service]\r\nExecStart=/bin/true\r\n", &e);
	t_check(!ret, "CRLF line ends: %s", e.msg);
	unit_free(&u);
	ret = parse(&u, "p.service", "[Service]\nExecStart=true\nWorkingDirectory=-~\nLimitNOFILE=infinity\n", &e);
	t_check(!ret && !strcmp(u.exec_start.v[0].path, "true") && u.limits[UL_NOFILE].soft == UV_INFINITY, "bare program name: %s", e.msg);
	unit_free(&u);
}

/* What a container runtime's unit (containerd and the like) asks for. */
T_TEST(unit_container_runtime)
{
	struct unit u;
	struct kerr e;
	const char *text =
		"[Unit]\n"
		"Description=container runtime\n"
		"After=network.target local-fs.target\n"
		"ConditionPathExists=/usr/bin/runtimed\n"
		"AssertPathIsDirectory=!/run/nologin\n"
		"[Service]\n"
		"ExecStartPre=-/sbin/modprobe overlay\n"
		"ExecStart=/usr/bin/runtimed\n"
		"Type=notify\n"
		"Delegate=yes\n"
		"KillMode=process\n"
		"Restart=always\n"
		"RestartSec=5\n"
		"LimitNPROC=infinity\n"
		"LimitCORE=infinity\n"
		"LimitMEMLOCK=64K:1M\n"
		"TasksMax=infinity\n"
		"OOMScoreAdjust=-999\n"
		"[Install]\n"
		"WantedBy=multi-user.target\n";
	int ret = parse(&u, "runtimed.service", text, &e);
	t_check(!ret, "runtime unit parses: %s", e.msg);
	if (ret)
		return;
	t_check(u.delegate && u.kill_mode == KILL_PROCESS && u.has_oom_score_adjust && u.oom_score_adjust == -999, "delegate, kill mode, oom");
	t_check(u.limits[UL_NPROC].set && u.limits[UL_NPROC].soft == UV_INFINITY && u.limits[UL_CORE].hard == UV_INFINITY &&
			u.limits[UL_MEMLOCK].soft == 65536 && u.limits[UL_MEMLOCK].hard == 1048576 && !u.limits[UL_NOFILE].set,
		"limits");
	t_check(u.nconds == 2 && u.conds[0].kind == COND_PATH_EXISTS && !u.conds[0].assert && !u.conds[0].negate &&
			u.conds[1].kind == COND_PATH_IS_DIRECTORY && u.conds[1].assert && u.conds[1].negate &&
			!strcmp(u.conds[1].path, "/run/nologin"),
		"conditions");
	unit_free(&u);
	ret = parse(&u, "x.service", "[Unit]\nConditionPathExists=/a\nConditionPathExists=\n[Service]\nExecStart=/bin/a\nKillMode=mixed\nKillMode=\n", &e);
	t_check(!ret && u.nconds == 0 && u.kill_mode == KILL_CONTROL_GROUP, "empty assignments reset conditions and KillMode: %s", e.msg);
	unit_free(&u);
	t_check(!strcmp(unit_limit_name(UL_CORE), "LimitCORE"), "limit names");
}

T_TEST(unit_forged)
{
	static const struct { const char *name, *text, *err; } cases[] = {
		{"a.service", "[Service]\nExecStart=/bin/a\nFrobnicate=yes\n", "t.service:3: unknown directive Frobnicate= in [Service]"},
		{"a.service", "[Servce]\nExecStart=/bin/a\n", "t.service:1: unknown section [Servce]"},
		{"a.service", "ExecStart=/bin/a\n", "t.service:1: ExecStart= before any [Section]"},
		{"a.service", "[Service]\nExecStart /bin/a\n", "t.service:2: expected Key=Value"},
		{"a.service", "[Service\nExecStart=/bin/a\n", "t.service:1: malformed section header"},
		{"a.service", "[Unit]\nExecStart=/bin/a\n", "t.service:2: ExecStart= belongs in [Service], not [Unit]"},
		{"a.service", "[Service]\nStartLimitIntervalSec=3\nExecStart=/bin/a\n", "t.service:2: StartLimitIntervalSec= belongs in [Unit], not [Service]"},
		{"a.service", "[Service]\nExecStart=/bin/a\nDynamicUser=yes\n", "t.service:3: DynamicUser= is not supported"},
		{"a.service", "[Service]\nType=dbus\nExecStart=/bin/a\n", "t.service:2: Type=dbus is not supported"},
		{"a.service", "[Service]\nType=bogus\nExecStart=/bin/a\n", "t.service:2: Type=: unknown value"},
		{"a.service", "[Service]\nRestart=sometimes\nExecStart=/bin/a\n", "t.service:2: Restart=: unknown value"},
		{"a.service", "[Service]\nRestart=on-watchdogs\nExecStart=/bin/a\n", "t.service:2: Restart=: unknown value"},
		{"a.service", "[Service]\nExecStart=+!/bin/a\n", "t.service:2: ExecStart=: repeated command prefix"},
		{"a.service", "[Service]\nExecStart=--/bin/a\n", "t.service:2: ExecStart=: repeated command prefix"},
		{"a.service", "[Service]\nExecStart=bin/a\n", "t.service:2: ExecStart=: the program must be"},
		{"a.service", "[Service]\nExecStart=@/bin/a\n", "t.service:2: ExecStart=: '@' needs"},
		{"a.service", "[Service]\nExecStart=/bin/a \"open\n", "t.service:2: ExecStart=: unterminated quote"},
		{"a.service", "[Service]\nExecStart=/bin/a ; /bin/b\n", "t.service:2: ExecStart=: ';' command separators"},
		{"a.service", "[Service]\nExecStart=/bin/a %Z\n", "t.service:2: ExecStart=: unknown %-specifier"},
		{"a.service", "[Service]\nExecStart=-\n", "t.service:2: ExecStart=: empty command"},
		{"a.service", "[Service]\nExecStart=/bin/a\nRestartSec=soon\n", "t.service:3: RestartSec=: expected a number"},
		{"a.service", "[Service]\nExecStart=/bin/a\nMemoryMax=50%\n", "t.service:3: MemoryMax=: percentages"},
		{"a.service", "[Service]\nExecStart=/bin/a\nCPUQuota=50\n", "t.service:3: CPUQuota=: expected a percentage"},
		{"a.service", "[Service]\nExecStart=/bin/a\nCPUWeight=0\n", "t.service:3: CPUWeight=: expected a weight"},
		{"a.service", "[Service]\nExecStart=/bin/a\nLimitNOFILE=10:5\n", "t.service:3: LimitNOFILE=: soft limit above"},
		{"a.service", "[Service]\nExecStart=/bin/a\nLimitNOFILE=infinity:5\n", "t.service:3: LimitNOFILE=: soft limit above"},
		{"a.service", "[Service]\nExecStart=/bin/a\nLimitNOFILE=1K\n", "t.service:3: LimitNOFILE=: not a whole decimal"},
		{"a.service", "[Service]\nExecStart=/bin/a\nLimitCORE=1Q\n", "t.service:3: LimitCORE=: unknown size suffix"},
		{"a.service", "[Service]\nExecStart=/bin/a\nLimitCPU=10\n", "t.service:3: LimitCPU= is not supported"},
		{"a.service", "[Service]\nExecStart=/bin/a\nKillMode=nothing\n", "t.service:3: KillMode=: unknown value"},
		{"a.service", "[Service]\nExecStart=/bin/a\nKillMode=all\n", "t.service:3: KillMode=: unknown value"},
		{"a.service", "[Service]\nExecStart=/bin/a\nOOMScoreAdjust=-1001\n", "t.service:3: OOMScoreAdjust=: expected a number"},
		{"a.service", "[Service]\nExecStart=/bin/a\nOOMScoreAdjust=abc\n", "t.service:3: OOMScoreAdjust=: expected a number"},
		{"a.service", "[Service]\nExecStart=/bin/a\nDelegate=cpu memory\n", "t.service:3: Delegate=: not a boolean"},
		{"a.service", "[Unit]\nConditionPathExists=etc/x\n[Service]\nExecStart=/bin/a\n", "t.service:2: ConditionPathExists=: not an absolute path"},
		{"a.service", "[Unit]\nConditionPathExists=|!x\n[Service]\nExecStart=/bin/a\n", "t.service:2: ConditionPathExists=: not an absolute path"},
		{"a.service", "[Unit]\nConditionVirtualization=vax\n[Service]\nExecStart=/bin/a\n", "t.service:2: ConditionVirtualization=: unknown virtualization"},
		{"a.service", "[Service]\nConditionPathExists=/x\nExecStart=/bin/a\n", "t.service:2: ConditionPathExists= belongs in [Unit]"},
		{"a.service", "[Service]\nExecStart=/bin/a\nEnvironment=1A=x\n", "t.service:3: Environment=: not a NAME=VALUE"},
		{"a.service", "[Service]\nExecStart=/bin/a\nEnvironmentFile=rel/path\n", "t.service:3: EnvironmentFile=: not an absolute path"},
		{"a.service", "[Service]\nExecStart=/bin/a\nWorkingDirectory=srv\n", "t.service:3: WorkingDirectory=: not an absolute path"},
		{"a.service", "[Service]\nExecStart=/bin/a\nUser=-root\n", "t.service:3: User=: not a valid user"},
		{"a.service", "[Service]\nExecStart=/bin/a\nUser=a:b\n", "t.service:3: User=: not a valid user"},
		{"a.service", "[Unit]\nAfter=bad name\n[Service]\nExecStart=/bin/a\n", "t.service:2: After=: not a valid unit name"},
		{"a.service", "[Unit]\nWants=a.bogus\n[Service]\nExecStart=/bin/a\n", "t.service:2: Wants=: not a valid unit name"},
		{"a.service", "[Unit]\nRequires=t@.service\n[Service]\nExecStart=/bin/a\n", "t.service:2: Requires=: not a valid unit name"},
		{"a.service", "[Service]\nExecStart=/bin/a\nKillSignal=SIGFOO\n", "t.service:3: KillSignal=: unknown signal"},
		{"a.service", "[Service]\nExecStart=/bin/a\nRemainAfterExit=perhaps\n", "t.service:3: RemainAfterExit=: not a boolean"},
		{"a.service", "[Service]\nExecStart=/bin/a\nTasksMax=0\n", "t.service:3: TasksMax=: number out of range"},
		{"a.service", "[Service]\nExec Start=/bin/a\n", "t.service:2: invalid key"},
		{"a.service", "[Service]\n=/bin/a\n", "t.service:2: expected Key=Value"},
		{"a.service", "[Service]\nExecStart=/bin/a\xff\n", "t.service:2: invalid UTF-8"},
		{"a.service", "[Service]\nExecStart=/bin/\xc0\xaf\n", "t.service:2: invalid UTF-8"},
		{"a.service", "[Service]\nExecStart=/bin/\xed\xa0\x80\n", "t.service:2: invalid UTF-8"},
		{"a.service", "[Service]\n\x01\n", "t.service:2: invalid UTF-8 or control"},
		{"a.service", "[Unit]\nDescription=x\n", "a.service: no ExecStart="},
		{"a.service", "[Service]\nExecStart=/bin/a\nExecStart=/bin/b\n", "a.service: more than one ExecStart="},
		{"a.service", "[Service]\nType=oneshot\nRestart=always\nExecStart=/bin/a\n", "a.service: Restart=always is not allowed"},
		{"a.target", "[Service]\nExecStart=/bin/a\n", "t.service:1: a target has no [Service] section"},
		{"a.target", "[Unit]\nType=simple\n", "t.service:2: Type= belongs in [Service], not [Unit]"},
	};
	for (size_t i = 0; i < T_LEN(cases); i++) {
		struct unit u;
		struct kerr e;
		int ret = parse(&u, cases[i].name, cases[i].text, &e);
		const char *msg = strstr(e.msg, "t.service") ? strstr(e.msg, "t.service") : e.msg;
		t_check(ret < 0 && ret != -100 && !strncmp(msg, cases[i].err, strlen(cases[i].err)),
			"forged %zu: ret %d, '%s' (want '%s')", i, ret, e.msg, cases[i].err);
		unit_free(&u);
	}
	/* a NUL byte and an over-long file */
	struct unit u;
	struct kerr e = {0};
	unit_init(&u, "a.service");
	t_check(unit_parse(&u, "f", "[Service]\0", 10, &e) == -EINVAL && strstr(e.msg, "f:1:"), "NUL refused: %s", e.msg);
	char *big = malloc(UNIT_FILE_MAX + 2);
	memset(big, '#', UNIT_FILE_MAX + 1);
	t_check(unit_parse(&u, "f", big, UNIT_FILE_MAX + 1, &e) == -EFBIG, "over-long file refused");
	/* one over-long logical line of continuations */
	size_t n = 0;
	n += (size_t)sprintf(big, "[Service]\nExecStart=/bin/a");
	for (int k = 0; k < 2; k++) { /* two continuation lines of 40000 bytes each */
		big[n++] = ' ';
		memset(big + n, 'x', 40000);
		n += 40000;
		n += (size_t)sprintf(big + n, "\\\n");
	}
	t_check(unit_parse(&u, "f", big, n, &e) == -E2BIG && strstr(e.msg, "f:2: line longer"), "long line: %s", e.msg);
	free(big);
	unit_free(&u);
	t_check(unit_init(&u, "a@.service") == -EINVAL, "a template cannot be a unit");
	t_check(unit_init(&u, "a.bogus") == -EINVAL, "no unit type .bogus");
}

/* ---- the loader, on a tree in a temporary directory ---- */

static char root[512];

static void put(const char *rel, const char *text)
{
	char path[1024], dir[1100];
	snprintf(path, sizeof(path), "%s/%s", root, rel);
	snprintf(dir, sizeof(dir), "mkdir -p \"$(dirname '%s')\"", path);
	if (system(dir))
		abort();
	FILE *f = fopen(path, "w");
	if (!f || fputs(text, f) < 0 || fclose(f))
		abort();
}

static void link_to(const char *rel, const char *target)
{
	char path[1024], dir[1100];
	snprintf(path, sizeof(path), "%s/%s", root, rel);
	snprintf(dir, sizeof(dir), "mkdir -p \"$(dirname '%s')\"", path);
	if (system(dir) || symlink(target, path))
		abort();
}

T_TEST(unit_loader)
{
	snprintf(root, sizeof(root), "%s/root", t_tmpdir());
	put("usr/lib/systemd/system/a.service", "[Service]\nExecStart=/bin/a\nEnvironment=X=usr\n");
	put("usr/lib/systemd/system/a.service.d/20-b.conf", "[Service]\nEnvironment=Y=20\n");
	put("usr/lib/systemd/system/a.service.d/10-a.conf", "[Service]\nEnvironment=Z=10-usr\n");
	put("etc/systemd/system/a.service.d/10-a.conf", "[Service]\nEnvironment=Z=10-etc\n");
	link_to("etc/systemd/system/a.service.d/30-masked.conf", "/dev/null");
	put("usr/lib/systemd/system/a.service.d/ignored.txt", "garbage");
	put("etc/systemd/system/b.service", "[Service]\nExecStart=/bin/b-etc\n");
	put("usr/lib/systemd/system/b.service", "[Service]\nExecStart=/bin/b-usr\n");
	link_to("etc/systemd/system/c.service", "/dev/null");
	put("usr/lib/systemd/system/c.service", "[Service]\nExecStart=/bin/c\n");
	put("usr/lib/systemd/system/d.service", "");
	put("usr/lib/systemd/system/getty@.service", "[Service]\nExecStart=/sbin/getty %i\n");
	put("usr/lib/systemd/system/getty@.service.d/x.conf", "[Unit]\nDescription=getty on %i\n");
	link_to("etc/systemd/system/multi-user.target.wants/a.service", "/usr/lib/systemd/system/a.service");
	link_to("etc/systemd/system/default.target.wants/b.service", "/etc/systemd/system/b.service");
	link_to("usr/lib/systemd/system/multi-user.target.requires/getty@tty1.service", "../getty@.service");
	link_to("etc/systemd/system/alias.service", "/usr/lib/systemd/system/a.service");
	put("etc/systemd/system/bad.service", "[Service]\nExecStart=/bin/a\nNope=1\n");
	put("etc/systemd/system/e.service.d/x.conf", "[Service]\nNope=1\n");
	put("usr/lib/systemd/system/e.service", "[Service]\nExecStart=/bin/e\n");
	put("etc/systemd/system/f.service.wants/not-a-unit", "");
	put("usr/lib/systemd/system/f.service", "[Service]\nExecStart=/bin/f\n");

	struct unit_dirs d;
	struct kerr e = {0};
	int ret = unit_dirs_open(&d, root, &e);
	t_check(!ret, "dirs open: %s", e.msg);
	if (ret)
		return;
	struct unit u;
	enum unit_load load;

	ret = unit_load(&d, "a.service", &u, &load, &e);
	t_check(!ret && load == LOAD_LOADED && u.environment.n == 3, "a loads with drop-ins: %s", e.msg);
	if (!ret && u.environment.n == 3)
		t_check(!strcmp(u.environment.v[0], "X=usr") && !strcmp(u.environment.v[1], "Z=10-etc") &&
				!strcmp(u.environment.v[2], "Y=20"),
			"drop-ins in lexical order, etc/ hides usr/: %s %s %s", u.environment.v[0], u.environment.v[1],
			u.environment.v[2]);
	unit_free(&u);

	ret = unit_load(&d, "b.service", &u, &load, &e);
	t_check(!ret && load == LOAD_LOADED && !strcmp(u.exec_start.v[0].path, "/bin/b-etc"), "etc/ wins");
	unit_free(&u);
	ret = unit_load(&d, "c.service", &u, &load, &e);
	t_check(!ret && load == LOAD_MASKED, "symlink to /dev/null masks");
	unit_free(&u);
	ret = unit_load(&d, "d.service", &u, &load, &e);
	t_check(!ret && load == LOAD_MASKED, "empty file masks");
	unit_free(&u);
	ret = unit_load(&d, "nothere.service", &u, &load, &e);
	t_check(!ret && load == LOAD_NOT_FOUND, "not found");
	unit_free(&u);
	ret = unit_load(&d, "getty@tty1.service", &u, &load, &e);
	t_check(!ret && load == LOAD_LOADED && !strcmp(u.exec_start.v[0].argv.v[1], "tty1") &&
			!strcmp(u.description, "getty on tty1"),
		"instance from template + template drop-in: %s", e.msg);
	unit_free(&u);
	ret = unit_load(&d, "multi-user.target", &u, &load, &e);
	t_check(!ret && load == LOAD_LOADED && u.wants.n == 3 && strv_has(&u.wants, "a.service") &&
			strv_has(&u.wants, "b.service") && strv_has(&u.wants, "basic.target") && u.requires.n == 1,
		"built-in multi-user.target with .wants/, default.target.wants/, .requires/, basic.target: %s", e.msg);
	unit_free(&u);
	ret = unit_load(&d, "basic.target", &u, &load, &e);
	t_check(!ret && load == LOAD_LOADED && u.wants.n == 3 && strv_has(&u.wants, "sysinit.target") &&
			strv_has(&u.wants, "sockets.target") && strv_has(&u.wants, "timers.target"), "built-in basic.target wants sysinit.target, sockets.target and timers.target: %s", e.msg);
	unit_free(&u);
	ret = unit_load(&d, "network-online.target", &u, &load, &e);
	t_check(!ret && load == LOAD_LOADED, "built-in target");
	unit_free(&u);
	ret = unit_load(&d, "nothere.target", &u, &load, &e);
	t_check(!ret && load == LOAD_NOT_FOUND, "unknown target not found");
	unit_free(&u);

	ret = unit_load(&d, "alias.service", &u, &load, &e);
	t_check(ret == -ELOOP && strstr(e.msg, "etc/systemd/system/alias.service: a symlink"), "alias refused: %s", e.msg);
	ret = unit_load(&d, "bad.service", &u, &load, &e);
	t_check(ret == -EINVAL && strstr(e.msg, "/etc/systemd/system/bad.service:3: unknown directive Nope="),
		"bad unit names file and line: %s", e.msg);
	ret = unit_load(&d, "e.service", &u, &load, &e);
	t_check(ret == -EINVAL && strstr(e.msg, "/etc/systemd/system/e.service.d/x.conf:2: unknown directive"),
		"bad drop-in names file and line: %s", e.msg);
	ret = unit_load(&d, "f.service", &u, &load, &e);
	t_check(ret == -EINVAL && strstr(e.msg, "f.service.wants/not-a-unit: not a unit name"), "bad .wants entry: %s", e.msg);
	ret = unit_load(&d, "../x.service", &u, &load, &e);
	t_check(ret == -EINVAL, "path in a name refused");
	unit_dirs_close(&d);
	unit_dirs_close(&d);

	/* multi-user.target from a file wants basic.target too (systemd's chain), each name once */
	snprintf(root, sizeof(root), "%s/root-mu", t_tmpdir());
	put("usr/lib/systemd/system/multi-user.target", "[Unit]\nDescription=mu\nWants=sockets.target x.service\n");
	t_check(!unit_dirs_open(&d, root, &e), "open root-mu: %s", e.msg);
	ret = unit_load(&d, "multi-user.target", &u, &load, &e);
	t_check(!ret && load == LOAD_LOADED && u.wants.n == 3 && strv_has(&u.wants, "x.service") &&
			strv_has(&u.wants, "sockets.target") && strv_has(&u.wants, "basic.target") && !strcmp(u.description, "mu"),
		"multi-user.target with a file: %s", e.msg);
	unit_free(&u);
	unit_dirs_close(&d);

	/* a symlinked unit directory is not followed */
	char other[600], cmd[2000];
	snprintf(other, sizeof(other), "%s/root2", t_tmpdir());
	snprintf(cmd, sizeof(cmd), "mkdir -p %s/etc/systemd %s/elsewhere && ln -s ../../elsewhere %s/etc/systemd/system", other,
		other, other);
	if (system(cmd))
		abort();
	t_check(unit_dirs_open(&d, other, &e) == -ELOOP, "symlinked unit directory refused: %s", e.msg);
}
