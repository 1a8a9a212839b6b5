#!/usr/bin/env bash
# launch/slurm/train.sbatch under a real SLURM: a single-node cluster of its own (Debian's
# slurm-wlm with munge: its own munge key and socket, a slurm.conf written here with
# NodeName = `hostname -s`, ports away from the default 6817/6818, proctrack/linuxproc,
# task/none), started for the test and stopped after it. Jobs of 2 tasks x 1 CPU and 1
# task x 2 CPUs are submitted with sbatch; each must complete, print the srun line the
# script chose (--mpi=pmix for Open MPI, pmi2 for MPICH), run its ranks and threads,
# and print the costs and the parameter hash of one process's run.
# usage: sbatch.sh DNN_TRAIN [SHARED_DATA_DIR]
# Exit 77 (skipped) where slurm-wlm or munge are missing or the daemons cannot start.
set -euo pipefail
dnn_train=$1 shared=${2:-}
here=$(cd "$(dirname "$0")" && pwd)
source "$here/../mpi/common.sh"
script=$here/../../launch/slurm/train.sbatch
skip() {
    echo "skipped: $*"
    exit 77
}
for cmd in munged mungekey slurmctld slurmd sbatch squeue scontrol sinfo scancel; do
    command -v "$cmd" >/dev/null ||
        skip "no $cmd: slurm-wlm and munge are not installed (launch/test installs them as root)"
done

