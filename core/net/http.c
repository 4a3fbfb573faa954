/* http.c — the HTTP/1.1 client: connect, TLS, request, response, redirects, retries. */
#include "net/http.h"
#include "base/clock.h"
#include "base/buf.h"
#include "base/err.h"
#include "base/fs.h"
#include "net/url.h"

#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <mbedtls/ctr_drbg.h>
#include <mbedtls/entropy.h>
#include <mbedtls/net_sockets.h>
#include <mbedtls/ssl.h>
#include <psa/crypto.h>

#define DEFAULT_HEADER_MAX 65536
#define DEFAULT_CONNECT_MS 10000
#define READ_CHUNK 16384

/* ---- trust anchors ----------------------------------------------------------------------- */

void http_ca_init(struct http_ca *ca)
{
	mbedtls_x509_crt_init(&ca->crt);
	ca->count = 0;
}

void http_ca_free(struct http_ca *ca)
{
	if (!ca)
		return;
	mbedtls_x509_crt_free(&ca->crt);
	ca->count = 0;
}

int http_ca_add(struct http_ca *ca, const void *data, size_t len, struct kerr *e)
{
	int before = 0, after = 0, r;
	for (mbedtls_x509_crt *c = &ca->crt; c && c->raw.len; c = c->next)
		before++;
	if (len && memmem(data, len, "-----BEGIN", 10)) {
		/* mbedtls wants PEM NUL-terminated, the NUL counted in the length */
		struct buf b = BUF_INIT(len + 1);
		if ((r = buf_put(&b, data, len)) || (r = buf_putc(&b, 0)))
			return kerr_set(e, r, "CA bundle: %s", strerror(-r));
		r = mbedtls_x509_crt_parse(&ca->crt, b.p, b.len);
		buf_free(&b);
	} else {
		r = mbedtls_x509_crt_parse_der(&ca->crt, data, len);
	}
	for (mbedtls_x509_crt *c = &ca->crt; c && c->raw.len; c = c->next)
		after++;
	if (r < 0 || after == before)
		return kerr_set(e, -EINVAL, "CA bundle: no certificate could be parsed (mbedtls -0x%04x)", (unsigned)-r);
	ca->count = after;
	return 0;
}

int http_ca_add_file(struct http_ca *ca, const char *path, size_t max, struct kerr *e)
{
	struct buf b = BUF_INIT(max);
	int ret = fs_read_path(AT_FDCWD, path, max, &b, e);
	if (!ret)
		ret = http_ca_add(ca, b.p, b.len, e);
	buf_free(&b);
	return ret;
}

/* ---- time -------------------------------------------------------------------------------- */

/* The earliest of the deadlines that apply (0 = none); returns poll's timeout in ms. */
static int remaining(uint64_t d1, uint64_t d2)
{
	uint64_t d = d1 && (!d2 || d1 < d2) ? d1 : d2, t = mono_ms();
	if (!d)
		return -1;
	if (d <= t)
		return 0;
	return d - t > 0x7fffffff ? 0x7fffffff : (int)(d - t);
}

/* ---- connection ------------------------------------------------------------------------ */

struct conn {
	int fd;
	bool tls;
	bool tls_ready;
	mbedtls_ssl_context ssl;
	mbedtls_ssl_config conf;
	mbedtls_entropy_context entropy;
	mbedtls_ctr_drbg_context drbg;
	uint64_t total_deadline; /* 0: none */
	uint64_t phase_deadline; /* header timeout; 0: none */
	uint32_t idle_ms;
	bool timed_out;
	bool eof_notify;         /* TLS close_notify received */
};

static int wait_fd(struct conn *c, short ev)
{
	uint64_t idle = c->idle_ms ? mono_ms() + c->idle_ms : 0;
	uint64_t d = c->phase_deadline && (!idle || c->phase_deadline < idle) ? c->phase_deadline : idle;
	struct pollfd p = {.fd = c->fd, .events = ev};
	for (;;) {
		int t = remaining(c->total_deadline, d);
		int r = poll(&p, 1, t);
		if (r > 0)
			return 0;
		if (r == 0) {
			c->timed_out = true;
			return -ETIMEDOUT;
		}
		if (errno != EINTR)
			return -errno;
	}
}

