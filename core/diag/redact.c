/* redact.c — streaming secret redaction and the bundle scanner (rules: redact.h). */
#include "diag/redact.h"
#include "base/buf.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

enum { ST_NONE, ST_EOL, ST_QUOTE, ST_HASH, ST_PEM };

#define MASK_LEN (sizeof(REDACT_MASK) - 1)
#define OBUF (64u << 10)
#define URL_AUTH_MAX 512u
#define PEM_LABEL_MAX 64u

static const char *const key_words[] = {
	"password", "passwd", "passphrase", "secret", "token", "apikey", "api_key", "api-key",
	"credential", "credentials", "private_key", "privatekey", "private-key", "access_key",
	"accesskey", "authorization", NULL};
static const char *const key_exact[] = {"auth", "pass", "pwd", NULL};
static const char *const hash_ids[] = {
	"1", "2a", "2b", "2x", "2y", "3", "5", "6", "7", "y", "gy", "md5", "sha1", "apr1",
	"argon2i", "argon2d", "argon2id", "scrypt", "pbkdf2", "pbkdf2-sha256", "pbkdf2-sha512", NULL};

static int is_lower(int c) { return c >= 'a' && c <= 'z'; }
static int is_upper(int c) { return c >= 'A' && c <= 'Z'; }
static int is_digit(int c) { return c >= '0' && c <= '9'; }
static int is_alnum(int c) { return is_lower(c) || is_upper(c) || is_digit(c); }
static int lower(int c) { return is_upper(c) ? c + 32 : c; }
/* bytes of a key, a flag, a scheme or a token */
static int is_run(int c) { return is_alnum(c) || c == '_' || c == '.' || c == '-'; }
static int is_hash(int c) { return is_alnum(c) || c == '.' || c == '/' || c == '$' || c == '=' || c == ',' || c == '+'; }
static int is_space(int c) { return c == ' ' || c == '\t'; }

static int ieq(const uint8_t *p, const char *w, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (lower(p[i]) != w[i])
			return 0;
	return 1;
}

static const uint8_t *find(const uint8_t *p, size_t n, const char *s)
{
	return memmem(p, n, s, strlen(s));
}

/* w occurs in k[0..n) and is not followed by more of a word ("tokenizer" is not "token"). */
static int has_word(const uint8_t *k, size_t n, const char *w)
{
	size_t wl = strlen(w);
	for (size_t x = 0; x + wl <= n; x++) {
		if (!ieq(k + x, w, wl))
			continue;
		size_t e = x + wl;
		if (e < n && lower(k[e]) == 's')
			e++; /* one plural s */
		if (e == n)
			return 1;
		int up = is_upper(k[e - 1]);
		if (!is_lower(k[e]) && !(up && is_upper(k[e])))
			return 1;
	}
	return 0;
}

static int secret_key(const struct redact *r, const uint8_t *k, size_t n)
{
	for (int i = 0; key_exact[i]; i++)
		if (n == strlen(key_exact[i]) && ieq(k, key_exact[i], n))
			return 1;
	for (int i = 0; key_words[i]; i++)
		if (has_word(k, n, key_words[i]))
			return 1;
	for (int i = 0; i < r->nextra; i++)
		if (has_word(k, n, r->extra[i]))
			return 1;
	return 0;
}

int redact_add_key(struct redact *r, const char *key)
{
	size_t n = strlen(key);
	if (!n || n > REDACT_KEY_MAX)
		return -EINVAL;
	for (size_t i = 0; i < n; i++)
		if (!is_run((uint8_t)key[i]) || is_upper((uint8_t)key[i]))
			return -EINVAL; /* the words are compared in lower case */
	if (r->nextra >= REDACT_EXTRA_MAX)
		return -E2BIG;
	r->extra[r->nextra++] = key;
	return 0;
}

/* ---- output ---------------------------------------------------------------------------------- */

static void flush(struct redact *r)
{
	if (r->olen && !r->err && r->out)
		r->err = r->out(r->ctx, r->obuf, r->olen);
	r->olen = 0;
}