dir=$(mktemp -d)
chmod 711 "$dir" # munged wants its socket's directories searchable by all
mkdir -m 700 "$dir/munge" && mkdir -m 755 "$dir/run" && mkdir "$dir/state" "$dir/spool" "$dir/log"
pids=() job_ids=()
stop() { # pid...: TERM, up to 5 s, then KILL
    local pid i
    kill "$@" 2>/dev/null || true
    for pid in "$@"; do
        for i in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
        kill -9 "$pid" 2>/dev/null || true
    done
}
cleanup() {
    local i
    if [ ${#job_ids[@]} -gt 0 ]; then # jobs left by a failure: their steps end first
        scancel "${job_ids[@]}" 2>/dev/null || true
        for i in $(seq 50); do
            [ -z "$(squeue -h -j "$(IFS=,; echo "${job_ids[*]}")" 2>/dev/null)" ] && break
            sleep 0.2
        done
    fi
    # slurmd before slurmctld before munged, each started here
    [ ${#pids[@]} -eq 0 ] || for ((i = ${#pids[@]} - 1; i >= 0; i--)); do stop "${pids[i]}"; done
    rm -rf "$dir"
}
trap cleanup EXIT
cannot_start() { # what log
    echo "skipped: $1 did not start here:"
    tail -5 "$2" 2>/dev/null || true
    exit 77
}

mungekey -c -k "$dir/munge/munge.key"
munged --foreground --key-file="$dir/munge/munge.key" --socket="$dir/run/munge.sock" \
    --pid-file="$dir/run/munged.pid" --log-file="$dir/log/munged.log" \
    --seed-file="$dir/munge/seed" >"$dir/log/munged.out" 2>&1 &
pids+=($!)
for i in $(seq 50); do [ -S "$dir/run/munge.sock" ] && break; sleep 0.1; done
[ -S "$dir/run/munge.sock" ] || cannot_start munged "$dir/log/munged.log"

# Two free ports next to each other, away from the defaults (6817, 6818).
listening() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }
for _ in $(seq 20); do
    port=$((20000 + RANDOM % 20000))
    listening "$port" || listening $((port + 1)) || break
done
node=$(hostname -s)
cpus=$(nproc)
user=$(id -un)
export SLURM_CONF=$dir/slurm.conf
cat >"$SLURM_CONF" <<EOF
ClusterName=dnntest
SlurmctldHost=$node(127.0.0.1)
SlurmctldPort=$port
SlurmdPort=$((port + 1))
SlurmUser=$user
SlurmdUser=$user
AuthType=auth/munge
AuthInfo=socket=$dir/run/munge.sock
CredType=cred/munge
StateSaveLocation=$dir/state
SlurmdSpoolDir=$dir/spool
SlurmctldPidFile=$dir/run/slurmctld.pid
SlurmdPidFile=$dir/run/slurmd.pid
SlurmctldLogFile=$dir/log/slurmctld.log
SlurmdLogFile=$dir/log/slurmd.log
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
JobCompType=jobcomp/none
SchedulerType=sched/builtin
SelectType=select/cons_tres
SelectTypeParameters=CR_CPU
MpiDefault=none
ReturnToService=2
NodeName=$node NodeAddr=127.0.0.1 CPUs=$cpus State=UNKNOWN
PartitionName=dnn Nodes=$node Default=YES MaxTime=INFINITE State=UP
EOF
started=$(date +%s.%N)
slurmctld -D -i -f "$SLURM_CONF" >"$dir/log/slurmctld.out" 2>&1 &
pids+=($!)
slurmd -D -f "$SLURM_CONF" >"$dir/log/slurmd.out" 2>&1 &
pids+=($!)
for i in $(seq 150); do
    [ "$(sinfo -h -n "$node" -o %T 2>/dev/null)" = idle ] && break
    kill -0 "${pids[1]}" 2>/dev/null || cannot_start slurmctld "$dir/log/slurmctld.out"
    kill -0 "${pids[2]}" 2>/dev/null || cannot_start slurmd "$dir/log/slurmd.out"
    sleep 0.1
done
[ "$(sinfo -h -n "$node" -o %T 2>/dev/null)" = idle ] ||
    cannot_start "the node (state '$(sinfo -h -n "$node" -o %T 2>&1)')" "$dir/log/slurmd.log"
echo "SLURM $(sinfo -V | cut -d' ' -f2) up in $(awk -v s="$started" -v e="$(date +%s.%N)" \
    'BEGIN { printf "%.1f", e - s }') s: node $node, $cpus CPUs, ports $port and $((port + 1))"

if [ -n "$shared" ] && [ -f "$shared/train_catvnoncat.h5" ]; then
    problem=(--train "$shared/train_catvnoncat.h5" --layers auto,20,7,5,1 --iters 50)
else
    problem=(--synthetic 400,50 --layers auto,8,1 --lr 0.1 --iters 50)
fi
OMP_NUM_THREADS=1 "$dnn_train" "${problem[@]}" --print-every 10 | grep -v '^dnn-train:' >"$dir/one"
mpi=pmix
[ "$MPI_FLAVOUR" = mpich ] && mpi=pmi2

# submit TASKS CPUS: one job through train.sbatch, waited for (2 minutes at most).
submit() {
    local tasks=$1 cpus=$2 name="sbatch $1 task(s) x $2 CPU(s)" id state i t0=$SECONDS
    local log=$dir/job-$1x$2.out
    if ! id=$(DNN_TRAIN=$dnn_train sbatch --parsable --time=5 --output="$log" \
        --ntasks="$tasks" --cpus-per-task="$cpus" "$script" "${problem[@]}" \
        --print-every 10 2>"$dir/sbatch.err"); then
        fail "$name: sbatch refused the job: $(cat "$dir/sbatch.err")"
        return
    fi
    job_ids+=("$id")
    for i in $(seq 600); do
        state=$(scontrol show job "$id" 2>/dev/null | sed -n 's/.*JobState=\([A-Z_]*\).*/\1/p')
        case $state in PENDING | CONFIGURING | RUNNING | COMPLETING | "") sleep 0.2 ;; *) break ;; esac
    done
    local exit_code
    exit_code=$(scontrol show job "$id" | sed -n 's/.* ExitCode=\([0-9:]*\).*/\1/p')
    grep '^train.sbatch: ' "$log" || true
    if [ "$state" != COMPLETED ] || [ "$exit_code" != 0:0 ]; then
        fail "$name: job $id ended $state, exit code $exit_code"
        cat "$log" 2>/dev/null || true
        scontrol show job "$id" | grep -E 'JobState|Reason' || true
    elif ! grep -q "^train.sbatch: OMP_NUM_THREADS=$cpus .*srun --mpi=$mpi --ntasks=$tasks --cpus-per-task=$cpus " "$log"; then
        fail "$name: not the srun line wanted (--mpi=$mpi, $tasks tasks, $cpus CPUs)"
        cat "$log"
    elif ! grep -q "^dnn-train: $tasks rank(s)" "$log"; then
        fail "$name: dnn-train did not run on $tasks ranks"
        cat "$log"
    elif ! diff <(grep -v '^dnn-train:\|^train.sbatch:\|^srun:' "$log") "$dir/one" >"$dir/diff"; then
        fail "$name: differs from one process"
        cat "$dir/diff"
    else
        pass "$name, srun --mpi=$mpi, $((SECONDS - t0)) s: same costs and $(grep hash "$dir/one")"
    fi
}
submit 2 1
[ "$cpus" -lt 2 ] || submit 1 2
finish
