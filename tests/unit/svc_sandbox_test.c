/* svc_sandbox_test.c — the sandboxing directives as the unit parser reads them: every value form
 * systemd.exec(5) defines, merged the way it says, next to forged values that must be refused
 * (with the line and a reason), and the directives keel does not honour refused by name. */
#include "t.h"
#include "base/err.h"
#include "base/sandbox.h"
#include "init/devices.h"
#include "init/svc_sandbox.h"
#include "init/unit_parse.h"

#include <errno.h>
#include <sched.h>
#include <stdio.h>
#include <string.h>
#include <sys/mount.h>
#include <linux/capability.h>

/* Parse "[Service]\nExecStart=/bin/true\n" + lines into u; 0 or the error. */
static int parse(struct unit *u, const char *lines, struct kerr *e)
{
	char text[4096];
	snprintf(text, sizeof(text), "[Service]\nExecStart=/bin/true\n%s", lines);
	unit_init(u, "sb.service");
	memset(e, 0, sizeof(*e));
	return unit_parse(u, "t.service", text, strlen(text), e);
}

static int has(const struct unit_sandbox *sb, const char *call)
{
	int nr = sandbox_syscall_nr(call);
	return nr >= 0 && (sb->sc[nr / 64] >> (nr % 64) & 1);
}

T_TEST(sandbox_device_allow_reset)
{
	struct unit u;
	struct kerr e;
	int ret = parse(&u, "DeviceAllow=char-rtc r\nDeviceAllow=\nDeviceAllow=block-sd rw\nDevicePolicy=closed\n", &e);
	t_check(ret == 0 && u.sandbox.dev_allow.n == 1 && !strcmp(u.sandbox.dev_allow.v[0], "block-sd rw") && u.sandbox.dev_policy == DEV_CLOSED,
		"an empty DeviceAllow= resets the list: %zu", u.sandbox.dev_allow.n);
	unit_free(&u);
}

