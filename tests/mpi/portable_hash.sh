#!/usr/bin/env bash
# Portable bits (issue 22): the course's cat command with --blas fixed gives one Parameter hash (and the
# same printed costs) per dtype whatever OpenBLAS's kernel (OPENBLAS_CORETYPE unset,
# Haswell, Prescott), our GEMM's variant (DNN_ISA generic, avx2, avx512: those the CPU
# runs; the others are named) and the layout (ranks 1-2 x threads 1-2).
# The full product is 3 x 3 x 4 = 36 runs per dtype; to stay near a minute this runs a
# covering subset: every layout under the default kernel and variant, and every
# (OPENBLAS_CORETYPE, DNN_ISA) pair on a layout that turns with the pair, so that each
# pair of factors' levels meets at least once. 20 iterations each.
set -euo pipefail
dnn_train=$1 shared=$2
source "$(dirname "$0")/common.sh"
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
if [ ! -f "$shared/train_catvnoncat.h5" ]; then
    echo "the course data is not in $shared: cannot run"
    exit 1
fi
cat_run=(--train "$shared/train_catvnoncat.h5" --layers 12288,20,7,5,1 --init lecun --seed 1
    --lr 0.0075 --iters 20 --print-every 5 --blas fixed)

isas=()
for isa in generic avx2 avx512; do
    case $isa in
    avx2) flags="avx2 fma" ;;
    avx512) flags="avx512f" ;;
    *) flags="" ;;
    esac
    runs=1
    for f in $flags; do grep -qw "$f" /proc/cpuinfo || runs=0; done
    if [ "$runs" = 1 ]; then isas+=("$isa"); else echo "NOT RUN: DNN_ISA=$isa (this CPU lacks it)"; fi
done
layouts=(1x1 1x2 2x1 2x2)

run_case() { # dtype coretype isa layout
    local dtype=$1 coretype=$2 isa=$3 layout=$4
    local ranks=${layout%x*} threads=${layout#*x}
    (
        unset OPENBLAS_CORETYPE
        [ "$coretype" = unset ] || export OPENBLAS_CORETYPE=$coretype
        export DNN_ISA=$isa
        run_ranks "$ranks" "$threads" "$dnn_train" "${cat_run[@]}" --dtype "$dtype"
    ) 2>"$out/err" | grep -v '^dnn-train:' >"$out/run" || true
    if grep -q "DNN_ISA=" "$out/err"; then # the variant asked for was not the one run
        fail "$dtype $coretype $isa $layout: $(grep DNN_ISA= "$out/err" | head -1)"
        return 1
    fi
    if ! grep -q '^Parameter hash: 0x' "$out/run"; then
        fail "$dtype $coretype $isa $layout: no hash"
        cat "$out/err" "$out/run"
        return 1
    fi
}

for dtype in f64 f32; do
    ref="" cases=0 bad=0
    check() { # coretype isa layout
        run_case "$dtype" "$@" || { bad=1; return; }
        cases=$((cases + 1))
        if [ -z "$ref" ]; then
            ref=$(cat "$out/run")
        elif [ "$(cat "$out/run")" != "$ref" ]; then
            fail "$dtype: OPENBLAS_CORETYPE=$1 DNN_ISA=$2 $3 differs from the first run"
            diff <(echo "$ref") "$out/run" || true
            bad=1
        fi
    }
    best=${isas[${#isas[@]} - 1]}
    for layout in "${layouts[@]}"; do check unset "$best" "$layout"; done
    c=0
    for coretype in unset Haswell Prescott; do
        i=0
        for isa in "${isas[@]}"; do
            check "$coretype" "$isa" "${layouts[$(((c + i + 1) % 4))]}"
            i=$((i + 1))
        done
        c=$((c + 1))
    done
    [ "$bad" = 1 ] || pass "$dtype: one $(grep hash <<<"$ref") (and the same costs) over $cases runs"
done
finish
