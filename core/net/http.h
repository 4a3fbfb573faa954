/* http.h — a small HTTP/1.1 client: GET over TCP, TLS 1.2/1.3 through mbedtls.
 *
 * One request per connection ("Connection: close"). Everything is bounded: response headers
 * (size and count), the body (max_body), time (connect, response headers, idle gaps, total),
 * redirects (301/302/303/307/308, never https -> http, request headers dropped on the way as
 * Ignition does) and retries (connection failures, header timeouts and 5xx answers, only
 * before any body byte was delivered; the back-off doubles from 100 ms to 5 s). The body
 * (Content-Length, chunked, or up to the close) goes to a sink callback as it arrives, so a
 * caller can hash and store it without holding it in memory. Range requests (range_start)
 * resume a download into a sink that holds the first range_start bytes already: a 206 answer
 * must carry exactly the rest (Content-Range from range_start to the end of the resource); a 200
 * answer (a server that ignores Range) is the whole resource from byte 0, and is never appended:
 * the restart callback must empty the sink first, and without one such an answer is an error;
 * a 416 is an error that gives the resource's size, never "already complete".
 *
 * Response heads and chunked bodies are parsed by the functions below, separately from the
 * network, so they can be fuzzed.
 */
#ifndef KEEL_HTTP_H
#define KEEL_HTTP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <mbedtls/x509_crt.h>

#include "net/proxy.h"

struct buf;
struct kerr;

/* Trust anchors for https. */
struct http_ca {
	mbedtls_x509_crt crt;
	int count; /* certificates loaded */
};
void http_ca_init(struct http_ca *ca);
void http_ca_free(struct http_ca *ca); /* accepts NULL and an initialised, empty ca */
/* Add the certificates of a PEM bundle (or one DER certificate). A bundle where no certificate
 * parses is -EINVAL; individual unparsable certificates in a bundle are skipped. */
int http_ca_add(struct http_ca *ca, const void *data, size_t len, struct kerr *e);
/* Read the bundle at PATH (at most MAX bytes) and add it. A missing file is -ENOENT, which the
 * caller judges (a system bundle may be absent; a bundle the operator named may not). */
int http_ca_add_file(struct http_ca *ca, const char *path, size_t max, struct kerr *e);


struct http_header {
	const char *name;
	const char *value;
};

struct http_opts {
	uint32_t connect_timeout_ms; /* per address; 0: 10 s */
	uint32_t header_timeout_ms;  /* request sent -> end of the response head; 0: none */
	uint32_t idle_timeout_ms;    /* longest silence while reading; 0: none */
	uint64_t total_timeout_ms;   /* the whole call, retries and redirects included; 0: none */
	size_t max_header_bytes;     /* response head; 0: 64 KiB */
	uint64_t max_body;           /* larger bodies are -EFBIG; 0: no limit */
	int max_redirects;           /* 0: none followed */
	int retries;                 /* extra attempts (see above) */
	const struct http_header *headers; /* added to the first request only */
	size_t nheaders;
	uint64_t range_start;        /* > 0: "Range: bytes=N-", a 206 answer must start at N */
	/* range_start > 0 answered with 200, the whole resource: called with the sink's ctx before
	 * its first byte, it must discard what the sink holds (truncate the output to 0 bytes);
	 * non-zero aborts. NULL: such an answer is -EPROTO and the sink gets nothing. */
	int (*restart)(void *ctx);
	const struct http_ca *ca;    /* required for https */
	const char *user_agent;      /* NULL: "keel" */
	const char *method;          /* NULL: "GET"; "POST" sends body (application/json) */
	const void *body;
	size_t body_len;
	bool any_status;             /* every final answer (2xx-5xx) is delivered, res->status says which; no retries on 5xx */
	const struct http_proxy *proxy; /* NULL: every host directly */
};

struct http_result {
	int status;            /* of the final response */
	uint64_t received;     /* body bytes given to the sink */
	int64_t length;        /* Content-Length of the final response, -1 if none */
	uint64_t range_start;  /* first byte of the body (0 unless 206; 0 after a restart) */
	int64_t total_size;    /* 206: resource size from Content-Range, -1 if unknown */
	int redirects;         /* followed */
	int attempts;          /* requests made */
};

/* The sink receives the body in pieces; a non-zero return aborts the transfer with that code. */
typedef int (*http_sink_fn)(void *ctx, const void *data, size_t len);

/* GET (or o->method) url. Returns 0 after a 200 (any status with any_status) (or 206 for a range request) whose body reached the sink
 * completely; otherwise -errno: -ETIMEDOUT, -EFBIG (max_body), -EPROTO (malformed answer),
 * -EREMOTEIO (an HTTP error status; e names it), -ECONNREFUSED…, or the sink's code.
 * e says what failed; the URL in messages never shows its query. */
int http_get(const char *url, const struct http_opts *o, http_sink_fn sink, void *ctx,
	struct http_result *res, struct kerr *e);

/* ---- parsers (exposed for tests and fuzzing) ------------------------------------------- */

#define HTTP_LOCATION_MAX 4096

struct http_head {
	int status;
	int minor;              /* HTTP/1.<minor> */
	int64_t content_length; /* -1: none */
	bool chunked;
	bool has_location;
	char location[HTTP_LOCATION_MAX];
	bool has_range;         /* Content-Range: bytes first-last/total */
	uint64_t range_first, range_last;
	int64_t range_total;    /* -1 for "*" */
	bool range_unsatisfied; /* Content-Range: bytes <star>/total (a 416's): range_total only */
	size_t nheaders;
};

/* Length of the response head at the start of in[0..len) (through the empty line), 0 if it is
 * not complete yet. Lines end in CRLF or LF. */
size_t http_head_len(const char *in, size_t len);

/* Parse one complete response head (as measured by http_head_len). Refuses: a malformed status
 * line, header names with spaces or non-token characters, folded lines, control characters in
 * values, more than 100 header lines, two different Content-Length values, Content-Length
 * together with Transfer-Encoding, a transfer coding other than "chunked", a Content-Encoding
 * other than "identity" (keel never asks for compression), a malformed Content-Range. */
int http_parse_head(const char *in, size_t len, struct http_head *h, struct kerr *e);

/* Chunked transfer coding, fed in pieces. */
struct http_chunked {
	int state;
	uint64_t remaining; /* of the current chunk */
	unsigned digits;
	size_t linelen;     /* bytes of the current extension or trailer line */
	size_t trailer;     /* trailer bytes so far */
	size_t max_trailer;
};
void http_chunked_init(struct http_chunked *c, size_t max_trailer);
/* Decode in[0..len): data goes to sink. *used gets the bytes consumed. Returns 1 when the last
 * chunk and the trailer are complete (bytes after it are not consumed), 0 if more input is
 * needed, or -EPROTO (e says why) / the sink's error. */
int http_chunked_feed(struct http_chunked *c, const uint8_t *in, size_t len, size_t *used,
	http_sink_fn sink, void *ctx, struct kerr *e);

#endif
