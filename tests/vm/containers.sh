#!/usr/bin/env bash
# tests/vm/containers.sh — the host runs a signed, admitted OCI image (issue 14, item 4): one boot
# through OVMF with Secure Boot on (snakeoil TEST KEYS), keel init as PID 1, runc from the slot
# image (mkimage --deb runc: Debian's runc and the libraries it needs), container@.service from
# the image (config/units). Three OCI layouts on STATE in /var/lib/keel/images/, made here with
# umoci (busybox-static as the image's /bin) and signed as `keel verify oci` checks (cosign
# simple-signing manifests, the test slot key, which the slot trusts in /usr/lib/keel/keys):
#   hello     signed; its layer recompressed to zstd by `skopeo copy --dest-compress-format zstd`
#             — unpacked, admitted, run by runc: its output in `keel journalctl -u`, the unit
#             active, the process pid 1 in its own pid namespace with the three default
#             capabilities, its cgroup below the unit's (unpack --cgroup)
#   unsigned  the same image without a signature — refused by unpack, never started
#   sysadmin  signed, but its config asks for CAP_SYS_ADMIN (label io.containers.capabilities)
#             — unpacked, refused by keel policy workload (baseline), never started
#   stubborn  signed, ignores SIGTERM — stopping its unit (TimeoutStopSec=3 in a drop-in) kills
#             runc and the container with it (the container's cgroup is below the unit's), and
#             ExecStopPost= removes runc's state
# A probe unit on STATE reports "TEST …" lines on the console and powers off; the container unit
# is then stopped (runc's state removed) and STATE comes back clean.
VM_SUITE=containers
. "$(dirname "$0")/lib.sh"
blob() { echo "$1/blobs/${2%%:*}/${2#*:}"; }

for t in umoci skopeo runc jq openssl busybox; do
	command -v "$t" >/dev/null || { fail "prerequisites" "$t not installed"; exit 0; }
done
for f in /usr/lib/systemd/boot/efi/linuxx64.efi.stub /usr/share/OVMF/OVMF_CODE_4M.snakeoil.fd "$VM_SB_KEY"; do
	[ -r "$f" ] || { fail "prerequisites" "$f missing (packages systemd-boot-efi, ovmf)"; exit 0; }
done

# ---- the images (umoci, skopeo), signed with the test slot key --------------------------------
W=$VM_CACHE/oci-images
vm_oci_images "$W" || { fail "test images made with umoci and skopeo" "$(tail -3 "$W.log" | tr '\n' ' ')"; exit 0; }
[ "$(jq -r '.layers[0].mediaType' "$(blob "$W/hello" "$(jq -r '.manifests[0].digest' "$W/hello/index.json")")")" = application/vnd.oci.image.layer.v1.tar+zstd ] &&
	"$KEEL" verify oci --key "$VM_PUB" "$W/hello" >/dev/null 2>&1 && "$KEEL" verify oci --key "$VM_PUB" "$W/sysadmin" >/dev/null 2>&1 &&
	! "$KEEL" verify oci --key "$VM_PUB" "$W/unsigned" >/dev/null 2>&1 &&
	pass "images: hello (zstd layer) and sysadmin signed, unsigned not (keel verify oci on the build machine)" ||
	fail "test images"

# ---- the disk: runc and the key in the slot, the layouts and the units on STATE -----------------
fx=$VM_CACHE/fx-containers
rm -rf "$fx" && mkdir -p "$fx/bin" "$fx/lib/keel/keys" && cp /bin/busybox "$fx/bin/busybox" &&
	cp "$VM_PUB" "$fx/lib/keel/keys/containers-test.pem" || { fail "fixtures"; exit 0; }
st=$VM_CACHE/fx-containers-state
rm -rf "$st" && mkdir -p "$st/var/lib/keel/images" "$st/etc/systemd/system/multi-user.target.wants" "$st/etc/keel-test"
for n in hello unsigned sysadmin stubborn; do
	cp -a "$W/$n" "$st/var/lib/keel/images/$n"
	ln -s /usr/lib/systemd/system/container@.service "$st/etc/systemd/system/multi-user.target.wants/container@$n.service"
done
mkdir -p "$st/etc/systemd/system/container@stubborn.service.d"
printf '[Service]\nTimeoutStopSec=3\n' > "$st/etc/systemd/system/container@stubborn.service.d/stop.conf"
cat > "$st/etc/keel-test/probe" <<'EOF'
#!/usr/bin/busybox sh
bb=/usr/bin/busybox
k=/usr/bin/keel
say() { $bb echo "TEST $*" > /dev/console; }
i=0
while [ $i -lt 240 ] && ! { $k journalctl -o cat -u container@hello.service 2>/dev/null | $bb grep -q '^CONTAINER hello' &&
	$k journalctl -o cat -u container@stubborn.service 2>/dev/null | $bb grep -q '^CONTAINER stubborn'; }; do
	$bb sleep 0.5; i=$((i + 1))
