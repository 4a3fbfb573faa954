# seccomp-table.sh — keel's libseccomp patches (vendor/patches/libseccomp-*.patch, applied in name
# order as vendor/vendor.sh does) change how the syscall table is stored and looked up (packed,
# narrow fields, no gperf: a sorted table and binary search) and drop the architectures a keel host
# cannot run, nothing libseccomp answers for the ones it keeps. The oracle is libseccomp itself:
# the same pinned tarball built unpatched. For the kept architectures (x86, x86_64, x32, arm,
# aarch64), and for every system call of syscalls.csv plus names that are not system calls:
#   - the library's own table functions (compiled against each tree's own syscalls.h): name to
#     number, number back to name, kernel version by name and by number;
#   - the public API: seccomp_syscall_resolve_name_arch, _resolve_num_arch (x86's socketcall and
#     ipc multiplexing included), _resolve_name_rewrite;
#   - the BPF of two filters with a rule for every system call (x86_64 + x86 + x32; aarch64 + arm);
# the two builds must print the same lines and the same bytes. Each dropped architecture must fail
# cleanly in the patched library (-EINVAL from seccomp_arch_add/_exist, no resolution, token 0 by
# name) while the unpatched one knows it (the control that the check can fail).
. "$(dirname "$0")/lib.sh"
compat_init seccomp-table
need musl-gcc patch gperf || exit 0
cache=${KEEL_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/keel}
tarball=$cache/dl/$(awk '$1 == "libseccomp" { print $5 }' "$KEEL_SRC/vendor/pins")
[ -s "$tarball" ] || { fail "the pinned libseccomp tarball is not in $cache/dl"; exit 0; }
for t in orig patched; do
	mkdir -p "$t" && tar -xf "$tarball" -C "$t" --strip-components=1 || { fail "extract $t"; exit 0; }
done
npatch=0
for p in "$KEEL_SRC"/vendor/patches/libseccomp-*.patch; do
	patch -p1 -s -d patched < "$p" || { fail "${p##*/} does not apply"; exit 0; }
	npatch=$((npatch + 1))
done
[ "$npatch" -ge 2 ] || { fail "expected keel's two libseccomp patches, found $npatch"; exit 0; }
touch patched/src/syscalls.perf.template # regenerate the table from the patched template

KEPT="x86 x86_64 x32 arm aarch64"
# token name-for-seccomp_arch_resolve_name
DROPPED="LOONGARCH64:loongarch64 M68K:m68k MIPS:mips MIPSEL:mipsel MIPS64:mips64 MIPSEL64:mipsel64
MIPS64N32:mips64n32 MIPSEL64N32:mipsel64n32 PARISC:parisc PARISC64:parisc64 PPC:ppc PPC64:ppc64
PPC64LE:ppc64le S390:s390 S390X:s390x RISCV64:riscv64 SH:sh SHEB:sheb"
# every name of the csv, then names that are none: empty, prefixes, past either end, near misses
{
	grep -v '^#' orig/src/syscalls.csv | cut -d, -f1
	printf '%s\n' "" rea readx read_ aaa zzz _ _llseekx open_tree_ x SOCKET "read " ~
} > names
{
	echo '#include <stdio.h>'
	echo '#include <string.h>'
	echo '#include "syscalls.h"'
	echo 'int main(int argc, char **argv) { char line[256];'
	echo ' FILE *f = fopen(argv[1], "r"); if (!f) return 2;'
	echo ' while (fgets(line, sizeof line, f)) { line[strcspn(line, "\n")] = 0; const char *n = line; int num; const char *back;'
	for a in $KEPT; do
		echo "  num = syscall_resolve_name(n, SYSTBL_OFFSET($a)); back = syscall_resolve_num(num, SYSTBL_OFFSET($a));"
		echo "  printf(\"[%s] $a %d %s %d %d\\n\", n, num, back ? back : \"-\", (int)syscall_resolve_name_kver(n, SYSTBL_OFFSET(${a}_kver)),"
		echo "   (int)syscall_resolve_num_kver(num, SYSTBL_OFFSET($a), SYSTBL_OFFSET(${a}_kver)));"
	done
	echo ' } return 0; }'
} > resolve.c
cat > api.c <<'C'
#include <errno.h>
#include <seccomp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
static const struct { const char *n; uint32_t t; } kept[] = {{"x86", SCMP_ARCH_X86}, {"x86_64", SCMP_ARCH_X86_64},
	{"x32", SCMP_ARCH_X32}, {"arm", SCMP_ARCH_ARM}, {"aarch64", SCMP_ARCH_AARCH64}};
