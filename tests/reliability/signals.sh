#!/usr/bin/env bash
# Preemption keeps the work (issue 19, item 4). SIGTERM or SIGINT: every rank finishes
# its step, they agree to stop, write a final checkpoint when --checkpoint is given,
# rank 0 says so in one line, no temporary file is left, and the ranks exit 128 + the
# signal (143, 130). On 2 ranks under mpiexec:
#   - SIGTERM to mpiexec: Open MPI 4's mpirun passes SIGTERM on to the ranks a second
#     later and kills them a second after that; it exits 1 itself, whatever the ranks
#     return. The line names the checkpoint, which --resume takes, and training on from
#     it gives the costs and Parameter hash of an uninterrupted run.
#   - SIGTERM to every rank, as a scheduler (SLURM) sends it: mpiexec exits 143 (it
#     reports the ranks' status); the same checks.
#   - SIGINT to rank 1 alone, no --checkpoint: rank 0 learns it through the agreement;
#     exit 130, the line says the state is not kept.
#   - SIGTERM while the checkpoint is being written (--checkpoint-every 1, sent once a
#     temporary file exists): 143, no PATH.tmp* left, the checkpoint loads.
#   - SIGTERM then SIGINT while the checkpoint is being written: the run ends at once
#     (the writer once its file is complete), no PATH.tmp* left, the checkpoint loads.
#     (Two different signals: a second SIGTERM sent before the first was handled would
#     merge with it.)
#
# usage: signals.sh DNN_TRAIN [MAKE_BAD_FILES]   (MPIEXEC: the mpiexec to use)
set -uo pipefail
train=$1
source "$(dirname "$0")/lib.sh"

# shellcheck disable=SC2054 # commas inside arguments
problem=(--synthetic 20000,16 --layers auto,16,8,1 --chunk 256 --lr 0.1 --print-every 1)
# shellcheck disable=SC2054
tiny=(--synthetic 512,16 --layers auto,64,1 --lr 0.1 --print-every 1)

# start NAME ARGS...: dnn-train ARGS on 2 ranks in the background, for a long time;
# sets job, and the files $tmp/NAME.out and .err. 1 when it did not get to iteration 5.
start() {
    local name=$1
    shift
    OMP_NUM_THREADS=1 timeout 60 "$MPIEXEC" --oversubscribe -np 2 "$train" "$@" \
        --iters 1000000 >"$tmp/$name.out" 2>"$tmp/$name.err" &
    job=$!
    if ! wait_for "$tmp/$name.out" '^Cost after iteration 5:' 30; then
        fail "$name: training did not start: $(head -c 600 "$tmp/$name.err")"
        kill "$job"
        return 1
    fi
}

# finish_job NAME: waits for the job; sets rc and seconds (since the call).
finish_job() {
    local start=$SECONDS
    rc=0
    wait "$job" || rc=$?
    seconds=$((SECONDS - start))
    if ((seconds > 20)); then
        fail "$1: took $seconds s to stop"
    fi
}

