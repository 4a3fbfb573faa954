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

# Replay the seeds of every fuzz harness (built with ASan+UBSan); one harness is one test. The
# driver (tests/fuzz/driver.c) prints its PASS/FAIL line and exits 0 or 2; any other status, a
# harness source without a binary or a corpus without a harness is a failure as well.
fuzz_replay() {
	local src name rc
	for src in tests/fuzz/*.c; do
		name=${src##*/}
		name=${name%.c}
		[ "$name" = driver ] && continue
		if [ ! -x "build/host/fuzz/$name" ]; then
			echo "FAIL: fuzz/$name: build/host/fuzz/$name was not built"
			continue
		fi
		"build/host/fuzz/$name" "tests/fuzz/corpus/$name"
		rc=$?
		[ "$rc" = 0 ] || [ "$rc" = 2 ] || echo "FAIL: fuzz/$name: the replay exited with status $rc"
	done
	for src in tests/fuzz/corpus/*; do
		[ -e "tests/fuzz/${src##*/}.c" ] || echo "FAIL: fuzz: $src has no harness tests/fuzz/${src##*/}.c"
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
suites=${*:-unit unit-asan fuzz applets valgrind compat vm}
for s in $suites; do
	case $s in
	unit) run_suite unit 600 build/unit ;;
	unit-asan) run_suite unit-asan 900 build/host/unit ;;
	fuzz) run_suite fuzz 900 fuzz_replay ;;
	applets) run_suite applets 900 each tests/applets '*.test' ;;
	valgrind) run_suite valgrind 1200 bash tests/valgrind.sh ;;
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
