#!/usr/bin/env bash
# Issue 18: the test set's cost and accuracy on every printed line, and --early-stop N.
# On the course's cat data, where the 2-layer net's test cost falls, oscillates and
# then rises (iterations 0-900 at --lr 0.0075), it checks that
#   - with --test every printed line is "Cost after iteration I: C; test cost T, test
#     accuracy A", and the last one's accuracy is the final "Test accuracy" (the test
#     columns are of the parameters after the line's iteration); without --test the
#     line has no test columns;
#   - --early-stop N stops at the print this script finds from a run without it (the
#     first print of an iteration that is a multiple of --print-every with N such prints
#     since the last strictly lower test cost), printing the same lines up to there and
#     "Early stop after iteration P: best test cost T at iteration J";
#   - the run ends with the best parameters: its hash and train accuracy are those of a
#     run of --iters J+1, and its test accuracy is the one printed at J;
#   - 1 and 2 ranks print the same bits;
#   - resumed from a checkpoint before the best, between the best and the stop (after
#     a run of --iters whose last print does not count), and after the stop, on 1 or 2
#     ranks, a run prints what the uninterrupted run prints from there on and ends with
#     its hash.
#
# usage: early_stop.sh DNN_TRAIN DATA_DIR    (MPIEXEC: the mpiexec to use)
set -uo pipefail
train=$1 data=$2
source "$(dirname "$0")/common.sh"
tmp=$(mktemp -d "${TMPDIR:-/tmp}/dnn_early_stop.XXXXXX")
trap 'rm -rf "$tmp"' EXIT

patience=3 every=25 most=900
# shellcheck disable=SC2054 # commas inside arguments
problem=(--train "$data/train_catvnoncat.h5" --test "$data/test_catvnoncat.h5"
         --layers 12288,7,1 --lr 0.0075 --print-every "$every")

# go NAME RANKS ARGS...: dnn-train on RANKS ranks of one thread; stdout without the
# "dnn-train: ..." lines to $tmp/NAME, all of it to $tmp/NAME.all. Returns its status.
go() {
    local name=$1 ranks=$2
    shift 2
    local rc=0
    run_ranks "$ranks" 1 "$train" "$@" >"$tmp/$name.all" 2>"$tmp/$name.err" || rc=$?
    grep -v '^dnn-train:' "$tmp/$name.all" >"$tmp/$name"
    if [[ $rc -ne 0 ]]; then
        fail "$name: exit status $rc: $(cat "$tmp/$name.err")"
    fi
    return $rc
}

value() { # FILE PREFIX: the rest of the first line of FILE that starts with PREFIX
    sed -n "s/^$2//p" "$1" | head -n 1
}

# ---- the reference: no early stopping ----
go reference 1 "${problem[@]}" --iters $most || { finish; exit 1; }
number='-?[0-9][0-9.e+-]*'
bad_lines=$(grep '^Cost after' "$tmp/reference" |
    grep -Ev "^Cost after iteration [0-9]+: $number; test cost $number, test accuracy $number\$")
printed=$(grep -c '^Cost after iteration' "$tmp/reference")
if [[ -n $bad_lines || $printed -ne $((most / every + 1)) ]]; then
    fail "the printed lines ($printed, expected $((most / every + 1))) are not all" \
        "'Cost after iteration I: C; test cost T, test accuracy A': $bad_lines"
else
    pass "$printed lines with the test cost and accuracy"
fi
last_accuracy=$(tail -n 1 <(grep '^Cost after' "$tmp/reference") | sed 's/.*test accuracy //')
if [[ $last_accuracy != "$(value "$tmp/reference" 'Test accuracy: ')" ]]; then
    fail "the last line's test accuracy $last_accuracy is not the final one"
else
    pass "the last line's test accuracy is the final model's"
fi
go plain 1 --train "$data/train_catvnoncat.h5" --layers 12288,7,1 --iters 3 --print-every 1
plain_lines=$(grep -c '^Cost after iteration [0-9]*: [0-9.e-]*$' "$tmp/plain")
if grep -q 'test' "$tmp/plain" || [[ $plain_lines -ne 3 ]]; then
    fail "without --test the lines changed: $(cat "$tmp/plain")"
else
    pass "without --test the lines are as before"
fi

