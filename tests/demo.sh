#!/usr/bin/env bash
# tests/demo.sh — what ./build.sh demo shows (after the build).
set -euo pipefail
cd "$(dirname "$0")/.."
K=$PWD/build/keel
run() { echo "\$ $*"; "$@"; echo; }
run "$K" --version
run "$K" --list
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
cd "$tmp"
head -c 1048576 /dev/urandom > image
echo "\$ keel verify digest image > image.sha256"
"$K" verify digest image > image.sha256
run "$K" verify digest --check image.sha256
