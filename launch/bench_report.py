#!/usr/bin/python3
"""Turns a launch/bench run directory into the benchmark table.

Reads DIR/cases.tsv (what each case is), DIR/runs.tsv (one line per run: exit status,
whole-process wall time, log prefix, and for the cat runs the host state that
dnn-core-probe saw just before), DIR/meta.tsv and the logs; prints the table of
medians over repeats and writes DIR/results.csv and DIR/results.json.

Per row: loop seconds (the training loop's wall time, as each program reports it:
dnn-train's "timing:" line, the numpy reference's and bench_torch.py's "Training
time:"), whole-process wall seconds, GFLOP/s of the loop, % of the GEMM probe's
2-thread peak (dgemm for float64 rows, sgemm for float32), speed relative to the best
numpy and the best PyTorch run of the same dtype (peer seconds / this row's seconds),
dnn-train's combine share (threads' partial sums + MPI collectives, rank 0) and the
collectives' own share, peak RSS.

FLOPs per iteration, for layer widths n_0..n_L and m examples: forward
2 * sum_l n_l n_(l-1) m, backward 4 * sum_l n_l n_(l-1) m minus the dA0 product,
2 n_1 n_0 m, that nobody needs. Element-wise work is not counted.

usage: bench_report.py DIR
"""
import csv
import json
import os
import re
import statistics
import subprocess
import sys

# dnn-train's line; older builds said "combine (threads + Allreduce) Y s" and had no
# "of which MPI collectives Z s"
TIMING_DNN = re.compile(r"timing: (\d+) iterations in ([0-9.]+) s .*rank 0 compute ([0-9.]+) s, "
                        r"combine (?:\(threads \+ Allreduce\) )?([0-9.]+) s"
                        r"(?:, of which MPI collectives ([0-9.]+) s)?")
TIMING_PY = re.compile(r"Training time: ([0-9.]+) s")
RSS = re.compile(r"^rss_kb (\d+)$", re.M)
PROBE = re.compile(r"^(\w+) .*core=(\S+) best_s=([0-9.]+) (?:gflops|gbytes_per_s)=([0-9.]+)", re.M)
COST = re.compile(r"Cost after iteration (\d+): (\S+)")
ACCURACY = re.compile(r"^Train accuracy: (\S+)", re.M)
TORCH = re.compile(r"^torch (\S+),", re.M)


def read_tsv(path):
    with open(path, newline="") as f:
        return list(csv.DictReader(f, delimiter="\t"))


def read_text(path):
    try:
        with open(path, errors="replace") as f:
            return f.read()
    except OSError:
        return ""


def to_float(text):
    try:
        return float(text)
    except (TypeError, ValueError):
        return None


def flops_per_iteration(layers, m):
    dims = [int(n) for n in layers.split(",")]
    products = sum(dims[l] * dims[l - 1] for l in range(1, len(dims)))
    return 6.0 * products * m - 2.0 * dims[1] * dims[0] * m


def parse_run(case, run, out_dir):
    """What one run's logs say; None values where a log lacks a number."""
    log = os.path.join(out_dir, run["log"])  # logs/CASE.REPEAT, relative to the directory
    out, err = read_text(log + ".out"), read_text(log + ".err")
    r = {"case": case["case"], "repeat": int(run["repeat"]), "rc": int(run["rc"]),
         "wall_s": float(run["wall_s"]), "busy_before": to_float(run.get("busy_before")),
         "round_trip_ns": to_float(run.get("round_trip_ns")),
         "loop_s": None, "combine_s": None, "collectives_s": None,
         "probe": None, "probe_rate": None, "core": None, "last_cost": None, "train_accuracy": None, "torch_version": None,
         "rss_kb": [int(v) for v in RSS.findall(err)]}
    if case["program"] == "dnn-dgemm-probe":
        m = PROBE.search(out)
        if m:
            r["probe"], r["core"] = m.group(1), m.group(2)
            r["loop_s"], r["probe_rate"] = float(m.group(3)), float(m.group(4))
    elif case["program"].startswith("dnn-train"):
        m = TIMING_DNN.search(err)
        if m:
            r["loop_s"], r["combine_s"] = float(m.group(2)), float(m.group(4))
            r["collectives_s"] = to_float(m.group(5))
    else:
        m = TIMING_PY.search(err)
        if m:
            r["loop_s"] = float(m.group(1))
        m = TORCH.search(out)
        if m:
            r["torch_version"] = m.group(1)
    costs = COST.findall(out)
    r["costs"] = {int(it): float(cost) for it, cost in costs}
    if costs:
        r["last_cost"] = float(costs[-1][1])
    m = ACCURACY.search(out)
    if m:
        r["train_accuracy"] = float(m.group(1))
    if r["rc"] != 0:
        r["loop_s"] = None
    return r


