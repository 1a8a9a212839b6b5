#!/usr/bin/python3
"""The communication model of dnn-train's step, fitted to measured collectives, and its
prediction of the time per step and the parallel efficiency at 2 to 1024 ranks.

    launch/comm_model.py measure --transport shm|tcp-lo [--ranks 2,3,4] --out DIR
    launch/comm_model.py compute --out DIR
    launch/comm_model.py fit DIR [--fit-ranks 2]
    launch/comm_model.py predict --latency SECONDS --bandwidth BYTES_PER_S [--fit DIR]
                                 [--compute-cat S --compute-b S] [--check SCALING_DIR]

measure runs dnn-comm-probe (reduce-scatter, allgather, allreduce of doubles over sizes)
under mpiexec on this machine: shm is Open MPI's shared memory (vader), tcp-lo TCP over
the loopback interface; DIR/TRANSPORT.csv. launch/comm_netns measures TCP between two
network namespaces with a tc tbf rate cap into the same folder (netns-10g, netns-1g).

compute measures the seconds of forward and backward per example of both problems on
one core (dnn-train --metrics, 1 rank x 1 thread): DIR/compute.json.

fit fits, per transport, a latency alpha and a bandwidth beta to the points of the
ranks in --fit-ranks (default 2), for both costs of each collective on n bytes over P
ranks: ring (P-1) alpha + (P-1)/P n/beta, and recursive doubling (allgather) or halving
(reduce-scatter) ceil(log2 P) alpha + (P-1)/P n/beta; an allreduce is a reduce-scatter
then an allgather. It prints the fit and checks it on the points it was not fitted on
(the other ranks), the relative error of each form.

predict prints, for the cat model (12288,20,7,5,1; 209 examples) and problem B
(--synthetic 16384,1024 --layers 1024,1024,512,1), the predicted time per step and
efficiency from 2 to 1024 ranks on the network named, with the assumptions. --check DIR
compares the model's combine time with launch/scaling's measured one (DIR/scaling.json)
using the shm fit of --fit DIR2 when given."""
import argparse
import csv
import glob
import json
import math
import os
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

# The two problems: layer widths, training examples.
PROBLEMS = {
    "cat": ([12288, 20, 7, 5, 1], 209),
    "B": ([1024, 1024, 512, 1], 16384),
}
# How `compute` runs each problem on one core: dnn-train's arguments (B with fewer
# examples: a step's compute is linear in them) and the iterations.
# Seconds of a step's work per example on one core of BENCHMARKS.md's quiet Zen 5 host:
# the cat run at 1 x 1, 3.06 ms an iteration for 209 examples; problem B at 1 x 2,
# 0.877 s an iteration for 16384 examples, on 2 cores. `compute` measures them anew.
DEFAULT_COMPUTE = {"cat": 3.062e-3 / 209, "B": 0.8768 * 2 / 16384}
COMPUTE_RUNS = {
    "cat": (["--train", os.path.join(ROOT, "data", "train_catvnoncat.h5"), "--layers",
             "12288,20,7,5,1"], 30),
    "B": (["--synthetic", "1024,1024", "--layers", "1024,1024,512,1"], 6),
}


def fail(message):
    print(f"comm_model: {message}", file=sys.stderr)
    sys.exit(2)


def params_of(widths):
    return sum(widths[k] * widths[k - 1] + widths[k] for k in range(1, len(widths)))


# ---- the cost forms ----
def log2_ceil(p):
    return math.ceil(math.log2(p)) if p > 1 else 0


def cost(form, collective, p, n_bytes, alpha, beta):
    """Seconds of one collective on a vector of n_bytes over p ranks."""
    if p <= 1:
        return 0.0
    if collective == "allreduce":
        return (cost(form, "reduce_scatter", p, n_bytes, alpha, beta) +
                cost(form, "allgather", p, n_bytes, alpha, beta))
    steps = p - 1 if form == "ring" else log2_ceil(p)
    return steps * alpha + (p - 1) / p * n_bytes / beta


def coefficients(form, collective, p, n_bytes):
    """(a, b) with cost = a alpha + b / beta: the model is linear in alpha and 1/beta."""
    if collective == "allreduce":
        a1, b1 = coefficients(form, "reduce_scatter", p, n_bytes)
        a2, b2 = coefficients(form, "allgather", p, n_bytes)
        return a1 + a2, b1 + b2
    steps = p - 1 if form == "ring" else log2_ceil(p)
    return steps, (p - 1) / p * n_bytes


