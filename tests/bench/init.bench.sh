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
