"""What a pass through the network keeps: the forward cache and the reusable work arrays.

A forward pass fills one :class:`LayerCache` per layer (gathered in a :class:`ForwardCache`), and
the backward pass reads them. During training every step writes into the same arrays, a
:class:`Workspace` made once per batch size (:meth:`scratchnn.model.NeuralNetwork.make_workspace`),
so the hot loop allocates (almost) nothing.
"""

from dataclasses import dataclass, field

import numpy as np

from . import layers as _layers
from .parameters import views

__all__ = ["ForwardCache", "LayerBuffers", "LayerCache", "Workspace", "new_workspace"]


@dataclass(eq=False)
class LayerCache:
    """What the forward pass keeps of layer ``l`` for the backward pass.

    Attributes
    ----------
    A : ndarray of shape (n_l, m)
        The layer's output (for ``l = 0``, the input ``X``), before dropout.
    A_prev : ndarray of shape (n_{l-1}, m) or None
        The input the layer saw (after dropout of the layer below); None for ``l = 0``.
    Z : ndarray of shape (n_l, m) or None
        The net input (after batch normalization, if any).
    D : ndarray of shape (n_l, m) or None
        The dropout mask applied to ``A`` (already scaled by ``1/keep_prob``), or None.
    bn : scratchnn.layers.BatchNormCache or None
        Batch normalization's cache, for normalized layers.
    """

    A: np.ndarray = None
    A_prev: np.ndarray = None
    Z: np.ndarray = None
    D: np.ndarray = None
    bn: _layers.BatchNormCache = None


@dataclass(eq=False)
class ForwardCache:
    """The second result of a forward pass: what :meth:`~scratchnn.model.NeuralNetwork.backward` needs.

    Attributes
    ----------
    parameters : dict of str to ndarray
        The parameters the pass used.
    keep_prob : tuple of float or None
        The dropout keep probabilities it used.
    layers : list of LayerCache, length L + 1
        One entry per layer, the input first.
    """

    parameters: dict
    keep_prob: tuple
    layers: list


@dataclass(eq=False)
class LayerBuffers:
    """Preallocated arrays for one layer (``None`` where that layer needs none); see
    :meth:`~scratchnn.model.NeuralNetwork.make_workspace`."""

    Z: np.ndarray = None
    A: np.ndarray = None
    Z_lin: np.ndarray = None
    Z_hat: np.ndarray = None
    dZ: np.ndarray = None
    dZ_lin: np.ndarray = None
    dA: np.ndarray = None
    D: np.ndarray = None
    A_dropped: np.ndarray = None


NO_BUFFERS = LayerBuffers()  # every array None: the passes allocate afresh


@dataclass(eq=False)
class Workspace:
    """Arrays for forward and backward passes over batches of ``m`` examples, reused at every step.

    Attributes
    ----------
    layers : list of LayerBuffers, length L + 1
    caches : ForwardCache
        The cache structure every pass through this workspace fills in again.
    l2 : dict of str to ndarray or None
        Scratch views the size of each ``W{l}`` for the L2 gradient term (training only).
    ones : ndarray of shape (m, 1) or None
        A column of ones: the bias gradients are ``dZ @ ones`` (training only,
        :func:`scratchnn.layers.dense_backward`).
    """

    layers: list
    caches: ForwardCache
    l2: dict = field(default=None)
    ones: np.ndarray = field(default=None)


def new_workspace(model, m, keep_prob, training):
    """The arrays of :meth:`~scratchnn.model.NeuralNetwork.make_workspace`."""
    L = model.num_layers - 1
    dtype = model.compute_dtype
    layers = []
    for l in range(L + 1):
        names = []
        if l > 0:
            names += ["Z", "A"]
            if model.batch_norm and l < L:
                names += ["Z_lin", "Z_hat"]
        if training:
            if l > 0:
                names.append("dZ")
                if model.batch_norm and l < L:
                    names.append("dZ_lin")
            if 0 < l < L:
                names.append("dA")
            if keep_prob is not None and l < L and keep_prob[l] < 1.0:
                names += ["D", "A_dropped"]
        shape = (model.layer_dims[l], m)
        layers.append(LayerBuffers(**{name: np.empty(shape, dtype) for name in names}))
    caches = ForwardCache(model.parameters, keep_prob, [LayerCache() for _ in range(L + 1)])
    l2 = views(np.empty_like(model.theta), model.parameter_shapes) if training else None
    ones = np.ones((m, 1), dtype) if training else None
    return Workspace(layers, caches, l2, ones)

