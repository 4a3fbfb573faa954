/* verify_verity.c — `keel verify verity format|verify|root-hash|dump`: veritysetup's actions,
 * options and output, on core/verity. */
#include "applets/verify.h"
#include "base/applet.h"
#include "base/args.h"
#include "base/buf.h"
#include "base/err.h"
#include "base/fs.h"
#include "base/json.h"
#include "base/log.h"
#include "base/sandbox.h"
#include "trust/verity.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <unistd.h>

/* After the files are open: reads, writes, the hash file's rename, and the hashing threads
 * (musl's pthread_create maps and protects a stack and clones). */
static const char *const format_syscalls[] = {"pread64", "pwrite64", "ftruncate", "fsync", "rename",
	"renameat", "unlink", "unlinkat", "mprotect", "clone", NULL};
static const char *const read_syscalls[] = {"pread64", "mprotect", "clone", NULL};

#define UNSET UINT64_MAX

struct vopts {
	const char *hash, *salt, *uuid;
	uint64_t format, dbs, hbs, blocks, offset, threads;
	int nosb, json;
};

static int parse(struct vopts *o, int argc, char **argv, char ***ops)
{
	const struct opt opts[] = {
		{"hash", 'h', OPT_STR, &o->hash},
		{"format", 0, OPT_U64, &o->format, 0, 1},
		{"salt", 's', OPT_STR, &o->salt},
		{"uuid", 0, OPT_STR, &o->uuid},
		{"data-block-size", 0, OPT_U64, &o->dbs, 1, UINT32_MAX},
		{"hash-block-size", 0, OPT_U64, &o->hbs, 1, UINT32_MAX},
		{"data-blocks", 0, OPT_U64, &o->blocks, 1, 0},
		{"hash-offset", 0, OPT_U64, &o->offset, 0, INT64_MAX},
		{"no-superblock", 0, OPT_FLAG, &o->nosb},
		{"threads", 0, OPT_U64, &o->threads, 1, VERITY_MAX_THREADS},
		{"json", 'j', OPT_FLAG, &o->json},
		{0},
	};
	memset(o, 0, sizeof(*o));
	o->format = o->dbs = o->hbs = o->blocks = o->offset = o->threads = UNSET;
	int n = args_parse(opts, argc, argv, ops);
	if (o->threads == UNSET) /* before the sandbox: it asks the kernel */
		o->threads = verity_default_threads();
	return n;
}

/* Parameters from the options (format, and everything without a superblock). */
static int params_from_opts(const struct vopts *o, struct verity_params *p, int random_salt)
{
	verity_params_default(p);
	if (o->hash && (p->alg = hash_alg_from_name(o->hash)) == HASH_NONE)
		return kfail(EXIT_USAGE, "--hash %s: unsupported (sha256 or sha512)", o->hash);
	if (o->format != UNSET)
		p->hash_type = (uint32_t)o->format;
	if (o->dbs != UNSET)
		p->data_block_size = (uint32_t)o->dbs;
	if (o->hbs != UNSET)
		p->hash_block_size = (uint32_t)o->hbs;
	if (o->offset != UNSET)
		p->hash_area_offset = o->offset;
	p->no_superblock = o->nosb > 0;
	p->threads = (unsigned)o->threads;
	if (o->salt && strcmp(o->salt, "-")) {
		size_t len = strlen(o->salt);
		if (len % 2 || len / 2 > VERITY_MAX_SALT || hex_decode(p->salt, len / 2, o->salt, len))
			return kfail(EXIT_USAGE, "--salt: not hex of at most 256 bytes (or '-')");
		p->salt_size = (uint16_t)(len / 2);
	} else if (!o->salt && random_salt) { /* as veritysetup: 32 random bytes */
		p->salt_size = 32;
		if (getrandom(p->salt, 32, 0) != 32)
			return kfail(EXIT_FAIL, "getrandom: %s", kerr_strerror(errno));
	}
	if (o->uuid && verity_uuid_parse(p->uuid, o->uuid))
		return kfail(EXIT_USAGE, "--uuid %s: not a UUID", o->uuid);
	if (!o->uuid && !p->no_superblock && random_salt) { /* a random (version 4) UUID */
		if (getrandom(p->uuid, 16, 0) != 16)
			return kfail(EXIT_FAIL, "getrandom: %s", kerr_strerror(errno));
		p->uuid[6] = (uint8_t)((p->uuid[6] & 0x0f) | 0x40);
		p->uuid[8] = (uint8_t)((p->uuid[8] & 0x3f) | 0x80);
	}
	return EXIT_OK;
}

