# tuf-sign.sh — forging TUF metadata for the attack catalogues (sourced by tuf.test and
# update.test): a document edited with jq, then signed again over its canonical form (`keel json
# --canonical`) with openssl, so each forgery differs from a good document in one point only.
# Needs KEEL; works in the current directory (s.json, s.canon, FILE.new, FILE.e).

# keyid ROLE ROOTFILE [N]: the Nth key id of ROLE
keyid() { jq -r ".signed.roles.$1.keyids[${3:-0}]" "$2"; }
# resign FILE ID=KEY...: replace FILE's signatures by these (RSA keys sign with PSS)
resign() {
	local f=$1 kv s opt sigs=
	shift
	jq -c .signed "$f" > s.json && $KEEL json --canonical s.json > s.canon || return 1
	for kv; do
		opt=
		grep -q "BEGIN PRIVATE KEY" "${kv#*=}" && openssl pkey -in "${kv#*=}" -noout -text 2>/dev/null | grep -q modulus &&
			opt="-sigopt rsa_padding_mode:pss -sigopt rsa_pss_saltlen:32"
		s=$(openssl dgst -sha256 $opt -sign "${kv#*=}" s.canon | xxd -p | tr -d '\n')
		sigs="$sigs${sigs:+,}{\"keyid\":\"${kv%%=*}\",\"sig\":\"$s\"}"
	done
	jq -c "{signatures:[$sigs], signed:.signed}" "$f" > "$f.new" && mv "$f.new" "$f"
}
# edit FILE JQ ID=KEY...: change .signed with a jq filter, then resign
edit() { local f=$1 q=$2; shift 2; jq -c "$q" "$f" > "$f.e" && mv "$f.e" "$f" && resign "$f" "$@"; }
