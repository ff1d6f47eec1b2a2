r"""Named sets of training defaults that :class:`scratchnn.sklearn.NNClassifier` (``preset=``)
and ``scratchnn train --preset`` share, so that both train the same model from the same table
and seed.

A :class:`Preset` fixes the network's hidden layers, the learning rate, the mini-batch size,
the epoch budget and how the epoch that is kept is chosen; what the two front ends do with it
is written once here: the seed of the weights (:func:`network_seed`), their initialization
(:func:`init_like_mlp_classifier`), the mini-batch size (:func:`batch_size`) and the held-out
rows (:func:`holdout`).

``mlp``
    scikit-learn's MLPClassifier defaults, the estimator's from when it was written until
    2026-12-07 (now ``auto``'s below 5,000 rows): one hidden
    layer of 100 units, Adam at 0.001, mini-batches of :math:`\min(200, m)` rows, up to 200
    epochs, stopping when the training loss has not fallen by more than ``tol`` for 10 epochs,
    every row trained on.
``tabular``
    the same network and optimizer, trained for the whole budget of 200 epochs on 90% of the
    rows, keeping the epoch of the lowest loss on the other 10% (a stratified split). Measured
    on the tabular benchmark's tables (``python -m benchmarks.tabular``, see the documentation's
    Performance page), 5 splits each: +1.0 accuracy points on average over the 10 development
    tables (+4.9 on the largest, 10,000 loans in 7 grades; +1.7 and +2.3 on credit and telco),
    but -1.25 on average over the 3 held-out small tables (-2.4 on one), so it is not the
    default below 5,000 rows.
``auto``
    ``tabular`` when ``fit`` is given 5,000 rows or more, ``mlp`` below (as scikit-learn's
    HistGradientBoosting turns its early stopping on by the number of rows). On that many rows
    the 10% held out (500 or more) is enough to choose an epoch by; on fewer it was not: the
    ``tabular`` rule gained on the benchmark's two development tables of more than 5,000
    training rows (+4.9 on loans, +2.3 on telco) and lost up to 2.4 points on smaller ones.
    Four large tables kept out of every earlier run then checked the rule: from -0.04 to
    +2.1 points against ``mlp``. The default preset of ``NNClassifier``.

See "Presets" on the documentation's Command line page.
"""

from dataclasses import dataclass

import numpy as np

from .initializers import glorot_uniform
from .splitting import split_indices

__all__ = ["DEFAULT_PRESET", "PRESETS", "Preset", "batch_size", "get_preset", "holdout",
           "init_like_mlp_classifier", "network_seed"]


@dataclass(frozen=True)
class Preset:
    """One set of defaults (see the module docstring for each).

    Attributes
    ----------
    name : str
    hidden_layer_sizes : tuple of int
    learning_rate : float
    max_epochs : int
        The epoch budget.
    keep_best : bool
        Hold out ``validation_fraction`` of the rows (:func:`holdout`), train every one of
        ``max_epochs`` epochs on the rest and keep the weights of the epoch of the lowest
        validation loss. False: train on every row and stop when the training loss stalls.
    validation_fraction : float
        The share of the rows held out when ``keep_best``.
    n_iter_no_change : int
        Without ``keep_best``: training stops after this many epochs in which the training
        loss did not fall by more than ``tol``.
    tol : float
    min_rows_to_keep_best : int
        ``keep_best`` applies to a fit of this many rows or more only; fewer are trained as
        without it (:meth:`keeps_best`).
    """

    name: str
    hidden_layer_sizes: tuple
    learning_rate: float
    max_epochs: int
    keep_best: bool
    validation_fraction: float
    n_iter_no_change: int = 10
    tol: float = 1e-4
    min_rows_to_keep_best: int = 0

    def keeps_best(self, n_rows):
        """Whether a fit of ``n_rows`` rows holds rows out and keeps the best epoch."""
        return self.keep_best and n_rows >= self.min_rows_to_keep_best


PRESETS = {
    "mlp": Preset("mlp", (100,), 0.001, 200, keep_best=False, validation_fraction=0.1),
    "tabular": Preset("tabular", (100,), 0.001, 200, keep_best=True, validation_fraction=0.1),
    "auto": Preset("auto", (100,), 0.001, 200, keep_best=True, validation_fraction=0.1,
                   min_rows_to_keep_best=5000),
}
"""The presets by name."""

DEFAULT_PRESET = "auto"
"""The preset of ``NNClassifier()`` (``'mlp'`` before 2026-12-07; ``scratchnn train`` without
``--preset`` keeps its own defaults: hidden layers of 25 and 15 units, float32, early stopping on
a 20% split)."""


def get_preset(name, argument="preset"):
    """The :class:`Preset` called ``name``; a ValueError (TypeError for a non-string) naming
    ``argument`` and the presets otherwise."""
    if not isinstance(name, str):
        raise TypeError(f"{argument} must be a string, one of {sorted(PRESETS)}, got {name!r}")
    if name not in PRESETS:
        raise ValueError(f"{argument} must be one of {sorted(PRESETS)}, got {name!r}")
    return PRESETS[name]


def network_seed(seed):
    """The seed of the network's generator (weights, shuffling, dropout; and the held-out rows
    of :func:`holdout`) for an integer seed: the first draw of ``RandomState(seed).randint(2**31
    - 1)``, as :class:`~scratchnn.sklearn.NNClassifier` has always drawn it from an int
    ``random_state``."""
    return int(np.random.RandomState(seed).randint(np.iinfo(np.int32).max))


def batch_size(n_train):
    """The mini-batch size ``'auto'``: :math:`\\min(200, m)` for :math:`m` training rows."""
    return min(200, int(n_train))


def holdout(n_rows, fraction, seed, classes=None):
    r"""The training and held-out row numbers of a :class:`Preset` with ``keep_best``.

    :func:`scratchnn.splitting.split_indices` with ``test_size=fraction``
    (:math:`\lceil \text{fraction}\cdot m \rceil` rows held out) and ``seed``, stratified by
    ``classes`` when they allow it (every class has 2 rows or more, and each part can hold a row
    of every class), otherwise a plain random split.

    Returns
    -------
    train, held_out : ndarray of int64
        In increasing order.
    """
    if classes is not None:
        classes = np.asarray(classes)
        counts = np.unique(classes, return_counts=True)[1]
        n_held = int(np.ceil(fraction * n_rows))
        if counts.min() < 2 or min(n_held, n_rows - n_held) < counts.size:
            classes = None
    return split_indices(n_rows, float(fraction), seed, classes, test_size_name="the "
                         "validation fraction")


def init_like_mlp_classifier(network, activation):
    r"""Draw ``network``'s weights and biases as scikit-learn's MLPClassifier does.

    Every ``W{l}`` and ``b{l}`` is drawn by :func:`scratchnn.initializers.glorot_uniform`, layer
    by layer, with ``factor`` 2 for sigmoid hidden layers and 6 otherwise, from the network's own
    generator; batch-norm ``gamma``/``beta`` keep 1 and 0. Starting from MLPClassifier's
    distribution (MLPRegressor's is the same) makes the estimators' results comparable; on the
    small datasets of ``benchmarks/accuracy.py`` it also trains better in 200 epochs than He
    initialization. Every preset starts this way, in the estimators and on the command line.
    """
    factor = 2.0 if activation == "sigmoid" else 6.0
    for l in range(1, network.num_layers):
        glorot_uniform(network.parameters[f"W{l}"], network.rng,
                       network.parameters.get(f"b{l}"), factor)
    return network
