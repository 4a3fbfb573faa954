/* http_test.c — URLs, response heads and the chunked coding; Range resume against a one-shot
 * server on 127.0.0.1 (the rest of the network is tested by tests/applets/provision.test against
 * a local server). */
#include "t.h"
#include "base/buf.h"
#include "base/err.h"
#include "net/http.h"
#include "net/url.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

T_TEST(url_parsing)
{
	static const struct { const char *in; int ret; bool tls; const char *host; unsigned port; const char *path; } cases[] = {
		{"http://example.com", 0, false, "example.com", 80, "/"},
		{"https://example.com/a/b?x=1#frag", 0, true, "example.com", 443, "/a/b?x=1"},
		{"HTTP://Example.COM:8080/x", 0, false, "Example.COM", 8080, "/x"},
		{"http://127.0.0.1:1/", 0, false, "127.0.0.1", 1, "/"},
		{"http://[::1]:8443/p", 0, false, "::1", 8443, "/p"},
		{"http://h:/p", 0, false, "h", 80, "/p"},
		{"http://h?q", 0, false, "h", 80, "/?q"},
		/* forged */
		{"http://", -EINVAL},
		{"http:///x", -EINVAL},
		{"http://user:pw@host/", -EINVAL},
		{"http://exa mple.com/", -EINVAL},
		{"http://h:65536/", -EINVAL},
		{"http://h:0/", -EINVAL},
		{"http://h:8x/", -EINVAL},
		{"http://[::1/", -EINVAL},
		{"http://[::g]/", -EINVAL},
		{"http://h/a b", -EINVAL},
		{"http://h/a\nb", -EINVAL},
		{"http://h/{x}", -EINVAL},
		{"ftp://h/x", -EPROTONOSUPPORT},
		{"data:,x", -EPROTONOSUPPORT},
	};
	for (size_t i = 0; i < T_LEN(cases); i++) {
		struct url u;
		struct kerr e = {0};
		int r = url_parse(&u, cases[i].in, strlen(cases[i].in), &e);
		if (!cases[i].ret)
			t_check(!r && u.tls == cases[i].tls && !strcmp(u.host, cases[i].host) && u.port == cases[i].port &&
					!strcmp(u.path, cases[i].path),
				"case %zu %s: r=%d host=%s port=%u path=%s", i, cases[i].in, r, u.host, u.port, u.path);
		else
			t_check(r == cases[i].ret && e.msg[0], "forged case %zu %s: r=%d", i, cases[i].in, r);
	}
	char long_host[400];
	memset(long_host, 'a', sizeof(long_host));
	memcpy(long_host, "http://", 7);
	struct url u;
	t_check(url_parse(&u, long_host, sizeof(long_host), NULL) == -ENAMETOOLONG, "host too long");
}

T_TEST(url_redirects)
{
	struct url base, out;
	char s[128];
	url_parse(&base, "https://h:8443/dir/file?q=secret", 32, NULL);
	static const struct { const char *ref; int ret; const char *want; } cases[] = {
		{"/abs", 0, "https://h:8443/abs"},
		{"rel", 0, "https://h:8443/dir/rel"},
		{"../up", 0, "https://h:8443/up"},
		{"../../../x/./y/", 0, "https://h:8443/x/y/"},
		{"/a/b/../c/.", 0, "https://h:8443/a/c/"},
		{"./", 0, "https://h:8443/dir/"},
		{"//other/x", 0, "https://other/x"},
		{"http://plain/y", 0, "http://plain/y"},
		{"ftp://x/", -EPROTONOSUPPORT, NULL},
		{"javascript:alert(1)", -EPROTONOSUPPORT, NULL},
	};
	for (size_t i = 0; i < T_LEN(cases); i++) {
		int r = url_resolve(&out, &base, cases[i].ref, strlen(cases[i].ref), NULL);
		if (!cases[i].ret) {
			url_redact(&out, s, sizeof(s));
			t_check(!r && !strcmp(s, cases[i].want), "case %zu: %s -> %s", i, cases[i].ref, s);
		} else {
			t_check(r == cases[i].ret, "case %zu refused", i);
		}
	}
	url_redact(&base, s, sizeof(s));
	t_check(!strcmp(s, "https://h:8443/dir/file?...") && !strstr(s, "secret"), "redact hides the query: %s", s);
	char tiny[16];
	url_redact(&base, tiny, sizeof(tiny));
	t_check(strlen(tiny) == 15 && !strcmp(tiny + 12, "..."), "redact truncates: %s", tiny);
}

