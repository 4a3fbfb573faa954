# seccomp-table.sh — vendor/patches/libseccomp-compact-syscall-table.patch changes how libseccomp
# stores its syscall table (packed, int16_t numbers, uint8_t kernel versions), nothing it answers.
# The oracle is libseccomp itself: the same pinned tarball built unpatched. A program resolves
# every system call of syscalls.csv on each of the 18 architectures — name to number, number back
# to name, name to kernel version (the library's own table functions, compiled against each
# tree's own syscalls.h) — and the two builds must print the same lines. Also: the public API
# (seccomp_syscall_resolve_name_arch) on the patched library for known x86-64 numbers.
. "$(dirname "$0")/lib.sh"
compat_init seccomp-table
need musl-gcc patch gperf || exit 0
cache=${KEEL_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/keel}
tarball=$cache/dl/$(awk '$1 == "libseccomp" { print $5 }' "$KEEL_SRC/vendor/pins")
[ -s "$tarball" ] || { fail "the pinned libseccomp tarball is not in $cache/dl"; exit 0; }
for t in orig patched; do
	mkdir -p "$t" && tar -xf "$tarball" -C "$t" --strip-components=1 || { fail "extract $t"; exit 0; }
done
patch -p1 -s -d patched < "$KEEL_SRC/vendor/patches/libseccomp-compact-syscall-table.patch" ||
	{ fail "the patch does not apply"; exit 0; }
touch patched/src/syscalls.perf.template # regenerate the gperf table from the patched template
ARCHES="x86 x86_64 x32 arm aarch64 loongarch64 m68k mips mips64 mips64n32 parisc parisc64 ppc ppc64 riscv64 s390 s390x sh"
{
	echo '#include <stdio.h>'
	echo '#include <string.h>'
	echo '#include "syscalls.h"'
	echo 'int main(int argc, char **argv) { char line[256];'
	echo ' FILE *f = fopen(argv[1], "r"); if (!f) return 2;'
	echo ' while (fgets(line, sizeof line, f)) { if (line[0] == 0x23) continue; char *c = strchr(line, 0x2c); if (!c) continue; *c = 0; const char *n = line; int num; const char *back;'
	for a in $ARCHES; do
		echo "  num = syscall_resolve_name(n, SYSTBL_OFFSET($a)); back = syscall_resolve_num(num, SYSTBL_OFFSET($a));"
		echo "  printf(\"%s $a %d %s %d\\n\", n, num, back ? back : \"-\", (int)syscall_resolve_name_kver(n, SYSTBL_OFFSET(${a}_kver)));"
	done
	echo ' } return 0; }'
} > resolve.c
cat > api.c <<'C'
#include <seccomp.h>
#include <stdio.h>
int main(void) {
	const char *n[] = {"read", "write", "openat", "mount", "clone3", "openat2", "io_uring_setup", "landlock_create_ruleset", "mseal", NULL};
	for (int i = 0; n[i]; i++)
		printf("%s %d\n", n[i], seccomp_syscall_resolve_name_arch(SCMP_ARCH_X86_64, n[i]));
	return 0;
}
C
ok=1
for t in orig patched; do
	(cd "$t" && ./configure -q --disable-shared --enable-static --disable-python CC=musl-gcc \
		CFLAGS="-O2 -isystem $cache/kinc" >configure.log 2>&1 && make -s -C src libseccomp.la >make.log 2>&1) ||
		{ fail "$t libseccomp did not build (see $t/make.log)"; ok=0; continue; }
	musl-gcc -O1 -I"$t/src" -I"$t" -I"$t/include" -isystem "$cache/kinc" resolve.c "$t/src/.libs/libseccomp.a" -o "resolve-$t" ||
		{ fail "resolve.c against $t"; ok=0; continue; }
	"./resolve-$t" "$t/src/syscalls.csv" > "out-$t"
done
if [ $ok = 1 ]; then
	n=$(wc -l < out-orig)
	if [ "$n" -ge 9000 ] && cmp -s out-orig out-patched; then
		pass "the patched table resolves all $n (syscall, architecture) pairs like the unpatched one: numbers, names back, kernel versions"
	else
		fail "patched and unpatched tables differ ($n lines): $(diff out-orig out-patched | head -3 | tr '\n' ' ')"
	fi
	# The comparison is not vacuous: arm's private calls (0xf0000+, the reason arm stays int) and
	# negative pseudo-numbers are among the lines compared.
	grep -q '^breakpoint arm 983041 breakpoint ' out-patched && grep -qE '^accept x86 -[0-9]+ ' out-patched &&
		pass "arm's private calls (983041) and x86's pseudo-numbers are among them" ||
		fail "the resolver output lacks arm's private calls or the pseudo-numbers"
	# A one-byte change in the patched table is seen by this comparison (the control).
	sed -i 's/^read x86_64 0 read/read x86_64 1 read/' out-patched
	cmp -s out-orig out-patched && fail "the comparison missed a changed line" || pass "a changed line is seen (control)"
	musl-gcc -O1 -isystem "$cache/kinc" -Ipatched/include api.c patched/src/.libs/libseccomp.a -o api &&
		[ "$(./api | tr '\n' ' ')" = "read 0 write 1 openat 257 mount 165 clone3 435 openat2 437 io_uring_setup 425 landlock_create_ruleset 444 mseal 462 " ] &&
		pass "the public API on the patched library: x86-64 numbers of read … mseal" ||
		fail "the public API on the patched library: $(./api | tr '\n' ' ')"
fi
