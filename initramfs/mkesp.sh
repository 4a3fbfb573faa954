#!/usr/bin/env bash
# initramfs/mkesp.sh — build an EFI system partition image (FAT32) with systemd-boot and UKIs,
# without mounting anything (mkfs.fat + mtools).
#
#   initramfs/mkesp.sh --out ESP.img [--size-mb N] [--uki FILE]... [options]
#
# Contents:
#   EFI/BOOT/BOOTX64.EFI     systemd-boot (the removable-media path: no firmware boot entry needed)
#   loader/loader.conf       timeout 0, editor no, auto-entries no, auto-firmware no: the menu
#                            stays hidden and nobody edits a command line at the console
#   EFI/Linux/NAME.efi       each --uki FILE under its own name: Boot Loader Specification type #2
#                            entries, NAME = keel-VERSION+TRIES (on trial) or keel-VERSION (good)
# Options:
#   --size-mb N              the partition size (default 64: FAT32 needs 33 MiB or more; room for
#                            three UKIs of ~13 MiB)
#   --loader FILE            default /usr/lib/systemd/boot/efi/systemd-bootx64.efi
#   --sign-key KEY --sign-cert PEM [--sign-pass FILE]   sign systemd-boot (sbsign), see mkuki.sh
# Reproducible: fixed volume serial (mkfs.fat --invariant: 1234-ABCD) and label, every FAT time
# stamp from SOURCE_DATE_EPOCH (mtools and mkfs.fat honour it), files added in argument order.
set -euo pipefail
out= size_mb=64 key= cert= pass=
loader=/usr/lib/systemd/boot/efi/systemd-bootx64.efi
ukis=()
die() { echo "mkesp: $*" >&2; exit 3; }
while [ $# -gt 0 ]; do
	case $1 in
	--out) out=$2; shift 2 ;;
	--size-mb) size_mb=$2; shift 2 ;;
	--uki) ukis+=("$2"); shift 2 ;;
	--loader) loader=$2; shift 2 ;;
	--sign-key) key=$2; shift 2 ;;
	--sign-cert) cert=$2; shift 2 ;;
	--sign-pass) pass=$2; shift 2 ;;
	*) sed -n '2,/^set -e/p' "$0" | sed 's/^# \{0,1\}//; /^set -e/d' >&2; exit 2 ;;
	esac
done
[ -n "$out" ] || die "--out is required"
[[ $size_mb =~ ^[0-9]+$ ]] && [ "$size_mb" -ge 33 ] && [ "$size_mb" -le 4096 ] || die "--size-mb: 33..4096"
[ -r "$loader" ] || die "$loader: unreadable (package systemd-boot-efi)"
for t in mkfs.fat mcopy mmd; do command -v $t >/dev/null || die "$t not found (dosfstools, mtools)"; done
: "${SOURCE_DATE_EPOCH:=0}"
export SOURCE_DATE_EPOCH MTOOLS_SKIP_CHECK=1

w=$(mktemp -d "${TMPDIR:-/tmp}/keel-mkesp.XXXXXX")
trap 'rm -rf "$w"' EXIT
cp "$loader" "$w/BOOTX64.EFI"
if [ -n "$key" ]; then
	[ -n "$cert" ] || die "--sign-key needs --sign-cert"
	"$(dirname "$0")/sbsign.sh" "$w/BOOTX64.EFI" "$w/BOOTX64.EFI" "$key" "$cert" "$pass" || die "signing failed"
fi
printf 'timeout 0\neditor no\nauto-entries no\nauto-firmware no\n' > "$w/loader.conf"
img=$w/esp.img
truncate -s "${size_mb}M" "$img"
mkfs.fat -F 32 --invariant -n EFI-SYSTEM "$img" >/dev/null || die "mkfs.fat failed"
m=(-i "$img")
mmd "${m[@]}" ::EFI ::EFI/BOOT ::EFI/Linux ::loader || die "mmd failed"
mcopy "${m[@]}" "$w/BOOTX64.EFI" ::EFI/BOOT/BOOTX64.EFI || die "mcopy systemd-boot failed"
mcopy "${m[@]}" "$w/loader.conf" ::loader/loader.conf || die "mcopy loader.conf failed"
for u in ${ukis[@]+"${ukis[@]}"}; do
	n=$(basename "$u")
	[[ $n =~ ^[A-Za-z0-9._+-]{1,120}\.efi$ ]] || die "--uki $u: the name must be NAME.efi of [A-Za-z0-9._+-]"
	mcopy "${m[@]}" "$u" "::EFI/Linux/$n" || die "mcopy $u failed (ESP full? --size-mb)"
done
mkdir -p "$(dirname "$out")"
mv "$img" "$out"
