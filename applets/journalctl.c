/* keel journalctl - the journal of this boot as journalctl shows it, for systemd habits
 *
 * usage: keel journalctl [--root DIR] [-u UNIT]... [-t IDENT]... [-n N|all] [-f] [-r] [-b] [-k]
 *          [-o short|short-iso|short-precise|short-monotonic|cat|json|json-pretty|verbose]
 *          [-S TIME] [-U TIME] [-p PRIO[..PRIO]] [-g PATTERN] [-q] [-a] [--no-hostname]
 *
 * A link named journalctl runs this. It reads the journal files keel init writes (DIR/run/keel/
 * journal.1, then journal: every line services wrote to the journal) or, with -k, the kernel's
 * ring (DIR/dev/kmsg); it never talks to PID 1. -u UNIT (a name without a suffix means .service,
 * wildcards allowed), -t IDENT, -p "err" or "warning..err", -S/-U "YYYY-MM-DD [HH:MM[:SS]]",
 * "HH:MM[:SS]", "today", "yesterday", "tomorrow", "now", "-1h", "5 min ago", "@EPOCH" (UTC), -g a
 * wildcard pattern (* ? [..], "^"/"$" anchor it) searched in the message, case-insensitive unless
 * it has a capital letter. -f prints the last 10 (or -n) lines, then new ones as they come
 * (across the file's rotation) until SIGINT. --no-pager, -x, -l, --utc, --system, -e accepted.
 *
 * Exit status: 0 printed (or "-- No entries --"); 2 usage or an option keel refuses; 3 a
 * journal file could not be read.
 */
#include "applets/journalctl.h"
#include "base/applet.h"
#include "base/args.h"
#include "base/buf.h"
#include "base/err.h"
#include "base/fnm.h"
#include "base/lines.h"
#include "base/log.h"
#include "base/sandbox.h"
#include "base/utf8.h"
#include "init/journal.h"
#include "init/unit_value.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/inotify.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <time.h>
#include <unistd.h>

#define READ_MAX (16u << 20) /* a journal file (keel's are at most JOURNAL_FILE_MAX) */

enum { O_SHORT, O_ISO, O_PRECISE, O_MONO, O_CAT, O_JSON, O_PRETTY, O_VERBOSE };
static const char outputs[] = "short\0short-iso\0short-precise\0short-monotonic\0cat\0json\0json-pretty\0verbose\0";
static const char prios[] = "emerg\0alert\0crit\0err\0warning\0notice\0info\0debug\0";

struct rec {
	struct journal_rec r;
	const char *boot;
	int fac; /* -1: a service's line; else a kernel record's facility */
};

static struct {
	struct strlist units, idents;
	const char *grep;
	int fmt, pmin, pmax, kernel, all, nohost, thisboot, icase;
	uint64_t since, until;
	char host[65], boot[33];
	struct rec *v;
	size_t n, cap;
} J; /* in .bss: pmax and until are set by both entry points */

static volatile sig_atomic_t stop;
static void on_signal(int sig)
{
	(void)sig;
	stop = 1;
}

/* ---- options ----------------------------------------------------------------------------------- */

/* What keel does not keep, refused by name (the rest of journalctl's options: unknown option). */
static const struct {
	const char *names, *why;
} refused[] = {
	{"vacuum-size vacuum-time vacuum-files rotate flush sync relinquish-var smart-relinquish-var disk-usage",
		"keel init keeps the journal itself: two files in /run of at most 2 MiB each, rotated when full"},
	{"list-boots", "keel keeps only this boot's journal (in /run)"},
	{"cursor after-cursor cursor-file show-cursor field fields output-fields facility",
		"keel's journal has no cursors and no field index"},
	{"verify setup-keys verify-key interval", "keel's journal is not sealed (it is in /run, root's only)"},
	{"directory file machine merge user user-unit namespace image root-dir update-catalog list-catalog dump-catalog header new-id128",
		"keel has one journal file pair, beneath --root DIR"},
};

static int refuse(const char *arg)
{
	size_t n = strcspn(arg + 2, "=");
	for (size_t i = 0; i < sizeof(refused) / sizeof(refused[0]); i++)
		for (const char *w = refused[i].names; *w; w += strcspn(w, " "), w += *w == ' ') {
			size_t l = strcspn(w, " ");
			if (l == n && !memcmp(w, arg + 2, n))
				return kfail(EXIT_USAGE, "%.*s: not supported: %s", (int)(n + 2), arg, refused[i].why);
		}
	if (!strcmp(arg, "-D") || !strcmp(arg, "-M") || !strcmp(arg, "-m") || !strcmp(arg, "-F") || !strcmp(arg, "-N"))
		return kfail(EXIT_USAGE, "%s: not supported: keel has one journal and no field index", arg);
	return 0;
}