def median(values):
    values = [v for v in values if v is not None]
    return statistics.median(values) if values else None


def summarize(case, runs):
    ok = [r for r in runs if r["loop_s"] is not None]
    iters, m = int(case["iters"]), int(case["m"])
    row = {"case": case["case"], "problem": case["problem"], "program": case["program"],
           "layout": "%sx%s" % (case["ranks"], case["threads"]), "ranks": int(case["ranks"]),
           "threads": int(case["threads"]), "dtype": case["dtype"], "iters": iters,
           "m": m, "layers": case["layers"], "runs_ok": len(ok), "runs": len(runs),
           "loop_s": median(r["loop_s"] for r in ok),
           "loop_s_min": min((r["loop_s"] for r in ok), default=None),
           "wall_s": median(r["wall_s"] for r in ok)}
    row["s_per_iter"] = row["loop_s"] / iters if row["loop_s"] is not None else None
    if case["program"] == "dnn-dgemm-probe":
        # GFLOP/s of dgemm or sgemm; GB/s of the memory read probe
        # the best run, not the median: a peak is what the least disturbed run reached
        kind = next((r["probe"] for r in ok), None)
        rate = max((r["probe_rate"] for r in ok), default=None)
        row["probe"], row["core"] = kind, next((r["core"] for r in ok), None)
        row["gflops"] = rate if kind != "read" else None
        row["gbytes_per_s"] = rate if kind == "read" else None
    elif row["loop_s"]:
        row["gflops"] = flops_per_iteration(case["layers"], m) * iters / row["loop_s"] * 1e-9
    else:
        row["gflops"] = None
    combine = median(r["combine_s"] for r in ok)
    row["combine_share"] = combine / row["loop_s"] if combine is not None and row["loop_s"] else None
    collectives = median(r["collectives_s"] for r in ok)
    row["collectives_share"] = (collectives / row["loop_s"]
                                if collectives is not None and row["loop_s"] else None)
    # peak RSS of each rank: median over repeats, rank by rank (ranks print in any order,
    # so sort each run's values first)
    per_run = [sorted(r["rss_kb"], reverse=True) for r in ok if r["rss_kb"]]
    nranks = min((len(v) for v in per_run), default=0)
    row["rss_mb"] = [median(v[i] for v in per_run) / 1024.0 for i in range(nranks)]
    row["last_cost"] = median(r["last_cost"] for r in ok)
    row["costs"] = next((r["costs"] for r in ok if r["costs"]), {})
    row["train_accuracy"] = median(r["train_accuracy"] for r in ok)
    return row


def add_comparisons(rows, peaks):
    def best(problem, program, dtype):
        times = [r["loop_s"] for r in rows if r["problem"] == problem and
                 r["program"] == program and r["dtype"] == dtype and r["loop_s"]]
        return min(times) if times else None

    for r in rows:
        r["pct_peak"] = r["x_numpy"] = r["x_torch"] = None
        if r["program"] == "dnn-dgemm-probe" or not r["loop_s"]:
            continue
        peak = peaks.get(r["dtype"])
        if peak and r["gflops"]:
            r["pct_peak"] = 100.0 * r["gflops"] / peak
        numpy_best = best(r["problem"], "numpy", "f64")
        torch_best = min(filter(None, (best(r["problem"], name, r["dtype"])
                                       for name in ("torch", "torch blas"))), default=None)
        if numpy_best:
            r["x_numpy"] = numpy_best / r["loop_s"]
        if torch_best:
            r["x_torch"] = torch_best / r["loop_s"]


