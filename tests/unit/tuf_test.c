/* tuf_test.c — TUF metadata: thresholds count distinct keys, keys verify only with their declared
 * scheme, malformed roots and envelopes are refused by field, file checks, times and names; and a
 * repository published by tuf_pub_* refreshed by tuf_refresh, also with every allocation failing
 * in turn (nothing written to the trust dir then). A forged case next to every good one. */
#include "t.h"
#include "base/buf.h"
#include "base/err.h"
#include "base/fs.h"
#include "base/json.h"
#include "trust/sig.h"
#include "trust/tuf.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <mbedtls/pk.h>

static const char k1_pem[] =
	"-----BEGIN PRIVATE KEY-----\n"
	"MIGHAgEAMBMGByqGSM49AgEGCCqGSM49AwEHBG0wawIBAQQgyWb7QUEHGnGjPNdj\n"
	"RlARUlTWWTctL2o4ZVgDFoJPdiihRANCAARCdSLOBoW7C7wR0dwngq+mobceYwDu\n"
	"apBtpBhKEDYVyrAu2/Z65ZnSrvftB5JDT0Gf90gEA6fEPVU4635KxD92\n"
	"-----END PRIVATE KEY-----\n"
;
static const char k2_pem[] =
	"-----BEGIN PRIVATE KEY-----\n"
	"MIGHAgEAMBMGByqGSM49AgEGCCqGSM49AwEHBG0wawIBAQQgqkQD+r6rR0e19u3M\n"
	"HkFPmTAs+qpAukHaQagvikqjPPOhRANCAARELMyVEGFoOA0+r29f+tK6IRLjQ5+N\n"
	"jEUR3cN9a5/8Gsbu65BZmB/DJH5KMZ7Wl8rqM7EF8ujfmZmoGw98I3gB\n"
	"-----END PRIVATE KEY-----\n"
;
static const char r1_pem[] =
	"-----BEGIN PRIVATE KEY-----\n"
	"MIIEvQIBADANBgkqhkiG9w0BAQEFAASCBKcwggSjAgEAAoIBAQDO0BimGcmn5nWJ\n"
	"aGpLnpbVYW3+lteK7vqsHOCdAn4UpLSkC8fmzLxG8AnNNO+BpELASGgWJWt166ER\n"
	"7TeyxOJzpMKlyWsOcRh+YPxdD+72bMqBOansqC+jKForsKk5hg2OGhhutW+5T2AL\n"
	"souhm9aiw55SUtObJ/OrNie5NicDL6BW6D8lGQOpctQw4mtMqD5NsUnf9N09EuTB\n"
	"szg/+OHk7PT6ez5OrpGcA3GGwh7YJ/jIS3C74EY8w74dIQfaFQ2flnJc7y5t+dep\n"
	"rQD0dVQMoU+JN2HPYHefeECWzxlK387hro3HyAgDqlmAl2UvixHeu+CewWmu6yT3\n"
	"RCeDFMePAgMBAAECggEAYXOiYcZ+BO1uDiETEW350jN2UsR+bZu9qBN1bdbKVWzl\n"
	"J/XbLPDleSHL5JPglfyybYvQ7DqWv/qXq+xVVho7QNXu2JMoLKZzLb4CvNFwv1K1\n"
	"O55R6U+5Hs85aiP1IcN+qKq4P5akPjReZDSuYikeQxUdido4lwCE6/T5U+dmC7Pw\n"
	"vQUSJwY5bLVm6XY5N8CRl/Wq6aJYUqHpin3c+QzWN4M/fPMEI3rfGMy/tsX2iNxd\n"
	"b2xH6+Nrz/OcUYE9Aoe8e5haxcgyu6HuEcecudL70ABWK1hQpBgN78S3TW8cLv4Y\n"
	"qhzs+RbckRq5ortRoi4uTiqsmGBkCqrytC+7JjEAyQKBgQD0xOoSVA/76DR0QA8K\n"
	"QNlYIhtox8GqJfeQUzLPqTXfivm++mEBCEDELl+A6ElNdm4s0ZhAc/hhGI5hA2Cm\n"
	"sU2/8Zww/k0er+uuN6YJquUniX6NnwV1kXZISaPKJBOQapKvkd4rwrybV/hlYNgv\n"
	"n8qAc0QvR6HL3KdZUpl0GzCjyQKBgQDYTVfF/3m5y2AK59N4AkoIP8sxFYDyBBFA\n"
	"jslt25bJCHqIaU22vrFCeml6/+uwysMMvuZbvy4bjWKk6vv/0qu7StEfaNilLuTi\n"
	"su0aFYjyvseAoasINlUKINDRmd6ENlvn4W9onTRUOGg4+ZO+NsaUBzcxMEk/kP3M\n"
	"QWwjr+DMlwKBgBkz3VYdybeKZTxDDEll+/sTJ/dV+h7m4eK+blDrf1yRFr4PUcWl\n"
	"b+XDUJoZUNLlCtsaia65Qi3dNWvPyTfgsby9x/NTe+VY/89kc3gzXH0Br0ItyYYd\n"
	"gCxZSMAbjtgj4Q6q2lFvL7RfDniBzEC7F0K6m56ypXo0MhcEZkCKPCvhAoGAHMDr\n"
	"Uh7MB67JbamzqthjDwWr9TJumb2ArZxNmpT+TmsaHtggxJJE7hlnvDoZEr9hfmhC\n"
	"JyAa+P6qhlHWfgN7YMJpWkuNwSeitaAjdLw4IEzMKIVVPxo548bI+5QAyIKRZRnK\n"
	"vZVoR2nYMPq8cSTG8Rakd517nz+e/XAU+AmBULECgYEA0CoouR09FvEu9vVjhg6a\n"
	"OhDJQPoZ8VOXHA0/RPLKkTVNMOAtiM+fINud0bhBxTYAlOCzM+2FeC7RfGZEvBpg\n"
	"KlIN/W7JQ475Oce7q9NQxFzymUlJhZ5HjB+CdFU4buMC3dsGtlw3YXwhLnL04doE\n"
	"tZDEB7FJhgiGBo7vpHtglTM=\n"
	"-----END PRIVATE KEY-----\n"