# Where --early-stop must stop, from the reference's counted prints: "P J T", or "" when
# it never stops; "resets" counts prints that beat the best after one or more did not.
read -r stop_at best_at best_cost resets < <(
    awk -v n=$patience -v every=$every '
        /^Cost after iteration/ {
            i = $4 + 0
            if (i % every != 0) next
            t = $0; sub(/.*test cost /, "", t); sub(/,.*/, "", t)
            if (!have || t + 0 < best + 0) {
                if (since > 0) resets++
                have = 1; best = t; at = i; since = 0
            } else if (++since >= n) {
                print i, at, best, resets + 0; exit
            }
        }' "$tmp/reference")
if [[ -z ${stop_at:-} ]]; then
    fail "setup: the reference's test cost never stops falling for $patience prints"
    finish
    exit 1
fi
echo "expected: stop after iteration $stop_at, best test cost $best_cost at iteration" \
    "$best_at ($resets resets before)"
[[ $resets -ge 1 ]] ||
    fail "setup: no print beat the best after one that did not (strictness untested)"

# ---- early stopping on 1 and 2 ranks ----
go early1 1 "${problem[@]}" --iters $most --early-stop $patience --checkpoint "$tmp/early1.h5"
expected_stop="Early stop after iteration $stop_at: best test cost $best_cost at iteration $best_at"
awk -v p="$stop_at" '/^Cost after iteration/ && $4 + 0 <= p' "$tmp/reference" \
    >"$tmp/lines.expected"
grep '^Cost after iteration' "$tmp/early1" >"$tmp/lines.early1"
if ! cmp -s "$tmp/lines.expected" "$tmp/lines.early1"; then
    fail "--early-stop $patience: the lines up to iteration $stop_at differ from the reference's:"
    diff "$tmp/lines.expected" "$tmp/lines.early1" | head -n 10
elif [[ $(grep '^Early stop' "$tmp/early1") != "$expected_stop" ]]; then
    fail "--early-stop $patience: expected '$expected_stop', got: $(grep '^Early' "$tmp/early1")"
else
    pass "--early-stop $patience stops after iteration $stop_at with the best at $best_at"
fi
best_accuracy=$(awk -v j="$best_at" '/^Cost after iteration/ && $4 + 0 == j' "$tmp/reference" |
    sed 's/.*test accuracy //')
if [[ $(value "$tmp/early1" 'Test accuracy: ') != "$best_accuracy" ]]; then
    fail "the final test accuracy $(value "$tmp/early1" 'Test accuracy: ')" \
        "is not the best print's $best_accuracy"
else
    pass "the final test accuracy is the best print's"
fi
go best 1 "${problem[@]}" --iters $((best_at + 1))
for what in 'Parameter hash: ' 'Train accuracy: ' 'Test accuracy: '; do
    got=$(value "$tmp/early1" "$what") want=$(value "$tmp/best" "$what")
    if [[ -z $got || $got != "$want" ]]; then
        fail "--early-stop: ${what%: } $got, --iters $((best_at + 1)) gives $want" \
            "(the best parameters were not kept)"
    else
        pass "--early-stop ends with the parameters of --iters $((best_at + 1)): ${what%: } $got"
    fi
done
go early2 2 "${problem[@]}" --iters $most --early-stop $patience
if cmp -s "$tmp/early1" "$tmp/early2"; then
    pass "1 and 2 ranks print the same bits"
else
    fail "1 and 2 ranks differ:"
    diff "$tmp/early1" "$tmp/early2" | head -n 10
fi

# ---- resumed runs end as the uninterrupted one ----
# resumed NAME RANKS CHECKPOINT: --iters $most from CHECKPOINT must print early1's lines
# from the iteration it resumes at, the early stop and the same results
resumed() {
    local name=$1 ranks=$2 ck=$3
    go "$name" "$ranks" "${problem[@]}" --iters $most --early-stop $patience --resume "$ck" ||
        return
    local at
    at=$(sed -n 's/^dnn-train: resuming from .* at iteration \([0-9]*\)$/\1/p' "$tmp/$name.all")
    awk -v at="$at" '!/^Cost after iteration/ || $4 + 0 >= at' "$tmp/early1" \
        >"$tmp/$name.expected"
    if cmp -s "$tmp/$name.expected" "$tmp/$name"; then
        pass "$name: resumed at iteration $at on $ranks rank(s), the same lines and hash"
    else
        fail "$name: resumed at iteration $at on $ranks rank(s), it differs from the" \
            "uninterrupted run:"
        diff "$tmp/$name.expected" "$tmp/$name" | head -n 10
    fi
}
# before the best: a checkpoint every 40 iterations, the run cut at one
before=$(((best_at - 30) / 40 * 40))
go cut_before 1 "${problem[@]}" --iters $before --early-stop $patience \
    --checkpoint "$tmp/before.h5" --checkpoint-every 40
resumed from_before 2 "$tmp/before.h5"
# between the best and the stop, after a run whose last print (not a multiple of
# --print-every) must not count
between=$((best_at + every + 13))
if ((between >= stop_at)); then
    fail "setup: no room between the best ($best_at) and the stop ($stop_at)"
else
    go cut_between 2 "${problem[@]}" --iters $between --early-stop $patience \
        --checkpoint "$tmp/between.h5"
    resumed from_between 1 "$tmp/between.h5"
fi
# after the stop: the checkpoint the early stop wrote; the run stops at once
resumed from_stop 2 "$tmp/early1.h5"
if grep -q '^Cost after' "$tmp/from_stop"; then
    fail "resumed after the early stop, it trained on: $(cat "$tmp/from_stop")"
fi

finish
