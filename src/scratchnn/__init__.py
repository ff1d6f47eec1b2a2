"""scratchnn: a neural-network classifier written from scratch in NumPy.

>>> from scratchnn import ClassifierNN
>>> nn = ClassifierNN([2, 4, 3, 1], ["relu", "relu", "sigmoid"], seed=0)

Each formula of the README lives in one module: :mod:`~scratchnn.activations`,
:mod:`~scratchnn.losses`, :mod:`~scratchnn.initializers`, :mod:`~scratchnn.layers`,
:mod:`~scratchnn.optimizers`; :mod:`~scratchnn.network` ties them into :class:`ClassifierNN`.
"""

from .network import ClassifierNN, DivergenceError

__version__ = "0.1.0"

__all__ = ["ClassifierNN", "DivergenceError", "__version__"]
