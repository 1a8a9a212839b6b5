#!/usr/bin/python3
"""Write numpy's legacy MT19937 randn / random_sample streams for testing the C RNG."""
import os
import sys

import numpy as np

SEEDS = [0, 1, 2, 3, 42, 4294967295]
COUNT = 1000
UNIFORM_COUNT = 100
OUT_DIR = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "data")
COMMAND = "/usr/bin/python3 tests/reference/gen_normals.py"


def write_values(path, header, values):
    with open(path, "w") as f:
        f.write("# %s with numpy %s; regenerate with: %s\n" % (header, np.__version__, COMMAND))
        for v in values:
            f.write("%.17g\n" % v)


def main():
    for seed in SEEDS:
        np.random.seed(seed)
        values = np.random.randn(COUNT)
        write_values(os.path.join(OUT_DIR, "normals_seed%d.txt" % seed),
                     "numpy.random.seed(%d); numpy.random.randn(%d)" % (seed, COUNT),
                     values)
    np.random.seed(1)
    values = np.random.random_sample(UNIFORM_COUNT)
    write_values(os.path.join(OUT_DIR, "uniform_seed1.txt"),
                 "numpy.random.seed(1); numpy.random.random_sample(%d)" % UNIFORM_COUNT,
                 values)
    return 0


if __name__ == "__main__":
    sys.exit(main())
