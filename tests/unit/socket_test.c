/* socket_test.c — [Socket] settings of a .socket unit (core/init/socket_parse.c), with
 * systemd.socket(5)'s rules: a forged value next to each accepted one; the whole checked as
 * systemd's socket_verify() does; addresses shown as systemctl list-sockets shows them. */
#include "t.h"
#include "init/socket_parse.h"

#include <errno.h>
#include <netinet/in.h>
#include <string.h>
#include <sys/socket.h>

T_TEST(socket_settings)
{
	static const struct { const char *key, *value; int code; } cases[] = {
		{"ListenStream", "22", 0},
		{"ListenStream", "0", -EINVAL},
		{"ListenStream", "65536", -EINVAL},
		{"ListenStream", "127.0.0.1:8080", 0},
		{"ListenStream", "127.0.0.256:8080", -EINVAL},
		{"ListenStream", "127.0.0.1:", -EINVAL},
		{"ListenStream", "[::1]:443", 0},
		{"ListenStream", "[::1]443", -EINVAL},
		{"ListenStream", "[::g]:443", -EINVAL},
		{"ListenStream", "[fe80::1%eth0]:22", -ENOTSUP},
		{"ListenStream", "/run/a.sock", 0},
		{"ListenStream", "/run/../etc/a.sock", -EINVAL},
		{"ListenStream", "/run//a.sock", -EINVAL},
		{"ListenStream", "run/a.sock", -EINVAL},
		{"ListenStream", "/run/aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", -ENAMETOOLONG},
		{"ListenStream", "/run/aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", 0},
		{"ListenStream", "@ISCSIADM_ABSTRACT_NAMESPACE", 0},
		{"ListenStream", "@", -EINVAL},
		{"ListenStream", "vsock:2:1234", -ENOTSUP},
		{"ListenStream", "localhost:80", -EINVAL},
		{"ListenDatagram", "0.0.0.0:111", 0},
		{"ListenDatagram", "0.0.0.0:111:2", -EINVAL},
		{"ListenSequentialPacket", "/run/seq.sock", 0},
		{"ListenSequentialPacket", "127.0.0.1:9", -EINVAL},
		{"ListenFIFO", "/run/cloud-init/share/hook-hotplug-cmd", 0},
		{"ListenFIFO", "@fifo", -EINVAL},
		{"Accept", "yes", 0},
		{"Accept", "maybe", -EINVAL},
		{"BindIPv6Only", "ipv6-only", 0},
		{"BindIPv6Only", "ipv4-only", -EINVAL},
		{"Backlog", "128", 0},
		{"Backlog", "-1", -EINVAL},
		{"SocketMode", "0660", 0},
		{"SocketMode", "0668", -EINVAL},
		{"SocketMode", "rw-rw----", -EINVAL},
		{"DirectoryMode", "0750", 0},
		{"DirectoryMode", "10000", -EINVAL},
		{"SocketUser", "root", 0},
		{"SocketUser", "-root", -EINVAL},
		{"SocketGroup", "docker", 0},
		{"SocketGroup", "dock er", -EINVAL},
		{"Service", "ssh.service", 0},
		{"Service", "ssh@.service", -EINVAL},
		{"Service", "ssh.target", -EINVAL},
		{"FileDescriptorName", "varlink", 0},
		{"FileDescriptorName", "a:b", -EINVAL},
		{"MaxConnections", "10", 0},
		{"MaxConnections", "ten", -EINVAL},
		{"MaxConnectionsPerSource", "2", 0},
		{"KeepAlive", "yes", 0},
		{"KeepAlive", "often", -EINVAL},
		{"KeepAliveTimeSec", "2h", 0},
		{"KeepAliveTimeSec", "2 hours ago", -EINVAL},
		{"KeepAliveProbes", "9", 0},
		{"NoDelay", "true", 0},
		{"DeferAcceptSec", "30s", 0},
		{"Priority", "6", 0},
		{"Priority", "six", -EINVAL},
		{"ReceiveBuffer", "1M", 0},
		{"ReceiveBuffer", "1Q", -EINVAL},
		{"SendBuffer", "8G", -ERANGE},
		{"IPTOS", "low-delay", 0},
		{"IPTOS", "256", -ERANGE},
		{"IPTTL", "64", 0},
		{"IPTTL", "0", -ERANGE},
		{"Mark", "-1", 0},
		{"ReusePort", "yes", 0},
		{"FreeBind", "yes", 0},
		{"Transparent", "yes", 0},
		{"Broadcast", "no", 0},
		{"PassCredentials", "yes", 0},
		{"PassSecurity", "yes", 0},
		{"Timestamping", "ns", 0},
		{"Timestamping", "ps", -EINVAL},
		{"BindToDevice", "eth0", 0},
		{"BindToDevice", "eth0/1", -EINVAL},
		{"BindToDevice", "averyveryverylongname", -EINVAL},
		{"TCPCongestion", "bbr", 0},
		{"RemoveOnStop", "true", 0},
		{"Symlinks", "/run/a.link /var/run/b.link", 0},
		{"Symlinks", "relative.link", -EINVAL},
		{"PipeSize", "64K", 0},
		{"TriggerLimitIntervalSec", "5s", 0},
		{"TriggerLimitBurst", "10", 0},
		{"TimeoutSec", "30", 0},
		{"Writable", "no", 0},
		{"Writable", "yes", -ENOTSUP},
		{"FlushPending", "yes", -ENOTSUP},
		{"SELinuxContextFromNet", "yes", -ENOTSUP},
		{"ListenSpecial", "/dev/kmsg", -ENOTSUP},
		{"ListenNetlink", "kobject-uevent 1", -ENOTSUP},
		{"ListenMessageQueue", "/q", -ENOTSUP},
		{"ExecStartPre", "/bin/true", -ENOTSUP},
		{"SocketProtocol", "sctp", -ENOTSUP},
		{"SmackLabel", "x", -ENOTSUP},
		{"ExecStart", "/bin/true", -ENOENT},
		{"ListenStreams", "22", -ENOENT},
	};
	for (size_t i = 0; i < T_LEN(cases); i++) {
		struct unit_socket s;
		const char *why = NULL;
		socket_init(&s);
		int ret = socket_set(&s, cases[i].key, cases[i].value, &why);
		t_check(ret == cases[i].code && (!ret || (why && *why)), "case %zu: %s=%s: %d, want %d", i, cases[i].key,
			cases[i].value, ret, cases[i].code);
		socket_free(&s);
	}
}

