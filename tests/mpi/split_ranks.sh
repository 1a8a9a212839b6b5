#!/usr/bin/env bash
# The first layer split across two ranks (tests/mpi/test_split_ranks.c): with shared
# memory every split step must split; with DNN_SHARED_MEMORY=0 none may, and the bits
# are the same either way. Then dnn-train on the course's data, 2 ranks x 1 thread
# (split): its checkpoint is byte for byte one rank's, the model it saves gives one
# rank's model's probabilities to the bit (dnn-predict), and a run checkpointed at
# iteration 10 and resumed ends with the checkpoint and hash of a run never stopped
# (all read the ranks' first layer, which the split keeps in their shared memory).
#
# usage: split_ranks.sh TEST_SPLIT_RANKS [DNN_TRAIN DNN_PREDICT SHARED_DATA_DIR]
set -euo pipefail
test_split_ranks=$1 dnn_train=${2:-} dnn_predict=${3:-} shared=${4:-}
source "$(dirname "$0")/common.sh"
for sharing in 1 0; do
    if log=$(DNN_SHARED_MEMORY=$sharing run_ranks 2 1 "$test_split_ranks" "$sharing" 2>&1); then
        pass "DNN_SHARED_MEMORY=$sharing: $log"
    else
        fail "DNN_SHARED_MEMORY=$sharing"
        echo "$log"
    fi
done

if [ -z "$dnn_train" ] || [ ! -f "$shared/train_catvnoncat.h5" ] ||
    ! grep -qw avx512f /proc/cpuinfo; then
    echo "skipped the dnn-train part: needs dnn-train, $shared/train_catvnoncat.h5 and AVX-512"
    finish
    exit
fi
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
cat=(--train "$shared/train_catvnoncat.h5" --layers auto,20,7,5,1 --print-every 0 --timing)
train() { # ranks name args...: stdout to name.out, stderr to name.err
    local ranks=$1 name=$2
    shift 2
    run_ranks "$ranks" 1 "$dnn_train" "${cat[@]}" "$@" >"$tmp/$name.out" 2>"$tmp/$name.err"
}
train 1 alone --iters 20 --save "$tmp/alone.h5" --checkpoint "$tmp/alone.ck"
train 2 split --iters 20 --save "$tmp/split.h5" --checkpoint "$tmp/whole.ck" --checkpoint-every 10
predict() { # name: name.h5's probabilities on the training set to name.csv
    "$dnn_predict" --model "$tmp/$1.h5" --data "$shared/train_catvnoncat.h5" --batch 105 \
        --out "$tmp/$1.csv" >/dev/null
}
predict alone
predict split
if ! grep -q "^ranks: 20 of 20 steps split the first layer" "$tmp/split.err"; then
    fail "2x1 did not split every step"
    cat "$tmp/split.err"
elif cmp -s "$tmp/alone.ck" "$tmp/whole.ck" && cmp -s "$tmp/alone.csv" "$tmp/split.csv"; then
    pass "2x1 split: 1x1's checkpoint byte for byte, and its saved model's probabilities"
else
    fail "2x1 split: the checkpoint or the saved model's probabilities differ from 1x1's"
fi
train 2 first --iters 10 --checkpoint "$tmp/resumed.ck"
train 2 rest --iters 20 --resume "$tmp/resumed.ck" --checkpoint "$tmp/resumed.ck"
hash_of() { grep '^Parameter hash' "$tmp/$1.out"; }
if [ "$(hash_of rest)" = "$(hash_of split)" ] && cmp -s "$tmp/resumed.ck" "$tmp/whole.ck"; then
    pass "2x1 split: checkpointed at 10 and resumed, the run's hash and checkpoint"
else
    fail "2x1 split: resumed at 10: $(hash_of rest), not $(hash_of split), or another checkpoint"
fi
finish
