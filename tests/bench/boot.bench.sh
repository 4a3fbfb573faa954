# boot.bench.sh — boot-to-ready and PID 1 RSS: keel (stage 1: GPT slot choice, signed manifest,
# dm-verity, switch_root; then stage 2, keel init supervising units) against a busybox-static
# initramfs that only mounts and switch_roots to a busybox script, on the same kernel, modules
# and disk image; qemu -accel tcg, best of N boots each (KEEL_BENCH_BOOTS, default 3),
# alternating. "Ready": keel's supervisor runs its first unit (bench-ready.service) / the busybox
# host init runs; each prints "BENCH READY pid1-rss KB", Rss of /proc/1/smaps_rollup then (VmRSS
# lags on this kernel: its per-task counters are batched).
# Sourced by tests/bench/run.sh.
. "$KEEL_SRC/tests/vm/lib.sh"
bb_fx=$VM_CACHE/fx-bench
rm -rf "$bb_fx" "$VM_DIR/bb"
mkdir -p "$bb_fx/bin" "$VM_DIR/state/"{usr,proc,sys,dev,run,tmp,etc}
cp /bin/busybox "$bb_fx/bin/busybox"
cp -a "$KEEL_SRC/tests/bench/boot/usr/." "$bb_fx/"
vm_image bench --extra-usr "$bb_fx" --extra-state "$VM_DIR/state" > /dev/null
keel_initrd=$(vm_initramfs)
# the busybox initramfs: the same modules tree and module list, busybox applets, its /init
bb=$VM_DIR/bb
mkdir -p "$bb"
(cd "$bb" && cpio -id --quiet < "$keel_initrd")
rm -f "$bb/init" "$bb/bin/"*
cp /bin/busybox "$bb/bin/busybox"
for a in sh mount modprobe sleep cat sed switch_root; do ln -s busybox "$bb/bin/$a"; done
install -m 0755 "$KEEL_SRC/tests/bench/boot/busybox-init" "$bb/init"
rm -f "$bb/etc/keel-initramfs"
(cd "$bb" && find . -mindepth 1 | LC_ALL=C sort | cpio --quiet -o -H newc --reproducible -R 0:0) > "$VM_DIR/bb.cpio"

boot_ms() { # initrd cmdline… -> ms from qemu start to "BENCH READY"; also sets RSS_KIB
	local initrd=$1 disk t0 t1 kernel
	shift
	disk=$(vm_copy bench)
	kernel=$(vm_kernel)
	: > "$VM_LOG"
	t0=$(date +%s%N)
	qemu-system-x86_64 -accel tcg -m 256 -smp 1 -nodefaults -no-user-config -display none -no-reboot \
		-monitor none -serial "file:$VM_LOG" -kernel "$kernel" -initrd "$initrd" \
		-append "console=ttyS0 panic=-1 loglevel=4 $*" -drive "file=$disk,format=raw,if=virtio,cache=unsafe" \
		> /dev/null 2>&1 &
	VM_PID=$!
	while ! grep -aq 'BENCH READY' "$VM_LOG"; do
		kill -0 "$VM_PID" 2>/dev/null || break
		sleep 0.02
	done
	t1=$(date +%s%N)
	vm_wait_exit 30 || vm_stop
	grep -aq "BENCH READY" "$VM_LOG" || { grep -a -m5 -iE "panic|not syncing|init" "$VM_LOG" >&2; echo 0; return; }
	RSS_KIB=$(grep -aoE '(peak RSS) [0-9]+' "$VM_LOG" | awk '{ print $3 }' | tail -1)
	echo $(( (t1 - t0) / 1000000 ))
}
best_k= best_b= rss_k= rss_b=
for ((i = 0; i < ${KEEL_BENCH_BOOTS:-3}; i++)); do
	k=$(boot_ms "$keel_initrd")
	rk=$(grep -aoE 'peak RSS [0-9]+' "$VM_LOG" | awk '{ print $3 }') r2k=$(grep -aoE 'pid1-rss [0-9]+' "$VM_LOG" | awk '{ print $2 }')
	b=$(boot_ms "$VM_DIR/bb.cpio")
	rb=$(grep -aoE 'busybox init: peak RSS[^0-9]*[0-9]+' "$VM_LOG" | grep -oE '[0-9]+$') r2b=$(grep -aoE 'pid1-rss [0-9]+' "$VM_LOG" | awk '{ print $2 }')
	[ "$k" -gt 0 ] && { [ -z "$best_k" ] || [ "$k" -lt "$best_k" ]; } && best_k=$k
	[ "$b" -gt 0 ] && { [ -z "$best_b" ] || [ "$b" -lt "$best_b" ]; } && best_b=$b
	rss_k=${rk:-$rss_k} rss_b=${rb:-$rss_b} rss2_k=${r2k:-${rss2_k:-}} rss2_b=${r2b:-${rss2_b:-}}
done
row_time "boot to ready, qemu TCG (best of ${KEEL_BENCH_BOOTS:-3})" "$(awk -v m="${best_k:-0}" 'BEGIN { printf "%.2f", m / 1000 }')" \
	"$(awk -v m="${best_b:-0}" 'BEGIN { printf "%.2f", m / 1000 }')" \
	"keel: stage 1 (slot choice, signed manifest, dm-verity, switch_root) + keel init starting its first unit" "busybox-static initramfs: modprobe + mount + switch_root to a busybox script"
row_size "PID 1 RSS at ready, on the host (smaps_rollup)" "${rss2_k:-0}" "${rss2_b:-0}" \
	"keel init (stage 2, supervising), Rss of /proc/1/smaps_rollup read by its unit" "busybox sh as the host's init, the same"
row_size "PID 1 peak RSS (VmHWM) in the initramfs" "${rss_k:-0}" "${rss_b:-0}" \
	"keel init stage 1 (printed before switch_root)" "busybox sh /init (VmHWM before switch_root)"
vm_stop; trap - EXIT
