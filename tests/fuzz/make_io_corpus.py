#!/usr/bin/env python3
"""Writes the seed corpora of the model and checkpoint readers' fuzz harnesses
(tests/fuzz/corpus/model_load/ and corpus/checkpoint_load/), a few KB per file. Run by
hand after a format change (standard library only; dnn-train makes the files):

    python3 tests/fuzz/make_io_corpus.py build/dnn-train

Valid files come from dnn-train on tiny synthetic problems: models of 1, 2 and 4 weight
layers; checkpoints of each optimizer, f32 with fast sums, one weight layer, and format
version 1 (a version 2 file sealed as version 1: a version 1 reader ignores the update
attributes), early stopping's state (trained on corpus/h5_load/course.h5), mini-batches
with dropout. Damaged ones are cut or have bytes flipped, at fixed places; the
checkpoint harness seals every input again as well, so a damaged checkpoint here still
reaches HDF5. Crafted ones (sealed again) claim a hidden layer of 100000 units, which no
dataset holds (refused before anything is allocated for it), or hold a NaN parameter
(refused by the checkpoint reader; a model may hold one)."""
import os
import struct
import subprocess
import sys
import tempfile

SEAL = 512


def fnv1a64(data):
    h = 0xCBF29CE484222325
    for b in data:
        h = ((h ^ b) * 0x100000001B3) & 0xFFFFFFFFFFFFFFFF
    return h


def sealed(data, version):
    text = b"dnn-checkpoint %d\nfnv1a64 %016x\n" % (version, fnv1a64(data[SEAL:]))
    return text.ljust(SEAL, b"\0") + data[SEAL:]


def flipped(data, *offsets):
    out = bytearray(data)
    for at in offsets:
        out[at] ^= 0xFF
    return bytes(out)


def shared_run(a, b, length=256):
    """Offsets in a and b of the first run of length bytes both hold that reads as small
    nonzero doubles: W1's values (the model and the checkpoint of one run hold the same
    parameters)."""
    for i in range(0, len(a) - length, 8):
        values = struct.unpack("<%dd" % (length // 8), a[i:i + length])
        if not all(0 < abs(v) < 10 for v in values):
            continue
        at = b.find(a[i:i + length])
        if at >= 0:
            return i, at
    raise SystemExit("no parameters in common")


def with_nan(data, at):
    return data[:at] + struct.pack("<d", float("nan")) + data[at + 8:]


def huge_hidden_layer(data):
    """layer_sizes 8,4,1 made 8,100000,1."""
    sizes = struct.pack("<3i", 8, 4, 1)
    at = data.find(sizes)
    if at < 0 or data.find(sizes, at + 1) >= 0:
        raise SystemExit("layer_sizes 8,4,1 not found once")
    return data[:at] + struct.pack("<3i", 8, 100000, 1) + data[at + 12:]


def train(dnn_train, work, *args):
    env = dict(os.environ, OMP_NUM_THREADS="1")
    subprocess.run([dnn_train, "--print-every", "0", *args], cwd=work, env=env, check=True,
                   stdout=subprocess.DEVNULL)


def main():
    if len(sys.argv) != 2:
        sys.exit("usage: make_io_corpus.py PATH/TO/dnn-train")
    dnn_train = os.path.abspath(sys.argv[1])
    here = os.path.dirname(os.path.abspath(__file__))
    models = os.path.join(here, "corpus", "model_load")
    checkpoints = os.path.join(here, "corpus", "checkpoint_load")
    os.makedirs(models, exist_ok=True)
    os.makedirs(checkpoints, exist_ok=True)
    small = ["--synthetic", "64,8", "--layers", "8,4,1", "--iters", "3"]
    with tempfile.TemporaryDirectory() as work:
        train(dnn_train, work, *small, "--save", "model.h5", "--checkpoint", "gd.h5")
        train(dnn_train, work, *small, "--optimizer", "momentum", "--checkpoint", "momentum.h5")
        train(dnn_train, work, *small, "--optimizer", "adam", "--lr-decay", "0.5",
              "--decay-interval", "2", "--l2", "0.1", "--checkpoint", "adam.h5")
        train(dnn_train, work, *small, "--dtype", "f32", "--reduce", "fast", "--chunk", "16",
              "--checkpoint", "f32_fast.h5")
        train(dnn_train, work, "--synthetic", "32,3", "--layers", "3,1", "--iters", "2",
              "--save", "model_one_layer.h5", "--checkpoint", "one_layer.h5")
        train(dnn_train, work, "--synthetic", "32,4", "--layers", "4,3,2,2,1", "--init", "he",
              "--seed", "7", "--iters", "2", "--save", "model_deep.h5")
        train(dnn_train, work, *small, "--batch-size", "24", "--drop-last", "--dropout", "0.8",
              "--optimizer", "adam", "--checkpoint", "minibatch.h5")
        course = os.path.join(here, "corpus", "h5_load", "course.h5")  # 4 examples
        train(dnn_train, work, "--train", course, "--test", course, "--layers", "auto,4,1",
              "--iters", "4", "--print-every", "1", "--early-stop", "3", "--checkpoint",
              "early_stop.h5")
        read = lambda name: open(os.path.join(work, name), "rb").read()
        files = {}
        model = read("model.h5")
        files[(models, "model_8_4_1.h5")] = model
        files[(models, "model_one_layer.h5")] = read("model_one_layer.h5")
        files[(models, "model_deep.h5")] = read("model_deep.h5")
        files[(models, "model_cut_half.h5")] = model[: len(model) // 2]
        files[(models, "model_cut_superblock.h5")] = model[:40]
        files[(models, "model_flipped_header.h5")] = flipped(model, 60, 61)
        files[(models, "model_flipped_middle.h5")] = flipped(model, len(model) // 2)
        files[(models, "model_huge_hidden_layer.h5")] = huge_hidden_layer(model)
        for name in ["gd", "momentum", "adam", "f32_fast", "one_layer", "early_stop",
                     "minibatch"]:
            files[(checkpoints, name + ".h5")] = read(name + ".h5")
        gd = read("gd.h5")
        files[(checkpoints, "version1.h5")] = sealed(gd, 1)
        files[(checkpoints, "cut_half.h5")] = gd[: len(gd) // 2]
        files[(checkpoints, "cut_after_seal.h5")] = gd[: SEAL + 64]
        files[(checkpoints, "flipped_seal.h5")] = flipped(gd, 20)
        files[(checkpoints, "flipped_body.h5")] = flipped(gd, SEAL + 100, len(gd) // 2)
        files[(checkpoints, "huge_hidden_layer.h5")] = sealed(huge_hidden_layer(gd), 2)
        in_model, in_checkpoint = shared_run(model, gd)
        files[(models, "model_nan_weight.h5")] = with_nan(model, in_model)
        files[(checkpoints, "nan_parameter.h5")] = sealed(with_nan(gd, in_checkpoint), 2)
        for (folder, name), data in sorted(files.items()):
            with open(os.path.join(folder, name), "wb") as f:
                f.write(data)
            print(f"{os.path.relpath(os.path.join(folder, name), here)}: {len(data)} bytes")


if __name__ == "__main__":
    main()
