#!/bin/bash
# hardening.sh BUILD_DIR — asserts the hardening of keel's binary from the ELF itself, one
# "PASS:"/"FAIL:" line per property (run by tests/applets/hardening.test; also runnable by hand).
# BUILD_DIR holds keel (stripped), keel.debug (same link, symbols kept) and obj/ (keel's objects).
# Each property is read from what the loader and the kernel read: program headers, the dynamic
# section, notes, symbol references, instructions. A build with -fno-stack-protector, -z execstack,
# -z norelro, -z lazy or a non-PIE link makes the matching line FAIL.
set -u
B=${1:?usage: hardening.sh BUILD_DIR}
bin=$B/keel dbg=$B/keel.debug
ok() { echo "PASS: hardening: $1"; }
bad() { echo "FAIL: hardening: $1"; }
check() { # description, then a command whose success is the property
	local d=$1
	shift
	if "$@"; then ok "$d"; else bad "$d"; fi
}
for f in "$bin" "$dbg"; do [ -s "$f" ] || { bad "$f is missing"; exit 0; }; done
phdr=$(readelf -lW "$bin") dyn=$(readelf -dW "$bin") hdr=$(readelf -hW "$bin")

# static-pie: a position-independent executable (ELF type DYN with the PIE flag) that the kernel
# loads without an interpreter and that needs no shared library.
check "ELF type DYN (position independent)" grep -q 'Type: *DYN' <<<"$hdr"
check "DT_FLAGS_1 has PIE" grep -qE 'FLAGS_1.*PIE' <<<"$dyn"
check "no PT_INTERP (static)" bash -c '! grep -q INTERP <<<"$1"' _ "$phdr"
check "no DT_NEEDED (no shared library)" bash -c '! grep -q NEEDED <<<"$1"' _ "$dyn"
# RELRO + BIND_NOW: the relocated data is read-only after start-up and nothing is bound lazily.
check "PT_GNU_RELRO present" grep -q GNU_RELRO <<<"$phdr"
check "BIND_NOW (DT_FLAGS BIND_NOW or DT_FLAGS_1 NOW)" grep -qE '\(FLAGS\).*BIND_NOW|FLAGS_1.* NOW' <<<"$dyn"
# Non-executable stack: PT_GNU_STACK present and without X (absent means executable on x86-64).
check "PT_GNU_STACK is RW, not executable" grep -qE 'GNU_STACK +(0x[0-9a-f]+ +){5}RW +0x' <<<"$phdr"
# No segment both writable and executable.
check "no LOAD segment is writable and executable" \
	bash -c '! grep -E "^ +LOAD " <<<"$1" | grep -qE " RWE "' _ "$phdr"
check "at least 3 LOAD segments (code separate from data)" \
	bash -c '[ $(grep -cE "^ +LOAD " <<<"$1") -ge 3 ]' _ "$phdr"
# The stripped binary is the debug binary stripped: same program headers.
check "keel and keel.debug have the same program headers" \
	bash -c 'diff <(readelf -lW "$1" | grep -E "^ +(LOAD|GNU)") <(readelf -lW "$2" | grep -E "^ +(LOAD|GNU)") >/dev/null' _ "$bin" "$dbg"

# Relocations: keel's start code (vendor/keel_rcrt1.c) applies DT_RELR and R_X86_64_RELATIVE
# entries and nothing else; a symbol relocation, DT_REL or a text relocation must not appear.
other=$(readelf -rW "$bin" | grep -E "^[0-9a-f]+ +[0-9a-f]+ +R_" | grep -cv " R_X86_64_RELATIVE ")
check "relocations: only relative ones (RELR, R_X86_64_RELATIVE; $other other), no DT_REL or TEXTREL" \
	bash -c '[ "$1" = 0 ] && ! grep -qE "\((REL|RELSZ|TEXTREL)\)" <<<"$2" && ! grep -qE "FLAGS.*TEXTREL" <<<"$2"' _ "$other" "$dyn"

# Stack protector: -fstack-protector-strong instruments every function with a local array or an
# address-taken local; in keel nearly every file has one. The canary check calls __stack_chk_fail.
objs=$(find "$B/obj/core" "$B/obj/applets" -name '*.o' 2>/dev/null)
n=$(wc -w <<<"$objs") p=0
for o in $objs; do nm "$o" | grep -q ' U __stack_chk_fail$' && p=$((p + 1)); done
check "stack protector: $p of $n keel objects call __stack_chk_fail (at least 3/4)" \
	test "$n" -gt 20 -a $((p * 4)) -ge $((n * 3))
check "stack protector: __stack_chk_fail is linked into keel" \
	bash -c 'nm "$1" | grep -q " T __stack_chk_fail$"' _ "$dbg"
# CET: -fcf-protection=full marks every object IBT+SHSTK and starts every indirect-branch target
# with endbr64. musl's crt and libc.a carry no such note, so the linker drops it from the final
# binary (the note is all-or-nothing); the per-object notes and the instructions are what we have.
m=0
for o in $objs; do readelf -nW "$o" | grep -q 'x86 feature: IBT, SHSTK' || m=$((m + 1)); done
check "CET: every keel object is marked IBT and SHSTK ($m unmarked)" test "$n" -gt 20 -a "$m" -eq 0
e=$(objdump -d --no-show-raw-insn "$dbg" | grep -c 'endbr64')
check "CET: $e endbr64 landing pads in keel's code (at least 200)" test "$e" -ge 200
exit 0
