/* oci_unpack.c — a signed OCI image into a runtime bundle (see oci_unpack.h). */
#include "archive/oci_unpack.h"
#include "archive/inflate.h"
#include "archive/layer.h"
#include "archive/zstd_read.h"
#include "base/buf.h"
#include "base/err.h"
#include "base/fs.h"
#include "base/json.h"
#include "base/passwd.h"
#include "trust/hash.h"
#include "trust/oci.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#ifndef RENAME_EXCHANGE
#define RENAME_EXCHANGE (1 << 1)
#endif

#define MAX_LAYERS 256
#define CHUNK (128u << 10)

static int open_blob(int layout, const struct oci_desc *d, const char *what, struct kerr *e)
{
	char path[OCI_DIGEST_MAX + 16];
	struct stat st;
	str_fmt(path, sizeof(path), "blobs/%s/%s", hash_name(d->alg), strchr(d->digest_str, ':') + 1);
	int fd = fs_open_beneath(layout, path, O_RDONLY | O_NOCTTY | O_CLOEXEC, 0);
	if (fd < 0)
		return kerr_set(e, fd == -ENOENT ? -EBADMSG : fd, "blob %s (%s): %s", d->digest_str, what, kerr_strerror(fd));
	if (fstat(fd, &st) || !S_ISREG(st.st_mode) || (uint64_t)st.st_size != d->size) {
		close(fd);
		return kerr_set(e, -EBADMSG, "blob %s (%s): not a regular file of the descriptor's size %llu", d->digest_str, what,
			(unsigned long long)d->size);
	}
	return fd;
}

/* A JSON blob (manifest, config): size and digest checked, at most OCI_MAX_JSON bytes. */
static int read_blob(int layout, const struct oci_desc *d, const char *what, struct buf *b, struct kerr *e)
{
	uint8_t got[HASH_MAX_SIZE];
	int fd = open_blob(layout, d, what, e), ret;
	if (fd < 0)
		return fd;
	ret = fs_read_fd(fd, OCI_MAX_JSON, b);
	close(fd);
	if (ret)
		return kerr_set(e, ret == -EFBIG ? -EFBIG : ret, "blob %s (%s): %s", d->digest_str, what, kerr_strerror(ret));
	hash_once(d->alg, b->p, b->len, got);
	if (b->len != d->size || memcmp(got, d->digest, hash_size(d->alg)))
		return kerr_set(e, -EBADMSG, "blob %s (%s): content does not match its digest", d->digest_str, what);
	return 0;
}

/* ---- one layer ----------------------------------------------------------------------------- */

struct lstream {
	int fd;
	const struct oci_desc *d;
	struct hash_ctx blob, diff;
	uint64_t in, out, max;
	struct layer *l;
};

static ssize_t ls_read(void *ctx, uint8_t *p, size_t cap, struct kerr *e)
{
	struct lstream *s = ctx;
	ssize_t r;
	do
		r = read(s->fd, p, cap);
	while (r < 0 && errno == EINTR);
	if (r < 0)
		return kerr_set(e, -errno, "blob %s: read: %s", s->d->digest_str, kerr_strerror(errno));
	s->in += (uint64_t)r;
	if (s->in > s->d->size) /* the file grew after it was checked */
		return kerr_set(e, -EBADMSG, "blob %s: %s", s->d->digest_str, "longer than its descriptor's size");
	hash_update(&s->blob, p, (size_t)r);
	return r;
}

static int ls_put(void *ctx, const uint8_t *p, size_t n, struct kerr *e)
{
	struct lstream *s = ctx;
	if (n > s->max - s->out)
		return kerr_set(e, -EFBIG, "layer %s: the layers decompress to more than %llu bytes", s->d->digest_str,
			(unsigned long long)s->max);
	s->out += n;
	hash_update(&s->diff, p, n);
	return layer_feed(s->l, p, n, e);
}

static int plain_layer(struct lstream *s, struct kerr *e)
{
	uint8_t *buf = malloc(CHUNK);
	int ret = buf ? 0 : kerr_set(e, -ENOMEM, "out of memory");
	while (!ret) {
		ssize_t n = ls_read(s, buf, CHUNK, e);
		if (n <= 0) {
			ret = (int)n;
			break;
		}
		ret = ls_put(s, buf, (size_t)n, e);
	}
	free(buf);
	return ret;
}

