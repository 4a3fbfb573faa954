/* redact_test.c — diag/redact: a planted secret of every rule next to a near miss that must stay,
 * the same stream fed whole and byte by byte, secrets split across the 64 KiB line window, the
 * scanner on what the redactor wrote (nothing) and on token shapes (refused). */
#include "t.h"
#include "base/buf.h"
#include "diag/redact.h"

#include <stdlib.h>
#include <string.h>

#define M REDACT_MASK

#define C(in, want) {in, sizeof(in) - 1, want, sizeof(want) - 1}
#define SAME(in) {in, sizeof(in) - 1, NULL, 0}
static const struct {
	const char *in;
	size_t len;
	const char *want; /* NULL: the input must come out as it went in */
	size_t wlen;
} cases[] = {
	/* password hashes */
	C("root:$6$rounds=5000$saltsalt$Hh0Zk1W4i9VpZk1W4i9VpZk1W4i9V:19000:0:99999:7:::\n",
	 "root:$6$" M ":19000:0:99999:7:::\n"),
	C("u:$y$j9T$F5Jx5fExrKuPp53xLKQ..1$X3DX6M94c7o.9agCG9G317fhZg9SqC.5i5rd.RhAtQ7:1\n", "u:$y$" M ":1\n"),
	C("bcrypt $2b$12$R9h/cIPz0gi.URNNX3kh2OPST9/PgBkqquzi.Ss7KIUgO2t0jWMUW end\n", "bcrypt $2b$" M " end\n"),
	C("md5 $1$abcdefgh$0123456789abcdefghij01\n", "md5 $1$" M "\n"),
	SAME("near: cost $5$ each, $6$short$x and $9$abcdefgh$ijklmnop\n"),
	/* private keys */
	C("-----BEGIN RSA PRIVATE KEY-----\nMIIEpAIBAAKCAQEA\nq83vEi\n-----END RSA PRIVATE KEY-----\nafter\n",
	 "-----BEGIN RSA PRIVATE KEY-----\n" M "\n-----END RSA PRIVATE KEY-----\nafter\n"),
	C("-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXktdjEA\n-----END OPENSSH PRIVATE KEY-----\n",
	 "-----BEGIN OPENSSH PRIVATE KEY-----\n" M "\n-----END OPENSSH PRIVATE KEY-----\n"),
	C("-----BEGIN ENCRYPTED PRIVATE KEY-----\r\nProc-Type: 4,ENCRYPTED\r\nMIIF\r\n-----END ENCRYPTED PRIVATE KEY-----\r\n",
	 "-----BEGIN ENCRYPTED PRIVATE KEY-----\r\n" M "\n-----END ENCRYPTED PRIVATE KEY-----\r\n"),
	C("{\"k\": \"-----BEGIN EC PRIVATE KEY-----\\nMHcCAQEE\\n-----END EC PRIVATE KEY-----\\n\"}\n",
	 "{\"k\": \"-----BEGIN EC PRIVATE KEY-----" M "-----END EC PRIVATE KEY-----\\n\"}\n"),
	C("-----BEGIN PRIVATE KEY-----\nMIGHAgEA\n", "-----BEGIN PRIVATE KEY-----\n" M "\n"), /* no END: all masked */
	SAME("-----BEGIN PUBLIC KEY-----\nMFkwEwYH\n-----END PUBLIC KEY-----\n-----BEGIN CERTIFICATE-----\nMIIB\n"),
	/* key = value */
	C("password=hunter2\n", "password=" M "\n"),
	C("db_password: correct horse battery staple\n", "db_password: " M "\n"),
	C("{\"password\": \"a b c\", \"user\": \"bob\"}\n", "{\"password\": \"" M "\", \"user\": \"bob\"}\n"),
	C("client_secret = 's3 cr3t'\n", "client_secret = '" M "'\n"),
	C("GITHUB_TOKEN=abc\0PATH=/bin\0", "GITHUB_TOKEN=" M "\0PATH=/bin\0"),
	C("apiKey: k\napi_key=k\nX-Api-Key: k\ncredentials: c\nprivate_key: p\n",
	 "apiKey: " M "\napi_key=" M "\nX-Api-Key: " M "\ncredentials: " M "\nprivate_key: " M "\n"),
	SAME("near: tokenizer=bert\npasswordless: true\nsecretary: jane\nkeyboard=us\n"),
	SAME("a token expired; password reset requested\n"),
	C("\"escaped\": 1, \"token\": \"x\\\"y z\"\n", "\"escaped\": 1, \"token\": \"" M "\"\n"),
	/* headers */
	C("Authorization: Bearer eyJhbGciOi.x.y\r\n", "Authorization: " M "\r\n"),
	C("Proxy-Authorization: Basic dTpw\n", "Proxy-Authorization: " M "\n"),
	SAME("WWW-Authenticate: Bearer realm=x\n"),
	/* command lines */
	C("/usr/bin/app\0--password\0s e c\0--verbose\0", "/usr/bin/app\0--password\0" M "\0--verbose\0"),
	C("/usr/bin/app\0--token=abc def\0-v\0", "/usr/bin/app\0--token=" M "\0-v\0"),
	C("ps: app --password hunter2 --x\n", "ps: app --password " M "\n"),
	C("ps: app --token abc\n", "ps: app --token " M "\n"),
	C("app\0--tokens-file\0/etc/f\0--verbose\0--password\0", "app\0--tokens-file\0" M "\0--verbose\0--password\0"),
	SAME("app\0--tokenizer=bert\0--no-passwordless\0-x\0"),
	/* URLs */
	C("remote https://bob:s3cr3t@git.example.com/r.git\n", "remote https://" M "@git.example.com/r.git\n"),
	C("proxy http://u:p@ss@10.0.0.1:3128\n", "proxy http://" M "@10.0.0.1:3128\n"),
	SAME("near: ssh://git@github.com/x and http://host:8080/a@b\n"),
	/* docker config */
	C("{\"auths\": {\"r.io\": {\"auth\": \"dXNlcjpwYXNz\"}}}\n", "{\"auths\": {\"r.io\": {\"auth\": \"" M "\"}}}\n"),
	SAME("near: \"author\": \"me\", \"oauth_flow\": \"pkce\"\n"),
	/* already redacted: unchanged */
	SAME("password=" M "\n\"token\": \"" M "\"\n$6$" M "\n"),
};

