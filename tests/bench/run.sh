#!/usr/bin/env bash
# tests/bench/run.sh — keel against its peers, measured in the same run on the same inputs.
#
# Prints one table, `what | keel | peer | ratio | command`: ratio > 1 means keel is faster, and
# writes the same rows to build/bench.json (one object a row: what, keel, peer, unit, ratio,
# keel_cmd, peer_cmd; numbers as measured, ratio null where it cannot be computed).
# Rows come from tests/bench/*.bench.sh, sourced in name order; each calls the helpers below.
# Inputs live in $BENCH_TMP (tmpfs /dev/shm when there is room: files stay in memory, so the
# page cache holds them). Run through `./build.sh bench` (builds first) or directly after a build;
# KEEL_BENCH_ONLY=NAME runs only tests/bench/NAME.bench.sh (e.g. KEEL_BENCH_ONLY=update).
#
# Helpers for row files:
#   best_of N CMD…          run CMD N times (output discarded); print the fastest wall time in s
#   row_time WHAT KEEL_S PEER_S KEEL_CMD PEER_CMD    a row for two times (ratio = peer / keel)
#   row_rate WHAT KEEL_R PEER_R UNIT KEEL_CMD PEER_CMD   a row for two rates (ratio = keel / peer)
#   row_size WHAT KEEL_KIB PEER_KIB KEEL_CMD PEER_CMD    a row for two sizes (ratio = peer / keel: > 1, keel is smaller)
#   bench_file NAME BYTES   a file of BYTES random bytes in $BENCH_TMP (made once per run)
set -u
self=$(readlink -f "$0")
cd "$(dirname "$self")/../.."
export KEEL=${KEEL:-$PWD/build/keel} KEEL_SRC=$PWD
[ -x "$KEEL" ] || { echo "bench: $KEEL missing: run ./build.sh first" >&2; exit 3; }
if [ "$(df --output=avail -k /dev/shm 2>/dev/null | tail -1)" -gt $((3 * 1024 * 1024)) ] 2>/dev/null; then
	BENCH_TMP=$(mktemp -d /dev/shm/keel-bench.XXXXXX)
else
	BENCH_TMP=$(mktemp -d "${TMPDIR:-/tmp}/keel-bench.XXXXXX")
fi
export BENCH_TMP
trap 'rm -rf "$BENCH_TMP"' EXIT

now_ns() { date +%s%N; }
best_of() {
	local n=$1 best= t0 t1 d i
	shift
	for ((i = 0; i < n; i++)); do
		t0=$(now_ns)
		"$@" >/dev/null 2>&1 || { echo "bench: failed: $*" >&2; echo 0; return 1; }
		t1=$(now_ns)
		d=$((t1 - t0))
		[ -z "$best" ] || [ "$d" -lt "$best" ] && best=$d
	done
	awk -v ns="$best" 'BEGIN { printf "%.3f", ns / 1e9 }'
}
bench_file() {
	local f=$BENCH_TMP/$1
	[ -s "$f" ] || head -c "$2" /dev/urandom > "$f"
	cat "$f" > /dev/null # in the page cache
	echo "$f"
}
ROWS=()
JROWS=() # the same rows, tab-separated, for build/bench.json
row_add() { # what keel peer unit ratio keel_cmd peer_cmd
	ROWS+=("$1 | $2 $4 | $3 $4 | $5 | \`$6\` vs \`$7\`")
	JROWS+=("$(printf '%s\t' "$@")")
}
row_time() { # what keel_s peer_s keel_cmd peer_cmd
	row_add "$1" "$2" "$3" s "$(awk -v k="$2" -v p="$3" 'BEGIN { if (k > 0) printf "%.2f×", p / k; else print "-" }')" "$4" "$5"
}
row_rate() { # what keel_rate peer_rate unit keel_cmd peer_cmd
	row_add "$1" "$2" "$3" "$4" "$(awk -v k="$2" -v p="$3" 'BEGIN { if (p > 0) printf "%.2f×", k / p; else print "-" }')" "$5" "$6"
}
row_size() { # what keel_kib peer_kib keel_cmd peer_cmd
	row_add "$1" "$2" "$3" KiB "$(awk -v k="$2" -v p="$3" 'BEGIN { if (k > 0) printf "%.2f×", p / k; else print "-" }')" "$4" "$5"
}

echo "keel benchmarks — $(date -u +%Y-%m-%dT%H:%MZ), $(nproc) CPUs ($(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ *//')), load $(cut -d' ' -f1-3 /proc/loadavg)"
for f in tests/bench/${KEEL_BENCH_ONLY:-*}.bench.sh; do
	[ -e "$f" ] || continue
	echo "running ${f##*/}…" >&2
	. "$f"
done
echo
echo "what | keel | peer | ratio | command"
echo "--- | --- | --- | --- | ---"
printf '%s\n' "${ROWS[@]}"
printf '%s\n' "${JROWS[@]}" | python3 -c '
import json, sys
rows = []
for line in sys.stdin.read().splitlines():
    f = line.split("\t")
    if len(f) < 7:
        continue
    num = lambda v: float(v) if v.replace(".", "", 1).isdigit() else v
    rows.append({"what": f[0], "keel": num(f[1]), "peer": num(f[2]), "unit": f[3],
                 "ratio": float(f[4].rstrip("×")) if f[4] != "-" else None, "keel_cmd": f[5], "peer_cmd": f[6]})
json.dump({"date": sys.argv[1], "rows": rows}, open(sys.argv[2], "w"), indent=1, ensure_ascii=False)
' "$(date -u +%Y-%m-%dT%H:%MZ)" build/bench.json && echo "(also in build/bench.json: ${#JROWS[@]} rows)"
