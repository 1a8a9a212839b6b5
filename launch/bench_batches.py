#!/usr/bin/python3
"""Turns a launch/bench_batches run directory into its tables.

Reads DIR/cases.tsv, DIR/runs.tsv, DIR/meta.tsv and the logs (DIR/logs/CASE.ROUND.*);
prints the tables (markdown) and writes DIR/report.md, DIR/results.csv (one line per
case, medians over rounds) and DIR/results.json (machine, git, every run).

Loop seconds: dnn-train's "timing:" line (the max over ranks), bench_torch.py's
"Training time:". Steps per epoch: ceil(m / B) (1 for full batch). GFLOP/s of problem B
as launch/bench_report.py: per example 6 * sum_l n_l n_(l-1) - 2 n_1 n_0 FLOPs
(forward, backward without dA0), times the examples of all epochs, over the loop time;
% of the dgemm probe's 2-thread peak (the best round, as launch/bench) and, per round,
of that round's probe. Speed-ups against torch: the best torch setting's median over
dnn-train's median, and the median over rounds of the same ratio within each round.

Fixed cost per step: in one epoch every example is read once, so the time per epoch is
m * per_example + steps * fixed; a least-squares line through (steps per epoch, time
per epoch) over the batch sizes gives fixed (its slope) and per_example (intercept / m).
The per-example cost is taken as independent of B (a small batch's matrix products run
less efficiently: that shows up in the fixed cost). The combine share that --timing
reports (threads' sums + MPI collectives) is the part of the fixed cost measured directly.

usage: bench_batches.py DIR
"""
import csv
import json
import os
import platform
import re
import statistics
import sys

TIMING_DNN = re.compile(r"timing: (\d+) (\w+) in ([0-9.]+) s .*?rank 0 compute ([0-9.]+) s, "
                        r"combine ([0-9.]+) s(?:, of which MPI collectives ([0-9.]+) s)?")
QUIET = 0.3  # busy CPUs
NEAR_NS = 200  # dnn-core-probe's round trip below this: the two vCPUs are near
TIMING_PY = re.compile(r"Training time: ([0-9.]+) s")
STEPS_PY = re.compile(r"steps: (\d+) updates")
PROBE = re.compile(r"^(\w+) .*core=(\S+) best_s=([0-9.]+) gflops=([0-9.]+)", re.M)
COST = re.compile(r"Cost after (epoch|iteration) (\d+): (\S+)")
CHUNK = re.compile(r"^dnn-train: .*?, chunk (\d+)", re.M)
TRAIN_COST = re.compile(r"^Train cost: (\S+)", re.M)


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


def median(values):
    values = [v for v in values if v is not None]
    return statistics.median(values) if values else None


