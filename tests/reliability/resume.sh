#!/usr/bin/env bash
# Checkpoint and exact resume (issue 5, part 1).
#   - A run checkpointing every 10 iterations is killed with SIGKILL (rank 0 alone, the
#     one that writes; then every rank) once a checkpoint past iteration 20 exists, and
#     resumed (on 2 ranks, then on 1): the costs after the resume point, the accuracy,
#     the Parameter hash and the final checkpoint's bytes equal those of a run that was
#     never interrupted.
#   - Resuming with other layers, data, --chunk, --reduce, --lr or --dtype, from a
#     checkpoint with one byte changed or cut to half its size, from a file that is not
#     a checkpoint, or past --iters is refused: exit 2, one message saying what
#     differs, and the checkpoint left as it was.
#
# usage: resume.sh DNN_TRAIN [MAKE_BAD_FILES]    (MPIEXEC: the mpiexec to use)
set -uo pipefail
train=$1
source "$(dirname "$0")/lib.sh"

# shellcheck disable=SC2054 # commas inside arguments
problem=(--synthetic 20000,16 --layers auto,16,8,1 --chunk 256 --lr 0.1 --print-every 1
         --checkpoint-every 10)

# The uninterrupted reference of ITERS iterations (made once per ITERS).
reference() {
    local iters=$1
    if [[ ! -f $tmp/ref$iters.out ]]; then
        run 2 "${problem[@]}" --iters "$iters" --checkpoint "$tmp/ref$iters.h5"
        [[ $rc -eq 0 ]] || { echo "the reference run failed: $(cat "$err")"; exit 1; }
        grep -v '^dnn-train:' "$out" >"$tmp/ref$iters.out"
    fi
}
reference 60

# killed_and_resumed NAME RANKS_TO_KILL RESUME_RANKS
killed_and_resumed() {
    local name=$1 victims=$2 ranks=$3 ck=$tmp/$1.h5
    OMP_NUM_THREADS=1 timeout 60 "$MPIEXEC" --oversubscribe -np 2 "$train" "${problem[@]}" \
        --iters 1000000 --checkpoint "$ck" >"$tmp/$name.killed" 2>&1 &
    local job=$! pids
    # the cost of iteration 20 is printed after the checkpoint of 20 iterations is written
    if ! wait_for "$tmp/$name.killed" '^Cost after iteration ([2-9][0-9]|[0-9]{3,}):' 30; then
        fail "$name: training did not get to iteration 20: $(cat "$tmp/$name.killed")"
        kill $job
        return
    fi
    if [[ $victims == all ]]; then
        pids=$(running_ranks "$ck")
    else
        pids=$(running_ranks "$ck" "$victims")
    fi
    if [[ -z $pids ]]; then
        fail "$name: no rank to kill found"
        kill $job
        return
    fi
    # shellcheck disable=SC2086 # one or two pids
    kill -9 $pids
    local killed_rc=0
    wait $job || killed_rc=$?
    [[ $killed_rc -ne 0 ]] || fail "$name: the killed run exited 0"

    run "$ranks" "${problem[@]}" --iters 60 --resume "$ck" --checkpoint "$ck"
    local at
    at=$(sed -n 's/^dnn-train: resuming from .* at iteration \([0-9]*\)$/\1/p' "$out")
    if [[ -z $at ]]; then # past --iters 60?
        at=$(sed -n 's/.*: already \([0-9]*\) iterations, more than --iters 60$/\1/p' "$err")
    fi
    if [[ -z $at ]]; then
        fail "$name: the resumed run failed (status $rc): $(cat "$err")"
        return
    fi
    local iters=60
    if ((at > 50)); then # a slow kill: compare with a longer reference instead
        iters=$((at + 10))
        reference $iters
        run "$ranks" "${problem[@]}" --iters $iters --resume "$ck" --checkpoint "$ck"
    fi
    grep -v '^dnn-train:' "$out" >"$tmp/$name.out"
    # the reference's lines from iteration $at on
    awk -v at="$at" '!/^Cost after iteration/ || $4 + 0 >= at' "$tmp/ref$iters.out" \
        >"$tmp/$name.expected"
    if ((at < 20 || at % 10 != 0)); then
        fail "$name: resumed at iteration $at, expected a multiple of 10 from 20 on"
    elif ! diff "$tmp/$name.expected" "$tmp/$name.out" >"$tmp/$name.diff"; then
        fail "$name: resumed at $at, the output differs from the uninterrupted run:"
        head -20 "$tmp/$name.diff"
    elif ! cmp -s "$ck" "$tmp/ref$iters.h5"; then
        fail "$name: the final checkpoint differs from the uninterrupted run's"
    else
        pass "$name: resumed at iteration $at on $ranks rank(s): $((iters - at)) costs," \
            "accuracy, $(grep hash "$tmp/$name.out") and the final checkpoint as uninterrupted"
    fi
}
killed_and_resumed "SIGKILL of rank 0" 0 2
killed_and_resumed "SIGKILL of both ranks" all 1