/* "err" or "3": its number, or -1. */
static int prio(const char *s, size_t n)
{
	if (n == 1 && *s >= '0' && *s <= '7')
		return *s - '0';
	int i = 0;
	for (const char *w = prios; *w; w += strlen(w) + 1, i++)
		if (strlen(w) == n && !memcmp(w, s, n))
			return i;
	return -1;
}

/* Up to max digits at *p (at least one): the value, *p past them; or -1. */
static long long digits(const char **p, int max)
{
	long long v = 0;
	int n = 0;
	while (n < max && **p >= '0' && **p <= '9')
		v = v * 10 + (*(*p)++ - '0'), n++;
	return n ? v : -1;
}

/* Days from 1970-01-01 to Y-M-D (proleptic Gregorian, Y >= 1970; H. Hinnant's days_from_civil). */
static int64_t days(long long y, long long m, long long d)
{
	y -= m <= 2;
	long long yoe = y % 400, doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	return (y / 400) * 146097 + yoe * 365 + yoe / 4 - yoe / 100 + doy - 719468;
}

/* systemd's time forms (systemd.time(7)), in UTC: microseconds since the epoch, or -1. */
static int when(const char *s, uint64_t *out)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	int64_t now = (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000, day = now / 86400000000 * 86400000000;
	uint64_t span;
	size_t n = strlen(s);
	long long Y, M, D, h = 0, m = 0, sec = 0;
	if (!strcmp(s, "now"))
		return *out = (uint64_t)now, 0;
	if (!strcmp(s, "today") || !strcmp(s, "yesterday") || !strcmp(s, "tomorrow"))
		return *out = (uint64_t)(day + (s[1] == 'e' ? -1 : s[1] == 'o' && s[2] == 'm' ? 1 : 0) * 86400000000), 0;
	if (s[0] == '@')
		return uv_uint(s + 1, 0, UINT64_MAX / 1000000, false, &span, NULL) ? -1 : (*out = span * 1000000, 0);
	if ((s[0] == '-' || s[0] == '+') && !uv_timespan(s + 1, &span, NULL) && span < (uint64_t)INT64_MAX / 2)
		return *out = (uint64_t)(now + (s[0] == '-' ? -(int64_t)span : (int64_t)span)), 0;
	if (n > 4 && n < 64 && !strcmp(s + n - 4, " ago")) {
		char b[64];
		memcpy(b, s, n - 4);
		b[n - 4] = 0;
		return uv_timespan(b, &span, NULL) || span > (uint64_t)now ? -1 : (*out = (uint64_t)now - span, 0);
	}
	const char *p = s;
	if ((Y = digits(&p, 4)) >= 0 && *p++ == '-' && (M = digits(&p, 2)) >= 0 && *p++ == '-' && (D = digits(&p, 2)) >= 0) {
		p += *p && (*p == ' ' || *p == 'T'); /* a date, perhaps a time */
	} else { /* a time of today */
		p = s;
		time_t d = (time_t)(day / 1000000);
		struct tm tm;
		gmtime_r(&d, &tm);
		Y = tm.tm_year + 1900, M = tm.tm_mon + 1, D = tm.tm_mday;
		if (*p < '0' || *p > '9')
			return -1;
	}
	if (*p >= '0' && *p <= '9' && ((h = digits(&p, 2)) < 0 || *p++ != ':' || (m = digits(&p, 2)) < 0 ||
					(*p == ':' && (++p, sec = digits(&p, 2)) < 0)))
		return -1;
	if ((*p && strcmp(p, " UTC")) || Y < 1970 || Y > 2199 || M < 1 || M > 12 || D < 1 || D > 31 || h < 0 || h > 23 || m < 0 ||
		m > 59 || sec < 0 || sec > 60)
		return -1;
	int64_t d0 = days(Y, M, 1);
	if (D > days(Y + (M == 12), M % 12 + 1, 1) - d0) /* Feb 30 */
		return -1;
	return *out = (uint64_t)(((d0 + D - 1) * 24 + h) * 3600 + m * 60 + sec) * 1000000, 0;
}

/* ---- reading ----------------------------------------------------------------------------------- */

