#!/usr/bin/env bash
# tests/vm/provision.sh — first-boot provisioning in qemu: stage 1 runs `keel provision boot
# --root /sysroot`, the image's /usr/lib/keel/base.ign is merged under the config, then the real
# host init, `keel init` (stage 2), starts what the config enabled. Six boots of ~10 s (TCG):
#   1. the config on the kernel command line (keel.config=data:…): a user with an SSH key, files
#      with their modes and owners, an append, a unit enabled through its [Install] section; keel
#      init starts that unit (its status and its log, read by a probe unit of the image);
#   then provisioning is done for that disk, whatever the next boots bring:
#   2. keel.config=http://127.0.0.1:1/… (a config server that is down; the guest has no network
#      device, only its own loopback): nothing fetched, the boot goes on;
#   3. no keel.config=, a drive labelled ignition whose config adds a user: not even looked at;
#   4. an update (slot A rewritten with an image whose base.ign differs) and the first config on
#      the command line again: nothing applied again (the append made once, base.ign's new file
#      absent);
#   5. a fresh disk, no keel.config=, a second disk: FAT labelled config-2 with the config in
#      openstack/latest/user_data (an OpenStack config drive): applied, the unit started;
#   6. a fresh disk and a second disk: ISO 9660 labelled ignition with a config.ign whose hash
#      does not match: stage 1 stops in the rescue console with the one error line naming the
#      JSON path, and the state partition is untouched.
# The probe (fixtures/provision/lib/keel-provision-test/probe, enabled in the image) prints
# "TEST …" lines on the console and powers off with `keel init poweroff`.
VM_SUITE=provision
. "$(dirname "$0")/lib.sh"

fx=$(vm_fixture fx-provision provision) || { fail "fixtures" "no /bin/busybox (busybox-static)"; exit 0; }
st=$VM_CACHE/fx-provision-state
rm -rf "$st"
mkdir -p "$st/etc"
printf 'root:x:0:0:root:/root:/bin/sh\n' > "$st/etc/passwd"
printf 'root:x:0:\nwheel:x:10:\n' > "$st/etc/group"
printf 'root:*:19000:0:99999:7:::\n' > "$st/etc/shadow"
chmod 600 "$st/etc/shadow"
for t in mkfs.fat mmd mcopy xorriso cgpt debugfs; do
	command -v "$t" > /dev/null || { fail "tools" "no $t (dosfstools, mtools, xorriso, vboot-utils, e2fsprogs)"; exit 0; }
done

key="ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIKeelVmTestKeyForProvisioning0000000 core@vm"
hello512=$(printf 'provisioned\n' | sha512sum | cut -d' ' -f1)
config() { # HASH
	printf '{"ignition":{"version":"3.3.0"},"passwd":{"users":[{"name":"core","groups":["wheel"],"sshAuthorizedKeys":["%s"]}]},' "$key"
	printf '"storage":{"files":[{"path":"/etc/keel-test/hello","mode":416,"contents":{"source":"data:,provisioned%%0A","verification":{"hash":"sha512-%s"}}},' "$1"
	printf '{"path":"/home/core/notes","mode":384,"user":{"name":"core"},"group":{"name":"wheel"},"contents":{"source":"data:,mine%%0A"}},'
	printf '{"path":"/etc/keel-test/appended","append":[{"source":"data:,once%%0A"}]}]},'
	printf '"systemd":{"units":[{"name":"hello.service","enabled":true,"contents":"[Unit]\\nDescription=hello\\n[Service]\\nType=oneshot\\nRemainAfterExit=yes\\nExecStart=/usr/bin/busybox echo PROVISIONED-UNIT-RAN\\n[Install]\\nWantedBy=multi-user.target\\n"}]}}'
}
config "$hello512" > "$VM_DIR/good.ign"
config "$(printf 'forged' | sha512sum | cut -d' ' -f1)" > "$VM_DIR/bad.ign"
good="keel.config=data:;base64,$(base64 -w0 < "$VM_DIR/good.ign")"
"$KEEL" provision validate "$VM_DIR/good.ign" && pass "the test config validates" || fail "the test config validates"

# config drives, as OpenStack and cloud tooling make them: FAT labelled config-2 with
# openstack/latest/user_data; ISO 9660 (Rock Ridge, Joliet) labelled ignition with config.ign
cfg2=$VM_DIR/config-2.img ign=$VM_DIR/ignition.iso
mkfs.fat -C -n config-2 "$cfg2" 2048 > /dev/null 2>&1 && mmd -i "$cfg2" ::openstack ::openstack/latest &&
	mcopy -i "$cfg2" "$VM_DIR/good.ign" ::openstack/latest/user_data || { fail "FAT config drive"; exit 0; }
