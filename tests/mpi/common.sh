# shellcheck shell=bash
# Shared by the MPI test scripts: mpiexec as root, oversubscribed, with the flags of the
# mpiexec at hand: Open MPI's, or MPICH's Hydra (MPIEXEC=mpiexec.mpich).
MPIEXEC=${MPIEXEC:-mpiexec}
case $("$MPIEXEC" --version 2>&1) in
*HYDRA*) MPI_FLAVOUR=mpich ;;
*) MPI_FLAVOUR=openmpi ;;
esac
if [ "$(id -u)" -eq 0 ]; then
    export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
fi
# Open MPI's shared-memory transport needs no network; keep runs off any interface.
export OMPI_MCA_btl=self,vader OMPI_MCA_btl_vader_single_copy_mechanism=none

# Flags that start N ranks on this machine whatever its cores: Hydra oversubscribes
# unasked and takes -n; Open MPI needs --oversubscribe.
ranks_flags() { # ranks
    if [ "$MPI_FLAVOUR" = mpich ]; then
        echo "-n $1"
    else
        echo "--oversubscribe -np $1"
    fi
}

run_ranks() { # ranks threads program args...
    local ranks=$1 threads=$2
    shift 2
    # shellcheck disable=SC2046
    OMP_NUM_THREADS=$threads "$MPIEXEC" $(ranks_flags "$ranks") "$@"
}

passed=0
failed=0
pass() { passed=$((passed + 1)); echo "ok: $*"; }
fail() { failed=$((failed + 1)); echo "FAILED: $*"; }
finish() {
    echo "$passed passed, $failed failed"
    [ "$failed" -eq 0 ]
}