static bool match(const struct rec *x)
{
	const struct journal_rec *r = &x->r;
	char b[JOURNAL_LINE_MAX + 1];
	if (r->prio < J.pmin || r->prio > J.pmax || r->rt < J.since || r->rt > J.until || (J.thisboot && strcmp(x->boot, J.boot)))
		return false;
	if (J.units.n || J.idents.n) {
		bool hit = false;
		for (int i = 0; i < J.units.n && !hit; i++) {
			snprintf(b, sizeof(b), "%.*s", (int)r->unit_len, r->unit);
			hit = !fnm_match(J.units.v[i], b, 0);
		}
		for (int i = 0; i < J.idents.n && !hit; i++)
			hit = strlen(J.idents.v[i]) == r->ident_len && !memcmp(J.idents.v[i], r->ident, r->ident_len);
		if (!hit)
			return false;
	}
	if (J.grep) { /* NULs in the message end it here */
		memcpy(b, r->msg, r->msg_len);
		b[r->msg_len] = 0;
		if (fnm_match(J.grep, b, J.icase ? FNM_CASEFOLD : 0))
			return false;
	}
	return true;
}

static int add(const struct rec *x)
{
	if (J.n == J.cap) {
		size_t cap = J.cap ? J.cap * 2 : 1024;
		struct rec *v = realloc(J.v, cap * sizeof(*v));
		if (!v)
			return -ENOMEM;
		J.v = v;
		J.cap = cap;
	}
	J.v[J.n++] = *x;
	return 0;
}

struct file {
	const char *name;
	uint64_t off;  /* of data[0] in the file */
	size_t bad;    /* records skipped */
	uint64_t first_bad;
	bool header;   /* seen */
	char boot[33];
};

/* The complete lines of data[0..len): each matching record to out (or print). Returns the bytes
 * used (up to the last '\n'). */
static size_t scan(struct file *f, const char *data, size_t len, int (*out)(const struct rec *))
{
	struct lines c;
	const char *s;
	size_t n, used = 0;
	lines_init(&c, data, len);
	while (lines_next(&c, &s, &n) && c.nl) {
		struct rec x = {.boot = f->boot, .fac = -1};
		uint64_t at = f->off + (uint64_t)(s - data);
		used = (size_t)(c.p - data);
		if (!f->header) {
			if (at || journal_header(s, n, f->boot)) {
				kfail(0, "%s:%llu: not a keel journal (no KEELJ1 header): skipped", f->name, (unsigned long long)at);
				f->bad = SIZE_MAX;
				return len;
			}
			f->header = true;
		} else if (journal_parse(s, n, &x.r)) {
			if (!f->bad++)
				f->first_bad = at;
		} else if (match(&x) && out(&x))
			return len;
	}
	f->off += used;
	return used;
}

/* The whole file beneath root (NULL when missing); -errno when unreadable. */
/* Open a journal file (or kmsg) of dir: the descriptor, -1 when missing, -2 - errno otherwise. */
static int jopen(int dir, const char *name)
{
	int fd = openat(dir, name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK);
	return fd >= 0 ? fd : errno == ENOENT ? -1 : -2 - errno;
}

/* The whole file into b: 0 or -errno (-EFBIG past READ_MAX); fd is closed unless kept. */
static int slurp(int fd, struct buf *b, bool keep)
{
	int ret = 0;
	struct stat st;
	if (fd < -1)
		return -(-2 - fd);
	if (fd < 0)
		return 0;
	if (fstat(fd, &st) || !(S_ISREG(st.st_mode) || (J.kernel && S_ISCHR(st.st_mode))))
		ret = -EINVAL;
	while (!ret) {
		if ((ret = buf_reserve(b, 65536)))
			break;
		ssize_t r = read(fd, b->p + b->len, 65536);
		if (r < 0 && errno == EPIPE) /* kmsg: records were overwritten meanwhile */
			continue;
		if (r <= 0) {
			ret = r < 0 && errno != EAGAIN ? -errno : 0;
			break;
		}
		b->len += (size_t)r;
		if (b->len > READ_MAX)
			ret = -EFBIG;
	}
	if (!keep || ret)
		close(fd);
	return ret;
}

