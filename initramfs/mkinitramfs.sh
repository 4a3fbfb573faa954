#!/usr/bin/env bash
# initramfs/mkinitramfs.sh — build keel's initramfs: an uncompressed newc cpio, reproducible.
#
#   initramfs/mkinitramfs.sh --keel build/keel --out FILE [--kver VERSION] [--key PEM]...
#                            [--modules LIST] [--min-version V] [--extra DIR]
#                            [--rescue-password-hash HASH] [--tuf-root FILE]
#
# Contents (everything owned by 0:0, mtime SOURCE_DATE_EPOCH, entries sorted by name):
#   /bin/keel                 the binary; /init and /bin/APPLET for every applet link to it
#                             (stage 1 runs provisioning when /bin/provision exists)
#   /etc/keel-initramfs       the marker that makes `keel init` (PID 1) run stage 1
#   /etc/keel/modules         the modules stage 1 loads (config/initramfs/modules, or --modules)
#   /etc/keel/keys/           keys trusted to sign slot manifests (config/keys/*.{pem,der,pub}, or --key)
#   /etc/keel/min-version     with --min-version V: the oldest slot version stage 1 boots (dotted
#                             decimal numbers, e.g. 2026.1.0; a STATE floor may only raise it;
#                             core/boot/stage1.h). Without it there is no minimum.
#   /etc/keel/rescue-password with --rescue-password-hash HASH (SHA-512 crypt, "$6$…", e.g. from
#                             `openssl passwd -6`): with Secure Boot on, a stage 1 failure opens
#                             the rescue console only after this password; without it, such a
#                             failure reboots so boot counting falls back to the previous release
#                             (core/boot/lockdown.h). The initramfs sits unencrypted on the ESP:
#                             anyone with the disk can try to crack the hash, so use a strong one.
#   /etc/keel/tuf/root.json   with --tuf-root FILE: the release's TUF root (the one its /usr has
#                             as /usr/lib/keel/tuf/root.json); stage 1 copies it to
#                             /run/keel/tuf/root.json (0444), which `keel update` prefers
#   /lib/modules/VERSION/     those modules and everything modules.dep / modules.softdep make
#                             them need (resolved by kmod's modprobe as the oracle), plus a
#                             modules.dep / modules.softdep / modules.alias for just these,
#                             written by depmod
#   /dev/console, /dev/null   device nodes the kernel needs before devtmpfs is mounted
#   /dev /proc /sys /run /sysroot /tmp   empty mount points
#   --extra DIR               copied over the tree last (tests only)
# The same inputs give the same bytes: GNU cpio --reproducible, sorted names, fixed owner and
# mtime, no compression (the kernel unpacks it as is; TCG boots faster without a decompressor).
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
keel= out= kver= modlist=$top/config/initramfs/modules extra= min_version= rescue_hash= tuf_root=
keys=()
die() { echo "mkinitramfs: $*" >&2; exit 3; }
while [ $# -gt 0 ]; do
	case $1 in
	--keel) keel=$2; shift 2 ;;
	--out) out=$2; shift 2 ;;
	--kver) kver=$2; shift 2 ;;
	--key) keys+=("$2"); shift 2 ;;
	--modules) modlist=$2; shift 2 ;;
	--min-version) min_version=$2; shift 2 ;;
	--extra) extra=$2; shift 2 ;;
	--rescue-password-hash) rescue_hash=$2; shift 2 ;;
	--tuf-root) tuf_root=$2; shift 2 ;;
	*) echo "usage: mkinitramfs.sh --keel BIN --out FILE [--kver V] [--key PEM]... [--modules LIST] [--min-version V] [--extra DIR] [--rescue-password-hash HASH] [--tuf-root FILE]" >&2; exit 2 ;;
	esac
