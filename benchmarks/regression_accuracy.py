"""The regression rows of ``python -m benchmarks.accuracy``: test R² of NNRegressor next to
scikit-learn's MLPRegressor, with HistGradientBoostingRegressor as a reference.

Two problems: ``diabetes`` (scikit-learn's bundled ``load_diabetes``: 442 patients, 10
features, a disease-progression score from 25 to 346) and ``friedman1`` (``make_friedman1``: 2,000
rows, 10 uniform features of which 5 matter, y = 10 sin(pi x1 x2) + 20 (x3 - 0.5)^2 + 10 x4 +
5 x5 plus unit Gaussian noise, generated with seed 0: nonlinear, and no download).

Every model is ``Pipeline(StandardScaler(), regressor)``. The networks have one hidden layer of 100
relu units, Adam (learning rate 0.001), mini-batches of ``min(200, n)`` and the same number of
epochs, ``n_iter_no_change`` set to that number so that none stops early. NNRegressor standardizes
``y`` inside; MLPRegressor does not, so it runs twice: as it is, and inside
``TransformedTargetRegressor(transformer=StandardScaler())``, which makes the like-for-like
comparison (the paired row). HistGradientBoostingRegressor keeps its defaults, except that
OpenMP (which only it uses) runs one thread: on a busy shared machine its waiting threads spin,
and one fit took 38 s with two threads against 2 s with one. Each seed draws a new 75/25
train/test split and a new initialization; the table shows the mean and standard deviation of the
test R² over the seeds and the total fitting time of each row.
"""

import sys
import time
import warnings

DATASETS = ("diabetes", "friedman1")
MLP, MLP_SCALED = "MLPRegressor (scikit-learn)", "MLPRegressor, standardized y"
OURS, REFERENCE = "NNRegressor", "HistGradientBoostingRegressor (reference)"


def models(epochs, seed):
    """(row label, regressor) pairs for one seed."""
    from sklearn.compose import TransformedTargetRegressor
    from sklearn.ensemble import HistGradientBoostingRegressor
    from sklearn.neural_network import MLPRegressor
    from sklearn.preprocessing import StandardScaler

    from scratchnn.sklearn import NNRegressor

    common = dict(hidden_layer_sizes=(100,), n_iter_no_change=epochs, random_state=seed)
    return [
        (MLP, MLPRegressor(max_iter=epochs, **common)),
        (MLP_SCALED, TransformedTargetRegressor(MLPRegressor(max_iter=epochs, **common),
                                                transformer=StandardScaler())),
        (OURS, NNRegressor(max_epochs=epochs, **common)),
        ("NNRegressor, Huber loss", NNRegressor(max_epochs=epochs, loss="huber", **common)),
        (REFERENCE, HistGradientBoostingRegressor(random_state=seed)),
    ]


def load(name):
    from sklearn import datasets

    if name == "friedman1":
        return datasets.make_friedman1(n_samples=2000, noise=1.0, random_state=0)
    return getattr(datasets, f"load_{name}")(return_X_y=True)


def run(dataset_names, seeds, epochs):
    """Return {row: {dataset: [R² per seed]}} and {row: total seconds}."""
    from sklearn.exceptions import ConvergenceWarning
    from sklearn.model_selection import train_test_split
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler
    from threadpoolctl import threadpool_limits

    scores, seconds = {}, {}
    for name in dataset_names:
        X, y = load(name)
        for seed in range(seeds):
            X_train, X_test, y_train, y_test = train_test_split(X, y, test_size=0.25,
                                                                random_state=seed)
            for label, regressor in models(epochs, seed):
                pipeline = make_pipeline(StandardScaler(), regressor)
                start = time.perf_counter()
                with warnings.catch_warnings(), threadpool_limits(1, user_api="openmp"):
                    warnings.simplefilter("ignore", ConvergenceWarning)
                    pipeline.fit(X_train, y_train)
                seconds[label] = seconds.get(label, 0.0) + time.perf_counter() - start
                scores.setdefault(label, {}).setdefault(name, []).append(
                    pipeline.score(X_test, y_test))
        print(f"{name} done", file=sys.stderr)
    return scores, seconds


def report(dataset_names, seeds, epochs):
    """Run the regressors and print their table."""
    from .accuracy import table  # the classifiers' table, which imports this module

    scores, seconds = run(dataset_names, seeds, epochs)
    print(f"Test R², mean ± std over {seeds} seeds (random 75/25 splits), {epochs} epochs for "
          f"the networks (one hidden layer of 100 relu units, Adam 0.001, batch min(200, n)), "
          f"standardized features:\n")
    print(table(scores, seconds, dataset_names, kind="regressor", ours=OURS, other=MLP_SCALED))
