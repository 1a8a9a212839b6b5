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


def L_model_forward(X, parameters):
    caches = []
    A = X
    L = len(parameters) // 2
    for l in range(1, L):
        A_prev = A
        A, cache = linear_activation_forward(A_prev, parameters["W" + str(l)],
                                             parameters["b" + str(l)], "relu")
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


def L_model_backward(AL, Y, caches):
    grads = {}
    L = len(caches)
    Y = Y.reshape(AL.shape)
    dAL = -(np.divide(Y, AL) - np.divide(1 - Y, 1 - AL))
    dA_prev, dW, db = linear_activation_backward(dAL, caches[L - 1], "sigmoid")
    grads["dA" + str(L - 1)] = dA_prev
    grads["dW" + str(L)] = dW
    grads["db" + str(L)] = db
    for l in reversed(range(L - 1)):
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


def predict(X, y, parameters):
    probas, _ = L_model_forward(X, parameters)
    p = (probas > 0.5).astype(X.dtype)
    return np.mean(p == y)


def L_layer_model(X, Y, parameters, learning_rate, num_iterations, print_every, emit):
    for i in range(num_iterations):
        AL, caches = L_model_forward(X, parameters)
        cost = compute_cost(AL, Y)
        grads = L_model_backward(AL, Y, caches)
        parameters = update_parameters(parameters, grads, learning_rate)
        if i % print_every == 0 or i == num_iterations - 1:
            emit("Cost after iteration %d: %.17g" % (i, cost))
    return parameters


def main():
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--train", required=True)
    ap.add_argument("--test", required=True)
    ap.add_argument("--layers", required=True, help="comma-separated, e.g. 12288,7,1")
    ap.add_argument("--init", default="normal-0.01", choices=["normal-0.01", "lecun", "he"])
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--lr", type=float, default=0.0075)
    ap.add_argument("--iters", type=int, default=2500)
    ap.add_argument("--print-every", type=int, default=100)
    ap.add_argument("--dtype", default="float64", choices=["float32", "float64"])
    ap.add_argument("--out")
    ap.add_argument("--timing", action="store_true")
    args = ap.parse_args()

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
    parameters = L_layer_model(train_x, train_y, parameters, args.lr, args.iters,
                               args.print_every, emit)
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