T_TEST(socket_values)
{
	struct unit_socket s;
	const char *why;
	char out[128];
	socket_init(&s);
	t_check(s.backlog == 4096 && s.socket_mode == 0666 && s.directory_mode == 0755 && s.max_conn == 64 &&
			!s.accept && s.trigger_usec == 2000000, "defaults");
	t_check(!socket_set(&s, "ListenStream", "22", &why) && !socket_set(&s, "ListenDatagram", "10.1.2.3:53", &why) &&
			!socket_set(&s, "ListenStream", "[2001:db8::1]:80", &why) &&
			!socket_set(&s, "ListenFIFO", "/run/f", &why) && s.n == 4, "four addresses");
	t_check(s.v[0].family == AF_INET6 && s.v[0].any && s.v[0].port == 22 && s.v[0].type == SOCKL_STREAM, "a bare port");
	socket_listen_format(&s.v[0], out, sizeof(out));
	t_check(!strcmp(out, "[::]:22"), "shown as [::]:22: %s", out);
	socket_listen_format(&s.v[1], out, sizeof(out));
	t_check(!strcmp(out, "10.1.2.3:53") && s.v[1].type == SOCKL_DGRAM, "IPv4: %s", out);
	socket_listen_format(&s.v[2], out, sizeof(out));
	t_check(!strcmp(out, "[2001:db8::1]:80"), "IPv6: %s", out);
	t_check(!s.v[3].family && !strcmp(s.v[3].path, "/run/f") && !strcmp(socket_type_name(SOCKL_FIFO), "FIFO"), "FIFO");
	t_check(!socket_set(&s, "ListenStream", "", &why) && s.n == 0, "an empty Listen…= resets every address");
	t_check(!socket_set(&s, "SocketMode", "0600", &why) && s.socket_mode == 0600 &&
			!socket_set(&s, "SocketMode", "", &why) && s.socket_mode == 0666, "SocketMode= empty: 0666 again");
	t_check(!socket_set(&s, "NoDelay", "yes", &why) && !socket_set(&s, "NoDelay", "no", &why) && s.nopts == 1 &&
			s.opts[0].val == 0, "an option set twice is one entry, the last value");
	t_check(!socket_set(&s, "NoDelay", "", &why) && s.nopts == 0, "an empty option is unset");
	t_check(!socket_set(&s, "KeepAliveTimeSec", "1500ms", &why) && s.opts[0].val == 2, "seconds, rounded up");
	t_check(!socket_set(&s, "IPTOS", "throughput", &why) && s.opts[1].val == 0x08, "IPTOS by name");
	for (int i = 0; i < SOCK_LISTEN_MAX; i++)
		socket_set(&s, "ListenStream", "/run/x", &why);
	t_check(s.n == SOCK_LISTEN_MAX && socket_set(&s, "ListenStream", "/run/x", &why) == -E2BIG,
		"at most 32 addresses");
	socket_free(&s);
}