static void emit(struct redact *r, const void *p, size_t n)
{
	if (r->mode != REDACT_MASKING)
		return;
	while (n) {
		if (r->olen == OBUF)
			flush(r);
		size_t k = OBUF - r->olen < n ? OBUF - r->olen : n;
		memcpy(r->obuf + r->olen, p, k);
		r->olen += k;
		p = (const uint8_t *)p + k;
		n -= k;
	}
}

static void hit(struct redact *r, const char *rule, const uint8_t *p, size_t n)
{
	struct redact_hit h = {.rule = rule, .off = r->off + (uint64_t)(p - r->line), .len = n};
	size_t show = n / 3 < 4 ? n / 3 : 4, o = 0;
	for (; o < show; o++)
		h.shown[o] = p[o] >= 0x21 && p[o] < 0x7f ? (char)p[o] : '?';
	for (size_t i = show; i < n && o < 16; i++)
		h.shown[o++] = '*';
	r->hits++;
	if (r->hits == 1)
		r->first_hit = h;
	if (r->on_hit)
		r->on_hit(r->ctx, &h);
}

/* The literal bytes p[*lit..to) go out as they are. */
static void lit_to(struct redact *r, const uint8_t *p, size_t *lit, size_t to)
{
	if (to > *lit)
		emit(r, p + *lit, to - *lit);
	*lit = to;
}

/* p[s..e) is a secret: masked (or reported), unless it is the mask already. */
static void secret(struct redact *r, const char *rule, const uint8_t *p, size_t *lit, size_t s, size_t e)
{
	if (e <= s || (e - s == MASK_LEN && !memcmp(p + s, REDACT_MASK, MASK_LEN)))
		return;
	lit_to(r, p, lit, s);
	if (r->mode == REDACT_MASKING)
		emit(r, REDACT_MASK, MASK_LEN);
	else
		hit(r, rule, p + s, e - s);
	*lit = e;
	r->mend = e; /* in the output a mask ends here: what follows starts afresh */
}

/* ---- rules ----------------------------------------------------------------------------------- */

/* End of a line's value: its last byte that is not '\r' or a blank. */
static size_t trim_end(const uint8_t *p, size_t s, size_t n)
{
	while (n > s && (p[n - 1] == '\r' || is_space(p[n - 1])))
		n--;
	return n;
}

/* A closing quote q after s, or n; a backslash escapes in "…". */
static size_t close_quote(const uint8_t *p, size_t s, size_t n, int q)
{
	for (size_t i = s; i < n; i++) {
		if (p[i] == '\\' && q == '"')
			i++;
		else if (p[i] == q)
			return i;
	}
	return n;
}

/* $ID$salt$hash at p[i]: returns where scanning goes on, or 0. */
static size_t rule_hash(struct redact *r, const uint8_t *p, size_t n, size_t i, int open, size_t *lit)
{
	size_t k = i + 1;
	while (k < n && k - i <= 16 && (is_lower(p[k]) || is_digit(p[k]) || p[k] == '-'))
		k++;
	if (k >= n || p[k] != '$' || k == i + 1)
		return 0;
	int known = 0;
	for (int x = 0; hash_ids[x] && !known; x++)
		known = strlen(hash_ids[x]) == k - i - 1 && !memcmp(p + i + 1, hash_ids[x], k - i - 1);
	if (!known)
		return 0;
	size_t h = k + 1, e = h;
	int dollar = 0;
	while (e < n && is_hash(p[e]))
		dollar |= p[e++] == '$';
	if (open && e == n) {
		secret(r, "password-hash", p, lit, h, e);
		r->state = ST_HASH;
		return n;
	}
	if (e - h < 8 || !dollar)
		return 0;
	secret(r, "password-hash", p, lit, h, e);
	return e;
}

