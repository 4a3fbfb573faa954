/* bundle.h — keel diag bundle: collectors run in children with deadlines and size caps, their
 * output redacted (diag/redact.h) into a pax tar (diag/tar_write.h) ending in manifest.json.
 *
 * Each collector runs in a forked child writing to a pipe; the parent reads it with the
 * collector's deadline (never past the bundle's overall deadline) and size cap, streams it
 * through the redactor, and records how it ended: a collector that hangs is killed at its
 * deadline, one that writes too much is cut at its cap, one that fails keeps its exit status —
 * each is an item of the manifest with truncated / exit / error set, and the bundle goes on.
 * Test hook: the environment variable KEEL_DIAG_TEST_HANG=NAME makes collector NAME hang.
 */
#ifndef KEEL_DIAG_BUNDLE_H
#define KEEL_DIAG_BUNDLE_H

#include "diag/tar_write.h"

#include <stdint.h>

#define DIAG_ITEMS_MAX 64

struct kerr;
struct obf;

struct diag_item {
	char name[80];       /* path in the archive */
	const char *collector;
	uint64_t off;        /* archive offset of its data */
	uint64_t size;       /* bytes in the archive (after redaction) */
	uint8_t sha256[32];
	unsigned deadline_ms;
	unsigned elapsed_ms;
	int truncated;       /* cut at the deadline or the size cap */
	int exit;            /* the collector's exit status (128 + signal when killed) */
	char error[120];     /* "" or why it is incomplete */
};

struct diag_opts {
	int rootfd;                /* files (etc/, run/) are read beneath it */
	const char *root;          /* its path ("" for /), for the control socket */
	const char *self;          /* the keel binary, for `keel --version` and `keel slots` */
	unsigned deadline_ms;      /* the whole bundle */
	const char *const *keys;   /* extra secret key words */
	int nkeys;
	uint64_t mtime;            /* of every member */
	struct obf *obf;           /* --obfuscate: every item through it (diag/obfuscate.h); the
	                            * /proc/net files with addresses in hex are left out */
};

struct diag_bundle {
	struct diag_item item[DIAG_ITEMS_MAX];
	int n;
	unsigned elapsed_ms;
	uint64_t manifest_off, manifest_size;
};

/* Write the whole bundle (items, then manifest.json, then the end blocks) to out. Fails only
 * when out fails or memory runs out; collectors' failures are items. */
int diag_bundle_write(const struct diag_opts *o, tarw_out_fn out, void *ctx, struct diag_bundle *b,
                      struct kerr *e);
/* The name of the item whose data holds archive offset off, or "a tar header". */
const char *diag_item_at(const struct diag_bundle *b, uint64_t off);

#endif