mkdir -p "$VM_DIR/iso" && cp "$VM_DIR/bad.ign" "$VM_DIR/iso/config.ign" &&
	xorriso -as mkisofs -quiet -V ignition -r -J -o "$ign" "$VM_DIR/iso" 2> /dev/null || { fail "ISO config drive"; exit 0; }
# a stick someone plugs into a provisioned host: labelled ignition, its config adds a user
late=$VM_DIR/late.iso
mkdir -p "$VM_DIR/late" && printf '{"ignition":{"version":"3.3.0"},"passwd":{"users":[{"name":"intruder","passwordHash":""}]}}' > "$VM_DIR/late/config.ign" &&
	xorriso -as mkisofs -quiet -V ignition -r -J -o "$late" "$VM_DIR/late" 2> /dev/null || { fail "late ISO config drive"; exit 0; }
# an update: the same image but for base.ign, which now writes one more file
fxu=$VM_CACHE/fx-provision-update
rm -rf "$fxu" && cp -a "$fx" "$fxu" &&
	printf '{"ignition":{"version":"3.0.0"},"storage":{"files":[{"path":"/etc/keel-test/from-update","contents":{"source":"data:,new"}}]}}' > "$fxu/lib/keel/base.ign"

state_tree() { # DISK: every path on the state partition with its type and size (debugfs, read-only)
	vm_state_image "$1" &&
		debugfs -R "rdump / $VM_DIR/dump" "$VM_DIR/state.img" >/dev/null 2>&1 &&
		(cd "$VM_DIR/dump" && find . -printf '%y %m %s %p\n' | LC_ALL=C sort) && rm -rf "$VM_DIR/dump"
}
# what stage 1 itself makes on STATE (its skeleton: directories, /bin /sbin /lib /lib64 links)
skeleton='^(d [0-7]+ [0-9]+ \./(usr|etc|var|home|root|proc|sys|dev|run|tmp|mnt)|l 777 [0-9]+ \./(bin|sbin|lib|lib64))$'
t() { grep -a "^TEST $1" "$VM_LOG" | head -1 | tr -d '\r' | sed "s/^TEST $1//"; }

# what a provisioned host shows from inside (the probe's lines); $1 names the boot
check_provisioned() {
	local b=$1
	case "$(t 'pid1: ')" in "keel "*"keel init ") pass "$b: PID 1 is keel init (stage 2)";; *) fail "$b: PID 1" "$(t 'pid1: ')";; esac
	[ "$(t 'passwd: ')" = "core:x:1000:1000::/home/core:/bin/sh" ] && [ "$(t 'root kept: ')" = 1 ] &&
		pass "$b: user core in /etc/passwd, root kept" || { fail "$b: user core" "$(t 'passwd: ')"; vm_log_tail 20; }
	[ "$(t 'group: ')" = "wheel:x:10:core" ] && [ "$(t 'shadow: ')" = "core:!" ] &&
		pass "$b: core in wheel, locked in /etc/shadow" || fail "$b: group/shadow" "$(t 'group: ') $(t 'shadow: ')"
	[ "$(t 'key: ')" = "$key" ] && [ "$(t 'key mode: ')" = "600 1000:1000 700 1000:1000 700 1000:1000 " ] &&
		pass "$b: SSH key in ~core/.ssh/authorized_keys.d/ignition (0600, dirs 0700, owned by core)" ||
		fail "$b: ssh key" "$(t 'key mode: ')"
	[ "$(t 'file: ')" = "provisioned 640 0:0" ] && pass "$b: /etc/keel-test/hello 0640 root:root (the config's, over the base's)" ||
		fail "$b: file" "$(t 'file: ')"
	[ "$(t 'notes: ')" = "mine 600 core:wheel" ] && pass "$b: /home/core/notes 0600 core:wheel (owner by name, from the new passwd)" ||
		fail "$b: owned file" "$(t 'notes: ')"
	[ "$(t 'base: ')" = "from the image's base.ign" ] && pass "$b: the image's base.ign merged under the config" || fail "$b: base.ign"
	[ "$(t 'appended: ')" = 1 ] && pass "$b: the append made once" || fail "$b: append" "$(t 'appended: ') times"
	[ "$(t 'wants: ')" = "/etc/systemd/system/hello.service" ] && pass "$b: hello.service enabled (multi-user.target.wants link)" ||
		fail "$b: unit enabled" "$(t 'wants: ')"
	[ "$(t 'hello status: ')" = active ] && [ "$(t 'hello log: ')" = "PROVISIONED-UNIT-RAN " ] &&
		pass "$b: keel init started the enabled unit (active, its output in its log)" ||
		fail "$b: keel init started hello.service" "$(t 'hello status: ') / $(t 'hello log: ')"
	case "$(t 'marker: ')" in '{"config":"sha512-') [ "$(t 'staging: ')" = gone ];; *) false;; esac &&
		pass "$b: marker written, staging directory gone" || fail "$b: marker/staging" "$(t 'marker: ') $(t 'staging: ')"
	! grep -aq 'ssh-ed25519 AAAA.*provision' "$VM_LOG" && ! grep -aq 'keel provision.*provisioned%0A' "$VM_LOG" &&
		pass "$b: provisioning printed no config contents" || fail "$b: config echoed on the console"
}

