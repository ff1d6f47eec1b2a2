"""scratchnn: a neural-network classifier written from scratch in NumPy.

>>> from scratchnn import ClassifierNN
>>> nn = ClassifierNN([2, 4, 3, 1], ["relu", "relu", "sigmoid"], seed=0)

Each formula of the documentation lives in one module: :mod:`~scratchnn.activations`,
:mod:`~scratchnn.losses`, :mod:`~scratchnn.initializers`, :mod:`~scratchnn.layers`,
:mod:`~scratchnn.optimizers`; :mod:`~scratchnn.network` ties them into :class:`ClassifierNN`.
"""

from .network import ClassifierNN
from .training import DivergenceError
from .version import __version__

__all__ = ["ClassifierNN", "DivergenceError", "__version__"]


def __getattr__(name):
    # scikit-learn is an optional extra: scratchnn.NNClassifier imports scratchnn.sklearn (and
    # with it scikit-learn) on first use, so `import scratchnn` never needs it.
    if name == "NNClassifier":
        from .sklearn import NNClassifier

        return NNClassifier
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def __dir__():
    return sorted([*globals(), "NNClassifier"])
