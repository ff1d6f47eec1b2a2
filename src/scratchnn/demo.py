"""The built-in demos, end to end: data, training, accuracy, pictures.

Run them with ``scratchnn demo [moons|circles|spiral|iris|optimizers]`` (or
``python -m scratchnn demo ...``), or call the ``run_*_demo`` functions. ``moons`` is the seed
README's make_moons demo and the default.
"""

from __future__ import annotations

import warnings
from pathlib import Path

import numpy as np

from .datasets import make_circles, make_moons, make_spiral, train_test_split
from .diagnostics import Diagnostics, TrainingProblemWarning
from .network import ClassifierNN
from .optimizer_comparison import compare_optimizers
from .plotting import (
    plot_confusion_matrix,
    plot_costs,
    plot_decision_boundary,
    plot_diagnostics,
)

__all__ = [
    "run_moons_demo",
    "run_circles_demo",
    "run_spiral_demo",
    "run_iris_demo",
    "run_optimizers_demo",
]

#: Everything the seed's make_moons demo fixes, in one place.
MOONS_CONFIG = {
    "n_samples": 1000,
    "noise": 0.1,
    "test_size": 0.3,
    "layer_dims": [2, 4, 3, 1],
    "activations": ["relu", "relu", "sigmoid"],
    "loss": "BinaryCrossEntropy",
    "optimizer": "adam",
    "learning_rate": 0.01,
    "num_epochs": 200,
    "batch_size": 64,
}

CIRCLES_CONFIG = {
    "n_samples": 1000,
    "noise": 0.08,
    "test_size": 0.3,
    "layer_dims": [2, 8, 8, 1],
    "activations": ["tanh", "tanh", "sigmoid"],
    "loss": "BinaryCrossEntropy",
    "optimizer": "adam",
    "learning_rate": 0.01,
    "num_epochs": 150,
    "batch_size": 64,
}

SPIRAL_CONFIG = {
    "n_samples": 900,
    "n_classes": 3,
    "test_size": 0.3,
    "layer_dims": [2, 32, 32, 3],
    "activations": ["relu", "relu", "softmax"],
    "loss": "SparseCategoricalCrossEntropy",
    "optimizer": "adam",
    "learning_rate": 0.01,
    "num_epochs": 300,
    "batch_size": 64,
}

IRIS_CONFIG = {
    "test_size": 0.3,
    "layer_dims": [4, 8, 3],
    "activations": ["relu", "softmax"],
    "loss": "SparseCategoricalCrossEntropy",
    "optimizer": "adam",
    "learning_rate": 0.01,
    "num_epochs": 100,
    "batch_size": 16,
    "lambd": 0.1,  # 105 training flowers: a little L2 keeps the network from memorizing them
}

OPTIMIZERS_CONFIG = {
    "n_samples": 200,
    "noise": 0.2,
    "layer_dims": [2, 6, 1],
    "activations": ["tanh", "sigmoid"],
    "loss": "BinaryCrossEntropy",
    # Each optimizer at its best rate of optimizer_comparison.RATE_SWEEP, stated in the picture.
    "learning_rate": "sweep",
    "num_epochs": 80,
}

_TRAIN_KEYS = ("loss", "num_epochs", "learning_rate", "batch_size", "optimizer", "lambd")

STUCK_SHARE = 0.5
"""A 2-D demo run counts as stuck when its final training cost is above this share of the cost
a network without hidden layers (a straight boundary) reaches with the same training. On the
moons demo's seeds 0-14 the stuck runs end at 0.8-0.9 of that cost and the others below 0.03
of it (the documentation's "Why a demo run gets stuck")."""


def _out_dir(out_dir):
    # Create the folder before the training, so a bad path fails in a moment, not after it.
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    return out_dir


