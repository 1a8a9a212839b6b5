#!/usr/bin/env bash
# launch/run on this machine, under Open MPI or MPICH's Hydra as MPIEXEC says: 2 ranks x
# 1 thread and 1 x 2 bound (each rank to its own cores, OMP_PROC_BIND=close,
# OMP_PLACES=cores), and 2 x (all the cores) unbound. Each must print the mpiexec line
# with that binding and the costs and parameter hash of one process; with 2 threads,
# OpenMP must show (OMP_DISPLAY_AFFINITY) each thread of a rank on a core of its own,
# or every thread free on all the cores when unbound. Then the lines chosen for hosts,
# only printed (--dry-run): -H names get the ranks per host as their slots, a hostfile
# is passed on, --per-host is obeyed, a bad count refused.
set -euo pipefail
dnn_train=$1
source "$(dirname "$0")/common.sh"
launch_run=$(cd "$(dirname "$0")/../.." && pwd)/launch/run
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
export DNN_TRAIN=$dnn_train
problem=(--synthetic 400,50 --layers auto,8,1 --lr 0.1 --iters 40 --print-every 10)
OMP_NUM_THREADS=1 "$dnn_train" "${problem[@]}" | grep -v '^dnn-train:' >"$out/one"
cores=$(nproc)

# Where the OpenMP threads ran (OMP_DISPLAY_AFFINITY), from the lines in FILE: bound,
# each thread of a rank on a core of its own; unbound, every thread on all the cores.
# Prints what is wrong.
check_affinity() { # threads bound file
    grep -a '^affinity: ' "$3" | sort -u | awk -v threads="$1" -v bound="$2" -v cores="$cores" '
        function count(set,  n, i, k, part, range) {
            k = split(set, part, ",")
            for (i = 1; i <= k; i++)
                n += split(part[i], range, "-") == 2 ? range[2] - range[1] + 1 : 1
            return n }
        { pid = $3; set = $7; seen[pid]++
          if (bound && count(set) != 1) print "rank " pid ": a thread on cores " set
          if (bound && (pid, set) in taken) print "rank " pid ": two threads on core " set
          if (!bound && count(set) != cores) print "rank " pid ": a thread on cores " set ", not all " cores
          taken[pid, set] = 1 }
        END { for (pid in seen) { ranks++; if (seen[pid] != threads) print "rank " pid ": " seen[pid] " threads shown" }
              if (!ranks) print "no thread showed its cores" }'
}

# layout RANKS THREADS: the run, its line, where its threads ran, and its result.
layout() {
    local ranks=$1 threads=$2 name="launch/run -n $1 -t $2" want wrong bound=1
    [ $((ranks * threads)) -le "$cores" ] || bound=0
    if ! OMP_DISPLAY_AFFINITY=TRUE OMP_AFFINITY_FORMAT='affinity: pid %P thread %n: cores %A' \
        timeout 120 "$launch_run" -n "$ranks" -t "$threads" -- "${problem[@]}" >"$out/run" 2>"$out/err"; then
        fail "$name: failed"
        cat "$out/err"
        return
    fi
    grep '^launch/run: ' "$out/err" | tee "$out/line" || true
    if [ "$bound" = 0 ]; then
        want="OMP_NUM_THREADS=$threads .*--bind-to none"
        [ "$MPI_FLAVOUR" = mpich ] && want="OMP_NUM_THREADS=$threads $MPIEXEC -n $ranks -ppn $ranks -genv"
    elif [ "$MPI_FLAVOUR" = mpich ]; then
        want="OMP_PROC_BIND=close OMP_PLACES=cores .*-n $ranks -ppn $ranks -bind-to core:$threads "
    else
        want="OMP_PROC_BIND=close OMP_PLACES=cores .*-np $ranks --map-by ppr:$ranks:node:PE=$threads --bind-to core "
    fi
    if ! grep -q "^launch/run: .*$want" "$out/line"; then
        fail "$name: not the line wanted (/$want/)"
    elif [ "$threads" -gt 1 ] && wrong=$(check_affinity "$threads" "$bound" "$out/err") &&
        [ -n "$wrong" ]; then
        fail "$name: threads not where they should run"
        echo "$wrong"
    elif ! grep -q "^dnn-train: $ranks rank(s)" "$out/run"; then
        fail "$name: dnn-train did not run on $ranks ranks"
        cat "$out/run"
    elif ! diff <(grep -v '^dnn-train:' "$out/run") "$out/one" >"$out/diff"; then
        fail "$name: differs from one process"
        cat "$out/diff"
    else
        pass "$name: same costs and $(grep hash "$out/one")"
    fi
}
layout 2 1
layout 1 2
layout 2 "$cores" # more threads than cores: unbound

# dry NAME WANT ARGS...: the line launch/run prints for ARGS contains WANT.
dry() {
    local name=$1 want=$2 line
    shift 2
    if ! line=$("$launch_run" --dry-run "$@" 2>&1); then
        fail "$name: launch/run failed: $line"
    elif [[ $line != *"$want"* ]]; then
        fail "$name: '$want' not in: $line"
    else
        pass "$name: $line"
    fi
}
printf 'node1 slots=2\nnode2 slots=2 # a comment\n\nnode1\n' >"$out/hosts"
if [ "$MPI_FLAVOUR" = mpich ]; then
    dry "-H, 4 x 2" "-n 4 -ppn 2 -bind-to core:2 " -n 4 -t 2 -H node1,node2
    dry "-H with slots" "-n 3 -ppn 2 -bind-to core:1 -genv OMP_NUM_THREADS 1 -genv OMP_PROC_BIND close -genv OMP_PLACES cores -hosts node1:2,node2:1 " \
        -n 3 -t 1 -H node1,node2:1
    dry "hostfile" "-n 4 -ppn 2 -bind-to core:3 -genv OMP_NUM_THREADS 3 -genv OMP_PROC_BIND close -genv OMP_PLACES cores -f $out/hosts " \
        -n 4 -t 3 --hostfile "$out/hosts"
else
    dry "-H, 4 x 2" "-np 4 --map-by ppr:2:node:PE=2 --bind-to core " -n 4 -t 2 -H node1,node2
    dry "-H with slots" "-np 3 --map-by ppr:2:node:PE=1 --bind-to core -x OMP_NUM_THREADS -x OMP_PROC_BIND -x OMP_PLACES -H node1:2,node2:1 " \
        -n 3 -t 1 -H node1,node2:1
    dry "hostfile" "OMP_NUM_THREADS=3 OMP_PROC_BIND=close OMP_PLACES=cores $MPIEXEC -np 4 --map-by ppr:2:node:PE=3 --bind-to core -x OMP_NUM_THREADS -x OMP_PROC_BIND -x OMP_PLACES --hostfile $out/hosts " \
        -n 4 -t 3 --hostfile "$out/hosts"
fi
per_host_1="ppr:1:node:PE=1"
[ "$MPI_FLAVOUR" = mpich ] && per_host_1="-n 4 -ppn 1"
dry "--per-host" "$per_host_1" -n 4 --per-host 1 -H a,b,c,d
if "$launch_run" --dry-run -n 0 >"$out/err" 2>&1 || ! grep -q 'positive integer' "$out/err"; then
    fail "-n 0: not refused"
    cat "$out/err"
else
    pass "-n 0 refused: $(cat "$out/err")"
fi
finish
