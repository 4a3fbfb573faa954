/* keel provision - apply Ignition v3 configs at first boot, all or nothing
 *
 * usage: keel provision validate [--json] CONFIG
 *        keel provision render [--json] CONFIG
 *        keel provision apply --root DIR [--base FILE] [--force] [OPTIONS] CONFIG
 *        keel provision boot --root DIR [--cmdline FILE] [--sys DIR] [--dev DIR] [OPTIONS]
 *        keel provision reset --root DIR
 *
 * CONFIG is a file, "-" (standard input), or a file:, data:, http: or https: URL. Ignition
 * spec 3.0.0 to 3.5.0 (ignition.version). Fields keel does not support (storage.disks, raid,
 * filesystems, luks, ignition.proxy, s3/gs/tftp/arn sources) are refused
 * by name; unknown fields are errors, not warnings. Every error is one line starting with the
 * JSON path, e.g. storage.files[3].contents.verification.hash. The config's contents are
 * never printed.
 *
 * validate  check CONFIG alone (no fetching): exit 0 valid, 1 invalid.
 * render    the plan of CONFIG: every directory, file (mode in octal, owner, source, hash),
 *           link, unit, group and user.
 * apply     follow ignition.config.replace/merge, fetch and verify every byte, plan against
 *           DIR, stage into DIR/.keel-staging, then commit; any failure leaves DIR as it was.
 *           DIR/var/lib/keel/provision/applied (the marker) records the config's sha512:
 *           applying the same config again does nothing (unless --force). A commit cut short
 *           by a crash or power cut is finished from DIR/.keel-staging/journal, exactly once,
 *           by the next apply or boot before anything else.
 * boot      first boot only (stage 1 runs it at every boot with --root /sysroot). Once the
 *           marker exists DIR is provisioned: nothing is read, fetched or scanned, whatever
 *           keel.config=, config drives or base.ign say, and boot exits 0. Otherwise the config
 *           comes from the kernel command line (keel.config=URL), else from a config drive (a
 *           partition or filesystem labelled config-2 or ignition); DIR/usr/lib/keel/base.ign
 *           is merged under it; any failure is exit 1 or 3 (stage 1: the rescue console). No
 *           config at all is not an error: the marker is written all the same, so a config
 *           drive attached later is never read.
 * reset     ask for provisioning at the next boot: creates
 *           DIR/var/lib/keel/provision/first-boot (rm it to take the request back). That boot
 *           runs boot as on a first boot (a failure stops it in the rescue console) and removes
 *           the file once DIR is provisioned; a config whose inputs (config and base.ign) are
 *           those the marker records is not applied twice (apply --force does that).
 *
 * Options:
 *   --root DIR         the target root
 *   --base FILE        a config merged under CONFIG (apply)
 *   --force            apply even if the marker says this config was applied (apply; boot
 *                      after reset)
 *   --json             machine-readable output
 *   --ca FILE          CA bundle for https (default /etc/ssl/certs/ca-certificates.crt)
 *   --http-timeout S   longest time for one http(s) fetch (default 600; the config's
 *                      ignition.timeouts.httpTotal when smaller)
 *   --max-fetch BYTES  largest fetched resource (default 1073741824)
 *   --retries N        http attempts after a failure (default 8)
 *   --cmdline FILE     kernel command line (boot; default /proc/cmdline)
 *   --sys DIR          sysfs (boot; default /sys)
 *   --dev DIR          device nodes (boot; default /dev)
 *   --mount-dir DIR    where a config drive is mounted (boot; default /run/keel-config-drive)
 *
 * Exit status: 0 done (or nothing to do), 1 the config is invalid (also: larger than 16 MiB,
 * configs nested too deep), unsupported, or a hash does not match, 2 usage, 3 a runtime failure
 * (a file missing or unreadable, fetching, an untrusted TLS certificate, the target refused a
 * change, I/O).
 */
