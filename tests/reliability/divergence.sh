#!/usr/bin/env bash
# Divergence (issue 5, part 4): with --lr 100 the default synthetic problem blows up
# within a few dozen iterations. Training must stop with status 1 and one message
# naming the iteration (the one after the last cost printed) and the layer, keep the
# last good checkpoint (a multiple of --checkpoint-every before that iteration, still
# loadable: resuming from it diverges again at the same iteration without writing
# anything), and leave an existing --save model as it was.
#
# usage: divergence.sh DNN_TRAIN [MAKE_BAD_FILES]    (MPIEXEC: the mpiexec to use)
set -uo pipefail
train=$1
source "$(dirname "$0")/lib.sh"

ck=$tmp/ck.h5 model=$tmp/model.h5
run 1 --iters 2 --print-every 0 --save "$model"
cp "$model" "$tmp/model.orig"
args=(--lr 100 --chunk 64 --iters 200 --print-every 1 --checkpoint-every 5 --checkpoint "$ck"
      --save "$model")

run 2 "${args[@]}"
last=$(sed -n 's/^Cost after iteration \([0-9]*\):.*/\1/p' "$out" | tail -1)
if [[ -z $last ]]; then
    fail "no cost printed: $(cat "$err")"
    finish
    exit
fi
bad=$((last + 1)) kept=$(((last + 1) / 5 * 5))
expect_error "diverged" 1 "iteration $bad: diverged: NaN or Inf in the gradient" "layer" \
    "$ck keeps the state before iteration $kept"
grep -q '^Parameter hash' "$out" && fail "diverged: printed a Parameter hash"
cmp -s "$model" "$tmp/model.orig" || fail "diverged: the existing model was replaced"
first_message=$(grep '^dnn-train: error: ' "$err")

cp "$ck" "$tmp/ck.kept"
run 2 "${args[@]}" --resume "$ck"
if grep -q "^dnn-train: resuming from $ck at iteration $kept\$" "$out"; then
    pass "the kept checkpoint resumes at iteration $kept"
else
    fail "the kept checkpoint did not resume at iteration $kept: $(cat "$out" "$err")"
fi
expect_error "diverged again after resuming" 1 "iteration $bad: diverged" \
    "this run wrote no checkpoint ($ck untouched)"
[[ $(grep '^dnn-train: error: ' "$err") == "${first_message%%;*}"* ]] ||
    fail "the resumed run diverged differently: $(cat "$err")"
cmp -s "$ck" "$tmp/ck.kept" || fail "the checkpoint changed when diverging again"
cmp -s "$model" "$tmp/model.orig" || fail "diverged again: the existing model was replaced"
finish
