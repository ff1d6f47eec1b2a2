"""scratchnn: neural networks (a classifier and a regressor) written from scratch in NumPy.

>>> from scratchnn import ClassifierNN, RegressorNN
>>> nn = ClassifierNN([2, 4, 3, 1], ["relu", "relu", "sigmoid"], seed=0)
>>> reg = RegressorNN([2, 8, 1], ["tanh", "linear"], seed=0)

Each formula of the documentation lives in one module: :mod:`~scratchnn.activations`,
:mod:`~scratchnn.losses`, :mod:`~scratchnn.initializers`, :mod:`~scratchnn.layers`,
:mod:`~scratchnn.optimizers`; :mod:`~scratchnn.model` ties them into the engine both models share,
:class:`ClassifierNN` (:mod:`~scratchnn.network`) and :class:`RegressorNN`
(:mod:`~scratchnn.regressor`).
"""

from .network import ClassifierNN
from .regressor import RegressorNN
from .training import DivergenceError
from .version import __version__

__all__ = ["ClassifierNN", "RegressorNN", "DivergenceError", "__version__"]


_ESTIMATORS = ("NNClassifier", "NNRegressor")


def __getattr__(name):
    # scikit-learn is an optional extra: scratchnn.NNClassifier (or NNRegressor) imports
    # scratchnn.sklearn (and with it scikit-learn) on first use, so `import scratchnn` never
    # needs it.
    if name in _ESTIMATORS:
        from . import sklearn

        return getattr(sklearn, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def __dir__():
    return sorted([*globals(), *_ESTIMATORS])
