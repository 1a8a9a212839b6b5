#!/usr/bin/env bash
# Issue 21: dnn-train --metrics and the progress line, on 2 ranks.
#   - the metrics file: one valid JSON object per printed line, with the fields of
#     docs/DESIGN.md, the same costs (to the bit) as printed, test cost and accuracy with
#     --test, epoch and step with mini-batches; a second run appends;
#   - a bad --metrics (a directory, a missing folder, an input file) stops both ranks
#     with exit 2 and one message, before training, within the timeout, and the input is
#     left as it was;
#   - the progress line: none when stdout is not a terminal (under mpiexec and alone),
#     in place (\r) on a terminal (script(1)), none there with DNN_PROGRESS=0;
#   - launch/plot-cost draws PNG and SVG next to the file (skipped without gnuplot).
set -euo pipefail
dnn_train=$1 shared=$2
source "$(dirname "$0")/common.sh"
root=$(cd "$(dirname "$0")/../.." && pwd)
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
PY=/usr/bin/python3 # the python3 first on PATH may be another
train=(--train "$shared/train_catvnoncat.h5" --test "$shared/test_catvnoncat.h5"
    --layers auto,7,1 --iters 25 --print-every 10)

# check_records FILE STDOUT [KEY]: every line of FILE a JSON object with the fields, as
# many as the "Cost after" lines of STDOUT, with their costs. Prints what is wrong.
check_records() {
    "$PY" - "$@" <<'EOF'
import json, re, sys
path, printed_path = sys.argv[1], sys.argv[2]
key = sys.argv[3] if len(sys.argv) > 3 else "iteration"
pat = re.compile(r"^Cost after (iteration|epoch) (\d+): (\S+?)(?:; test cost (\S+), "
                 r"test accuracy (\S+))?$")
printed = [pat.match(l).groups() for l in open(printed_path) if l.startswith("Cost after")]
lines = open(path).read().splitlines()
if len(lines) != len(printed):
    sys.exit(f"{len(lines)} records for {len(printed)} printed lines")
spread = ("compute_s", "combine_s", "wait_s", "collective_s")
for n, (line, p) in enumerate(zip(lines, printed), 1):
    try:
        r = json.loads(line)
    except ValueError as e:
        sys.exit(f"line {n}: not JSON: {e}")
    need = [key, "cost", "ranks", "threads", "elapsed_s", "steps", "interval_s",
            "examples_per_s", *spread] + (["step"] if key == "epoch" else [])
    if p[3] is not None:
        need += ["test_cost", "test_accuracy"]
    missing = [f for f in need if f not in r]
    if missing:
        sys.exit(f"line {n}: no {', '.join(missing)}")
    if r[key] != int(p[1]) or r["cost"] != float(p[2]):
        sys.exit(f"line {n}: {key} {r[key]} cost {r['cost']!r}, printed {p[1]} {p[2]}")
    if p[3] is not None and (r["test_cost"] != float(p[3]) or
                             r["test_accuracy"] != float(p[4])):
        sys.exit(f"line {n}: test cost/accuracy differ from the printed line")
    if r["ranks"] != 2:
        sys.exit(f"line {n}: ranks {r['ranks']}")
    for s in spread:
        v = r[s]
        if not (0 <= v["min"] <= v["avg"] * (1 + 1e-12) and v["avg"] <= v["max"] * (1 + 1e-12)):
            sys.exit(f"line {n}: {s} not 0 <= min <= avg <= max: {v}")
    if not (r["steps"] >= 1 and r["interval_s"] > 0 and r["examples_per_s"] > 0):
        sys.exit(f"line {n}: steps, interval or rate not positive")
EOF
}

# 1. the records of a full-batch run with --test, then a second run appends
run_ranks 2 1 "$dnn_train" "${train[@]}" --metrics "$out/m.jsonl" >"$out/run1"
if wrong=$(check_records "$out/m.jsonl" "$out/run1" 2>&1); then
    pass "full batch with --test: $(wc -l <"$out/m.jsonl") records, fields and costs as printed"
else
    fail "full batch with --test: $wrong"
fi
run_ranks 2 1 "$dnn_train" "${train[@]}" --metrics "$out/m.jsonl" >"$out/run2"
if [ "$(wc -l <"$out/m.jsonl")" -eq 8 ] && cat "$out/run1" "$out/run2" >"$out/both" &&
    check_records "$out/m.jsonl" "$out/both" >/dev/null 2>&1; then
    pass "a second run appends its records"
