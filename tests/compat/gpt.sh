#!/usr/bin/env bash
# tests/compat/gpt.sh — keel's GPT reader/writer against cgpt (vboot-utils) and sgdisk (gdisk):
# tables written by one are read identically by the other, both copies stay valid (sgdisk -v),
# and gptprio.next agrees (the Bottlerocket attribute vector included).
set -u
: "${KEEL:?}" "${KEEL_SRC:?}"
T=$(mktemp -d "${KEEL_TEST_TMP:-/tmp}/gpt.XXXXXX")
trap 'rm -rf "$T"' EXIT
pass() { echo "PASS: compat/gpt: $1"; }
fail() { echo "FAIL: compat/gpt: $1${2:+ ($2)}"; }
for tool in cgpt sgdisk; do command -v $tool >/dev/null || { fail "$tool missing (packages cgpt, gdisk)"; exit 0; }; done

img=$T/d.img
USR=5dfbf5f4-2848-4bac-aa5e-0d9a20b745a6
truncate -s 64M "$img"
sgdisk -o -n1:2048:+8M -t1:ef00 -c1:EFI-SYSTEM -n2:0:+16M -t2:$USR -c2:USR-A -n3:0:+16M -t3:$USR -c3:USR-B \
	-n4:0:0 -c4:STATE "$img" >/dev/null || { fail "sgdisk could not make a disk"; exit 0; }

attrs() { echo "$(cgpt show -i "$1" -P "$img") $(cgpt show -i "$1" -T "$img") $(cgpt show -i "$1" -S "$img")"; }
keel_attrs() { "$KEEL" slots "$img" | awk -v n="$1" '$1 == n { print $3, $4, $5 }'; }

# cgpt writes, keel reads
ok=1
for v in "1 0 1" "15 15 1" "0 0 0" "7 3 0" "2 1 0"; do
	set -- $v
	cgpt add -i 2 -P "$1" -T "$2" -S "$3" "$img"
	[ "$(keel_attrs 2)" = "$v" ] || { ok=0; fail "cgpt add -P $1 -T $2 -S $3, keel reads" "$(keel_attrs 2)"; }
done
[ $ok = 1 ] && pass "attributes set by cgpt add read back by keel slots"

# keel writes, cgpt and sgdisk read; both copies valid
ok=1
for v in "1 0 1" "15 15 1" "0 0 0" "9 4 0" "3 15 1"; do
	set -- $v
	"$KEEL" slots set 3 --priority "$1" --tries "$2" --successful "$3" "$img" || ok=0
	[ "$(attrs 3)" = "$v" ] || { ok=0; fail "keel slots set $v, cgpt show reads" "$(attrs 3)"; }
	sgdisk -v "$img" | grep -q 'No problems found' || { ok=0; fail "sgdisk -v after keel slots set $v"; }
	cgpt show "$img" >/dev/null 2>&1 || { ok=0; fail "cgpt show after keel slots set $v"; }
done
[ $ok = 1 ] && pass "attributes set by keel read back by cgpt show -P/-T/-S; sgdisk -v finds no problems"

# raw attribute word (cgpt -A = bits 48-63) keeps the other bits: cgpt sets a legacy bit, keel keeps it
cgpt add -i 2 -A 0x135 "$img"  # priority 5, tries 3, successful 1
"$KEEL" slots set 2 --tries 2 "$img"
[ "$(cgpt show -i 2 -A "$img")" = 0x125 ] && pass "keel changes only the tries bits (0x135 -> 0x125)" ||
	fail "raw attribute after keel" "$(cgpt show -i 2 -A "$img")"

# the Bottlerocket vector, via cgpt -A on the top 16 bits: 0x5555 -> priority 5, tries 5, successful 1
cgpt add -i 3 -A 0x5555 "$img"
[ "$(keel_attrs 3)" = "5 5 1" ] && pass "0x5555 (Bottlerocket vector) reads as priority 5, tries 5, successful" ||
	fail "0x5555 decode" "$(keel_attrs 3)"
"$KEEL" slots set 3 --priority 0 "$img" && [ "$(cgpt show -i 3 -A "$img")" = 0x5550 ] &&
	"$KEEL" slots set 3 --tries 0 "$img" && [ "$(cgpt show -i 3 -A "$img")" = 0x5500 ] &&
	"$KEEL" slots set 3 --successful 0 "$img" && [ "$(cgpt show -i 3 -A "$img")" = 0x5400 ] &&
	pass "priority/tries/successful <- 0 give 0x5550, 0x5500, 0x5400 (as the vector)" ||
	fail "Bottlerocket vector via keel" "$(cgpt show -i 3 -A "$img")"

# gptprio.next: keel's choice, committed, as cgpt then reports
cgpt add -i 2 -P 1 -T 0 -S 1 "$img"; cgpt add -i 3 -P 2 -T 2 -S 0 "$img"
[ "$("$KEEL" slots next --commit "$img")" = "3 USR-B tries 1" ] && [ "$(attrs 3)" = "2 1 0" ] &&
	pass "next --commit picks USR-B and cgpt shows tries 2 -> 1" || fail "next --commit" "$(attrs 3)"
