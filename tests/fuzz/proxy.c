/* proxy.c — libFuzzer harness for the proxy settings (core/net/proxy.c: proxy_parse, proxy_for).
 *
 * The input is a proxy value, a NUL, a no_proxy list, a NUL, and a URL. A value that parses has a
 * host (no '@' in it) and a port; its Proxy-Authorization line, when there is one, decodes (with
 * the data: URL decoder, not the encoder that wrote it) to the bytes before the value's last '@'
 * (none for "@HOST");
 * printed back as [CREDENTIALS@]HOST:PORT it parses to the same proxy. A refusal is -EDESTADDRREQ
 * with exactly one of two messages naming the variable (never the value: it may hold a password).
 * proxy_for gives NULL or the value itself; NULL with no_proxy "*"; adding the URL's host (in
 * upper case) to no_proxy always makes it direct, and adding any entry never makes a direct host
 * proxied (but no_proxy "*", special only as the whole list, as in curl) (a host beginning with '.', which url_parse lets through, aside).
 */
#include "base/buf.h"
#include "base/err.h"
#include "net/dataurl.h"
#include "net/proxy.h"
#include "net/url.h"

#include <ctype.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

static void check(int cond, const char *what)
{
	if (!cond) {
		fprintf(stderr, "proxy fuzz: %s\n", what);
		abort();
	}
}

static const char refused[] = "https_proxy: not a proxy [http://][USER:PASSWORD@]HOST[:PORT]",
	too_long[] = "https_proxy: proxy credentials longer than 255 bytes";

static void parse(const char *v)
{
	struct url pu, again;
	struct kerr e = {0};
	char auth[PROXY_AUTH_MAX], auth2[PROXY_AUTH_MAX];
	memset(auth, 0x55, sizeof(auth));
	int r = proxy_parse("https_proxy", v, &pu, auth, &e);
	if (r) {
		check(r == -EDESTADDRREQ && (!strcmp(e.msg, refused) || !strcmp(e.msg, too_long)),
		      "a refusal is -EDESTADDRREQ naming only the variable");
		return;
	}
	check(pu.host[0] && !strchr(pu.host, '@') && pu.port, "host and port");
	check(memchr(auth, 0, sizeof(auth)) != NULL, "auth terminated within PROXY_AUTH_MAX");
	/* the credentials: after an optional http://, before the last '@' ahead of the first '/' */
	const char *s = strncasecmp(v, "http://", 7) ? v : v + 7;
	size_t alen = strcspn(s, "/");
	const char *at = memrchr(s, '@', alen);
	struct buf cred = BUF_INIT(4096);
	if (at && at > s) {
		size_t al = strlen(auth);
		check(al > 29 && !strncmp(auth, "Proxy-Authorization: Basic ", 27) && !strcmp(auth + al - 2, "\r\n"),
		      "credentials give a Proxy-Authorization: Basic line");
		struct buf d = BUF_INIT(4096);
		buf_puts(&d, "data:;base64,");
		buf_put(&d, auth + 27, al - 29);
		check(!dataurl_decode((const char *)d.p, d.len, &cred, NULL, NULL), "the Basic value decodes");
		check(cred.len == (size_t)(at - s) && !memcmp(cred.p, s, cred.len), "the Basic value is the credentials");
		buf_free(&d);
	} else {
		check(!auth[0], "no credentials, no header");
	}
	/* printed back, parsed again: the same proxy */
	struct buf p = BUF_INIT(8192);
	if (cred.len)
		buf_put(&p, cred.p, cred.len), buf_puts(&p, "@");
	buf_printf(&p, "%s%s%s:%u", pu.ipv6 ? "[" : "", pu.host, pu.ipv6 ? "]" : "", pu.port);
	buf_put(&p, "", 1);
	check(!proxy_parse("https_proxy", (const char *)p.p, &again, auth2, NULL), "printed back, refused");
	check(!strcmp(again.host, pu.host) && again.port == pu.port && again.ipv6 == pu.ipv6 && !strcmp(auth, auth2),
	      "printed back, another proxy");
	buf_free(&p);
	buf_free(&cred);
}

static void route(const char *v, const char *no, const char *url, size_t ulen)
{
	struct url u;
	if (url_parse(&u, url, ulen, NULL))
		return;
	struct http_proxy p = {.http = v, .https = v, .no = no, .http_var = "http_proxy", .https_var = "https_proxy"};
	const char *r = proxy_for(&p, &u);
	check(!r || r == v, "NULL or the value");
	check(!r || (*v && strcmp(no, "*")), "none for an empty value or no_proxy *");
	struct buf more = BUF_INIT(1u << 20);
	buf_printf(&more, "%s,%s", no, "example.invalid");
	p.no = (const char *)more.p;
	/* (but "*" is special only as the whole list, as in curl: "*,x" is the list of "*" and "x") */
	check(!(!r && proxy_for(&p, &u)) || !strcmp(no, "*"), "an added no_proxy entry made a direct host proxied");
	if (u.host[0] == '.') { /* no name starts with a dot; no_proxy's entries lose theirs */
		buf_free(&more);
		return;
	}
	buf_reset(&more);
	buf_printf(&more, "%s, ", no);
	for (const char *h = u.host; *h; h++)
		buf_printf(&more, "%c", toupper((unsigned char)*h));
	p.no = (const char *)more.p;
	check(!proxy_for(&p, &u), "the URL's own host in no_proxy, still proxied");
	buf_free(&more);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *in = malloc(size + 3);
	if (!in)
		return 0;
	memcpy(in, data, size);
	in[size] = in[size + 1] = in[size + 2] = 0;
	const char *v = in, *no = v + strlen(v) + 1;
	if (no > in + size)
		no = in + size + 1;
	const char *url = no + strlen(no) + 1;
	if (url > in + size)
		url = in + size + 2;
	parse(v);
	route(v, no, url, strlen(url));
	free(in);
	return 0;
}
