/* oci_image.c — fuzz core/archive/oci_unpack.c's config.json writer (oci_unpack_config): the image's
 * config document (an untrusted blob of the image) becomes the runtime bundle's config.json.
 *
 * Input: the image config JSON, then optionally NUL and the rootfs's /etc/passwd, NUL and its
 * /etc/group (User= names are looked up there). Invariants: a config that is refused leaves no
 * config.json and says why; one that is written parses as JSON; everything but the process the
 * image describes is the same for every image (root, mounts, hostname, linux: namespaces,
 * devices, masked paths, seccomp), and so are noNewPrivileges, rlimits and terminal; args are
 * Entrypoint's then Cmd's strings, env is Env's strings (PATH by default) plus HOME unless Env
 * sets it, cwd is an absolute WorkingDir or "/", the three capability sets are one list of
 * CAP_[A-Z0-9_] names. No string of the image can reach any other field.
 */
#include "archive/oci_unpack.h"
#include "base/buf.h"
#include "base/err.h"
#include "base/fs.h"
#include "base/json.h"
#include "scratch.h"

#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static int bundlefd = -1, rootfd = -1;
static struct buf ref_fixed = BUF_INIT(1 << 20);

static void check(int cond, const char *what)
{
	if (!cond) {
		fprintf(stderr, "oci_image fuzz: %s\n", what);
		abort();
	}
}

static const struct json *at(const struct json *v, const char *path) /* "a/b/c" of objects */
{
	char k[64];
	while (v && *path) {
		size_t n = strcspn(path, "/");
		snprintf(k, sizeof(k), "%.*s", (int)n, path);
		v = v->type == JSON_OBJECT ? json_get(v, k) : NULL;
		path += n + (path[n] == '/');
	}
	return v;
}

/* What no image may change, canonical: everything but process's args, env, cwd, user, caps. */
static void fixed(const struct json *root, struct buf *out)
{
	static const char *const parts[] = {"ociVersion", "root", "hostname", "mounts", "linux", "process/terminal",
		"process/rlimits", "process/noNewPrivileges"};
	struct kerr e = {0};
	buf_reset(out);
	for (size_t i = 0; i < sizeof(parts) / sizeof(parts[0]); i++) {
		const struct json *v = at(root, parts[i]);
		check(v && !json_canonical(v, out, &e) && !buf_putc(out, '\n'), "a fixed part is missing");
	}
	const struct json *p = at(root, "process");
	check(p && p->type == JSON_OBJECT && p->u.obj.n == 8, "process has other members");
	check(root->type == JSON_OBJECT && root->u.obj.n == 6, "config.json has other members");
}

static const struct json *arr(const struct json *c, const char *key)
{
	const struct json *v = c && c->type == JSON_OBJECT ? json_get(c, key) : NULL;
	return v && v->type == JSON_ARRAY ? v : NULL;
}

/* got[*i..] holds the strings of a, in order; *i moves past them */
static void strings_match(const struct json *got, size_t *i, const struct json *a, const char *what)
{
	for (size_t k = 0; a && k < a->u.arr.n; k++) {
		if (a->u.arr.v[k]->type != JSON_STRING)
			continue;
		check(*i < got->u.arr.n && got->u.arr.v[*i]->type == JSON_STRING &&
			!strcmp(got->u.arr.v[*i]->u.str.s, a->u.arr.v[k]->u.str.s), what);
		(*i)++;
	}
}

static int write_config(const struct json *cfg, struct kerr *e)
{
	unlinkat(bundlefd, "config.json", 0);
	return oci_unpack_config(bundlefd, rootfd, cfg, NULL, e);
}

static void setup(void)
{
	int b = scratch_open("oci-image");
	check(!mkdirat(b, "bundle", 0755) && !mkdirat(b, "rootfs", 0755), "setup");
	bundlefd = openat(b, "bundle", O_RDONLY | O_DIRECTORY);
	rootfd = openat(b, "rootfs", O_RDONLY | O_DIRECTORY);
	check(bundlefd >= 0 && rootfd >= 0 && !mkdirat(rootfd, "etc", 0755), "setup");
	close(b);
	/* the reference: the config.json of an image that says nothing */
	struct json_doc d = {0}, out = {0};
	struct kerr e = {0};
	struct buf f = BUF_INIT(8 << 20);
	check(!json_parse(&d, "{}", 2, NULL, &e) && !write_config(d.root, &e), "the empty image");
	check(!fs_read_path(bundlefd, "config.json", f.max, &f, &e) && !json_parse(&out, f.p, f.len, NULL, &e), "read back");
	fixed(out.root, &ref_fixed);
	json_free(&d);
	json_free(&out);
	buf_free(&f);
}

