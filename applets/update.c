/* keel update - TUF-verified updates: trusted metadata, targets, publishing
 *
 * usage: keel update refresh --repo DIR|URL [--ca FILE] [--trust DIR] [--root FILE] [--now EPOCH] [--json]
 *        keel update target [--repo DIR|URL] [--trust DIR] [--now EPOCH] [--json] NAME
 *        keel update download --repo DIR|URL [--ca FILE] [--trust DIR] [--now EPOCH] NAME OUT
 *        keel update publish init --repo DIR --key ROLE=KEY... [--threshold ROLE=N]... [--consistent-snapshot]
 *        keel update publish add --repo DIR --key ROLE=KEY... [--custom JSON] FILE[=NAME]...
 *        keel update publish rotate --repo DIR --key root=KEY... --new ROLE=KEY... [--threshold ROLE=N]...
 *        keel update publish release --repo DIR --key ROLE=KEY... [--chunk-size N] SLOT.img UKI.efi
 *        keel update status [--json]
 *        keel update check --repo DIR|URL [--ca FILE] [--json]
 *        keel update apply --repo DIR|URL [--ca FILE] [--esp DIR] [--allow-downgrade] [--retries N] [--reboot] [--json]
 *        keel update mark-good [--reason TEXT] [--json]
 *        keel update mark-bad --reason TEXT [--json]
 *        keel update rollback [--json]
 *        keel update reboot|steady-state [--wait] [--json] [--root DIR] [--now EPOCH]
 *
 * A TUF 1.0 repository is metadata/ and targets/ below a directory, file:///DIR or http(s) URL.
 * refresh: root N+1, N+2... (each signed by the old and its own root keys, version +1), then
 * timestamp, snapshot, targets: signatures (distinct keys, declared schemes), no version going
 * back, lengths and hashes, expiry at one time (--now, default the clock). The trust directory
 * (default /var/lib/keel/tuf) changes only when all of it succeeded. Its roots are verified from
 * the image's --root on (default the initramfs's, /run/keel/tuf/root.json, else
 * /usr/lib/keel/tuf/root.json); without one, its root.json is trusted. target: a target's
 * length, hashes, custom fields from the trusted metadata (after a refresh with --repo). download: fetch NAME into OUT (via OUT.part).
 * reboot: apply /etc/keel/update.json's strategy (immediate, fleetlock, window, off) now; exit 0
 * rebooting, 1 off, 3 error, 5 deferred. steady-state: release the FleetLock slot (0, 1 refused).
 * publish: sign with PEM private keys (EC P-256: ecdsa-sha2-nistp256; RSA: rsassa-pss-sha256).
 * init: version 1 of every role; add: copy files below targets/, new targets, snapshot and
 * timestamp; rotate: root N+1 with the --new keys of the roles named, signed by old and new keys.
 *
 * Releases (core/update/release.h): publish release cuts a slot image into zstd frames of
 * --chunk-size bytes (default 1 MiB) as keel-VERSION.usr.zst, plus keel-VERSION.efi. check: the
 * newest release never remembered as failed, against the booted version and the floor (--floor,
 * default /var/lib/keel/min-version). apply: into the other slot, each chunk's sha256 checked
 * before it is written, resumed from the first unverified chunk (--retries, default 3, then the
 * next apply); then the slot manifest (--keys, default /etc/keel/keys) and verity tree, the UKI
 * into the ESP (--esp DIR mounted; without it, on a boot-loader boot, the GPT's ESP mounted
 * privately), the GPT, the pending release (--state, default
 * /var/lib/keel/update/state); --reboot then applies the reboot strategy as `update reboot` does
 * (exit 5 deferred; --reboot-root DIR: its files beneath DIR, for tests).
 * mark-good: entry blessed, GPT successful, floor raised. mark-bad: the release remembered as
 * failed, its entry renamed +0 (no tries left), the other slot boots next. rollback: cancel a
 * staged release, or boot the other slot.
 * Booted slot, entry, version, disk: --boot (default /run/keel/boot), --disk; partitions: --sys.
 * Exit status of these: 0 available/applied/done; 1 refused (trust, rollback); 2 usage;
 * 3 error; 4 nothing to do; 5 deferred.
 *
 * Options: --ca FILE: the CA bundle an https repository's certificate must chain to (default
 * /etc/ssl/certs/ca-certificates.crt; a --ca that cannot be read is an error, exit 3);
 * --expires ROLE=SECONDS after --now (default root 1 year, targets 90 days, snapshot
 * 7 days, timestamp 1 day; --now defaults to SOURCE_DATE_EPOCH, else the clock); -j, --json.
 * Proxies as curl reads them: http_proxy, https_proxy (HTTPS_PROXY), all_proxy (ALL_PROXY),
 * no_proxy (NO_PROXY).
 *
 * Exit status: 0 done; 1 refused (signatures, rollback, expiry, length or hash, more data than
 * declared, unsupported metadata, a target not listed); 2 usage; 3 runtime failure (repository
 * unreachable, no trusted root, a damaged trust directory, I/O).
 */
