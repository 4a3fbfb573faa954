# tests/compat/lib.sh — helpers for the compat suites: `. "$(dirname "$0")/lib.sh"`.
# Sourcing defines functions only (tests/run.sh also runs this file on its own: it reports nothing).
#
#   compat_init NAME [DIR]   work in a fresh directory below DIR (default $KEEL_TEST_TMP or /tmp),
#                            removed at exit; PASS/FAIL lines say "NAME: …"
#   need TOOL…               FAIL (never skip) for each missing peer; returns 1 if any
#   expect NAME RC [NEEDLE] -- CMD…   CMD must exit RC, and print NEEDLE (if not "") on stderr
#   flip FILE OFFSET [MASK]  xor the byte at OFFSET with MASK (default 4): a one-bit forgery
compat_init() {
	COMPAT_NAME=$1
	W=$(mktemp -d "${2:-${KEEL_TEST_TMP:-/tmp}}/keel-$1.XXXXXX") || exit 3
	trap 'rm -rf "$W"' EXIT
	cd "$W" || exit 3
}
pass() { echo "PASS: $COMPAT_NAME: $*"; }
fail() { echo "FAIL: $COMPAT_NAME: $*"; }
need() {
	local t ok=0
	for t in "$@"; do
		command -v "$t" >/dev/null || { fail "$t not installed"; ok=1; }
	done
	return $ok
}
expect() {
	local name=$1 want=$2 needle=$3 rc
	shift 4
	"$@" >out 2>err
	rc=$?
	if [ "$rc" != "$want" ]; then
		fail "$name: exit $rc, want $want: $(head -c 300 err)"
	elif [ -n "$needle" ] && ! grep -qF -- "$needle" err; then
		fail "$name: stderr does not name $needle: $(head -c 300 err)"
	else
		pass "$name"
	fi
}
flip() {
	local b
	b=$(od -An -tu1 -j "$2" -N1 "$1" | tr -d ' ')
	printf "$(printf '\\%03o' $((b ^ ${3:-4})))" | dd of="$1" bs=1 seek="$2" conv=notrunc status=none
}