T_TEST(sandbox_values)
{
	static const struct { const char *lines, *err; } cases[] = {
		/* good values */
		{"NoNewPrivileges=yes\nPrivateTmp=true\nPrivateDevices=1\nPrivateNetwork=on\n", NULL},
		{"ProtectSystem=strict\nProtectHome=read-only\n", NULL},
		{"ProtectSystem=full\nProtectHome=tmpfs\nProtectProc=invisible\nProcSubset=pid\n", NULL},
		{"ProtectKernelTunables=yes\nProtectKernelModules=yes\nProtectKernelLogs=yes\nProtectControlGroups=yes\n", NULL},
		{"ProtectClock=yes\nProtectHostname=yes\nRestrictRealtime=yes\nRestrictSUIDSGID=yes\n", NULL},
		{"LockPersonality=yes\nMemoryDenyWriteExecute=yes\nPrivateIPC=yes\nPrivateMounts=yes\n", NULL},
		{"RestrictNamespaces=yes\nRestrictNamespaces=~user net\nRestrictAddressFamilies=none\n", NULL},
		{"RestrictAddressFamilies=AF_UNIX AF_INET AF_INET6 AF_NETLINK\n", NULL},
		{"CapabilityBoundingSet=CAP_NET_BIND_SERVICE cap_chown\nAmbientCapabilities=~CAP_SYS_ADMIN\n", NULL},
		{"ReadOnlyPaths=/ -/nope +/x -+/y\nReadWritePaths=/var \"/with space\"\nInaccessiblePaths=/home\n", NULL},
		{"BindPaths=/a:/b:norbind -/c /d:/e:rbind\nBindReadOnlyPaths=/etc/resolv.conf\n", NULL},
		{"TemporaryFileSystem=/var:ro,size=10%%,mode=0700 /srv\n", NULL},
		{"UMask=0077\nRuntimeDirectory=foo/bar baz foo:link\nRuntimeDirectoryMode=0700\n", NULL},
		{"StateDirectory=%N\nCacheDirectory=c\nLogsDirectory=l\nConfigurationDirectory=cfg\n", NULL},
		{"RuntimeDirectoryPreserve=yes\nStateDirectoryMode=0750\n", NULL},
		{"RuntimeDirectoryPreserve=restart\nRuntimeDirectory=irqbalance/\n", NULL},
		{"RuntimeDirectory=a//\n", NULL},
		{"SystemCallFilter=@system-service\nSystemCallFilter=~@privileged @resources\n", NULL},
		{"SystemCallFilter=~@mount:EPERM reboot:kill swapon:ENOSYS\nSystemCallErrorNumber=EUCLEAN\n", NULL},
		{"SystemCallArchitectures=native x86\nSystemCallErrorNumber=kill\n", NULL},
		{"ProtectSystem=\nSystemCallFilter=\nCapabilityBoundingSet=\nReadOnlyPaths=\n", NULL},
		/* forged values next to them */
		{"NoNewPrivileges=maybe\n", "t.service:3: NoNewPrivileges=: "},
		{"ProtectSystem=everything\n", "t.service:3: ProtectSystem=: expected a boolean, full or strict"},
		{"ProtectHome=tmp\n", "ProtectHome=: expected a boolean, read-only or tmpfs"},
		{"ProtectProc=hidden\n", "ProtectProc=: expected noaccess"},
		{"ProcSubset=some\n", "ProcSubset=: expected all or pid"},
		{"RestrictNamespaces=mnt bogus\n", "not a namespace type"},
		{"RestrictAddressFamilies=AF_BOGUS\n", "unknown address family"},
		{"RestrictAddressFamilies=UNIX\n", "unknown address family"},
		{"CapabilityBoundingSet=CAP_NOPE\n", "unknown capability"},
		{"CapabilityBoundingSet=NET_ADMIN\n", "unknown capability"},
		{"ReadOnlyPaths=relative\n", "not an absolute, normalized path"},
		{"ReadWritePaths=/a/../etc\n", "not an absolute, normalized path"},
		{"InaccessiblePaths=/a/./b\n", "not an absolute, normalized path"},
		{"BindPaths=/a:rel\n", "not an absolute, normalized path"},
		{"BindPaths=/a:/b:shared\n", "bind options are rbind or norbind"},
		{"TemporaryFileSystem=/x:exotic=1\n", "unknown tmpfs option"},
		{"UMask=0800\n", "expected an octal mode up to 0777"},
		{"UMask=abc\n", "expected an octal mode"},
		{"RuntimeDirectory=/abs\n", "not a relative directory name"},
		{"StateDirectory=a/../b\n", "not a relative directory name"},
		{"ConfigurationDirectory=a:b\n", "not a relative directory name"},
		{"LogsDirectoryMode=99\n", "expected an octal mode up to 07777"},
		{"RuntimeDirectoryPreserve=sometimes\n", "RuntimeDirectoryPreserve="},
		{"SystemCallFilter=@nonexistent\n", "unknown system call group"},
		{"SystemCallFilter=@known\n", "unknown system call group"},
		{"SystemCallFilter=~not_a_call\n", "libseccomp does not know"},
		{"SystemCallFilter=read:EPERM\n", "':errno' only follows denied calls"},
		{"SystemCallFilter=~read:EBOGUS\n", "unknown errno"},
		{"SystemCallErrorNumber=0\n", "expected an errno name"},
		{"SystemCallErrorNumber=5000\n", "expected an errno name"},
		{"SystemCallArchitectures=arm64\n", "not an architecture of this host"},
		{"StateDirectory=%Z\n", "StateDirectory=: unknown %-specifier"},
		/* not honoured: refused by name, with the reason */
		{"DynamicUser=yes\n", "t.service:3: DynamicUser= is not supported: no dynamic users"},
		{"IPAddressDeny=any\n", "IPAddressDeny= is not supported: needs a cgroup BPF program"},
		{"PrivateUsers=yes\n", "PrivateUsers= is not supported"},
		{"RootDirectory=/srv\n", "RootDirectory= is not supported"},
		/* DevicePolicy=, DeviceAllow= (devices_test.c runs the program): chrony.service of Debian 12 */
		{"DeviceAllow=char-pps rw\nDeviceAllow=char-ptp rw\nDeviceAllow=char-rtc rw\nDevicePolicy=closed\n", NULL},
		{"DevicePolicy=strict\nDeviceAllow=/dev/null\n", NULL},
		{"DevicePolicy=auto\nDeviceAllow=block-loop rwm\nDeviceAllow=\n", NULL},
		{"DevicePolicy=\n", NULL},
		{"DevicePolicy=open\n", "t.service:3: DevicePolicy=: expected auto, closed or strict"},
		{"DeviceAllow=/dev/null rx\n", "DeviceAllow=: access is a combination of r, w and m"},
		{"DeviceAllow=/etc/passwd r\n", "DeviceAllow=: expected a path below /dev, char-NAME or block-NAME"},
		{"DeviceAllow=char- r\n", "expected a path below /dev"},
		{"DeviceAllow=tty r\n", "expected a path below /dev"},
		{"DeviceAllow=/dev/../mnt/x r\n", "expected a path below /dev"},
		{"DeviceAllow=/dev/./null\n", "expected a path below /dev"},
		{"DeviceAllow=/dev/disk/..\n", "expected a path below /dev"},
		{"DeviceAllow=/dev/..hidden r\n", NULL},
		{"SystemCallLog=@mount\n", "SystemCallLog= is not supported"},
		{"NoExecPaths=/\n", "NoExecPaths= is not supported"},
	};
	for (size_t i = 0; i < T_LEN(cases); i++) {
		struct unit u;
		struct kerr e;
		int ret = parse(&u, cases[i].lines, &e);
		if (!cases[i].err)
			t_check(ret == 0, "case %zu accepted: %s", i, e.msg);
		else
			t_check(ret == -EINVAL && strstr(e.msg, cases[i].err), "case %zu refused (%s): %s", i, cases[i].err, e.msg);
		unit_free(&u);
	}
}