T_TEST(http_heads)
{
	static const struct { const char *in; int ret; int status; long long cl; bool chunked; } cases[] = {
		{"HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\n", 0, 200, 5, false},
		{"HTTP/1.0 404 Not Found\n\n", 0, 404, -1, false},
		{"HTTP/1.1 200\r\n\r\n", 0, 200, -1, false},
		{"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n", 0, 200, -1, true},
		{"HTTP/1.1 200 OK\r\nContent-Length: 5\r\nContent-Length: 5\r\n\r\n", 0, 200, 5, false},
		{"HTTP/1.1 200 OK\r\nX-Thing:   spaced value  \r\nContent-Encoding: identity\r\n\r\n", 0, 200, -1, false},
		{"HTTP/1.1 302 Found\r\nLocation: /next\r\n\r\n", 0, 302, -1, false},
		/* forged */
		{"HTTP/2 200 OK\r\n\r\n", -EPROTO},
		{"HTTP/1.1 99 OK\r\n\r\n", -EPROTO},
		{"HTTP/1.1 2000 OK\r\n\r\n", -EPROTO},
		{"HTTP/1.1 200 OK\r\nContent-Length: 5\r\nContent-Length: 6\r\n\r\n", -EPROTO},
		{"HTTP/1.1 200 OK\r\nContent-Length: -1\r\n\r\n", -EPROTO},
		{"HTTP/1.1 200 OK\r\nContent-Length: 99999999999999999999\r\n\r\n", -EPROTO},
		{"HTTP/1.1 200 OK\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n", -EPROTO},
		{"HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip, chunked\r\n\r\n", -EPROTO},
		{"HTTP/1.1 200 OK\r\nContent-Encoding: gzip\r\n\r\n", -EPROTO},
		{"HTTP/1.1 200 OK\r\nBad Name: x\r\n\r\n", -EPROTO},
		{"HTTP/1.1 200 OK\r\nName : x\r\n\r\n", -EPROTO},
		{"HTTP/1.1 200 OK\r\n folded\r\n\r\n", -EPROTO},
		{"HTTP/1.1 200 OK\r\nNoColon\r\n\r\n", -EPROTO},
		{"HTTP/1.1 200 OK\r\nX: a\x01z\r\n\r\n", -EPROTO},
		{"HTTP/1.1 206 OK\r\nContent-Range: bytes 5-2/10\r\n\r\n", -EPROTO},
		{"HTTP/1.1 206 OK\r\nContent-Range: bytes 0-9/5\r\n\r\n", -EPROTO},
	};
	for (size_t i = 0; i < T_LEN(cases); i++) {
		struct http_head h;
		struct kerr e = {0};
		size_t len = strlen(cases[i].in);
		t_check(http_head_len(cases[i].in, len) == len, "case %zu: head length", i);
		int r = http_parse_head(cases[i].in, len, &h, &e);
		if (!cases[i].ret)
			t_check(!r && h.status == cases[i].status && h.content_length == cases[i].cl && h.chunked == cases[i].chunked,
				"case %zu: r=%d status=%d cl=%lld %s", i, r, h.status, (long long)h.content_length, e.msg);
		else
			t_check(r == cases[i].ret && e.msg[0], "forged case %zu refused (r=%d)", i, r);
	}
	t_check(http_head_len("HTTP/1.1 200 OK\r\nA: b\r\n", 23) == 0, "incomplete head");
	struct http_head h;
	const char *ok = "HTTP/1.1 206 Partial\r\nContent-Range: bytes 100-199/1000\r\n\r\n";
	t_check(!http_parse_head(ok, strlen(ok), &h, NULL) && h.has_range && h.range_first == 100 && h.range_last == 199 &&
			h.range_total == 1000, "Content-Range");
	ok = "HTTP/1.1 206 Partial\r\nContent-Range: bytes 7-7/*\r\n\r\n";
	t_check(!http_parse_head(ok, strlen(ok), &h, NULL) && h.range_total == -1, "Content-Range with unknown size");
	/* what a 416 carries (RFC 9110 14.4): the unsatisfied-range form, "bytes", a star, a slash and
	 * the size: the size and no range */
	ok = "HTTP/1.1 416 Range Not Satisfiable\r\nContent-Range: bytes */1000\r\n\r\n";
	t_check(!http_parse_head(ok, strlen(ok), &h, NULL) && !h.has_range && h.range_unsatisfied && h.range_total == 1000,
		"Content-Range of a 416");
	static const char *const bad_unsat[] = {"bytes */", "bytes */x", "bytes */-1", "bytes *", "bytes */*", "bytes */10/2",
		"bytes */1000000000000000000000"};
	for (size_t i = 0; i < T_LEN(bad_unsat); i++) {
		char head[200];
		snprintf(head, sizeof(head), "HTTP/1.1 416 No\r\nContent-Range: %s\r\n\r\n", bad_unsat[i]);
		t_check(http_parse_head(head, strlen(head), &h, NULL) == -EPROTO, "forged Content-Range %s refused", bad_unsat[i]);
	}
	struct buf many = BUF_INIT(1 << 20);
	buf_puts(&many, "HTTP/1.1 200 OK\r\n");
	for (int i = 0; i < 101; i++)
		buf_puts(&many, "X: y\r\n");
	buf_puts(&many, "\r\n");
	t_check(http_parse_head((char *)many.p, many.len, &h, NULL) == -EPROTO, "101 headers refused");
	buf_free(&many);
}