/* 1 tar, 2 gzip, 3 zstd, 0 another media type */
static int media_kind(const char *t)
{
	static const char *const names[] = {"application/vnd.oci.image.layer.v1.tar", "application/vnd.oci.image.layer.v1.tar+gzip",
		"application/vnd.oci.image.layer.v1.tar+zstd", "application/vnd.docker.image.rootfs.diff.tar.gzip"};
	for (int k = 0; k < 4; k++)
		if (!strcmp(t, names[k]))
			return k < 3 ? k + 1 : 2;
	return 0;
}

static int unpack_layer(int layout, int rootfd, const struct oci_desc *d, const char *diff_id, uint64_t *total,
	uint64_t max, const struct layer_opts *lo, struct layer_stats *st, struct kerr *e)
{
	struct lstream s = {.d = d, .out = *total, .max = max};
	uint8_t got[HASH_MAX_SIZE];
	int kind = media_kind(d->media_type), ret;
	if (!kind)
		return kerr_set(e, -ENOTSUP, "layer %s: media type %s is not supported", d->digest_str, d->media_type);
	if ((s.fd = open_blob(layout, d, "layer", e)) < 0)
		return s.fd;
	if ((ret = layer_new(&s.l, rootfd, lo, st))) {
		close(s.fd);
		return kerr_set(e, ret, "out of memory");
	}
	hash_init(&s.blob, d->alg);
	hash_init(&s.diff, HASH_SHA256);
	if (kind > 1) {
		struct inflate_io io = {ls_read, &s, ls_put, &s, UINT64_MAX};
		struct kerr ze = {0};
		/* zstd: a window of at most 128 MiB, what `zstd -d` accepts without --memory */
		if ((ret = kind == 2 ? inflate_stream(INFLATE_GZIP, &io, NULL, &ze) :
				       zstd_read_stream(&io, ZSTD_READ_WINDOW_DEFAULT, NULL, &ze)))
			kerr_set(e, ret, "layer %s: %s", d->digest_str, ze.msg);
	} else {
		ret = plain_layer(&s, e);
	}
	if (!ret && s.in != d->size)
		ret = kerr_set(e, -EBADMSG, "blob %s: %s", d->digest_str, "shorter than its descriptor's size");
	hash_final(&s.blob, got);
	if (!ret && memcmp(got, d->digest, hash_size(d->alg)))
		ret = kerr_set(e, -EBADMSG, "layer %s: %s", d->digest_str, "content does not match its digest");
	hash_final(&s.diff, got);
	if (!ret) {
		char hex[65];
		hex_encode(hex, got, 32);
		if (strncmp(diff_id, "sha256:", 7) || strcmp(diff_id + 7, hex))
			ret = kerr_set(e, -EBADMSG, "layer %s: the uncompressed tar does not match the config's diff_id %s", d->digest_str, diff_id);
	}
	if (!ret && (ret = layer_finish(s.l, e)))
		kerr_wrap(e, ret, "layer %s", d->digest_str);
	*total = s.out;
	layer_free(s.l);
	close(s.fd);
	return ret;
}

/* ---- config.json --------------------------------------------------------------------------- */

static const char *jstr(const struct json *o, const char *key)
{
	const struct json *v = o ? json_get(o, key) : NULL;
	return v && v->type == JSON_STRING ? v->u.str.s : NULL;
}

static const struct json *jarr(const struct json *o, const char *key)
{
	const struct json *v = o ? json_get(o, key) : NULL;
	return v && v->type == JSON_ARRAY ? v : NULL;
}

