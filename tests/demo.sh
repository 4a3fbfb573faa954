#!/usr/bin/env bash
# tests/demo.sh — what ./build.sh demo shows (after the build): a keel host booting in qemu
# (TCG) from keel's initramfs: slot chosen by gptprio.next, signed manifest, dm-verity root,
# state partition, switch_root; then stage 2 starting three units and `keel init status`, and a
# clean power off.
set -euo pipefail
cd "$(dirname "$0")/.."
export KEEL_SRC=$PWD KEEL=$PWD/build/keel
echo "\$ keel --version"
"$KEEL" --version
echo
. tests/vm/lib.sh
start=$(date +%s%N)
fx=$VM_CACHE/fx-demo
rm -rf "$fx"
mkdir -p "$fx/bin"
cp /bin/busybox "$fx/bin/busybox"
echo "==> building the initramfs and the disk image (cached in build/vm/)"
vm_initramfs > /dev/null
vm_image demo --extra-usr "$fx" --extra-state tests/vm/fixtures/demo-state --attr-a 1:0:1 --attr-b 2:1:0 \
	--version 2026.1.0 > /dev/null
disk=$(vm_copy demo)
"$KEEL" slots "$disk" | sed 's/^/    /'
echo "==> booting: keel init (stage 1, then stage 2 with three demo units)"
vm_start "$disk"
# show the console as it comes, without the kernel's own messages
tail -n +1 -f "$VM_LOG" --pid="$VM_PID" 2>/dev/null | sed -u 's/\r$//' |
	grep --line-buffered -aE '^(keel|host:|rescue|[A-Za-z0-9_.-]+\.service|UNIT|NAME)|reboot: Power down|\[.*\] (keel|reboot)' &
shower=$!
if ! vm_wait_exit 55; then
	kill "$shower" 2>/dev/null || true
	echo "demo: the VM did not power off within 55 s" >&2
	exit 1
fi
sleep 0.3
kill "$shower" 2>/dev/null || true
wait "$shower" 2>/dev/null || true
echo "==> powered off after $(( ($(date +%s%N) - start) / 1000000 )) ms (build included); slots now:"
"$KEEL" slots "$disk" | sed 's/^/    /'