def derived_numbers(rows):
    """Numbers the issue's goals are stated in, from the medians (informative only)."""
    by = {r["case"]: r for r in rows}

    def loop(case):
        r = by.get(case)
        return r["loop_s"] if r and r["loop_s"] else None

    notes = []

    def note(key, text, value):
        if value is not None:
            notes.append({"key": key, "text": text, "value": value})

    a12, a21, b12, b21 = loop("A_dnn_1x2"), loop("A_dnn_2x1"), loop("B_dnn_1x2"), loop("B_dnn_2x1")
    for layout, exact, fast in (("1x2", a12, loop("A_fast_1x2")), ("2x1", a21, loop("A_fast_2x1"))):
        if exact and fast:
            iters = by["A_dnn_" + layout]["iters"]
            note("A_exact_cost_ms_" + layout,
                 "A %s: exact-sum cost (exact - fast) per iteration, ms" % layout,
                 1e3 * (exact - fast) / iters)
    if a12 and a21:
        note("A_2x1_over_1x2", "A: 2x1 time / 1x2 time (goal <= 1.10)", a21 / a12)
    if b12 and b21:
        note("B_2x1_over_1x2", "B: 2x1 time / 1x2 time (goal <= 1.10)", b21 / b12)
    a = by.get("A_dnn_1x2")
    if a:
        note("A_x_numpy", "A 1x2: numpy time / dnn-train time (goal >= 5)", a["x_numpy"])
        note("A_x_torch", "A 1x2: torch f64 time / dnn-train time (goal >= 3.5)", a["x_torch"])
    a = by.get("A_dnn_2x1")  # the other layout on the same machine, for comparison
    if a:
        note("A_2x1_x_numpy", "A 2x1: numpy time / dnn-train time (goal >= 5)", a["x_numpy"])
        note("A_2x1_x_torch", "A 2x1: torch f64 time / dnn-train time (goal >= 3.5)",
             a["x_torch"])
    for case in ("B_dnn_1x2", "B_dnn_2x1"):
        r = by.get(case)
        if r and r["pct_peak"] is not None:
            note(case + "_pct_peak", "B %s: %% of 2-thread dgemm peak (goal >= 80)" % r["layout"],
                 r["pct_peak"])
    c1, c2 = by.get("C_dnn_1x2"), by.get("C_dnn_2x1")
    if c1 and c2 and c1["rss_mb"] and c2["rss_mb"]:
        note("C_rss_ratio", "C: 2-rank peak RSS per rank / 1-rank peak (goal <= 0.6)",
             max(c2["rss_mb"]) / max(c1["rss_mb"]))
    for problem, case64, case32 in (("A", "A_dnn_1x2", "A_dnn32_1x2"), ("B", "B_dnn_1x2", "B_dnn32_1x2")):
        if loop(case64) and loop(case32):
            note(problem + "_f32_speedup", "%s 1x2: f64 time / f32 time (goal >= 1.7 on B)" % problem,
                 loop(case64) / loop(case32))
    # same model trained? final costs against the numpy reference's (float64 rows)
    ref = by.get("A_numpy_1x1") or by.get("A_numpy_1x2")
    if ref and ref["last_cost"] is not None:
        diffs = [abs(r["last_cost"] - ref["last_cost"]) for r in rows
                 if r["problem"] == "A:cat" and r["dtype"] == "f64" and r["last_cost"] is not None]
        note("A_cost_diff_f64", "A: largest |final cost - numpy's| over f64 rows", max(diffs))
    f64 = by.get("A_dnn_1x2")
    if f64 and f64["last_cost"] is not None:
        diffs = [abs(r["last_cost"] - f64["last_cost"]) for r in rows if r["problem"] == "A:cat"
                 and r["program"] == "dnn-train" and r["dtype"] == "f32" and r["last_cost"] is not None]
        if diffs:
            note("A_cost_diff_f32", "A: dnn-train |final cost f32 - f64| (goal <= 1e-4)", max(diffs))
        diffs = [abs(r["costs"][i] - f64["costs"][i]) for r in rows
                 if r["problem"] == "A:cat" and r["program"] == "dnn-train"
                 and r["dtype"] == "f32" for i in r["costs"] if i in f64["costs"]]
        if diffs:
            note("A_cost_diff_f32_all", "A: dnn-train largest |cost f32 - f64| at every printed "
                 "iteration (goal <= 1e-4)", max(diffs))
    accuracies = {r["train_accuracy"] for r in rows if r["problem"] == "A:cat" and
                  r["train_accuracy"] is not None}
    if accuracies:
        note("A_train_accuracies", "A: distinct train accuracies over all rows (1: all agree)",
             len(accuracies))
    for layout in ("1x2", "2x1"):
        r = by.get("A_dnn_" + layout)
        if r and r["combine_share"] is not None:
            note("A_combine_share_" + layout,
                 "A %s: combine (threads + MPI collectives) share of the loop, %%" % layout,
                 100 * r["combine_share"])
        if r and r["collectives_share"] is not None:
            note("A_collectives_share_" + layout,
                 "A %s: MPI collectives share of the loop (rank 0), %%" % layout,
                 100 * r["collectives_share"])
    return notes