static int raw_send(struct conn *c, const void *p, size_t n)
{
	for (;;) {
		ssize_t w = send(c->fd, p, n, MSG_NOSIGNAL);
		if (w >= 0)
			return (int)w;
		if (errno == EINTR)
			continue;
		if (errno != EAGAIN)
			return -errno;
		int r = wait_fd(c, POLLOUT);
		if (r)
			return r;
	}
}

static int raw_recv(struct conn *c, void *p, size_t n)
{
	for (;;) {
		ssize_t r = recv(c->fd, p, n, 0);
		if (r >= 0)
			return (int)r;
		if (errno == EINTR)
			continue;
		if (errno != EAGAIN)
			return -errno;
		int w = wait_fd(c, POLLIN);
		if (w)
			return w;
	}
}

static int bio_send(void *ctx, const unsigned char *p, size_t n)
{
	int r = raw_send(ctx, p, n);
	return r < 0 ? (r == -ETIMEDOUT ? MBEDTLS_ERR_SSL_TIMEOUT : MBEDTLS_ERR_NET_SEND_FAILED) : r;
}

static int bio_recv(void *ctx, unsigned char *p, size_t n)
{
	int r = raw_recv(ctx, p, n);
	return r < 0 ? (r == -ETIMEDOUT ? MBEDTLS_ERR_SSL_TIMEOUT : MBEDTLS_ERR_NET_RECV_FAILED) : r;
}

static void conn_close(struct conn *c)
{
	if (c->tls_ready) {
		mbedtls_ssl_free(&c->ssl);
		mbedtls_ssl_config_free(&c->conf);
		mbedtls_ctr_drbg_free(&c->drbg);
		mbedtls_entropy_free(&c->entropy);
		c->tls_ready = false;
	}
	if (c->fd >= 0)
		close(c->fd);
	c->fd = -1;
}

static int tcp_connect(struct conn *c, const struct url *u, uint32_t connect_ms, struct kerr *e)
{
	struct addrinfo hints = {.ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM,
		.ai_flags = AI_NUMERICSERV | AI_ADDRCONFIG}, *ai = NULL;
	char port[8];
	int ret = -EHOSTUNREACH;

	snprintf(port, sizeof(port), "%u", u->port);
	int g = getaddrinfo(u->host, port, &hints, &ai);
	if (g) {
		hints.ai_flags = AI_NUMERICSERV; /* no configured address yet: try anyway */
		g = getaddrinfo(u->host, port, &hints, &ai);
	}
	if (g)
		return kerr_set(e, -EHOSTUNREACH, "cannot resolve %s: %s", u->host, gai_strerror(g));
	for (struct addrinfo *a = ai; a; a = a->ai_next) {
		int fd = socket(a->ai_family, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
		if (fd < 0) {
			ret = -errno;
			continue;
		}
		c->fd = fd;
		uint64_t saved = c->phase_deadline;
		c->phase_deadline = mono_ms() + (connect_ms ? connect_ms : DEFAULT_CONNECT_MS);
		if (connect(fd, a->ai_addr, a->ai_addrlen) && errno != EINPROGRESS) {
			ret = -errno;
		} else {
			uint32_t idle = c->idle_ms;
			c->idle_ms = 0;
			ret = wait_fd(c, POLLOUT);
			c->idle_ms = idle;
			int err = 0;
			socklen_t len = sizeof(err);
			if (!ret && getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len))
				err = errno;
			if (!ret && err)
				ret = -err;
		}
		c->phase_deadline = saved;
		if (!ret) {
			int one = 1;
			setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
			break;
		}
		close(fd);
		c->fd = -1;
	}
	freeaddrinfo(ai);
	if (ret)
		kerr_set(e, ret, "connect to %s port %u: %s", u->host, u->port, strerror(-ret));
	return ret;
}

