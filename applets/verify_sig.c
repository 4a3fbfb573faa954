/* verify_sig.c — `keel verify sig` (detached signatures), `keel verify key-id` and `keel verify sign`,
 * on core/sig. */
#include "applets/verify.h"
#include "base/applet.h"
#include "base/args.h"
#include "base/buf.h"
#include "base/clock.h"
#include "base/err.h"
#include "base/fs.h"
#include "trust/hash.h"
#include "base/json.h"
#include "base/log.h"
#include "base/sandbox.h"
#include "trust/sig.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#ifndef KEEL_KEYS_DIR
#define KEEL_KEYS_DIR "/usr/lib/keel/keys" /* where images install config/keys/ */
#endif

/* hash_fd reads in a second thread (musl: mmap, mprotect, clone). */
static const char *const sig_syscalls[] = {"mprotect", "clone", NULL};

static void print_json(const char *what, const struct sig_key *k, enum sig_alg alg, const char *err)
{
	struct buf b = BUF_INIT(4096);
	struct jw w;
	char id[65];
	jw_init(&w, &b);
	jw_obj(&w);
	jw_key(&w, "file");
	jw_str(&w, what);
	jw_key(&w, "verified");
	jw_bool(&w, err == NULL);
	if (err) {
		jw_key(&w, "error");
		jw_str(&w, err);
	} else {
		hex_encode(id, sig_key_id(k), 32);
		jw_key(&w, "algorithm");
		jw_str(&w, sig_alg_name(alg));
		jw_key(&w, "key_type");
		jw_str(&w, sig_key_type_name(k));
		jw_key(&w, "key_id");
		jw_str(&w, id);
	}
	jw_obj_end(&w);
	if (!jw_finish(&w))
		printf("%s\n", (const char *)b.p);
	buf_free(&b);
}

static int load_keys(struct sig_keyring *kr, const char *key, const char *dir)
{
	struct kerr e = {0};
	struct sig_key *k;
	int ret;
	if (key) {
		if ((ret = sig_key_load(&k, AT_FDCWD, key, &e)) || (ret = sig_keyring_add(kr, k, &e)))
			return kfail(EXIT_FAIL, "key: %s", kerr_str(&e, ret));
		return EXIT_OK;
	}
	if ((ret = sig_keyring_load_dir(kr, AT_FDCWD, dir ? dir : KEEL_KEYS_DIR, &e)))
		return kfail(EXIT_FAIL, "trusted keys: %s", kerr_str(&e, ret));
	return EXIT_OK;
}

