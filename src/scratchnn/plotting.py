"""Cost curves and decision boundaries, drawn with matplotlib.

matplotlib is an optional dependency (``pip install 'scratchnn[plot]'``), so it is
imported only when a plot is made; importing :mod:`scratchnn` never needs it.

The figures are built as plain :class:`matplotlib.figure.Figure` objects rather
than through ``pyplot``. Such a figure is not registered with pyplot's global
figure manager, so it needs no ``plt.close``, cannot leak when many are made in a
loop, never opens a window, and saves to a file on a machine with no display,
whatever backend the caller has chosen. To show one interactively, save it and
open the file, or (in Jupyter) make it the last expression of a cell.
"""

from __future__ import annotations

import os

import numpy as np

from .validation import check_int

__all__ = ["plot_costs", "plot_decision_boundary"]

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
    costs : sequence of float, shape (n_epochs,)
        One cost per epoch, as returned by ``ClassifierNN.train``.
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
        If ``costs`` or ``val_costs`` is empty or not 1-D.
    OSError
        If the file cannot be written.
    """
    costs = _as_curve(costs, "costs")
    if val_costs is not None:
        val_costs = _as_curve(val_costs, "val_costs")
    path = _check_path(path)

    fig = _new_figure()
    ax = fig.subplots()
    # Epochs count from 1: the first recorded cost is the one after the first epoch.
    ax.plot(np.arange(1, costs.size + 1), costs, label="train")
    if val_costs is not None:
        ax.plot(np.arange(1, val_costs.size + 1), val_costs, label="validation")
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
