r"""The one training loop: epochs, shuffled mini-batches, optimizer steps, callbacks, checkpoints.

:meth:`ClassifierNN.train` checks its arguments and calls :func:`fit`; so does
:class:`scratchnn.NNClassifier`, whose data may arrive as a sequence of blocks (a memory-mapped
file, dask chunks). The loop sees the model only through its public surface (``forward``,
``cost``, ``backward``, ``theta``, ``grad``, ``rng``, ...), the way an optimizer sees only a flat
buffer and its gradient.

One epoch, for each block of examples (one block for in-memory data), shuffles the block's
indices with the model's generator and, for every mini-batch of ``batch_size`` examples (the last
one keeps the remainder),

1. gathers the batch's rows into preallocated arrays,
2. runs the forward pass, the cost and the backward pass,
3. moves the batch-norm running statistics,
4. takes one optimizer step over the flat parameters,

then reports the epoch's cost (the example-weighted mean of its batch costs) to the progress bar,
the checkpoint and the callbacks (:mod:`scratchnn.callbacks`). Work arrays are made once per
:func:`fit` call for each batch size seen, never per step or per epoch.

Safety: a non-finite cost or update raises :class:`DivergenceError` with the parameters of the
last finite step in place; Ctrl-C is deferred until the step in progress is complete.
"""

import math
import os
import signal
import threading
import warnings
from dataclasses import dataclass
from typing import NamedTuple

import numpy as np

from . import optimizers as _optimizers
from .callbacks import Callback
from .io import save as _save
from .validation import check_float, check_int

__all__ = ["Block", "ArrayData", "DivergenceError", "EpochFunction", "Step", "TrainingSettings",
           "as_rows", "fit", "restore_checkpoint", "save_checkpoint"]


class DivergenceError(ValueError, FloatingPointError):
    """Training produced a NaN or infinite cost or gradient (usually: the learning rate is too high).

    It is a ``ValueError`` (a hyperparameter was unsuitable) and a ``FloatingPointError``.
    """


@dataclass(frozen=True)
class TrainingSettings:
    """Everything one training run needs besides the model and the data, already checked.

    The fields are :meth:`ClassifierNN.train`'s arguments of the same names; ``loss`` and
    ``optimizer`` are the classes from :mod:`scratchnn.losses` and :mod:`scratchnn.optimizers`.
    """

    loss: type
    num_epochs: int
    learning_rate: float
    batch_size: int = None
    lambd: float = 0.0
    keep_prob: tuple = None
    optimizer: type = _optimizers.GradientDescent
    beta1: float = 0.9
    beta2: float = 0.999
    epsilon: float = 1e-8
    resume: bool = False
    print_cost: bool = False
    checkpoint: str = None
    checkpoint_every: int = 1


def as_rows(M, dtype):
    """``M.T`` as a C-contiguous array of ``dtype``: one example per row (no copy if it is one)."""
    rows = M.T
    if rows.flags.c_contiguous and rows.dtype == dtype:
        return rows
    out = np.empty(rows.shape, dtype)
    out[...] = rows  # transpose and cast in one pass
    return out


class Block(NamedTuple):
    """Examples as rows, ready for the loop.

    Attributes
    ----------
    X : ndarray of shape (m, n_features), C-contiguous, in the model's dtype
    Y : ndarray of shape (m, k)
        Checked labels (:meth:`ClassifierNN.check_labels`), one example per row.
    weights : ndarray of shape (m, 1) or None
        Per-example loss weights.
    """

    X: np.ndarray
    Y: np.ndarray
    weights: np.ndarray = None


class ArrayData:
    """Training data held in memory as one :class:`Block`.

    Any object with the attributes ``n`` (the number of examples) and ``n_blocks`` and a method
    ``blocks(rng)`` yielding :class:`Block` objects can be given to :func:`fit` instead;
    :class:`scratchnn.NNClassifier` streams memory-mapped data that way.
    """

    n_blocks = 1

    def __init__(self, block):
        self.block = block
        self.n = block.X.shape[0]

    @classmethod
    def from_columns(cls, X, Y, weights, dtype):
        """From the engine's layout: ``X`` ``(n_features, m)``, checked ``Y`` ``(k, m)`` and
        ``weights`` ``(1, m)`` or None. Made once per call, so that a mini-batch is a gather of
        contiguous rows, several times cheaper than gathering columns."""
        return cls(Block(as_rows(X, dtype), as_rows(Y, Y.dtype),
                         None if weights is None else as_rows(weights, dtype)))

    def blocks(self, rng):
        return (self.block,)


