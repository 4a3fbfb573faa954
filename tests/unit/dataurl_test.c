/* dataurl_test.c — RFC 2397 decoding, each case checked against ignition-validate's verdict. */
#include "t.h"
#include "base/buf.h"
#include "net/dataurl.h"
#include "base/err.h"

#include <errno.h>
#include <string.h>

T_TEST(dataurl_decoding)
{
	static const struct { const char *in; int ok; const char *out; size_t outlen; } cases[] = {
		{"data:,hello", 1, "hello", 5},
		{"data:,", 1, "", 0},
		{"data:;base64,", 1, "", 0},
		{"data:,100%25", 1, "100%", 4},
		{"data:,a%0Ab", 1, "a\nb", 3},
		{"data:,a%0ab", 1, "a\nb", 3},
		{"data:,it's", 1, "it's", 4},
		{"data:,x?y", 1, "x?y", 3},
		{"data:,%00", 1, "\0", 1},
		{"data:;base64,aGk=", 1, "hi", 2},
		{"data:;base64,aGVsbG8=", 1, "hello", 5},
		{"data:;base64,aG==", 1, "h", 1},
		{"data:;base64,aR==", 1, "i", 1}, /* non-zero trailing bits: accepted, like Go */
		{"data:text/plain;charset=utf-8;base64,aGk=", 1, "hi", 2},
		{"data:text/plain;x=y;base64,aGk=", 1, "hi", 2},
		{"data:text/plain,x", 1, "x", 1},
		{"data:text/,x", 1, "x", 1},
		{"data:;charset=utf-8,x", 1, "x", 1},
		{"data:text/plain;charset=\"utf-8\",x", 1, "x", 1},
		{"data:application/octet-stream;base64,AAEC", 1, "\0\1\2", 3},
		/* forged */
		{"data:x", 0, NULL, 0},                          /* no slash, no comma */
		{"data:text,x", 0, NULL, 0},                     /* media type without '/' */
		{"data:/plain,x", 0, NULL, 0},
		{"data:a b/c,x", 0, NULL, 0},
		{"data:text/plain;charset,x", 0, NULL, 0},       /* parameter without '=' */
		{"data:text/plain;base64;x=y,aGk=", 0, NULL, 0}, /* base64 not last */
		{"data:;BASE64,aGk=", 0, NULL, 0},
		{"DATA:,x", 0, NULL, 0},
		{"data:,#x", 0, NULL, 0},
		{"data:,[x]", 0, NULL, 0},
		{"data:,{x}", 0, NULL, 0},
		{"data:,\"x\"", 0, NULL, 0},
		{"data:,a b", 0, NULL, 0},
		{"data:,a|b", 0, NULL, 0},
		{"data:,a\\b", 0, NULL, 0},
		{"data:,a^b", 0, NULL, 0},
		{"data:,a`b", 0, NULL, 0},
		{"data:,a<b", 0, NULL, 0},
		{"data:,\xc3\xa9", 0, NULL, 0},
		{"data:,a\nb", 0, NULL, 0},
		{"data:,a%2", 0, NULL, 0},
		{"data:,%zz", 0, NULL, 0},
		{"data:;base64,aGk", 0, NULL, 0},                /* unpadded */
		{"data:;base64,aG k=", 0, NULL, 0},
		{"data:;base64,aGk=aGk=", 0, NULL, 0},           /* padding in the middle */
		{"data:;base64,a===", 0, NULL, 0},
		{"data:;base64,aGk%3D", 0, NULL, 0},             /* no escapes in base64 */
		{"data:;base64,aG=k", 0, NULL, 0},
		{"data:text/plain;charset=\"utf-8,x", 0, NULL, 0},
	};
	for (size_t i = 0; i < T_LEN(cases); i++) {
		struct buf b = BUF_INIT(1024);
		struct kerr e = {0};
		size_t sz = 99;
		int r = dataurl_decode(cases[i].in, strlen(cases[i].in), &b, NULL, &e);
		int r2 = dataurl_size(cases[i].in, strlen(cases[i].in), &sz, NULL);
		if (cases[i].ok) {
			t_check(r == 0 && b.len == cases[i].outlen && (!b.len || !memcmp(b.p, cases[i].out, b.len)),
				"case %zu (%s): r=%d len=%zu %s", i, cases[i].in, r, b.len, e.msg);
			t_check(r2 == 0 && sz == cases[i].outlen, "size case %zu", i);
		} else {
			t_check(r == -EINVAL && e.msg[0] && strstr(e.msg, "offset"), "forged case %zu (%s) refused: r=%d", i,
				cases[i].in, r);
			t_check(r2 == -EINVAL, "forged size case %zu", i);
		}
		buf_free(&b);
	}
}

T_TEST(dataurl_limit)
{
	struct buf b = BUF_INIT(4);
	struct kerr e = {0};
	t_check(dataurl_decode("data:,abcd", 10, &b, NULL, &e) == 0, "exactly the limit");
	buf_free(&b);
	b = (struct buf)BUF_INIT(4);
	t_check(dataurl_decode("data:,abcde", 11, &b, NULL, &e) == -E2BIG && strstr(e.msg, "limit"), "one past: E2BIG");
	buf_free(&b);
	b = (struct buf)BUF_INIT(2);
	t_check(dataurl_decode("data:;base64,aGVsbG8=", 21, &b, NULL, &e) == -E2BIG, "base64 past the limit");
	buf_free(&b);
	bool b64 = false;
	b = (struct buf)BUF_INIT(16);
	t_check(!dataurl_decode("data:;base64,aGk=", 17, &b, &b64, &e) && b64, "base64 reported");
	buf_free(&b);
}
