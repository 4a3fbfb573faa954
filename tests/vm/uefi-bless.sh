#!/usr/bin/env bash
# tests/vm/uefi-bless.sh — `keel slots bless` on a disk image (no VM): the booted entry loses its
# counter on the FAT ESP and the slot becomes successful; killed at every system call of the
# sequence (strace -e inject=SYSCALL:signal=KILL:when=N, each syscall of a recorded run in turn),
# the ESP stays readable with the release's bytes under the old name, the new one or both, the
# GPT stays readable (one copy at least), and a second run finishes the job with a clean FAT
# (fsck.fat -n) and both GPT copies valid (sgdisk -v).
VM_SUITE=uefi-bless
. "$(dirname "$0")/lib.sh"
command -v strace >/dev/null || { fail "prerequisites" "strace missing"; exit 0; }
export MTOOLS_SKIP_CHECK=1

# Two releases' "UKIs" (random bytes stand in: the ESP does not care) and a disk: GPT with an
# ESP, USR-A, USR-B; release 1 good, release 2 on trial after one boot (+2-1, as systemd-boot
# leaves it).
w=$VM_DIR/bless
mkdir -p "$w"
head -c 300000 /dev/urandom > "$w/keel-2026.1.0.efi"
head -c 700001 /dev/urandom > "$w/keel-2026.2.0+3.efi"
"$KEEL_SRC/initramfs/mkesp.sh" --out "$w/esp.img" --size-mb 40 --uki "$w/keel-2026.1.0.efi" --uki "$w/keel-2026.2.0+3.efi" ||
	{ fail "mkesp"; exit 0; }
mren -i "$w/esp.img" ::EFI/Linux/keel-2026.2.0+3.efi ::EFI/Linux/keel-2026.2.0+2-1.efi
base=$w/base.img
truncate -s 50M "$base"
sgdisk -o -n 1:2048:+40M -t 1:ef00 -c 1:EFI-SYSTEM -n 2:0:+4M -t 2:5dfbf5f4-2848-4bac-aa5e-0d9a20b745a6 -c 2:USR-A \
	-n 3:0:+4M -t 3:5dfbf5f4-2848-4bac-aa5e-0d9a20b745a6 -c 3:USR-B "$base" >/dev/null
dd if="$w/esp.img" of="$base" bs=1M seek=1 conv=notrunc status=none
cgpt add -i 2 -P 1 -T 0 -S 1 "$base" && cgpt add -i 3 -P 2 -T 0 -S 0 "$base"
bless=("$KEEL" slots bless --slot USR-B --entry keel-2026.2.0+3.efi)
esp() { echo "$1@@1048576"; }

# names in EFI/Linux; and whether each name of release 2 present holds its bytes
names() { mdir -b -i "$(esp "$1")" ::EFI/Linux 2>/dev/null | sed 's,.*/,,' | LC_ALL=C sort | tr '\n' ' '; }
bytes_ok() { # disk name...
	local d=$1 n
	shift
	for n in "$@"; do mtype -i "$(esp "$d")" "::EFI/Linux/$n" 2>/dev/null | cmp -s - "$w/keel-2026.2.0+3.efi" || return 1; done
	mtype -i "$(esp "$d")" ::EFI/Linux/keel-2026.1.0.efi 2>/dev/null | cmp -s - "$w/keel-2026.1.0.efi"
}
fat_clean() { dd if="$1" of="$w/check-esp.img" bs=1M skip=1 count=40 status=none && fsck.fat -n "$w/check-esp.img" >/dev/null 2>&1; }

