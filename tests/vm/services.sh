#!/usr/bin/env bash
# tests/vm/services.sh — keel init as the host's PID 1 in qemu (stage 2), one boot for all of it:
# three units (Type=notify, one that crashes twice then stays up, one that Requires= the first)
# all active, the crash-looping one restarted with growing delays; 200 (then 1000 more) orphaned
# zombies reaped with PID 1's RSS flat; services in their own cgroups with limits; hostname and
# loopback; Type=forking with a PID file in the unit's cgroup (and one naming PID 1, refused),
# keel init reload; the kernel protections stage 2 sets (fs.protected_*, kptr_restrict, …); uid 65534
# trying to freeze PID 1 with sockets whose last close blocks, sent with a notify message,
# while status keeps answering within 1 s; on poweroff a unit ignoring SIGTERM is killed after
# its grace, and the STATE file system comes back clean (e2fsck -fn on the image after qemu
# exits).
# Inside the VM a probe unit (fixtures/services/lib/keel-test/probe) reports "TEST …" lines on
# the console and powers off; units come from fixtures/services-state on STATE.
VM_SUITE=services
if [ ! -f "$(dirname "$0")/lib.sh" ]; then # the harness comes with boot's part of init
	echo "FAIL: services: tests/vm/lib.sh (the VM harness) is missing"
	exit 0
fi
. "$(dirname "$0")/lib.sh"

fx=$(vm_fixture fx-services services) || { fail "fixtures" "no /bin/busybox (busybox-static)"; exit 0; }
# the attack helper of tests/applets/init.test, static for the image
musl-gcc -static -O2 -o "$fx/lib/keel-test/notify-linger" "$KEEL_SRC/tests/applets/notify-linger.c" ||
	{ fail "fixtures" "musl-gcc could not build tests/applets/notify-linger.c"; exit 0; }
state=$KEEL_SRC/tests/vm/fixtures/services-state

t() { grep -a "^TEST $1" "$VM_LOG" | head -1 | tr -d '\r' | sed "s/^TEST $1//"; }
t_all() { grep -a "^TEST $1" "$VM_LOG" | tr -d '\r' | sed "s/^TEST $1//"; }

vm_image services --extra-usr "$fx" --extra-state "$state" >/dev/null || { fail "image services"; exit 0; }
disk=$(vm_copy services)
# two CPUs, as a real host has: the notify attack races PID 1 (its close against the sender's),
# which a sender on the only CPU, preempted by the PID 1 it wakes, never wins
KEEL_VM_SMP=${KEEL_VM_SMP:-2} vm_start "$disk"
if ! vm_wait '^TEST done' 120; then
	fail "the probe unit ran to the end"
	vm_log_tail 40
	exit 0
fi

case "$(t 'pid1: ')" in "keel "*"keel init ") true;; *) false;; esac && pass "PID 1 is keel init (stage 2)" || fail "PID 1" "$(t 'pid1: ')"
[ "$(t 'hostname: ')" = keel-services ] && pass "hostname from /etc/hostname" || fail "hostname" "$(t 'hostname: ')"
case $(t 'lo: ') in unknown\ 127.0.0.1/8 | up\ 127.0.0.1/8) pass "loopback up with 127.0.0.1";; *) fail "loopback" "$(t 'lo: ')";; esac
case $(t 'cgroup2: ') in cgroup2\ *nsdelegate*) pass "cgroup2 mounted with nsdelegate";; *) fail "cgroup2 mount" "$(t 'cgroup2: ')";; esac

st=$(t_all 'status: ')
for u in a b c; do
	echo "$st" | grep -Eq "^$u\.service +loaded +active +running " && pass "$u.service active (running)" ||
		fail "$u.service active" "$(echo "$st" | grep "^$u\.service")"
done
echo "$st" | awk '$1 == "b.service" { found = 1; ok = ($6 == 2) } END { exit !(found && ok) }' && pass "b.service: 2 restarts" ||
	fail "b.service restarts" "$(echo "$st" | grep '^b\.service')"
