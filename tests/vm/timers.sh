#!/usr/bin/env bash
# tests/vm/timers.sh — .timer units under keel init as the host's PID 1 in qemu, two boots of one
# disk (systemd.timer(5) is the reference):
#   boot 1: OnBootSec=30s fires 30 s after boot and OnUnitActiveSec=4s every 4 s after (AccuracySec=1us);
#           list-timers lists them; a daily OnCalendar= timer fires at midnight when the clock is
#           set to 3 s before it, and again when set back to that second (its last elapse is then
#           "in the future": a clock change is noticed, TFD_TIMER_CANCEL_ON_SET); a Persistent=
#           timer elapses at a midnight two days back (the clock set there) and is stamped on STATE;
#   boot 2: the clock is real again, so the next midnight after the stamp passed while the host
#           was "down": the Persistent= timer catches up once, as soon as keel init starts.
# The probe unit (fixtures/timers/lib/keel-test/tprobe) reports "TEST …" lines on the console.
VM_SUITE=timers
. "$(dirname "$0")/lib.sh"

fx=$(vm_fixture fx-timers timers) || { fail "fixtures" "no /bin/busybox (busybox-static)"; exit 0; }
state=$KEEL_SRC/tests/vm/fixtures/timers-state
t() { grep -a "^TEST $1" "$VM_LOG" | head -1 | tr -d '\r' | sed "s/^TEST $1//"; }

vm_image timers --extra-usr "$fx" --extra-state "$state" >/dev/null || { fail "image timers"; exit 0; }
disk=$(vm_copy timers)

# ---- boot 1 ---------------------------------------------------------------------------------------
vm_start "$disk"
if ! vm_wait '^TEST boot1 done' 300; then
	fail "boot 1: the probe ran to the end"
	vm_log_tail 40
	vm_stop
	exit 0
fi
# (times are /proc/uptime as each run of every.service reads it: after its fork and exec, which
# under TCG take a varying tenth of a second or so; the supervisor counts from the run's start)
start=$(t 'boot1: probe started at ' | sed 's/;.*//')
set -- $(t 'every: ')
if [ $# -ge 4 ] && awk -v f="$1" -v s="$start" 'BEGIN { exit !(f >= 30 && f < 30.5 && s > 0 && s < 29) }'; then
	pass "OnBootSec=30s: fired at uptime $1 s (the timers started with multi-user.target, at about $start s)"
else
	fail "OnBootSec=30s on time" "runs at uptime $*; multi-user.target at about $start"
fi
gaps=$(echo "$@" | awk '{ for (i = 2; i <= NF; i++) printf "%.2f ", $i - $(i - 1) }')
if [ $# -ge 4 ] && echo "$@" | awk '{ for (i = 2; i <= NF; i++) if ($i - $(i - 1) < 3.75 || $i - $(i - 1) > 4.5) exit 1
	m = ($NF - $1) / (NF - 1); exit !(m >= 3.98 && m <= 4.25) }'; then
	pass "OnUnitActiveSec=4s: runs $gaps s apart"
else
	fail "OnUnitActiveSec=4s on time" "gaps $gaps"
fi
grep -aqE '^TEST list: NEXT +LEFT +LAST +PASSED +UNIT +ACTIVATES' "$VM_LOG" &&
	grep -aqE '^TEST list: [A-Z][a-z]{2} [0-9-]{10} [0-9:]{8} UTC [0-9]+m?s left +[A-Z][a-z]{2} [0-9-]{10} [0-9:]{8} UTC [0-9]+m?s ago +every\.timer +every\.service' "$VM_LOG" &&
	pass "list-timers: every.timer with its next and last elapse" ||
	fail "list-timers" "$(grep -a '^TEST list' "$VM_LOG" | head -4 | tr '\n' '|')"
line=$(t 'jump: ')
mid=$(echo "$line" | sed -n 's/^midnight \([0-9]*\); runs .*/\1/p')
runs=$(echo "$line" | sed 's/.*; runs //')
if [ -n "$mid" ] && [ "$runs" = "$mid $mid " ]; then
	pass "OnCalendar=daily: the clock set forward fires it at midnight; set back, at midnight again ($runs)"
else
	fail "calendar timer across clock changes" "$line"
fi
line=$(t 'boot1: persist ')
el=$(echo "$line" | sed -n 's/^elapse \([0-9]*\); .*/\1/p')
run1=$(echo "$line" | sed -n 's/.*runs: [0-9.]* \([0-9]*\),; stamp .*/\1/p')
stamp1=$(echo "$line" | sed -n 's/.*; stamp \([0-9]*\)$/\1/p')
if [ -n "$el" ] && [ -n "$run1" ] && [ "$run1" -ge "$el" ] && [ "$run1" -le $((el + 3)) ] && [ -n "$stamp1" ] &&
	[ $((stamp1 / 1000000)) = "$el" ]; then
	pass "Persistent=: elapsed at the midnight two days back and stamped ($stamp1)"
else
	fail "Persistent= stamped in boot 1" "$line"
fi
vm_wait_exit 60 && grep -aq 'reboot: Restarting system' "$VM_LOG" && pass "boot 1 ends with a reboot" ||
	{ fail "boot 1: reboot"; vm_log_tail 20; }

# ---- boot 2 ---------------------------------------------------------------------------------------
vm_start "$disk"
if ! vm_wait '^TEST boot2 done' 300; then
	fail "boot 2: the probe ran to the end"
	vm_log_tail 40
	vm_stop
	exit 0
fi
line=$(t 'boot2: probe started at ')
start=${line%%;*}
runs=$(echo "$line" | sed 's/.*persist runs: //')
set -- $(echo "$runs" | tr ',' ' ')
# runs: "UPTIME REALTIME" of boot 1, then of boot 2
if [ $# = 4 ] && awk -v u="$3" -v s="$start" 'BEGIN { exit !(s > 0 && u > s - 4 && u < s + 4) }' && [ "$4" -gt $((el + 86400)) ]; then
	pass "Persistent=: the midnight missed while down caught up once, at boot (uptime $3 s; multi-user.target at about $start s)"
else
	fail "Persistent= catch-up after the reboot" "$line"
fi
stamp2=$(t 'boot2: stamp ')
[ -n "$stamp2" ] && [ $# = 4 ] && [ $((stamp2 / 1000000)) -le "$4" ] && [ $((stamp2 / 1000000)) -ge $(($4 - 3)) ] &&
	pass "and stamped anew ($stamp2)" || fail "stamp after the catch-up" "$stamp2"
t 'boot2: list: ' | grep -qE '^[A-Z][a-z]{2} [0-9-]{10} 00:00:00 UTC .* persist\.timer +persist\.service$' &&
	pass "its next elapse is the coming midnight" || fail "next elapse after the catch-up" "$(t 'boot2: list: ')"
vm_wait_exit 60 && grep -aq 'reboot: Power down' "$VM_LOG" && pass "the machine powered off" || { fail "power off"; vm_log_tail 20; }
vm_stop
