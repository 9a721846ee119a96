#!/bin/sh
# The imported key material of tests/dialect/asymmetric.rs, made as the AWS developer guide
# makes test material: a private key by `openssl genpkey`, converted to binary PKCS#8, and its
# public key (what GetPublicKey must answer) as DER SubjectPublicKeyInfo.
set -eu
cd "$(dirname "$0")"
for spec in p256 p384 rsa2048; do
    case $spec in
        p256) args="-algorithm EC -pkeyopt ec_paramgen_curve:P-256" ;;
        p384) args="-algorithm EC -pkeyopt ec_paramgen_curve:P-384" ;;
        rsa2048) args="-algorithm RSA -pkeyopt rsa_keygen_bits:2048" ;;
    esac
    # shellcheck disable=SC2086
    openssl genpkey $args -out "$spec.pem"
    openssl pkcs8 -topk8 -nocrypt -inform PEM -outform DER -in "$spec.pem" -out "$spec.pk8"
    openssl pkey -in "$spec.pem" -pubout -outform DER -out "$spec.spki"
    rm "$spec.pem"
done
