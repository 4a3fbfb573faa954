#!/usr/bin/env bash
# ignition-apply.sh — keel provision apply against Ignition's own files stage (Debian's ignition)
# on the same configs and the same starting root: the trees must be identical (type, mode,
# owner, contents, link target of every node). Only storage (files, directories, links) and
# existing-owner configs are compared: for units and users the two differ by design (Ignition
# enables units with a preset file and runs useradd; keel writes the .wants links HOST.md
# asks for and edits the account files itself). Left out of the comparison: what each tool
# adds for itself (Ignition: etc/.ignition-result.json; keel: var/lib/keel/provision/applied)
# and the directories created only to hold those. Ignition's SELinux relabel step is given a
# no-op setfiles.
set -u
: "${KEEL:?}" "${KEEL_SRC:?}"
[ -f "$KEEL_SRC/tests/compat/lib.sh" ] && . "$KEEL_SRC/tests/compat/lib.sh"
IGN=/usr/lib/dracut/modules.d/30ignition/ignition
if [ ! -x "$IGN" ]; then
	echo "FAIL: ignition-apply: $IGN missing (Debian package ignition)"
	exit 0
fi
t=$(mktemp -d "${KEEL_TEST_TMP:-/tmp}/ignition-apply.XXXXXX")
trap 'rm -rf "$t"' EXIT
mkdir -p "$t/bin" && printf '#!/bin/sh\nexit 0\n' > "$t/bin/setfiles" && chmod +x "$t/bin/setfiles"

mkroot() {
	rm -rf "$1" && mkdir -p "$1/etc/selinux" "$1/var" &&
	printf 'SELINUX=disabled\nSELINUXTYPE=targeted\n' > "$1/etc/selinux/config" &&
	printf 'root:x:0:0:root:/root:/bin/sh\ncore:x:1000:1000::/home/core:/bin/sh\n' > "$1/etc/passwd" &&
	printf 'root:x:0:\ncore:x:1000:\n' > "$1/etc/group" &&
	printf 'existing line\n' > "$1/etc/hosts"
}
tree() {
	(cd "$1" && find . -mindepth 1 ! -path ./etc/.ignition-result.json ! -path './var/lib*' -printf '%y %m %U:%G %P %l\n' |
	LC_ALL=C sort -k4 | while read -r y m o p l; do
		case $y in
		f) echo "f $m $o $p $(sha256sum < "$p" | cut -c1-16)" ;;
		l) echo "l $o $p -> $l" ;;
		*) echo "$y $m $o $p" ;;
		esac
	done)
}

# The corpus configs that only touch storage, and a few more shapes of the same.
configs="v-fcos-hostname v-sysctl-files v-links v-append v-overwrite v-owners v-merge-data"
cat > "$t/many.ign" <<'EOF'
{"ignition":{"version":"3.3.0"},"storage":{
 "directories":[{"path":"/srv/a/b","mode":448,"user":{"id":1000}},{"path":"/srv/empty"}],
 "files":[{"path":"/srv/a/b/c.txt","contents":{"source":"data:;base64,aGVsbG8K"},"mode":384,"group":{"name":"core"}},
  {"path":"/srv/x/y/z","contents":{"source":""}},{"path":"/etc/hosts","append":[{"source":"data:,10.0.0.1%20a%0A"}]},
  {"path":"/srv/sticky","mode":1023}],
 "links":[{"path":"/srv/rel","target":"a/b/c.txt"},{"path":"/srv/abs","target":"/nonexistent/target"},
  {"path":"/srv/hard","target":"/srv/a/b/c.txt","hard":true}]}}
EOF
sed -i 's/"mode":1023/"mode":511/' "$t/many.ign" # set-id bits: Ignition 2.14 drops them for 3.3.0 configs
# As Butane writes contents (coreos/butane base/util/url.go): gzip at best compression, base64 in
# a data: URL, "compression":"gzip", the hash over the decompressed data; for files, an append
# and a merged config that itself holds a compressed file.
gz() { printf 'data:;base64,%s' "$(gzip -9 -n | base64 -w0)"; }
child=$(printf '{"ignition":{"version":"3.3.0"},"storage":{"files":[{"path":"/srv/child.conf","contents":{"source":"%s","compression":"gzip"}}]}}' \
	"$(seq 1 300 | gz)" | gz)
cat > "$t/butane.ign" <<EOF
{"ignition":{"version":"3.3.0","config":{"merge":[{"source":"$child","compression":"gzip"}]}},"storage":{
 "files":[{"path":"/srv/big.txt","mode":420,"contents":{"source":"$(gz < "$KEEL_SRC/README.md")","compression":"gzip",
   "verification":{"hash":"sha512-$(sha512sum < "$KEEL_SRC/README.md" | cut -d' ' -f1)"}}},
  {"path":"/etc/hosts","append":[{"source":"$(seq 1000 1100 | gz)","compression":"gzip"}]},
  {"path":"/srv/empty.gz","contents":{"source":"$(: | gz)","compression":"gzip"}}]}}
EOF
for name in $configs many butane; do
	f=$KEEL_SRC/tests/compat/ignition/$name.ign
	[ "$name" = many ] || [ "$name" = butane ] && f=$t/$name.ign
	mkroot "$t/k" && mkroot "$t/i"
	out=$("$KEEL" provision apply --root "$t/k" "$f" 2>&1) || { echo "FAIL: ignition-apply: $name: keel: $out"; continue; }
	rm -f "$t/cache" "$t/state"
	if ! out=$(IGNITION_CONFIG_FILE=$f "$IGN" -platform file -stage fetch -root "$t/i" -config-cache "$t/cache" \
		-state-file "$t/state" -log-to-stdout 2>&1 &&
		PATH=$t/bin:$PATH "$IGN" -platform file -stage files -root "$t/i" -config-cache "$t/cache" \
		-state-file "$t/state" -log-to-stdout 2>&1); then
		echo "FAIL: ignition-apply: $name: ignition: $(printf '%s' "$out" | grep -m1 CRITICAL)"
		continue
	fi
	if d=$(diff <(tree "$t/k") <(tree "$t/i")); then
		echo "PASS: ignition-apply: $name ($(tree "$t/k" | wc -l) nodes)"
	else
		echo "FAIL: ignition-apply: $name: trees differ (< keel, > ignition)"
		printf '%s\n' "$d" | head -10 | sed 's/^/  /'
	fi
done