#include "base/applet.h"
#include "base/args.h"
#include "base/buf.h"
#include "boot/cmdline.h"
#include "base/err.h"
#include "base/fs.h"
#include "trust/hash.h"
#include "provision/ign.h"
#include "provision/ign_apply.h"
#include "provision/ign_boot.h"
#include "provision/ign_load.h"
#include "provision/ign_render.h"
#include "base/json.h"
#include "base/log.h"
#include "base/sandbox.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define CONFIG_MAX (16u << 20)

static const char *const apply_syscalls[] = {"open", "openat", "openat2", "mkdirat", "mkdir", "rename", "renameat",
	"renameat2", "unlink", "unlinkat", "rmdir", "symlinkat", "linkat", "readlinkat", "fchown", "fchownat", "fchmod",
	"fchmodat", "fsync", "fdatasync", "syncfs", "getdents64", "fstatfs", "statfs", "statx", "stat", "lstat", "access",
	"faccessat", "getrandom", "socket", "connect", "poll", "ppoll", "select", "pselect6", "sendto", "recvfrom", "sendmsg",
	"recvmsg", "getsockopt", "setsockopt", "getsockname", "getpeername", "bind", "nanosleep", "clock_nanosleep",
	"umask", "utimensat", "uname", "getuid", "geteuid", "getgid", "getegid", "shutdown", "readlink", NULL};

struct common {
	const char *root, *base, *ca, *cmdline, *sys, *dev, *mount_dir;
	int force, json;
	uint64_t http_timeout, max_fetch, retries;
};

static int report_err(const struct common *c, const char *what, int ret, const struct kerr *e)
{
	if (c && c->json) {
		struct buf b = BUF_INIT(8192);
		struct jw w;
		jw_init(&w, &b);
		jw_obj(&w);
		jw_key(&w, "ok");
		jw_bool(&w, false);
		jw_key(&w, "error");
		jw_str(&w, kerr_str(e, ret));
		jw_obj_end(&w);
		if (!jw_finish(&w))
			printf("%s\n", (char *)b.p);
		buf_free(&b);
	}
	log_err("%s: %s", what, kerr_str(e, ret));
	return kerr_exit(ret);
}

static int read_config(struct ign_env *env, const char *src, struct buf *out, struct kerr *e)
{
	if (!strcmp(src, "-")) {
		int ret = fs_read_fd(STDIN_FILENO, out->max, out);
		return ret ? kerr_set(e, ret, "standard input: %s", ret == -EFBIG ? "config larger than 16 MiB" : kerr_strerror(ret)) : 0;
	}
	return ign_read_source(env, src, out, e);
}

static void env_setup(struct ign_env *env, const struct common *c)
{
	ign_env_init(env);
	http_proxy_env(&env->proxy);
	if (c->ca)
		env->system_ca = c->ca;
	env->max_total_timeout_s = (uint32_t)c->http_timeout;
	env->max_resource = c->max_fetch;
	env->retries = (int)c->retries;
}

static int parse_common(int argc, char **argv, struct common *c, char ***ops)
{
	const struct opt opts[] = {
		{"root", 0, OPT_STR, &c->root},
		{"base", 0, OPT_STR, &c->base},
		{"force", 0, OPT_FLAG, &c->force},
		{"json", 0, OPT_FLAG, &c->json},
		{"ca", 0, OPT_STR, &c->ca},
		{"http-timeout", 0, OPT_U64, &c->http_timeout, 1, 86400},
		{"max-fetch", 0, OPT_U64, &c->max_fetch, 1, 1ull << 40},
		{"retries", 0, OPT_U64, &c->retries, 0, 100},
		{"cmdline", 0, OPT_STR, &c->cmdline},
		{"sys", 0, OPT_STR, &c->sys},
		{"dev", 0, OPT_STR, &c->dev},
		{"mount-dir", 0, OPT_STR, &c->mount_dir},
		{0},
	};
	c->http_timeout = 600;
	c->max_fetch = 1ull << 30;
	c->retries = 8;
	return args_parse(opts, argc, argv, ops);
}

