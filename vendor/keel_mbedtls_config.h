/* keel_mbedtls_config.h — the mbedtls 3.6 configuration keel is built with.
 *
 * Only what keel uses is enabled: SHA-256/384/512, ECDSA over P-256 and P-384, RSA with
 * PKCS#1 v1.5 and PSS (no key generation), PEM and DER keys, X.509 certificate parsing, and a
 * TLS 1.2/1.3 client (for http(s) fetches in provision and update) with AES-GCM only and the
 * NIST curves for key exchange (every TLS 1.3 server must offer secp256r1; RFC 8446 9.1). No server, no DTLS, no legacy ciphers, no
 * filesystem access from inside mbedtls (keel reads files itself), no error-string tables.
 * Passed to the build as MBEDTLS_CONFIG_FILE; see vendor/vendor.sh.
 */
#ifndef KEEL_MBEDTLS_CONFIG_H
#define KEEL_MBEDTLS_CONFIG_H

/* platform */
#define MBEDTLS_HAVE_ASM
#define MBEDTLS_HAVE_TIME
#define MBEDTLS_HAVE_TIME_DATE
#define MBEDTLS_PLATFORM_C
#define MBEDTLS_DEPRECATED_REMOVED
#define MBEDTLS_VERSION_C

/* hashes */
#define MBEDTLS_MD_C
/* no MBEDTLS_SHA224_C: nothing keel verifies uses SHA-224 (TLS 1.2/1.3 suites, TUF, cosign, UEFI) */
#define MBEDTLS_SHA256_C
#define MBEDTLS_SHA384_C
#define MBEDTLS_SHA512_C

/* big numbers, elliptic curves, ECDSA */
#define MBEDTLS_BIGNUM_C
#define MBEDTLS_ECP_C
#define MBEDTLS_ECP_DP_SECP256R1_ENABLED
#define MBEDTLS_ECP_DP_SECP384R1_ENABLED
#define MBEDTLS_ECP_NIST_OPTIM
#define MBEDTLS_ECDSA_C
#define MBEDTLS_ECDSA_DETERMINISTIC
#define MBEDTLS_HMAC_DRBG_C
#define MBEDTLS_ECDH_C

/* RSA */
#define MBEDTLS_RSA_C
#define MBEDTLS_PKCS1_V15
#define MBEDTLS_PKCS1_V21
/* RSA-PSS signatures in TLS and X.509: a TLS 1.3 server with an RSA certificate must sign with
 * rsa_pss_rsae_* (RFC 8446 4.2.3); without this the client offers none and such servers fail the
 * handshake (tests/compat/tls.sh "TLS 1.3, rsa certificate") */
#define MBEDTLS_X509_RSASSA_PSS_SUPPORT

/* keys and certificates */
#define MBEDTLS_ASN1_PARSE_C
#define MBEDTLS_ASN1_WRITE_C
#define MBEDTLS_OID_C
#define MBEDTLS_BASE64_C
#define MBEDTLS_PEM_PARSE_C
#define MBEDTLS_PK_C
#define MBEDTLS_PK_PARSE_C
#define MBEDTLS_PK_WRITE_C
#define MBEDTLS_X509_USE_C
#define MBEDTLS_X509_CRT_PARSE_C

/* randomness (getrandom(2) through the platform entropy source) */
#define MBEDTLS_ENTROPY_C
#define MBEDTLS_CTR_DRBG_C

/* symmetric ciphers for TLS */
#define MBEDTLS_CIPHER_C
#define MBEDTLS_AES_C
#define MBEDTLS_AESNI_C
#define MBEDTLS_GCM_C
#define MBEDTLS_HKDF_C

/* PSA crypto (required by TLS 1.3 in mbedtls 3.6) */
#define MBEDTLS_PSA_CRYPTO_C
#define MBEDTLS_USE_PSA_CRYPTO
/* Every buffer keel hands PSA is its own process's memory, never shared with another party: no
 * copy of each TLS record's input and output (a malloc, two memcpy and a free, each free an
 * madvise, per 16 KiB record; perf: ~18,000 madvise calls in a 512 MiB `keel update apply` over
 * https) */
#define MBEDTLS_PSA_ASSUME_EXCLUSIVE_BUFFERS

/* TLS client */
#define MBEDTLS_SSL_TLS_C
#define MBEDTLS_SSL_CLI_C
#define MBEDTLS_SSL_PROTO_TLS1_2
#define MBEDTLS_SSL_PROTO_TLS1_3
#define MBEDTLS_SSL_TLS1_3_COMPATIBILITY_MODE
#define MBEDTLS_SSL_TLS1_3_KEY_EXCHANGE_MODE_EPHEMERAL_ENABLED
#define MBEDTLS_SSL_KEEP_PEER_CERTIFICATE
#define MBEDTLS_SSL_SERVER_NAME_INDICATION
#define MBEDTLS_SSL_EXTENDED_MASTER_SECRET
/* no MBEDTLS_SSL_ENCRYPT_THEN_MAC: it applies to CBC suites only; keel has AES-GCM only */
#define MBEDTLS_KEY_EXCHANGE_ECDHE_ECDSA_ENABLED
#define MBEDTLS_KEY_EXCHANGE_ECDHE_RSA_ENABLED

#endif /* KEEL_MBEDTLS_CONFIG_H */
