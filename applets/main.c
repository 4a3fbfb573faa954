/* main.c — keel's multi-call entry point (not an applet itself).
 *
 * keel APPLET ARGS…, or a link named after the applet (/init and /sbin/init run `keel init`).
 * `keel --list` prints the applets, `keel --version` keel's and every linked library's version;
 * `keel --version --json` also each library's licence, Debian source package and pinned sha256.
 */
#include "applets/table.h"
#include "base/applet.h"
#include "base/buf.h"
#include "base/err.h"
#include "base/json.h"

#include <errno.h>
#include <mbedtls/version.h>
#include <seccomp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zstd.h>

#include "gen/applets.h"    /* generated: applet_table[], applet_help_zst[], APPLET_HELP_SIZE */
#include "gen/components.h" /* generated: KEEL_COMPONENTS, KEEL_LICENCE */

#define NAPPLETS (sizeof(applet_table) / sizeof(applet_table[0]))

/* An applet's usage block: build.sh keeps every help text, NUL-terminated, in one zstd frame
 * (30 KiB of text, a third of it compressed); the first --help decompresses it. NULL if that
 * fails (no memory). */
static const char *applet_help(const struct applet *a)
{
	static char *text;

	if (!text) {
		char *t = malloc(APPLET_HELP_SIZE);
		if (!t || ZSTD_decompress(t, APPLET_HELP_SIZE, applet_help_zst, sizeof(applet_help_zst)) != APPLET_HELP_SIZE) {
			free(t);
			return NULL;
		}
		text = t;
	}
	return a->help_off < APPLET_HELP_SIZE ? text + a->help_off : NULL;
}

const struct applet *applet_find(const char *name)
{
	for (size_t i = 0; i < NAPPLETS; i++)
		if (!strcmp(applet_table[i].name, name))
			return &applet_table[i];
	return NULL;
}

static void version(void)
{
	char mbed[32];
	const struct scmp_version *sv = seccomp_version();
	mbedtls_version_get_string(mbed);
	printf("keel %s\n", KEEL_VERSION);
	printf("musl %s\n", KEEL_MUSL_VERSION);
	printf("mbedtls %s\n", mbed);
	printf("zstd %s\n", ZSTD_versionString());
	printf("libseccomp %u.%u.%u\n", sv->major, sv->minor, sv->micro);
}

/* A sha256 compiled in as its 32 bytes (build.sh gen_components), as hex. */
static void jw_sha256(struct jw *w, const char *raw)
{
	char h[65];
	hex_encode(h, (const uint8_t *)raw, 32);
	jw_str(w, h);
}

/* "FILE:<32 bytes> FILE:<32 bytes>…" (n bytes) as "FILE:HEX FILE:HEX…". */
static void jw_patches(struct jw *w, const char *p, size_t n)
{
	char out[1024];
	size_t o = 0;
	for (const char *end = p + n, *c; p < end && (c = memchr(p, ':', (size_t)(end - p))) && end - c > 32 &&
		 o + (size_t)(c - p) + 67 < sizeof(out);
		p = c + 33 + (c + 33 < end)) {
		o += (size_t)snprintf(out + o, sizeof(out) - o, "%s%.*s", o ? " " : "", (int)(c + 1 - p), p);
		hex_encode(out + o, (const uint8_t *)c + 1, 32);
		o += 64;
	}
	out[o] = 0;
	jw_str(w, out);
}

/* `keel --version --json`: the facts build/keel.spdx.json records, from inside the binary. */
static void version_json(void)
{
	struct buf b = BUF_INIT(1 << 16);
	struct jw w;

	jw_init(&w, &b);
	jw_obj(&w);
	jw_key(&w, "name");
	jw_str(&w, "keel");
	jw_key(&w, "version");
	jw_str(&w, KEEL_VERSION);
	jw_key(&w, "license");
	jw_str(&w, KEEL_LICENCE);
	jw_key(&w, "components");
	jw_arr(&w);
#define C(name, ver, lic, src, debver, artifact, sha, patches)                                     \
	jw_obj(&w);                                                                                \
	jw_key(&w, "name"), jw_str(&w, name), jw_key(&w, "version"), jw_str(&w, ver);              \
	jw_key(&w, "license"), jw_str(&w, lic), jw_key(&w, "debian_source"), jw_str(&w, src);      \
	jw_key(&w, "debian_version"), jw_str(&w, debver), jw_key(&w, "artifact"), jw_str(&w, artifact); \
	jw_key(&w, "sha256"), jw_sha256(&w, sha), jw_key(&w, "patches");                         \
	jw_patches(&w, patches, sizeof(patches) - 1);                                              \
	jw_obj_end(&w);
	KEEL_COMPONENTS
#undef C
	jw_arr_end(&w);
	jw_obj_end(&w);
	if (jw_finish(&w) == 0)
		printf("%.*s\n", (int)b.len, (const char *)b.p);
	buf_free(&b);
}

static int usage(FILE *f)
{
	fprintf(f, "usage: keel APPLET [ARGS...]   (or a link named APPLET to keel)\n"
		   "       keel --list | --version | --help\n\napplets:\n");
	for (size_t i = 0; i < NAPPLETS; i++)
		fprintf(f, "  %-10s %s\n", applet_table[i].name, applet_table[i].summary);
	fprintf(f, "\n`keel APPLET --help` shows an applet's usage.\n");
	return f == stdout ? EXIT_OK : EXIT_USAGE;
}

/* The exit code once the output is out: output that did not all arrive (a full disk, a pipe
 * closed early with SIGPIPE ignored) makes a success a runtime failure. fflush() alone misses
 * a write that failed earlier: stdio drops what it could not write, so the last fflush may
 * have nothing left to write and succeed; the stream's error flag stays set. */
static int finish(const char *who, int ret)
{
	int bad = fflush(stdout) != 0;
	const char *why = bad ? kerr_strerror(errno) : NULL;

	if ((bad || ferror(stdout)) && ret == EXIT_OK) {
		fprintf(stderr, "%s: writing output failed%s%s\n", who, why ? ": " : "", why ? why : "");
		ret = EXIT_FAIL;
	}
	return ret;
}

static int run(const struct applet *a, int argc, char **argv)
{
	char who[64];

	keel_applet = a;
	snprintf(who, sizeof(who), "keel %s", a->name);
	return finish(who, a->main(argc, argv));
}

int main(int argc, char **argv)
{
	const char *base = argc > 0 ? strrchr(argv[0], '/') : NULL;
	base = base ? base + 1 : (argc > 0 ? argv[0] : "keel");

	if (strcmp(base, "keel") && strcmp(base, "keel.debug")) {
		const struct applet *a = applet_find(base);
		if (!a) {
			fprintf(stderr, "keel: unknown applet '%s' (see keel --list)\n", base);
			return EXIT_USAGE;
		}
		return run(a, argc, argv);
	}
	if (argc < 2)
		return usage(stderr);
	if (!strcmp(argv[1], "--list")) {
		for (size_t i = 0; i < NAPPLETS; i++)
			puts(applet_table[i].name);
		return finish("keel", EXIT_OK);
	}
	if (!strcmp(argv[1], "--version")) {
		if (argc > 2 && !strcmp(argv[2], "--json"))
			version_json();
		else
			version();
		return finish("keel", EXIT_OK);
	}
	if (!strcmp(argv[1], "--help"))
		return finish("keel", usage(stdout));
	const struct applet *a = applet_find(argv[1]);
	if (!a) {
		fprintf(stderr, "keel: unknown applet '%s' (see keel --list)\n", argv[1]);
		return EXIT_USAGE;
	}
	return run(a, argc - 1, argv + 1);
}