/* "name" or "id" from the rootfs's passwd/group (a name must be found there). */
static int lookup_id(int rootfd, enum pw_file f, const char *s, uint32_t *id, uint32_t *gid, char home[256], struct kerr *e)
{
	struct pwdb db;
	struct buf b = BUF_INIT(4u << 20);
	uint64_t v;
	int ret = 0, numeric = !parse_u64(s, 0, UINT32_MAX, &v);
	const char *file = f == PW_PASSWD ? "etc/passwd" : "etc/group";
	pwdb_init(&db);
	int fd = fs_open_beneath(rootfd, file, O_RDONLY | O_NOCTTY | O_CLOEXEC, 0);
	if (fd >= 0) {
		ret = fs_read_fd(fd, b.max, &b);
		close(fd);
		if (!ret)
			ret = pwdb_parse(&db, f, b.p ? (const char *)b.p : "", b.len, NULL);
	}
	struct pw_rec *r = ret ? NULL : numeric ? pw_find_id(&db, f, (uint32_t)v) : pw_find(&db, f, s);
	if (numeric)
		*id = (uint32_t)v;
	else if (!r || pw_rec_id(r, f) < 0)
		ret = kerr_set(e, -EINVAL, "config: User: %s not found in the image's /%s", s, file);
	else
		*id = (uint32_t)pw_rec_id(r, f);
	if (!ret && gid && r && r->nf > PWF_GID && !parse_u64(r->f[PWF_GID], 0, UINT32_MAX, &v))
		*gid = (uint32_t)v;
	if (!ret && home && r && r->nf > PWF_HOME && r->f[PWF_HOME][0] == '/')
		str_copy(home, 256, r->f[PWF_HOME]);
	pwdb_free(&db);
	buf_free(&b);
	return ret;
}

/* What `runc spec` writes, hardened the same way for every image (the process part is ours). */
static const char config_tail[] =
	"\"rlimits\":[{\"type\":\"RLIMIT_NOFILE\",\"hard\":1024,\"soft\":1024}],\"noNewPrivileges\":true},"
	"\"root\":{\"path\":\"rootfs\",\"readonly\":false},\"hostname\":\"container\",\"mounts\":["
	"{\"destination\":\"/proc\",\"type\":\"proc\",\"source\":\"proc\"},"
	"{\"destination\":\"/dev\",\"type\":\"tmpfs\",\"source\":\"tmpfs\",\"options\":[\"nosuid\",\"strictatime\",\"mode=755\",\"size=65536k\"]},"
	"{\"destination\":\"/dev/pts\",\"type\":\"devpts\",\"source\":\"devpts\",\"options\":[\"nosuid\",\"noexec\",\"newinstance\",\"ptmxmode=0666\",\"mode=0620\",\"gid=5\"]},"
	"{\"destination\":\"/dev/shm\",\"type\":\"tmpfs\",\"source\":\"shm\",\"options\":[\"nosuid\",\"noexec\",\"nodev\",\"mode=1777\",\"size=65536k\"]},"
	"{\"destination\":\"/dev/mqueue\",\"type\":\"mqueue\",\"source\":\"mqueue\",\"options\":[\"nosuid\",\"noexec\",\"nodev\"]},"
	"{\"destination\":\"/sys\",\"type\":\"sysfs\",\"source\":\"sysfs\",\"options\":[\"nosuid\",\"noexec\",\"nodev\",\"ro\"]},"
	"{\"destination\":\"/sys/fs/cgroup\",\"type\":\"cgroup\",\"source\":\"cgroup\",\"options\":[\"nosuid\",\"noexec\",\"nodev\",\"relatime\",\"ro\"]}],"
	"\"linux\":{";
static const char config_linux[] =
	"\"resources\":{\"devices\":[{\"allow\":false,\"access\":\"rwm\"}]},"
	"\"namespaces\":[{\"type\":\"pid\"},{\"type\":\"network\"},{\"type\":\"ipc\"},{\"type\":\"uts\"},{\"type\":\"mount\"},{\"type\":\"cgroup\"}],"
	"\"maskedPaths\":[\"/proc/acpi\",\"/proc/asound\",\"/proc/kcore\",\"/proc/keys\",\"/proc/latency_stats\",\"/proc/timer_list\","
	"\"/proc/timer_stats\",\"/proc/sched_debug\",\"/sys/firmware\",\"/proc/scsi\"],"
	"\"readonlyPaths\":[\"/proc/bus\",\"/proc/fs\",\"/proc/irq\",\"/proc/sys\",\"/proc/sysrq-trigger\"],"
	/* kernel surface a container has no use for (Docker's default profile denies these too) */
	"\"seccomp\":{\"defaultAction\":\"SCMP_ACT_ALLOW\",\"architectures\":[\"SCMP_ARCH_X86_64\",\"SCMP_ARCH_X86\",\"SCMP_ARCH_X32\"],"
	"\"syscalls\":[{\"names\":[\"acct\",\"add_key\",\"bpf\",\"clock_adjtime\",\"clock_settime\",\"delete_module\",\"finit_module\","
	"\"fsconfig\",\"fsmount\",\"fsopen\",\"init_module\",\"io_uring_enter\",\"io_uring_register\",\"io_uring_setup\",\"ioperm\","
	"\"iopl\",\"kcmp\",\"kexec_file_load\",\"kexec_load\",\"keyctl\",\"lookup_dcookie\",\"mount\",\"move_mount\","
	"\"name_to_handle_at\",\"open_by_handle_at\",\"open_tree\",\"perf_event_open\",\"pivot_root\",\"process_vm_readv\","
	"\"process_vm_writev\",\"ptrace\",\"quotactl\",\"reboot\",\"request_key\",\"setns\",\"settimeofday\",\"swapoff\","
	"\"swapon\",\"umount2\",\"unshare\",\"userfaultfd\"],\"action\":\"SCMP_ACT_ERRNO\",\"errnoRet\":1}]}}}\n";

