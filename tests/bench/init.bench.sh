# init.bench.sh — rows for the supervisor (sourced by tests/bench/run.sh). Its ordering is an
# index built once per (re)load; this measures how start-up grows with the number of units:
# 1,021 targets (with multi-user.target, sockets.target and timers.target the most a supervisor
# loads) against 256, each After= the 64 before it (tests/applets/many-units.sh), `keel init --no-machine` from exec to
# "startup finished", then stopped (in reverse order), best of 3. The "peer" is 4 times the
# 256-unit time: linear growth; a ratio near 1 (or above) means no worse than linear.
ib=$BENCH_TMP/init
sup_cycle() { # ROOT: start the supervisor, wait for multi-user.target, stop it
	"$KEEL" init --no-machine --root "$1" > "$1.log" 2>&1 &
	local pid=$! i
	for ((i = 0; i < 6000; i++)); do
		grep -q 'startup finished' "$1.log" && break
		sleep 0.005
	done
	kill -TERM $pid
	wait $pid && grep -q 'startup finished' "$1.log"
}
export -f sup_cycle
for n in 256 1021; do
	rm -rf "$ib/$n" && "$KEEL_SRC/tests/applets/many-units.sh" "$ib/$n" $n 64
done
t256=$(best_of 3 bash -c 'sup_cycle "$0"' "$ib/256")
t1021=$(best_of 3 bash -c 'sup_cycle "$0"' "$ib/1021")
row_time "init: start + stop 1,021 units, each After= the 64 before (peer: 4 × the time for 256)" "$t1021" \
	"$(awk -v t="$t256" 'BEGIN { printf "%.3f", 4 * t }')" "keel init --no-machine --root R1021" \
	"4 × keel init --no-machine --root R256"

# Load + verify of 500 unit files in the shapes Debian's daemons ship (tests/bench/gen-units.sh):
# `keel init verify` against `systemd-analyze verify` of the same files, best of 3. Both must
# accept every file (systemd-analyze also loads each unit's dependencies from the host).
rm -rf "$ib/verify" && sh "$KEEL_SRC/tests/bench/gen-units.sh" "$ib/verify" 500
vu=("$ib"/verify/*.service)
if "$KEEL" init verify "${vu[@]}" && command -v systemd-analyze >/dev/null && systemd-analyze verify --man=no "${vu[@]}" 2>/dev/null; then
	row_time "init: load + verify 500 unit files (six Debian shapes)" "$(best_of 3 "$KEEL" init verify "${vu[@]}")" \
		"$(best_of 3 systemd-analyze verify --man=no "${vu[@]}")" "keel init verify FILE×500" "systemd-analyze verify --man=no FILE×500"
else
	echo "bench: init verify: a unit was refused, or systemd-analyze is missing" >&2
fi

# PID 1's memory with 60 units loaded and running (the same shapes; --no-machine, as the tests run
# it): VmRSS, VmHWM and RssAnon from /proc once startup finished and a second passed. The "peer"
# is the goal: 1 MiB. RssFile is keel's own binary in the page cache (shared, mapped by fault-around
# windows: it follows the size of PID 1's code, gathered by core/init/pid1.ld, and of .rodata, not
# the units); RssAnon is what PID 1 allocated (a struct svc per unit, its stack, .data).
r60=$ib/r60
rm -rf "$r60" && mkdir -p "$r60/etc/systemd/system/multi-user.target.wants" "$r60/run"
echo 'root:x:0:0:root:/root:/bin/sh' > "$r60/etc/passwd"
echo 'root:x:0:' > "$r60/etc/group"
sh "$KEEL_SRC/tests/bench/gen-units.sh" "$r60/etc/systemd/system" 60 "$r60/run"
for u in "$r60"/etc/systemd/system/*.service; do ln -s "../${u##*/}" "$r60/etc/systemd/system/multi-user.target.wants/"; done
"$KEEL" init --no-machine --root "$r60" > "$r60.log" 2>&1 &
r60pid=$!
for ((i = 0; i < 400; i++)); do grep -q 'startup finished' "$r60.log" && break; sleep 0.05; done
sleep 1
mem() { awk -v k="$1:" '$1 == k { print $2 }' "/proc/$r60pid/status"; }
rss=$(mem VmRSS) hwm=$(mem VmHWM) anon=$(mem RssAnon) file=$(mem RssFile)
kill -TERM $r60pid
wait $r60pid
echo "bench: init 60 units: VmRSS $rss KiB, VmHWM $hwm KiB, RssAnon $anon KiB, RssFile $file KiB" >&2
row_size "init: PID 1 VmRSS, 60 units loaded and running (peer: the 1 MiB goal)" "${rss:-0}" 1024 \
	"keel init --no-machine, 60 units (gen-units.sh), /proc/PID/status VmRSS" "goal"
row_size "init: PID 1 VmHWM (peak), 60 units" "${hwm:-0}" 1024 "the same, VmHWM" "goal"
row_size "init: PID 1 RssAnon (its own allocations), 60 units" "${anon:-0}" 1024 "the same, RssAnon" "goal"
