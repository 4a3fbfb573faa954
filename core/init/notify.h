/* notify.h — sd_notify(3): services tell PID 1 they are ready.
 *
 * The service gets NOTIFY_SOCKET (a unix datagram socket path; "@name" is the abstract
 * namespace) and sends newline-separated KEY=VALUE assignments: READY=1, STATUS=text,
 * STOPPING=1 (others are ignored, as systemd does). The kernel attaches the sender's
 * credentials (SCM_CREDENTIALS); PID 1 decides from the sender's pid which unit it belongs to.
 *
 * Barrier: notify_send() with wait_ms > 0 also passes the write end of a pipe (SCM_RIGHTS)
 * and waits until PID 1 has closed it, i.e. has processed the message (systemd-notify does the
 * same with BARRIER=1). That keeps the sender alive — and identifiable — until then.
 *
 * Descriptors are accepted only as that barrier: PID 1 keeps none (FDSTORE=1 and
 * FDSTOREREMOVE=1 are ignored, as systemd does with FileDescriptorStoreMax=0). Any that come
 * with a message, from anyone, are released through fdsink.h, never closed by PID 1 itself: the
 * socket is writable by every user, and the last close of a file someone else chose may block.
 */
#ifndef KEEL_NOTIFY_H
#define KEEL_NOTIFY_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

struct kerr;

#define NOTIFY_MSG_MAX 4096
#define NOTIFY_STATUS_MAX 200
#define NOTIFY_FDS_MAX 253 /* SCM_MAX_FD: the most one message can carry */

struct notify_msg {
	pid_t pid; /* from SCM_CREDENTIALS */
	uid_t uid;
	int fds[NOTIFY_FDS_MAX]; /* descriptors that came with it (the barrier); the caller's */
	int nfds;
	bool ready, stopping, has_status;
	bool watchdog, watchdog_trigger; /* WATCHDOG=1, WATCHDOG=trigger */
	char status[NOTIFY_STATUS_MAX + 1]; /* control characters replaced by spaces */
};

/* Parse a message body: lines KEY=VALUE (KEY of [A-Z0-9_]); an empty line or a missing '=' or
 * a NUL byte makes the whole message invalid (-EINVAL). Fields other than the credentials. */
int notify_parse(const char *p, size_t len, struct notify_msg *m);

/* Server: a nonblocking datagram socket bound at path (an existing socket file there is
 * replaced), mode 0666 (any service user may write; the sender's pid decides), SO_PASSCRED. */
int notify_bind(const char *path, struct kerr *e);
/* Receive one message: 0 (m filled), -EAGAIN (none waiting), -EINVAL (malformed or without
 * credentials: to be dropped). Whatever the result, m->fds[0..nfds) are the caller's, who must
 * let go of them (through an fdsink) after handling the message: that releases a sender waiting
 * on the barrier, so it must come after the sender was identified. */
int notify_recv(int fd, struct notify_msg *m);
/* The same without the parsing (the syslog socket, devlog.h): the datagram in data[0..*len), less
 * than cap bytes (-EINVAL otherwise); m gets the credentials and the descriptors only. */
int notify_recv_raw(int fd, char *data, size_t cap, size_t *len, struct notify_msg *m);

/* Client: send msg to the socket named by path ("@x" = abstract); with wait_ms > 0 wait up to
 * that long for PID 1 to have processed it (-ETIMEDOUT otherwise). */
int notify_send(const char *path, const char *msg, size_t len, int wait_ms, struct kerr *e);

#endif