vm_image provision --extra-usr "$fx" --extra-state "$st" >/dev/null || { fail "image provision"; exit 0; }
vm_image provision-update --extra-usr "$fxu" --extra-state "$st" >/dev/null || { fail "image provision-update"; exit 0; }

# ---- boot 1: provision from the kernel command line ---------------------------------------------
disk=$(vm_copy provision)
vm_start "$disk" "$good"
if vm_wait '^TEST done' 120 && vm_wait_exit 60; then
	grep -aq 'config from the kernel command line (keel.config=)' "$VM_LOG" && pass "stage 1 ran keel provision boot on keel.config=" ||
		{ fail "provision ran"; vm_log_tail 30; }
	grep -aq '/sysroot: provisioned: ' "$VM_LOG" && pass "provisioned /sysroot" || { fail "provisioned"; vm_log_tail 30; }
	check_provisioned "kernel command line"
	grep -aq 'shutdown: kept /dev/mapper/usr: read-only, in use by PID 1' "$VM_LOG" && ! grep -aq 'still busy' "$VM_LOG" &&
		pass "shutdown: the verity /usr kept (read-only, PID 1 runs from it), nothing reported busy" ||
		{ fail "shutdown messages"; grep -a "shutdown:" "$VM_LOG" | tr -d "\r" | sed "s/^/  console: /"; }
	vm_state_check "$disk" && pass "shutdown: the state filesystem was left clean (no journal to replay)" ||
		fail "state filesystem clean after poweroff" "$(grep -E '^(Filesystem state|Filesystem features)' "$VM_DIR/state-check.out" | tr '\n' ' ')"
else
	fail "boot 1 reached the probe of keel init"; vm_log_tail 40
fi
vm_stop
cp "$VM_LOG" "$VM_DIR/boot1.log"

# ---- boots 2-4: the same disk, provisioned: no config source is read any more ---------------------
# still_provisioned NAME: the boot went on to keel init with boot 1's state, nothing added
still_provisioned() {
	grep -aq '/sysroot: provisioned already (/var/lib/keel/provision/applied): no config source read' "$VM_LOG" &&
		pass "$1: provisioning saw its marker and read no config source" || { fail "$1: provisioned already"; vm_log_tail 30; }
	[ "$(t 'passwd: ')" = "core:x:1000:1000::/home/core:/bin/sh" ] && [ "$(t 'hello status: ')" = active ] &&
		[ "$(t 'appended: ')" = 1 ] && [ "$(t 'intruder: ')" = 0 ] && [ "$(t 'update: ')" = absent ] &&
		pass "$1: the boot went on; boot 1's state as it was (the append once, no other user, nothing new)" ||
		fail "$1: state" "$(t 'passwd: ') / $(t 'hello status: ') / appended $(t 'appended: ') / intruder $(t 'intruder: ') / update $(t 'update: ')"
}
vm_start "$disk" "keel.config=http://127.0.0.1:1/down.ign"
if vm_wait '^TEST done' 120 && vm_wait_exit 60; then
	still_provisioned "a config server that is down (keel.config=http://127.0.0.1:1/…)"
else
	fail "boot 2 (config server down) reached the probe of keel init"; vm_log_tail 40
fi
vm_stop

