/* keel verify - check file digests, dm-verity images, signatures and OCI image layouts
 *
 * usage: keel verify digest [--sha512] FILE...
 *        keel verify digest [--sha512] --check LIST
 *        keel verify verity format [OPTIONS] DATA HASH
 *        keel verify verity verify [OPTIONS] DATA HASH ROOT_HASH
 *        keel verify verity root-hash [OPTIONS] DATA [HASH]
 *        keel verify verity dump [--hash-offset BYTES] HASH
 *        keel verify sig [--key PUBKEY | --keys DIR] [--alg ALG] [--sha512] FILE SIG
 *        keel verify sig [--key PUBKEY | --keys DIR] [--alg ALG] [--sha512] --digest HEX SIG
 *        keel verify key-id PUBKEY...
 *        keel verify sign --key PRIVATE [--alg ecdsa|rsa-pss] [--out SIG] FILE
 *        keel verify oci [--key PUBKEY | --keys DIR] [--json] DIR
 *
 * digest: print the SHA-256 (or SHA-512) of each FILE as `sha256sum` does ("HEX  FILE";
 * "-" is standard input). With --check, read such lines from LIST and check every file;
 * a line per file says OK or FAILED.
 *
 * Options:
 *   --sha512        use SHA-512 instead of SHA-256
 *   -c, --check     check the digests listed in LIST (format of sha256sum/sha512sum)
 *
 * sign: the signing half, for image builders (initramfs/mkimage.sh signs slot manifests with it):
 * a detached signature of FILE with SHA-256 by PRIVATE (PEM or DER, unencrypted; EC P-256 or
 * RSA), DER ECDSA deterministic as RFC 6979 (the same inputs give the same bytes, so images are
 * reproducible) or RSASSA-PSS (random salt), to --out or standard output; `keel verify sig` and
 * `openssl dgst -sha256 -verify` check it.
 *
 * verity: dm-verity hash trees, byte for byte as cryptsetup's veritysetup makes them, with its
 * option names. format writes the tree (and a 512-byte superblock) for DATA into HASH and prints
 * veritysetup's report with its "Root hash:" line; an existing HASH file or device is written in
 * place, a new file appears only once complete. verify rebuilds the tree, compares every hash
 * block (digests and zero padding) and the root hash, and names the first bad block. root-hash
 * prints the root hash of DATA without writing anything (parameters from HASH's superblock or
 * the options). dump prints a superblock. Without --salt, format uses 32 random bytes and a random
 * UUID, as veritysetup does: pass --salt and --uuid for reproducible output.
 *
 * verity options:
 *   -h, --hash ALG            sha256 (default) or sha512
 *   --format N                1 (default) or 0 (Chrome OS)
 *   -s, --salt HEX            salt, up to 256 bytes; "-" for none
 *   --uuid UUID               superblock UUID
 *   --data-block-size BYTES   512 … 524288, power of two (default 4096)
 *   --hash-block-size BYTES   likewise (default 4096)
 *   --data-blocks N           data blocks covered (default: the whole blocks of DATA)
 *   --hash-offset BYTES       start of the hash area in HASH, 512-aligned (HASH may be DATA)
 *   --no-superblock           no superblock: parameters come from the options
 *   --threads N               leaf-level hashing threads (default: the CPUs available)
 *   -j, --json                format, root-hash, dump: the report as a JSON object (with
 *                             hash_start_block, what a dm-verity table needs); verify: {"verified"}
 *
 * sig: check a detached signature over FILE ("-" is standard input), or over a digest given in
 * hex, as `openssl dgst -sha256 -sign KEY` or `openssl pkeyutl -sign` make them. Keys are PEM or
 * DER SubjectPublicKeyInfo (EC P-256/P-384, RSA 2048-8192 bits); without --key, every key file
 * (*.pem, *.der, *.pub) of the trusted-keys directory is tried (default /usr/lib/keel/keys, where
 * images install config/keys/). ECDSA signatures are DER, in its one canonical encoding only (no
 * long-form lengths, no needless 00 bytes, no negative or zero INTEGERs, nothing after); raw r|s
 * (JOSE, PKCS#11) only with --alg ecdsa-raw. RSA-PSS takes any salt length (openssl's
 * digest-length, "max" and "auto" salts alike), MGF1 with the message hash.
 * key-id: print each key's id (sha256 of its DER SubjectPublicKeyInfo), type and file.
 *
 * oci: check the OCI image layout DIR: oci-layout, index.json and every blob reachable from it
 * (nested indexes, manifests, configs, layers; size first, then sha256/sha512 digest; unknown
 * media types are checked as blobs and otherwise tolerated). Signatures are cosign's: the
 * manifest tagged (org.opencontainers.image.ref.name) "sha256-<hex>.sig" holds the signatures of
 * the image sha256:<hex> of index.json, one cosign simple-signing payload per layer naming that
 * digest (critical.image.docker-manifest-digest); every other entry of index.json is an image,
 * whatever its layers. With --key or --keys, every image must be named by such a signature, and
 * every signature must verify with a trusted key. Errors name the blob. --json prints a report
 * object (also on failure, with "error").
 *
 * sig options:
 *   -k, --key PUBKEY   the one key to trust
 *   --keys DIR         trusted-keys directory (default /usr/lib/keel/keys)
 *   --key-id HEX       use only the key with this id
 *   --alg ALG          ecdsa, ecdsa-raw, rsa-pkcs1 or rsa-pss (default: ecdsa for EC keys,
 *                      rsa-pkcs1 for RSA)
 *   --sha512           the message digest is SHA-512 (default SHA-256)
 *   --digest HEX       verify over this digest instead of a FILE
 *   -j, --json         print the result as a JSON object
 *
 * Exit status (the same table as every applet's, core/base/err.h): 0 all good; 1 the input is
 * bad: a digest did not match or a --check list is malformed (or has no lines), a verity image
 * does not verify (data, tree, padding, root hash, a data or hash device shorter than the
 * parameters say, a corrupted superblock), a signature does not verify (or is malformed, or does
 * not suit the key), a key given to key-id is malformed, an OCI layout does not verify (a blob
 * missing, of the wrong size or digest, malformed JSON, an unsigned image), an input over its
 * size limit; 2 usage; 3 a runtime failure: a file could not be read or written (missing,
 * unreadable, a directory), the trusted keys could not be loaded or hold no key that could judge
 * (--key-id names none of them; of several keys, none is of --alg's type), out of memory.
 */
