/* passwd.c — libFuzzer harness for the account databases (core/base/passwd.c).
 *
 * The first byte picks the file (passwd, group, shadow, gshadow); the rest, up to a NUL, is its
 * contents, and what follows the NUL is a login.defs. A file that parses is written back byte for
 * byte (a final newline added); then a user is added, made a member of the groups, renamed in a
 * field and removed, and every entry written stays one line of the right number of fields.
 */
#include "base/buf.h"
#include "base/err.h"
#include "base/passwd.h"

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void check(int cond, const char *what)
{
	if (!cond) {
		fprintf(stderr, "passwd fuzz: %s\n", what);
		abort();
	}
}

static const int nf[PW_NFILES] = {7, 4, 9, 4};

static void lines_ok(const struct pwdb *db, enum pw_file f)
{
	struct buf out = BUF_INIT(64u << 20);
	check(!pwdb_serialize(db, f, &out), "serialize");
	for (size_t i = 0; i < db->t[f].n; i++) {
		const struct pw_rec *r = &db->t[f].r[i];
		if (!r->f || !r->dirty || r->deleted)
			continue;
		check(r->nf == nf[f], "field count");
		for (int k = 0; k < r->nf; k++)
			check(!strchr(r->f[k], '\n') && !strchr(r->f[k], ':'), "field splits an entry");
	}
	buf_free(&out);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (!size)
		return 0;
	enum pw_file f = (enum pw_file)(data[0] % PW_NFILES);
	const char *text = (const char *)data + 1;
	size_t len = size - 1;
	const char *nul = memchr(text, 0, len);
	size_t tl = nul ? (size_t)(nul - text) : len;
	struct pwdb db;
	struct kerr e = {0};
	pwdb_init(&db);
	if (nul)
		pwdb_login_defs(&db, nul + 1, len - tl - 1);
	if (pwdb_parse(&db, f, text, tl, &e)) {
		check(e.msg[0] != 0, "an error without a message");
		pwdb_free(&db);
		return 0;
	}
	struct buf out = BUF_INIT(64u << 20);
	check(!pwdb_serialize(&db, f, &out), "serialize");
	check(out.len == tl + (tl && text[tl - 1] != '\n') && (!tl || !memcmp(out.p, text, tl)), "not written back as read");
	buf_free(&out);

	uint32_t id = 0;
	bool sys = size & 1;
	int r = pw_alloc_id(&db, f == PW_GROUP ? PW_GROUP : PW_PASSWD, sys, &id);
	if (!r && f == PW_PASSWD)
		check(!pw_find_id(&db, PW_PASSWD, id), "allocated uid is taken");
	if (!r && f == PW_GROUP)
		check(!pw_find_id(&db, PW_GROUP, id), "allocated gid is taken");
	char ids[16];
	snprintf(ids, sizeof(ids), "%u", id);
	static const char *const user[PW_NFILES][9] = {
		{"fuzzer", "x", "", "", "Fuzz", "/home/fuzzer", "/bin/sh"},
		{"fuzzer", "x", "", "fuzzer"},
		{"fuzzer", "!", "1", "0", "99999", "7", "", "", ""},
		{"fuzzer", "!", "", "fuzzer"},
	};
	const char *fields[9];
	memcpy(fields, user[f], sizeof(fields));
	if (f == PW_PASSWD)
		fields[2] = fields[3] = ids;
	if (f == PW_GROUP)
		fields[2] = ids;
	r = pw_add(&db, f, fields, nf[f]);
	check(!r || r == -EEXIST, "pw_add");
	struct pw_rec *rec = pw_find(&db, f, "fuzzer");
	check(rec != NULL, "added entry not found");
	if (rec && rec->f)
		pw_set(&db, f, rec, 1, "*");
	/* groups: the first two names of the file */
	const char *groups[2];
	size_t ng = 0;
	for (size_t i = 0; i < db.t[PW_GROUP].n && ng < 2; i++)
		if (db.t[PW_GROUP].r[i].f && !db.t[PW_GROUP].r[i].deleted)
			groups[ng++] = db.t[PW_GROUP].r[i].f[0];
	pw_set_groups(&db, "fuzzer", groups, ng, NULL);
	lines_ok(&db, f);
	pw_remove_user(&db, "fuzzer");
	pw_remove_group(&db, "fuzzer");
	lines_ok(&db, f);
	pwdb_free(&db);
	return 0;
}
