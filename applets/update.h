/* update.h — what applets/update.c shares with update_release.c (the release verbs). */
#ifndef KEEL_APPLET_UPDATE_H
#define KEEL_APPLET_UPDATE_H

#include <stdint.h>

#include "net/http.h"
#include "trust/tuf.h"
#include "update/release.h"
#include "update/state.h"

#define UPD_BOOT "/run/keel/boot"
#define UPD_KEYS "/etc/keel/keys"
#define UPD_FLOOR "/var/lib/keel/min-version"

/* Exit codes of the release verbs (see update_release.c) */
enum { UPD_NOTHING = 4, UPD_DEFERRED = 5 };

struct upd_opts {
	const char *state, *disk, *boot, *keys, *esp, *floor, *reason, *reboot_root, *sys;
	uint64_t retries, chunk;
	int allow_downgrade, reboot;
};
extern struct upd_opts upd;
extern const char *repo, *trust, *root_file;
extern uint64_t now;
extern int json, repofd;
extern const char *const update_syscalls[];

struct http_fetch {
	char base[2048];
	struct http_ca ca;
	struct http_proxy proxy; /* the environment's, read once by open_repo */
};
int fetch_http(void *ctx, const char *path, uint64_t max, tuf_sink_fn sink, void *sctx, struct kerr *e);
int open_repo(struct tuf_fetch *f, struct http_fetch *h);

/* status, check, apply, mark-good, mark-bad, rollback */
int update_release(const char *cmd, int n, char **ops);
/* publish release SLOT.img UKI.efi (p: keys, expiries, repository opened) */
int update_publish_release(struct tuf_pub *p, int n, char **ops, struct kerr *e);

#endif