# dnn-core-probe's cache-line round trip between the two CPUs: ~80-100 ns or ~400 ns on
# the benchmark's virtual machine; threads that share data run slower in the second state
SPLIT_NS = 200


STATES = (("near", lambda ns: ns < SPLIT_NS), ("far", lambda ns: ns >= SPLIT_NS))


def state_median(parsed, case, test):
    runs = [p["loop_s"] for p in parsed if p["case"] == case and p["loop_s"] is not None
            and p["round_trip_ns"] is not None and test(p["round_trip_ns"])]
    return median(runs)


def best_peer_in_state(rows, parsed, programs, dtype, test):
    """The lowest median, over the cat rows of these programs and dtype, of the runs
    made in one host state (None when no such run)."""
    times = [state_median(parsed, r["case"], test) for r in rows
             if r["problem"] == "A:cat" and r["program"] in programs and r["dtype"] == dtype]
    times = [t for t in times if t]
    return min(times) if times else None


def by_host_state(rows, parsed):
    """The cat dnn-train rows' medians over the runs of each host state, with the
    table's peer ratios (peers' medians over all their runs) and the ratios to the
    peers' runs in the same state (the peers' threads share data too)."""
    states = []
    for r in rows:
        if r["problem"] != "A:cat" or not r["program"].startswith("dnn-train") or not r["loop_s"]:
            continue
        runs = [p for p in parsed if p["case"] == r["case"] and p["loop_s"] is not None
                and p["round_trip_ns"] is not None]
        for name, test in STATES:
            mine = [p for p in runs if test(p["round_trip_ns"])]
            if not mine:
                continue
            loop_s = median(p["loop_s"] for p in mine)
            numpy_same = best_peer_in_state(rows, parsed, ("numpy",), "f64", test)
            torch_same = best_peer_in_state(rows, parsed, ("torch", "torch blas"), r["dtype"], test)
            states.append({
                "case": r["case"], "layout": r["layout"], "dtype": r["dtype"], "state": name,
                "runs": len(mine), "loop_s": loop_s, "s_per_iter": loop_s / r["iters"],
                "round_trip_ns": median(p["round_trip_ns"] for p in mine),
                "x_numpy": r["x_numpy"] * r["loop_s"] / loop_s if r["x_numpy"] else None,
                "x_torch": r["x_torch"] * r["loop_s"] / loop_s if r["x_torch"] else None,
                "x_numpy_same_state": numpy_same / loop_s if numpy_same else None,
                "x_torch_same_state": torch_same / loop_s if torch_same else None})
    return states


def state_lines(states):
    if not states:
        return ""
    out = ["cat runs by host state (dnn-core-probe before each run: near = round trip < %d ns,"
           % SPLIT_NS, "far = the two CPUs farther apart). x numpy, x torch: against the peers'"
           " medians as in the table;", "in brackets, against the peers' runs in the same state:"]
    for st in states:
        out.append("  %-14s %-4s %s %-4s %d run(s), round trip %5.0f ns: %.3f ms/iter, x numpy %s"
                   " (%s), x torch %s (%s)" % (
                       st["case"], st["layout"], st["dtype"], st["state"], st["runs"],
                       st["round_trip_ns"], 1e3 * st["s_per_iter"], fmt(st["x_numpy"], ".2f"),
                       fmt(st["x_numpy_same_state"], ".2f"), fmt(st["x_torch"], ".2f"),
                       fmt(st["x_torch_same_state"], ".2f")))
    return "\n".join(out)


def command(*args):
    try:
        return subprocess.run(args, capture_output=True, text=True, check=False).stdout.strip()
    except OSError:
        return ""