static int out_buf(void *ctx, const void *p, size_t n)
{
	return buf_put(ctx, p, n);
}

/* Redact in[0..n) written in pieces of step bytes (0: whole). */
static int run(const char *in, size_t n, size_t step, const char *extra, struct buf *out)
{
	struct redact r;
	int ret = redact_init(&r, REDACT_MASKING, out_buf, NULL, out);
	if (!ret && extra)
		ret = redact_add_key(&r, extra);
	for (size_t o = 0; !ret && o < n; o += step ? step : n)
		ret = redact_write(&r, in + o, step && n - o > step ? step : n - o);
	if (!ret)
		ret = redact_finish(&r);
	redact_free(&r);
	return ret;
}

static uint64_t scan(const void *in, size_t n, int mode, struct redact_hit *first)
{
	struct redact r;
	if (redact_init(&r, mode, NULL, NULL, NULL))
		return (uint64_t)-1;
	redact_write(&r, in, n);
	redact_finish(&r);
	uint64_t h = r.hits;
	if (first)
		*first = r.first_hit;
	redact_free(&r);
	return h;
}

T_TEST(redact_table)
{
	for (size_t i = 0; i < T_LEN(cases); i++) {
		size_t n = cases[i].len;
		const char *want = cases[i].want ? cases[i].want : cases[i].in;
		size_t wn = cases[i].want ? cases[i].wlen : n;
		for (size_t step = 0; step <= 3; step += 1 + 2 * (step == 1)) {
			struct buf out = BUF_INIT(1 << 20);
			int ret = run(cases[i].in, n, step, NULL, &out);
			t_check(!ret && out.len == wn && !memcmp(out.p, want, wn), "case %zu step %zu: got [%.*s]", i, step,
			        (int)out.len, out.p ? (const char *)out.p : "");
			/* whatever it wrote, the scanner finds nothing left, and a second pass changes nothing */
			t_check(scan(out.p, out.len, REDACT_SCAN, NULL) == 0, "case %zu: scanner flags the output", i);
			struct buf again = BUF_INIT(1 << 20);
			t_check(!run((const char *)out.p, out.len, 0, NULL, &again) && again.len == out.len &&
			            !memcmp(again.p, out.p, out.len),
			        "case %zu: not idempotent", i);
			buf_free(&again);
			buf_free(&out);
		}
		/* the scanner flags the input exactly when the redactor changes it */
		t_check((scan(cases[i].in, n, REDACT_SCAN, NULL) != 0) == (cases[i].want != NULL),
		        "case %zu: scanner disagrees with the redactor on the input", i);
	}
}

T_TEST(redact_extra_key)
{
	static const char in[] = "vault_unseal: 1234 5678\nunsealed: yes\n";
	struct buf out = BUF_INIT(4096);
	t_check(!run(in, sizeof(in) - 1, 0, "unseal", &out) &&
	            !strcmp((char *)out.p, "vault_unseal: " M "\nunsealed: yes\n"),
	        "host key: got [%s]", out.p ? (char *)out.p : "");
	buf_free(&out);
	struct redact r;
	redact_init(&r, REDACT_MASKING, out_buf, NULL, &out);
	t_check(redact_add_key(&r, "Upper") != 0, "an upper-case key word is refused");
	t_check(redact_add_key(&r, "") != 0, "an empty key word is refused");
	t_check(redact_add_key(&r, "a b") != 0, "a key word with a space is refused");
	redact_free(&r);
}