/* /dev/kmsg records "PRI,SEQ,USEC,FLAGS;MESSAGE" (continuation lines " KEY=VALUE" skipped). */
static int kmsg_line(const char *s, size_t n, uint64_t boot_rt, struct rec *x)
{
	const char *semi = memchr(s, ';', n), *p = s;
	long long pri = digits(&p, 4), us = -1;
	if (!semi || pri < 0 || pri > 1023 || *p++ != ',' || digits(&p, 20) < 0 || *p++ != ',' || (us = digits(&p, 18)) < 0 ||
		*p != ',' || n - (size_t)(semi + 1 - s) > JOURNAL_LINE_MAX)
		return -1;
	memset(x, 0, sizeof(*x));
	x->boot = J.boot;
	x->fac = (int)(pri >> 3);
	x->r.prio = (int)(pri & 7);
	x->r.mono = (uint64_t)us;
	x->r.rt = boot_rt + (uint64_t)us;
	x->r.msg = semi + 1;
	x->r.msg_len = n - (size_t)(semi + 1 - s);
	x->r.ident = "kernel";
	x->r.ident_len = 6;
	x->r.unit = "";
	if (x->fac) { /* written from user space: "IDENT: message" */
		size_t i = 0;
		while (i < x->r.msg_len && i < 64 && x->r.msg[i] > ' ' && x->r.msg[i] != ':')
			i++;
		if (i && i + 1 < x->r.msg_len && x->r.msg[i] == ':' && x->r.msg[i + 1] == ' ') {
			x->r.ident = x->r.msg, x->r.ident_len = i;
			x->r.msg += i + 2, x->r.msg_len -= i + 2;
		}
	}
	return 0;
}

/* ---- output ------------------------------------------------------------------------------------ */

/* systemd's utf8_is_printable: valid UTF-8 without C0 (but \t \n), DEL or C1 controls. */
static bool printable(const char *s, size_t n)
{
	const unsigned char *p = (const unsigned char *)s, *end = p + n;
	while (p < end) {
		int ok;
		size_t l = utf8_seq(p, end, &ok);
		if (!ok || (*p < 0x20 && *p != '\t' && *p != '\n') || *p == 0x7f || (*p == 0xc2 && p[1] < 0xa0))
			return false;
		p += l;
	}
	return true;
}

static void blob(size_t n)
{
	if (n < 1024)
		printf("[%zuB blob data]", n);
	else
		printf("[%.1f%c blob data]", n < (1u << 20) ? n / 1024.0 : n / 1048576.0, n < (1u << 20) ? 'K' : 'M');
}

static void stamp(uint64_t us, int fmt)
{
	static const char mon[] = "JanFebMarAprMayJunJulAugSepOctNovDec", wday[] = "SunMonTueWedThuFriSat";
	time_t t = (time_t)(us / 1000000);
	struct tm tm;
	gmtime_r(&t, &tm);
	if (fmt == O_ISO)
		printf("%04d-%02d-%02dT%02d:%02d:%02d+0000", tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec);
	else if (fmt == O_VERBOSE)
		printf("%.3s %04d-%02d-%02d %02d:%02d:%02d.%06u UTC", wday + 3 * tm.tm_wday, tm.tm_year + 1900, tm.tm_mon + 1,
			tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, (unsigned)(us % 1000000));
	else
		printf("%.3s %02d %02d:%02d:%02d", mon + 3 * tm.tm_mon, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec);
	if (fmt == O_PRECISE)
		printf(".%06u", (unsigned)(us % 1000000));
}

/* A JSON value: a string, an array of byte values (not printable), or null (KEY=VALUE of 4 KiB or
 * more, without -a: systemd's JSON_THRESHOLD). */
static void jval(const char *k, const char *s, size_t n, bool pretty)
{
	if (strlen(k) + 1 + n >= 4096 && !J.all) {
		fputs("null", stdout);
	} else if (!printable(s, n)) {
		putchar('[');
		for (size_t i = 0; i < n; i++)
			printf(pretty ? "%s\n\t\t%u" : "%s%u", i ? "," : "", (unsigned char)s[i]);
		fputs(pretty && n ? "\n\t]" : "]", stdout);
	} else {
		putchar('"');
		for (size_t i = 0; i < n; i++) {
			char c = s[i];
			if (c == '"' || c == '\\')
				printf("\\%c", c);
			else if (c == '\n' || c == '\t')
				printf("\\%c", c == '\n' ? 'n' : 't');
			else
				putchar(c);
		}
		putchar('"');
	}
}

