#!/usr/bin/env bash
# tests/vm/provision.sh — first-boot provisioning in qemu: stage 1 runs `keel provision boot
# --root /sysroot`, the config comes from the kernel command line (keel.config=data:…) and
# the image's /usr/lib/keel/base.ign is merged under it. Three boots of ~8 s each (TCG):
#   1. a user with an SSH key, a file, a unit enabled through its [Install] section, the base
#      config's file: all on the state partition when the host init starts;
#   2. the same disk and config again: provisioning sees its marker and changes nothing;
#   3. a fresh disk and a config whose hash does not match: stage 1 stops in the rescue console
#      with the one error line naming the JSON path, and the state partition is untouched.
# The host init is a busybox script that reports and powers off (stage 2, which would start the
# enabled unit, is not part of this build yet).
VM_SUITE=provision
. "$(dirname "$0")/lib.sh"

fx=$VM_CACHE/fx-provision st=$VM_CACHE/fx-provision-state
rm -rf "$fx" "$st"
mkdir -p "$fx/bin" "$st/etc"
cp /bin/busybox "$fx/bin/busybox" || { fail "fixtures" "no /bin/busybox (busybox-static)"; exit 0; }
cp -a "$KEEL_SRC/tests/vm/fixtures/provision/." "$fx/"
printf 'root:x:0:0:root:/root:/bin/sh\n' > "$st/etc/passwd"
printf 'root:x:0:\nwheel:x:10:\n' > "$st/etc/group"
printf 'root:*:19000:0:99999:7:::\n' > "$st/etc/shadow"
chmod 600 "$st/etc/shadow"
init=keel.init=/usr/lib/keel-provision-test/init

key="ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIKeelVmTestKeyForProvisioning0000000 core@vm"
hello512=$(printf 'provisioned\n' | sha512sum | cut -d' ' -f1)
config() { # HASH
	printf '{"ignition":{"version":"3.3.0"},"passwd":{"users":[{"name":"core","groups":["wheel"],"sshAuthorizedKeys":["%s"]}]},' "$key"
	printf '"storage":{"files":[{"path":"/etc/keel-test/hello","mode":416,"contents":{"source":"data:,provisioned%%0A","verification":{"hash":"sha512-%s"}}}]},' "$1"
	printf '"systemd":{"units":[{"name":"hello.service","enabled":true,"contents":"[Unit]\\nDescription=hello\\n[Service]\\nType=oneshot\\nExecStart=/usr/bin/busybox echo PROVISIONED-UNIT-RAN\\n[Install]\\nWantedBy=multi-user.target\\n"}]}}'
}
good="keel.config=data:;base64,$(config "$hello512" | base64 -w0)"
bad="keel.config=data:;base64,$(config "$(printf 'forged' | sha512sum | cut -d' ' -f1)" | base64 -w0)"
config "$hello512" | "$KEEL" provision validate - && pass "the test config validates" || fail "the test config validates"

state_tree() { # DISK: every path on the state partition with its type and size (debugfs, read-only)
	local first size
	first=$(cgpt show -i 4 -b "$1") size=$(cgpt show -i 4 -s "$1")
	dd if="$1" of="$VM_DIR/state.img" bs=512 skip="$first" count="$size" status=none &&
		debugfs -R "rdump / $VM_DIR/dump" "$VM_DIR/state.img" >/dev/null 2>&1 &&
		(cd "$VM_DIR/dump" && find . -printf '%y %m %s %p\n' | LC_ALL=C sort) && rm -rf "$VM_DIR/dump"
}
# what stage 1 itself makes on STATE (its skeleton: directories, /bin /sbin /lib /lib64 links)
skeleton='^(d [0-7]+ [0-9]+ \./(usr|etc|var|home|root|proc|sys|dev|run|tmp|mnt)|l 777 [0-9]+ \./(bin|sbin|lib|lib64))$'


vm_image provision --extra-usr "$fx" --extra-state "$st" >/dev/null || { fail "image provision"; exit 0; }