/* data_blocks: --data-blocks, or the whole blocks of the data device. */
static int data_blocks(const struct vopts *o, struct verity_params *p, int fd, const char *name)
{
	uint64_t size;
	int ret;
	if (o->blocks != UNSET) {
		p->data_blocks = o->blocks;
		return EXIT_OK;
	}
	if ((ret = verity_dev_size(fd, &size)))
		return kfail(EXIT_FAIL, "%s: size: %s", name, ret == -EINVAL ? "not a regular file or block device" : kerr_strerror(ret));
	p->data_blocks = size / p->data_block_size;
	if (!p->data_blocks)
		return kfail(EXIT_FAIL, "%s: smaller than one data block (%" PRIu32 " bytes)", name, p->data_block_size);
	return EXIT_OK;
}

/* Like veritysetup's report (tab after each label); "Hash device size" only without an offset. */
static void print_info(const char *hash_path, const struct verity_params *p, const uint8_t *root)
{
	struct verity_layout l;
	char uuid[37] = "", salt[2 * VERITY_MAX_SALT + 1] = "-", rh[2 * HASH_MAX_SIZE + 1];
	static const uint8_t zero[16];
	verity_layout(p, &l, NULL);
	if (!p->no_superblock || memcmp(p->uuid, zero, 16))
		verity_uuid_format(uuid, p->uuid);
	if (p->salt_size)
		hex_encode(salt, p->salt, p->salt_size);
	printf("VERITY header information for %s\n", hash_path);
	printf("UUID:            \t%s\n", uuid);
	printf("Hash type:       \t%" PRIu32 "\n", p->hash_type);
	printf("Data blocks:     \t%" PRIu64 "\n", p->data_blocks);
	printf("Data block size: \t%" PRIu32 "\n", p->data_block_size);
	printf("Hash blocks:     \t%" PRIu64 "\n", l.hash_blocks);
	printf("Hash block size: \t%" PRIu32 "\n", p->hash_block_size);
	printf("Hash algorithm:  \t%s\n", hash_name(p->alg));
	printf("Salt:            \t%s\n", salt);
	if (root) {
		hex_encode(rh, root, hash_size(p->alg));
		printf("Root hash:      \t%s\n", rh);
	}
	if (!p->hash_area_offset)
		printf("Hash device size: \t%" PRIu64 " [bytes]\n", l.hash_end);
}

/* --json: the same fields, plus where the tree starts (what a dm table needs). */
static void print_info_json(const char *hash_path, const struct verity_params *p, const uint8_t *root, const char *err)
{
	struct verity_layout l;
	struct buf b = BUF_INIT(64 * 1024);
	struct jw w;
	char uuid[37] = "", hex[2 * VERITY_MAX_SALT + 1];
	jw_init(&w, &b);
	jw_obj(&w);
	jw_key(&w, "hash_device");
	jw_str(&w, hash_path);
	if (err) {
		jw_key(&w, "verified");
		jw_bool(&w, 0);
		jw_key(&w, "error");
		jw_str(&w, err);
	} else if (p) {
		verity_layout(p, &l, NULL);
		if (!p->no_superblock)
			verity_uuid_format(uuid, p->uuid);
		jw_key(&w, "uuid");
		jw_str(&w, uuid);
		jw_key(&w, "hash_type");
		jw_uint(&w, p->hash_type);
		jw_key(&w, "data_blocks");
		jw_uint(&w, p->data_blocks);
		jw_key(&w, "data_block_size");
		jw_uint(&w, p->data_block_size);
		jw_key(&w, "hash_blocks");
		jw_uint(&w, l.hash_blocks);
		jw_key(&w, "hash_block_size");
		jw_uint(&w, p->hash_block_size);
		jw_key(&w, "hash_algorithm");
		jw_str(&w, hash_name(p->alg));
		hex_encode(hex, p->salt, p->salt_size);
		jw_key(&w, "salt");
		jw_str(&w, p->salt_size ? hex : "-");
		jw_key(&w, "hash_offset");
		jw_uint(&w, p->hash_area_offset);
		jw_key(&w, "superblock");
		jw_bool(&w, !p->no_superblock);
		jw_key(&w, "hash_start_block");
		jw_uint(&w, l.hash_start);
		jw_key(&w, "hash_end");
		jw_uint(&w, l.hash_end);
		if (root) {
			hex_encode(hex, root, hash_size(p->alg));
			jw_key(&w, "root_hash");
			jw_str(&w, hex);
		}
	} else {
		jw_key(&w, "verified");
		jw_bool(&w, 1);
	}
	jw_obj_end(&w);
	if (!jw_finish(&w))
		printf("%s\n", (const char *)b.p);
	buf_free(&b);
}

