# tls.sh — keel's https client (core/net/http.c over the mbedtls of vendor/keel_mbedtls_config.h)
# against openssl s_server on 127.0.0.1: TLS 1.2 and TLS 1.3, each with an RSA-2048, an ECDSA
# P-256 and an ECDSA P-384 server certificate (signed by an RSA or an ECDSA authority), and the
# TLS 1.2 suites keel offers (ECDHE with AES-GCM, SHA-256 and SHA-384). The server is pinned to one
# version and suite (or signature scheme) at a time, so each case is that handshake; a file fetched through
# `keel provision apply` must arrive byte for byte (its sha256 is verified). Controls: a server
# offering only a CBC suite, and one whose certificate another authority signed, are refused.
# Run whenever vendor/keel_mbedtls_config.h changes.
. "$(dirname "$0")/lib.sh"
compat_init tls
need openssl || exit 0
mkdir -p www r
head -c 200000 /dev/urandom > www/blob
SHA=$(sha256sum < www/blob | cut -d' ' -f1)
S_PID=
trap 'kill $S_PID 2>/dev/null; rm -rf "$W"' EXIT

# authorities and server certificates (CN and SAN localhost)
ca() { # NAME KEYARGS…
	local n=$1; shift
	openssl req -x509 -newkey "$@" -nodes -days 2 -subj "/CN=keel-test-$n" -keyout "$n.key" -out "$n.pem" 2>/dev/null
}
srv() { # NAME CA KEYARGS…
	local n=$1 c=$2; shift 2
	openssl req -newkey "$@" -nodes -subj /CN=localhost -keyout "$n.key" -out "$n.csr" 2>/dev/null &&
		openssl x509 -req -in "$n.csr" -CA "$c.pem" -CAkey "$c.key" -CAcreateserial -days 2 \
			-extfile <(printf 'subjectAltName=DNS:localhost\n') -out "$n.pem" 2>/dev/null
}
ca ca-rsa rsa:2048 && ca ca-ec ec -pkeyopt ec_paramgen_curve:P-256 && ca other ec -pkeyopt ec_paramgen_curve:P-256 &&
	srv rsa ca-ec rsa:2048 && srv p256 ca-rsa ec -pkeyopt ec_paramgen_curve:P-256 &&
	srv p384 ca-ec ec -pkeyopt ec_paramgen_curve:P-384 || { fail "openssl could not make the certificates"; exit 0; }
cat ca-rsa.pem ca-ec.pem > cas.pem

# serve www/ with one certificate, version and suite; prints the port
serve() { # CERT S_SERVER-ARGS…
	local c=$1 port
	shift
	kill $S_PID 2>/dev/null
	wait $S_PID 2>/dev/null
	for port in $(shuf -i 20000-60000 -n 20); do
		(cd www && exec openssl s_server -quiet -WWW -accept "127.0.0.1:$port" -cert "../$c.pem" -key "../$c.key" "$@") \
			> s_server.log 2>&1 &
		S_PID=$!
		for _ in $(seq 30); do
			(exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null && { echo "$port"; return 0; }
			kill -0 $S_PID 2>/dev/null || break
			sleep 0.1
		done
		kill $S_PID 2>/dev/null
	done
	return 1
}
fetch() { # PORT CA-FILE -> exit status of keel provision apply; the file at r/blob
	local ca
	ca="data:;base64,$(base64 -w0 < "$2")"
	rm -rf r && mkdir -p r/etc
	printf '{"ignition":{"version":"3.3.0","security":{"tls":{"certificateAuthorities":[{"source":"%s"}]}}},"storage":{"files":[{"path":"/blob","contents":{"source":"https://localhost:%s/blob","verification":{"hash":"sha256-%s"}}}]}}' \
		"$ca" "$1" "$SHA" > cfg.ign
	"$KEEL" provision apply --root r --retries 0 --ca /nonexistent cfg.ign > out 2> err
}
case_ok() { # NAME CERT S_SERVER-ARGS…
	local name=$1 cert=$2 port
	shift 2
	port=$(serve "$cert" "$@") || { fail "$name: s_server did not start ($(head -c 200 www/s_server.log))"; return; }
	if fetch "$port" cas.pem && [ "$(sha256sum < r/blob | cut -d' ' -f1)" = "$SHA" ]; then
		pass "$name: fetched 200,000 bytes"
	else
		fail "$name: $(head -c 300 err)"
	fi
}
case_refused() { # NAME NEEDLE CA-FILE CERT S_SERVER-ARGS…
	local name=$1 needle=$2 cafile=$3 cert=$4 port
	shift 4
	port=$(serve "$cert" "$@") || { fail "$name: s_server did not start"; return; }
	if fetch "$port" "$cafile"; then
		fail "$name: keel accepted it"
	elif [ -e r/blob ]; then
		fail "$name: refused, but r/blob was written"
	elif ! grep -qF -- "$needle" err; then
		fail "$name: refused for another reason: $(head -c 300 err)"
	else
		pass "$name: refused ($(head -c 160 err | tr '\n' ' '))"
	fi
}

for cert in rsa p256 p384; do
	case_ok "TLS 1.3, $cert certificate" "$cert" -tls1_3
done
case_ok "TLS 1.3, TLS_AES_256_GCM_SHA384 only" p256 -tls1_3 -ciphersuites TLS_AES_256_GCM_SHA384
case_ok "TLS 1.3, key exchange P-384 only" p256 -tls1_3 -groups P-384
case_ok "TLS 1.2, rsa certificate, ECDHE-RSA-AES128-GCM-SHA256" rsa -tls1_2 -cipher ECDHE-RSA-AES128-GCM-SHA256
case_ok "TLS 1.2, rsa certificate, ECDHE-RSA-AES256-GCM-SHA384" rsa -tls1_2 -cipher ECDHE-RSA-AES256-GCM-SHA384
case_ok "TLS 1.2, rsa certificate, signed with rsa_pss_rsae_sha256" rsa -tls1_2 -sigalgs rsa_pss_rsae_sha256
case_ok "TLS 1.2, rsa certificate, signed with rsa_pkcs1_sha256" rsa -tls1_2 -sigalgs RSA+SHA256
case_ok "TLS 1.2, p256 certificate, ECDHE-ECDSA-AES128-GCM-SHA256" p256 -tls1_2 -cipher ECDHE-ECDSA-AES128-GCM-SHA256
case_ok "TLS 1.2, p384 certificate, ECDHE-ECDSA-AES256-GCM-SHA384" p384 -tls1_2 -cipher ECDHE-ECDSA-AES256-GCM-SHA384
case_refused "TLS 1.2 with only a CBC suite (control)" "https:" cas.pem rsa -tls1_2 -cipher ECDHE-RSA-AES128-SHA
case_refused "a certificate another authority signed (control)" "not trusted" other.pem p256 -tls1_3
