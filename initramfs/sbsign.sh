#!/usr/bin/env bash
# initramfs/sbsign.sh — sign an EFI binary for Secure Boot (Authenticode, sbsign), shared by
# mkuki.sh and mkesp.sh.
#
#   initramfs/sbsign.sh IN OUT KEY CERT [PASSFILE]
#
# KEY may be encrypted: PASSFILE holds its passphrase (sbsign would ask on the terminal, so the
# key is decrypted into a private temporary directory first). Tests and the demo use OVMF's
# snakeoil pair (/usr/share/ovmf/PkKek-1-snakeoil.{key,pem}, passphrase "snakeoil"): TEST KEYS.
set -euo pipefail
[ $# -ge 4 ] && [ $# -le 5 ] || { sed -n '2,/^set -e/p' "$0" | sed 's/^# \{0,1\}//; /^set -e/d' >&2; exit 2; }
in=$1 out=$2 key=$3 cert=$4 pass=${5:-}
die() { echo "sbsign.sh: $*" >&2; exit 3; }
command -v sbsign >/dev/null || die "sbsign not found (sbsigntool)"
w=$(mktemp -d "${TMPDIR:-/tmp}/keel-sbsign.XXXXXX")
trap 'rm -rf "$w"' EXIT
if [ -n "$pass" ]; then
	(umask 077 && openssl pkey -in "$key" -passin "file:$pass" -out "$w/key.pem" 2>/dev/null) || die "$key: cannot decrypt with $pass"
	key=$w/key.pem
fi
sbsign --key "$key" --cert "$cert" --output "$w/signed.efi" "$in" >/dev/null 2>"$w/err" || die "sbsign failed: $(tr '\n' ' ' < "$w/err")"
mv "$w/signed.efi" "$out"
