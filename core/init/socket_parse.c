/* socket_parse.c — [Socket] settings of a .socket unit (see socket_parse.h). */
#include "init/socket_parse.h"
#include "base/buf.h"
#include "base/err.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/ip.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

static int fail(const char **why, const char *msg, int code)
{
	*why = msg;
	return code;
}

void socket_init(struct unit_socket *s)
{
	memset(s, 0, sizeof(*s));
	s->backlog = 4096;
	s->socket_mode = 0666;
	s->directory_mode = 0755;
	s->max_conn = 64;
	s->trigger_usec = 2000000;
}

void socket_free(struct unit_socket *s)
{
	free(s->v);
	free(s->user);
	free(s->group);
	free(s->bind_device);
	free(s->congestion);
	strv_clear(&s->symlinks);
	memset(s, 0, sizeof(*s));
}

enum { K_BOOL, K_SEC, K_UINT, K_BYTES, K_INT, K_TOS, K_TTL, K_STAMP };

/* Socket options set with setsockopt(2) as the value says (bools only when true, as systemd). */
static const struct sock_opt_def opt_defs[] = {
	{"KeepAlive", K_BOOL, 0, SOL_SOCKET, SO_KEEPALIVE},
	{"KeepAliveTimeSec", K_SEC, 2, IPPROTO_TCP, TCP_KEEPIDLE},
	{"KeepAliveIntervalSec", K_SEC, 2, IPPROTO_TCP, TCP_KEEPINTVL},
	{"KeepAliveProbes", K_UINT, 2, IPPROTO_TCP, TCP_KEEPCNT},
	{"NoDelay", K_BOOL, 2, IPPROTO_TCP, TCP_NODELAY},
	{"DeferAcceptSec", K_SEC, 2, IPPROTO_TCP, TCP_DEFER_ACCEPT},
	{"Priority", K_INT, 0, SOL_SOCKET, SO_PRIORITY},
	{"ReceiveBuffer", K_BYTES, 0, SOL_SOCKET, SO_RCVBUF},
	{"SendBuffer", K_BYTES, 0, SOL_SOCKET, SO_SNDBUF},
	{"Mark", K_INT, 0, SOL_SOCKET, SO_MARK},
	{"ReusePort", K_BOOL, 0, SOL_SOCKET, SO_REUSEPORT},
	{"Broadcast", K_BOOL, 0, SOL_SOCKET, SO_BROADCAST},
	{"PassCredentials", K_BOOL, 0, SOL_SOCKET, SO_PASSCRED},
	{"PassSecurity", K_BOOL, 0, SOL_SOCKET, SO_PASSSEC},
	{"Timestamping", K_STAMP, 0, SOL_SOCKET, SO_TIMESTAMP},
	{"IPTOS", K_TOS, 1, IPPROTO_IP, IP_TOS},
	{"IPTTL", K_TTL, 1, IPPROTO_IP, IP_TTL},
	{"FreeBind", K_BOOL, 1, IPPROTO_IP, IP_FREEBIND},
	{"Transparent", K_BOOL, 1, IPPROTO_IP, IP_TRANSPARENT},
};
#define NOPTS (sizeof(opt_defs) / sizeof(opt_defs[0]))

const struct sock_opt_def *socket_opt_def(unsigned id) { return id < NOPTS ? &opt_defs[id] : NULL; }

/* Directives systemd has that keel does not run, and why (README: "refused, and why"). */
static const struct { char key[24]; const char *why; } refused[] = {
	{"ListenSpecial", "keel opens no special files for services"},
	{"ListenNetlink", "keel passes no netlink sockets"},
	{"ListenMessageQueue", "keel passes no POSIX message queues"},
	{"ListenUSBFunction", "keel has no USB FunctionFS support"},
	{"SocketProtocol", "only TCP and UDP (no SCTP or UDP-Lite)"},
	{"ExecStartPre", "keel runs no commands for socket units"},
	{"ExecStartPost", "keel runs no commands for socket units"},
	{"ExecStopPre", "keel runs no commands for socket units"},
	{"ExecStopPost", "keel runs no commands for socket units"},
	{"SmackLabel", "keel has no SMACK support"},
	{"SmackLabelIPIn", "keel has no SMACK support"},
	{"SmackLabelIPOut", "keel has no SMACK support"},
	{"MessageQueueMaxMessages", "keel passes no POSIX message queues"},
	{"MessageQueueMessageSize", "keel passes no POSIX message queues"},
	{"PassPacketInfo", "not supported"},
};

