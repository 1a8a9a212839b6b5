#!/usr/bin/env bash
# Issue 20, items 3 and 4: dnn-train --standardize on tabular data whose features are on
# very different scales, the statistics against an independent reference, the same
# model file on 1 and 2 ranks x 1 and 2 threads; dnn-predict applying the model's
# transform, scoring without labels, refusing a contradicting flag and a damaged model.
#
# usage: standardize_predict.sh DNN_TRAIN DNN_PREDICT DNN_CONVERT
# The reference check and the features-only file need /usr/bin/python3 with numpy and
# h5py (skipped with a message without them); MPIEXEC names mpiexec (tests/mpi/common.sh).
set -euo pipefail

if [[ $# -ne 3 ]]; then
    echo "usage: $0 DNN_TRAIN DNN_PREDICT DNN_CONVERT" >&2
    exit 2
fi
train=$1
predict=$2
convert=$3
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
reference=$here/../reference/standardize_reference.py
# shellcheck source=../mpi/common.sh
source "$here/../mpi/common.sh" # run_ranks, pass, fail, finish
tmp=$(mktemp -d "${TMPDIR:-/tmp}/dnn_standardize.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
python=/usr/bin/python3

run() { # run PROGRAM ARGS...: sets rc, out and err
    rc=0
    "$@" >"$tmp/out" 2>"$tmp/err" || rc=$?
    out=$(cat "$tmp/out")
    err=$(cat "$tmp/err")
}
value_of() { sed -n "s/^$1: //p" <<<"$out" | head -n 1; }
# the cost printed first and last
first_cost() { grep '^Cost after' <<<"$out" | head -n 1 | sed 's/.*: //; s/;.*//'; }
last_cost() { grep '^Cost after' <<<"$out" | tail -n 1 | sed 's/.*: //; s/;.*//'; }
below() { awk -v a="$1" -v b="$2" 'BEGIN { exit !(a < b) }'; }

# ---- data: sizes in the thousands next to ratios near 0.01, and a constant ----
$python "$reference" make 1 600 "$tmp/train.csv"
$python "$reference" make 2 200 "$tmp/test.csv"
"$convert" "$tmp/train.csv" "$tmp/train.h5" --label label >/dev/null
"$convert" "$tmp/test.csv" "$tmp/test.h5" --label label >/dev/null
common=(--train "$tmp/train.h5" --layers auto,8,1 --iters 300 --print-every 100 --chunk 64)

# ---- the plain run does not train at the course's learning rate; --standardize does ----
run "$train" "${common[@]}"
if [[ $rc -ne 0 && $err == *diverged* ]] || { [[ $rc -eq 0 ]] && ! below "$(last_cost)" "$(first_cost)"; }; then
    pass "without --standardize the cost does not go down (exit $rc)"
else
    fail "the plain run trained: exit $rc, costs $(first_cost) -> $(last_cost): $err"
fi
run "$train" "${common[@]}" --test "$tmp/test.h5" --standardize --save "$tmp/std.h5"
first=$(first_cost) last=$(last_cost)
if [[ $rc -eq 0 ]] && below "$last" "$first" && below "$last" 0.6; then
    pass "--standardize trains: cost $first -> $last"
else
    fail "--standardize: exit $rc, cost $first -> $last: $err"
fi
test_accuracy=$(value_of "Test accuracy")
hash=$(value_of "Parameter hash")

# ---- the statistics against fsum and numpy ----
if $python -c 'import numpy, h5py' 2>/dev/null; then
    if $python "$reference" check "$tmp/train.h5" "$tmp/std.h5" >"$tmp/ref" 2>&1; then
        pass "statistics: $(cat "$tmp/ref")"
    else
        fail "statistics: $(cat "$tmp/ref")"
    fi
else
    echo "skipped: the reference check needs $python with numpy and h5py"
fi

# ---- the same model, byte for byte, on 1 and 2 ranks x 1 and 2 threads ----
for ranks in 1 2; do
    for threads in 1 2; do
        run run_ranks "$ranks" "$threads" "$train" "${common[@]}" --test "$tmp/test.h5" \
            --standardize --save "$tmp/std_${ranks}x$threads.h5"
        if [[ $rc -eq 0 && $(value_of "Parameter hash") == "$hash" ]] &&
            cmp -s "$tmp/std.h5" "$tmp/std_${ranks}x$threads.h5"; then
            pass "$ranks rank(s) x $threads thread(s): hash $hash, the same model file"
        else
            fail "$ranks rank(s) x $threads thread(s): exit $rc, $(value_of "Parameter hash") (1 rank: $hash): $err"
        fi
    done
done
# mini-batches read from the file are standardized as they come: the bits of memory's
mb=(--train "$tmp/train.h5" --layers auto,8,1 --iters 5 --print-every 0 --standardize
    --batch-size 100)
run run_ranks 1 1 "$train" "${mb[@]}" --batch-read memory
memory_hash=$(value_of "Parameter hash")
run run_ranks 2 2 "$train" "${mb[@]}" --batch-read file
if [[ $rc -eq 0 && -n $memory_hash && $(value_of "Parameter hash") == "$memory_hash" ]]; then
    pass "mini-batches from the file (2 x 2) give memory's hash $memory_hash"
else
    fail "mini-batches from the file: exit $rc, $(value_of "Parameter hash") vs $memory_hash: $err"
fi
# a resume must standardize too (the checkpoint's data fingerprint sees the values)
run "$train" "${common[@]}" --standardize --iters 5 --checkpoint "$tmp/ck.h5"
run "$train" "${common[@]}" --iters 10 --resume "$tmp/ck.h5"
if [[ $rc -eq 2 && $err == *"different run"* ]]; then
    pass "a resume without --standardize is refused"
else
    fail "resume without --standardize: exit $rc: $err"
fi

# ---- dnn-predict applies the model's statistics ----
run "$predict" --model "$tmp/std.h5" --data "$tmp/test.h5"
if [[ $rc -eq 0 && $(value_of Accuracy) == "$test_accuracy" ]]; then
    pass "dnn-predict's accuracy is dnn-train's test accuracy ($test_accuracy)"
else
    fail "dnn-predict: exit $rc, '$out' (dnn-train: $test_accuracy): $err"
fi
# without labels: the CSV to stdout, no accuracy; the same table with --out
run "$predict" --model "$tmp/std.h5" --data "$tmp/test.h5" --no-labels
cp "$tmp/out" "$tmp/stdout.csv"
if [[ $rc -eq 0 && $(head -n 1 <<<"$out") == "index,probability,prediction" &&
    $(wc -l <<<"$out") -eq 201 && $out != *Accuracy* && -z $err ]] &&
    awk -F, 'NR > 1 && !($1 == NR - 2 && $2 >= 0 && $2 <= 1 && $3 == ($2 > 0.5)) { exit 1 }' "$tmp/stdout.csv"; then
    pass "--no-labels: 200 rows 'index,probability,prediction' on stdout"
else
    fail "--no-labels: exit $rc, $(wc -l <<<"$out") lines: $(head -n 3 <<<"$out") $err"
fi
run "$predict" --model "$tmp/std.h5" --data "$tmp/test.h5" --no-labels --out "$tmp/p.csv"
if [[ $rc -eq 0 && -z $out ]] && cmp -s "$tmp/p.csv" "$tmp/stdout.csv"; then
    pass "--no-labels --out: the same table in the file, stdout empty"
else
    fail "--no-labels --out: exit $rc, stdout '$out': $err"
fi
if $python -c 'import h5py' 2>/dev/null; then # a file of features only
    $python -c 'import h5py, sys
with h5py.File(sys.argv[1], "r") as f, h5py.File(sys.argv[2], "w") as g:
    g["new_x"] = f["train_set_x"][...]' "$tmp/test.h5" "$tmp/features.h5"
    run "$predict" --model "$tmp/std.h5" --data "$tmp/features.h5"
    if [[ $rc -eq 0 ]] && cmp -s "$tmp/out" "$tmp/stdout.csv"; then
        pass "a file of features only is scored (the same CSV)"
    else
        fail "features only: exit $rc: $(head -n 2 <<<"$out") $err"
    fi
fi

# ---- a flag that contradicts the model: exit 2, nothing written ----
run "$train" "${common[@]}" --iters 1 --save "$tmp/scaled.h5" # recorded: scale255
echo keep >"$tmp/keep.csv"
run "$predict" --model "$tmp/scaled.h5" --data "$tmp/test.h5" --no-scale --out "$tmp/keep.csv"
if [[ $rc -eq 2 && -z $out && $err == *"--no-scale contradicts the model"* &&
    $(cat "$tmp/keep.csv") == keep ]]; then
    pass "--no-scale on a /255 model: exit 2, --out untouched"
else
    fail "--no-scale on a /255 model: exit $rc, stdout '$out': $err"
fi
run "$predict" --model "$tmp/scaled.h5" --data "$tmp/test.h5"
if [[ $rc -eq 0 && $out == Accuracy:* ]]; then
    pass "the /255 model without the flag scores"
else
    fail "the /255 model: exit $rc: $err"
fi

# ---- one flipped byte in a parameter: refused as damaged ----
if $python -c 'import h5py' 2>/dev/null; then
    # the 8 bytes of W1[0, 0] in the file, found by value; its lowest mantissa bit flipped
    $python - "$tmp/std.h5" "$tmp/damaged.h5" <<'PY'
import h5py, struct, sys
with h5py.File(sys.argv[1], "r") as f:
    w = float(f["W1"][0, 0])
data = bytearray(open(sys.argv[1], "rb").read())
at = data.find(struct.pack("<d", w))
assert at >= 512 and data.find(struct.pack("<d", w), at + 1) < 0, "W1[0, 0] not found once"
data[at] ^= 1
open(sys.argv[2], "wb").write(bytes(data))
PY
    run "$predict" --model "$tmp/damaged.h5" --data "$tmp/test.h5" --out "$tmp/keep.csv"
    if [[ $rc -eq 2 && -z $out && $err == *"checksum mismatch"* && $(cat "$tmp/keep.csv") == keep ]]; then
        pass "a model with a flipped bit in W1 is refused: $err"
    else
        fail "damaged model: exit $rc, stdout '$out': $err"
    fi
fi
finish
