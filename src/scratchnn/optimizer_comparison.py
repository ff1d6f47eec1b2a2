r"""The optimizer-comparison experiment: one network trained from the same weights by several
optimizers, each at a stated learning rate, their paths drawn over a slice of the loss surface.

The experiment (training, recording each run's parameters, the 2-parameter slice, the cost on
it) lives here; the drawing primitives come from :mod:`scratchnn.plotting`. Comparing optimizers
fairly needs a rule for the learning rates, since each has its own good range (plain gradient
descent takes gradient-sized steps, RMSprop and Adam steps of about ``learning_rate`` per
parameter). :func:`compare_optimizers` uses one of three, and says which in the picture:

- ``learning_rate="sweep"`` (the default): every optimizer is trained at each rate of
  :data:`RATE_SWEEP` and shown at the one with the lowest final training cost;
- a number: all at that one rate;
- a dict: the rates given, one per optimizer.

Each optimizer's rate is in the legend.
"""

from __future__ import annotations

import math
import warnings
from dataclasses import dataclass

import numpy as np

from .diagnostics import TrainingProblemWarning
from .network import ClassifierNN
from .optimizers import OPTIMIZERS
from .plotting import check_path, log_norm, new_figure, save_gif
from .training import DivergenceError
from .validation import check_float, check_int

__all__ = ["RATE_SWEEP", "DEFAULT_OPTIMIZERS", "OptimizerComparison", "compare_optimizers"]

RATE_SWEEP = (0.001, 0.003, 0.01, 0.03, 0.1, 0.3, 1.0, 3.0, 10.0)
"""The learning rates ``compare_optimizers(learning_rate="sweep")`` tries for every optimizer."""

DEFAULT_OPTIMIZERS = (*(name for name, cls in OPTIMIZERS.items() if not cls.full_batch),
                      "adam+cosine")
"""What :func:`compare_optimizers` compares by default: every per-step optimizer of
:data:`scratchnn.optimizers.OPTIMIZERS` (gd, momentum, nesterov, rmsprop, adam, adamw, nadam; not
the full-batch lbfgs, which has no learning rate), and Adam with the cosine schedule."""


@dataclass
class OptimizerComparison:
    """What :func:`compare_optimizers` computed.

    Attributes
    ----------
    costs : dict of str to list of float
        Per optimizer, the training cost of each epoch (at its rate in ``learning_rates``).
    learning_rates : dict of str to float
        The rate each optimizer was run at.
    rate_rule : str
        How the rates were chosen, in words (also in the figure).
    sweep_costs : dict of str to dict of float to float, or None
        With ``learning_rate="sweep"``: per optimizer, the final training cost at every rate
        tried (``inf`` where training diverged). None otherwise.
    trajectories : dict of str to ndarray of shape (n_epochs + 1, 2)
        Per optimizer, the parameters at the start and after each epoch, as coordinates in the
        plane of the slice (the initial weights are ``(0, 0)``).
    directions : ndarray of shape (2, n_parameters)
        The orthonormal directions ``u, v`` spanning the slice: coordinates ``(a, b)`` stand for
        the parameters ``theta0 + a u + b v``.
    explained : float
        Fraction of the runs' squared distance from the initial weights that lies in the slice
        (1.0 means the trajectories lie in it exactly).
    surface : tuple of ndarray
        ``(a, b, cost)``: the grid axes, shapes ``(r,)`` and ``(r,)``, and the cost on the slice,
        shape ``(r, r)`` with ``cost[i, j]`` at ``(a[j], b[i])``.
    figure : matplotlib.figure.Figure
        The cost curves beside the trajectories on the surface.
    """

    costs: dict
    learning_rates: dict
    rate_rule: str
    sweep_costs: dict
    trajectories: dict
    directions: np.ndarray
    explained: float
    surface: tuple
    figure: object


