# diag.bench.sh — rows for `keel diag` (sourced by tests/bench/run.sh).
# Redaction rate on a 100 MiB synthetic log (service lines, key=value, JSON, URLs, shadow-style
# hashes, headers), keel diag redact against sed -E with the equivalent single-line patterns (sed
# cannot do the multi-line private-key rule or argv-aware masking: it does less work).
log=$BENCH_TMP/diag-100m.log
if [ ! -s "$log" ]; then
	awk 'BEGIN {
		srand(1)
		while (n < 104857600) {
			r = int(rand() * 8)
			if (r == 0) l = sprintf("2026-12-03T17:%02d:%02d app[%d]: request id=%d path=/v1/items/%d status=200 took=%dms", n % 60, n % 59, n % 999, n, n % 777, n % 97)
			else if (r == 1) l = sprintf("{\"level\":\"info\",\"msg\":\"login\",\"user\":\"u%d\",\"password\":\"p%d w%d\"}", n, n, n)
			else if (r == 2) l = sprintf("db_password = hunter%d more words here", n)
			else if (r == 3) l = sprintf("fetch https://user%d:pass%d@registry.example.com/v2/ ok", n, n)
			else if (r == 4) l = sprintf("u%d:$6$rounds=5000$salt%d$Hh0Zk1W4i9VpZk1W4i9VpZk1W4i9VpZk1W4i9V:19000:0:99999:7:::", n, n)
			else if (r == 5) l = sprintf("Authorization: Bearer tok%d.abcdef.ghijkl", n)
			else l = sprintf("kernel: [%d.%06d] eth0: link up, 1000 Mbps, full duplex, lpa 0x%04x tokenizer=bert", n % 9999, n % 999999, n % 65535)
			print l; n += length(l) + 1
		}
	}' > "$log"
fi
cat "$log" > /dev/null
size=$(stat -c %s "$log")
sed_redact() {
	sed -E -e 's/(([A-Za-z0-9_.-]*(password|passwd|secret|token|apikey|api_key|credentials|private_key|authorization)[A-Za-z0-9_.-]*)["'"'"']?[ \t]*[:=][ \t]*).*/\1[REDACTED]/I' \
		-e 's#(\$(1|2a|2b|2y|5|6|y)\$)[./A-Za-z0-9$=,+]{8,}#\1[REDACTED]#g' \
		-e 's#(://)[^/@ ]*:[^/@ ]*@#\1[REDACTED]@#g' "$log"
}
keel_redact() { "$KEEL" diag redact "$log"; }
k=$(best_of 3 keel_redact)
p=$(best_of 3 sed_redact)
kr=$(awk -v s="$size" -v t="$k" 'BEGIN { if (t > 0) printf "%.0f", s / t / 1e6; else print 0 }')
pr=$(awk -v s="$size" -v t="$p" 'BEGIN { if (t > 0) printf "%.0f", s / t / 1e6; else print 0 }')
left=$("$KEEL" diag redact "$log" | "$KEEL" diag scan | wc -l)
[ "$left" = 0 ] || echo "bench: the scanner found $left secrets in keel's redacted log!" >&2
row_rate "redaction of a 100 MiB log" "$kr" "$pr" "MB/s" "keel diag redact LOG" "sed -E (the single-line rules)"

# keel's own zstd writer (keel diag zstd) against zstd -1 (single thread), on the machine's
# /var/log (real logs) and on the 100 MiB log above: compressed size and speed.
vl=$BENCH_TMP/varlog
find /var/log -type f -size -50M -exec cat {} + > "$vl" 2>/dev/null
for f in "$vl" "$log"; do
	[ -s "$f" ] || { echo "bench: $f is empty" >&2; continue; }
	sz=$(stat -c %s "$f")
	ks=$("$KEEL" diag zstd "$f" | wc -c)
	ps=$(zstd -1 --single-thread -q -c "$f" | wc -c)
	zstd -dc < <("$KEEL" diag zstd "$f") | cmp -s - "$f" || echo "bench: keel diag zstd $f does not round-trip!" >&2
	row_size "zstd of ${f##*/} ($((sz / 1024)) KiB): compressed size" $((ks / 1024)) $((ps / 1024)) \
		"keel diag zstd" "zstd -1 --single-thread"
	k=$(best_of 3 "$KEEL" diag zstd "$f")
	p=$(best_of 3 zstd -1 --single-thread -q -c "$f")
	row_time "zstd of ${f##*/} ($((sz / 1024)) KiB): time" "$k" "$p" "keel diag zstd" "zstd -1 --single-thread"
done

# A bundle of this machine: time and compressed size (goal < 2 s, < 1 MiB).
kb() { "$KEEL" diag bundle -o "$BENCH_TMP/b.tar.zst"; }
bt=$(best_of 3 kb)
ROWS+=("diag bundle of this machine | $bt s, $(($(stat -c %s "$BENCH_TMP/b.tar.zst") / 1024)) KiB compressed ($(($(zstd -dc "$BENCH_TMP/b.tar.zst" | wc -c) / 1024)) KiB tar) | - | - | \`keel diag bundle -o b.tar.zst\` (goal < 2 s, < 1 MiB)")

