#!/usr/bin/python3
"""Checks tests/reference/counter_rng.py (numpy, vectorized) bit for bit against
(1) a second, scalar implementation of include/dnn/counter_rng.h's definition in pure
python ints with explicit 64-bit masks, and (2) the values the C code itself printed,
tests/reference/counter_vectors.txt (from tests/reference/counter_vectors.c).

    /usr/bin/python3 tests/reference/test_counter_rng.py     (from the repository root,
                                                              or any directory)
"""
import os
import random
import sys
import unittest
import warnings

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import counter_rng as cr  # noqa: E402

MASK = (1 << 64) - 1


# The scalar twin: python ints, every operation masked to 64 bits, as the C text reads.
def py_mix(z):
    z &= MASK
    z ^= z >> 30
    z = (z * 0xbf58476d1ce4e5b9) & MASK
    z ^= z >> 27
    z = (z * 0x94d049bb133111eb) & MASK
    return z ^ (z >> 31)


def py_absorb(k, v):
    return py_mix((k & MASK) ^ (((v & MASK) + 0x9e3779b97f4a7c15) & MASK))


def py_uniform(k):
    return float(k >> 11) * 2.0 ** -53  # k >> 11 < 2^53: exact in a double


def py_order(seed, epoch, m):
    base = py_absorb(py_absorb(1, seed), epoch)
    return [i for _, i in sorted((py_absorb(base, i), i) for i in range(m))]


def py_dropout_key(seed, step, layer, g, u):
    k = py_absorb(2, seed)
    for v in (step, layer, g, u):
        k = py_absorb(k, v)
    return k


def load_vectors():
    with open(os.path.join(HERE, "counter_vectors.txt")) as f:
        return [line.split() for line in f if line.strip() and not line.startswith("#")]


class CounterRng(unittest.TestCase):
    def setUp(self):
        # Any overflow warning from numpy would mean scalar arithmetic slipped through.
        warnings.simplefilter("error")

    def tearDown(self):
        warnings.resetwarnings()

    def test_scalar_twin_against_numpy(self):
        rnd = random.Random(20240518)
        special = [0, 1, 2, 2047, 2048, 1 << 63, MASK, MASK - 1, 0x9e3779b97f4a7c15,
                   (-0x9e3779b97f4a7c15) & MASK]
        zs = special + [rnd.getrandbits(64) for _ in range(2000)]
        vs = list(reversed(special)) + [rnd.getrandbits(64) for _ in range(2000)]
        z_arr = np.array(zs, dtype=np.uint64)
        v_arr = np.array(vs, dtype=np.uint64)
        self.assertEqual([int(x) for x in cr.mix(z_arr)], [py_mix(z) for z in zs])
        self.assertEqual([int(x) for x in cr.absorb(z_arr, v_arr)],
                         [py_absorb(k, v) for k, v in zip(zs, vs)])
        self.assertEqual(cr.uniform(z_arr).tolist(), [py_uniform(k) for k in zs])
        # Scalars (python ints and np.uint64) give the same as the arrays.
        for k, v in zip(zs[:50], vs[:50]):
            self.assertEqual(int(cr.mix(k)), py_mix(k))
            self.assertEqual(int(cr.absorb(np.uint64(k), np.uint64(v))), py_absorb(k, v))
            self.assertEqual(int(cr.absorb(k, v)), py_absorb(k, v))
            self.assertEqual(float(cr.uniform(k)), py_uniform(k))

    def test_order_against_scalar_twin(self):
        for seed in (0, 1, 2, 42, 1 << 63, MASK):
            for epoch in (0, 1, 2, 29, 1000):
                for m in (1, 2, 10, 64, 209):
                    self.assertEqual(cr.epoch_order(seed, epoch, m).tolist(),
                                     py_order(seed, epoch, m))

    def test_order_is_a_permutation(self):
        for epoch in range(5):
            order = cr.epoch_order(1, epoch, 209)
            self.assertEqual(sorted(order.tolist()), list(range(209)))

    def test_dropout_against_scalar_twin(self):
        g = np.array([0, 5, 17, 208, 100], dtype=np.int64)
        for seed, step, layer in ((1, 0, 1), (1, 119, 2), (7, 10 ** 6, 3)):
            got = cr.dropout_uniforms(seed, step, layer, g, 7)
            self.assertEqual(got.shape, (7, len(g)))
            for u in range(7):
                for j, gj in enumerate(g.tolist()):
                    self.assertEqual(got[u, j], py_uniform(py_dropout_key(seed, step, layer, gj, u)))
            mask = cr.dropout_mask(seed, step, layer, g, 7, 0.8)
            self.assertTrue(np.array_equal(mask, got < 0.8))

    def test_against_c_vectors(self):
        rows = load_vectors()
        kinds = {r[0] for r in rows}
        self.assertEqual(kinds, {"mix", "absorb", "uniform", "order", "dropout"})
        for r in rows:
            if r[0] == "mix":
                z, want = int(r[1]), int(r[2])
                self.assertEqual(int(cr.mix(z)), want, r)
                self.assertEqual(py_mix(z), want, r)
            elif r[0] == "absorb":
                k, v, want = int(r[1]), int(r[2]), int(r[3])
                self.assertEqual(int(cr.absorb(k, v)), want, r)
                self.assertEqual(py_absorb(k, v), want, r)
            elif r[0] == "uniform":
                k, want = int(r[1]), float(r[2])
                self.assertEqual(float(cr.uniform(k)), want, r)
                self.assertEqual(py_uniform(k), want, r)
            elif r[0] == "order":
                seed, epoch, m = int(r[1]), int(r[2]), int(r[3])
                want = [int(x) for x in r[4:]]
                self.assertEqual(len(want), m, r)
                self.assertEqual(cr.epoch_order(seed, epoch, m).tolist(), want, r)
                self.assertEqual(py_order(seed, epoch, m), want, r)
            elif r[0] == "dropout":
                seed, step, layer, g, u, key = (int(x) for x in r[1:7])
                x, kept = float(r[7]), int(r[8])
                self.assertEqual(py_dropout_key(seed, step, layer, g, u), key, r)
                got = cr.dropout_uniforms(seed, step, layer, np.array([g]), u + 1)[u, 0]
                self.assertEqual(got, x, r)
                self.assertEqual(bool(got < 0.8), bool(kept), r)


if __name__ == "__main__":
    unittest.main()