static int cmd_validate(int argc, char **argv, bool render)
{
	struct common c = {0};
	char **ops;
	struct kerr e = {0};
	struct buf in = BUF_INIT(CONFIG_MAX), out = BUF_INIT(64u << 20);
	struct ign_cfg *cfg = NULL;
	struct ign_env env;
	int n = parse_common(argc, argv, &c, &ops), ret;
	if (n < 0)
		return args_exit(n);
	if (n != 1)
		return kfail(EXIT_USAGE, "%s: one CONFIG (see --help)", render ? "render" : "validate");
	env_setup(&env, &c);
	if ((ret = read_config(&env, ops[0], &in, &e))) {
		ign_env_free(&env);
		buf_free_secret(&in);
		return kfail(kerr_exit(ret), "%s: %s", ops[0], kerr_str(&e, ret));
	}
	static const char *const none[] = {NULL};
	if ((ret = sandbox_enter(none, &e))) {
		buf_free_secret(&in);
		return kfail(EXIT_FAIL, "%s", kerr_str(&e, ret));
	}
	ret = ign_load(NULL, in.p ? (char *)in.p : "", in.len, NULL, &cfg, &e);
	buf_free_secret(&in);
	if (!ret)
		ret = ign_check(cfg, &e);
	if (ret) {
		int rc = report_err(&c, ops[0], ret, &e);
		ign_free(cfg);
		ign_env_free(&env);
		return rc;
	}
	if (render) {
		ret = ign_render(cfg, c.json, &out, &e);
		if (!ret && out.len)
			fwrite(out.p, 1, out.len, stdout);
	} else if (c.json) {
		printf("{\"ok\":true,\"version\":\"%s\"}\n", ign_version(cfg));
	}
	buf_free(&out);
	ign_free(cfg);
	ign_env_free(&env);
	if (ret)
		return kfail(kerr_exit(ret), "%s", kerr_str(&e, ret));
	return EXIT_OK;
}

/* The inputs, loaded: base (may be absent) under user (may be absent). */
struct inputs {
	struct buf base, user;
	bool has_base, has_user;
	const char *user_name;
	uint8_t id[64];
};

static void inputs_free(struct inputs *in)
{
	buf_free_secret(&in->base);
	buf_free_secret(&in->user);
}

static void inputs_id(struct inputs *in)
{
	struct hash_ctx h;
	hash_init(&h, HASH_SHA512);
	if (in->has_base)
		ign_config_id_add(&h, "base", in->base.p ? in->base.p : (const uint8_t *)"", in->base.len);
	if (in->has_user)
		ign_config_id_add(&h, "config", in->user.p ? in->user.p : (const uint8_t *)"", in->user.len);
	hash_final(&h, in->id);
}

static void print_report(const struct common *c, const char *root, const struct ign_report *r, bool already)
{
	if (c->json) {
		printf("{\"ok\":true,\"applied\":%s,\"directories\":%zu,\"files\":%zu,\"links\":%zu,\"units\":%zu,"
		       "\"accountFiles\":%zu,\"unchanged\":%zu,\"kernelArguments\":%zu}\n",
			already ? "false" : "true", r->dirs, r->files, r->links, r->units, r->accounts, r->unchanged, r->kargs);
		return;
	}
	if (already) {
		printf("%s: this config was applied already (%s); nothing to do\n", root, IGN_MARKER);
		return;
	}
	printf("%s: provisioned: %zu directories, %zu files, %zu links, %zu unit changes, %zu account files"
	       " (%zu unchanged)\n",
		root, r->dirs, r->files, r->links, r->units, r->accounts, r->unchanged);
	if (r->kargs)
		printf("%s: %zu kernel arguments requested: they take effect only when the boot loader passes them (reboot); "
		       "recorded in %s\n",
			root, r->kargs, IGN_MARKER);
}

