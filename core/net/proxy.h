/* proxy.h — the HTTP client's proxy settings (net/http.h uses them for every request).
 *
 * Proxies as curl reads them from the environment: http_proxy (lower case only: a CGI request's
 * "Proxy:" header becomes HTTP_PROXY) for http:// URLs, https_proxy (else HTTPS_PROXY) for
 * https://, all_proxy (else ALL_PROXY) for either when its own is not set (an empty variable is
 * unset, as curl_getenv() has it), no_proxy (else NO_PROXY): "*" or a comma-separated list of
 * host names (each also matching its subdomains; a leading dot ignored) and IP addresses (matched
 * exactly) that are reached directly. A proxy is "[http://][USER:PASSWORD@]HOST[:PORT]" (port
 * 1080 by default, credentials sent as Proxy-Authorization: Basic, never shown). http:// requests
 * go to it with the absolute URL; https:// ones through a CONNECT tunnel (a 2xx answer
 * required), with TLS to the origin host: SNI and the certificate are the origin's, never the
 * proxy's. Fuzzed: tests/fuzz/proxy.c. */
#ifndef KEEL_NET_PROXY_H
#define KEEL_NET_PROXY_H

struct kerr;
struct url;

struct http_proxy {
	const char *http, *https, *no;  /* NULL: none */
	const char *http_var, *https_var; /* the variables they came from, for messages */
};
/* Read the environment into p (once, before a sandbox); HTTP_PROXY alone is warned of, by
 * name. A malformed proxy fails each request that would use it (-EDESTADDRREQ, the variable
 * named). */
void http_proxy_env(struct http_proxy *p);

/* "[http://][USER:PASSWORD@]HOST[:PORT][/...]" of variable var (named in messages, which never
 * show the value: it may hold a password): the proxy's address in pu (port 1080 when none is
 * given), the "Proxy-Authorization: Basic …\r\n" header line in auth ("" without credentials, and
 * for "@HOST"). -EDESTADDRREQ for anything else (another scheme: socks5://, https://) and for
 * credentials over 255 bytes (refused, never dropped). */
#define PROXY_AUTH_MAX 512
int proxy_parse(const char *var, const char *s, struct url *pu, char auth[PROXY_AUTH_MAX], struct kerr *e);
/* The proxy value for u (p's https or http one), NULL for a direct connection: none set, no_proxy
 * "*", or u's host in no_proxy. */
const char *proxy_for(const struct http_proxy *p, const struct url *u);

#endif
