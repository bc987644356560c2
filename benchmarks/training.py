"""Seconds per epoch of the project's NumPy nets against scikit-learn and Keras.

All contenders train the same 100 -> 512 -> 256 -> n_genres multi-label net
(ReLU hidden layers, sigmoid outputs, binary cross-entropy) with batch 32 on
the same data in one process:

* ours: :class:`art_genre.nn.MLP` + :func:`art_genre.nn.fit` with SGD(0.01)
  (the study's SNN) and Adam(0.001) (its Adam net), float32;
* scikit-learn ``MLPClassifier`` with ``solver="sgd"`` (no momentum) and
  ``solver="adam"``;
* a Keras ``Sequential`` model of the same shape, if TensorFlow imports.

Usage::

    python benchmarks/training.py [--n-train 6684] [--features 100]
        [--genres 24] [--epochs 3] [--features-npz PATH]

``--features-npz`` takes an ``.npz`` with ``X`` (n x features) and ``Y``
(n x genres, binary); otherwise synthetic data are drawn.
"""

from __future__ import annotations

import argparse
import math
import os
import time
import warnings

import numpy as np

from art_genre.nn import MLP, SGD, Adam, fit

HIDDEN = (512, 256)
BATCH = 32


def make_data(
    n: int, features: int, genres: int, seed: int
) -> tuple[np.ndarray, np.ndarray]:
    """Synthetic PCA-like features and 1-3 genres per row (linear in X)."""
    rng = np.random.default_rng(seed)
    scale = 1.0 / np.sqrt(np.arange(1, features + 1))  # decaying PCA variances
    X = rng.standard_normal((n, features)) * scale
    scores = X @ rng.standard_normal((features, genres)) + rng.gumbel(size=(n, genres))
    Y = np.zeros((n, genres))
    top = np.argsort(-scores, axis=1)
    n_labels = rng.integers(1, 4, size=n)
    for i in range(n):
        Y[i, top[i, : n_labels[i]]] = 1.0
    return X.astype(np.float32), Y.astype(np.float32)


def load_data(path: str) -> tuple[np.ndarray, np.ndarray]:
    """Reads ``X`` and ``Y`` from an ``.npz`` file."""
    with np.load(path) as data:
        return data["X"].astype(np.float32), data["Y"].astype(np.float32)


def time_ours(X: np.ndarray, Y: np.ndarray, solver: str, epochs: int) -> float:
    """Seconds per epoch of our network with the given solver."""
    init, optimizer = ("small", SGD(0.01)) if solver == "sgd" else ("he", Adam(0.001))
    model = MLP(X.shape[1], HIDDEN, Y.shape[1], init=init, rng=np.random.default_rng(0))
    start = time.perf_counter()
    fit(
        model,
        optimizer,
        X,
        Y,
        epochs=epochs,
        batch_size=BATCH,
        rng=np.random.default_rng(1),
        log=lambda _msg: None,
    )
    return (time.perf_counter() - start) / epochs


def time_sklearn(
    X: np.ndarray, Y: np.ndarray, solver: str, epochs: int
) -> tuple[float, str]:
    """Seconds per epoch of scikit-learn's MLPClassifier and its weight dtype."""
    from sklearn.exceptions import ConvergenceWarning
    from sklearn.neural_network import MLPClassifier

    clf = MLPClassifier(
        hidden_layer_sizes=HIDDEN,
        batch_size=BATCH,
        solver=solver,
        learning_rate_init=0.01 if solver == "sgd" else 0.001,
        momentum=0.0,
        nesterovs_momentum=False,
        alpha=0.0,
        max_iter=epochs,
        tol=0.0,
        n_iter_no_change=epochs + 1,
        random_state=0,
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        start = time.perf_counter()
        clf.fit(X, Y.astype(int))
        seconds = time.perf_counter() - start
    return seconds / clf.n_iter_, clf.coefs_[0].dtype.name


def time_keras(
    X: np.ndarray, Y: np.ndarray, solver: str, epochs: int
) -> tuple[float, float] | None:
    """Seconds per epoch of a Keras model (mean, and mean after epoch 1)."""
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    try:
        import keras
    except ImportError:  # pragma: no cover - depends on the environment
        return None

    keras.utils.set_random_seed(0)
    model = keras.Sequential(
        [keras.Input((X.shape[1],))]
        + [keras.layers.Dense(h, activation="relu") for h in HIDDEN]
        + [keras.layers.Dense(Y.shape[1], activation="sigmoid")]
    )
    optimizer = (
        keras.optimizers.SGD(0.01) if solver == "sgd" else keras.optimizers.Adam(0.001)
    )
    model.compile(optimizer=optimizer, loss="binary_crossentropy")
    times: list[float] = []

    class Timer(keras.callbacks.Callback):
        def on_epoch_begin(self, epoch, logs=None):
            self.start = time.perf_counter()

        def on_epoch_end(self, epoch, logs=None):
            times.append(time.perf_counter() - self.start)

    model.fit(X, Y, batch_size=BATCH, epochs=epochs, verbose=0, callbacks=[Timer()])
    later = times[1:] or times
    return sum(times) / len(times), sum(later) / len(later)


def main() -> None:
    """Parses the arguments, runs every contender and prints seconds/epoch."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n-train", type=int, default=6684)
    parser.add_argument("--features", type=int, default=100)
    parser.add_argument("--genres", type=int, default=24)
    parser.add_argument("--epochs", type=int, default=3)
    parser.add_argument("--features-npz", default=None, help="npz with X and Y arrays")
    parser.add_argument("--no-keras", action="store_true", help="skip TensorFlow/Keras")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument(
        "--repeats", type=int, default=3, help="runs per contender; the fastest counts"
    )
    args = parser.parse_args()

    if args.features_npz:
        X, Y = load_data(args.features_npz)
    else:
        X, Y = make_data(args.n_train, args.features, args.genres, args.seed)
    print(
        f"data: {X.shape[0]} x {X.shape[1]} features, {Y.shape[1]} genres; "
        f"net {X.shape[1]}-{'-'.join(map(str, HIDDEN))}-{Y.shape[1]}, "
        f"batch {BATCH}, {args.epochs} epochs"
    )
    print(f"seconds per epoch, best of {args.repeats} run(s) per contender")
    for solver in ("sgd", "adam"):
        ours = sk = math.inf
        keras_mean = keras_steady = math.inf
        for _ in range(args.repeats):  # interleaved, so load spikes hit all alike
            ours = min(ours, time_ours(X, Y, solver, args.epochs))
            sk_seconds, sk_dtype = time_sklearn(X, Y, solver, args.epochs)
            sk = min(sk, sk_seconds)
            keras_times = (
                None if args.no_keras else time_keras(X, Y, solver, args.epochs)
            )
            if keras_times is not None:
                keras_mean = min(keras_mean, keras_times[0])
                keras_steady = min(keras_steady, keras_times[1])
        print(f"\n[{solver}]")
        rows = [
            ("ours (NumPy, float32)", ours),
            (f"sklearn MLPClassifier ({sk_dtype})", sk),
        ]
        if not args.no_keras and not math.isinf(keras_mean):
            rows.append(("keras Dense", keras_mean))
            rows.append(("keras Dense, epochs after the 1st", keras_steady))
        for label, seconds in rows:
            print(
                f"  {label:<36}{seconds:7.3f} s/epoch   ratio vs MLPClassifier {seconds / sk:5.2f}"
            )
        if not args.no_keras and math.isinf(keras_mean):
            print("  keras: not installed")


if __name__ == "__main__":
    main()
