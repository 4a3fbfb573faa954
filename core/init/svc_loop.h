/* svc_loop.h — the supervisor's event loop: PID 1 of the host (or a test instance of it).
 *
 * One epoll set holds a signalfd (SIGCHLD reap, SIGTERM/SIGPWR poweroff, SIGINT reboot — the
 * kernel sends SIGINT for ctrl-alt-del once reboot(RB_DISABLE_CAD) is set), the control socket
 * and its connections, the sd_notify socket, inotify on cgroup.events, and every unit's log and
 * status pipes. Timers are the epoll timeout computed from the nearest deadline. Every fd is
 * nonblocking; nothing waits for a child. svc_loop_run() returns only after a poweroff or reboot
 * request once every unit has stopped (or the shutdown time limit passed), saying which.
 */
#ifndef KEEL_SVC_LOOP_H
#define KEEL_SVC_LOOP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct kerr;
struct health;

#define SVC_LOOP_CONNS_MAX 32
#define SVC_LOOP_CONN_TIMEOUT_USEC 10000000 /* to send a request, or to take a reply */

enum svc_loop_end { SVC_LOOP_POWEROFF = 1, SVC_LOOP_REBOOT = 2 };

struct svc_loop_opts {
	const char *root;        /* units, /etc/passwd, EnvironmentFile= beneath it */
	const char *ctl_path;    /* control socket (0600; its directory must be ours, not writable by others) */
	const char *notify_path; /* sd_notify socket */
	const char *syslog_path; /* the syslog socket (devlog.h), or NULL */
	const char *syslog_link; /* "/dev/log": made a symlink to it (the machine), or NULL */
	const char *goal;        /* unit started at boot: multi-user.target */
	bool cgroups;
	const char *cgroup_path;
	size_t log_max;
	uint64_t shutdown_max_usec; /* give up waiting for units after this long (0: 5 min) */
	struct health *health;      /* the health checks of a trial boot (health.h), or NULL */
	uint64_t since;             /* "startup finished" counts from this monotonic µs (0, or
	                               later than the start: from the supervisor's start) */
};

int svc_loop_run(const struct svc_loop_opts *o, enum svc_loop_end *end, struct kerr *e);

#endif
