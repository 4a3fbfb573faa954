#!/usr/bin/env bash
# tests/vm/uefi-health.sh — health decides (Secure Boot on, keel init as the host's PID 1): release
# 2026.1.0 in USR-A is good (keel-2026.1.0.efi), release 2026.2.0 in USR-B is on trial
# (keel-2026.2.0+3.efi, its own signed UKI naming B's root hash). Both ship the same
# /usr/lib/keel/health.json, whose command fails on 2026.2.0. Each trial boot reaches
# multi-user.target, the check fails, keel init runs `keel update mark-bad`, which renames the entry
# to +0-1 (no tries left) and gives USR-B priority 0, keeps evidence on STATE (`keel diag health
# --keep --reason R`: shown by `keel diag last` after the rollback) and reboots through its
# shutdown path; the next boot is 2026.1.0 (systemd-boot sorts the +0 entry last), which is no
# trial: no check runs. First, on a copy where 2026.1.0 itself is on trial (keel-2026.1.0+3.efi,
# USR-A not successful), the check passes: no reboot, the verdict recorded, and keel init's
# `keel update mark-good` blesses the entry (keel-2026.1.0.efi) and USR-A (successful).
VM_SUITE=uefi-health
. "$(dirname "$0")/lib.sh"
[ -r /usr/share/OVMF/OVMF_CODE_4M.snakeoil.fd ] || { fail "prerequisites" "ovmf missing"; exit 0; }
export MTOOLS_SKIP_CHECK=1
ird=$(vm_initramfs) || { fail "initramfs"; exit 0; }
fx=$(vm_fixture fx-health health) || { fail "fixtures" "no /bin/busybox (busybox-static)"; exit 0; }
cmdline="console=ttyS0 panic=-1 loglevel=4"
vm_image uefi-health --extra-usr "$fx" --extra-state "$KEEL_SRC/tests/vm/fixtures/health-state" --version 2026.1.0 \
	--version-b 2026.2.0 --attr-a 1:0:1 --attr-b 2:1:0 --uefi-initrd "$ird" --uefi-cmdline "$cmdline" --uefi-tries 0 \
	"${VM_SB_SIGN[@]}" > /dev/null || { fail "image"; exit 0; }
hash_b=$(awk '$1 == "root-hash-b" { print $2 }' "$VM_CACHE/uefi-health.img.info")
VM_UEFI=secure
con() { tr -d '\r' < "$VM_LOG"; }

# a trial boot that passes
disk=$(vm_copy uefi-health)
mren -i "$(_vm_esp "$disk")" ::EFI/Linux/keel-2026.1.0.efi ::EFI/Linux/keel-2026.1.0+3.efi && cgpt add -i 2 -S 0 "$disk" ||
	{ fail "pass setup"; exit 0; }
vm_start "$disk"
if vm_wait '^TEST done' 240 && vm_wait_exit 60; then
	con | grep -q 'health: trial boot (entry keel-2026.1.0+3.efi)' && con | grep -q 'health: passed: 1 required unit active; /usr/bin/busybox exited 0' &&
		! con | grep -q 'health: rebooting' && con | grep -q 'all units stopped: power off' &&
		pass "trial boot of 2026.1.0: the check passes, no reboot (the VM powered off by the report unit)" ||
		{ fail "passing trial"; vm_log_tail 25; }
	con | grep -q '^TEST health-record: result=pass reason=1 required unit active; /usr/bin/busybox exited 0 marked=good ' &&
		pass "/run/keel/health records the pass and the verdict: marked=good (keel update mark-good ran)" ||
		fail "verdict recorded" "$(con | grep -a '^TEST health-record')"
	[ "$(vm_uefi_ls "$disk" | tr '\n' ' ')" = "keel-2026.1.0.efi " ] && [ "$(cgpt show -i 2 -S "$disk")" = 1 ] &&
		pass "mark-good: keel-2026.1.0.efi blessed, USR-A successful (cgpt show)" ||
		fail "bless by mark-good" "$(vm_uefi_ls "$disk" | tr '\n' ' ') S=$(cgpt show -i 2 -S "$disk")"
	con | grep -q '^TEST status: .*"last":{"result":"good","version":"2026.1.0"' &&
		pass "keel update status --json: last result good, 2026.1.0" || fail "status after mark-good" "$(con | grep -a '^TEST status')"
