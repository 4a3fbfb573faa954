/* layer.h — apply an OCI image layer (a tar stream) to a root directory, with OCI's whiteouts,
 * never writing outside the root.
 *
 * layer_new() makes a tar consumer: feed it the decompressed layer with layer_feed(), then
 * layer_finish(). Each entry's path is made relative ("./", "/" dropped) and must not contain
 * ".." or empty components; every parent is walked one component at a time from the root with
 * O_NOFOLLOW (missing parents are made 0755): a symlink anywhere in a parent path is an error —
 * a layer that plants `a -> /etc` and then writes `a/passwd` fails, whatever the target.
 * Existing entries are replaced (a directory stays a directory and gets the new metadata).
 *
 * OCI semantics (image-spec layer.md): `.wh.NAME` removes NAME of lower layers; `.wh..wh..opq`
 * removes every entry of its directory that this layer did not create (wherever the marker is
 * in the tar); a whiteout never names something this layer made. Hard links must point to a
 * regular file this layer created (not to a lower layer, not outside). Policies: device nodes
 * (refused by default, or skipped, or created), set-id bits and security.capability xattrs
 * (kept by default — a runtime with noNewPrivileges ignores them — or stripped, or refused).
 * Xattrs: user.* and security.capability are set; other namespaces (trusted.*, security.selinux,
 * system.*) are counted in skipped_xattrs and not set. Owners are set numerically; modes exactly;
 * mtimes on files, symlinks and devices (a directory's mtime changes as it fills, as umoci).
 *
 * Errors: -EINVAL (a path that escapes, a symlink in a path, a hard link to something this layer
 * did not make, a whiteout of itself…) or -ENOTSUP (refused by policy) with the entry's path and
 * tar offset in e; filesystem errors pass through with the path.
 */
#ifndef KEEL_LAYER_H
#define KEEL_LAYER_H

#include <stddef.h>
#include <stdint.h>

struct kerr;

enum layer_dev { LAYER_DEV_REFUSE, LAYER_DEV_SKIP, LAYER_DEV_CREATE };
enum layer_setid { LAYER_SETID_KEEP, LAYER_SETID_STRIP, LAYER_SETID_REFUSE };

struct layer_opts {
	enum layer_dev devices;
	enum layer_setid setid;
	int no_chown; /* leave owners as the running user (tests without root) */
};

struct layer_stats {
	uint64_t files, dirs, symlinks, hardlinks, devices, whiteouts, opaques, bytes;
	uint64_t skipped_xattrs, skipped_devices, stripped_setid;
};

struct layer;

int layer_new(struct layer **l, int rootfd, const struct layer_opts *o, struct layer_stats *st);
void layer_free(struct layer *l); /* accepts NULL; closes what it opened, not rootfd */
/* Decompressed layer bytes, in order. */
int layer_feed(struct layer *l, const uint8_t *p, size_t n, struct kerr *e);
int layer_finish(struct layer *l, struct kerr *e);

#endif