static int print(const struct rec *x)
{
	const struct journal_rec *r = &x->r;
	char num[5][24];
	bool pretty = J.fmt == O_PRETTY, k = x->fac >= 0;
	if (J.fmt == O_CAT) {
		fwrite(r->msg, 1, r->msg_len, stdout);
		putchar('\n');
	} else if (J.fmt >= O_JSON) {
		snprintf(num[0], 24, "%llu", (unsigned long long)r->rt);
		snprintf(num[1], 24, "%llu", (unsigned long long)r->mono);
		snprintf(num[2], 24, "%d", r->prio);
		snprintf(num[3], 24, "%d", k ? x->fac : 3);
		snprintf(num[4], 24, "%ld", r->pid);
		const struct {
			const char *k, *v;
			size_t n;
		} f[] = {
			{"__REALTIME_TIMESTAMP", num[0], strlen(num[0])}, {"__MONOTONIC_TIMESTAMP", num[1], strlen(num[1])},
			{"_BOOT_ID", x->boot, 32}, {"_TRANSPORT", k ? "kernel" : "stdout", 6},
			{"PRIORITY", num[2], strlen(num[2])}, {"SYSLOG_FACILITY", num[3], strlen(num[3])},
			{"SYSLOG_IDENTIFIER", r->ident, r->ident_len}, {"MESSAGE", r->msg, r->msg_len},
			{k ? "_SOURCE_MONOTONIC_TIMESTAMP" : "_PID", k ? num[1] : num[4], strlen(k ? num[1] : num[4])},
			{"_SYSTEMD_UNIT", r->unit, r->unit_len}, {"_HOSTNAME", J.host, strlen(J.host)},
		};
		if (J.fmt == O_VERBOSE) {
			stamp(r->rt, O_VERBOSE);
			printf(" [b=%s;m=%llx;t=%llx]\n", x->boot, (unsigned long long)r->mono, (unsigned long long)r->rt);
		} else
			fputs(pretty ? "{\n" : "{", stdout);
		for (size_t i = 0, first = 1; i < sizeof(f) / sizeof(f[0]); i++) {
			if ((!f[i].n && i != 7) || (k && i == 9) || (i == 10 && J.nohost) || (J.fmt == O_VERBOSE && i < 2))
				continue;
			if (J.fmt == O_VERBOSE) {
				printf("    %s=", f[i].k);
				if (printable(f[i].v, f[i].n) || J.all)
					fwrite(f[i].v, 1, f[i].n, stdout);
				else
					blob(f[i].n);
				putchar('\n');
				continue;
			}
			printf(pretty ? "%s\t\"%s\" : " : "%s\"%s\":", first ? "" : pretty ? ",\n" : ",", f[i].k);
			jval(f[i].k, f[i].v, f[i].n, pretty);
			first = 0;
		}
		if (J.fmt != O_VERBOSE)
			fputs(pretty ? "\n}\n" : "}\n", stdout);
	} else {
		if (J.fmt == O_MONO)
			printf("[%5llu.%06llu]", (unsigned long long)(r->mono / 1000000), (unsigned long long)(r->mono % 1000000));
		else
			stamp(r->rt, J.fmt);
		if (!J.nohost)
			printf(" %s", J.host);
		printf(" %.*s", (int)r->ident_len, r->ident);
		if (!k)
			printf("[%ld]", r->pid);
		fputs(": ", stdout);
		if (J.all)
			fwrite(r->msg, 1, r->msg_len, stdout);
		else if (printable(r->msg, r->msg_len)) /* a tab as 8 spaces, as systemd's strip_tab_ansi() */
			for (size_t i = 0; i < r->msg_len; i++)
				r->msg[i] == '\t' ? fputs("        ", stdout) : putchar(r->msg[i]);
		else
			blob(r->msg_len);
		putchar('\n');
	}
	return 0;
}

/* ---- follow ------------------------------------------------------------------------------------ */