def steps_per_epoch(case):
    b, m = int(case["batch"]), int(case["m"])
    return 1 if b == 0 else -(-m // b)


def flops_per_example(layers):
    dims = [int(n) for n in layers.split(",")]
    return 6.0 * sum(dims[l] * dims[l - 1] for l in range(1, len(dims))) - 2.0 * dims[1] * dims[0]


def parse_run(case, run, out_dir):
    log = os.path.join(out_dir, run["log"])
    out, err = read_text(log + ".out"), read_text(log + ".err")
    r = {"case": case["case"], "round": int(run["round"]), "rc": int(run["rc"]),
         "wall_s": float(run["wall_s"]), "busy_before": float(run["busy_before"]),
         "loop_s": None, "compute_s": None, "combine_s": None, "collectives_s": None,
         "gflops": None, "steps": None,
         "round_trip_ns": to_float(run.get("round_trip_ns")),
         "costs": {int(k): float(c) for _, k, c in COST.findall(out)}}
    if case["program"] == "dnn-dgemm-probe":
        m = PROBE.search(out)
        if m:
            r["loop_s"], r["gflops"] = float(m.group(3)), float(m.group(4))
    elif case["program"] == "dnn-train":
        m = CHUNK.search(out)
        r["chunk"] = int(m.group(1)) if m else None
        m = TIMING_DNN.search(err)
        if m:
            r["steps"] = int(m.group(1))
            r["loop_s"], r["compute_s"] = float(m.group(3)), float(m.group(4))
            r["combine_s"] = float(m.group(5))
            r["collectives_s"] = float(m.group(6)) if m.group(6) else None
    else:
        m = TIMING_PY.search(err)
        if m:
            r["loop_s"] = float(m.group(1))
        m = STEPS_PY.search(err)
        if m:
            r["steps"] = int(m.group(1))
        m = TRAIN_COST.search(out)
        if m:
            r["train_cost"] = float(m.group(1))
    if r["rc"] != 0:
        r["loop_s"] = None
    return r


def summarize(case, runs):
    ok = [r for r in runs if r["loop_s"] is not None]
    epochs = int(case["epochs"])
    row = dict(case)
    row.update({"layout": "%sx%s" % (case["ranks"], case["threads"]), "runs_ok": len(ok),
                "runs": len(runs), "loop_s": median(r["loop_s"] for r in ok),
                "loop_s_min": min((r["loop_s"] for r in ok), default=None),
                "loop_s_quiet": median(r["loop_s"] for r in ok if r["quiet"]),
                "runs_quiet": sum(1 for r in ok if r["quiet"]),
                "loop_s_near": median(r["loop_s"] for r in ok if r["round_trip_ns"] is not None
                                      and r["round_trip_ns"] < NEAR_NS),
                "runs_near": sum(1 for r in ok if r["round_trip_ns"] is not None
                                 and r["round_trip_ns"] < NEAR_NS),
                "loop_s_far": median(r["loop_s"] for r in ok if r["round_trip_ns"] is not None
                                     and r["round_trip_ns"] >= NEAR_NS),
                "runs_far": sum(1 for r in ok if r["round_trip_ns"] is not None
                                and r["round_trip_ns"] >= NEAR_NS),
                "busy_before": median(r["busy_before"] for r in runs)})
    if case["program"] == "dnn-dgemm-probe":
        row["gflops"] = max((r["gflops"] for r in ok), default=None)
        row["gflops_median"] = median(r["gflops"] for r in ok)
        return row
    spe = steps_per_epoch(case) if case["batch"] != "-" else None
    row["steps_per_epoch"] = spe
    if row["loop_s"]:
        row["s_per_epoch"] = row["loop_s"] / epochs
        row["ms_per_step"] = 1e3 * row["loop_s"] / (epochs * spe)
    for key in ("compute_s", "combine_s", "collectives_s"):
        row[key] = median(r[key] for r in ok)
    if row["combine_s"] is not None and row["loop_s"]:
        row["combine_share"] = row["combine_s"] / row["loop_s"]
        row["combine_ms_per_step"] = 1e3 * row["combine_s"] / (epochs * spe)
    if row["collectives_s"] is not None and row["loop_s"]:
        row["collectives_share"] = row["collectives_s"] / row["loop_s"]
    row["costs"] = next((r["costs"] for r in ok if r["costs"]), {})
    row["chunk"] = next((r.get("chunk") for r in ok if r.get("chunk")), None)
    return row


def fmt(v, spec="%.3f", none="-"):
    return none if v is None else spec % v


def table(headers, rows):
    lines = ["| " + " | ".join(headers) + " |", "|" + "|".join("---" for _ in headers) + "|"]
    lines += ["| " + " | ".join(str(c) for c in row) + " |" for row in rows]
    return "\n".join(lines)


def least_squares(xs, ys):
    """y = a + b x: (a, b, largest |residual|)."""
    n = len(xs)
    mx, my = sum(xs) / n, sum(ys) / n
    sxx = sum((x - mx) ** 2 for x in xs)
    b = sum((x - mx) * (y - my) for x, y in zip(xs, ys)) / sxx
    a = my - b * mx
    return a, b, max(abs(y - a - b * x) for x, y in zip(xs, ys))


def per_round(runs_by_case, case_id):
    return {r["round"]: r for r in runs_by_case.get(case_id, []) if r["loop_s"] is not None}


def cpu_model():
    model = family = cpu_model_no = "?"
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                k, _, v = line.partition(":")
                k, v = k.strip(), v.strip()
                if k == "model name" and model == "?":
                    model = v
                elif k == "cpu family" and family == "?":
                    family = v
                elif k == "model" and cpu_model_no == "?":
                    cpu_model_no = v
    except OSError:
        pass
    return "%s (family %s, model %s), %d CPUs" % (model, family, cpu_model_no, os.cpu_count())


def report(out_dir):
    cases = read_tsv(os.path.join(out_dir, "cases.tsv"))
    runs = read_tsv(os.path.join(out_dir, "runs.tsv"))
    meta = {}
    if os.path.exists(os.path.join(out_dir, "meta.tsv")):
        with open(os.path.join(out_dir, "meta.tsv")) as f:
            for line in f:
                k, _, v = line.rstrip("\n").partition("\t")
                meta[k] = v
    by_id = {c["case"]: c for c in cases}
    parsed = [parse_run(by_id[r["case"]], r, out_dir) for r in runs if r["case"] in by_id]
    # a run is quiet when the machine was (0.3 busy CPUs or fewer) just before it and just
    # after it (before the next run)
    for r, nxt in zip(parsed, parsed[1:] + [None]):
        r["busy_after"] = nxt["busy_before"] if nxt else None
        r["quiet"] = r["busy_before"] <= QUIET and (r["busy_after"] is None or
                                                     r["busy_after"] <= QUIET)
    runs_by_case = {}
    for r in parsed:
        runs_by_case.setdefault(r["case"], []).append(r)
    rows = {c["case"]: summarize(c, runs_by_case.get(c["case"], [])) for c in cases}
    md = []
    say = md.append

    dirty = meta.get("git_dirty_measured") or ""
    say("# launch/bench_batches")
    say("")
    say("CPU: %s; git %s%s; %s round(s), rounds alternating; load average %s at start, %s at "
        "end; %s s in all, %s s of it waiting for quiet CPUs; Adam's rate on the cat data %s; "
        "OPENBLAS_* in the environment: %s" % (
            cpu_model(), meta.get("git_commit", "?"),
            " + uncommitted changes to " + dirty if dirty else " (measured files clean)",
            meta.get("rounds", "?"), meta.get("loadavg_start", "?"), meta.get("loadavg_end", "?"),
            meta.get("bench_seconds", "?"), meta.get("waited_s", "0"), meta.get("cat_lr", "?"),
            meta.get("openblas_env") or "none"))
    busy = [r["busy_before"] for r in parsed]
    if busy:
        say("")
        say("Busy CPUs (of %d) just before each run: median %.2f, max %.2f (the machine is "
            "shared: a busy machine makes runs slower and noisier)." % (
                os.cpu_count(), statistics.median(busy), max(busy)))

    # --- probe -------------------------------------------------------------------------
    peak = rows.get("probe_d2", {}).get("gflops")
    say("")
    say("## dgemm probe")
    say("")
    say(table(["probe", "GFLOP/s best", "GFLOP/s median"],
              [[c, fmt(rows[c].get("gflops"), "%.1f"), fmt(rows[c].get("gflops_median"), "%.1f")]
               for c in ("probe_d1", "probe_d2") if c in rows]))

    # --- (1) cat B=64 Adam ----------------------------------------------------------------
    adam = [rows[c["case"]] for c in cases if c["group"] == "adam64"]
    torch_rows = [r for r in adam if r["program"].startswith("torch") and r["loop_s"]]
    best_torch = min(torch_rows, key=lambda r: r["loop_s"]) if torch_rows else None
    goals = []
    if adam:
        say("")
        say("## (1) Cat data, --batch-size 64 --optimizer adam, %s epochs" % adam[0]["epochs"])
        say("")
        ref = rows.get("adam64_dnn_1x2", {}).get("costs", {})
        body = []
        for r in adam:
            x = best_torch["loop_s"] / r["loop_s"] if best_torch and r["loop_s"] else None
            diff = None
            if r["program"].startswith("torch") and ref and r["costs"]:
                common = set(ref) & set(r["costs"])
                if common:
                    diff = max(abs(ref[k] - r["costs"][k]) for k in common)
            program = r["program"] + (" (%s)" % r["variant"] if r["program"] == "dnn-train"
                                      and r["variant"] != "-" else "")
            body.append([program, r["layout"], fmt(r["loop_s"]), fmt(r["loop_s_min"]),
                         "%s (%d)" % (fmt(r["loop_s_quiet"]), r["runs_quiet"]),
                         "%s (%d)" % (fmt(r["loop_s_near"]), r["runs_near"])
                         if r["runs_near"] else "-",
                         "%s (%d)" % (fmt(r["loop_s_far"]), r["runs_far"])
                         if r["runs_far"] else "-",
                         fmt(r.get("ms_per_step"), "%.3f"),
                         fmt(x, "%.2f"),
                         fmt(100 * r["combine_share"] if r.get("combine_share") is not None else None, "%.1f"),
                         fmt(100 * r["collectives_share"] if r.get("collectives_share") is not None else None, "%.1f"),
                         fmt(diff, "%.1e"), "%d/%d" % (r["runs_ok"], r["runs"])])
        say(table(["program", "layout", "loop s", "min s", "quiet s (runs)", "near s (runs)",
                   "far s (runs)", "ms/step",
                   "x best torch",
                   "comb %", "MPI %", "max |cost - dnn 1x2|", "runs ok"], body))
        if best_torch:
            say("")
            say("Best torch: %s %s (%.3f s)." % (best_torch["program"], best_torch["layout"],
                                                 best_torch["loop_s"]))
            torch_ids = [r["case"] for r in torch_rows]
            for lay in ("1x2", "2x1"):
                d = rows.get("adam64_dnn_" + lay)
                if not d or not d["loop_s"]:
                    continue
                # within each round: that round's best torch over that round's dnn-train
                ratios = []
                for rnd, run in per_round(runs_by_case, d["case"]).items():
                    t = [per_round(runs_by_case, c).get(rnd) for c in torch_ids]
                    t = [v["loop_s"] for v in t if v]
                    if t:
                        ratios.append(min(t) / run["loop_s"])
                quiet_torch = min((r["loop_s_quiet"] for r in torch_rows if r["loop_s_quiet"]),
                                  default=None)
                goals.append(("cat B=64 Adam %s: best torch f64 time / dnn-train time "
                              "(goal >= 3)" % lay, best_torch["loop_s"] / d["loop_s"],
                              median(ratios), quiet_torch / d["loop_s_quiet"]
                              if quiet_torch and d["loop_s_quiet"] else None))
                for state in ("near", "far"):
                    if d["loop_s_" + state]:
                        goals.append(("  the same, dnn-train's runs with the cores %s (%d) "
                                      "against torch's median" % (state, d["runs_" + state]),
                                      best_torch["loop_s"] / d["loop_s_" + state], None, None))

    # --- (2) problem B, batch 1024 ---------------------------------------------------------
    big = [rows[c["case"]] for c in cases if c["group"] == "big"]
    if big:
        say("")
        say("## (2) Problem B, --batch-size 1024")
        say("")
        body = []
        probe_rounds = per_round(runs_by_case, "probe_d2")
        for r in big:
            examples = int(r["epochs"]) * int(r["m"])
            gf = flops_per_example(r["layers"]) * examples / r["loop_s"] * 1e-9 if r["loop_s"] else None
            pct = 100 * gf / peak if gf and peak else None
            rr = []
            for rnd, run in per_round(runs_by_case, r["case"]).items():
                p = probe_rounds.get(rnd)
                if p and p["gflops"]:
                    rr.append(100 * flops_per_example(r["layers"]) * examples / run["loop_s"]
                              * 1e-9 / p["gflops"])
            r["gflops"], r["pct_peak"], r["pct_peak_rounds"] = gf, pct, median(rr)
            pq = (100 * flops_per_example(r["layers"]) * examples / r["loop_s_quiet"] * 1e-9 / peak
                  if r["loop_s_quiet"] and peak else None)
            body.append([r["layout"], r["epochs"], fmt(r["loop_s"]), fmt(r.get("s_per_epoch")),
                         fmt(r.get("ms_per_step"), "%.2f"), fmt(gf, "%.1f"), fmt(pct, "%.1f"),
                         fmt(median(rr), "%.1f"), "%s (%d)" % (fmt(pq, "%.1f"), r["runs_quiet"]),
                         fmt(100 * r["combine_share"] if r.get("combine_share") is not None else None, "%.1f"),
                         "%d/%d" % (r["runs_ok"], r["runs"])])
            goals.append(("B batch 1024 %s: %% of the 2-thread dgemm peak (goal >= 70)"
                          % r["layout"], pct, median(rr), pq))
        say(table(["layout", "epochs", "loop s", "s/epoch", "ms/step", "GFLOP/s",
                   "% peak (best probe)", "% of same round's probe", "% peak, quiet runs",
                   "comb %", "runs ok"], body))
        say("")
        say("FLOPs per example %.4g (forward + backward without dA0); peak: the probe's "
            "2-thread dgemm, best round %s GFLOP/s." % (flops_per_example(big[0]["layers"]),
                                                         fmt(peak, "%.1f")))

    # --- (3) time per epoch against batch size ---------------------------------------------
    sweep = [rows[c["case"]] for c in cases if c["group"] == "sweep"]
    fits = {}
    if sweep:
        say("")
        say("## (3) Cat data, Adam: time per epoch against batch size")
        say("")
        default = [r for r in sweep + adam if r["program"] == "dnn-train" and r["variant"] == "-"]
        # full batch: the default chunk is already one per worker
        half = [r for r in sweep if r["variant"] == "chunk B/2"] + \
            [r for r in default if r["batch"] == "0"]
        m = int(sweep[0]["m"])
        body = []
        for name, points in (("default chunk", default), ("--chunk B/2", half)):
            sizes = sorted({int(r["batch"]) for r in points}, key=lambda b: b if b else 1 << 30)
            for b in sizes:
                at = {r["layout"]: r for r in points if int(r["batch"]) == b and r["loop_s"]}
                any_row = next(iter(at.values()), None)
                if not any_row:
                    continue
                chunk = any_row.get("chunk")
                n = min(b, m) if b else m
                line = [str(b) if b else "full (%d)" % m, name,
                        "%s (%s)" % (chunk, -(-n // chunk)) if chunk else "-",
                        str(any_row["steps_per_epoch"])]
                for lay in ("1x2", "2x1"):
                    r = at.get(lay)
                    line += ([fmt(1e3 * r["s_per_epoch"], "%.2f"), fmt(r["ms_per_step"], "%.3f"),
                              fmt(r.get("combine_ms_per_step"), "%.3f")] if r else ["-"] * 3)
                body.append(line)
        say(table(["batch", "chunking", "chunk (per batch)", "steps/epoch", "1x2 ms/epoch",
                   "1x2 ms/step", "1x2 combine ms/step", "2x1 ms/epoch", "2x1 ms/step",
                   "2x1 combine ms/step"], body))
        say("")
        say("combine: --timing's combine and update (threads' sums, MPI collectives, the "
            "optimizer's update), per step. Fits of time per epoch = %d x per_example + "
            "steps x fixed over the batch sizes (least squares):" % m)
        say("")
        for name, points in (("default chunk", default), ("--chunk B/2", half)):
            for lay in ("1x2", "2x1"):
                pts = [(r["steps_per_epoch"], 1e3 * r["s_per_epoch"]) for r in points
                       if r["layout"] == lay and r["loop_s"]]
                if len(pts) < 3:
                    continue
                a, slope, worst = least_squares([p[0] for p in pts], [p[1] for p in pts])
                comb = median(r.get("combine_ms_per_step") for r in points
                              if r["layout"] == lay and r["batch"] != "0")
                fits["%s %s" % (name, lay)] = (slope, 1e3 * a / m, worst, comb)
                say("- %s, %s: fixed %.3f ms per step, per example %.2f us; largest residual "
                    "%.2f ms per epoch; combine and update alone %s ms per step (median over "
                    "the mini-batch sizes)." % (name, lay, slope, 1e3 * a / m, worst,
                                                fmt(comb, "%.3f")))

    # --- (4) passes over the data -------------------------------------------------------------
    gd = rows.get("passes_gd")
    others = [rows[c["case"]] for c in cases if c["group"] == "passes" and c["case"] != "passes_gd"]
    if gd and gd["costs"] and others:
        say("")
        say("## (4) Passes over the data to reach the full-batch run's final cost (1x2)")
        say("")
        last_it = max(gd["costs"])
        target = gd["costs"][last_it]
        body = [["full batch (%s), gd, lr 0.0075" % gd["m"], last_it + 1,
                 "%.6f (iteration %d)" % (target, last_it), fmt(gd["loop_s"]),
                 "`%s`" % short_cmd(out_dir, "passes_gd")]]
        best = None
        for r in others:
            if not r["costs"]:
                body.append(["B=%s, %s" % (r["batch"], r["variant"]), "failed", "-", "-",
                             "`%s`" % short_cmd(out_dir, r["case"])])
                continue
            hit = next((e for e in sorted(r["costs"]) if r["costs"][e] <= target), None)
            last = max(r["costs"])
            if hit is not None:
                passes = hit + 1
                t = r["loop_s"] * passes / int(r["epochs"]) if r["loop_s"] else None
                cost = "%.6f (epoch %d)" % (r["costs"][hit], hit)
                if best is None or passes < best[1]:
                    best = (r["variant"], passes)
            else:
                passes, t = "not within %d" % (last + 1), None
                cost = "%.6f (epoch %d, the last)" % (r["costs"][last], last)
            body.append(["B=%s, %s" % (r["batch"], r["variant"]), passes, cost, fmt(t),
                         "`%s`" % short_cmd(out_dir, r["case"])])
        say(table(["run", "passes (epochs)", "cost", "loop s to get there", "command"], body))
        say("")
        say("Passes: the passes over all the examples up to the printed cost (full batch: "
            "iteration i's cost is the forward's of pass i+1; mini-batch: epoch e's cost is "
            "the mean of its batches' costs, each taken before its batch's update, weighted "
            "by batch size, after e+1 passes). Loop seconds to get there: the run's loop "
            "time times the share of its epochs needed (one run, not a median).")
        adam_hits = [b for b in body[1:] if ", adam" in b[0] and isinstance(b[1], int)]
        goals.append(("passes to reach the full-batch final cost: best mini-batch Adam / "
                      "full-batch GD (goal < 1)",
                      min(b[1] for b in adam_hits) / (last_it + 1) if adam_hits else None, None,
                      None))
        if best:
            goals.append(("passes to reach it: best B=64 run (%s) / full-batch GD" % best[0],
                          best[1] / (last_it + 1), None, None))

    if goals:
        say("")
        say("## Goals")
        say("")
        say(table(["", "ratio of medians", "median of per-round ratios", "quiet runs' medians"],
                  [[g[0], fmt(g[1], "%.3f"), fmt(g[2], "%.3f"), fmt(g[3], "%.3f")]
                   for g in goals]))
        say("")
        say("Quiet runs: at most %.1f CPUs busy just before the run and just after it (before "
            "the next run); their medians are the machine's own speed, the others include "
            "colleagues' jobs. Near, far: dnn-core-probe's cache-line round trip between the "
            "two CPUs just before the run, below or above %d ns (the host moves its vCPUs; "
            "see BENCHMARKS.md)." % (QUIET, NEAR_NS))

    say("")
    say("Commands (round 1; the same every round):")
    say("")
    say("```")
    for c in cases:
        cmd = read_text(os.path.join(out_dir, "logs", c["case"] + ".1.cmd")).strip()
        say("%s: %s" % (c["case"], cmd.replace(os.path.dirname(os.path.dirname(
            os.path.abspath(__file__))) + "/", "")))
    say("```")
    text = "\n".join(md) + "\n"
    sys.stdout.write(text)
    with open(os.path.join(out_dir, "report.md"), "w") as f:
        f.write(text)

    keys = ["case", "group", "program", "layout", "batch", "epochs", "m", "layers", "runs_ok",
            "runs", "loop_s", "loop_s_min", "loop_s_quiet", "runs_quiet", "loop_s_near",
            "runs_near", "loop_s_far", "runs_far", "steps_per_epoch", "s_per_epoch", "ms_per_step",
            "compute_s", "combine_s", "collectives_s", "combine_ms_per_step", "gflops",
            "pct_peak", "pct_peak_rounds", "busy_before"]
    with open(os.path.join(out_dir, "results.csv"), "w", newline="") as f:
        w = csv.writer(f)
        w.writerow(keys)
        for c in cases:
            w.writerow([rows[c["case"]].get(k, "") for k in keys])
    with open(os.path.join(out_dir, "results.json"), "w") as f:
        json.dump({"machine": {"cpu": cpu_model(), "platform": platform.platform()},
                   "meta": meta, "rows": [{k: v for k, v in rows[c["case"]].items()
                                           if k != "costs"} for c in cases],
                   "fits": fits, "goals": goals, "runs": parsed}, f, indent=1)


def short_cmd(out_dir, case_id):
    cmd = read_text(os.path.join(out_dir, "logs", case_id + ".1.cmd")).strip()
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__))) + "/"
    return cmd.replace(root, "")


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit("usage: bench_batches.py DIR")
    report(sys.argv[1])
