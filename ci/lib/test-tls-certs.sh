#!/usr/bin/env bash
# Makes a throw-away CA and a server certificate for 127.0.0.1 signed by it, for tests that
# run PostgreSQL or Redis over TLS. Never for real use: keys are unencrypted, valid two days.
set -euo pipefail

usage() {
  cat <<'USAGE'
Usage: ci/lib/test-tls-certs.sh DIR NAME

Writes into DIR: ca.crt and ca.key (the CA), NAME.crt and NAME.key (a server certificate
for IP 127.0.0.1, signed by the CA). Needs the openssl command.
USAGE
}

[[ "${1:-}" == -h || "${1:-}" == --help ]] && { usage; exit 0; }
[[ $# -eq 2 ]] || { usage >&2; exit 2; }
dir="$1" name="$2"
mkdir -p "$dir"
cd "$dir"
openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj "/CN=poll test CA" \
  -keyout ca.key -out ca.crt \
  -addext "basicConstraints=critical,CA:TRUE" -addext "keyUsage=critical,keyCertSign" 2>/dev/null
openssl req -newkey rsa:2048 -nodes -subj "/CN=127.0.0.1" \
  -keyout "$name.key" -out "$name.csr" 2>/dev/null
printf 'subjectAltName=IP:127.0.0.1\nextendedKeyUsage=serverAuth\n' >"$name.ext"
openssl x509 -req -in "$name.csr" -CA ca.crt -CAkey ca.key -CAcreateserial -days 2 \
  -extfile "$name.ext" -out "$name.crt" 2>/dev/null
rm -f "$name.csr" "$name.ext" ca.srl
