/* devices_test.c — DevicePolicy=/DeviceAllow= (systemd.resource-control(5)): the rules made from
 * the values (parsed in svc_sandbox_test.c) against a fixed /proc/devices, and the BPF
 * program's decisions, run here by a small interpreter of the instructions it uses (the kernel's
 * verdict is checked in tests/vm/daemons.sh, where chrony's own unit asks for it). */
#include "t.h"
#include "base/err.h"
#include "init/devices.h"

#include <errno.h>
#include <linux/bpf.h>
#include <stdio.h>
#include <string.h>

static const char procdev[] = "Character devices:\n  1 mem\n  4 tty\n  5 /dev/tty\n 10 misc\n136 pts\n137 pts\n"
	"248 pps\n249 ptp\n250 rtc\n\nBlock devices:\n  7 loop\n  8 sd\n254 virtblk\n";

/* Run the program on one access (type 'c'/'b', access bits 1 mknod 2 read 4 write): 1 allow, 0 deny,
 * -1 an instruction the interpreter does not know (the program uses no other). */
static int run(const struct bpf_insn *p, int n, char type, uint32_t major, uint32_t minor, uint32_t acc)
{
	uint32_t ctx[3] = {acc << 16 | (type == 'c' ? BPF_DEVCG_DEV_CHAR : BPF_DEVCG_DEV_BLOCK), major, minor};
	uint64_t r[11] = {0};
	for (int pc = 0, steps = 0; pc >= 0 && pc < n && steps < 10000; pc++, steps++) {
		const struct bpf_insn *i = &p[pc];
		switch (i->code) {
		case BPF_LDX | BPF_MEM | BPF_W:
			if (i->src_reg != 1 || i->off < 0 || i->off > 8 || i->off % 4)
				return -1;
			r[i->dst_reg] = ctx[i->off / 4];
			break;
		case BPF_ALU | BPF_AND | BPF_K: r[i->dst_reg] = (uint32_t)(r[i->dst_reg] & (uint32_t)i->imm); break;
		case BPF_ALU | BPF_RSH | BPF_K: r[i->dst_reg] = (uint32_t)r[i->dst_reg] >> i->imm; break;
		case BPF_ALU64 | BPF_MOV | BPF_K: r[i->dst_reg] = (uint64_t)(int64_t)i->imm; break;
		case BPF_JMP | BPF_JNE | BPF_K: if (r[i->dst_reg] != (uint64_t)(int64_t)i->imm) pc += i->off; break;
		case BPF_JMP | BPF_JSET | BPF_K: if (r[i->dst_reg] & (uint64_t)(int64_t)i->imm) pc += i->off; break;
		case BPF_JMP | BPF_EXIT: return (int)r[0];
		default: return -1;
		}
	}
	return -1;
}