/* A "no" keel honours by doing nothing; "yes" is refused. */
static const struct { char key[24]; const char *why; } no_only[] = {
	{"Writable", "only for ListenSpecial=, which keel refuses"},
	{"FlushPending", "keel does not flush a socket's queue"},
	{"SELinuxContextFromNet", "keel has no SELinux support"},
};

static int parse_port(const char *p, uint16_t *port, const char **why)
{
	uint64_t v;
	if (uv_uint(p, 1, 65535, false, &v, why))
		return fail(why, "not a port (1-65535)", -EINVAL);
	*port = (uint16_t)v;
	return 0;
}

/* One listen address for type t into l. */
static int parse_listen(enum sock_type t, const char *v, struct sock_listen *l, const char **why)
{
	size_t n = strlen(v);
	char host[64];
	memset(l, 0, sizeof(*l));
	l->type = (uint8_t)t;
	if (t == SOCKL_FIFO || v[0] == '/' || v[0] == '@') {
		if (v[0] != '/' && (t == SOCKL_FIFO || n < 2))
			return fail(why, t == SOCKL_FIFO ? "not an absolute path" : "empty abstract socket name", -EINVAL);
		if (n >= SOCK_PATH_MAX)
			return fail(why, "path longer than 107 bytes", -ENAMETOOLONG);
		if (v[0] == '/' && (strstr(v, "/../") || strstr(v, "/./") || str_ends(v, "/..") || str_ends(v, "/.") ||
				     str_ends(v, "/") || strstr(v, "//")))
			return fail(why, "not a normalized path", -EINVAL);
		memcpy(l->path, v, n + 1);
		l->family = t == SOCKL_FIFO ? 0 : AF_UNIX;
		return 0;
	}
	if (!strncmp(v, "vsock:", 6))
		return fail(why, "AF_VSOCK addresses are not supported", -ENOTSUP);
	if (t == SOCKL_SEQPACKET)
		return fail(why, "sequential-packet sockets are AF_UNIX only (a /path or @name)", -EINVAL);
	if (strchr(v, '%'))
		return fail(why, "interface scopes (%IFACE) are not supported; use BindToDevice=", -ENOTSUP);
	if (v[0] == '[') {
		const char *rb = strchr(v, ']');
		if (!rb || rb[1] != ':' || (size_t)(rb - v - 1) >= sizeof(host))
			return fail(why, "expected [IPV6]:PORT", -EINVAL);
		memcpy(host, v + 1, (size_t)(rb - v - 1));
		host[rb - v - 1] = 0;
		if (inet_pton(AF_INET6, host, l->addr) != 1)
			return fail(why, "not an IPv6 address", -EINVAL);
		l->family = AF_INET6;
		return parse_port(rb + 2, &l->port, why);
	}
	const char *colon = strrchr(v, ':');
	if (!colon) {
		l->family = AF_INET6;
		l->any = true;
		return parse_port(v, &l->port, why);
	}
	if ((size_t)(colon - v) >= sizeof(host))
		return fail(why, "expected A.B.C.D:PORT", -EINVAL);
	memcpy(host, v, (size_t)(colon - v));
	host[colon - v] = 0;
	if (inet_pton(AF_INET, host, l->addr) != 1)
		return fail(why, "expected A.B.C.D:PORT, [IPV6]:PORT, PORT, /path or @name", -EINVAL);
	l->family = AF_INET;
	return parse_port(colon + 1, &l->port, why);
}