static int collect(void *ctx, const void *d, size_t n)
{
	return buf_put(ctx, d, n);
}

T_TEST(http_chunked)
{
	static const struct { const char *in; int ret; const char *out; } cases[] = {
		{"5\r\nhello\r\n0\r\n\r\n", 1, "hello"},
		{"5;ext=1\r\nhello\r\n6\r\n world\r\n0\r\n\r\n", 1, "hello world"},
		{"A\r\n0123456789\r\n0\r\nTrailer: x\r\n\r\n", 1, "0123456789"},
		{"5\nhello\n0\n\n", 1, "hello"},
		{"5\r\nhel", 0, "hel"},
		/* forged */
		{"x\r\n", -EPROTO, NULL},
		{"\r\n", -EPROTO, NULL},
		{"5\r\nhelloX\r\n", -EPROTO, NULL},
		{"1000000000000000\r\n", -EPROTO, NULL},
		{"5\rX", -EPROTO, NULL},
		{"0\r\nT: \x01\r\n\r\n", -EPROTO, NULL},
	};
	for (size_t i = 0; i < T_LEN(cases); i++) {
		struct http_chunked c;
		struct buf out = BUF_INIT(1024);
		struct kerr e = {0};
		size_t len = strlen(cases[i].in);
		http_chunked_init(&c, 0);
		/* feed one byte at a time: the state machine must not care how input is split */
		int r = 0;
		for (size_t k = 0; k < len && r == 0; k++) {
			size_t u;
			r = http_chunked_feed(&c, (const uint8_t *)cases[i].in + k, 1, &u, collect, &out, &e);
		}
		if (cases[i].ret >= 0)
			t_check(r == cases[i].ret && out.len == strlen(cases[i].out) && !memcmp(out.p ? (char *)out.p : "", cases[i].out, out.len),
				"case %zu: r=%d out=%.*s", i, r, (int)out.len, out.p ? (char *)out.p : "");
		else
			t_check(r == cases[i].ret && e.msg[0], "forged case %zu refused (r=%d)", i, r);
		buf_free(&out);
	}
	/* a long trailer is bounded */
	struct http_chunked c;
	http_chunked_init(&c, 16);
	size_t u;
	const char *t = "0\r\nX: 0123456789abcdefghij\r\n\r\n";
	t_check(http_chunked_feed(&c, (const uint8_t *)t, strlen(t), &u, NULL, NULL, NULL) == -EPROTO, "trailer bounded");
	/* bytes after the end are left alone */
	http_chunked_init(&c, 0);
	t = "0\r\n\r\nEXTRA";
	t_check(http_chunked_feed(&c, (const uint8_t *)t, strlen(t), &u, NULL, NULL, NULL) == 1 && u == 5, "stops at the end");
}

/* ---- Range resume against a one-shot server ------------------------------------------------- */

/* A listening socket on 127.0.0.1 (a free port into *port), or -1. */
static int listen_loopback(int *port)
{
	struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	socklen_t al = sizeof(a);
	int s = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (s < 0 || bind(s, (struct sockaddr *)&a, sizeof(a)) || listen(s, 4) || getsockname(s, (struct sockaddr *)&a, &al)) {
		if (s >= 0)
			close(s);
		return -1;
	}
	*port = ntohs(a.sin_port);
	return s;
}

/* Serve one connection on 127.0.0.1: answer if the request asks for "Range: bytes=5-", else 400.
 * Returns the port (the child in *pid), or -1. */
