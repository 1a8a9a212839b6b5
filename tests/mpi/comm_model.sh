#!/usr/bin/env bash
# Issue 21: the communication model (launch/comm_model.py) and its probe.
#   - dnn-comm-probe on 2 ranks prints a CSV row per collective and size, times > 0;
#   - fit recovers alpha and beta from points made with known values (ring form at 2,
#     3, 4 and 8 ranks; fitted on 2 and 3), and its check on the held-out ranks finds
#     the ring form exact and the recursive one off;
#   - predict prints a row per rank count from 2 to 1024 for both problems, the cat
#     model refused beyond its 209 examples, with the assumptions; bad values refused.
set -euo pipefail
probe=$1
source "$(dirname "$0")/common.sh"
root=$(cd "$(dirname "$0")/../.." && pwd)
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
PY=/usr/bin/python3
model=("$PY" "$root/launch/comm_model.py")

run_ranks 2 1 "$probe" --bytes 64,4096 --rounds 1 --repeats 3 >"$out/probe.csv"
if [ "$(head -1 "$out/probe.csv")" = "collective,ranks,bytes,seconds" ] &&
    [ "$(tail -n +2 "$out/probe.csv" | awk -F, '$2 == 2 && $4 > 0' | wc -l)" -eq 6 ]; then
    pass "dnn-comm-probe: 6 timings (3 collectives x 2 sizes) on 2 ranks"
else
    fail "dnn-comm-probe output"
    cat "$out/probe.csv"
fi

mkdir "$out/fit"
"$PY" - "$out/fit/synthetic.csv" <<'PYEOF'
import sys
alpha, beta = 5e-6, 2e9  # the values fit must find
with open(sys.argv[1], "w") as f:
    f.write("transport,collective,ranks,bytes,seconds\n")
    for p in (2, 3, 4, 8):
        for n in (64, 4096, 262144, 8388608):
            for c in ("reduce_scatter", "allgather"):
                f.write(f"synthetic,{c},{p},{n},{(p - 1) * alpha + (p - 1) / p * n / beta!r}\n")
PYEOF
"${model[@]}" fit "$out/fit" --fit-ranks 2,3 >"$out/fit.out"
if wrong=$("$PY" - "$out/fit/fit.json" <<'PYEOF' 2>&1
import json, sys
t = json.load(open(sys.argv[1]))["transports"]["synthetic"]
for c in ("reduce_scatter", "allgather"):
    ring, rd = t[f"{c}/ring"], t[f"{c}/rd"]
    if abs(ring["alpha_s"] / 5e-6 - 1) > 1e-6 or abs(ring["beta_bytes_per_s"] / 2e9 - 1) > 1e-6:
        sys.exit(f"{c} ring: alpha {ring['alpha_s']}, beta {ring['beta_bytes_per_s']}")
    if ring["max_relative_error"] > 1e-6 or ring["held_out_points"] != 8:
        sys.exit(f"{c} ring: held-out error {ring['max_relative_error']}")
    if not rd["max_relative_error"] > 0.05:
        sys.exit(f"{c} recursive: held-out error {rd['max_relative_error']}, expected large")
PYEOF
); then
    pass "fit recovers alpha 5 us and beta 2 GB/s; held-out 4 and 8 ranks: ring exact, recursive off"
else
    fail "fit: $wrong"
    cat "$out/fit.out"
fi

"${model[@]}" predict --latency 2e-6 --bandwidth 12.5e9 >"$out/predict"
rows=$(grep -cE '^ +(2|4|8|16|32|64|128|256|512|1024) ' "$out/predict")
refused=$(grep -c 'more ranks than examples' "$out/predict")
if [ "$rows" -eq 20 ] && [ "$refused" -eq 3 ] && grep -q '^assumptions:' "$out/predict" &&
    grep -q '^B: layers 1024,1024,512,1, 1574913 parameters' "$out/predict"; then
    pass "predict: 10 rank counts for each problem, the cat model refused at 256, 512, 1024"
else
    fail "predict: $rows rows, $refused refused"
    cat "$out/predict"
fi
rc=0
"${model[@]}" predict --latency 2e-6 --bandwidth 0 >/dev/null 2>&1 || rc=$?
if [ "$rc" -eq 2 ]; then pass "--bandwidth 0 refused"; else fail "--bandwidth 0: exit $rc"; fi
finish