#include "applets/update_fleet.h"
#include "base/applet.h"
#include "base/args.h"
#include "base/buf.h"
#include "base/err.h"
#include "base/fs.h"
#include "base/json.h"
#include "base/log.h"
#include "base/sandbox.h"
#include "net/http.h"
#include "trust/sig.h"
#include "trust/tuf.h"
#include "applets/update.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#ifndef KEEL_TUF_TRUST
#define KEEL_TUF_TRUST "/var/lib/keel/tuf"
#endif
/* The release's root, trusted as the anchor wherever it is read from: the copy stage 1 made of
 * the initramfs's (inside the signed UKI; core/boot/stage1.h) if there is one, else the one on
 * /usr (its verity root hash is in the signed UKI's command line). */
#define KEEL_TUF_ROOT_RUN "/run/keel/tuf/root.json"
#ifndef KEEL_TUF_ROOT
#define KEEL_TUF_ROOT "/usr/lib/keel/tuf/root.json"
#endif

/* files beneath the trust dir and the repository, downloads, HTTP (DNS, sockets, back-off) */
const char *const update_syscalls[] = {"open", "openat", "openat2", "mkdirat", "renameat", "renameat2",
	"rename", "unlink", "unlinkat", "fchmod", "fsync", "getrandom", "socket", "connect", "poll", "ppoll", "sendto",
	"recvfrom", "sendmsg", "recvmsg", "getsockopt", "setsockopt", "getsockname", "getpeername", "bind",
	"nanosleep", "clock_nanosleep", "shutdown", "uname", "pread64", "pwrite64", "fdatasync", "lseek", "mkdir", "getdents64",
	"mprotect", "clone", /* install's SHA-512 thread (musl's pthread_create) */
	"sync_file_range", NULL}; /* install: a chunk's write-back started as soon as it is written */

const char *repo, *trust = KEEL_TUF_TRUST, *root_file;
static const char *ca_file;
static const char *custom;
uint64_t now;
int json, repofd = -1;
static int consistent;
static struct strlist keys, newkeys, thresholds, expires;
struct upd_opts upd = {.sys = "/sys", .reboot_root = "", .state = STATE_PATH, .boot = UPD_BOOT, .keys = UPD_KEYS, .floor = UPD_FLOOR, .retries = 3,
	.chunk = RELEASE_CHUNK_DEFAULT};

