"""Counter-based random numbers: numpy twin of include/dnn/counter_rng.h.

All arithmetic is on numpy uint64 (modulo 2^64). Every function takes scalars or
arrays (python ints, np.uint64 or uint64 arrays; they broadcast) and returns uint64
arrays (0-d for scalar inputs), except uniform(), which returns float64.

    mix(z)       = z ^= z >> 30; z *= 0xbf58476d1ce4e5b9; z ^= z >> 27;
                   z *= 0x94d049bb133111eb; z ^= z >> 31    (SplitMix64's finalizer)
    absorb(k, v) = mix(k ^ (v + 0x9e3779b97f4a7c15))
    uniform(k)   = (k >> 11) * 2^-53, in [0, 1)

Epoch order: example i's key is absorb(absorb(absorb(ORDER, seed), epoch), i); the epoch
visits the examples by ascending (key, i).
Dropout: unit u of hidden layer l (1 <= l < L) for the example of global index g (its
index in the data file) at step t (0-based count of the updates before this one) is kept
when uniform(absorb(absorb(absorb(absorb(absorb(DROPOUT, seed), t), l), g), u)) < keep_prob.
"""
import numpy as np

ORDER = 1
DROPOUT = 2

_U64 = np.uint64
_MASK = (1 << 64) - 1
_M1 = _U64(0xbf58476d1ce4e5b9)
_M2 = _U64(0x94d049bb133111eb)
_GOLDEN = _U64(0x9e3779b97f4a7c15)
_S30, _S27, _S31, _S11 = _U64(30), _U64(27), _U64(31), _U64(11)


def u64(x):
    """x as a uint64 array. Python ints are taken modulo 2^64 (so -1 is 2^64 - 1, as a
    C cast to uint64_t would give); numpy integer arrays are reinterpreted as uint64."""
    if isinstance(x, (int, np.integer)) and not isinstance(x, (bool, np.bool_)):
        return np.array(int(x) & _MASK, dtype=_U64)
    a = np.asarray(x)
    if a.dtype == _U64:
        return a
    if a.dtype.kind in "iu":
        return a.astype(_U64)  # two's complement wrap for negative values
    if a.dtype == object:
        return np.array([int(v) & _MASK for v in a.ravel()], dtype=_U64).reshape(a.shape)
    raise TypeError("counter_rng: integer input expected, got %s" % a.dtype)


def mix(z):
    z = u64(z)
    with np.errstate(over="ignore"):
        z = z ^ (z >> _S30)
        z = z * _M1
        z = z ^ (z >> _S27)
        z = z * _M2
        return z ^ (z >> _S31)


def absorb(key, value):
    with np.errstate(over="ignore"):
        return mix(u64(key) ^ (u64(value) + _GOLDEN))


def uniform(key):
    """(key >> 11) * 2^-53 as float64: exact, since key >> 11 < 2^53."""
    return (u64(key) >> _S11).astype(np.float64) * 2.0 ** -53


def epoch_keys(seed, epoch, m):
    """The m examples' keys for this epoch (uint64 array of length m)."""
    base = absorb(absorb(ORDER, seed), epoch)
    return absorb(base, np.arange(m, dtype=_U64))


def epoch_order(seed, epoch, m):
    """The epoch's visiting order of examples 0 .. m-1 (int64 array): ascending (key, i)."""
    keys = epoch_keys(seed, epoch, m)
    index = np.arange(m, dtype=np.int64)
    return np.lexsort((index, keys))


def dropout_uniforms(seed, step, layer, examples, units):
    """uniform(absorb(absorb(absorb(absorb(absorb(DROPOUT, seed), step), layer), g), u))
    for u in range(units) (rows) and g in examples (columns, global example indices):
    a float64 array of shape (units, len(examples))."""
    base = absorb(absorb(absorb(DROPOUT, seed), step), layer)
    g = u64(np.asarray(examples, dtype=np.int64))
    per_example = absorb(base, g)[np.newaxis, :]
    u = np.arange(units, dtype=_U64)[:, np.newaxis]
    return uniform(absorb(per_example, u))


def dropout_mask(seed, step, layer, examples, units, keep_prob):
    """Boolean mask (units, len(examples)): True where the unit is kept."""
    return dropout_uniforms(seed, step, layer, examples, units) < keep_prob