/* An fd, or the exit code (negated) after saying why not. */
static int open_ro(const char *path)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
	if (fd < 0)
		return -kfail(kerr_exit(-errno), "%s: %s", path, kerr_strerror(errno));
	return fd;
}

/* The hash file of format: an existing file or device is written in place (as veritysetup does,
 * bytes it does not own are kept); a new file is built under a temporary name beside it and
 * renamed into place once complete, so an interrupted format leaves nothing behind. A symlink at
 * HASH is never followed (nor replaced), and only a regular file or a block device is written:
 * a fifo, a directory, a character device or a socket is refused before it is written to. */
struct hash_out {
	int fd, dirfd;
	const char *base;
	char tmp[300];
};

static const char *file_kind(mode_t m)
{
	return S_ISLNK(m) ? "a symbolic link (not followed)" : S_ISFIFO(m) ? "a fifo" : S_ISDIR(m) ? "a directory"
		: S_ISCHR(m) ? "a character device" : S_ISSOCK(m) ? "a socket" : "of an unknown type";
}

static int not_writable_kind(const char *path, mode_t m)
{
	return kfail(EXIT_FAIL, "verity format %s: %s: not a regular file or block device", path, file_kind(m));
}

static int hash_open(struct hash_out *h, const char *path)
{
	struct stat st;
	h->dirfd = -1;
	h->tmp[0] = 0;
	/* lstat first, so that nothing but a file or a disk is even opened; then O_NOFOLLOW (a symlink
	 * put there since is ELOOP) and O_NONBLOCK (a fifo put there since does not block us), and
	 * fstat of what was opened decides */
	if (!lstat(path, &st) && !S_ISREG(st.st_mode) && !S_ISBLK(st.st_mode))
		return not_writable_kind(path, st.st_mode);
	h->fd = open(path, O_RDWR | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC | O_NOCTTY);
	if (h->fd >= 0) {
		int fl;
		if (fstat(h->fd, &st) || (!S_ISREG(st.st_mode) && !S_ISBLK(st.st_mode)))
			return not_writable_kind(path, st.st_mode);
		if ((fl = fcntl(h->fd, F_GETFL)) < 0 || fcntl(h->fd, F_SETFL, fl & ~O_NONBLOCK))
			return kfail(EXIT_FAIL, "%s: %s", path, kerr_strerror(errno));
		return 0;
	}
	if (errno == ELOOP)
		return not_writable_kind(path, S_IFLNK);
	if (errno != ENOENT)
		return kfail(EXIT_FAIL, "%s: %s", path, kerr_strerror(errno));
	char dir[4096];
	const char *slash = strrchr(path, '/');
	h->base = slash ? slash + 1 : path;
	if (str_fmt(dir, sizeof(dir), "%.*s", slash ? (int)(slash - path) + 1 : 1, slash ? path : ".") || !*h->base)
		return kfail(EXIT_FAIL, "%s: not a file name", path);
	h->dirfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (h->dirfd < 0)
		return kfail(EXIT_FAIL, "%s: parent directory: %s", path, kerr_strerror(errno));
	if (str_fmt(h->tmp, sizeof(h->tmp), ".%s.keel-%d", h->base, (int)getpid()))
		return kfail(EXIT_FAIL, "%s: name too long", path);
	h->fd = openat(h->dirfd, h->tmp, O_RDWR | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (h->fd < 0) {
		h->tmp[0] = 0;
		return kfail(EXIT_FAIL, "%s: create: %s", path, kerr_strerror(errno));
	}
	return 0;
}

static int hash_close(struct hash_out *h, int ok, const char *path)
{
	int rc = EXIT_OK;
	if (h->tmp[0] && ok && (renameat(h->dirfd, h->tmp, h->dirfd, h->base) || fsync(h->dirfd))) {
		rc = kfail(EXIT_FAIL, "%s: rename into place: %s", path, kerr_strerror(errno));
		ok = 0;
	}
	if (h->tmp[0] && !ok)
		unlinkat(h->dirfd, h->tmp, 0);
	if (h->fd >= 0)
		close(h->fd);
	if (h->dirfd >= 0)
		close(h->dirfd);
	return rc;
}

static int cmd_format(int argc, char **argv)
{
	struct vopts o;
	struct verity_params p;
	struct hash_out h = {.fd = -1, .dirfd = -1};
	struct kerr e = {0};
	uint8_t root[HASH_MAX_SIZE];
	char **ops;
	int n = parse(&o, argc, argv, &ops), rc, ret, dfd;
	if (n < 0)
		return args_exit(n);
	if (n != 2)
		return kfail(EXIT_USAGE, "verity format: needs DATA HASH (see --help)");
	if ((rc = params_from_opts(&o, &p, 1)))
		return rc;
	if ((dfd = open_ro(ops[0])) < 0)
		return -dfd;
	if ((rc = data_blocks(&o, &p, dfd, ops[0]))) {
		close(dfd);
		return rc;
	}
	if ((ret = verity_layout(&p, NULL, &e))) {
		close(dfd);
		return kfail(EXIT_USAGE, "verity format: %s", kerr_str(&e, ret));
	}
	long page = sysconf(_SC_PAGESIZE);
	if (page > 0 && (p.data_block_size > (uint64_t)page || p.hash_block_size > (uint64_t)page))
		log_warn("warning: the kernel cannot activate a device whose block size exceeds the page size (%ld)", page);
	if ((rc = hash_open(&h, ops[1]))) {
		hash_close(&h, 0, ops[1]);
		close(dfd);
		return rc;
	}
	if ((ret = sandbox_enter(format_syscalls, &e)) || (ret = verity_format(&p, dfd, h.fd, root, &e))) {
		hash_close(&h, 0, ops[1]);
		close(dfd);
		return kfail(EXIT_FAIL, "verity format %s: %s", ops[1], kerr_str(&e, ret));
	}
	close(dfd);
	if ((rc = hash_close(&h, 1, ops[1])))
		return rc;
	if (o.json)
		print_info_json(ops[1], &p, root, NULL);
	else
		print_info(ops[1], &p, root);
	return EXIT_OK;
}

/* Parameters for verify/root-hash/dump: the superblock of hash_fd, or the options. */
static int params_for_read(const struct vopts *o, struct verity_params *p, int dfd, const char *dname,
	int hfd, const char *hname)
{
	struct kerr e = {0};
	int rc, ret;
	if (hfd < 0 || o->nosb) {
		if ((rc = params_from_opts(o, p, 0)))
			return rc;
		return dfd >= 0 ? data_blocks(o, p, dfd, dname) : EXIT_OK;
	}
	verity_params_default(p);
	p->hash_area_offset = o->offset != UNSET ? o->offset : 0;
	p->threads = (unsigned)o->threads;
	if ((ret = verity_sb_read(p, hfd, &e)))
		return kfail(kerr_exit(ret), "%s: %s", hname, kerr_str(&e, ret));
	return EXIT_OK;
}

/* verify (DATA HASH ROOT_HASH) and root-hash (DATA [HASH]): read-only, the same setup. */
static int cmd_read(int argc, char **argv, int verify)
{
	struct vopts o;
	struct verity_params p;
	struct kerr e = {0};
	uint8_t root[HASH_MAX_SIZE];
	char hex[2 * HASH_MAX_SIZE + 1], **ops;
	const char *act = verify ? "verity verify" : "verity root-hash";
	int n = parse(&o, argc, argv, &ops), rc = EXIT_FAIL, ret, dfd, hfd = -1;
	if (n < 0)
		return args_exit(n);
	if (verify ? n != 3 : n < 1 || n > 2)
		return kfail(EXIT_USAGE, "%s: needs %s (see --help)", act, verify ? "DATA HASH ROOT_HASH" : "DATA [HASH]");
	if ((dfd = open_ro(ops[0])) < 0 || (n >= 2 && (hfd = open_ro(ops[1])) < 0)) {
		rc = dfd < 0 ? -dfd : -hfd;
		goto out;
	}
	if ((rc = params_for_read(&o, &p, dfd, ops[0], hfd, n >= 2 ? ops[1] : NULL)))
		goto out;
	size_t rl = verify ? strlen(ops[2]) : 0;
	if (verify && (rl != 2 * hash_size(p.alg) || hex_decode(root, hash_size(p.alg), ops[2], rl))) {
		rc = kfail(EXIT_USAGE, "%s: root hash is not %zu hex digits (%s)", act, 2 * hash_size(p.alg), hash_name(p.alg));
		goto out;
	}
	if ((ret = sandbox_enter(read_syscalls, &e))) {
		rc = kfail(EXIT_FAIL, "%s", kerr_str(&e, ret));
		goto out;
	}
	if ((ret = verify ? verity_verify(&p, dfd, hfd, root, &e) : verity_root(&p, dfd, root, &e))) {
		if (o.json)
			print_info_json(n >= 2 ? ops[1] : "", NULL, NULL, kerr_str(&e, ret));
		rc = kfail(kerr_exit(ret), "%s %s%s%s: %s", act, ops[0], n >= 2 ? " " : "",
			n >= 2 ? ops[1] : "", kerr_str(&e, ret));
		goto out;
	}
	hex_encode(hex, root, hash_size(p.alg));
	if (o.json)
		print_info_json(n >= 2 ? ops[1] : "", verify ? NULL : &p, verify ? NULL : root, NULL);
	else if (!verify)
		printf("%s\n", hex);
	rc = EXIT_OK;
out:
	if (dfd >= 0)
		close(dfd);
	if (hfd >= 0)
		close(hfd);
	return rc;
}

static int cmd_dump(int argc, char **argv)
{
	struct vopts o;
	struct verity_params p;
	struct kerr e = {0};
	char **ops;
	int n = parse(&o, argc, argv, &ops), rc, ret, hfd;
	if (n < 0)
		return args_exit(n);
	if (n != 1 || o.nosb)
		return kfail(EXIT_USAGE, "verity dump: needs HASH with a superblock (see --help)");
	if ((hfd = open_ro(ops[0])) < 0)
		return -hfd;
	if ((ret = sandbox_enter(read_syscalls, &e))) {
		close(hfd);
		return kfail(EXIT_FAIL, "%s", kerr_str(&e, ret));
	}
	if (!(rc = params_for_read(&o, &p, -1, NULL, hfd, ops[0]))) {
		if (o.json)
			print_info_json(ops[0], &p, NULL, NULL);
		else
			print_info(ops[0], &p, NULL);
	}
	close(hfd);
	return rc;
}

int verify_verity(int argc, char **argv)
{
	if (argc < 1)
		return kfail(EXIT_USAGE, "verity: which action? format, verify, root-hash or dump (see --help)");
	if (!strcmp(argv[0], "format"))
		return cmd_format(argc - 1, argv + 1);
	if (!strcmp(argv[0], "verify"))
		return cmd_read(argc - 1, argv + 1, 1);
	if (!strcmp(argv[0], "root-hash"))
		return cmd_read(argc - 1, argv + 1, 0);
	if (!strcmp(argv[0], "dump"))
		return cmd_dump(argc - 1, argv + 1);
	return kfail(EXIT_USAGE, "verity: unknown action '%s' (see --help)", argv[0]);
}
