/* journal.c — fuzz core/init/journal.c: what keel init writes to the journal file from the bytes
 * a service sends, and the record parser that journalctl trusts. The first input byte picks the
 * log ring's size (0 .. 255 * 64 bytes), the second the size of the reads (1 .. 256 bytes); the
 * rest is the service's output, fed read by read as keel init feeds it. Invariants: the file
 * starts with a valid header and every record keel init wrote parses (journal_parse), with a
 * priority 0..7, the unit and identifier given, and a message of at most JOURNAL_LINE_MAX bytes
 * that holds no '\n' and is a piece of the input; and journal_parse never accepts a line of the
 * input that breaks those bounds. */
#include "init/journal.h"
#include "init/log_ring.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static void check(int cond, const char *what)
{
	if (!cond) {
		fprintf(stderr, "journal fuzz: %s\n", what);
		abort();
	}
}

static char root[64], path[128];
static char file[JOURNAL_FILE_MAX + 1];

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (!root[0]) {
		snprintf(root, sizeof(root), "%s/keel-fuzz-journal.XXXXXX", getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp");
		check(mkdtemp(root) != NULL, "mkdtemp");
		char d[128];
		snprintf(d, sizeof(d), "%s/run", root);
		mkdir(d, 0755);
		snprintf(d, sizeof(d), "%s/run/keel", root);
		mkdir(d, 0755);
		snprintf(path, sizeof(path), "%s" JOURNAL_PATH, root);
	}
	if (size < 2)
		return 0;
	/* the parser alone, on each line of the input */
	const char *in = (const char *)data + 2, *end = (const char *)data + size;
	for (const char *p = in; p < end;) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		size_t n = nl ? (size_t)(nl - p) : (size_t)(end - p);
		struct journal_rec r;
		if (!journal_parse(p, n, &r))
			check(r.prio >= 0 && r.prio <= 7 && r.msg_len <= JOURNAL_LINE_MAX && r.msg + r.msg_len == p + n &&
				      !memchr(r.msg, '\n', r.msg_len) && r.unit_len && r.ident_len,
				"journal_parse accepted a record out of bounds");
		p += n + 1;
	}
	/* the writer */
	unlink(path);
	journal_setup(root);
	struct log_ring ring;
	log_ring_init(&ring, (size_t)data[0] * 64);
	size_t step = (size_t)data[1] + 1;
	for (const char *p = in; p < end; p += step) {
		size_t n = (size_t)(end - p) < step ? (size_t)(end - p) : step;
		log_ring_write(&ring, p, n);
		journal_feed(&ring, NULL, "f.service", 42, p, n);
	}
	log_ring_free(&ring);
	FILE *f = fopen(path, "r");
	if (!f) /* no complete line: nothing written */
		return 0;
	size_t len = fread(file, 1, sizeof(file), f);
	fclose(f);
	check(len <= JOURNAL_FILE_MAX, "the file within its size");
	char boot[33];
	const char *p = file, *e = file + len, *nl = memchr(p, '\n', len);
	check(nl && !journal_header(p, (size_t)(nl - p), boot), "the header");
	for (p = nl + 1; p < e; p = nl + 1) {
		nl = memchr(p, '\n', (size_t)(e - p));
		check(nl != NULL, "every record ends with its newline");
		struct journal_rec r;
		check(!journal_parse(p, (size_t)(nl - p), &r), "every record written parses");
		check(r.unit_len == 9 && !memcmp(r.unit, "f.service", 9) && r.pid == 42 && r.ident_len == 1 && r.ident[0] == 'f',
			"unit, pid and identifier as given");
		check(r.msg_len <= JOURNAL_LINE_MAX, "a message of at most JOURNAL_LINE_MAX bytes");
		check(!r.msg_len || memmem(in, (size_t)(end - in), r.msg, r.msg_len), "the message is a piece of the input");
	}
	return 0;
}
