"""Per-epoch hooks of the training loop (:func:`scratchnn.training.fit`), in Keras's shape.

A callback subclasses :class:`Callback` and overrides what it needs. The loop calls, in order:

``on_train_begin(model)``
    once, before the first epoch, with the model being trained;
``on_batch_end(step)``
    after every optimizer step, with a :class:`scratchnn.training.Step` (the model, that step's
    forward cache, gradients and learning rate). Only callbacks that override it are called, so
    the others cost nothing per step;
``on_epoch_end(epoch, logs)``
    after every epoch (``epoch`` counts from 1); ``logs`` holds that epoch's history values
    (``"loss"``, and what earlier callbacks added). A true return value stops training after this
    epoch;
``on_train_end(logs)``
    once, when training ends normally (by reaching ``num_epochs`` or by a callback's stop), with
    the last epoch's ``logs``. It is not called when training is interrupted or diverges.

Callbacks run in the order given, and share one ``logs`` dict per epoch.
"""

import math

import numpy as np

from .validation import check_bool, check_float, check_int

__all__ = ["Callback", "Diagnostics", "EarlyStopping"]


class Callback:
    """Base class of the training loop's hooks; every method does nothing by default."""

    def on_train_begin(self, model):
        """Called once before the first epoch."""

    def on_batch_end(self, step):
        """Called after every optimizer step (see the module docstring)."""

    def on_epoch_end(self, epoch, logs):
        """Called after every epoch; return True to stop training."""
        return False

    def on_train_end(self, logs):
        """Called once when training ends normally."""


class EarlyStopping(Callback):
    r"""Stop when a monitored value stops improving, and put the best epoch's weights back.

    Parameters
    ----------
    monitor : str, default 'val_loss'
        The history key to watch (``"loss"``, ``"val_loss"``, ``"val_accuracy"``, ...).
    patience : int >= 1, default 10
        Epochs without an improvement of more than ``min_delta`` after which training stops.
    min_delta : float >= 0, default 0.0
        The smallest change that counts as an improvement.
    restore_best_weights : bool, default True
        When training ends, by this callback's stop or by reaching ``num_epochs``, copy back the
        parameters (and batch-norm running statistics) of the epoch with the best value.
    mode : {'auto', 'min', 'max'}, default 'auto'
        Whether smaller or larger is better; ``'auto'`` takes ``'max'`` for keys containing
        ``"accuracy"`` and ``'min'`` otherwise.

    Notes
    -----
    With ``best`` the best value so far (for ``mode='min'``), after each epoch

    .. math:: \text{wait} \leftarrow \begin{cases} 0 & \text{if value} < \text{best} -
              \text{min\_delta} \\ \text{wait} + 1 & \text{otherwise} \end{cases}, \qquad
              \text{best} \leftarrow \min(\text{best}, \text{value})

    and training stops when ``wait`` reaches ``patience``. The best value (and the weights kept)
    follow every strict improvement, while only an improvement of more than ``min_delta`` resets
    the count: scikit-learn's MLPClassifier counts the same way. (Keras moves ``best`` only on
    an improvement of more than ``min_delta``.)

    Attributes
    ----------
    best : float
        The best monitored value seen.
    best_epoch : int or None
        The epoch (from 1) it was seen at.
    stopped_epoch : int or None
        The epoch after which this callback stopped training, if it did.
    """

    def __init__(self, monitor="val_loss", patience=10, min_delta=0.0,
                 restore_best_weights=True, mode="auto"):
        if not isinstance(monitor, str):
            raise TypeError(f"monitor must be a history key (a string), got {monitor!r}")
        if mode not in ("auto", "min", "max"):
            raise ValueError(f"mode must be 'auto', 'min' or 'max', got {mode!r}")
        self.monitor = monitor
        self.patience = check_int(patience, "patience", minimum=1)
        self.min_delta = check_float(min_delta, "min_delta", low=0.0)
        self.restore_best_weights = check_bool(restore_best_weights, "restore_best_weights")
        if mode == "auto":
            mode = "max" if "accuracy" in monitor else "min"
        self.mode = mode
        self._sign = 1.0 if mode == "min" else -1.0  # compare sign * value: smaller is better

    def on_train_begin(self, model):
        self.model = model
        self.best = math.inf if self.mode == "min" else -math.inf
        self.best_epoch = self.stopped_epoch = None
        self.wait = 0
        self._best_weights = None

    def on_epoch_end(self, epoch, logs):
        if self.monitor not in logs:
            raise ValueError(f"EarlyStopping monitors {self.monitor!r}, but the history has only "
                             f"{sorted(logs)}")
        value = self._sign * float(logs[self.monitor])
        best = self._sign * self.best
        improved = value < best - self.min_delta
        if value < best:
            self.best, self.best_epoch = float(logs[self.monitor]), epoch
            if self.restore_best_weights:
                self._best_weights = _snapshot(self.model)
        self.wait = 0 if improved else self.wait + 1
        if self.wait >= self.patience:
            self.stopped_epoch = epoch
            return True
        return False

    def on_train_end(self, logs):
        if self._best_weights is not None:
            _restore(self.model, self._best_weights)


def _snapshot(model):
    """Copies of ``model``'s flat parameters and batch-norm running statistics."""
    return model.theta.copy(), {key: value.copy() for key, value in model.bn_state.items()}


def _restore(model, snapshot):
    """Write a :func:`_snapshot` back into ``model`` in place."""
    theta, bn_state = snapshot
    np.copyto(model.theta, theta)
    for key, value in bn_state.items():
        np.copyto(model.bn_state[key], value)


from .diagnostics import Diagnostics  # noqa: E402
