#!/usr/bin/env bash
# The course's two cat runs under 1, 2 and 3 ranks against the numpy reference in
# tests/data: every printed cost within 1e-9 relative, accuracies equal. Then the
# five-layer run in float32 under 1 and 2 ranks: every printed cost within 1e-4 of
# the reference's (issue 4's bound for --dtype f32), accuracies equal. Then the update
# rules of "Improving Deep Neural Networks" (momentum, Adam, L2, the decay schedules)
# on the two-layer model, 300 iterations, 1 and 2 ranks: every printed cost within
# 1e-10 relative of the numpy reference's (issue 18's bound; measured ~5e-15); and the
# same for mini-batches and dropout.
set -euo pipefail
dnn_train=$1 shared=$2 refdir=$3
source "$(dirname "$0")/common.sh"
if [ ! -f "$shared/train_catvnoncat.h5" ] || [ ! -f "$shared/test_catvnoncat.h5" ]; then
    echo "skipped: course data not found in $shared"
    exit 0
fi
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT

# Prints the worst relative and absolute differences of the costs, and "ok"/"bad"
# for the rest.
compare() { # reference output
    awk -F': ' '
        FNR == NR { if ($0 !~ /^#/ && NF == 2) ref[$1] = $2; next }
        $1 in ref { seen[$1] = 1
            if ($1 ~ /^Cost/) { d = $2 - ref[$1]; if (d < 0) d = -d; r = d / ref[$1]
                                if (r > worst) worst = r; if (d > worst_abs) worst_abs = d }
            else if ($2 + 0 != ref[$1] + 0) bad = bad " " $1 }
        END { for (k in ref) if (!(k in seen)) bad = bad " missing:" k
              printf "%.3g %.3g %s\n", worst, worst_abs, (bad == "" ? "ok" : "bad" bad)
        }' "$1" "$2"
}

# Runs the course's cat model and checks it against a reference file: every cost
# within the bound (relative or absolute difference), accuracies equal.
check_run() { # label reference rel|abs bound ranks dnn-train args...
    local label=$1 ref=$2 kind=$3 bound=$4 ranks=$5 rel abs verdict worst
    shift 5
    run_ranks "$ranks" 1 "$dnn_train" --train "$shared/train_catvnoncat.h5" \
        --test "$shared/test_catvnoncat.h5" --seed 1 --lr 0.0075 --iters 2500 \
        --print-every 100 "$@" >"$out/run"
    read -r rel abs verdict < <(compare "$ref" "$out/run")
    worst=$([ "$kind" = rel ] && echo "$rel" || echo "$abs")
    if [ "$verdict" = ok ] && awk -v w="$worst" -v b="$bound" 'BEGIN { exit !(w <= b) }'; then
        pass "$label, $ranks rank(s): worst $kind cost difference $worst"
    else
        fail "$label, $ranks rank(s): worst $kind cost difference $worst (bound $bound), $verdict"
        cat "$out/run"
    fi
}

for ranks in 1 2 3; do
    check_run 2layer "$refdir/course_2layer.txt" rel 1e-9 "$ranks" \
        --layers 12288,7,1 --init normal-0.01
    check_run 5layer "$refdir/course_5layer.txt" rel 1e-9 "$ranks" \
        --layers 12288,20,7,5,1 --init lecun
done
for ranks in 1 2; do
    check_run "5layer f32" "$refdir/course_5layer.txt" abs 1e-4 "$ranks" \
        --layers 12288,20,7,5,1 --init lecun --dtype f32
done
for ranks in 1 2; do
    check_run "2layer gd + L2 + decay" "$refdir/course_2layer_gd_l2_decay.txt" rel 1e-10 "$ranks" \
        --layers 12288,7,1 --init normal-0.01 --iters 300 --print-every 50 --l2 0.7 --lr-decay 0.01
    check_run "2layer momentum" "$refdir/course_2layer_momentum.txt" rel 1e-10 "$ranks" \
        --layers 12288,7,1 --init normal-0.01 --iters 300 --print-every 50 --optimizer momentum
    check_run "2layer adam + L2 + stepped decay" "$refdir/course_2layer_adam_l2_step.txt" rel 1e-10 \
        "$ranks" --layers 12288,7,1 --init normal-0.01 --iters 300 --print-every 50 --lr 0.0005 \
        --optimizer adam --l2 0.7 --lr-decay 0.3 --decay-interval 100
done
# Mini-batches, dropout (issue 18): the epoch order, the batches, the masks and the
# epochs' costs against the numpy reference, on 1 to 3 ranks, each with the flags of its
# reference file's command line (measured ~7e-16)
for name in mb64_adam mb32_momentum_l2_dropout full_dropout mb50_gd_l2_decay_dropout; do
    ref=$refdir/course_2layer_$name.txt
    read -r -a flags < <(sed -n 's/^# command: .*course_model\.py //p' "$ref" |
        sed 's/--out [^ ]*//; s/--dtype float64//; s|data/|'"$shared"'/|g')
    for ranks in 1 2 3; do
        check_run "2layer $name" "$ref" rel 1e-10 "$ranks" "${flags[@]}"
    done
done
finish