int verify_sig(int argc, char **argv)
{
	const char *key = NULL, *dir = NULL, *alg_name = NULL, *digest_hex = NULL, *key_id_hex = NULL;
	uint64_t bench = 0;
	int json = 0;
	int sha512 = 0, rc = EXIT_FAIL, ret, fd = -1;
	struct sig_keyring kr = {.n = 0};
	struct buf sig = BUF_INIT(64 * 1024);
	struct kerr e = {0};
	char **ops;
	const struct opt opts[] = {
		{"key", 'k', OPT_STR, &key},
		{"keys", 0, OPT_STR, &dir},
		{"key-id", 0, OPT_STR, &key_id_hex},
		{"alg", 0, OPT_STR, &alg_name},
		{"sha512", 0, OPT_FLAG, &sha512},
		{"digest", 0, OPT_STR, &digest_hex},
		{"json", 'j', OPT_FLAG, &json},
		{"bench", 0, OPT_U64, &bench, 1, 100000000}, /* not in --help: tests/bench/ only */
		{0},
	};
	int n = args_parse(opts, argc, argv, &ops);
	if (n < 0)
		return args_exit(n);
	if (n != (digest_hex ? 1 : 2) || (key && dir))
		return kfail(EXIT_USAGE, "sig: needs [--key PUBKEY | --keys DIR] FILE SIG, or --digest HEX SIG (see --help)");
	int alg = -1;
	if (alg_name && (alg = sig_alg_from_name(alg_name)) < 0)
		return kfail(EXIT_USAGE, "sig: --alg %s: ecdsa, ecdsa-raw, rsa-pkcs1 or rsa-pss", alg_name);
	enum hash_alg h = sha512 ? HASH_SHA512 : HASH_SHA256;
	uint8_t digest[HASH_MAX_SIZE], want_id[32];
	if (digest_hex && hex_decode(digest, hash_size(h), digest_hex, strlen(digest_hex)))
		return kfail(EXIT_USAGE, "sig: --digest is not %zu hex digits", 2 * hash_size(h));
	if (key_id_hex && hex_decode(want_id, 32, key_id_hex, strlen(key_id_hex)))
		return kfail(EXIT_USAGE, "sig: --key-id is not 64 hex digits");
	const char *file = digest_hex ? NULL : ops[0], *sigpath = ops[n - 1];

	if ((rc = load_keys(&kr, key, dir)))
		goto out;
	rc = EXIT_FAIL;
	if ((ret = fs_read_path(AT_FDCWD, sigpath, sig.max, &sig, &e))) {
		rc = kfail(kerr_exit(ret), "sig: %s", kerr_str(&e, ret));
		goto out;
	}
	if (file && (fd = strcmp(file, "-") ? open(file, O_RDONLY | O_CLOEXEC | O_NOCTTY) : STDIN_FILENO) < 0) {
		rc = kfail(kerr_exit(-errno), "sig: %s: %s", file, kerr_strerror(errno));
		goto out;
	}
	hash_fd_threads(1); /* the sandbox below allows the reader thread */
	if ((ret = sandbox_enter(sig_syscalls, &e))) {
		log_err("%s", kerr_str(&e, ret));
		goto out;
	}
	if (file && (ret = hash_fd(h, fd, digest, NULL))) {
		rc = kfail(kerr_exit(ret), "sig: %s: %s", file, kerr_strerror(ret));
		goto out;
	}
	const struct sig_key *which = NULL;
	if (kr.n == 1 && (!key_id_hex || !memcmp(sig_key_id(kr.keys[0]), want_id, 32))) { /* its own reason */
		which = kr.keys[0];
		ret = sig_verify_digest(which, alg < 0 ? sig_key_default_alg(which) : (enum sig_alg)alg, h, digest, sig.p,
			sig.len, &e);
	} else {
		ret = sig_keyring_verify_digest(&kr, key_id_hex ? want_id : NULL, alg, h, digest, sig.p, sig.len, &which, &e);
	}
	if (ret) {
		if (json)
			print_json(file ? file : digest_hex, NULL, 0, kerr_str(&e, ret));
		rc = kfail(kerr_exit(ret), "sig: %s: %s", file ? file : "digest", kerr_str(&e, ret));
		goto out;
	}
	if (bench) { /* verify the same signature again, bench times: tests/bench/verify.bench.sh */
		enum sig_alg a = alg < 0 ? sig_key_default_alg(which) : (enum sig_alg)alg;
		uint64_t t0 = mono_us();
		for (uint64_t i = 0; i < bench; i++)
			if (sig_verify_digest(which, a, h, digest, sig.p, sig.len, NULL)) {
				rc = kfail(EXIT_FAIL, "sig: --bench: verification %llu failed", (unsigned long long)i);
				goto out;
			}
		double s = (double)(mono_us() - t0) / 1e6;
		printf("%llu verifications in %.3f s: %.1f verify/s\n", (unsigned long long)bench, s, (double)bench / s);
	}
	enum sig_alg used = alg >= 0 ? (enum sig_alg)alg : sig_key_default_alg(which);
	if (json) {
		print_json(file ? file : digest_hex, which, used, NULL);
	} else {
		char id[65];
		hex_encode(id, sig_key_id(which), 32);
		printf("%s: OK (%s signature, key %s)\n", file ? file : digest_hex, sig_alg_name(used), id);
	}
	rc = EXIT_OK;
out:
	if (fd > STDIN_FILENO)
		close(fd);
	buf_free(&sig);
	sig_keyring_free(&kr);
	return rc;
}

int verify_key_id(int argc, char **argv)
{
	char **ops;
	int rc = EXIT_OK, fds[STRLIST_MAX];
	struct kerr e = {0};
	int n = args_parse((const struct opt[]){{0}}, argc, argv, &ops);
	if (n < 0)
		return args_exit(n);
	if (n < 1 || n > STRLIST_MAX)
		return kfail(EXIT_USAGE, "key-id: needs 1 to %d PUBKEY files (see --help)", STRLIST_MAX);
	for (int i = 0; i < n; i++) /* open them all, then parse in the sandbox */
		if ((fds[i] = open(ops[i], O_RDONLY | O_CLOEXEC | O_NOCTTY)) < 0)
			rc = kfail(kerr_exit(-errno), "key-id: %s: %s", ops[i], kerr_strerror(errno));
	int ret = sandbox_enter(sig_syscalls, &e);
	if (ret) {
		for (int i = 0; i < n; i++)
			if (fds[i] >= 0)
				close(fds[i]);
		return kfail(EXIT_FAIL, "%s", kerr_str(&e, ret));
	}
	for (int i = 0; i < n; i++) {
		struct buf b = BUF_INIT(SIG_KEY_MAX_FILE);
		struct sig_key *k = NULL;
		if (fds[i] < 0)
			continue;
		if ((ret = fs_read_fd(fds[i], b.max, &b)) == 0 && (ret = sig_key_parse(&k, b.p, b.len, &e)) == 0) {
			char id[65];
			hex_encode(id, sig_key_id(k), 32);
			printf("%s  %s  %s\n", id, sig_key_type_name(k), ops[i]);
		} else {
			rc = kfail(kerr_exit(ret), "key-id: %s: %s", ops[i], kerr_str(&e, ret));
		}
		sig_key_free(k);
		buf_free(&b);
		close(fds[i]);
	}
	return rc;
}

