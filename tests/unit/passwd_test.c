/* passwd_test.c — account databases: untouched lines survive byte for byte, edits are exact. */
#include "t.h"
#include "base/buf.h"
#include "base/err.h"
#include "base/passwd.h"

#include <errno.h>
#include <string.h>

static const char passwd_in[] =
	"root:x:0:0:root:/root:/bin/sh\n"
	"daemon:x:1:1:daemon:/usr/sbin:/usr/sbin/nologin\n"
	"+nisuser\n"
	"odd line without fields\n"
	"alice:x:1000:1000:Alice,,,:/home/alice:/bin/bash\n";
static const char group_in[] =
	"root:x:0:\n"
	"wheel:x:10:alice\n"
	"docker:x:999:alice,bob\n"
	"alice:x:1000:\n";

static char *ser(struct pwdb *db, enum pw_file f)
{
	static char out[4096];
	struct buf b = BUF_INIT(sizeof(out) - 1);
	out[0] = 0;
	if (!pwdb_serialize(db, f, &b) && b.p)
		memcpy(out, b.p, b.len + 1);
	buf_free(&b);
	return out;
}

T_TEST(passwd_roundtrip)
{
	struct pwdb db;
	pwdb_init(&db);
	t_check(!pwdb_parse(&db, PW_PASSWD, passwd_in, strlen(passwd_in), NULL), "parse passwd");
	t_check(!pwdb_parse(&db, PW_GROUP, group_in, strlen(group_in), NULL), "parse group");
	t_check(!strcmp(ser(&db, PW_PASSWD), passwd_in), "passwd written back unchanged");
	t_check(!strcmp(ser(&db, PW_GROUP), group_in), "group written back unchanged");
	t_check(!db.t[PW_PASSWD].changed, "nothing changed");
	struct pw_rec *r = pw_find(&db, PW_PASSWD, "alice");
	t_check(r && pw_rec_id(r, PW_PASSWD) == 1000, "find alice");
	t_check(!pw_find(&db, PW_PASSWD, "+nisuser") && !pw_find(&db, PW_PASSWD, "odd line without fields"),
		"non-entries are never matched");
	t_check(pw_find_id(&db, PW_GROUP, 999) == pw_find(&db, PW_GROUP, "docker"), "find by gid");
	pwdb_free(&db);

	/* no trailing newline: one is added, nothing else changes */
	pwdb_init(&db);
	pwdb_parse(&db, PW_PASSWD, "root:x:0:0::/root:/bin/sh", 25, NULL);
	t_check(!strcmp(ser(&db, PW_PASSWD), "root:x:0:0::/root:/bin/sh\n"), "final newline");
	pwdb_free(&db);
	pwdb_init(&db);
	t_check(pwdb_parse(&db, PW_PASSWD, "a:x:0:0::/:/\0b", 14, NULL) == -EINVAL, "NUL refused");
	pwdb_free(&db);
}