static void jw_strings(struct jw *w, const struct json *a, int *has_home)
{
	for (size_t i = 0; a && i < a->u.arr.n; i++)
		if (a->u.arr.v[i]->type == JSON_STRING) {
			jw_str(w, a->u.arr.v[i]->u.str.s);
			if (has_home)
				*has_home |= str_starts(a->u.arr.v[i]->u.str.s, "HOME=");
		}
}

/* The capability sets: the image's label io.containers.capabilities (podman's: a comma-separated
 * list, names with or without CAP_, any case) replaces the default three — narrower or wider;
 * admission (keel policy workload) judges what it asks for. */
static int write_caps(struct buf *b, const struct json *labels, struct kerr *e)
{
	static const char *const sets[] = {"bounding", "effective", "permitted"};
	const char *v = jstr(labels, "io.containers.capabilities");
	char list[1024] = "", *p = list;
	for (const char *c = v; c && *c;) {
		size_t n = strcspn(c, ","), i = 0;
		while (n && c[i] == ' ')
			i++, n--;
		while (n && c[i + n - 1] == ' ')
			n--;
		if (n > 4 && !strncasecmp(c + i, "CAP_", 4))
			i += 4, n -= 4;
		if (!n || n > 32 || (size_t)(p - list) + n + 8 >= sizeof(list)) /* "CAP_…", */
			return kerr_set(e, -EINVAL, "config: label io.containers.capabilities: an empty or overlong name, or too many");
		if (p != list)
			*p++ = ',';
		memcpy(p, "\"CAP_", 5);
		p += 5;
		for (; n; n--, i++) {
			char ch = c[i] >= 'a' && c[i] <= 'z' ? (char)(c[i] - 32) : c[i];
			if (!((ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') || ch == '_'))
				return kerr_set(e, -EINVAL, "config: label io.containers.capabilities: %.64s is not a capability name", v);
			*p++ = ch;
		}
		*p++ = '"';
		*p = 0;
		c += strcspn(c, ",");
		c += *c == ',';
	}
	if (!v)
		strcpy(list, "\"CAP_AUDIT_WRITE\",\"CAP_KILL\",\"CAP_NET_BIND_SERVICE\"");
	int ret = buf_puts(b, "\"capabilities\":{");
	for (int i = 0; i < 3 && !ret; i++)
		ret = buf_printf(b, "%s\"%s\":[%s]", i ? "," : "", sets[i], list);
	if (ret || (ret = buf_puts(b, "},")))
		return kerr_set(e, ret, "config.json: %s", kerr_strerror(ret));
	return 0;
}

static int write_config(int bundlefd, int rootfd, const struct json *cfg, const char *cgroup, struct kerr *e)
{
	const struct json *c = cfg ? json_get(cfg, "config") : NULL, *env = jarr(c, "Env");
	struct buf b = BUF_INIT(OCI_MAX_JSON);
	struct jw w;
	uint32_t uid = 0, gid = 0;
	int ret = 0, has_home = 0;
	const char *user = jstr(c, "User"), *cwd = jstr(c, "WorkingDir");
	char u[256] = "0", *colon = NULL, home[256] = "/", h[262];

	if (user && *user && str_copy(u, sizeof(u), user))
		return kerr_set(e, -EINVAL, "config: User too long");
	if ((colon = strchr(u, ':')))
		*colon++ = 0;
	/* as umoci: the user's id and group from the image's passwd, HOME from it unless Env sets it */
	if ((ret = lookup_id(rootfd, PW_PASSWD, u, &uid, colon ? NULL : &gid, home, e)) ||
		(colon && (ret = lookup_id(rootfd, PW_GROUP, colon, &gid, NULL, NULL, e))))
		return ret;
	buf_printf(&b, "{\"ociVersion\":\"1.0.2\",\"process\":{\"terminal\":false,\"user\":{\"uid\":%u,\"gid\":%u},\"args\":", uid, gid);
	jw_init(&w, &b);
	jw_arr(&w);
	jw_strings(&w, jarr(c, "Entrypoint"), NULL);
	jw_strings(&w, jarr(c, "Cmd"), NULL);
	jw_arr_end(&w);
	ret = w.err;
	buf_puts(&b, ",\"env\":");
	jw_init(&w, &b);
	jw_arr(&w);
	jw_strings(&w, env, &has_home);
	if (!env)
		jw_str(&w, "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin");
	str_fmt(h, sizeof(h), "HOME=%s", home);
	if (!has_home)
		jw_str(&w, h);
	jw_arr_end(&w);
	ret = ret ? ret : w.err;
	buf_puts(&b, ",\"cwd\":");
	jw_init(&w, &b);
	jw_str(&w, cwd && *cwd == '/' ? cwd : "/");
	buf_putc(&b, ',');
	if (!(ret = ret ? ret : w.err) && (ret = write_caps(&b, c ? json_get(c, "Labels") : NULL, e)))
		goto out; /* e says why */
	if (!ret && !(ret = buf_puts(&b, config_tail)) && cgroup) {
		ret = buf_puts(&b, "\"cgroupsPath\":");
		jw_init(&w, &b);
		jw_str(&w, cgroup);
		ret = ret ? ret : w.err ? w.err : buf_putc(&b, ',');
	}
	if (ret || (ret = buf_puts(&b, config_linux)) || (ret = fs_write_atomic(bundlefd, "config.json", b.p, b.len, 0600)))
		ret = kerr_set(e, ret, "config.json: %s", kerr_strerror(ret));
out:
	buf_free(&b);
	return ret;
}

/* ---- the image ----------------------------------------------------------------------------- */

/* The index.json entry to unpack: tagged ref, or the only one that is not a signature. */
static int pick(const struct oci_doc *idx, const struct oci_result *vr, const char *ref, const struct oci_desc **out,
	struct kerr *e)
{
	const struct oci_desc *found = NULL;
	size_t n = 0;
	for (size_t i = 0; i < idx->n && i < vr->nimages; i++) {
		const char *name = oci_desc_annotation(&idx->descs[i], "org.opencontainers.image.ref.name");
		if (vr->images[i].signature)
			continue;
		if (ref ? name && !strcmp(name, ref) : 1)
			found = &idx->descs[i], n++;
		if (found == &idx->descs[i] && !vr->images[i].signed_ok)
			return kerr_set(e, -EBADMSG, "image %s: not signed by a trusted key", found->digest_str);
	}
	if (n == 1) {
		*out = found;
		return 0;
	}
	if (ref)
		return kerr_set(e, n ? -EINVAL : -ENOENT, "index.json: %s images tagged %s", n ? "several" : "no", ref);
	return kerr_set(e, -EINVAL, "index.json: %s: name the image as LAYOUT:REF", n ? "several images" : "no image");
}

/* An index entry's platform as "os/architecture[/variant]"; a variant that is the architecture's
 * default (arm64: v8, amd64: v1) is left out, as containerd normalises it. */
static int platform_of(const struct json *m, char *out, size_t n)
{
	const struct json *p = m && m->type == JSON_OBJECT ? json_get(m, "platform") : NULL;
	const char *os = jstr(p, "os"), *arch = jstr(p, "architecture"), *var = p ? jstr(p, "variant") : NULL;
	if (!os || !arch)
		return -1;
	if (var && ((!strcmp(arch, "arm64") && !strcmp(var, "v8")) || (!strcmp(arch, "amd64") && !strcmp(var, "v1"))))
		var = NULL;
	return str_fmt(out, n, "%s/%s%s%s", os, arch, var ? "/" : "", var ? var : "") ? -1 : 0;
}

/* img is an image index (a multi-platform image; its digest is what was signed): read it and
 * pick the one manifest for want ("os/arch[/variant]"). Nested indexes are refused. */
static int pick_platform(int layout, const struct oci_desc *img, const char *want, struct buf *ib, struct oci_doc *sub,
	const struct oci_desc **out, struct kerr *e)
{
	char have[256] = "", p[96];
	const struct json *ms;
	size_t n = 0, found = 0, used = 0;
	int ret;
	if ((ret = read_blob(layout, img, "index", ib, e)) || (ret = oci_doc_parse(sub, ib->p, ib->len, 1, e)))
		return ret;
	ms = jarr(sub->json.root, "manifests");
	for (size_t i = 0; ms && i < sub->n && i < ms->u.arr.n; i++) {
		if (!oci_is_manifest_type(sub->descs[i].media_type) || platform_of(ms->u.arr.v[i], p, sizeof(p)))
			continue; /* nested indexes, attestations without a platform */
		if (!strcmp(p, want))
			found = i, n++;
		else if (used + strlen(p) + 3 < sizeof(have))
			used += (size_t)snprintf(have + used, sizeof(have) - used, "%s%s", used ? ", " : "", p);
	}
	if (n == 1) {
		*out = &sub->descs[found];
		return 0;
	}
	if (n)
		return kerr_set(e, -EINVAL, "index %s: %zu images for %s", img->digest_str, n, want);
	return kerr_set(e, -ENOENT, "index %s: no image for %s (it has %s)", img->digest_str, want, used ? have : "no platform");
}

static int unpack_into(int layout, int stagefd, const struct oci_unpack_opts *o, struct oci_unpack_result *r,
	struct oci_result *vr, struct kerr *e)
{
	struct buf b = BUF_INIT(OCI_MAX_JSON), mb = BUF_INIT(OCI_MAX_JSON), cb = BUF_INIT(OCI_MAX_JSON);
	struct buf ib = BUF_INIT(OCI_MAX_JSON);
	struct oci_doc idx = {0}, man = {0}, sub = {0};
	struct json_doc cfg = {0};
	const struct oci_desc *img = NULL;
	int rootfd = -1, ret;
	int fd = fs_open_beneath(layout, "index.json", O_RDONLY | O_NOCTTY | O_CLOEXEC, 0);
	if (fd < 0) {
		ret = kerr_set(e, -EBADMSG, "index.json: %s", kerr_strerror(fd));
		goto out;
	}
	ret = fs_read_fd(fd, OCI_MAX_JSON, &b);
	close(fd);
	if (ret) {
		ret = kerr_set(e, ret, "index.json: %s", kerr_strerror(ret));
		goto out;
	}
	if ((ret = oci_doc_parse(&idx, b.p, b.len, 1, e)) || (ret = pick(&idx, vr, o->ref, &img, e)))
		goto out;
	if (oci_is_index_type(img->media_type)) {
		str_copy(r->index, sizeof(r->index), img->digest_str);
		str_copy(r->platform, sizeof(r->platform), o->platform ? o->platform : "linux/unknown");
		if ((ret = pick_platform(layout, img, r->platform, &ib, &sub, &img, e)))
			goto out;
	}
	str_copy(r->digest, sizeof(r->digest), img->digest_str);
	if (!oci_is_manifest_type(img->media_type)) {
		ret = kerr_set(e, -ENOTSUP, "%s: media type %s: not an image manifest or index", img->digest_str, img->media_type);
		goto out;
	}
	if ((ret = read_blob(layout, img, "manifest", &mb, e)) || (ret = oci_doc_parse(&man, mb.p, mb.len, 0, e)) ||
		(ret = read_blob(layout, &man.config, "config", &cb, e)))
		goto out;
	if ((ret = json_parse(&cfg, cb.p, cb.len, NULL, e))) {
		kerr_wrap(e, -EBADMSG, "config %s", man.config.digest_str);
		ret = -EBADMSG;
		goto out;
	}
	const struct json *rootfs = cfg.root->type == JSON_OBJECT ? json_get(cfg.root, "rootfs") : NULL;
	const struct json *diffs = jarr(rootfs, "diff_ids");
	if (!diffs || diffs->u.arr.n != man.n || man.n > MAX_LAYERS) {
		ret = kerr_set(e, -EBADMSG, "config %s: rootfs.diff_ids does not list the manifest's %zu layers", man.config.digest_str, man.n);
		goto out;
	}
	if (mkdirat(stagefd, "rootfs", 0755) || (rootfd = openat(stagefd, "rootfs", O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)) < 0) {
		ret = kerr_set(e, -errno, "rootfs: %s", kerr_strerror(errno));
		goto out;
	}
	for (size_t i = 0; i < man.n; i++) {
		const struct json *d = diffs->u.arr.v[i];
		if (o->progress)
			o->progress(o->pctx, i, man.n, &man.descs[i]);
		if ((ret = unpack_layer(layout, rootfd, &man.descs[i], d->type == JSON_STRING ? d->u.str.s : "", &r->uncompressed,
			     o->max_bytes ? o->max_bytes : 64ull << 30, &o->layer, &r->st, e)))
			goto out;
		r->compressed += man.descs[i].size;
		r->layers++;
	}
	if (o->progress)
		o->progress(o->pctx, man.n, man.n, NULL);
	ret = write_config(stagefd, rootfd, cfg.root, o->cgroup, e);
out:
	if (rootfd >= 0)
		close(rootfd);
	json_free(&cfg);
	oci_doc_free(&idx);
	oci_doc_free(&sub);
	oci_doc_free(&man);
	buf_free(&ib);
	buf_free(&b);
	buf_free(&mb);
	buf_free(&cb);
	return ret;
}

int oci_unpack(int layout, int parent_fd, const char *bundle, const struct oci_unpack_opts *o, struct oci_unpack_result *r,
	struct kerr *e)
{
	char stage[256];
	struct stat st;
	struct oci_result *vr = NULL;
	int stagefd = -1, ret, exchange = 0;

	memset(r, 0, sizeof(*r));
	if (!o->keys)
		return kerr_set(e, -ENOKEY, "unpack needs trusted keys");
	if (str_fmt(stage, sizeof(stage), ".%s.keel-unpack", bundle) || strchr(bundle, '/'))
		return kerr_set(e, -EINVAL, "bundle name %s: too long or not one name", bundle);
	if (!fstatat(parent_fd, bundle, &st, AT_SYMLINK_NOFOLLOW)) {
		int dfd = S_ISDIR(st.st_mode) ? openat(parent_fd, bundle, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC) : -1;
		DIR *d = dfd >= 0 ? fdopendir(dfd) : NULL;
		struct dirent *de;
		int empty = d != NULL;
		while (d && (de = readdir(d)))
			if (strcmp(de->d_name, ".") && strcmp(de->d_name, ".."))
				empty = 0;
		if (d)
			closedir(d);
		else if (dfd >= 0)
			close(dfd);
		exchange = o->replace && dfd >= 0 && !empty;
		if (!empty && !exchange)
			return kerr_set(e, -EEXIST, "%s exists and is not %s", bundle, o->replace ? "a directory" : "an empty directory");
	}
	if (!(vr = calloc(1, sizeof(*vr))))
		return kerr_set(e, -ENOMEM, "out of memory");
	if ((ret = oci_verify(layout, o->keys, vr, e)))
		goto out;
	/* a staging directory left by a crash is removed first */
	if ((ret = fs_remove_tree(parent_fd, stage, FS_SAME_DEV, 4096)) ||
		(mkdirat(parent_fd, stage, 0700) && (ret = -errno)) ||
		((stagefd = openat(parent_fd, stage, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)) < 0 && (ret = -errno))) {
		ret = kerr_set(e, ret, "staging directory %s: %s", stage, kerr_strerror(ret));
		goto out;
	}
	if ((ret = unpack_into(layout, stagefd, o, r, vr, e)))
		goto out;
	/* everything on disk before the rename makes it BUNDLE: a power cut leaves staging or a whole
	 * bundle; with replace, the old bundle and the new one trade names at once and the old one,
	 * now the staging directory, is removed (or, after a power cut, by the next unpack) */
	if (syncfs(stagefd) || fsync(stagefd) ||
		(exchange ? syscall(SYS_renameat2, parent_fd, stage, parent_fd, bundle, RENAME_EXCHANGE)
			  : renameat(parent_fd, stage, parent_fd, bundle)) ||
		fsync(parent_fd)) {
		ret = kerr_set(e, -errno, "renaming %s to %s: %s", stage, bundle, kerr_strerror(errno));
		goto out;
	}
	if (exchange && (ret = fs_remove_tree(parent_fd, stage, FS_SAME_DEV, 4096)))
		ret = kerr_set(e, ret, "removing the old bundle (now %s): %s", stage, kerr_strerror(ret));
out:
	if (stagefd >= 0)
		close(stagefd);
	if (ret)
		fs_remove_tree(parent_fd, stage, FS_SAME_DEV, 4096);
	free(vr);
	return ret;
}