static const struct opt opts[] = {
	{"repo", 0, OPT_STR, &repo},
	{"ca", 0, OPT_STR, &ca_file},
	{"trust", 0, OPT_STR, &trust},
	{"root", 0, OPT_STR, &root_file},
	{"now", 0, OPT_U64, &now, 1, (uint64_t)1 << 40},
	{"json", 'j', OPT_FLAG, &json},
	{"key", 0, OPT_LIST, &keys},
	{"new", 0, OPT_LIST, &newkeys},
	{"threshold", 0, OPT_LIST, &thresholds},
	{"expires", 0, OPT_LIST, &expires},
	{"consistent-snapshot", 0, OPT_FLAG, &consistent},
	{"custom", 0, OPT_STR, &custom},
	{"state", 0, OPT_STR, &upd.state},
	{"disk", 0, OPT_STR, &upd.disk},
	{"boot", 0, OPT_STR, &upd.boot},
	{"keys", 0, OPT_STR, &upd.keys},
	{"esp", 0, OPT_STR, &upd.esp},
	{"floor", 0, OPT_STR, &upd.floor},
	{"reason", 0, OPT_STR, &upd.reason},
	{"allow-downgrade", 0, OPT_FLAG, &upd.allow_downgrade},
	{"reboot", 0, OPT_FLAG, &upd.reboot},
	{"retries", 0, OPT_U64, &upd.retries, 0, 100},
	{"chunk-size", 0, OPT_U64, &upd.chunk, 4096, RELEASE_CHUNK_MAX},
	{"reboot-root", 0, OPT_STR, &upd.reboot_root},
	{"sys", 0, OPT_STR, &upd.sys},
	{0},
};

/* ---- fetching: a directory, file:// or http(s) ---- */

int fetch_http(void *ctx, const char *path, uint64_t max, tuf_sink_fn sink, void *sctx, struct kerr *e)
{
	struct http_fetch *h = ctx;
	struct http_result res = {0};
	struct http_opts o = {.connect_timeout_ms = 10000, .header_timeout_ms = 30000, .idle_timeout_ms = 30000,
		.max_body = max + 1, .max_redirects = 5, .retries = 2, .ca = &h->ca, .proxy = &h->proxy, .user_agent = "keel-update"};
	char url[4096];

	if (str_fmt(url, sizeof(url), "%s/%s", h->base, path))
		return kerr_set(e, -ENAMETOOLONG, "%s: URL too long", path);
	int ret = http_get(url, &o, sink, sctx, &res, e);
	if (ret == -EREMOTEIO && (res.status == 404 || res.status == 403))
		ret = -ENOENT;
	return ret;
}

