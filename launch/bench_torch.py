#!/usr/bin/python3
"""The course's L-layer model in PyTorch, a peer of dnn-train in launch/bench.

[LINEAR -> RELU] x (L-1) -> LINEAR -> SIGMOID, cross-entropy cost, full-batch gradient
descent, written function by function as in the course ("Building your deep neural
network step by step"), with torch tensors in place of numpy arrays. Matrices are
(features, examples) as in the course.

--mode manual (default): the course's forward and backward by hand, except that the
gradient with respect to the input (dA0) is not computed; autograd and dnn-train skip
it too. --mode autograd: the same forward and cost, gradients from cost.backward().

Data: --train FILE (the course's HDF5 layout, uint8 features divided by 255), or
--synthetic M,N: M examples of N standard-normal features with random 0/1 labels
(for timing only; not dnn-train's synthetic task). Parameters are initialized exactly
as tests/reference/course_model.py does (numpy's seed + randn), so on the cat data the
costs match the numpy reference's up to rounding.

Prints "Cost after iteration N: C" like the course, then "Training time: S s" (the
training loop's wall time) on stderr.
"""
import argparse
import os
import sys
import time


def parse_args():
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    data = ap.add_mutually_exclusive_group(required=True)
    data.add_argument("--train", help="HDF5 training set in the course's layout")
    data.add_argument("--synthetic", help="M,N: random data of M examples, N features")
    ap.add_argument("--layers", required=True, help="comma-separated, e.g. 12288,20,7,5,1")
    ap.add_argument("--init", default="lecun", choices=["normal-0.01", "lecun", "he"])
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--lr", type=float, default=0.0075)
    ap.add_argument("--iters", type=int, default=2500)
    ap.add_argument("--print-every", type=int, default=100, help="0: only the last cost")
    ap.add_argument("--dtype", default="float64", choices=["float32", "float64"])
    ap.add_argument("--threads", type=int, default=1, help="torch's threads (set_num_threads)")
    ap.add_argument("--blas-threads", type=int,
                    help="OpenBLAS's threads, which do the matrix products (default: --threads)")
    ap.add_argument("--mode", default="manual", choices=["manual", "autograd"])
    return ap.parse_args()


args = parse_args()
# Debian's torch calls OpenBLAS (pthread build) for matrix products; OpenBLAS has its own
# threads and reads their count when it is loaded: set it before numpy or torch is imported.
os.environ["OPENBLAS_NUM_THREADS"] = str(args.blas_threads or args.threads)
os.environ["OMP_NUM_THREADS"] = str(args.threads)

import h5py  # noqa: E402
import numpy as np  # noqa: E402
import torch  # noqa: E402


def load_data(path):
    with h5py.File(path, "r") as f:
        x_key = next(k for k in f.keys() if k.endswith("_set_x"))
        y_key = next(k for k in f.keys() if k.endswith("_set_y"))
        x_orig = np.array(f[x_key][:])
        y_orig = np.array(f[y_key][:])
    m = x_orig.shape[0]
    X = x_orig.reshape(m, -1).T / 255.0
    Y = y_orig.reshape((1, m))
    return X, Y


def synthetic_data(m, n, seed):
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((n, m))
    Y = rng.integers(0, 2, size=(1, m)).astype(np.float64)
    return X, Y


def initialize_parameters_deep(layer_dims, init, seed):
    """Exactly the numpy reference's initialization, converted to tensors later."""
    np.random.seed(seed)
    parameters = {}
    for l in range(1, len(layer_dims)):
        W = np.random.randn(layer_dims[l], layer_dims[l - 1])
        if init == "normal-0.01":
            W = W * 0.01
        elif init == "lecun":
            W = W / np.sqrt(layer_dims[l - 1])
        else:
            W = W * np.sqrt(2.0 / layer_dims[l - 1])
        parameters["W" + str(l)] = W
        parameters["b" + str(l)] = np.zeros((layer_dims[l], 1))
    return parameters