;

enum { K1, K2, R1, NPRIV };
static struct sig_priv *privs[NPRIV];
static char pem_json[NPRIV][1200]; /* the public PEM, escaped for JSON */
static char k1_der_hex[400], k1_point_hex[140];

static void setup(void)
{
	static const char *const pems[NPRIV] = {k1_pem, k2_pem, r1_pem};
	if (privs[0])
		return;
	for (int i = 0; i < NPRIV; i++) {
		struct buf b = BUF_INIT(4096);
		struct kerr e = {0};
		t_check(!sig_priv_parse(&privs[i], pems[i], strlen(pems[i]), &e), "private key %d: %s", i, e.msg);
		t_check(!sig_priv_public_pem(privs[i], &b, &e), "public pem %d", i);
		char *o = pem_json[i];
		for (size_t j = 0; j < b.len; j++)
			b.p[j] == '\n' ? (*o++ = '\\', *o++ = 'n') : (*o++ = (char)b.p[j]);
		*o = 0;
		if (i == K1) { /* the DER SPKI and the bare point, in hex */
			mbedtls_pk_context pk;
			uint8_t der[200];
			mbedtls_pk_init(&pk);
			t_check(!mbedtls_pk_parse_public_key(&pk, b.p, b.len + 1), "k1 public");
			int n = mbedtls_pk_write_pubkey_der(&pk, der, sizeof(der));
			t_check(n == 91, "k1 DER is 91 bytes: %d", n);
			hex_encode(k1_der_hex, der + sizeof(der) - n, (size_t)n);
			hex_encode(k1_point_hex, der + sizeof(der) - 65, 65);
			mbedtls_pk_free(&pk);
		}
		buf_free(&b);
	}
}

/* {"signatures":[…],"signed":TEXT}: sigs is "ID:KEY:ALG,…" (KEY 0..2, ALG e(cdsa) or p(ss)). */
static void make_doc(struct buf *doc, const char *text, const char *sigs, int tamper)
{
	struct json_doc d = {0};
	struct buf c = BUF_INIT(1 << 20), s = BUF_INIT(1024);
	char id[64], hex[2049], alg;
	int key, first = 1, n;

	t_check(!json_parse(&d, text, strlen(text), NULL, NULL), "test document parses: %.60s", text);
	json_canonical(d.root, &c, NULL);
	json_free(&d);
	buf_puts(doc, "{\"signatures\":[");
	for (const char *p = sigs; p && sscanf(p, "%63[^:]:%d:%c%n", id, &key, &alg, &n) == 3; p = strchr(p, ',') ? strchr(p, ',') + 1 : NULL) {
		buf_reset(&s);
		t_check(!sig_sign(privs[key], alg == 'e' ? SIG_ECDSA : SIG_RSA_PSS, c.p, c.len, &s, NULL), "sign as %s", id);
		hex_encode(hex, s.p, s.len);
		buf_printf(doc, "%s{\"keyid\":\"%s\",\"sig\":\"%s\"}", first ? "" : ",", id, s.len ? hex : "00");
		first = 0;
	}
	buf_puts(doc, "],\"signed\":");
	buf_puts(doc, text);
	buf_puts(doc, "}");
	if (tamper) /* the signed text changed after signing */
		memcpy(strstr((char *)doc->p, "\"version\":1"), "\"version\":2", 11);
	buf_free(&c);
	buf_free(&s);
}