/* a filter for ARCHES (the native arch removed unless listed) with a rule for every name */
static int filter(char **names, int n, const uint32_t *arches, int na, const char *out)
{
	scmp_filter_ctx ctx = seccomp_init(SCMP_ACT_ALLOW);
	int native = 0;
	for (int i = 0; i < na; i++) {
		native |= arches[i] == seccomp_arch_native();
		if (arches[i] != seccomp_arch_native() && seccomp_arch_add(ctx, arches[i]))
			return 1;
	}
	if (!native && seccomp_arch_remove(ctx, SCMP_ARCH_NATIVE))
		return 1;
	for (int i = 0; i < n; i++) {
		int nr = seccomp_syscall_resolve_name(names[i]);
		if (nr != __NR_SCMP_ERROR)
			printf("%s rule %s %d\n", out, names[i], seccomp_rule_add(ctx, SCMP_ACT_ERRNO(1), nr, 0));
	}
	static char bpf[1 << 20];
	size_t len = 0; /* the size first: libseccomp 2.6 copies *len bytes */
	if (seccomp_export_bpf_mem(ctx, NULL, &len) || len > sizeof(bpf) || seccomp_export_bpf_mem(ctx, bpf, &len))
		return 1;
	FILE *f = fopen(out, "w");
	fwrite(bpf, 1, len, f);
	fclose(f);
	printf("%s %zu bytes\n", out, len);
	seccomp_release(ctx);
	return 0;
}
int main(int argc, char **argv)
{
	static char *names[1024];
	char line[256];
	int n = 0;
	FILE *f = fopen(argv[1], "r");
	while (n < 1024 && fgets(line, sizeof line, f)) {
		line[strcspn(line, "\n")] = 0;
		names[n++] = strdup(line);
	}
	for (int i = 0; i < n; i++)
		for (size_t a = 0; a < sizeof(kept) / sizeof(kept[0]); a++) {
			int num = seccomp_syscall_resolve_name_arch(kept[a].t, names[i]), rw = num;
			char *back = seccomp_syscall_resolve_num_arch(kept[a].t, num);
			rw = seccomp_syscall_resolve_name_rewrite(kept[a].t, names[i]);
			printf("[%s] %s %d %s %d\n", names[i], kept[a].n, num, back ? back : "-", rw);
			free(back);
		}
	const uint32_t x86[] = {SCMP_ARCH_X86_64, SCMP_ARCH_X86, SCMP_ARCH_X32}, arm[] = {SCMP_ARCH_AARCH64, SCMP_ARCH_ARM};
	return filter(names, n, x86, 3, "bpf-x86") || filter(names, n, arm, 2, "bpf-arm");
}
C
{
	echo '#include <seccomp.h>'
	echo '#include <stdio.h>'
	echo 'int main(void) { scmp_filter_ctx ctx = seccomp_init(SCMP_ACT_ALLOW); char *s;'
	for d in $DROPPED; do
		echo " s = seccomp_syscall_resolve_num_arch(SCMP_ARCH_${d%%:*}, 3);"
		echo " printf(\"${d%%:*} %d %d %d %s %u\\n\", seccomp_arch_add(ctx, SCMP_ARCH_${d%%:*}), seccomp_arch_exist(ctx, SCMP_ARCH_${d%%:*}),"
		echo "  seccomp_syscall_resolve_name_arch(SCMP_ARCH_${d%%:*}, \"read\"), s ? s : \"-\", seccomp_arch_resolve_name(\"${d#*:}\"));"
	done
	echo ' return 0; }'
} > dropped.c

ok=1
for t in orig patched; do
	(cd "$t" && ./configure -q --disable-shared --enable-static --disable-python CC=musl-gcc \
		CFLAGS="-O2 -isystem $cache/kinc" >configure.log 2>&1 && make -s -C src libseccomp.la >make.log 2>&1) ||
		{ fail "$t libseccomp did not build (see $t/make.log)"; ok=0; continue; }
	mkdir -p "$t/run"
	for prog in resolve api dropped; do
		musl-gcc -O1 -I"$t/src" -I"$t" -I"$t/include" -isystem "$cache/kinc" $prog.c "$t/src/.libs/libseccomp.a" -o "$t/$prog" ||
			{ fail "$prog.c against $t"; ok=0; continue 2; }
	done
	"./$t/resolve" names > "out-$t" && (cd "$t/run" && "../api" ../../names > ../../api-$t) && "./$t/dropped" > "dropped-$t" ||
		{ fail "the $t programs failed"; ok=0; }
done
[ $ok = 1 ] || exit 0