/* The directives in [Unit] are not sandbox directives: the parser's own message. */
T_TEST(sandbox_section)
{
	struct unit u = {0};
	struct kerr e = {0};
	unit_init(&u, "sb.service");
	const char *text = "[Unit]\nProtectSystem=strict\n[Service]\nExecStart=/bin/true\n";
	t_check(unit_parse(&u, "t.service", text, strlen(text), &e) == -EINVAL && strstr(e.msg, "t.service:2:"),
		"ProtectSystem= in [Unit] refused: %s", e.msg);
	unit_free(&u);
}

/* The merge rules, each from its example in systemd.exec(5). */
T_TEST(sandbox_merging)
{
	struct unit u = {0};
	struct kerr e;
	uint64_t A = 1ull << CAP_CHOWN, B = 1ull << CAP_KILL, C = 1ull << CAP_SYSLOG;
	/* "CapabilityBoundingSet=CAP_A CAP_B / CapabilityBoundingSet=CAP_B CAP_C then CAP_A, CAP_B, and CAP_C are set" */
	t_check(!parse(&u, "CapabilityBoundingSet=CAP_CHOWN CAP_KILL\nCapabilityBoundingSet=CAP_KILL CAP_SYSLOG\n", &e) &&
		u.sandbox.bset_set && u.sandbox.bset == (A | B | C), "bounding set OR: %llx", (unsigned long long)u.sandbox.bset);
	unit_free(&u);
	/* "If the second line is prefixed with "~" … then, only CAP_A is set." */
	t_check(!parse(&u, "CapabilityBoundingSet=CAP_CHOWN CAP_KILL\nCapabilityBoundingSet=~CAP_KILL CAP_SYSLOG\n", &e) &&
		u.sandbox.bset == A, "bounding set AND NOT: %llx", (unsigned long long)u.sandbox.bset);
	unit_free(&u);
	/* "If the empty string is assigned … reset to the empty capability set"; "~" alone: the full set */
	t_check(!parse(&u, "CapabilityBoundingSet=CAP_CHOWN\nCapabilityBoundingSet=\n", &e) && u.sandbox.bset_set &&
		!u.sandbox.bset, "empty: nothing kept");
	unit_free(&u);
	t_check(!parse(&u, "CapabilityBoundingSet=CAP_CHOWN\nCapabilityBoundingSet=~\n", &e) && !u.sandbox.bset_set,
		"~ alone: no restriction");
	unit_free(&u);
	/* "RestrictNamespaces=cgroup ipc / RestrictNamespaces=cgroup net then cgroup, ipc, and net are set" */
	t_check(!parse(&u, "RestrictNamespaces=cgroup ipc\nRestrictNamespaces=cgroup net\n", &e) && u.sandbox.ns_set &&
		u.sandbox.ns_allowed == (uint64_t)(CLONE_NEWCGROUP | CLONE_NEWIPC | CLONE_NEWNET), "namespaces OR");
	unit_free(&u);
	/* "If the second line is prefixed with "~" … then, only ipc is set." */
	t_check(!parse(&u, "RestrictNamespaces=cgroup ipc\nRestrictNamespaces=~cgroup net\n", &e) &&
		u.sandbox.ns_allowed == (uint64_t)CLONE_NEWIPC, "namespaces AND NOT");
	unit_free(&u);
	t_check(!parse(&u, "RestrictNamespaces=yes\n", &e) && u.sandbox.ns_set && !u.sandbox.ns_allowed, "yes: none allowed");
	unit_free(&u);
	t_check(!parse(&u, "RestrictNamespaces=yes\nRestrictNamespaces=no\n", &e) && !u.sandbox.ns_set, "no: unrestricted");
	unit_free(&u);
	/* "if you have started with an allow list rule for read() and write(), and right after it add a
	 * deny list rule for write(), then write() will be removed from the set" */
	t_check(!parse(&u, "SystemCallFilter=read write\nSystemCallFilter=~write\n", &e) && u.sandbox.sc_mode == 1 &&
		has(&u.sandbox, "read") && !has(&u.sandbox, "write") && has(&u.sandbox, "execve"),
		"allow-list: write removed, @default (execve) implied");
	unit_free(&u);
	t_check(!parse(&u, "SystemCallFilter=~@mount\nSystemCallFilter=umount2\n", &e) && u.sandbox.sc_mode == 2 &&
		has(&u.sandbox, "mount") && !has(&u.sandbox, "umount2") && !has(&u.sandbox, "execve"),
		"deny-list: umount2 taken out again, nothing implied");
	unit_free(&u);
	t_check(!parse(&u, "SystemCallFilter=@system-service\n", &e) && has(&u.sandbox, "io_uring_setup") &&
		has(&u.sandbox, "setuid") && !has(&u.sandbox, "mount") && !has(&u.sandbox, "reboot"),
		"@system-service: nested groups in, @mount and @reboot out");
	unit_free(&u);
	t_check(!parse(&u, "SystemCallFilter=~@mount:EPERM\n", &e) && u.sandbox.nsc_err >= 1 &&
		u.sandbox.sc_err[0].err == EPERM, "deny-list errno kept per call");
	unit_free(&u);
	/* RestrictAddressFamilies=: first line decides, "~" later removes from an allow-list */
	t_check(!parse(&u, "RestrictAddressFamilies=AF_UNIX AF_INET\nRestrictAddressFamilies=~AF_INET\n", &e) &&
		u.sandbox.af_mode == 1 && u.sandbox.af == 1ull << 1, "families: AF_INET taken out");
	unit_free(&u);
	t_check(!parse(&u, "RestrictAddressFamilies=none\n", &e) && u.sandbox.af_mode == 1 && !u.sandbox.af,
		"none: an empty allow-list");
	unit_free(&u);
	/* paths: an empty assignment resets only its own directive */
	t_check(!parse(&u, "ReadOnlyPaths=/a /b\nInaccessiblePaths=/c\nReadOnlyPaths=\n", &e) && u.sandbox.npaths == 1 &&
		!strcmp(u.sandbox.paths[0].path, "/c"), "ReadOnlyPaths= reset keeps InaccessiblePaths=");
	unit_free(&u);
	t_check(!parse(&u, "BindPaths=-/src:/dst:norbind\n", &e) && u.sandbox.npaths == 1 && u.sandbox.paths[0].optional &&
		u.sandbox.paths[0].norbind && !strcmp(u.sandbox.paths[0].src, "/src") && !strcmp(u.sandbox.paths[0].path, "/dst"),
		"BindPaths= source, destination, options");
	unit_free(&u);
	t_check(!parse(&u, "TemporaryFileSystem=/var:ro\n", &e) && u.sandbox.npaths == 1 &&
		(u.sandbox.paths[0].flags & MS_RDONLY) && (u.sandbox.paths[0].flags & MS_NODEV) &&
		!strcmp(u.sandbox.paths[0].opts, "mode=0755"), "tmpfs defaults nodev,strictatime,mode=0755: %s",
		u.sandbox.npaths ? u.sandbox.paths[0].opts : "");
	unit_free(&u);
	t_check(!parse(&u, "StateDirectory=%N x\nStateDirectory=x\n", &e) && u.sandbox.dirs[SB_STATE].n == 2 &&
		!strcmp(u.sandbox.dirs[SB_STATE].v[0], "sb"), "specifiers expanded, duplicates once");
	unit_free(&u);
}

/* RUNTIME_DIRECTORY= and the others: full paths joined by ':', without the ":symlink" part. */
T_TEST(sandbox_env)
{
	struct unit u = {0};
	struct kerr e;
	struct strv env = {0};
	t_check(!parse(&u, "RuntimeDirectory=foo/bar baz:link\nStateDirectory=aaa/bbb ccc\n", &e) &&
		!unit_sandbox_env(&u.sandbox, &env) && env.n == 2 && !strcmp(env.v[0], "RUNTIME_DIRECTORY=/run/foo/bar:/run/baz") &&
		!strcmp(env.v[1], "STATE_DIRECTORY=/var/lib/aaa/bbb:/var/lib/ccc"), "directory variables: %s",
		env.n ? env.v[0] : "none");
	strv_clear(&env);
	unit_free(&u);
	t_check(!parse(&u, "", &e) && !unit_sandbox_env(&u.sandbox, &env) && env.n == 0, "none without directories");
	unit_free(&u);
}
