# calendar.bench.sh — rows for calendar events (sourced by tests/bench/run.sh): the normalized
# form and 5 next elapses of 1,000 specs (the curated compat specs and random ones, all valid),
# in one process each: `keel init calendar` against `systemd-analyze calendar`, same start time,
# TZ=UTC, best of 3.
if command -v systemd-analyze >/dev/null && command -v python3 >/dev/null; then
	cb=$BENCH_TMP/calendar
	mkdir -p "$cb"
	{
		grep -v '^#' "$KEEL_SRC/tests/compat/calendar/specs"
		python3 "$KEEL_SRC/tests/compat/calendar/gen.py" 1000 3000
	} | while IFS= read -r s; do
		TZ=UTC "$KEEL" init calendar --now=1700000000 -- "$s" >/dev/null 2>&1 && printf '%s\n' "$s"
	done | head -1000 > "$cb/specs"
	mapfile -t cal_specs < "$cb/specs"
	if [ "${#cal_specs[@]}" = 1000 ]; then
		tk=$(TZ=UTC best_of 3 "$KEEL" init calendar --now=1700000000 --iterations=5 -- "${cal_specs[@]}")
		tp=$(TZ=UTC best_of 3 systemd-analyze calendar --base-time=@1700000000 --iterations=5 -- "${cal_specs[@]}")
		row_time "calendar: normalized form + 5 next elapses of 1,000 OnCalendar= specs" "$tk" "$tp" \
			"keel init calendar --now=N --iterations=5 SPEC×1000" "systemd-analyze calendar --base-time=@N --iterations=5 SPEC×1000"
	else
		echo "bench: calendar: only ${#cal_specs[@]} valid specs" >&2
	fi
else
	echo "bench: calendar: systemd-analyze or python3 missing" >&2
fi
