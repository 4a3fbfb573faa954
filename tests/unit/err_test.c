/* err_test.c — struct kerr messages stay one clean line whatever is formatted into them, and
 * core functions take a NULL record as err.h promises. */
#include "t.h"
#include "base/applet.h"
#include "base/buf.h"
#include "base/err.h"
#include "provision/ign.h"
#include "base/json.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>

T_TEST(kerr_one_clean_line)
{
	static const struct { const char *in, *want; } cases[] = {
		{"plain", "file: plain"},
		{"a\nb\r\nc", "file: a b  c"},
		{"tab\there", "file: tab here"},
		{"\x1b[2J\x1b]0;title\x07", "file: ?[2J?]0;title?"},
		{"del\x7f", "file: del?"},
		{"caf\xc3\xa9", "file: caf\xc3\xa9"}, /* UTF-8 is kept */
	};
	for (size_t i = 0; i < T_LEN(cases); i++) {
		struct kerr e = {0};
		t_check(kerr_set(&e, -EINVAL, "file: %s", cases[i].in) == -EINVAL && !strcmp(e.msg, cases[i].want),
			"case %zu: \"%s\"", i, e.msg);
		struct kerr w = {0};
		kerr_set(&w, -EIO, "%s", cases[i].in);
		kerr_wrap(&w, -EIO, "file");
		t_check(!strcmp(w.msg, cases[i].want), "wrapped %zu: \"%s\"", i, w.msg);
	}
}

/* err.h: the record may be NULL. Every invalid config below fails the same way with and without
 * one (each reaches a different check of ign_parse.c that reads the code back from the record). */
T_TEST(kerr_null_record)
{
	static const char *const bad[] = {
		"{\"ignition\":{\"version\":\"3.0.0\"},\"storage\":{\"files\":[{\"path\":1}]}}",
		"{\"ignition\":{\"version\":\"3.0.0\"},\"storage\":{\"files\":[{\"path\":\"/a\",\"overwrite\":1}]}}",
		"{\"ignition\":{\"version\":\"3.0.0\"},\"storage\":{\"files\":{}}}",
		"{\"ignition\":{\"version\":\"3.0.0\"},\"storage\":{\"files\":[{\"path\":\"/a\",\"contents\":1}]}}",
		"{\"ignition\":{\"version\":\"3.0.0\"},\"storage\":{\"files\":[{\"path\":\"/a\",\"contents\":{\"x\":1}}]}}",
		"{\"ignition\":{\"version\":\"3.0.0\"},\"storage\":{\"files\":[{\"path\":\"/a\",\"contents\":"
		"{\"source\":\"data:,\",\"verification\":{\"x\":1}}}]}}",
		"{\"ignition\":{\"version\":\"3.1.0\"},\"storage\":{\"files\":[{\"path\":\"/a\",\"contents\":"
		"{\"source\":\"https://h/\",\"httpHeaders\":[1]}}]}}",
		"{\"ignition\":{\"version\":\"3.0.0\"},\"storage\":{\"files\":[{\"path\":\"/a\",\"user\":{\"id\":\"x\"}}]}}",
		"{\"ignition\":{\"version\":\"3.0.0\"},\"storage\":{\"files\":[{\"path\":\"/a\",\"mode\":\"x\"}]}}",
		"{\"ignition\":{\"version\":\"3.0.0\"},\"storage\":{\"directories\":[{\"path\":\"/a\",\"x\":1}]}}",
		"{\"ignition\":{\"version\":\"3.0.0\"},\"storage\":{\"links\":[{\"path\":\"/a\",\"target\":1}]}}",
		"{\"ignition\":{\"version\":\"3.0.0\"},\"storage\":{\"x\":1}}",
		"{\"ignition\":{\"version\":\"3.0.0\"},\"systemd\":{\"units\":[{\"name\":\"a.service\",\"dropins\":[{\"name\":1}]}]}}",
		"{\"ignition\":{\"version\":\"3.0.0\"},\"systemd\":{\"units\":[{\"name\":\"a.service\",\"enabled\":\"x\"}]}}",
		"{\"ignition\":{\"version\":\"3.0.0\"},\"systemd\":{\"units\":[{\"name\":\"a.service\",\"contents\":\"[Unit\"}]}}",
		"{\"ignition\":{\"version\":\"3.0.0\"},\"systemd\":{\"x\":1}}",
		"{\"ignition\":{\"version\":\"3.0.0\"},\"passwd\":{\"users\":[{\"name\":\"a\",\"sshAuthorizedKeys\":[1]}]}}",
		"{\"ignition\":{\"version\":\"3.0.0\"},\"passwd\":{\"users\":[{\"name\":\"a:b\"}]}}",
		"{\"ignition\":{\"version\":\"3.0.0\"},\"passwd\":{\"groups\":[{\"name\":\"a\",\"gid\":\"x\"}]}}",
		"{\"ignition\":{\"version\":\"3.0.0\"},\"passwd\":{\"groups\":[{\"name\":\"a:b\"}]}}",
		"{\"ignition\":{\"version\":\"3.0.0\"},\"passwd\":{\"x\":1}}",
		"{\"ignition\":{\"version\":\"3.0.0\",\"x\":1}}",
		"{\"ignition\":{\"version\":\"3.0.0\",\"config\":{\"x\":1}}}",
		"{\"ignition\":{\"version\":\"3.0.0\",\"timeouts\":{\"httpTotal\":\"x\"}}}",
		"{\"ignition\":{\"version\":\"3.0.0\",\"timeouts\":{\"httpResponseHeaders\":-1}}}",
		"{\"ignition\":{\"version\":\"3.0.0\",\"security\":{\"x\":1}}}",
		"{\"ignition\":{\"version\":\"3.0.0\",\"security\":{\"tls\":{\"x\":1}}}}",
		"{\"ignition\":{\"version\":\"3.0.0\"},\"x\":1}",
		"{\"ignition\":{\"version\":\"3.3.0\"},\"kernelArguments\":{\"shouldExist\":[1]}}",
		"{\"ignition\":{\"version\":\"3.0.0\"}",
	};
	for (size_t i = 0; i < T_LEN(bad); i++) {
		struct ign_cfg *c = NULL;
		struct kerr e = {0};
		int with = ign_parse(&c, bad[i], strlen(bad[i]), NULL, &e);
		ign_free(c);
		c = NULL;
		int without = ign_parse(&c, bad[i], strlen(bad[i]), "label", NULL);
		ign_free(c);
		t_check(with < 0 && without == with && e.code == with, "config %zu: %d with a record (%s), %d without", i,
			with, e.msg, without);
	}
	static const char good[] = "{\"ignition\":{\"version\":\"3.0.0\"},\"storage\":{\"files\":[{\"path\":\"/a\"}]}}";
	struct ign_cfg *p = NULL, *c = NULL;
	t_check(!ign_parse(&p, good, strlen(good), NULL, NULL) && !ign_parse(&c, good, strlen(good), "c", NULL) &&
			!ign_merge(p, c, NULL) && p->nfiles == 1 && !ign_check(p, NULL), "a good config parses, merges, checks");
	ign_free(p);
	struct json_doc d = {0};
	t_check(json_parse(&d, "[1,", 3, NULL, NULL) == -EINVAL && !d.root, "json_parse");
	t_check(!json_parse(&d, "[1.5]", 5, NULL, NULL), "json_parse of a non-integer");
	struct buf b = BUF_INIT(64);
	t_check(json_canonical(d.root, &b, NULL) == -EINVAL && !b.len, "json_canonical");
	buf_free(&b);
	json_free(&d);
}