# ---- a plain run ----------------------------------------------------------------------------------
d=$w/plain.img
cp "$base" "$d"
out=$("${bless[@]}" "$d" 2>&1)
[ "$out" = "entry keel-2026.2.0+3.efi: renamed to EFI/Linux/keel-2026.2.0.efi
slot USR-B (partition 3): successful" ] && pass "bless: prints the rename and the slot" || fail "bless output" "$out"
[ "$(names "$d")" = "keel-2026.1.0.efi keel-2026.2.0.efi " ] && bytes_ok "$d" keel-2026.2.0.efi && fat_clean "$d" &&
	pass "bless: EFI/Linux/keel-2026.2.0+2-1.efi is now keel-2026.2.0.efi, same bytes, fsck.fat clean" ||
	fail "bless rename" "$(names "$d")"
[ "$(cgpt show -i 3 -S "$d")" = 1 ] && [ "$(cgpt show -i 3 -P "$d")" = 2 ] && [ "$(cgpt show -i 2 -S "$d")" = 1 ] &&
	sgdisk -v "$d" | grep -q 'No problems found' && pass "bless: USR-B successful (cgpt show -S), GPT valid" || fail "bless GPT"
"$KEEL" slots "$d" > "$w/show"
grep -q '^keel-2026.2.0.efi  *-1  *-1  *good  *\*$' "$w/show" && grep -q '^keel-2026.1.0.efi  *-1  *-1  *good *$' "$w/show" &&
	grep -q '^decides: ' "$w/show" && pass "keel slots: both views, the blessed entry first in systemd-boot's order" ||
	fail "keel slots entries view" "$(tr '\n' '|' < "$w/show")"
out=$("${bless[@]}" "$d" 2>&1) && [ "${out%%$'\n'*}" = "entry keel-2026.2.0+3.efi: already good as EFI/Linux/keel-2026.2.0.efi" ] &&
	pass "bless again: already good, nothing renamed" || fail "bless idempotent" "$out"
cp "$base" "$d"
"$KEEL" slots bless --slot USR-B --entry keel-2026.3.0+3.efi "$d" > /dev/null 2>&1
rc=$?
[ "$rc" = 3 ] && [ "$(names "$d")" = "$(names "$base")" ] && [ "$(cgpt show -i 3 -S "$d")" = 0 ] &&
	pass "bless of an entry that is not there: exit 3 (a missing file), nothing changed" || fail "bless missing entry" "rc=$rc"
"$KEEL" slots "$base" > "$w/show"
grep -q '^keel-2026.2.0+2-1.efi  *2  *1  *trial  *\*$' "$w/show" && pass "keel slots: the entry on trial is next (newest first)" ||
	fail "keel slots trial entry" "$(tr '\n' '|' < "$w/show")"

# ---- killed at every system call of the sequence -------------------------------------------------
cp "$base" "$d"
strace -o "$w/trace" -e trace=all "${bless[@]}" "$d" > /dev/null 2>&1 || fail "strace run"
# the syscalls from opening the disk on, each with its occurrence number (strace counts per syscall)
awk -v disk="$d" '
	{ name = $1; sub(/\(.*/, "", name); if (name !~ /^[a-z0-9_]+$/) next; seen[name]++ }
	index($0, "\"" disk "\"") && /O_RDWR/ { on = 1 }
	on { print name, seen[name] }' "$w/trace" > "$w/points"
points=$(wc -l < "$w/points")
[ "$points" -ge 20 ] && pass "the bless sequence has $points system calls to kill at (>= 20)" || fail "kill points" "$points"
bad=0 both=0 new=0 old=0
while read -r sc n; do
	cp "$base" "$d"
	(strace -o /dev/null -e trace="$sc" -e inject="$sc:signal=KILL:when=$n" "${bless[@]}" "$d" > /dev/null 2>&1; true) 2>/dev/null
	nm=$(names "$d")
	case $nm in
	"keel-2026.1.0.efi keel-2026.2.0+2-1.efi ") old=$((old + 1)); bytes_ok "$d" keel-2026.2.0+2-1.efi || { bad=$((bad + 1)); echo "  at $sc #$n: bytes differ" ; } ;;
	"keel-2026.1.0.efi keel-2026.2.0.efi ") new=$((new + 1)); bytes_ok "$d" keel-2026.2.0.efi || { bad=$((bad + 1)); echo "  at $sc #$n: bytes differ"; } ;;
	"keel-2026.1.0.efi keel-2026.2.0+2-1.efi keel-2026.2.0.efi ") both=$((both + 1))
		bytes_ok "$d" keel-2026.2.0+2-1.efi keel-2026.2.0.efi || { bad=$((bad + 1)); echo "  at $sc #$n: bytes differ"; } ;;
	*) bad=$((bad + 1)); echo "  at $sc #$n: EFI/Linux holds: $nm" ;;
	esac
	# one GPT copy may be cut short (gpt_write: backup, then primary); the other must read
	"$KEEL" slots "$d" > /dev/null 2>&1 || { bad=$((bad + 1)); echo "  at $sc #$n: GPT unreadable"; }
	out=$("${bless[@]}" "$d" 2>&1) || { bad=$((bad + 1)); echo "  at $sc #$n: the second run failed: $out"; }
	{ [ "$(names "$d")" = "keel-2026.1.0.efi keel-2026.2.0.efi " ] && bytes_ok "$d" keel-2026.2.0.efi && fat_clean "$d" &&
		[ "$(cgpt show -i 3 -S "$d")" = 1 ] && sgdisk -v "$d" | grep -q 'No problems found'; } || { bad=$((bad + 1)); echo "  at $sc #$n: not finished by the second run: $(names "$d")"; }
done < "$w/points"
[ "$bad" = 0 ] && [ "$old" -gt 0 ] && [ "$both" -gt 0 ] && [ "$new" -gt 0 ] &&
	pass "killed at each of $points system calls: the ESP always holds release 2's bytes (old name $old times, both names $both, new name $new), the GPT stays valid, a second run finishes with a clean FAT" ||
	fail "crash at every step" "$bad bad; old $old both $both new $new"
