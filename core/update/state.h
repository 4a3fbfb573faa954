/* state.h — the update state on the writable partition: one small text file, replaced atomically
 * (temporary file, fsync, rename, fsync of the directory: fs_write_atomic), parsed strictly.
 *
 * Default path /var/lib/keel/update/state (next to the TUF trust dir /var/lib/keel/tuf; the
 * minimum-version floor stays /var/lib/keel/min-version, the file stage 1 reads). At most
 * STATE_MAX bytes of lines "key fields...\n", in this order, nothing else (no empty line, no CR):
 *   keel-update-state 1                             first line, always
 *   pending VERSION SHA512 SLOT                     0 or 1: installed, not yet marked good or bad
 *   last RESULT VERSION TIME REASON                 0 or 1: the last result (RESULT: installed,
 *                                                   good, bad, rollback; TIME: seconds since 1970)
 *   progress SHA512 SLOT CHUNKS                     0 or 1: an interrupted install: the first CHUNKS
 *                                                   chunks of that image are on SLOT, verified
 *   failed VERSION SHA512 REASON                    0..STATE_MAX_FAILED: never offered again
 * VERSION: 1-64 of digits and dots; SHA512: 128 lower-case hex digits (the image's); SLOT: USR-A
 * or USR-B; REASON: 1..STATE_REASON_MAX printable ASCII bytes (spaces allowed: it is last).
 */
#ifndef KEEL_UPDATE_STATE_H
#define KEEL_UPDATE_STATE_H

#include <stdint.h>

#include "trust/manifest.h"

struct kerr;
struct buf;

#define STATE_PATH "/var/lib/keel/update/state"
#define STATE_MAX 16384
#define STATE_MAX_FAILED 32
#define STATE_REASON_MAX 200

enum state_result { RES_NONE, RES_INSTALLED, RES_GOOD, RES_BAD, RES_ROLLBACK };
extern const char *const state_result_names[5];

struct state_rel {
	char version[MANIFEST_VERSION_MAX + 1];
	uint8_t sha512[64];
};

struct ustate {
	int has_pending;
	struct state_rel pending;
	char pending_slot[8];
	enum state_result last;             /* RES_NONE: no "last" line */
	char last_version[MANIFEST_VERSION_MAX + 1];
	uint64_t last_time;
	char last_reason[STATE_REASON_MAX + 1];
	int has_progress;
	uint8_t progress_sha512[64];
	char progress_slot[8];
	uint64_t progress_chunks;
	unsigned nfailed;
	struct state_rel failed[STATE_MAX_FAILED];
	char failed_reason[STATE_MAX_FAILED][STATE_REASON_MAX + 1];
};

/* in[0..len) into s; -EINVAL naming the line and field. */
int state_parse(const char *in, size_t len, struct ustate *s, struct kerr *e);
/* s as text (appended to out). -EINVAL when a field would not parse back. */
int state_format(const struct ustate *s, struct buf *out);
/* Read path beneath dirfd (no symlinks); a missing file is the empty state. */
int state_load(int dirfd, const char *path, struct ustate *s, struct kerr *e);
/* Replace path beneath dirfd atomically. */
int state_save(int dirfd, const char *path, const struct ustate *s, struct kerr *e);
/* The remembered failure with this image hash, or -1. */
int state_failed_find(const struct ustate *s, const uint8_t sha512[64]);
/* Remember a failure (the oldest one is forgotten when STATE_MAX_FAILED are kept). */
void state_failed_add(struct ustate *s, const char *version, const uint8_t sha512[64], const char *reason);
/* 1 when reason is 1..STATE_REASON_MAX printable ASCII bytes. */
int state_reason_ok(const char *reason);

#endif