def _train_and_report(cfg, X_train, X_test, y_train, y_test, seed, print_cost):
    """Train ``cfg``'s network on ``(m, n)`` data; print and return the two accuracies.

    The run is watched by a :class:`Diagnostics` callback, whose findings (dead or saturated
    layers, vanishing gradients) are printed after the accuracies.
    """
    # ClassifierNN wants features in rows and examples in columns, labels as (1, m).
    X_train, X_test = X_train.T, X_test.T
    Y_train, Y_test = y_train.reshape(1, -1), y_test.reshape(1, -1)
    nn = ClassifierNN(cfg["layer_dims"], cfg["activations"], seed=seed)
    diagnostics = Diagnostics()
    with warnings.catch_warnings():
        # The loop's own end-of-run warning would say what the lines below say, twice.
        warnings.simplefilter("ignore", TrainingProblemWarning)
        _, costs = nn.train(X_train, Y_train, print_cost=print_cost, callbacks=[diagnostics],
                            **{key: cfg[key] for key in _TRAIN_KEYS if key in cfg})
    train_accuracy = float(nn.accuracy(X_train, Y_train))
    test_accuracy = float(nn.accuracy(X_test, Y_test))
    print(f"train accuracy: {train_accuracy:.4f}")
    print(f"test accuracy: {test_accuracy:.4f}")
    for message in diagnostics.problems():
        print(f"warning: {message}")
    return nn, costs, train_accuracy, test_accuracy, diagnostics


def straight_line_cost(cfg, X_train, y_train, seed):
    """The final training cost of ``cfg``'s training on a network without hidden layers.

    Its decision boundary is a straight line (a hyperplane): the yardstick a stuck run is
    measured against.
    """
    layer_dims = [cfg["layer_dims"][0], cfg["layer_dims"][-1]]
    line = ClassifierNN(layer_dims, cfg["activations"][-1:], seed=seed)
    _, costs = line.train(X_train.T, y_train.reshape(1, -1), print_cost=False,
                          **{key: cfg[key] for key in _TRAIN_KEYS if key in cfg})
    return float(costs[-1])


def _report_stuck(name, cost, line_cost, diagnostics):
    """Print what happened to a run that ended no better than a straight boundary."""
    grad = diagnostics.last("grad_norm")
    dead = diagnostics.last("dead_fraction")
    dead_text = ", ".join(f"{100 * share:.0f}%" for share in dead if share == share) or "none"
    print(
        f"stuck: this run's training cost ({cost:.3f}) is no better than that of a network "
        f"without hidden layers trained the same way ({line_cost:.3f}): its boundary bends too "
        f"little to follow the classes. It is not a vanishing gradient: the output layer's "
        f"gradient norm is still {grad[-1]:.3g} in the last epoch (healthy runs end far lower), "
        f"so the steps go on but no longer lower the cost; dead relu units per hidden layer: "
        f"{dead_text}. More epochs or another learning rate rarely help; what gets out: wider "
        f"hidden layers, tanh hidden layers, or another --seed (documentation, \"Why a demo run gets "
        f"stuck\")."
    )


def _run_2d_demo(name, cfg, X, y, out_dir, seed, print_cost):
    out_dir = _out_dir(out_dir)
    X_train, X_test, y_train, y_test = train_test_split(X, y, test_size=cfg["test_size"], seed=seed)
    nn, costs, train_accuracy, test_accuracy, diagnostics = _train_and_report(
        cfg, X_train, X_test, y_train, y_test, seed, print_cost)
    line_cost = straight_line_cost(cfg, X_train, y_train, seed)
    stuck = costs[-1] > STUCK_SHARE * line_cost
    if stuck:
        _report_stuck(name, costs[-1], line_cost, diagnostics)
    costs_path = out_dir / f"{name}_costs.png"
    boundary_path = out_dir / f"{name}_decision_boundary.png"
    diagnostics_path = out_dir / f"{name}_diagnostics.png"
    plot_costs(costs, costs_path, title=f"{name}: training cost")
    plot_decision_boundary(
        nn, X_train, y_train, boundary_path, X_test=X_test, y_test=y_test,
        title=f"{name}: train accuracy {train_accuracy:.3f}, test accuracy {test_accuracy:.3f}")
    plot_diagnostics(diagnostics, diagnostics_path,
                     title=f"{name}, seed {seed}: training diagnostics"
                     + (" (stuck)" if stuck else ""))
    for path in (costs_path, boundary_path, diagnostics_path):
        print(f"saved {path}")
    return {
        "train_accuracy": train_accuracy,
        "test_accuracy": test_accuracy,
        "stuck": stuck,
        "final_cost": float(costs[-1]),
        "straight_line_cost": line_cost,
        "costs_path": costs_path,
        "decision_boundary_path": boundary_path,
        "diagnostics_path": diagnostics_path,
        "diagnostics": diagnostics,
    }


