#!/usr/bin/env bash
# tests/vm/policy.sh — keel policy host inside the VM booted by keel through OVMF with Secure
# Boot on (snakeoil TEST KEYS), keel init as PID 1: the image's default profile
# (/usr/share/keel/policy/host.json) passes for role base once --apply set the role's user
# namespaces and the clock (no time source in the VM) is waived; flipping one sysctl, remounting /
# without nosuid, a setuid binary on a writable mount, loading a listed module (udf, from the host's
# module tree for the VM's kernel, shipped outside /usr/lib/modules so the default run sees it
# neither loaded nor loadable) each make exactly that check fail (expected vs observed and where
# read); a waiver turns the failure into a recorded WAIVED; the
# kubernetes-node role expects forwarding on. The probe unit (fixtures/policy) reports on the
# console.
VM_SUITE=policy
. "$(dirname "$0")/lib.sh"

for f in /usr/lib/systemd/boot/efi/linuxx64.efi.stub /usr/share/OVMF/OVMF_CODE_4M.snakeoil.fd "$VM_SB_KEY"; do
	[ -r "$f" ] || { fail "prerequisites" "$f missing (packages systemd-boot-efi, ovmf)"; exit 0; }
done
ird=$(vm_initramfs) || { fail "initramfs"; exit 0; }
fx=$(vm_fixture fx-policy policy) || { fail "fixtures" "no /bin/busybox (busybox-static)"; exit 0; }
# udf and what it needs, for the kernel the UKI carries, with a modules.dep of their own
kd=/lib/modules/$(basename "$(vm_kernel)" | sed 's/^vmlinuz-//')
deps=$(grep -E '^kernel/fs/udf/udf\.ko[^:]*:' "$kd/modules.dep" 2>/dev/null)
[ -n "$deps" ] || { fail "prerequisites" "no udf in $kd/modules.dep (linux-image for the VM's kernel)"; exit 0; }
mkdir -p "$fx/lib/keel-test/modules"
for m in $(echo "$deps" | tr -d :); do
	mkdir -p "$fx/lib/keel-test/modules/$(dirname "$m")" && cp "$kd/$m" "$fx/lib/keel-test/modules/$m" || { fail "copy $m"; exit 0; }
	grep -E "^$m:" "$kd/modules.dep"
done > "$fx/lib/keel-test/modules/modules.dep"
printf snakeoil > "$VM_CACHE/snakeoil.pass"
VM_UEFI=secure
vm_image policy --extra-usr "$fx" --extra-state "$KEEL_SRC/tests/vm/fixtures/policy-state" --version 2026.1.0 \
	--uefi-initrd "$ird" --uefi-cmdline "console=ttyS0 panic=-1 loglevel=4" --sign-key "$VM_SB_KEY" \
	--sign-cert "$VM_SB_CERT" --sign-pass "$VM_CACHE/snakeoil.pass" > /dev/null || { fail "image policy"; exit 0; }
disk=$(vm_copy policy)
vm_start "$disk"
if ! vm_wait '^TEST done' $((400 * ${KEEL_VM_SLOW:-1})); then
	fail "the probe unit ran to the end"
	vm_log_tail 40
	exit 0
fi
t() { grep -a "^TEST $1 " "$VM_LOG" | tr -d '\r' | sed "s/^TEST $1 //"; }
ids() { t "$1" | awk '$1 ~ /^(FAIL|WAIVED|UNKNOWN)$/ { print $1, $2 }' | tr '\n' ' '; }
check() { # NAME GOT WANT
	[ "$2" = "$3" ] && pass "$1" || fail "$1" "got '$2', want '$3'"
}
W="WAIVED time.synchronised: "
a=$(t apply | grep stderr | sed 's/.*--apply: //')
echo "$a" | grep -Eqx 'sysctl.user-namespaces: user.max_user_namespaces [0-9]+ -> 0' &&
	pass "--apply sets what keel init leaves to the role, and only that: user namespaces off for base ($a)" ||
	fail "--apply in the VM" "$a"
check "the default profile, base role, Secure Boot on: only the clock fails (the VM has no time source)" \
	"$(ids default)$(t default | grep '^rc=')" "FAIL time.synchronised: rc=1"
check "the clock check reads adjtimex(2)" "$(t default | grep '^FAIL' | sed 's/.*; observed //')" \
	"STA_UNSYNC set, maxerror 16000000 us (adjtimex(2))"
check "with the clock waived (recorded), the default profile passes for base" "$(ids base)$(t base | grep '^rc=')" "${W}rc=0"
[ "$(t base | grep '^rc=')" = rc=0 ] || t base | grep -v '^PASS' | head -20 | sed 's/^/  /'
check "kernel.kptr_restrict=0: exactly that check fails" "$(ids sysctl)$(t sysctl | grep '^rc=')" "FAIL sysctl.kptr-restrict: ${W}rc=1"
check "the failure names expected, observed and where it was read" "$(t sysctl | grep '^FAIL' | sed 's/.*; expected/expected/')" \
	"expected >= 1; observed 0 (/proc/sys/kernel/kptr_restrict)"
check "a waiver turns it into a recorded WAIVED" "$(ids waiver)$(t waiver | grep '^rc=')" "WAIVED sysctl.kptr-restrict: ${W}rc=0"
check "the waiver is in the report" "$(t waiver | grep '^WAIVED *sysctl' | sed 's/.*\[/[/')" \
	"[waiver applied: crash tooling needs symbols, by ops@example.com, until 2027-01-31]"
x() { t "$1" | grep '^FAIL' | sed 's/.*; expected/expected/'; } # expected, observed, where
check "/ (no mount check of its own) remounted without nosuid: exactly mount.writable fails" "$(ids suid)$(t suid | grep '^rc=')" \
	"FAIL mount.writable: ${W}rc=1"
check "it names expected, observed and where" "$(x suid)" "expected nosuid,nodev; observed / (no nosuid) (/proc/1/mountinfo)"
check "a setuid binary on a writable mount: exactly the file walk fails" "$(ids setuid)$(t setuid | grep '^rc=')" "FAIL files.walk: ${W}rc=1"
check "the walk names expected, the file and where" "$(x setuid)" \
	"expected no world-writable files or unsticky dirs, no unowned files; setuid/setgid only as allowed; observed /var/lib/keel-test-su (setuid) (writable mounts in /proc/1/mountinfo; /etc/passwd, /etc/group)"
check "udf loaded (keel modprobe --dir, outside the module tree): exactly module.udf fails" "$(ids module)$(t module | grep '^rc=')" "FAIL module.udf: ${W}rc=1"
check "it names expected, observed and where" "$(x module)" "expected not loaded, not loadable; observed loaded (/proc/modules)"
check "modprobe loaded udf and crc_itu_t (cdrom: isofs holds it since boot); rmmod took them out again" \
	"$(t modules | tr '\n' '|')" "before: cdrom  loaded: cdrom crc_itu_t udf |after: cdrom |"
check "kubernetes-node with forwarding off: net.ip-forward fails" "$(ids k8s | grep -o 'FAIL net.ip-forward:')" "FAIL net.ip-forward:"
check "kubernetes-node with forwarding on (and --apply for the role): passes" "$(ids k8s-forwarding)$(t k8s-forwarding | grep '^rc=')" "${W}rc=0"
vm_wait_exit 60 || fail "qemu exits after keel init poweroff"
vm_stop