static int set_opt(struct unit_socket *s, unsigned id, const char *v, const char **why)
{
	static const char tos[] = "low-delay\0throughput\0reliability\0low-cost\0";
	static const uint8_t tos_val[] = {IPTOS_LOWDELAY, IPTOS_THROUGHPUT, IPTOS_RELIABILITY, IPTOS_MINCOST};
	static const char stamps[] = "off\0us\0usec\0µs\0ns\0nsec\0";
	uint64_t u = 0;
	bool b = false;
	int ret = 0, val = 0;
	size_t k;
	for (k = 0; k < s->nopts && s->opts[k].id != id; k++)
		;
	if (!*v) { /* the default: not set */
		if (k < s->nopts)
			s->opts[k] = s->opts[--s->nopts];
		return 0;
	}
	switch (opt_defs[id].kind) {
	case K_BOOL:
		ret = uv_bool(v, &b, why);
		val = b;
		break;
	case K_SEC:
		if (!(ret = uv_timespan(v, &u, why)) && u / 1000000 > INT32_MAX)
			return fail(why, "too long", -ERANGE);
		val = (int)((u + 999999) / 1000000); /* whole seconds, rounded up */
		break;
	case K_UINT:
	case K_TTL:
		ret = uv_uint(v, opt_defs[id].kind == K_TTL, opt_defs[id].kind == K_TTL ? 255 : INT32_MAX, false, &u, why);
		val = (int)u;
		break;
	case K_BYTES:
		if (!(ret = uv_bytes(v, &u, why)) && u > INT32_MAX)
			return fail(why, "too large", -ERANGE);
		val = (int)u;
		break;
	case K_INT: {
		bool neg = v[0] == '-';
		if (!(ret = uv_uint(v + neg, 0, (uint64_t)INT32_MAX + neg, false, &u, why)))
			val = neg ? (int)-(int64_t)u : (int)u;
		break;
	}
	case K_TOS:
		if ((ret = uv_word_index(tos, v, false)) >= 0) {
			val = tos_val[ret];
			ret = 0;
		} else {
			ret = uv_uint(v, 0, 255, false, &u, why);
			val = (int)u;
		}
		break;
	default: /* K_STAMP: 0 off, 1 µs, 2 ns */
		if ((ret = uv_word_index(stamps, v, false)) < 0)
			return fail(why, "expected off, us or ns", -EINVAL);
		val = ret ? (ret < 4 ? 1 : 2) : 0;
		ret = 0;
		break;
	}
	if (ret)
		return ret;
	if (k == s->nopts)
		s->nopts++; /* the table has fewer entries than SOCK_OPTS_MAX */
	s->opts[k] = (struct sock_opt){(uint8_t)id, val};
	return 0;
}

static int set_str(char **dst, const char *v, const char **why)
{
	char *c = NULL;
	if (*v && !(c = strdup(v)))
		return fail(why, "out of memory", -ENOMEM);
	free(*dst);
	*dst = c;
	return 0;
}

/* User and group names as systemd accepts them (valid_user_group_name, relaxed) or numeric ids. */
static bool id_ok(const char *s)
{
	size_t n = strlen(s);
	if (!n || n > 256 || s[0] == '-')
		return false;
	for (size_t i = 0; i < n; i++)
		if (!((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= 'A' && s[i] <= 'Z') || (s[i] >= '0' && s[i] <= '9') ||
			    s[i] == '_' || s[i] == '-' || s[i] == '.'))
			return false;
	return true;
}

static int set_mode(mode_t *m, const char *v, mode_t def, const char **why)
{
	char *end;
	if (!*v) {
		*m = def;
		return 0;
	}
	unsigned long x = strtoul(v, &end, 8);
	if (*end || v[0] < '0' || v[0] > '7' || x > 07777)
		return fail(why, "expected an octal mode such as 0660", -EINVAL);
	*m = (mode_t)x;
	return 0;
}

/* The [Socket] directives that are not socket options, in the order of the switch below. */
static const char keys[] =
	"ListenStream\0ListenDatagram\0ListenSequentialPacket\0ListenFIFO\0Accept\0RemoveOnStop\0BindIPv6Only\0"
	"SocketMode\0DirectoryMode\0SocketUser\0SocketGroup\0BindToDevice\0TCPCongestion\0Service\0"
	"FileDescriptorName\0Backlog\0MaxConnections\0MaxConnectionsPerSource\0TriggerLimitBurst\0PipeSize\0"
	"TriggerLimitIntervalSec\0Symlinks\0TimeoutSec\0";
enum { KS_LISTEN_FIFO = 3, KS_ACCEPT, KS_REMOVE, KS_V6ONLY, KS_MODE, KS_DIRMODE, KS_USER, KS_GROUP, KS_DEVICE,
	KS_CONGESTION, KS_SERVICE, KS_FDNAME, KS_BACKLOG, KS_MAXCONN, KS_PERSOURCE, KS_BURST, KS_PIPE, KS_INTERVAL,
	KS_SYMLINKS, KS_TIMEOUT };

