# Shared by launch/train, launch/test and launch/bench: packages, build, MPI as root.
# shellcheck shell=bash

DNN_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
DNN_PACKAGES=(cmake gcc make pkg-config libopenmpi-dev openmpi-bin check libhdf5-dev libopenblas-dev libzip-dev)

# Installs the Debian packages that are missing (as root), or names the one line to run.
dnn_install() {
    local missing=() pkg
    for pkg in "${DNN_PACKAGES[@]}" "$@"; do
        dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "ok installed" ||
            missing+=("$pkg")
    done
    [ ${#missing[@]} -eq 0 ] && return 0
    if [ "$(id -u)" -ne 0 ]; then
        echo "dnn: missing packages; install them with:" >&2
        echo "  sudo apt-get install -y ${missing[*]}" >&2
        exit 1
    fi
    echo "dnn: installing ${missing[*]}" >&2
    apt-get update -qq &&
        DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >&2
}

# Installs these packages too as root; without root, names the missing ones and goes on
# (what needs them is skipped).
dnn_install_optional() {
    local missing=() pkg
    for pkg in "$@"; do
        dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "ok installed" ||
            missing+=("$pkg")
    done
    [ ${#missing[@]} -eq 0 ] && return 0
    if [ "$(id -u)" -ne 0 ]; then
        echo "dnn: not installed, so what needs them is skipped: ${missing[*]}; to have them:" >&2
        echo "  sudo apt-get install -y ${missing[*]}" >&2
        return 0
    fi
    dnn_install "${missing[@]}" ||
        echo "dnn: installing ${missing[*]} failed, so what needs them is skipped" >&2
}

# Configures and builds into $DNN_BUILD (default build/); extra arguments go to cmake.
dnn_build() {
    DNN_BUILD=${DNN_BUILD:-$DNN_ROOT/build}
    cmake -S "$DNN_ROOT" -B "$DNN_BUILD" -DCMAKE_BUILD_TYPE=Release "$@" >/dev/null &&
        cmake --build "$DNN_BUILD" -j "$(nproc)"
}

# Open MPI refuses to run as root unless told; containers and CI run as root.
if [ "$(id -u)" -eq 0 ]; then
    export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
fi

# Shared memory between ranks of one host: copies through the shared segment, not the
# kernel's cross-process single copy (CMA), which measured slow on these virtual machines
# (the cat model's per-iteration exchange: 0.27-0.31 ms against 0.49-0.54 ms). A value
# set by the user wins.
export OMPI_MCA_btl_vader_single_copy_mechanism=${OMPI_MCA_btl_vader_single_copy_mechanism:-none}
