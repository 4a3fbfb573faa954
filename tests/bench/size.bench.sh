# size.bench.sh — the size table (sourced by tests/bench/run.sh): bytes each component puts into
# keel, from the link map (tests/bench/sizemap.py build/keel.debug.map), against the previous
# release point (tests/bench/size.baseline), and the whole stripped binary against busybox-static.
map=$(dirname "$KEEL")/keel.debug.map
base=$KEEL_SRC/tests/bench/size.baseline
if [ -s "$map" ]; then
	rel=$(awk '$1 == "release" { print $2 }' "$base")
	while read -r c now; do
		was=$(awk -v c="$c" '$1 == c { print $2 }' "$base")
		row_size "size: $c (vs release $rel)" "$(awk -v b="$now" 'BEGIN { printf "%.1f", b / 1024 }')" \
			"$(awk -v b="${was:-0}" 'BEGIN { printf "%.1f", b / 1024 }')" \
			"tests/bench/sizemap.py build/keel.debug.map" "tests/bench/size.baseline"
	done < <(python3 "$KEEL_SRC/tests/bench/sizemap.py" "$map")
	# What no component owns: ELF and program headers, the dynamic section, the relocations
	# (DT_RELR since -z pack-relative-relocs; DT_RELA before) and the page alignment between segments.
	rest=$(($(stat -c %s "$KEEL") - $(python3 "$KEEL_SRC/tests/bench/sizemap.py" "$map" | awk '{ s += $2 } END { print s }')))
	was=$(awk '$1 == "stripped" { t = $2 } $1 != "release" && $1 != "stripped" { s += $2 } END { print t - s }' "$base")
	row_size "size: the rest: headers, relocations, alignment (vs release $rel)" \
		"$(awk -v b="$rest" 'BEGIN { printf "%.1f", b / 1024 }')" "$(awk -v b="$was" 'BEGIN { printf "%.1f", b / 1024 }')" \
		"stat -c %s build/keel minus the components" "tests/bench/size.baseline"
	row_size "size: stripped build/keel (vs release $rel)" "$(awk -v b="$(stat -c %s "$KEEL")" 'BEGIN { printf "%.1f", b / 1024 }')" \
		"$(awk -v b="$(awk '$1 == "stripped" { print $2 }' "$base")" 'BEGIN { printf "%.1f", b / 1024 }')" \
		"stat -c %s build/keel" "tests/bench/size.baseline"
else
	echo "bench: $map missing (built by ./build.sh)" >&2
fi
if [ -x /bin/busybox ]; then
	row_size "size: stripped build/keel vs busybox-static" "$(awk -v b="$(stat -c %s "$KEEL")" 'BEGIN { printf "%.1f", b / 1024 }')" \
		"$(awk -v b="$(stat -c %s /bin/busybox)" 'BEGIN { printf "%.1f", b / 1024 }')" \
		"stat -c %s build/keel" "stat -c %s /bin/busybox ($(dpkg-query -W -f='${Package} ${Version}' busybox-static 2>/dev/null))"
fi