done
say "waited: $i"
$k init status 2>&1 | while read -r l; do say "status: $l"; done
for u in hello unsigned sysadmin; do
	$k journalctl -o cat -u container@$u.service 2>&1 | while read -r l; do say "log $u: $l"; done
	$k init status container@$u.service 2>&1 | while read -r l; do say "detail $u: $l"; done
done
say "bundles: $($bb ls /var/lib/keel/containers | $bb tr '\n' ' ')"
say "runc: $(/usr/sbin/runc list -q 2>&1 | $bb tr '\n' ' ')"
cg=/sys/fs/cgroup/system.slice/container@hello.service
# cgroup.procs of the unit lists the container too (runc made container/ threaded: the unit's
# cgroup holds runc itself); where each process is comes from /proc/PID/cgroup. The container's
# sleeps come and go: one that exited after the listing reads as "=" (no comm, no cgroup)
say "cgroup: $(for p in $($bb cat $cg/cgroup.procs); do $bb echo "$($bb cat /proc/$p/comm)=$($bb cut -d: -f3 /proc/$p/cgroup)"; done 2>/dev/null | $bb grep -v -e '^sleep=' -e '^=$' | $bb sort | $bb tr '\n' ' ')"
say "stop: $($k init stop container@hello.service 2>&1; echo rc=$?)"
$k journalctl -o cat -u container@hello.service 2>&1 | $bb grep -q 'CONTAINER stopping' && say "stopped: trap ran" || say "stopped: no trap"
say "stubborn before: $($bb ps -o args | $bb grep -c '^/bin/sh -c echo CONTAINER stubborn')"
say "stubborn: $($k init stop container@stubborn.service 2>&1 | $bb tr '\n' ' '; echo rc=$?) procs=$($bb ps -o args | $bb grep -c '^/bin/sh -c echo CONTAINER stubborn')"
say "after stop: runc=$(/usr/sbin/runc list -q 2>&1 | $bb tr '\n' ' ') cgroup=$([ -e $cg ] || [ -e /sys/fs/cgroup/system.slice/container@stubborn.service ] && echo 1 || echo 0)"
say done
$k init poweroff
EOF
cat > "$st/etc/systemd/system/probe.service" <<'EOF'
[Unit]
Description=report what the container units did, then power off
After=container@hello.service container@unsigned.service container@sysadmin.service container@stubborn.service

[Service]
ExecStart=/usr/bin/busybox sh /etc/keel-test/probe
EOF
ln -s ../probe.service "$st/etc/systemd/system/multi-user.target.wants/probe.service"

ird=$(vm_initramfs) || { fail "initramfs"; exit 0; }
vm_image containers --extra-usr "$fx" --extra-state "$st" --deb runc --units "$KEEL_SRC/config/units" --slot-b none \
	--state-mb 64 --uefi-initrd "$ird" --uefi-cmdline "console=ttyS0 panic=-1 loglevel=4" \
	"${VM_SB_SIGN[@]}" > /dev/null ||
	{ fail "image containers (mkimage --deb runc)"; exit 0; }
disk=$(vm_copy containers)
VM_UEFI=secure KEEL_VM_MEM=${KEEL_VM_MEM:-512} vm_start "$disk"
t() { grep -a "^TEST $1" "$VM_LOG" | tr -d '\r' | sed "s/^TEST $1//"; }
if ! vm_wait '^TEST done' 400; then
	fail "the probe ran to the end"
	vm_log_tail 40
	exit 0
fi
grep -aq '^EFI stub: UEFI Secure Boot is enabled' "$VM_LOG" && pass "booted through signed systemd-boot and UKI, Secure Boot on" ||
	fail "Secure Boot"

# hello: unpacked (zstd), admitted, run by runc; its output in its unit's log
log=$(t 'log hello: ')
echo "$log" | grep -q '^CONTAINER hello: pid=1 uid=0 CapEff:0000000020000420 cgroup=0::/$' &&
	pass "container@hello: runc ran the signed image; its output is in keel journalctl -u (pid 1 of its pid namespace, uid 0, the three default capabilities, its own cgroup namespace)" ||
	fail "container@hello output" "$(echo "$log" | head -5 | tr '\n' '|')"
echo "$log" | grep -q 'hello: sha256:[0-9a-f]\{64\} unpacked: 1 layers' && echo "$log" | grep -q 'allowed at baseline' &&
	pass "container@hello: the unit's log shows the unpack (its zstd layer) and the admission" ||
	fail "container@hello unpack/admission lines" "$(echo "$log" | head -5 | tr '\n' '|')"