static const char root_fmt[] =
	"{\"_type\":\"root\",\"consistent_snapshot\":false,\"expires\":\"2030-01-01T00:00:00Z\",\"keys\":{"
	"\"e1\":{\"keytype\":\"ecdsa\",\"keyval\":{\"public\":\"%s\"},\"scheme\":\"ecdsa-sha2-nistp256\"},"
	"\"e1hex\":{\"keytype\":\"ecdsa-sha2-nistp256\",\"keyval\":{\"public\":\"%s\"},\"scheme\":\"ecdsa-sha2-nistp256\"},"
	"\"e1pt\":{\"keytype\":\"ecdsa\",\"keyval\":{\"public\":\"%s\"},\"scheme\":\"ecdsa-sha2-nistp256\"},"
	"\"e2\":{\"keytype\":\"ecdsa\",\"keyval\":{\"public\":\"%s\"},\"scheme\":\"ecdsa-sha2-nistp256\"},"
	"\"e2rsa\":{\"keytype\":\"rsa\",\"keyval\":{\"public\":\"%s\"},\"scheme\":\"rsassa-pss-sha256\"},"
	"\"r1\":{\"keytype\":\"rsa\",\"keyval\":{\"public\":\"%s\"},\"scheme\":\"rsassa-pss-sha256\"},"
	"\"r1ec\":{\"keytype\":\"ecdsa\",\"keyval\":{\"public\":\"%s\"},\"scheme\":\"ecdsa-sha2-nistp256\"},"
	"\"e1typo\":{\"keytype\":\"rsa\",\"keyval\":{\"public\":\"%s\"},\"scheme\":\"ecdsa-sha2-nistp256\"},"
	"\"ed\":{\"keytype\":\"ed25519\",\"keyval\":{\"public\":\"%064d\"},\"scheme\":\"ed25519\"}},"
	"\"roles\":{\"root\":{\"keyids\":[\"e1\"],\"threshold\":1},\"snapshot\":{\"keyids\":[\"e1\"],\"threshold\":1},"
	"\"targets\":{\"keyids\":[\"e1\"],\"threshold\":1},\"timestamp\":{\"keyids\":[%s],\"threshold\":%d}},"
	"\"spec_version\":\"1.0.31\",\"version\":1}";

static int make_root(struct tuf_meta **root, const char *tskeys, int thr, struct kerr *e)
{
	static char text[16384];
	struct buf doc = BUF_INIT(1 << 20);
	snprintf(text, sizeof(text), root_fmt, pem_json[K1], k1_der_hex, k1_point_hex, pem_json[K2], pem_json[K2],
		pem_json[R1], pem_json[R1], pem_json[K1], 0, tskeys, thr);
	make_doc(&doc, text, "e1:0:e", 0);
	int ret = tuf_meta_parse(root, TUF_ROOT, &doc, e);
	buf_free(&doc);
	return ret;
}

static const char ts_text[] = "{\"_type\":\"timestamp\",\"expires\":\"2030-01-01T00:00:00Z\",\"meta\":{\"snapshot.json\":"
	"{\"version\":1}},\"spec_version\":\"1.0.31\",\"version\":1}";

