/* journal_test.c — the journal file (core/init/journal.c): record lines parsed strictly, and
 * what keel init writes from the bytes a service sends (lines split across reads, the ring
 * wrapped, lines over JOURNAL_LINE_MAX split, "<N>" priorities, rotation). */
#include "init/journal.h"
#include "init/log_ring.h"
#include "t.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

T_TEST(journal_parse_records)
{
	static const struct {
		const char *in;
		int ok, prio;
		const char *unit, *ident, *msg;
	} cases[] = {
		{"1700000000123456 5000000 6 42 a.service a hello", 0, 6, "a.service", "a", "hello"},
		{"1 0 0 0 x.service sh ", 0, 0, "x.service", "sh", ""},
		{"1 0 7 2147483647 x.service sh  two  spaces ", 0, 7, "x.service", "sh", " two  spaces "},
		{"18446744073709551615 0 3 1 u i m", 0, 3, "u", "i", "m"},
		{"18446744073709551616 0 3 1 u i m", -EINVAL, 0, 0, 0, 0}, /* realtime overflows */
		{"17000x0000223456 1 6 1 u i m", -EINVAL, 0, 0, 0, 0},
		{"01 1 6 1 u i m", -EINVAL, 0, 0, 0, 0},                   /* a leading zero */
		{"1 1 8 1 u i m", -EINVAL, 0, 0, 0, 0},                    /* priority over 7 */
		{"1 1 9 1 u i m", -EINVAL, 0, 0, 0, 0},
		{"1 1 6 2147483648 u i m", -EINVAL, 0, 0, 0, 0},           /* pid */
		{"1 1 6 -1 u i m", -EINVAL, 0, 0, 0, 0},
		{"1 1 6 1 u i", -EINVAL, 0, 0, 0, 0},                      /* no message separator */
		{"1 1 6 1 u", -EINVAL, 0, 0, 0, 0},
		{"", -EINVAL, 0, 0, 0, 0},
		{"1  1 6 1 u i m", -EINVAL, 0, 0, 0, 0},
		{"1 1 6 1 u\x01 i m", -EINVAL, 0, 0, 0, 0},                /* a control byte in the unit */
		{"1 1 6 1 u i\nj m", -EINVAL, 0, 0, 0, 0},
		{"1 1 6 1 u i a\nb", -EINVAL, 0, 0, 0, 0},                 /* '\n' in the message */
	};
	for (size_t i = 0; i < T_LEN(cases); i++) {
		struct journal_rec r;
		int ret = journal_parse(cases[i].in, strlen(cases[i].in), &r);
		t_check(ret == cases[i].ok, "case %zu: %s: %d", i, cases[i].in, ret);
		if (ret || cases[i].ok)
			continue;
		t_check(r.prio == cases[i].prio && r.unit_len == strlen(cases[i].unit) && !memcmp(r.unit, cases[i].unit, r.unit_len) &&
				r.ident_len == strlen(cases[i].ident) && !memcmp(r.ident, cases[i].ident, r.ident_len) &&
				r.msg_len == strlen(cases[i].msg) && !memcmp(r.msg, cases[i].msg, r.msg_len),
			"case %zu: fields", i);
	}
	/* a message of exactly JOURNAL_LINE_MAX bytes, and one more; binary bytes are fine */
	static char big[JOURNAL_LINE_MAX + 64];
	int h = snprintf(big, sizeof(big), "1 1 6 1 u i ");
	memset(big + h, 0, JOURNAL_LINE_MAX + 1);
	struct journal_rec r;
	t_check(journal_parse(big, (size_t)h + JOURNAL_LINE_MAX, &r) == 0 && r.msg_len == JOURNAL_LINE_MAX, "8 KiB of NULs");
	t_check(journal_parse(big, (size_t)h + JOURNAL_LINE_MAX + 1, &r) == -EINVAL, "8 KiB + 1");
	char boot[33];
	t_check(journal_header("KEELJ1 0123456789abcdef0123456789abcdef", 39, boot) == 0 && !strcmp(boot, "0123456789abcdef0123456789abcdef"),
		"header");
	t_check(journal_header("KEELJ1 0123456789abcdef0123456789abcdeF", 39, boot) == -EINVAL, "header: a capital");
	t_check(journal_header("KEELJ2 0123456789abcdef0123456789abcdef", 39, boot) == -EINVAL, "header: version");
	t_check(journal_header("KEELJ1 0123456789abcdef0123456789abcde", 38, boot) == -EINVAL, "header: short");
}