/* New lines of the journal (fd at the end of what was read), then of the file that replaced it. */
static int follow(int dir, int in, int fd, struct file *f, bool kmsg, uint64_t boot_rt)
{
	static char pend[2 * JOURNAL_REC_MAX];
	size_t plen = 0;
	bool skipping = false;
	int drained = 0;
	while (!stop) {
		ssize_t r = fd < 0 ? 0 : read(fd, pend + plen, sizeof(pend) - plen);
		if (r < 0 && errno == EPIPE) /* kmsg: records were overwritten */
			continue;
		if (r > 0) {
			plen += (size_t)r;
			size_t used = 0;
			if (kmsg) {
				struct lines c;
				const char *s;
				size_t n;
				struct rec x;
				lines_init(&c, pend, plen);
				while (lines_next(&c, &s, &n) && c.nl) {
					used = (size_t)(c.p - pend);
					if (!kmsg_line(s, n, boot_rt, &x) && match(&x))
						print(&x);
				}
			} else if (skipping) { /* the rest of an overlong line */
				char *nl = memchr(pend, '\n', plen);
				used = nl ? (size_t)(nl + 1 - pend) : plen;
				f->off += used;
				skipping = !nl;
			} else
				used = scan(f, pend, plen, print);
			memmove(pend, pend + used, plen - used);
			plen -= used;
			if (plen == sizeof(pend)) { /* no '\n' in twice a record's length */
				f->bad++;
				f->off += plen;
				plen = 0;
				skipping = true;
			}
			if (fflush(stdout) || ferror(stdout))
				break;
			continue;
		}
		if (!kmsg) { /* at the end: was the file rotated (or made)? */
			struct stat a, b;
			off_t at = fd >= 0 ? lseek(fd, 0, SEEK_CUR) : 0;
			if (fd >= 0 && !fstat(fd, &b) && b.st_size < at) { /* keel init cut a torn batch off: it ended at a record */
				lseek(fd, b.st_size, SEEK_SET);
				f->off = (uint64_t)b.st_size;
				plen = 0;
				skipping = false;
				continue;
			}
			if (fstatat(dir, "journal", &a, AT_SYMLINK_NOFOLLOW) == 0 && (fd < 0 || (fstat(fd, &b) == 0 && a.st_ino != b.st_ino))) {
				if (!drained++) /* what was written before the rename: read to the end once more */
					continue;
				if (fd >= 0)
					close(fd);
				fd = openat(dir, "journal", O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK);
				*f = (struct file){.name = f->name};
				plen = 0;
				skipping = false;
				drained = 0;
				continue;
			}
		}
		struct pollfd p = {.fd = kmsg ? fd : in, .events = POLLIN}; /* in < 0: a 1 s poll */
		if (poll(&p, 1, 1000) > 0 && !kmsg) {
			char ev[4096];
			while (read(in, ev, sizeof(ev)) > 0)
				;
		}
	}
	return EXIT_OK;
}

/* ---- main -------------------------------------------------------------------------------------- */

static struct {
	const char *root, *lines, *out, *since, *until, *pr;
	int boot, fol, rev, quiet, ign;
} O = {.root = ""};

static const struct opt opts[] = {
	{"root", 0, OPT_STR, &O.root},
	{"unit", 'u', OPT_LIST, &J.units},
	{"identifier", 't', OPT_LIST, &J.idents},
	{"lines", 'n', OPT_STR, &O.lines},
	{"boot", 'b', OPT_FLAG, &O.boot},
	{"follow", 'f', OPT_FLAG, &O.fol},
	{"reverse", 'r', OPT_FLAG, &O.rev},
	{"output", 'o', OPT_STR, &O.out},
	{"since", 'S', OPT_STR, &O.since},
	{"until", 'U', OPT_STR, &O.until},
	{"priority", 'p', OPT_STR, &O.pr},
	{"grep", 'g', OPT_STR, &J.grep},
	{"dmesg", 'k', OPT_FLAG, &J.kernel},
	{"quiet", 'q', OPT_FLAG, &O.quiet},
	{"all", 'a', OPT_FLAG, &J.all},
	{"no-hostname", 0, OPT_FLAG, &J.nohost},
	{"no-pager", 0, OPT_FLAG, &O.ign},
	{"catalog", 'x', OPT_FLAG, &O.ign},
	{"full", 'l', OPT_FLAG, &O.ign},
	{"utc", 0, OPT_FLAG, &O.ign},
	{"system", 0, OPT_FLAG, &O.ign},
	{"pager-end", 'e', OPT_FLAG, &O.ign},
	{0},
};

/* The records of the journal files fds[0] (journal.1) and fds[1] (journal), each -1 when missing,
 * that match, into J.v; what of fds[1] was read is its file offset then (kept open with keep).
 * name: for messages. Returns EXIT_OK or EXIT_FAIL. */
