#!/usr/bin/env bash
# tests/vm/update.sh — releases end to end (OVMF, Secure Boot on, keel init as PID 1). The host
# boots release 2026.1.0 (USR-A, keel-2026.1.0.efi, USR-B empty). A TUF repository made here
# with `keel update publish release` is served by a loopback HTTP server this test runs
# (tests/applets/update-server.py on 127.0.0.1); the guest reaches it only through qemu's
# user-mode network with restrict=on and one guestfwd (10.0.2.100:8080 -> 127.0.0.1:PORT).
# Each boot, the unit update-step (tests/vm/fixtures/update) reports the boot record, waits for a
# trial's verdict, prints `keel update status --json`, and does what the step disk says:
#   1. 2026.1.0: apply -> 2026.2.0 into USR-B, its UKI keel-2026.2.0+3.efi into the ESP (mounted
#      privately by keel update), `keel update reboot`
#   2. 2026.2.0 on trial: health passes, mark-good (keel-2026.2.0.efi, USR-B successful, floor);
#      apply -> 2026.3.0 into USR-A, reboot
#   3. 2026.3.0 on trial: its health check fails, mark-bad (keel-2026.3.0+0-1.efi, USR-A
#      priority 0, remembered), keel init reboots
#   4. back on 2026.2.0 (no trial): check says 2026.2.0 is installed and booted, exit 4 (2026.3.0,
#      remembered as failed, is never offered again)
#   5. the repository gains 2026.4.0 (a new kernel command line, a new keel in its initramfs and
#      slot: version string 0.4.0): apply, reboot
#   6. 2026.4.0 on trial: stage 1 of the new initramfs says keel 0.4.0, /proc/cmdline has the new
#      argument, health passes, marked good
# After every boot `cgpt show` of the disk and the status the guest printed agree (priority,
# tries, successful of both slots). KEEL_UPDATE_STEPS=4 stops after step 4 (tests/demo.sh).
VM_SUITE=update
. "$(dirname "$0")/lib.sh"
[ -r /usr/share/OVMF/OVMF_CODE_4M.snakeoil.fd ] || { fail "prerequisites" "ovmf missing"; exit 0; }
export MTOOLS_SKIP_CHECK=1
U="$KEEL update"
cmdline="console=ttyS0 panic=-1 loglevel=4"
# stage 1 loads virtio_net too (the guest's network to the repository)
mods=$VM_CACHE/update-modules
{ grep -v '^#' "$KEEL_SRC/config/initramfs/modules"; echo virtio_net; } > "$mods.new" && mv "$mods.new" "$mods"
# release 4's keel: the same binary with another version string ("keel 0.4.0")
keel4=$VM_CACHE/keel-0.4.0/keel
mkdir -p "${keel4%/keel}"
perl -0777 -pe 's/\x000\.1\.0\x00/\x000.4.0\x00/g' "$KEEL" > "$keel4" && chmod 755 "$keel4" && "$keel4" --version | grep -qx 'keel 0.4.0' ||
	{ fail "keel 0.4.0"; exit 0; }

# TUF keys and the root every release trusts (kept with the image cache), in each release's
# initramfs (--tuf-root: stage 1 copies it to /run/keel/tuf/root.json, which keel update
# prefers). /usr carries a decoy root of other keys: were it read, no refresh would verify.
tk=$VM_CACHE/update-tuf
if [ ! -f "$tk/decoy-root.json" ]; then
	rm -rf "$tk" && mkdir -p "$tk" && for k in root ts snap tgt decoy; do openssl ecparam -name prime256v1 -genkey -noout -out "$tk/$k.key" 2>/dev/null; done &&
		$U publish init --repo "$tk/repo" --key root="$tk/root.key" --key timestamp="$tk/ts.key" --key snapshot="$tk/snap.key" \
			--key targets="$tk/tgt.key" >/dev/null && cp "$tk/repo/metadata/1.root.json" "$tk/root.json" &&
		$U publish init --repo "$tk/decoy" --key root="$tk/decoy.key" --key timestamp="$tk/decoy.key" --key snapshot="$tk/decoy.key" \
			--key targets="$tk/decoy.key" >/dev/null && cp "$tk/decoy/metadata/1.root.json" "$tk/decoy-root.json" || { fail "TUF keys"; exit 0; }