T_TEST(socket_check_whole)
{
	static const struct { const char *name, *lines, *service; int code; } cases[] = {
		{"ssh.socket", "ListenStream=22", "ssh.service", 0},
		{"ssh.socket", "", NULL, -EINVAL}, /* no Listen*= */
		{"ssh.socket", "ListenStream=22\nService=sshd.service", "sshd.service", 0},
		{"ssh.socket", "ListenStream=22\nAccept=yes", "", 0},
		{"ssh.socket", "ListenStream=22\nAccept=yes\nService=sshd.service", NULL, -EINVAL},
		{"ssh.socket", "ListenStream=22\nAccept=yes\nMaxConnections=0", NULL, -EINVAL},
		{"dns.socket", "ListenDatagram=53\nAccept=yes", NULL, -EINVAL},
		{"f.socket", "ListenFIFO=/run/f\nAccept=yes", NULL, -EINVAL},
		{"q.socket", "ListenSequentialPacket=/run/q\nAccept=yes", "", 0},
		{"l.socket", "ListenStream=/run/l\nSymlinks=/run/l2", "l.service", 0},
		{"l.socket", "ListenStream=22\nSymlinks=/run/l2", NULL, -EINVAL},
		{"l.socket", "ListenStream=/run/a\nListenFIFO=/run/b\nSymlinks=/run/l2", NULL, -EINVAL},
		{"a@x.socket", "ListenStream=/run/a", "a@x.service", 0},
		{"ssh.service", "ListenStream=22", NULL, -EINVAL},
	};
	for (size_t i = 0; i < T_LEN(cases); i++) {
		struct unit_socket s;
		char buf[256];
		const char *why = NULL;
		socket_init(&s);
		strcpy(buf, cases[i].lines);
		for (char *line = strtok(buf, "\n"); line; line = strtok(NULL, "\n")) {
			char *eq = strchr(line, '=');
			*eq = 0;
			t_check(!socket_set(&s, line, eq + 1, &why), "case %zu: %s: %s", i, line, why);
		}
		int ret = socket_check(&s, cases[i].name, &why);
		t_check(ret == cases[i].code && (!ret || why) && (ret || !strcmp(s.service, cases[i].service)),
			"case %zu: %d want %d (%s) service %s", i, ret, cases[i].code, ret ? why : "", s.service);
		t_check(ret || s.trigger_burst == (s.accept ? 200u : 20u), "case %zu: trigger limit default", i);
		socket_free(&s);
	}
}
