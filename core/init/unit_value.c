/* unit_value.c — values of systemd unit-file settings (see unit_value.h). */
#include "init/unit_value.h"
#include "init/unit_cond.h"
#include "base/utf8.h"
#include "base/buf.h"
#include "base/err.h"

#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* ---- string lists ----------------------------------------------------------------------- */

int strv_push_n(struct strv *l, const char *s, size_t len)
{
	if (l->n >= UV_LIST_MAX)
		return -E2BIG;
	char **v = realloc(l->v, (l->n + 2) * sizeof(*v));
	if (!v)
		return -ENOMEM;
	l->v = v;
	char *c = malloc(len + 1);
	if (!c)
		return -ENOMEM;
	memcpy(c, s, len);
	c[len] = 0;
	v[l->n++] = c;
	v[l->n] = NULL;
	return 0;
}

int strv_push(struct strv *l, const char *s) { return strv_push_n(l, s, strlen(s)); }

void strv_clear(struct strv *l)
{
	if (!l)
		return;
	for (size_t i = 0; i < l->n; i++)
		free(l->v[i]);
	free(l->v);
	l->v = NULL;
	l->n = 0;
}

bool strv_has(const struct strv *l, const char *s)
{
	for (size_t i = 0; i < l->n; i++)
		if (!strcmp(l->v[i], s))
			return true;
	return false;
}

/* ---- scalars ------------------------------------------------------------------------------ */

static int fail(const char **why, const char *msg, int code)
{
	if (why)
		*why = msg;
	return code;
}

static bool is_ws(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; }
static bool is_digit(char c) { return c >= '0' && c <= '9'; }

int uv_bool(const char *s, bool *out, const char **why)
{
	static const char *const yes[] = {"1", "yes", "y", "true", "t", "on"};
	static const char *const no[] = {"0", "no", "n", "false", "f", "off"};
	for (size_t i = 0; i < sizeof(yes) / sizeof(yes[0]); i++) {
		if (!strcasecmp(s, yes[i]))
			return *out = true, 0;
		if (!strcasecmp(s, no[i]))
			return *out = false, 0;
	}
	return fail(why, "not a boolean (yes/no, true/false, on/off, 1/0)", -EINVAL);
}

/* A decimal number with an optional fraction: whole and up to 9 fraction digits. */
static int number(const char **pp, uint64_t *whole, uint64_t *frac, unsigned *fdigits, const char **why)
{
	const char *p = *pp;
	uint64_t w = 0, f = 0;
	unsigned fd = 0, nd = 0;
	for (; is_digit(*p); p++, nd++) {
		if (w > (UINT64_MAX - (uint64_t)(*p - '0')) / 10)
			return fail(why, "number too large", -ERANGE);
		w = w * 10 + (uint64_t)(*p - '0');
	}
	if (*p == '.') {
		p++;
		for (; is_digit(*p); p++, fd++) {
			if (fd == 9)
				return fail(why, "more than 9 fraction digits", -EINVAL);
			f = f * 10 + (uint64_t)(*p - '0');
		}
	}
	if (!nd && !fd)
		return fail(why, "expected a number", -EINVAL);
	*pp = p;
	*whole = w;
	*frac = f;
	*fdigits = fd;
	return 0;
}

/* whole.frac × mul, refusing overflow. */
static int scale(uint64_t whole, uint64_t frac, unsigned fd, uint64_t mul, uint64_t *out, const char **why)
{
	if (whole && mul > UINT64_MAX / whole)
		return fail(why, "value too large", -ERANGE);
	uint64_t v = whole * mul, div = 1;
	for (unsigned i = 0; i < fd; i++)
		div *= 10;
	/* frac < div <= 1e9 and mul < 2^64: split mul to avoid overflow in frac * mul */
	uint64_t part = (mul / div) * frac + ((mul % div) * frac) / div;
	if (v > UINT64_MAX - part)
		return fail(why, "value too large", -ERANGE);
	*out = v + part;
	return 0;
}