/* Load, merge, check and apply the inputs to root. */
static int run_apply(const struct common *c, struct ign_env *env, struct inputs *in, int rootfd)
{
	struct kerr e = {0};
	struct ign_cfg *cfg = NULL, *user = NULL;
	struct ign_report rep = {0};
	int ret;

	inputs_id(in);
	if ((ret = ign_recover(rootfd, &e)) < 0)
		return report_err(c, c->root, ret, &e);
	if (ret)
		log_notice("finished the provisioning commit a crash interrupted (%s/journal)", IGN_STAGING);
	if (!c->force) {
		ret = ign_marker_matches(rootfd, in->id, &e);
		if (ret < 0)
			return report_err(c, c->root, ret, &e);
		if (ret) {
			print_report(c, c->root, &rep, true);
			return EXIT_OK;
		}
	}
	if (in->has_base && (ret = ign_load(env, in->base.p ? (char *)in->base.p : "", in->base.len, "base config", &cfg, &e)))
		return report_err(c, "base config", ret, &e);
	if (in->has_user) {
		if ((ret = ign_load(env, in->user.p ? (char *)in->user.p : "", in->user.len, NULL, &user, &e))) {
			ign_free(cfg);
			return report_err(c, in->user_name, ret, &e);
		}
		if (!cfg) {
			cfg = user;
		} else if ((ret = ign_merge(cfg, user, &e))) {
			ign_free(cfg);
			return report_err(c, in->user_name, ret, &e);
		}
	}
	if (!cfg && !(cfg = calloc(1, sizeof(*cfg)))) /* no inputs at all: only the marker */
		return report_err(c, c->root, -ENOMEM, &e);
	ign_env_timeouts(env, cfg);
	struct ign_apply_opts o = {.rootfd = rootfd, .env = env, .no_inputs = !in->has_base && !in->has_user};
	memcpy(o.config_id, in->id, sizeof(o.config_id));
	const char *sde = getenv("SOURCE_DATE_EPOCH");
	uint64_t t;
	o.now = sde && !parse_u64(sde, 0, INT64_MAX, &t) ? (int64_t)t : (int64_t)time(NULL);
	if ((ret = ign_check(cfg, &e))) {
		ign_free(cfg);
		return report_err(c, in->has_user ? in->user_name : "base config", ret, &e);
	}
	ret = ign_apply(cfg, &o, &rep, &e);
	ign_free(cfg);
	if (ret)
		return report_err(c, c->root, ret, &e);
	if (o.no_inputs) {
		if (c->json)
			printf("{\"ok\":true,\"applied\":false,\"config\":null}\n");
		else
			printf("%s: no config (no keel.config=, no config drive, no base.ign): nothing to provision; %s written\n",
				c->root, IGN_MARKER);
		return EXIT_OK;
	}
	print_report(c, c->root, &rep, false);
	return EXIT_OK;
}

