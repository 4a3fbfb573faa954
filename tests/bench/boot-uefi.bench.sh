# boot-uefi.bench.sh — boot to ready through the firmware: OVMF (Secure Boot on, snakeoil test
# keys) -> signed systemd-boot -> signed UKI -> keel stage 1 (keel.usrhash) -> keel init's first
# unit, against qemu's direct kernel boot (-kernel/-initrd, gptprio.next) of the same kernel,
# initramfs and disk image, in the same run; best of KEEL_BENCH_BOOTS (default 3), alternating.
# Sourced by tests/bench/run.sh.
. "$KEEL_SRC/tests/vm/lib.sh"
ub_fx=$VM_CACHE/fx-bench-uefi
rm -rf "$ub_fx" "$VM_DIR/ustate"
mkdir -p "$ub_fx/bin" "$VM_DIR/ustate/"{usr,proc,sys,dev,run,tmp,etc}
cp /bin/busybox "$ub_fx/bin/busybox"
cp -a "$KEEL_SRC/tests/bench/boot/usr/." "$ub_fx/"
ub_initrd=$(vm_initramfs)
vm_image bench-uefi --extra-usr "$ub_fx" --extra-state "$VM_DIR/ustate" --uefi-initrd "$ub_initrd" \
	--uefi-cmdline "console=ttyS0 panic=-1 loglevel=4" "${VM_SB_SIGN[@]}" > /dev/null
ub_ms() { # uefi: secure or "" (direct) -> ms from qemu start to "BENCH READY" (0: never)
	local disk t0 t1
	disk=$(vm_copy bench-uefi)
	rm -f "$VM_DIR/ovmf-vars.fd"
	t0=$(date +%s%N)
	VM_UEFI=$1 vm_start "$disk"
	vm_wait 'BENCH READY' 120 > /dev/null 2>&1 || { vm_stop; echo 0; return; }
	t1=$(date +%s%N)
	vm_wait_exit 30 || vm_stop
	echo $(( (t1 - t0) / 1000000 ))
}
best_u= best_d=
for ((i = 0; i < ${KEEL_BENCH_BOOTS:-3}; i++)); do
	u=$(ub_ms secure)
	d=$(ub_ms "")
	[ "$u" -gt 0 ] && { [ -z "$best_u" ] || [ "$u" -lt "$best_u" ]; } && best_u=$u
	[ "$d" -gt 0 ] && { [ -z "$best_d" ] || [ "$d" -lt "$best_d" ]; } && best_d=$d
done
row_time "boot to ready through UEFI (best of ${KEEL_BENCH_BOOTS:-3}; ratio < 1: the firmware's cost)" \
	"$(awk -v m="${best_u:-0}" 'BEGIN { printf "%.2f", m / 1000 }')" "$(awk -v m="${best_d:-0}" 'BEGIN { printf "%.2f", m / 1000 }')" \
	"OVMF Secure Boot -> systemd-boot -> UKI -> keel stage 1 (keel.usrhash) -> keel init's first unit" \
	"qemu -kernel/-initrd (same kernel, initramfs, disk): keel stage 1 (gptprio.next) -> the same unit"
vm_stop; trap - EXIT