/* err.h: one table from a core result to an exit code, for every applet. */
T_TEST(kerr_exit_table)
{
	static const struct { int code, want; } cases[] = {
		{0, EXIT_OK},
		/* the input is bad: a negative answer */
		{-EINVAL, EXIT_NO}, {-EBADMSG, EXIT_NO}, {-E2BIG, EXIT_NO}, {-EFBIG, EXIT_NO}, {-EOVERFLOW, EXIT_NO},
		{-ERANGE, EXIT_NO}, {-EILSEQ, EXIT_NO}, {-ENOTSUP, EXIT_NO}, {-EOPNOTSUPP, EXIT_NO},
		{EINVAL, EXIT_NO}, /* errno itself, positive */
		/* a runtime failure */
		{-EIO, EXIT_FAIL}, {-ENOMEM, EXIT_FAIL}, {-ENOENT, EXIT_FAIL}, {-EACCES, EXIT_FAIL}, {-EPERM, EXIT_FAIL},
		{-ENOSPC, EXIT_FAIL}, {-EROFS, EXIT_FAIL}, {-ELOOP, EXIT_FAIL}, {-EXDEV, EXIT_FAIL}, {-EISDIR, EXIT_FAIL},
		{-ENOTDIR, EXIT_FAIL}, {-ETIMEDOUT, EXIT_FAIL}, {-ECONNREFUSED, EXIT_FAIL}, {-EREMOTEIO, EXIT_FAIL},
		{-EPROTO, EXIT_FAIL}, {-ENOKEY, EXIT_FAIL}, {-EKEYREJECTED, EXIT_FAIL}, {-EAGAIN, EXIT_FAIL},
		{ENOENT, EXIT_FAIL},
		/* forged: no errno at all, the most negative int */
		{-4095, EXIT_FAIL}, {-100000, EXIT_FAIL}, {INT_MIN + 1, EXIT_FAIL}, {INT_MAX, EXIT_FAIL},
	};
	for (size_t i = 0; i < T_LEN(cases); i++)
		t_check(kerr_exit(cases[i].code) == cases[i].want, "case %zu: kerr_exit(%d) = %d, want %d", i, cases[i].code,
			kerr_exit(cases[i].code), cases[i].want);
	t_check(kerr_exit(INT_MIN) == EXIT_FAIL, "INT_MIN");
}

T_TEST(kerr_strerror_sign)
{
	static const int codes[] = {EINVAL, ENOENT, EBADMSG, EIO, ENOMEM};
	for (size_t i = 0; i < T_LEN(codes); i++) {
		char want[128];
		snprintf(want, sizeof(want), "%s", strerror(codes[i]));
		t_check(!strcmp(kerr_strerror(-codes[i]), want) && !strcmp(kerr_strerror(codes[i]), want),
			"code %d: \"%s\" / \"%s\", want \"%s\"", codes[i], kerr_strerror(-codes[i]), kerr_strerror(codes[i]), want);
	}
	struct kerr e = {0};
	t_check(!strcmp(kerr_str(&e, -ENOENT), strerror(ENOENT)), "empty record: %s", kerr_str(&e, -ENOENT));
	t_check(kerr_strerror(INT_MIN) != NULL && kerr_strerror(0) != NULL, "INT_MIN and 0 have a message");
}
