#!/usr/bin/env bash
# Mini-batches read from the file (--batch-read file, issue 18): the same printed costs
# and Parameter hash as with the training set in memory, on 1, 2 and 3 ranks (3: a rank
# without examples in some batches), f64 and f32, with dropout; a rank's peak memory is
# bounded by its share and a few batches, not the data set (4 ranks on a data set of
# 8000 examples of 3072 bytes, which take 221 MB as doubles with their codes); auto
# reads from the file when DNN_MEMORY_LIMIT leaves too little memory for the set.
# (Under the sanitizers, DNN_SANITIZED=1, peak memory is not compared.)
set -euo pipefail
dnn_train=$1 shared=$2
source "$(dirname "$0")/common.sh"
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT

same_as_memory() { # name args...
    local name=$1 ref="" layout got
    shift
    for layout in memory:1 file:1 file:2 file:3 memory:3; do
        run_ranks "${layout#*:}" 1 "$dnn_train" "$@" --batch-read "${layout%:*}" \
            2>&1 | grep -v '^dnn-train:' >"$out/run"
        got=$(cat "$out/run")
        grep -q '^Parameter hash: 0x' "$out/run" || { fail "$name, $layout: no hash: $got"; return; }
        if [ -z "$ref" ]; then
            ref=$got
        elif [ "$got" != "$ref" ]; then
            fail "$name: $layout differs from memory:1"
            diff <(echo "$ref") <(echo "$got") | head -5
            return
        fi
    done
    pass "$name: file and memory, 1-3 ranks: $(grep hash <<<"$ref")"
}

same_as_memory "synthetic, batches of 64 (2 chunks), dropout" --batch-size 64 --epochs 2 \
    --print-every 1 --dropout 0.7 --optimizer adam --lr 0.01
same_as_memory "synthetic f32, batches of 300, drop-last" --batch-size 300 --drop-last \
    --epochs 2 --print-every 1 --dtype f32 --lr 0.1
if [ -f "$shared/train_catvnoncat.h5" ]; then
    same_as_memory "course data (8-bit codes), batches of 64, Adam, L2, dropout" \
        --train "$shared/train_catvnoncat.h5" --test "$shared/test_catvnoncat.h5" \
        --layers auto,20,7,5,1 --batch-size 64 --epochs 2 --print-every 1 --optimizer adam \
        --lr 0.001 --l2 0.7 --dropout 0.86
fi

# memory: each rank's peak resident set (GNU time's %M, in KB)
if [ -x /usr/bin/time ] && /usr/bin/python3 -c 'import h5py, numpy' 2>/dev/null; then
    /usr/bin/python3 - "$out/big.h5" <<'PY'
import sys, h5py, numpy as np
rng = np.random.default_rng(1)
x = rng.integers(0, 256, size=(8000, 32, 32, 3), dtype=np.uint8)
y = (x.reshape(8000, -1)[:, :8].sum(axis=1) > 1020).astype(np.uint8)
with h5py.File(sys.argv[1], "w") as f:
    f["train_set_x"] = x
    f["train_set_y"] = y
PY
    peak() { # mode: the largest peak over the 4 ranks, in MB
        run_ranks 4 1 /usr/bin/time -f 'peak %M' "$dnn_train" --train "$out/big.h5" \
            --layers auto,8,1 --batch-size 256 --epochs 1 --print-every 1 --batch-read "$1" \
            >"$out/$1.out" 2>"$out/$1.err"
        awk '/^peak/ { if ($2 > m) m = $2 } END { print int(m / 1024) }' "$out/$1.err"
    }
    in_memory=$(peak memory) from_file=$(peak file)
    if [ "$(grep hash "$out/memory.out")" != "$(grep hash "$out/file.out")" ]; then
        fail "the big data set: file and memory give different hashes"
    elif [ "${DNN_SANITIZED:-0}" = 1 ]; then
        echo "note: under the sanitizers, peak memory is not checked" \
            "($from_file MB from the file, $in_memory MB in memory)"
    elif ((from_file * 2 < in_memory)) && ((from_file < 150)); then
        pass "peak memory per rank: $from_file MB reading from the file, $in_memory MB in memory"
    else
        fail "peak memory per rank: $from_file MB from the file, $in_memory MB in memory"
    fi
    DNN_MEMORY_LIMIT=400000000 run_ranks 4 1 "$dnn_train" --train "$out/big.h5" \
        --layers auto,8,1 --batch-size 256 --epochs 1 --print-every 1 >"$out/auto.out" 2>&1
    if grep -q 'read from the file' "$out/auto.out" &&
        [ "$(grep hash "$out/auto.out")" = "$(grep hash "$out/file.out")" ]; then
        pass "auto, 400 MB of memory for 4 ranks: reads from the file"
    else
        fail "auto with DNN_MEMORY_LIMIT: $(head -3 "$out/auto.out")"
    fi
else
    echo "skipped the memory check: needs GNU time and python3 with h5py"
fi
finish
