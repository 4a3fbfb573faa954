/* url.h — http(s) URLs: parse, resolve a redirect's Location, print without secrets.
 *
 * Accepted: scheme "http" or "https" (any case), "//", a host (DNS name, IPv4 address or
 * "[IPv6]"), an optional ":port", then the path and query (printable ASCII without space,
 * '"', '<', '>', '\\', '^', '`', '{', '|', '}'). A fragment is dropped. User information
 * ("user:pass@host") is refused: credentials belong in headers, never in URLs that get logged.
 */
#ifndef KEEL_URL_H
#define KEEL_URL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct kerr;

#define URL_HOST_MAX 256
#define URL_PATH_MAX 4096

struct url {
	bool tls;                  /* https */
	char host[URL_HOST_MAX];   /* without brackets for IPv6 */
	bool ipv6;                 /* host was "[...]" */
	uint16_t port;             /* explicit or 80/443 */
	bool port_given;
	char path[URL_PATH_MAX];   /* "/..." with the query, never empty */
};

/* Parse s[0..len). -EINVAL (malformed, e says why and where), -EPROTONOSUPPORT (another
 * scheme), -ENAMETOOLONG (host or path over the limits). */
int url_parse(struct url *u, const char *s, size_t len, struct kerr *e);

/* Resolve a Location header value against base (RFC 3986 section 5, for the forms servers
 * send: absolute URL, "//host/path", "/path", "relative/path"). */
int url_resolve(struct url *out, const struct url *base, const char *ref, size_t len, struct kerr *e);

/* "https://host:port/path" without the query: what messages may show. Truncated with "..."
 * to fit n (n >= 16). */
void url_redact(const struct url *u, char *out, size_t n);

/* The scheme of s, lower-cased into out[n] ("" if s has none): "http", "data", "s3"... */
void url_scheme(const char *s, char *out, size_t n);

#endif