# ---- measure ----
def measure(args):
    probe = os.environ.get("DNN_COMM_PROBE") or os.path.join(ROOT, "build", "dnn-comm-probe")
    if not os.access(probe, os.X_OK):
        fail(f"no {probe}: build first, or set DNN_COMM_PROBE")
    env = dict(os.environ, OMPI_ALLOW_RUN_AS_ROOT="1", OMPI_ALLOW_RUN_AS_ROOT_CONFIRM="1",
               OMPI_MCA_btl_vader_single_copy_mechanism="none")
    if args.transport == "shm":
        env["OMPI_MCA_btl"] = "self,vader"
    else:
        env.update(OMPI_MCA_btl="self,tcp", OMPI_MCA_btl_tcp_if_include="lo")
    os.makedirs(args.out, exist_ok=True)
    path = os.path.join(args.out, f"{args.transport}.csv")
    rows = []
    for p in args.ranks:
        cmd = ["mpiexec", "--oversubscribe", "-np", str(p), probe, "--bytes", args.bytes,
               "--rounds", "3"]
        print(f"comm_model: {args.transport}, {p} ranks: {' '.join(cmd)}", flush=True)
        run = subprocess.run(cmd, env=env, capture_output=True, text=True)
        if run.returncode != 0:
            fail(f"{' '.join(cmd)} failed: {run.stderr.strip()[-500:]}")
        rows += list(csv.DictReader(run.stdout.splitlines()))
    with open(path, "w", newline="") as f:
        w = csv.DictWriter(f, fieldnames=["transport", "collective", "ranks", "bytes", "seconds"])
        w.writeheader()
        for r in rows:
            w.writerow(dict(r, transport=args.transport))
    print(f"comm_model: {len(rows)} points in {path}")


# ---- compute: seconds per example on one core ----
def compute(args):
    program = os.environ.get("DNN_TRAIN") or os.path.join(ROOT, "build", "dnn-train")
    env = dict(os.environ, OMP_NUM_THREADS="1", DNN_PROGRESS="0")
    env.pop("OPENBLAS_CORETYPE", None)
    os.makedirs(args.out, exist_ok=True)
    result = {}
    for name, (flags, iters) in COMPUTE_RUNS.items():
        metrics = os.path.join(args.out, f"compute-{name}.jsonl")
        if os.path.exists(metrics):
            os.remove(metrics)
        cmd = [program, *flags, "--iters", str(iters), "--print-every", str(iters - 1),
               "--metrics", metrics]
        run = subprocess.run(cmd, env=env, capture_output=True, text=True)
        if run.returncode != 0:
            fail(f"{' '.join(cmd)} failed: {run.stderr.strip()[-300:]}")
        last = [json.loads(l) for l in open(metrics) if l.strip()][-1]
        m = 209 if name == "cat" else 1024
        result[name] = last["compute_s"]["avg"] / last["steps"] / m
        print(f"comm_model: {name}: {result[name] * 1e6:.2f} us of compute per example "
              f"(1 rank x 1 thread, {last['steps']} steps)")
    with open(os.path.join(args.out, "compute.json"), "w") as f:
        json.dump({"seconds_per_example": result, "load_average": os.getloadavg()}, f, indent=1)


# ---- fit ----
def read_points(folder):
    points = []
    for path in sorted(glob.glob(os.path.join(folder, "*.csv"))):
        for r in csv.DictReader(open(path)):
            if "collective" in r:
                points.append({"transport": r["transport"], "collective": r["collective"],
                               "ranks": int(r["ranks"]), "bytes": int(r["bytes"]),
                               "seconds": float(r["seconds"])})
    if not points:
        fail(f"no measurements in {folder} (run measure first)")
    return points


def least_squares(rows):
    """alpha, 1/beta >= 0 minimising the squared relative error of a alpha + b x = t
    (2 unknowns: the normal equations, solved by hand; a negative one is set to 0)."""
    saa = sab = sbb = sat = sbt = 0.0
    for a, b, t in rows:
        a, b = a / t, b / t  # relative: every size counts alike
        saa += a * a
        sab += a * b
        sbb += b * b
        sat += a
        sbt += b
    det = saa * sbb - sab * sab
    alpha = (sat * sbb - sbt * sab) / det if det else 0.0
    inv_beta = (saa * sbt - sab * sat) / det if det else 0.0
    if alpha < 0:
        alpha, inv_beta = 0.0, sbt / sbb
    if inv_beta <= 0:
        alpha, inv_beta = sat / saa, 1e-15
    return alpha, inv_beta


def fit_transport(points):
    """{(collective, form): (alpha, beta)} from the points given; allreduce from its own
    points too (as reduce-scatter + allgather with one alpha and beta)."""
    fits = {}
    for collective in ("reduce_scatter", "allgather", "allreduce"):
        for form in ("ring", "rd"):
            rows = [(*coefficients(form, collective, q["ranks"], q["bytes"]), q["seconds"])
                    for q in points if q["collective"] == collective]
            if rows:
                alpha, inv_beta = least_squares(rows)
                fits[collective, form] = (alpha, 1.0 / inv_beta)
    return fits