fi
ird=$(vm_initramfs --modules "$mods" --tuf-root "$tk/root.json") || { fail "initramfs"; exit 0; }
ird4=$(KEEL=$keel4 vm_initramfs --modules "$mods" --tuf-root "$tk/root.json") || { fail "initramfs of release 4"; exit 0; }
sign=(--key timestamp="$tk/ts.key" --key snapshot="$tk/snap.key" --key targets="$tk/tgt.key")
fx=$(vm_fixture fx-update update) || { fail "fixtures" "no /bin/busybox (busybox-static)"; exit 0; }
mkdir -p "$fx/lib/keel/tuf" && cp "$tk/decoy-root.json" "$fx/lib/keel/tuf/root.json"
state=$KEEL_SRC/tests/vm/fixtures/update-state

# release 1: the disk; releases 2-4: their slot image (USR-A of an image of that version) and UKI
vm_image update --extra-usr "$fx" --extra-state "$state" --version 2026.1.0 --slot-b empty --uefi-initrd "$ird" \
	--uefi-cmdline "$cmdline" --uefi-tries 0 "${VM_SB_SIGN[@]}" > /dev/null || { fail "image"; exit 0; }
release() { # N [KEEL] [INITRD] [CMDLINE]
	local v=2026.$1.0 img hash
	img=$(KEEL=${2:-$KEEL} vm_image update-r$1 --extra-usr "$fx" --version $v --slot-b none) || return 1
	hash=$(awk '$1 == "root-hash" { print $2 }' "$img.info")
	dd if="$img" of="$VM_DIR/slot-$v.img" bs=512 skip="$(cgpt show -i 2 -b "$img")" count="$(cgpt show -i 2 -s "$img")" status=none &&
		"$KEEL_SRC/initramfs/mkuki.sh" --initrd "${3:-$ird}" --version $v --usrhash "$hash" --cmdline "${4:-$cmdline}" \
			--out "$VM_DIR/keel-$v.efi" "${VM_SB_SIGN[@]}" >/dev/null &&
		$U publish release --repo "$VM_DIR/repo" "${sign[@]}" "$VM_DIR/slot-$v.img" "$VM_DIR/keel-$v.efi" >/dev/null
}
rm -rf "$VM_DIR/repo" && cp -a "$tk/repo" "$VM_DIR/repo" && release 2 || { fail "release 2026.2.0"; exit 0; }
pass "repository: release 2026.2.0 published (slot image zstd frames, chunk hashes, signed UKI)"

