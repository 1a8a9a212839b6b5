#!/usr/bin/env python3
"""Tabular data on very different scales, and an independent check of dnn-train
--standardize's statistics (tests/cli/standardize_predict.sh).

    standardize_reference.py make SEED M OUT.csv     (standard library only)
    standardize_reference.py check DATA.h5 MODEL.h5  (numpy and h5py)

make: M rows "size,ratio,rooms,constant,label": size uniform on [500, 5000], ratio
normal (0.01, 0.003), rooms an integer 1..8, constant 42; the label is 1 when
(size - 2750)/1300 - (ratio - 0.01)/0.003 plus noise is > 0. Written with %.17g, so
the doubles read back exactly.

check: the model's input_mean and input_deviation against
  mean = fsum(x) / m,  deviation = sqrt(fsum((x - mean)^2) / m)  (1 for 0),
math.fsum being the correctly rounded sum, (x - mean)^2 one rounded double per value:
the definition of train/standardize.h, computed without its exact sums. dnn-train rounds
the same exact sums once, so the bits should be equal; the bound allowed is 1 ulp (the
exact sum drops bits below 2^-76 of a feature's largest value, which could move a sum
that sits that close to a rounding tie by one ulp). Also against numpy's np.mean and
np.std (pairwise summation, error at most about (log2(m) + 1) eps sum|x| for the sum;
allowed: (log2(m) + 4) eps relative to the mean of |x| for means, and to the deviation
for deviations), constant features excepted (numpy gives 0, dnn 1 by definition).
Prints the worst differences in ulps; exits 1 when a bound is broken."""
import math
import random
import sys


def make(seed, m, out):
    rng = random.Random(seed)
    with open(out, "w") as f:
        f.write("size,ratio,rooms,constant,label\n")
        for _ in range(m):
            size = rng.uniform(500.0, 5000.0)
            ratio = rng.gauss(0.01, 0.003)
            rooms = float(rng.randint(1, 8))
            z = (size - 2750.0) / 1300.0 - (ratio - 0.01) / 0.003 + 0.3 * rng.gauss(0.0, 1.0)
            f.write("%.17g,%.17g,%.17g,%.17g,%d\n" % (size, ratio, rooms, 42.0, z > 0))


def ulps(a, b):
    return abs(a - b) / math.ulp(b) if b != 0 else (0.0 if a == 0 else math.inf)


def check(data_path, model_path):
    import h5py
    import numpy as np

    with h5py.File(data_path, "r") as f:
        x = np.asarray(f["train_set_x"], dtype=np.float64)
    with h5py.File(model_path, "r") as f:
        transform = f.attrs["input_transform"]
        transform = transform.decode() if isinstance(transform, bytes) else str(transform)
        mean = np.asarray(f["input_mean"], dtype=np.float64)
        dev = np.asarray(f["input_deviation"], dtype=np.float64)
    ok = transform == "standardize"
    if not ok:
        print("input_transform is %r, not 'standardize'" % transform)
    m, n = x.shape
    eps = np.finfo(np.float64).eps
    bound = (math.log2(m) + 4) * eps
    worst = {"mean (fsum)": 0.0, "deviation (fsum)": 0.0}
    for i in range(n):
        col = [float(v) for v in x[:, i]]
        mean_ref = math.fsum(col) / m
        var_ref = math.fsum((v - mean_ref) * (v - mean_ref) for v in col) / m
        dev_ref = math.sqrt(var_ref) if var_ref > 0 else 1.0
        du, dd = ulps(mean[i], mean_ref), ulps(dev[i], dev_ref)
        worst["mean (fsum)"] = max(worst["mean (fsum)"], du)
        worst["deviation (fsum)"] = max(worst["deviation (fsum)"], dd)
        if du > 1 or dd > 1:
            ok = False
            print("feature %d: mean %.17g (fsum %.17g, %g ulps), deviation %.17g (fsum %.17g, "
                  "%g ulps): over 1 ulp" % (i, mean[i], mean_ref, du, dev[i], dev_ref, dd))
        np_mean, np_std = float(np.mean(x[:, i])), float(np.std(x[:, i]))
        if np_std == 0:
            if dev[i] != 1.0:
                ok = False
                print("feature %d is constant, deviation %.17g instead of 1" % (i, dev[i]))
            continue
        scale = float(np.mean(np.abs(x[:, i])))
        if abs(mean[i] - np_mean) > bound * scale or abs(dev[i] - np_std) > bound * np_std:
            ok = False
            print("feature %d: numpy mean %.17g std %.17g, dnn %.17g %.17g: over the bound %g"
                  % (i, np_mean, np_std, mean[i], dev[i], bound))
    print("worst: %s; numpy bound (log2(m)+4) eps = %.3g relative" % (
        ", ".join("%s %g ulps" % kv for kv in worst.items()), bound))
    return ok


def main():
    if len(sys.argv) == 5 and sys.argv[1] == "make":
        make(int(sys.argv[2]), int(sys.argv[3]), sys.argv[4])
        return 0
    if len(sys.argv) == 4 and sys.argv[1] == "check":
        return 0 if check(sys.argv[2], sys.argv[3]) else 1
    print(__doc__, file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main())
