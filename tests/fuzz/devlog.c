/* devlog.c — libFuzzer harness for devlog_line() (a datagram on keel init's syslog socket) and
 * the DeviceAllow= rules (dev_rules, dev_program) over a fuzzed /proc/devices text.
 *
 * devlog_line: the line fits the room given, is empty or ends in its only newline, holds no other
 * control character, and is the input's tail (after an optional <PRI> and time stamp) with control
 * characters as spaces. dev_rules/dev_program: never more rules than room, every rule a valid
 * type and access, the program within its bound and ending in an exit.
 */
#include "init/devices.h"
#include "init/devlog.h"

#include <linux/bpf.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void check(int cond, const char *what)
{
	if (!cond) {
		fprintf(stderr, "devlog fuzz: %s\n", what);
		abort();
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char out[DEVLOG_LINE_MAX];
	size_t cap = 2 + (size ? data[0] % (sizeof(out) - 1) : 0);
	int level = -1;
	size_t k = devlog_line((const char *)data, size, out, cap, &level);
	check(level >= 0 && level <= 7, "a level outside 0..7");
	check(k <= cap, "longer than the room");
	if (k) {
		check(out[k - 1] == '\n', "no newline at the end");
		for (size_t i = 0; i + 1 < k; i++)
			check((unsigned char)out[i] >= 0x20 && out[i] != 0x7f, "a control character kept");
	}
	/* the same bytes as /proc/devices, and as DeviceAllow= entries */
	char *text = malloc(size + 1);
	if (!text)
		return 0;
	memcpy(text, data, size);
	text[size] = 0;
	struct strv allow = {0};
	strv_push(&allow, "char-*");
	strv_push(&allow, "block-* r");
	if (size > 2 && text[0] != '/')
		strv_push(&allow, text);
	struct dev_rule rules[DEV_RULES_MAX];
	struct bpf_insn prog[6 + DEV_RULES_MAX * 6 + 2];
	for (uint8_t pol = DEV_AUTO; pol <= (DEV_STRICT | DEV_RTC); pol++) {
		if ((pol & DEV_POLICY_MASK) == DEV_POLICY_MASK) /* not a policy */
			continue;
		int n = dev_rules(pol, &allow, text, rules, DEV_RULES_MAX);
		check(n <= DEV_RULES_MAX, "more rules than room");
		for (int i = 0; i < n; i++)
			check((rules[i].type == 'c' || rules[i].type == 'b') && rules[i].acc && rules[i].acc <= 7 &&
				rules[i].major < 4096, "a rule out of range");
		if (n >= 0) {
			int m = dev_program(rules, (size_t)n, prog, sizeof(prog) / sizeof(prog[0]));
			check(m > 0 && prog[m - 1].code == (BPF_JMP | BPF_EXIT), "the program does not end in an exit");
		}
	}
	strv_clear(&allow);
	free(text);
	return 0;
}
