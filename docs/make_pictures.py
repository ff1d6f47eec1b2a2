"""Make the small pictures of the README's "Pictures" section: python docs/make_pictures.py.

Each figure function of scratchnn.plotting (and the optimizer comparison) draws one, from the
moons demo's data; the two diagnostics pictures are a healthy run (seed 0) and a stuck one
(seed 8) of the demo's [2, 4, 3, 1] network. Saved at a low resolution to keep the files small.
"""

from pathlib import Path

import numpy as np

from scratchnn import ClassifierNN
from scratchnn.callbacks import Diagnostics
from scratchnn.datasets import make_moons, train_test_split
from scratchnn.metrics import confusion_matrix
from scratchnn.optimizer_comparison import compare_optimizers
from scratchnn.plotting import (
    plot_activations,
    plot_confusion_matrix,
    plot_costs,
    plot_decision_boundary,
    plot_diagnostics,
)

OUT = Path(__file__).resolve().parent / "pictures"
DPI = 50


def moons_run(seed):
    X, y = make_moons(n_samples=1000, noise=0.1, seed=seed)
    X_train, X_test, y_train, y_test = train_test_split(X, y, test_size=0.3, seed=seed)
    nn = ClassifierNN([2, 4, 3, 1], ["relu", "relu", "sigmoid"], seed=seed)
    diagnostics = Diagnostics()
    _, costs = nn.train(X_train.T, y_train.reshape(1, -1), num_epochs=200, learning_rate=0.01,
                        batch_size=64, optimizer="adam", print_cost=False,
                        callbacks=[diagnostics])
    return nn, costs, diagnostics, (X_train, X_test, y_train, y_test)


def main():
    OUT.mkdir(exist_ok=True)
    nn, costs, healthy, (X_train, X_test, y_train, y_test) = moons_run(0)
    plot_costs(costs, title="moons: training cost").savefig(OUT / "costs.png", dpi=DPI)
    accuracy = float(nn.accuracy(X_test.T, y_test.reshape(1, -1)))
    plot_decision_boundary(nn, X_train, y_train, X_test=X_test, y_test=y_test,
                           class_names={0: "outer moon", 1: "inner moon"},
                           title=f"moons: test accuracy {accuracy:.3f}").savefig(
        OUT / "decision_boundary.png", dpi=DPI)
    matrix = confusion_matrix(y_test, nn.predict(X_test.T).ravel(), 2)
    plot_confusion_matrix(matrix, ["outer moon", "inner moon"]).savefig(
        OUT / "confusion_matrix.png", dpi=DPI)
    plot_activations().savefig(OUT / "activations.png", dpi=DPI)
    plot_diagnostics(healthy, title="moons, seed 0: healthy").savefig(
        OUT / "diagnostics_healthy.png", dpi=DPI)
    _, _, stuck, _ = moons_run(8)
    plot_diagnostics(stuck, title="moons, seed 8: stuck").savefig(
        OUT / "diagnostics_stuck.png", dpi=DPI)
    X, y = make_moons(n_samples=200, noise=0.2, seed=0)
    comparison = compare_optimizers(X.T, y.reshape(1, -1), [2, 6, 1], ["tanh", "sigmoid"],
                                    num_epochs=80)
    comparison.figure.savefig(OUT / "optimizers.png", dpi=DPI)
    print({name: f"{rate:g}" for name, rate in comparison.learning_rates.items()},
          {name: round(c[-1], 4) for name, c in comparison.costs.items()})
    print(np.round(healthy.last("grad_norm"), 4), np.round(stuck.last("grad_norm"), 4))


if __name__ == "__main__":
    main()