/* -----BEGIN …PRIVATE KEY----- at p[i]. */
static size_t rule_pem(struct redact *r, const uint8_t *p, size_t n, size_t i, size_t *lit)
{
	static const char begin[] = "-----BEGIN ";
	if (n - i < sizeof(begin) - 1 || memcmp(p + i, begin, sizeof(begin) - 1))
		return 0;
	size_t ls = i + sizeof(begin) - 1;
	size_t lmax = n - ls < PEM_LABEL_MAX ? n - ls : PEM_LABEL_MAX;
	size_t le = ls;
	while (le < ls + lmax && (is_upper(p[le]) || is_digit(p[le]) || p[le] == ' '))
		le++; /* a label is upper case, digits and spaces: a mask never makes one */
	if (n - le < 5 || memcmp(p + le, "-----", 5) || !find(p + ls, le - ls, "PRIVATE KEY"))
		return 0;
	size_t m = le + 5;
	const uint8_t *end = find(p + m, n - m, "-----END ");
	if (end) {
		secret(r, "private-key", p, lit, m, (size_t)(end - p));
		return (size_t)(end - p);
	}
	size_t e = trim_end(p, m, n);
	secret(r, "private-key", p, lit, m, e);
	r->state = ST_PEM;
	r->pem_done = e > m;
	return e;
}

/* A secret value starting at v (a quoted one up to its quote, else to the end of the line). */
static size_t value(struct redact *r, const char *rule, const uint8_t *p, size_t n, size_t v, int open, size_t *lit)
{
	if (p[v] == '"' || p[v] == '\'') {
		size_t c = close_quote(p, v + 1, n, p[v]);
		if (c < n) {
			secret(r, rule, p, lit, v + 1, c);
			return c;
		}
		if (open) {
			secret(r, rule, p, lit, v + 1, n);
			r->state = ST_QUOTE;
			r->quote = p[v];
			return n;
		}
		v++;
	}
	if (open) {
		secret(r, rule, p, lit, v, n);
		r->state = ST_EOL;
		return n;
	}
	size_t e = trim_end(p, v, n);
	secret(r, rule, p, lit, v, e);
	return e > v ? e : 0;
}

static const struct shape {
	const char *prefix, *rule;
	unsigned min;
	int extra; /* besides alphanumerics: '_' or '-' allowed */
} shapes[] = {
	{"AKIA", "aws-access-key", 16, 0},   {"ghp_", "github-token", 30, 0},
	{"gho_", "github-token", 30, 0},     {"ghu_", "github-token", 30, 0},
	{"ghs_", "github-token", 30, 0},     {"ghr_", "github-token", 30, 0},
	{"github_pat_", "github-token", 20, '_'}, {"glpat-", "gitlab-token", 20, '-'},
	{"xoxb-", "slack-token", 10, '-'},   {"xoxp-", "slack-token", 10, '-'},
	{"xoxa-", "slack-token", 10, '-'},   {"xoxr-", "slack-token", 10, '-'},
	{"sk_live_", "stripe-key", 16, 0},
};

/* Token shapes within the run p[i..j) (scanner only). */
static void rule_shapes(struct redact *r, const uint8_t *p, size_t i, size_t j)
{
	for (size_t x = i; x < j; x++) {
		if (x > i && is_alnum(p[x - 1]))
			continue;
		for (size_t s = 0; s < sizeof(shapes) / sizeof(shapes[0]); s++) {
			size_t pl = strlen(shapes[s].prefix), e = x + pl;
			if (j - x < pl || memcmp(p + x, shapes[s].prefix, pl))
				continue;
			while (e < j && (is_alnum(p[e]) || (shapes[s].extra && p[e] == shapes[s].extra)))
				e++;
			if (e - x - pl >= shapes[s].min)
				hit(r, shapes[s].rule, p + x, e - x);
		}
		/* a JSON web token: eyJ….eyJ….signature */
		if (j - x >= 40 && !memcmp(p + x, "eyJ", 3)) {
			const uint8_t *d = find(p + x, j - x, ".eyJ");
			if (d && memchr(d + 4, '.', (size_t)(p + j - d) - 4))
				hit(r, "jwt", p + x, j - x);
		}
	}
}