"$KEEL" slots next --commit "$img" >/dev/null; "$KEEL" slots next --commit "$img" > "$T/next"
[ "$(cat "$T/next")" = "2 USR-A tries 0" ] && [ "$(attrs 3)" = "2 0 0" ] &&
	pass "tries exhausted: falls back to the successful USR-A" || fail "fallback" "$(cat "$T/next"), B=$(attrs 3)"

# damaged primary: keel reads the backup and rewrites both; sgdisk agrees afterwards
dd if=/dev/zero of="$img" bs=512 seek=1 count=1 conv=notrunc status=none
"$KEEL" slots set 2 --priority 4 "$img" && sgdisk -v "$img" | grep -q 'No problems found' && [ "$(attrs 2)" = "4 0 1" ] &&
	pass "primary header destroyed: keel writes from the backup, both copies valid again" || fail "repair from backup"

# forged: entry array CRC wrong in both copies -> refused with exit 3
cp "$img" "$T/bad.img"
printf '\x01' | dd of="$T/bad.img" bs=1 seek=$((2 * 512 + 128 + 48)) conv=notrunc status=none
last=$(( $(stat -c %s "$T/bad.img") / 512 - 33 ))
printf '\x01' | dd of="$T/bad.img" bs=1 seek=$((last * 512 + 128 + 48)) conv=notrunc status=none
"$KEEL" slots "$T/bad.img" > /dev/null 2> "$T/err"; rc=$?
[ $rc = 3 ] && grep -q 'CRC32 mismatch' "$T/err" && pass "entry array CRC mismatch refused (exit 3)" || fail "forged CRC" "rc=$rc $(cat "$T/err")"
cgpt show "$T/bad.img" >/dev/null 2>&1 && fail "cgpt accepts the forged table too?" || pass "cgpt refuses the same forged table"

# ---- 4Kn disks (4096-byte logical sectors). cgpt and sgdisk take no sector size for an image
# file (both ask the device with BLKSSZGET, as keel does), so the disk is a loop device made
# with -b 4096: cgpt and sgdisk write, keel reads, and the other way round.
truncate -s 16M "$T/d4k.img"
if ! loop=$(losetup -b 4096 -f --show "$T/d4k.img" 2> "$T/err"); then
	fail "4Kn: losetup -b 4096 (needs root and /dev/loop*)" "$(cat "$T/err")"
	exit 0
fi
trap 'losetup -d "$loop"; rm -rf "$T"' EXIT
img=$loop
sgdisk -o -n1:256:+8M -t1:ef00 -c1:EFI-SYSTEM -n2:0:+2M -t2:$USR -c2:USR-A -n3:0:+2M -t3:$USR -c3:USR-B \
	-n4:0:0 -c4:STATE "$img" >/dev/null 2>&1 && [ "$(blockdev --getss "$img")" = 4096 ] &&
	[ "$(cgpt show -i 2 -b "$img")" = 2304 ] && [ "$("$KEEL" slots "$img" | awk '$1 == 3 { print $2 }')" = USR-B ] &&
	pass "4Kn: a table sgdisk made, read by cgpt and keel slots in 4096-byte LBAs" || fail "4Kn: sgdisk table"
ok=1
for v in "1 0 1" "15 15 1" "7 3 0"; do
	set -- $v
	cgpt add -i 2 -P "$1" -T "$2" -S "$3" "$img"
	[ "$(keel_attrs 2)" = "$v" ] || { ok=0; fail "4Kn: cgpt add -P $1 -T $2 -S $3, keel reads" "$(keel_attrs 2)"; }
	"$KEEL" slots set 3 --priority "$1" --tries "$2" --successful "$3" "$img" || ok=0
	[ "$(attrs 3)" = "$v" ] || { ok=0; fail "4Kn: keel slots set $v, cgpt show reads" "$(attrs 3)"; }
	sgdisk -v "$img" | grep -q 'No problems found' || { ok=0; fail "4Kn: sgdisk -v after keel slots set $v"; }
done
[ $ok = 1 ] && pass "4Kn: attributes set by cgpt read by keel, set by keel read by cgpt; sgdisk -v finds no problems"
cgpt add -i 2 -P 1 -T 0 -S 1 "$img"; cgpt add -i 3 -P 2 -T 2 -S 0 "$img"
[ "$("$KEEL" slots next --commit "$img")" = "3 USR-B tries 1" ] && [ "$(attrs 3)" = "2 1 0" ] &&
	pass "4Kn: next --commit picks USR-B and cgpt shows tries 2 -> 1" || fail "4Kn: next --commit" "$(attrs 3)"
dd if=/dev/zero of="$img" bs=4096 seek=1 count=1 conv=notrunc status=none
"$KEEL" slots set 2 --priority 4 "$img" && sgdisk -v "$img" | grep -q 'No problems found' && [ "$(attrs 2)" = "4 0 1" ] &&
	pass "4Kn: primary header (LBA 1 = byte 4096) destroyed: keel writes from the backup, both copies valid" ||
	fail "4Kn: repair from backup"