def run_moons_demo(out_dir=".", seed=0, print_cost=True):
    """Train a small network on two moons and save its cost curve and decision boundary.

    1000 points of ``make_moons`` (noise 0.1) are split 70/30; a ``[2, 4, 3, 1]``
    network (relu, relu, sigmoid) is trained with Adam (learning rate 0.01) for 200
    epochs in mini-batches of 64 on binary cross-entropy. The train and test accuracy
    and the paths of ``moons_costs.png``, ``moons_decision_boundary.png`` (training points as
    circles, test points as triangles) and ``moons_diagnostics.png`` (:func:`plot_diagnostics`)
    are printed.

    This small network gets stuck on about one seed in three (seeds 1, 4, 5, 8 and 10 of 0-14):
    it ends no better than a straight boundary. The demo then says so, with what gets it out.

    Parameters
    ----------
    out_dir : str or os.PathLike, default="."
        Folder for the images; created (with its parents) if missing.
    seed : int, default=0
        Seeds the data, the split and the network, so a run is reproducible.
    print_cost : bool, default=True
        Passed to ``ClassifierNN.train``: report the cost while training.

    Returns
    -------
    dict
        ``train_accuracy`` and ``test_accuracy`` (float in [0, 1]), ``stuck`` (bool: the
        final training cost is above half that of a network without hidden layers),
        ``final_cost`` and ``straight_line_cost``, ``costs_path``,
        ``decision_boundary_path`` and ``diagnostics_path`` (:class:`pathlib.Path`), and the
        run's ``diagnostics`` (:class:`scratchnn.callbacks.Diagnostics`).

    Raises
    ------
    OSError
        If ``out_dir`` cannot be created or the figures cannot be written.
    ImportError
        If matplotlib is not installed (``pip install 'scratchnn[plot]'``).
    """
    cfg = MOONS_CONFIG
    X, y = make_moons(n_samples=cfg["n_samples"], noise=cfg["noise"], seed=seed)
    return _run_2d_demo("moons", cfg, X, y, out_dir, seed, print_cost)


def run_circles_demo(out_dir=".", seed=0, print_cost=True):
    """Train a network to separate a circle from the ring around it.

    No straight line does it; two tanh layers of 8 bend the boundary into a closed curve.
    1000 points of ``make_circles`` (noise 0.08) are split 70/30 and a ``[2, 8, 8, 1]`` network
    (tanh, tanh, sigmoid) is trained with Adam for 150 epochs. Writes ``circles_costs.png`` and
    ``circles_decision_boundary.png``.

    Parameters
    ----------
    out_dir : str or os.PathLike, default="."
        Folder for the images; created (with its parents) if missing.
    seed : int, default=0
        Seeds the data, the split and the network, so a run is reproducible.
    print_cost : bool, default=True
        Passed to ``ClassifierNN.train``: report the cost while training.

    Returns
    -------
    dict
        ``train_accuracy`` and ``test_accuracy`` (float in [0, 1]), ``stuck`` (bool: the
        final training cost is above half that of a network without hidden layers),
        ``final_cost`` and ``straight_line_cost``, ``costs_path``,
        ``decision_boundary_path`` and ``diagnostics_path`` (:class:`pathlib.Path`), and the
        run's ``diagnostics`` (:class:`scratchnn.callbacks.Diagnostics`).

    Raises
    ------
    OSError
        If ``out_dir`` cannot be created or the figures cannot be written.
    ImportError
        If matplotlib is not installed (``pip install 'scratchnn[plot]'``).
    """
    cfg = CIRCLES_CONFIG
    X, y = make_circles(n_samples=cfg["n_samples"], noise=cfg["noise"], seed=seed)
    return _run_2d_demo("circles", cfg, X, y, out_dir, seed, print_cost)