static void put(const char *name, const uint8_t *p, const uint8_t *end)
{
	unlinkat(rootfd, name, 0);
	if (!p)
		return;
	int fd = openat(rootfd, name, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	check(fd >= 0 && !fs_write_all(fd, p, (size_t)(end - p)) && !close(fd), "write a rootfs file");
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (bundlefd < 0)
		setup();
	const uint8_t *end = data + size, *nul = memchr(data, 0, size), *pw = nul ? nul + 1 : NULL;
	const uint8_t *nul2 = pw ? memchr(pw, 0, (size_t)(end - pw)) : NULL, *gr = nul2 ? nul2 + 1 : NULL;
	put("etc/passwd", pw, nul2 ? nul2 : end);
	put("etc/group", gr, end);

	struct json_doc in = {0}, out = {0};
	struct kerr e = {0};
	if (json_parse(&in, data, nul ? (size_t)(nul - data) : size, NULL, &e))
		return 0;
	int ret = write_config(in.root, &e);
	struct stat st;
	if (ret) {
		check(ret < 0 && e.msg[0], "a refusal without a reason");
		check(fstatat(bundlefd, "config.json", &st, 0) == -1 && errno == ENOENT, "a refused image left config.json");
		json_free(&in);
		return 0;
	}
	struct buf f = BUF_INIT(8 << 20), fx = BUF_INIT(1 << 20);
	check(!fs_read_path(bundlefd, "config.json", f.max, &f, &e), "read config.json");
	check(!json_parse(&out, f.p, f.len, NULL, &e), "config.json does not parse");
	fixed(out.root, &fx);
	check(fx.len == ref_fixed.len && !memcmp(fx.p, ref_fixed.p, fx.len), "the image changed a fixed part");

	const struct json *c = in.root->type == JSON_OBJECT ? json_get(in.root, "config") : NULL;
	const struct json *args = at(out.root, "process/args"), *env = at(out.root, "process/env"), *cwd = at(out.root, "process/cwd");
	check(args && args->type == JSON_ARRAY && env && env->type == JSON_ARRAY && cwd && cwd->type == JSON_STRING, "process");
	size_t i = 0;
	strings_match(args, &i, arr(c, "Entrypoint"), "args are not Entrypoint's strings");
	strings_match(args, &i, arr(c, "Cmd"), "args are not Cmd's strings");
	check(i == args->u.arr.n, "args hold more than Entrypoint and Cmd");
	i = 0;
	strings_match(env, &i, arr(c, "Env"), "env is not Env's strings");
	bool home = false;
	for (size_t k = 0; k < i; k++)
		home |= !strncmp(env->u.arr.v[k]->u.str.s, "HOME=", 5);
	check(i + !arr(c, "Env") + !home == env->u.arr.n, "env holds more than Env, PATH and HOME");
	for (; i < env->u.arr.n; i++)
		check(env->u.arr.v[i]->type == JSON_STRING && (!strncmp(env->u.arr.v[i]->u.str.s, "HOME=/", 6) ||
			!strncmp(env->u.arr.v[i]->u.str.s, "PATH=/", 6)), "an added variable is not HOME or PATH");
	const struct json *wd = c && c->type == JSON_OBJECT ? json_get(c, "WorkingDir") : NULL;
	check(!strcmp(cwd->u.str.s, wd && wd->type == JSON_STRING && wd->u.str.s[0] == '/' ? wd->u.str.s : "/"), "cwd");
	const struct json *uid = at(out.root, "process/user/uid"), *gid = at(out.root, "process/user/gid");
	check(uid && gid && uid->type == JSON_NUMBER && uid->u.num.is_int && uid->u.num.i >= 0 && uid->u.num.i <= UINT32_MAX &&
		gid->type == JSON_NUMBER && gid->u.num.is_int && gid->u.num.i >= 0 && gid->u.num.i <= UINT32_MAX, "user");
	const struct json *caps = at(out.root, "process/capabilities"), *b = at(caps, "bounding");
	check(caps && caps->type == JSON_OBJECT && caps->u.obj.n == 3 && b && b->type == JSON_ARRAY, "capabilities");
	struct buf c0 = BUF_INIT(1 << 16), c1 = BUF_INIT(1 << 16);
	check(!json_canonical(b, &c0, &e), "canonical bounding set");
	for (size_t k = 0; k < caps->u.obj.n; k++) {
		buf_reset(&c1);
		check(!json_canonical(caps->u.obj.m[k].val, &c1, &e) && c1.len == c0.len && !memcmp(c1.p, c0.p, c0.len),
			"the capability sets differ");
	}
	for (size_t k = 0; k < b->u.arr.n; k++) {
		const char *s = b->u.arr.v[k]->type == JSON_STRING ? b->u.arr.v[k]->u.str.s : "";
		check(!strncmp(s, "CAP_", 4) && strlen(s) > 4 && strlen(s) <= 36 && strspn(s + 4, "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_") == strlen(s + 4),
			"a capability that is not CAP_[A-Z0-9_]");
	}
	buf_free(&c0);
	buf_free(&c1);
	buf_free(&f);
	buf_free(&fx);
	json_free(&in);
	json_free(&out);
	return 0;
}
