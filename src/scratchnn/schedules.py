r"""Learning-rate schedules: the rate of each epoch from the base rate, one small class each.

A schedule is called once per epoch, ``schedule(epoch, base_lr)``, with ``epoch`` counted from 0
and ``base_lr`` the ``learning_rate`` given to ``train``; the rate it returns is used for every
optimizer step of that epoch. The sequences equal PyTorch's ``StepLR``, ``ExponentialLR`` and
``CosineAnnealingLR`` stepped once per epoch (PyTorch computes them recursively, one
multiplication per step, so the two agree up to rounding: within a few units in the last place).

Notation: :math:`\alpha_0` is the base rate, :math:`e` the epoch (from 0) and :math:`\alpha_e` the
rate used during epoch :math:`e`.
"""

import math

from .validation import check_float, check_int, to_float

__all__ = ["Schedule", "StepDecay", "ExponentialDecay", "CosineDecay", "SCHEDULES", "get"]


class Schedule:
    """Base class: a learning rate per epoch from the base rate; subclasses define ``_rate``.

    A schedule holds only its constructor's arguments and no state, so the rate of an epoch
    depends on nothing but ``(epoch, base_lr)``: a resumed run gets the same rates as an
    uninterrupted one.
    """

    name = None
    """The schedule's name in :data:`SCHEDULES`."""

    zero_rate_allowed = False
    """Whether a rate of exactly 0 is one of the schedule's own values. The built-in schedules
    reach 0 only at a floor they were given (``CosineDecay``'s ``min_lr=0`` at epoch
    :math:`T`) or by underflow after thousands of decays; a subclass's rate must be > 0, as
    ``train``'s ``learning_rate``."""

    def __call__(self, epoch, base_lr):
        """The learning rate for every step of epoch ``epoch`` (from 0), as a Python float.

        Parameters
        ----------
        epoch : int >= 0
            The epoch, counted from 0.
        base_lr : float > 0
            The base learning rate (``train``'s ``learning_rate``).

        Raises
        ------
        TypeError, ValueError
            If ``_rate`` gives something else than a finite real number > 0 (>= 0 where
            :attr:`zero_rate_allowed`): a string, a negative rate, NaN. The message names the
            schedule and the epoch.
        """
        epoch = check_int(epoch, "epoch", minimum=0)
        base_lr = check_float(base_lr, "base_lr", low=0.0, low_open=True)
        rate = self._rate(epoch, base_lr)
        name = f"{type(self).__name__} (epoch {epoch})"
        if isinstance(rate, str):  # float("0.1") would quietly accept it
            raise TypeError(f"{name} gave the learning rate {rate!r}, a string: a schedule "
                            f"must give a real number")
        rate = to_float(rate, name)
        if not math.isfinite(rate) or rate < 0.0 or (rate == 0.0 and not self.zero_rate_allowed):
            bound = ">= 0" if self.zero_rate_allowed else "> 0"
            raise ValueError(f"{name} gave the learning rate {rate!r}: a schedule must give a "
                             f"finite rate {bound}")
        return rate

    def _rate(self, epoch, base_lr):  # pragma: no cover - abstract
        raise NotImplementedError

    def get_config(self):
        """The constructor's arguments as a JSON-able dict: ``type(self)(**config)`` rebuilds it."""
        raise NotImplementedError  # pragma: no cover - abstract

    @classmethod
    def from_config(cls, config):
        """Rebuild a schedule from :meth:`get_config`'s dict."""
        return cls(**config)

    def __repr__(self):
        arguments = ", ".join(f"{key}={value!r}" for key, value in self.get_config().items())
        return f"{type(self).__name__}({arguments})"

    def __eq__(self, other):
        return type(other) is type(self) and other.get_config() == self.get_config()

    def __hash__(self):
        return hash((type(self).__name__, tuple(self.get_config().items())))