/* The messages of the journal file beneath dir, "PRIO:MESSAGE|" each. */
static char *messages(const char *dir, const char *name)
{
	static char out[1 << 16];
	char path[512];
	snprintf(path, sizeof(path), "%s/run/keel/%s", dir, name);
	FILE *f = fopen(path, "r");
	size_t o = 0;
	out[0] = 0;
	if (!f)
		return out;
	static char line[JOURNAL_REC_MAX + 2];
	int first = 1;
	while (fgets(line, sizeof(line), f)) {
		size_t n = strcspn(line, "\n");
		struct journal_rec r;
		if (first) {
			char boot[33];
			first = 0;
			if (journal_header(line, n, boot))
				o += (size_t)snprintf(out + o, sizeof(out) - o, "NOHEADER|");
			continue;
		}
		if (journal_parse(line, n, &r))
			o += (size_t)snprintf(out + o, sizeof(out) - o, "BAD|");
		else if (r.msg_len > 30)
			o += (size_t)snprintf(out + o, sizeof(out) - o, "%d:%c*%zu|", r.prio, r.msg[0], r.msg_len);
		else
			o += (size_t)snprintf(out + o, sizeof(out) - o, "%d:%.*s|", r.prio, (int)r.msg_len, r.msg);
		if (o >= sizeof(out))
			break;
	}
	fclose(f);
	return out;
}

/* dir/run/keel made, and the journal set up there */
static void root_at(const char *dir)
{
	char run[600];
	mkdir(dir, 0755);
	snprintf(run, sizeof(run), "%s/run", dir);
	mkdir(run, 0755);
	snprintf(run, sizeof(run), "%s/run/keel", dir);
	mkdir(run, 0755);
	journal_setup(dir);
}

/* The records of dir's journal.1, then journal: realtime and monotonic never go back, and the
 * numbered messages ("N …") count up by one. */
static int ordered(const char *dir)
{
	static char line[JOURNAL_REC_MAX + 2];
	uint64_t rt = 0, mono = 0;
	long last = -1;
	for (int i = 0; i < 2; i++) {
		char path[512];
		snprintf(path, sizeof(path), "%s/run/keel/%s", dir, i ? "journal" : "journal.1");
		FILE *f = fopen(path, "r");
		if (!f)
			return 0;
		int first = 1;
		while (fgets(line, sizeof(line), f)) {
			struct journal_rec r;
			if (first) {
				first = 0;
				continue;
			}
			if (!journal_parse(line, strcspn(line, "\n"), &r) && (r.msg[0] < '0' || r.msg[0] > '9'))
				continue; /* not a numbered line */
			if (journal_parse(line, strcspn(line, "\n"), &r) || r.rt < rt || r.mono < mono ||
				(last >= 0 && strtol(r.msg, NULL, 10) != last + 1)) {
				fclose(f);
				return 0;
			}
			rt = r.rt, mono = r.mono, last = strtol(r.msg, NULL, 10);
		}
		fclose(f);
	}
	return last > 0;
}