# One known difference: upstream gives two powerpc-only calls the same pseudo-number
# (__PNR_sys_debug_setcontext = __PNR_switch_endian = -10191, a pseudo-number on every kept
# architecture), so -10191 resolves back to whichever the table holds first: gperf's hash order
# upstream (sys_debug_setcontext), name order here (switch_endian). Filters are unaffected (the
# BPF below is compared too); these 20 lines, and only these, are normalised before comparing.
norm() { sed -E 's/^\[(switch_endian|sys_debug_setcontext)\] ([a-z0-9_]+) -10191 (switch_endian|sys_debug_setcontext) /[\1] \2 -10191 PNR10191 /' "$1"; }
for f in out-orig out-patched api-orig api-patched; do norm "$f" > "$f.n"; done
for f in out api; do
	d=$(diff "$f-orig" "$f-patched" | grep -c '^[<>]')
	[ "$d" = 20 ] && cmp -s "$f-orig" <(sed 's/ -10191 switch_endian / -10191 sys_debug_setcontext /' "$f-patched") ||
		fail "$f: the -10191 difference is not the 20 lines expected ($d lines differ)"
done
names=$(grep -c '' names)
n=$(grep -c '' out-orig)
if [ "$n" = $((names * 5)) ] && [ "$n" -ge 2500 ] && cmp -s out-orig.n out-patched.n; then
	pass "the table functions resolve all $n (name, kept architecture) pairs like the unpatched library: numbers, names back, kernel versions by name and number"
else
	fail "table functions: patched and unpatched differ ($n lines): $(diff out-orig.n out-patched.n | head -3 | tr '\n' ' ')"
fi
n=$(grep -c '^\[' api-orig)
if [ "$n" = $((names * 5)) ] && cmp -s api-orig.n api-patched.n; then
	pass "the public API resolves all $n pairs like the unpatched library (multiplexed socketcall/ipc on x86, rewrite)"
else
	fail "public API: patched and unpatched differ ($n lines): $(diff api-orig.n api-patched.n | head -3 | tr '\n' ' ')"
fi
for b in bpf-x86 bpf-arm; do
	r=$(grep -c "^$b rule .* 0$" api-orig)
	if [ "$r" -ge 400 ] && [ -s "orig/run/$b" ] && cmp -s "orig/run/$b" "patched/run/$b"; then
		pass "$b: a filter with $r rules compiles to the same $(stat -c %s "orig/run/$b") bytes of BPF"
	else
		fail "$b: $r rules; the BPF differs or is empty"
	fi
done
# The comparisons are not vacuous: arm's private calls (0xf0000+), x86's pseudo-numbers and
# socketcall multiplexing, and names that are not system calls are among the lines compared.
grep -q '^\[breakpoint\] arm 983041 breakpoint ' out-patched && grep -qE '^\[accept\] x86 -[0-9]+ ' out-patched &&
	grep -qx '\[rea\] x86_64 -1 - 0 0' out-patched && grep -qx '\[\] aarch64 -1 - 0 0' out-patched &&
	grep -qE '^\[socket\] x86 -101 socket 102$' api-patched &&
	pass "arm's private calls (983041), x86's pseudo-numbers and socketcall, and unknown names are among them" ||
	fail "the output lacks arm's private calls, the pseudo-numbers, socketcall or the unknown names"
# A one-byte change in the patched output is seen by this comparison (the control).
sed -i 's/^\[read\] x86_64 0 read/[read] x86_64 1 read/' out-patched.n
cmp -s out-orig.n out-patched.n && fail "the comparison missed a changed line" || pass "a changed line is seen (control)"

# Dropped architectures: the unpatched library knows each (the control); the patched one refuses
# each cleanly: seccomp_arch_add and _exist -EINVAL, no syscall resolution, token 0 by name.
bad=
while read -r a add exist num back tok; do
	[ "$add" = -22 ] && [ "$exist" = -22 ] && [ "$num" = "$(awk '$1 == "#define" && $2 == "__NR_SCMP_ERROR" { print $3 }' patched/include/seccomp.h)" ] &&
		[ "$back" = - ] && [ "$tok" = 0 ] || bad="$bad $a"
done < dropped-patched
known=
while read -r a add exist num back tok; do
	[ "$tok" != 0 ] && [ "$back" != - ] && known="$known $a"
done < dropped-orig
nd=$(echo $DROPPED | wc -w)
if [ -z "$bad" ] && [ "$(grep -c '' dropped-patched)" = "$nd" ]; then
	pass "the $nd dropped architectures fail cleanly in the patched library"
else
	fail "dropped architectures not refused cleanly:$bad"
fi
[ "$(echo $known | wc -w)" = "$nd" ] && pass "the unpatched library knows all $nd (control)" ||
	fail "the unpatched library does not know all dropped architectures:$known"
