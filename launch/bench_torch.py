#!/usr/bin/python3
"""The course's L-layer model in PyTorch, a peer of dnn-train in launch/bench and
launch/bench_batches.

[LINEAR -> RELU] x (L-1) -> LINEAR -> SIGMOID, cross-entropy cost, written function by
function as in the course ("Building your deep neural network step by step"), with torch
tensors in place of numpy arrays. Matrices are (features, examples) as in the course.

--mode manual (default): the course's forward and backward by hand, except that the
gradient with respect to the input (dA0) is not computed; autograd and dnn-train skip
it too. Parameters, gradients and the optimizer's state each live in one flat tensor
(per-layer views point into it), so an update is a few whole-model operations.
--mode autograd: the same forward and cost, gradients from cost.backward(), the update
by torch.optim (SGD for gd, Adam for adam: the same formulas, rounded in another order).

Training: full-batch (--batch-size 0, the default: --iters iterations, or --epochs) or
mini-batch (--batch-size B, --epochs E): epoch e visits the examples in the order of
tests/reference/counter_rng.py's epoch_order(seed, e, m), the order of dnn-train and of
the numpy reference; batch b is order[b*B:(b+1)*B], the last smaller one trained unless
--drop-last. Each batch's examples are gathered by index_select from a contiguous
(examples, features) copy of the data into a buffer kept across steps. The epochs'
orders are computed before the timed loop (so the loop time leaves them out).
--optimizer gd|momentum|adam (--beta1, --beta2, --epsilon), as the course writes them;
Adam's t counts the steps from 1 across epochs.

Data: --train FILE (the course's HDF5 layout, uint8 features divided by 255), or
--synthetic M,N: M examples of N standard-normal features with random 0/1 labels
(for timing only; not dnn-train's synthetic task). Parameters are initialized exactly
as tests/reference/course_model.py does (numpy's seed + randn), so on the cat data the
costs match the numpy reference's (and dnn-train's) up to rounding.

Prints "Cost after iteration N: C" (full batch) or "Cost after epoch E: C" (the mean of
the epoch's batch costs weighted by batch size, as dnn-train) every --print-every and at
the last, "Train cost: C" (the final parameters' cost on all the examples), then
"Training time: S s" (the training loop's wall time) on stderr, and with
--timing "steps: N updates, S s per update" on stderr.
"""
import argparse
import importlib.util
import math
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
    ap.add_argument("--iters", type=int, default=2500,
                    help="full-batch iterations (the run's length when --epochs is not given)")
    ap.add_argument("--epochs", type=int,
                    help="the run's length in epochs (overrides --iters; full batch: an "
                    "epoch is an iteration)")
    ap.add_argument("--batch-size", type=int, default=0, help="0 (default): full batch")
    ap.add_argument("--drop-last", action="store_true",
                    help="leave out each epoch's last, smaller batch")
    ap.add_argument("--optimizer", default="gd", choices=["gd", "momentum", "adam"])
    ap.add_argument("--beta1", type=float, default=0.9, help="momentum's beta, Adam's beta1")
    ap.add_argument("--beta2", type=float, default=0.999)
    ap.add_argument("--epsilon", type=float, default=1e-8)
    ap.add_argument("--print-every", type=int, default=100, help="0: only the last cost")
    ap.add_argument("--dtype", default="float64", choices=["float32", "float64"])
    ap.add_argument("--threads", type=int, default=1, help="torch's threads (set_num_threads)")
    ap.add_argument("--blas-threads", type=int,
                    help="OpenBLAS's threads, which do the matrix products (default: --threads)")
    ap.add_argument("--mode", default="manual", choices=["manual", "autograd"])
    ap.add_argument("--timing", action="store_true",
                    help="also print the number of updates and the time per update")
    args = ap.parse_args()
    if args.epochs is not None:
        args.iters = args.epochs
    if args.iters < 1:
        ap.error("--iters/--epochs must be >= 1")
    if args.batch_size < 0 or args.print_every < 0:
        ap.error("--batch-size and --print-every must be >= 0")
    if args.mode == "autograd" and args.optimizer == "momentum":
        ap.error("--mode autograd: torch.optim.SGD's momentum is not the course's; "
                 "use --mode manual")
    return args


args = parse_args()
# Debian's torch calls OpenBLAS (pthread build) for matrix products; OpenBLAS has its own
# threads and reads their count when it is loaded: set it before numpy or torch is imported.
os.environ["OPENBLAS_NUM_THREADS"] = str(args.blas_threads or args.threads)
os.environ["OMP_NUM_THREADS"] = str(args.threads)

import h5py  # noqa: E402
import numpy as np  # noqa: E402
import torch  # noqa: E402


