#!/usr/bin/python3
"""How much of the first layer's weight gradient the AVX-512 kernel skips on the
course's cat run: the share of (tile of 4 units, example) pairs with a non-zero dZ1,
per chunk of examples as dnn-train splits them, every 50 iterations, with the numpy
reference of tests/. Also the share for single units, and for tiles of units sorted
by activity.

  launch/relu_sparsity.py [TRAIN_H5]      (default data/train_catvnoncat.h5)
"""
import os
import sys

import numpy as np

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, "tests", "reference"))
import course_model as cm  # noqa: E402

TILE = 4  # the gradient kernel's G_ROWS


def work(nonzero, order, size):
    """Fraction of the dense work left when each tile skips its all-zero examples."""
    done = 0
    for t in range(0, len(order), size):
        rows = order[t:t + size]
        done += len(rows) * nonzero[rows].any(axis=0).sum()
    return done / nonzero.size


def main():
    path = sys.argv[1] if len(sys.argv) > 1 else os.path.join(
        ROOT, "..", "shared", "data", "train_catvnoncat.h5")
    X, Y = cm.load_data(path)
    m = X.shape[1]
    halves = [slice(0, (m + 1) // 2), slice((m + 1) // 2, m)]  # dnn-train's 2 chunks
    p = cm.initialize_parameters_deep([X.shape[0], 20, 7, 5, 1], "lecun", 1)
    shares = {"tiles": [], "sorted tiles": [], "units": []}
    for it in range(2500):
        AL, caches = cm.L_model_forward(X, p)
        grads = cm.L_model_backward(AL, Y, caches)
        if it % 50 == 0:
            nonzero = np.where(caches[0][1] > 0, grads["dA1"], 0.0) != 0
            for part in halves:
                z = nonzero[:, part]
                units = np.arange(z.shape[0])
                by_activity = np.argsort(-z.sum(axis=1), kind="stable")
                shares["tiles"].append(work(z, units, TILE))
                shares["sorted tiles"].append(work(z, by_activity, TILE))
                shares["units"].append(work(z, units, 1))
        p = cm.update_parameters(p, grads, 0.0075)
    for name, values in shares.items():
        print("%-13s mean share of the dense work: %.3f (min %.3f, max %.3f)" % (
            name, np.mean(values), np.min(values), np.max(values)))


if __name__ == "__main__":
    main()