def L_model_forward(X, parameters):
    """Returns AL and, per layer, (A_prev, W, Z) for the backward pass."""
    caches = []
    A = X
    L = len(parameters) // 2
    for l in range(1, L + 1):
        W, b = parameters["W" + str(l)], parameters["b" + str(l)]
        Z = W @ A + b
        caches.append((A, W, Z))
        A = torch.relu(Z) if l < L else torch.sigmoid(Z)
    return A, caches


def compute_cost(AL, Y):
    m = Y.shape[1]
    return (-1.0 / m) * torch.sum(Y * torch.log(AL) + (1 - Y) * torch.log(1 - AL))


def L_model_backward(AL, Y, caches):
    """The course's backward pass; stops before dA0, which nothing uses."""
    grads = {}
    L = len(caches)
    m = AL.shape[1]
    dA = -(Y / AL - (1 - Y) / (1 - AL))
    for l in reversed(range(1, L + 1)):
        A_prev, W, Z = caches[l - 1]
        if l == L:
            s = torch.sigmoid(Z)
            dZ = dA * s * (1 - s)  # sigmoid_backward
        else:
            dZ = torch.where(Z > 0, dA, torch.zeros((), dtype=dA.dtype))  # relu_backward
        grads["dW" + str(l)] = (1.0 / m) * (dZ @ A_prev.T)
        grads["db" + str(l)] = (1.0 / m) * torch.sum(dZ, dim=1, keepdim=True)
        if l > 1:
            dA = W.T @ dZ
    return grads


def update_parameters(parameters, grads, learning_rate):
    for key, value in parameters.items():
        value.sub_(learning_rate * grads["d" + key])


def train_manual(X, Y, parameters, args, emit):
    for i in range(args.iters):
        AL, caches = L_model_forward(X, parameters)
        cost = compute_cost(AL, Y)
        grads = L_model_backward(AL, Y, caches)
        update_parameters(parameters, grads, args.lr)
        if (args.print_every and i % args.print_every == 0) or i == args.iters - 1:
            emit("Cost after iteration %d: %.17g" % (i, cost.item()))


def train_autograd(X, Y, parameters, args, emit):
    for value in parameters.values():
        value.requires_grad_(True)
    for i in range(args.iters):
        AL, _ = L_model_forward(X, parameters)
        cost = compute_cost(AL, Y)
        cost.backward()
        with torch.no_grad():
            for value in parameters.values():
                value.sub_(args.lr * value.grad)
                value.grad = None
        if (args.print_every and i % args.print_every == 0) or i == args.iters - 1:
            emit("Cost after iteration %d: %.17g" % (i, cost.item()))
    for value in parameters.values():
        value.requires_grad_(False)


def main():
    torch.set_num_threads(args.threads)
    dtype = torch.float64 if args.dtype == "float64" else torch.float32
    layer_dims = [int(n) for n in args.layers.split(",")]
    if args.train:
        X, Y = load_data(args.train)
    else:
        m, n = (int(v) for v in args.synthetic.split(","))
        X, Y = synthetic_data(m, n, args.seed)
    if X.shape[0] != layer_dims[0]:
        sys.exit("input size %d does not match layers[0] = %d" % (X.shape[0], layer_dims[0]))
    X = torch.from_numpy(np.ascontiguousarray(X)).to(dtype)
    Y = torch.from_numpy(np.ascontiguousarray(Y)).to(dtype)
    parameters = {k: torch.from_numpy(v).to(dtype)
                  for k, v in initialize_parameters_deep(layer_dims, args.init, args.seed).items()}
    print("torch %s, %s, %d thread(s), OpenBLAS %s thread(s), %s mode, X %s" % (
          torch.__version__, args.dtype, torch.get_num_threads(),
          os.environ["OPENBLAS_NUM_THREADS"], args.mode, tuple(X.shape)), flush=True)

    train = train_manual if args.mode == "manual" else train_autograd
    with torch.no_grad() if args.mode == "manual" else torch.enable_grad():
        start = time.perf_counter()
        train(X, Y, parameters, args, lambda line: print(line, flush=True))
        elapsed = time.perf_counter() - start
        AL, _ = L_model_forward(X, parameters)
        accuracy = ((AL > 0.5).to(dtype) == Y).to(torch.float64).mean().item()
    print("Train accuracy: %.17g" % accuracy)
    print("Training time: %.3f s" % elapsed, file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
