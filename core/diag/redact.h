/* redact.h — streaming secret redaction for support bundles, and the scanner that checks them.
 *
 * A struct redact takes a byte stream in pieces of any size (redact_write) and hands the
 * redacted stream to a write callback. Work is per line: a line ends at '\n' or at NUL (so
 * /proc/PID/cmdline and environ are seen one argument / one variable at a time). Memory is
 * bounded: a line longer than REDACT_LINE is processed in pieces, keeping a window of
 * REDACT_WINDOW bytes so that a secret split across pieces (or across redact_write calls) is
 * still recognised; a masked value that runs past the piece stays masked up to the line's end
 * (or its closing quote).
 *
 * Rules (all of them mask the whole value, spaces included, with REDACT_MASK):
 *   password-hash     $1$ $2a$ $2b$ $2y$ $5$ $6$ $7$ $y$ $gy$ $md5$ $sha1$ $apr1$ $argon2*$ …
 *                     followed by salt$hash: everything after "$ID$" up to a non-hash byte
 *   private-key       -----BEGIN <…PRIVATE KEY…>-----: the body up to -----END is one mask line
 *                     (also inline, as in JSON strings with "\n" escapes)
 *   secret-value      KEY=V, KEY: V, "KEY": "V", KEY = V where KEY contains password, passwd,
 *                     secret, token, apikey, api_key, api-key, credential(s), private_key,
 *                     privatekey, access_key, authorization (so Authorization: and
 *                     Proxy-Authorization: headers), or is exactly auth (docker config), pass,
 *                     pwd — or contains a key added with redact_add_key (the host's config).
 *                     A quoted value is masked to its closing quote, any other to the end of line.
 *   secret-argument   --password X / --token X (same key words, starting with '-'): the rest of
 *                     the line; in a NUL-separated argv, the whole next argument
 *   url-credentials   scheme://user:pass@host: the whole user:pass
 * The scanner (REDACT_SCAN) reports every place where one of these rules would still mask
 * something other than REDACT_MASK, plus token shapes that no rule redacts (REDACT_SHAPES):
 *   aws-access-key (AKIA…), github-token (ghp_ gho_ ghu_ ghs_ ghr_ github_pat_), gitlab-token
 *   (glpat-), slack-token (xoxb- …), stripe-key (sk_live_), jwt (eyJ….eyJ….…).
 * A key word matches where it is not followed by a lower-case letter ("tokenizer" is no key).
 */
#ifndef KEEL_DIAG_REDACT_H
#define KEEL_DIAG_REDACT_H

#include <stddef.h>
#include <stdint.h>

#define REDACT_MASK "[REDACTED]"
#define REDACT_LINE (64u << 10)   /* bytes of one line held at once */
#define REDACT_WINDOW 1024u       /* carried over when a long line is processed in pieces */
#define REDACT_KEY_MAX 128u       /* a longer run of key bytes is no key */
#define REDACT_EXTRA_MAX 16       /* keys added by the host's config */

enum redact_mode {
	REDACT_MASKING = 0, /* write the stream with secrets masked */
	REDACT_SCAN = 1,    /* write nothing; report what is not masked */
	REDACT_SHAPES = 2,  /* with REDACT_SCAN: also report token shapes */
};

struct redact_hit {
	const char *rule;  /* one of the rule names above */
	uint64_t off;      /* offset of the secret in the stream */
	size_t len;        /* its length (what was in view, for a value running past a piece) */
	char shown[48];    /* the span masked: its first bytes, then '*' */
};

/* Write callback: 0 or a negative errno (which redact_write/redact_finish then return). */
typedef int (*redact_out_fn)(void *ctx, const void *p, size_t n);
/* Hit callback (scan mode); may be NULL: the first hit is kept in first_hit either way. */
typedef void (*redact_hit_fn)(void *ctx, const struct redact_hit *h);

struct redact {
	int mode;
	redact_out_fn out;
	redact_hit_fn on_hit;
	void *ctx;
	const char *extra[REDACT_EXTRA_MAX];
	int nextra;
	uint64_t hits;
	struct redact_hit first_hit;
	/* private */
	uint8_t *line;   /* REDACT_LINE bytes */
	size_t len;
	uint64_t off;    /* stream offset of line[0] */
	int cont;        /* line[0] continues a line processed in pieces */
	int state;
	int quote;
	int pem_done;    /* the private key's mask line was written */
	int mask_next;   /* the next NUL-separated argument is a secret */
	size_t mend;     /* where the last mask of this line ended */
	uint8_t *obuf;
	size_t olen;
	int err;
};

/* mode: REDACT_MASKING (out receives the stream) or REDACT_SCAN [| REDACT_SHAPES] (out may be
 * NULL). -ENOMEM. */
int redact_init(struct redact *r, int mode, redact_out_fn out, redact_hit_fn on_hit, void *ctx);
/* Add a secret key word (the host's config); the string must outlive r. -E2BIG, -EINVAL. */
int redact_add_key(struct redact *r, const char *key);
int redact_write(struct redact *r, const void *p, size_t n);
/* End of stream: the last line is processed, everything written. */
int redact_finish(struct redact *r);
void redact_free(struct redact *r); /* accepts NULL and a zeroed struct */

/* The whole of in[0..n) redacted into out (a struct buf), for small texts. */
struct buf;
int redact_buf(const void *in, size_t n, struct buf *out);

#endif