T_TEST(tuf_thresholds)
{
	static const struct {
		const char *name, *keys;
		int thr;
		const char *sigs;
		int tamper, want;
	} cases[] = {
		{"one EC key (PEM)", "\"e1\"", 1, "e1:0:e", 0, 0},
		{"the signed text changed after signing", "\"e1\"", 1, "e1:0:e", 1, -EBADMSG},
		{"two distinct keys, threshold 2", "\"e1\",\"e2\"", 2, "e1:0:e,e2:1:e", 0, 0},
		{"one key under two ids (PEM, hex DER) counts once", "\"e1\",\"e1hex\"", 2, "e1:0:e,e1hex:0:e", 0, -EBADMSG},
		{"one key under two ids (PEM, hex point) counts once", "\"e1\",\"e1pt\"", 2, "e1:0:e,e1pt:0:e", 0, -EBADMSG},
		{"hex DER key alone", "\"e1hex\"", 1, "e1hex:0:e", 0, 0},
		{"hex point key alone", "\"e1pt\"", 1, "e1pt:0:e", 0, 0},
		{"threshold 2, one signature", "\"e1\",\"e2\"", 2, "e1:0:e", 0, -EBADMSG},
		{"EC key declared rsassa-pss-sha256", "\"e2rsa\"", 1, "e2rsa:1:e", 0, -EBADMSG},
		{"keytype rsa with scheme ecdsa", "\"e1typo\"", 1, "e1typo:0:e", 0, -EBADMSG},
		{"RSA-PSS key", "\"r1\"", 1, "r1:2:p", 0, 0},
		{"RSA key declared ecdsa", "\"r1ec\"", 1, "r1ec:2:p", 0, -EBADMSG},
		{"another key's signature under the role's id", "\"e1\"", 1, "e1:1:e", 0, -EBADMSG},
		{"a signature by a key outside the role", "\"e1\"", 1, "e2:1:e", 0, -EBADMSG},
		{"ed25519 is never counted", "\"ed\"", 1, "ed:0:e", 0, -EBADMSG},
		{"ed25519 skipped, the EC key counts", "\"ed\",\"e1\"", 1, "ed:0:e,e1:0:e", 0, 0},
		{"no signatures", "\"e1\"", 1, NULL, 0, -EBADMSG},
	};
	setup();
	for (size_t i = 0; i < T_LEN(cases); i++) {
		struct tuf_meta *root = NULL, *ts = NULL;
		struct buf doc = BUF_INIT(1 << 20);
		struct kerr e = {0};
		int ret = make_root(&root, cases[i].keys, cases[i].thr, &e);
		t_check(!ret, "%s: root parses: %s", cases[i].name, e.msg);
		make_doc(&doc, ts_text, cases[i].sigs, cases[i].tamper);
		t_check(!(ret = tuf_meta_parse(&ts, TUF_TIMESTAMP, &doc, &e)), "%s: parses: %s", cases[i].name, e.msg);
		if (root && ts) {
			ret = tuf_verify(root->root, TUF_TIMESTAMP, ts, &e);
			t_check(ret == cases[i].want, "%s: %d, want %d (%s)", cases[i].name, ret, cases[i].want, e.msg);
		}
		tuf_meta_free(root);
		tuf_meta_free(ts);
		buf_free(&doc);
	}
}

/* A root of the fixture with one edit: from → to (first occurrence). */
T_TEST(tuf_root_refused)
{
	static const struct {
		const char *from, *to, *needle;
	} cases[] = {
		{"", "", NULL}, /* the good root */
		{"\"timestamp\":{\"keyids\":[\"e1\"]", "\"timestamp\":{\"keyids\":[\"e9\"]", "no such key in keys (a missing signing key)"},
		{"\"timestamp\":{\"keyids\":[\"e1\"]", "\"timestamp\":{\"keyids\":[1]", "roles.timestamp.keyids[0]: not a string"},
		{"\"timestamp\":{\"keyids\":[\"e1\"]", "\"timestamp\":{\"keyids\":[\"e1\",\"e1\"]", "listed twice"},
		{"\"threshold\":1}},", "\"threshold\":0}},", "roles.timestamp: threshold"},
		{"\"root\":{\"keyids\"", "\"mirror\":{\"keyids\":[],\"threshold\":1},\"root\":{\"keyids\"", "not exactly root, timestamp"},
		{"\"consistent_snapshot\":false", "\"consistent_snapshot\":0", "consistent_snapshot: not a boolean"},
		{"\"spec_version\":\"1.0.31\"", "\"spec_version\":\"2.0.0\"", "spec_version: not 1.x"},
		{"\"version\":1}", "\"version\":0}", "version: not an integer"},
		{"\"version\":1}", "\"version\":1.5}", "version: not an integer"},
		{"\"_type\":\"root\"", "\"_type\":\"Root\"", "_type: not this role"},
		{"2030-01-01T00:00:00Z", "2030-01-01 00:00:00Z", "expires: not YYYY"},
		{"\"keytype\":\"ecdsa\",", "", "keys.e1: not a key"},
	};
	setup();
	for (size_t i = 0; i < T_LEN(cases); i++) {
		static char text[16384], out[16384];
		struct buf doc = BUF_INIT(1 << 20);
		struct tuf_meta *m = NULL;
		struct kerr e = {0};
		snprintf(text, sizeof(text), root_fmt, pem_json[K1], k1_der_hex, k1_point_hex, pem_json[K2], pem_json[K2],
			pem_json[R1], pem_json[R1], pem_json[K1], 0, "\"e1\"", 1);
		char *at = strstr(text, cases[i].from);
		snprintf(out, sizeof(out), "%.*s%s%s", (int)(at - text), text, cases[i].to, at + strlen(cases[i].from));
		make_doc(&doc, out, "e1:0:e", 0);
		int ret = tuf_meta_parse(&m, TUF_ROOT, &doc, &e);
		if (!cases[i].needle)
			t_check(!ret && m, "good root: %s", e.msg);
		else
			t_check(ret == -EINVAL && strstr(e.msg, cases[i].needle), "%s: %d %s", cases[i].to, ret, e.msg);
		tuf_meta_free(m);
		buf_free(&doc);
	}
}

