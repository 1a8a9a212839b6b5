#!/usr/bin/env bash
# dnn-train --save, then dnn-predict on the saved model: the accuracies agree exactly
# with the ones dnn-train printed, the CSV is complete, and failed saves or failed
# predictions leave the files that were there byte for byte.
#
# usage: train_save_predict.sh DNN_TRAIN DNN_PREDICT
# The course part needs train_catvnoncat.h5 and test_catvnoncat.h5 from
# DNN_SHARED_DATA_DIR (default: data/ next to the project root) and is
# skipped with a message when they are absent.
set -euo pipefail

if [[ $# -ne 2 ]]; then
    echo "usage: $0 DNN_TRAIN DNN_PREDICT" >&2
    exit 2
fi
train=$1
predict=$2
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=$(cd "$here/../.." && pwd)
shared=${DNN_SHARED_DATA_DIR:-$root/data}
tmp=$(mktemp -d "${TMPDIR:-/tmp}/dnn_train_save_predict.XXXXXX")
trap 'rm -rf "$tmp"' EXIT

passed=0
failed=0
check() { # check DESCRIPTION COMMAND...: one test, passing when COMMAND succeeds
    local what=$1
    shift
    if "$@"; then
        passed=$((passed + 1))
    else
        echo "FAIL: $what" >&2
        failed=$((failed + 1))
    fi
}

# run PROGRAM ARGS...: sets rc, out and err.
run() {
    rc=0
    "$@" >"$tmp/out" 2>"$tmp/err" || rc=$?
    out=$(cat "$tmp/out")
    err=$(cat "$tmp/err")
}

# value_of LABEL: the text after "LABEL: " on the line of $out that starts with it.
value_of() {
    sed -n "s/^$1: //p" <<<"$out" | head -n 1
}

contains() { # contains TEXT PART
    [[ $1 == *"$2"* ]]
}

no_temporary_files() { # no_temporary_files DIR
    [[ -z $(find "$1" -name '*.tmp*' -print) ]]
}

fails_with() { # fails_with TEXT: the last run exited 2 with one error line containing TEXT
    if [[ $rc -ne 2 || -n $out || $(wc -l <<<"$err") -ne 1 || $err != *"error: "*"$1"* ]]; then
        echo "  exit status $rc (expected 2); stdout: '$out'; stderr: '$err'" >&2
        return 1
    fi
}

# ---- the default synthetic problem: save, failed saves, and a model of the wrong width ----

model=$tmp/synthetic.h5
run "$train" --iters 5 --print-every 0 --save "$model"
check "dnn-train --save $model: exit status $rc, stderr: $err" test "$rc" -eq 0
check "dnn-train --save wrote no file" test -s "$model"
check "dnn-train --save left a temporary file" no_temporary_files "$tmp"
cp "$model" "$tmp/synthetic.before"

# a save through the model file as if it were a directory, and a save onto a directory
run "$train" --iters 5 --print-every 0 --seed 2 --save "$model/"
check "--save $model/: exit status $rc, expected 2" test "$rc" -eq 2
check "--save $model/: the message does not name the path: $err" contains "$err" "$model/"
check "a failed save changed $model" cmp -s "$model" "$tmp/synthetic.before"
mkdir "$tmp/adir"
run "$train" --iters 5 --print-every 0 --seed 2 --save "$tmp/adir"
check "--save DIRECTORY did not fail with status 2 (rc $rc: $err)" test "$rc" -eq 2
check "--save DIRECTORY put files in it" test -z "$(ls -A "$tmp/adir")"
check "a failed save left a temporary file" no_temporary_files "$tmp"
check "a failed save changed $model" cmp -s "$model" "$tmp/synthetic.before"

# a successful save of another model replaces the file
run "$train" --iters 5 --print-every 0 --seed 2 --save "$model"
check "dnn-train --seed 2 --save: exit status $rc, stderr: $err" test "$rc" -eq 0
differ() { ! cmp -s "$1" "$2"; }
check "a second save did not replace $model" differ "$model" "$tmp/synthetic.before"

if [[ ! -f $shared/train_catvnoncat.h5 || ! -f $shared/test_catvnoncat.h5 ]]; then
    echo "skipped: the course part needs $shared/train_catvnoncat.h5 and test_catvnoncat.h5"
    echo "$passed passed, $failed failed"
    [[ $failed -eq 0 ]]
    exit
fi

# the synthetic model takes 16 inputs, the course's images have 12288
run "$predict" --model "$model" --data "$shared/test_catvnoncat.h5"
check "dnn-predict with a 16-input model on 12288 features" fails_with "12288"
check "the width mismatch message does not name the model: $err" contains "$err" "$model"
check "the width mismatch message does not name the data: $err" \
    contains "$err" "$shared/test_catvnoncat.h5"

# ---- the course's data: dnn-predict reproduces dnn-train's accuracies ----

# course_model NAME TRAIN-FLAGS...: trains and saves $tmp/NAME.h5, then checks that
# dnn-predict's accuracies on both sets are dnn-train's, and writes $tmp/NAME-train.csv
# (with the default --batch) and $tmp/NAME-test.csv.
course_model() {
    local name=$1
    shift
    local model=$tmp/$name.h5 csv=$tmp/$name-test.csv
    run "$train" --train "$shared/train_catvnoncat.h5" --test "$shared/test_catvnoncat.h5" \
        --print-every 0 --save "$model" "$@"
    check "$name: dnn-train exit status $rc, stderr: $err" test "$rc" -eq 0
    local train_accuracy test_accuracy
    train_accuracy=$(value_of "Train accuracy")
    test_accuracy=$(value_of "Test accuracy")
    check "$name: dnn-train printed no test accuracy: $out" test -n "$test_accuracy"
    # dnn-train evaluates in blocks of its chunk: the same blocks give the same bits
    local chunk
    chunk=$(sed -n 's/^dnn-train: .*, chunk \([0-9][0-9]*\),.*/\1/p' <<<"$out")
    check "$name: no 'chunk N' in dnn-train's first line: $out" test -n "$chunk"
    local batch=(--batch "${chunk:-256}")

    run "$predict" --model "$model" --data "$shared/test_catvnoncat.h5" --out "$csv" "${batch[@]}"
    check "$name: dnn-predict on the test set: exit status $rc, stderr: $err" \
        test "$rc" -eq 0 -a -z "$err"
    check "$name: dnn-predict printed 'Accuracy: $(value_of Accuracy)', dnn-train 'Test accuracy: $test_accuracy'" \
        test "$(value_of Accuracy)" = "$test_accuracy"
    check "$name: the CSV has $(wc -l <"$csv" 2>/dev/null) lines, expected 51" \
        test "$(wc -l <"$csv")" -eq 51
    check "$name: the CSV header is '$(head -n 1 "$csv")'" \
        test "$(head -n 1 "$csv")" = "index,probability,prediction"
    local bad_rows
    # digits: %.17g prints 15 to 17 significant digits for the probabilities here (a
    # shorter one has odds of about 1e-5)
    bad_rows=$(awk -F, 'NR == 1 { next }
        { digits = $2; sub(/[eE].*/, "", digits); gsub(/[^0-9]/, "", digits)
          sub(/^0+/, "", digits) }
        NF != 3 || $1 != NR - 2 || $2 < 0 || $2 > 1 || length(digits) < 12 ||
        $3 != ($2 > 0.5 ? 1 : 0) { if (++bad <= 3) print "line " NR ": " $0 }' "$csv")
    check "$name: CSV rows with a wrong index, probability or prediction: $bad_rows" \
        test -z "$bad_rows"
    check "$name: dnn-predict --out left a temporary file" no_temporary_files "$tmp"

    run "$predict" --model "$model" --data "$shared/train_catvnoncat.h5" \
        --out "$tmp/$name-train.csv" "${batch[@]}"
    check "$name: dnn-predict printed 'Accuracy: $(value_of Accuracy)' on the training set, dnn-train 'Train accuracy: $train_accuracy'" \
        test -n "$train_accuracy" -a "$(value_of Accuracy)" = "$train_accuracy"
}

# the brief's model (it still predicts 0 for every example) ...
course_model course --layers auto,7,1 --init normal-0.01 --iters 20
course=$tmp/course.h5
csv=$tmp/course-test.csv
# ... and one whose predictions are mixed, so that a wrong one changes the accuracy
course_model mixed --layers auto,7,1 --init lecun --lr 0.02 --iters 100
mixed_predictions=$(cut -d, -f3 "$tmp/mixed-train.csv" | sort | uniq -c | wc -l)
check "the mixed model predicts only one class (${mixed_predictions} distinct values)" \
    test "$mixed_predictions" -eq 3 # 0, 1 and the header

# the block size does not change the predictions, and each example's probability at
# most in the last bits (BLAS kernels round differently for different block widths)
for batch in 1 7 209 256 100000; do
    run "$predict" --model "$tmp/mixed.h5" --data "$shared/train_catvnoncat.h5" \
        --batch "$batch" --out "$tmp/batch.csv"
    check "dnn-predict --batch $batch: exit status $rc ($err)" test "$rc" -eq 0
    differences=$(paste -d, "$tmp/mixed-train.csv" "$tmp/batch.csv" | awk -F, '
        NR == 1 { next }
        { d = $2 - $5; if (d < 0) d = -d }
        NF != 6 || $1 != $4 || $3 != $6 || d > 1e-15 { if (++bad <= 3) print "line " NR ": " $0 }')
    check "dnn-predict --batch $batch: rows differ from the default: $differences" \
        test -z "$differences" -a "$(wc -l <"$tmp/batch.csv")" -eq 210
done

# a failed save of the course model leaves the previous one byte for byte
cp "$course" "$tmp/course.before"
run "$train" --train "$shared/train_catvnoncat.h5" --layers auto,7,1 --init normal-0.01 \
    --iters 2 --save "$tmp/adir"
check "--save DIRECTORY after the course run: exit status $rc, expected 2" test "$rc" -eq 2
run "$train" --train "$shared/train_catvnoncat.h5" --layers auto,7,1 --init normal-0.01 \
    --iters 2 --save "$course/"
check "--save $course/: exit status $rc, expected 2" test "$rc" -eq 2
check "a failed save changed $course" cmp -s "$course" "$tmp/course.before"
check "a failed save left a temporary file" no_temporary_files "$tmp"

# failed predictions leave an existing CSV byte for byte, and no temporary file
cp "$csv" "$tmp/csv.before"
run "$predict" --model "$model" --data "$shared/test_catvnoncat.h5" --out "$csv"
check "dnn-predict with the wrong model" fails_with "12288"
run "$predict" --model "$tmp/missing.h5" --data "$shared/test_catvnoncat.h5" --out "$csv"
check "dnn-predict with a missing model" fails_with "$tmp/missing.h5"
run "$predict" --model "$course" --data "$csv" --out "$csv"
check "dnn-predict --out onto its own input" fails_with "$csv"
check "a failed prediction changed $csv" cmp -s "$csv" "$tmp/csv.before"
run "$predict" --model "$course" --data "$shared/test_catvnoncat.h5" --out "$tmp/adir"
check "dnn-predict --out DIRECTORY" fails_with "$tmp/adir"
run "$predict" --model "$course" --data "$shared/test_catvnoncat.h5" --out "$tmp/nodir/p.csv"
check "dnn-predict --out in a missing directory" fails_with "$tmp/nodir/p.csv"
check "a failed prediction left a temporary file" no_temporary_files "$tmp"

# bad flags of dnn-predict
for args in "--bogus" "--model" "--data $csv" "--model $course" \
    "--model $course --data $csv --batch 0" "--model $course --data $csv --batch x" \
    "--model $course --data $csv --blas openblas"; do
    read -r -a argv <<<"$args"
    run "$predict" "${argv[@]}"
    check "dnn-predict $args" fails_with ""
done
run "$predict" --model --data "$csv"
check "dnn-predict --model --data FILE (a forgotten value)" fails_with "--model needs a value"
run "$predict" --model "$course" --data "$csv" stray
check "dnn-predict with a stray argument" fails_with "stray"
run "$predict" --help
check "dnn-predict --help: exit status $rc, stderr '$err'" test "$rc" -eq 0 -a -z "$err"
for flag in --model --data --out --x-dataset --y-dataset --no-scale --batch --blas --help; do
    check "dnn-predict --help does not list $flag" grep -q -e "^ *$flag\\b" <<<"$out"
done

# a model trained in float predicts as dnn-train evaluated it: in float (its
# probabilities are floats widened), the same train and test accuracies
if [[ -f "$shared/train_catvnoncat.h5" && -f "$shared/test_catvnoncat.h5" ]]; then
    m32="$tmp/cat_f32.h5"
    run "$train" --train "$shared/train_catvnoncat.h5" --test "$shared/test_catvnoncat.h5" \
        --layers 12288,20,7,5,1 --iters 300 --print-every 0 --dtype f32 --save "$m32"
    check "dnn-train --dtype f32 --save: exit status $rc, stderr: $err" test "$rc" -eq 0
    train_accuracy=$(value_of "Train accuracy") test_accuracy=$(value_of "Test accuracy")
    run "$predict" --model "$m32" --data "$shared/train_catvnoncat.h5"
    check "f32 model, train set: '$out' is not dnn-train's $train_accuracy" \
        test "$out" = "Accuracy: $train_accuracy"
    run "$predict" --model "$m32" --data "$shared/test_catvnoncat.h5" --out "$tmp/p32.csv"
    check "f32 model, test set: '$out' is not dnn-train's $test_accuracy" \
        test "$out" = "Accuracy: $test_accuracy"
    floats() { # every probability of the CSV is a float widened to double
        python3 - "$1" <<'PY'
import csv, struct, sys
rows = list(csv.DictReader(open(sys.argv[1])))
ok = rows and all(struct.unpack("f", struct.pack("f", float(r["probability"])))[0]
                  == float(r["probability"]) for r in rows)
sys.exit(0 if ok else 1)
PY
    }
    check "an f32 model's probabilities are not floats: predicted in double" floats "$tmp/p32.csv"
else
    echo "skipped: the f32 model case (no course data in $shared)"
fi

echo "$passed passed, $failed failed"
[[ $failed -eq 0 ]]