else
	fail "the passing trial boot reports"; vm_log_tail 30
fi
vm_stop

# a release whose check fails
disk=$(vm_copy uefi-health)
"$KEEL_SRC/initramfs/mkuki.sh" --initrd "$ird" --version 2026.2.0 --usrhash "$hash_b" --cmdline "$cmdline" \
	--out "$VM_DIR/keel-2026.2.0+3.efi" "${VM_SB_SIGN[@]}" && vm_uefi_uki "$disk" keel-2026.2.0+3.efi "$VM_DIR/keel-2026.2.0+3.efi" ||
	{ fail "UKI of release 2026.2.0"; exit 0; }
[ "$(vm_uefi_ls "$disk" | tr '\n' ' ')" = "keel-2026.1.0.efi keel-2026.2.0+3.efi " ] &&
	pass "before: 2026.1.0 good in A, 2026.2.0 on trial (+3) in B" || fail "setup" "$(vm_uefi_ls "$disk" | tr '\n' ' ')"
vm_start "$disk"
if vm_wait_exit 240; then
	if con | grep -q "slot USR-B chosen by keel.usrhash=$hash_b" &&
		con | grep -q 'health: trial boot (entry keel-2026.2.0+3.efi)' &&
		con | grep -q 'health: FAILED: /usr/bin/busybox exited 1' &&
		con | grep -q 'health: rebooting: the trial boot failed' && con | grep -q 'all units stopped: reboot'; then
		pass "trial boot of 2026.2.0: the health check fails, keel init reboots cleanly"
	else
		fail "trial boot: check failed and reboot"; vm_log_tail 25
	fi
	vm_uefi_ls "$disk" | grep -qx keel-2026.2.0+0-1.efi && [ "$(cgpt show -i 3 -P "$disk")" = 0 ] &&
		pass "keel update mark-bad: the entry has no tries left (keel-2026.2.0+0-1.efi), USR-B priority 0" ||
		fail "mark-bad on the ESP and GPT" "$(vm_uefi_ls "$disk" | tr '\n' ' ') P=$(cgpt show -i 3 -P "$disk")"
else
	fail "the trial boot ended by itself"; vm_log_tail 25
fi
vm_stop
vm_start "$disk"
if vm_wait '^TEST done' 240 && vm_wait_exit 60; then
	con | grep -q "slot USR-A chosen by keel.usrhash=" && con | grep -q '^TEST boot: slot=USR-A .*version=2026.1.0 .*entry=keel-2026.1.0.efi fallback=keel-2026.2.0+0-1.efi' &&
		pass "the next boot: 2026.1.0 (USR-A), no further trial of 2026.2.0; stage 1 reports the fallback" || { fail "fallback boot"; vm_log_tail 25; }
	! con | grep -q 'health: trial boot' && ! con | grep -q 'health-check on' && con | grep -q '^TEST health-record: $' &&
		pass "2026.1.0 is no trial: no health check ran, no verdict recorded" || { fail "no check on a good boot"; con | grep -a health; }
	[ "$(cgpt show -i 3 -T "$disk")" = 0 ] && [ "$(cgpt show -i 3 -S "$disk")" = 0 ] &&
		pass "cgpt show: USR-B tries 0, not successful" || fail "GPT after the fallback"
	# the failed trial kept evidence on STATE before its reboot (keel diag health --keep --reason R, run by keel init)
	con | grep -q "^TEST last: /var/lib/keel/evidence/1.txt (1 kept) keel: update rolled back: the trial boot's health check failed: /usr/bin/busybox exited 1 \$" &&
		pass "after the rollback: keel diag last shows the failed trial's evidence (1 kept: one trial, mark-bad ended it)" ||
		fail "evidence of the failed trial" "$(con | grep -a '^TEST last')"
	con | grep -q '1 failed boot(s) left evidence in /var/lib/keel/evidence, the newest 1.txt: keel diag last' &&
		pass "keel init on the fallback boot says that the evidence exists" || fail "evidence warning after the rollback"
else
	fail "the boot after the failed trial reaches the host and reports"; vm_log_tail 30
fi
vm_stop
