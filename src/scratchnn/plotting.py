"""Pictures of training: cost curves, decision boundaries, confusion matrices, activations, and
a side-by-side comparison of the optimizers, drawn with matplotlib.

matplotlib is an optional dependency (``pip install 'scratchnn[plot]'``), so it is
imported only when a plot is made; importing :mod:`scratchnn` never needs it.

The figures are built as plain :class:`matplotlib.figure.Figure` objects rather
than through ``pyplot``. Such a figure is not registered with pyplot's global
figure manager, so it needs no ``plt.close``, cannot leak when many are made in a
loop, never opens a window, and saves to a file on a machine with no display,
whatever backend the caller has chosen. To show one interactively, save it and
open the file, or, in Jupyter, run ``%matplotlib inline`` once and make the figure the last
expression of a cell (the examples/ notebooks do this).
"""

from __future__ import annotations

import os
from dataclasses import dataclass

import numpy as np

from .validation import check_int

__all__ = [
    "plot_costs",
    "plot_decision_boundary",
    "plot_confusion_matrix",
    "plot_activations",
    "compare_optimizers",
    "OptimizerComparison",
]

_MISSING_MATPLOTLIB = "plotting needs matplotlib: pip install 'scratchnn[plot]'"


def _new_figure(figsize=(6.4, 4.8)):
    """Return a new pyplot-free ``Figure``, importing matplotlib on first use.

    Raises
    ------
    ImportError
        If matplotlib is not installed, with the command that installs it.
    """
    try:
        # The top-level package first, so that a missing matplotlib is noticed even
        # when ``matplotlib.figure`` is still cached in sys.modules (a test that hides
        # matplotlib sets ``sys.modules["matplotlib"] = None``).
        import matplotlib  # noqa: F401
        from matplotlib.figure import Figure
    except ImportError as exc:
        raise ImportError(_MISSING_MATPLOTLIB) from exc
    return Figure(figsize=figsize, layout="constrained")


def require_matplotlib():
    """Raise the ImportError that names the ``plot`` extra now if matplotlib is missing.

    The command line calls it before training, so a missing matplotlib is reported at once.
    """
    _new_figure()


def _check_path(path):
    """Return ``path`` unchanged after checking it is None, a str or an os.PathLike."""
    if path is not None and not isinstance(path, (str, os.PathLike)):
        raise TypeError(f"path must be a str, an os.PathLike or None, got {type(path).__name__}")
    return path


def _as_curve(values, name):
    """Return ``values`` as a non-empty 1-D float64 array, or raise naming ``name``."""
    try:
        curve = np.asarray(values, dtype=np.float64)
    except (TypeError, ValueError) as exc:
        raise TypeError(f"{name} must be a sequence of numbers") from exc
    if curve.ndim != 1 or curve.size == 0:
        raise ValueError(f"{name} must be a non-empty 1-D sequence, got shape {curve.shape}")
    return curve


def plot_costs(costs, path=None, val_costs=None, title="Training cost"):
    """Plot the cost recorded after each epoch.

    Parameters
    ----------
    costs : sequence of float, shape (n_epochs,), or dict of str to such sequences
        One cost per epoch, as returned by ``ClassifierNN.train``; or several runs by name, each
        drawn as a labelled curve (to compare settings on one plot).
    path : str or os.PathLike, optional
        If given, the figure is also saved there; the file type follows the suffix
        (``.png``, ``.svg``, ``.pdf``, ...).
    val_costs : sequence of float, shape (n_val_epochs,), optional
        Validation cost per epoch, drawn as a second curve.
    title : str, default="Training cost"
        Axes title.

    Returns
    -------
    matplotlib.figure.Figure
        The figure. It is not managed by pyplot, so it needs no closing.

    Raises
    ------
    ImportError
        If matplotlib is not installed.
    TypeError
        If ``costs`` or ``val_costs`` is not numeric, or ``path`` is not path-like.
    ValueError
        If ``costs`` (or one of its runs) or ``val_costs`` is empty or not 1-D.
    OSError
        If the file cannot be written.
    """
    if isinstance(costs, dict):
        if not costs:
            raise ValueError("costs must name at least one run")
        curves = {str(name): _as_curve(curve, f"costs[{name!r}]") for name, curve in costs.items()}
    else:
        curves = {"train": _as_curve(costs, "costs")}
    if val_costs is not None:
        curves["validation"] = _as_curve(val_costs, "val_costs")
    path = _check_path(path)

    fig = _new_figure()
    ax = fig.subplots()
    for label, curve in curves.items():
        # Epochs count from 1: the first recorded cost is the one after the first epoch.
        ax.plot(np.arange(1, curve.size + 1), curve, label=label)
    if len(curves) > 1 or isinstance(costs, dict):
        ax.legend()
    ax.set_xlabel("epoch")
    ax.set_ylabel("cost")
    ax.set_title(title)
    ax.grid(True, alpha=0.3)
    if path is not None:
        fig.savefig(path, dpi=120)
    return fig