/* A name of at most max bytes of printable ASCII without bad (and, for max 15, no '/'). */
static int set_name(char **dst, const char *v, size_t max, const char *bad, const char **why)
{
	size_t n = strlen(v);
	for (size_t k = 0; k < n; k++)
		if (v[k] <= ' ' || v[k] >= 0x7f || strchr(bad, v[k]))
			return fail(why, "not a valid name", -EINVAL);
	if (n > max)
		return fail(why, "name too long", -EINVAL);
	return set_str(dst, v, why);
}

int socket_set(struct unit_socket *s, const char *key, const char *v, const char **why)
{
	uint64_t u = 0;
	bool b = false;
	int ret = 0, i = uv_word_index(keys, key, false);
	for (unsigned k = 0; i < 0 && k < NOPTS; k++)
		if (!strcmp(key, opt_defs[k].key))
			return set_opt(s, k, v, why);
	switch (i) {
	case KS_ACCEPT:
	case KS_REMOVE:
		if (*v && (ret = uv_bool(v, &b, why)))
			return ret;
		*(i == KS_ACCEPT ? &s->accept : &s->remove_on_stop) = b;
		return 0;
	case KS_V6ONLY:
		if ((i = uv_word_index("default\0both\0ipv6-only\0", v, false)) < 0 && *v)
			return fail(why, "expected default, both or ipv6-only", -EINVAL);
		s->ipv6_only = (uint8_t)(i < 0 ? 0 : i);
		return 0;
	case KS_MODE:
		return set_mode(&s->socket_mode, v, 0666, why);
	case KS_DIRMODE:
		return set_mode(&s->directory_mode, v, 0755, why);
	case KS_USER:
	case KS_GROUP:
		if (*v && !id_ok(v))
			return fail(why, "not a valid user or group name", -EINVAL);
		return set_str(i == KS_USER ? &s->user : &s->group, v, why);
	case KS_DEVICE: /* "*": none, as systemd */
		return set_name(&s->bind_device, strcmp(v, "*") ? v : "", 15, "/:", why);
	case KS_CONGESTION:
		return set_name(&s->congestion, v, 15, "/:", why);
	case KS_SERVICE: {
		const char *sfx = unit_name_suffix(v);
		if (*v && (!sfx || strcmp(sfx, ".service") || unit_name_is_template(v)))
			return fail(why, "not a valid service name (NAME.service, no template)", -EINVAL);
		memcpy(s->service, v, strlen(v) + 1);
		return 0;
	}
	case KS_FDNAME: /* sd_listen_fds_with_names(3): printable ASCII, no ':' */
		for (size_t k = 0; v[k]; k++)
			if (v[k] < 0x20 || v[k] > 0x7e || v[k] == ':' || k == 255)
				return fail(why, "at most 255 bytes of printable ASCII without ':'", -EINVAL);
		memcpy(s->fdname, v, strlen(v) + 1);
		return 0;
	case KS_BACKLOG:
	case KS_MAXCONN:
	case KS_PERSOURCE:
	case KS_BURST:
	case KS_PIPE:
		if (*v && (ret = i == KS_PIPE ? uv_bytes(v, &u, why) : uv_uint(v, 0, INT32_MAX, false, &u, why)))
			return ret;
		if (u > INT32_MAX)
			return fail(why, "too large", -ERANGE);
		if (i == KS_BACKLOG)
			s->backlog = *v ? (int)u : 4096;
		else if (i == KS_PIPE)
			s->pipe_size = (int)u;
		else if (i == KS_BURST)
			s->trigger_burst = (unsigned)u, s->trigger_burst_set = *v;
		else if (i == KS_MAXCONN)
			s->max_conn = *v ? (unsigned)u : 64;
		else
			s->max_per_source = (unsigned)u;
		return 0;
	case KS_INTERVAL:
		u = 2000000;
		if (*v && (ret = uv_timespan(v, &u, why)))
			return ret;
		s->trigger_usec = u == UV_INFINITY ? 0 : u;
		return 0;
	case KS_SYMLINKS: {
		struct strv w = {0};
		if (!*v)
			strv_clear(&s->symlinks);
		else if (!(ret = uv_words(v, false, &w, why)))
			for (size_t k = 0; k < w.n && !ret; k++) {
				if (w.v[k][0] != '/' || strlen(w.v[k]) > 4095 || strstr(w.v[k], "/../") || str_ends(w.v[k], "/.."))
					ret = fail(why, "not an absolute, normalized path", -EINVAL);
				else if ((ret = strv_push(&s->symlinks, w.v[k])))
					*why = ret == -E2BIG ? "too many entries" : "out of memory";
			}
		strv_clear(&w);
		return ret;
	}
	case KS_TIMEOUT: /* the time for Exec*= commands, which keel refuses */
		return *v ? uv_timespan(v, &u, why) : 0;
	case -1:
		break;
	default: { /* Listen…= */
		struct sock_listen l;
		if (!*v) { /* systemd: an empty Listen…= resets every listen address */
			free(s->v);
			s->v = NULL;
			s->n = 0;
			return 0;
		}
		if (s->n >= SOCK_LISTEN_MAX)
			return fail(why, "too many listen addresses (at most 32)", -E2BIG);
		if ((ret = parse_listen((enum sock_type)i, v, &l, why)))
			return ret;
		struct sock_listen *n = realloc(s->v, (s->n + 1) * sizeof(*n));
		if (!n)
			return fail(why, "out of memory", -ENOMEM);
		s->v = n;
		s->v[s->n++] = l;
		return 0;
	}
	}
	for (size_t k = 0; k < sizeof(no_only) / sizeof(no_only[0]); k++)
		if (!strcmp(key, no_only[k].key)) {
			if (*v && (ret = uv_bool(v, &b, why)))
				return ret;
			return b ? fail(why, no_only[k].why, -ENOTSUP) : 0;
		}
	for (size_t k = 0; k < sizeof(refused) / sizeof(refused[0]); k++)
		if (!strcmp(key, refused[k].key))
			return fail(why, refused[k].why, -ENOTSUP);
	return fail(why, "not a [Socket] setting", -ENOENT);
}

