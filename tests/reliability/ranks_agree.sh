#!/usr/bin/env bash
# Ranks must agree (issue 19, item 5), and a failure is told once, by the right rank.
#   - ranks given different settings (MPMD: mpiexec -np 1 dnn-train A : -np 1 dnn-train B)
#     with another --iters (used to hang), --lr (exit 0 with a model no setting gives),
#     --layers ("diverged"), --reduce (an Open MPI unpack error), --help or --checkpoint
#     on one rank only: exit 2 within seconds, one line naming the option;
#   - the same values spelled differently (--lr 0.01 / --lr=1e-2) train normally;
#   - a failure shared by every rank (3 ranks) is told once without a rank; one on
#     ranks 1 and 2 only is told by rank 1, naming it.
#
# usage: ranks_agree.sh DNN_TRAIN [MAKE_BAD_FILES]   (MPIEXEC: the mpiexec to use)
set -uo pipefail
train=$1
source "$(dirname "$0")/lib.sh"
out=$tmp/out err=$tmp/err

# mpmd ARGS0 -- ARGS1 [-- ARGS2]: one rank per argument list, bounded by 20 s (a hang
# shows as status 124); sets rc, seconds, out and err as run does.
mpmd() {
    local apps=() one=()
    for arg in "$@" --; do
        if [[ $arg == -- ]]; then
            [[ ${#apps[@]} -gt 0 ]] && apps+=(:)
            apps+=(-np 1 "$train" "${one[@]}")
            one=()
        else
            one+=("$arg")
        fi
    done
    rc=0
    local start=$SECONDS
    timeout 20 "$MPIEXEC" --oversubscribe "${apps[@]}" >"$out" 2>"$err" || rc=$?
    seconds=$((SECONDS - start))
}

# shellcheck disable=SC2054 # commas inside arguments
small=(--synthetic 64,4 --layers auto,4,1 --print-every 0)

# differs FLAG ARGS0 -- ARGS1: exit 2 naming FLAG, soon
differs() {
    local flag=$1
    shift
    mpmd "$@"
    expect_error "ranks given different $flag ($*)" 2 \
        "ranks were given different settings: $flag (rank 1"
    ((seconds <= 15)) || fail "different $flag: took $seconds s"
}
differs --iters "${small[@]}" --iters 5 -- "${small[@]}" --iters 6
differs --lr "${small[@]}" --iters 5 --lr 0.1 -- "${small[@]}" --iters 5 --lr 0.2
differs --layers --synthetic 64,4 --print-every 0 --iters 5 --layers auto,4,1 -- \
    --synthetic 64,4 --print-every 0 --iters 5 --layers auto,5,1
differs --reduce "${small[@]}" --iters 5 -- "${small[@]}" --iters 5 --reduce fast
differs --help "${small[@]}" --iters 5 -- "${small[@]}" --iters 5 --help
differs --checkpoint "${small[@]}" --iters 5 --checkpoint "$tmp/ck.h5" -- "${small[@]}" --iters 5
[[ ! -e $tmp/ck.h5 ]] || fail "different --checkpoint: a checkpoint was written"

# the same settings, spelled differently
mpmd "${small[@]}" --iters 5 --lr 0.01 -- "${small[@]}" --iters=5 --lr=1e-2
if [[ $rc -eq 0 ]] && grep -q '^Parameter hash: ' "$out"; then
    pass "--lr 0.01 on one rank, --lr=1e-2 on the other: trained"
else
    fail "the same settings spelled differently: status $rc: $(head -c 600 "$err")"
fi

# a failure on every rank: one line, without a rank
run 3 --train "$tmp/missing.h5" --iters 5
expect_error "a file no rank finds (3 ranks)" 2 "$tmp/missing.h5"
if grep -q '^dnn-train: error: .*rank' "$err"; then
    fail "a failure every rank shares names a rank: $(grep '^dnn-train: error: ' "$err")"
else
    pass "a failure every rank shares is told without a rank"
fi
# a failure on ranks 1 and 2: told once, by the lowest of them
mpmd --iters 5 -- --iters five -- --iters five
expect_error "arguments ranks 1 and 2 reject" 2 "rank 1: --iters" "'five'"
finish