/* keel verify sign --key PRIVATE [--alg ecdsa|rsa-pss] [--out SIG] FILE */
int verify_sign(int argc, char **argv)
{
	static const char *const sign_syscalls[] = {"mprotect", "clone", "getrandom", "fsync", "rename", "unlink", NULL};
	const char *key = NULL, *alg_name = NULL, *out = NULL;
	char **ops;
	struct kerr e = {0};
	struct buf kb = BUF_INIT(SIG_KEY_MAX_FILE), data = BUF_INIT(64u << 20), sig = BUF_INIT(1024);
	struct sig_priv *k = NULL;
	char tmp[4096] = "";
	int rc = EXIT_FAIL, ret, kfd = -1, dfd = -1, ofd = -1;
	int n = args_parse((const struct opt[]){{"key", 0, OPT_STR, &key}, {"alg", 0, OPT_STR, &alg_name},
		{"out", 0, OPT_STR, &out}, {0}}, argc, argv, &ops);
	if (n < 0)
		return args_exit(n);
	if (n != 1 || !key)
		return kfail(EXIT_USAGE, "sign: needs --key PRIVATE and one FILE (see --help)");
	int alg = alg_name ? sig_alg_from_name(alg_name) : -1;
	if (alg_name && alg != SIG_ECDSA && alg != SIG_RSA_PSS)
		return kfail(EXIT_USAGE, "sign: --alg is ecdsa or rsa-pss");
	if ((kfd = open(key, O_RDONLY | O_CLOEXEC | O_NOCTTY)) < 0) {
		rc = kfail(kerr_exit(-errno), "sign: %s: %s", key, kerr_strerror(errno));
		goto out;
	}
	if ((dfd = strcmp(ops[0], "-") ? open(ops[0], O_RDONLY | O_CLOEXEC | O_NOCTTY) : STDIN_FILENO) < 0) {
		rc = kfail(kerr_exit(-errno), "sign: %s: %s", ops[0], kerr_strerror(errno));
		goto out;
	}
	/* a new file appears only once complete: written under a temporary name, then renamed */
	if (out && (size_t)snprintf(tmp, sizeof(tmp), "%s.tmp", out) >= sizeof(tmp)) {
		rc = kfail(EXIT_USAGE, "sign: --out is too long");
		goto out;
	}
	if (out && (ofd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0644)) < 0) {
		rc = kfail(kerr_exit(-errno), "sign: %s: %s", tmp, kerr_strerror(errno));
		goto out;
	}
	if ((ret = sandbox_enter(sign_syscalls, &e))) {
		rc = kfail(EXIT_FAIL, "%s", kerr_str(&e, ret));
		goto out;
	}
	if ((ret = fs_read_fd(kfd, kb.max, &kb)) || (ret = sig_priv_parse(&k, kb.p, kb.len, &e))) {
		rc = kfail(kerr_exit(ret), "sign: %s: %s", key, kerr_str(&e, ret));
		goto out;
	}
	if (alg < 0)
		alg = sig_priv_type(k) == SIG_KEY_RSA ? SIG_RSA_PSS : SIG_ECDSA;
	if ((ret = fs_read_fd(dfd, data.max, &data))) {
		rc = kfail(kerr_exit(ret), "sign: %s: %s", ops[0],
			ret == -EFBIG ? "larger than 64 MiB (sign a digest list instead)" : kerr_strerror(ret));
		goto out;
	}
	if ((ret = sig_sign(k, (enum sig_alg)alg, data.p, data.len, &sig, &e))) {
		rc = kfail(kerr_exit(ret), "sign: %s: %s", key, kerr_str(&e, ret));
		goto out;
	}
	if ((ret = fs_write_all(out ? ofd : STDOUT_FILENO, sig.p, sig.len)) || (out && fsync(ofd))) {
		rc = kfail(EXIT_FAIL, "sign: writing %s: %s", out ? tmp : "the signature",
			kerr_strerror(ret ? ret : -errno));
		goto out;
	}
	if (out && rename(tmp, out)) {
		rc = kfail(EXIT_FAIL, "sign: %s: %s", out, kerr_strerror(-errno));
		goto out;
	}
	rc = EXIT_OK;
out:
	if (ofd >= 0) {
		close(ofd);
		if (rc != EXIT_OK)
			unlink(tmp);
	}
	if (kfd >= 0)
		close(kfd);
	if (dfd > STDIN_FILENO)
		close(dfd);
	sig_priv_free(k);
	buf_free_secret(&kb);
	buf_free(&data);
	buf_free(&sig);
	return rc;
}