class Step(NamedTuple):
    """What :meth:`Callback.on_batch_end` sees after an optimizer step.

    Attributes
    ----------
    model : ClassifierNN
    caches : ForwardCache
        The step's forward cache (``caches.layers[l].A`` is layer ``l``'s output).
    grads : dict of str to ndarray
        The step's gradients by name (``dW1``, ...), views of ``model.grad``.
    learning_rate : float
    """

    model: object
    caches: object
    grads: dict
    learning_rate: float


class EpochFunction(Callback):
    """The ``callback(epoch, cost)`` function of :meth:`ClassifierNN.train` as a :class:`Callback`."""

    def __init__(self, function):
        if not callable(function):
            raise TypeError(f"callback must be callable or None, got {function!r}")
        self.function = function

    def on_epoch_end(self, epoch, logs):
        return self.function(epoch, logs["loss"])


class _Buffers(NamedTuple):
    """A model workspace plus the rows of one mini-batch, for one batch size."""

    workspace: object
    X: np.ndarray
    Y: np.ndarray
    weights: np.ndarray


class _DeferredInterrupt:
    """Hold a Ctrl-C until the training step in progress is complete.

    Inside the ``with`` block (in the main thread only), the first SIGINT just sets a flag that
    :meth:`check` turns into ``KeyboardInterrupt`` between two steps, so the parameters, the
    batch-norm statistics and the optimizer state always belong to one completed step. A second
    SIGINT, or any SIGINT outside the block, interrupts at once as usual.
    """

    def __init__(self):
        self.requested = False
        self._previous = None

    def _handler(self, signum, frame):
        if self.requested:
            raise KeyboardInterrupt
        self.requested = True

    def __enter__(self):
        if (threading.current_thread() is threading.main_thread()
                and signal.getsignal(signal.SIGINT) is signal.default_int_handler):
            self._previous = signal.signal(signal.SIGINT, self._handler)
        return self

    def __exit__(self, *exc_info):
        if self._previous is not None:
            signal.signal(signal.SIGINT, self._previous)
            self._previous = None
        return False

    def check(self):
        if self.requested:
            self.requested = False
            raise KeyboardInterrupt


class _Run:
    """The working state of one :func:`fit` call: settings, buffers, callbacks, costs so far."""

    def __init__(self, model, settings, callbacks):
        self.model, self.settings = model, settings
        self.buffers = {}  # by batch size
        self.batch_callbacks = [c for c in callbacks
                                if type(c).on_batch_end is not Callback.on_batch_end]
        self.interrupt = _DeferredInterrupt()
        self.costs = []

    def buffers_for(self, size, block):
        """The work arrays for batches of ``size`` examples of ``block``, made on first use."""
        buffers = self.buffers.get(size)
        if buffers is None:
            dtype = self.model.compute_dtype
            buffers = self.buffers[size] = _Buffers(
                self.model.make_workspace(size, self.settings.keep_prob),
                np.empty((size, block.X.shape[1]), dtype),
                np.empty((size, block.Y.shape[1]), block.Y.dtype),
                np.empty((size, 1), dtype))
        return buffers

    def diverged(self, epoch, cost):
        """Raise :class:`DivergenceError`; the parameters are those of the last finite step."""
        error = DivergenceError(
            f"training diverged at epoch {epoch}: the cost, a gradient or a parameter became "
            f"NaN or infinite (cost {cost}); try a lower learning_rate than "
            f"{self.settings.learning_rate:g}. The parameters of the last finite step were kept."
        )
        error.costs = self.costs
        raise error


