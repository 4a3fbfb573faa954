#!/usr/bin/env bash
# tests/layering.sh — the include graph keeps the layering that core/layers documents.
#   every #include "…" in core/ and applets/ is path-qualified ("disk/gpt.h", "applets/verify.h",
#   "gen/applets.h"); a core file includes only its own folder and the folders core/layers lists for
#   it; core never includes applets/ or gen/; every core folder is listed; no .c/.h directly in core/.
# Prints PASS:/FAIL: lines. KEEL_SRC may name another tree (the test of this test plants a
# forbidden include in a copy).
set -u
top=${KEEL_SRC:-$(cd "$(dirname "$0")/.." && pwd)}
cd "$top" || exit 1
declare -A allow=()
bad=0
while IFS= read -r line; do
	line=${line%%#*}
	[[ $line =~ ^[[:space:]]*$ ]] && continue
	dir=${line%%:*}
	allow[$dir]=" ${line#*:} "
done < core/layers
for d in core/*/; do
	d=${d%/}; d=${d#core/}
	[ -n "${allow[$d]+x}" ] || { echo "FAIL: layering: core/$d is not listed in core/layers"; bad=1; }
done
loose=$(find core -maxdepth 1 -name '*.[ch]' | LC_ALL=C sort)
[ -z "$loose" ] || { echo "FAIL: layering: files directly in core/: $(echo $loose)"; bad=1; }
n=0
while IFS=: read -r file lno inc; do
	n=$((n + 1))
	inc=${inc#*\"}; inc=${inc%%\"*}
	case $file in
	core/*)
		own=${file#core/}; own=${own%%/*}
		tgt=${inc%%/*}
		if [ "$inc" = "$tgt" ]; then
			echo "FAIL: layering: $file:$lno: #include \"$inc\" is not path-qualified"; bad=1
		elif [ "$tgt" = applets ] || [ "$tgt" = gen ]; then
			echo "FAIL: layering: $file:$lno: core includes \"$inc\" (core never includes applets/)"; bad=1
		elif [ "$tgt" != "$own" ] && [[ ${allow[$own]:-} != *" $tgt "* ]]; then
			echo "FAIL: layering: $file:$lno: core/$own may not include \"$inc\" (core/layers: $own:${allow[$own]:-})"; bad=1
		elif [ ! -f "core/$inc" ]; then
			echo "FAIL: layering: $file:$lno: \"$inc\" does not exist under core/"; bad=1
		fi ;;
	applets/*)
		tgt=${inc%%/*}
		if [ "$inc" = "$tgt" ]; then
			echo "FAIL: layering: $file:$lno: #include \"$inc\" is not path-qualified"; bad=1
		elif [ "$tgt" != applets ] && [ "$tgt" != gen ] && [ ! -f "core/$inc" ]; then
			echo "FAIL: layering: $file:$lno: \"$inc\" is neither applets/, gen/ nor a core header"; bad=1
		fi ;;
	esac
done < <(grep -rnE '^[[:space:]]*#[[:space:]]*include[[:space:]]+"' core applets --include='*.[ch]')
[ "$n" -gt 100 ] || { echo "FAIL: layering: only $n includes read (expected the whole tree)"; bad=1; }
[ "$bad" = 0 ] && echo "PASS: layering: $n includes in core/ and applets/ follow core/layers"
exit 0
