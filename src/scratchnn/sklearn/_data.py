"""The estimators' data: checking ``X`` and ``y`` with errors that name them, and serving rows of an
in-memory, sparse or memory-mapped ``X`` to the training loop as blocks.

Shared by :class:`~scratchnn.sklearn.NNClassifier` and :class:`~scratchnn.sklearn.NNRegressor`;
nothing here knows whether the targets are classes or values.
"""

import mmap
import re

import numpy as np
import scipy.sparse  # scikit-learn depends on SciPy, so it is there when scikit-learn is
from sklearn.utils.validation import check_array, check_consistent_length, validate_data

from .. import training
from ..losses import smooth_labels


def memmap_block_rows(n_features, dtype, batch_size):
    """Rows of a memory-mapped ``X`` per block: :data:`scratchnn.sklearn.MEMMAP_BLOCK_BYTES` of
    them, rounded down to whole mini-batches (at least one)."""
    from . import MEMMAP_BLOCK_BYTES  # the package's, read at each fit: setting it takes effect

    per_row = n_features * np.dtype(dtype).itemsize
    return max(1, MEMMAP_BLOCK_BYTES // per_row // batch_size) * batch_size


def is_memory_mapped(X):
    """Whether ``X`` is a NumPy array whose data lives in a memory-mapped file."""
    while isinstance(X, np.ndarray):
        if isinstance(X, np.memmap):
            return True
        X = X.base
    return isinstance(X, mmap.mmap)


def naming(exc, name):
    """``exc`` again, its message prefixed with ``name`` unless it already names it.

    scikit-learn's checks say what is wrong ("could not convert string to float") but not always
    which argument it is; our errors always name it.
    """
    message = str(exc)
    if re.search(rf"\b{re.escape(name)}\b", message):
        return exc
    return type(exc)(f"{name}: {message}")


def validate(estimator, X, y="no_validation", **kwargs):
    """``validate_data`` whose errors name ``X`` or ``y``: X is checked on its own first.

    A sparse ``X`` is accepted and converted to CSR here, once (``accept_sparse="csr"``).
    """
    kwargs["accept_sparse"] = "csr"
    try:
        checked = check_array(X, dtype=kwargs.get("dtype", "numeric"), accept_sparse="csr",
                              input_name="X")
    except (TypeError, ValueError) as exc:
        raise naming(exc, "X") from exc
    if scipy.sparse.issparse(checked):
        X = checked  # no feature names to keep, and no second conversion
    try:
        return validate_data(estimator, X, y, **kwargs)
    except (TypeError, ValueError) as exc:
        # With X checked, the fault is y's, unless the message is about X ("X has 3 features")
        about_X = (isinstance(y, str) and y == "no_validation") or re.search(r"\bX\b", str(exc))
        raise naming(exc, "X" if about_X else "y") from exc


def is_dataframe(X):
    """Whether ``X`` is a pandas DataFrame (or a subclass), told without importing pandas."""
    return any(cls.__name__ == "DataFrame" and cls.__module__.split(".")[0] == "pandas"
               for cls in type(X).__mro__)


def is_table(X):
    """Whether ``X`` goes through the table preprocessing: a pandas DataFrame with a column
    that is not plain NumPy integers or floats (a category, text, boolean, date or nullable
    column). A DataFrame of NumPy numbers only is an array, as scikit-learn's estimators
    (and ``categorical_features="from_dtype"``) read it."""
    return is_dataframe(X) and not all(
        isinstance(dtype, np.dtype) and dtype.kind in "iuf" for dtype in X.dtypes)


def require_pandas():
    """Import and return pandas, or fail with one line naming the extra that provides it."""
    try:
        import pandas
    except ImportError:
        raise ImportError("this estimator was fitted on a pandas DataFrame, and its "
                          "preprocessing needs pandas: pip install 'scratchnn[pandas]'") from None
    return pandas


def check_targets(X, y, y_numeric):
    """``y`` checked as scikit-learn's ``check_X_y(..., multi_output=True)`` checks it, for an
    ``X`` checked otherwise (a DataFrame): finite, as long as ``X``, numbers if ``y_numeric``."""
    if y is None:
        raise ValueError("y: this estimator requires y to be passed, but the target y is None")
    try:
        y = check_array(y, accept_sparse="csr", ensure_2d=False, dtype=None, input_name="y")
        if y_numeric and y.dtype.kind == "O":
            y = y.astype(np.float64)
        check_consistent_length(X, y)
    except (TypeError, ValueError) as exc:
        raise naming(exc, "y") from exc
    return y


def dense_chunks(X):
    """``X`` itself if it is dense; else its rows as dense arrays, one chunk at a time.

    Chunks have :data:`scratchnn.training.EVALUATION_CHUNK` rows, so a sparse ``X`` is never
    densified whole.
    """
    if not scipy.sparse.issparse(X):
        yield X
        return
    for start in range(0, X.shape[0], training.EVALUATION_CHUNK):
        yield X[start:start + training.EVALUATION_CHUNK].toarray()


def outputs_by_rows(X, outputs):
    """``outputs(X_chunk.T).T`` over the dense chunks of ``X``, joined: shape (n_samples, k)."""
    A = [outputs(chunk.T).T for chunk in dense_chunks(X)]
    return A[0] if len(A) == 1 else np.concatenate(A)


def rows_in(index, start, stop):
    """The entries of the sorted ``index`` that fall in ``[start, stop)``."""
    lo, hi = np.searchsorted(index, [start, stop])
    return index[lo:hi]


class Rows:
    """Some rows of ``X`` with their labels and weights, served as the training loop's blocks.

    In memory the rows are gathered once into one C-ordered :class:`~scratchnn.training.Block`
    of the computation dtype (no copy when ``X`` already is one and every row is used). A sparse
    ``X`` stays sparse: one block holding a CSR matrix of the computation dtype, which the
    training loop densifies one mini-batch at a time. A memory-mapped ``X`` is read in blocks of
    ``block_rows`` consecutive rows instead, each converted when it is used, so only one block is
    ever in memory.

    Parameters
    ----------
    X : array or sparse CSR matrix of shape (n_samples, n_features)
    Y : array of shape (k, n_samples)
        Labels (or standardized targets) in the engine's format, one column per row of ``X``.
    weights : array of shape (n_samples,) or None
    index : sorted int array or None
        The rows to serve; ``None`` for all.
    network : ClassifierNN or RegressorNN
        The network trained (its dtype and label checks).
    loss : loss class or object
        The loss, whose label format ``Y`` is in.
    block_rows : int or None
        Rows of ``X`` per block; ``None`` serves everything as one block.
    label_smoothing : float, default 0.0
        Serve the smoothed targets (:func:`scratchnn.losses.smooth_labels`).
    """

    def __init__(self, X, Y, weights, index, network, loss, block_rows=None,
                 label_smoothing=0.0):
        self.Y, self.weights, self.index = Y, weights, index
        self.network, self.loss, self.label_smoothing = network, loss, label_smoothing
        self.n = X.shape[0] if index is None else index.size
        if block_rows is None or block_rows >= X.shape[0]:
            if scipy.sparse.issparse(X):
                X = (X if index is None else X[index]).astype(network.compute_dtype, copy=False)
            else:
                X = np.asarray(X if index is None else X[index], dtype=network.compute_dtype,
                               order="C")
            if index is not None:
                Y = Y[:, index]
                weights = None if weights is None else weights[index]
            self.block = self._block(X, Y, weights)
            self.starts = None
        else:
            self.X = X
            self.starts = [start for start in range(0, X.shape[0], block_rows)
                           if index is None or rows_in(index, start, start + block_rows).size]
            self.block_rows = block_rows

    def _block(self, X_rows, Y, weights):
        dtype = self.network.compute_dtype
        Y = self.network.check_labels(Y, self.loss, X_rows.shape[0], dtype)
        if self.label_smoothing:
            _, Y = smooth_labels(self.loss, Y, self.label_smoothing, self.network.n_outputs)
            Y = Y.astype(dtype, copy=False)
        weights = None if weights is None else np.asarray(weights, dtype).reshape(-1, 1)
        return training.Block(X_rows, training.as_rows(Y, Y.dtype), weights)

    @property
    def n_blocks(self):
        return 1 if self.starts is None else len(self.starts)

    def blocks(self, rng=None):
        """Yield :class:`~scratchnn.training.Block` objects; ``rng`` shuffles their order."""
        if self.starts is None:
            yield self.block
            return
        shuffle = rng is not None and len(self.starts) > 1
        order = rng.permutation(len(self.starts)) if shuffle else range(len(self.starts))
        for position in order:
            start = self.starts[position]
            stop = min(start + self.block_rows, self.X.shape[0])
            if self.index is None:
                rows, X_block = slice(start, stop), self.X[start:stop]
            else:
                rows = rows_in(self.index, start, stop)
                X_block = self.X[start:stop][rows - start]
            w = None if self.weights is None else self.weights[rows]
            X_block = np.asarray(X_block, dtype=self.network.compute_dtype, order="C")
            yield self._block(X_block, self.Y[:, rows], w)

    def dense_blocks(self):
        """The blocks of :meth:`blocks`, a sparse one cut into dense chunks (for scoring)."""
        for block in self.blocks():
            start = 0
            for X in dense_chunks(block.X):
                rows = slice(start, start + X.shape[0])
                start = rows.stop
                weights = None if block.weights is None else block.weights[rows]
                yield training.Block(X, block.Y[rows], weights)