int uv_timespan(const char *s, uint64_t *usec, const char **why)
{
	static const struct { const char *name; uint64_t mul; } units[] = {
		{"us", 1}, {"usec", 1}, {"ms", 1000}, {"msec", 1000},
		{"s", 1000000}, {"sec", 1000000}, {"second", 1000000}, {"seconds", 1000000},
		{"m", 60000000}, {"min", 60000000}, {"minute", 60000000}, {"minutes", 60000000},
		{"h", 3600000000ULL}, {"hr", 3600000000ULL}, {"hour", 3600000000ULL}, {"hours", 3600000000ULL},
		{"d", 86400000000ULL}, {"day", 86400000000ULL}, {"days", 86400000000ULL},
		{"w", 604800000000ULL}, {"week", 604800000000ULL}, {"weeks", 604800000000ULL},
		/* systemd.time(7): a month is 30.44 days, a year 365.25 days (2,629,800 and 31,557,600 s) */
		{"M", 2629800000000ULL}, {"month", 2629800000000ULL}, {"months", 2629800000000ULL},
		{"y", 31557600000000ULL}, {"year", 31557600000000ULL}, {"years", 31557600000000ULL},
		{"\xc2\xb5s", 1}, {"\xce\xbcs", 1}, /* µs (MICRO SIGN) and μs (GREEK SMALL LETTER MU) */
	};
	const char *p = s;
	uint64_t total = 0;
	int ret;
	while (is_ws(*p))
		p++;
	if (!strcmp(p, "infinity"))
		return *usec = UV_INFINITY, 0;
	if (!*p)
		return fail(why, "empty time span", -EINVAL);
	while (*p) {
		uint64_t w, f, v, mul = 1000000;
		unsigned fd;
		if ((ret = number(&p, &w, &f, &fd, why)))
			return ret;
		while (*p == ' ' || *p == '\t')
			p++;
		const char *u = p;
		while ((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (unsigned char)*p >= 0x80)
			p++;
		if (p > u) {
			size_t n = (size_t)(p - u), i;
			for (i = 0; i < sizeof(units) / sizeof(units[0]); i++)
				if (strlen(units[i].name) == n && !memcmp(units[i].name, u, n))
					break;
			if (i == sizeof(units) / sizeof(units[0]))
				return fail(why, "unknown time unit (us ms s min h d w M y)", -EINVAL);
			mul = units[i].mul;
		}
		if ((ret = scale(w, f, fd, mul, &v, why)))
			return ret;
		if (total > UINT64_MAX - 1 - v)
			return fail(why, "time span too large", -ERANGE);
		total += v;
		while (is_ws(*p))
			p++;
	}
	*usec = total;
	return 0;
}

int uv_bytes(const char *s, uint64_t *out, const char **why)
{
	static const char suffixes[] = "KMGTPE";
	const char *p = s;
	uint64_t w, f, mul = 1;
	unsigned fd;
	int ret;
	if (!strcmp(s, "infinity"))
		return *out = UV_INFINITY, 0;
	if ((ret = number(&p, &w, &f, &fd, why)))
		return ret;
	if (*p == 'B' && !p[1]) {
		p++;
	} else if (*p) {
		const char *x = strchr(suffixes, *p);
		if (!x || p[1])
			return fail(why, "unknown size suffix (K M G T P E, 1024-based)", -EINVAL);
		for (const char *q = suffixes; q <= x; q++)
			mul *= 1024;
		p++;
	}
	if (fd && mul == 1)
		return fail(why, "a fraction of a byte", -EINVAL);
	if ((ret = scale(w, f, fd, mul, out, why)))
		return ret;
	if (*out == UV_INFINITY)
		return fail(why, "size too large", -ERANGE);
	return 0;
}

int uv_uint(const char *s, uint64_t min, uint64_t max, bool inf, uint64_t *out, const char **why)
{
	if (inf && !strcmp(s, "infinity"))
		return *out = UV_INFINITY, 0;
	int ret = parse_u64(s, min, max, out);
	if (ret == -ERANGE)
		return fail(why, "number out of range", ret);
	if (ret)
		return fail(why, "not a whole decimal number", ret);
	return 0;
}

int uv_signal(const char *s, int *sig, const char **why)
{
	static const struct { const char *name; int sig; } sigs[] = {
		{"HUP", SIGHUP}, {"INT", SIGINT}, {"QUIT", SIGQUIT}, {"KILL", SIGKILL}, {"USR1", SIGUSR1},
		{"USR2", SIGUSR2}, {"TERM", SIGTERM}, {"CONT", SIGCONT}, {"STOP", SIGSTOP},
		{"WINCH", SIGWINCH}, {"PWR", SIGPWR}, {"ABRT", SIGABRT}, {"ALRM", SIGALRM},
	};
	uint64_t v;
	if (is_digit(s[0])) {
		if (parse_u64(s, 1, 64, &v))
			return fail(why, "signal number out of range (1-64)", -ERANGE);
		*sig = (int)v;
		return 0;
	}
	const char *n = !strncmp(s, "SIG", 3) ? s + 3 : s;
	for (size_t i = 0; i < sizeof(sigs) / sizeof(sigs[0]); i++)
		if (!strcmp(n, sigs[i].name))
			return *sig = sigs[i].sig, 0;
	return fail(why, "unknown signal name", -EINVAL);
}

/* ---- names ---------------------------------------------------------------------------------- */

static bool name_char(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || is_digit(c) || c == ':' ||
		c == '_' || c == '.' || c == '\\' || c == '-';
}

static const char *const unit_types[] = {".service", ".target", ".socket", ".timer", ".path", ".mount",
	".automount", ".swap", ".device", ".slice", ".scope"};

/* The suffix of name among the first ntypes of unit_types, or NULL if name is not valid. */
static const char *name_suffix(const char *name, size_t ntypes)
{
	size_t n = strnlen(name, UNIT_NAME_MAX + 1);
	if (n == 0 || n > UNIT_NAME_MAX)
		return NULL;
	const char *suffix = NULL;
	for (size_t i = 0; i < ntypes && !suffix; i++)
		if (str_ends(name, unit_types[i]))
			suffix = unit_types[i];
	if (!suffix)
		return NULL;
	size_t stem = n - strlen(suffix);
	if (stem == 0 || name[0] == '@' || name[0] == '.')
		return NULL;
	for (size_t i = 0; i < stem; i++) /* an instance may hold '@' too: the first one splits */
		if (name[i] != '@' && !name_char(name[i]))
			return NULL;
	return suffix;
}

const char *unit_name_suffix(const char *name) { return name_suffix(name, 4); }
const char *unit_ref_suffix(const char *name) { return name_suffix(name, sizeof(unit_types) / sizeof(unit_types[0])); }

bool unit_name_is_template(const char *name)
{
	const char *s = unit_ref_suffix(name);
	const char *at = strchr(name, '@');
	return s && at && at + 1 == name + strlen(name) - strlen(s);
}

int unit_name_template(const char *name, char *out)
{
	const char *s = unit_name_suffix(name);
	const char *at = strchr(name, '@');
	if (!s || !at || unit_name_is_template(name))
		return -EINVAL;
	size_t pre = (size_t)(at - name) + 1;
	memcpy(out, name, pre);
	strcpy(out + pre, s);
	return 0;
}

bool uv_env_name(const char *s, size_t n)
{
	if (n == 0 || n > 255 || is_digit(s[0]))
		return false;
	for (size_t i = 0; i < n; i++)
		if (!((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= 'A' && s[i] <= 'Z') || is_digit(s[i]) || s[i] == '_'))
			return false;
	return true;
}

bool uv_env_assign(const char *s)
{
	const char *eq = strchr(s, '=');
	if (!eq || !uv_env_name(s, (size_t)(eq - s)))
		return false;
	for (const unsigned char *p = (const unsigned char *)eq + 1; *p; p++)
		if ((*p < 0x20 && *p != '\t') || *p == 0x7f)
			return false;
	return true;
}

/* ---- words ---------------------------------------------------------------------------------- */

/* *pp points after the backslash; decode one escape into w. */
static int escape(const char **pp, struct buf *w, const char **why)
{
	static const char simple[] = "a\ab\bf\fn\nr\rt\tv\v\\\\\"\"''s ;;";
	const char *p = *pp;
	uint32_t v = 0;
	int digits = 0, ret;
	if (!*p)
		return fail(why, "backslash at the end", -EINVAL);
	for (size_t i = 0; simple[i]; i += 2)
		if (*p == simple[i]) {
			*pp = p + 1;
			return buf_putc(w, simple[i + 1]);
		}
	switch (*p) {
	case 'x': digits = 2; p++; break;
	case 'u': digits = 4; p++; break;
	case 'U': digits = 8; p++; break;
	default:
		if (*p < '0' || *p > '7')
			return fail(why, "unknown escape", -EINVAL);
		for (int i = 0; i < 3; i++, p++) {
			if (*p < '0' || *p > '7')
				return fail(why, "bad digits in an escape", -EINVAL);
			v = v * 8 + (uint32_t)(*p - '0');
		}
		digits = 3;
	}
	if (digits != 3) {
		uint8_t b[4];
		if (strnlen(p, (size_t)digits) < (size_t)digits || hex_decode(b, (size_t)digits / 2, p, (size_t)digits))
			return fail(why, "bad digits in an escape", -EINVAL);
		for (int i = 0; i < digits / 2; i++)
			v = v << 8 | b[i];
		p += digits;
	}
	if (v == 0)
		return fail(why, "escaped NUL", -EINVAL);
	*pp = p;
	if (digits <= 3) { /* \xHH and \NNN are bytes */
		if (v > 255)
			return fail(why, "octal escape above \\377", -EINVAL);
		return buf_putc(w, (int)v);
	}
	if (v > 0x10ffff || (v >= 0xd800 && v <= 0xdfff))
		return fail(why, "escape is not a Unicode scalar value", -EINVAL);
	unsigned char u[4];
	ret = buf_put(w, u, utf8_put(u, v));
	return ret;
}

int uv_words(const char *s, bool exec, struct strv *out, const char **why)
{
	struct buf w = BUF_INIT(UV_VALUE_MAX);
	const char *p = s;
	int ret = 0;
	for (;;) {
		while (is_ws(*p))
			p++;
		if (!*p)
			break;
		char q = 0; /* inside "…" or '…': quotes may open and close anywhere in a word, as systemd's */
		const char *start = p;
		buf_reset(&w);
		if ((ret = buf_reserve(&w, 1)))
			goto out;
		for (;;) {
			char c = *p;
			if (!c) {
				if (q) {
					ret = fail(why, "unterminated quote", -EINVAL);
					goto out;
				}
				break;
			}
			if (q && c == q) {
				q = 0;
				p++;
				continue;
			}
			if (!q && is_ws(c))
				break;
			if (!q && (c == '"' || c == '\'')) {
				q = *p++;
				continue;
			}
			if (c == '\\') {
				p++;
				if ((ret = escape(&p, &w, why)))
					goto out;
				continue;
			}
			if ((ret = buf_putc(&w, c)))
				goto out;
			p++;
		}
		if (exec && p - start == 1 && *start == ';') {
			ret = fail(why, "';' command separators are not supported (one command per line)", -EINVAL);
			goto out;
		}
		if ((ret = strv_push_n(out, (const char *)w.p, w.len)))
			goto out;
	}
out:
	if (ret == -E2BIG && why)
		*why = "too many words or a word too long";
	buf_free(&w);
	return ret;
}

/* ---- specifiers and variables ---------------------------------------------------------------- */

/* systemd's unit_name_unescape(): "-" is "/", "\xHH" a byte (not NUL). */
static int unescape(struct buf *out, const char *s, size_t n, const char **why)
{
	int ret = 0;
	for (size_t i = 0; i < n && !ret; i++) {
		uint8_t b;
		if (s[i] == '-')
			ret = buf_putc(out, '/');
		else if (s[i] == '\\' && i + 3 < n && s[i + 1] == 'x' && !hex_decode(&b, 1, s + i + 2, 2) && b) {
			ret = buf_putc(out, b);
			i += 3;
		} else if (s[i] == '\\')
			return fail(why, "bad escape in the unit name", -EINVAL);
		else
			ret = buf_putc(out, s[i]);
	}
	return ret;
}

int uv_specifiers(const char *in, const char *unit, const char *fragment, struct buf *out, const char **why)
{
	static const struct { char c; const char *v; } fixed[] = { /* the system manager's */
		{'t', "/run"}, {'S', "/var/lib"}, {'C', "/var/cache"}, {'L', "/var/log"}, {'E', "/etc"}, {'T', "/tmp"},
		{'V', "/var/tmp"}, {'h', "/root"}, {'u', "root"}, {'U', "0"}, {'g', "root"}, {'G', "0"}, {'s', "/bin/sh"},
	};
	static const struct { char c; enum host_fact f; } facts[] = {
		{'H', HF_HOSTNAME}, {'l', HF_HOSTNAME}, {'q', HF_HOSTNAME}, {'m', HF_MACHINE_ID}, {'b', HF_BOOT_ID},
		{'v', HF_KERNEL}, {'a', HF_ARCH}, {'o', HF_OS_ID}, {'w', HF_OS_VERSION_ID}, {'B', HF_OS_BUILD_ID},
		{'W', HF_OS_VARIANT_ID}, {'M', HF_OS_IMAGE_ID}, {'A', HF_OS_IMAGE_VERSION},
	};
	const char *suffix = unit_ref_suffix(unit);
	if (!suffix)
		return fail(why, "invalid unit name", -EINVAL);
	size_t n = strlen(unit), stem = n - strlen(suffix);
	const char *at = memchr(unit, '@', stem);
	size_t pre = at ? (size_t)(at - unit) : stem;
	const char *inst = at ? at + 1 : NULL;
	size_t il = at ? stem - pre - 1 : 0;
	int ret = 0;
	buf_reset(out);
	if ((ret = buf_reserve(out, 1)))
		return ret;
	out->p[0] = 0; /* an empty result is "" */
	for (const char *p = in; *p && !ret; p++) {
		if (*p != '%') {
			ret = buf_putc(out, *p);
			continue;
		}
		const char *dash, *f;
		char c = *++p;
		for (size_t i = 0; i < sizeof(fixed) / sizeof(fixed[0]); i++)
			if (fixed[i].c == c)
				goto fixed_value;
		for (size_t i = 0; i < sizeof(facts) / sizeof(facts[0]); i++)
			if (facts[i].c == c) {
				if (!(f = unit_host_fact(facts[i].f)))
					return fail(why, "the host does not have what this %-specifier names", -ENOENT);
				if (c == 'l')
					ret = buf_put(out, f, strcspn(f, "."));
				else
					ret = buf_puts(out, f);
				goto next;
			}
		switch (c) {
		case '%': ret = buf_putc(out, '%'); break;
		case 'n': ret = buf_put(out, unit, n); break;
		case 'N': ret = buf_put(out, unit, stem); break;
		case 'p': ret = buf_put(out, unit, pre); break;
		case 'P': ret = unescape(out, unit, pre, why); break;
		case 'i': ret = buf_put(out, inst ? inst : "", il); break;
		case 'I': ret = unescape(out, inst ? inst : "", il, why); break;
		case 'j':
		case 'J':
			dash = memrchr(unit, '-', pre);
			dash = dash ? dash + 1 : unit;
			ret = c == 'j' ? buf_put(out, dash, (size_t)(unit + pre - dash)) :
					 unescape(out, dash, (size_t)(unit + pre - dash), why);
			break;
		case 'f':
			if (!(ret = buf_putc(out, '/')))
				ret = inst ? unescape(out, inst + (inst[0] == '-'), il - (inst[0] == '-'), why) :
					     unescape(out, unit + (unit[0] == '-'), stem - (unit[0] == '-'), why);
			break;
		case 'y':
		case 'Y':
			if (!fragment)
				return fail(why, "%y and %Y need the unit file's path", -EINVAL);
			f = strrchr(fragment, '/');
			ret = c == 'y' || !f ? buf_puts(out, c == 'y' ? fragment : ".") : buf_put(out, fragment, f == fragment ? 1 : (size_t)(f - fragment));
			break;
		case 'd':
			if (!(ret = buf_puts(out, "/run/credentials/")))
				ret = buf_put(out, unit, n);
			break;
		case 0: return fail(why, "'%' at the end (write %% for a percent sign)", -EINVAL);
		default: return fail(why, "unknown %-specifier", -EINVAL);
		}
		continue;
	fixed_value:
		for (size_t i = 0; i < sizeof(fixed) / sizeof(fixed[0]); i++)
			if (fixed[i].c == c)
				ret = buf_puts(out, fixed[i].v);
	next:;
	}
	if (ret == -E2BIG)
		return fail(why, "value too long", ret);
	return ret;
}

const char *uv_getenv(char *const env[], size_t nenv, const char *name, size_t namelen)
{
	for (size_t i = nenv; i-- > 0;)
		if (!strncmp(env[i], name, namelen) && env[i][namelen] == '=')
			return env[i] + namelen + 1;
	return NULL;
}

static size_t env_name_len(const char *s)
{
	size_t n = 0;
	while ((s[n] >= 'a' && s[n] <= 'z') || (s[n] >= 'A' && s[n] <= 'Z') || is_digit(s[n]) || s[n] == '_')
		n++;
	return n;
}

int uv_expand(char *const argv[], size_t argc, char *const env[], size_t nenv, struct strv *out,
	const char **why)
{
	struct buf w = BUF_INIT(UV_VALUE_MAX);
	int ret = 0;
	for (size_t i = 0; i < argc && !ret; i++) {
		const char *a = argv[i];
		size_t nl = a[0] == '$' ? env_name_len(a + 1) : 0;
		if (nl && !a[1 + nl] && uv_env_name(a + 1, nl)) { /* $NAME alone: split into words */
			const char *v = uv_getenv(env, nenv, a + 1, nl);
			while (v && *v && !ret) {
				while (is_ws(*v))
					v++;
				const char *s = v;
				while (*v && !is_ws(*v))
					v++;
				if (v > s)
					ret = strv_push_n(out, s, (size_t)(v - s));
			}
			continue;
		}
		buf_reset(&w);
		if ((ret = buf_reserve(&w, 1)))
			break;
		for (const char *p = a; *p && !ret;) {
			if (p[0] == '$' && p[1] == '$') {
				ret = buf_putc(&w, '$');
				p += 2;
			} else if (p[0] == '$' && p[1] == '{' && (nl = env_name_len(p + 2)) && p[2 + nl] == '}' &&
				uv_env_name(p + 2, nl)) {
				const char *v = uv_getenv(env, nenv, p + 2, nl);
				if (v)
					ret = buf_puts(&w, v);
				p += 3 + nl;
			} else {
				ret = buf_putc(&w, *p++);
			}
		}
		if (!ret)
			ret = strv_push_n(out, (const char *)w.p, w.len);
	}
	buf_free(&w);
	if (ret == -E2BIG)
		return fail(why, "expanded command line too long", ret);
	return ret;
}

/* ---- EnvironmentFile= ------------------------------------------------------------------------- */

int uv_envfile(const char *path, const char *p, size_t len, struct strv *out, struct kerr *e)
{
	const char *end = p + len;
	struct buf v = BUF_INIT(UV_VALUE_MAX);
	unsigned line = 1, at;
	int ret = 0;
	const char *why = NULL;

	if (memchr(p, 0, len)) {
		ret = kerr_set(e, -EINVAL, "%s: contains a NUL byte", path);
		goto out;
	}
	while (p < end) {
		while (p < end && (*p == ' ' || *p == '\t' || *p == '\r'))
			p++;
		if (p == end)
			break;
		if (*p == '\n') {
			p++;
			line++;
			continue;
		}
		at = line;
		if (*p == '#' || *p == ';') {
			while (p < end && *p != '\n')
				p++;
			continue;
		}
		const char *name = p;
		while (p < end && *p != '=' && *p != '\n' && *p != ' ' && *p != '\t')
			p++;
		size_t nl = (size_t)(p - name);
		while (p < end && (*p == ' ' || *p == '\t'))
			p++;
		if (p == end || *p != '=' || !uv_env_name(name, nl)) {
			why = "expected NAME=VALUE";
			goto bad;
		}
		p++;
		while (p < end && (*p == ' ' || *p == '\t'))
			p++;
		buf_reset(&v);
		if ((ret = buf_put(&v, name, nl)) || (ret = buf_putc(&v, '=')))
			goto big;
		if (p < end && (*p == '"' || *p == '\'')) {
			char q = *p++;
			for (;;) {
				if (p == end) {
					why = "unterminated quote";
					goto bad;
				}
				char c = *p++;
				if (c == q)
					break;
				if (c == '\n')
					line++;
				if (q == '"' && c == '\\') {
					if (p == end) {
						why = "unterminated quote";
						goto bad;
					}
					c = *p++;
					if (c == '\n') {
						line++;
						continue;
					}
					if (c != '"' && c != '\\' && c != '$' && c != '`') {
						why = "unknown escape in double quotes (\\\" \\\\ \\$ \\`)";
						goto bad;
					}
				}
				if ((ret = buf_putc(&v, c)))
					goto big;
			}
			while (p < end && (*p == ' ' || *p == '\t' || *p == '\r'))
				p++;
			if (p < end && *p != '\n') {
				why = "text after the closing quote";
				goto bad;
			}
		} else {
			const char *s = p;
			while (p < end && *p != '\n') {
				if (*p == '"' || *p == '\'' || *p == '\\') {
					why = "quote or backslash inside an unquoted value";
					goto bad;
				}
				p++;
			}
			const char *t = p;
			while (t > s && (t[-1] == ' ' || t[-1] == '\t' || t[-1] == '\r'))
				t--;
			if ((ret = buf_put(&v, s, (size_t)(t - s))))
				goto big;
		}
		for (size_t i = nl + 1; i < v.len; i++)
			if ((v.p[i] < 0x20 && v.p[i] != '\t' && v.p[i] != '\n') || v.p[i] == 0x7f) {
				why = "control character in the value";
				goto bad;
			}
		if ((ret = strv_push_n(out, (const char *)v.p, v.len)))
			goto big;
		continue;
	bad:
		ret = kerr_set(e, -EINVAL, "%s:%u: %s", path, at, why);
		goto out;
	big:
		ret = kerr_set(e, ret, "%s:%u: %s", path, at, ret == -E2BIG ? "too many variables or a value too long" : strerror(-ret));
		goto out;
	}
out:
	buf_free(&v);
	return ret;
}

int uv_word_index(const char *packed, const char *s, bool icase)
{
	int i = 0;
	for (const char *k = packed; *k; k += strlen(k) + 1, i++)
		if (icase ? !strcasecmp(k, s) : !strcmp(k, s))
			return i;
	return -1;
}

int unit_name_mangle(const char *name, char *out, size_t cap)
{
	bool bare = !unit_ref_suffix(name) && *name && !strchr(name, '/');
	size_t n = strlen(name);
	if (n + (bare ? 8 : 0) + 1 > cap)
		return -ENAMETOOLONG;
	memcpy(out, name, n);
	memcpy(out + n, bare ? ".service" : "", bare ? 9 : 1);
	return 0;
}