else
    fail "a second run: $(wc -l <"$out/m.jsonl") records (want 8), or not those printed"
fi

# 2. mini-batches: epoch and step
run_ranks 2 1 "$dnn_train" --synthetic 300,6 --layers auto,4,1 --lr 0.1 --batch-size 64 \
    --epochs 5 --print-every 2 --metrics "$out/b.jsonl" >"$out/runb"
if wrong=$(check_records "$out/b.jsonl" "$out/runb" epoch 2>&1); then
    pass "mini-batches: $(wc -l <"$out/b.jsonl") records with epoch and step, costs as printed"
else
    fail "mini-batches: $wrong"
fi

# 3. bad paths: exit 2 on every rank before any work, one message; the input untouched
mkdir "$out/dir"
cp "$shared/train_catvnoncat.h5" "$out/train.h5"
before=$(sha256sum <"$out/train.h5")
for bad in "$out/dir" "$out/missing/m.jsonl" "$out/train.h5"; do
    rc=0
    timeout -k 5 60 bash -c 'source "$1"; shift; run_ranks 2 1 "$@"' _ \
        "$(dirname "$0")/common.sh" "$dnn_train" --train "$out/train.h5" --layers auto,7,1 \
        --iters 5 --metrics "$bad" >"$out/bad.out" 2>"$out/bad.err" || rc=$?
    if [ "$rc" -eq 2 ] && grep -q '^dnn-train: error: --metrics' "$out/bad.err" &&
        [ "$(grep -c 'error' "$out/bad.err")" -eq 1 ] && ! grep -q 'Cost after' "$out/bad.out" &&
        [ "$(sha256sum <"$out/train.h5")" = "$before" ]; then
        pass "--metrics $bad: exit 2 on 2 ranks, $(head -1 "$out/bad.err")"
    else
        fail "--metrics $bad: exit $rc (124: hung), want 2 and one message"
        cat "$out/bad.err"
    fi
done

# 4. the progress line: never into a pipe; on a terminal, redrawn in place
quick=(--synthetic 2000,16 --layers auto,20,1 --lr 0.1 --iters 300 --print-every 100)
run_ranks 2 1 "$dnn_train" "${quick[@]}" >"$out/pipe2" 2>&1
DNN_PROGRESS_AFTER=0 "$dnn_train" "${quick[@]}" >"$out/pipe1" 2>&1
if grep -q $'\r' "$out/pipe2" "$out/pipe1"; then
    fail "a carriage return in output that is not a terminal"
else
    pass "no progress line when stdout is a pipe (2 ranks under mpiexec, 1 process)"
fi
if ! command -v script >/dev/null; then
    echo "skipped: the terminal case needs script (util-linux)"
else
    DNN_PROGRESS_AFTER=0 script -qec "$dnn_train ${quick[*]}" /dev/null >"$out/tty" 2>&1 || true
    DNN_PROGRESS=0 DNN_PROGRESS_AFTER=0 script -qec "$dnn_train ${quick[*]}" /dev/null \
        >"$out/tty0" 2>&1 || true
    if grep -q $'\r\033\\[Kstep [0-9]*/300  cost [0-9.e-]*  .* steps/s  ETA ' "$out/tty" &&
        grep -q 'Cost after iteration 299' "$out/tty" &&
        ! grep -q $'\033\\[Kstep' "$out/tty0"; then
        pass "on a terminal the progress line is redrawn in place (none with DNN_PROGRESS=0)"
    else
        fail "no progress line on a terminal, or one with DNN_PROGRESS=0"
        tr '\r' '\n' <"$out/tty" | head -5
    fi
fi

# 5. launch/plot-cost
if ! command -v gnuplot >/dev/null; then
    echo "skipped: launch/plot-cost needs gnuplot (gnuplot-nox)"
elif "$root/launch/plot-cost" "$out/m.jsonl" >"$out/plot.out" 2>&1 &&
    [ -s "$out/m.png" ] && [ -s "$out/m.svg" ] && grep -q '<svg' "$out/m.svg"; then
    pass "launch/plot-cost: $(cat "$out/plot.out")"
else
    fail "launch/plot-cost: no PNG or SVG"
    cat "$out/plot.out"
fi
if "$root/launch/plot-cost" "$out/run1" >/dev/null 2>&1; then
    fail "launch/plot-cost accepted a file that is not a metrics file"
else
    pass "launch/plot-cost refuses a file that is not a metrics file"
fi
finish
