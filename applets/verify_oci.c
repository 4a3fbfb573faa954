/* verify_oci.c — `keel verify oci`: an OCI image layout and, with keys, its cosign signatures. */
#include "applets/verify.h"
#include "base/applet.h"
#include "base/args.h"
#include "base/buf.h"
#include "base/err.h"
#include "base/json.h"
#include "base/log.h"
#include "trust/oci.h"
#include "base/sandbox.h"
#include "trust/sig.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* Blobs are opened beneath the layout (openat2, or openat one component at a time); hash_fd
 * reads in a second thread (mprotect, clone). */
static const char *const oci_syscalls[] = {"openat", "openat2", "mprotect", "clone", NULL};

static void print_json(const char *dir, const struct oci_result *r, int ok, const char *why)
{
	struct buf b = BUF_INIT(1 << 20);
	struct jw w;
	char id[65];
	jw_init(&w, &b);
	jw_obj(&w);
	jw_key(&w, "layout");
	jw_str(&w, dir);
	jw_key(&w, "verified");
	jw_bool(&w, ok);
	if (!ok) {
		jw_key(&w, "error");
		jw_str(&w, why);
	}
	static const char *const names[] = {"indexes", "manifests", "configs", "layers", "other_blobs", "signatures"};
	const size_t counts[] = {r->indexes, r->manifests, r->configs, r->layers, r->others, r->signatures};
	for (size_t i = 0; i < 6; i++) {
		jw_key(&w, names[i]);
		jw_uint(&w, counts[i]);
	}
	jw_key(&w, "bytes");
	jw_uint(&w, r->bytes);
	jw_key(&w, "images");
	jw_arr(&w);
	for (size_t i = 0; i < r->nimages; i++) {
		const struct oci_image *im = &r->images[i];
		jw_obj(&w);
		jw_key(&w, "digest");
		jw_str(&w, im->digest);
		jw_key(&w, "ref");
		jw_str(&w, im->ref);
		jw_key(&w, "signature_manifest");
		jw_bool(&w, im->signature);
		jw_key(&w, "signed");
		jw_bool(&w, im->signed_ok);
		if (im->signed_ok) {
			hex_encode(id, im->key_id, 32);
			jw_key(&w, "key_id");
			jw_str(&w, id);
		}
		jw_obj_end(&w);
	}
	jw_arr_end(&w);
	jw_obj_end(&w);
	if (!jw_finish(&w))
		printf("%s\n", (const char *)b.p);
	buf_free(&b);
}

int verify_oci(int argc, char **argv)
{
	const char *key = NULL, *dir = NULL;
	int json = 0, ret, rc = EXIT_FAIL, fd = -1;
	struct sig_keyring kr = {.n = 0};
	struct oci_result *r = NULL;
	struct kerr e = {0};
	struct sig_key *k;
	char **ops;
	const struct opt opts[] = {
		{"key", 'k', OPT_STR, &key},
		{"keys", 0, OPT_STR, &dir},
		{"json", 'j', OPT_FLAG, &json},
		{0},
	};
	int n = args_parse(opts, argc, argv, &ops);
	if (n < 0)
		return args_exit(n);
	if (n != 1 || (key && dir))
		return kfail(EXIT_USAGE, "oci: needs [--key PUBKEY | --keys DIR] [--json] DIR (see --help)");
	if (key && ((ret = sig_key_load(&k, AT_FDCWD, key, &e)) || (ret = sig_keyring_add(&kr, k, &e)))) {
		rc = kfail(EXIT_FAIL, "oci: key: %s", kerr_str(&e, ret));
		goto out;
	}
	if (dir && (ret = sig_keyring_load_dir(&kr, AT_FDCWD, dir, &e))) {
		rc = kfail(EXIT_FAIL, "oci: trusted keys: %s", kerr_str(&e, ret));
		goto out;
	}
	if ((fd = open(ops[0], O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0) {
		rc = kfail(kerr_exit(-errno), "oci: %s: %s", ops[0], kerr_strerror(errno));
		goto out;
	}
	if (!(r = calloc(1, sizeof(*r)))) {
		rc = kfail(EXIT_FAIL, "oci: out of memory");
		goto out;
	}
	hash_fd_threads(1); /* the sandbox below allows the reader thread */
	if ((ret = sandbox_enter(oci_syscalls, &e))) {
		rc = kfail(EXIT_FAIL, "%s", kerr_str(&e, ret));
		goto out;
	}
	ret = oci_verify(fd, kr.n ? &kr : NULL, r, &e);
	if (json)
		print_json(ops[0], r, !ret, kerr_str(&e, ret));
	if (ret) {
		rc = kfail(kerr_exit(ret), "oci: %s: %s", ops[0], kerr_str(&e, ret));
		goto out;
	}
	if (!json) {
		printf("%s: OK: %zu index%s, %zu manifest%s, %zu config%s, %zu layer%s, %zu other blob%s, %llu bytes verified\n",
			ops[0], r->indexes, r->indexes == 1 ? "" : "es", r->manifests, r->manifests == 1 ? "" : "s",
			r->configs, r->configs == 1 ? "" : "s", r->layers, r->layers == 1 ? "" : "s", r->others,
			r->others == 1 ? "" : "s", (unsigned long long)r->bytes);
		for (size_t i = 0; i < r->nimages; i++) {
			const struct oci_image *im = &r->images[i];
			char id[65];
			hex_encode(id, im->key_id, 32);
			printf("%s %s%s%s\n", im->digest, im->ref[0] ? im->ref : "-",
				im->signature ? " (cosign signatures)" : im->signed_ok ? " signed by key " : "",
				im->signed_ok && !im->signature ? id : "");
		}
	}
	rc = EXIT_OK;
out:
	free(r);
	if (fd >= 0)
		close(fd);
	sig_keyring_free(&kr);
	return rc;
}
