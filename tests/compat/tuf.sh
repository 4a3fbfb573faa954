#!/usr/bin/env bash
# tests/compat/tuf.sh — TUF interoperability with the peer, both ways: a repository made with
# @tufjs/models (tests/compat/tuf/make-repo.js: consistent snapshots, a rotated root, an RSA-PSS
# targets key) is refreshed and downloaded by `keel update`; repositories made by `keel update
# publish` pass the tuf-js Updater (tests/compat/tuf/client.js) served over loopback HTTP, which
# keel's own HTTP fetcher reads too. A forged byte is refused by both. Where keel is stricter by
# design, the peer's leniency is shown on the same forged repository (one key under two key ids
# counted twice; an EC key declared RSA-PSS verifying). The pinned npm packages are installed into
# build/npm at test time.
set -u
: "${KEEL:?}" "${KEEL_SRC:?}"
. "$(dirname "$(readlink -f "$0")")/lib.sh"
compat_init tuf
need node npm openssl python3 || exit 0
TUFJS=6.0.2 MODELS=5.0.2
NPM=$KEEL_SRC/build/npm
if ! grep -qs "\"version\": \"$TUFJS\"" "$NPM/node_modules/tuf-js/package.json" ||
	! grep -qs "\"version\": \"$MODELS\"" "$NPM/node_modules/@tufjs/models/package.json"; then
	npm install --prefix "$NPM" --no-audit --no-fund --no-save "tuf-js@$TUFJS" "@tufjs/models@$MODELS" > npm.log 2>&1 ||
		{ fail "npm install tuf-js@$TUFJS @tufjs/models@$MODELS: $(tail -3 npm.log | tr '\n' ' ')"; exit 0; }
fi
export NODE_PATH=$NPM/node_modules
JS=$KEEL_SRC/tests/compat/tuf
U="$KEEL update"

# serve DIR: a loopback HTTP server for DIR; sets PORT and remembers its pid
pids=()
trap 'for p in "${pids[@]}"; do kill "$p" 2>/dev/null; done; rm -rf "$W"' EXIT
serve() {
	python3 -m http.server --bind 127.0.0.1 --directory "$1" 0 > "http.$2.log" 2>&1 &
	pids+=($!)
	for _ in $(seq 50); do
		PORT=$(grep -so 'port [0-9]*' "http.$2.log" | cut -d' ' -f2)
		[ -n "$PORT" ] && return 0
		sleep 0.1
	done
	fail "http.server did not start: $(cat "http.$2.log")"
	return 1
}

# ---- @tufjs/models -> keel ---------------------------------------------------------------------
echo "payload made for tuf-js" > t.img
if node "$JS/make-repo.js" J t.img 2> node.err; then
	pass "@tufjs/models made a repository"
else
	fail "@tufjs/models: $(head -c 300 node.err)"
fi
mkdir TJ
expect "keel refreshes the @tufjs/models repository (root rotated 1 -> 2, consistent snapshot)" 0 "" -- \
	$U refresh --repo J --trust TJ --root J/metadata/1.root.json
grep -qx "root 2, timestamp 1, snapshot 1, targets 1; updated: root timestamp snapshot targets" out &&
	pass "keel trusts root 2 and the other roles' version 1" || fail "refresh said: $(cat out)"
expect "keel reads the target's custom fields" 0 "" -- $U target --trust TJ --json t.img
[ "$(jq -c .custom out)" = '{"version":"2026.1","made_by":"tufjs"}' ] && pass "custom fields as @tufjs/models wrote them" ||
	fail "custom: $(cat out)"
