/* url.c — libFuzzer harness for http(s) URLs (core/net/url.c): parse, resolve a redirect, redact.
 *
 * The input is a base URL, a newline, and a Location value. A URL that parses has a host, a
 * path starting with '/', and prints (url_redact) without its query and with nothing but
 * printable ASCII; printed again with its query it parses to the same URL. A Location resolved
 * against a parsed base obeys the same rules, and a relative one keeps the base's scheme, host
 * and port and has no "." or ".." segment left.
 */
#include "base/err.h"
#include "net/url.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void check(int cond, const char *what)
{
	if (!cond) {
		fprintf(stderr, "url fuzz: %s\n", what);
		abort();
	}
}

static void well_formed(const struct url *u)
{
	char red[128], text[URL_HOST_MAX + URL_PATH_MAX + 32];
	struct url again;
	check(u->host[0] && strlen(u->host) < URL_HOST_MAX && !strchr(u->host, '@'), "host");
	check(u->path[0] == '/' && strlen(u->path) < URL_PATH_MAX && !strchr(u->path, '#'), "path");
	for (const char *p = u->path; *p; p++)
		check(*p > 0x20 && *p < 0x7f, "path byte");
	check(u->port, "port 0");
	url_redact(u, red, sizeof(red));
	check(strlen(red) < sizeof(red), "redacted length");
	const char *q = strchr(u->path, '?');
	if (q && q[1]) {
		const char *rq = strchr(red, '?');
		check(!rq || !strcmp(rq, "?...") || strlen(red) == sizeof(red) - 1, "query shown");
	}
	for (const char *p = red; *p; p++)
		check(*p >= 0x20 && *p < 0x7f, "redacted byte");
	int n = snprintf(text, sizeof(text), "%s://%s%s%s:%u%s", u->tls ? "https" : "http", u->ipv6 ? "[" : "", u->host,
		u->ipv6 ? "]" : "", u->port, u->path);
	check(n > 0 && (size_t)n < sizeof(text), "print");
	check(!url_parse(&again, text, (size_t)n, NULL), "printed URL does not parse");
	check(again.tls == u->tls && again.ipv6 == u->ipv6 && again.port == u->port && !strcmp(again.host, u->host) &&
		!strcmp(again.path, u->path), "printed URL parses differently");
}

static int has_dot_segment(const char *path)
{
	size_t plen = strcspn(path, "?");
	for (size_t i = 0; i < plen; i++) {
		if (path[i] != '/')
			continue;
		size_t l = strcspn(path + i + 1, "/?");
		if ((l == 1 && path[i + 1] == '.') || (l == 2 && path[i + 1] == '.' && path[i + 2] == '.'))
			return 1;
	}
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const uint8_t *nl = memchr(data, '\n', size);
	size_t blen = nl ? (size_t)(nl - data) : size;
	struct url base, out;
	char sch[16];
	if (url_parse(&base, (const char *)data, blen, NULL))
		return 0;
	well_formed(&base);
	if (!nl)
		return 0;
	size_t rlen = size - blen - 1;
	char *ref = malloc(rlen + 1); /* a Location value is NUL-terminated (http_parse_head) */
	if (!ref)
		return 0;
	memcpy(ref, nl + 1, rlen);
	ref[rlen] = 0;
	rlen = strlen(ref);
	url_scheme(ref, sch, sizeof(sch));
	if (!url_resolve(&out, &base, ref, rlen, NULL)) {
		well_formed(&out);
		if (!sch[0] && !(rlen >= 2 && ref[0] == '/' && ref[1] == '/')) {
			check(out.tls == base.tls && out.port == base.port && !strcmp(out.host, base.host), "relative changed host");
			check(!has_dot_segment(out.path), "dot segment left");
		}
	}
	free(ref);
	return 0;
}
