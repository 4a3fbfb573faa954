# policy.bench.sh — rows for `keel policy` (sourced by tests/bench/run.sh).
# Host: the default profile on a root of 50,000 files (500 directories, a few world-writable and
# setuid ones), against `find R -xdev -perm -0002` and `find R -xdev -perm -4000` on the same tree
# (the file-walk part alone, which is what dominates). Workload: 200 checks of one config.json
# (runc spec), each a fresh process, against 200 runs of `jq . config.json` (only a parse); and
# the check alone: tests/bench/psa-check.c linked against keel's own objects (build/obj/core,
# the -Oz musl build) parses and judges the same config.json 20,000 times in one process (the
# mean per check; best of 3 runs), no peer.
pr=$BENCH_TMP/policy
rm -rf "$pr" && mkdir -p "$pr/root/proc/1/net" "$pr/root/proc/sys/kernel" "$pr/root/data" "$pr/bundle"
printf '20 1 254:4 / / rw,nosuid,nodev - ext4 /dev/vda4 rw\n' > "$pr/root/proc/1/mountinfo"
python3 - "$pr/root/data" <<'PY'
import os, sys
base = sys.argv[1]
for d in range(500):
    p = os.path.join(base, "d%03d" % d)
    os.mkdir(p)
    for f in range(100):
        open(os.path.join(p, "f%03d" % f), "w").close()
os.chmod(os.path.join(base, "d007", "f001"), 0o666)
os.chmod(os.path.join(base, "d400", "f050"), 0o4755)
PY
host_run() { "$KEEL" policy host --root "$pr/root" --profile "$KEEL_SRC/config/policy/host.json" > /dev/null; [ $? -le 3 ]; }
find_run() { find "$pr/root" -xdev -perm -0002 -type f > /dev/null && find "$pr/root" -xdev -perm -4000 -type f > /dev/null; }
export -f host_run find_run
export pr
k=$(best_of 5 bash -c host_run)
p=$(best_of 5 bash -c find_run)
walk=$("$KEEL" policy host --root "$pr/root" --profile "$KEEL_SRC/config/policy/host.json" | grep '^FAIL *files.walk')
case "$walk" in *"/data/d007/f001 (world-writable)"*"/data/d400/f050 (setuid)"* | *"/data/d400/f050 (setuid)"*"/data/d007/f001 (world-writable)"*) ;;
*) echo "bench: keel policy host did not find the two planted files" >&2 ;; esac
row_time "policy host: default profile, 50,000 files" "$k" "$p" "keel policy host --root R" \
	"find R -xdev -perm -0002; find R -xdev -perm -4000"
(cd "$pr/bundle" && runc spec)
wl_run() { for i in $(seq 200); do "$KEEL" policy workload "$pr/bundle" > /dev/null; [ $? -le 1 ] || return 1; done; }
jq_run() { for i in $(seq 200); do jq . "$pr/bundle/config.json" > /dev/null || return 1; done; }
export -f wl_run jq_run
k=$(best_of 3 bash -c wl_run)
p=$(best_of 3 bash -c jq_run)
row_time "policy workload: 200 checks of one config.json (a process each)" "$k" "$p" "keel policy workload BUNDLE" "jq . config.json"
pb=$KEEL_SRC/build
ar rcs "$pr/core.a" "$pb"/obj/core/*/*.o && vp=$(cd "$KEEL_SRC" && vendor/vendor.sh prefix musl) &&
	gcc -specs "$pb/musl-static-pie.specs" -std=c11 -D_GNU_SOURCE -O2 -fPIE -I"$KEEL_SRC/core" -I"$pb" -o "$pr/psa-check" \
		"$KEEL_SRC/tests/bench/psa-check.c" "$pr/core.a" -L"$vp/mbedtls/lib" -L"$vp/zstd/lib" -L"$vp/libseccomp/lib" \
		-lmbedtls -lmbedx509 -lmbedcrypto -lzstd -lseccomp || echo "bench: could not link tests/bench/psa-check.c" >&2
us=
for i in 1 2 3; do
	read -r t nf < <("$pr/psa-check" "$pr/bundle/config.json" 20000) || break
	[ "$nf" = 11 ] || echo "bench: psa-check found $nf violations of restricted in runc spec, not 11" >&2
	[ -z "$us" ] || awk -v a="$t" -v b="$us" 'BEGIN { exit !(a < b) }' && us=$t
done
[ -n "$us" ] && row_add "policy workload: the check alone (parse + judge at restricted, one process, mean of 20,000)" "$us" - µs - \
	"psa-check config.json 20000 (tests/bench/psa-check.c)" -
rm -rf "$pr"
# Units: the exposure of 60 Debian services (the corpus of tests/compat/units.sh, fetched once by
# units_corpus) in one process each side: keel policy units FILE… against systemd-analyze
# security --offline=true FILE… (systemd 252), the same files in the same run.
if ( pass() { :; }; fail() { echo "bench: $*" >&2; }; . "$KEEL_SRC/tests/compat/lib.sh" && units_corpus ); then
	mapfile -t uf < <(find "$KEEL_SRC/build/compat-units/root/lib/systemd/system" -maxdepth 1 -type f -name '*.service' | sort | head -60)
	units_keel() { "$KEEL" policy units "${uf[@]}" > /dev/null; }
	units_sd() { systemd-analyze security --offline=true "${uf[@]}" > /dev/null 2>&1; }
	nk=$("$KEEL" policy units --json "${uf[@]}" | jq '[.units[] | select(.exposure)] | length')
	ns=$(systemd-analyze security --offline=true "${uf[@]}" 2>/dev/null | grep -c 'Overall exposure level')
	[ "$nk" = "${#uf[@]}" ] && [ "$ns" = "${#uf[@]}" ] || echo "bench: policy units: keel assessed $nk, systemd-analyze $ns of ${#uf[@]}" >&2
	k=$(best_of 5 units_keel)
	p=$(best_of 5 units_sd)
	row_time "policy units: exposure of ${#uf[@]} Debian services" "$k" "$p" "keel policy units FILE…" \
		"systemd-analyze security --offline=true FILE…"
fi
