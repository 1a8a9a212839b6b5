#!/usr/bin/env bash
# Issue 21: launch/scaling --quick (1 and 2 ranks, strong and weak, a small problem)
# writes scaling.csv with a row per run and the columns of the report, scaling.json
# with the same runs, and the time, speedup and efficiency plots as non-empty PNG and
# SVG (skipped without gnuplot, with a message). A bad flag is refused with exit 2.
set -euo pipefail
dnn_train=$1
source "$(dirname "$0")/common.sh"
root=$(cd "$(dirname "$0")/../.." && pwd)
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
PY=/usr/bin/python3

if ! DNN_TRAIN=$dnn_train "$root/launch/scaling" --quick --out "$out/report" >"$out/log" 2>&1; then
    fail "launch/scaling --quick failed"
    cat "$out/log"
    finish
fi
if wrong=$("$PY" - "$out/report" <<'PYEOF' 2>&1
import csv, json, sys
d = sys.argv[1]
rows = list(csv.DictReader(open(f"{d}/scaling.csv")))
want = {("strong", "1", "1"), ("strong", "2", "1"), ("weak", "1", "1"), ("weak", "2", "1")}
got = {(r["mode"], r["ranks"], r["threads"]) for r in rows}
if got != want or len(rows) != 4:
    sys.exit(f"CSV runs {sorted(got)}, want {sorted(want)}")
for r in rows:
    for k in ("time_per_iter_s", "speedup", "efficiency", "compute_avg_s", "combine_max_s",
              "wait_min_s"):
        if not float(r[k]) >= 0 or (k == "time_per_iter_s" and not float(r[k]) > 0):
            sys.exit(f"{r['mode']} {r['ranks']}x{r['threads']}: {k} = {r[k]}")
    if r["workers"] == "1" and abs(float(r["speedup"]) - 1) > 1e-12:
        sys.exit("speedup of 1 x 1 is not 1")
j = json.load(open(f"{d}/scaling.json"))
if len(j["runs"]) != 4 or "machine" not in j or "problem" not in j:
    sys.exit("scaling.json lacks runs, machine or problem")
PYEOF
); then
    pass "scaling.csv and scaling.json: 4 runs (strong and weak, 1 and 2 ranks), times > 0"
else
    fail "the report: $wrong"
fi
if ! command -v gnuplot >/dev/null; then
    echo "skipped: the plots need gnuplot (gnuplot-nox)"
else
    missing=""
    for f in time speedup efficiency; do
        for ext in png svg; do
            [ -s "$out/report/$f.$ext" ] || missing+=" $f.$ext"
        done
    done
    if [ -z "$missing" ]; then
        pass "time, speedup and efficiency plots, PNG and SVG"
    else
        fail "plots missing or empty:$missing"
    fi
fi
rc=0
DNN_TRAIN=$dnn_train "$root/launch/scaling" --quick --iters 1 --out "$out/bad" >"$out/bad.log" 2>&1 || rc=$?
if [ "$rc" -eq 2 ]; then
    pass "--iters 1 refused: $(tail -1 "$out/bad.log")"
else
    fail "--iters 1: exit $rc, want 2"
fi
finish
