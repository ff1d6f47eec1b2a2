"""Learning-rate schedules against independently written references.

The references follow PyTorch's schedulers as they compute: recursively, one multiplication per
epoch (``StepLR``, ``ExponentialLR``, and ``CosineAnnealingLR``'s recursive form with its special
case one past each minimum), sharing nothing with :mod:`scratchnn.schedules`' closed forms.
"""

import math
import re

import pytest

from scratchnn import schedules
from scratchnn.schedules import SCHEDULES, CosineDecay, ExponentialDecay, Schedule, StepDecay


def step_reference(base, step_size, gamma, n):
    rates, lr = [], base
    for epoch in range(n):
        if epoch > 0 and epoch % step_size == 0:
            lr *= gamma
        rates.append(lr)
    return rates


def exponential_reference(base, gamma, n):
    rates, lr = [], base
    for _ in range(n):
        rates.append(lr)
        lr *= gamma
    return rates


def cosine_reference(base, T, eta_min, n):
    """CosineAnnealingLR's recursive update, as PyTorch steps it once per epoch."""
    rates, lr = [base], base
    for epoch in range(1, n):
        if (epoch - 1 - T) % (2 * T) == 0:
            lr = lr + (base - eta_min) * (1 - math.cos(math.pi / T)) / 2
        else:
            lr = ((1 + math.cos(math.pi * epoch / T)) / (1 + math.cos(math.pi * (epoch - 1) / T))
                  * (lr - eta_min) + eta_min)
        rates.append(lr)
    return rates[:n]


def sequence(schedule, base, n):
    return [schedule(epoch, base) for epoch in range(n)]


@pytest.mark.parametrize("base", [0.1, 0.37])
@pytest.mark.parametrize("step_size, gamma", [(1, 0.5), (3, 0.1), (7, 0.9), (2, 1.0)])
def test_step_decay_matches_steplr(base, step_size, gamma):
    assert sequence(StepDecay(step_size, gamma), base, 30) == pytest.approx(
        step_reference(base, step_size, gamma, 30), rel=1e-13)


@pytest.mark.parametrize("base", [0.1, 1.0])
@pytest.mark.parametrize("gamma", [0.5, 0.9, 0.99, 1.0])
def test_exponential_decay_matches_exponentiallr(base, gamma):
    assert sequence(ExponentialDecay(gamma), base, 40) == pytest.approx(
        exponential_reference(base, gamma, 40), rel=1e-13)


@pytest.mark.parametrize("base", [0.01, 0.5])
@pytest.mark.parametrize("T", [1, 2, 7, 10])
@pytest.mark.parametrize("min_lr", [0.0, 1e-4])
def test_cosine_decay_matches_cosineannealinglr_past_its_end(base, T, min_lr):
    # 3T + 2 epochs: down to min_lr at T, back up to base at 2T, down again (PyTorch's behaviour
    # past T_max, which the docstring documents).
    n = 3 * T + 2
    assert sequence(CosineDecay(T, min_lr=min_lr), base, n) == pytest.approx(
        cosine_reference(base, T, min_lr, n), rel=1e-12, abs=1e-15)


def test_cosine_decay_pinned_values():
    # T = 4, base 1, min 0: (1 + cos(pi e / 4)) / 2 = 1, (2 + sqrt 2) / 4, 1/2, (2 - sqrt 2) / 4, 0
    rates = sequence(CosineDecay(4), 1.0, 5)
    assert rates == pytest.approx([1.0, (2 + 2 ** 0.5) / 4, 0.5, (2 - 2 ** 0.5) / 4, 0.0],
                                  abs=1e-15)
    assert CosineDecay(4, min_lr=0.2)(2, 1.0) == pytest.approx(0.6)


def test_cosine_warmup_ramps_linearly_then_follows_the_shortened_cosine():
    base, T, W, min_lr = 0.3, 10, 4, 0.01
    rates = sequence(CosineDecay(T, min_lr=min_lr, warmup_epochs=W), base, 2 * T)
    # Warmup: base/5, 2 base/5, 3 base/5, 4 base/5, then base at epoch W.
    assert rates[:W + 1] == pytest.approx([base * k / 5 for k in range(1, 6)], rel=1e-15)
    # From epoch W: CosineAnnealingLR over T - W epochs, started afresh.
    assert rates[W:] == pytest.approx(cosine_reference(base, T - W, min_lr, 2 * T - W),
                                      rel=1e-12)
    assert rates[T] == pytest.approx(min_lr)


def test_rates_are_python_floats_and_epoch_zero_is_the_base_rate():
    for schedule in (StepDecay(2), ExponentialDecay(0.5), CosineDecay(5)):
        rate = schedule(0, 0.25)
        assert type(rate) is float and rate == 0.25


