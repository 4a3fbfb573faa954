/* url.c — http(s) URL parsing and redirect resolution. */
#include "net/url.h"
#include "base/err.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

static bool path_char(unsigned char c)
{
	return c > 0x20 && c < 0x7f && !strchr("\"<>\\^`{|}", c);
}

static bool host_char(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' ||
		c == '.' || c == '_' || c == '~';
}

void url_scheme(const char *s, char *out, size_t n)
{
	size_t i = 0;
	if (!n)
		return;
	out[0] = 0;
	while (s[i] && i + 1 < n && ((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= 'A' && s[i] <= 'Z') ||
		(i && ((s[i] >= '0' && s[i] <= '9') || s[i] == '+' || s[i] == '-' || s[i] == '.')))) {
		out[i] = (char)(s[i] | 0x20);
		i++;
	}
	if (s[i] != ':')
		i = 0;
	out[i] = 0;
}

/* Copy the path (and query) s[0..len), stopping at '#'. */
static int set_path(struct url *u, const char *s, size_t len, size_t off, struct kerr *e)
{
	size_t n = 0;
	if (!len || s[0] != '/')
		u->path[n++] = '/';
	for (size_t i = 0; i < len && s[i] != '#'; i++) {
		if (!path_char((unsigned char)s[i]))
			return kerr_set(e, -EINVAL, "URL: invalid character in the path (offset %zu)", off + i);
		if (n + 2 > sizeof(u->path))
			return kerr_set(e, -ENAMETOOLONG, "URL: path longer than %zu bytes", sizeof(u->path) - 1);
		u->path[n++] = s[i];
	}
	u->path[n] = 0;
	return 0;
}

int url_parse(struct url *u, const char *s, size_t len, struct kerr *e)
{
	size_t p = 0;

	memset(u, 0, sizeof(*u));
	if (len >= 7 && !strncasecmp(s, "http://", 7)) {
		p = 7;
	} else if (len >= 8 && !strncasecmp(s, "https://", 8)) {
		p = 8;
		u->tls = true;
	} else {
		return kerr_set(e, -EPROTONOSUPPORT, "URL: not an http or https URL");
	}
	size_t a = p;
	while (p < len && s[p] != '/' && s[p] != '?' && s[p] != '#')
		p++;
	size_t aend = p;
	if (memchr(s + a, '@', aend - a))
		return kerr_set(e, -EINVAL, "URL: user information (credentials) in a URL is refused; use an Authorization header");
	size_t h = a, hend;
	if (h < aend && s[h] == '[') {
		const char *close = memchr(s + h, ']', aend - h);
		if (!close)
			return kerr_set(e, -EINVAL, "URL: unterminated IPv6 address (offset %zu)", h);
		hend = (size_t)(close - s);
		for (size_t i = h + 1; i < hend; i++)
			if (!strchr("0123456789abcdefABCDEF:.", s[i]))
				return kerr_set(e, -EINVAL, "URL: invalid character in the IPv6 address (offset %zu)", i);
		u->ipv6 = true;
		if (hend - h - 1 >= sizeof(u->host))
			return kerr_set(e, -ENAMETOOLONG, "URL: host too long");
		memcpy(u->host, s + h + 1, hend - h - 1);
		u->host[hend - h - 1] = 0;
		hend++;
	} else {
		hend = h;
		while (hend < aend && s[hend] != ':') {
			if (!host_char((unsigned char)s[hend]))
				return kerr_set(e, -EINVAL, "URL: invalid character in the host (offset %zu)", hend);
			hend++;
		}
		if (hend - h >= sizeof(u->host))
			return kerr_set(e, -ENAMETOOLONG, "URL: host longer than %zu bytes", sizeof(u->host) - 1);
		memcpy(u->host, s + h, hend - h);
		u->host[hend - h] = 0;
	}
	if (!u->host[0])
		return kerr_set(e, -EINVAL, "URL: no host");
	u->port = u->tls ? 443 : 80;
	if (hend < aend) {
		if (s[hend] != ':')
			return kerr_set(e, -EINVAL, "URL: junk after the host (offset %zu)", hend);
		unsigned v = 0;
		size_t i = hend + 1;
		if (i == aend)
			goto path; /* "host:" means the default port */
		for (; i < aend; i++) {
			if (s[i] < '0' || s[i] > '9' || (v = v * 10 + (unsigned)(s[i] - '0')) > 65535)
				return kerr_set(e, -EINVAL, "URL: invalid port (offset %zu)", i);
		}
		if (!v)
			return kerr_set(e, -EINVAL, "URL: port 0");
		u->port = (uint16_t)v;
		u->port_given = true;
	}
path:
	return set_path(u, s + aend, len - aend, aend, e);
}

