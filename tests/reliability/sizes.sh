#!/usr/bin/env bash
# Sizes checked before memory is spent, special files as inputs, out of memory
# (issue 19, items 2, 6 and 7).
#   - Files of a few KB whose headers ask for gigabytes (make_bad_files: huge_model.h5,
#     huge_checkpoint.h5, huge_x.h5) are refused with exit 2 in less than a second more
#     than a refusal of a missing file takes, under a 3 GB address-space limit (so that
#     a reader that allocates first is slow, not a danger to the machine).
#   - dnn-predict refuses a FIFO, /dev/zero or a directory as --model or --data with
#     exit 2 without blocking (dnn-train's inputs: bad_input.sh's table).
#   - Out of memory while loading (a real file of compressed zeros that needs 1.5 GiB,
#     under a 1 GB limit; or DNN_MEMORY_LIMIT below what the sizes need) exits 2 with
#     a message saying out of memory, for dnn-train and dnn-predict.
#
# usage: sizes.sh DNN_TRAIN MAKE_BAD_FILES DNN_PREDICT    (MPIEXEC is not used)
set -uo pipefail
train=$1 make_bad_files=$2 predict=$3
source "$(dirname "$0")/lib.sh"

d=$tmp/data
mkdir "$d" "$tmp/a-directory"
"$make_bad_files" "$d" || exit 1
good=$d/good.h5
mkfifo "$tmp/fifo"

# limited KB PROGRAM ARGS...: PROGRAM (one process, no mpiexec) under an address-space
# limit of KB kilobytes and a timeout; sets rc, out, err and ms (wall time). Under
# AddressSanitizer (ASAN_OPTIONS set: DNN_SANITIZE builds), which reserves terabytes of
# address space, the limit is ASan's largest allocation instead.
limited() {
    local kb=$1
    shift
    rc=0 out=$tmp/out err=$tmp/err
    local start
    start=$(date +%s%N)
    if [[ -n ${ASAN_OPTIONS:-} ]]; then
        ASAN_OPTIONS="$ASAN_OPTIONS:max_allocation_size_mb=$((kb / 1024))" \
            timeout 60 "$@" >"$out" 2>"$err" || rc=$?
    else
        # shellcheck disable=SC2016 # expanded by the inner shell
        timeout 60 bash -c 'ulimit -v "$0" && exec "$@"' "$kb" "$@" >"$out" 2>"$err" || rc=$?
    fi
    ms=$((($(date +%s%N) - start) / 1000000))
}

# refused PROGRAM-NAME WHAT 'TEXT|...' ARGS...: the last run exited 2 with one error line
# of PROGRAM-NAME containing each TEXT
refused() {
    local name=$1 what=$2 texts=$3 line
    IFS='|' read -r -a expected <<<"$texts"
    line=$(grep "^$name: error: " "$err" || true)
    if [[ $rc -ne 2 || $(grep -c "^$name: error: " "$err") -ne 1 ]]; then
        fail "$what: exit status $rc, expected 2 with one error line: $(head -c 600 "$err")"
        return 1
    fi
    for text in "${expected[@]}"; do
        if [[ $line != *"$text"* ]]; then
            fail "$what: the message does not say '$text': $line"
            return 1
        fi
    done
    pass "$what ($ms ms): $line"
}

# quick WHAT BASELINE_MS: the last run took less than a second more than BASELINE_MS
# A refusal within a second (or half the start-up, on a loaded machine) of refusing a
# missing file: milliseconds of work, not gigabytes. The memory limit of `limited` is
# what guarantees no gigabytes; under AddressSanitizer, whose start-up time varies by
# seconds with the load, only that limit is checked.
quick() {
    if [[ -n ${ASAN_OPTIONS:-} ]]; then
        return 0
    fi
    ((ms < $2 + 1000 + $2 / 2)) || fail "$1: took $ms ms, a refusal of a missing file $2 ms"
}

# ---- a few KB asking for gigabytes ----
gb3=3000000
limited $gb3 "$predict" --model "$d/missing.h5" --data "$good"
base_predict=$ms
limited $gb3 "$predict" --model "$d/huge_model.h5" --data "$good"
refused dnn-predict "dnn-predict: a 3 KB model of 2 GiB of parameters" \
    "$d/huge_model.h5|not all stored in the file" &&
    quick "dnn-predict --model huge_model.h5" "$base_predict"