/* A secret placed at every offset around the 64 KiB line window and across write boundaries. */
T_TEST(redact_long_lines)
{
	static const char *const secrets[] = {" password=HUNTER2SECRET more words", " https://u:HUNTER2SECRET@h/",
	                                      " $6$saltsalt$HUNTER2SECRETxxxx ", " \"token\": \"HUNTER2SECRET\" ",
	                                      "-----BEGIN RSA PRIVATE KEY-----HUNTER2SECRET"};
	size_t n = REDACT_LINE + 3 * REDACT_WINDOW;
	char *in = malloc(n + 1);
	int bad = 0, checks = 0;
	for (size_t s = 0; s < T_LEN(secrets); s++) {
		size_t sl = strlen(secrets[s]);
		for (size_t at = REDACT_LINE - REDACT_WINDOW - 80; at < REDACT_LINE + 40; at += 7) {
			memset(in, 'a', n);
			for (size_t k = 100; k < n; k += 100)
				in[k] = ' ';
			memcpy(in + at, secrets[s], sl);
			in[n - 1] = '\n';
			struct buf out = BUF_INIT(2 * n);
			int ret = run(in, n, at % 3 ? 4093 : 0, NULL, &out);
			checks++;
			if (ret || memmem(out.p, out.len, "HUNTER2", 7) || scan(out.p, out.len, REDACT_SCAN, NULL)) {
				if (!bad++)
					t_check(0, "secret %zu at %zu survived (ret %d)", s, at, ret);
			}
			buf_free(&out);
		}
	}
	t_check(!bad && checks > 100, "%d of %d placements leaked", bad, checks);
	/* a line of 1 MiB without separators: bounded memory, bytes kept */
	size_t big = 1 << 20;
	char *b = malloc(big);
	memset(b, 'x', big);
	struct buf out = BUF_INIT(2 * big);
	t_check(!run(b, big, 65537, NULL, &out) && out.len == big, "1 MiB line: %zu bytes out", out.len);
	buf_free(&out);
	free(b);
	free(in);
}

T_TEST(redact_scan_shapes)
{
	static const struct { const char *in, *rule; } shape[] = {
		{"key id AKIAIOSFODNN7EXAMPLE in a log\n", "aws-access-key"},
		{"clone with ghp_0123456789abcdefghijABCDEFGHIJ0123 now\n", "github-token"},
		{"glpat-abcdefghij0123456789\n", "gitlab-token"},
		{"xoxb-123456789012-abcdef\n", "slack-token"},
		{"x eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0NTYifQ.SflKxwRJSMeKKF2QT4fwpM\n", "jwt"},
		{"sk_live_0123456789abcdefXYZ\n", "stripe-key"},
		{"password=x\n", "secret-value"},
	};
	static const char *const near[] = {"AKIA short AKIAabc\n", "ghp_short\n", "eyJhbGciOiJIUzI1NiJ9 alone\n",
	                                   "xoxb-1\n", "AKIAIOSFODNN7EXAMPL\n"};
	for (size_t i = 0; i < T_LEN(shape); i++) {
		struct redact_hit h = {0};
		uint64_t n = scan(shape[i].in, strlen(shape[i].in), REDACT_SCAN | REDACT_SHAPES, &h);
		t_check(n == 1 && !strcmp(h.rule, shape[i].rule) && h.shown[0] && !strstr(h.shown, "EXAMPLE") &&
		            strchr(h.shown, '*'),
		        "shape %zu: %llu hits, rule %s, shown %s", i, (unsigned long long)n, n ? h.rule : "-",
		        n ? h.shown : "-");
		/* the redactor leaves token shapes alone: only the scanner knows them */
		struct buf out = BUF_INIT(4096);
		run(shape[i].in, strlen(shape[i].in), 0, NULL, &out);
		t_check(i + 1 == T_LEN(shape) || !strcmp((char *)out.p, shape[i].in), "shape %zu redacted", i);
		buf_free(&out);
	}
	for (size_t i = 0; i < T_LEN(near); i++)
		t_check(scan(near[i], strlen(near[i]), REDACT_SCAN | REDACT_SHAPES, NULL) == 0, "near miss %zu flagged", i);
	struct redact_hit h = {0};
	static const char two[] = "a\nb\n  password: hunter2\n";
	t_check(scan(two, sizeof(two) - 1, REDACT_SCAN, &h) == 1 && h.off == 16 && h.len == 7, "hit offset %llu len %zu",
	        (unsigned long long)h.off, h.len);
}

T_TEST(redact_alloc)
{
	struct redact r;
	t_alloc_fail(1);
	int ret = redact_init(&r, REDACT_MASKING, out_buf, NULL, NULL);
	t_check(t_alloc_failed() && ret == -12, "init under allocation failure: %d", ret);
	redact_free(&r);
	redact_free(NULL);
}
