#!/usr/bin/python3
"""Independent numpy reference of the course's L-layer model
("Building your deep neural network step by step", Andrew Ng)."""
import argparse
import os
import shlex
import sys
import time

import h5py
import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import counter_rng  # noqa: E402  (tests/reference/counter_rng.py)


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


def initialize_parameters_deep(layer_dims, init, seed):
    np.random.seed(seed)
    parameters = {}
    L = len(layer_dims)
    for l in range(1, L):
        W = np.random.randn(layer_dims[l], layer_dims[l - 1])
        if init == "normal-0.01":
            W = W * 0.01
        elif init == "lecun":
            W = W / np.sqrt(layer_dims[l - 1])
        elif init == "he":
            W = W * np.sqrt(2.0 / layer_dims[l - 1])
        else:
            raise ValueError("unknown init: " + init)
        parameters["W" + str(l)] = W
        parameters["b" + str(l)] = np.zeros((layer_dims[l], 1))
    return parameters


def sigmoid(Z):
    A = 1 / (1 + np.exp(-Z))
    return A, Z


def relu(Z):
    A = np.maximum(0, Z)
    return A, Z


def linear_forward(A, W, b):
    Z = np.dot(W, A) + b
    cache = (A, W, b)
    return Z, cache


def linear_activation_forward(A_prev, W, b, activation):
    Z, linear_cache = linear_forward(A_prev, W, b)
    if activation == "sigmoid":
        A, activation_cache = sigmoid(Z)
    elif activation == "relu":
        A, activation_cache = relu(Z)
    cache = (linear_cache, activation_cache)
    return A, cache


def L_model_forward(X, parameters, keep_prob=1.0, dropout=None, masks=None):
    """Without dropout (dropout None), the course's L_model_forward. With it, inverted
    dropout on each hidden layer's activations as "Improving Deep Neural Networks" writes
    it (A = A * D; A = A / keep_prob): dropout(l, units) gives D_l, a boolean
    (units, batch) array of the kept units, and masks[l] records it for the backward."""
    caches = []
    A = X
    L = len(parameters) // 2
    for l in range(1, L):
        A_prev = A
        A, cache = linear_activation_forward(A_prev, parameters["W" + str(l)],
                                             parameters["b" + str(l)], "relu")
        if dropout is not None:
            D = dropout(l, A.shape[0])
            A = A * D
            A = A / keep_prob
            masks[l] = D
        caches.append(cache)
    AL, cache = linear_activation_forward(A, parameters["W" + str(L)],
                                          parameters["b" + str(L)], "sigmoid")
    caches.append(cache)
    return AL, caches


def compute_cost(AL, Y):
    m = Y.shape[1]
    cost = (-1 / m) * np.sum(Y * np.log(AL) + (1 - Y) * np.log(1 - AL))
    return np.squeeze(cost)


def linear_backward(dZ, cache):
    A_prev, W, b = cache
    m = A_prev.shape[1]
    dW = 1 / m * np.dot(dZ, A_prev.T)
    db = 1 / m * np.sum(dZ, axis=1, keepdims=True)
    dA_prev = np.dot(W.T, dZ)
    return dA_prev, dW, db


def relu_backward(dA, cache):
    Z = cache
    dZ = np.array(dA, copy=True)
    dZ[Z <= 0] = 0
    return dZ


def sigmoid_backward(dA, cache):
    Z = cache
    s = 1 / (1 + np.exp(-Z))
    dZ = dA * s * (1 - s)
    return dZ


def linear_activation_backward(dA, cache, activation):
    linear_cache, activation_cache = cache
    if activation == "relu":
        dZ = relu_backward(dA, activation_cache)
    elif activation == "sigmoid":
        dZ = sigmoid_backward(dA, activation_cache)
    return linear_backward(dZ, linear_cache)


def L_model_backward(AL, Y, caches, keep_prob=1.0, masks=None):
    """masks (layer -> D_l) from a dropout forward: dA_l = dA_l * D_l / keep_prob before
    the ReLU backward of hidden layer l, as the course's backward_propagation_with_dropout."""
    grads = {}
    L = len(caches)
    Y = Y.reshape(AL.shape)
    dAL = -(np.divide(Y, AL) - np.divide(1 - Y, 1 - AL))
    dA_prev, dW, db = linear_activation_backward(dAL, caches[L - 1], "sigmoid")
    grads["dA" + str(L - 1)] = dA_prev
    grads["dW" + str(L)] = dW
    grads["db" + str(L)] = db
    for l in reversed(range(L - 1)):
        if masks:
            dA = grads["dA" + str(l + 1)] * masks[l + 1]
            grads["dA" + str(l + 1)] = dA / keep_prob
        dA_prev, dW, db = linear_activation_backward(grads["dA" + str(l + 1)], caches[l], "relu")
        grads["dA" + str(l)] = dA_prev
        grads["dW" + str(l + 1)] = dW
        grads["db" + str(l + 1)] = db
    return grads