def _train_recording(model, X, Y, num_epochs, train_kwargs):
    """Train ``model``; return its costs and its flat parameters at the start and after every epoch.

    Returns
    -------
    costs : list of float, length num_epochs
    snapshots : ndarray of shape (num_epochs + 1, n_parameters)
    """
    snapshots = [model.theta.astype(np.float64)]

    def record(epoch, cost):
        snapshots.append(model.theta.astype(np.float64))
        return False  # never stop early

    with warnings.catch_warnings():
        # A sweep tries rates meant to be too high or too low; the curves say how they did.
        warnings.simplefilter("ignore", TrainingProblemWarning)
        _, costs = model.train(X, Y, num_epochs=num_epochs, print_cost=False, callback=record,
                               **train_kwargs)
    return costs, np.array(snapshots)


def split_entry(name):
    """``"adam+cosine"`` -> ``("adam", "cosine")``; ``"adam"`` -> ``("adam", None)``."""
    optimizer, _, schedule = name.partition("+")
    return optimizer.strip(), (schedule.strip() or None)


def _rates(learning_rate, optimizers):
    """The rates to run (None per optimizer for a sweep) and the rule in words."""
    if isinstance(learning_rate, str):
        if learning_rate != "sweep":
            raise ValueError(f"learning_rate must be 'sweep', a number or a dict of optimizer "
                             f"name to number, got {learning_rate!r}")
        rule = ("each optimizer at its best learning rate (lowest final training cost) of "
                f"{', '.join(f'{r:g}' for r in RATE_SWEEP)}")
        return dict.fromkeys(optimizers), rule
    if isinstance(learning_rate, dict):
        missing = [name for name in optimizers if name not in learning_rate]
        if missing:
            raise ValueError(f"learning_rate has no entry for {missing}")
        rates = {name: check_float(learning_rate[name], f"learning_rate[{name!r}]", low=0.0,
                                   low_open=True) for name in optimizers}
        return rates, "learning rates set per optimizer (in the legend)"
    rate = check_float(learning_rate, "learning_rate", low=0.0, low_open=True)
    return dict.fromkeys(optimizers, rate), f"every optimizer at learning rate {rate:g}"


