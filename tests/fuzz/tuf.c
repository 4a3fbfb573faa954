/* tuf.c — fuzz core/trust/tuf_meta.c and tuf_keys.c: the first byte picks the role (root,
 * timestamp, snapshot, targets), the rest is the metadata document.
 *
 * A document that parses has: version >= 1; an expiry that formats and parses back to itself
 * (within what the format can spell); a canonical "signed" that parses again and canonicalises
 * to the same bytes; for a root, role key indexes inside its keys, thresholds >= 1, and a
 * signature check by any of its roles that answers 0 or -EBADMSG only; for timestamp and
 * snapshot, a file description of version >= 1; for targets, every listed name passes
 * tuf_name_ok and its description parses. Any target name the input spells is judged without
 * crashing. */
#include "trust/tuf.h"

#include "base/applet.h"
#include "base/buf.h"
#include "base/json.h"

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

__attribute__((weak)) const struct applet *keel_applet;

static void check(int cond, const char *what)
{
	if (!cond) {
		fprintf(stderr, "tuf fuzz: %s\n", what);
		abort();
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct tuf_meta *m = NULL;
	struct buf raw = BUF_INIT(TUF_TARGETS_MAX);
	char name[TUF_NAME_MAX + 1];

	if (!size || size > 1 << 20)
		return 0;
	size_t nl = size - 1 < TUF_NAME_MAX ? size - 1 : TUF_NAME_MAX;
	memcpy(name, data + 1, nl);
	name[nl] = 0;
	tuf_name_ok(name);
	enum tuf_role role = (enum tuf_role)(data[0] % TUF_NROLES);
	check(!buf_put(&raw, data + 1, size - 1), "buffer");
	if (tuf_meta_parse(&m, role, &raw, NULL)) {
		check(!m, "an error leaves no document");
		buf_free(&raw);
		return 0;
	}
	check(m->role == role && m->version >= 1, "version");
	if (m->expires >= 0 && m->expires <= 253402300799) {
		char t[21];
		int64_t back = -1;
		tuf_time_format(m->expires, t);
		check(!tuf_time_parse(t, &back) && back == m->expires, "expiry round trip");
	}
	struct json_doc d = {0};
	struct buf c = BUF_INIT(TUF_TARGETS_MAX);
	/* a string with a control character is written raw by canonical JSON: not JSON again */
	if (!json_parse(&d, m->canon.p, m->canon.len, NULL, NULL)) {
		check(!json_canonical(d.root, &c, NULL) && c.len == m->canon.len && !memcmp(c.p, m->canon.p, c.len),
			"canonical form is a fixed point");
	}
	json_free(&d);
	buf_free(&c);
	switch (role) {
	case TUF_ROOT:
		for (int r = 0; r < TUF_NROLES; r++) {
			const struct tuf_rolekeys *rk = &m->root->roles[r];
			check(rk->threshold >= 1 && rk->n <= TUF_MAX_ROLE_KEYS, "role");
			for (size_t i = 0; i < rk->n; i++)
				check(rk->idx[i] < m->root->nkeys, "key index");
			int ret = tuf_verify(m->root, (enum tuf_role)r, m, NULL);
			check(ret == 0 || ret == -EBADMSG, "verify answers 0 or -EBADMSG");
		}
		break;
	case TUF_TIMESTAMP:
	case TUF_SNAPSHOT:
		check(m->file.version >= 1, "file version");
		break;
	default:
		for (size_t i = 0; i < m->targets->u.obj.n; i++) {
			struct tuf_file f;
			check(tuf_name_ok(m->targets->u.obj.m[i].key), "target name");
			check(!tuf_file_parse(m->targets->u.obj.m[i].val, 0, &f, NULL) && f.hashes && f.first, "target file");
			check(tuf_file_check(&f, data, size, "x", NULL) <= 0, "file check");
		}
	}
	tuf_meta_free(m);
	return 0;
}