def run_spiral_demo(out_dir=".", seed=0, print_cost=True):
    """Classify three interleaved spiral arms with a softmax output.

    900 points of ``make_spiral`` are split 70/30 and a ``[2, 32, 32, 3]`` network (relu, relu,
    softmax) is trained on sparse categorical cross-entropy with Adam for 300 epochs. Writes
    ``spiral_costs.png`` and ``spiral_decision_boundary.png`` (one colour per predicted class).

    Parameters
    ----------
    out_dir : str or os.PathLike, default="."
        Folder for the images; created (with its parents) if missing.
    seed : int, default=0
        Seeds the data, the split and the network, so a run is reproducible.
    print_cost : bool, default=True
        Passed to ``ClassifierNN.train``: report the cost while training.

    Returns
    -------
    dict
        ``train_accuracy`` and ``test_accuracy`` (float in [0, 1]), ``stuck`` (bool: the
        final training cost is above half that of a network without hidden layers),
        ``final_cost`` and ``straight_line_cost``, ``costs_path``,
        ``decision_boundary_path`` and ``diagnostics_path`` (:class:`pathlib.Path`), and the
        run's ``diagnostics`` (:class:`scratchnn.callbacks.Diagnostics`).

    Raises
    ------
    OSError
        If ``out_dir`` cannot be created or the figures cannot be written.
    ImportError
        If matplotlib is not installed (``pip install 'scratchnn[plot]'``).
    """
    cfg = SPIRAL_CONFIG
    X, y = make_spiral(n_samples=cfg["n_samples"], n_classes=cfg["n_classes"], seed=seed)
    return _run_2d_demo("spiral", cfg, X, y, out_dir, seed, print_cost)


def run_iris_demo(out_dir=".", seed=0, print_cost=True):
    """Classify Fisher's iris flowers (3 species, 4 measurements) and draw the confusion matrix.

    The 150 flowers come from scikit-learn's bundled copy (no download). They are split 70/30
    (stratification is not needed at this size: the split is seeded); features are standardized
    with the training part's mean and standard deviation; a ``[4, 8, 3]`` network (relu,
    softmax) is trained with Adam and L2 strength 0.1 for 100 epochs in mini-batches of 16. Prints
    the accuracies and the per-class report, and writes ``iris_costs.png`` and
    ``iris_confusion_matrix.png``.

    Parameters
    ----------
    out_dir : str or os.PathLike, default="."
        Folder for the images; created (with its parents) if missing.
    seed : int, default=0
        Seeds the data, the split and the network, so a run is reproducible.
    print_cost : bool, default=True
        Passed to ``ClassifierNN.train``: report the cost while training.

    Returns
    -------
    dict
        ``train_accuracy``, ``test_accuracy``, ``costs_path``, ``confusion_matrix_path``.

    Raises
    ------
    ImportError
        If scikit-learn (for the data) or matplotlib is not installed.
    """
    from .metrics import classification_report, confusion_matrix
    from .preprocessing import Standardizer

    try:
        from sklearn.datasets import load_iris
    except ImportError as exc:
        raise ImportError(
            "the iris demo loads its data from scikit-learn: pip install 'scratchnn[sklearn]'"
        ) from exc
    cfg = IRIS_CONFIG
    out_dir = _out_dir(out_dir)
    iris = load_iris()
    X_train, X_test, y_train, y_test = train_test_split(
        iris.data, iris.target.astype(np.int64), test_size=cfg["test_size"], seed=seed)
    scaler = Standardizer().fit(X_train)
    nn, costs, train_accuracy, test_accuracy, _ = _train_and_report(
        cfg, scaler.transform(X_train), scaler.transform(X_test), y_train, y_test, seed,
        print_cost)
    labels = [str(name) for name in iris.target_names]
    matrix = confusion_matrix(y_test, nn.predict(scaler.transform(X_test).T), len(labels))
    print(classification_report(matrix, labels))
    costs_path = out_dir / "iris_costs.png"
    matrix_path = out_dir / "iris_confusion_matrix.png"
    plot_costs(costs, costs_path, title="iris: training cost")
    plot_confusion_matrix(matrix, labels, matrix_path,
                          title=f"iris test set: accuracy {test_accuracy:.3f}")
    print(f"saved {costs_path}")
    print(f"saved {matrix_path}")
    return {
        "train_accuracy": train_accuracy,
        "test_accuracy": test_accuracy,
        "costs_path": costs_path,
        "confusion_matrix_path": matrix_path,
    }