@pytest.mark.parametrize("make, error, message", [
    (lambda: StepDecay(0), ValueError, r"step_size must be >= 1, got 0$"),
    (lambda: StepDecay(2.0), TypeError, r"step_size must be an integer, got 2\.0$"),
    (lambda: StepDecay(True), TypeError, r"step_size must be an integer, got True$"),
    (lambda: StepDecay(2, gamma=0.0), ValueError, r"gamma must be in \(0, 1\], got 0$"),
    (lambda: StepDecay(2, gamma=1.5), ValueError, r"gamma must be in \(0, 1\], got 1\.5$"),
    (lambda: StepDecay(2, gamma="0.1"), TypeError, r"gamma must be a real number"),
    (lambda: ExponentialDecay(-0.5), ValueError, r"gamma must be in \(0, 1\], got -0\.5$"),
    (lambda: ExponentialDecay(0.0), ValueError, r"gamma must be in \(0, 1\], got 0$"),
    (lambda: ExponentialDecay(1.5), ValueError, r"gamma must be in \(0, 1\], got 1\.5$"),
    (lambda: ExponentialDecay(float("nan")), ValueError, r"gamma must be finite"),
    (lambda: ExponentialDecay(None), TypeError, r"gamma must be a real number"),
    (lambda: CosineDecay(0), ValueError, r"total_epochs must be >= 1, got 0$"),
    (lambda: CosineDecay(-3, warmup_epochs=-5), ValueError, r"total_epochs must be >= 1, got -3$"),
    (lambda: CosineDecay(10.5), TypeError, r"total_epochs must be an integer"),
    (lambda: CosineDecay(10, min_lr=-1e-3), ValueError,
     r"min_lr must be in \[0, inf\), got -0\.001$"),
    (lambda: CosineDecay(10, min_lr=float("inf")), ValueError, r"min_lr must be finite"),
    (lambda: CosineDecay(10, warmup_epochs=-1), ValueError, r"warmup_epochs must be >= 0, got -1$"),
    (lambda: CosineDecay(10, warmup_epochs=10), ValueError,
     r"warmup_epochs must be below total_epochs \(10\), got 10$"),
    (lambda: CosineDecay(10, warmup_epochs=2.0), TypeError, r"warmup_epochs must be an integer"),
    (lambda: CosineDecay(10)(-1, 0.1), ValueError, r"epoch must be >= 0, got -1$"),
    (lambda: CosineDecay(10)(1.0, 0.1), TypeError, r"epoch must be an integer"),
    (lambda: StepDecay(2)(1, 0.0), ValueError, r"base_lr must be in \(0, inf\), got 0$"),
    (lambda: StepDecay(2)(1, "0.1"), TypeError, r"base_lr must be a real number"),
])
def test_bad_arguments_name_themselves(make, error, message):
    """Each bad argument raises the documented error type, and the message starts with its name
    (anchored: a message that merely contains the name somewhere would not do)."""
    with pytest.raises(error, match="^" + message):
        make()


@pytest.mark.parametrize("make", [
    lambda: StepDecay(1, gamma=1.0),
    lambda: ExponentialDecay(1.0),
    lambda: ExponentialDecay(1e-300),
    lambda: CosineDecay(1),
    lambda: CosineDecay(10, min_lr=0.0, warmup_epochs=9),
], ids=["step-1-gamma-1", "exp-gamma-1", "exp-gamma-tiny", "cosine-T-1", "cosine-warmup-T-1"])
def test_arguments_on_the_boundary_are_accepted(make):
    """The closed ends of the documented ranges are valid: gamma = 1, step_size = 1,
    total_epochs = 1, warmup_epochs = total_epochs - 1; epoch 0 and any base_lr > 0 are too."""
    schedule = make()
    assert schedule(0, 1e-300) > 0.0


def test_get_resolves_none_instances_and_cosine():
    assert schedules.get(None, 10) is None
    step = StepDecay(3)
    assert schedules.get(step, 10) is step
    for name in ("cosine", "Cosine", "COSINE"):
        cosine = schedules.get(name, 17)
        assert cosine == CosineDecay(17)
        assert sequence(cosine, 0.1, 17) == sequence(CosineDecay(17), 0.1, 17)


ACCEPTED = ("None, a schedule object (StepDecay, ExponentialDecay, CosineDecay from "
            "scratchnn.schedules) or 'cosine'")


@pytest.mark.parametrize("identifier, error, message", [
    ("step", ValueError,
     f"unknown lr_schedule 'step' (StepDecay needs arguments: pass an instance); expected {ACCEPTED}"),
    ("Exponential", ValueError, "unknown lr_schedule 'Exponential' (ExponentialDecay needs "
                                f"arguments: pass an instance); expected {ACCEPTED}"),
    ("linear", ValueError, f"unknown lr_schedule 'linear'; expected {ACCEPTED}"),
    (0.1, TypeError, f"lr_schedule must be {ACCEPTED}, got 0.1"),
    (StepDecay, TypeError, f"lr_schedule must be {ACCEPTED}, got {StepDecay!r}"),
])
def test_get_rejects_everything_else_listing_what_is_accepted(identifier, error, message):
    """The whole message: what was given, a hint only for a schedule's name, and the list of what
    is accepted."""
    with pytest.raises(error, match=f"^{re.escape(message)}$"):
        schedules.get(identifier, 10)