t 'status: ' | grep -Eq '^container@hello\.service +loaded +active +running ' && pass "container@hello.service active (running)" ||
	fail "container@hello status" "$(t 'status: ' | grep container@hello)"
[ "$(t 'cgroup: ')" = "runc=/system.slice/container@hello.service sh=/system.slice/container@hello.service/container " ] &&
	pass "the container is in a cgroup below the unit's (system.slice/container@hello.service/container; runc in the unit's)" ||
	fail "container cgroup" "$(t 'cgroup: ')"
[ "$(t 'runc: ')" = "keel-hello keel-stubborn " ] && pass "runc list: keel-hello and keel-stubborn, no other" || fail "runc list" "$(t 'runc: ')"

# unsigned: refused by unpack; sysadmin: refused by admission; neither started
for u in unsigned sysadmin; do
	t 'status: ' | grep -Eq "^container@$u\.service +loaded +failed +failed " && pass "container@$u.service failed" ||
		fail "container@$u status" "$(t 'status: ' | grep "container@$u")"
done
t 'log unsigned: ' | grep -q 'keel oci: unpack: /var/lib/keel/images/unsigned: .*no cosign signature' &&
	pass "container@unsigned: the reason in its log: no cosign signature" ||
	fail "container@unsigned reason" "$(t 'log unsigned: ' | head -3 | tr '\n' '|')"
t 'log sysadmin: ' | grep -q 'capabilities_baseline) /process/capabilities/bounding/0: CAP_SYS_ADMIN is not allowed' &&
	t 'log sysadmin: ' | grep -q 'not allowed at baseline' &&
	pass "container@sysadmin: the reason in its log: CAP_SYS_ADMIN is not allowed at baseline" ||
	fail "container@sysadmin reason" "$(t 'log sysadmin: ' | head -3 | tr '\n' '|')"
# keel init status UNIT names the ExecStartPre= that failed by its line in the template
lu=$(grep -n '^ExecStartPre=/usr/bin/keel oci unpack' "$KEEL_SRC/config/units/container@.service" | cut -d: -f1)
lp=$(grep -n '^ExecStartPre=/usr/bin/keel policy workload' "$KEEL_SRC/config/units/container@.service" | cut -d: -f1)
[ -n "$lu" ] && [ "$(t 'detail unsigned: ' | grep '^error: ')" = "error: ExecStartPre exited with status 1 (container@.service:$lu)" ] &&
	[ "$(t 'detail sysadmin: ' | grep '^error: ')" = "error: ExecStartPre exited with status 1 (container@.service:$lp)" ] &&
	pass "keel init status UNIT: the failed step by its template line (unpack for unsigned, admission for sysadmin)" ||
	fail "status detail" "$(t 'detail unsigned: ' | grep error) / $(t 'detail sysadmin: ' | grep error)"
t 'log unsigned: ' | grep -q '^CONTAINER' || t 'log sysadmin: ' | grep -q '^CONTAINER' &&
	fail "a refused container ran" || pass "neither refused container printed anything: runc never ran them"
[ "$(t 'bundles: ')" = "hello stubborn sysadmin " ] && pass "bundles: hello, stubborn, and sysadmin (unpacked, then refused); none for unsigned" ||
	fail "bundles" "$(t 'bundles: ')"

# stop: SIGTERM reaches the container, runc's state and the cgroups are gone
[ "$(t 'stop: ')" = "rc=0" ] && [ "$(t 'stopped: ')" = "trap ran" ] && pass "keel init stop: the container got SIGTERM (its trap ran)" ||
	fail "stop" "$(t 'stop: ') $(t 'stopped: ')"
if [ "$(t 'stubborn before: ')" = 1 ] && [[ "$(t 'stubborn: ')" == *rc=*procs=0 ]]; then
	pass "container@stubborn (ignores SIGTERM) stopped: killed after TimeoutStopSec=, no process of it left ($(t 'stubborn: '))"
else
	fail "stubborn stop" "before: $(t 'stubborn before: '); $(t 'stubborn: ')"
fi
[ "$(t 'after stop: ')" = "runc= cgroup=0" ] && pass "after both stops: no runc container left (ExecStopPost=), the units' cgroups removed" ||
	fail "after stop" "$(t 'after stop: ')"
vm_wait_exit 90 || fail "keel init poweroff"
vm_stop
vm_state_check "$disk" && pass "STATE came back clean after the power off" || fail "STATE clean" "$(tail -3 "$VM_DIR/state-check.out")"
