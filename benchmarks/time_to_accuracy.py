"""Seconds of training until a stated validation accuracy, scratchnn beside MLPClassifier.

Usage::

    python -m benchmarks.accuracy --time-to-accuracy          # both problems
    python -m benchmarks.time_to_accuracy --problems digits --budget 100

Every row trains the same network (one hidden layer of 100 relu units, softmax output, scikit-learn's
initialization) on standardized features, and is timed epoch by epoch (or, for L-BFGS,
iteration by iteration) until its accuracy on a held-out validation set first reaches the
problem's target. Only training is timed: scoring the validation set after each epoch is left out
of every clock. Rows:

- scratchnn: ``NNClassifier`` with ``adam``; ``adam`` with ``lr_schedule="cosine"``; ``adamw``
  (weight decay 0.01); ``lbfgs``. The accuracy is checked by a callback after every epoch or
  L-BFGS iteration, so the time is exact.
- scikit-learn: ``MLPClassifier`` with ``adam``, one epoch per ``partial_fit`` call (exact); and
  ``lbfgs``, which has no per-iteration hook: it is fitted afresh with growing iteration budgets
  (5, 10, 15, 20, 30, 40, 60, ...) and the time of the first fit that reaches the target is
  reported, so its figure can be up to 1.5x its true time.

Both use the same learning rate (0.001), mini-batches of 200 and no L2 penalty. A row that never
reaches the target within the budget says so with the best accuracy it reached.

Problems: scikit-learn's bundled ``digits`` (1,797 images, 10 classes, target 0.96) and a harder
generated one, ``make_classification`` with 20,000 examples, 40 features of which 20 informative,
8 classes with 2 clusters each and 5% flipped labels (target 0.80: the best any row reaches in
200 epochs is about 0.81).
"""

import argparse
import sys
import time
import warnings

import numpy as np

PROBLEMS = {"digits": 0.96, "generated": 0.80}
ITERATION_BUDGETS = (5, 10, 15, 20, 30, 40, 60, 80, 120, 160, 240, 320, 480, 640, 960)


def problem(name):
    from sklearn.datasets import load_digits, make_classification
    from sklearn.model_selection import train_test_split
    from sklearn.preprocessing import StandardScaler

    if name == "digits":
        X, y = load_digits(return_X_y=True)
    else:
        X, y = make_classification(n_samples=20000, n_features=40, n_informative=20,
                                   n_redundant=5, n_classes=8, n_clusters_per_class=2,
                                   flip_y=0.05, random_state=0)
    X_train, X_val, y_train, y_val = train_test_split(X, y, test_size=0.25, stratify=y,
                                                      random_state=0)
    scaler = StandardScaler().fit(X_train)
    return scaler.transform(X_train), scaler.transform(X_val), y_train, y_val


class _Clock:
    """Training time so far, and when (if ever) the target was first reached."""

    def __init__(self, target):
        self.target, self.elapsed, self.best, self.reached = target, 0.0, 0.0, None
        self.epochs = 0

    def record(self, seconds, accuracy):
        self.elapsed += seconds
        self.epochs += 1
        self.best = max(self.best, accuracy)
        if self.reached is None and accuracy >= self.target:
            self.reached = (self.elapsed, self.epochs)
        return self.reached is not None


def scratchnn_row(X, X_val, y, y_val, target, budget, **params):
    """Train an NNClassifier with a callback that scores and stops at the target."""
    from scratchnn.callbacks import Callback
    from scratchnn.sklearn import NNClassifier

    clock = _Clock(target)
    X_val_columns = np.ascontiguousarray(X_val.T)

    class StopAtTarget(Callback):
        def on_train_begin(self, model):
            self.model, self.start = model, time.perf_counter()

        def on_epoch_end(self, epoch, logs):
            seconds = time.perf_counter() - self.start
            accuracy = float(np.mean(self.model.predict(X_val_columns)[0] == y_val))
            done = clock.record(seconds, accuracy)
            self.start = time.perf_counter()  # scoring is not training: restart the clock
            return done

    NNClassifier(hidden_layer_sizes=(100,), learning_rate=1e-3, batch_size=200,
                 max_epochs=budget, n_iter_no_change=budget, tol=0.0, random_state=0,
                 preset="mlp",  # every row trained on, as MLPClassifier's
                 callbacks=[StopAtTarget()], **params).fit(X, y)
    return clock


def mlp_adam_row(X, X_val, y, y_val, target, budget):
    from sklearn.neural_network import MLPClassifier

    clock = _Clock(target)
    clf = MLPClassifier(hidden_layer_sizes=(100,), solver="adam", learning_rate_init=1e-3,
                        batch_size=200, alpha=0.0, random_state=0)
    classes = np.unique(y)
    for _ in range(budget):
        start = time.perf_counter()
        clf.partial_fit(X, y, classes=classes)
        seconds = time.perf_counter() - start
        if clock.record(seconds, clf.score(X_val, y_val)):
            break
    return clock


def mlp_lbfgs_row(X, X_val, y, y_val, target, budget):
    from sklearn.exceptions import ConvergenceWarning
    from sklearn.neural_network import MLPClassifier

    clock = _Clock(target)
    for iterations in (b for b in ITERATION_BUDGETS if b <= budget):
        clf = MLPClassifier(hidden_layer_sizes=(100,), solver="lbfgs", alpha=0.0,
                            max_iter=iterations, random_state=0)
        start = time.perf_counter()
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ConvergenceWarning)
            clf.fit(X, y)
        seconds = time.perf_counter() - start
        accuracy = clf.score(X_val, y_val)
        clock.best = max(clock.best, accuracy)
        if accuracy >= target:
            clock.reached = (seconds, iterations)
            break
    return clock


ROWS = {
    "scratchnn adam": lambda *a: scratchnn_row(*a, optimizer="adam"),
    "scratchnn adam + cosine": lambda *a: scratchnn_row(*a, optimizer="adam",
                                                       lr_schedule="cosine"),
    "scratchnn adamw": lambda *a: scratchnn_row(*a, optimizer="adamw"),
    "scratchnn lbfgs": lambda *a: scratchnn_row(*a, optimizer="lbfgs"),
    "MLPClassifier adam": mlp_adam_row,
    "MLPClassifier lbfgs": mlp_lbfgs_row,
}


def run(problem_names, budget):
    lines = ["| problem (target) | trainer | seconds to target | epochs / iterations | "
             "best accuracy |", "|---|---|---:|---:|---:|"]
    for name in problem_names:
        X, X_val, y, y_val = problem(name)
        target = PROBLEMS[name]
        for label, row in ROWS.items():
            clock = row(X, X_val, y, y_val, target, budget)
            if clock.reached is None:
                seconds, count = "not reached", f"> {budget}"
            else:
                seconds, count = f"{clock.reached[0]:.3f}", str(clock.reached[1])
            lines.append(f"| {name} ({target}) | {label} | {seconds} | {count} | "
                         f"{clock.best:.4f} |")
            print(f"{name}: {label} done", file=sys.stderr)
    return "\n".join(lines)


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python -m benchmarks.time_to_accuracy",
                                     description=__doc__.split("\n")[0])
    parser.add_argument("--problems", nargs="+", choices=sorted(PROBLEMS),
                        default=sorted(PROBLEMS))
    parser.add_argument("--budget", type=int, default=200,
                        help="most epochs (or L-BFGS iterations) per row")
    args = parser.parse_args(argv)
    if args.budget < 1:
        parser.error("--budget must be >= 1")
    print(run(args.problems, args.budget))
    return 0


if __name__ == "__main__":
    sys.exit(main())