# refused KEEP_NAME 'TEXT|TEXT...' CHECKPOINT ARGS...: resuming from CHECKPOINT with
# the problem's arguments changed by ARGS fails with one message containing each TEXT.
refused() {
    local what=$1 texts=$2 ck=$3
    shift 3
    IFS='|' read -r -a expected <<<"$texts"
    cp "$ck" "$tmp/before.h5"
    run 1 "${problem[@]}" --iters 70 --resume "$ck" --checkpoint "$ck" "$@"
    expect_error "refused: $what" 2 "--resume $ck" "${expected[@]}"
    cmp -s "$ck" "$tmp/before.h5" || fail "refused: $what: the checkpoint changed"
}
ck=$tmp/ref60.h5
refused "other layers" "layer sizes: checkpoint 16,16,8,1, this run 16,8,1" "$ck" --layers auto,8,1
refused "more examples" "data: checkpoint 20000 examples of 16 features, this run 20001 of 16" \
    "$ck" --synthetic 20001,16
refused "other data values" "data: same shape but different values" "$ck" --seed 2
refused "other --chunk" "--chunk: checkpoint 256, this run 128" "$ck" --chunk 128
refused "other --reduce" "--reduce: checkpoint exact, this run fast" "$ck" --reduce fast
refused "other --lr" "--lr: checkpoint 0.1, this run 0.2" "$ck" --lr 0.2
refused "two differences" "--chunk: checkpoint 256, this run 64; --lr: checkpoint 0.1, this run 0.5" \
    "$ck" --chunk 64 --lr 0.5
if "$train" --help | grep -q -- '--dtype'; then
    refused "other --dtype" "dtype: checkpoint float64, this run float32" "$ck" --dtype f32
fi
refused "past --iters" "already 60 iterations, more than --iters 50" "$ck" --iters 50

size=$(stat -c %s "$ck")
cp "$ck" "$tmp/flipped.h5"
at=$((size / 2))
byte=$(od -An -tu1 -j "$at" -N1 "$ck" | tr -d ' ')
printf '%b' "\\$(printf '%03o' $((byte ^ 1)))" | dd of="$tmp/flipped.h5" bs=1 seek="$at" conv=notrunc 2>/dev/null
cmp -s "$ck" "$tmp/flipped.h5" && fail "the byte flip did not change the file"
refused "one byte changed" "checksum mismatch" "$tmp/flipped.h5"
head -c $((size / 2)) "$ck" >"$tmp/half.h5"
refused "cut to half" "checksum mismatch: damaged or truncated" "$tmp/half.h5"
"$train" --synthetic 100,4 --layers auto,2,1 --iters 1 --print-every 0 --save "$tmp/model.h5" >/dev/null
refused "a model, not a checkpoint" "not a dnn checkpoint" "$tmp/model.h5"
finish