/* tmpl with its first "@" replaced by with */
static void subst(char *out, size_t n, const char *tmpl, const char *with)
{
	const char *at = strchr(tmpl, '@');
	if (at)
		snprintf(out, n, "%.*s%s%s", (int)(at - tmpl), tmpl, with, at + 1);
	else
		snprintf(out, n, "%s", tmpl);
}

T_TEST(tuf_envelope)
{
	static const struct {
		const char *doc, *needle;
	} cases[] = {
		{"{\"signatures\":[{\"keyid\":\"a\",\"sig\":\"00\"},{\"keyid\":\"a\",\"sig\":\"01\"}],\"signed\":@}", "a second signature by key a"},
		{"{\"signatures\":[{\"keyid\":1,\"sig\":\"00\"}],\"signed\":@}", "keyid and sig must be strings"},
		{"{\"signatures\":{},\"signed\":@}", "signatures: not an array"},
		{"{\"signatures\":[],\"signed\":[@]}", "signed: not an object"},
		{"{\"signatures\":[],\"signed\":@,\"signed\":{}}", "duplicate key"},
		{"{\"signatures\":[],\"signed\":@}", NULL},
	};
	for (size_t i = 0; i < T_LEN(cases); i++) {
		char text[2048];
		struct buf b = BUF_INIT(1 << 20);
		struct tuf_meta *m = NULL;
		struct kerr e = {0};
		subst(text, sizeof(text), cases[i].doc, ts_text);
		buf_puts(&b, text);
		int ret = tuf_meta_parse(&m, TUF_TIMESTAMP, &b, &e);
		if (cases[i].needle)
			t_check(ret && strstr(e.msg, cases[i].needle), "case %zu: %d %s", i, ret, e.msg);
		else
			t_check(!ret && m && m->file.version == 1 && m->version == 1, "good envelope: %s", e.msg);
		tuf_meta_free(m);
		buf_free(&b);
	}
	/* the other roles' own fields */
	static const struct {
		enum tuf_role r;
		const char *signed_, *needle;
	} roles[] = {
		{TUF_TIMESTAMP, "\"meta\":{\"snapshot.json\":{\"version\":1},\"targets.json\":{\"version\":1}}", "not exactly snapshot.json"},
		{TUF_TIMESTAMP, "\"meta\":{\"snapshot.json\":{\"version\":1,\"length\":0}}", "length"},
		{TUF_TIMESTAMP, "\"meta\":{\"snapshot.json\":{\"version\":1,\"hashes\":{}}}", "no sha256 or sha512"},
		{TUF_TIMESTAMP, "\"meta\":{\"snapshot.json\":{\"version\":1,\"hashes\":{\"sha256\":\"abcd\"}}}", "sha256: not a hex digest"},
		{TUF_SNAPSHOT, "\"meta\":{\"x.json\":{\"version\":1}}", "no targets.json"},
		{TUF_SNAPSHOT, "\"meta\":{\"targets.json\":{\"version\":1},\"x.json\":{}}", "meta.x.json: version: missing"},
		{TUF_SNAPSHOT, "\"meta\":{\"targets.json\":{\"version\":3}}", NULL},
		{TUF_TARGETS, "\"targets\":{\"a\":{\"length\":1,\"hashes\":{\"sha512\":\"@\"}}}", NULL},
		{TUF_TARGETS, "\"targets\":{\"a\":{\"length\":1,\"hashes\":{\"md5\":\"00\"}}}", "no sha256 or sha512"},
		/* the hash listed first names consistent target files: never a path */
		{TUF_TARGETS, "\"targets\":{\"a\":{\"length\":1,\"hashes\":{\"sha384\":\"../../x\",\"sha512\":\"@\"}}}", "not a hex string"},
		{TUF_TARGETS, "\"targets\":{\"a\":{\"hashes\":{\"sha512\":\"@\"}}}", "length: missing"},
		{TUF_TARGETS, "\"targets\":{\"../a\":{\"length\":1,\"hashes\":{\"sha512\":\"@\"}}}", "name refused"},
		{TUF_TARGETS, "\"targets\":{\"a\":{\"length\":1,\"custom\":[],\"hashes\":{\"sha512\":\"@\"}}}", "custom: not an object"},
		{TUF_TARGETS, "\"targets\":{},\"delegations\":{\"keys\":{},\"roles\":[]}", "delegations"},
	};
	for (size_t i = 0; i < T_LEN(roles); i++) {
		char fields[512], text[2048];
		struct buf b = BUF_INIT(1 << 20);
		struct tuf_meta *m = NULL;
		struct kerr e = {0};
		char zeros[129];
		memset(zeros, '0', 128);
		zeros[128] = 0;
		subst(fields, sizeof(fields), roles[i].signed_, zeros);
		snprintf(text, sizeof(text), "{\"signatures\":[],\"signed\":{\"_type\":\"%s\",\"expires\":\"2030-01-01T00:00:00Z\","
			"%s,\"spec_version\":\"1.0\",\"version\":1}}", tuf_role_names[roles[i].r], fields);
		buf_puts(&b, text);
		int ret = tuf_meta_parse(&m, roles[i].r, &b, &e);
		if (roles[i].needle)
			t_check(ret == -EINVAL && strstr(e.msg, roles[i].needle), "%s: %d %s", fields, ret, e.msg);
		else
			t_check(!ret, "%s: %s", fields, e.msg);
		tuf_meta_free(m);
		buf_free(&b);
	}
}

