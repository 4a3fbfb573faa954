# provision.bench.sh — rows for `keel provision` (sourced by tests/bench/run.sh).
# One config with 1,000 files (data: URLs, modes, 10 directories) applied to a fresh root:
# keel (parse, validate, plan, stage, commit, marker: one run) against Ignition's own fetch
# and files stages (Debian's ignition; its SELinux relabel step gets a no-op setfiles), best
# of 5 each; then the peak memory of each (GNU time's maximum resident set size).
pb=$BENCH_TMP/provision
rm -rf "$pb" && mkdir -p "$pb/bin"
printf '#!/bin/sh\nexit 0\n' > "$pb/bin/setfiles" && chmod +x "$pb/bin/setfiles"
{
	printf '{"ignition":{"version":"3.3.0"},"storage":{"directories":['
	for d in $(seq 0 9); do printf '%s{"path":"/etc/app/d%d","mode":488}' "$([ $d = 0 ] || echo ,)" $d; done
	printf '],"files":['
	for i in $(seq 0 999); do
		printf '%s{"path":"/etc/app/d%d/f%d.conf","mode":416,"contents":{"source":"data:,file%%20%d%%0Akey%%3Dvalue%%0A"}}' \
			"$([ $i = 0 ] || echo ,)" $((i % 10)) $i $i
	done
	printf ']}}\n'
} > "$pb/1000.ign"
IGN=/usr/lib/dracut/modules.d/30ignition/ignition
fresh() { rm -rf "$pb/root" && mkdir -p "$pb/root/etc/selinux" && printf 'SELINUX=disabled\nSELINUXTYPE=targeted\n' > "$pb/root/etc/selinux/config"; }
keel_apply() { fresh && "$KEEL" provision apply --root "$pb/root" "$pb/1000.ign"; }
ign_apply() {
	fresh && rm -f "$pb/cache.json" "$pb/state" &&
	IGNITION_CONFIG_FILE=$pb/1000.ign "$IGN" -platform file -stage fetch -root "$pb/root" -config-cache "$pb/cache.json" \
		-state-file "$pb/state" -log-to-stdout &&
	PATH=$pb/bin:$PATH "$IGN" -platform file -stage files -root "$pb/root" -config-cache "$pb/cache.json" \
		-state-file "$pb/state" -log-to-stdout
}
export -f fresh keel_apply ign_apply
export pb IGN
k=$(best_of 5 bash -c keel_apply)
[ "$(find "$pb/root/etc/app" -type f | wc -l)" = 1000 ] || echo "bench: keel did not write 1,000 files" >&2
p=$(best_of 5 bash -c ign_apply)
[ "$(find "$pb/root/etc/app" -type f | wc -l)" = 1000 ] || echo "bench: ignition did not write 1,000 files" >&2
row_time "provision: validate + apply 1,000 files" "$k" "$p" "keel provision apply --root R 1000.ign" \
	"ignition -stage fetch; ignition -stage files -root R"
# memory: the largest resident set of the one keel process, of the larger Ignition stage
fresh
km=$(/usr/bin/time -f %M "$KEEL" provision apply --root "$pb/root" "$pb/1000.ign" 2>&1 >/dev/null | tail -1)
fresh && rm -f "$pb/cache.json" "$pb/state"
pm1=$(IGNITION_CONFIG_FILE=$pb/1000.ign /usr/bin/time -f %M "$IGN" -platform file -stage fetch -root "$pb/root" \
	-config-cache "$pb/cache.json" -state-file "$pb/state" 2>&1 >/dev/null | tail -1)
pm2=$(PATH=$pb/bin:$PATH /usr/bin/time -f %M "$IGN" -platform file -stage files -root "$pb/root" \
	-config-cache "$pb/cache.json" -state-file "$pb/state" 2>&1 >/dev/null | tail -1)
pm=$((pm1 > pm2 ? pm1 : pm2))
row_size "provision: max RSS, apply 1,000 files" "$km" "$pm" "/usr/bin/time -f %M keel provision apply …" \
	"the same on each Ignition stage (the larger)"
rm -rf "$pb"