gaps=$(t_all 'b-log: ' | awk '/^run [0-9]+ at / { if (prev != "") printf "%.2f ", $4 - prev; prev = $4 }')
set -- $gaps
# the delays PID 1 chose (its log), and that it kept them (each gap at least its delay; the
# gaps themselves also hold start-up time, which a loaded host stretches)
if [ $# = 2 ] && awk -v g1="$1" -v g2="$2" 'BEGIN { exit !(g1 >= 0.5 && g2 >= 1.0) }' &&
	grep -aq 'b.service: exit-code; restart 1 in 500 ms' "$VM_LOG" && grep -aq 'b.service: exit-code; restart 2 in 1000 ms' "$VM_LOG"; then
	pass "b.service restarted with growing delays (500 ms, then 1000 ms; runs ${1}s and ${2}s apart)"
else
	fail "growing restart delays" "gaps: $gaps"
fi
read -r ar cs < <(t 'a ready at ' | sed 's/, c started at / /')
awk -v a="$ar" -v c="$cs" 'BEGIN { exit !(a != "" && c >= a) }' && pass "c.service started after a.service was ready ($ar <= $cs)" ||
	fail "c after a ready" "a $ar c $cs"
[ "$(t 'a cgroup: ')" = "0::/system.slice/a.service" ] && pass "a.service runs in system.slice/a.service" ||
	fail "a cgroup" "$(t 'a cgroup: ')"
[ "$(t 'm limits: ')" = "16777216 50000 100000 50 32" ] && pass "MemoryMax, CPUQuota, CPUWeight, TasksMax written to its cgroup" ||
	fail "cgroup limits" "$(t 'm limits: ')"
[ "$(t 'zombies after 200 orphans: ')" = 0 ] && [ "$(t 'zombies after 1000 more: ')" = 0 ] && ! grep -aq '^TEST z.service' "$VM_LOG" &&
	pass "200, then 1000 more, orphaned zombies all reaped by PID 1" ||
	fail "zombies reaped" "$(t 'zombies after 200 orphans: ') / $(t 'zombies after 1000 more: ')"
read -r r1 r2 a1 a2 < <(t 'rss after 1000 orphans: ' | sed 's/ kB -> / /; s/ kB (anonymous: / /; s/ kB -> / /; s/ kB)//')
if [[ "$r1 $r2 $a1 $a2" =~ ^[1-9][0-9]*\ [1-9][0-9]*\ [1-9][0-9]*\ [1-9][0-9]*$ ]] && [ $((r2 - r1)) -le 32 ] && [ $((a2 - a1)) -le 16 ]; then
	pass "PID 1 RSS flat across 1000 orphans (${r1} kB -> ${r2} kB, anonymous ${a1} -> ${a2} kB; at first $(t 'rss before zombies: '))"
else
	fail "PID 1 RSS flat" "$(t 'rss after 1000 orphans: ')"
fi
[ "$(t 'z cgroup removed: ')" = yes ] && pass "a stopped unit's cgroup is removed" || fail "cgroup removal"
fpid=$(t 'fork: ' | sed 's/.* file \([0-9]*\) in .*/\1/')
[ -n "$fpid" ] && [ "$(t 'fork: ')" = "\"pid\":$fpid file $fpid in 0::/system.slice/fork.service" ] &&
	pass "Type=forking: the main process is the one in PIDFile=, in the unit's cgroup" || fail "Type=forking" "$(t 'fork: ')"
[ "$(t 'fork reload: ')" = "exit 0, hup" ] && pass "keel init reload: ExecReload= signals \$MAINPID" ||
	fail "reload" "$(t 'fork reload: ')"
[ "$(t 'fork stopped: ')" = gone ] && pass "stopping it stops that process" || fail "forking stop" "$(t 'fork stopped: ')"
[ "$(t 'forged: ')" = 'exit 1, "result":"protocol"' ] &&
	pass "a PID file naming PID 1 is refused (result protocol): PID 1 is never taken for a unit's process" ||
	fail "forged PID file" "$(t 'forged: ')"
[ "$(t 'runtime: ')" = "oom_score_adj -999, max processes unlimited" ] &&
	pass "OOMScoreAdjust=-999 and LimitNPROC=infinity reach the process" || fail "runtime limits" "$(t 'runtime: ')"
shim=$(t 'runtime started again: ' | sed 's/.*; shim //')
[ "$(t 'runtime stopped: ')" = "\"active\":\"inactive\"; shim alive in 0::/system.slice/runtime.service/shims" ] &&
	pass "KillMode=process + Delegate=yes: the runtime stops, its shim lives on in the child cgroup it made" ||
	fail "KillMode=process" "$(t 'runtime stopped: ')"
[ "$(t 'runtime started again: ' | sed 's/; shim.*//')" = '"active":"active"' ] && [ -n "$shim" ] &&
	pass "and the runtime starts again in its cgroup beside the shim" || fail "runtime restart" "$(t 'runtime started again: ')"
# uid 65534 against the real PID 1: sockets whose last close blocks, sent with a notify
# message; status must answer within 1 s, twice
line=$(t 'notify attack: ')
set -- $(echo "$line" | sed -n 's/^sent 40; status \([0-9]*\) ms, exit \([0-9]*\); again \([0-9]*\) ms, exit \([0-9]*\)$/\1 \2 \3 \4/p')
if [ $# = 4 ] && [ "$1" -lt 1000 ] && [ "$2" -le 1 ] && [ "$3" -lt 1000 ] && [ "$4" -le 1 ]; then
	pass "notify attack as uid 65534: keel init status answers within 1 s ($line)"
else
	fail "notify attack as uid 65534: status within 1 s" "$line"
fi
[ "$(t 'a after the attack: ')" = '"active":"active"' ] && pass "a Type=notify unit restarts after the attack (its barrier released)" ||
	fail "notify after the attack" "$(t 'a after the attack: ')"
want="fs/protected_hardlinks=1 fs/protected_symlinks=1 fs/protected_fifos=1 fs/protected_regular=2 kernel/kptr_restrict=1 kernel/dmesg_restrict=1 kernel/sysrq=16 kernel/pid_max=4194304 "
[ "$(t 'sysctl: ')" = "$want" ] && pass "stage 2 set the kernel's protections ($want)" || fail "sysctls" "$(t 'sysctl: ')"
[ "$(t 'journal json: ')" = '1 "PRIORITY":"6" "SYSLOG_IDENTIFIER":"busybox" "_SYSTEMD_UNIT":"b.service" 1 runs 3' ] &&
	pass "journalctl -u b -o json on the host: systemd's fields, this boot's _BOOT_ID, all three runs kept" ||
	fail "journalctl -o json" "$(t 'journal json: ')"
[ "$(t 'journal short: ')" = 1 ] && pass "journalctl -u b.service: systemd's short line" || fail "journalctl short" "$(t 'journal short: ')"
[ "$(t 't started: ')" = '"active":"active"' ] && pass "t.service (ignores SIGTERM) running before poweroff" || fail "t.service start"

if vm_wait_exit 60; then
	grep -aq 't.service: still running 2000 ms after signal 15; killed with SIGKILL' "$VM_LOG" &&
		pass "poweroff: t.service ignored SIGTERM and was killed after its 2 s grace" ||
		{ fail "SIGKILL after the grace"; vm_log_tail 20; }
	grep -aq 'reboot: Power down' "$VM_LOG" && pass "the machine powered off" || { fail "power off"; vm_log_tail 20; }
	vm_state_check "$disk" && pass "STATE is clean after the poweroff (e2fsck -fn)" ||
		{ fail "STATE fsck after poweroff"; sed 's/^/  fsck: /' "$VM_DIR/state-check.out" | head -10; }
else
	fail "qemu exits after keel init poweroff"
	vm_log_tail 30
fi
vm_stop
