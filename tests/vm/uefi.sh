#!/usr/bin/env bash
# tests/vm/uefi.sh — the UEFI boot chain: the image recipe (UKI, ESP: contents and reproducible
# bytes), then boots from the disk alone through OVMF with Secure Boot on (snakeoil TEST KEYS):
# firmware -> signed systemd-boot -> signed UKI -> keel stage 1 (Secure Boot state, entry and
# usrhash on the console and in /run/keel/boot); a UKI changed by one byte after signing is
# refused by the firmware and never runs.
VM_SUITE=uefi
. "$(dirname "$0")/lib.sh"

for f in /usr/lib/systemd/boot/efi/linuxx64.efi.stub /usr/share/OVMF/OVMF_CODE_4M.snakeoil.fd "$VM_SB_KEY"; do
	[ -r "$f" ] || { fail "prerequisites" "$f missing (packages systemd-boot-efi, ovmf)"; exit 0; }
done
ird=$(vm_initramfs) || { fail "initramfs"; exit 0; }
h0=$(printf '%064d' 0)

# ---- the recipe (no boot) -----------------------------------------------------------------------
u1=$VM_DIR/u1.efi u2=$VM_DIR/u2.efi
"$KEEL_SRC/initramfs/mkuki.sh" --initrd "$ird" --version 2026.1.0 --usrhash "$h0" --cmdline "console=ttyS0" --out "$u1" &&
	SOURCE_DATE_EPOCH=1 "$KEEL_SRC/initramfs/mkuki.sh" --initrd "$ird" --version 2026.1.0 --usrhash "$h0" --cmdline "console=ttyS0" --out "$u2" &&
	cmp -s "$u1" "$u2" && pass "UKI: two builds are byte-identical (no time stamp: the stub's PE stamp is kept)" ||
	fail "UKI reproducible" "$(cmp -l "$u1" "$u2" 2>&1 | head -3 | tr '\n' ' ')"
objdump -h "$u1" > "$VM_DIR/sections" 2>&1
ok=1
for s in ".osrel 0000000000020000" ".cmdline 0000000000030000" ".linux 0000000002000000" ".initrd 0000000003000000"; do
	awk -v n="${s% *}" -v a="${s#* }" '$2 == n && $4 == a { f = 1 } END { exit !f }' "$VM_DIR/sections" || ok=0
done
objcopy -O binary --only-section=.cmdline "$u1" "$VM_DIR/cmdline" && objcopy -O binary --only-section=.osrel "$u1" "$VM_DIR/osrel"
[ $ok = 1 ] && [ "$(cat "$VM_DIR/cmdline")" = "console=ttyS0 keel.usrhash=$h0" ] && grep -qx 'VERSION_ID=2026.1.0' "$VM_DIR/osrel" &&
	objcopy -O binary --only-section=.initrd "$u1" "$VM_DIR/initrd" && cmp -s "$VM_DIR/initrd" "$ird" &&
	pass "UKI: .osrel .cmdline .linux .initrd at the stub's addresses; cmdline ends in keel.usrhash=, .initrd is keel's" ||
	fail "UKI sections" "$(tr '\n' ' ' < "$VM_DIR/sections" | head -c 300)"
python3 - "$u1" <<'EOF' && pass "UKI: the PE checksum is right after the time stamp is restored" || fail "UKI PE checksum"
import struct, sys
d = open(sys.argv[1], 'rb').read(); pe = struct.unpack_from('<I', d, 0x3c)[0]
b = bytearray(d); b[pe + 88:pe + 92] = b'\0' * 4
if len(b) % 2: b += b'\0'
s = 0
for (w,) in struct.iter_unpack('<H', bytes(b)): s += w; s = (s & 0xffff) + (s >> 16)
sys.exit(0 if struct.unpack_from('<I', d, pe + 88)[0] == ((s & 0xffff) + (s >> 16)) + len(d) and struct.unpack_from('<I', d, pe + 8)[0] == 0 else 1)
EOF
"$KEEL_SRC/initramfs/mkuki.sh" --initrd "$ird" --version 2026.1.0 --usrhash "$(printf '%064d' 1)" --cmdline "console=ttyS0" --out "$u2" &&
	! cmp -s "$u1" "$u2" && pass "UKI: another usrhash gives another image" || fail "UKI usrhash changes the bytes"