def compare_optimizers(X, Y, layer_dims, activations, *, loss="BinaryCrossEntropy",
                       optimizers=DEFAULT_OPTIMIZERS, learning_rate="sweep",
                       num_epochs=60, batch_size=None, seed=0, path=None, gif_path=None,
                       resolution=40, fps=8, gif_dpi=72):
    r"""Train one network with several optimizers from the same weights and draw how each moved.

    Every optimizer trains a :class:`~scratchnn.ClassifierNN` built from the same ``layer_dims``,
    ``activations`` and ``seed``, so all start from identical initial weights :math:`\theta_0`
    (and, with mini-batches, see the examples in the same order). The figure has two panels:

    - the training cost per epoch of each optimizer, its learning rate in the legend and the
      rule that chose the rates in the title;
    - the cost on a **2-parameter slice** of the loss surface, with each optimizer's path on it.
      The network has many parameters, so the picture takes the plane through :math:`\theta_0`
      spanned by the two directions :math:`u, v` in which the runs moved most (the top two
      principal directions of all the displacements :math:`\theta_t - \theta_0`, as in Li et al.,
      *Visualizing the Loss Landscape of Neural Nets*, 2018). A point :math:`(a, b)` of the picture
      is the network with parameters :math:`\theta_0 + a u + b v`, its cost computed by
      :meth:`ClassifierNN.objective`; each path is its run projected onto the plane.
      ``explained`` says how much of the runs the plane holds.

    Parameters
    ----------
    X : array of shape (n_features, m)
        Training data, one example per column, as :meth:`ClassifierNN.train` takes it.
    Y : array of shape (k, m)
        Labels in the format ``loss`` expects.
    layer_dims, activations : sequence
        The network, as for :class:`~scratchnn.ClassifierNN`.
    loss : str, default='BinaryCrossEntropy'
    optimizers : sequence of str, default=DEFAULT_OPTIMIZERS
        Which optimizers to compare (at least one, no repeats): names of
        :data:`scratchnn.optimizers.OPTIMIZERS`, each optionally followed by ``+`` and a
        learning-rate schedule ``train`` accepts by name (``"adam+cosine"``: Adam whose rate
        follows the cosine schedule from the rate shown down to 0 over ``num_epochs``).
    learning_rate : 'sweep', float or dict of str to float, default='sweep'
        ``'sweep'``: each optimizer at the rate of :data:`RATE_SWEEP` with the lowest final
        training cost (so ``len(RATE_SWEEP)`` trainings per optimizer); a number: one rate for
        all; a dict: one rate per optimizer.
    num_epochs : int, default=60
    batch_size : int or None, default=None
        ``None`` trains on the full batch, which gives the smoothest paths.
    seed : int, default=0
        Seed of every network (so of the common initial weights).
    path : str or os.PathLike, optional
        Where to save the figure (PNG, or any format matplotlib writes).
    gif_path : str or os.PathLike, optional
        Where to save an animated GIF in which the curves and paths grow epoch by epoch.
    resolution : int, default=40
        Grid points per axis of the surface (the cost is evaluated ``resolution**2`` times).
    fps : int, default=8
        Frames per second of the GIF (at most 40 frames are drawn, spread over the epochs).
    gif_dpi : int, default=72
        Resolution of the GIF's frames, in dots per inch of the 11 x 4.9 inch figure.

    Returns
    -------
    OptimizerComparison

    Raises
    ------
    ImportError
        If matplotlib is not installed.
    TypeError, ValueError
        If an argument is invalid (the message names it), including errors
        :class:`~scratchnn.ClassifierNN` raises for the network, data or training settings.
    DivergenceError
        If an optimizer diverges at a rate given by the caller (a sweep skips such rates, and
        raises only when every rate diverges).
    """
    if isinstance(optimizers, (str, bytes)) or not hasattr(optimizers, "__iter__"):
        raise TypeError(f"optimizers must be a sequence of optimizer names, got {optimizers!r}")
    optimizers = list(optimizers)
    for name in optimizers:
        if not isinstance(name, str):
            raise TypeError(f"optimizers must hold optimizer names (str), got {name!r}")
    if not optimizers or len(set(optimizers)) != len(optimizers):
        raise ValueError(f"optimizers must name at least one optimizer, each once: {optimizers}")
    rates, rule = _rates(learning_rate, optimizers)
    num_epochs = check_int(num_epochs, "num_epochs", minimum=1)
    resolution = check_int(resolution, "resolution", minimum=2)
    fps = check_int(fps, "fps", minimum=1)
    gif_dpi = check_int(gif_dpi, "gif_dpi", minimum=10)
    path = check_path(path)
    gif_path = check_path(gif_path)
    new_figure()  # fail now, not after training, if matplotlib is missing

    # The weights every run starts from, copied in explicitly rather than trusting the seed alone.
    theta0 = ClassifierNN(layer_dims, activations, seed=seed).theta.copy()

    def make_model():
        model = ClassifierNN(layer_dims, activations, seed=seed)
        model.theta = theta0
        return model

    def run(name, rate):
        optimizer, schedule = split_entry(name)
        return _train_recording(make_model(), X, Y, num_epochs,
                                {"loss": loss, "optimizer": optimizer, "learning_rate": rate,
                                 "batch_size": batch_size, "lr_schedule": schedule})

    costs, paths = {}, {}
    sweep_costs = None if learning_rate != "sweep" else {}
    for name in optimizers:
        if rates[name] is not None:
            costs[name], paths[name] = run(name, rates[name])
            continue
        sweep_costs[name], best = {}, None
        for rate in RATE_SWEEP:
            try:
                result = run(name, rate)
            except DivergenceError:
                sweep_costs[name][rate] = math.inf
                continue
            sweep_costs[name][rate] = float(result[0][-1])
            if best is None or result[0][-1] < best[1][0][-1]:
                best = (rate, result)
        if best is None:
            raise DivergenceError(f"{name} diverged at every learning rate of {RATE_SWEEP}")
        rates[name], (costs[name], paths[name]) = best

    # The slice: the top two right singular vectors of all displacements theta_t - theta0.
    displacements = np.concatenate([p - theta0 for p in paths.values()])
    _, singular, Vt = np.linalg.svd(displacements, full_matrices=False)
    directions = np.zeros((2, theta0.size))
    directions[: min(2, Vt.shape[0])] = Vt[:2]
    total = float(np.sum(singular**2))
    explained = float(np.sum(singular[:2] ** 2) / total) if total > 0 else 1.0
    trajectories = {name: (p - theta0) @ directions.T for name, p in paths.items()}
    for k in range(2):
        # SVD leaves each direction's sign arbitrary; make the runs end on the positive side.
        if np.mean([t[-1, k] for t in trajectories.values()]) < 0:
            directions[k] *= -1
            for t in trajectories.values():
                t[:, k] *= -1

    points = np.concatenate(list(trajectories.values()))
    lows, highs = points.min(axis=0), points.max(axis=0)
    pads = np.maximum(0.15 * (highs - lows), 0.05 * max(float(np.max(highs - lows)), 1e-3))
    a = np.linspace(lows[0] - pads[0], highs[0] + pads[0], resolution)
    b = np.linspace(lows[1] - pads[1], highs[1] + pads[1], resolution)
    objective = make_model().objective(X, Y, loss)  # the data are checked once
    cost = np.empty((resolution, resolution))
    for i, bi in enumerate(b):
        for j, aj in enumerate(a):
            cost[i, j] = objective.cost(theta0 + aj * directions[0] + bi * directions[1])

    fig, update, moving = _comparison_figure(costs, rates, rule, trajectories, (a, b, cost),
                                             explained)
    update(num_epochs)
    if path is not None:
        fig.savefig(path, dpi=120)
    if gif_path is not None:
        save_gif(fig, update, moving, num_epochs, gif_path, fps, gif_dpi)
    return OptimizerComparison(costs, rates, rule, sweep_costs, trajectories, directions,
                               explained, (a, b, cost), fig)


