#!/usr/bin/env bash
# tests/compat/module.sh — keel's module load order against kmod's modprobe on the installed
# Debian kernel's modules.dep / modules.softdep / modules.alias / modules.builtin:
# `keel modprobe --show NAME` must print what `modprobe -C /dev/null --show-depends NAME` does
# (-C /dev/null: no /etc/modprobe.d, which the initramfs does not carry; kmod's output repeats
# a module reached twice and keel's plan lists it once, so kmod's is de-duplicated).
set -u
: "${KEEL:?}" "${KEEL_SRC:?}"
pass() { echo "PASS: compat/module: $1"; }
fail() { echo "FAIL: compat/module: $1${2:+ ($2)}"; }
command -v modprobe >/dev/null || { fail "modprobe missing (package kmod)"; exit 0; }
k=$(LC_ALL=C ls /boot/vmlinuz-* 2>/dev/null | tail -1)
[ -n "$k" ] || { fail "no /boot/vmlinuz-* (linux-image-amd64)"; exit 0; }
V=${k#/boot/vmlinuz-}
D=/lib/modules/$V
kmod_order() { modprobe -C /dev/null -S "$V" --show-depends "$1" 2>&1 | grep '^insmod' | sed 's/\.ko .*/.ko/; s/ *$//' | awk '!seen[$0]++'; }
same() { [ "$("$KEEL" modprobe --show --dir "$D" "$1" 2>&1)" = "$(kmod_order "$1")" ]; }

# what stage 1 loads, one by one and in the same order as the initramfs list
ok=1
while read -r m; do
	case $m in ''|'#'*) continue ;; esac
	same "$m" || { ok=0; fail "stage 1 module $m" "$("$KEEL" modprobe --show --dir "$D" "$m" 2>&1 | tr '\n' ' ')"; }
done < "$KEEL_SRC/config/initramfs/modules"
[ $ok = 1 ] && pass "stage 1's modules (virtio_pci virtio_blk dm_verity erofs ext4): same order as modprobe"

# aliases, built-ins, softdep chains
ok=1
for m in fs-ext4 crypto-crc32c crc32c btrfs ksmbd xfs nfsd squashfs overlay; do
	same "$m" || { ok=0; fail "$m"; }
done
[ $ok = 1 ] && pass "aliases and softdep chains (fs-ext4, crypto-crc32c, btrfs, ksmbd …) as modprobe"

# every 8th module of the kernel
n=0 bad=0
while read -r m; do
	n=$((n + 1))
	same "$m" || { bad=$((bad + 1)); [ $bad -le 3 ] && echo "  differs: $m"; }
done < <(awk -F: '{ n = $1; sub(/.*\//, "", n); sub(/\.ko.*/, "", n); print n }' "$D/modules.dep" | sed -n '1~8p')
[ $bad = 0 ] && pass "$n modules of $V (every 8th): same order as modprobe" || fail "$bad of $n modules differ from modprobe"

# a name nobody knows
"$KEEL" modprobe --show --dir "$D" no_such_module_keel > /dev/null 2>&1; rc=$?
[ $rc = 3 ] && pass "unknown module: exit 3" || fail "unknown module exit" "$rc"