def machine_info(runs):
    lscpu = dict(line.split(":", 1) for line in command("lscpu").splitlines() if ":" in line)
    flags = lscpu.get("Flags", "").split()
    isa = [f for f in ("avx512f", "avx2", "fma") if f in flags]
    mem_kb = next((int(line.split()[1]) for line in read_text("/proc/meminfo").splitlines()
                   if line.startswith("MemTotal:")), 0)
    try:
        import numpy
        numpy_version = numpy.__version__
    except ImportError:
        numpy_version = None
    return {
        "cpu": "%s (family %s, model %s)" % (lscpu.get("Model name", "").strip(),
                                             lscpu.get("CPU family", "?").strip(),
                                             lscpu.get("Model", "?").strip()),
        "cores": os.cpu_count(),
        "threads_per_core": lscpu.get("Thread(s) per core", "").strip(),
        "caches": {k: lscpu[k].strip() for k in ("L1d cache", "L2 cache", "L3 cache") if k in lscpu},
        "isa": isa,
        "hypervisor": lscpu.get("Hypervisor vendor", "").strip() or None,
        "mem_gb": round(mem_kb / 1024 / 1024, 1),
        "openblas": command("dpkg-query", "-W", "-f=${Version}", "libopenblas0-pthread") or None,
        "openblas_core": next((r["core"] for r in runs if r.get("core")), None),
        "openmpi": command("dpkg-query", "-W", "-f=${Version}", "openmpi-bin") or None,
        "gcc": command("gcc", "-dumpfullversion") or None,
        "numpy": numpy_version,
        "torch": next((r["torch_version"] for r in runs if r.get("torch_version")), None),
        "torch_package": command("dpkg-query", "-W", "-f=${Version}", "python3-torch") or None,
    }


def dirty_note(meta):
    if meta.get("git_dirty_measured"):
        return " + uncommitted changes to " + meta["git_dirty_measured"]
    if meta.get("git_dirty"):
        return " + uncommitted changes (none to src/, include/, CMakeLists.txt or the peers)"
    return ""


def fmt(value, spec, empty="-"):
    return empty if value is None else format(value, spec)


def probe_lines(rows):
    out = []
    for r in rows:
        if r["program"] != "dnn-dgemm-probe":
            continue
        what = {"dgemm": "dgemm", "sgemm": "sgemm", "read": "memory read (dasum)"}.get(r["probe"], r["case"])
        if r["gbytes_per_s"] is not None:
            value = "%7.1f GB/s" % r["gbytes_per_s"]
        else:
            value = "%7.1f GFLOP/s" % r["gflops"] if r["gflops"] is not None else "   FAILED"
        out.append("probe: %-20s n=%-5d %d thread(s) %s  (OpenBLAS core %s)" % (
            what, r["m"], r["threads"], value, r.get("core")))
    return "\n".join(out)


def text_table(rows, torch_available):
    head = ["problem", "program", "layout", "dtype", "iters", "loop s", "min s", "s/iter", "wall s",
            "GFLOP/s", "% peak", "x numpy", "x torch", "comb %", "MPI %", "RSS MB/rank"]
    lines = []
    for r in rows:
        if r["program"] == "dnn-dgemm-probe":
            continue
        failed = r["runs_ok"] < r["runs"]
        lines.append([
            r["problem"], r["program"], r["layout"], r["dtype"], str(r["iters"]),
            fmt(r["loop_s"], ".3f", "FAILED") + ("*" if failed and r["loop_s"] else "") +
            ("~" if r["loop_s"] and r["loop_s"] > 1.15 * r["loop_s_min"] else ""),
            fmt(r["loop_s_min"], ".3f"),
            fmt(r["s_per_iter"], ".4g"), fmt(r["wall_s"], ".2f"),
            fmt(r["gflops"], ".1f"), fmt(r["pct_peak"], ".0f", ""),
            fmt(r["x_numpy"], ".2f", ""), fmt(r["x_torch"], ".2f", ""),
            fmt(None if r["combine_share"] is None else 100 * r["combine_share"], ".1f", ""),
            fmt(None if r["collectives_share"] is None else 100 * r["collectives_share"], ".1f",
                ""),
            "/".join("%.0f" % v for v in r["rss_mb"]),
        ])
    if not torch_available:
        lines.append(["A,B", "torch: not available"] + [""] * (len(head) - 2))
    widths = [max(len(h), *(len(line[i]) for line in lines)) for i, h in enumerate(head)]
    left = {0, 1, 2, 3}

    def render(cells):
        return "  ".join(c.ljust(w) if i in left else c.rjust(w)
                         for i, (c, w) in enumerate(zip(cells, widths))).rstrip()

    out = [render(head), render(["-" * w for w in widths])]
    previous = None
    for line in lines:
        if previous is not None and line[0] != previous:
            out.append("")
        previous = line[0]
        out.append(render(line))
    return "\n".join(out)