def update_parameters(params, grads, learning_rate):
    parameters = params.copy()
    L = len(parameters) // 2
    for l in range(L):
        parameters["W" + str(l + 1)] = parameters["W" + str(l + 1)] - learning_rate * grads["dW" + str(l + 1)]
        parameters["b" + str(l + 1)] = parameters["b" + str(l + 1)] - learning_rate * grads["db" + str(l + 1)]
    return parameters


# "Improving Deep Neural Networks": L2 regularization, momentum, Adam, learning-rate decay,
# each as the course writes it.
def compute_cost_with_regularization(AL, Y, parameters, lambd):
    m = Y.shape[1]
    L = len(parameters) // 2
    cross_entropy_cost = compute_cost(AL, Y)
    squares = 0.0
    for l in range(1, L + 1):
        squares = squares + np.sum(np.square(parameters["W" + str(l)]))
    L2_regularization_cost = (1 / m) * (lambd / 2) * squares
    return cross_entropy_cost + L2_regularization_cost


def add_regularization(grads, parameters, lambd, m):
    L = len(parameters) // 2
    for l in range(1, L + 1):
        grads["dW" + str(l)] = grads["dW" + str(l)] + (lambd * parameters["W" + str(l)]) / m
    return grads


def initialize_velocity(parameters):
    L = len(parameters) // 2
    v = {}
    for l in range(1, L + 1):
        v["dW" + str(l)] = np.zeros(parameters["W" + str(l)].shape)
        v["db" + str(l)] = np.zeros(parameters["b" + str(l)].shape)
    return v


def update_parameters_with_momentum(parameters, grads, v, beta, learning_rate):
    L = len(parameters) // 2
    for l in range(1, L + 1):
        for p in ("W", "b"):
            v["d" + p + str(l)] = beta * v["d" + p + str(l)] + (1 - beta) * grads["d" + p + str(l)]
            parameters[p + str(l)] = parameters[p + str(l)] - learning_rate * v["d" + p + str(l)]
    return parameters, v


def initialize_adam(parameters):
    return initialize_velocity(parameters), initialize_velocity(parameters)


def update_parameters_with_adam(parameters, grads, v, s, t, learning_rate, beta1, beta2, epsilon):
    L = len(parameters) // 2
    for l in range(1, L + 1):
        for p in ("W", "b"):
            k = "d" + p + str(l)
            v[k] = beta1 * v[k] + (1 - beta1) * grads[k]
            v_corrected = v[k] / (1 - beta1 ** t)
            s[k] = beta2 * s[k] + (1 - beta2) * np.power(grads[k], 2)
            s_corrected = s[k] / (1 - beta2 ** t)
            parameters[p + str(l)] = parameters[p + str(l)] - learning_rate * v_corrected / (np.sqrt(s_corrected) + epsilon)
    return parameters, v, s


def update_lr(learning_rate0, epoch_num, decay_rate):
    return learning_rate0 / (1 + decay_rate * epoch_num)


def schedule_lr_decay(learning_rate0, epoch_num, decay_rate, time_interval):
    return learning_rate0 / (1 + decay_rate * np.floor(epoch_num / time_interval))


def predict(X, y, parameters):
    probas, _ = L_model_forward(X, parameters)
    p = (probas > 0.5).astype(X.dtype)
    return np.mean(p == y)


def learning_rate_at(learning_rate0, epoch, opt):
    """The rate of (0-based) epoch e: lr0, lr0 / (1 + rate*e), or stepped."""
    if opt and opt.lr_decay > 0:
        if opt.decay_interval > 0:
            return schedule_lr_decay(learning_rate0, epoch, opt.lr_decay, opt.decay_interval)
        return update_lr(learning_rate0, epoch, opt.lr_decay)
    return learning_rate0


