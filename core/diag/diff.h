/* diff.h — keel diag diff: read two support bundles (diag/bundle.h) and say what changed in the
 * facts an operator asks about after an incident or an update.
 *
 * Reading (diag_snap_read) treats a bundle as untrusted — it may come from another machine:
 * at most DIFF_FILE_MAX bytes of file; zstd (window at most 2^DIFF_WINDOW_LOG) or a plain tar;
 * at most DIFF_TAR_MAX bytes of tar, DIFF_ITEMS_MAX members, every member a regular file or
 * directory below "keel-diag/" named once; each member's sha256 is computed as it passes and
 * must equal the manifest's, every manifest item must be in the archive. The items the facts
 * are parsed from are kept (at most DIFF_KEEP_MAX bytes each); the others are only hashed.
 *
 * Facts, by section (each fact a key and a value; a key may hold several values):
 *   release     run/keel/boot: slot=, disk=, entry=, version=
 *   slots       keel slots --json, flattened: "slots/USR-A/priority" = 2
 *   kernel      version; cmdline: each parameter (name = its values)
 *   os-release  KEY = value; keel = keel --version
 *   units       each unit: "load active sub" (pid, restarts and times left out)
 *   failed      each failed unit: its result
 *   sysctl      NAME = value (the bundle's sysctl.txt)
 *   mounts      mount point = fstype source root options superoptions
 *   listening   "tcp 0.0.0.0:22", "udp6 [::]:53" = listen (net/tcp, tcp6, udp, udp6)
 *   health      verdict = keel diag health's line
 *   config      each file of config/ITEM.txt = the first 16 hex digits of its sha256
 *   items       each manifest item no section above reads: sha256 (16 hex digits) and size;
 *               items whose content changes every minute (dmesg, meminfo, processes, …) only
 *               with all
 * A section's facts are compared only when both bundles hold its item (else the item's
 * presence is the difference, under items).
 */
#ifndef KEEL_DIAG_DIFF_H
#define KEEL_DIAG_DIFF_H

#include <stddef.h>
#include <stdint.h>

struct kerr;

#define DIFF_FILE_MAX (64u << 20)
#define DIFF_WINDOW_LOG 23
#define DIFF_TAR_MAX (256u << 20)
#define DIFF_ITEMS_MAX 128
#define DIFF_KEEP_MAX (16u << 20)
#define DIFF_CHANGES_MAX 20000

struct diag_snap_item {
	char name[96];       /* without "keel-diag/" */
	uint64_t size;
	uint8_t sha[32], msha[32]; /* computed; from the manifest */
	int in_tar, in_manifest;
	char *text;          /* kept items only (NUL-terminated) */
	size_t len;
};

struct diag_snap {
	struct diag_snap_item item[DIFF_ITEMS_MAX];
	int n;
};

struct diag_change {
	const char *section;
	char *key, *a, *b;   /* a or b NULL: not there */
};

struct diag_changes {
	struct diag_change *v;
	size_t n, omitted;
};

/* Read a bundle from p[0..n) (a .tar.zst or a .tar). -EINVAL malformed (e says where), -EFBIG
 * past a limit, -EBADMSG an item whose sha256 is not the manifest's, -ENOMEM. */
int diag_snap_read(const uint8_t *p, size_t n, struct diag_snap *s, struct kerr *e);
void diag_snap_free(struct diag_snap *s);
/* What changed from a to b, sorted by section and key; all: the volatile items too. 0 or -ENOMEM. */
int diag_diff(const struct diag_snap *a, const struct diag_snap *b, int all, struct diag_changes *c);
void diag_changes_free(struct diag_changes *c);

#endif
