/* buf.h — bounded byte buffers and strings.
 *
 * A struct buf grows on demand up to its max; going past max is -E2BIG, never a silent cut.
 * The str_* functions write NUL-terminated strings into fixed arrays and treat truncation as
 * an error (-ENAMETOOLONG), as OpenBSD's signify does with snprintf.
 */
#ifndef KEEL_BUF_H
#define KEEL_BUF_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

struct buf {
	uint8_t *p;    /* the bytes; p[len] is always 0 once anything was added */
	size_t len;    /* bytes in use */
	size_t cap;    /* bytes allocated */
	size_t max;    /* hard limit on len */
};

#define BUF_INIT(limit) {.p = NULL, .len = 0, .cap = 0, .max = (limit)}

void buf_init(struct buf *b, size_t max);
void buf_free(struct buf *b);        /* accepts NULL */
void buf_free_secret(struct buf *b); /* wipes the bytes first */
void buf_reset(struct buf *b);       /* len = 0, keeps the memory */
int buf_reserve(struct buf *b, size_t extra); /* room for extra more bytes (+ NUL) */
int buf_put(struct buf *b, const void *data, size_t n);
int buf_putc(struct buf *b, int c);
int buf_puts(struct buf *b, const char *s);
int buf_printf(struct buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
int buf_vprintf(struct buf *b, const char *fmt, va_list ap) __attribute__((format(printf, 2, 0)));
/* Hand the bytes to the caller (NUL-terminated, caller frees); b is left empty. */
char *buf_steal(struct buf *b, size_t *len);

/* Copy or format into dst[n]; -ENAMETOOLONG (dst holds "") if the result does not fit. */
int str_copy(char *dst, size_t n, const char *src);
int str_fmt(char *dst, size_t n, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
/* True if s starts with prefix / ends with suffix. */
int str_starts(const char *s, const char *prefix);
int str_ends(const char *s, const char *suffix);

/* The value of one hex digit (either case), 0..15; -1 for any other byte. */
int hex_digit(int c);
/* Lower-case hex of n bytes into out[2n+1]. */
void hex_encode(char *out, const uint8_t *in, size_t n);
/* Base64 (RFC 4648, padded) of n bytes into out[4*((n+2)/3)+1]; returns its length. */
size_t b64_encode(char *out, const uint8_t *in, size_t n);
/* Decode exactly 2*n hex digits (either case) from in[0..inlen); -EINVAL on any other input. */
int hex_decode(uint8_t *out, size_t n, const char *in, size_t inlen);
/* Parse a whole decimal string into [min, max]; -EINVAL (not a number) or -ERANGE. */
int parse_u64(const char *s, uint64_t min, uint64_t max, uint64_t *out);

/* Wipe memory that held a secret (never optimised away). */
void secure_wipe(void *p, size_t n);

#endif