def fit(model, data, settings, callbacks=()):
    """Train ``model`` on ``data``; return the list of per-epoch costs.

    Parameters
    ----------
    model : ClassifierNN
        Trained in place; its dtype must already be the data's.
    data : ArrayData or an object like it
        The examples, as blocks of rows (see :class:`ArrayData`).
    settings : TrainingSettings
    callbacks : sequence of Callback

    Returns
    -------
    list of float
        One cost per completed epoch, also kept up to date in ``model.costs`` while training
        runs.
    """
    _start_optimizer(model, settings)
    run = _Run(model, settings, callbacks)
    model.costs = costs = run.costs
    progress = None
    if settings.print_cost:
        from tqdm import tqdm

        progress = tqdm(total=settings.num_epochs, desc="training", unit="epoch")
    for callback in callbacks:
        callback.on_train_begin(model)
    logs = {}
    # A diverging run overflows to inf/NaN somewhere in a step; the cost check in _train_block
    # catches that and raises DivergenceError, so NumPy's own warnings are not wanted here.
    try:
        with np.errstate(over="ignore", invalid="ignore", divide="ignore"), run.interrupt:
            for epoch in range(1, settings.num_epochs + 1):
                cost = _train_epoch(run, data, epoch)
                costs.append(cost)
                logs = {"loss": cost}
                if progress is not None:
                    progress.set_postfix(cost=f"{cost:.6f}", refresh=False)
                    progress.update()
                if settings.checkpoint is not None and epoch % settings.checkpoint_every == 0:
                    save_checkpoint(model, settings.checkpoint, costs)
                stop = False
                for callback in callbacks:
                    stop = bool(callback.on_epoch_end(epoch, logs)) or stop
                if stop:
                    break
                run.interrupt.check()
    except KeyboardInterrupt:
        warnings.warn(
            f"training interrupted after {len(costs)} complete epoch(s): the model keeps the "
            f"parameters of the last completed step, and its costs attribute the costs of "
            f"the completed epochs", UserWarning, stacklevel=3,
        )
        raise
    finally:
        if progress is not None:
            progress.close()
    for callback in callbacks:
        callback.on_train_end(logs)
    return costs


def _start_optimizer(model, settings):
    """Continue the model's optimizer (``resume``) or start a fresh one."""
    dtype = model.compute_dtype
    hyper = (settings.learning_rate, settings.beta1, settings.beta2, settings.epsilon)
    if settings.resume:
        previous = model.optimizer
        if previous is None or previous.name != settings.optimizer.name:
            raise ValueError(
                f"resume=True continues the {settings.optimizer.name!r} optimizer of an earlier "
                f"train call or loaded checkpoint, but the model has "
                f"{'none' if previous is None else repr(previous.name)}"
            )
        previous.configure(*hyper)
    else:
        model.optimizer = settings.optimizer(model.n_parameters, dtype, *hyper)


def _train_epoch(run, data, epoch):
    """One pass over every block; returns the example-weighted mean batch cost."""
    total = 0.0
    for block in data.blocks(run.model.rng):
        if block.weights is not None and not np.any(block.weights > 0):
            continue  # nothing to learn from this block
        cost = _train_block(run, block, epoch)
        if data.n_blocks == 1:
            return cost
        total += cost * block.X.shape[0]
    return total / data.n