class Optimizer:
    """The optimizer's state across steps: momentum's v, Adam's v, s and t (Adam's t
    counts the steps from 1, across epochs)."""

    def __init__(self, parameters, opt):
        self.opt = opt
        self.kind = opt.optimizer if opt else "gd"
        self.v, self.s = initialize_adam(parameters) if self.kind != "gd" else (None, None)
        self.t = 0

    def update(self, parameters, grads, lr):
        opt = self.opt
        if self.kind == "gd":
            return update_parameters(parameters, grads, lr)
        if self.kind == "momentum":
            parameters, self.v = update_parameters_with_momentum(parameters, grads, self.v,
                                                                 opt.beta1, lr)
            return parameters
        self.t = self.t + 1
        parameters, self.v, self.s = update_parameters_with_adam(
            parameters, grads, self.v, self.s, self.t, lr, opt.beta1, opt.beta2, opt.epsilon)
        return parameters


def train_step(X, Y, examples, parameters, optimizer, lr, step, opt):
    """One update on the batch (X, Y), whose columns are the examples of global (data
    file) indices `examples`; step is the number of updates made before this one. The
    cost (cross-entropy mean over the batch, plus (lambda / 2m) sum ||W||^2 with m the
    batch's size) is the forward's, before the update. Returns (parameters, cost)."""
    lambd = opt.l2 if opt else 0.0
    keep_prob = opt.dropout if opt else 1.0
    m = Y.shape[1]
    dropout, masks = None, None
    if keep_prob < 1:
        masks = {}

        def dropout(l, units):
            return counter_rng.dropout_mask(opt.seed, step, l, examples, units, keep_prob)
    AL, caches = L_model_forward(X, parameters, keep_prob, dropout, masks)
    cost = compute_cost(AL, Y) if lambd == 0 else compute_cost_with_regularization(AL, Y, parameters, lambd)
    grads = L_model_backward(AL, Y, caches, keep_prob, masks)
    if lambd > 0:
        grads = add_regularization(grads, parameters, lambd, m)
    parameters = optimizer.update(parameters, grads, lr)
    return parameters, cost


def L_layer_model(X, Y, parameters, learning_rate, num_iterations, print_every, emit,
                  opt=None):
    """Full-batch training: each iteration is one epoch. opt (argparse's namespace or
    None) chooses the optimizer, L2, dropout and the decay schedule; the rate of
    iteration e is the schedule's at epoch e. With dropout, the batch is every example
    in file order and the step is the iteration."""
    m = Y.shape[1]
    optimizer = Optimizer(parameters, opt)
    examples = np.arange(m)
    for i in range(num_iterations):
        lr = learning_rate_at(learning_rate, i, opt)
        parameters, cost = train_step(X, Y, examples, parameters, optimizer, lr, i, opt)
        if i % print_every == 0 or i == num_iterations - 1:
            emit("Cost after iteration %d: %.17g" % (i, cost))
    return parameters


def batches_per_epoch(m, batch_size, drop_last):
    return m // batch_size if drop_last else (m + batch_size - 1) // batch_size


def L_layer_model_minibatch(X, Y, parameters, learning_rate, num_epochs, batch_size,
                            drop_last, print_every, emit, opt):
    """Mini-batch training. Epoch e visits the examples in counter_rng.epoch_order(seed,
    e, m); batch b is order[b*B : min((b+1)*B, m)] (the last, smaller one left out with
    drop_last); each batch is one update. The rate is the schedule's at epoch e. Printed
    at the end of epoch e (e % print_every == 0 or the last): the batch costs' mean
    weighted by batch size, sum(B_b * cost_b) / sum(B_b), summed in batch order in
    double precision."""
    m = Y.shape[1]
    optimizer = Optimizer(parameters, opt)
    n_batches = batches_per_epoch(m, batch_size, drop_last)
    step = 0
    for e in range(num_epochs):
        lr = learning_rate_at(learning_rate, e, opt)
        order = counter_rng.epoch_order(opt.seed, e, m)
        weighted, count = 0.0, 0
        for b in range(n_batches):
            idx = order[b * batch_size:min((b + 1) * batch_size, m)]
            parameters, cost = train_step(X[:, idx], Y[:, idx], idx, parameters, optimizer,
                                          lr, step, opt)
            step += 1
            weighted += len(idx) * float(cost)
            count += len(idx)
        if e % print_every == 0 or e == num_epochs - 1:
            emit("Cost after epoch %d: %.17g" % (e, weighted / count))
    return parameters