int open_repo(struct tuf_fetch *f, struct http_fetch *h)
{
	struct kerr e = {0};
	const char *dir = repo;

	if (str_starts(repo, "http://") || str_starts(repo, "https://")) {
		size_t n = strlen(repo);
		int ret;
		http_ca_init(&h->ca);
		/* the system bundle may be missing (then no https server is trusted); a --ca must be read */
		ret = http_ca_add_file(&h->ca, ca_file ? ca_file : "/etc/ssl/certs/ca-certificates.crt", 4u << 20, &e);
		if (ret && ca_file)
			return kfail(EXIT_FAIL, "--ca: %s", kerr_str(&e, ret));
		http_proxy_env(&h->proxy);
		while (n && repo[n - 1] == '/')
			n--;
		if (str_fmt(h->base, sizeof(h->base), "%.*s", (int)n, repo))
			return kfail(EXIT_USAGE, "--repo: URL too long");
		f->get = fetch_http;
		f->ctx = h;
		return 0;
	}
	if (str_starts(repo, "file://"))
		dir = repo + 7;
	if ((repofd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0)
		return kfail(EXIT_FAIL, "repository %s: %s", dir, strerror(errno));
	f->get = tuf_fetch_dir;
	f->ctx = &repofd;
	return 0;
}

/* ---- the client ---- */

static void print_versions(const struct tuf_client *c)
{
	if (json) {
		struct buf b = BUF_INIT(4096);
		struct jw w;
		jw_init(&w, &b);
		jw_obj(&w);
		for (int r = 0; r < TUF_NROLES; r++) {
			jw_key(&w, tuf_role_names[r]);
			jw_uint(&w, c->m[r]->version);
		}
		jw_key(&w, "rotations");
		jw_uint(&w, c->rotations);
		jw_key(&w, "updated");
		jw_arr(&w);
		for (int r = 0; r < TUF_NROLES; r++)
			if (c->written & (1u << r))
				jw_str(&w, tuf_role_names[r]);
		jw_arr_end(&w);
		jw_obj_end(&w);
		if (!jw_finish(&w))
			printf("%s\n", (const char *)b.p);
		buf_free(&b);
		return;
	}
	printf("root %llu, timestamp %llu, snapshot %llu, targets %llu; ", (unsigned long long)c->m[0]->version,
		(unsigned long long)c->m[1]->version, (unsigned long long)c->m[2]->version,
		(unsigned long long)c->m[3]->version);
	if (!c->written)
		printf("unchanged\n");
	for (int r = 0, n = 0; r < TUF_NROLES; r++)
		if (c->written & (1u << r))
			printf("%s%s", n++ ? " " : "updated: ", tuf_role_names[r]);
	if (c->written)
		printf("\n");
}

static void print_target(const char *name, const struct tuf_file *f)
{
	struct buf b = BUF_INIT(8 << 20);
	struct jw w;
	char hex[129];

	jw_init(&w, &b);
	jw_obj(&w);
	jw_key(&w, "name");
	jw_str(&w, name);
	jw_key(&w, "length");
	jw_uint(&w, f->length);
	jw_key(&w, "hashes");
	jw_obj(&w);
	if (!json)
		printf("length %llu\n", (unsigned long long)f->length);
	for (int i = 0; i < 2; i++) {
		if (!(f->hashes & (1u << i)))
			continue;
		hex_encode(hex, i ? f->sha512 : f->sha256, i ? 64 : 32);
		jw_key(&w, i ? "sha512" : "sha256");
		jw_str(&w, hex);
		if (!json)
			printf("%s %s\n", i ? "sha512" : "sha256", hex);
	}
	jw_obj_end(&w);
	if (f->custom) {
		struct buf c = BUF_INIT(8 << 20);
		struct jw w2;
		jw_key(&w, "custom");
		tuf_jw_value(&w, f->custom);
		jw_init(&w2, &c);
		tuf_jw_value(&w2, f->custom);
		if (!json && !jw_finish(&w2))
			printf("custom %s\n", (const char *)c.p);
		buf_free(&c);
	}
	jw_obj_end(&w);
	if (json && !jw_finish(&w))
		printf("%s\n", (const char *)b.p);
	buf_free(&b);
}

static int client(const char *cmd, int n, char **ops)
{
	struct tuf_client c = {.trustfd = -1};
	struct http_fetch h = {0};
	struct tuf_file f;
	struct kerr e = {0};
	int ret, rc;
	int refresh = !strcmp(cmd, "refresh"), dl = !strcmp(cmd, "download");

	if (n != (refresh ? 0 : dl ? 2 : 1))
		return kfail(EXIT_USAGE, "%s: %s (see --help)", cmd, refresh ? "takes no operands" : dl ? "NAME OUT" : "NAME");
	if (refresh && !repo)
		return kfail(EXIT_USAGE, "refresh: --repo is required");
	c.now = now ? (int64_t)now : (int64_t)time(NULL);
	c.bootstrap = root_file;
	if ((c.trustfd = open(trust, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0)
		return kfail(EXIT_FAIL, "trust directory %s: %s", trust, strerror(errno));
	if (repo && (rc = open_repo(&c.fetch, &h)))
		goto done;
	if ((ret = sandbox_enter(update_syscalls, &e))) {
		rc = kfail(EXIT_FAIL, "%s", kerr_str(&e, ret));
		goto done;
	}
	ret = repo ? tuf_refresh(&c, &e) : tuf_load(&c, &e);
	if (!ret && refresh) {
		print_versions(&c);
	} else if (!ret && (ret = tuf_target(&c, ops[0], &f, &e)) == -ENOENT) {
		ret = -ENOMSG; /* not listed: a negative answer, not a missing file */
	} else if (!ret) {
		if (!dl) {
			print_target(ops[0], &f);
		} else if (!repo) {
			rc = kfail(EXIT_USAGE, "download: --repo is required");
			goto done;
		} else {
			char tmp[4096];
			int fd = -1;
			/* OUT.part is renamed over OUT: neither may be a device, FIFO or symlink */
			if (!str_fmt(tmp, sizeof(tmp), "%s.part", ops[1]))
				for (const char *p = ops[1]; p; p = p == ops[1] ? tmp : NULL)
					if (fs_output_ok(AT_FDCWD, p) == -EEXIST) {
						rc = kfail(EXIT_USAGE, "download: %s: not a regular file (it would be replaced)", p);
						goto done;
					}
			if (str_fmt(tmp, sizeof(tmp), "%s.part", ops[1]) ||
				(fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0644)) < 0)
				ret = kerr_set(&e, fd < 0 ? -errno : -ENAMETOOLONG, "%s: %s", tmp, strerror(errno));
			else if (!(ret = tuf_download(&c, ops[0], &f, fd, &e)) && (fsync(fd) || rename(tmp, ops[1])))
				ret = kerr_set(&e, -errno, "%s: %s", ops[1], strerror(errno));
			if (fd >= 0) {
				close(fd);
				if (ret)
					unlink(tmp);
			}
		}
	}
	rc = ret ? kfail(ret == -ENOMSG ? EXIT_NO : kerr_exit(ret), "%s: %s", cmd, kerr_str(&e, ret)) : EXIT_OK;
done:
	tuf_client_free(&c);
	if (h.base[0])
		http_ca_free(&h.ca);
	close(c.trustfd);
	if (repofd >= 0)
		close(repofd);
	return rc;
}

/* ---- publish ---- */

static int role_of(const char *s, size_t n)
{
	for (int r = 0; r < TUF_NROLES; r++)
		if (strlen(tuf_role_names[r]) == n && !strncmp(s, tuf_role_names[r], n))
			return r;
	return -1;
}

/* "ROLE=VALUE": the role, *val after the '='; -1 if malformed. */
static int split(const char *s, const char **val)
{
	const char *eq = strchr(s, '=');
	if (!eq || !eq[1])
		return -1;
	*val = eq + 1;
	return role_of(s, (size_t)(eq - s));
}

static int load_signers(const struct strlist *l, struct tuf_signer *out, const char *opt)
{
	struct kerr e = {0};
	for (int i = 0; i < l->n; i++) {
		const char *path;
		int r = split(l->v[i], &path), ret;
		if (r < 0)
			return kfail(EXIT_USAGE, "--%s %s: not ROLE=KEY", opt, l->v[i]);
		out[i].role = (enum tuf_role)r;
		if ((ret = sig_priv_load(&out[i].k, AT_FDCWD, path, &e)))
			return kfail(kerr_exit(ret) == EXIT_NO ? EXIT_NO : EXIT_FAIL, "--%s: %s", opt, kerr_str(&e, ret));
	}
	return 0;
}

static int publish(int n, char **ops)
{
	static const int64_t def_exp[TUF_NROLES] = {365 * 86400, 86400, 7 * 86400, 90 * 86400};
	struct tuf_signer sign[STRLIST_MAX] = {0}, nk[STRLIST_MAX] = {0};
	struct tuf_pub p = {.repofd = -1, .sign = sign, .nsign = (size_t)keys.n, .keys = nk, .nkeys = (size_t)newkeys.n,
		.consistent = consistent, .custom = custom};
	char **paths = calloc((size_t)n + 1, 2 * sizeof(char *)), **names = paths ? paths + n + 1 : NULL;
	struct kerr e = {0};
	const char *sde = getenv("SOURCE_DATE_EPOCH"), *v;
	uint64_t x;
	int rc, ret;

	if (n < 1 || !repo) {
		free(paths);
		return kfail(EXIT_USAGE, "publish: init, add or rotate, with --repo DIR (see --help)");
	}
	if (!paths)
		return kfail(EXIT_FAIL, "out of memory");
	memcpy(p.expires, def_exp, sizeof(def_exp));
	p.now = now ? (int64_t)now : sde && !parse_u64(sde, 0, (uint64_t)1 << 40, &x) ? (int64_t)x : (int64_t)time(NULL);
	for (int i = 0; i < thresholds.n + expires.n; i++) {
		const char *s = i < thresholds.n ? thresholds.v[i] : expires.v[i - thresholds.n];
		int r = split(s, &v);
		if (r < 0 || parse_u64(v, i < thresholds.n, (uint64_t)1 << 36, &x)) {
			free(paths);
			return kfail(EXIT_USAGE, "%s: not ROLE=NUMBER", s);
		}
		if (i < thresholds.n)
			p.threshold[r] = x;
		else
			p.expires[r] = (int64_t)x;
	}
	if ((rc = load_signers(&keys, sign, "key")) || (rc = load_signers(&newkeys, nk, "new")))
		goto out;
	if (mkdir(repo, 0755) && errno != EEXIST) {
		rc = kfail(EXIT_FAIL, "%s: %s", repo, strerror(errno));
		goto out;
	}
	if ((p.repofd = open(repo, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0) {
		rc = kfail(EXIT_FAIL, "%s: %s", repo, strerror(errno));
		goto out;
	}
	if ((ret = sandbox_enter(update_syscalls, &e))) {
		rc = kfail(EXIT_FAIL, "%s", kerr_str(&e, ret));
		goto out;
	}
	if (!strcmp(ops[0], "init") && n == 1) {
		ret = tuf_pub_init(&p, &e);
	} else if (!strcmp(ops[0], "rotate") && n == 1) {
		ret = newkeys.n ? tuf_pub_rotate(&p, &e) : kerr_set(&e, -EINVAL, "rotate: no --new key");
	} else if (!strcmp(ops[0], "release")) {
		ret = update_publish_release(&p, n, ops, &e);
	} else if (!strcmp(ops[0], "add")) {
		for (int i = 1; i < n; i++) {
			char *eq = strchr(ops[i], '=');
			paths[i - 1] = ops[i];
			names[i - 1] = eq ? eq + 1 : strrchr(ops[i], '/') ? strrchr(ops[i], '/') + 1 : ops[i];
			if (eq)
				*eq = 0;
		}
		ret = tuf_pub_targets(&p, paths, names, (size_t)n - 1, &e);
	} else {
		rc = kfail(EXIT_USAGE, "publish %s: unknown or with extra operands (see --help)", ops[0]);
		goto out;
	}
	rc = ret ? kfail(kerr_exit(ret), "publish %s: %s", ops[0], kerr_str(&e, ret)) : EXIT_OK;
out:
	for (int i = 0; i < STRLIST_MAX; i++) {
		sig_priv_free(sign[i].k);
		sig_priv_free(nk[i].k);
	}
	if (p.repofd >= 0)
		close(p.repofd);
	free(paths);
	return rc;
}

int update_main(int argc, char **argv)
{
	char **ops;
	if (argc >= 2 && !strcmp(argv[1], "--help")) {
		args_help();
		return EXIT_OK;
	}
	if (argc < 2)
		return kfail(EXIT_USAGE, "which command? status, check, apply, mark-good, mark-bad, rollback, reboot, steady-state, refresh, target, download, publish (see --help)");
	if (!strcmp(argv[1], "reboot") || !strcmp(argv[1], "steady-state"))
		return update_fleet(argc - 1, argv + 1);
	int n = args_parse(opts, argc - 2, argv + 2, &ops);
	if (n < 0)
		return args_exit(n);
	if (!root_file)
		root_file = access(KEEL_TUF_ROOT_RUN, F_OK) ? KEEL_TUF_ROOT : KEEL_TUF_ROOT_RUN;
	if (!strcmp(argv[1], "refresh") || !strcmp(argv[1], "target") || !strcmp(argv[1], "download"))
		return client(argv[1], n, ops);
	if (!strcmp(argv[1], "publish"))
		return publish(n, ops);
	if (!strcmp(argv[1], "status") || !strcmp(argv[1], "check") || !strcmp(argv[1], "apply") ||
		!strcmp(argv[1], "mark-good") || !strcmp(argv[1], "mark-bad") || !strcmp(argv[1], "rollback"))
		return update_release(argv[1], n, ops);
	return kfail(EXIT_USAGE, "unknown command '%s' (see --help)", argv[1]);
}
