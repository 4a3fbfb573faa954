#!/usr/bin/env bash
# tests/demo.sh — what ./build.sh demo shows (after the build): a keel host booting in qemu
# (TCG) from its disk alone through UEFI with Secure Boot on: OVMF (snakeoil TEST KEYS) ->
# signed systemd-boot -> the signed UKI of release 2026.2.0 (Debian kernel, keel's initramfs,
# keel.usrhash= of slot B) -> keel stage 1 (Secure Boot state, boot entry, the slot named by its
# signed root hash, dm-verity root, state partition, switch_root); then stage 2 starting three
# units and two containers from OCI layouts on STATE (container@.service: keel oci unpack
# verifies the signature, keel policy workload admits, runc from the slot runs it): the signed
# one says hello in its log, the unsigned one is refused; `keel init status`, a clean power off.
# Then (UEFI) an update to release 2026.2.0 and an automatic rollback from 2026.3.0 (below).
#
# Exit status: 0 only when every milestone below showed on the console and the VM powered off
# cleanly; 1 otherwise, naming the first milestone that is missing. KEEL_DEMO_CMDLINE (for the
# test that pins this, tests/vm/demo.sh) is added to the kernel command line (signed into the
# UKI). KEEL_DEMO_UEFI=0 boots the old way instead (qemu -kernel/-initrd, gptprio.next).
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
mkdir -p "$fx/bin" "$fx/lib/keel/keys"
cp /bin/busybox "$fx/bin/busybox"
cp "$VM_PUB" "$fx/lib/keel/keys/demo-containers.pem" # TEST KEY: the slot key also signs the images
echo "==> building the initramfs, two container images (umoci, skopeo) and the disk image (cached in build/vm/)"
vm_oci_images "$VM_CACHE/oci-images" || { echo "demo: could not make the container images (build/vm/oci-images.log)" >&2; exit 1; }
st=$VM_CACHE/fx-demo-state
rm -rf "$st" && cp -a tests/vm/fixtures/demo-state "$st" && mkdir -p "$st/var/lib/keel/images"
for n in hello unsigned; do
	cp -a "$VM_CACHE/oci-images/$n" "$st/var/lib/keel/images/$n"
	ln -s /usr/lib/systemd/system/container@.service "$st/etc/systemd/system/multi-user.target.wants/container@$n.service"
done
ird=$(vm_initramfs)
uefi=${KEEL_DEMO_UEFI:-1}
if [ "$uefi" = 1 ]; then
	# Secure Boot TEST KEYS (OVMF's snakeoil pair): never for a real machine
	vm_image demo-uefi --extra-usr "$fx" --extra-state "$st" --deb runc --units config/units --attr-a 1:0:1 --attr-b 2:1:0 \
		--version 2026.1.0 --version-b 2026.2.0 --uefi-initrd "$ird" --uefi-slot b \
		--uefi-cmdline "console=ttyS0 panic=-1 loglevel=4${KEEL_DEMO_CMDLINE:+ $KEEL_DEMO_CMDLINE}" \
		"${VM_SB_SIGN[@]}" > /dev/null
	disk=$(vm_copy demo-uefi)
	VM_UEFI=secure
else
	vm_image demo --extra-usr "$fx" --extra-state "$st" --deb runc --units config/units --attr-a 1:0:1 --attr-b 2:1:0 \
		--version 2026.1.0 > /dev/null
	disk=$(vm_copy demo)
fi
# the image's SBOM (SPDX 2.3), read back from the image: every file of its slots and its ESP is keel's
# or an installed Debian package's, or there is no SBOM and no demo (initramfs/mkspdx.py)
initramfs/mkspdx.py --image "$VM_CACHE/demo$([ "$uefi" = 1 ] && echo -uefi).img" --keel "$KEEL" --initrd "$ird" \
	--out build/image.spdx.json || { echo "demo: FAILED: no SBOM for the image (initramfs/mkspdx.py)" >&2; exit 1; }
echo "==> build/image.spdx.json: the image's $(jq '.files | length' build/image.spdx.json) files, each keel's or a Debian package's"
"$KEEL" slots "$disk" | sed 's/^/    /'
if [ "$uefi" = 1 ]; then
	echo "==> booting from the disk alone: OVMF (Secure Boot on, snakeoil test keys) -> signed systemd-boot -> signed UKI -> keel init"
	vm_start "$disk"
else
	echo "==> booting: keel init (stage 1, then stage 2 with three demo units and two containers)"
	vm_start "$disk" ${KEEL_DEMO_CMDLINE:-}