def main():
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    out_dir = sys.argv[1]
    cases = read_tsv(os.path.join(out_dir, "cases.tsv"))
    runs = read_tsv(os.path.join(out_dir, "runs.tsv"))
    meta = {row[0]: row[1] if len(row) > 1 else "" for row in
            (line.split("\t", 1) for line in read_text(os.path.join(out_dir, "meta.tsv")).splitlines())}
    by_case = {c["case"]: c for c in cases}
    parsed = [parse_run(by_case[r["case"]], r, out_dir) for r in runs if r["case"] in by_case]
    rows = [summarize(c, [p for p in parsed if p["case"] == c["case"]]) for c in cases]
    rows = [r for r in rows if r["runs"] > 0]
    peaks = {"f64": next((r["gflops"] for r in rows if r["case"] == "probe_d2"), None),
             "f32": next((r["gflops"] for r in rows if r["case"] == "probe_s2"), None)}
    add_comparisons(rows, peaks)
    notes = derived_numbers(rows)
    states = by_host_state(rows, parsed)
    machine = machine_info(parsed)
    torch_available = meta.get("torch") == "1"

    print()
    print("dnn benchmark: %s, %s cores (%s), %s GB; OpenBLAS %s (core %s); git %s%s" % (
        machine["cpu"], machine["cores"], "/".join(machine["isa"]), machine["mem_gb"],
        machine["openblas"], machine["openblas_core"], meta.get("git_commit", "?"),
        dirty_note(meta)))
    cat_runs = meta.get("repeat_cat", meta.get("repeat"))
    print("median of %s run(s) per case (cat: %s); load average %s at start, %s at end; "
          "%s s in all" % (meta.get("repeat"), cat_runs, meta.get("loadavg_start"),
                           meta.get("loadavg_end"), meta.get("bench_seconds")))
    measured = [r["busy_before"] for r in parsed if r["busy_before"] is not None]
    quiet = to_float(meta.get("quiet_cpus"))
    if measured and quiet is not None:
        print("before each run, waited up to %s s for at most %s busy CPUs (%s s in all): "
              "%d of %d runs started busier" % (
                  meta.get("max_wait_s"), meta["quiet_cpus"], meta.get("waited_s"),
                  sum(b > quiet for b in measured), len(measured)))
    else:
        print("runs started without waiting for idle CPUs: other load may be in the numbers")
    print()
    print(probe_lines(rows))
    print()
    print(text_table(rows, torch_available))
    print()
    print("loop s: training loop wall time, median (min s: fastest run; ~: median > 1.15 x min,"
          "\nthe machine was busy during some runs; *: some runs failed); wall s: whole process."
          "\n% peak: of the probe's 2-thread dgemm (sgemm for f32) rate. x numpy, x torch: best"
          "\npeer loop time (torch: same dtype) / this row's. comb %: dnn-train rank 0's"
          "\ncombine (threads' sums + MPI collectives) share; MPI %: the collectives' share"
          "\n(with waits for the slower rank). RSS: peak resident set of each rank (/usr/bin/time).")
    if notes:
        print()
        for n in notes:
            print("  %-68s %10.4g" % (n["text"], n["value"]))
    if states:
        print()
        print(state_lines(states))

    fields = ["case", "problem", "program", "layout", "ranks", "threads", "dtype", "iters", "m",
              "layers", "runs_ok", "runs", "loop_s", "loop_s_min", "s_per_iter", "wall_s", "gflops", "pct_peak",
              "x_numpy", "x_torch", "combine_share", "collectives_share", "rss_mb", "last_cost", "train_accuracy",
              "gbytes_per_s"]
    with open(os.path.join(out_dir, "results.csv"), "w", newline="") as f:
        w = csv.writer(f)
        w.writerow(fields)
        for r in rows:
            w.writerow([" ".join("%.1f" % v for v in r[k]) if k == "rss_mb" else
                        ("" if r.get(k) is None else r.get(k)) for k in fields])
    with open(os.path.join(out_dir, "results.json"), "w") as f:
        json.dump({"meta": meta, "machine": machine, "peak_gflops": peaks, "rows": rows,
                   "derived": notes, "by_host_state": states, "runs": parsed}, f, indent=1)
        f.write("\n")
    print("\nwrote %s and %s" % (os.path.join(out_dir, "results.csv"),
                                 os.path.join(out_dir, "results.json")))
    return 0


if __name__ == "__main__":
    sys.exit(main())
