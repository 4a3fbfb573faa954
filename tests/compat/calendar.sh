#!/usr/bin/env bash
# tests/compat/calendar.sh — `keel init calendar` against `systemd-analyze calendar` (systemd 252):
# for every spec, the same normalized form and the same 5 next elapses from the same start time
# (systemd-analyze --base-time=@N, keel --now=N: no wall clock involved, so no race with it), or
# both refuse it. Specs: tests/compat/calendar/specs (curated) at 6 start times (month and year
# ends, a leap day, 2100, 2199), plus 400 random specs (tests/compat/calendar/gen.py, fixed
# seed). keel hosts keep UTC, so systemd-analyze runs with TZ=UTC and keel with TZ=Europe/Berlin
# (which it must not read). The time zone names keel refuses (systemd takes any zone name) are
# checked to be refused with a reason.
set -u
: "${KEEL:?}" "${KEEL_SRC:?}"
. "$KEEL_SRC/tests/compat/lib.sh"
compat_init calendar
need systemd-analyze python3 || exit 0

same=0 refused=0 differ=0
declare -A ok_spec=()
# one SPEC TZ NOW: compare stdout (systemd's "From now:" lines left out: they count from the wall
# clock) and the exit status.
one() {
	local spec=$1 tz=$2 now=$3 a b ra rb
	a=$(TZ=$tz systemd-analyze calendar --base-time="@$now" --iterations=5 -- "$spec" 2>/dev/null | grep -v '^       From now: ')
	ra=${PIPESTATUS[0]}
	b=$(TZ=Europe/Berlin "$KEEL" init calendar --now="$now" --iterations=5 -- "$spec" 2>err)
	rb=$?
	if [ "$ra" != "$rb" ] || [ "$a" != "$b" ]; then
		differ=$((differ + 1))
		fail "'$spec' (TZ=$tz, now @$now): systemd exit $ra, keel exit $rb: $(diff <(echo "$a") <(echo "$b") | grep '^[<>]' | head -4 | tr '\n' '|') $(head -c 200 err)"
		return 1
	elif [ "$ra" = 0 ]; then
		[ -n "$a" ] || { fail "'$spec': both printed nothing"; differ=$((differ + 1)); return 1; }
		same=$((same + 1))
	else
		[ -s err ] || { fail "'$spec': keel refused it without a reason"; differ=$((differ + 1)); return 1; }
		refused=$((refused + 1))
	fi
	return 0
}

while IFS= read -r spec; do
	case $spec in '#'*) continue ;; esac
	good=1
	# 2023-11-14 22:13:20, 2024-02-28 23:59:59.5, 2024-12-31 23:59:59, 2100-02-28 23:59:59,
	# 2199-12-30 12:00:00, 1999-12-31 23:59:59
	for now in 1700000000 1709164799.500000 1735689599 4107542399 7257931200 946684799; do
		one "$spec" UTC "$now" || good=0
	done
	[ $good = 1 ] && ok_spec[$spec]=1
done < "$KEEL_SRC/tests/compat/calendar/specs"
curated_same=$same curated_refused=$refused
for s in "${!ok_spec[@]}"; do
	TZ=UTC systemd-analyze calendar -- "$s" >/dev/null 2>&1 || unset "ok_spec[$s]"
done
n_ok=${#ok_spec[@]}
if [ "$differ" = 0 ] && [ "$n_ok" -ge 200 ]; then
	pass "$n_ok curated specs systemd takes: the same normalized form and 5 elapses at 6 start times ($curated_same runs); $curated_refused refusals agree"
else
	fail "curated specs: $differ runs differ; $n_ok specs the same everywhere (want >= 200)"
fi

same=0 refused=0 differ=0
i=0
while IFS= read -r spec; do
	nows=(1700000000 1709251199 1735689599 4102444799 951782400)
	one "$spec" UTC "${nows[i % 5]}"
	i=$((i + 1))
done < <(python3 "$KEEL_SRC/tests/compat/calendar/gen.py" 252 400)
if [ "$differ" = 0 ] && [ "$same" -ge 200 ]; then
	pass "400 random specs: $same the same (normalized form + 5 elapses), $refused refused by both"
else
	fail "random specs: $differ differ, $same the same (want >= 200)"
fi

# Zones keel does not compute in: systemd takes them, keel refuses them naming the reason.
for spec in "*-*-* 10:00 Europe/Berlin" "weekly Pacific/Auckland" "daily CET"; do
	TZ=UTC systemd-analyze calendar -- "$spec" >/dev/null 2>&1 || { fail "systemd refuses '$spec'"; continue; }
	expect "'$spec' refused: time zone" 1 "time zone" -- env TZ=UTC "$KEEL" init calendar -- "$spec"
done
