"""Pictures of training: cost curves, decision boundaries, confusion matrices, activations and
training diagnostics, drawn with matplotlib, and the primitives other picture-making modules
share (:mod:`scratchnn.optimizer_comparison` builds its figure from them).

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

import numpy as np

from .validation import check_int

__all__ = [
    "plot_costs",
    "plot_decision_boundary",
    "plot_confusion_matrix",
    "plot_activations",
    "plot_diagnostics",
    "check_path",
    "log_norm",
    "new_figure",
    "require_matplotlib",
    "save_gif",
]

_MISSING_MATPLOTLIB = "plotting needs matplotlib: pip install 'scratchnn[plot]'"


def new_figure(figsize=(6.4, 4.8)):
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
    new_figure()


def check_path(path):
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
    path = check_path(path)

    fig = new_figure()
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


def plot_decision_boundary(model, X, y, path=None, title="Decision boundary", *, resolution=200,
                           X_test=None, y_test=None, class_names=None):
    """Shade what a 2-feature model predicts over the plane, with the data on top.

    Each point's colour is its class (a legend names them). Given ``X_test`` and ``y_test``, the
    training points (``X``, ``y``) are drawn as circles and the test points as triangles, with a
    second legend saying which is which, so a title about either set can be read off the picture.

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
    X_test : array_like of shape (n_test, 2), optional
        Held-out points, drawn as triangles; the view covers them too.
    y_test : array_like of shape (n_test,), optional
        Their labels; required with ``X_test``.
    class_names : dict of label to str, optional
        Names for the class legend; ``"class <label>"`` by default.

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
        If ``X`` (or ``X_test``) is not ``(n_samples, 2)`` and finite, ``y`` (or ``y_test``)
        does not match it, only one of ``X_test`` and ``y_test`` is given, or ``predict_proba``
        returns the wrong shape.
    OSError
        If the file cannot be written.
    """
    if not callable(getattr(model, "predict_proba", None)):
        raise TypeError(f"model must have a predict_proba method, got {type(model).__name__}")
    X, y = _points(X, y, "X", "y")
    sets = [("train", X, y, "o")]
    if (X_test is None) != (y_test is None):
        raise ValueError("X_test and y_test must be given together")
    if X_test is not None:
        sets.append(("test", *_points(X_test, y_test, "X_test", "y_test"), "^"))
    if class_names is not None and not isinstance(class_names, dict):
        raise TypeError(f"class_names must be a dict of label to name, got {class_names!r}")
    resolution = check_int(resolution, "resolution", minimum=2)
    path = check_path(path)

    # Pad the data's bounding box so points on the edge are not cut in half.
    every = np.concatenate([points for _, points, _, _ in sets])
    lows, highs = every.min(axis=0), every.max(axis=0)
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

    fig = new_figure()
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
    for _, points, labels, marker in sets:
        ax.scatter(points[:, 0], points[:, 1], c=labels, s=14 if marker == "o" else 22,
                   marker=marker, edgecolors="k", linewidths=0.3, **colours)
    _boundary_legends(ax, sets, colours, class_names or {})
    ax.set_xlim(xs[0], xs[-1])
    ax.set_ylim(ys[0], ys[-1])
    ax.set_xlabel("$x_1$")
    ax.set_ylabel("$x_2$")
    ax.set_title(title)
    if path is not None:
        fig.savefig(path, dpi=120)
    return fig


def _points(X, y, x_name, y_name):
    """``X`` as a finite ``(n, 2)`` float array and ``y`` as a matching ``(n,)`` array."""
    X = np.asarray(X, dtype=np.float64)
    if X.ndim != 2 or X.shape[1] != 2 or X.shape[0] == 0:
        raise ValueError(
            f"{x_name} must have shape (n_samples, 2) with n_samples >= 1, got {X.shape}; "
            "a decision boundary can only be drawn for 2 features"
        )
    if not np.all(np.isfinite(X)):
        raise ValueError(f"{x_name} must contain only finite values")
    y = np.asarray(y)
    if y.shape != (X.shape[0],):
        raise ValueError(f"{y_name} must have shape ({X.shape[0]},) to match {x_name}, got "
                         f"{y.shape}")
    return X, y


def _boundary_legends(ax, sets, colours, class_names):
    """A legend of the classes (by colour) and, with test points, one of the sets (by marker)."""
    from matplotlib import colormaps
    from matplotlib.colors import Normalize
    from matplotlib.lines import Line2D

    cmap = colormaps[colours["cmap"]]
    norm = Normalize(colours["vmin"], colours["vmax"])
    labels = np.unique(np.concatenate([y for _, _, y, _ in sets]))
    handles = [Line2D([], [], linestyle="", marker="o", markersize=6, markeredgecolor="k",
                      markeredgewidth=0.3,
                      markerfacecolor=cmap(norm(float(label))) if labels.dtype.kind in "biuf"
                      else "0.5",
                      label=str(class_names.get(label, f"class {label}")))
               for label in labels]
    classes = ax.legend(handles=handles, loc="upper left", fontsize=8, title="class",
                        title_fontsize=8)
    if len(sets) > 1:
        ax.add_artist(classes)
        markers = [Line2D([], [], linestyle="", marker=marker, markersize=6, color="0.4",
                          label=name) for name, _, _, marker in sets]
        ax.legend(handles=markers, loc="lower right", fontsize=8)


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
    path = check_path(path)

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
    fig = new_figure((size + 1.0, size))
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
    path = check_path(path)

    Z = np.linspace(low, high, 401).reshape(1, -1)
    columns = min(len(functions), 3)
    rows = -(-len(functions) // columns)
    fig = new_figure((3.4 * columns, 2.9 * rows))
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


# --------------------------------------------------------------------------- diagnostics

_DIAGNOSTIC_PANELS = (
    ("grad_norm", "gradient norm $\\|dW\\|$", True),
    ("update_ratio", "update / weight $\\|\\Delta W\\| / \\|W\\|$", True),
    ("weight_norm", "weight norm $\\|W\\|$", False),
    ("dead_fraction", "dead units (relu)", False),
    ("saturated_fraction", "saturated units (sigmoid, tanh)", False),
    ("activation_mean", "activations: mean $\\pm$ std", False),
)


def plot_diagnostics(diagnostics, path=None, title="Training diagnostics"):
    """Draw what a :class:`scratchnn.callbacks.Diagnostics` callback recorded, one line per layer.

    Six panels against the epoch: the gradient norm and the update-to-weight ratio (log scales),
    the weight norm, the shares of dead (relu) and of saturated (sigmoid, tanh) hidden units, and
    the mean of the activations with a band of one standard deviation. The documentation's "Training
    diagnostics" section says what each pattern means.

    Parameters
    ----------
    diagnostics : scratchnn.callbacks.Diagnostics
        A callback that has been through at least one epoch of training.
    path : str or os.PathLike, optional
        If given, the figure is also saved there.
    title : str, default="Training diagnostics"
        The figure's title.

    Returns
    -------
    matplotlib.figure.Figure
        The figure. It is not managed by pyplot, so it needs no closing.

    Raises
    ------
    ImportError
        If matplotlib is not installed.
    TypeError
        If ``diagnostics`` is not a Diagnostics callback or ``path`` is not path-like.
    ValueError
        If it has recorded no epoch yet.
    """
    history = getattr(diagnostics, "history", None)
    names = getattr(diagnostics, "layer_names", None)
    if not isinstance(history, dict) or not isinstance(names, list):
        raise TypeError(f"diagnostics must be a scratchnn.callbacks.Diagnostics callback, got "
                        f"{type(diagnostics).__name__}")
    if not names or history["grad_norm"].shape[0] == 0:
        raise ValueError("diagnostics has recorded no epoch: pass it in train(callbacks=[...]) "
                         "first")
    path = check_path(path)

    fig = new_figure((12.0, 6.4))
    axes = fig.subplots(2, 3, sharex=True).ravel()
    epochs = np.arange(1, history["grad_norm"].shape[0] + 1)
    for ax, (key, label, log) in zip(axes, _DIAGNOSTIC_PANELS):
        values = history[key]
        drawn = 0
        for i, name in enumerate(names):
            column = values[:, i]
            if np.all(np.isnan(column)):
                continue  # the quantity does not apply to this layer
            ax.plot(epochs, column, color=f"C{i}", label=name)
            if key == "activation_mean":
                spread = history["activation_std"][:, i]
                ax.fill_between(epochs, column - spread, column + spread, color=f"C{i}",
                                alpha=0.15, linewidth=0)
            drawn += 1
        if drawn and log and np.all(values[np.isfinite(values)] > 0):
            ax.set_yscale("log")
        if key in ("dead_fraction", "saturated_fraction"):
            ax.set_ylim(-0.05, 1.05)
        if not drawn:
            ax.text(0.5, 0.5, "no such layer", ha="center", va="center", color="0.5",
                    transform=ax.transAxes)
        ax.set_title(label, fontsize=10)
        ax.grid(True, alpha=0.3)
    for ax in axes[3:]:
        ax.set_xlabel("epoch")
    axes[0].legend(fontsize=8)
    fig.suptitle(title)
    if path is not None:
        fig.savefig(path, dpi=100)
    return fig


# --------------------------------------------------------------------------- primitives


def log_norm(values):
    """A logarithmic colour scale over the (positive) range of ``values``."""
    from matplotlib.colors import LogNorm

    low = max(float(np.min(values)), 1e-12)
    return LogNorm(vmin=low, vmax=max(float(np.max(values)), low * (1 + 1e-9)))


def save_gif(fig, update, artists, n_frames, gif_path, fps, dpi=72):
    """Write an animated GIF of ``fig`` in which ``update(k)`` shows step ``k`` of ``n_frames``.

    ``update(k)`` moves the ``artists`` (lines) to their state after ``k`` steps, ``0 <= k <=
    n_frames``; at most 40 frames are drawn at ``dpi`` dots per inch, spread over the steps,
    each shown ``1/fps`` seconds and the last one 1.5 s. The figure is left showing its full
    state.

    Only the curves move, so the rest of the figure is drawn once and each frame redraws just
    those lines on a copy of it (blitting). matplotlib's ``PillowWriter`` would redraw the whole
    figure, colour bar and log-scale tick labels included, for every frame: ten times slower. The
    frames are then written the way ``PillowWriter`` writes them, with pillow (a dependency of
    matplotlib).
    """
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from PIL import Image

    frames = np.unique(np.linspace(0, n_frames, min(n_frames + 1, 40)).round().astype(int))
    figure_dpi, layout = fig.get_dpi(), fig.get_layout_engine()
    canvas = FigureCanvasAgg(fig)
    try:
        fig.set_dpi(dpi)
        update(n_frames)  # lay the figure out for its complete state, then keep that layout
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
        fig.set_dpi(figure_dpi)
        update(n_frames)
