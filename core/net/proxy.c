/* proxy.c — proxies as curl reads them (proxy.h). */
#include "net/proxy.h"
#include "base/buf.h"
#include "base/err.h"
#include "base/log.h"
#include "net/url.h"

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define CRED_MAX 256
_Static_assert(27 + (CRED_MAX + 1) / 3 * 4 + 3 <= PROXY_AUTH_MAX, "the header of CRED_MAX - 1 bytes fits");

int proxy_parse(const char *var, const char *s, struct url *pu, char auth[PROXY_AUTH_MAX], struct kerr *e)
{
	char tmp[URL_HOST_MAX + 16];
	const char *at, *end;
	if (!strncasecmp(s, "http://", 7))
		s += 7;
	end = s + (strstr(s, "://") ? 0 : strcspn(s, "/")); /* another scheme: nothing left */
	*auth = 0;
	if ((at = memrchr(s, '@', (size_t)(end - s)))) {
		/* refused, never dropped: with a '#' or '?' before the '@', url_parse would not see it */
		if (at - s >= CRED_MAX)
			return kerr_set(e, -EDESTADDRREQ, "%s: proxy credentials longer than %d bytes", var, CRED_MAX - 1);
		if (at > s) { /* "@HOST": no credentials, no header (never an empty Basic value) */
			memcpy(auth, "Proxy-Authorization: Basic ", 27);
			memcpy(auth + 27 + b64_encode(auth + 27, (const uint8_t *)s, (size_t)(at - s)), "\r\n", 3);
		}
		s = at + 1;
	}
	/* (a path is ignored, as curl does) */
	if ((size_t)snprintf(tmp, sizeof(tmp), "http://%.*s/", (int)(end - s), s) >= sizeof(tmp) ||
		url_parse(pu, tmp, strlen(tmp), NULL))
		return kerr_set(e, -EDESTADDRREQ, "%s: not a proxy [http://][USER:PASSWORD@]HOST[:PORT]", var);
	if (!pu->port_given)
		pu->port = 1080;
	return 0;
}

/* The first of the variables names that is set and not empty (curl's curl_getenv() takes an
 * empty one as unset), NULL: none; *var its name. */
static const char *env_first(const char *const *names, const char **var)
{
	const char *v = NULL;
	for (; *names && (!(v = getenv(*names)) || !*v); names++)
		v = NULL;
	*var = *names;
	return v;
}

void http_proxy_env(struct http_proxy *p)
{
	static const char *const h[] = {"http_proxy", "all_proxy", "ALL_PROXY", NULL},
		*const hs[] = {"https_proxy", "HTTPS_PROXY", "all_proxy", "ALL_PROXY", NULL},
		*const n[] = {"no_proxy", "NO_PROXY", NULL};
	const char *unused;
	p->http = env_first(h, &p->http_var);
	const char *upper = getenv("HTTP_PROXY");
	if (!p->http && upper && *upper) /* by name, never silently */
		log_warn("HTTP_PROXY ignored: http:// URLs take http_proxy (lower case only, as curl)");
	p->https = env_first(hs, &p->https_var);
	p->no = env_first(n, &unused);
}

const char *proxy_for(const struct http_proxy *p, const struct url *u)
{
	const char *v = !p ? NULL : u->tls ? p->https : p->http;
	size_t hl = strlen(u->host);
	bool ip = u->ipv6 || strspn(u->host, "0123456789.") == hl;
	if (!v || !*v || (p->no && !strcmp(p->no, "*")))
		return NULL;
	for (const char *s = p->no; s && *s;) {
		size_t n = strcspn(s, ","), m = n;
		const char *q = s;
		s += n + (s[n] == ',');
		for (; m && (*q == ' ' || *q == '.'); m--)
			q++;
		while (m && q[m - 1] == ' ')
			m--;
		/* the host itself, or (names only) a domain that contains it */
		if (m && m <= hl && !strncasecmp(u->host + hl - m, q, m) && (m == hl || (!ip && u->host[hl - m - 1] == '.')))
			return NULL;
	}
	return v;
}