expect "keel downloads the hash-prefixed target" 0 "" -- $U download --repo J --trust TJ t.img got.img
cmp -s got.img t.img && pass "downloaded bytes are the target's" || fail "downloaded bytes differ"
cp -a J Jf && f=$(ls Jf/targets/*) && flip "$f" 3
expect "a flipped byte in the @tufjs/models target is refused" 1 "sha256 mismatch" -- $U download --repo Jf --trust TJ t.img bad.img
cp -a J Jt && sed -i 's/"version": 1/"version": 7/' Jt/metadata/timestamp.json && mkdir TJt
expect "a @tufjs/models timestamp edited without a new signature is refused" 1 "signed by 0 distinct keys of timestamp" -- \
	$U refresh --repo Jt --trust TJt --root J/metadata/1.root.json

# ---- keel -> tuf-js ----------------------------------------------------------------------------
for k in root root2 ts snap; do openssl ecparam -name prime256v1 -genkey -noout -out $k.key 2>/dev/null; done
openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out tgt.key 2>/dev/null
echo "payload made by keel" > k.img
sign="--key timestamp=ts.key --key snapshot=snap.key --key targets=tgt.key"
for cs in "--consistent-snapshot" ""; do
	K=K${cs:+c}
	$U publish init --repo $K $cs --key root=root.key $sign > /dev/null &&
		$U publish add --repo $K $sign --custom '{"release":"2"}' k.img=os/k.img > /dev/null &&
		$U publish rotate --repo $K --key root=root.key --new root=root2.key > /dev/null &&
		$U publish add --repo $K $sign > /dev/null ||
		{ fail "keel publish ${cs:-plain}"; continue; }
	serve $K $K || continue
	expect "tuf-js Updater accepts keel's repository (${cs:-no consistent snapshot}, rotated root, RSA-PSS targets)" 0 "" -- \
		node "$JS/client.js" "http://127.0.0.1:$PORT/metadata" "http://127.0.0.1:$PORT/targets" "$W/cache$K" \
		$K/metadata/1.root.json os/k.img "$W/tj$K.img"
	grep -qx '{"release":"2"} 21' out && cmp -s "tj$K.img" k.img && pass "tuf-js read the custom fields and the bytes (${cs:-plain})" ||
		fail "tuf-js said: $(cat out)"
	mkdir T$K
	expect "keel refreshes the same repository over loopback HTTP (${cs:-plain})" 0 "" -- \
		$U refresh --repo "http://127.0.0.1:$PORT" --trust T$K --root $K/metadata/1.root.json
	grep -qx "root 2, timestamp 3, snapshot 3, targets 3; updated: root timestamp snapshot targets" out &&
		pass "keel over HTTP: root 2, version 3 (${cs:-plain})" || fail "refresh over HTTP said: $(cat out)"
	expect "keel downloads over loopback HTTP (${cs:-plain})" 0 "" -- $U download --repo "http://127.0.0.1:$PORT" --trust T$K os/k.img "h$K.img"
	cmp -s "h$K.img" k.img && pass "downloaded over HTTP: the target's bytes" || fail "HTTP download differs"
done
# one forgery, judged by both: a flipped byte in the target keel published
f=$(ls Kc/targets/os/$(sha256sum k.img | cut -c1-64).k.img) && flip "$f" 2
serve Kc forged
expect "tuf-js refuses the flipped target too" 1 "" -- node "$JS/client.js" "http://127.0.0.1:$PORT/metadata" \
	"http://127.0.0.1:$PORT/targets" "$W/cacheF" Kc/metadata/1.root.json os/k.img "$W/tjF.img"
expect "keel refuses the flipped target over HTTP" 1 "sha256 mismatch" -- $U download --repo "http://127.0.0.1:$PORT" --trust TKc os/k.img bad.img

# where keel is stricter than the peer, by design (FORMATS: TUF): tuf-js accepts these, keel refuses
resign() { # FILE ID=KEY...: new signatures over the canonical "signed" (EC keys)
	local f=$1 kv s sigs=
	shift
	jq -c .signed "$f" > s.json && $KEEL json --canonical s.json > s.canon || return 1
	for kv; do
		s=$(openssl dgst -sha256 -sign "${kv#*=}" s.canon | xxd -p | tr -d '\n')
		sigs="$sigs${sigs:+,}{\"keyid\":\"${kv%%=*}\",\"sig\":\"$s\"}"
	done
	jq "{signatures:[$sigs], signed:.signed}" "$f" > "$f.new" && mv "$f.new" "$f"
}
$U publish init --repo S --key root=root.key --key timestamp=ts.key --key snapshot=snap.key --key targets=snap.key > /dev/null &&
	$U publish add --repo S --key timestamp=ts.key --key snapshot=snap.key --key targets=snap.key k.img > /dev/null
RT=$(jq -r '.signed.roles.root.keyids[0]' S/metadata/root.json) TS=$(jq -r '.signed.roles.timestamp.keyids[0]' S/metadata/root.json)
stricter() { # NAME JQ-EDIT-OF-ROOT TIMESTAMP-SIGNERS... : tuf-js takes the forged repository, keel does not
	local name=$1 q=$2 d=S$((++nstrict))
	shift 2
	cp -a S $d && jq "$q" S/metadata/1.root.json > $d/metadata/1.root.json && resign $d/metadata/1.root.json "$RT=root.key" &&
		cp $d/metadata/1.root.json $d/metadata/root.json && resign $d/metadata/timestamp.json "$@" || { fail "$name: forging"; return; }
	serve $d $d || return
	expect "tuf-js accepts: $name" 0 "" -- node "$JS/client.js" "http://127.0.0.1:$PORT/metadata" \
		"http://127.0.0.1:$PORT/targets" "$W/cache$d" $d/metadata/1.root.json k.img "$W/tj$d.img"
	mkdir T$d
	expect "keel refuses: $name" 1 "timestamp: signed by" -- $U refresh --repo $d --trust T$d --root $d/metadata/1.root.json
}
nstrict=0
stricter "one key under two key ids meets threshold 2" \
	".signed.keys.twin=.signed.keys[\"$TS\"] | .signed.roles.timestamp.keyids+=[\"twin\"] | .signed.roles.timestamp.threshold=2" \
	"$TS=ts.key" "twin=ts.key"
stricter "an EC key declared rsa/rsassa-pss-sha256" \
	".signed.keys[\"$TS\"].keytype=\"rsa\" | .signed.keys[\"$TS\"].scheme=\"rsassa-pss-sha256\"" "$TS=ts.key"
