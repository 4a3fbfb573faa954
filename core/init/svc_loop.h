/* svc_loop.h — the supervisor's event loop: PID 1 of the host (or a test instance of it).
 *
 * One epoll set holds a signalfd (SIGCHLD reap, SIGTERM/SIGPWR poweroff, SIGINT reboot — the
 * kernel sends SIGINT for ctrl-alt-del once reboot(RB_DISABLE_CAD) is set), the control socket
 * and its connections, the sd_notify socket, inotify on cgroup.events, and every unit's log and
 * status pipes. Timers are the epoll timeout computed from the nearest deadline. Every fd is
 * nonblocking; nothing waits for a child. sup_run() returns only after a poweroff or reboot
 * request once every unit has stopped (or the shutdown time limit passed), saying which.
 */
#ifndef KEEL_SUP_H
#define KEEL_SUP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct kerr;

#define SUP_CONNS_MAX 32
#define SUP_CONN_TIMEOUT_USEC 10000000 /* to send a request, or to take a reply */

enum sup_end { SUP_POWEROFF = 1, SUP_REBOOT = 2 };

struct sup_opts {
	const char *root;        /* units, /etc/passwd, EnvironmentFile= beneath it */
	const char *ctl_path;    /* control socket (0600; its directory must be ours, not writable by others) */
	const char *notify_path; /* sd_notify socket */
	const char *goal;        /* unit started at boot: multi-user.target */
	bool cgroups;
	const char *cgroup_path;
	size_t log_max;
	uint64_t shutdown_max_usec; /* give up waiting for units after this long (0: 5 min) */
};

int sup_run(const struct sup_opts *o, enum sup_end *end, struct kerr *e);

#endif