static int tls_start(struct conn *c, const struct url *u, const struct http_ca *ca, struct kerr *e)
{
	int r;
	static bool psa_ready;

	if (!ca || !ca->count)
		return kerr_set(e, -ENOKEY, "https: no trusted certificate authorities");
	if (!psa_ready) {
		if (psa_crypto_init() != PSA_SUCCESS)
			return kerr_set(e, -EIO, "https: PSA crypto initialisation failed");
		psa_ready = true;
	}
	mbedtls_ssl_init(&c->ssl);
	mbedtls_ssl_config_init(&c->conf);
	mbedtls_entropy_init(&c->entropy);
	mbedtls_ctr_drbg_init(&c->drbg);
	c->tls_ready = true;
	if ((r = mbedtls_ctr_drbg_seed(&c->drbg, mbedtls_entropy_func, &c->entropy, (const unsigned char *)"keel-http", 9)) ||
		(r = mbedtls_ssl_config_defaults(&c->conf, MBEDTLS_SSL_IS_CLIENT, MBEDTLS_SSL_TRANSPORT_STREAM,
			 MBEDTLS_SSL_PRESET_DEFAULT)))
		return kerr_set(e, -EIO, "https: TLS setup failed (mbedtls -0x%04x)", (unsigned)-r);
	mbedtls_ssl_conf_authmode(&c->conf, MBEDTLS_SSL_VERIFY_REQUIRED);
	mbedtls_ssl_conf_ca_chain(&c->conf, (mbedtls_x509_crt *)&ca->crt, NULL);
	mbedtls_ssl_conf_rng(&c->conf, mbedtls_ctr_drbg_random, &c->drbg);
	mbedtls_ssl_conf_min_tls_version(&c->conf, MBEDTLS_SSL_VERSION_TLS1_2);
	if ((r = mbedtls_ssl_setup(&c->ssl, &c->conf)) || (r = mbedtls_ssl_set_hostname(&c->ssl, u->host)))
		return kerr_set(e, -EIO, "https: TLS setup failed (mbedtls -0x%04x)", (unsigned)-r);
	mbedtls_ssl_set_bio(&c->ssl, c, bio_send, bio_recv, NULL);
	while ((r = mbedtls_ssl_handshake(&c->ssl))) {
		if (r == MBEDTLS_ERR_SSL_WANT_READ || r == MBEDTLS_ERR_SSL_WANT_WRITE)
			continue;
		if (c->timed_out)
			return kerr_set(e, -ETIMEDOUT, "https: TLS handshake with %s timed out", u->host);
		uint32_t flags = mbedtls_ssl_get_verify_result(&c->ssl);
		if (flags && flags != (uint32_t)-1) {
			char why[256];
			mbedtls_x509_crt_verify_info(why, sizeof(why), "", flags);
			why[strcspn(why, "\n")] = 0;
			return kerr_set(e, -EKEYREJECTED, "https: certificate of %s not trusted: %s", u->host, why);
		}
		return kerr_set(e, -ECONNABORTED, "https: TLS handshake with %s failed (mbedtls -0x%04x)", u->host,
			(unsigned)-r);
	}
	c->tls = true;
	return 0;
}

static int conn_write(struct conn *c, const void *p, size_t n)
{
	const unsigned char *s = p;
	while (n) {
		int w = c->tls ? mbedtls_ssl_write(&c->ssl, s, n) : raw_send(c, s, n);
		if (c->tls && (w == MBEDTLS_ERR_SSL_WANT_READ || w == MBEDTLS_ERR_SSL_WANT_WRITE))
			continue;
		if (w <= 0)
			return c->timed_out ? -ETIMEDOUT : (c->tls || !w ? -EPIPE : w);
		s += w;
		n -= (size_t)w;
	}
	return 0;
}

