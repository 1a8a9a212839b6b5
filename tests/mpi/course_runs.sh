#!/usr/bin/env bash
# The course's two cat runs under 1, 2 and 3 ranks against the numpy reference in
# tests/data: every printed cost within 1e-9 relative, accuracies equal.
set -euo pipefail
dnn_train=$1 shared=$2 refdir=$3
source "$(dirname "$0")/common.sh"
if [ ! -f "$shared/train_catvnoncat.h5" ] || [ ! -f "$shared/test_catvnoncat.h5" ]; then
    echo "skipped: course data not found in $shared"
    exit 0
fi
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT

# Prints the worst relative difference of the costs, and "ok"/"bad" for the rest.
compare() { # reference output
    awk -F': ' '
        FNR == NR { if ($0 !~ /^#/ && NF == 2) ref[$1] = $2; next }
        $1 in ref { seen[$1] = 1
            if ($1 ~ /^Cost/) { d = $2 - ref[$1]; if (d < 0) d = -d; r = d / ref[$1]; if (r > worst) worst = r }
            else if ($2 + 0 != ref[$1] + 0) bad = bad " " $1 }
        END { for (k in ref) if (!(k in seen)) bad = bad " missing:" k
              printf "%.3g %s\n", worst, (bad == "" ? "ok" : "bad" bad) }' "$1" "$2"
}

for run in "2layer --layers 12288,7,1 --init normal-0.01" "5layer --layers 12288,20,7,5,1 --init lecun"; do
    name=${run%% *}
    args=${run#* }
    for ranks in 1 2 3; do
        # shellcheck disable=SC2086
        run_ranks "$ranks" 1 "$dnn_train" --train "$shared/train_catvnoncat.h5" \
            --test "$shared/test_catvnoncat.h5" $args --seed 1 --lr 0.0075 --iters 2500 \
            --print-every 100 >"$out/$name.$ranks"
        read -r worst verdict < <(compare "$refdir/course_$name.txt" "$out/$name.$ranks")
        if [ "$verdict" = ok ] && awk -v w="$worst" 'BEGIN { exit !(w <= 1e-9) }'; then
            pass "$name, $ranks rank(s): worst relative cost difference $worst"
        else
            fail "$name, $ranks rank(s): worst relative cost difference $worst, $verdict"
            cat "$out/$name.$ranks"
        fi
    done
done
finish
