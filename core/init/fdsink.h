/* fdsink.h — letting go of descriptors that came from someone else, without ever blocking.
 *
 * The last close() of a file runs its release code in the process that closes it: a TCP socket
 * with SO_LINGER and unsent data waits out the linger time (for PID 1, whose signals are all
 * blocked, as long as the sender likes), a serial tty drains its output, a FUSE file waits for
 * its daemon. Any descriptor a client handed PID 1 — with an sd_notify message (SCM_RIGHTS: the
 * kernel installs them whether asked for or not) — may be the last reference to such a file,
 * and so may what is still queued in a unix socket an untrusted peer wrote to (the notify
 * socket, a refused control connection). PID 1 closes neither itself:
 *
 *   fdsink_put() takes such descriptors; fdsink_flush() queues them in a socketpair (a queued
 *   descriptor holds its own reference), closes PID 1's copies (never the last ones), and
 *   forks a throwaway child that keeps only that socketpair and the read end of a pipe. PID 1
 *   then closes the socketpair (its copies, not the last) and the pipe; at the pipe's EOF the
 *   child exits, and its exit releases the queue: the last close runs in the child, under an
 *   exit's rules (no linger). A child stuck in a release (a FUSE daemon that never answers)
 *   holds nothing of PID 1's.
 *
 * (Kernels before 6.8 without the backport of its asynchronous unix garbage collector — Debian
 * 12's 6.1 has it — collect unreachable in-flight descriptors in whichever process releases a
 * unix socket; PID 1 still releases root's control connections itself.)
 *
 * At most FDSINK_CHILDREN_MAX children live at a time; while that many are stuck, or fork()
 * fails, descriptors are held, and fdsink_busy() says when to take no more in (stop reading
 * the socket that brings them). Children are reaped by whoever reaps (fdsink_reaped() tells
 * which were ours).
 */
#ifndef KEEL_FDSINK_H
#define KEEL_FDSINK_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#define FDSINK_BATCH_MAX 252    /* in one parcel: musl's sendmsg() takes 1024 bytes of control data */
#define FDSINK_HELD_MAX 1024
#define FDSINK_CHILDREN_MAX 16

struct fdsink {
	int held[FDSINK_HELD_MAX]; /* not in a parcel yet */
	size_t nheld;
	int parcel[2];             /* socketpair: [1] queues what the next child releases (-1: none) */
	bool loaded;               /* parcel[1] holds descriptors */
	pid_t kids[FDSINK_CHILDREN_MAX];
	size_t nkids;
	unsigned long handed, leaked; /* descriptors given to children; kept open for good (held was full) */
};

void fdsink_init(struct fdsink *s);
/* Take ownership of fds[0..n) (negative entries skipped); fdsink_flush() hands them over. */
void fdsink_put(struct fdsink *s, const int *fds, size_t n);
/* Hand over what is held: 0 when nothing is left, else -errno (-EBUSY: too many children). */
int fdsink_flush(struct fdsink *s);
/* Half the room is taken (the other half is for one more message — at most 253 — and the
 * sockets of a round of connections), or the children are at their maximum. */
bool fdsink_busy(const struct fdsink *s);
/* pid was reaped: true if it was one of ours. */
bool fdsink_reaped(struct fdsink *s, pid_t pid);

#endif
