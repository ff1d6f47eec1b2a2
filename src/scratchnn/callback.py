"""The base class of the training loop's per-epoch hooks (:func:`scratchnn.training.fit`), in
Keras's shape, and the limits a saved callback state is checked against.

A callback subclasses :class:`Callback` and overrides what it needs. The loop calls, in order:

``on_train_begin(model)``
    once, before the first epoch, with the model being trained;
``on_batch_end(step)``
    after every optimizer step, with a :class:`scratchnn.training.Step` (the model, that step's
    forward cache, gradients and learning rate). Only callbacks that override it are called, so
    the others cost nothing per step, and only in epochs where their ``wants_batches`` is true;
``on_epoch_end(epoch, logs)``
    after every epoch (``epoch`` counts from 1); ``logs`` holds that epoch's history values
    (``"loss"``, and what earlier callbacks added). A true return value stops training after this
    epoch;
``on_train_end(logs)``
    once, when training ends normally (by reaching ``num_epochs`` or by a callback's stop), with
    the last epoch's ``logs``. It is not called when training is interrupted or diverges.

Callbacks run in the order given, and share one ``logs`` dict per epoch.

For ``train(..., resume=True)`` a callback can keep state across the two calls:

``get_state()``
    a dict of JSON-able scalars (numbers, strings, ``None``), lists and NumPy arrays, keyed by
    identifiers, that the checkpoint stores, or ``None`` (the default) when there is nothing to
    keep;
``set_state(state)``
    restores what ``get_state`` returned. When continuing, the loop calls it right after
    ``on_train_begin(model)``, so it may use the model;
``check_state(state, limits)`` (a class method)
    returns the state checked field by field (types, shapes against the model, finite values,
    signs, counters no larger than the epochs completed), or raises ``TypeError`` /
    ``ValueError`` naming the class and the field. ``load`` calls it for the callbacks of
    :mod:`scratchnn.callbacks` before it returns a checkpoint
    (:func:`scratchnn.callbacks.check_states`), a checkpoint is refused by
    ``train`` before it is written if it would not load, and each ``set_state`` calls it too, so
    a damaged state never reaches training.

The callbacks themselves are in :mod:`scratchnn.callbacks` (EarlyStopping, ReduceLROnPlateau,
ModelCheckpoint, CSVLogger) and :mod:`scratchnn.diagnostics` (Diagnostics); both import this
module, which imports neither.
"""

from typing import NamedTuple

from .validation import MAX_COUNT

__all__ = ["Callback", "StateLimits"]


class StateLimits(NamedTuple):
    """What :meth:`Callback.check_state` checks a saved state against.

    Attributes
    ----------
    model : ClassifierNN
        The model the state belongs to: kept weights must have its shapes and dtype.
    epochs : int
        The epochs its optimizer has completed (at most ``2**53``): no counter of a state saved
        with it can be larger.
    learning_rate : float or None
        The learning rate saved beside the state in a checkpoint (``ReduceLROnPlateau`` only ever
        lowers the rate, so its own rate is never above it); ``None`` when not known.
    """

    model: object
    epochs: int = MAX_COUNT
    learning_rate: float = None

    @classmethod
    def of(cls, model):
        """The limits of a state about to be restored into ``model`` (by ``set_state``)."""
        epochs = getattr(getattr(model, "optimizer", None), "epoch", None)
        return cls(model, MAX_COUNT if epochs is None else min(int(epochs), MAX_COUNT))


class Callback:
    """Base class of the training loop's hooks; every method does nothing by default."""

    wants_batches = True
    """Read by the loop before each pass over a block of data (once an epoch for data in
    memory): a callback that overrides ``on_batch_end`` may make this False (a property, say)
    for the epochs it does not watch, and those steps then cost it nothing."""

    def on_train_begin(self, model):
        """Called once before the first epoch."""

    def on_batch_end(self, step):
        """Called after every optimizer step (see the module docstring)."""

    def on_epoch_end(self, epoch, logs):
        """Called after every epoch; return True to stop training."""
        return False

    def on_train_end(self, logs):
        """Called once when training ends normally."""

    def get_state(self):
        """What ``resume=True`` must carry over (see the module docstring); ``None``: nothing."""
        return None

    def set_state(self, state):
        """Restore what :meth:`get_state` returned; called right after ``on_train_begin``."""

    @classmethod
    def check_state(cls, state, limits):
        """``state`` checked against ``limits`` (a :class:`StateLimits`), ready for
        :meth:`set_state`; a ``TypeError`` or ``ValueError`` naming the class and the field
        otherwise. The default accepts any state: a callback that keeps one should check it."""
        return state