static int load(const int fds[2], const char *name, bool keep, struct file f[2])
{
	int ret = EXIT_OK;
	for (int i = 0; i < 2; i++) {
		struct buf b = BUF_INIT(READ_MAX + 65536);
		int r = slurp(fds[i], &b, keep && i == 1);
		if (r)
			ret = kfail(EXIT_FAIL, "%s%s: %s", name, i ? "" : ".1", r == -EFBIG ? "larger than 16 MiB: not keel's" : kerr_strerror(-r));
		size_t used = r ? 0 : scan(&f[i], (const char *)b.p, b.len, add);
		if (f[i].bad == SIZE_MAX)
			ret = EXIT_FAIL;
		else if (f[i].bad && !O.quiet)
			kfail(0, "%s%s:%llu: %zu malformed record(s) skipped", name, i ? "" : ".1", (unsigned long long)f[i].first_bad, f[i].bad);
		if (keep && i == 1 && fds[1] >= 0) /* follow from the last complete line */
			lseek(fds[1], (off_t)used, SEEK_SET);
		/* b stays: the records point into it */
	}
	return ret;
}

void journal_tail(const int fds[2], const char *unit, size_t n)
{
	struct file f[2] = {{.name = "journal.1"}, {.name = "journal"}};
	struct utsname un;
	J.units.n = 1;
	J.units.v[0] = unit;
	J.pmax = 7;
	J.until = UINT64_MAX;
	if (!uname(&un))
		str_copy(J.host, sizeof(J.host), un.nodename);
	O.quiet = 1;
	load(fds, "journal", false, f);
	for (size_t i = n < J.n ? J.n - n : 0; i < J.n; i++)
		print(&J.v[i]);
}

