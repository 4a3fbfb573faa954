/* oci_unpack.h — turn a signed image of an OCI layout into a runtime bundle (rootfs +
 * config.json), as `umoci unpack` does, verified first and all or nothing.
 *
 * Order: the whole layout is verified with trust/oci (every descriptor's size and digest; with
 * keys every image must carry a cosign signature by a trusted key — keys are required here). The
 * image is the index.json entry tagged ref (org.opencontainers.image.ref.name), or the only
 * image when ref is NULL. When that entry is an image index (a multi-platform image: cosign signs
 * the index), the index is read (size, digest) and its one manifest whose platform is
 * o->platform (the applet passes this machine's by default, e.g. linux/amd64) is unpacked; none or several is an
 * error naming the platforms the index has. A variant that is its architecture's default
 * (arm64/v8, amd64/v1) need not be named; nested indexes are not followed. Its manifest and config are read again (size, digest), then each layer
 * is streamed, in order, from its blob through its digest check (the size must match the
 * descriptor: a blob that is longer or shorter fails), the decompressor chosen by its media type
 * (gzip with archive/inflate, zstd with libzstd's streaming decoder, or none) and the diff_id
 * check of the config's rootfs (sha256 of the uncompressed tar) into archive/layer, which writes
 * it beneath BUNDLE's staging directory. config.json is written last. Only when everything
 * verified, and the staging directory's filesystem is synced (syncfs), is it renamed to BUNDLE;
 * on any failure it is removed and BUNDLE does not exist (or stays the empty directory it was).
 *
 * config.json (runtime-spec 1.0.2): process.args = Entrypoint + Cmd, env = Env (default PATH),
 * capabilities from the label io.containers.capabilities when the image has it (below),
 * cwd = WorkingDir (default /), user from User ("uid", "uid:gid", or names looked up in the
 * rootfs's /etc/passwd and /etc/group); hardened like `runc spec`: noNewPrivileges, the
 * capabilities CAP_AUDIT_WRITE, CAP_KILL, CAP_NET_BIND_SERVICE only — or exactly the list the
 * image's config names in the label io.containers.capabilities (podman's label: comma-separated,
 * CAP_ optional, any case; narrower or wider, which `keel policy workload` then judges) —, new pid, network, ipc, uts,
 * mount and cgroup namespaces, runc's masked and read-only paths, a read-only /sys, all devices
 * denied but the defaults, RLIMIT_NOFILE 1024, and a seccomp profile that fails with EPERM the
 * calls a container has no use for (mount, unshare, setns, ptrace, bpf, keyctl, module loading,
 * kexec, io_uring, perf_event_open, userfaultfd, …; everything else allowed).
 */
#ifndef KEEL_OCI_UNPACK_H
#define KEEL_OCI_UNPACK_H

#include <stddef.h>
#include <stdint.h>

#include "archive/layer.h"
#include "trust/oci.h"

struct kerr;
struct sig_keyring;

struct oci_unpack_opts {
	const struct sig_keyring *keys; /* required */
	const char *ref;                /* NULL: the only image */
	const char *platform;           /* of a multi-platform image: "os/arch[/variant]" (the caller's uname) */
	struct layer_opts layer;
	uint64_t max_bytes;             /* uncompressed bytes of all layers (0: 64 GiB) */
	int replace;                    /* BUNDLE may be a directory with contents: replaced at once */
	const char *cgroup;             /* linux.cgroupsPath (NULL: none, runc's default) */
	/* Called before each layer (i from 0) and once more with i == n at the end. */
	void (*progress)(void *ctx, size_t i, size_t n, const struct oci_desc *layer);
	void *pctx;
};

struct oci_unpack_result {
	char digest[OCI_DIGEST_MAX];    /* the image's manifest */
	char index[OCI_DIGEST_MAX];     /* of a multi-platform image: its index ("" otherwise) */
	char platform[64];              /* and the platform picked from it */
	size_t layers;
	uint64_t compressed, uncompressed;
	struct layer_stats st;
};

/* bundle: a name in the directory parent_fd that does not exist or is an empty directory (with
 * o->replace: any directory — the new bundle takes its name with renameat2(RENAME_EXCHANGE) once
 * all verified, then the old tree is removed; a failure leaves it as it was). */
int oci_unpack(int layout_fd, int parent_fd, const char *bundle, const struct oci_unpack_opts *o,
	struct oci_unpack_result *r, struct kerr *e);

#endif
