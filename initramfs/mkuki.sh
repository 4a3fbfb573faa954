#!/usr/bin/env bash
# initramfs/mkuki.sh — build a release's Unified Kernel Image (Boot Loader Specification type #2):
# systemd-boot's EFI stub with the kernel, keel's initramfs, an os-release and the command line
# as PE sections; optionally signed for Secure Boot.
#
#   initramfs/mkuki.sh --initrd CPIO --version V --usrhash HEX --out FILE.efi [options]
#
# Sections (objcopy --add-section onto linuxx64.efi.stub, at the addresses systemd 252's stub
# expects): .osrel 0x20000 (NAME=keel, ID=keel, VERSION_ID=V, IMAGE_VERSION=V), .cmdline 0x30000
# (--cmdline TEXT, then keel.usrhash=HEX: the /usr slot is named by its signed verity root hash),
# .linux 0x2000000 (--kernel), .initrd 0x3000000 (--initrd).
#
# Options:
#   --kernel FILE     the kernel (default: the newest /boot/vmlinuz-*)
#   --stub FILE       the EFI stub (default /usr/lib/systemd/boot/efi/linuxx64.efi.stub)
#   --cmdline TEXT    kernel command line before keel.usrhash= (e.g. "console=ttyS0 panic=-1")
#   --sign-key KEY --sign-cert PEM   sign the image with sbsign (Authenticode, for Secure Boot)
#   --sign-pass FILE  the key's passphrase (tests: OVMF's snakeoil key, passphrase "snakeoil")
# Reproducible: the same inputs give the same bytes (objcopy keeps the stub's PE time stamp;
# no time stamp is added). An sbsign signature carries no signing time and RSA PKCS#1 v1.5 is
# deterministic, so signed images are byte-identical too (tests/vm/uefi.sh checks both).
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
kernel= initrd= version= usrhash= out= cmdline= key= cert= pass=
stub=/usr/lib/systemd/boot/efi/linuxx64.efi.stub
die() { echo "mkuki: $*" >&2; exit 3; }
while [ $# -gt 0 ]; do
	case $1 in
	--kernel) kernel=$2; shift 2 ;;
	--initrd) initrd=$2; shift 2 ;;
	--version) version=$2; shift 2 ;;
	--usrhash) usrhash=$2; shift 2 ;;
	--out) out=$2; shift 2 ;;
	--stub) stub=$2; shift 2 ;;
	--cmdline) cmdline=$2; shift 2 ;;
	--sign-key) key=$2; shift 2 ;;
	--sign-cert) cert=$2; shift 2 ;;
	--sign-pass) pass=$2; shift 2 ;;
	*) sed -n '2,/^set -e/p' "$0" | sed 's/^# \{0,1\}//; /^set -e/d' >&2; exit 2 ;;
	esac
done
[ -n "$initrd" ] && [ -n "$version" ] && [ -n "$usrhash" ] && [ -n "$out" ] ||
	die "--initrd, --version, --usrhash and --out are required"
[[ $version =~ ^[A-Za-z0-9._+-]{1,64}$ ]] || die "--version: 1-64 of [A-Za-z0-9._+-]"
[[ $usrhash =~ ^([0-9a-f]{64}|[0-9a-f]{128})$ ]] || die "--usrhash: 64 or 128 lower-case hex digits"
[ -z "$key" ] || [ -n "$cert" ] || die "--sign-key needs --sign-cert"
if [ -z "$kernel" ]; then
	kernel=$(LC_ALL=C ls /boot/vmlinuz-* 2>/dev/null | tail -1) || true
	[ -n "$kernel" ] || die "no /boot/vmlinuz-* (package linux-image-amd64)"
fi
for f in "$stub" "$kernel" "$initrd"; do [ -r "$f" ] || die "$f: unreadable (packages systemd-boot-efi, linux-image-amd64)"; done
command -v objcopy >/dev/null || die "objcopy not found (binutils)"

w=$(mktemp -d "${TMPDIR:-/tmp}/keel-mkuki.XXXXXX")
trap 'rm -rf "$w"' EXIT
printf 'NAME=keel\nID=keel\nPRETTY_NAME="keel %s"\nVERSION_ID=%s\nIMAGE_ID=keel\nIMAGE_VERSION=%s\n' \
	"$version" "$version" "$version" > "$w/osrel"
printf '%s' "${cmdline:+$cmdline }keel.usrhash=$usrhash" > "$w/cmdline"
objcopy \
	--add-section .osrel="$w/osrel" --change-section-vma .osrel=0x20000 \
	--add-section .cmdline="$w/cmdline" --change-section-vma .cmdline=0x30000 \
	--add-section .linux="$kernel" --change-section-vma .linux=0x2000000 \
	--add-section .initrd="$initrd" --change-section-vma .initrd=0x3000000 \
	"$stub" "$w/uki.efi" || die "objcopy failed"
# objcopy (binutils 2.40) stamps the PE header with the current time: put the stub's stamp back
# and correct the PE checksum by the difference (a ones' complement sum of 16-bit words, plus the
# file length, so changing two words changes it by their difference modulo 0xffff).
u32() { od -An -tu4 -j"$2" -N4 "$1" | tr -d ' '; }
le32() { printf "$(printf '\\x%02x\\x%02x\\x%02x\\x%02x' $(($1 & 255)) $(($1 >> 8 & 255)) $(($1 >> 16 & 255)) $(($1 >> 24 & 255)))"; }
pe=$(u32 "$stub" 60)
want=$(u32 "$stub" $((pe + 8))) now=$(u32 "$w/uki.efi" $((pe + 8))) sum=$(u32 "$w/uki.efi" $((pe + 88)))
len=$(stat -c %s "$w/uki.efi")
s=$(( sum - len - (now & 0xffff) - (now >> 16) + (want & 0xffff) + (want >> 16) - 1 ))
s=$(( (s % 0xffff + 0xffff) % 0xffff + 1 + len ))
le32 "$want" | dd of="$w/uki.efi" bs=1 seek=$((pe + 8)) conv=notrunc status=none
le32 "$s" | dd of="$w/uki.efi" bs=1 seek=$((pe + 88)) conv=notrunc status=none
if [ -n "$key" ]; then
	[ -n "$cert" ] || die "--sign-key needs --sign-cert"
	"$(dirname "$0")/sbsign.sh" "$w/uki.efi" "$w/uki.efi" "$key" "$cert" "$pass" || die "signing failed"
fi
mkdir -p "$(dirname "$out")"
mv "$w/uki.efi" "$out"
