/* tar_write.h — a streaming pax (POSIX.1-2001) tar writer for support bundles.
 *
 * Every byte goes through one write callback, so compression (or hashing, or a socket) is one
 * more stage in front of the sink. Output is deterministic: mode 0644 (directories 0755),
 * owner 0/0 "root", and one mtime for every member. A name of 100 bytes or more gets a pax
 * extended header ("path=") before its ustar header, as GNU tar and bsdtar read it.
 */
#ifndef KEEL_DIAG_TAR_WRITE_H
#define KEEL_DIAG_TAR_WRITE_H

#include <stddef.h>
#include <stdint.h>

#define TARW_NAME_MAX 1024
#define TARW_SIZE_MAX 077777777777ull /* 11 octal digits: 8 GiB - 1 */

typedef int (*tarw_out_fn)(void *ctx, const void *p, size_t n);

struct tarw {
	tarw_out_fn out;
	void *ctx;
	uint64_t off;   /* bytes written so far */
	uint64_t mtime;
	int err;
};

void tarw_init(struct tarw *t, tarw_out_fn out, void *ctx, uint64_t mtime);
/* A regular file name (relative, no "..", no empty component) with its whole contents. On
 * success *data_off (if not NULL) is the archive offset of its first data byte. */
int tarw_file(struct tarw *t, const char *name, const void *data, size_t n, uint64_t *data_off);
int tarw_dir(struct tarw *t, const char *name);
/* The two zero blocks that end an archive. */
int tarw_finish(struct tarw *t);

#endif