#include "base/applet.h"
#include "base/args.h"
#include "base/buf.h"
#include "base/err.h"
#include "base/fs.h"
#include "base/lines.h"
#include "trust/hash.h"
#include "base/log.h"
#include "base/sandbox.h"
#include "applets/verify.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

/* threads: hash_fd reads in a second thread (musl: mmap, mprotect, clone, futex, munmap) */
static const char *const digest_syscalls[] = {"open", "openat", "mprotect", "clone", NULL};

static int digest_path(enum hash_alg alg, const char *path, uint8_t *out)
{
	int fd = strcmp(path, "-") ? open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY) : STDIN_FILENO;
	if (fd < 0)
		return -errno;
	int ret = hash_fd(alg, fd, out, NULL);
	if (fd != STDIN_FILENO)
		close(fd);
	return ret;
}

/* One line of a sha256sum file: "HEX  NAME" or "HEX *NAME" (binary marker). */
static int check_line(enum hash_alg alg, char *line, size_t lineno, const char *list, int *bad)
{
	size_t hl = 2 * hash_size(alg);
	uint8_t want[HASH_MAX_SIZE], got[HASH_MAX_SIZE];

	if (strlen(line) < hl + 3 || line[hl] != ' ' || (line[hl + 1] != ' ' && line[hl + 1] != '*') ||
		hex_decode(want, hash_size(alg), line, hl)) {
		return kfail(kerr_exit(-EINVAL), "%s:%zu: not a %s line", list, lineno, hash_name(alg));
	}
	const char *name = line + hl + 2;
	int ret = digest_path(alg, name, got);
	if (ret) {
		printf("%s: FAILED open or read\n", name);
		log_err("%s: %s", name, kerr_strerror(ret));
		*bad = 1;
		return 0;
	}
	int ok = !memcmp(want, got, hash_size(alg));
	printf("%s: %s\n", name, ok ? "OK" : "FAILED");
	if (!ok)
		*bad = 1;
	return 0;
}

