#!/usr/bin/env bash
# Mini-batches resumed (issue 18): a run with batches, Adam, L2 and dropout is stopped
# by SIGTERM in the middle of an epoch (on 2 ranks), and resumed from its checkpoint on
# 3 ranks and on 1; each resumed run must print the uninterrupted run's costs for the
# epochs after the stop (the stopped epoch's cost too, which needs the partial sum the
# checkpoint kept) and end with its Parameter hash. A checkpoint cut at an epoch's end
# and resumed with another --batch-size, or without --dropout, is refused by name.
#
# usage: resume_batches.sh DNN_TRAIN [MAKE_BAD_FILES]   (MPIEXEC: the mpiexec to use)
set -uo pipefail
train=$1
source "$(dirname "$0")/lib.sh"

# 20000 examples in batches of 48: 417 steps an epoch, the last of 32 examples
# shellcheck disable=SC2054 # commas inside arguments
problem=(--synthetic 20000,16 --layers auto,16,8,1 --batch-size 48 --optimizer adam
    --lr 0.002 --l2 0.3 --dropout 0.85 --print-every 1)
epochs=12

run 1 "${problem[@]}" --epochs $epochs
cp "$out" "$tmp/straight"
hash=$(grep '^Parameter hash' "$tmp/straight")
if [[ $rc -ne 0 || -z $hash ]]; then
    fail "the uninterrupted run failed ($rc): $(head -c 600 "$err")"
    finish
    exit
fi

OMP_NUM_THREADS=1 timeout 60 "$MPIEXEC" --oversubscribe -np 2 "$train" "${problem[@]}" \
    --epochs $epochs --checkpoint "$tmp/ck.h5" >"$tmp/cut.out" 2>"$tmp/cut.err" &
job=$!
if wait_for "$tmp/cut.out" '^Cost after epoch 1:' 50; then
    kill -TERM $(running_ranks "--checkpoint $tmp/ck.h5") 2>/dev/null
fi
wait "$job"
line=$(grep '^dnn-train: stopped by SIGTERM after step' "$tmp/cut.err")
if [[ $line =~ after\ step\ ([0-9]+)\ \(batch\ ([0-9]+)\ of\ epoch\ ([0-9]+)\) ]]; then
    step=${BASH_REMATCH[1]} batch=${BASH_REMATCH[2]} epoch=${BASH_REMATCH[3]}
    pass "stopped mid-run: $line"
    ((batch < 416)) || echo "note: the stop fell on an epoch's last batch this time"
else
    fail "no stop line naming the step: $(head -c 600 "$tmp/cut.err")"
    finish
    exit
fi

for ranks in 3 1; do
    run "$ranks" "${problem[@]}" --epochs $epochs --resume "$tmp/ck.h5"
    # the costs of the epoch under way at the stop and after it
    expected=$(grep -E '^Cost after epoch' "$tmp/straight" | awk -v e="$epoch" '{ split($4, a, ":"); if (a[1] + 0 >= e) print }')
    got=$(grep -E '^Cost after epoch' "$out")
    if [[ $rc -eq 0 && -n $expected && $got == "$expected" ]]; then
        pass "resumed on $ranks rank(s) at step $step: the same costs for epochs $epoch.."
    else
        fail "resumed on $ranks rank(s) ($rc): costs differ: $(diff <(echo "$expected") <(echo "$got") | head -5) $(head -c 300 "$err")"
    fi
    if grep -qxF "$hash" "$out"; then
        pass "resumed on $ranks rank(s): $hash as uninterrupted"
    else
        fail "resumed on $ranks rank(s): $(grep '^Parameter hash' "$out") instead of $hash"
    fi
done

run 2 "${problem[@]}" --epochs 1 --checkpoint "$tmp/end.h5"
for change in "--batch-size 64" "--dropout 1" "--drop-last"; do
    # shellcheck disable=SC2086 # the change is two words, or one
    run 2 "${problem[@]}" --epochs 2 --resume "$tmp/end.h5" $change
    expect_error "resume with $change" 2 "made by a different run" "${change%% *}"
done
finish