/* Read some bytes: >0 count, 0 EOF, <0 -errno. */
static int conn_read(struct conn *c, void *p, size_t n)
{
	if (!c->tls) {
		int r = raw_recv(c, p, n);
		return r;
	}
	for (;;) {
		int r = mbedtls_ssl_read(&c->ssl, p, n);
		if (r > 0)
			return r;
		if (r == MBEDTLS_ERR_SSL_WANT_READ || r == MBEDTLS_ERR_SSL_WANT_WRITE ||
			r == MBEDTLS_ERR_SSL_RECEIVED_NEW_SESSION_TICKET)
			continue;
		if (r == 0 || r == MBEDTLS_ERR_SSL_PEER_CLOSE_NOTIFY) {
			c->eof_notify = r == MBEDTLS_ERR_SSL_PEER_CLOSE_NOTIFY;
			return 0;
		}
		if (c->timed_out)
			return -ETIMEDOUT;
		if (r == MBEDTLS_ERR_NET_RECV_FAILED)
			return -ECONNRESET;
		return -EPROTO;
	}
}

/* ---- one request ---------------------------------------------------------------------- */

struct body {
	http_sink_fn sink;
	void *ctx;
	uint64_t max;
	uint64_t got;
	struct kerr *e;
};

static int body_sink(void *ctx, const void *data, size_t len)
{
	struct body *b = ctx;
	if (!len)
		return 0;
	if (b->max && (b->got + len > b->max || b->got + len < b->got))
		return kerr_set(b->e, -EFBIG, "answer larger than the limit of %llu bytes", (unsigned long long)b->max);
	b->got += len;
	int r = b->sink ? b->sink(b->ctx, data, len) : 0;
	if (r < 0)
		kerr_set(b->e, r, "storing the answer: %s", strerror(-r));
	return r;
}

/* host: the first hl bytes of hp (host[:port]); auth: a Proxy-Authorization header line or "";
 * through an http proxy, the absolute URL */
static int build_request(struct buf *req, const struct url *u, const struct http_opts *o, bool first, bool proxied,
	const char *auth, const char *hp, int hl)
{
	int r = buf_printf(req, "%s %s%.*s%s HTTP/1.1\r\n%sHost: %.*s", o->method ? o->method : "GET", proxied ? "http://" : "",
		proxied ? hl : 0, hp, u->path, auth, hl, hp);
	bool ua = false, accept = false;
	for (size_t i = 0; first && !r && i < o->nheaders; i++) {
		ua |= !strcasecmp(o->headers[i].name, "User-Agent");
		accept |= !strcasecmp(o->headers[i].name, "Accept");
	}
	if (!r && !ua)
		r = buf_printf(req, "\r\nUser-Agent: %s", o->user_agent ? o->user_agent : "keel");
	if (!r && !accept)
		r = buf_puts(req, "\r\nAccept: */*");
	if (!r)
		r = buf_puts(req, "\r\nAccept-Encoding: identity\r\nConnection: close");
	if (!r && o->range_start)
		r = buf_printf(req, "\r\nRange: bytes=%llu-", (unsigned long long)o->range_start);
	for (size_t i = 0; first && !r && i < o->nheaders; i++)
		r = buf_printf(req, "\r\n%s: %s", o->headers[i].name, o->headers[i].value ? o->headers[i].value : "");
	if (!r && o->method)
		r = buf_printf(req, "\r\nContent-Type: application/json\r\nContent-Length: %zu", o->body_len);
	if (!r)
		r = buf_puts(req, "\r\n\r\n");
	if (!r && o->body_len)
		r = buf_put(req, o->body, o->body_len);
	return r;
}

enum { ATTEMPT_DONE, ATTEMPT_REDIRECT, ATTEMPT_RETRY };

/* One request/response on a fresh connection. Returns <0 on failure, else one of the above. */
static int attempt(const struct url *u, const struct http_opts *o, bool first, struct body *body, uint64_t total_deadline,
	struct http_head *h, struct http_result *res, struct kerr *e)
{
	struct conn c = {.fd = -1, .total_deadline = total_deadline, .idle_ms = o->idle_timeout_ms};
	struct buf req = BUF_INIT(65536), in = BUF_INIT(o->max_header_bytes ? o->max_header_bytes : DEFAULT_HEADER_MAX);
	uint8_t chunk[READ_CHUNK];
	size_t headlen = 0;
	int ret;
	char where[96];

