#!/usr/bin/env bash
# The first layer split across two ranks (tests/mpi/test_split_ranks.c): with shared
# memory every split step must split; with DNN_SHARED_MEMORY=0 none may, and the bits
# are the same either way.
set -euo pipefail
test_split_ranks=$1
source "$(dirname "$0")/common.sh"
for sharing in 1 0; do
    if log=$(DNN_SHARED_MEMORY=$sharing run_ranks 2 1 "$test_split_ranks" "$sharing" 2>&1); then
        pass "DNN_SHARED_MEMORY=$sharing: $log"
    else
        fail "DNN_SHARED_MEMORY=$sharing"
        echo "$log"
    fi
done
finish