static int cmd_check(enum hash_alg alg, const char *list)
{
	struct buf b = BUF_INIT(64 << 20);
	struct kerr e = {0};
	int bad = 0, ret;
	struct lines c;
	const char *line;
	size_t len;

	if (!strcmp(list, "-"))
		ret = fs_read_fd(STDIN_FILENO, b.max, &b);
	else
		ret = fs_read_path(AT_FDCWD, list, b.max, &b, &e);
	if (ret) {
		buf_free(&b);
		return kfail(kerr_exit(ret), "%s", kerr_str(&e, ret));
	}
	lines_init(&c, b.p, b.len);
	while (lines_next(&c, &line, &len)) {
		char *p = (char *)line; /* b's own bytes: the line ends at its '\n' or at b's NUL */
		p[len] = 0;
		if (*p && (ret = check_line(alg, p, c.no, list, &bad))) {
			buf_free(&b);
			return ret;
		}
	}
	buf_free(&b);
	if (!c.no)
		return kfail(kerr_exit(-EINVAL), "%s: no digest lines", list);
	return bad ? EXIT_NO : EXIT_OK;
}

static int cmd_digest(int argc, char **argv)
{
	int sha512 = 0, check = 0, ret, rc = EXIT_OK;
	char **ops;
	const struct opt opts[] = {
		{"sha512", 0, OPT_FLAG, &sha512},
		{"check", 'c', OPT_FLAG, &check},
		{0},
	};
	int n = args_parse(opts, argc, argv, &ops);
	if (n < 0)
		return args_exit(n);
	if (n < 1 || (check && n != 1))
		return kfail(EXIT_USAGE, "digest: %s (see --help)", check ? "--check takes one LIST" : "no FILE");
	struct kerr e = {0};
	hash_fd_threads(1); /* the sandbox below allows the reader thread */
	if ((ret = sandbox_enter(digest_syscalls, &e)))
		return kfail(EXIT_FAIL, "%s", kerr_str(&e, ret));
	enum hash_alg alg = sha512 ? HASH_SHA512 : HASH_SHA256;
	if (check)
		return cmd_check(alg, ops[0]);
	for (int i = 0; i < n; i++) {
		uint8_t d[HASH_MAX_SIZE];
		char hex[2 * HASH_MAX_SIZE + 1];
		if ((ret = digest_path(alg, ops[i], d))) {
			rc = kfail(kerr_exit(ret), "%s: %s", ops[i], kerr_strerror(ret));
			continue;
		}
		hex_encode(hex, d, hash_size(alg));
		printf("%s  %s\n", hex, ops[i]);
	}
	return rc;
}

int verify_main(int argc, char **argv)
{
	if (argc >= 2 && !strcmp(argv[1], "--help")) {
		args_help();
		return EXIT_OK;
	}
	if (argc < 2)
		return kfail(EXIT_USAGE, "which check? digest, verity, sig, key-id, oci (see --help)");
	if (!strcmp(argv[1], "digest"))
		return cmd_digest(argc - 2, argv + 2);
	if (!strcmp(argv[1], "verity"))
		return verify_verity(argc - 2, argv + 2);
	if (!strcmp(argv[1], "sig"))
		return verify_sig(argc - 2, argv + 2);
	if (!strcmp(argv[1], "oci"))
		return verify_oci(argc - 2, argv + 2);
	if (!strcmp(argv[1], "key-id"))
		return verify_key_id(argc - 2, argv + 2);
	if (!strcmp(argv[1], "sign"))
		return verify_sign(argc - 2, argv + 2);
	return kfail(EXIT_USAGE, "unknown check '%s' (see --help)", argv[1]);
}
