#!/usr/bin/env bash
# The trainer's collectives (tests/mpi/test_comm.c) on 1 to 4 ranks.
set -euo pipefail
test_comm=$1
source "$(dirname "$0")/common.sh"
for ranks in 1 2 3 4; do
    if log=$(run_ranks "$ranks" 1 "$test_comm" 2>&1); then
        pass "collectives on $ranks ranks"
    else
        fail "collectives on $ranks ranks"
        echo "$log"
    fi
done
finish