T_TEST(devices_program)
{
	/* chrony's: closed + pps, ptp, rtc rw */
	static const struct { uint8_t policy; const char *allow[3]; char type; uint32_t major, minor, acc; int want; } cases[] = {
		{DEV_CLOSED, {"char-pps rw", "char-ptp rw", "char-rtc rw"}, 'c', 250, 0, 2 | 4, 1},
		{DEV_CLOSED, {"char-pps rw", "char-ptp rw", "char-rtc rw"}, 'c', 249, 3, 2, 1},
		{DEV_CLOSED, {"char-pps rw", "char-ptp rw", "char-rtc rw"}, 'c', 250, 0, 1, 0},     /* mknod not granted */
		{DEV_CLOSED, {"char-pps rw", "char-ptp rw", "char-rtc rw"}, 'c', 1, 3, 7, 1},       /* /dev/null rwm */
		{DEV_CLOSED, {"char-pps rw", "char-ptp rw", "char-rtc rw"}, 'c', 1, 9, 2, 1},       /* /dev/urandom */
		{DEV_CLOSED, {"char-pps rw", "char-ptp rw", "char-rtc rw"}, 'c', 1, 1, 2, 0},       /* /dev/mem */
		{DEV_CLOSED, {"char-pps rw", "char-ptp rw", "char-rtc rw"}, 'c', 136, 4, 6, 1},     /* a pty slave */
		{DEV_CLOSED, {"char-pps rw", "char-ptp rw", "char-rtc rw"}, 'c', 137, 0, 1, 0},     /* ... not mknod */
		{DEV_CLOSED, {"char-pps rw", "char-ptp rw", "char-rtc rw"}, 'c', 4, 1, 2, 0},       /* tty1 */
		{DEV_CLOSED, {"char-pps rw", "char-ptp rw", "char-rtc rw"}, 'b', 254, 0, 2, 0},     /* the disk */
		{DEV_CLOSED, {"char-pps rw", "char-ptp rw", "char-rtc rw"}, 'b', 1, 3, 2, 0},       /* block 1:3 is not null */
		{DEV_STRICT, {"char-rtc r"}, 'c', 1, 3, 2, 0},                                      /* strict: no pseudo devices */
		{DEV_STRICT, {"char-rtc r"}, 'c', 250, 0, 2, 1},
		{DEV_STRICT, {"char-rtc r"}, 'c', 250, 0, 2 | 4, 0},
		{DEV_STRICT, {"block-*"}, 'b', 8, 16, 7, 1},                                        /* a glob, access rwm */
		{DEV_STRICT, {"block-*"}, 'c', 8, 16, 2, 0},
		{DEV_AUTO, {"char-misc m"}, 'c', 10, 200, 1, 1},
		{DEV_AUTO, {"char-misc m"}, 'c', 10, 200, 2, 0},
		{DEV_AUTO, {"char-misc m"}, 'c', 5, 2, 6, 1},                                       /* auto + list: ptmx */
		{DEV_STRICT, {"char-nosuchdriver"}, 'c', 1, 3, 2, 0},
		{DEV_STRICT, {"/dev/nonexistent-node rw"}, 'c', 1, 3, 2, 0},                         /* skipped, as systemd */
		{DEV_STRICT, {"/dev/null r"}, 'c', 1, 3, 2, 1},                                     /* resolved by stat */
		{DEV_STRICT, {"/dev/null r"}, 'c', 1, 3, 4, 0},
	};
	for (size_t i = 0; i < T_LEN(cases); i++) {
		struct strv allow = {0};
		struct dev_rule rules[DEV_RULES_MAX];
		struct bpf_insn prog[6 + DEV_RULES_MAX * 6 + 2];
		for (int j = 0; j < 3 && cases[i].allow[j]; j++)
			strv_push(&allow, cases[i].allow[j]);
		int n = dev_rules(cases[i].policy, &allow, procdev, rules, DEV_RULES_MAX);
		int k = n < 0 ? n : dev_program(rules, (size_t)n, prog, T_LEN(prog));
		int got = k < 0 ? -2 : run(prog, k, cases[i].type, cases[i].major, cases[i].minor, cases[i].acc);
		t_check(got == cases[i].want, "case %zu: %c %u:%u access %u: want %d, got %d (rules %d)", i, cases[i].type,
			cases[i].major, cases[i].minor, cases[i].acc, cases[i].want, got, n);
		strv_clear(&allow);
	}
	t_check(dev_effective(DEV_AUTO, 0, false, false) < 0 && dev_effective(DEV_CLOSED, 0, false, false) == DEV_CLOSED &&
			dev_effective(DEV_STRICT, 0, false, false) == DEV_STRICT && dev_effective(DEV_AUTO, 1, false, false) == DEV_AUTO,
		"auto with no list asks for no program; closed, strict and a list do");
	struct dev_rule r[2];
	struct strv many = {0};
	for (int j = 0; j < 3; j++)
		strv_push(&many, "block-*");
	t_check(dev_rules(DEV_STRICT, &many, procdev, r, 2) == -E2BIG, "more rules than room: -E2BIG");
	strv_clear(&many);
}

/* What PrivateDevices= and ProtectClock= imply, as systemd 252 derives it while loading the unit
 * (src/core/unit.c, unit_patch_contexts): systemd.exec(5) PrivateDevices= "…and set
 * DevicePolicy=closed", ProtectClock= "…and DeviceAllow=char-rtc r is implied" — the rtc rule only
 * where a program is made anyway ("Only add these if needed, as they imply that everything else is
 * blocked"): a closed/strict policy or a DeviceAllow= list. */