static int serve_once(const char *answer, pid_t *pid)
{
	int port, s = listen_loopback(&port);
	if (s < 0)
		return -1;
	if ((*pid = fork()) == 0) {
		char req[4096];
		size_t n = 0;
		alarm(20);
		int c = accept(s, NULL, NULL);
		while (c >= 0 && n < sizeof(req) - 1 && !memmem(req, n, "\r\n\r\n", 4)) {
			ssize_t r = read(c, req + n, sizeof(req) - 1 - n);
			if (r <= 0)
				break;
			n += (size_t)r;
		}
		req[n] = 0;
		const char *out = strstr(req, "\r\nRange: bytes=5-\r\n") ? answer : "HTTP/1.1 400 No Range\r\nContent-Length: 0\r\n\r\n";
		if (c >= 0 && write(c, out, strlen(out)) < 0)
			_exit(1);
		_exit(0);
	}
	close(s);
	return *pid > 0 ? port : -1;
}

static int truncate_output(void *ctx)
{
	buf_reset(ctx);
	return 0;
}

/* The output holds bytes 0-4 of "0123456789" from an interrupted download; resume at byte 5. */
T_TEST(http_range_resume)
{
	static const struct { const char *what, *answer; int restart, ret; const char *out, *err; } cases[] = {
		{"206 from byte 5: appended", "HTTP/1.1 206 Partial\r\nContent-Range: bytes 5-9/10\r\nContent-Length: 5\r\n\r\n56789",
			1, 0, "0123456789", NULL},
		{"206 of unknown total: appended", "HTTP/1.1 206 Partial\r\nContent-Range: bytes 5-9/*\r\nContent-Length: 5\r\n\r\n56789",
			1, 0, "0123456789", NULL},
		/* a server that ignores Range sends the whole resource: it replaces the output, never follows it */
		{"200 to a Range request: the whole body once", "HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\n0123456789",
			1, 0, "0123456789", NULL},
		{"200, chunked: the whole body once", "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n4\r\n0123\r\n6\r\n456789\r\n0\r\n\r\n",
			1, 0, "0123456789", NULL},
		{"200 without a way to start over: refused, output untouched", "HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\n0123456789",
			0, -EPROTO, "01234", "cannot start over"},
		{"206 from byte 3: refused", "HTTP/1.1 206 Partial\r\nContent-Range: bytes 3-9/10\r\nContent-Length: 7\r\n\r\n3456789",
			1, -EPROTO, "01234", "does not start at byte 5"},
		{"206 from byte 6: refused", "HTTP/1.1 206 Partial\r\nContent-Range: bytes 6-9/10\r\nContent-Length: 4\r\n\r\n6789",
			1, -EPROTO, "01234", "does not start at byte 5"},
		{"206 without Content-Range: refused", "HTTP/1.1 206 Partial\r\nContent-Length: 5\r\n\r\n56789",
			1, -EPROTO, "01234", "does not start at byte 5"},
		{"206 that stops before the end: refused", "HTTP/1.1 206 Partial\r\nContent-Range: bytes 5-7/10\r\nContent-Length: 3\r\n\r\n567",
			1, -EPROTO, "01234", "ends at byte 7 of 10"},
		{"416: refused, names the size", "HTTP/1.1 416 Range Not Satisfiable\r\nContent-Range: bytes */5\r\nContent-Length: 0\r\n\r\n",
			1, -EREMOTEIO, "01234", "HTTP 416: bytes from 5 on not satisfiable, the resource has 5 bytes"},
		{"416 without a size: refused", "HTTP/1.1 416 Range Not Satisfiable\r\nContent-Length: 0\r\n\r\n",
			1, -EREMOTEIO, "01234", "416"},
		{"200 with Content-Range */N: refused", "HTTP/1.1 200 OK\r\nContent-Range: bytes */10\r\nContent-Length: 10\r\n\r\n0123456789",
			1, -EPROTO, "01234", "Content-Range"},
	};
	for (size_t i = 0; i < T_LEN(cases); i++) {
		pid_t pid = -1;
		int port = serve_once(cases[i].answer, &pid), st = 0;
		if (port < 0) {
			t_check(0, "case %zu: no loopback server: %s", i, strerror(errno));
			continue;
		}
		char url[64];
		snprintf(url, sizeof(url), "http://127.0.0.1:%d/f", port);
		struct buf out = BUF_INIT(1024);
		buf_puts(&out, "01234");
		struct http_opts o = {.range_start = 5, .total_timeout_ms = 10000, .restart = cases[i].restart ? truncate_output : NULL};
		struct http_result res;
		struct kerr e = {0};
		int ret = http_get(url, &o, collect, &out, &res, &e);
		kill(pid, SIGKILL);
		waitpid(pid, &st, 0);
		t_check(ret == cases[i].ret && out.len == strlen(cases[i].out) && !memcmp(out.p, cases[i].out, out.len) &&
				(!cases[i].err || strstr(e.msg, cases[i].err)),
			"case %zu (%s): ret %d, output \"%.*s\", %s", i, cases[i].what, ret, (int)out.len, (char *)out.p, e.msg);
		buf_free(&out);
	}
}

