#!/usr/bin/env bash
# For a machine with a real GPU: checks the driver, then runs the test
# suite, the kernel benchmarks (default kernels and --no-subgroups), the
# step's profile, start-up with and without the pipeline cache and a
# 200-step training run, printing everything to paste into BENCHMARKS.md.
#   bash scripts/gpu-check.sh [--adapter NAME]
set -uo pipefail
cd "$(dirname "$0")/.."
adapter=("$@")

echo "== machine"
uname -srm
command -v nvidia-smi >/dev/null && nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv,noheader

echo "== Vulkan loader and driver entries (ICDs)"
if ldconfig -p | grep -q libvulkan.so.1; then
    echo "loader: $(ldconfig -p | grep libvulkan.so.1 | head -1 | awk '{print $NF}')"
else
    echo "loader: MISSING (install libvulkan1, or your vendor's Vulkan runtime)"
fi
found=0
for d in /usr/share/vulkan/icd.d /etc/vulkan/icd.d /usr/local/share/vulkan/icd.d /usr/local/nvidia/share/vulkan/icd.d; do
    for f in "$d"/*.json; do
        [ -e "$f" ] && { echo "ICD: $f"; found=1; }
    done
done
[ "$found" = 1 ] || echo "ICD: none found (a vendor driver registers one, e.g. nvidia_icd.json)"

echo "== cargo build --release"
cargo build --release -q || exit 1
bin=target/release/gan-gpu

echo "== gan-gpu info"
"$bin" "${adapter[@]}" info

echo "== cargo test"
cargo test --release -q 2>&1 | grep -E "test result|FAILED|panicked"

echo "== gan-gpu bench (default kernels)"
"$bin" "${adapter[@]}" bench --batch-sizes 32,64,128
echo "== gan-gpu bench --no-subgroups"
"$bin" "${adapter[@]}" --no-subgroups bench --batch-sizes 32,64,128

echo "== gan-gpu bench --profile (batch 64, by kernel and by layer)"
"$bin" "${adapter[@]}" bench --profile --batch-sizes 64 --train-steps 5

# Start-up with NVIDIA's own shader disk cache off, so that what wgpu's
# pipeline cache saves shows: without it, then with an empty one (it fills),
# then with the filled one.
echo "== start-up: one-step runs, driver cache off"
cache=$(mktemp -d)
for run in "without|--no-pipeline-cache" "cold|" "warm|"; do
    start=$(date +%s.%N)
    # shellcheck disable=SC2086 # the flag is a word or nothing
    XDG_CACHE_HOME=$cache __GL_SHADER_DISK_CACHE=0 "$bin" "${adapter[@]}" ${run#*|} \
        train --epochs 1 --limit 64 --batch-size 64 --out "$cache/run-${run%%|*}" > "$cache/log" 2>&1 || cat "$cache/log"
    end=$(date +%s.%N)
    awk -v s="$start" -v e="$end" -v r="${run%%|*}" 'BEGIN { printf "pipeline cache %s: %.2f s\n", r, e - s }'
done
rm -rf "$cache"

echo "== 200 training steps at batch 64"
out=$(mktemp -d)
start=$(date +%s.%N)
"$bin" "${adapter[@]}" train --epochs 1 --limit 12800 --batch-size 64 --log-every 50 --out "$out/run"
end=$(date +%s.%N)
awk -v s="$start" -v e="$end" 'BEGIN { printf "200 steps (start-up, samples and checkpoint included): %.1f s, %.1f img/s\n", e - s, 12800 / (e - s) }'
rm -rf "$out"