T_TEST(passwd_edits)
{
	struct pwdb db;
	struct kerr e = {0};
	pwdb_init(&db);
	pwdb_parse(&db, PW_PASSWD, passwd_in, strlen(passwd_in), NULL);
	pwdb_parse(&db, PW_GROUP, group_in, strlen(group_in), NULL);
	const char *u[] = {"core", "x", "1001", "1001", "", "/home/core", "/bin/sh"};
	t_check(!pw_add(&db, PW_PASSWD, u, 7), "add core");
	t_check(pw_add(&db, PW_PASSWD, u, 7) == -EEXIST, "add twice refused");
	t_check(pw_add(&db, PW_PASSWD, u, 6) == -EINVAL, "wrong field count refused");
	const char *g[] = {"core", "x", "1001", ""};
	t_check(!pw_add(&db, PW_GROUP, g, 4), "add group core");
	const char *want[] = {"wheel", "core"};
	t_check(!pw_set_groups(&db, "core", want, 2, &e), "set groups");
	const char *missing[] = {"nosuch"};
	t_check(pw_set_groups(&db, "core", missing, 1, &e) == -ENOENT && strstr(e.msg, "nosuch"), "unknown group named");
	/* alice leaves docker (bob stays), joins nothing else */
	const char *alice[] = {"wheel"};
	t_check(!pw_set_groups(&db, "alice", alice, 1, &e), "alice: wheel only");
	t_check(!strcmp(ser(&db, PW_GROUP), "root:x:0:\nwheel:x:10:alice,core\ndocker:x:999:bob\nalice:x:1000:\ncore:x:1001:core\n"),
		"group after edits: %s", ser(&db, PW_GROUP));
	struct pw_rec *r = pw_find(&db, PW_PASSWD, "alice");
	t_check(!pw_set(&db, PW_PASSWD, r, PWF_SHELL, "/bin/sh"), "set shell");
	pw_remove_user(&db, "daemon");
	t_check(!strcmp(ser(&db, PW_PASSWD),
			"root:x:0:0:root:/root:/bin/sh\n+nisuser\nodd line without fields\n"
			"alice:x:1000:1000:Alice,,,:/home/alice:/bin/sh\ncore:x:1001:1001::/home/core:/bin/sh\n"),
		"passwd after edits: %s", ser(&db, PW_PASSWD));
	pw_remove_user(&db, "core");
	pw_remove_group(&db, "docker");
	t_check(!strcmp(ser(&db, PW_GROUP), "root:x:0:\nwheel:x:10:alice\nalice:x:1000:\ncore:x:1001:\n"),
		"group after removals: %s", ser(&db, PW_GROUP));
	pwdb_free(&db);
}

T_TEST(passwd_ids)
{
	struct pwdb db;
	uint32_t id;
	pwdb_init(&db);
	t_check(!pw_alloc_id(&db, PW_PASSWD, false, &id) && id == 1000, "empty db: first normal uid 1000");
	t_check(!pw_alloc_id(&db, PW_PASSWD, true, &id) && id == 999, "empty db: first system uid 999");
	pwdb_parse(&db, PW_PASSWD, passwd_in, strlen(passwd_in), NULL);
	t_check(!pw_alloc_id(&db, PW_PASSWD, false, &id) && id == 1001, "after alice: 1001");
	const char *defs = "# comment\nUID_MIN\t2000\nUID_MAX 2001\nSYS_UID_MAX 150\nGID_MIN junk\n";
	pwdb_login_defs(&db, defs, strlen(defs));
	t_check(db.ranges.uid_min == 2000 && db.ranges.uid_max == 2001 && db.ranges.sys_uid_max == 150 &&
			db.ranges.gid_min == 1000, "login.defs read, junk ignored");
	t_check(!pw_alloc_id(&db, PW_PASSWD, false, &id) && id == 2000, "range moved");
	const char *u[] = {"a", "x", "2001", "1", "", "/", "/"};
	pw_add(&db, PW_PASSWD, u, 7);
	t_check(!pw_alloc_id(&db, PW_PASSWD, false, &id) && id == 2000, "full at the top: the gap");
	const char *v[] = {"b", "x", "2000", "1", "", "/", "/"};
	pw_add(&db, PW_PASSWD, v, 7);
	t_check(pw_alloc_id(&db, PW_PASSWD, false, &id) == -ENOSPC, "range full");
	pwdb_free(&db);
}

T_TEST(passwd_validation)
{
	static const struct { const char *s; bool ok; } names[] = {
		{"core", true}, {"a", true}, {"user_1.x-y", true}, {"machine$", true}, {"Alice", true},
		{"", false}, {"-x", false}, {"+x", false}, {"a:b", false}, {"a b", false}, {"a\nb", false},
		{"123", false}, {".", false}, {"..", false}, {"$", false}, {"a$b", false}, {"a/b", false},
		{"abcdefghijklmnopqrstuvwxyz0123456", false},
	};
	for (size_t i = 0; i < T_LEN(names); i++)
		t_check(pw_valid_name(names[i].s) == names[i].ok, "name case %zu (%s)", i, names[i].s);
	t_check(pw_valid_field("$6$salt$hash") && pw_valid_field("Alice,,,") && pw_valid_field(""), "fields");
	t_check(!pw_valid_field("a:b") && !pw_valid_field("a\nb") && !pw_valid_field("a\rb"), "forged fields");
}