T_TEST(tuf_times_names_files)
{
	static const struct {
		const char *s;
		int64_t t; /* -1: refused */
	} times[] = {
		{"1970-01-01T00:00:00Z", 0}, {"2030-01-01T00:00:00Z", 1893456000}, {"2024-02-29T23:59:59Z", 1709251199},
		{"2023-02-29T00:00:00Z", -1}, {"2000-02-29T00:00:00Z", 951782400}, {"2100-02-29T00:00:00Z", -1},
		{"2030-01-01T24:00:00Z", -1}, {"2030-13-01T00:00:00Z", -1}, {"2030-01-01T00:00:00", -1},
		{"2030-01-01t00:00:00Z", -1}, {"2030-01-01T00:00:00+00:00", -1}, {"", -1}, {"2030-1-01T00:00:00Z", -1},
	};
	for (size_t i = 0; i < T_LEN(times); i++) {
		int64_t t = -1;
		int ret = tuf_time_parse(times[i].s, &t);
		t_check(times[i].t < 0 ? ret == -EINVAL : !ret && t == times[i].t, "time %s: %d %lld", times[i].s, ret, (long long)t);
		if (times[i].t >= 0) {
			char out[21];
			tuf_time_format(t, out);
			t_check(!strcmp(out, times[i].s), "format %s: %s", times[i].s, out);
		}
	}
	static const struct {
		const char *n;
		int ok;
	} names[] = {
		{"a", 1}, {"os/usr-2026.1.img.zst", 1}, {"a b", 1}, {"", 0}, {"/a", 0}, {"a/", 0}, {"a//b", 0}, {"./a", 0},
		{"a/..", 0}, {"..", 0}, {"...", 1}, {"a\\b", 0}, {"a\nb", 0}, {"\x7f", 0}, {"caf\xc3\xa9", 0},
	};
	for (size_t i = 0; i < T_LEN(names); i++)
		t_check(tuf_name_ok(names[i].n) == names[i].ok, "name %s", names[i].n);

	/* a file description against data: length first, then every hash */
	static const char info[] = "{\"length\":5,\"hashes\":{\"sha256\":"
		"\"2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824\"}}";
	struct json_doc d = {0};
	struct tuf_file f;
	struct kerr e = {0};
	t_check(!json_parse(&d, info, strlen(info), NULL, NULL) && !tuf_file_parse(d.root, 0, &f, &e), "fileinfo: %s", e.msg);
	t_check(!tuf_file_check(&f, "hello", 5, "x", &e), "hello matches");
	t_check(tuf_file_check(&f, "hellp", 5, "x", &e) == -EBADMSG && strstr(e.msg, "sha256 mismatch"), "hellp: %s", e.msg);
	t_check(tuf_file_check(&f, "hello!", 6, "x", &e) == -EBADMSG && strstr(e.msg, "6 bytes, 5 expected"), "hello!: %s", e.msg);
	json_free(&d);
}

