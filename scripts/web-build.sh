#!/usr/bin/env bash
# Builds the browser page into target/web/: the wasm bundle (wasm-bindgen
# at the version Cargo.lock pins, from the crate registry), the page, and
# the shipped training images it fetches. `scripts/web.sh` serves it.
set -euo pipefail
cd "$(dirname "$0")/.."

if ! rustup target list --installed 2>/dev/null | grep -qx wasm32-unknown-unknown; then
    rustup target add wasm32-unknown-unknown
fi
want=$(awk '/^name = "wasm-bindgen"$/ { getline; gsub(/version = |"/, ""); print }' Cargo.lock)
have=$(wasm-bindgen --version 2>/dev/null | awk '{ print $2 }' || true)
if [ "$have" != "$want" ]; then
    # Without --locked: the registry mirror may lack the newest patch
    # releases that the CLI's own lock file names.
    cargo install -q wasm-bindgen-cli --version "$want"
fi

# Shares its dependencies' build with the browser tests (scripts/cargo-wasm).
scripts/cargo-wasm build -q -p gan-gpu-web
out=target/web
mkdir -p "$out/data"
wasm-bindgen --target web --no-typescript --out-dir "$out/pkg" \
    target/wasm32-unknown-unknown/debug/gan_gpu_web.wasm
cp web/index.html web/app.js "$out/"
cp assets/fashion-mnist/train-images-idx3-ubyte.gz "$out/data/"
echo "built $out ($(du -sh "$out/pkg" | cut -f1) of wasm and JS)"