def run_optimizers_demo(out_dir=".", seed=0, print_cost=True):
    """Train one network with every per-step optimizer and Adam with the cosine schedule, from
    the same weights; draw it.

    200 points of ``make_moons`` (noise 0.2) train a ``[2, 6, 1]`` network (tanh, sigmoid) for 80
    full-batch epochs with each of
    :data:`scratchnn.optimizer_comparison.DEFAULT_OPTIMIZERS` (gd, momentum, nesterov, rmsprop,
    adam, adamw, nadam, adam+cosine; :func:`scratchnn.optimizer_comparison.compare_optimizers`),
    each at its best learning rate of :data:`scratchnn.optimizer_comparison.RATE_SWEEP`.
    Writes ``optimizers.png`` (cost curves, and the paths on a 2-parameter slice of the loss
    surface) and ``optimizers.gif`` (the same, animated epoch by epoch), and prints each
    optimizer's final cost.

    Parameters
    ----------
    out_dir : str or os.PathLike, default="."
        Folder for the images; created (with its parents) if missing.
    seed : int, default=0
        Seeds the data, the split and the network, so a run is reproducible.
    print_cost : bool, default=True
        Print the rates and each optimizer's final cost.

    Returns
    -------
    dict
        ``final_costs`` and ``learning_rates`` (optimizer name to float), ``png_path``,
        ``gif_path``.

    Raises
    ------
    ImportError
        If matplotlib is not installed.
    """
    cfg = OPTIMIZERS_CONFIG
    out_dir = _out_dir(out_dir)
    X, y = make_moons(n_samples=cfg["n_samples"], noise=cfg["noise"], seed=seed)
    png_path, gif_path = out_dir / "optimizers.png", out_dir / "optimizers.gif"
    result = compare_optimizers(
        X.T, y.reshape(1, -1), cfg["layer_dims"], cfg["activations"], loss=cfg["loss"],
        learning_rate=cfg["learning_rate"], num_epochs=cfg["num_epochs"], seed=seed,
        path=png_path, gif_path=gif_path,
    )
    final_costs = {name: float(costs[-1]) for name, costs in result.costs.items()}
    if print_cost:
        print(f"learning rates: {result.rate_rule}: "
              + ", ".join(f"{name} {rate:g}" for name, rate in result.learning_rates.items()))
        for name, cost in final_costs.items():
            print(f"{name:>11}: final cost {cost:.4f}")
    print(f"saved {png_path}")
    print(f"saved {gif_path}")
    return {"final_costs": final_costs, "learning_rates": result.learning_rates,
            "png_path": png_path, "gif_path": gif_path}
