"""Test accuracy of NNClassifier next to scikit-learn's MLPClassifier on four bundled datasets
(and test R² of NNRegressor next to MLPRegressor on two regression problems:
``benchmarks/regression_accuracy.py``).

Usage::

    python -m benchmarks.accuracy                    # 5 seeds, 200 epochs, all six datasets
    python -m benchmarks.accuracy --seeds 2 --epochs 50 --datasets iris wine
    python -m benchmarks.accuracy --datasets diabetes friedman1     # the regression rows only
    python -m benchmarks.accuracy --time-to-accuracy  # seconds to a target accuracy instead
                                                      # (benchmarks/time_to_accuracy.py)

Every model is ``Pipeline(StandardScaler(), classifier)`` with one hidden layer of 100 relu
units, Adam (learning rate 0.001), mini-batches of ``min(200, n)`` and the same number of epochs:
``n_iter_no_change`` is set to the number of epochs for both, so neither stops early. Apart from
that each classifier keeps its defaults (MLPClassifier's ``alpha=1e-4`` L2 penalty included;
NNClassifier's ``l2`` is 0). Each seed draws a new stratified 75/25 train/test split and a new
initialization. The table shows the mean and standard deviation of the test accuracy over the
seeds, and the total fitting time of each row; a last row compares NNClassifier with
MLPClassifier seed by seed (same split, paired difference). The datasets ship with scikit-learn:
no download.
"""

import argparse
import statistics
import sys
import time
import warnings

from .regression_accuracy import DATASETS as REGRESSION
from .regression_accuracy import report as regression_report

DATASETS = ("iris", "wine", "breast_cancer", "digits")
MLP, OURS = "MLPClassifier (scikit-learn)", "NNClassifier"


def models(epochs, seed):
    """(row label, classifier) pairs for one seed."""
    from sklearn.neural_network import MLPClassifier

    from scratchnn.sklearn import NNClassifier

    common = dict(hidden_layer_sizes=(100,), n_iter_no_change=epochs, random_state=seed)
    return [
        (MLP, MLPClassifier(max_iter=epochs, **common)),
        (OURS, NNClassifier(max_epochs=epochs, **common)),
        ("NNClassifier, dropout 0.2", NNClassifier(max_epochs=epochs, dropout=0.2, **common)),
        ("NNClassifier, batch norm", NNClassifier(max_epochs=epochs, batch_norm=True, **common)),
        ("NNClassifier, dropout 0.2 + batch norm",
         NNClassifier(max_epochs=epochs, dropout=0.2, batch_norm=True, **common)),
    ]


def load(name):
    from sklearn import datasets

    return getattr(datasets, f"load_{name}")(return_X_y=True)


def run(dataset_names, seeds, epochs):
    """Return {row: {dataset: [accuracy per seed]}} and {row: total seconds}."""
    from sklearn.exceptions import ConvergenceWarning
    from sklearn.model_selection import train_test_split
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    scores, seconds = {}, {}
    for name in dataset_names:
        X, y = load(name)
        for seed in range(seeds):
            X_train, X_test, y_train, y_test = train_test_split(
                X, y, test_size=0.25, stratify=y, random_state=seed)
            for label, classifier in models(epochs, seed):
                pipeline = make_pipeline(StandardScaler(), classifier)
                start = time.perf_counter()
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore", ConvergenceWarning)
                    pipeline.fit(X_train, y_train)
                seconds[label] = seconds.get(label, 0.0) + time.perf_counter() - start
                scores.setdefault(label, {}).setdefault(name, []).append(
                    pipeline.score(X_test, y_test))
        print(f"{name} done", file=sys.stderr)
    return scores, seconds


def table(scores, seconds, dataset_names, kind="classifier", ours=OURS, other=MLP):
    """The markdown table: one row per model (a ``kind``), mean ± std test score per dataset, and
    a last row of the paired difference ``ours`` − ``other``."""
    header = f"| {kind} | " + " | ".join(dataset_names) + " | fit time (s) |"
    lines = [header, "|---" * (len(dataset_names) + 2) + "|"]
    for label, by_dataset in scores.items():
        cells = []
        for name in dataset_names:
            values = by_dataset[name]
            spread = statistics.stdev(values) if len(values) > 1 else 0.0
            cells.append(f"{statistics.mean(values):.3f} ± {spread:.3f}")
        lines.append(f"| {label} | " + " | ".join(cells) + f" | {seconds[label]:.1f} |")
    # The two estimators see the same split for each seed, so compare them seed by seed: the
    # mean difference and its standard error say whether a gap is more than noise.
    cells = []
    for name in dataset_names:
        differences = [a - b for a, b in zip(scores[ours][name], scores[other][name])]
        error = (statistics.stdev(differences) / len(differences) ** 0.5
                 if len(differences) > 1 else 0.0)
        cells.append(f"{statistics.mean(differences):+.3f} ± {error:.3f}")
    lines.append(f"| {ours} − {other.split(' (')[0]}, paired (± standard error) | "
                 + " | ".join(cells) + " | |")
    return "\n".join(lines)


def main(argv=None):
    argv = sys.argv[1:] if argv is None else list(argv)
    if "--time-to-accuracy" in argv:
        from .time_to_accuracy import main as time_to_accuracy

        argv.remove("--time-to-accuracy")
        return time_to_accuracy(argv)
    parser = argparse.ArgumentParser(prog="python -m benchmarks.accuracy",
                                     description=__doc__.split("\n")[0])
    parser.add_argument("--seeds", type=int, default=5, help="splits and initializations")
    parser.add_argument("--epochs", type=int, default=200, help="epochs for every classifier")
    parser.add_argument("--datasets", nargs="+", choices=DATASETS + REGRESSION,
                        default=list(DATASETS + REGRESSION),
                        help="classification (the accuracy table) and regression (the R² table)")
    parser.add_argument("--time-to-accuracy", action="store_true",
                        help="report seconds to a target validation accuracy instead "
                             "(see benchmarks/time_to_accuracy.py)")
    args = parser.parse_args(argv)
    if args.seeds < 1:
        parser.error("--seeds must be >= 1")
    if args.epochs < 1:
        parser.error("--epochs must be >= 1")
    classification = [name for name in args.datasets if name in DATASETS]
    regression = [name for name in args.datasets if name in REGRESSION]
    if classification:
        scores, seconds = run(classification, args.seeds, args.epochs)
        print(f"Test accuracy, mean ± std over {args.seeds} seeds (stratified 75/25 splits), "
              f"{args.epochs} epochs, one hidden layer of 100 relu units, Adam 0.001, batch "
              f"min(200, n), standardized features:\n")
        print(table(scores, seconds, classification))
    if regression:
        if classification:
            print()
        regression_report(regression, args.seeds, args.epochs)
    return 0


if __name__ == "__main__":
    sys.exit(main())
