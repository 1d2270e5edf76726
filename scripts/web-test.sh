#!/usr/bin/env bash
# The browser suites, in headless Chromium on its SwiftShader WebGPU
# (Debian's chromium and chromium-driver): the op parity suite and the
# one-step parity test (the same tests as natively, through
# wasm-bindgen-test), then the page itself (tests/web/page_test.py), with a
# screenshot in target/web-test/.
set -euo pipefail
cd "$(dirname "$0")/.."
export CHROMEDRIVER=${CHROMEDRIVER:-/usr/bin/chromedriver}
# The one-step test takes ~20 s on two cores; the runner's default limit is 20 s.
export WASM_BINDGEN_TEST_TIMEOUT=${WASM_BINDGEN_TEST_TIMEOUT:-600}
scripts/web-build.sh
scripts/cargo-wasm test --test ops --test step
# The native binary for the checkpoint round trip, built as `cargo test`
# builds it (with the dev-dependencies' features), so that after the
# native suites nothing is rebuilt.
cargo test -q --no-run
python3 -u tests/web/page_test.py