# stopped_at NAME SIGNAL TAIL: sets at to the iteration of the one "stopped by" line,
# which must end with TAIL; empty (and a failure) otherwise.
stopped_at() {
    local name=$1 sig=$2 tail=$3 lines
    lines=$(grep '^dnn-train: stopped' "$tmp/$name.err")
    at=${lines#"dnn-train: stopped by $sig after iteration "}
    at=${at%%;*}
    if [[ $(grep -c '^dnn-train: stopped' "$tmp/$name.err") -ne 1 || ! $at =~ ^[0-9]+$ ||
        $lines != "dnn-train: stopped by $sig after iteration $at; $tail" ]]; then
        fail "$name: expected one line 'dnn-train: stopped by $sig after iteration N; $tail'," \
            "got: $(head -c 600 "$tmp/$name.err")"
        at=
        return
    fi
    pass "$name: $lines"
}

no_temporary() { # NAME CHECKPOINT
    local left
    left=$(compgen -G "$2.tmp*")
    if [[ -n $left ]]; then
        fail "$1: temporary files left: $left"
    else
        pass "$1: no temporary file left"
    fi
}

# resumes_exactly NAME CHECKPOINT AT: trained on from the checkpoint to AT + 11, the
# costs from AT + 1 on, the accuracy and the hash equal an uninterrupted run's.
resumes_exactly() {
    local name=$1 ck=$2 at=$3
    local iters=$((at + 11))
    run 2 "${problem[@]}" --iters "$iters"
    [[ $rc -eq 0 ]] || { fail "$name: the uninterrupted run failed: $(cat "$err")"; return; }
    awk -v at="$at" '!/^dnn-train:/ && (!/^Cost after iteration/ || $4 + 0 > at)' "$out" \
        >"$tmp/$name.expected"
    run 2 "${problem[@]}" --iters "$iters" --resume "$ck"
    if ! grep -qx "dnn-train: resuming from $ck at iteration $((at + 1))" "$out"; then
        fail "$name: --resume $ck (status $rc): $(head -c 600 "$err")"
        return
    fi
    grep -v '^dnn-train:' "$out" >"$tmp/$name.resumed"
    if cmp -s "$tmp/$name.expected" "$tmp/$name.resumed"; then
        pass "$name: resumed at $((at + 1)), $(grep -c '^Cost' "$tmp/$name.resumed") costs," \
            "$(grep '^Parameter hash' "$tmp/$name.resumed") as uninterrupted"
    else
        fail "$name: the resumed run differs from the uninterrupted one:" \
            "$(diff "$tmp/$name.expected" "$tmp/$name.resumed" | head -5)"
    fi
}

# loads NAME CHECKPOINT: --resume takes the checkpoint (of the tiny problem).
loads() {
    run 2 "${tiny[@]}" --iters 1 --resume "$2"
    if grep -q '^dnn-train: error: --resume .*already .* iterations, more than --iters 1' "$err"; then
        pass "$1: the checkpoint is whole (--resume reads and checks it)"
    else
        fail "$1: --resume $2: status $rc: $(head -c 600 "$err")"
    fi
}

# 1. SIGTERM to mpiexec, once: not through timeout, which signals its child and then its
# process group, and a second signal makes mpirun exit at once, killing the ranks
ck=$tmp/mpiexec.h5
if start mpiexec "${problem[@]}" --checkpoint "$ck"; then
    kill -TERM "$(pgrep -P "$job")"
    finish_job "SIGTERM to mpiexec"
    [[ $rc -ne 0 ]] || fail "SIGTERM to mpiexec: exit status 0"
    stopped_at mpiexec SIGTERM "checkpoint written to $ck"
    no_temporary "SIGTERM to mpiexec" "$ck"
    [[ -z $at ]] || resumes_exactly "SIGTERM to mpiexec" "$ck" "$at"
fi

# 2. SIGTERM to every rank
ck=$tmp/ranks.h5
if start ranks "${problem[@]}" --checkpoint "$ck"; then
    # shellcheck disable=SC2046 # a list of pids
    kill -TERM $(running_ranks "$ck")
    finish_job "SIGTERM to the ranks"
    [[ $rc -eq 143 ]] || fail "SIGTERM to the ranks: exit status $rc, expected 143"
    stopped_at ranks SIGTERM "checkpoint written to $ck"
    no_temporary "SIGTERM to the ranks" "$ck"
    [[ -z $at ]] || resumes_exactly "SIGTERM to the ranks" "$ck" "$at"
fi

# 3. SIGINT to rank 1 alone, no checkpoint
if start sigint "${problem[@]}" --save "$tmp/sigint.h5"; then
    # shellcheck disable=SC2046
    kill -INT $(running_ranks "$tmp/sigint.h5" 1)
    finish_job "SIGINT to rank 1"
    [[ $rc -eq 130 ]] || fail "SIGINT to rank 1: exit status $rc, expected 130"
    stopped_at sigint SIGINT "no --checkpoint, so the state is not kept"
    [[ ! -e $tmp/sigint.h5 ]] || fail "SIGINT to rank 1: --save wrote a model"
fi

# signal_during_write NAME SIGNAL...: the signals to every rank once a temporary file
# of the checkpoint exists (checkpoints every iteration: most of the time goes to them)
signal_during_write() {
    local name=$1 ck=$tmp/$1.h5 pids i sig
    shift
    start "$name" "${tiny[@]}" --checkpoint "$ck" --checkpoint-every 1 || return 1
    pids=$(running_ranks "$ck")
    for ((i = 0; i < 200000; i++)); do
        compgen -G "$ck.tmp*" >/dev/null && break
    done
    for sig in "$@"; do
        # shellcheck disable=SC2086 # a list of pids
        kill -"$sig" $pids
    done
    finish_job "$name"
}

# 4. one SIGTERM during a checkpoint write
if signal_during_write write TERM; then
    [[ $rc -eq 143 ]] || fail "SIGTERM during a write: exit status $rc, expected 143"
    stopped_at write SIGTERM "checkpoint written to $tmp/write.h5"
    no_temporary "SIGTERM during a write" "$tmp/write.h5"
    loads "SIGTERM during a write" "$tmp/write.h5"
fi

# 5. two signals during a checkpoint write: no stop line, at once
if signal_during_write twice TERM INT; then
    [[ $rc -ne 0 ]] || fail "two signals during a write: exit status 0"
    if grep -q '^dnn-train: stopped' "$tmp/twice.err"; then
        fail "two signals during a write: the run went on to stop in order"
    else
        pass "two signals during a write: ended at once (status $rc, $seconds s)"
    fi
    no_temporary "two signals during a write" "$tmp/twice.h5"
    loads "two signals during a write" "$tmp/twice.h5"
fi
finish
