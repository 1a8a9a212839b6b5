# shellcheck shell=bash
# Shared by the reliability scripts: mpiexec settings and pass/fail counting from
# tests/mpi/common.sh, a scratch directory, and checks of a failed run's messages.
# The sourcing script sets train (dnn-train) first.
source "$(dirname "${BASH_SOURCE[0]}")/../mpi/common.sh"
train=$(cd "$(dirname "$train")" && pwd)/$(basename "$train") # ranks may start elsewhere
tmp=$(mktemp -d "${TMPDIR:-/tmp}/dnn_reliability.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
export OMP_NUM_THREADS=1

# run RANKS ARGS...: dnn-train ARGS on RANKS ranks (1: no mpiexec), bounded by a
# timeout; sets rc, out (stdout file), err (stderr file) and seconds (wall time).
run() {
    local ranks=$1
    shift
    out=$tmp/out err=$tmp/err rc=0
    local start=$SECONDS
    if [[ $ranks -eq 1 ]]; then
        timeout 60 "$train" "$@" >"$out" 2>"$err" || rc=$?
    else
        timeout 60 "$MPIEXEC" --oversubscribe -np "$ranks" "$train" "$@" >"$out" 2>"$err" || rc=$?
    fi
    # shellcheck disable=SC2034 # for the caller
    seconds=$((SECONDS - start))
}

# expect_error WHAT STATUS TEXT...: the last run exited with STATUS and printed exactly
# one "dnn-train: error: " line (mpiexec may add its own notes), containing every TEXT.
expect_error() {
    local what=$1 status=$2
    shift 2
    local lines line
    lines=$(grep -c '^dnn-train: error: ' "$err" || true)
    line=$(grep '^dnn-train: error: ' "$err" || true)
    if [[ $rc -ne $status ]]; then
        fail "$what: exit status $rc, expected $status; stderr: $(head -c 600 "$err")"
        return 0
    elif [[ $lines -ne 1 ]]; then
        fail "$what: $lines error lines, expected 1: $(head -c 600 "$err")"
        return 0
    fi
    for text in "$@"; do
        if [[ $line != *"$text"* ]]; then
            fail "$what: the message does not say '$text': $line"
            return 0
        fi
    done
    pass "$what: $line"
}

# rank_pids PATTERN [RANK]: the dnn-train processes whose command line contains
# PATTERN (only rank RANK's when given), read from /proc.
rank_pids() {
    local pattern=$1 rank=${2:-} pid
    for pid in $(pgrep -f -- "^$train .*$pattern" || true); do
        if [[ -z $rank ]] ||
            tr '\0' '\n' <"/proc/$pid/environ" 2>/dev/null | grep -qx "OMPI_COMM_WORLD_RANK=$rank"; then
            echo "$pid"
        fi
    done
}

# running_ranks PATTERN [RANK]: rank_pids, asked again for up to 5 s while it finds
# none (a loaded machine once gave an empty answer for a rank that was running).
running_ranks() {
    local pids i
    for ((i = 0; i < 50; i++)); do
        pids=$(rank_pids "$@")
        [[ -n $pids ]] && break
        sleep 0.1
    done
    echo "$pids"
}

# wait_for FILE REGEX SECONDS: until a line of FILE matches REGEX; 1 on timeout.
wait_for() {
    local file=$1 regex=$2 limit=$3 start=$SECONDS
    until grep -qE "$regex" "$file" 2>/dev/null; do
        ((SECONDS - start < limit)) || return 1
        sleep 0.02
    done
}
