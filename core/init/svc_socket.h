/* svc_socket.h — socket activation: a .socket unit's listening descriptors in PID 1's epoll set,
 * and what they start (systemd.socket(5), sd_listen_fds(3)).
 *
 * Starting a socket unit opens every Listen*= (non-blocking, close-on-exec; unix sockets and FIFOs
 * beneath the root, their parent directories made with DirectoryMode=, the node with SocketMode=
 * and SocketUser=/SocketGroup=) and watches them. PID 1 never reads from them:
 *   Accept=no: the first event stops the watch and starts the service; the service gets every
 *     descriptor of every socket unit that names it (fds 3…, LISTEN_FDS, LISTEN_PID = its own
 *     PID, LISTEN_FDNAMES from FileDescriptorName= or the socket unit's name). Once the service is
 *     down again (and no job is pending), the socket listens again ("running" -> "listening").
 *   Accept=yes: each event accepts at most SOCK_ACCEPT_BATCH connections (accept4, non-blocking
 *     listener): beyond MaxConnections= (or MaxConnectionsPerSource= from one address) a
 *     connection is closed at once; otherwise TEMPLATE@N-LOCAL-REMOTE.service (systemd's instance
 *     name) is loaded and started with the connection as fd 3 (LISTEN_FDS=1,
 *     LISTEN_FDNAMES=connection) and, with StandardInput=socket, as stdin/stdout. PID 1 closes its
 *     copy once the process is started; an instance that has ended is forgotten (unit and log).
 * TriggerLimitIntervalSec=/TriggerLimitBurst= bound how often a socket may start something: past
 * it the socket unit fails ("trigger-limit-hit") and closes its descriptors; so does it when its
 * service hit its start limit ("service-start-limit-hit"). Stopping the socket closes the
 * descriptors (RemoveOnStop=: and removes the nodes and Symlinks=); running services keep theirs.
 */
#ifndef KEEL_SVC_SOCKET_H
#define KEEL_SVC_SOCKET_H

#include "init/svc_state.h"

#include <stddef.h>

struct buf;
struct jobs;

#define SOCK_ACCEPT_BATCH 16 /* connections accepted per event, so nothing else starves */
#define SOCK_PASS_MAX 64     /* descriptors passed to one service */

/* Open and watch s's sockets; 0, or -errno with s->error saying which failed and why. */
int sock_open(struct jobs *m, struct svc *s);
/* Close them (RemoveOnStop=: remove the nodes). Connections given to instances stay theirs. */
void sock_close(struct jobs *m, struct svc *s);
void sock_free(struct svc *s);
/* A watched descriptor is readable. */
void sock_event(struct jobs *m, void *obj);
/* After each batch of events: listen again where the service went down, forget ended instances. */
void sock_sweep(struct jobs *m);

/* What the ExecStart= process of service s gets: descriptors (at most SOCK_PASS_MAX) to put at fd
 * 3…, the one for StandardInput=socket (-1: none), and LISTEN_FDS/LISTEN_FDNAMES/LISTEN_PID added
 * to env (LISTEN_PID=0000000000: *pid_var is that string, the child writes its PID into it).
 * n is 0 when no socket passes s anything. -ENOMEM, or -ENOTCONN: StandardInput=socket without a
 * single socket to use. */
struct sock_pass {
	int fds[SOCK_PASS_MAX];
	size_t n;
	int in_fd;
	char *pid_var;
};
int sock_pass(struct jobs *m, struct svc *s, struct strv *env, struct sock_pass *p);
/* The process got its descriptors: PID 1 lets go of an instance's connection. */
void sock_passed(struct jobs *m, struct svc *s);

/* `keel init list-sockets`: one line per listening address of each active socket unit,
 * "LISTEN\tTYPE\tUNIT\tACTIVATES\n" (ACTIVATES: the service, or the running instances
 * joined by ", ", or "-"). */
int sock_list(const struct jobs *m, struct buf *out);

#endif