T_TEST(journal_feed_lines)
{
	static const struct {
		size_t ring;             /* the log ring's size (log_max) */
		const char *chunks[5];   /* what the service's reads return, in turn */
		const char *want;
	} cases[] = {
		{65536, {"one\ntwo\n"}, "6:one|6:two|"},
		{65536, {"par", "t1 ", "and 2\n"}, "6:part1 and 2|"},
		{65536, {"no newline yet"}, ""},
		{65536, {"\n\n"}, "6:|6:|"},
		{65536, {"<3>err\n<7>debug\n<14>user.info\n<191>x\n<192>y\n<a>z\n<3\n<>q\n"},
			"3:err|7:debug|6:user.info|7:x|6:<192>y|6:<a>z|6:<3|6:<>q|"},
		{65536, {"<", "3>split prefix\n"}, "3:split prefix|"},
		{65536, {"a\0b\n"}, "6:a|"}, /* printed through %.*s: the record holds all three bytes */
		/* a ring of 16 bytes: the start of a line is in it (wrapped), or already dropped */
		{16, {"0123456789", "abcdef", "gh\n"}, "6:gh|"},
		{16, {"aaaaaaaaaaaaa\n", "bcde", "f\n"}, "6:aaaaaaaaaaaaa|6:bcdef|"}, /* "bcde" wraps in the ring */
		{16, {"0123456789", "ab", "cd\n"}, "6:0123456789abcd|"},
		{16, {"xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx\n12345678901", "2\n"}, "6:x*36|6:123456789012|"},
		{0, {"lost ", "start\n"}, "6:start|"},
	};
	for (size_t i = 0; i < T_LEN(cases); i++) {
		char dir[512];
		snprintf(dir, sizeof(dir), "%s/f%zu", t_tmpdir(), i);
		root_at(dir);
		struct log_ring r;
		log_ring_init(&r, cases[i].ring);
		for (size_t c = 0; c < 5 && cases[i].chunks[c]; c++) {
			const char *s = cases[i].chunks[c];
			size_t n = i == 6 ? 4 : strlen(s); /* case 6 holds a NUL */
			log_ring_write(&r, s, n);
			journal_feed(&r, NULL, "t.service", 7, s, n);
		}
		const char *got = messages(dir, "journal");
		t_check(!strcmp(got, cases[i].want), "case %zu: got \"%s\", want \"%s\"", i, got, cases[i].want);
		log_ring_free(&r);
	}
}