	url_redact(u, where, sizeof(where));
	const char *proxy = proxy_for(o->proxy, u);
	struct url pu;
	char auth[PROXY_AUTH_MAX] = "", hp[URL_HOST_MAX + 8];
	bool tunnel = proxy && u->tls;
	int hl = snprintf(hp, sizeof(hp), "%s%s%s:%u", u->ipv6 ? "[" : "", u->host, u->ipv6 ? "]" : "", u->port);
	if (!u->port_given) /* the Host header: the port only if the URL has one */
		hl = (int)(strrchr(hp, ':') - hp);
	if (proxy && (ret = proxy_parse(u->tls ? o->proxy->https_var : o->proxy->http_var, proxy, &pu, auth, e)))
		goto out;
	if ((ret = tcp_connect(&c, proxy ? &pu : u, o->connect_timeout_ms, e)))
		goto retry_or_fail;
	if (tunnel) { /* to the origin through the proxy: CONNECT, then TLS with the origin */
		if ((ret = buf_printf(&req, "CONNECT %s HTTP/1.1\r\nHost: %s\r\n%s\r\n", hp, hp, auth)))
			goto out;
		goto send;
	}
tls:
	if (u->tls && (ret = tls_start(&c, u, o->ca, e)))
		goto retry_or_fail;
	if ((ret = build_request(&req, u, o, first, proxy && !u->tls, proxy && !u->tls ? auth : "", hp, hl))) {
		kerr_set(e, ret, "%s: request too large", where);
		goto out;
	}
send:
	c.phase_deadline = o->header_timeout_ms ? mono_ms() + o->header_timeout_ms : 0;
	if ((ret = conn_write(&c, req.p, req.len))) {
		kerr_set(e, ret, "%s: sending the request: %s", where, strerror(-ret));
		goto retry_or_fail;
	}
	/* the head (skipping interim 1xx answers) */
	for (;;) {
		while (!(headlen = http_head_len((const char *)in.p, in.len))) {
			if (in.len >= in.max) {
				ret = kerr_set(e, -EPROTO, "%s: response head larger than %zu bytes", where, in.max);
				goto out;
			}
			size_t want = in.max - in.len < sizeof(chunk) ? in.max - in.len : sizeof(chunk);
			int r = conn_read(&c, chunk, want);
			if (r <= 0) {
				ret = r ? r : -EPROTO;
				kerr_set(e, ret, "%s: %s before the response head was complete", where,
					r == -ETIMEDOUT ? "timed out" : r ? strerror(-r) : "connection closed");
				goto retry_or_fail;
			}
			if ((ret = buf_put(&in, chunk, (size_t)r)))
				goto out;
		}
		if ((ret = http_parse_head((const char *)in.p, headlen, h, e))) {
			kerr_wrap(e, ret, "%s", where);
			goto out;
		}
		if (h->status >= 200 || h->status == 101)
			break;
		memmove(in.p, in.p + headlen, in.len - headlen);
		in.len -= headlen;
	}
	if (tunnel) { /* a 2xx answer to CONNECT, and nothing after it */
		if (h->status / 100 != 2 || in.len != headlen) {
			ret = kerr_set(e, -ECONNREFUSED, "%s: proxy %s port %u refused CONNECT %s: HTTP %d", where, pu.host, pu.port,
				hp, h->status);
			goto out;
		}
		tunnel = false;
		in.len = req.len = 0;
		goto tls;
	}
	c.phase_deadline = 0;
	res->status = h->status;
	res->length = h->content_length;
	if (h->status >= 300 && h->status < 400 && h->status != 304) {
		if (!h->has_location) {
			ret = kerr_set(e, -EPROTO, "%s: HTTP %d without a Location", where, h->status);
			goto out;
		}
		ret = ATTEMPT_REDIRECT;
		goto out;
	}
	if (o->any_status)
		goto body;
	if (h->status >= 500) {
		ret = kerr_set(e, -EREMOTEIO, "%s: HTTP %d", where, h->status);
		goto retry_or_fail;
	}
	if (o->range_start && h->status == 416) { /* never "complete already": what is there may be stale */
		if (h->range_unsatisfied)
			ret = kerr_set(e, -EREMOTEIO, "%s: HTTP 416: bytes from %llu on not satisfiable, the resource has %lld bytes",
				where, (unsigned long long)o->range_start, (long long)h->range_total);
		else
			ret = kerr_set(e, -EREMOTEIO, "%s: HTTP 416: bytes from %llu on not satisfiable", where,
				(unsigned long long)o->range_start);
		goto out;
	}
	if (o->range_start ? h->status != 206 && h->status != 200 : h->status != 200) {
		ret = kerr_set(e, -EREMOTEIO, "%s: HTTP %d", where, h->status);
		goto out;
	}
	if (h->range_unsatisfied) {
		ret = kerr_set(e, -EPROTO, "%s: Content-Range without a range in a %d answer", where, h->status);
		goto out;
	}
	if (h->status == 206) { /* exactly the rest: from range_start to the end */
		if (!h->has_range || h->range_first != o->range_start) {
			ret = kerr_set(e, -EPROTO, "%s: 206 answer does not start at byte %llu", where,
				(unsigned long long)o->range_start);
			goto out;
		}
		if (h->range_total >= 0 && h->range_last + 1 != (uint64_t)h->range_total) {
			ret = kerr_set(e, -EPROTO, "%s: 206 answer ends at byte %llu of %lld, not at the end", where,
				(unsigned long long)h->range_last, (long long)h->range_total);
			goto out;
		}
		res->range_start = h->range_first;
		res->total_size = h->range_total;
		if (h->content_length >= 0 && (uint64_t)h->content_length != h->range_last - h->range_first + 1) {
			ret = kerr_set(e, -EPROTO, "%s: Content-Length does not match Content-Range", where);
			goto out;
		}
	} else if (h->has_range) {
		ret = kerr_set(e, -EPROTO, "%s: Content-Range in a 200 answer", where);
		goto out;
	}
	if (h->content_length >= 0 && body->max && (uint64_t)h->content_length > body->max) {
		ret = kerr_set(e, -EFBIG, "%s: answer of %lld bytes, more than the limit of %llu", where,
			(long long)h->content_length, (unsigned long long)body->max);
		goto out;
	}
	if (o->range_start && h->status == 200) { /* the whole resource from byte 0: never appended */
		if (!o->restart) {
			ret = kerr_set(e, -EPROTO, "%s: bytes from %llu on asked for, the whole resource (HTTP 200) sent, and "
				"the output cannot start over", where, (unsigned long long)o->range_start);
			goto out;
		}
		if ((ret = o->restart(body->ctx))) {
			ret = kerr_set(e, ret < 0 ? ret : -EIO, "%s: starting the output over: %s", where,
				strerror(ret < 0 ? -ret : EIO));
			goto out;
		}
	}
body:
	{
		struct http_chunked ch;
		http_chunked_init(&ch, o->max_header_bytes ? o->max_header_bytes : DEFAULT_HEADER_MAX);
		const uint8_t *p = in.p + headlen;
		size_t n = in.len - headlen;
		uint64_t left = h->content_length >= 0 ? (uint64_t)h->content_length : 0;
		bool done = h->content_length == 0;
		for (;;) {
			if (n && h->chunked) {
				size_t used;
				int r = http_chunked_feed(&ch, p, n, &used, body_sink, body, e);
				if (r < 0) {
					ret = r;
					kerr_wrap(e, r, "%s", where);
					goto out;
				}
				done = r == 1;
			} else if (n && h->content_length >= 0) {
				size_t k = n > left ? (size_t)left : n;
				if ((ret = body_sink(body, p, k))) {
					kerr_wrap(e, ret, "%s", where);
					goto out;
				}
				left -= k;
				done = !left;
			} else if (n && (ret = body_sink(body, p, n))) {
				kerr_wrap(e, ret, "%s", where);
				goto out;
			}
			if (done)
				break;
			int r = conn_read(&c, chunk, sizeof(chunk));
			if (r < 0) {
				ret = kerr_set(e, r, "%s: %s after %llu bytes of the answer", where,
					r == -ETIMEDOUT ? "timed out" : strerror(-r), (unsigned long long)body->got);
				goto out;
			}
			if (!r) {
				if (h->chunked || h->content_length >= 0) {
					ret = kerr_set(e, -EPROTO, "%s: connection closed after %llu bytes: answer truncated", where,
						(unsigned long long)body->got);
					goto out;
				}
				if (c.tls && !c.eof_notify) {
					ret = kerr_set(e, -EPROTO, "%s: TLS connection closed without close_notify: answer may be truncated",
						where);
					goto out;
				}
				break;
			}
			p = chunk;
			n = (size_t)r;
		}
	}
	res->received = body->got;
	ret = ATTEMPT_DONE;
	goto out;
retry_or_fail:
	if (ret < 0 && !body->got && ret != -EKEYREJECTED && ret != -ENOKEY)
		ret = ATTEMPT_RETRY;
out:
	conn_close(&c);
	buf_free(&req);
	buf_free(&in);
	return ret;
}

