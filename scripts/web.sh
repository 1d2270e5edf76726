#!/usr/bin/env bash
# Builds the browser page and serves it on http://127.0.0.1:${PORT:-8080}/.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/web-build.sh
port=${PORT:-8080}
echo "open http://127.0.0.1:$port/ in a browser with WebGPU (Ctrl-C stops the server)"
exec python3 -m http.server "$port" --bind 127.0.0.1 --directory target/web
