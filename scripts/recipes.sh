#!/usr/bin/env bash
# The README's recipe table: trains each recipe from one seed with
# `--eval-every 1`, then prints a Markdown row per (recipe, epoch) from its
# metrics.csv: FID, KID ± its standard error, precision, recall, classes
# covered, the discriminator's accuracy over the epoch and the wall time.
#   bash scripts/recipes.sh [--epochs 3] [--limit N] [--seed 42]
#        [--eval-n 2000] [--jobs 1] [--out runs/recipes] [NAME ...]
#   bash scripts/recipes.sh --table runs/recipes
# NAMEs pick recipes from the list below (all by default); --jobs runs that
# many at once (one per core is no faster on lavapipe; on a GPU it is).
set -euo pipefail
cd "$(dirname "$0")/.."

recipes=(
    "dcgan|--recipe dcgan"
    "seed|--recipe seed"
    "seed+ema|--recipe seed --ema 0.999"
    "dcgan+hinge+sn|--recipe dcgan --loss hinge --spectral-norm"
    "seed+hinge+sn|--recipe seed --loss hinge --spectral-norm"
    "seed+smoothing|--recipe seed --label-smoothing 0.1"
    "seed+ttur|--recipe seed --lr-d 2e-3"
    "seed+smoothing+ttur+ema|--recipe seed --label-smoothing 0.1 --lr-d 2e-3 --ema 0.999"
    "rmsprop+batch-bn|--optimizer rmsprop --fake-batch-norm batch"
    "adam+running-bn|--optimizer adam --fake-batch-norm running"
    "batch-bn+ema|--optimizer rmsprop --fake-batch-norm batch --ema 0.999"
    "batch-bn+ema+batch16|--optimizer rmsprop --fake-batch-norm batch --ema 0.999 --batch-size 16"
    "batch-bn+ema+batch64|--optimizer rmsprop --fake-batch-norm batch --ema 0.999 --batch-size 64"
    "batch-bn+ema+lr5e-4|--optimizer rmsprop --fake-batch-norm batch --ema 0.999 --lr 5e-4"
    "batch-bn+ema+lr-d5e-4|--optimizer rmsprop --fake-batch-norm batch --ema 0.999 --lr-d 5e-4"
    "batch-bn+ema+lr-d2e-3|--optimizer rmsprop --fake-batch-norm batch --ema 0.999 --lr-d 2e-3"
    "batch-bn+ema+smoothing|--optimizer rmsprop --fake-batch-norm batch --ema 0.999 --label-smoothing 0.1"
    "batch-bn+ema+sn|--optimizer rmsprop --fake-batch-norm batch --ema 0.999 --spectral-norm"
    "conditional|--recipe conditional"
    "conditional+sn|--recipe conditional --spectral-norm"
    "conditional+hinge+sn|--recipe conditional --loss hinge --spectral-norm"
)

table() {
    echo "| recipe | epoch | FID | KID | precision | recall | classes | D acc. | wall s |"
    echo "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |"
    for run in "$1"/*/; do
        [ -f "$run/metrics.csv" ] || continue
        awk -F, -v name="$(basename "$run")" '
            $1 == "epoch" { acc[$2] = $6 }
            $1 == "eval" {
                printf "| %s | %d | %.1f | %.3f ± %.3f | %.3f | %.3f | %d/10 | %.1f%% | %.0f |\n",
                    name, $2 + 1, $11, $12, $13, $14, $15, $16, 100 * acc[$2], $10
            }' "$run/metrics.csv"
    done
}

if [ "${1:-}" = "--table" ]; then
    table "${2:?--table DIR}"
    exit 0
fi

epochs=3 limit=() seed=42 eval_n=2000 jobs=1 out=runs/recipes names=()
while [ $# -gt 0 ]; do
    case "$1" in
        --epochs) epochs=$2; shift 2 ;;
        --limit) limit=(--limit "$2"); shift 2 ;;
        --seed) seed=$2; shift 2 ;;
        --eval-n) eval_n=$2; shift 2 ;;
        --jobs) jobs=$2; shift 2 ;;
        --out) out=$2; shift 2 ;;
        *) names+=("$1"); shift ;;
    esac
done

cargo build --release -q
bin=target/release/gan-gpu
mkdir -p "$out"
for entry in "${recipes[@]}"; do
    name=${entry%%|*} flags=${entry#*|}
    if [ ${#names[@]} -gt 0 ] && [[ ! " ${names[*]} " =~ " $name " ]]; then
        continue
    fi
    while [ "$(jobs -r | wc -l)" -ge "$jobs" ]; do wait -n; done
    echo "training $name: $flags" >&2
    # shellcheck disable=SC2086 # the flags are words
    "$bin" train $flags --epochs "$epochs" "${limit[@]}" --seed "$seed" \
        --eval-every 1 --eval-n "$eval_n" --out "$out/$name" > "$out/$name.log" 2>&1 &
done
wait
table "$out"