done
[ -n "$keel" ] && [ -n "$out" ] || die "--keel and --out are required"
[ -x "$keel" ] || die "$keel: not an executable"
[ -z "$min_version" ] || { [[ $min_version =~ ^[0-9]+(\.[0-9]+)*$ ]] && [ ${#min_version} -le 64 ]; } ||
	die "--min-version $min_version: 1-64 characters of digits and dots (e.g. 2026.1.0)"
[ -z "$tuf_root" ] || { [ -f "$tuf_root" ] && [ "$(stat -c %s "$tuf_root")" -le 512000 ] && "$keel" json "$tuf_root" >/dev/null; } ||
	die "--tuf-root $tuf_root: want a JSON file of at most 512000 bytes (a TUF root.json)"
[ -z "$rescue_hash" ] || [[ $rescue_hash =~ ^\$6\$(rounds=[0-9]+\$)?[^\$:]{1,16}\$[./0-9A-Za-z]{86}$ ]] ||
	die "--rescue-password-hash: want a SHA-512 crypt hash (\$6\$SALT\$…, openssl passwd -6)"
if [ -z "$kver" ]; then
	v=$(LC_ALL=C ls /boot/vmlinuz-* 2>/dev/null | tail -1) || true
	[ -n "$v" ] || die "no /boot/vmlinuz-* (package linux-image-amd64)"
	kver=${v#/boot/vmlinuz-}
fi
mods=/lib/modules/$kver
[ -f "$mods/modules.dep" ] || die "$mods/modules.dep missing"
if [ ${#keys[@]} -eq 0 ]; then
	for k in "$top"/config/keys/*.{pem,der,pub}; do [ -e "$k" ] && keys+=("$k"); done
fi
: "${SOURCE_DATE_EPOCH:=0}"

stage=$(mktemp -d "${TMPDIR:-/tmp}/keel-initramfs.XXXXXX")
trap 'rm -rf "$stage"' EXIT
umask 022
mkdir -p "$stage"/{bin,dev,etc/keel/keys,proc,run,sys,sysroot,tmp,"lib/modules/$kver"}
install -m 0755 "$keel" "$stage/bin/keel"
ln -s bin/keel "$stage/init"
for a in $("$keel" --list); do ln -s keel "$stage/bin/$a"; done
printf 'keel initramfs\n' > "$stage/etc/keel-initramfs"
grep -v '^[[:space:]]*\(#\|$\)' "$modlist" > "$stage/etc/keel/modules" || die "$modlist: no modules"
[ -z "$min_version" ] || printf '%s\n' "$min_version" > "$stage/etc/keel/min-version"
[ -z "$rescue_hash" ] || (umask 077 && printf '%s\n' "$rescue_hash" > "$stage/etc/keel/rescue-password")
[ -z "$tuf_root" ] || install -D -m 0444 "$tuf_root" "$stage/etc/keel/tuf/root.json"
for k in ${keys[@]+"${keys[@]}"}; do
	install -m 0644 "$k" "$stage/etc/keel/keys/$(basename "$k")"
done
mknod -m 0600 "$stage/dev/console" c 5 1
mknod -m 0666 "$stage/dev/null" c 1 3

# Modules: the closure kmod's modprobe computes (dependencies and softdeps), copied at their
# paths, then depmod writes the index files for exactly this set.
while read -r name; do
	modprobe -S "$kver" --show-depends "$name" 2>/dev/null | awk '$1 == "insmod" { print $2 }' |
		grep . || die "module $name: not found for kernel $kver"
done < "$stage/etc/keel/modules" | LC_ALL=C sort -u | while read -r ko; do
	rel=${ko#"$mods"/}
	mkdir -p "$stage/lib/modules/$kver/$(dirname "$rel")"
	cp "$ko" "$stage/lib/modules/$kver/$rel"
done
for f in modules.order modules.builtin modules.builtin.modinfo; do
	[ -f "$mods/$f" ] && cp "$mods/$f" "$stage/lib/modules/$kver/"
done
depmod -b "$stage" "$kver" || die "depmod failed"
rm -f "$stage/lib/modules/$kver"/*.bin "$stage/lib/modules/$kver"/modules.{order,builtin.modinfo,devname,symbols}
[ -n "$extra" ] && cp -a "$extra/." "$stage/"

find "$stage" -exec touch -h -d "@$SOURCE_DATE_EPOCH" {} +
mkdir -p "$(dirname "$out")"
(cd "$stage" && find . -mindepth 1 | LC_ALL=C sort |
	cpio --quiet -o -H newc --reproducible -R 0:0) > "$out.tmp"
mv "$out.tmp" "$out"
