#!/usr/bin/env bash
# Never hang (issue 5, part 2): whatever fails on whichever rank, every rank ends soon,
# non-zero, and a failure dnn-train detects is told once.
#   - a rank killed with SIGKILL mid-training: mpiexec ends non-zero within 30 s and
#     no rank is left
#   - bad data in rank 1's examples only: exit 2 on every rank, one message naming the
#     file, the dataset and the first bad example;
#   - a training file that only rank 0 can see (ranks started in different
#     directories) and arguments that only rank 1 rejects: exit 2, one message.
#
# usage: never_hang.sh DNN_TRAIN MAKE_BAD_FILES [SHARED_DATA_DIR]   (MPIEXEC: the mpiexec)
set -uo pipefail
train=$1 make_bad_files=$2 shared=${3:-}
source "$(dirname "$0")/lib.sh"
d=$tmp/data
mkdir "$d"
"$make_bad_files" "$d" || exit 1

no_rank_left() { # WHAT PATTERN
    local left
    left=$(rank_pids "$2")
    if [[ -n $left ]]; then
        fail "$1: processes still running: $left"
        # shellcheck disable=SC2086 # a list of pids
        kill -9 $left 2>/dev/null
    else
        pass "$1: no rank left"
    fi
}

# 1. SIGKILL of rank 1 in the middle of training
killed_mid_training() { # NAME ARGS...: the run's --save path names its ranks
    local name=$1
    shift
    local save=$tmp/killed_$name.h5
    OMP_NUM_THREADS=1 timeout 60 "$MPIEXEC" --oversubscribe -np 2 "$train" "$@" \
        --iters 1000000 --print-every 1 --save "$save" >"$tmp/killed.out" 2>"$tmp/killed.err" &
    local job=$! victim start rc=0
    if ! wait_for "$tmp/killed.out" '^Cost after iteration 5:' 30; then
        fail "SIGKILL, $name: training did not start: $(cat "$tmp/killed.err")"
        kill $job
        return
    fi
    victim=$(running_ranks "$save" 1)
    if [[ -z $victim ]]; then
        fail "SIGKILL, $name: rank 1 not found"
        kill $job
        return
    fi
    start=$SECONDS
    kill -9 "$victim"
    wait $job || rc=$?
    seconds=$((SECONDS - start))
    if [[ $rc -eq 0 || $rc -eq 124 ]]; then
        fail "SIGKILL of rank 1 (pid $victim), $name: mpiexec exit status $rc" \
            "(124: hung until the timeout)"
    elif ((seconds > 30)); then
        fail "SIGKILL of rank 1, $name: mpiexec took $seconds s to end"
    else
        pass "SIGKILL of rank 1 (pid $victim) mid-training, $name:" \
            "mpiexec ended with status $rc after $seconds s"
    fi
    no_rank_left "SIGKILL, $name" "$save"
}
killed_mid_training "synthetic data" --synthetic 20000,16

# 2. bad values that only rank 1 reads (examples 128..255 of 256, --chunk 64)
run 2 --train "$d/rank1_label.h5" --chunk 64 --iters 5
expect_error "label 2 in rank 1's examples" 2 "$d/rank1_label.h5" "'train_set_y'" "example 200"
no_rank_left "bad label on rank 1" "$d/rank1_label.h5"
((seconds <= 30)) || fail "bad label on rank 1: took $seconds s"
run 2 --train "$d/rank1_nan.h5" --chunk 64 --iters 5
expect_error "NaN in rank 1's examples" 2 "$d/rank1_nan.h5" "'train_set_x'" "example 180" "NaN"
no_rank_left "NaN on rank 1" "$d/rank1_nan.h5"

# 3. ranks that see different things: each rank started on its own (MPMD) context
mkdir "$tmp/rank0" "$tmp/rank1"
cp "$d/good.h5" "$tmp/rank0/data.h5"
mpmd() { # ARGS0 -- ARGS1: rank 0 in $tmp/rank0, rank 1 in $tmp/rank1
    local a0=() a1=()
    while [[ $1 != -- ]]; do a0+=("$1"); shift; done
    shift
    a1=("$@")
    rc=0
    local start=$SECONDS
    OMP_NUM_THREADS=1 timeout 60 "$MPIEXEC" --oversubscribe \
        -np 1 -wdir "$tmp/rank0" "$train" "${a0[@]}" : \
        -np 1 -wdir "$tmp/rank1" "$train" "${a1[@]}" >"$out" 2>"$err" || rc=$?
    seconds=$((SECONDS - start))
}
mpmd --train data.h5 --iters 5 -- --train data.h5 --iters 5
expect_error "a file only rank 0 sees" 2 "data.h5" "No such file"
mpmd --iters 5 -- --iters five
expect_error "arguments only rank 1 rejects" 2 "--iters" "'five'"
finish