def test_get_rejects_a_plain_function():
    with pytest.raises(TypeError, match=f"^{re.escape(f'lr_schedule must be {ACCEPTED}, got')}"):
        schedules.get(lambda epoch, lr: lr, 10)


def test_get_cosine_checks_num_epochs():
    """``num_epochs`` must be >= 1, and 1 (a one-epoch run) is fine."""
    with pytest.raises(ValueError, match=r"^num_epochs must be >= 1, got 0$"):
        schedules.get("cosine", 0)
    with pytest.raises(TypeError, match=r"^num_epochs must be an integer"):
        schedules.get("cosine", 2.0)
    assert schedules.get("cosine", 1) == CosineDecay(1)


def test_hash_depends_on_the_configuration():
    """Equal schedules hash equal (above); different ones should not all share one hash, or a set
    or dict of schedules degrades to a list."""
    distinct = [StepDecay(3, 0.5), StepDecay(4, 0.5), StepDecay(3, 0.25), ExponentialDecay(0.9),
                ExponentialDecay(0.5), CosineDecay(20), CosineDecay(20, warmup_epochs=2)]
    assert len({hash(schedule) for schedule in distinct}) > 1
    assert len(set(distinct)) == len(distinct)


@pytest.mark.parametrize("schedule", [StepDecay(3, 0.5), ExponentialDecay(0.9),
                                      CosineDecay(20, min_lr=1e-3, warmup_epochs=2)])
def test_config_round_trip_repr_and_registry(schedule):
    import json

    config = json.loads(json.dumps(schedule.get_config()))
    rebuilt = SCHEDULES[schedule.name].from_config(config)
    assert rebuilt == schedule and hash(rebuilt) == hash(schedule)
    assert sequence(rebuilt, 0.1, 25) == sequence(schedule, 0.1, 25)
    assert repr(schedule).startswith(type(schedule).__name__ + "(")
    assert eval(repr(schedule), vars(schedules)) == schedule
    assert isinstance(schedule, Schedule)
    assert schedule != ExponentialDecay(0.5) and schedule != StepDecay(3, 0.25)


def test_schedules_hold_no_state_between_calls():
    schedule = CosineDecay(10, warmup_epochs=3)
    forward = sequence(schedule, 0.1, 15)
    backward = [schedule(epoch, 0.1) for epoch in reversed(range(15))][::-1]
    assert forward == backward


class Returning(Schedule):
    """A user's schedule that gives one fixed value, whatever it is."""

    def __init__(self, value):
        self.value = value

    def _rate(self, epoch, base_lr):
        return self.value

    def get_config(self):
        return {"value": self.value}


@pytest.mark.parametrize("value,error,message", [
    (-0.05, ValueError, r"^Returning \(epoch 0\) gave the learning rate -0.05: a schedule must "
                        r"give a finite rate > 0$"),
    (0, ValueError, r"^Returning \(epoch 0\) gave the learning rate 0.0: a schedule must give a "
                    r"finite rate > 0$"),
    (float("nan"), ValueError, r"^Returning \(epoch 0\) gave the learning rate nan"),
    ("0.1", TypeError, r"^Returning \(epoch 0\) gave the learning rate '0.1', a string"),
    (None, TypeError, r"^Returning \(epoch 0\) must be a real number, got None$"),
    (10 ** 400, ValueError, r"^Returning \(epoch 0\) must be a finite number within the float "
                            r"range, got an integer of 401 digits$"),
], ids=["negative", "zero", "nan", "string", "none", "400-digits"])
def test_a_schedules_rate_is_checked_as_a_learning_rate(value, error, message):
    """What a schedule gives is checked as ``train``'s ``learning_rate`` is, naming the
    schedule and the epoch: a negative, zero or string rate is never used as it is."""
    with pytest.raises(error, match=message):
        Returning(value)(0, 0.1)


def test_train_checks_the_rate_of_a_schedule_that_replaces_call():
    """A schedule that overrides ``__call__`` itself (skipping the base class's check) is
    checked by the training loop, which names it, before any step uses its rate."""
    import numpy as np

    from scratchnn import ClassifierNN

    class Uphill(Schedule):
        def __call__(self, epoch, base_lr):
            return -base_lr

        def get_config(self):
            return {}

    X = np.random.default_rng(0).standard_normal((2, 20))
    y = (X[0] > 0).astype(int).reshape(1, -1)
    nn = ClassifierNN([2, 3, 1], ["relu", "sigmoid"], seed=0)
    theta = nn.theta.copy()
    with pytest.raises(ValueError, match=r"^lr_schedule Uphill \(epoch 0\) must give a finite "
                                         r"learning rate > 0, got -0.01$"):
        nn.train(X, y, num_epochs=2, lr_schedule=Uphill(), print_cost=False)
    np.testing.assert_array_equal(nn.theta, theta)


def test_the_built_in_schedules_may_reach_zero():
    """``CosineDecay(min_lr=0)`` gives exactly 0 at epoch ``T``: its own floor, accepted."""
    assert CosineDecay(4)(4, 0.5) == 0.0