limited $gb3 "$train" --train "$good" --layers auto,3,1 --iters 2 --resume "$d/missing.h5"
base_train=$ms
limited $gb3 "$train" --train "$good" --layers auto,3,1 --iters 2 --resume "$d/huge_checkpoint.h5"
refused dnn-train "dnn-train --resume: a 3 KB checkpoint of 2 GiB of parameters" \
    "--resume $d/huge_checkpoint.h5|layer sizes: checkpoint 4,16384,16384,1, this run 4,3,1" &&
    quick "dnn-train --resume huge_checkpoint.h5" "$base_train"
limited $gb3 "$train" --train "$good" --layers auto,3,1 --iters 2 \
    --resume "$d/unwritten_checkpoint.h5"
refused dnn-train "dnn-train --resume: the run's layer sizes, parameters never written" \
    "--resume $d/unwritten_checkpoint.h5|'parameters'|not all stored in the file"
limited $gb3 "$train" --train "$d/huge_x.h5" --layers auto,1 --iters 2
refused dnn-train "dnn-train --train: 50 KB of data shaped (50000, 4000)" \
    "$d/huge_x.h5|'train_set_x'|not all stored in the file" &&
    quick "dnn-train --train huge_x.h5" "$base_train"

# ---- special files as dnn-predict's inputs (never blocking: the timeout would say) ----
model=$tmp/model.h5
run 1 --train "$good" --layers auto,3,1 --iters 2 --print-every 0 --save "$model"
[[ $rc -eq 0 ]] || { echo "the good run failed: $(cat "$err")"; exit 1; }
for args in "--model $tmp/fifo --data $good" "--model /dev/zero --data $good" \
    "--model $tmp/a-directory --data $good" "--model $model --data $tmp/fifo" \
    "--model $model --data /dev/zero" "--model $model --data $tmp/a-directory"; do
    read -r -a argv <<<"$args"
    limited $gb3 "$predict" "${argv[@]}"
    file=${argv[1]}
    [[ $file == "$model" ]] && file=${argv[3]}
    refused dnn-predict "dnn-predict $args" "$file|not a regular file"
done

# ---- out of memory while loading: exit 2, saying so ----
model4000=$tmp/m4000.h5
run 1 --synthetic 16,4000 --layers auto,1 --iters 1 --print-every 0 --save "$model4000"
[[ $rc -eq 0 ]] || { echo "the 4000-input model failed: $(cat "$err")"; exit 1; }
limited 1000000 "$train" --train "$d/zeros_x.h5" --layers auto,1 --iters 1
refused dnn-train "dnn-train: 1.5 GiB of compressed zeros under a 1 GB limit" \
    "$d/zeros_x.h5|out of memory"
limited 1000000 "$predict" --model "$model4000" --data "$d/zeros_x.h5"
refused dnn-predict "dnn-predict: 1.5 GiB of compressed zeros under a 1 GB limit" \
    "$d/zeros_x.h5|out of memory"
export DNN_MEMORY_LIMIT=100000000
limited $gb3 "$train" --train "$d/zeros_x.h5" --layers auto,1 --iters 1
refused dnn-train "dnn-train: DNN_MEMORY_LIMIT=100000000" \
    "$d/zeros_x.h5|out of memory|1600400000 bytes|DNN_MEMORY_LIMIT" &&
    quick "dnn-train with DNN_MEMORY_LIMIT" "$base_train"
limited $gb3 "$predict" --model "$model4000" --data "$d/zeros_x.h5"
refused dnn-predict "dnn-predict: DNN_MEMORY_LIMIT=100000000" "out of memory|DNN_MEMORY_LIMIT"
DNN_MEMORY_LIMIT=1000 limited $gb3 "$predict" --model "$model4000" --data "$good"
refused dnn-predict "dnn-predict: a 32 KB model, DNN_MEMORY_LIMIT=1000" \
    "$model4000|out of memory|the model's parameters"
unset DNN_MEMORY_LIMIT
finish