# the loopback server and the guest's only way out
touch "$VM_DIR/srv.log"
python3 "$KEEL_SRC/tests/applets/update-server.py" "$VM_DIR/repo" "$VM_DIR/port" "$VM_DIR/srv.log" </dev/null >/dev/null 2>&1 &
SRV=$!
trap 'kill $SRV 2>/dev/null; _vm_cleanup' EXIT
for _ in $(seq 100); do [ -s "$VM_DIR/port" ] && break; sleep 0.05; done
port=$(cat "$VM_DIR/port") || { fail "server"; exit 0; }
# guestfwd's cmd: form runs socat per connection (a chardev target would be one connection for all)
VM_QEMU_ARGS=(-netdev "user,id=n0,restrict=on,guestfwd=tcp:10.0.2.100:8080-cmd:socat - TCP:127.0.0.1:$port" -device virtio-net-pci,netdev=n0)
VM_UEFI=secure
disk=$(vm_copy update)
step() { printf '%s' "$1" | dd of="$VM_DIR/step.img" bs=512 conv=sync status=none; VM_DRIVES=$VM_DIR/step.img; }
con() { tr -d '\r' < "$VM_LOG"; }
# agree: the last status the guest printed and cgpt show name the same attributes for both slots
agree() {
	local st want got
	st=$(con | sed -n 's/^TEST status: //p' | tail -1)
	got=$(printf '%s' "$st" | jq -r '.slots[] | "\(.label) \(.priority) \(.tries) \(if .successful then 1 else 0 end)"' 2>/dev/null | sort)
	want=$(for i in 2 3; do echo "$(cgpt show -i $i -l "$disk") $(cgpt show -i $i -P "$disk") $(cgpt show -i $i -T "$disk") $(cgpt show -i $i -S "$disk")"; done | sort)
	[ -n "$got" ] && [ "$got" = "$want" ] && pass "$1: keel update status --json and cgpt show agree ($(echo $want))" ||
		fail "$1: status and cgpt agree" "status: $(echo $got) / cgpt: $(echo $want)"
}
entries() { vm_uefi_ls "$disk" | tr '\n' ' '; }
boot() { # STEP SECONDS
	step "$1"
	vm_start "$disk"
	vm_wait_exit "$2"
}

# 1. release 1 applies release 2
if boot apply 300 && con | grep -q '^TEST apply: rc=0'; then
	pass "2026.1.0: keel update apply installed 2026.2.0 over HTTP (guestfwd to the loopback server) and rebooted"
else
	fail "apply of 2026.2.0"; vm_log_tail 30
fi
con | grep -q 'UEFI: Secure Boot enabled; boot entry keel-2026.1.0.efi$' || fail "boot 1 under Secure Boot" "$(con | grep -a 'UEFI:')"
[ "$(entries)" = "keel-2026.1.0.efi keel-2026.2.0+3.efi " ] && [ "$(cgpt show -i 3 -P "$disk")" = 2 ] && [ "$(cgpt show -i 3 -T "$disk")" = 3 ] &&
	pass "staged: EFI/Linux/keel-2026.2.0+3.efi, USR-B priority 2 tries 3" || fail "staged" "$(entries) P=$(cgpt show -i 3 -P "$disk")"
agree "after apply of 2026.2.0"
con | grep -qx "TEST tuf-root: 444 0 $(sha256sum < "$tk/root.json" | cut -c1-16)" &&
	pass "stage 1 copied the initramfs's TUF root to /run/keel/tuf/root.json (0444); update used it, not /usr's decoy" ||
	fail "/run/keel/tuf/root.json" "$(con | grep -a '^TEST tuf-root')"
grep -q 'keel-2026.2.0.usr.zst' "$VM_DIR/srv.log" && pass "the release was fetched from the loopback server" || fail "server log" "$(cat "$VM_DIR/srv.log")"

# 2. release 2 on trial: health passes, marked good; release 3 applied
release 3 || fail "release 2026.3.0"
if boot apply 300 && con | grep -q '^TEST boot: slot=USR-B .*version=2026.2.0 .*entry=keel-2026.2.0+3.efi' &&
	con | grep -q '^TEST health: result=pass .*marked=good'; then
	pass "2026.2.0 booted from USR-B on trial; health passed, marked good"
else
	fail "trial of 2026.2.0"; vm_log_tail 30
fi
con | grep -q '^TEST status: .*"last":{"result":"good","version":"2026.2.0"' && con | grep -q '^TEST status: .*"floor":"2026.2.0"' &&
	pass "status after mark-good: last good, floor 2026.2.0" || fail "status after mark-good" "$(con | grep -a '^TEST status' | head -1)"
