#!/usr/bin/env bash
# Ranks on two hosts: two network namespaces joined by a veth pair stand for two hosts,
# and Open MPI starts the second host's daemon through an rsh agent that runs
# `ip netns exec`. The ranks then talk TCP across the pair and cannot share memory as
# one host (dnn-train must say "through MPI"); costs and the parameter hash must equal
# a one-process run's. Needs root and `ip netns`; skipped without them. Only TCP: both
# "hosts" have the same name and /dev/shm, where Open MPI's shared-memory transport
# would mix up their segments.
set -euo pipefail
dnn_train=$1 shared=$2
source "$(dirname "$0")/common.sh"
if [ "$(id -u)" -ne 0 ] || ! command -v ip >/dev/null || ! ip netns list >/dev/null 2>&1; then
    echo "skipped: needs root and ip netns"
    exit 0
fi
out=$(mktemp -d)
ns=dnn$$
cleanup() {
    ip netns del "${ns}h1" 2>/dev/null || true
    ip netns del "${ns}h2" 2>/dev/null || true
    rm -rf "$out"
}
trap cleanup EXIT
if ! { ip netns add "${ns}h1" && ip netns add "${ns}h2" &&
    ip link add "${ns}a" type veth peer name "${ns}b" &&
    ip link set "${ns}a" netns "${ns}h1" && ip link set "${ns}b" netns "${ns}h2" &&
    ip -n "${ns}h1" addr add 10.213.0.1/24 dev "${ns}a" &&
    ip -n "${ns}h2" addr add 10.213.0.2/24 dev "${ns}b" &&
    ip -n "${ns}h1" link set "${ns}a" up && ip -n "${ns}h2" link set "${ns}b" up &&
    ip -n "${ns}h1" link set lo up && ip -n "${ns}h2" link set lo up; } 2>"$out/ip.err"; then
    echo "skipped: cannot make network namespaces here: $(head -1 "$out/ip.err")"
    exit 0
fi
# Open MPI calls the agent as `agent HOST COMMAND...`; host 10.213.0.N is namespace hN.
cat >"$out/agent" <<EOF
#!/bin/sh
host=\$1
shift
exec ip netns exec "${ns}h\${host##*.}" /bin/sh -c "\$*"
EOF
chmod +x "$out/agent"

if [ -f "$shared/train_catvnoncat.h5" ]; then
    problem=(--train "$shared/train_catvnoncat.h5" --layers auto,20,7,5,1 --iters 30)
else
    echo "the course data is not in $shared: the synthetic problem instead"
    problem=(--synthetic 400,50 --layers auto,8,1 --lr 0.1 --iters 30)
fi
OMP_NUM_THREADS=1 "$dnn_train" "${problem[@]}" --print-every 5 | grep -v '^dnn-train:' >"$out/one"

for per_host in 1 2; do
    printf '10.213.0.1 slots=%d\n10.213.0.2 slots=%d\n' "$per_host" "$per_host" >"$out/hosts"
    ranks=$((2 * per_host))
    if ! ip netns exec "${ns}h1" env OMP_NUM_THREADS=1 OMPI_MCA_btl=tcp,self \
        OMPI_MCA_btl_tcp_if_include=10.213.0.0/24 OMPI_MCA_oob_tcp_if_include=10.213.0.0/24 \
        timeout 180 "$MPIEXEC" --hostfile "$out/hosts" -np "$ranks" \
        --mca plm_rsh_agent "$out/agent" "$dnn_train" "${problem[@]}" --print-every 5 \
        --timing >"$out/run" 2>"$out/err"; then
        fail "$ranks ranks on 2 hosts: mpiexec failed"
        cat "$out/err"
        continue
    fi
    if ! grep -q '^ranks: gradients combined through MPI$' "$out/err"; then
        fail "$ranks ranks on 2 hosts: not combined through MPI"
        cat "$out/err"
    elif ! diff <(grep -v '^dnn-train:' "$out/run") "$out/one" >"$out/diff"; then
        fail "$ranks ranks on 2 hosts: differs from one process"
        cat "$out/diff"
    else
        pass "$ranks ranks on 2 hosts, through MPI: same costs and $(grep hash "$out/one")"
    fi
done
finish