def relative_errors(points, fits):
    errors = {}
    for q in points:
        for form in ("ring", "rd"):
            key = (q["collective"], form)
            if key in fits:
                predicted = cost(form, q["collective"], q["ranks"], q["bytes"], *fits[key])
                errors.setdefault(key, []).append(q["seconds"] / predicted)
    return errors


def median(values):
    v = sorted(values)
    return v[len(v) // 2] if v else float("nan")


def fit(args):
    points = read_points(args.folder)
    result = {}
    for transport in sorted({q["transport"] for q in points}):
        mine = [q for q in points if q["transport"] == transport]
        fitted = [q for q in mine if q["ranks"] in args.fit_ranks]
        held_out = [q for q in mine if q["ranks"] not in args.fit_ranks]
        what = f"fitted on {args.fit_ranks} ranks, checked on the other ranks " \
               f"{sorted({q['ranks'] for q in held_out})}"
        if not held_out:  # one rank count: every other size is held out instead
            sizes = sorted({q["bytes"] for q in mine})
            fitted = [q for q in mine if sizes.index(q["bytes"]) % 2 == 0]
            held_out = [q for q in mine if sizes.index(q["bytes"]) % 2 == 1]
            what = (f"only {sorted({q['ranks'] for q in mine})} ranks measured: fitted on sizes "
                    f"{sizes[0::2]}, checked on {sizes[1::2]}")
        fits = fit_transport(fitted)
        errors = relative_errors(held_out, fits)
        print(f"\n{transport}: {what}")
        print(f"  {'collective':15} {'form':5} {'alpha (us)':>11} {'beta (GB/s)':>12}   "
              f"measured / predicted on the held-out points: median [min, max] (count)")
        for (collective, form), (alpha, beta) in sorted(fits.items()):
            e = errors.get((collective, form), [])
            spread = f"{median(e):8.2f} [{min(e):.2f}, {max(e):.2f}] ({len(e)})" if e else "-"
            print(f"  {collective:15} {form:5} {alpha * 1e6:11.2f} {beta / 1e9:12.3f}   {spread}")
            worst = max((abs(r - 1) for r in e), default=None)
            result.setdefault(transport, {})[f"{collective}/{form}"] = {
                "alpha_s": alpha, "beta_bytes_per_s": beta, "held_out_points": len(e),
                "median_measured_over_predicted": median(e) if e else None,
                "max_relative_error": worst}
    with open(os.path.join(args.folder, "fit.json"), "w") as f:
        json.dump({"fit_ranks": args.fit_ranks, "transports": result}, f, indent=1)
    print(f"\ncomm_model: {os.path.join(args.folder, 'fit.json')}")


# ---- predict ----
def combine_seconds(p, n_params, alpha, beta):
    """The combine of one step over p ranks (docs/DESIGN.md, "A training step"): the
    gradients travel (8 bytes an element, each rank one chunk): an exchange of blocks
    (a reduce-scatter's traffic), an allgather of the doubles, and two small maxima (the
    failure flags and chunk counts, then the scales) of latency only. The cheaper of the
    ring and the recursive forms, as an MPI picks."""
    if p <= 1:
        return 0.0
    n_bytes = 8.0 * n_params
    best = min(cost(f, "reduce_scatter", p, n_bytes, alpha, beta) +
               cost(f, "allgather", p, n_bytes, alpha, beta) for f in ("ring", "rd"))
    return best + 2 * log2_ceil(p) * alpha


def predict_table(name, widths, m, per_example, alpha, beta, threads):
    n = params_of(widths)
    t1 = per_example * m / threads
    print(f"\n{name}: layers {','.join(map(str, widths))}, {n} parameters "
          f"({8 * n / 1e6:.2f} MB of gradients), {m} examples; one rank: {t1 * 1e3:.3f} ms a step")
    print(f"  {'ranks':>6} {'examples/rank':>13} {'compute ms':>11} {'combine ms':>11} "
          f"{'step ms':>9} {'speedup':>8} {'efficiency':>10}")
    p = 2
    while p <= 1024:
        if p > m:
            print(f"  {p:6d} {'-':>13}   more ranks than examples: dnn-train refuses")
        else:
            share = math.ceil(m / p)
            compute = per_example * share / threads
            comb = combine_seconds(p, n, alpha, beta)
            step = compute + comb
            print(f"  {p:6d} {share:13d} {compute * 1e3:11.3f} {comb * 1e3:11.3f} "
                  f"{step * 1e3:9.3f} {t1 / step:8.1f} {t1 / step / p:10.0%}")
        p *= 2


def check_scaling(report, fit_path):
    """The model's combine per step against launch/scaling's measured (avg over ranks)."""
    fits = json.load(open(fit_path))["transports"]
    if "shm" not in fits:
        fail(f"{fit_path} has no shm fit")
    info = json.load(open(report))
    prob = info["problem"]
    widths = [prob["features"], *prob["layers"], 1]
    n = params_of(widths)
    ar = fits["shm"].get("allreduce/rd")
    if not ar:
        fail(f"{fit_path} has no shm allreduce fit")
    alpha, beta = ar["alpha_s"], ar["beta_bytes_per_s"]
    print(f"\ncheck against launch/scaling ({report}): shared memory, the 2-rank allreduce "
          f"fit (alpha {alpha * 1e6:.2f} us, beta {beta / 1e9:.3f} GB/s), {n} parameters")
    print(f"  {'run':12} {'measured combine ms':>20} {'model ms':>9} {'oversubscribed':>15}")
    for r in info["runs"]:
        if r["ranks"] < 2:
            continue
        model = combine_seconds(r["ranks"], n, alpha, beta)
        print(f"  {r['mode'] + ' ' + str(r['ranks']) + 'x' + str(r['threads']):12} "
              f"{(r['combine_avg_s'] + r['wait_avg_s']) * 1e3:20.3f} {model * 1e3:9.3f} "
              f"{str(r['oversubscribed']):>15}")


def predict(args):
    print("assumptions:")
    print(f"  network: latency {args.latency * 1e6:g} us, bandwidth {args.bandwidth / 1e9:g} GB/s "
          "per link, one rank per host, full-duplex links, no contention (a full-bisection "
          "network)")
    print("  combine: the gradients travel (8 bytes an element): a reduce-scatter's and an "
          "allgather's traffic, each the cheaper of ring and recursive doubling/halving, "
          "plus two latency-only maxima; the local exact sum and the update not counted")
    print("  compute: each rank an equal share of the examples (--chunk at most m/P, so that "
          "every rank has work: the default chunk gives at most 4-16 chunks), at the "
          "per-example time measured on one core here (threads divide it ideally); no "
          "overlap of compute and communication")
    measured = {}
    if args.fit and os.path.exists(os.path.join(args.fit, "compute.json")):
        measured = json.load(open(os.path.join(args.fit, "compute.json")))["seconds_per_example"]
    for name, (widths, m) in PROBLEMS.items():
        given = args.compute_cat if name == "cat" else args.compute_b
        per_example = given or measured.get(name) or DEFAULT_COMPUTE[name]
        source = ("given" if given else "measured by `compute`" if name in measured
                  else "BENCHMARKS.md's quiet 1-core rate")
        print(f"  compute of {name}: {per_example * 1e6:.1f} us per example on one core ({source})")
        predict_table(name, widths, m, per_example, args.latency, args.bandwidth, args.threads)
    if args.check:
        check_scaling(os.path.join(args.check, "scaling.json"),
                      os.path.join(args.fit, "fit.json"))


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                formatter_class=argparse.RawDescriptionHelpFormatter,
                                epilog=__doc__.split("\n\n", 1)[1])
    sub = p.add_subparsers(dest="command", required=True)
    m = sub.add_parser("measure")
    m.add_argument("--transport", choices=["shm", "tcp-lo"], required=True)
    m.add_argument("--ranks", type=lambda s: [int(v) for v in s.split(",")], default=[2, 3, 4])
    m.add_argument("--bytes", default="64,512,4096,32768,262144,2097152,8388608")
    m.add_argument("--out", required=True)
    c = sub.add_parser("compute")
    c.add_argument("--out", required=True)
    f = sub.add_parser("fit")
    f.add_argument("folder")
    f.add_argument("--fit-ranks", type=lambda s: [int(v) for v in s.split(",")], default=[2])
    r = sub.add_parser("predict")
    r.add_argument("--latency", type=float, required=True, help="seconds, e.g. 2e-6")
    r.add_argument("--bandwidth", type=float, required=True, help="bytes/s, e.g. 12.5e9")
    r.add_argument("--threads", type=int, default=1, help="threads per rank")
    r.add_argument("--compute-cat", type=float, default=None,
                   help="seconds of forward+backward per example, cat model, one core "
                        "(default: --fit DIR's compute.json, else this machine's)")
    r.add_argument("--compute-b", type=float, default=None,
                   help="the same for problem B")
    r.add_argument("--check", default=None, help="a launch/scaling --out folder")
    r.add_argument("--fit", default=None, help="the measure/fit folder (compute.json, and "
                   "fit.json for --check)")
    args = p.parse_args()
    if args.command == "predict" and (args.latency < 0 or args.bandwidth <= 0):
        p.error("--latency must be >= 0 and --bandwidth > 0")
    if args.command == "predict" and args.check and not args.fit:
        p.error("--check needs --fit DIR (the folder of the fit)")
    {"measure": measure, "compute": compute, "fit": fit, "predict": predict}[args.command](args)


if __name__ == "__main__":
    main()