/* ---- POST with a body, every status delivered (FleetLock) ------------------------------------ */

/* Serve n connections on 127.0.0.1: answer those whose request is exactly FleetLock's pre-reboot
 * POST with body {"a":1}, else 400. Returns the port (the child in *pid), or -1. */
static int serve_post(const char *answer, int n, pid_t *pid)
{
	int port, s = listen_loopback(&port);
	if (s < 0)
		return -1;
	if ((*pid = fork()) == 0) {
		char req[4096], want[4096];
		snprintf(want, sizeof(want), "POST /v1/pre-reboot HTTP/1.1\r\nHost: 127.0.0.1:%d\r\nUser-Agent: keel\r\n"
			"Accept: */*\r\nAccept-Encoding: identity\r\nConnection: close\r\nfleet-lock-protocol: true\r\n"
			"Content-Type: application/json\r\nContent-Length: 7\r\n\r\n{\"a\":1}", port);
		alarm(20);
		for (int k = 0; k < n; k++) {
			size_t got = 0;
			int c = accept(s, NULL, NULL);
			while (c >= 0 && got < strlen(want) && got < sizeof(req) - 1) {
				ssize_t r = read(c, req + got, strlen(want) - got);
				if (r <= 0)
					break;
				got += (size_t)r;
			}
			req[got] = 0;
			const char *out = !strcmp(req, want) ? answer : "HTTP/1.1 400 Unexpected\r\nContent-Length: 0\r\n\r\n";
			if (c >= 0 && write(c, out, strlen(out)) < 0)
				_exit(1);
			if (c >= 0)
				close(c);
		}
		_exit(0);
	}
	close(s);
	return *pid > 0 ? port : -1;
}

T_TEST(http_post_any_status)
{
	static const struct { const char *what, *answer; bool any; int ret, status, attempts; const char *body; } cases[] = {
		{"200", "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok", true, 0, 200, 1, "ok"},
		{"204 without a body", "HTTP/1.1 204 No Content\r\n\r\n", true, 0, 204, 1, ""},
		{"423 delivered with its body", "HTTP/1.1 423 Locked\r\nContent-Length: 17\r\n\r\n{\"kind\":\"locked\"}", true, 0, 423, 1,
			"{\"kind\":\"locked\"}"},
		{"500 delivered, not retried", "HTTP/1.1 500 Oops\r\nContent-Length: 1\r\n\r\nx", true, 0, 500, 1, "x"},
		/* forged / without any_status: an error status is an error, the body never reaches the sink */
		{"423 without any_status", "HTTP/1.1 423 Locked\r\nContent-Length: 17\r\n\r\n{\"kind\":\"locked\"}", false, -EREMOTEIO,
			423, 1, ""},
	};
	for (size_t i = 0; i < T_LEN(cases); i++) {
		pid_t pid = -1;
		int port = serve_post(cases[i].answer, 3, &pid), st = 0;
		if (port < 0) {
			t_check(0, "case %zu: no loopback server: %s", i, strerror(errno));
			continue;
		}
		char url[64];
		snprintf(url, sizeof(url), "http://127.0.0.1:%d/v1/pre-reboot", port);
		static const struct http_header h[] = {{"fleet-lock-protocol", "true"}};
		struct buf out = BUF_INIT(1024);
		struct http_opts o = {.total_timeout_ms = 10000, .headers = h, .nheaders = 1, .method = "POST", .body = "{\"a\":1}",
			.body_len = 7, .any_status = cases[i].any, .retries = 2};
		struct http_result res;
		struct kerr e = {0};
		int ret = http_get(url, &o, collect, &out, &res, &e);
		kill(pid, SIGKILL);
		waitpid(pid, &st, 0);
		t_check(ret == cases[i].ret && res.status == cases[i].status && res.attempts == cases[i].attempts &&
				out.len == strlen(cases[i].body) && (!out.len || !memcmp(out.p, cases[i].body, out.len)),
			"case %zu (%s): ret %d status %d attempts %d body \"%.*s\" %s", i, cases[i].what, ret, res.status, res.attempts,
			(int)out.len, out.p ? (char *)out.p : "", e.msg);
		buf_free(&out);
	}
}