/* A run of key bytes starts at p[i]: a URL's scheme, a secret key or flag, a token. */
static size_t rule_run(struct redact *r, const uint8_t *p, size_t n, size_t i, int term, int open, size_t *lit)
{
	size_t j = i;
	while (j < n && is_run(p[j]))
		j++;
	if (r->mode == (REDACT_SCAN | REDACT_SHAPES))
		rule_shapes(r, p, i, j);
	if (n - j >= 3 && !memcmp(p + j, "://", 3)) {
		size_t a = j + 3, k = a, at = 0;
		/* a mask ends the authority: what the raw text had there (a '/' of a hash) did too */
		while (k < n && k - a < URL_AUTH_MAX && !strchr("/?#\"'<> \t\\", p[k]) &&
		       !(p[k] == '[' && n - k >= MASK_LEN && !memcmp(p + k, REDACT_MASK, MASK_LEN))) {
			if (p[k] == '@')
				at = k;
			k++;
		}
		if (at && memchr(p + a, ':', at - a)) {
			secret(r, "url-credentials", p, lit, a, at);
			return at;
		}
		return 0;
	}
	size_t ks = i;
	while (ks < j && p[ks] == '-')
		ks++;
	int flag = ks > i;
	size_t k = j;
	if (k < n && (p[k] == '"' || p[k] == '\'') && i > 0 && p[i - 1] == p[k])
		k++;
	size_t sp = k;
	while (sp < n && sp - k < 16 && is_space(p[sp]))
		sp++;
	int sep = sp < n && (p[sp] == '=' || p[sp] == ':');
	/* only a key followed by its separator, or a flag, is looked up */
	if ((!sep && !flag) || j - ks > REDACT_KEY_MAX || j == ks || !secret_key(r, p + ks, j - ks))
		return 0;
	const char *rule = flag ? "secret-argument" : "secret-value";
	if (sep) {
		size_t v = sp + 1;
		while (v < n && is_space(p[v]))
			v++;
		return v < n ? value(r, rule, p, n, v, open, lit) : 0;
	}
	if (sp > j && sp < n && p[sp] != '-')
		return value(r, rule, p, n, sp, open, lit);
	if (j == n && term == 0 && !open)
		r->mask_next = 1; /* "--password" "SECRET" as two arguments */
	return 0;
}

/* The body of a private key, until its -----END line. Returns bytes consumed, or n + 1 when the
 * line is over (dropped, terminator included). */
static size_t in_pem(struct redact *r, const uint8_t *p, size_t n, int open)
{
	const uint8_t *end = find(p, n, "-----END ");
	size_t b = end ? (size_t)(end - p) : n, s = 0, e = trim_end(p, 0, b);
	while (s < e && is_space(p[s]))
		s++;
	if (e > s && !(e - s == MASK_LEN && !memcmp(p + s, REDACT_MASK, MASK_LEN))) {
		if (r->mode != REDACT_MASKING)
			hit(r, "private-key", p + s, e - s);
	}
	if (e > s && !r->pem_done) {
		emit(r, REDACT_MASK "\n", MASK_LEN + 1);
		r->pem_done = 1;
	}
	if (end) {
		r->state = ST_NONE;
		return b;
	}
	return open ? n - 64 : n + 1;
}

/* One line p[0..n) ended by term ('\n', 0, or -1 at the end of the stream), or, when open, the
 * first REDACT_LINE bytes of a longer one. Returns the bytes consumed. */