int journalctl_main(int argc, char **argv)
{
	int ret = EXIT_OK;
	J.pmax = 7;
	J.until = UINT64_MAX;
	char **ops, *bootarg = NULL;
	/* refused options by name; -b/--boot's optional value ("-b -1", "--boot=0") */
	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--"))
			break;
		if (!strncmp(argv[i], "--boot=", 7))
			bootarg = argv[i] + 7, argv[i] = "-b";
		else if ((!strcmp(argv[i], "-b") || !strcmp(argv[i], "--boot")) && i + 1 < argc &&
			 (argv[i + 1][strspn(argv[i + 1], "-+0123456789")] == 0 || strlen(argv[i + 1]) == 32 || !strcmp(argv[i + 1], "all"))) {
			bootarg = argv[i + 1];
			memmove(argv + i + 1, argv + i + 2, (size_t)(argc - i - 2) * sizeof(*argv));
			argc--;
		} else if (argv[i][0] == '-' && refuse(argv[i]))
			return EXIT_USAGE;
	}
	int n = args_parse(opts, argc - 1, argv + 1, &ops);
	if (n < 0)
		return args_exit(n);
	if (n)
		return kfail(EXIT_USAGE, "%s: journalctl's match expressions (FIELD=VALUE) are not supported; use -u, -t, -p", ops[0]);
	J.fmt = O.out ? uv_word_index(outputs, O.out, false) : O_SHORT;
	if (J.fmt < 0)
		return kfail(EXIT_USAGE, "-o %s: not one of short short-iso short-precise short-monotonic cat json json-pretty verbose", O.out);
	uint64_t nl = O.fol ? 10 : UINT64_MAX;
	if (O.lines && strcmp(O.lines, "all") && uv_uint(O.lines, 0, 1u << 30, false, &nl, NULL))
		return kfail(EXIT_USAGE, "-n %s: a number of lines or \"all\"", O.lines);
	if (O.lines && !strcmp(O.lines, "all"))
		nl = UINT64_MAX;
	if ((O.since && when(O.since, &J.since)) || (O.until && when(O.until, &J.until)))
		return kfail(EXIT_USAGE, "%s: not a time (\"YYYY-MM-DD HH:MM:SS\", \"today\", \"-1h\", \"5 min ago\", \"@EPOCH\")",
			O.since && when(O.since, &J.since) ? O.since : O.until);
	if (O.pr) {
		const char *dots = strstr(O.pr, "..");
		int a = prio(O.pr, dots ? (size_t)(dots - O.pr) : strlen(O.pr)), b = dots ? prio(dots + 2, strlen(dots + 2)) : 0;
		if (a < 0 || b < 0)
			return kfail(EXIT_USAGE, "-p %s: a priority (emerg alert crit err warning notice info debug, or 0..7) or a range A..B", O.pr);
		J.pmin = dots ? (a < b ? a : b) : 0;
		J.pmax = dots ? (a < b ? b : a) : a;
	}
	/* the current boot */
	journal_boot_id(J.boot);
	J.thisboot = O.boot && !(bootarg && !strcmp(bootarg, "all")); /* -b all: every boot kept, this one */
	if (bootarg && strcmp(bootarg, "0") && strcmp(bootarg, "-0") && strcmp(bootarg, "all") && strcmp(bootarg, J.boot))
		return kfail(EXIT_USAGE, "-b %s: keel keeps only this boot's journal (it is in /run); -b or -b 0 is this boot", bootarg);
	if (J.grep) { /* a wildcard pattern found anywhere, "^" "$" anchoring it; smart case */
		size_t gl = strlen(J.grep);
		char *g = malloc(gl + 3);
		if (!g || gl > 1024)
			return kfail(EXIT_USAGE, "-g: pattern too long (1,024 bytes at most)");
		bool a = J.grep[0] == '^', z = gl > (size_t)a && J.grep[gl - 1] == '$';
		snprintf(g, gl + 3, "%s%.*s%s", a ? "" : "*", (int)(gl - a - z), J.grep + a, z ? "" : "*");
		J.icase = 1;
		for (const char *p = J.grep; *p; p++)
			if (*p >= 'A' && *p <= 'Z')
				J.icase = 0;
		J.grep = g;
	}
	for (int i = 0; i < J.units.n; i++) { /* "ssh" is ssh.service */
		const char *u = J.units.v[i];
		if (!strchr(u, '.') && !strpbrk(u, "*?[")) {
			char *s = malloc(strlen(u) + 9);
			if (!s)
				return kfail(EXIT_FAIL, "out of memory");
			J.units.v[i] = strcat(strcpy(s, u), ".service");
		}
	}
	struct utsname un;
	if (!uname(&un))
		str_copy(J.host, sizeof(J.host), un.nodename);

	char path[256];
	if (str_fmt(path, sizeof(path), "%s%s", O.root, J.kernel ? "/dev" : "/run/keel"))
		return kfail(EXIT_USAGE, "--root: path too long");
	int dir = open(path, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (dir < 0)
		return kfail(EXIT_FAIL, "%s: %s", path, kerr_strerror(errno));
	int in = O.fol && !J.kernel ? inotify_init1(IN_CLOEXEC | IN_NONBLOCK) : -1;
	if (in >= 0 && inotify_add_watch(in, path, IN_MODIFY | IN_CREATE | IN_MOVED_TO | IN_MOVED_FROM | IN_DELETE) < 0) {
		close(in);
		in = -1;
	}
	signal(SIGPIPE, SIG_IGN);
	struct sigaction sa = {.sa_handler = on_signal};
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	static const char *const calls[] = {"openat", "newfstatat", "statx", "poll", "ppoll", NULL};
	struct kerr e = {0};
	if ((ret = sandbox_enter(calls, &e)))
		return kfail(EXIT_FAIL, "%s", kerr_str(&e, ret));

	struct file f[2] = {{.name = "journal.1"}, {.name = "journal"}};
	struct timespec rt, mo;
	clock_gettime(CLOCK_REALTIME, &rt);
	clock_gettime(CLOCK_MONOTONIC, &mo);
	uint64_t boot_rt = (uint64_t)(rt.tv_sec - mo.tv_sec) * 1000000 + (uint64_t)(rt.tv_nsec / 1000) - (uint64_t)(mo.tv_nsec / 1000);
	char name[300];
	snprintf(name, sizeof(name), "%s/%s", path, J.kernel ? "kmsg" : "journal");
	int fds[2] = {J.kernel ? -1 : jopen(dir, "journal.1"), jopen(dir, J.kernel ? "kmsg" : "journal")};
	if (J.kernel) {
		struct buf b = BUF_INIT(READ_MAX + 65536);
		int r = slurp(fds[1], &b, O.fol);
		if (r)
			return kfail(EXIT_FAIL, "%s: %s", name, kerr_strerror(-r));
		struct lines c;
		const char *s;
		size_t len;
		struct rec x;
		lines_init(&c, b.p, b.len);
		while (lines_next(&c, &s, &len) && c.nl)
			if (!kmsg_line(s, len, boot_rt, &x) && match(&x) && add(&x))
				return kfail(EXIT_FAIL, "out of memory");
	} else
		ret = load(fds, name, O.fol, f);
	size_t first = nl < J.n ? J.n - (size_t)nl : 0;
	for (size_t i = first; i < J.n; i++)
		print(&J.v[O.rev ? J.n - 1 - (i - first) : i]);
	if (!J.n && !O.quiet && !O.fol)
		puts("-- No entries --");
	fflush(stdout);
	if (O.fol)
		follow(dir, in, fds[1] >= 0 ? fds[1] : -1, &f[1], J.kernel, boot_rt);
	return ret;
}
