#!/usr/bin/env bash
# Outputs that cannot destroy anything (issue 19, items 1, 2, 3 and 8).
#   - A FIFO, or a symbolic link to /dev/null, given as --save, --checkpoint or
#     dnn-predict --out is refused before any training: exit 2, one message naming it,
#     and it is still what it was (the real /dev/null is never at stake: only links).
#   - An output that is an input or the other output (the same file by device and
#     inode: the path itself, a hard link, a symbolic link, another spelling) is
#     refused before any training, and the input is unchanged.
#   - Last names of 255 bytes (the system's limit) work for every output, and a longer
#     one is refused with a message naming the user's path, not a temporary one.
#   - Resuming at exactly --iters with --checkpoint writes the checkpoint.
#
# usage: outputs.sh DNN_TRAIN MAKE_BAD_FILES DNN_PREDICT    (MPIEXEC: the mpiexec to use)
set -uo pipefail
train=$1 make_bad_files=$2 predict=$3
source "$(dirname "$0")/lib.sh"

d=$tmp/data
mkdir "$d"
"$make_bad_files" "$d" || exit 1
good=$d/good.h5
cp "$good" "$tmp/good.orig"
mkfifo "$tmp/fifo"
ln -s /dev/null "$tmp/null-link"

# A model and a CSV to point links at, and a long-running problem: a refusal that came
# after training started would show a cost line.
model=$tmp/model.h5
run 1 --train "$good" --layers auto,3,1 --iters 2 --print-every 0 --save "$model"
[[ $rc -eq 0 ]] || { echo "the good run failed: $(cat "$err")"; exit 1; }
# shellcheck disable=SC2054 # commas inside arguments
long_run=(--train "$good" --layers auto,3,1 --iters 100000 --print-every 1)

# no_training WHAT: the last run printed no cost line
no_training() {
    if grep -q '^Cost after' "$out"; then
        fail "$1: training started before the refusal"
    fi
}

# predict_error WHAT STATUS TEXT... : dnn-predict's expect_error
predict_error() {
    local what=$1 status=$2 line
    shift 2
    line=$(grep '^dnn-predict: error: ' "$err" || true)
    if [[ $rc -ne $status || $(grep -c '^dnn-predict: error: ' "$err") -ne 1 ]]; then
        fail "$what: exit status $rc, expected $status with one error line: $(head -c 600 "$err")"
        return
    fi
    for text in "$@"; do
        [[ $line == *"$text"* ]] || { fail "$what: the message does not say '$text': $line"; return; }
    done
    pass "$what: $line"
}

run_predict() { # run_predict ARGS...: sets rc, out, err
    rc=0
    timeout 60 "$predict" "$@" >"$tmp/out" 2>"$tmp/err" || rc=$?
    out=$tmp/out err=$tmp/err
}

# still_special: the FIFO and the link are as they were, /dev/null too
still_special() {
    [[ -p $tmp/fifo ]] || fail "$1: $tmp/fifo is no longer a FIFO"
    [[ -L $tmp/null-link && $(readlink "$tmp/null-link") == /dev/null ]] ||
        fail "$1: $tmp/null-link is no longer a link to /dev/null"
    [[ -c /dev/null ]] || fail "$1: /dev/null is no longer a character device"
    if compgen -G "$tmp/*.tmp*" >/dev/null || compgen -G "$tmp/.dnn.tmp*" >/dev/null; then
        fail "$1: left a temporary file: $(ls -a "$tmp")"
        rm -f "$tmp"/*.tmp* "$tmp"/.dnn.tmp*
    fi
}

# ---- special files as outputs ----
for flag in --save --checkpoint; do
    for target in "$tmp/fifo" "$tmp/null-link"; do
        kind=FIFO
        [[ $target == *null-link ]] && kind="character device"
        for ranks in 1 2; do
            what="$ranks rank(s): $flag ${target#"$tmp/"}"
            run "$ranks" "${long_run[@]}" "$flag" "$target"
            expect_error "$what" 2 "$flag $target" "$kind" "not a regular file"
            no_training "$what"
            still_special "$what"
        done
    done
done
for target in "$tmp/fifo" "$tmp/null-link"; do
    run_predict --model "$model" --data "$good" --out "$target"
    predict_error "dnn-predict --out ${target#"$tmp/"}" 2 "--out" "$target" "not a regular file"
    [[ -s $out ]] && fail "dnn-predict --out ${target#"$tmp/"}: printed an accuracy"
    still_special "dnn-predict --out ${target#"$tmp/"}"
done

# ---- an output that is an input or the other output ----
ln "$good" "$tmp/hard.h5"
ln -s "$good" "$tmp/soft.h5"
cp "$good" "$tmp/test.h5"
ln -s "$tmp/test.h5" "$tmp/test-link.h5"
run 1 --train "$good" --layers auto,3,1 --iters 3 --print-every 0 --checkpoint "$tmp/ck.h5"
[[ $rc -eq 0 ]] || { echo "the checkpoint run failed: $(cat "$err")"; exit 1; }
cp "$tmp/ck.h5" "$tmp/ck.orig"
cp "$tmp/test.h5" "$tmp/test.orig"

# same TEXTS ARGS...: refused before training, inputs unchanged
same() {
    local texts=$1
    shift
    local what="same file: dnn-train ${*//"$tmp/"/}"
    IFS='|' read -r -a expected <<<"$texts"
    run 2 --layers auto,3,1 --iters 100000 --print-every 1 "$@"
    expect_error "$what" 2 "is the same file as" "${expected[@]}"
    no_training "$what"
    cmp -s "$good" "$tmp/good.orig" || { fail "$what: $good changed"; cp "$tmp/good.orig" "$good"; }
    cmp -s "$tmp/test.h5" "$tmp/test.orig" || fail "$what: the --test file changed"
    cmp -s "$tmp/ck.h5" "$tmp/ck.orig" || fail "$what: the checkpoint changed"
}
same "--save $good|--train $good"                   --train "$good" --save "$good"
same "--checkpoint $good|--train $good"             --train "$good" --checkpoint "$good"
same "--save $tmp/hard.h5|--train $good"            --train "$good" --save "$tmp/hard.h5"
same "--checkpoint $tmp/soft.h5|--train $good"      --train "$good" --checkpoint "$tmp/soft.h5"
same "--save $tmp/test-link.h5|--test $tmp/test.h5" --train "$good" --test "$tmp/test.h5" \
    --save "$tmp/test-link.h5"
