/* obfuscate.c — stable tokens for host names, addresses and user names (obfuscate.h). */
#include "diag/obfuscate.h"
#include "base/buf.h"
#include "base/fs.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/utsname.h>
#include <unistd.h>

/* a, b, c: an IPv4 address's /8, /16 and /24 (numbered, never in the map by themselves) */
static const char kinds[] = "46mhuwabc";
static const char *const prefix[] = {"ip", "ip6", "mac", "host", "user", "word"};

void obf_init(struct obf *o)
{
	memset(o, 0, sizeof(*o));
}

static unsigned hash(char kind, const char *s, size_t n)
{
	unsigned h = (unsigned char)kind;
	for (size_t i = 0; i < n; i++)
		h = (h ^ (unsigned char)s[i]) * 16777619u;
	return h % 4096;
}

/* The index of (kind, s[0..n)), or -1. */
static int find(const struct obf *o, char kind, const char *s, size_t n)
{
	for (int i = o->head[hash(kind, s, n)] - 1; i >= 0; i = o->v[i].next - 1)
		if (o->v[i].kind == kind && !strncmp(o->v[i].s, s, n) && !o->v[i].s[n])
			return i;
	return -1;
}

/* The index of (kind, s[0..n)), added if new; -1 out of memory, -2 past OBF_VALUES_MAX. */
static int value(struct obf *o, char kind, const char *s, size_t n)
{
	unsigned h = hash(kind, s, n);
	int x = find(o, kind, s, n);
	if (x >= 0)
		return x;
	if (o->n >= OBF_VALUES_MAX)
		return -2;
	if (o->n == o->cap) {
		struct obf_val *v = realloc(o->v, (size_t)(o->cap * 2 + 64) * sizeof(*v));
		if (!v)
			return -1;
		o->v = v, o->cap = o->cap * 2 + 64;
	}
	struct obf_val *v = &o->v[o->n];
	int k = (int)(strchr(kinds, kind) - kinds);
	if (!(v->s = strndup(s, n)))
		return -1;
	v->kind = kind, v->n = ++o->count[k], v->next = o->head[h];
	o->head[h] = o->n + 1;
	return o->n++;
}

int obf_add_word(struct obf *o, char kind, const char *w)
{
	char low[OBF_WORD_MAX + 1];
	size_t n = strlen(w);
	if (n < 2 || n > OBF_WORD_MAX)
		return -EINVAL;
	for (size_t i = 0; i <= n; i++) {
		if (i < n && (unsigned char)w[i] <= ' ')
			return -EINVAL;
		low[i] = (char)tolower((unsigned char)w[i]);
	}
	if (o->nword >= OBF_WORDS_MAX)
		return -E2BIG;
	int x = value(o, kind, low, n);
	if (x < 0)
		return x == -1 ? -ENOMEM : -E2BIG;
	o->word[o->nword++] = x;
	return 0;
}

/* An IPv4 address's token: ip-A-B-C-D, the numbers of its /8, /16, /24 and itself, so addresses
 * of one subnet share a prefix (ip-1-1-1-1, ip-1-1-1-2: one /24; ip-1-1-2-1: its /16). With
 * add, the prefixes are added (-1 out of memory); else looked up (a missing one is 0). */
static int ip4_token(struct obf *o, const char *s, int x, int add, struct buf *out)
{
	unsigned n[4] = {0, 0, 0, x >= 0 ? o->v[x].n : 0};
	size_t l = 0;
	for (int k = 0; k < 3; k++) {
		l += strcspn(s + l + !!k, ".") + !!k;
		int i = add ? value(o, "abc"[k], s, l) : find(o, "abc"[k], s, l);
		if (i == -1 && add)
			return -ENOMEM;
		n[k] = i >= 0 ? o->v[i].n : 0;
	}
	return n[0] && n[1] && n[2] && n[3] ? buf_printf(out, "ip-%u-%u-%u-%u", n[0], n[1], n[2], n[3]) : buf_puts(out, "ip-x");
}

static int token(struct obf *o, struct buf *out, char kind, const char *s)
{
	int x = value(o, kind, s, strlen(s));
	if (x == -1)
		return -ENOMEM;
	if (kind == '4')
		return ip4_token(o, s, x, 1, out);
	const char *p = prefix[strchr(kinds, kind) - kinds];
	return x < 0 ? buf_printf(out, "%s-x", p) : buf_printf(out, "%s-%u", p, o->v[x].n);
}

static int addr_byte(int c)
{
	return isxdigit(c) || c == ':' || c == '.';
}

