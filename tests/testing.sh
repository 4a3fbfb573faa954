# tests/testing.sh — toybox-style applet tests. Sourced by each tests/applets/NAME.test:
#
#   testing "name" "command" "expected stdout" "contents of ./input" "stdin"
#   testcmd "name" "args" "expected stdout" "contents of ./input" "stdin"   # runs: keel NAME args
#
# As in toybox, backslash escapes (\n, \t, \x41) in expected, input and stdin are interpreted.
# Each test runs in a fresh directory below $KEEL_TEST_TMP with C="$KEEL NAME" and $KEEL set;
# stdout must match exactly. Append "; echo rc=\$?" to a command to pin its exit status.
# Prints PASS:/FAIL: lines for tests/run.sh.
set -u
: "${KEEL:?KEEL is not set (run through tests/run.sh)}"
: "${KEEL_SRC:?}"
TESTNAME=$(basename "${BASH_SOURCE[1]:-$0}" .test)
C="$KEEL $TESTNAME"
TESTDIR=$(mktemp -d "${KEEL_TEST_TMP:-/tmp}/$TESTNAME.XXXXXX")
export C TESTDIR

testing() {
	local name=$1 cmd=$2 want got dir
	want=$(printf '%b' "$3"; echo x)
	want=${want%x}
	dir=$(mktemp -d "$TESTDIR/t.XXXXXX")
	[ -n "$4" ] && printf '%b' "$4" > "$dir/input"
	got=$(cd "$dir" && printf '%b' "$5" | eval "$cmd" 2>"$dir/.stderr"; echo x)
	got=${got%x}
	if [ "$got" == "$want" ]; then
		echo "PASS: $TESTNAME: $name"
	else
		echo "FAIL: $TESTNAME: $name"
		echo "  command: $cmd"
		diff -u <(printf '%s' "$want") <(printf '%s' "$got") | sed -n '3,40s/^/  /p'
		[ -s "$dir/.stderr" ] && sed 's/^/  stderr: /' "$dir/.stderr" | head -10
	fi
	rm -rf "$dir"
}

testcmd() { testing "$1" "$C $2" "$3" "$4" "$5"; }

# Checks that are not "run this, compare stdout": pass/fail with a name.
check() { # name condition-command…
	local name=$1
	shift
	if "$@"; then echo "PASS: $TESTNAME: $name"; else echo "FAIL: $TESTNAME: $name"; fi
}