def main():
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--train", required=True)
    ap.add_argument("--test", required=True)
    ap.add_argument("--layers", required=True, help="comma-separated, e.g. 12288,7,1")
    ap.add_argument("--init", default="normal-0.01", choices=["normal-0.01", "lecun", "he"])
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--lr", type=float, default=0.0075)
    ap.add_argument("--iters", type=int, default=2500,
                    help="full-batch iterations (the run's length when --epochs is not given)")
    ap.add_argument("--epochs", type=int,
                    help="the run's length in epochs (overrides --iters; with --batch-size 0 "
                    "an epoch is one iteration)")
    ap.add_argument("--batch-size", type=int, default=0,
                    help="mini-batch size; 0 (default) is full batch")
    ap.add_argument("--drop-last", action="store_true",
                    help="leave out each epoch's last, smaller batch")
    ap.add_argument("--dropout", type=float, default=1.0, metavar="KEEP_PROB",
                    help="inverted dropout on the hidden layers with this keep "
                    "probability, in (0, 1]; 1 (default) is none")
    ap.add_argument("--print-every", type=int, default=100)
    ap.add_argument("--dtype", default="float64", choices=["float32", "float64"])
    ap.add_argument("--optimizer", default="gd", choices=["gd", "momentum", "adam"])
    ap.add_argument("--beta1", type=float, default=0.9)
    ap.add_argument("--beta2", type=float, default=0.999)
    ap.add_argument("--epsilon", type=float, default=1e-8)
    ap.add_argument("--l2", type=float, default=0.0)
    ap.add_argument("--lr-decay", type=float, default=0.0)
    ap.add_argument("--decay-interval", type=int, default=0)
    ap.add_argument("--out")
    ap.add_argument("--timing", action="store_true")
    args = ap.parse_args()
    if args.epochs is not None:
        args.iters = args.epochs
    if args.iters < 1:
        ap.error("--iters/--epochs must be >= 1")
    if args.print_every < 1:
        ap.error("--print-every must be >= 1")
    if args.batch_size < 0:
        ap.error("--batch-size must be >= 0")
    if not 0 < args.dropout <= 1:
        ap.error("--dropout KEEP_PROB must be in (0, 1]")

    layer_dims = [int(n) for n in args.layers.split(",")]
    dtype = np.dtype(args.dtype)
    train_x, train_y = load_data(args.train)
    test_x, test_y = load_data(args.test)
    if train_x.shape[0] != layer_dims[0]:
        sys.exit("input size %d does not match layers[0] = %d" % (train_x.shape[0], layer_dims[0]))
    train_x, train_y = train_x.astype(dtype), train_y.astype(dtype)
    test_x, test_y = test_x.astype(dtype), test_y.astype(dtype)

    parameters = initialize_parameters_deep(layer_dims, args.init, args.seed)
    parameters = {k: v.astype(dtype) for k, v in parameters.items()}

    lines = []

    def emit(line):
        print(line, flush=True)
        lines.append(line)

    start = time.perf_counter()
    if args.batch_size == 0:
        parameters = L_layer_model(train_x, train_y, parameters, args.lr, args.iters,
                                   args.print_every, emit, args)
    else:
        if batches_per_epoch(train_y.shape[1], args.batch_size, args.drop_last) == 0:
            sys.exit("--drop-last with --batch-size %d > %d examples leaves no batch"
                     % (args.batch_size, train_y.shape[1]))
        parameters = L_layer_model_minibatch(train_x, train_y, parameters, args.lr, args.iters,
                                             args.batch_size, args.drop_last,
                                             args.print_every, emit, args)
    elapsed = time.perf_counter() - start
    emit("Train accuracy: %.17g" % predict(train_x, train_y, parameters))
    emit("Test accuracy: %.17g" % predict(test_x, test_y, parameters))
    if args.timing:
        print("Training time: %.3f s" % elapsed, file=sys.stderr)

    if args.out:
        with open(args.out, "w") as f:
            f.write("# generated by tests/reference/course_model.py (numpy reference of the course model)\n")
            f.write("# command: %s %s\n" % (sys.executable, " ".join(shlex.quote(a) for a in sys.argv)))
            f.write("# numpy %s, OPENBLAS_NUM_THREADS=%s\n"
                    % (np.__version__, os.environ.get("OPENBLAS_NUM_THREADS", "unset")))
            for line in lines:
                f.write(line + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