def plot_decision_boundary(model, X, y, path=None, title="Decision boundary", *, resolution=200):
    """Shade what a 2-feature model predicts over the plane, with the data on top.

    With a single sigmoid output the shading is the probability of class 1 and the
    0.5 contour is drawn as the boundary; with several (softmax) outputs each region
    is coloured by its most probable class.

    Parameters
    ----------
    model : object
        Anything with ``predict_proba(X)`` taking ``X`` of shape ``(2, m)`` (features
        in rows, as :class:`scratchnn.ClassifierNN` does) and returning an array of
        shape ``(n_outputs, m)``.
    X : array_like of shape (n_samples, 2)
        Points to scatter, one per row (scikit-learn orientation).
    y : array_like of shape (n_samples,)
        Label of each point, used for its colour.
    path : str or os.PathLike, optional
        If given, the figure is also saved there.
    title : str, default="Decision boundary"
        Axes title.
    resolution : int, default=200
        Grid points per axis at which the model is evaluated, >= 2.

    Returns
    -------
    matplotlib.figure.Figure
        The figure. It is not managed by pyplot, so it needs no closing.

    Raises
    ------
    ImportError
        If matplotlib is not installed.
    TypeError
        If ``model`` has no ``predict_proba``, ``resolution`` is not an integer or
        ``path`` is not path-like.
    ValueError
        If ``X`` is not ``(n_samples, 2)`` and finite, ``y`` does not match it, or
        ``predict_proba`` returns the wrong shape.
    OSError
        If the file cannot be written.
    """
    if not callable(getattr(model, "predict_proba", None)):
        raise TypeError(f"model must have a predict_proba method, got {type(model).__name__}")
    X = np.asarray(X, dtype=np.float64)
    if X.ndim != 2 or X.shape[1] != 2 or X.shape[0] == 0:
        raise ValueError(
            f"X must have shape (n_samples, 2) with n_samples >= 1, got {X.shape}; "
            "a decision boundary can only be drawn for 2 features"
        )
    if not np.all(np.isfinite(X)):
        raise ValueError("X must contain only finite values")
    y = np.asarray(y)
    if y.shape != (X.shape[0],):
        raise ValueError(f"y must have shape ({X.shape[0]},) to match X, got {y.shape}")
    resolution = check_int(resolution, "resolution", minimum=2)
    path = _check_path(path)

    # Pad the data's bounding box so points on the edge are not cut in half.
    lows, highs = X.min(axis=0), X.max(axis=0)
    spans = highs - lows
    pads = np.where(spans > 0, 0.1 * spans, 1.0)
    xs = np.linspace(lows[0] - pads[0], highs[0] + pads[0], resolution)
    ys = np.linspace(lows[1] - pads[1], highs[1] + pads[1], resolution)
    xx, yy = np.meshgrid(xs, ys)
    grid = np.vstack([xx.ravel(), yy.ravel()])  # (2, resolution**2): features in rows

    proba = np.asarray(model.predict_proba(grid))
    if proba.ndim != 2 or proba.shape[1] != grid.shape[1]:
        raise ValueError(
            f"model.predict_proba returned shape {proba.shape}, "
            f"expected (n_outputs, {grid.shape[1]})"
        )

    fig = _new_figure()
    ax = fig.subplots()
    if proba.shape[0] == 1:
        # Shade P(class 1); labels 0 and 1 take the two ends of the same colour map.
        colours = {"cmap": "RdBu", "vmin": 0.0, "vmax": 1.0}
        p1 = proba[0].reshape(xx.shape)
        filled = ax.contourf(xx, yy, p1, levels=np.linspace(0.0, 1.0, 11), alpha=0.6, **colours)
        ax.contour(xx, yy, p1, levels=[0.5], colors="k", linewidths=1.0)
        fig.colorbar(filled, ax=ax, label="P(class 1)")
    else:
        # One band per class, centred on the class index, and the same vmin/vmax for
        # the bands and the points, so a region and its points share one colour.
        n_classes = proba.shape[0]
        colours = {"cmap": "viridis", "vmin": 0, "vmax": n_classes - 1}
        regions = proba.argmax(axis=0).reshape(xx.shape)
        levels = np.arange(n_classes + 1) - 0.5
        ax.contourf(xx, yy, regions, levels=levels, alpha=0.4, **colours)
    ax.scatter(X[:, 0], X[:, 1], c=y, s=12, edgecolors="k", linewidths=0.3, **colours)
    ax.set_xlim(xs[0], xs[-1])
    ax.set_ylim(ys[0], ys[-1])
    ax.set_xlabel("$x_1$")
    ax.set_ylabel("$x_2$")
    ax.set_title(title)
    if path is not None:
        fig.savefig(path, dpi=120)
    return fig