int socket_check(struct unit_socket *s, const char *name, const char **why)
{
	size_t n = strlen(name), files = 0;
	if (n <= 7 || n > UNIT_NAME_MAX || strcmp(name + n - 7, ".socket"))
		return fail(why, "not a NAME.socket unit name", -EINVAL);
	if (!s->n)
		return fail(why, "no Listen setting (ListenStream=, ListenDatagram=, ListenFIFO=, …)", -EINVAL);
	for (size_t i = 0; i < s->n; i++) {
		if (s->accept && s->v[i].type != SOCKL_STREAM && s->v[i].type != SOCKL_SEQPACKET)
			return fail(why, "Accept=yes needs stream or sequential-packet sockets", -EINVAL);
		files += s->v[i].path[0] == '/';
	}
	if (s->accept && !s->max_conn)
		return fail(why, "MaxConnections= must be at least 1", -EINVAL);
	if (s->accept && s->service[0])
		return fail(why, "Service= cannot be used with Accept=yes (the service is NAME@.service)", -EINVAL);
	if (s->symlinks.n && files != 1)
		return fail(why, "Symlinks= needs exactly one socket or FIFO in the file system", -EINVAL);
	if (!s->trigger_burst_set)
		s->trigger_burst = s->accept ? 200 : 20;
	if (!s->accept && !s->service[0]) {
		if (n - 7 + 8 > UNIT_NAME_MAX)
			return fail(why, "the service to start (NAME.service) would be too long a name", -EINVAL);
		memcpy(s->service, name, n - 7);
		memcpy(s->service + n - 7, ".service", 9);
		if (unit_name_is_template(s->service))
			return fail(why, "a template socket needs Service= (or an instance name)", -EINVAL);
	}
	return 0;
}

const char *socket_type_name(enum sock_type t)
{
	static const char *const n[] = {"Stream", "Datagram", "SequentialPacket", "FIFO"};
	return n[t];
}

void socket_listen_format(const struct sock_listen *l, char *out, size_t n)
{
	char a[INET6_ADDRSTRLEN] = "";
	if (l->family != AF_INET && l->family != AF_INET6) {
		str_copy(out, n, l->path);
		return;
	}
	inet_ntop(l->family, l->addr, a, sizeof(a));
	str_fmt(out, n, l->family == AF_INET6 ? "[%s]:%u" : "%s:%u", a, (unsigned)l->port);
}