def _comparison_figure(costs, rates, rule, trajectories, surface, explained):
    """Build the two-panel figure; ``update(k)`` shows the first ``k`` epochs of every run."""
    a, b, cost = surface
    fig = new_figure((11.0, 4.9))
    ax_cost, ax_surface = fig.subplots(1, 2)
    # Contours of log(cost): the interesting valleys are orders of magnitude below the rim.
    levels = np.geomspace(max(cost.min(), 1e-12), cost.max(), 25) if cost.max() > cost.min() \
        else 10
    filled = ax_surface.contourf(a, b, cost, levels=levels, cmap="viridis", norm=log_norm(cost))
    fig.colorbar(filled, ax=ax_surface, label="cost", format="%.3g")
    colours = {name: f"C{k}" for k, name in enumerate(costs)}
    lines, paths, heads = {}, {}, {}
    for name in costs:
        label = f"{name} (lr {rates[name]:g})"
        (lines[name],) = ax_cost.plot([], [], color=colours[name], label=label)
        (paths[name],) = ax_surface.plot([], [], color=colours[name], linewidth=1.6, label=label)
        (heads[name],) = ax_surface.plot([], [], "o", color=colours[name], markersize=5,
                                         markeredgecolor="white")
    ax_surface.plot([0.0], [0.0], "k*", markersize=10, label="start")
    n_epochs = max(len(c) for c in costs.values())
    every = np.concatenate([np.asarray(c, dtype=np.float64) for c in costs.values()])
    ax_cost.set_xlim(1, max(n_epochs, 2))
    ax_cost.set_yscale("log")  # a cross-entropy cost is positive
    ax_cost.set_ylim(every.min() / 1.2, every.max() * 1.2)
    ax_cost.set_xlabel("epoch")
    ax_cost.set_ylabel("training cost")
    ax_cost.set_title("Cost per epoch")
    ax_cost.grid(True, alpha=0.3)
    ax_cost.legend()
    ax_surface.set_xlabel("direction 1")
    ax_surface.set_ylabel("direction 2")
    ax_surface.set_title(f"Paths on a 2-parameter slice ({100 * explained:.0f}% of the motion)")
    ax_surface.legend(loc="best", fontsize=8)
    fig.suptitle(f"Learning rates: {rule}", fontsize=9)

    def update(k):
        for name, curve in costs.items():
            lines[name].set_data(np.arange(1, min(k, len(curve)) + 1), curve[:k])
            path = trajectories[name][: k + 1]
            paths[name].set_data(path[:, 0], path[:, 1])
            heads[name].set_data(path[-1:, 0], path[-1:, 1])

    return fig, update, [*lines.values(), *paths.values(), *heads.values()]