con | grep -q '^TEST apply: rc=0' && [ "$(entries)" = "keel-2026.1.0.efi keel-2026.2.0.efi keel-2026.3.0+3.efi " ] &&
	[ "$(cgpt show -i 3 -S "$disk")" = 1 ] && [ "$(cgpt show -i 2 -P "$disk")" -gt "$(cgpt show -i 3 -P "$disk")" ] &&
	pass "2026.3.0 staged into USR-A: keel-2026.2.0.efi blessed, keel-2026.3.0+3.efi, USR-B successful" ||
	fail "2026.3.0 staged" "$(entries)"
agree "after apply of 2026.3.0"

# 3. release 3 on trial: its health check fails; mark-bad, reboot
if boot none 300 && con | grep -q '^TEST boot: slot=USR-A .*version=2026.3.0' && con | grep -q 'health: FAILED' &&
	con | grep -q 'health: rebooting: the trial boot failed'; then
	pass "2026.3.0 booted on trial, its health check failed, keel init rebooted"
else
	fail "trial of 2026.3.0"; vm_log_tail 30
fi
vm_uefi_ls "$disk" | grep -qx 'keel-2026.3.0+0-1.efi' && [ "$(cgpt show -i 2 -P "$disk")" = 0 ] &&
	pass "mark-bad: keel-2026.3.0+0-1.efi (no tries left), USR-A priority 0" || fail "mark-bad" "$(entries) P=$(cgpt show -i 2 -P "$disk")"

# 4. back on release 2: release 3 is never offered again
if boot check 300 && con | grep -q '^TEST boot: slot=USR-B .*version=2026.2.0 .*entry=keel-2026.2.0.efi'; then
	pass "after the failed trial: 2026.2.0 (USR-B) boots, no trial"
else
	fail "fallback to 2026.2.0"; vm_log_tail 30
fi
con | grep -q '^TEST check: rc=4' && con | grep -q '^TEST check: 2026.2.0: installed and booted' && ! con | grep -q '^TEST check: .*2026.3.0' &&
	pass "check: nothing newer than the booted 2026.2.0 (2026.3.0 remembered as failed, never offered; exit 4)" ||
	fail "check after the failure" "$(con | grep -a '^TEST check' | tr '\n' ' ')"
con | grep -q '^TEST status: .*"failed":\[{"version":"2026.3.0"' && pass "status: 2026.3.0 remembered as failed" ||
	fail "remembered failure" "$(con | grep -a '^TEST status' | tail -1)"
agree "after the fallback"

# ./build.sh demo shows steps 1-4 (KEEL_UPDATE_STEPS=4)
[ "${KEEL_UPDATE_STEPS:-6}" -ge 5 ] || { vm_stop; exit 0; }

# 5. release 4: a new command line and a new keel (initramfs and slot)
release 4 "$keel4" "$ird4" "$cmdline keel.test=release4" || fail "release 2026.4.0"
if boot apply 300 && con | grep -q '^TEST apply: rc=0'; then
	pass "2026.2.0: 2026.4.0 applied into USR-A"
else
	fail "apply of 2026.4.0"; vm_log_tail 30
fi
agree "after apply of 2026.4.0"

# 6. release 4 on trial
if boot none 300 && con | grep -q '^TEST boot: slot=USR-A .*version=2026.4.0' && con | grep -q '^TEST health: result=pass .*marked=good'; then
	pass "2026.4.0 booted on trial from USR-A; health passed, marked good"
else
	fail "trial of 2026.4.0"; vm_log_tail 30
fi
con | grep -q 'stage 1, keel 0.4.0' && con | grep -q '^TEST cmdline: .*keel.test=release4' &&
	pass "kernel and initramfs travel with the release: stage 1 is keel 0.4.0, /proc/cmdline has keel.test=release4" ||
	fail "release 4's UKI" "$(con | grep -a 'stage 1, keel\|^TEST cmdline')"
vm_uefi_ls "$disk" | grep -qx 'keel-2026.4.0.efi' && pass "keel-2026.4.0.efi blessed" || fail "release 4 blessed" "$(entries)"
agree "after release 4 was marked good"
vm_stop
