#!/usr/bin/env bash
# tests/vm/uefi-counting.sh — Automatic Boot Assessment through OVMF (Secure Boot on): release
# 2026.2.0's UKI panics before userspace (its initramfs has no /init, panic=1): systemd-boot tries
# it 3 times (+3 -> +2-1 -> +1-2 -> +0-3), then boots release 2026.1.0's entry; stage 1 of that
# boot reports the fallback and gives the failed slot tries 0, so cgpt show / keel slots agree
# with what booted. Four boots (~10-20 s each, TCG).
VM_SUITE=uefi-counting
. "$(dirname "$0")/lib.sh"
[ -r /usr/share/OVMF/OVMF_CODE_4M.snakeoil.fd ] || { fail "prerequisites" "ovmf missing"; exit 0; }
export MTOOLS_SKIP_CHECK=1
ird=$(vm_initramfs) || { fail "initramfs"; exit 0; }
fx=$(vm_fixture fx-counting boot) || { fail "fixtures" "no /bin/busybox (busybox-static)"; exit 0; }
mkdir -p "$fx/broken/dev"
# the broken release: an initramfs with no /init; the kernel panics and panic=1 reboots
(cd "$fx/broken" && find . | LC_ALL=C sort | cpio --quiet -o -H newc --reproducible -R 0:0) > "$fx/broken.cpio"
rm -rf "$fx/broken"
"$KEEL_SRC/initramfs/mkuki.sh" --initrd "$fx/broken.cpio" --version 2026.2.0 --usrhash "$(printf '%064d' 0)" \
	--cmdline "console=ttyS0 panic=1 loglevel=4" --out "$VM_CACHE/fx-counting-uki/keel-2026.2.0+3.efi" "${VM_SB_SIGN[@]}" ||
	{ fail "broken UKI"; exit 0; }
vm_image uefi-counting --extra-usr "$fx" --version 2026.1.0 --version-b 2026.2.0 --attr-a 1:0:1 --attr-b 2:1:0 \
	--uefi-initrd "$ird" --uefi-cmdline "console=ttyS0 panic=-1 loglevel=4 keel.init=/usr/lib/keel-test/init" --uefi-tries 0 \
	--esp-uki "$VM_CACHE/fx-counting-uki/keel-2026.2.0+3.efi" "${VM_SB_SIGN[@]}" > /dev/null || { fail "image"; exit 0; }
hash_a=$(awk '$1 == "root-hash" { print $2 }' "$VM_CACHE/uefi-counting.img.info")
disk=$(vm_copy uefi-counting)
[ "$(vm_uefi_ls "$disk" | tr '\n' ' ')" = "keel-2026.1.0.efi keel-2026.2.0+3.efi " ] && [ "$("$KEEL" slots next "$disk")" = "3 USR-B tries 1" ] &&
	pass "before: release 2026.1.0 good in A, 2026.2.0 on trial (+3) in B; gptprio.next names USR-B" ||
	fail "setup" "$(vm_uefi_ls "$disk" | tr '\n' ' ')"
VM_UEFI=secure
con() { tr -d '\r' < "$VM_LOG"; }
for want in keel-2026.2.0+2-1.efi keel-2026.2.0+1-2.efi keel-2026.2.0+0-3.efi; do
	vm_start "$disk"
	if vm_wait_exit 120 && con | grep -q 'Kernel panic' && ! con | grep -q 'keel init'; then
		vm_uefi_ls "$disk" | grep -qx "$want" && pass "a panicking boot of the trial entry: now $want" ||
			fail "counter after a failed boot" "$(vm_uefi_ls "$disk" | tr '\n' ' ')"
	else
		fail "the broken release panics before userspace"; vm_log_tail 15
	fi
	vm_stop
done
vm_start "$disk"
if vm_wait '^TEST done' 120 && vm_wait_exit 30; then
	con | grep -q 'UEFI: Secure Boot enabled; boot entry keel-2026.1.0.efi$' &&
		con | grep -q "slot USR-A chosen by keel.usrhash=$hash_a" &&
		pass "fourth boot: systemd-boot skips the bad entry and boots release 2026.1.0 (USR-A)" || { fail "fallback boot"; vm_log_tail 20; }
	con | grep -q 'boot counting fell back: EFI/Linux/keel-2026.2.0+0-3.efi has no tries left; the other slot' &&
		con | grep -q '^TEST boot: .*fallback=keel-2026.2.0+0-3.efi' &&
		pass "stage 1 reports the fallback (console and /run/keel/boot)" || { fail "fallback reported"; con | grep 'keel init'; }
	[ "$(cgpt show -i 3 -T "$disk")" = 0 ] && [ "$(cgpt show -i 3 -S "$disk")" = 0 ] && [ "$("$KEEL" slots next "$disk")" = "2 USR-A tries 0" ] &&
		pass "cgpt show: USR-B tries 0, not successful; keel slots next: USR-A, as booted" ||
		fail "GPT agrees" "$(cgpt show -i 3 -T "$disk") $("$KEEL" slots next "$disk")"
	"$KEEL" slots "$disk" > "$VM_DIR/show"
	grep -q '^keel-2026.1.0.efi  *-1  *-1  *good  *\*$' "$VM_DIR/show" && grep -q '^keel-2026.2.0+0-3.efi  *0  *3  *bad *$' "$VM_DIR/show" &&
		pass "keel slots: the good entry is next, the bad one last" || fail "keel slots entries" "$(tr '\n' '|' < "$VM_DIR/show")"
else
	fail "fourth boot reaches the host"; vm_log_tail 30
fi
vm_stop
