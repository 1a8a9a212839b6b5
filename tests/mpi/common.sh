# shellcheck shell=bash
# Shared by the MPI test scripts: mpiexec as root, oversubscribed.
MPIEXEC=${MPIEXEC:-mpiexec}
if [ "$(id -u)" -eq 0 ]; then
    export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
fi
# Open MPI's shared-memory transport needs no network; keep runs off any interface.
export OMPI_MCA_btl=self,vader OMPI_MCA_btl_vader_single_copy_mechanism=none

run_ranks() { # ranks threads program args...
    local ranks=$1 threads=$2
    shift 2
    OMP_NUM_THREADS=$threads "$MPIEXEC" --oversubscribe -np "$ranks" "$@"
}

passed=0
failed=0
pass() { passed=$((passed + 1)); echo "ok: $*"; }
fail() { failed=$((failed + 1)); echo "FAILED: $*"; }
finish() {
    echo "$passed passed, $failed failed"
    [ "$failed" -eq 0 ]
}
