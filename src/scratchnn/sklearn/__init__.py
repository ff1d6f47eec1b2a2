r"""``NNClassifier`` and ``NNRegressor``: scikit-learn estimators over scratchnn's engine.

scikit-learn is an optional dependency (``pip install scratchnn[sklearn]``): this package imports
it, and ``import scratchnn`` never imports this package.

The estimators follow scikit-learn's conventions: ``X`` has shape ``(n_samples, n_features)``, one
example per **row**, and ``y`` is a vector (or a matrix of one column per output). Internally they
transpose to the engine's ``(n_features, m)`` layout, which for a C-ordered ``X`` is a free view.
:class:`NNClassifier` chooses the output layer and loss from the target:

=========================  =======================  =================================
target                     output layer             loss
=========================  =======================  =================================
two classes                1 sigmoid unit           ``BinaryCrossEntropy``
``C >= 3`` classes         softmax of ``C`` units   ``SparseCategoricalCrossEntropy``
``k`` labels (indicator)   ``k`` sigmoid units      ``BinaryCrossEntropy``
=========================  =======================  =================================

:class:`NNRegressor` has one linear output unit per target column, trained on the standardized
targets with the squared error or Huber's loss.

Training runs through the same loop as the models' own ``train``
(:func:`scratchnn.training.fit`), with early stopping as its
:class:`~scratchnn.callbacks.EarlyStopping` callback. The optimizer (Adam's moments and step
count) carries over across :meth:`~NNClassifier.partial_fit` calls and ``warm_start`` fits, so
these train exactly like one long ``train`` call. A memory-mapped ``X`` (``numpy.memmap``) is
streamed to the loop in blocks of rows, so it never has to fit in memory. A SciPy sparse ``X``
(converted to CSR once) goes to the loop as it is, and only one mini-batch of it is densified at
a time (:func:`scratchnn.training.batch_rows`); prediction and validation densify it in chunks of
:data:`scratchnn.training.EVALUATION_CHUNK` rows.

The package's modules each hold one part: ``_data`` checks ``X`` and ``y`` and serves rows to the
training loop, ``_base`` is the training path both estimators share, ``_classifier`` and
``_regressor`` say what their targets are. ``scratchnn.NNClassifier`` and
``scratchnn.NNRegressor`` are these classes, imported on first use.
"""

try:
    import sklearn  # noqa: F401  (only to give a clear message when it is missing)
except ImportError as exc:  # pragma: no cover - exercised in a subprocess by the tests
    raise ImportError(
        "NNClassifier and NNRegressor need scikit-learn: pip install 'scratchnn[sklearn]'"
    ) from exc

MEMMAP_BLOCK_BYTES = 64 * 2**20
"""Bytes of ``X`` (in the computation dtype) that one block of a memory-mapped ``X`` holds.

Each block is trained on as a whole (shuffled within itself), and the blocks are visited in a new
random order every epoch; a block is rounded down to a whole number of mini-batches.
"""

from ..presets import init_like_mlp_classifier
from ._classifier import NNClassifier
from ._regressor import NNRegressor

__all__ = ["NNClassifier", "NNRegressor", "MEMMAP_BLOCK_BYTES", "init_like_mlp_classifier"]