# ---- boot 1: provision from the kernel command line ---------------------------------------------
disk=$(vm_copy provision)
vm_start "$disk" "$init" "$good"
if vm_wait '^TEST done' 90 && vm_wait_exit 30; then
	grep -aq 'config from the kernel command line (keel.config=)' "$VM_LOG" && pass "stage 1 ran keel provision boot on keel.config=" ||
		{ fail "provision ran"; vm_log_tail 30; }
	grep -aq '/sysroot: provisioned: ' "$VM_LOG" && pass "provisioned /sysroot" || { fail "provisioned"; vm_log_tail 30; }
	grep -aq '^TEST passwd: core:x:1000:1000::/home/core:/bin/sh' "$VM_LOG" && grep -aq '^TEST root kept: 1' "$VM_LOG" &&
		pass "user core in /etc/passwd, root kept" || { fail "user core"; vm_log_tail 20; }
	grep -aq '^TEST group: wheel:x:10:core' "$VM_LOG" && grep -aq '^TEST shadow: core:!' "$VM_LOG" &&
		pass "core in wheel, locked in /etc/shadow" || fail "group/shadow"
	grep -aqF "TEST key: $key" "$VM_LOG" && grep -aq '^TEST key mode: 600 1000:1000 700 1000:1000 700 1000:1000' "$VM_LOG" &&
		pass "SSH key in ~core/.ssh/authorized_keys.d/ignition (0600, dirs 0700, owned by core)" || { fail "ssh key"; vm_log_tail 20; }
	grep -aq '^TEST file: provisioned 640 0:0' "$VM_LOG" && pass "file written with its mode (the config's, over the base's)" ||
		fail "file"
	grep -aq "^TEST base: from the image's base.ign" "$VM_LOG" && pass "the image's base.ign merged under the config" || fail "base.ign"
	grep -aq '^TEST wants: /etc/systemd/system/hello.service' "$VM_LOG" &&
		grep -aq '^TEST unit: ExecStart=/usr/bin/busybox echo PROVISIONED-UNIT-RAN' "$VM_LOG" &&
		pass "unit written and enabled (multi-user.target.wants link)" || fail "unit enabled"
	grep -aq '^TEST marker: {"config":"sha512-' "$VM_LOG" && grep -aq '^TEST staging: gone' "$VM_LOG" &&
		pass "marker written, staging directory gone" || fail "marker/staging"
	! grep -aq 'ssh-ed25519 AAAA.*provision' "$VM_LOG" && ! grep -aq 'keel provision.*provisioned%0A' "$VM_LOG" &&
		pass "provisioning printed no config contents" || fail "config echoed on the console"
else
	fail "boot 1 reached the host init"; vm_log_tail 40
fi
vm_stop

# ---- boot 2: same disk, same config: nothing to do ----------------------------------------------
vm_start "$disk" "$init" "$good"
if vm_wait '^TEST done' 90 && vm_wait_exit 30; then
	grep -aq '/sysroot: this config was applied already' "$VM_LOG" && pass "second boot: the marker says applied, nothing done" ||
		{ fail "second boot no-op"; vm_log_tail 30; }
	grep -aq '^TEST passwd: core:x:1000:1000:' "$VM_LOG" && pass "second boot: still provisioned" || fail "second boot state"
else
	fail "boot 2 reached the host init"; vm_log_tail 40
fi
vm_stop

# ---- boot 3: a config whose hash does not match: rescue, nothing written ------------------------
disk=$(vm_copy provision)
mkdir -p "$VM_DIR/dump"
before=$(state_tree "$disk" | grep -Ev "$skeleton")
vm_start "$disk" "$init" "$bad"
if vm_wait 'rescue# ' 90; then
	grep -aq 'storage.files\[0\].contents.verification.hash: the sha512 of the data fetched does not match' "$VM_LOG" &&
		pass "a wrong hash stops the boot in the rescue console, naming the JSON path" || { fail "error line"; vm_log_tail 30; }
	vm_send poweroff
	vm_wait_exit 30
	mkdir -p "$VM_DIR/dump"
	after=$(state_tree "$disk" | grep -Ev "$skeleton")
	if [ -n "$before" ] && [ "$before" = "$after" ]; then
		pass "nothing written to the state partition (the same $(wc -l <<<"$after") nodes besides stage 1's skeleton)"
	else
		fail "state partition changed by a failed provisioning"; diff <(echo "$before") <(echo "$after") | head
	fi
else
	fail "a wrong hash ends in the rescue console"; vm_log_tail 40
fi
vm_stop
