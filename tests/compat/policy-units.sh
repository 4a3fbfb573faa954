#!/usr/bin/env bash
# tests/compat/policy-units.sh — `keel policy units` against `systemd-analyze security
# --offline=true` (systemd 252, the oracle) on the same unit file: the overall exposure, its level,
# and every row of the table — the same settings flagged ("set": false), the same rows that do not
# apply ("set": null), the same part of the exposure per row.
#
# Files: every regular .service of the Debian corpus tests/compat/units.sh uses (units_corpus in
# lib.sh: apt-get download + dpkg-deb -x, cached in build/compat-units), and the units forged in
# tests/compat/policy-units/ to reach what that corpus leaves untouched (DynamicUser=, IP
# allow-lists, UMask= grades, syscall allow-lists, resets…). systemd-analyze missing fails the run.
# Acceptance: at least 40 corpus services, every file agreeing (exposure within 0.1, rows equal).
set -u
: "${KEEL:?}" "${KEEL_SRC:?}"
SELF=$(readlink -f "$0")
. "$(dirname "$SELF")/lib.sh"
compat_init policy-units
need systemd-analyze jq apt-get dpkg-deb || exit 0
units_corpus || exit 0

# ROWS: one line per row, "name|set|exposure", sorted; from systemd's --json=short or keel's --json.
sd_rows() { jq -r '.[] | "\(.name)|\(.set)|\(.exposure)"' | sort; }
keel_rows() { jq -r '.units[0].checks[] | "\(.name)|\(.set)|\(.exposure)"' | sort; }

n=0 n_ok=0 n_corpus=0 maxd=0
check() { # FILE KIND
	local f=$1 b=${1##*/} sdx kx kj d
	n=$((n + 1))
	sdx=$(systemd-analyze security --offline=true "$f" 2>/dev/null |
		sed -n 's/.*Overall exposure level for [^:]*: \([0-9.]*\) \([A-Z]*\).*/\1 \2/p')
	systemd-analyze security --offline=true --json=short "$f" 2>/dev/null | sd_rows >sd.rows
	[ -n "$sdx" ] && [ -s sd.rows ] || { fail "$b: systemd-analyze security gives no assessment"; return; }
	kj=$("$KEEL" policy units --json "$f" 2>keel.err)
	[ $? = 0 ] || { fail "$b: keel exit $?: $(head -c 300 keel.err)"; return; }
	kx=$(jq -r '.units[0] | "\(.exposure) \(.level)"' <<<"$kj")
	keel_rows <<<"$kj" >keel.rows
	d=$(awk -v a="${sdx% *}" -v b="${kx% *}" 'BEGIN { d = a - b; if (d < 0) d = -d; printf "%.1f", d }')
	if awk -v d="$d" 'BEGIN { exit !(d > 0.1) }'; then
		fail "$b: exposure: systemd $sdx, keel $kx"
	elif [ "${sdx#* }" != "${kx#* }" ]; then
		fail "$b: level: systemd $sdx, keel $kx"
	elif ! cmp -s sd.rows keel.rows; then
		fail "$b: rows differ (< systemd, > keel): $(diff sd.rows keel.rows | grep '^[<>]' | head -4 | tr '\n' ' ')"
	else
		n_ok=$((n_ok + 1))
		[ "$2" = corpus ] && n_corpus=$((n_corpus + 1))
		awk -v d="$d" -v m="$maxd" 'BEGIN { exit !(d > m) }' && maxd=$d
		pass "$b: $kx, $(grep -c '|false|' keel.rows) settings flagged, as systemd-analyze"
	fi
}

while IFS= read -r f; do
	check "$f" corpus
done < <(find "$UNITS_CACHE/root/lib/systemd/system" "$UNITS_CACHE/root/usr/lib/systemd/system" -maxdepth 1 \
	-type f -name '*.service' 2>/dev/null | sort)
for f in "$KEEL_SRC"/tests/compat/policy-units/*.service; do
	check "$f" forged
done

# A check that could pass on nothing is a bug: the forged files must span the levels.
levels=$(for f in "$KEEL_SRC"/tests/compat/policy-units/*.service; do
	"$KEEL" policy units --json "$f" | jq -r '.units[0].level'; done | sort -u | tr '\n' ' ')
[ "$(wc -w <<<"$levels")" -ge 4 ] && pass "forged units span levels: $levels" ||
	fail "forged units span too few levels: $levels"
[ "$n_corpus" -ge 40 ] && pass "corpus: $n_corpus Debian services agree" ||
	fail "corpus: only $n_corpus Debian services agree (want >= 40)"
echo "policy-units: $n_ok of $n unit files agree with systemd-analyze security --offline=true" \
	"($n_corpus from Debian packages); largest exposure difference $maxd"
