#!/usr/bin/env bash
# Bad input, answered clearly (issue 5, part 3). Each row of the table below runs
# dnn-train on something wrong and expects exit status 2, exactly one
# "dnn-train: error: " line naming the file, dataset or flag (and the first bad example
# where there is one), and the model and checkpoint a user already had at the --save
# and --checkpoint paths byte for byte as they were, with no temporary file left.
# Flag syntax itself is tests/cli/bad_flags.sh's; here: data files, ranks, outputs.
#
# usage: bad_input.sh DNN_TRAIN MAKE_BAD_FILES    (MPIEXEC: the mpiexec to use)
set -uo pipefail
train=$1 make_bad_files=$2
source "$(dirname "$0")/lib.sh"

d=$tmp/data
mkdir "$d" "$tmp/a-directory"
mkfifo "$tmp/fifo"
"$make_bad_files" "$d" || exit 1

# What the user had: a model and a checkpoint from a good run.
model=$tmp/model.h5 ck=$tmp/ck.h5
run 1 --synthetic 64,4 --layers auto,3,1 --iters 3 --print-every 0 --save "$model" --checkpoint "$ck"
[[ $rc -eq 0 && -s $model && -s $ck ]] || { echo "the good run failed: $(cat "$err")"; exit 1; }
cp "$model" "$tmp/model.orig"
cp "$ck" "$tmp/ck.orig"

# row RANKS 'TEXT|TEXT...' ARGS...: one case; the existing files ride along on every run.
row() {
    local ranks=$1 texts=$2
    shift 2
    local what="$ranks rank(s): dnn-train ${*#"$d/"}"
    IFS='|' read -r -a expected <<<"$texts"
    run "$ranks" --save "$model" --checkpoint "$ck" --print-every 0 --iters 2 "$@"
    expect_error "$what" 2 "${expected[@]}"
    if ! cmp -s "$model" "$tmp/model.orig" || ! cmp -s "$ck" "$tmp/ck.orig"; then
        fail "$what: the existing model or checkpoint changed"
    fi
    if compgen -G "$tmp/*.tmp*" >/dev/null; then
        fail "$what: left a temporary file: $(ls "$tmp")"
        rm -f "$tmp"/*.tmp*
    fi
}

good=$d/good.h5
#   ranks  the message names                              arguments
row 1 "$d/missing.h5|No such file"                         --train "$d/missing.h5"
row 1 "$d/not_hdf5.h5|not an HDF5 file"                    --train "$d/not_hdf5.h5"
row 1 "$d/truncated.h5|truncated"                          --train "$d/truncated.h5"
row 1 "$d/no_y.h5|'_y'"                                    --train "$d/no_y.h5"
row 1 "$d/no_datasets.h5|'_x'"                             --train "$d/no_datasets.h5"
row 1 "$good|'nope_x'|not found"                           --train "$good" --x-dataset nope_x
row 1 "$d/x_rank1.h5|'train_set_x'|rank 1"                 --train "$d/x_rank1.h5"
row 1 "$d/y_2cols.h5|'train_set_y'|(256, 2)"               --train "$d/y_2cols.h5"
row 1 "$d/count_mismatch.h5|'train_set_y'|250 labels"      --train "$d/count_mismatch.h5"
row 1 "$d/label_2.h5|'train_set_y'|example 37|not 0 or 1"  --train "$d/label_2.h5"
# float labels that a check "y < 0 || y > 1" would let through as 1
row 1 "$d/label_half.h5|'train_set_y'|label 0.5 at example 37|not 0 or 1" --train "$d/label_half.h5"
row 1 "$d/label_nan.h5|'train_set_y'|label nan at example 37|not 0 or 1"  --train "$d/label_nan.h5"
row 1 "$d/nan.h5|'train_set_x'|example 41|NaN"             --train "$d/nan.h5"
row 1 "$d/inf.h5|'train_set_x'|example 99|-Inf"            --train "$d/inf.h5"
row 1 "$d/empty.h5|'train_set_x'|no examples"              --train "$d/empty.h5"
row 1 "$d/nan.h5|'train_set_x'|example 41"                 --train "$good" --test "$d/nan.h5"
row 1 "--layers|5|4 features|$good"                        --train "$good" --layers 5,3,1
row 1 "--layers|auto,0,1"                                  --train "$good" --layers auto,0,1
row 1 "--layers|auto,-2,1"                                 --train "$good" --layers auto,-2,1
row 1 "--lr|'0'"                                           --train "$good" --lr 0
row 1 "--lr|'-0.5'"                                        --train "$good" --lr -0.5
row 1 "--lr|'nan'"                                         --train "$good" --lr nan
row 1 "--iters|'ten'"                                      --train "$good" --iters ten
row 1 "--iters|'-5'"                                       --train "$good" --iters -5
row 1 "--iters|'99999999999999999999'"                     --train "$good" --iters 99999999999999999999
row 3 "$d/two_examples.h5|2 examples|3 ranks"              --train "$d/two_examples.h5"
row 3 "--synthetic|2 examples|3 ranks"                     --synthetic 2,4
row 1 "--save|/nonexistent-dir/model.h5|No such file"      --train "$good" --save /nonexistent-dir/model.h5
row 1 "--save|$tmp/a-directory|is a directory"             --train "$good" --save "$tmp/a-directory"
row 1 "--checkpoint|/nonexistent-dir/ck.h5|No such file"   --train "$good" --checkpoint /nonexistent-dir/ck.h5
row 1 "--checkpoint|$tmp/a-directory|is a directory"       --train "$good" --checkpoint "$tmp/a-directory"
row 1 "--resume|$d/missing.h5|No such file"                --train "$good" --resume "$d/missing.h5"
# special files as inputs are refused before they are opened: nothing blocks on a FIFO
# or reads /dev/zero forever (issue 19, item 7)
row 1 "$tmp/fifo|is a FIFO, not a regular file"            --train "$tmp/fifo"
row 2 "$tmp/fifo|is a FIFO, not a regular file"            --train "$tmp/fifo"
row 1 "$tmp/fifo|is a FIFO, not a regular file"            --train "$good" --test "$tmp/fifo"
row 1 "/dev/zero|is a character device"                    --train /dev/zero
row 1 "$tmp/a-directory|is a directory"                    --train "$tmp/a-directory"
row 1 "--resume|$tmp/fifo|is a FIFO"                       --train "$good" --resume "$tmp/fifo"
row 2 "--resume|$tmp/fifo|is a FIFO"                       --train "$good" --resume "$tmp/fifo"
row 1 "--resume|/dev/zero|is a character device"           --train "$good" --resume /dev/zero
row 1 "--resume|$tmp/a-directory|is a directory"           --train "$good" --resume "$tmp/a-directory"
row 1 "--resume|$good|not a dnn checkpoint"                --train "$good" --resume "$good"
row 2 "$d/rank1_label.h5|'train_set_y'|example 200"        --train "$d/rank1_label.h5" --chunk 64

# The table can pass: the same files with good input train and replace both.
run 1 --train "$good" --save "$model" --checkpoint "$ck" --print-every 0 --iters 2
if [[ $rc -eq 0 ]] && ! cmp -s "$model" "$tmp/model.orig" && ! cmp -s "$ck" "$tmp/ck.orig"; then
    pass "good input: exit 0, model and checkpoint replaced"
else
    fail "good input: exit status $rc, or the files were not replaced: $(cat "$err")"
fi
finish
