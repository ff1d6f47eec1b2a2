"""What the check at the end of every training run costs, against one W2 epoch.

Usage::

    python -m benchmarks.training_check              # W2: 20,000 x 784 -> 256 -> 128 -> 10
    python -m benchmarks.training_check --rows 2000 --repeats 3

The check (:func:`scratchnn.diagnostics.end_of_training_problems`, which
:func:`scratchnn.training.fit` runs once when a run ends) is one forward pass in inference mode
over at most 512 training rows plus the norms of the last step's weight gradients. The epoch is
timed with the check switched off, the check alone on the trained model and its last block; both
are medians of ``--repeats`` alternating runs. The goal: under 2% of the epoch.
"""

import argparse
import time

import numpy as np

from scratchnn import ClassifierNN, training
from scratchnn.diagnostics import end_of_training_problems

from .run import WORKLOADS, mnist_shaped


def measure(rows, repeats):
    """``(epoch seconds, check seconds)``: medians over ``repeats`` alternating runs."""
    spec = WORKLOADS["W2"]
    X, y = mnist_shaped(rows)
    XT, Y = X.T, y.reshape(1, -1)
    dims = [784, *spec["hidden"], 10]
    epochs, checks = [], []
    real_check = training.warn_about_problems
    training.warn_about_problems = lambda run: None  # the epoch alone
    try:
        for _ in range(repeats):
            nn = ClassifierNN(dims, ["relu", "relu", "softmax"], seed=0)
            start = time.perf_counter()
            nn.train(XT, Y, loss="SparseCategoricalCrossEntropy", num_epochs=1,
                     learning_rate=spec["lr"], batch_size=spec["batch"], optimizer="adam",
                     print_cost=False)
            epochs.append(time.perf_counter() - start)
            start = time.perf_counter()
            end_of_training_problems(nn, X, grads=True)  # X: the one block, as rows
            checks.append(time.perf_counter() - start)
    finally:
        training.warn_about_problems = real_check
    return float(np.median(epochs)), float(np.median(checks))


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python -m benchmarks.training_check",
                                     description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=20000, help="training rows (W2: 20000)")
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args(argv)
    if args.rows < 1 or args.repeats < 1:
        parser.error("--rows and --repeats must be at least 1")
    epoch, check = measure(args.rows, args.repeats)
    print(f"one epoch ({args.rows:,} x 784 -> 256 -> 128 -> 10, batch 128, Adam): "
          f"{epoch * 1e3:.1f} ms")
    print(f"end-of-training check: {check * 1e3:.2f} ms = {100 * check / epoch:.2f}% of the epoch")


if __name__ == "__main__":
    main()
