#!/usr/bin/env bash
# tests/compat/sig.sh — signatures made by openssl (dgst -sign, pkeyutl -sign) verify in
# `keel verify sig`; a one-byte forgery of the file or the signature, another key, or a
# signature that does not suit the key fails with exit 1; key ids equal openssl's DER sha256.
set -u
: "${KEEL:?}"
K="$KEEL verify"
. "$(dirname "$(readlink -f "$0")")/lib.sh"
compat_init sig
need openssl xxd || exit 0

openssl ecparam -name prime256v1 -genkey -noout -out p256.key 2>/dev/null
openssl ecparam -name secp384r1 -genkey -noout -out p384.key 2>/dev/null
openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out rsa2048.key 2>/dev/null
openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:3072 -out rsa3072.key 2>/dev/null
openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:1024 -out rsa1024.key 2>/dev/null
openssl ecparam -name prime256v1 -genkey -noout -out other.key 2>/dev/null
for k in p256 p384 rsa2048 rsa3072 rsa1024 other; do
	openssl pkey -in $k.key -pubout -out $k.pub
	openssl pkey -in $k.key -pubout -outform DER -out $k.der
done
head -c 1000003 /dev/urandom > msg

# ECDSA: DER signatures from openssl dgst, SHA-256 and SHA-512, PEM and DER keys
for k in p256 p384; do
	for h in sha256 sha512; do
		opt=$([ $h = sha512 ] && echo --sha512)
		openssl dgst -$h -sign $k.key -out $k.$h.sig msg
		expect "$k $h DER signature, PEM key" 0 "" -- $K sig --key $k.pub $opt msg $k.$h.sig
		expect "$k $h DER signature, DER key" 0 "" -- $K sig --key $k.der $opt msg $k.$h.sig
	done
done
# ECDSA raw r|s (as JOSE/PKCS#11 carry it), built from openssl's DER
raw_rs() { # SIG BYTES
	openssl asn1parse -inform DER -in "$1" | awk -F: '/INTEGER/ { print $NF }' |
		while read -r x; do printf "%0$(($2 * 2))s" "$x" | tr ' ' 0; done | xxd -r -p
}
raw_rs p256.sha256.sig 32 > p256.raw
expect "p256 raw r|s signature, --alg ecdsa-raw" 0 "" -- $K sig --key p256.pub --alg ecdsa-raw msg p256.raw
raw_rs p384.sha256.sig 48 > p384.raw
expect "p384 raw r|s signature, --alg ecdsa-raw" 0 "" -- $K sig --key p384.pub --alg ecdsa-raw msg p384.raw
expect "raw r|s is not DER: exit 1 without --alg ecdsa-raw" 1 "not a DER ECDSA signature" -- $K sig --key p256.pub msg p256.raw
expect "DER is not raw r|s: exit 1 with --alg ecdsa-raw" 1 "not raw r|s" -- $K sig --key p256.pub --alg ecdsa-raw msg p256.sha256.sig
# openssl as the oracle of canonical DER: many signatures, so r and s come in every length openssl
# writes (with a sign byte, without, a byte shorter), all verify
ok=0 n=0
for i in $(seq 1 40); do
	for k in p256 p384; do
		n=$((n + 1))
		printf 'message %s' "$i" > m.$i
		openssl dgst -sha256 -sign $k.key -out m.$i.$k.sig m.$i
		$K sig --key $k.pub m.$i m.$i.$k.sig >/dev/null 2>&1 && ok=$((ok + 1))
	done
