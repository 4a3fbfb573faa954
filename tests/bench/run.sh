#!/usr/bin/env bash
# tests/bench/run.sh — keel against its peers, measured in the same run on the same inputs.
#
# Prints one table, `what | keel | peer | ratio | command`. Rows come from
# tests/bench/*.bench.sh, sourced in name order; each calls the helpers below.
#   row_time WHAT KEEL_S PEER_S KEEL_CMD PEER_CMD     ratio = peer / keel (> 1: keel is faster)
#   row_size WHAT KEEL_KIB PEER_KIB KEEL_CMD PEER_CMD ratio = peer / keel (> 1: keel is smaller)
set -u
self=$(readlink -f "$0")
cd "$(dirname "$self")/../.."
export KEEL=${KEEL:-$PWD/build/keel} KEEL_SRC=$PWD
[ -x "$KEEL" ] || { echo "bench: $KEEL missing: run ./build.sh first" >&2; exit 3; }
BENCH_TMP=$(mktemp -d "${TMPDIR:-/tmp}/keel-bench.XXXXXX")
export BENCH_TMP
trap 'rm -rf "$BENCH_TMP"' EXIT
ROWS=()
row_time() {
	local ratio
	ratio=$(awk -v k="$2" -v p="$3" 'BEGIN { if (k > 0) printf "%.2f×", p / k; else print "-" }')
	ROWS+=("$1 | $2 s | $3 s | $ratio | \`$4\` vs \`$5\`")
}
row_size() {
	local ratio
	ratio=$(awk -v k="$2" -v p="$3" 'BEGIN { if (k > 0) printf "%.2f×", p / k; else print "-" }')
	ROWS+=("$1 | $2 KiB | $3 KiB | $ratio | \`$4\` vs \`$5\`")
}
echo "keel benchmarks — $(date -u +%Y-%m-%dT%H:%MZ), $(nproc) CPUs, load $(cut -d' ' -f1-3 /proc/loadavg)"
for f in tests/bench/*.bench.sh; do
	[ -e "$f" ] || continue
	echo "running ${f##*/}…" >&2
	. "$f"
done
echo
echo "what | keel | peer | ratio | command"
echo "--- | --- | --- | --- | ---"
printf '%s\n' "${ROWS[@]}"