static int accept_all(void *ctx, const void *d, size_t n)
{
	(void)d;
	*(size_t *)ctx += n;
	return 0;
}

/* The directory fetcher stops at max + 1 bytes and says so, whatever the sink accepts. */
T_TEST(tuf_fetch_dir_bound)
{
	int dfd = open(t_tmpdir(), O_RDONLY | O_DIRECTORY);
	size_t got = 0;
	struct kerr e = {0};
	t_write("ten", "0123456789", 10);
	t_check(tuf_fetch_dir(&dfd, "ten", 5, accept_all, &got, &e) == -EFBIG && got == 6, "over max: -EFBIG after 6 bytes (%zu)", got);
	got = 0;
	t_check(!tuf_fetch_dir(&dfd, "ten", 10, accept_all, &got, &e) && got == 10, "exactly max");
	t_check(tuf_fetch_dir(&dfd, "nosuch", 10, accept_all, &got, &e) == -ENOENT, "missing: -ENOENT");
	t_check(tuf_fetch_dir(&dfd, "../x", 10, accept_all, &got, &e) < 0, "outside the repository");
	close(dfd);
}

static int count_entries(const char *dir)
{
	DIR *d = opendir(dir);
	int n = 0;
	struct dirent *de;
	while (d && (de = readdir(d)))
		n += de->d_name[0] != '.' || (de->d_name[1] && strcmp(de->d_name, ".."));
	if (d)
		closedir(d);
	return n;
}

/* Publish with tuf_pub_*, refresh with tuf_refresh, download; then the same refresh with the
 * nth allocation failing for every n: an error, and the trust dir still empty. */