done
[ $ok = $n ] && pass "$n openssl ECDSA signatures (P-256, P-384) all verify" || fail "only $ok of $n openssl ECDSA signatures verify"
# the same signature re-encoded with a needless 00 before r (BER, not DER): refused
der=$(xxd -p -c 256 p256.sha256.sig)
rl=$((16#${der:6:2}))
printf '30%02x02%02x00%s' $((16#${der:2:2} + 1)) $((rl + 1)) "${der:8}" | xxd -r -p > ber.sig
expect "needless 00 before r: exit 1" 1 "not a DER ECDSA signature" -- $K sig --key p256.pub msg ber.sig
# pkeyutl over a digest, and keel's --digest mode
openssl dgst -sha256 -binary msg > msg.d
openssl pkeyutl -sign -inkey p256.key -in msg.d -out pk.sig
expect "pkeyutl ECDSA signature over the file" 0 "" -- $K sig --key p256.pub msg pk.sig
expect "pkeyutl ECDSA signature, --digest" 0 "" -- $K sig --key p256.pub --digest "$(xxd -p -c 64 msg.d)" pk.sig

# RSA PKCS#1 v1.5 and PSS
for k in rsa2048 rsa3072; do
	for h in sha256 sha512; do
		opt=$([ $h = sha512 ] && echo --sha512)
		openssl dgst -$h -sign $k.key -out $k.$h.sig msg
		expect "$k $h PKCS#1 v1.5" 0 "" -- $K sig --key $k.pub $opt msg $k.$h.sig
		for salt in digest max auto; do
			openssl dgst -$h -sign $k.key -sigopt rsa_padding_mode:pss -sigopt rsa_pss_saltlen:$salt -out pss.sig msg
			expect "$k $h PSS salt $salt" 0 "" -- $K sig --key $k.der --alg rsa-pss $opt msg pss.sig
		done
	done
done
openssl dgst -sha256 -sign rsa2048.key -sigopt rsa_padding_mode:pss -out pss-default.sig msg
expect "PSS with openssl's default salt" 0 "" -- $K sig --key rsa2048.pub --alg rsa-pss msg pss-default.sig
openssl pkeyutl -sign -inkey rsa2048.key -in msg.d -pkeyopt digest:sha256 -out pkcs1-pk.sig
expect "pkeyutl PKCS#1 v1.5 signature" 0 "" -- $K sig --key rsa2048.pub msg pkcs1-pk.sig
openssl pkeyutl -sign -inkey rsa2048.key -in msg.d -pkeyopt digest:sha256 -pkeyopt rsa_padding_mode:pss -out pss-pk.sig
expect "pkeyutl PSS signature" 0 "" -- $K sig --key rsa2048.pub --alg rsa-pss msg pss-pk.sig

# forgeries: exit 1
cp msg msg.forged; flip msg.forged 500000
expect "one byte of the file changed: exit 1" 1 "" -- $K sig --key p256.pub msg.forged p256.sha256.sig
expect "one byte of the file changed, RSA: exit 1" 1 "" -- $K sig --key rsa2048.pub msg.forged rsa2048.sha256.sig
for off in 10 40 70; do
	cp p256.sha256.sig f.sig; flip f.sig $off
	expect "one byte of the ECDSA signature changed at $off: exit 1" 1 "" -- $K sig --key p256.pub msg f.sig
done
cp p256.raw f.raw; flip f.raw 63
expect "one byte of a raw signature changed: exit 1" 1 "" -- $K sig --key p256.pub --alg ecdsa-raw msg f.raw
cp rsa2048.sha256.sig f.sig; flip f.sig 128
expect "one byte of the RSA signature changed: exit 1" 1 "" -- $K sig --key rsa2048.pub msg f.sig
expect "another key: exit 1" 1 "" -- $K sig --key other.pub msg p256.sha256.sig
expect "PKCS#1 signature checked as PSS: exit 1" 1 "" -- $K sig --key rsa2048.pub --alg rsa-pss msg rsa2048.sha256.sig
expect "SHA-512 signature checked as SHA-256: exit 1" 1 "" -- $K sig --key p256.pub msg p256.sha512.sig
expect "RSA signature with an EC key: exit 1" 1 "" -- $K sig --key p256.pub msg rsa2048.sha256.sig
expect "P-384 signature with a P-256 key: exit 1" 1 "" -- $K sig --key p256.pub --alg ecdsa-raw msg p384.raw
head -c $(($(stat -c %s p256.sha256.sig) - 1)) p256.sha256.sig > trunc.sig # one byte short (DER length varies: 70-72)
expect "truncated signature: exit 1" 1 "" -- $K sig --key p256.pub msg trunc.sig
: > empty.sig
expect "empty signature: exit 1" 1 "" -- $K sig --key p256.pub msg empty.sig
expect "1024-bit RSA key refused: exit 3" 3 "" -- $K sig --key rsa1024.pub msg rsa2048.sha256.sig
expect "a private key is not a public key: exit 3" 3 "" -- $K sig --key p256.key msg p256.sha256.sig
expect "missing key file: exit 3" 3 "" -- $K sig --key nonexistent.pub msg p256.sha256.sig
expect "no key and no keys directory: exit 3" 3 "" -- $K sig --keys nonexistent msg p256.sha256.sig

# trusted-keys directory: the right key is found among several; a README is ignored
mkdir keys
cp p256.pub p384.der rsa2048.pub keys/
echo "trusted keys" > keys/README
expect "keys directory, ECDSA" 0 "" -- $K sig --keys keys msg p256.sha256.sig
expect "keys directory, RSA" 0 "" -- $K sig --keys keys msg rsa2048.sha256.sig
expect "keys directory, forged file: exit 1" 1 "" -- $K sig --keys keys msg.forged p256.sha256.sig
expect "keys directory, key not in it: exit 1" 1 "" -- $K sig --keys keys msg "$(openssl dgst -sha256 -sign other.key -out o.sig msg; echo o.sig)"
id=$(openssl pkey -pubin -in p256.pub -outform DER | sha256sum | cut -c1-64)
expect "--key-id selects the key" 0 "" -- $K sig --keys keys --key-id "$id" msg p256.sha256.sig
expect "--key-id of another key: exit 1" 1 "" -- $K sig --keys keys --key-id "$id" msg rsa2048.sha256.sig
mkdir nokeys; echo x > nokeys/README
expect "empty keys directory: exit 3" 3 "" -- $K sig --keys nokeys msg p256.sha256.sig

# key ids: sha256 of the DER SubjectPublicKeyInfo, as openssl writes it
ok=1
for k in p256 p384 rsa2048; do
	want=$(sha256sum < $k.der | cut -c1-64)
	got=$($K key-id $k.pub | cut -c1-64)
	[ "$got" = "$want" ] || { ok=0; fail "key id of $k: $got, openssl $want"; }
done
[ $ok = 1 ] && pass "key ids equal sha256 of openssl's DER SPKI"