int http_get(const char *url, const struct http_opts *o, http_sink_fn sink, void *ctx,
	struct http_result *res, struct kerr *e)
{
	struct url u, next;
	struct http_head *h = NULL;
	struct body body = {.sink = sink, .ctx = ctx, .max = o->max_body, .e = e};
	uint64_t start = mono_ms(), deadline = o->total_timeout_ms ? start + o->total_timeout_ms : 0;
	uint32_t backoff = 100;
	int ret, tries = 0;
	bool first = true;

	memset(res, 0, sizeof(*res));
	res->length = -1;
	res->total_size = -1;
	if ((ret = url_parse(&u, url, strlen(url), e)))
		return ret;
	h = calloc(1, sizeof(*h));
	if (!h)
		return kerr_set(e, -ENOMEM, "out of memory");
	for (;;) {
		struct kerr sub = {0};
		body.e = &sub;
		res->attempts++;
		ret = attempt(&u, o, first, &body, deadline, h, res, &sub);
		if (ret == ATTEMPT_DONE) {
			ret = 0;
			break;
		}
		if (ret == ATTEMPT_REDIRECT) {
			if (res->redirects >= o->max_redirects) {
				ret = kerr_set(e, -ELOOP, "more than %d redirects", o->max_redirects);
				break;
			}
			if ((ret = url_resolve(&next, &u, h->location, strlen(h->location), e)))
				break;
			if (u.tls && !next.tls) {
				ret = kerr_set(e, -EPERM, "redirect from https to http refused");
				break;
			}
			res->redirects++;
			u = next;
			first = false;
			continue;
		}
		if (ret == ATTEMPT_RETRY && tries < o->retries) {
			int left = remaining(deadline, 0);
			if (left >= 0 && (uint32_t)left <= backoff) {
				*e = sub;
				ret = sub.code ? sub.code : -ETIMEDOUT;
				break;
			}
			tries++;
			struct timespec ts = {backoff / 1000, (long)(backoff % 1000) * 1000000L};
			while (nanosleep(&ts, &ts) && errno == EINTR)
				;
			backoff = backoff * 2 > 5000 ? 5000 : backoff * 2;
			continue;
		}
		if (ret == ATTEMPT_RETRY)
			ret = sub.code ? sub.code : -EIO;
		if (e && sub.msg[0])
			*e = sub;
		else
			kerr_set(e, ret, "%s", strerror(-ret));
		break;
	}
	if (!ret && deadline && mono_ms() > deadline)
		ret = kerr_set(e, -ETIMEDOUT, "timed out");
	free(h);
	return ret;
}
