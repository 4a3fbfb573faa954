/* json_write.c — the writer behind applets' --json output (struct jw): compact RFC 8259 JSON,
 * strings escaped, invalid UTF-8 replaced by U+FFFD; errors are sticky and jw_finish() reports
 * the first, so callers write a whole report and check once.
 */
#include "base/json.h"
#include "base/json_impl.h"
#include "base/buf.h"
#include "base/utf8.h"

#include <errno.h>
#include <inttypes.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

enum { JW_MAX_DEPTH = 63 };

void jw_init(struct jw *w, struct buf *b)
{
	memset(w, 0, sizeof(*w));
	w->b = b;
}

static void jw_fail(struct jw *w, int err)
{
	if (!w->err)
		w->err = err;
}

static void jw_put(struct jw *w, const void *s, size_t n)
{
	int ret;

	if (w->err)
		return;
	ret = buf_put(w->b, s, n);
	if (ret)
		jw_fail(w, ret);
}

static uint64_t jw_bit(const struct jw *w) { return (uint64_t)1 << w->depth; }

/* Before a value: is one allowed here? Writes the comma an array needs. */
static int jw_begin(struct jw *w)
{
	if (w->err)
		return 0;
	if (w->depth && (w->in_obj & jw_bit(w))) {
		if (!w->after_key)
			jw_fail(w, -EINVAL); /* a value where a key is needed */
	} else if (w->need_comma & jw_bit(w)) {
		if (!w->depth)
			jw_fail(w, -EINVAL); /* a second top-level value */
		jw_put(w, ",", 1);
	}
	return !w->err;
}

static void jw_done(struct jw *w)
{
	w->need_comma |= jw_bit(w);
	w->after_key = false;
}

static void jw_open(struct jw *w, char c, bool obj)
{
	if (!jw_begin(w))
		return;
	if (w->depth >= JW_MAX_DEPTH) {
		jw_fail(w, -EINVAL);
		return;
	}
	jw_put(w, &c, 1);
	w->after_key = false;
	w->depth++;
	w->need_comma &= ~jw_bit(w);
	if (obj)
		w->in_obj |= jw_bit(w);
	else
		w->in_obj &= ~jw_bit(w);
}

static void jw_close(struct jw *w, char c, bool obj)
{
	if (w->err)
		return;
	if (!w->depth || !(w->in_obj & jw_bit(w)) != !obj || w->after_key) {
		jw_fail(w, -EINVAL);
		return;
	}
	jw_put(w, &c, 1);
	w->in_obj &= ~jw_bit(w);
	w->need_comma &= ~jw_bit(w);
	w->depth--;
	jw_done(w);
}

void jw_obj(struct jw *w) { jw_open(w, '{', true); }
void jw_obj_end(struct jw *w) { jw_close(w, '}', true); }
void jw_arr(struct jw *w) { jw_open(w, '[', false); }
void jw_arr_end(struct jw *w) { jw_close(w, ']', false); }

/* A string with '"', '\' and control characters escaped, invalid UTF-8 as U+FFFD. */
static void jw_string(struct jw *w, const char *str, size_t n)
{
	const unsigned char *s = (const unsigned char *)str, *end = s + n, *run = s;

	jw_put(w, "\"", 1);
	while (s < end && !w->err) {
		char esc[7] = {'\\', 0, 0, 0, 0, 0, 0};
		size_t k = 1, elen = 2;
		int ok = 1;

		if (*s >= 0x80)
			k = utf8_seq(s, end, &ok);
		if (ok && *s >= 0x20 && *s != '"' && *s != '\\') {
			s += k;
			continue;
		}
		jw_put(w, run, (size_t)(s - run));
		if (!ok) {
			jw_put(w, "\xef\xbf\xbd", 3);
		} else {
			switch (*s) {
			case '"': esc[1] = '"'; break;
			case '\\': esc[1] = '\\'; break;
			case '\b': esc[1] = 'b'; break;
			case '\f': esc[1] = 'f'; break;
			case '\n': esc[1] = 'n'; break;
			case '\r': esc[1] = 'r'; break;
			case '\t': esc[1] = 't'; break;
			default:
				memcpy(esc + 1, "u00", 3);
				hex_encode(esc + 4, s, 1); /* writes a NUL at esc[6], inside the array */
				elen = 6;
			}
			jw_put(w, esc, elen);
		}
		s += k;
		run = s;
	}
	jw_put(w, run, (size_t)(end - run));
	jw_put(w, "\"", 1);
}

void jw_key(struct jw *w, const char *key)
{
	if (w->err)
		return;
	if (!key || !w->depth || !(w->in_obj & jw_bit(w)) || w->after_key) {
		jw_fail(w, -EINVAL);
		return;
	}
	if (w->need_comma & jw_bit(w))
		jw_put(w, ",", 1);
	jw_string(w, key, strlen(key));
	jw_put(w, ":", 1);
	w->after_key = true;
}

void jw_strn(struct jw *w, const char *s, size_t n)
{
	if (!s && n)
		jw_fail(w, -EINVAL);
	if (!jw_begin(w))
		return;
	jw_string(w, s ? s : "", n);
	jw_done(w);
}

void jw_str(struct jw *w, const char *s)
{
	if (!s)
		jw_fail(w, -EINVAL);
	jw_strn(w, s, s ? strlen(s) : 0);
}

static void jw_raw(struct jw *w, const char *text)
{
	if (!jw_begin(w))
		return;
	jw_put(w, text, strlen(text));
	jw_done(w);
}

void jw_int(struct jw *w, int64_t v)
{
	char num[24];

	snprintf(num, sizeof(num), "%" PRId64, v);
	jw_raw(w, num);
}

void jw_uint(struct jw *w, uint64_t v)
{
	char num[24];

	snprintf(num, sizeof(num), "%" PRIu64, v);
	jw_raw(w, num);
}

void jw_bool(struct jw *w, bool v) { jw_raw(w, v ? "true" : "false"); }
void jw_null(struct jw *w) { jw_raw(w, "null"); }

int jw_finish(struct jw *w)
{
	if (!w->err && (w->depth || w->after_key || !(w->need_comma & 1)))
		jw_fail(w, -EINVAL); /* unbalanced, a key without value, or nothing written */
	return w->err;
}
