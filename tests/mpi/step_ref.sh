#!/usr/bin/env bash
# Every way through a training step against the frozen reference step, bit for bit
# (tests/mpi/test_step_ref.c): 1 to 3 ranks of 1 to 3 threads, and 2 ranks through the
# MPI transport instead of shared memory (DNN_SHARED_MEMORY=0). The runs together must
# have taken every way: the split first layer (where the CPU has AVX-512, with the
# system BLAS), one
# process's combine, gradients travelling, digits travelling, and fast mode.
set -euo pipefail
test_step_ref=$1 data=$2
source "$(dirname "$0")/common.sh"
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
: >"$out/paths"
for run in 1:1 2:1 3:1 2:0; do
    ranks=${run%:*} sharing=${run#*:}
    if DNN_SHARED_MEMORY=$sharing run_ranks "$ranks" 1 "$test_step_ref" "$data" 3 >"$out/log" 2>&1; then
        pass "$ranks rank(s), shared memory $sharing: every way has the reference step's bits"
    else
        fail "$ranks rank(s), shared memory $sharing: some way differs from the reference step"
        cat "$out/log"
    fi
    grep '^paths:' "$out/log" | sed "s/^/$ranks ranks: /" | tee -a "$out/paths"
done
# the system BLAS's products (--blas system), the only mode that splits the first layer
if run_ranks 1 1 "$test_step_ref" "$data" 3 system >"$out/log" 2>&1; then
    pass "1 rank, system BLAS: every way has the reference step's bits"
else
    fail "1 rank, system BLAS: some way differs from the reference step"
    cat "$out/log"
fi
grep '^paths:' "$out/log" | sed "s/^/1 rank, system BLAS: /" | tee -a "$out/paths"
# every way taken somewhere
took() { grep -Eq "$1=[1-9]" "$out/paths"; }
ways=(one_process gradients_travel digits_travel fast)
grep -qw avx512f /proc/cpuinfo && ways+=(split) ||
    echo "note: no AVX-512 on this CPU, the split first layer cannot run here"
for w in "${ways[@]}"; do
    if took "$w"; then pass "way $w taken"; else fail "way $w never taken"; fi
done
finish
