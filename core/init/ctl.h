/* ctl.h — the control protocol between `keel init COMMAND` and PID 1.
 *
 * Transport: a unix stream socket (/run/keel/init.sock on the host), mode 0600 from its
 * creation, in a directory only root may write, and PID 1 checks the peer's SO_PEERCRED uid
 * (root only). One request per connection:
 *
 *   request  = VERB [" " UNIT] "\n"        at most CTL_REQ_MAX bytes, printable ASCII
 *   VERB     = status | start | stop | restart | log | poweroff | reboot | reload | timers | sockets
 *   response = "OK\n" BODY | "ERR " one-line-reason "\n"     then PID 1 closes the connection
 *
 * status and timers take an optional UNIT; start, stop, restart and log need one; poweroff, reboot
 * and sockets take none. start/stop/restart answer when the job has finished (OK) or failed (ERR …).
 * The status BODY is one line per unit, twelve tab-separated fields (see struct ctl_status; eleven,
 * without comm, from keel before 2026-12-04 are read too); text fields never contain tabs or
 * control characters. The log BODY is the unit's log ring.
 */
#ifndef KEEL_CTL_H
#define KEEL_CTL_H

#include "init/unit_value.h"

#include <stddef.h>
#include <stdint.h>

struct buf;
struct kerr;

#define CTL_REQ_MAX 300
#define CTL_TEXT_MAX 400
#define CTL_REPLY_MAX (4 << 20)

enum ctl_verb { CTL_STATUS, CTL_START, CTL_STOP, CTL_RESTART, CTL_LOG, CTL_POWEROFF, CTL_REBOOT, CTL_RELOAD, CTL_TIMERS,
	CTL_SOCKETS };

struct ctl_req {
	enum ctl_verb verb;
	char unit[UNIT_NAME_MAX + 1]; /* "" when none */
};

const char *ctl_verb_name(enum ctl_verb v);
/* Parse p[0..len), which must be exactly one line ending in '\n'. -EINVAL with *why set. */
int ctl_parse_request(const char *p, size_t len, struct ctl_req *r, const char **why);
/* The request line for r into out[n] (-ENAMETOOLONG if it does not fit, -EINVAL if r is not valid). */
int ctl_format_request(const struct ctl_req *r, char *out, size_t n);

struct ctl_status {
	char unit[UNIT_NAME_MAX + 1];
	char load[16];    /* loaded masked not-found error */
	char active[16];  /* inactive activating active deactivating failed */
	char sub[24];     /* dead start-pre start running exited auto-restart stop stop-sigterm stop-sigkill failed */
	char result[24];  /* success exit-code signal timeout start-limit-hit resources dependency cycle … */
	uint64_t pid;     /* main process, 0 if none */
	uint64_t restarts;
	uint64_t since_ms; /* time in the current state */
	char description[CTL_TEXT_MAX + 1];
	char text[CTL_TEXT_MAX + 1];  /* STATUS= from sd_notify */
	char error[CTL_TEXT_MAX + 1]; /* why the unit failed to load, or the last failure */
	char comm[16];    /* the main process's /proc/PID/comm, "" if none */
};

/* Append one status line; text fields are cut to CTL_TEXT_MAX bytes and their tabs and control
 * characters become spaces. */
int ctl_format_status(struct buf *out, const struct ctl_status *s);
/* Parse one status line (without its '\n'). -EINVAL with *why set. */
int ctl_parse_status(const char *p, size_t len, struct ctl_status *s, const char **why);

/* Client: connect to path, send the request line, read the whole reply (at most CTL_REPLY_MAX
 * bytes) into reply; timeout_ms < 0 waits as long as it takes. */
int ctl_call(const char *path, const char *line, struct buf *reply, int timeout_ms, struct kerr *e);

#endif
