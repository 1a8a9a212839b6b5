#!/usr/bin/env bash
# Bad invocations of dnn-train: each exits with status 2, prints exactly one line
# "dnn-train: error: ..." on stderr naming the flag or the file, and nothing on stdout.
# --help exits 0 and lists every flag train_options.c accepts.
#
# usage: bad_flags.sh DNN_TRAIN
# DNN_SHARED_DATA_DIR overrides where the course files are (default: data/
# next to the project root).
set -euo pipefail

if [[ $# -ne 1 ]]; then
    echo "usage: $0 DNN_TRAIN" >&2
    exit 2
fi
train=$1
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=$(cd "$here/../.." && pwd)
shared=${DNN_SHARED_DATA_DIR:-$root/data}
tmp=$(mktemp -d "${TMPDIR:-/tmp}/dnn_bad_flags.XXXXXX")
trap 'rm -rf "$tmp"' EXIT

passed=0
failed=0
pass() { passed=$((passed + 1)); }
fail() {
    echo "FAIL: $*" >&2
    failed=$((failed + 1))
}

# run ARGS...: sets rc, out (stdout) and err (stderr) of one run of dnn-train.
run() {
    rc=0
    "$train" "$@" >"$tmp/out" 2>"$tmp/err" || rc=$?
    out=$(cat "$tmp/out")
    err=$(cat "$tmp/err")
}

# bad EXPECTED ARGS...: dnn-train ARGS must fail as described above, its one error
# line containing EXPECTED (the flag or the file).
bad() {
    local expected=$1
    shift
    local what="dnn-train $*"
    run "$@"
    local lines
    lines=$(wc -l <"$tmp/err")
    if [[ $rc -ne 2 ]]; then
        fail "$what: exit status $rc, expected 2 (stderr: $err)"
    elif [[ -n $out ]]; then
        fail "$what: printed on stdout: $out"
    elif [[ $lines -ne 1 ]]; then
        fail "$what: $lines lines on stderr, expected 1: $err"
    elif [[ $err != "dnn-train: error: "* ]]; then
        fail "$what: stderr does not start with 'dnn-train: error: ': $err"
    elif [[ $err != *"$expected"* ]]; then
        fail "$what: the message does not name '$expected': $err"
    else
        pass
    fi
}

printf 'W1,b1\n1,2\n' >"$tmp/text.h5"

bad "--bogus" --bogus
bad "--bogus" --bogus=1
bad "stray" stray
bad "--iters" --iters abc
bad "--iters" --iters -5
bad "--iters" --iters 0
bad "--iters" --iters 99999999999999999999
bad "--iters" --iters 2.5
bad "--iters" --iters ""
bad "--iters" --iters
bad "--iters" --iters=
bad "--lr" --lr 0
bad "--lr" --lr -1
bad "--lr" --lr nan
bad "--lr" --lr inf
bad "--lr" --lr 1e999
bad "--lr" --lr 0.1x
bad "--layers" --layers 12288,0,1
bad "--layers" --layers 4,-3,1
bad "--layers" --layers 4,3,2
bad "--layers" --layers ,4,1
bad "--layers" --layers 4,,1
bad "--layers" --layers 4,3,1,
bad "--layers" --layers 1
bad "--layers" --layers auto
bad "--init" --init xavier
bad "--seed" --seed 4294967296
bad "--seed" --seed -1
bad "--chunk" --chunk 0
bad "--print-every" --print-every -1
bad "--reduce" --reduce slow
bad "--chunk" --chunk abc
bad "--dtype" --dtype f16
bad "--thread-exchange" --thread-exchange sometimes
bad "--blas" --blas openblas
bad "--checkpoint-every" --checkpoint-every 0 --checkpoint "$tmp/checkpoint.h5"
bad "--early-stop" --early-stop 0 --train "$tmp/a.h5" --test "$tmp/b.h5"
bad "--early-stop" --early-stop -1 --train "$tmp/a.h5" --test "$tmp/b.h5"
bad "--early-stop" --early-stop x --train "$tmp/a.h5" --test "$tmp/b.h5"
bad "--early-stop needs --test" --early-stop 3
bad "--early-stop needs --test" --early-stop 3 --train "$tmp/a.h5"
bad "--print-every" --early-stop 3 --train "$tmp/a.h5" --test "$tmp/b.h5" --print-every 0
bad "/nonexistent.h5" --resume /nonexistent.h5
bad "--synthetic" --synthetic 0,4
bad "--synthetic" --synthetic 4
bad "--synthetic" --synthetic 10,4,2
bad "/nonexistent.h5" --train /nonexistent.h5
bad "$tmp/text.h5" --train "$tmp/text.h5"
bad "$tmp" --train "$tmp"
bad "--test" --test "$tmp/text.h5"
bad "--train" --train "$tmp/text.h5" --synthetic 10,4

if [[ -f $shared/train_catvnoncat.h5 ]]; then
    bad "--layers" --layers 7,5,1 --train "$shared/train_catvnoncat.h5"
    bad "12288" --layers 7,5,1 --train "$shared/train_catvnoncat.h5"
    bad "$shared/train_catvnoncat.h5" --layers 7,5,1 --train "$shared/train_catvnoncat.h5"
    bad "/nonexistent.h5" --train "$shared/train_catvnoncat.h5" --test /nonexistent.h5
    bad "nope_y" --train "$shared/train_catvnoncat.h5" --y-dataset nope_y
else
    echo "skipped: the input-width cases need $shared/train_catvnoncat.h5 (not found)"
fi

# outputs that cannot be written: status 2 and the path in the one error line (the
# training before them may print on stdout)
for flag in --save --checkpoint; do
    run "$flag" /nonexistent-dir/out.h5 --iters 2 --print-every 0
    if [[ $rc -ne 2 ]]; then
        fail "$flag /nonexistent-dir/out.h5: exit status $rc, expected 2 (stderr: $err)"
    elif [[ $(wc -l <"$tmp/err") -ne 1 || $err != "dnn-train: error: "*"/nonexistent-dir/out.h5"* ]]; then
        fail "$flag /nonexistent-dir/out.h5: expected one error line naming the path: $err"
    else
        pass
    fi
done
mkdir "$tmp/dir.h5"
run --save "$tmp/dir.h5" --iters 2 --print-every 0
if [[ $rc -ne 2 || $err != "dnn-train: error: "*"$tmp/dir.h5"* ]]; then
    fail "--save DIRECTORY: exit status $rc (expected 2), stderr: $err"
elif [[ -n $(ls -A "$tmp/dir.h5") || -n $(find "$tmp" -name '*.tmp*' -print) ]]; then
    fail "--save DIRECTORY: left files behind: $(ls -A "$tmp" "$tmp/dir.h5")"
else
    pass
fi

# --help: status 0, nothing on stderr, every flag of train_options.c listed
run --help
if [[ $rc -ne 0 || -n $err ]]; then
    fail "--help: exit status $rc, stderr: $err"
else
    pass
fi
flags=$(grep -o '"--[a-z][a-z0-9-]*"' "$root/src/programs/train_options.c" | tr -d '"' | sort -u)
if [[ $(echo "$flags" | wc -l) -lt 10 ]]; then
    fail "found only these flags in $root/src/programs/train_options.c: $flags"
fi
for flag in $flags --train --test --layers --lr --iters --seed --init --save --chunk --reduce; do
    if grep -q -e "^ *$flag\\b" <<<"$out"; then
        pass
    else
        fail "--help does not list $flag"
    fi
done
# --help does not excuse a bad flag after it
bad "--iters" --help --iters abc

echo "$passed passed, $failed failed"
[[ $failed -eq 0 ]]