# --------------------------------------------------------------------------- confusion matrix


def plot_confusion_matrix(matrix, labels=None, path=None, title="Confusion matrix", *,
                          normalize=False):
    """Draw a confusion matrix as a grid of shaded, numbered cells.

    Parameters
    ----------
    matrix : array_like of int, shape (C, C)
        Counts with true classes in rows and predictions in columns, as
        :func:`scratchnn.metrics.confusion_matrix` returns.
    labels : sequence of str, length C, optional
        Class names for the axes; ``0 .. C - 1`` when omitted.
    path : str or os.PathLike, optional
        If given, the figure is also saved there.
    title : str, default="Confusion matrix"
        Axes title.
    normalize : bool, default=False
        Shade and label each cell by its share of its row (the recall of the true class) instead
        of the count, so rare and common classes read on one scale.

    Returns
    -------
    matplotlib.figure.Figure
        The figure. It is not managed by pyplot, so it needs no closing.

    Raises
    ------
    ImportError
        If matplotlib is not installed.
    TypeError
        If ``path`` is not path-like or ``normalize`` not a bool.
    ValueError
        If ``matrix`` is not a square array of non-negative integers or ``labels`` has the wrong
        length.
    """
    from .validation import check_bool

    matrix = np.asarray(matrix)
    if matrix.ndim != 2 or matrix.shape[0] != matrix.shape[1] or matrix.shape[0] == 0:
        raise ValueError(f"matrix must be a square (C, C) array, got shape {matrix.shape}")
    if matrix.dtype.kind not in "iu" or np.any(matrix < 0):
        raise ValueError("matrix must hold non-negative integer counts")
    C = matrix.shape[0]
    if labels is None:
        labels = [str(k) for k in range(C)]
    elif isinstance(labels, (str, bytes)) or len(labels) != C:
        raise ValueError(f"labels must be a sequence of {C} class names, got {labels!r}")
    labels = [str(label) for label in labels]
    normalize = check_bool(normalize, "normalize")
    path = _check_path(path)

    if normalize:
        rows = matrix.sum(axis=1, keepdims=True)
        values = np.divide(matrix, rows, out=np.zeros(matrix.shape), where=rows > 0)
        text = [[f"{v:.2f}" for v in row] for row in values]
        vmax = 1.0
    else:
        values = matrix
        text = [[str(int(v)) for v in row] for row in values]
        vmax = max(int(matrix.max()), 1)

    size = min(4.0 + 0.45 * C, 12.0)
    fig = _new_figure((size + 1.0, size))
    ax = fig.subplots()
    image = ax.imshow(values, cmap="Blues", vmin=0, vmax=vmax)
    fig.colorbar(image, ax=ax, label="share of the true class" if normalize else "examples")
    # White text on dark cells, black on light ones, so every number stays readable.
    for i in range(C):
        for j in range(C):
            dark = values[i, j] > 0.5 * vmax
            ax.text(j, i, text[i][j], ha="center", va="center", fontsize=9,
                    color="white" if dark else "black")
    ax.set_xticks(range(C), labels, rotation=45 if max(map(len, labels)) > 3 else 0, ha="right"
                  if max(map(len, labels)) > 3 else "center")
    ax.set_yticks(range(C), labels)
    ax.set_xlabel("predicted class")
    ax.set_ylabel("true class")
    ax.set_title(title)
    if path is not None:
        fig.savefig(path, dpi=120)
    return fig


