#!/usr/bin/python3
"""Writes the seed corpus of the HDF5 loader's fuzz harness (tests/fuzz/fuzz_h5_load.c).

Run once by hand when the corpus should change (needs Debian's python3-h5py, which uses
the same libhdf5 as the build); the files it writes are committed, so neither CI nor
launch/fuzz runs it. Every file is small (a few KB): valid files in the course's layout
and its accepted variants, each storage feature of HDF5 the loader may meet (chunks,
filters, compact and dense groups, old and new file formats, links), files the loader
must refuse, and truncated copies.

usage: /usr/bin/python3 tests/fuzz/make_h5_corpus.py [OUT_DIR]
       (default OUT_DIR: tests/fuzz/corpus/h5_load next to this script)
"""
import os
import sys

import h5py
import numpy as np

OUT = sys.argv[1] if len(sys.argv) > 1 else os.path.join(
    os.path.dirname(os.path.abspath(__file__)), "corpus", "h5_load")


def features(m, *shape, dtype=np.float64):
    count = m * int(np.prod(shape))
    return (np.arange(count) % 7 - 3).astype(dtype).reshape((m,) + shape)


def labels(m, dtype=np.int64):
    return (np.arange(m) % 2).astype(dtype)


def write(name, build, libver=("earliest", "latest"), **kwargs):
    path = os.path.join(OUT, name + ".h5")
    with h5py.File(path, "w", libver=libver, **kwargs) as f:
        build(f)
    return path


def course(f):
    """The course's files: uint8 images, int64 labels, a string list."""
    f["train_set_x"] = (np.arange(4 * 4 * 4 * 3) % 256).astype(np.uint8).reshape(4, 4, 4, 3)
    f["train_set_y"] = labels(4)
    f["list_classes"] = np.array([b"non-cat", b"cat"])


def float_row_labels(f):
    f["a_x"] = features(5, 3)
    f["a_y"] = labels(5, np.float64).reshape(1, 5)


def chunked_filters(f):
    f.create_dataset("z_x", data=features(6, 2, dtype=np.float32), chunks=(2, 2),
                     compression="gzip", shuffle=True, fletcher32=True)
    f.create_dataset("z_y", data=labels(6, np.int8).reshape(6, 1), chunks=(3, 1),
                     compression="gzip")


def scaleoffset(f):
    f.create_dataset("s_x", data=features(6, 3, dtype=np.int32), chunks=(3, 3),
                     scaleoffset=0)
    f.create_dataset("s_y", data=labels(6, np.uint16), chunks=(6,), scaleoffset=0)


def big_endian(f):
    f["b_x"] = features(4, 2, dtype=">i2")
    f["b_y"] = labels(4, ">u4")


def nested_group(f):
    g = f.create_group("data")
    g["x"] = features(3, 2, 2)
    g["y"] = labels(3)
    f["root_x"] = features(3, 1)
    f["root_y"] = labels(3)


def compact(f):
    for name, value in (("c_x", features(3, 2)), ("c_y", labels(3))):
        space = h5py.h5s.create_simple(value.shape)
        dcpl = h5py.h5p.create(h5py.h5p.DATASET_CREATE)
        dcpl.set_layout(h5py.h5d.COMPACT)
        tid = h5py.h5t.py_create(value.dtype)
        dset = h5py.h5d.create(f.id, name.encode(), tid, space, dcpl=dcpl)
        dset.write(h5py.h5s.ALL, h5py.h5s.ALL, np.ascontiguousarray(value))


def dense_links(f):
    """More links than a compact group holds: a fractal heap and a v2 B-tree."""
    for i in range(12):
        f[f"extra{i:02d}"] = np.arange(2)
    f["d_x"] = features(3, 2)
    f["d_y"] = labels(3)


def links(f):
    f["real_x"] = features(3, 2)
    f["real_y"] = labels(3)
    f["soft_x"] = h5py.SoftLink("/real_x")
    f["dangling"] = h5py.SoftLink("/nowhere")
    f["ext"] = h5py.ExternalLink("missing.h5", "/x")


def unallocated(f):
    """Shapes with no storage written: reads give the fill value."""
    f.create_dataset("u_x", shape=(40, 5), dtype=np.float64, chunks=(8, 5))
    f.create_dataset("u_y", shape=(40,), dtype=np.uint8)


def attributes(f):
    f.attrs["note"] = "attributes everywhere"
    f["t_x"] = features(2, 2)
    f["t_y"] = labels(2)
    f["t_x"].attrs["scale"] = np.float64(1.0)
    f["t_y"].attrs["classes"] = np.array([b"no", b"yes"])


# Files the loader must refuse, one reason each.
def nan_feature(f):
    x = features(3, 2)
    x[1, 1] = np.nan
    f["n_x"] = x
    f["n_y"] = labels(3)


def bad_label(f):
    f["l_x"] = features(3, 2)
    f["l_y"] = np.array([0, 2, 1])


def count_mismatch(f):
    f["m_x"] = features(3, 2)
    f["m_y"] = labels(4)


def rank_one_x(f):
    f["r_x"] = np.arange(4.0)
    f["r_y"] = labels(4)


def empty(f):
    f.create_dataset("e_x", shape=(0, 3), dtype=np.float64)
    f.create_dataset("e_y", shape=(0,), dtype=np.float64)


def strings(f):
    f["s_x"] = np.array([b"a", b"b"])
    f["s_y"] = labels(2)


def ambiguous(f):
    f["one_x"] = features(2, 1)
    f["two_x"] = features(2, 1)
    f["one_y"] = labels(2)


def scalar_y(f):
    f["k_x"] = features(1, 2)
    f["k_y"] = np.float64(1.0)


def compound(f):
    f["q_x"] = np.zeros(2, dtype=[("a", "<f8"), ("b", "<i4")])
    f["q_y"] = labels(2)


def group_named_x(f):
    f.create_group("g_x")
    f["g_y"] = labels(2)


SEEDS = [course, float_row_labels, chunked_filters, scaleoffset, big_endian, nested_group,
         compact, dense_links, links, unallocated, attributes, nan_feature, bad_label,
         count_mismatch, rank_one_x, empty, strings, ambiguous, scalar_y, compound,
         group_named_x]


def main():
    os.makedirs(OUT, exist_ok=True)
    written = []
    for build in SEEDS:
        written.append(write(build.__name__, build))
    # The newest file format (checksummed metadata, v2 object headers) for a few.
    for build in (course, chunked_filters, dense_links):
        written.append(write(build.__name__ + "_latest", build, libver="latest"))
    # Truncated copies: HDF5 must refuse them, and the loader must say so.
    for source in (written[0], written[2]):
        data = open(source, "rb").read()
        base = os.path.splitext(source)[0]
        for cut in (96, len(data) // 2, len(data) - 1):
            with open(f"{base}_cut{cut}.h5", "wb") as out:
                out.write(data[:cut])
    total = sum(os.path.getsize(os.path.join(OUT, n)) for n in os.listdir(OUT))
    print(f"{len(os.listdir(OUT))} files, {total} bytes in {OUT}")


if __name__ == "__main__":
    main()