def _train_block(run, block, epoch):
    """One pass over the shuffled examples of ``block``; returns its weighted mean batch cost."""
    model, settings = run.model, run.settings
    loss, lambd, keep_prob = settings.loss, settings.lambd, settings.keep_prob
    theta, grad, grads = model.theta, model.grad, model.grads
    m = block.X.shape[0]
    batch_size = m if settings.batch_size is None else min(settings.batch_size, m)
    weights = None if block.weights is None else block.weights.T
    # Shuffle indices, not the data: one permutation per block from the model's generator.
    permutation = model.rng.permutation(m) if batch_size < m else None
    total = 0.0
    for start in range(0, m, batch_size):
        if permutation is None:
            buffers = run.buffers_for(batch_size, block)
            X_batch, Y_batch = block.X, block.Y
        else:
            index = permutation[start:start + batch_size]
            buffers = run.buffers_for(index.size, block)
            # mode="clip" lets take write straight into out (the indices are valid anyway).
            X_batch = np.take(block.X, index, axis=0, out=buffers.X, mode="clip")
            Y_batch = np.take(block.Y, index, axis=0, out=buffers.Y, mode="clip")
            if block.weights is not None:
                weights = np.take(block.weights, index, axis=0, out=buffers.weights,
                                  mode="clip").T
        workspace = buffers.workspace
        A, caches = model.forward(X_batch.T, None, keep_prob, True, workspace=workspace)
        Y_batch = Y_batch.T
        cost = model.cost(A, Y_batch, loss, lambd, Z=caches.layers[-1].Z, weights=weights)
        if not math.isfinite(cost):
            run.diverged(epoch, cost)
        model.backward(A, Y_batch, caches, loss, lambd, grads, workspace=workspace,
                       weights=weights)
        if model.batch_norm:
            model.update_batch_norm_statistics(caches)
        # The optimizer refuses a non-finite update, so theta only ever holds finite values.
        if not model.optimizer.step(theta, grad):
            run.diverged(epoch, cost)
        for callback in run.batch_callbacks:
            callback.on_batch_end(Step(model, caches, grads, model.optimizer.learning_rate))
        total += cost * A.shape[1]
        run.interrupt.check()  # a Ctrl-C takes effect here, between two complete steps
    return total / m


# --------------------------------------------------------------------------- checkpoints
def check_checkpoint(checkpoint):
    """``checkpoint`` if it is a path or None; a TypeError naming it otherwise."""
    if checkpoint is not None and not isinstance(checkpoint, (str, os.PathLike)):
        raise TypeError(f"checkpoint must be a path or None, got {checkpoint!r}")
    return checkpoint


def save_checkpoint(model, path, costs):
    """Save the model with everything ``train(..., resume=True)`` needs to continue exactly:
    the optimizer's hyperparameters, stored moments and step count, the random generator's
    state and the costs so far."""
    optimizer = model.optimizer
    state = {
        "optimizer": optimizer.name, "t": optimizer.t,
        "learning_rate": optimizer.learning_rate, "beta1": optimizer.beta1,
        "beta2": optimizer.beta2, "epsilon": optimizer.epsilon,
        "rng": model.rng.bit_generator.state, "costs": list(costs),
    }
    metadata = {"training_state": state}
    metadata.update({f"optimizer_{name}": value
                     for name, value in optimizer.stored_moments.items()})
    _save(model, path, metadata=metadata)


def restore_checkpoint(model, metadata):
    """Restore the optimizer, generator and costs that :func:`save_checkpoint` stored.

    Raises ``KeyError``, ``TypeError`` or ``ValueError`` for a damaged training state; the model
    is changed only when everything is valid.
    """
    state = metadata["training_state"]
    if not isinstance(state, dict):
        raise TypeError("training_state is not an object")
    optimizer_cls = _optimizers.get(state["optimizer"])
    hyper = [check_float(state["learning_rate"], "learning_rate", low=0.0, low_open=True),
             check_float(state["beta1"], "beta1", low=0.0, high=1.0, high_open=True),
             check_float(state["beta2"], "beta2", low=0.0, high=1.0, high_open=True),
             check_float(state["epsilon"], "epsilon", low=0.0, low_open=True)]
    optimizer = optimizer_cls(model.n_parameters, model.compute_dtype, *hyper)
    optimizer.t = check_int(state["t"], "t", minimum=0)
    for name, stored in optimizer.stored_moments.items():
        value = metadata[f"optimizer_{name}"]
        if value.dtype != stored.dtype or value.shape != stored.shape:
            raise ValueError(f"optimizer_{name} must be {stored.dtype} of shape {stored.shape}")
        stored[...] = value
    costs = state["costs"]
    if not isinstance(costs, list) or not all(
            isinstance(c, (int, float)) and not isinstance(c, bool) for c in costs):
        raise TypeError("costs is not a list of numbers")
    rng = np.random.default_rng()
    rng.bit_generator.state = state["rng"]  # raises for a malformed or foreign state
    model.optimizer, model.rng, model.costs = optimizer, rng, costs
