#!/usr/bin/env bash
# tests/run.sh — run keel's tests and end with the line "N passed, N failed".
#
#   tests/run.sh [SUITE…]     SUITE: unit unit-asan fuzz applets compat vm (default: all)
#
# Each suite prints PASS:/FAIL: lines (or a unit binary's "RESULT: p f"); a suite that exits
# non-zero without reporting a failure counts as one failure. Needs build/keel, build/unit and
# build/host/{unit,fuzz/*} (./build.sh test builds them). A missing peer tool is a failure.
set -u
self=$(readlink -f "$0")
cd "$(dirname "$self")/.."
top=$PWD
export KEEL=$top/build/keel KEEL_SRC=$top
passed=0 failed=0
declare -a failures=()

# run_suite NAME TIMEOUT CMD…: run, echo its output, add up what it reports.
run_suite() {
	local name=$1 limit=$2 out rc p f
	shift 2
	echo "=== $name: $*"
	out=$KEEL_TEST_TMP/$name.out
	timeout --foreground -k 10 "$limit" "$self" --run "$@" > >(tee "$out") 2>&1
	rc=$?
	wait
	if grep -q '^RESULT: ' "$out"; then
		read -r p f < <(awk '/^RESULT: / { p += $2; f += $3 } END { print p + 0, f + 0 }' "$out")
	else
		p=$(grep -c '^PASS: ' "$out")
		f=$(grep -c '^FAIL: ' "$out")
	fi
	while IFS= read -r line; do failures+=("$name: ${line#FAIL: }"); done < <(grep '^FAIL: ' "$out")
	if [ "$rc" -ne 0 ] && [ "$f" -eq 0 ]; then
		f=1
		failures+=("$name: exited with status $rc$([ "$rc" = 124 ] && echo ' (timed out after '"$limit"')')")
	fi
	passed=$((passed + p))
	failed=$((failed + f))
}

# Replay every seed of every fuzz harness (built with ASan+UBSan); one seed is one test.
fuzz_replay() {
	local h name
	for h in build/host/fuzz/*; do
		[ -x "$h" ] || continue
		name=${h##*/}
		[ -d "tests/fuzz/corpus/$name" ] || { echo "FAIL: fuzz/$name: no seed corpus tests/fuzz/corpus/$name"; continue; }
		# a seed that crashes the harness ends its replay: that is a failure, not fewer passes
		"$h" "tests/fuzz/corpus/$name" || echo "FAIL: fuzz/$name: the replay exited with status $?"
	done
}

# Shell suites: every file in DIR matching GLOB, each run on its own.
each() {
	local dir=$1 glob=$2 f
	for f in "$dir"/$glob; do
		[ -e "$f" ] || continue
		bash "$f" || echo "FAIL: $f exited with status $?"
	done
}

# Internal: tests/run.sh --run CMD… runs one suite's command (a function above or a program).
if [ "${1:-}" = --run ]; then
	shift
	"$@"
	exit
fi

export KEEL_TEST_TMP=${KEEL_TEST_TMP:-$(mktemp -d /tmp/keel-test.XXXXXX)}
trap 'rm -rf "$KEEL_TEST_TMP"' EXIT
suites=${*:-unit unit-asan fuzz applets compat vm}
for s in $suites; do
	case $s in
	unit) run_suite unit 600 build/unit ;;
	unit-asan) run_suite unit-asan 900 build/host/unit ;;
	fuzz) run_suite fuzz 900 fuzz_replay ;;
	applets) run_suite applets 900 each tests/applets '*.test' ;;
	compat) run_suite compat 1500 each tests/compat '*.sh' ;;
	vm) run_suite vm 1800 each tests/vm '*.sh' ;;
	*) echo "tests/run.sh: unknown suite '$s'" >&2; exit 2 ;;
	esac
done

if [ ${#failures[@]} -gt 0 ]; then
	echo "=== failures"
	printf '  %s\n' "${failures[@]}"
fi
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ] && [ "$passed" -gt 0 ]
