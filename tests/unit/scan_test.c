/* scan_test.c — core/base/scan: the cursor functions that replaced sscanf, each case next to a
 * forged one, and against sscanf itself for the three shapes keel reads ("/proc/PID/stat" after
 * the comm, kernel versions X.Y, /proc/net/tcp lines). */
#include "base/scan.h"
#include "t.h"

#include <limits.h>
#include <stdio.h>
#include <string.h>

T_TEST(scan_numbers)
{
	static const struct {
		const char *in;
		unsigned base;
		int ok;
		unsigned want;
		size_t used;
	} u[] = {
		{"0", 10, 1, 0, 1}, {"42x", 10, 1, 42, 2}, {"4294967295", 10, 1, UINT_MAX, 10}, {"4294967296", 10, 0, 0, 0},
		{"99999999999999999999", 10, 0, 0, 0}, {"", 10, 0, 0, 0}, {" 1", 10, 0, 0, 0}, {"+1", 10, 0, 0, 0},
		{"-1", 10, 0, 0, 0}, {"0277 ", 16, 1, 0x277, 4}, {"fFaA", 16, 1, 0xffaa, 4}, {"ffffffff", 16, 1, UINT_MAX, 8},
		{"100000000", 16, 0, 0, 0}, {"0x1f", 16, 1, 0, 1}, {"g", 16, 0, 0, 0}, {"af", 10, 0, 0, 0},
	};
	for (size_t i = 0; i < T_LEN(u); i++) {
		unsigned v = 12345;
		const char *e = scan_uint(u[i].in, u[i].base, &v);
		t_check(u[i].ok ? e == u[i].in + u[i].used && v == u[i].want : !e && v == 12345, "uint %zu: %s", i, u[i].in);
	}
	static const struct {
		const char *in;
		int ok, want;
	} s[] = {{"17", 1, 17}, {"-17", 1, -17}, {"2147483647", 1, INT_MAX}, {"-2147483648", 1, INT_MIN},
		{"2147483648", 0, 0}, {"-2147483649", 0, 0}, {"-", 0, 0}, {"--1", 0, 0}, {"+3", 0, 0}};
	for (size_t i = 0; i < T_LEN(s); i++) {
		int v = 7;
		const char *e = scan_int(s[i].in, &v);
		t_check(s[i].ok ? e && !*e && v == s[i].want : !e && v == 7, "int %zu: %s", i, s[i].in);
	}
	char c = 'z', out[4];
	t_check(!scan_char("", &c) && c == 'z' && scan_char("ab", &c) && c == 'a', "scan_char");
	t_check(scan_lit(":1", ':') && !scan_lit("1", ':') && !scan_lit("", 0), "scan_lit");
	t_check(!scan_blanks(NULL) && !scan_uint(NULL, 10, &(unsigned){0}) && !scan_int(NULL, &(int){0}) &&
			!scan_char(NULL, &c) && !scan_lit(NULL, ':') && !scan_span(NULL, NULL, out, sizeof(out)),
		"NULL in is NULL out");
	const char *e = scan_span("abcdef gh", NULL, out, sizeof(out));
	t_check(e && !strcmp(out, "abc") && *e == 'd', "a longer run is cut at n - 1: %s", out);
	t_check(!scan_span(" x", NULL, out, sizeof(out)) && !scan_span("x", "0123", out, sizeof(out)) &&
			!scan_span("x", NULL, out, 1), "no character of the set, or no room");
}

/* The replaced sscanf formats, run side by side on the same inputs (good and forged). */
static int stat_scan(const char *p, char *st, int *pp, int *pg, int *sd)
{
	const char *q = scan_char(scan_blanks(p), st);
	return (q = scan_int(scan_blanks(q), pp)) && (q = scan_int(scan_blanks(q), pg)) && scan_int(scan_blanks(q), sd) ? 4 : -1;
}
static int kver_scan(const char *v, unsigned *maj, unsigned *min)
{
	const char *e = scan_uint(v, 10, maj);
	return e && *e == '.' && (e = scan_uint(e + 1, 10, min)) && !*e ? 2 : -1;
}
static int tcp_scan(const char *l, char *local, unsigned *port, char *remote, unsigned *rport, char *st)
{
	static const char hex[] = "0123456789abcdefABCDEF";
	char sl[64];
	const char *q = scan_blanks(scan_span(scan_blanks(l), NULL, sl, sizeof(sl)));
	q = scan_uint(scan_lit(scan_span(q, hex, local, 64), ':'), 16, port);
	q = scan_uint(scan_lit(scan_span(scan_blanks(q), hex, remote, 64), ':'), 16, rport);
	return scan_span(scan_blanks(q), NULL, st, 8) ? 5 : -1;
}

T_TEST(scan_as_sscanf)
{
	static const char *const stat[] = {" S 1 2 3 4 5", " R 0 0 0", "  Z -1 7 8 rest", "\tS 12 13", " S x 1 2", "", " S 1 2 3",
		" S 2147483647 0 0"};
	for (size_t i = 0; i < T_LEN(stat); i++) {
		char a = 0, b = 0;
		int a1 = 0, a2 = 0, a3 = 0, b1 = 0, b2 = 0, b3 = 0;
		int ra = sscanf(stat[i], " %c %d %d %d", &a, &a1, &a2, &a3), rb = stat_scan(stat[i], &b, &b1, &b2, &b3);
		t_check((ra == 4) == (rb == 4) && (ra != 4 || (a == b && a1 == b1 && a2 == b2 && a3 == b3)), "stat %zu", i);
	}
	static const char *const kv[] = {"5.8", "6.12", "0.0", "5", "5.", ".8", "5.8.1", "5.8x", "a.b", "4294967295.1"};
	for (size_t i = 0; i < T_LEN(kv); i++) {
		unsigned a = 0, a1 = 0, b = 0, b1 = 0;
		int n = 0, ra = sscanf(kv[i], "%u.%u%n", &a, &a1, &n) == 2 && !kv[i][n] ? 2 : -1, rb = kver_scan(kv[i], &b, &b1);
		t_check(ra == rb && (ra != 2 || (a == b && a1 == b1)), "kernel version %zu: %s", i, kv[i]);
	}
	static const char *const tcp[] = {
		"   0: 0100007F:0277 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 1 1",
		"  12: 00000000000000000000000001000000:1F90 00000000000000000000000000000000:0000 0A 0",
		"   1: 0100007F:E0C4 0100007F:0277 01 00000000:00000000",
		"  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid",
		"   2: 0100007F 0277 00000000:0000 0A", "   3: 0100007F:0277", "   4: 0100007F:0277 00000000:0000", "",
		"   5: 0100007G:0277 00000000:0000 0A",
	};
	for (size_t i = 0; i < T_LEN(tcp); i++) {
		char la[64] = "", ra_[64] = "", sa[8] = "", lb[64] = "", rb_[64] = "", sb[8] = "";
		unsigned pa = 0, rpa = 0, pb = 0, rpb = 0;
		int r1 = sscanf(tcp[i], "%*s %63[0-9A-Fa-f]:%x %63[0-9A-Fa-f]:%x %7s", la, &pa, ra_, &rpa, sa);
		int r2 = tcp_scan(tcp[i], lb, &pb, rb_, &rpb, sb);
		t_check((r1 == 5) == (r2 == 5) && (r1 != 5 || (!strcmp(la, lb) && pa == pb && !strcmp(ra_, rb_) && rpa == rpb && !strcmp(sa, sb))),
			"tcp line %zu", i);
	}
}
