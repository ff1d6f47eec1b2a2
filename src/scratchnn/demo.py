"""The seed README's make_moons demo, end to end: data, training, accuracy, plots.

Run it with ``scratchnn demo`` (or ``python -m scratchnn demo``) or call
:func:`run_moons_demo`.
"""

from __future__ import annotations

from pathlib import Path

from .datasets import make_moons, train_test_split
from .network import ClassifierNN
from .plotting import plot_costs, plot_decision_boundary

__all__ = ["run_moons_demo"]

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


def run_moons_demo(out_dir=".", seed=0, print_cost=True):
    """Train a small network on two moons and save its cost curve and decision boundary.

    1000 points of ``make_moons`` (noise 0.1) are split 70/30; a ``[2, 4, 3, 1]``
    network (relu, relu, sigmoid) is trained with Adam (learning rate 0.01) for 200
    epochs in mini-batches of 64 on binary cross-entropy. The train and test accuracy
    and the paths of the two saved figures are printed.

    Parameters
    ----------
    out_dir : str or os.PathLike, default="."
        Folder for ``moons_costs.png`` and ``moons_decision_boundary.png``; created
        (with its parents) if missing.
    seed : int, default=0
        Seeds the data, the split and the network, so a run is reproducible.
    print_cost : bool, default=True
        Passed to ``ClassifierNN.train``: report the cost while training.

    Returns
    -------
    dict
        ``train_accuracy`` and ``test_accuracy`` (float in [0, 1]),
        ``costs_path`` and ``decision_boundary_path`` (:class:`pathlib.Path`).

    Raises
    ------
    OSError
        If ``out_dir`` cannot be created or the figures cannot be written.
    ImportError
        If matplotlib is not installed (``pip install 'scratchnn[plot]'``).
    """
    cfg = MOONS_CONFIG
    # Create the folder before the training, so a bad path fails in a moment, not after it.
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)

    X, y = make_moons(n_samples=cfg["n_samples"], noise=cfg["noise"], seed=seed)
    X_train, X_test, y_train, y_test = train_test_split(X, y, test_size=cfg["test_size"], seed=seed)
    # ClassifierNN wants features in rows and examples in columns, labels as (1, m).
    X_train, X_test = X_train.T, X_test.T
    Y_train, Y_test = y_train.reshape(1, -1), y_test.reshape(1, -1)

    nn = ClassifierNN(cfg["layer_dims"], cfg["activations"], seed=seed)
    _, costs = nn.train(
        X_train,
        Y_train,
        loss=cfg["loss"],
        num_epochs=cfg["num_epochs"],
        learning_rate=cfg["learning_rate"],
        batch_size=cfg["batch_size"],
        optimizer=cfg["optimizer"],
        print_cost=print_cost,
    )
    train_accuracy = float(nn.accuracy(X_train, Y_train))
    test_accuracy = float(nn.accuracy(X_test, Y_test))
    print(f"train accuracy: {train_accuracy:.4f}")
    print(f"test accuracy: {test_accuracy:.4f}")

    costs_path = out_dir / "moons_costs.png"
    boundary_path = out_dir / "moons_decision_boundary.png"
    plot_costs(costs, costs_path, title="make_moons: training cost")
    plot_decision_boundary(
        nn, X, y, boundary_path, title=f"make_moons: test accuracy {test_accuracy:.3f}"
    )
    print(f"saved {costs_path}")
    print(f"saved {boundary_path}")
    return {
        "train_accuracy": train_accuracy,
        "test_accuracy": test_accuracy,
        "costs_path": costs_path,
        "decision_boundary_path": boundary_path,
    }