class StepDecay(Schedule):
    r"""Multiply the rate by ``gamma`` every ``step_size`` epochs.

    .. math:: \alpha_e = \alpha_0 \, \gamma^{\lfloor e / \text{step\_size} \rfloor}

    The same sequence as ``torch.optim.lr_scheduler.StepLR(step_size, gamma)`` stepped once per
    epoch.

    Parameters
    ----------
    step_size : int >= 1
        Epochs between two decays.
    gamma : float in (0, 1], default 0.1
        The factor applied at each decay.
    """

    name = "step"
    zero_rate_allowed = True

    def __init__(self, step_size, gamma=0.1):
        self.step_size = check_int(step_size, "step_size", minimum=1)
        self.gamma = check_float(gamma, "gamma", low=0.0, high=1.0, low_open=True)

    def _rate(self, epoch, base_lr):
        return base_lr * self.gamma ** (epoch // self.step_size)

    def get_config(self):
        return {"step_size": self.step_size, "gamma": self.gamma}


class ExponentialDecay(Schedule):
    r"""Multiply the rate by ``gamma`` every epoch.

    .. math:: \alpha_e = \alpha_0 \, \gamma^{e}

    The same sequence as ``torch.optim.lr_scheduler.ExponentialLR(gamma)`` stepped once per
    epoch.

    Parameters
    ----------
    gamma : float in (0, 1]
        The factor applied after each epoch.
    """

    name = "exponential"
    zero_rate_allowed = True

    def __init__(self, gamma):
        self.gamma = check_float(gamma, "gamma", low=0.0, high=1.0, low_open=True)

    def _rate(self, epoch, base_lr):
        return base_lr * self.gamma ** epoch

    def get_config(self):
        return {"gamma": self.gamma}


class CosineDecay(Schedule):
    r"""Cosine annealing from the base rate down to ``min_lr``, after an optional linear warmup.

    Without warmup (``warmup_epochs = 0``), with :math:`T` = ``total_epochs`` and
    :math:`\alpha_{\min}` = ``min_lr``:

    .. math:: \alpha_e = \alpha_{\min} + (\alpha_0 - \alpha_{\min})
              \, \frac{1 + \cos(\pi e / T)}{2}

    so :math:`\alpha_0` at epoch 0 and :math:`\alpha_{\min}` at epoch :math:`T` (one past the
    last epoch of a ``num_epochs = T`` run, whose last rate is then just above ``min_lr``). This is
    ``torch.optim.lr_scheduler.CosineAnnealingLR(T_max=T, eta_min=min_lr)`` stepped once per
    epoch. Past :math:`T` the formula is applied as it stands, as PyTorch does: the rate rises
    again along the cosine, back to :math:`\alpha_0` at :math:`2T` (a period of :math:`2T`),
    rather than staying at ``min_lr``.

    With :math:`W` = ``warmup_epochs`` > 0, the rate first ramps up linearly,

    .. math:: \alpha_e = \alpha_0 \, \frac{e + 1}{W + 1} \qquad (e < W),

    i.e. :math:`\alpha_0/(W+1), 2\alpha_0/(W+1), \dots, W\alpha_0/(W+1)`, reaching
    :math:`\alpha_0` at epoch :math:`W`, from where the cosine above runs over the remaining
    :math:`T' = T - W` epochs with :math:`e' = e - W`:

    .. math:: \alpha_e = \alpha_{\min} + (\alpha_0 - \alpha_{\min})
              \, \frac{1 + \cos(\pi (e - W) / (T - W))}{2} \qquad (e \ge W).

    Parameters
    ----------
    total_epochs : int >= 1
        :math:`T`, usually the run's ``num_epochs`` (``lr_schedule="cosine"`` passes that).
    min_lr : float >= 0, default 0.0
        The rate reached at epoch :math:`T`.
    warmup_epochs : int >= 0, default 0
        :math:`W`, the epochs of linear warmup; must be below ``total_epochs``.
    """

    name = "cosine"
    zero_rate_allowed = True

    def __init__(self, total_epochs, min_lr=0.0, warmup_epochs=0):
        self.total_epochs = check_int(total_epochs, "total_epochs", minimum=1)
        self.min_lr = check_float(min_lr, "min_lr", low=0.0)
        self.warmup_epochs = check_int(warmup_epochs, "warmup_epochs", minimum=0)
        if self.warmup_epochs >= self.total_epochs:
            raise ValueError(f"warmup_epochs must be below total_epochs ({self.total_epochs}), "
                             f"got {self.warmup_epochs}")

    def _rate(self, epoch, base_lr):
        warmup = self.warmup_epochs
        if epoch < warmup:
            return base_lr * (epoch + 1) / (warmup + 1)
        progress = (epoch - warmup) / (self.total_epochs - warmup)
        return self.min_lr + (base_lr - self.min_lr) * (1.0 + math.cos(math.pi * progress)) / 2.0

    def get_config(self):
        return {"total_epochs": self.total_epochs, "min_lr": self.min_lr,
                "warmup_epochs": self.warmup_epochs}


SCHEDULES = {cls.name: cls for cls in (StepDecay, ExponentialDecay, CosineDecay)}
"""The schedule classes by name."""


def get(identifier, num_epochs):
    """Resolve ``train``'s ``lr_schedule`` argument.

    Parameters
    ----------
    identifier : None, Schedule or str
        ``None`` (a constant rate), a :class:`Schedule` instance, or the string ``"cosine"``
        (case-insensitive), meaning ``CosineDecay(num_epochs)``.
    num_epochs : int >= 1
        The run's number of epochs (for ``"cosine"``).

    Returns
    -------
    Schedule or None
    """
    accepted = ("None, a schedule object (StepDecay, ExponentialDecay, CosineDecay from "
                "scratchnn.schedules) or 'cosine'")
    if identifier is None or isinstance(identifier, Schedule):
        return identifier
    if isinstance(identifier, str):
        if identifier.lower() == "cosine":
            return CosineDecay(check_int(num_epochs, "num_epochs", minimum=1))
        hint = ""
        if identifier.lower() in SCHEDULES:
            hint = (f" ({SCHEDULES[identifier.lower()].__name__} needs arguments: pass "
                    f"an instance)")
        raise ValueError(f"unknown lr_schedule {identifier!r}{hint}; expected {accepted}")
    raise TypeError(f"lr_schedule must be {accepted}, got {identifier!r}")