s1=$VM_DIR/s1.efi s2=$VM_DIR/s2.efi
"$KEEL_SRC/initramfs/mkuki.sh" --initrd "$ird" --version 2026.1.0 --usrhash "$h0" --out "$s1" "${VM_SB_SIGN[@]}" && sleep 1.1 &&
	"$KEEL_SRC/initramfs/mkuki.sh" --initrd "$ird" --version 2026.1.0 --usrhash "$h0" --out "$s2" "${VM_SB_SIGN[@]}" ||
	fail "UKI signing"
sbverify --cert "$VM_SB_CERT" "$s1" >/dev/null 2>&1 && pass "UKI: sbverify accepts the signature with the snakeoil certificate" ||
	fail "sbverify signed UKI"
! sbverify --cert "$VM_SB_CERT" "$u1" >/dev/null 2>&1 && pass "UKI: sbverify refuses the unsigned one" || fail "sbverify unsigned UKI"
# sbsign adds the PKCS#7 signingTime: only the certificate table (and so the PE checksum) differ
read -r _ _ cert_off cert_len _ < <(objdump -p "$s1" | grep 'Security Directory')
cert_off=$((16#$cert_off)) cert_len=$((16#$cert_len))
pe=$(od -An -tu4 -j60 -N4 "$s1" | tr -d ' ')
outside=$(cmp -l "$s1" "$s2" | awk -v a="$cert_off" -v n="$cert_len" -v c=$((pe + 88)) \
	'{ o = $1 - 1; if (!((o >= a && o < a + n) || (o >= c && o < c + 4))) m++ } END { print m + 0 }')
ndiff=$(cmp -l "$s1" "$s2" | wc -l)
[ -n "$cert_off" ] && [ "$outside" = 0 ] &&
	pass "signed UKI: two signings differ only in the Authenticode certificate table and the PE checksum ($ndiff bytes: sbsign's signingTime and the RSA signature over it)" ||
	fail "signed UKI reproducible" "$outside bytes differ outside the certificate table"
e1=$VM_DIR/e1.img e2=$VM_DIR/e2.img
"$KEEL_SRC/initramfs/mkesp.sh" --out "$e1" --size-mb 40 --uki "$u1" && sleep 1.1 &&
	"$KEEL_SRC/initramfs/mkesp.sh" --out "$e2" --size-mb 40 --uki "$u1" && cmp -s "$e1" "$e2" &&
	pass "ESP: two builds are byte-identical (fixed serial, SOURCE_DATE_EPOCH times)" || fail "ESP reproducible"
MTOOLS_SKIP_CHECK=1 mdir -b -i "$e1" ::/ -/ > "$VM_DIR/esp.list" 2>&1
MTOOLS_SKIP_CHECK=1 mtype -i "$e1" ::loader/loader.conf > "$VM_DIR/loader.conf" 2>&1
grep -qx '::/EFI/BOOT/BOOTX64.EFI' "$VM_DIR/esp.list" && grep -qx '::/EFI/Linux/u1.efi' "$VM_DIR/esp.list" &&
	grep -qx 'editor no' "$VM_DIR/loader.conf" && fsck.fat -n "$e1" >/dev/null 2>&1 &&
	pass "ESP: systemd-boot as EFI/BOOT/BOOTX64.EFI, the UKI in EFI/Linux, loader.conf with editor no; fsck.fat clean" ||
	fail "ESP contents" "$(tr '\n' ' ' < "$VM_DIR/esp.list")"
SOURCE_DATE_EPOCH=1700000000 "$KEEL_SRC/initramfs/mkesp.sh" --out "$e2" --size-mb 40 --uki "$u1" && ! cmp -s "$e1" "$e2" &&
	pass "ESP: SOURCE_DATE_EPOCH is honoured (another epoch, other bytes)" || fail "ESP SOURCE_DATE_EPOCH"
a=$VM_DIR/r1.img b=$VM_DIR/r2.img
mk() { "$KEEL_SRC/initramfs/mkimage.sh" --keel "$KEEL" --key "$VM_KEY" --out "$1" --slot-mb 8 --state-mb 8 --uefi-initrd "$ird" \
	--uefi-cmdline "console=ttyS0" --version 2026.1.0 > "$1.info"; }
mk "$a" && mk "$b" || fail "mkimage --uefi-initrd"
cmp -s "$a" "$b" && [ "$(vm_uefi_ls "$a")" = "keel-2026.1.0+3.efi" ] &&
	pass "disk image with ESP (UKI unsigned): two builds are byte-identical; the entry is keel-2026.1.0+3.efi" ||
	fail "disk image with ESP reproducible" "$(cmp "$a" "$b" 2>&1 | head -1); entries: $(vm_uefi_ls "$a" | tr '\n' ' ')"
MTOOLS_SKIP_CHECK=1 mcopy -i "$(_vm_esp "$a")" ::EFI/Linux/keel-2026.1.0+3.efi "$VM_DIR/in-esp.efi" &&
	objcopy -O binary --only-section=.cmdline "$VM_DIR/in-esp.efi" "$VM_DIR/cmdline" &&
	[ "$(cat "$VM_DIR/cmdline")" = "console=ttyS0 keel.usrhash=$(awk '$1 == "root-hash" { print $2 }' "$a.info")" ] &&
	pass "disk image: the UKI's keel.usrhash= is slot A's signed root hash" || fail "UKI usrhash in the image" "$(cat "$VM_DIR/cmdline")"

# ---- boots through OVMF, Secure Boot on ---------------------------------------------------------
fx=$(vm_fixture fx-uefi boot) || { fail "fixtures" "no /bin/busybox (busybox-static)"; exit 0; }
cmdline="console=ttyS0 panic=-1 loglevel=4 keel.init=/usr/lib/keel-test/init"
VM_UEFI=secure
img() { # NAME [mkimage args…]: a signed UEFI image with the reporting host init
	local n=$1
	shift
	vm_image "$n" --extra-usr "$fx" --uefi-initrd "$ird" --uefi-cmdline "$cmdline" "${VM_SB_SIGN[@]}" "$@"
}
con() { tr -d '\r' < "$VM_LOG"; }
# swap_uki DISK VERSION USRHASH [INITRD]: the disk's release 2026.1.0 entry replaced by a signed
# UKI of VERSION naming USRHASH
swap_uki() {
	"$KEEL_SRC/initramfs/mkuki.sh" --initrd "${4:-$ird}" --version "$2" --usrhash "$3" --cmdline "$cmdline" \
		--out "$VM_DIR/keel-$2+3.efi" "${VM_SB_SIGN[@]}" && vm_uefi_uki "$1" "keel-$2+3.efi" "$VM_DIR/keel-$2+3.efi" &&
		{ [ "$2" = 2026.1.0 ] || MTOOLS_SKIP_CHECK=1 mdel -i "$(_vm_esp "$1")" ::EFI/Linux/keel-2026.1.0+3.efi 2>/dev/null || true; }
}

# boot 1: the signed chain from the disk alone
img uefi-ab --version 2026.1.0 --version-b 2026.2.0 --attr-a 1:0:1 --attr-b 2:1:0 > /dev/null || { fail "image uefi-ab"; exit 0; }
hash_a=$(awk '$1 == "root-hash" { print $2 }' "$VM_CACHE/uefi-ab.img.info")
hash_b=$(awk '$1 == "root-hash-b" { print $2 }' "$VM_CACHE/uefi-ab.img.info")
disk=$(vm_copy uefi-ab)
[ "$hash_a" != "$hash_b" ] && [ "$(vm_uefi_ls "$disk")" = "keel-2026.1.0+3.efi" ] &&
	pass "before boot: one entry on trial, keel-2026.1.0+3.efi; the slots hold two releases" || fail "uefi-ab image"
vm_start "$disk"
if vm_wait '^TEST done' 120 && vm_wait_exit 30; then
	! grep -aq -- '-kernel' "$VM_DIR/qemu.out" && con | grep -q '^EFI stub: UEFI Secure Boot is enabled' &&
		pass "booted from the disk alone through signed systemd-boot and UKI, Secure Boot on" ||
		{ fail "Secure Boot chain"; vm_log_tail 30; }
	[ "$(vm_uefi_ls "$disk")" = "keel-2026.1.0+2-1.efi" ] && pass "systemd-boot counted the try on the ESP: keel-2026.1.0+2-1.efi" ||
		fail "boot counting rename" "$(vm_uefi_ls "$disk" | tr '\n' ' ')"
	con | grep -Eq 'keel init: \[ *[0-9.]+\] UEFI: Secure Boot enabled; boot entry keel-2026\.1\.0\+3\.efi$' &&
		pass "stage 1 shows Secure Boot enabled and the entry systemd-boot selected" || { fail "stage 1 UEFI line"; vm_log_tail 30; }
	con | grep -q "slot USR-A chosen by keel.usrhash=$hash_a (partition 2" &&
		pass "stage 1 shows the usrhash and boots USR-A by it, though gptprio.next would take USR-B" || fail "usrhash picks USR-A"
	con | grep -q "^TEST boot: slot=USR-A .*version=2026.1.0 .*usrhash=$hash_a secure_boot=1 entry=keel-2026.1.0+3.efi " &&
		pass "/run/keel/boot records slot, usrhash, secure_boot=1 and the entry" || { fail "/run/keel/boot"; con | grep '^TEST boot'; }
	[ "$(cgpt show -i 3 -T "$disk")" = 1 ] && [ "$(cgpt show -i 2 -T "$disk")" = 0 ] &&
		pass "no GPT tries spent: with keel.usrhash the boot entry counts" || fail "GPT tries untouched under keel.usrhash"
else
	fail "boot 1 (UEFI, Secure Boot) reached the host init"; vm_log_tail 30
fi
vm_stop

# boot 1c: keel slots bless after a good boot (the test init runs it when STATE has
# /etc/keel-test-bless): the entry loses its counter, the slot becomes successful; the next boot
# picks the blessed entry
fxs=$VM_CACHE/fx-uefi-bless
rm -rf "$fxs" && mkdir -p "$fxs/etc" && : > "$fxs/etc/keel-test-bless"
img uefi-bless --version 2026.1.0 --version-b 2026.2.0 --attr-a 1:0:0 --attr-b 2:1:0 --extra-state "$fxs" > /dev/null ||
	fail "image uefi-bless"
disk=$(vm_copy uefi-bless)
vm_start "$disk"
if vm_wait '^TEST done' 120 && vm_wait_exit 30; then
	con | grep -q '^TEST bless: rc=0' && [ "$(vm_uefi_ls "$disk")" = "keel-2026.1.0.efi" ] &&
		[ "$(cgpt show -i 2 -S "$disk")" = 1 ] &&
		pass "keel slots bless after a good boot: the entry is keel-2026.1.0.efi, USR-A successful" ||
		{ fail "bless in the VM" "$(con | grep '^TEST bless'); entries: $(vm_uefi_ls "$disk" | tr '\n' ' '); A successful=$(cgpt show -i 2 -S "$disk")"; vm_log_tail 10; }
else
	fail "boot 1c reached the host init"; vm_log_tail 30
fi
vm_stop
vm_start "$disk"
if vm_wait '^TEST done' 120 && vm_wait_exit 30; then
	con | grep -Eq 'keel init: \[ *[0-9.]+\] UEFI: Secure Boot enabled; boot entry keel-2026\.1\.0\.efi$' &&
		[ "$(vm_uefi_ls "$disk")" = "keel-2026.1.0.efi" ] &&
		pass "the next boot: systemd-boot picks the blessed entry (no counter left to spend)" ||
		{ fail "boot after bless"; vm_log_tail 20; }
else
	fail "the boot after bless reached the host init"; vm_log_tail 30
fi
vm_stop

# boot 1b: the release in slot B: its own UKI (keel.usrhash= of B) in place of A's
disk=$(vm_copy uefi-ab)
swap_uki "$disk" 2026.2.0 "$hash_b" || fail "UKI of release B"
vm_start "$disk"
if vm_wait '^TEST done' 120 && vm_wait_exit 30; then
	con | grep -q "slot USR-B chosen by keel.usrhash=$hash_b (partition 3" &&
		con | grep -q "^TEST boot: slot=USR-B .*version=2026.2.0 .*usrhash=$hash_b secure_boot=1 entry=keel-2026.2.0+3.efi " &&
		pass "keel.usrhash of release 2026.2.0 boots USR-B" || { fail "usrhash picks USR-B"; vm_log_tail 20; }
else
	fail "boot 1b reached the host init"; vm_log_tail 30
fi
vm_stop

# boot 2: the same UKI changed by one byte (inside the kernel) after signing: refused, never runs
disk=$(vm_copy uefi-ab)
t=$VM_DIR/tampered.efi
MTOOLS_SKIP_CHECK=1 mcopy -i "$(_vm_esp "$disk")" ::EFI/Linux/keel-2026.1.0+3.efi "$t"
o=$(( 16#$(objdump -h "$t" | awk '$2 == ".linux" { print $6 }') + 4096 ))
b=$(od -An -tu1 -j"$o" -N1 "$t" | tr -d ' ')
printf "\\x$(printf %02x $((b ^ 1)))" | dd of="$t" bs=1 seek="$o" conv=notrunc status=none
[ "$(cmp -l "$t" <(MTOOLS_SKIP_CHECK=1 mtype -i "$(_vm_esp "$disk")" ::EFI/Linux/keel-2026.1.0+3.efi) | wc -l)" = 1 ] &&
	vm_uefi_uki "$disk" keel-2026.1.0+3.efi "$t" || fail "tampering with the UKI"
rm -f "$VM_DIR/ovmf-vars.fd"
vm_start "$disk"
if vm_wait 'No bootable option or device was found' 90; then
	con | grep -q 'Error loading \\EFI\\Linux\\keel-2026.1.0+2-1.efi: Access Denied' && ! con | grep -aqE 'Linux version|EFI stub|keel init' &&
		pass "a UKI changed by one byte after signing: the firmware refuses it (Access Denied); no kernel runs" ||
		{ fail "tampered UKI refused"; vm_log_tail 20; }
else
	fail "tampered UKI: the firmware gave up"; vm_log_tail 20
fi
vm_stop

# ---- the locked-down failure path (Secure Boot on) ------------------------------------------------
# boot 3: a UKI whose keel.usrhash= no signed manifest has; the image has no rescue password
nohash=$(printf 'no such release' | sha256sum | cut -c1-64)
disk=$(vm_copy uefi-ab)
rm -f "$VM_DIR/ovmf-vars.fd"
swap_uki "$disk" 2026.9.0 "$nohash" || fail "UKI with an unknown usrhash"
vm_start "$disk"
if vm_wait 'keel init: Secure Boot is on' 120 && vm_wait_exit 30; then
	con | grep -q "keel init: FAILED: choosing the slot: keel.usrhash=$nohash: no slot's signed manifest has this root hash (USR-A has ${hash_a:0:16}, USR-B has ${hash_b:0:16})" &&
		pass "a usrhash no signed manifest has: the failure names the hash and what each slot has" || { fail "unknown usrhash failure"; vm_log_tail 10; }
	con | grep -q '^keel init: Secure Boot is on and this image has no rescue password: rebooting' && con | grep -q 'reboot: Restarting system' &&
		! con | grep -q 'rescue# ' && pass "no rescue password in the image: stage 1 reboots, no root console" ||
		{ fail "locked failure reboots"; vm_log_tail 10; }
else
	fail "locked failure path"; vm_log_tail 20
fi
vm_stop

# boot 4: the same with a rescue password in the signed initramfs: a wrong one is refused, the
# right one opens the rescue console
ird_pw=$(vm_initramfs --rescue-password-hash "$(openssl passwd -6 -salt keeltest snakeoil)") || fail "initramfs with a rescue password"
swap_uki "$disk" 2026.9.0 "$nohash" "$ird_pw" || fail "UKI with a rescue password"
vm_start "$disk"
if vm_wait 'rescue password \(try 1 of 3\)' 120; then
	sleep 0.5
	vm_send "not-the-password"
	if vm_wait 'rescue password \(try 2 of 3\)' 30 && ! con | grep -q 'rescue# '; then
		pass "Secure Boot on: a wrong rescue password is refused"
	else
		fail "wrong rescue password refused"; vm_log_tail 10
	fi
	sleep 0.5
	vm_send "snakeoil"
	if vm_wait 'rescue# ' 30; then
		pass "Secure Boot on: the image's rescue password opens the rescue console"
		! con | grep -q 'not-the-password\|snakeoil' && pass "the password is not echoed" || fail "password echoed"
		vm_send "reboot"
		vm_wait_exit 30 || fail "rescue: reboot"
	else
		fail "right rescue password"; vm_log_tail 10
	fi
else
	fail "rescue password prompt"; vm_log_tail 20
fi
vm_stop