static int open_root(const char *root, struct kerr *e)
{
	int fd = open(root, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return kerr_set(e, -errno, "%s: %s", root, kerr_strerror(errno));
	return fd;
}

/* The options, nops operands and --root, opened as *rootfd: -1 to go on, else the exit code
 * (--help, usage, no root). */
static int root_setup(int argc, char **argv, struct common *c, char ***ops, int nops, const char *usage, int *rootfd)
{
	struct kerr e = {0};
	int n = parse_common(argc, argv, c, ops);
	if (n < 0)
		return args_exit(n);
	if (n != nops || !c->root)
		return kfail(EXIT_USAGE, "%s (see --help)", usage);
	if ((*rootfd = open_root(c->root, &e)) < 0)
		return kfail(kerr_exit(*rootfd), "%s", kerr_str(&e, *rootfd));
	umask(022);
	return -1;
}

static int cmd_apply(int argc, char **argv)
{
	struct common c = {0};
	struct inputs in = {.base = BUF_INIT(CONFIG_MAX), .user = BUF_INIT(CONFIG_MAX)};
	struct ign_env env;
	struct kerr e = {0};
	char **ops;
	int ret, rootfd;
	if ((ret = root_setup(argc, argv, &c, &ops, 1, "apply: --root DIR and one CONFIG", &rootfd)) >= 0)
		return ret;
	env_setup(&env, &c);
	in.user_name = ops[0];
	in.has_user = true;
	if ((ret = read_config(&env, ops[0], &in.user, &e)) ||
		(c.base && (in.has_base = true, ret = read_config(&env, c.base, &in.base, &e)))) {
		ret = kfail(kerr_exit(ret), "%s", kerr_str(&e, ret));
		goto out;
	}
	if ((ret = sandbox_enter(apply_syscalls, &e))) {
		ret = kfail(EXIT_FAIL, "%s", kerr_str(&e, ret));
		goto out;
	}
	ret = run_apply(&c, &env, &in, rootfd);
out:
	inputs_free(&in);
	ign_env_free(&env);
	close(rootfd);
	return ret;
}

static int cmd_boot(int argc, char **argv)
{
	struct common c = {0};
	struct inputs in = {.base = BUF_INIT(CONFIG_MAX), .user = BUF_INIT(CONFIG_MAX)};
	struct ign_env env;
	struct kerr e = {0};
	struct cmdline *cmd;
	char src[128];
	char **ops;
	int ret, rootfd;
	if ((ret = root_setup(argc, argv, &c, &ops, 0, "boot: --root DIR and no operand", &rootfd)) >= 0)
		return ret;
	if (!(cmd = calloc(1, sizeof(*cmd)))) {
		close(rootfd);
		return kfail(EXIT_FAIL, "out of memory");
	}
	env_setup(&env, &c);
	/* 0. provisioned already (the marker), unless keel provision reset asked for it again:
	 * then no config source is read, so none can change the host or stop the boot */
	int again = 0, done = ign_recover(rootfd, &e);
	if (done > 0)
		log_notice("finished the provisioning commit a crash interrupted (%s/journal)", IGN_STAGING);
	if (done >= 0 && (done = ign_state_has(rootfd, IGN_MARKER, &e)) >= 0)
		again = ign_state_has(rootfd, IGN_FIRSTBOOT, &e);
	if (done < 0 || again < 0) {
		ret = kfail(EXIT_FAIL, "%s", kerr_str(&e, done < 0 ? done : again));
		goto out;
	}
	if (done && !again) {
		if (c.json)
			printf("{\"ok\":true,\"applied\":false,\"provisioned\":true}\n");
		else
			printf("%s: provisioned already (%s): no config source read (keel provision reset asks for another "
			       "provisioning)\n", c.root, IGN_MARKER);
		ret = EXIT_OK;
		goto out;
	}
	if (again)
		log_notice("provisioning again, as keel provision reset asked (%s)", IGN_FIRSTBOOT);
	/* 1. the kernel command line */
	if ((ret = cmdline_read(cmd, c.cmdline ? c.cmdline : "/proc/cmdline", &e))) {
		ret = kfail(kerr_exit(ret), "%s", kerr_str(&e, ret));
		goto out;
	}
	const char *url = cmdline_get(cmd, "keel.config");
	if (url) {
		in.has_user = true;
		in.user_name = "keel.config";
		if ((ret = read_config(&env, url, &in.user, &e))) {
			ret = kfail(kerr_exit(ret), "keel.config: %s", kerr_str(&e, ret));
			goto out;
		}
		log_notice("config from the kernel command line (keel.config=)");
	} else {
		/* 2. a config drive */
		struct ign_drive d;
		ret = ign_find_drive(c.sys ? c.sys : "/sys", c.dev ? c.dev : "/dev", &d, &e);
		if (ret < 0) {
			ret = kfail(EXIT_FAIL, "looking for a config drive: %s", kerr_str(&e, ret));
			goto out;
		}
		if (ret) {
			in.has_user = true;
			snprintf(src, sizeof(src), "config drive %s", d.name);
			in.user_name = src;
			if ((ret = ign_read_drive(&d, c.mount_dir ? c.mount_dir : "/run/keel-config-drive", &in.user, &e))) {
				ret = kfail(kerr_exit(ret), "%s", kerr_str(&e, ret));
				goto out;
			}
			log_notice("config from %s (%s %s)", src, d.by_partname ? "partition" : "filesystem label", d.label);
		}
	}
	/* 3. the image's base config */
	int fd = fs_open_beneath(rootfd, "/usr/lib/keel/base.ign", O_RDONLY | O_NOCTTY, 0);
	if (fd >= 0) {
		in.has_base = true;
		ret = fs_read_fd(fd, in.base.max, &in.base);
		close(fd);
		if (ret) {
			ret = kfail(kerr_exit(ret), "%s/usr/lib/keel/base.ign: %s", c.root, kerr_strerror(ret));
			goto out;
		}
	} else if (fd != -ENOENT) {
		ret = kfail(kerr_exit(fd), "%s/usr/lib/keel/base.ign: %s", c.root, kerr_strerror(fd));
		goto out;
	}
	if ((ret = sandbox_enter(apply_syscalls, &e))) {
		ret = kfail(EXIT_FAIL, "%s", kerr_str(&e, ret));
		goto out;
	}
	if (!in.has_user && !in.has_base && done) { /* reset, and nothing found: the marker stays as it is */
		if (c.json)
			printf("{\"ok\":true,\"applied\":false,\"config\":null}\n");
		else
			printf("%s: no config (no keel.config=, no config drive, no base.ign): nothing to provision\n", c.root);
		ret = EXIT_OK;
	} else { /* no config at all is provisioned too: the marker, so that no later boot looks again */
		ret = run_apply(&c, &env, &in, rootfd);
	}
	if (ret == EXIT_OK && again && (ret = ign_first_boot_done(rootfd, &e)))
		ret = kfail(EXIT_FAIL, "%s", kerr_str(&e, ret));
out:
	secure_wipe(cmd, sizeof(*cmd)); /* a data: URL on the command line is a config */
	free(cmd);
	inputs_free(&in);
	ign_env_free(&env);
	close(rootfd);
	return ret;
}

static int cmd_reset(int argc, char **argv)
{
	struct common c = {0};
	struct kerr e = {0};
	char **ops;
	int ret, rootfd;
	if ((ret = root_setup(argc, argv, &c, &ops, 0, "reset: --root DIR and no operand", &rootfd)) >= 0)
		return ret;
	ret = ign_first_boot_request(rootfd, &e);
	close(rootfd);
	if (ret)
		return kfail(EXIT_FAIL, "%s: %s", c.root, kerr_str(&e, ret));
	printf("%s: the next boot provisions again (%s): keel.config= or a config drive, with base.ign\n", c.root,
		IGN_FIRSTBOOT);
	return EXIT_OK;
}

int provision_main(int argc, char **argv)
{
	if (argc >= 2 && !strcmp(argv[1], "--help")) {
		args_help();
		return EXIT_OK;
	}
	if (argc < 2)
		return kfail(EXIT_USAGE, "which command? validate, render, apply, boot, reset (see --help)");
	if (!strcmp(argv[1], "validate"))
		return cmd_validate(argc - 2, argv + 2, false);
	if (!strcmp(argv[1], "render"))
		return cmd_validate(argc - 2, argv + 2, true);
	if (!strcmp(argv[1], "apply"))
		return cmd_apply(argc - 2, argv + 2);
	if (!strcmp(argv[1], "boot"))
		return cmd_boot(argc - 2, argv + 2);
	if (!strcmp(argv[1], "reset"))
		return cmd_reset(argc - 2, argv + 2);
	return kfail(EXIT_USAGE, "unknown command '%s' (see --help)", argv[1]);
}