fi
# show the console as it comes, without the kernel's own messages
tail -n +1 -f "$VM_LOG" --pid="$VM_PID" 2>/dev/null | sed -u 's/\r$//' |
	grep --line-buffered -aE '^(keel|host:|rescue|[A-Za-z0-9_.@-]+\.service|UNIT|NAME|EFI stub: UEFI Secure Boot)|reboot: Power down|\[.*\] (keel|reboot)|Access Denied' &
shower=$!
ok=1
vm_wait_exit 55 || { ok=0; echo "demo: the VM did not power off within 55 s" >&2; vm_stop; }
sleep 0.3
kill "$shower" 2>/dev/null || true
wait "$shower" 2>/dev/null || true
# The milestones, in the order they must appear (a missing one fails the demo).
milestones=()
[ "$uefi" = 1 ] && milestones+=(
	'EFI stub: UEFI Secure Boot is enabled'
	'keel init: \[ *[0-9.]+\] UEFI: Secure Boot enabled; boot entry keel-2026.2.0\+3.efi'
	'keel init: \[ *[0-9.]+\] slot USR-B chosen by keel.usrhash=[0-9a-f]{64} '
)
milestones+=(
	'keel init: \[ *[0-9.]+\] slot USR-[AB] chosen'
	'manifest version [^ ]+ signed by key'
	'verity root /dev/mapper/usr \(erofs, USR-[AB]\) mounted read-only on /usr'
	'switching root to the host'
	'keel init: started demo-web.service'
	'keel init: started demo-worker.service'
	'keel init: startup finished: multi-user.target reached'
	'^container@hello.service> (.* )?CONTAINER hello: pid=1 '
	'^container@hello.service +loaded +active +running'
	'^container@unsigned.service +loaded +failed +failed'
	'^container@unsigned.service> (.* )?keel oci: unpack: .*: no cosign signature'
	'^demo-web.service +loaded +active +running'
	'keel init: all units stopped: power off'
	'reboot: Power down'
)
for m in "${milestones[@]}"; do
	[ "$ok" = 1 ] || break
	tr -d '\r' < "$VM_LOG" | grep -aE -- "$m" > /dev/null || { ok=0; echo "demo: missing on the console: /$m/" >&2; }
done
echo "==> powered off after $(( ($(date +%s%N) - start) / 1000000 )) ms (build included); slots and boot entries now:"
"$KEEL" slots "$disk" | sed 's/^/    /'
if [ "$ok" != 1 ]; then
	echo "demo: FAILED (console log above; last lines:)" >&2
	vm_log_tail 10 >&2
	exit 1
fi
# Updates (UEFI only; KEEL_DEMO_UPDATE=0 skips): tests/vm/update.sh's first four boots — release
# 2026.1.0 applies 2026.2.0 from a TUF repository on the host's loopback HTTP server (qemu user
# network, restrict=on, one guestfwd), 2026.2.0's trial passes its health check and is marked
# good, 2026.3.0's trial fails its health check, is marked bad and the host is back on 2026.2.0,
# which is then offered nothing newer. Every step must pass, else the demo fails.
if [ "$uefi" = 1 ] && [ "${KEEL_DEMO_UPDATE:-1}" = 1 ]; then
	echo "==> update: 2026.1.0 -> 2026.2.0 (TUF over loopback HTTP, health decides), then 2026.3.0 fails its health check and rolls back"
	uout=$VM_DIR/update.out
	KEEL_UPDATE_STEPS=4 bash tests/vm/update.sh 2>&1 | tee "$uout" | sed -un 's/^PASS: update: /    ok: /p; s/^FAIL: update: /    FAILED: /p' || true
	for m in 'PASS: update: 2026.1.0: keel update apply installed 2026.2.0 over HTTP' \
		'PASS: update: 2026.2.0 booted from USR-B on trial; health passed, marked good' \
		'PASS: update: 2026.3.0 booted on trial, its health check failed, keel init rebooted' \
		'PASS: update: mark-bad: keel-2026.3.0\+0-1.efi' \
		'PASS: update: after the failed trial: 2026.2.0 \(USR-B\) boots, no trial' \
		'PASS: update: check: nothing newer'; do
		grep -aqE -- "^$m" "$uout" || { echo "demo: update step missing: /$m/" >&2; ok=0; break; }
	done
	if grep -aq '^FAIL:' "$uout"; then ok=0; echo "demo: an update step failed: $(grep -a '^FAIL:' "$uout" | head -1)" >&2; fi
	[ "$ok" = 1 ] || { echo "demo: FAILED (update)" >&2; exit 1; }
	echo "==> update: 2026.2.0 installed and marked good; 2026.3.0 failed its health check and the host rolled back to 2026.2.0"
fi
echo "==> demo: the host came up, ran its units and powered off cleanly"