# --------------------------------------------------------------------------- activations


def plot_activations(path=None, names=None, z_range=(-4.0, 4.0)):
    r"""Draw each activation :math:`g(z)` and its derivative :math:`g'(z)`, one panel each.

    The derivative is the one backpropagation uses (:mod:`scratchnn.activations`), computed from
    the output as the code does it (for instance :math:`\sigma' = A(1 - A)`), so the picture shows
    the function the network really differentiates.

    Parameters
    ----------
    path : str or os.PathLike, optional
        If given, the figure is also saved there.
    names : sequence of str, optional
        Which activations; by default every one with a scalar derivative: ``sigmoid``, ``tanh``,
        ``relu``, ``leaky_relu`` and ``linear``. (``softmax`` maps a vector to a vector; its
        derivative is a Jacobian matrix, not a curve, so it has no panel.)
    z_range : (float, float), default=(-4.0, 4.0)
        The interval of :math:`z` drawn.

    Returns
    -------
    matplotlib.figure.Figure
        The figure. It is not managed by pyplot, so it needs no closing.

    Raises
    ------
    ImportError
        If matplotlib is not installed.
    TypeError
        If ``names`` is not a sequence of strings or ``path`` is not path-like.
    ValueError
        If a name is unknown or ``softmax``, or ``z_range`` is not an increasing finite pair.
    """
    from . import activations

    default = ("sigmoid", "tanh", "relu", "leaky_relu", "linear")
    if names is None:
        names = default
    if isinstance(names, (str, bytes)) or not hasattr(names, "__iter__"):
        raise TypeError(f"names must be a sequence of activation names, got {names!r}")
    names = list(names)
    if not names:
        raise ValueError("names must name at least one activation")
    functions = []
    for name in names:
        activation = activations.get(name)  # TypeError / ValueError naming the valid ones
        if activation.name == "softmax":
            raise ValueError(
                "names: softmax has a Jacobian, not a scalar derivative, so it cannot be drawn "
                f"as a curve; choose from {list(default)}"
            )
        functions.append(activation)
    try:
        low, high = (float(z) for z in z_range)
    except (TypeError, ValueError):
        raise TypeError(f"z_range must be a pair of numbers, got {z_range!r}") from None
    if not (np.isfinite(low) and np.isfinite(high) and low < high):
        raise ValueError(f"z_range must be an increasing pair of finite numbers, got {z_range!r}")
    path = _check_path(path)

    Z = np.linspace(low, high, 401).reshape(1, -1)
    columns = min(len(functions), 3)
    rows = -(-len(functions) // columns)
    fig = _new_figure((3.4 * columns, 2.9 * rows))
    axes = np.atleast_1d(fig.subplots(rows, columns, squeeze=False)).ravel()
    for ax, activation in zip(axes, functions):
        A = activation.forward(Z.copy())
        dZ = activation.backward(np.ones_like(A), A)
        ax.plot(Z[0], A[0], label="$g(z)$")
        ax.plot(Z[0], dZ[0], "--", label="$g'(z)$")
        ax.axhline(0.0, color="0.6", linewidth=0.6)
        ax.axvline(0.0, color="0.6", linewidth=0.6)
        ax.set_title(activation.name)
        ax.set_xlabel("$z$")
        ax.grid(True, alpha=0.3)
        ax.legend(loc="upper left", fontsize=8)
    for ax in axes[len(functions):]:
        ax.set_visible(False)
    if path is not None:
        fig.savefig(path, dpi=120)
    return fig


# --------------------------------------------------------------------------- optimizers

OPTIMIZER_LEARNING_RATES = {"gd": 0.5, "momentum": 0.5, "rmsprop": 0.01, "adam": 0.01}
"""Default step sizes of :func:`compare_optimizers`. Plain gradient descent and momentum take raw
gradient-sized steps and need a large rate; RMSprop and Adam divide by the gradient's root mean
square, so their steps are about ``learning_rate`` per parameter whatever the gradient's scale."""


@dataclass
class OptimizerComparison:
    """What :func:`compare_optimizers` computed.

    Attributes
    ----------
    costs : dict of str to list of float
        Per optimizer, the training cost of each epoch.
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
    trajectories: dict
    directions: np.ndarray
    explained: float
    surface: tuple
    figure: object


def _flat(parameters):
    return np.concatenate([np.asarray(v, dtype=np.float64).ravel() for v in parameters.values()])


def _unflat(theta, template):
    out, start = {}, 0
    for name, value in template.items():
        out[name] = theta[start:start + value.size].reshape(value.shape)
        start += value.size
    return out


def _train_recording(model, X, Y, num_epochs, train_kwargs):
    """Train ``model``; return its costs and its flat parameters at the start and after every epoch.

    Returns
    -------
    costs : list of float, length num_epochs
    snapshots : ndarray of shape (num_epochs + 1, n_parameters)
    """
    snapshots = [_flat(model.parameters)]

    def record(epoch, cost):
        snapshots.append(_flat(model.parameters))
        return False  # never stop early

    _, costs = model.train(X, Y, num_epochs=num_epochs, print_cost=False, callback=record,
                           **train_kwargs)
    return costs, np.array(snapshots)


def compare_optimizers(X, Y, layer_dims, activations, *, loss="BinaryCrossEntropy",
                       optimizers=("gd", "momentum", "rmsprop", "adam"), learning_rate=None,
                       num_epochs=60, batch_size=None, seed=0, path=None, gif_path=None,
                       resolution=40, fps=8):
    r"""Train one network with several optimizers from the same weights and draw how each moved.

    Every optimizer trains a :class:`~scratchnn.ClassifierNN` built from the same ``layer_dims``,
    ``activations`` and ``seed``, so all start from identical initial weights :math:`\theta_0`
    (and, with mini-batches, see the examples in the same order). The figure has two panels:

    - the training cost per epoch of each optimizer;
    - the cost on a **2-parameter slice** of the loss surface, with each optimizer's path on it.
      The network has many parameters, so the picture takes the plane through :math:`\theta_0`
      spanned by the two directions :math:`u, v` in which the runs moved most (the top two
      principal directions of all the displacements :math:`\theta_t - \theta_0`, as in Li et al.,
      *Visualizing the Loss Landscape of Neural Nets*, 2018). A point :math:`(a, b)` of the picture
      is the network with parameters :math:`\theta_0 + a u + b v`; each path is its run projected
      onto the plane. ``explained`` says how much of the runs the plane holds.

    Parameters
    ----------
    X : array of shape (n_features, m)
        Training data, one example per column, as :meth:`ClassifierNN.train` takes it.
    Y : array of shape (k, m)
        Labels in the format ``loss`` expects.
    layer_dims, activations : sequence
        The network, as for :class:`~scratchnn.ClassifierNN`.
    loss : str, default='BinaryCrossEntropy'
    optimizers : sequence of str, default=('gd', 'momentum', 'rmsprop', 'adam')
        Which optimizers to compare (at least one, no repeats).
    learning_rate : float or dict of str to float, optional
        One step size for all, or one per optimizer; by default
        :data:`OPTIMIZER_LEARNING_RATES`.
    num_epochs : int, default=60
    batch_size : int or None, default=None
        ``None`` trains on the full batch, which gives the smoothest paths.
    seed : int, default=0
        Seed of every network (so of the common initial weights).
    path : str or os.PathLike, optional
        Where to save the figure (PNG, or any format matplotlib writes).
    gif_path : str or os.PathLike, optional
        Where to save an animated GIF in which the curves and paths grow epoch by epoch (written
        with matplotlib's ``PillowWriter``; pillow comes with matplotlib).
    resolution : int, default=40
        Grid points per axis of the surface (the cost is evaluated ``resolution**2`` times).
    fps : int, default=8
        Frames per second of the GIF (at most 40 frames are drawn, spread over the epochs).

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
        If an optimizer diverges: lower its learning rate.
    """
    from .network import ClassifierNN
    from .validation import check_int

    if isinstance(optimizers, (str, bytes)) or not hasattr(optimizers, "__iter__"):
        raise TypeError(f"optimizers must be a sequence of optimizer names, got {optimizers!r}")
    optimizers = list(optimizers)
    if not optimizers or len(set(optimizers)) != len(optimizers):
        raise ValueError(f"optimizers must name at least one optimizer, each once: {optimizers}")
    if learning_rate is None:
        learning_rate = OPTIMIZER_LEARNING_RATES
    if isinstance(learning_rate, dict):
        missing = [name for name in optimizers if name not in learning_rate]
        if missing:
            raise ValueError(f"learning_rate has no entry for {missing}")
        rates = {name: learning_rate[name] for name in optimizers}
    else:
        rates = dict.fromkeys(optimizers, learning_rate)
    num_epochs = check_int(num_epochs, "num_epochs", minimum=1)
    resolution = check_int(resolution, "resolution", minimum=2)
    fps = check_int(fps, "fps", minimum=1)
    path = _check_path(path)
    gif_path = _check_path(gif_path)
    _new_figure()  # fail now, not after training, if matplotlib is missing

    base = ClassifierNN(layer_dims, activations, seed=seed)
    # The weights every run starts from, copied in explicitly rather than trusting the seed alone.
    theta0 = _flat(base.parameters)

    def make_model():
        model = ClassifierNN(layer_dims, activations, seed=seed)
        for name, value in _unflat(theta0, base.parameters).items():
            model.parameters[name][...] = value
        return model

    costs, paths = {}, {}
    for name in optimizers:
        costs[name], paths[name] = _train_recording(
            make_model(), X, Y, num_epochs,
            {"loss": loss, "optimizer": name, "learning_rate": rates[name],
             "batch_size": batch_size},
        )

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
    surface_model = make_model()
    cost = np.empty((resolution, resolution))
    for i, bi in enumerate(b):
        for j, aj in enumerate(a):
            parameters = _unflat(theta0 + aj * directions[0] + bi * directions[1],
                                 base.parameters)
            A, _ = surface_model.forward_propagation(X, parameters=parameters)
            cost[i, j] = surface_model.compute_cost(A, Y, loss=loss)

    fig, update, moving = _comparison_figure(costs, trajectories, (a, b, cost), explained)
    update(num_epochs)
    if path is not None:
        fig.savefig(path, dpi=120)
    if gif_path is not None:
        _save_gif(fig, update, moving, num_epochs, gif_path, fps)
        update(num_epochs)  # leave the returned figure complete
    return OptimizerComparison(costs, trajectories, directions, explained, (a, b, cost), fig)


def _comparison_figure(costs, trajectories, surface, explained):
    """Build the two-panel figure; ``update(k)`` shows the first ``k`` epochs of every run."""
    a, b, cost = surface
    fig = _new_figure((11.0, 4.6))
    ax_cost, ax_surface = fig.subplots(1, 2)
    # Contours of log(cost): the interesting valleys are orders of magnitude below the rim.
    levels = np.geomspace(max(cost.min(), 1e-12), cost.max(), 25) if cost.max() > cost.min() \
        else 10
    filled = ax_surface.contourf(a, b, cost, levels=levels, cmap="viridis",
                                 norm=_log_norm(cost))
    fig.colorbar(filled, ax=ax_surface, label="cost", format="%.3g")
    colours = {name: f"C{k}" for k, name in enumerate(costs)}
    lines, paths, heads = {}, {}, {}
    for name in costs:
        (lines[name],) = ax_cost.plot([], [], color=colours[name], label=name)
        (paths[name],) = ax_surface.plot([], [], color=colours[name], linewidth=1.6, label=name)
        (heads[name],) = ax_surface.plot([], [], "o", color=colours[name], markersize=5,
                                         markeredgecolor="white")
    ax_surface.plot([0.0], [0.0], "k*", markersize=10, label="start")
    n_epochs = max(len(c) for c in costs.values())
    every = np.concatenate([np.asarray(c, dtype=np.float64) for c in costs.values()])
    ax_cost.set_xlim(1, max(n_epochs, 2))
    if np.all(every > 0):
        ax_cost.set_yscale("log")
        ax_cost.set_ylim(every.min() / 1.2, every.max() * 1.2)
    else:  # pragma: no cover - a cross-entropy cost is positive
        ax_cost.set_ylim(every.min(), every.max())
    ax_cost.set_xlabel("epoch")
    ax_cost.set_ylabel("training cost")
    ax_cost.set_title("Cost per epoch")
    ax_cost.grid(True, alpha=0.3)
    ax_cost.legend()
    ax_surface.set_xlabel("direction 1")
    ax_surface.set_ylabel("direction 2")
    ax_surface.set_title(f"Paths on a 2-parameter slice ({100 * explained:.0f}% of the motion)")
    ax_surface.legend(loc="best", fontsize=8)

    def update(k):
        for name, curve in costs.items():
            lines[name].set_data(np.arange(1, min(k, len(curve)) + 1), curve[:k])
            path = trajectories[name][: k + 1]
            paths[name].set_data(path[:, 0], path[:, 1])
            heads[name].set_data(path[-1:, 0], path[-1:, 1])

    return fig, update, [*lines.values(), *paths.values(), *heads.values()]


def _log_norm(cost):
    from matplotlib.colors import LogNorm

    low = max(float(cost.min()), 1e-12)
    return LogNorm(vmin=low, vmax=max(float(cost.max()), low * (1 + 1e-9)))


def _save_gif(fig, update, artists, n_epochs, gif_path, fps):
    """Write the figure's growth over the epochs as an animated GIF.

    Only the curves move, so the rest of the figure is drawn once and each frame redraws just
    those lines on a copy of it (blitting). matplotlib's ``PillowWriter`` would redraw the whole
    figure, colour bar and log-scale tick labels included, for every frame: ten times slower. The
    frames are then written the way ``PillowWriter`` writes them, with pillow (a dependency of
    matplotlib).
    """
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from PIL import Image

    frames = np.unique(np.linspace(0, n_epochs, min(n_epochs + 1, 40)).round().astype(int))
    dpi, layout = fig.get_dpi(), fig.get_layout_engine()
    canvas = FigureCanvasAgg(fig)
    try:
        fig.set_dpi(72)
        update(n_epochs)  # lay the figure out for its complete state, then keep that layout
        canvas.draw()
        fig.set_layout_engine("none")
        for artist in artists:
            artist.set_visible(False)
        canvas.draw()
        background = canvas.copy_from_bbox(fig.bbox)
        for artist in artists:
            artist.set_visible(True)
        images = []
        for k in frames:
            canvas.restore_region(background)
            update(int(k))
            for artist in artists:
                artist.axes.draw_artist(artist)
            width, height = canvas.get_width_height()
            images.append(Image.frombuffer("RGBA", (width, height), canvas.buffer_rgba(),
                                           "raw", "RGBA", 0, 1).convert("RGB"))
        durations = [int(1000 / fps)] * len(images)
        durations[-1] = 1500  # hold the final picture before the loop restarts
        images[0].save(os.fspath(gif_path), save_all=True, append_images=images[1:],
                       duration=durations, loop=0)
    finally:
        for artist in artists:
            artist.set_visible(True)
        fig.set_layout_engine(layout)
        fig.set_dpi(dpi)
