/* devlog_test.c — syslog datagrams as glibc's syslog(3) and logger(1) send them to /dev/log, and
 * forged ones, as the line a unit's log keeps (core/init/devlog.h). */
#include "t.h"
#include "init/devlog.h"

#include <string.h>

T_TEST(devlog_lines)
{
	static const struct { const char *in; size_t n; size_t cap; const char *out; } cases[] = {
		/* glibc syslog(3): <PRI>TIMESTAMP TAG[PID]: text */
		{"<38>Dec  4 00:01:02 sshd[812]: Accepted publickey for core from 10.0.2.2 port 4022 ssh2", 0, 0,
			"sshd[812]: Accepted publickey for core from 10.0.2.2 port 4022 ssh2\n"},
		{"<30>Dec 14 23:59:59 chronyd[90]: chronyd version 4.3 starting\n", 0, 0, "chronyd[90]: chronyd version 4.3 starting\n"},
		{"<13>hello without a stamp", 0, 0, "hello without a stamp\n"},
		{"plain text", 0, 0, "plain text\n"},
		{"<191>Jan  1 00:00:00 x: max priority", 0, 0, "x: max priority\n"},
		/* forged or odd */
		{"<1234>Dec  4 00:01:02 x: four digits is no priority", 0, 0, "<1234>Dec  4 00:01:02 x: four digits is no priority\n"},
		{"<38 no closing", 0, 0, "<38 no closing\n"},
		{"<>Dec  4 00:01:02 x", 0, 0, "<>Dec  4 00:01:02 x\n"},
		{"<38>dec  4 00:01:02 lower-case month is no stamp", 0, 0, "dec  4 00:01:02 lower-case month is no stamp\n"},
		{"<38>Dec  4 00:01", 0, 0, "Dec  4 00:01\n"},
		{"a\x01" "b\x1b[31mred\x7f\tend", 0, 0, "a b [31mred  end\n"},
		{"line one\nline two\n\n", 0, 0, "line one line two\n"},
		{"trailing nul\0\0", 14, 0, "trailing nul\n"},
		{"em\0bedded", 9, 0, "em bedded\n"},
		{"<38>Dec  4 00:01:02 ", 0, 0, ""},
		{"\n\n", 0, 0, ""},
		{"", 0, 0, ""},
		{"<38>", 0, 0, ""},
		{"0123456789", 0, 6, "01234\n"},
		{"ab", 0, 2, "a\n"},
	};
	for (size_t i = 0; i < T_LEN(cases); i++) {
		char out[DEVLOG_LINE_MAX];
		int level;
		size_t n = cases[i].n ? cases[i].n : strlen(cases[i].in), cap = cases[i].cap ? cases[i].cap : sizeof(out);
		size_t k = devlog_line(cases[i].in, n, out, cap, &level);
		t_check(k == strlen(cases[i].out) && !memcmp(out, cases[i].out, k), "case %zu: '%.*s' want '%s'", i, (int)k, out,
			cases[i].out);
	}
	/* the level: PRI & 7; notice (5) without a priority or with a forged one */
	static const struct { const char *in; int level; } levels[] = {
		{"<38>Dec  4 00:01:02 sshd[812]: x", 6}, {"<30>x", 6}, {"<13>x", 5}, {"<191>x", 7}, {"<0>x", 0}, {"<11>x", 3},
		{"plain", 5}, {"<1234>x", 5}, {"<38 x", 5}, {"<>x", 5}, {"<3", 5},
	};
	for (size_t i = 0; i < T_LEN(levels); i++) {
		char out[64];
		int level = -1;
		devlog_line(levels[i].in, strlen(levels[i].in), out, sizeof(out), &level);
		t_check(level == levels[i].level, "level of '%s': %d, want %d", levels[i].in, level, levels[i].level);
	}
	int level;
	/* a datagram longer than a line: cut, newline kept */
	static char big[DEVLOG_MSG_MAX];
	memset(big, 'x', sizeof(big));
	char out[DEVLOG_LINE_MAX];
	size_t k = devlog_line(big, sizeof(big), out, sizeof(out), &level);
	t_check(k == DEVLOG_LINE_MAX && out[k - 1] == '\n' && out[k - 2] == 'x', "long: %zu", k);
}