# A bundle on the VM host: one boot of a test image (qemu TCG, 1 CPU, 256 MiB, tests/vm/lib.sh),
# whose unit runs keel diag bundle three times and prints on the console keel's own elapsed ms
# (measured inside the VM), /proc/uptime's difference around the command (10 ms steps) and the
# file's size; the row takes the fastest run (goal < 2 s, < 1 MiB).
. "$KEEL_SRC/tests/vm/lib.sh"
fx=$VM_CACHE/fx-diag-bench
rm -rf "$fx" && mkdir -p "$fx/bin" "$fx/lib/keel-test" "$fx/lib/systemd/system/multi-user.target.wants"
cp /bin/busybox "$fx/bin/busybox"
cat > "$fx/lib/keel-test/diag-bench" <<'X'
#!/usr/bin/busybox sh
bb=/usr/bin/busybox
for i in 1 2 3; do
	u0=$($bb cut -d' ' -f1 /proc/uptime)
	/usr/bin/keel diag bundle -o /run/b.tar.zst > /run/b.out 2>&1
	u1=$($bb cut -d' ' -f1 /proc/uptime)
	echo "BENCH BUNDLE $($bb sed -n 's/.*, \([0-9]*\) ms$/\1/p' /run/b.out) ms wall $($bb awk -v a="$u0" -v b="$u1" 'BEGIN { printf "%d", (b - a) * 1000 }') ms $($bb stat -c %s /run/b.tar.zst) bytes" > /dev/console
done
exec /usr/bin/keel init poweroff
X
printf '[Unit]\nDescription=diag bench: keel diag bundle on the VM host\n\n[Service]\nType=oneshot\nExecStart=/usr/bin/busybox sh /usr/lib/keel-test/diag-bench\n' \
	> "$fx/lib/systemd/system/diag-bench.service"
ln -s ../diag-bench.service "$fx/lib/systemd/system/multi-user.target.wants/diag-bench.service"
vb= vs= vw= vall=
if vm_image diag-bench --extra-usr "$fx" > /dev/null && disk=$(vm_copy diag-bench) && vm_start "$disk" && vm_wait_exit 300; then
	tr -d '\r' < "$VM_LOG" | sed -n 's/^BENCH BUNDLE \([0-9][0-9]*\) ms wall \([0-9]*\) ms \([0-9]*\) bytes$/\1 \2 \3/p' > "$BENCH_TMP/vm-bundle"
	read -r vb vw vs < <(sort -n "$BENCH_TMP/vm-bundle" | head -1)
	vall=$(cut -d' ' -f1 "$BENCH_TMP/vm-bundle" | paste -sd,)
fi
vm_stop
[ -n "$vb" ] || { echo "bench: no bundle on the VM host" >&2; tail -5 "$VM_LOG" >&2; }
rm -rf "$VM_DIR"
trap 'rm -rf "$BENCH_TMP"' EXIT # lib.sh took the EXIT trap (run.sh's)
ROWS+=("diag bundle on the VM host (qemu TCG, fastest of 3 in one boot) | $(awk -v m="${vb:-0}" 'BEGIN { printf "%.3f", m / 1000 }') s (wall $(awk -v m="${vw:-0}" 'BEGIN { printf "%.2f", m / 1000 }') s), $(( ${vs:-0} / 1024 )) KiB compressed | - | - | \`keel diag bundle -o /run/b.tar.zst\` in the VM, keel's own time (runs: ${vall:-none} ms; goal < 2 s, < 1 MiB: $([ -n "$vb" ] && [ "$vb" -lt 2000 ] && [ "${vs:-0}" -lt 1048576 ] && echo met || echo NOT met))")

# --obfuscate (every item through the token mapper) against the plain bundle, and keel diag diff
# of two bundles of this machine (both read as untrusted: zstd, tar, every sha256 checked).
ko() { "$KEEL" diag bundle --obfuscate -o "$BENCH_TMP/o.tar.zst"; }
ot=$(best_of 3 ko)
row_time "diag bundle --obfuscate of this machine" "$ot" "$bt" "keel diag bundle --obfuscate" "keel diag bundle (not obfuscated)"
"$KEEL" diag bundle -o "$BENCH_TMP/b2.tar.zst" > /dev/null
kd() { "$KEEL" diag diff "$BENCH_TMP/b.tar.zst" "$BENCH_TMP/b2.tar.zst"; [ $? -le 1 ]; } # 1: they differ
dt=$(best_of 3 kd)
ROWS+=("diag diff of two bundles of this machine | $dt s | - | - | \`keel diag diff A.tar.zst B.tar.zst\`")