T_TEST(devices_implied)
{
	enum { PD = 1, PC = 2 };
	static const struct {
		uint8_t policy, dirs;
		const char *allow;
		int eff; /* dev_effective */
		char type;
		uint32_t major, minor, acc;
		int want;
	} cases[] = {
		{DEV_AUTO, PD, NULL, DEV_CLOSED, 'c', 1, 3, 7, 1},                   /* PrivateDevices: /dev/null rwm */
		{DEV_AUTO, PD, NULL, DEV_CLOSED, 'c', 136, 2, 6, 1},                 /* a pty */
		{DEV_AUTO, PD, NULL, DEV_CLOSED, 'b', 254, 0, 2, 0},                 /* the disk */
		{DEV_AUTO, PD, NULL, DEV_CLOSED, 'c', 250, 0, 2, 0},                 /* the rtc */
		{DEV_AUTO, PC, NULL, -1, 0, 0, 0, 0, 0},                             /* ProtectClock alone: no program */
		{DEV_AUTO, PD | PC, NULL, DEV_CLOSED | DEV_RTC, 'c', 250, 0, 2, 1},  /* both: rtc read */
		{DEV_AUTO, PD | PC, NULL, DEV_CLOSED | DEV_RTC, 'c', 250, 1, 4, 0},  /* ... not written */
		{DEV_AUTO, PD | PC, NULL, DEV_CLOSED | DEV_RTC, 'c', 250, 0, 1, 0},  /* ... not made */
		{DEV_AUTO, PD | PC, NULL, DEV_CLOSED | DEV_RTC, 'c', 1, 9, 2, 1},    /* /dev/urandom */
		{DEV_AUTO, PD | PC, NULL, DEV_CLOSED | DEV_RTC, 'b', 254, 0, 2, 0},
		{DEV_AUTO, PC, "block-sd r", DEV_AUTO | DEV_RTC, 'c', 250, 0, 2, 1}, /* a list: the rtc rule joins it */
		{DEV_AUTO, PC, "block-sd r", DEV_AUTO | DEV_RTC, 'b', 8, 0, 2, 1},
		{DEV_AUTO, PC, "block-sd r", DEV_AUTO | DEV_RTC, 'c', 1, 5, 2, 1},   /* auto + list: pseudo devices */
		{DEV_AUTO, PC, "block-sd r", DEV_AUTO | DEV_RTC, 'b', 254, 0, 2, 0},
		{DEV_AUTO, PC, "char-rtc rw", DEV_AUTO | DEV_RTC, 'c', 250, 0, 6, 1}, /* the unit's own rw still holds */
		{DEV_AUTO, PD, "char-rtc rw", DEV_CLOSED, 'c', 250, 0, 6, 1},
		{DEV_CLOSED, PC, NULL, DEV_CLOSED | DEV_RTC, 'c', 250, 0, 2, 1},
		{DEV_STRICT, PD, NULL, DEV_STRICT, 'c', 1, 3, 2, 0},                 /* strict stays strict */
		{DEV_STRICT, PD | PC, NULL, DEV_STRICT | DEV_RTC, 'c', 250, 0, 2, 1},
		{DEV_STRICT, PD | PC, NULL, DEV_STRICT | DEV_RTC, 'c', 1, 3, 2, 0},
	};
	for (size_t i = 0; i < T_LEN(cases); i++) {
		struct strv allow = {0};
		struct dev_rule rules[DEV_RULES_MAX];
		struct bpf_insn prog[6 + DEV_RULES_MAX * 6 + 2];
		if (cases[i].allow)
			strv_push(&allow, cases[i].allow);
		int eff = dev_effective(cases[i].policy, allow.n, cases[i].dirs & PD, cases[i].dirs & PC);
		t_check(eff == cases[i].eff, "case %zu: policy %d, want %d", i, eff, cases[i].eff);
		if (eff >= 0) {
			int n = dev_rules((uint8_t)eff, &allow, procdev, rules, DEV_RULES_MAX);
			int k = n < 0 ? n : dev_program(rules, (size_t)n, prog, T_LEN(prog));
			int got = k < 0 ? -2 : run(prog, k, cases[i].type, cases[i].major, cases[i].minor, cases[i].acc);
			t_check(got == cases[i].want, "case %zu: %c %u:%u access %u: want %d, got %d", i, cases[i].type,
				cases[i].major, cases[i].minor, cases[i].acc, cases[i].want, got);
		}
		strv_clear(&allow);
	}
}