static size_t do_line(struct redact *r, const uint8_t *p, size_t n, int term, int open)
{
	size_t i = 0, lit = 0, stop = open ? n - REDACT_WINDOW : n, k;
	r->mend = (size_t)-1;
	switch (r->state) {
	case ST_PEM:
		i = in_pem(r, p, n, open);
		if (i > n)
			return n;
		if (r->state == ST_PEM)
			return i;
		lit = i;
		break;
	case ST_EOL:
		if (open)
			return n;
		r->state = ST_NONE;
		i = lit = n;
		break;
	case ST_QUOTE:
		i = lit = close_quote(p, 0, n, r->quote);
		if (i == n && open)
			return n;
		r->state = ST_NONE;
		break;
	case ST_HASH:
		while (i < n && is_hash(p[i]))
			i++;
		lit = i;
		if (i == n && open)
			return n;
		r->state = ST_NONE;
		break;
	}
	if (r->mask_next && i == 0) {
		r->mask_next = 0;
		if (n && value(r, "secret-argument", p, n, 0, open, &lit) && open)
			return n;
		i = lit;
	}
	while (i < stop) {
		int c = p[i];
		k = 0;
		if (c == '$')
			k = rule_hash(r, p, n, i, open, &lit);
		else if (c == '-')
			k = rule_pem(r, p, n, i, &lit);
		if (!k && is_run(c) && (i == 0 || !is_run(p[i - 1]) || i == r->mend))
			k = rule_run(r, p, n, i, term, open, &lit);
		if (r->state == ST_PEM) {
			if (open)
				return n;
			i = n;
			break;
		}
		if (r->state != ST_NONE)
			return n; /* a value runs past this piece: masked to its end */
		i = k > i ? k : i + 1;
	}
	lit_to(r, p, &lit, i < n ? i : n);
	if (open)
		return lit;
	lit_to(r, p, &lit, n);
	if (term >= 0) {
		uint8_t t = (uint8_t)term;
		emit(r, &t, 1);
	}
	return n;
}

int redact_write(struct redact *r, const void *data, size_t n)
{
	const uint8_t *p = data;
	while (n && !r->err) {
		const uint8_t *nl = memchr(p, '\n', n);
		const uint8_t *z = memchr(p, 0, nl ? (size_t)(nl - p) : n);
		size_t k = z ? (size_t)(z - p) : nl ? (size_t)(nl - p) : n;
		if (!r->len && k < n) { /* a whole line in view: no copy */
			const uint8_t *save = r->line;
			r->line = (uint8_t *)p; /* hit offsets are taken relative to r->line */
			do_line(r, p, k, p[k], 0);
			r->line = (uint8_t *)save;
			r->cont = 0;
			r->off += k + 1;
			p += k + 1;
			n -= k + 1;
			continue;
		}
		size_t take = REDACT_LINE - r->len < k ? REDACT_LINE - r->len : k;
		memcpy(r->line + r->len, p, take);
		r->len += take;
		p += take;
		n -= take;
		if (take == k && n) {
			do_line(r, r->line, r->len, *p, 0);
			r->off += r->len + 1;
			r->len = 0;
			r->cont = 0;
			p++;
			n--;
		} else if (r->len == REDACT_LINE) {
			size_t used = do_line(r, r->line, r->len, -1, 1);
			memmove(r->line, r->line + used, r->len - used);
			r->off += used;
			r->len -= used;
			r->cont = 1;
		}
	}
	return r->err;
}

int redact_finish(struct redact *r)
{
	if (!r->err && (r->len || r->cont))
		do_line(r, r->line, r->len, -1, 0);
	r->off += r->len;
	r->len = 0;
	r->state = ST_NONE;
	r->mask_next = 0;
	flush(r);
	return r->err;
}

int redact_init(struct redact *r, int mode, redact_out_fn out, redact_hit_fn on_hit, void *ctx)
{
	memset(r, 0, sizeof(*r));
	r->mode = mode;
	r->out = out;
	r->on_hit = on_hit;
	r->ctx = ctx;
	r->line = malloc(REDACT_LINE);
	r->obuf = mode == REDACT_MASKING ? malloc(OBUF) : NULL;
	if (!r->line || (mode == REDACT_MASKING && !r->obuf)) {
		redact_free(r);
		return -ENOMEM;
	}
	return 0;
}

void redact_free(struct redact *r)
{
	if (!r)
		return;
	if (r->line)
		secure_wipe(r->line, REDACT_LINE);
	if (r->obuf)
		secure_wipe(r->obuf, OBUF);
	free(r->line);
	free(r->obuf);
	r->line = r->obuf = NULL;
}

static int to_buf(void *ctx, const void *p, size_t n)
{
	return buf_put(ctx, p, n);
}

int redact_buf(const void *in, size_t n, struct buf *out)
{
	struct redact r;
	int ret = redact_init(&r, REDACT_MASKING, to_buf, NULL, out);
	if (!ret)
		ret = redact_write(&r, in, n);
	if (!ret)
		ret = redact_finish(&r);
	redact_free(&r);
	return ret;
}