def load_counter_rng():
    """tests/reference/counter_rng.py, the numpy twin of dnn-train's epoch order."""
    path = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tests",
                        "reference", "counter_rng.py")
    spec = importlib.util.spec_from_file_location("counter_rng", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


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


def arena(shapes, dtype):
    """One flat zeroed tensor and, per shape, a view into it (W1, b1, W2, ... order)."""
    flat = torch.zeros(sum(int(np.prod(s)) for s in shapes), dtype=dtype)
    views, at = [], 0
    for s in shapes:
        n = int(np.prod(s))
        views.append(flat[at:at + n].view(s))
        at += n
    return flat, views


def L_model_forward(X, Ws, bs):
    """Returns AL and, per layer, (A_prev, Z) for the backward pass."""
    caches = []
    A = X
    L = len(Ws)
    for l in range(L):
        Z = torch.addmm(bs[l], Ws[l], A)  # W @ A + b
        caches.append((A, Z))
        A = torch.relu(Z) if l < L - 1 else torch.sigmoid(Z)
    return A, caches


def compute_cost(AL, Y):
    m = Y.shape[1]
    return (-1.0 / m) * torch.sum(Y * torch.log(AL) + (1 - Y) * torch.log(1 - AL))


def L_model_backward(AL, Y, caches, Ws, dWs, dbs):
    """The course's backward pass into the gradient views dWs, dbs; stops before dA0."""
    L = len(caches)
    m = AL.shape[1]
    dA = -(Y / AL - (1 - Y) / (1 - AL))
    for l in reversed(range(L)):
        A_prev, Z = caches[l]
        if l == L - 1:
            dZ = dA * AL * (1 - AL)  # sigmoid_backward: AL is sigmoid(Z)
        else:
            dZ = dA.masked_fill_(Z <= 0, 0.0)  # relu_backward (dA is this step's own)
        torch.mm(dZ, A_prev.t(), out=dWs[l]).mul_(1.0 / m)
        torch.sum(dZ, dim=1, keepdim=True, out=dbs[l]).mul_(1.0 / m)
        if l > 0:
            dA = Ws[l].t() @ dZ


class FlatOptimizer:
    """gd, the course's momentum and Adam on the flat parameter and gradient tensors, in
    as few whole-model passes as torch offers (Adam as torch.optim.Adam computes it:
    the course's formula, rounded in another order)."""

    def __init__(self, P, G, args):
        self.P, self.G, self.args = P, G, args
        self.t = 0
        if args.optimizer != "gd":
            self.v = torch.zeros_like(P)
        if args.optimizer == "adam":
            self.s = torch.zeros_like(P)
            self.denom = torch.empty_like(P)

    def step(self, lr):
        a, P, G = self.args, self.P, self.G
        if a.optimizer == "gd":
            P.add_(G, alpha=-lr)  # p - lr * g
            return
        self.v.mul_(a.beta1).add_(G, alpha=1 - a.beta1)  # v = beta1 v + (1 - beta1) g
        if a.optimizer == "momentum":
            P.add_(self.v, alpha=-lr)
            return
        self.t += 1
        self.s.mul_(a.beta2).addcmul_(G, G, value=1 - a.beta2)  # s = beta2 s + (1 - beta2) g^2
        # p = p - lr (v / (1 - beta1^t)) / (sqrt(s / (1 - beta2^t)) + epsilon)
        torch.sqrt(self.s, out=self.denom).div_(math.sqrt(1 - a.beta2 ** self.t)).add_(a.epsilon)
        P.addcdiv_(self.v, self.denom, value=-lr / (1 - a.beta1 ** self.t))


def batch_plan(XT, Y, m, args, orders):
    """Per epoch, the list of (X_batch, Y_batch) makers; full batch: the data itself."""
    if args.batch_size == 0:
        X = XT.t().contiguous()  # (features, examples), as the full-batch peer always had
        return lambda e: [(lambda: (X, Y), m)]
    B = args.batch_size
    n_batches = m // B if args.drop_last else (m + B - 1) // B
    if n_batches == 0:
        sys.exit("--drop-last with --batch-size %d > %d examples leaves no batch" % (B, m))
    # one gather buffer per batch size (B, and the smaller last one)
    sizes = sorted({min(B, m - b * B) for b in range(n_batches)})
    xbuf = {s: torch.empty((s, XT.shape[1]), dtype=XT.dtype) for s in sizes}
    ybuf = {s: torch.empty((1, s), dtype=Y.dtype) for s in sizes}
    splits = [o[:n_batches * B] if args.drop_last else o for o in orders]
    idx = [list(torch.split(o, B)) for o in splits]

    def make(i):
        s = i.shape[0]

        def gather():
            torch.index_select(XT, 0, i, out=xbuf[s])
            torch.index_select(Y, 1, i, out=ybuf[s])
            return xbuf[s].t(), ybuf[s]  # (features, batch) view of the (batch, features) rows
        return gather, s

    plans = [[make(i) for i in batches] for batches in idx]
    return lambda e: plans[e]


def should_print(e, args):
    return (args.print_every and e % args.print_every == 0) or e == args.iters - 1


def emit_cost(e, costs, args, emit):
    """The cost of iteration e (full batch) or the weighted mean of epoch e's batch costs
    (summed in batch order in double, as the numpy reference and dnn-train)."""
    if args.batch_size == 0:
        emit("Cost after iteration %d: %.17g" % (e, costs[0][1].item()))
        return
    weighted, count = 0.0, 0
    for n, c in costs:
        weighted += n * float(c.item())
        count += n
    emit("Cost after epoch %d: %.17g" % (e, weighted / count))


def train_manual(plan, Ws, bs, dWs, dbs, optimizer, args, emit):
    steps = 0
    for e in range(args.iters):
        costs = []
        for gather, n in plan(e):
            Xb, Yb = gather()
            AL, caches = L_model_forward(Xb, Ws, bs)
            costs.append((n, compute_cost(AL, Yb)))
            L_model_backward(AL, Yb, caches, Ws, dWs, dbs)
            optimizer.step(args.lr)
            steps += 1
        if should_print(e, args):
            emit_cost(e, costs, args, emit)
    return steps


def train_autograd(plan, Ws, bs, args, emit):
    params = [p for pair in zip(Ws, bs) for p in pair]
    for p in params:
        p.requires_grad_(True)
    if args.optimizer == "gd":
        opt = torch.optim.SGD(params, lr=args.lr)
    else:
        opt = torch.optim.Adam(params, lr=args.lr, betas=(args.beta1, args.beta2),
                               eps=args.epsilon, foreach=True)
    steps = 0
    for e in range(args.iters):
        costs = []
        for gather, n in plan(e):
            Xb, Yb = gather()
            AL, _ = L_model_forward(Xb, Ws, bs)
            cost = compute_cost(AL, Yb)
            cost.backward()
            opt.step()
            opt.zero_grad(set_to_none=True)
            costs.append((n, cost.detach()))
            steps += 1
        if should_print(e, args):
            emit_cost(e, costs, args, emit)
    for p in params:
        p.requires_grad_(False)
    return steps


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
    m = X.shape[1]
    XT = torch.from_numpy(np.ascontiguousarray(X.T)).to(dtype)  # (examples, features)
    Y = torch.from_numpy(np.ascontiguousarray(Y)).to(dtype)
    del X
    orders = []
    if args.batch_size > 0:
        counter_rng = load_counter_rng()
        orders = [torch.from_numpy(counter_rng.epoch_order(args.seed, e, m))
                  for e in range(args.iters)]
    plan = batch_plan(XT, Y, m, args, orders)

    init = initialize_parameters_deep(layer_dims, args.init, args.seed)
    L = len(layer_dims) - 1
    shapes = [s for l in range(1, L + 1) for s in (init["W%d" % l].shape, init["b%d" % l].shape)]
    P, views = arena(shapes, dtype)
    G, gviews = arena(shapes, dtype)
    for l in range(1, L + 1):
        views[2 * l - 2].copy_(torch.from_numpy(init["W%d" % l]))
    Ws, bs = views[0::2], views[1::2]
    print("torch %s, %s, %d thread(s), OpenBLAS %s thread(s), %s mode, X %s, batch %s, %s" % (
          torch.__version__, args.dtype, torch.get_num_threads(),
          os.environ["OPENBLAS_NUM_THREADS"], args.mode, (XT.shape[1], XT.shape[0]),
          args.batch_size or "full", args.optimizer), flush=True)

    emit = lambda line: print(line, flush=True)  # noqa: E731
    if args.mode == "manual":
        optimizer = FlatOptimizer(P, G, args)
        with torch.no_grad():
            start = time.perf_counter()
            steps = train_manual(plan, Ws, bs, gviews[0::2], gviews[1::2], optimizer, args, emit)
            elapsed = time.perf_counter() - start
    else:
        # autograd needs leaves: the parameters as tensors of their own
        Ws = [w.clone() for w in Ws]
        bs = [b.clone() for b in bs]
        start = time.perf_counter()
        steps = train_autograd(plan, Ws, bs, args, emit)
        elapsed = time.perf_counter() - start
    with torch.no_grad():
        AL, _ = L_model_forward(XT.t(), Ws, bs)
        accuracy = ((AL > 0.5).to(dtype) == Y).to(torch.float64).mean().item()
        final_cost = compute_cost(AL, Y).item()
    print("Train accuracy: %.17g" % accuracy)
    print("Train cost: %.17g" % final_cost)  # of the final parameters, on every example
    print("Training time: %.3f s" % elapsed, file=sys.stderr)
    if args.timing:
        print("steps: %d updates, %.6f s per update" % (steps, elapsed / steps), file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