VM_DRIVES=$late vm_start "$disk"
if vm_wait '^TEST done' 120 && vm_wait_exit 60; then
	! grep -aq 'config from config drive' "$VM_LOG" && pass "a drive labelled ignition on a provisioned host: not looked at" ||
		fail "late config drive read"
	still_provisioned "a late config drive adding a user"
else
	fail "boot 3 (late config drive) reached the probe of keel init"; vm_log_tail 40
fi
vm_stop

# the update: slot A (the slot that boots) rewritten with the image whose base.ign differs
upd=$VM_CACHE/provision-update.img
a_first=$(cgpt show -i 2 -b "$disk") a_size=$(cgpt show -i 2 -s "$disk")
[ "$a_first" = "$(cgpt show -i 2 -b "$upd")" ] && [ "$a_size" = "$(cgpt show -i 2 -s "$upd")" ] &&
	dd if="$upd" of="$disk" bs=512 skip="$a_first" seek="$a_first" count="$a_size" conv=notrunc status=none ||
	fail "update: slot A of the update image copied over slot A"
vm_start "$disk" "$good"
if vm_wait '^TEST done' 120 && vm_wait_exit 60; then
	[ "$(grep -a 'root hash' "$VM_LOG" | head -1)" != "$(grep -a 'root hash' "$VM_DIR/boot1.log" | head -1)" ] &&
		pass "update: the new /usr (another root hash) booted" || fail "update: the old /usr booted"
	still_provisioned "an update whose base.ign differs, the first config on the command line again"
else
	fail "boot 4 (update) reached the probe of keel init"; vm_log_tail 40
fi
vm_stop

# ---- boot 5: a fresh disk, the config on a FAT config drive labelled config-2 -------------------
disk=$(vm_copy provision)
VM_DRIVES=$cfg2 vm_start "$disk"
if vm_wait '^TEST done' 120 && vm_wait_exit 60; then
	grep -aqF 'config from config drive vdb (filesystem label config-2)' "$VM_LOG" && pass "config drive: found vdb (FAT, label config-2)" || { fail "config drive found"; vm_log_tail 30; }
	grep -aq '/sysroot: provisioned: ' "$VM_LOG" && pass "config drive: provisioned /sysroot" || { fail "config drive: provisioned"; vm_log_tail 30; }
	check_provisioned "config drive config-2"
else
	fail "boot 5 (config-2 drive) reached the probe of keel init"; vm_log_tail 40
fi
vm_stop

# ---- boot 6: an ISO 9660 drive labelled ignition, a hash that does not match: rescue, nothing written
disk=$(vm_copy provision)
mkdir -p "$VM_DIR/dump"
before=$(state_tree "$disk" | grep -Ev "$skeleton")
VM_DRIVES=$ign vm_start "$disk"
if vm_wait 'rescue# ' 120; then
	grep -aqF 'config from config drive vdb (filesystem label ignition)' "$VM_LOG" && pass "config drive: found vdb (ISO 9660, label ignition)" || { fail "ISO config drive found"; vm_log_tail 30; }
	grep -aq 'storage.files\[0\].contents.verification.hash: the sha512 of the data fetched does not match' "$VM_LOG" &&
		pass "a wrong hash stops the boot in the rescue console, naming the JSON path" || { fail "error line"; vm_log_tail 30; }
	vm_send poweroff
	vm_wait_exit 30
	mkdir -p "$VM_DIR/dump"
	# the one thing a failed stage 1 adds is its evidence (issue 15: keel diag last), never config
	evidence='^(d 755 [0-9]+ \./var/lib(/keel(/evidence)?)?|f 600 [0-9]+ \./var/lib/keel/evidence/[0-9]+\.txt)$'
	all=$(state_tree "$disk" | grep -Ev "$skeleton")
	after=$(grep -Ev "$evidence" <<<"$all")
	grep -Eq '^f 600 [0-9]+ \./var/lib/keel/evidence/1\.txt$' <<<"$all" &&
		pass "the failure's evidence kept on the state partition (var/lib/keel/evidence/1.txt)" || fail "evidence of the failed provisioning"
	if [ -n "$before" ] && [ "$before" = "$after" ]; then
		pass "nothing else written to the state partition (the same $(wc -l <<<"$after") nodes besides stage 1's skeleton and the evidence)"
	else
		fail "state partition changed by a failed provisioning"; diff <(echo "$before") <(echo "$after") | head
	fi
else
	fail "a wrong hash ends in the rescue console"; vm_log_tail 40
fi
vm_stop
