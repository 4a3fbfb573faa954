/* socket_parse.h — the [Socket] section of a .socket unit (systemd.socket(5), systemd 252).
 *
 * The unit-file syntax (sections, quoting, continuation lines, %-specifiers, drop-ins) is the unit
 * parser's; it hands each [Socket] assignment, value already %-expanded, to socket_set(). After
 * the last drop-in, socket_check() validates the whole as systemd's socket_verify() does and
 * fills in the defaults that depend on other settings (the service, the trigger limit).
 *
 * Listen addresses (ListenStream=, ListenDatagram=, ListenSequentialPacket=): "/path" (AF_UNIX),
 * "@name" (abstract AF_UNIX), "PORT" (every address: IPv6 [::] that also takes IPv4 unless
 * BindIPv6Only=ipv6-only, IPv4 0.0.0.0 where the kernel has no IPv6), "A.B.C.D:PORT",
 * "[IPV6]:PORT". ListenFIFO= takes an absolute path. An empty assignment resets the list.
 *
 * Refused by name with a reason (never ignored): ListenSpecial=, ListenNetlink=,
 * ListenMessageQueue=, ListenUSBFunction=, vsock: addresses, "%IFACE" scopes, SocketProtocol=,
 * Exec*= in a socket unit, Writable=yes, FlushPending=yes, SmackLabel*=, SELinuxContextFromNet=yes,
 * MessageQueue*=, PassFileDescriptorsToExec=. What the parser does not know is an error.
 */
#ifndef KEEL_SOCKET_PARSE_H
#define KEEL_SOCKET_PARSE_H

#include "init/unit_value.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#define SOCK_LISTEN_MAX 32 /* Listen*= entries of one socket unit */
#define SOCK_OPTS_MAX 24   /* socket options set (one entry per option) */
#define SOCK_PATH_MAX 108  /* sun_path, with its NUL */

enum sock_type { SOCKL_STREAM, SOCKL_DGRAM, SOCKL_SEQPACKET, SOCKL_FIFO };

struct sock_listen {
	uint8_t type;   /* enum sock_type */
	uint8_t family; /* AF_UNIX, AF_INET, AF_INET6; 0 for a FIFO */
	bool any;       /* a bare PORT: [::] (0.0.0.0 without IPv6) */
	uint16_t port;
	uint8_t addr[16]; /* network order: 4 bytes for AF_INET */
	char path[SOCK_PATH_MAX]; /* AF_UNIX or FIFO path; an abstract name starts with '@' */
};

/* A socket option to set on each listening socket it applies to (socket_opt_name() names it). */
struct sock_opt {
	uint8_t id;
	int val;
};

struct unit_socket {
	struct sock_listen *v; /* in the order given: the service's fds are in this order */
	size_t n;
	bool accept;           /* Accept=: one service instance per connection */
	uint8_t ipv6_only;     /* BindIPv6Only=: 0 default (both), 1 both, 2 ipv6-only */
	bool remove_on_stop;   /* RemoveOnStop=: unlink the socket files, FIFOs and Symlinks= on stop */
	int backlog;           /* Backlog=, default 4096 (the kernel caps it at net.core.somaxconn) */
	mode_t socket_mode;    /* SocketMode=, default 0666 */
	mode_t directory_mode; /* DirectoryMode=, default 0755 (parents made for unix sockets, FIFOs) */
	int pipe_size;         /* PipeSize= (FIFOs): 0 unset */
	char *user, *group;    /* SocketUser=, SocketGroup=: owner of unix sockets and FIFOs */
	char *bind_device;     /* BindToDevice= */
	char *congestion;      /* TCPCongestion= */
	struct strv symlinks;  /* Symlinks=: absolute paths */
	unsigned max_conn;     /* MaxConnections=, default 64 (Accept=yes) */
	unsigned max_per_source; /* MaxConnectionsPerSource=, 0: no limit */
	uint64_t trigger_usec; /* TriggerLimitIntervalSec=, default 2 s; 0: no limit */
	unsigned trigger_burst; /* TriggerLimitBurst=, default 20 (Accept=yes: 200) */
	bool trigger_burst_set;
	char service[UNIT_NAME_MAX + 1]; /* Service=; after socket_check() the unit Accept=no starts */
	char fdname[256];      /* FileDescriptorName=; "" means the unit's name */
	struct sock_opt opts[SOCK_OPTS_MAX];
	size_t nopts;
};

void socket_init(struct unit_socket *s);
void socket_free(struct unit_socket *s); /* accepts a zeroed one */

/* Apply one [Socket] assignment. 0; -ENOENT for a key that is not a [Socket] directive (the caller
 * reports it); -EINVAL / -ERANGE / -E2BIG / -ENOTSUP / -ENOMEM with *why a static phrase. */
int socket_set(struct unit_socket *s, const char *key, const char *value, const char **why);

/* After the last drop-in: at least one Listen*=; Accept=yes only with stream or seqpacket sockets,
 * never with Service=; Symlinks= only with exactly one file-system socket or FIFO. Sets
 * s->service for Accept=no (Service=, or the socket's name with .service) and the trigger
 * limit's default. name is the unit's name (NAME.socket). */
int socket_check(struct unit_socket *s, const char *name, const char **why);

/* The listening address as systemctl list-sockets shows it ("[::]:22", "0.0.0.0:111",
 * "/run/x.sock", "@name") and the type column ("Stream", "Datagram", "SequentialPacket", "FIFO"). */
void socket_listen_format(const struct sock_listen *l, char *out, size_t n);
const char *socket_type_name(enum sock_type t);

/* For svc_socket.c: option id -> (level, name) and where it applies (1: inet only, 2: TCP only). */
struct sock_opt_def {
	char key[22];
	uint8_t kind;  /* how the value is read */
	uint8_t scope; /* 0 every socket, 1 AF_INET/AF_INET6, 2 TCP (inet stream) */
	uint16_t level;
	uint16_t name;
};
const struct sock_opt_def *socket_opt_def(unsigned id);

#endif