T_TEST(journal_feed_long_lines_and_rotation)
{
	const char *dir = t_tmpdir();
	root_at(dir);
	struct log_ring r;
	log_ring_init(&r, 65536);
	static char line[20001];
	memset(line, 'x', 20000);
	line[20000] = '\n';
	/* in reads of 4,096 bytes, as keel init reads */
	for (size_t o = 0; o < sizeof(line); o += 4096) {
		size_t n = sizeof(line) - o < 4096 ? sizeof(line) - o : 4096;
		log_ring_write(&r, line + o, n);
		journal_feed(&r, NULL, "t.service", 7, line + o, n);
	}
	const char *got = messages(dir, "journal");
	t_check(!strcmp(got, "6:x*8192|6:x*8192|6:x*3616|"), "20,000 bytes: %s", got);
	/* past JOURNAL_FILE_MAX the file becomes journal.1 and a new one starts with its header */
	static char chunk[4096];
	long no = 0;
	for (size_t total = 0; total < JOURNAL_FILE_MAX + 8192; total += sizeof(chunk)) {
		/* 32 lines of 128 bytes, numbered: "N yyyy…" */
		for (size_t i = 0; i < sizeof(chunk); i += 128) {
			memset(chunk + i, 'y', 127);
			memcpy(chunk + i, "         ", 9);
			int w = snprintf(chunk + i, 10, "%ld", no++);
			chunk[i + w] = ' ';
			chunk[i + 127] = '\n';
		}
		log_ring_write(&r, chunk, sizeof(chunk));
		journal_feed(&r, NULL, "t.service", 7, chunk, sizeof(chunk));
	}
	char path[700];
	struct stat a, b;
	snprintf(path, sizeof(path), "%s/run/keel/journal.1", dir);
	long long as = stat(path, &a) ? -1 : (long long)a.st_size;
	t_check(as <= JOURNAL_FILE_MAX && as > JOURNAL_FILE_MAX - 256, "journal.1: %lld bytes", as);
	snprintf(path, sizeof(path), "%s/run/keel/journal", dir);
	long long bs = stat(path, &b) ? -1 : (long long)b.st_size;
	t_check(bs > 0 && bs < JOURNAL_FILE_MAX, "journal: %lld bytes", bs);
	got = messages(dir, "journal");
	t_check(!strncmp(got, "6:", 2) && !strstr(got, "BAD") && !strstr(got, "NOHEADER"), "the new file: %.40s", got);
	got = messages(dir, "journal.1");
	t_check(!strstr(got, "BAD") && !strstr(got, "NOHEADER"), "journal.1 parses");
	t_check(ordered(dir), "the records of journal.1, then journal, in the order written (their clocks never go back)");
	/* short lines, many to a read and to a batch: rotations land inside batches */
	char d4[600];
	snprintf(d4, sizeof(d4), "%s/short", dir);
	root_at(d4);
	log_ring_free(&r);
	log_ring_init(&r, 65536);
	no = 0;
	for (size_t total = 0; total < 4 * JOURNAL_FILE_MAX; total += 60 * 512) { /* a record is about 60 bytes */
		for (size_t i = 0; i < sizeof(chunk); i += 8) {
			char l[9];
			snprintf(l, sizeof(l), "%07ld\n", no++);
			memcpy(chunk + i, l, 8);
		}
		log_ring_write(&r, chunk, sizeof(chunk));
		journal_feed(&r, NULL, "t.service", 7, chunk, sizeof(chunk));
	}
	t_check(ordered(d4), "short lines: in the order written across rotations inside a batch");
	log_ring_free(&r);
	log_ring_free(&r);
	/* a write torn by a full file system (here RLIMIT_FSIZE: writev writes up to the limit) is cut
	 * off again, so the next record starts a line */
	char d3[600];
	snprintf(d3, sizeof(d3), "%s/full", dir);
	root_at(d3);
	log_ring_init(&r, 65536);
	log_ring_write(&r, "first\n", 6);
	journal_feed(&r, NULL, "t.service", 7, "first\n", 6);
	snprintf(path, sizeof(path), "%s/run/keel/journal", d3);
	struct stat st;
	struct rlimit old = {0}, lim;
	t_check(!stat(path, &st), "journal made");
	t_check(!getrlimit(RLIMIT_FSIZE, &old), "getrlimit");
	lim = old;
	lim.rlim_cur = (rlim_t)st.st_size + 20;
	void (*prev)(int) = signal(SIGXFSZ, SIG_IGN);
	t_check(!setrlimit(RLIMIT_FSIZE, &lim), "setrlimit");
	log_ring_write(&r, "a line that does not fit in 20 bytes\n", 37);
	journal_feed(&r, NULL, "t.service", 7, "a line that does not fit in 20 bytes\n", 37);
	setrlimit(RLIMIT_FSIZE, &old);
	signal(SIGXFSZ, prev);
	log_ring_write(&r, "after\n", 6);
	journal_feed(&r, NULL, "t.service", 7, "after\n", 6);
	got = messages(d3, "journal");
	t_check(!strcmp(got, "6:first|6:after|"), "the torn record is gone: %s", got);
	log_ring_free(&r);
	/* a journal path that is a symlink or a FIFO is not written through */
	char d2[600], l[700];
	snprintf(d2, sizeof(d2), "%s/s", dir);
	root_at(d2);
	snprintf(l, sizeof(l), "%s/run/keel/journal", d2);
	snprintf(path, sizeof(path), "%s/target", d2);
	t_check(!symlink(path, l), "symlink");
	log_ring_init(&r, 65536);
	log_ring_write(&r, "a\n", 2);
	journal_feed(&r, NULL, "t.service", 7, "a\n", 2);
	t_check(access(path, F_OK) && errno == ENOENT, "nothing written through the symlink");
	unlink(l);
	t_check(!mkfifo(l, 0600), "mkfifo");
	journal_setup(d2);
	journal_feed(&r, NULL, "t.service", 7, "b\n", 2); /* must not block */
	t_check(1, "a FIFO does not block");
	log_ring_free(&r);
	journal_setup(""); /* leave nothing open */
}
