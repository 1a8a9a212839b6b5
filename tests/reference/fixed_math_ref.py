#!/usr/bin/python3
"""Write exp and log of a few thousand doubles to 40 digits with Python's decimal
module (correctly rounded at that precision), for tests/test_fixed_math.c.

Each line: function, x, hi (the double nearest the exact value) and rest (the exact
value minus hi, in units of hi's ulp: the subnormal ulp 2^-1074 below 2^-1022), all in
C99 hexadecimal floating point."""
import decimal
import math
import os
import random
import struct

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "data", "fixed_math_ref.txt")
COMMAND = "/usr/bin/python3 tests/reference/fixed_math_ref.py"
ctx = decimal.Context(prec=40)


def ulp(hi):
    m, e = math.frexp(abs(hi))  # |hi| = m 2^e, m in [0.5, 1)
    return math.ldexp(1.0, max(e, -1021) - 53)


def hi_rest(d):
    hi = float(d)  # float(Decimal) rounds correctly, subnormals too
    rest = float(ctx.divide(ctx.subtract(d, decimal.Decimal(hi)), decimal.Decimal(ulp(hi))))
    return hi, rest


def random_positive(rng):
    while True:
        u = rng.getrandbits(63)
        if 0 < u < 0x7FF0000000000000:
            return struct.unpack("<d", struct.pack("<Q", u))[0]


def main():
    rng = random.Random(22)
    xs_exp = [rng.uniform(-1.0, 1.0) for _ in range(1000)]
    xs_exp += [rng.uniform(-40.0, 40.0) for _ in range(500)]
    xs_exp += [rng.uniform(-708.3, 709.7) for _ in range(500)]
    xs_exp += [rng.uniform(-745.1, -708.4) for _ in range(300)]  # subnormal results
    xs_log = [rng.uniform(0.5, 2.0) for _ in range(800)]
    xs_log += [rng.random() for _ in range(800)]
    xs_log += [random_positive(rng) for _ in range(600)]  # every binade, subnormals too
    xs_log = [x for x in xs_log if x > 0.0 and x != 1.0]
    with open(OUT, "w") as f:
        f.write("# exp and log to 40 digits by Python's decimal; regenerate with: %s\n" % COMMAND)
        for x in xs_exp:
            hi, rest = hi_rest(ctx.exp(decimal.Decimal(x)))
            f.write("exp %s %s %s\n" % (x.hex(), hi.hex(), rest.hex()))
        for x in xs_log:
            hi, rest = hi_rest(ctx.ln(decimal.Decimal(x)))
            f.write("log %s %s %s\n" % (x.hex(), hi.hex(), rest.hex()))


if __name__ == "__main__":
    main()