/* An address starting at in[i]: its end, with its canonical form in key and kind set; 0 if none. */
static size_t address(const uint8_t *in, size_t n, size_t i, char *key, char *kind)
{
	char s[64];
	uint8_t a[16], z[16] = {0};
	size_t j = i, e, colons = 0;
	while (j < n && j - i < 63 && addr_byte(in[j]))
		colons += in[j++] == ':';
	while (j > i && (in[j - 1] == '.' || in[j - 1] == ':'))
		colons -= in[--j] == ':';
	memcpy(s, in + i, j - i);
	s[j - i] = 0;
	if (colons == 5 && j - i == 17) { /* aa:bb:cc:dd:ee:ff */
		int ok = 1;
		for (size_t k = 0; k < 17; k++) {
			ok &= k % 3 == 2 ? s[k] == ':' : isxdigit((unsigned char)s[k]) != 0;
			key[k] = (char)tolower((unsigned char)s[k]);
		}
		key[17] = 0, *kind = 'm';
		return ok ? j : 0;
	}
	if (colons >= 2 && inet_pton(AF_INET6, s, a) == 1) {
		*kind = '6';
		int keep = !memcmp(a, z, 15) && a[15] <= 1; /* :: and ::1 */
		return !keep && inet_ntop(AF_INET6, a, key, 46) ? j : 0;
	}
	for (e = i; e < n && e - i < 16 && (isdigit(in[e]) || in[e] == '.'); e++)
		;
	while (e > i && in[e - 1] == '.')
		e--;
	if (e - i < 7 || e - i > 15 || (e < n && isalnum(in[e])))
		return 0;
	s[e - i] = 0;
	if (inet_pton(AF_INET, s, a) != 1 || a[0] == 127 || !memcmp(a, z, 4) || !memcmp(a, "\xff\xff\xff\xff", 4))
		return 0;
	*kind = '4';
	return inet_ntop(AF_INET, a, key, 46) ? e : 0;
}

int obf_apply(struct obf *o, const uint8_t *in, size_t n, struct buf *out)
{
	size_t i = 0, lit = 0;
	int ret = 0;
	char key[OBF_WORD_MAX + 1], kind = 0;
	while (i < n && !ret) {
		size_t e = 0;
		if (i && isalnum(in[i - 1])) {
			i++;
			continue;
		}
		for (int w = 0; w < o->nword && !e; w++) { /* the words: whole, case-insensitively */
			const struct obf_val *v = &o->v[o->word[w]];
			size_t l = strlen(v->s);
			if (n - i >= l && !strncasecmp((const char *)in + i, v->s, l) && (i + l == n || !isalnum(in[i + l])))
				e = i + l, kind = v->kind, memcpy(key, v->s, l + 1);
		}
		if (!e && (!i || (in[i - 1] != ':' && in[i - 1] != '.')) && addr_byte(in[i]))
			e = address(in, n, i, key, &kind);
		if (e) {
			ret = buf_put(out, in + lit, i - lit);
			if (!ret)
				ret = token(o, out, kind, key);
			lit = i = e;
		} else {
			i++;
		}
	}
	return ret ? ret : buf_put(out, in + lit, n - lit);
}

int obf_map(const struct obf *o, struct buf *out)
{
	int ret = 0;
	for (int i = 0; i < o->n && !ret; i++) {
		char k = o->v[i].kind;
		if (k == '4')
			ret = ip4_token((struct obf *)o, o->v[i].s, i, 0, out) || buf_printf(out, "\t%s\n", o->v[i].s);
		else if (!strchr("abc", k))
			ret = buf_printf(out, "%s-%u\t%s\n", prefix[strchr(kinds, k) - kinds], o->v[i].n, o->v[i].s);
	}
	return ret;
}

/* A word from a file's text (up to a newline or the end), if it is one. */
static int add_from(struct obf *o, char kind, const char *p, size_t n)
{
	char w[OBF_WORD_MAX + 1];
	return n > OBF_WORD_MAX || (memcpy(w, p, n), w[n] = 0, obf_add_word(o, kind, w)) == -ENOMEM ? -ENOMEM : 0;
}

static int read_beneath(int rootfd, const char *path, struct buf *b)
{
	int fd = fs_open_beneath(rootfd, path, O_RDONLY | O_NONBLOCK, 0), ret = fd < 0 ? fd : fs_read_fd(fd, b->max, b);
	if (fd >= 0)
		close(fd);
	return ret;
}

int obf_add_host(struct obf *o, int rootfd)
{
	struct buf b = BUF_INIT(4 << 20);
	struct utsname u;
	int ret = read_beneath(rootfd, "etc/hostname", &b) ? 0 : add_from(o, 'h', (char *)b.p, strcspn((char *)b.p, ". \t\n"));
	if (!ret && !uname(&u))
		ret = add_from(o, 'h', u.nodename, strcspn(u.nodename, "."));
	buf_reset(&b);
	if (!ret && !read_beneath(rootfd, "etc/passwd", &b)) /* users: uid 1000 and up, not nobody */
		for (char *l = (char *)b.p, *nl; !ret && l && *l; l = nl) {
			nl = strchr(l, '\n');
			nl = nl ? nl + 1 : NULL;
			char *c1 = strchr(l, ':'), *c2 = c1 ? strchr(c1 + 1, ':') : NULL;
			unsigned long uid = c2 ? strtoul(c2 + 1, NULL, 10) : 0;
			if (uid >= 1000 && uid != 65534)
				ret = add_from(o, 'u', l, (size_t)(c1 - l));
		}
	buf_free(&b);
	return ret;
}

void obf_free(struct obf *o)
{
	for (int i = 0; i < o->n; i++) {
		secure_wipe(o->v[i].s, strlen(o->v[i].s));
		free(o->v[i].s);
	}
	free(o->v);
	obf_init(o);
}
