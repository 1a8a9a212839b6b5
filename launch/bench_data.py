#!/usr/bin/python3
"""Writes the large HDF5 training set of launch/bench's memory problem.

Course layout: train_set_x (M, N) float64, train_set_y (M,) float64 labels in {0, 1}.
Features are standard normals; a label is 1 when the example's dot product with a
fixed random direction is positive, so the task is learnable. The file is written in
slabs of rows (the generator never holds the whole matrix) to PATH.tmp and renamed,
so an interrupted run leaves no half-written PATH behind.

usage: bench_data.py PATH M N [--seed S]
"""
import argparse
import os

import h5py
import numpy as np

SLAB_ROWS = 4096


def main():
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("path")
    ap.add_argument("m", type=int, help="examples")
    ap.add_argument("n", type=int, help="features per example")
    ap.add_argument("--seed", type=int, default=1)
    args = ap.parse_args()

    rng = np.random.default_rng(args.seed)
    direction = rng.standard_normal(args.n)
    tmp = args.path + ".tmp"
    with h5py.File(tmp, "w") as f:
        x = f.create_dataset("train_set_x", (args.m, args.n), dtype="f8")
        y = f.create_dataset("train_set_y", (args.m,), dtype="f8")
        for first in range(0, args.m, SLAB_ROWS):
            rows = min(SLAB_ROWS, args.m - first)
            slab = rng.standard_normal((rows, args.n))
            x[first:first + rows] = slab
            y[first:first + rows] = (slab @ direction > 0).astype(np.float64)
    os.replace(tmp, args.path)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
