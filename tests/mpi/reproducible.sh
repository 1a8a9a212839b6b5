#!/usr/bin/env bash
# Bitwise reproducibility: with default settings, the printed costs and the
# Parameter hash are identical for ranks 1-4 x OMP_NUM_THREADS 1-2, for 2 and 3
# ranks with the gradients exchanged through MPI instead of shared memory
# (DNN_SHARED_MEMORY=0, the path of ranks on several hosts). On the course's data, 2
# and 3 threads also share the first layer by inputs (--thread-exchange split, on CPUs
# with AVX-512, with --blas system), and must say so for every step, and 1x2:shared
# must split at none.
# Mini-batches with Adam, L2 and dropout together, in f64 and f32, too.
# (tests/mpi/step_ref.sh checks every way against the frozen reference step.)
set -euo pipefail
dnn_train=$1 shared=$2
source "$(dirname "$0")/common.sh"
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT

check_matrix() { # name args...
    local name=$1
    shift
    local ref="" layout
    local layouts=(1x1 1x2 2x1 2x2 3x1 3x2 4x1 4x2 2x1:mpi 3x1:mpi)
    [ -z "$splits" ] || layouts+=(1x2:split 1x3:split 1x2:shared)
    for layout in "${layouts[@]}"; do
        local ranks=${layout%%x*} threads=${layout#*x} sharing=1 extra=()
        [ "${threads#*:}" = mpi ] && sharing=0
        [ "${threads#*:}" = split ] && extra=(--thread-exchange split --timing)
        [ "${threads#*:}" = shared ] && extra=(--thread-exchange shared --timing)
        local says="^threads: $splits of $splits steps split the first layer"
        [ "${threads#*:}" = shared ] && says="^threads: 0 of $splits steps split the first layer"
        threads=${threads%%:*}
        DNN_SHARED_MEMORY=$sharing run_ranks "$ranks" "$threads" "$dnn_train" "$@" "${extra[@]}" \
            2>"$out/err" | grep -v '^dnn-train:' >"$out/run"
        if [ -n "${extra[1]:-}" ] && ! grep -q "$says" "$out/err"; then
            fail "$name: $layout did not split the first layer at every step (or split at one)"
            cat "$out/err"
            return
        fi
        if ! grep -q '^Parameter hash: 0x' "$out/run"; then
            fail "$name: no hash"
            cat "$out/run"
            return
        fi
        if [ -z "$ref" ]; then
            ref=$(cat "$out/run")
        elif [ "$(cat "$out/run")" != "$ref" ]; then
            fail "$name: $layout (ranks x threads) differs from 1x1"
            diff <(echo "$ref") "$out/run" || true
            return
        fi
    done
    pass "$name: identical costs and $(grep hash <<<"$ref") over ${#layouts[@]} layouts"
}

splits="" # steps of the cases whose threads can split the first layer

check_matrix "default synthetic problem" --iters 300 --print-every 25
check_matrix "synthetic, 1001 examples in chunks of 7" --synthetic 1001,5 --layers auto,9,4,1 \
    --chunk 7 --init he --lr 0.05 --iters 100 --print-every 10
check_matrix "float32 chunks (--dtype f32)" --dtype f32 --lr 0.1 --iters 60 --print-every 10
check_matrix "synthetic, two chunks, 90000 weights in the first layer" \
    --synthetic 400,300 --layers auto,300,1 --chunk 200 --iters 30 --print-every 5
# issue 18: mini-batches (the last one smaller), Adam, L2 and dropout together
check_matrix "mini-batches of 300 (7 an epoch), Adam, L2, dropout" --batch-size 300 --epochs 4 \
    --print-every 1 --optimizer adam --lr 0.01 --l2 0.5 --dropout 0.8
check_matrix "the same in float32" --batch-size 300 --epochs 4 --print-every 1 --optimizer adam \
    --lr 0.01 --l2 0.5 --dropout 0.8 --dtype f32
if [ -f "$shared/train_catvnoncat.h5" ]; then
    check_matrix "course data, batches of 64 with drop-last, Adam, L2, dropout" \
        --train "$shared/train_catvnoncat.h5" --test "$shared/test_catvnoncat.h5" \
        --layers auto,20,7,5,1 --batch-size 64 --drop-last --epochs 3 --print-every 1 \
        --optimizer adam --lr 0.001 --l2 0.7 --dropout 0.86
    check_matrix "course five-layer, 40 iterations" --train "$shared/train_catvnoncat.h5" \
        --test "$shared/test_catvnoncat.h5" --layers auto,20,7,5,1 --iters 40 --print-every 5
    # the split first layer runs with the system BLAS's products only
    grep -qw avx512f /proc/cpuinfo && splits=20
    check_matrix "course five-layer, 20 iterations, --blas system" \
        --train "$shared/train_catvnoncat.h5" --test "$shared/test_catvnoncat.h5" \
        --layers auto,20,7,5,1 --iters 20 --print-every 5 --blas system
else
    echo "skipped the course data case: not found in $shared"
fi
finish