/* RFC 3986 5.2.4: remove "." and ".." segments from the path (the query is left alone). */
static void remove_dots(char *path)
{
	char *q = strchr(path, '?');
	size_t plen = q ? (size_t)(q - path) : strlen(path), o = 0;
	char out[URL_PATH_MAX];
	size_t i = 0;
	while (i < plen) {
		/* path[i] is '/' */
		size_t j = i + 1;
		while (j < plen && path[j] != '/')
			j++;
		size_t sl = j - i - 1;
		const char *seg = path + i + 1;
		if (sl == 1 && seg[0] == '.') {
			if (j == plen)
				out[o++] = '/';
		} else if (sl == 2 && seg[0] == '.' && seg[1] == '.') {
			while (o && out[o - 1] != '/')
				o--;
			if (o)
				o--;
			if (j == plen)
				out[o++] = '/';
		} else {
			memcpy(out + o, path + i, j - i);
			o += j - i;
		}
		i = j;
	}
	if (!o)
		out[o++] = '/';
	size_t rest = strlen(path + plen);
	memmove(path + o, path + plen, rest + 1);
	memcpy(path, out, o);
}

int url_resolve(struct url *out, const struct url *base, const char *ref, size_t len, struct kerr *e)
{
	char tmp[URL_HOST_MAX + URL_PATH_MAX + 32];

	if (len >= 7 && (!strncasecmp(ref, "http://", 7) || !strncasecmp(ref, "https://", 8)))
		return url_parse(out, ref, len, e);
	if (len >= 2 && ref[0] == '/' && ref[1] == '/') { /* scheme-relative */
		int n = snprintf(tmp, sizeof(tmp), "%s:%.*s", base->tls ? "https" : "http", (int)len, ref);
		if (n < 0 || (size_t)n >= sizeof(tmp))
			return kerr_set(e, -ENAMETOOLONG, "redirect: location too long");
		return url_parse(out, tmp, (size_t)n, e);
	}
	char scheme[64];
	url_scheme(ref, scheme, sizeof(scheme));
	if (scheme[0])
		return kerr_set(e, -EPROTONOSUPPORT, "redirect: to a %s: URL is refused", scheme);
	*out = *base;
	int ret;
	if (len && ref[0] == '/') {
		if (!(ret = set_path(out, ref, len, 0, e)))
			remove_dots(out->path);
		return ret;
	}
	/* relative: replace everything after the last '/' of the base path (query dropped) */
	const char *q = strchr(base->path, '?');
	size_t blen = q ? (size_t)(q - base->path) : strlen(base->path);
	while (blen && base->path[blen - 1] != '/')
		blen--;
	if (blen + len >= sizeof(tmp))
		return kerr_set(e, -ENAMETOOLONG, "redirect: location too long");
	memcpy(tmp, base->path, blen);
	memcpy(tmp + blen, ref, len);
	if (!(ret = set_path(out, tmp, blen + len, 0, e)))
		remove_dots(out->path);
	return ret;
}

void url_redact(const struct url *u, char *out, size_t n)
{
	char port[8] = "";
	if (u->port_given)
		snprintf(port, sizeof(port), ":%u", u->port);
	size_t plen = strcspn(u->path, "?");
	int w = snprintf(out, n, "%s://%s%s%s%s%.*s%s", u->tls ? "https" : "http", u->ipv6 ? "[" : "", u->host,
		u->ipv6 ? "]" : "", port, (int)plen, u->path, u->path[plen] ? "?..." : "");
	if (w >= 0 && (size_t)w >= n && n >= 4)
		memcpy(out + n - 4, "...", 4);
}