T_TEST(tuf_publish_refresh)
{
	char repo[512], trust[512], root1[600], file[600];
	struct tuf_signer s[4] = {{TUF_ROOT, NULL}, {TUF_TIMESTAMP, NULL}, {TUF_SNAPSHOT, NULL}, {TUF_TARGETS, NULL}};
	struct kerr e = {0};
	int repofd;

	setup();
	s[0].k = s[1].k = s[2].k = privs[K1];
	s[3].k = privs[R1];
	snprintf(repo, sizeof(repo), "%s/repo", t_tmpdir());
	snprintf(trust, sizeof(trust), "%s/trust", t_tmpdir());
	snprintf(root1, sizeof(root1), "%s/metadata/1.root.json", repo);
	mkdir(repo, 0755);
	mkdir(trust, 0755);
	repofd = open(repo, O_RDONLY | O_DIRECTORY);
	struct tuf_pub p = {.repofd = repofd, .now = 1700000000, .expires = {1000, 1000, 1000, 1000}, .consistent = true,
		.sign = s, .nsign = 4};
	t_check(!tuf_pub_init(&p, &e), "publish init: %s", e.msg);
	snprintf(file, sizeof(file), "%s", t_write("payload", "hello", 5));
	char *paths[] = {file}, *names[] = {"dir/payload"};
	p.custom = "{\"os\":\"keel\"}";
	t_check(!tuf_pub_targets(&p, paths, names, 1, &e), "publish targets: %s", e.msg);
	struct tuf_pub q = p;
	q.sign = s + 3; /* the targets key alone cannot sign timestamp and snapshot */
	q.nsign = 1;
	t_check(tuf_pub_targets(&q, paths, names, 0, &e) == -EINVAL && strstr(e.msg, "0 timestamp keys given, the threshold is 1"),
		"targets key alone: %s", e.msg);

	for (long n = 1;; n += n < 400 ? 1 : n / 13) { /* every one early, then a spread (mbedtls allocates much) */
		struct tuf_client c = {.now = 1700000100, .bootstrap = root1, .fetch = {tuf_fetch_dir, &repofd}};
		c.trustfd = open(trust, O_RDONLY | O_DIRECTORY);
		t_alloc_fail(n);
		int ret = tuf_refresh(&c, &e);
		int failed = t_alloc_failed();
		if (failed) {
			t_check(ret != 0 && count_entries(trust) == 0, "allocation %ld failing: %d, %d files written", n, ret,
				count_entries(trust));
		} else if (t_check(!ret && c.m[TUF_TARGETS]->version == 2 && c.written == 15, "refresh: %s", e.msg), !ret) {
			struct tuf_file f;
			char out[600];
			snprintf(out, sizeof(out), "%s/out", t_tmpdir());
			int fd = open(out, O_WRONLY | O_CREAT | O_TRUNC, 0644);
			t_check(!tuf_target(&c, "dir/payload", &f, &e) && f.length == 5 && f.custom, "target: %s", e.msg);
			t_check(!tuf_download(&c, "dir/payload", &f, fd, &e), "download: %s", e.msg);
			f.sha256[0] ^= 1;
			t_check(tuf_download(&c, "dir/payload", &f, fd, &e) == -EBADMSG, "forged sha256: %s", e.msg);
			t_check(tuf_target(&c, "nosuch", &f, &e) == -ENOENT, "no such target");
			close(fd);
		}
		tuf_client_free(&c);
		close(c.trustfd);
		if (!failed || n > 10000000)
			break;
	}
	/* the trusted files load again (and are judged against the time) */
	struct tuf_client c = {.now = 1700000100, .trustfd = open(trust, O_RDONLY | O_DIRECTORY)};
	t_check(!tuf_load(&c, &e), "load: %s", e.msg);
	tuf_client_free(&c);
	c.now = 1700001000;
	t_check(tuf_load(&c, &e) == -EBADMSG && strstr(e.msg, "expired"), "load, expired: %s", e.msg);
	tuf_client_free(&c);
	close(c.trustfd);
	close(repofd);
}

/* Signing: EC signatures are deterministic and verify; a key signs only its own kind. */
T_TEST(tuf_sign)
{
	struct buf a = BUF_INIT(1024), b = BUF_INIT(1024);
	struct kerr e = {0};
	setup();
	t_check(!sig_sign(privs[K1], SIG_ECDSA, "m", 1, &a, &e) && !sig_sign(privs[K1], SIG_ECDSA, "m", 1, &b, &e) &&
		a.len == b.len && !memcmp(a.p, b.p, a.len), "ECDSA deterministic");
	t_check(sig_sign(privs[K1], SIG_RSA_PSS, "m", 1, &a, &e) == -EINVAL, "EC key with PSS refused");
	t_check(sig_sign(privs[R1], SIG_ECDSA, "m", 1, &a, &e) == -EINVAL, "RSA key with ECDSA refused");
	struct sig_priv *k = NULL;
	t_check(sig_priv_parse(&k, "-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n", 60, &e) == -EINVAL && !k,
		"garbage private key refused");
	t_check(sig_priv_parse(&k, k1_pem, 40, &e) == -EINVAL && !k, "truncated private key refused");
	/* SEC1 P-256 key whose public point belongs to another key (openssl ec -check: "EC Key Invalid!") */
	static const char mismatched[] = "-----BEGIN EC PRIVATE KEY-----\n"
		"MHcCAQEEIKr+TqT38hAqYD+TIzj5Lpl+naRD2ddCtl60Rh2WrU4IoAoGCCqGSM49\n"
		"AwEHoUQDQgAEJR1W1Xf1iofyV9XQbVrNd0QGet5X3z7wnuOq/UClObILJgeBMwYT\n"
		"ETLoM6IdDqAJYUTKgP307ATNRzLf6+L3kw==\n"
		"-----END EC PRIVATE KEY-----\n";
	e.msg[0] = 0;
	t_check(sig_priv_parse(&k, mismatched, sizeof(mismatched) - 1, &e) == -EINVAL && !k &&
			strstr(e.msg, "do not belong together"),
		"EC key with another key's public point refused: %s", e.msg);
	buf_free(&a);
	buf_free(&b);
	for (int i = 0; i < NPRIV; i++)
		sig_priv_free(privs[i]), privs[i] = NULL;
}