same "--save $tmp/ck.h5|--resume $tmp/ck.h5"        --train "$good" --resume "$tmp/ck.h5" \
    --save "$tmp/ck.h5"
same "--save $tmp/new.h5|--checkpoint $tmp/./new.h5" --train "$good" --save "$tmp/new.h5" \
    --checkpoint "$tmp/./new.h5"
[[ -e $tmp/new.h5 ]] && fail "same file: $tmp/new.h5 was written"
# a resumed run goes on writing its own checkpoint: that is allowed
run 2 --train "$good" --layers auto,3,1 --iters 5 --print-every 0 --resume "$tmp/ck.h5" \
    --checkpoint "$tmp/ck.h5"
if [[ $rc -eq 0 ]] && ! cmp -s "$tmp/ck.h5" "$tmp/ck.orig"; then
    pass "--resume and --checkpoint the same file: exit 0, checkpoint replaced"
else
    fail "--resume and --checkpoint the same file: exit status $rc: $(cat "$err")"
fi

cp "$model" "$tmp/model.orig"
csv=$tmp/p.csv
printf 'index,probability,prediction\n' >"$csv"
ln "$good" "$tmp/data-hard.h5"
ln -s "$model" "$tmp/model-link.h5"
run_predict --model "$model" --data "$good" --out "$tmp/data-hard.h5"
predict_error "dnn-predict --out a hard link to --data" 2 "--out $tmp/data-hard.h5" "--data $good"
run_predict --model "$model" --data "$good" --out "$tmp/model-link.h5"
predict_error "dnn-predict --out a link to --model" 2 "--out $tmp/model-link.h5" "--model $model"
cmp -s "$good" "$tmp/good.orig" || fail "dnn-predict: $good changed"
cmp -s "$model" "$tmp/model.orig" || fail "dnn-predict: $model changed"

# ---- names up to the system's limit ----
name_of() { printf "%${1}s" "" | tr ' ' "$2"; } # name_of LENGTH CHARACTER
long_model=$tmp/$(name_of 252 m).h5 long_ck=$tmp/$(name_of 252 c).h5
long_csv=$tmp/$(name_of 251 p).csv
run 2 --train "$good" --layers auto,3,1 --iters 3 --print-every 0 --save "$long_model" \
    --checkpoint "$long_ck"
if [[ $rc -eq 0 && -s $long_model && -s $long_ck ]]; then
    pass "255-byte names for --save and --checkpoint: exit 0, both written"
else
    fail "255-byte names for --save and --checkpoint: exit status $rc: $(head -c 400 "$err")"
fi
run 1 --train "$good" --layers auto,3,1 --iters 5 --print-every 0 --resume "$long_ck" \
    --checkpoint "$long_ck"
if [[ $rc -eq 0 ]]; then
    pass "resumed from and rewrote a 255-byte checkpoint name"
else
    fail "resume from a 255-byte checkpoint name: exit status $rc: $(head -c 400 "$err")"
fi
run_predict --model "$long_model" --data "$good" --out "$long_csv"
if [[ $rc -eq 0 && $(wc -l <"$long_csv") -eq 257 ]]; then
    pass "dnn-predict --out with a 255-byte name: exit 0, 257 lines"
else
    fail "dnn-predict --out with a 255-byte name: exit status $rc: $(head -c 400 "$err")"
fi
still_special "255-byte names"
too_long=$tmp/$(name_of 256 x).h5
run 1 --train "$good" --layers auto,3,1 --iters 2 --print-every 0 --checkpoint "$too_long"
expect_error "a 256-byte --checkpoint name" 2 "--checkpoint $too_long" "File name too long"
grep -q '\.tmp' "$err" && fail "a 256-byte --checkpoint name: the message names a temporary file"

# ---- resuming at exactly --iters with --checkpoint writes the checkpoint ----
run 2 --train "$good" --layers auto,3,1 --iters 4 --print-every 0 --checkpoint "$tmp/at4.h5"
[[ $rc -eq 0 ]] || fail "the run of 4 iterations failed: $(cat "$err")"
run 2 --train "$good" --layers auto,3,1 --iters 4 --print-every 0 --resume "$tmp/at4.h5" \
    --checkpoint "$tmp/again.h5"
if [[ $rc -eq 0 ]] && cmp -s "$tmp/at4.h5" "$tmp/again.h5"; then
    pass "resumed at exactly --iters: the checkpoint is written, the same bytes"
else
    fail "resumed at exactly --iters: exit status $rc, checkpoint $(ls "$tmp/again.h5" 2>&1)"
fi
finish
