/* tar.h — a streaming tar reader: ustar, pax and GNU headers, bounded.
 *
 * Bytes are pushed in with tar_feed() in chunks of any size; for every entry the reader calls
 * ops->entry with its header (pax and GNU long-name records already applied), then ops->data
 * with its contents in chunks (regular files only), then ops->end. Formats: POSIX ustar
 * ("ustar\0" "00"), GNU ("ustar " " \0"; base-256 numbers, 'L' long names and 'K' long link
 * targets), v7 (no magic), pax 'x' records (path, linkpath, size, uid, gid, mtime,
 * SCHILY.xattr.NAME; other keys are ignored as POSIX says) and 'g' global records (read, ignored).
 * Refused: sparse and multi-volume entries, checksums that do not add up, numbers out of range,
 * names with NUL bytes, a path or link target longer than 4095 bytes, pax records over 1 MiB or
 * malformed, more than 128 xattrs on an entry, input ending inside an entry or its padding. The
 * archive ends at two zero blocks, or at the end of the input on an entry boundary or right after
 * an entry's data (as Go's archive/tar reads it: umoci 0.4.7's `insert` writes such layers; GNU
 * tar refuses the latter); bytes after the end marker are not looked at.
 *
 * Errors: -EINVAL (malformed) or -ENOTSUP (an entry type keel does not read), with the byte
 * offset of the header in e; errors of the callbacks are passed through.
 */
#ifndef KEEL_TAR_H
#define KEEL_TAR_H

#include <stddef.h>
#include <stdint.h>

struct kerr;

/* A zero block: the end marker's half, and what pads an entry (one copy for reader and writer). */
extern const uint8_t tar_zero[512];

#define TAR_PATH_MAX 4096
#define TAR_PAX_MAX (1u << 20)
#define TAR_XATTR_MAX 128

enum tar_type {
	TAR_FILE = '0', TAR_HARDLINK = '1', TAR_SYMLINK = '2', TAR_CHAR = '3', TAR_BLOCK = '4',
	TAR_DIR = '5', TAR_FIFO = '6',
};

struct tar_xattr {
	const char *name;     /* without "SCHILY.xattr." */
	const uint8_t *value;
	size_t len;
};

struct tar_entry {
	enum tar_type type;
	const char *path;     /* as stored (NUL-terminated) */
	const char *link;     /* symlink or hard link target, "" for others */
	uint32_t mode;        /* the permission bits with set-id and sticky (07777) */
	uint64_t uid, gid, size;
	int64_t mtime;
	uint32_t devmajor, devminor;
	size_t nxattrs;
	const struct tar_xattr *xattrs;
	uint64_t offset;      /* of its (first) header in the archive */
};

struct tar_ops {
	int (*entry)(void *ctx, const struct tar_entry *t, struct kerr *e);
	int (*data)(void *ctx, const uint8_t *p, size_t n, struct kerr *e);
	int (*end)(void *ctx, struct kerr *e);
};

struct tar; /* opaque */

int tar_new(struct tar **t, const struct tar_ops *ops, void *ctx);
void tar_free(struct tar *t); /* accepts NULL */
int tar_feed(struct tar *t, const uint8_t *p, size_t n, struct kerr *e);
/* The input ended: 0 if that is a valid end of the archive. */
int tar_finish(struct tar *t, struct kerr *e);

#endif
