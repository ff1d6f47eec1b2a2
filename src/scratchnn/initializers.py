r"""Weight initializers: fill a weight matrix ``W`` of shape ``(n_l, n_{l-1})`` from a Generator.

Biases always start at zero (breaking symmetry only needs random weights). Each initializer draws
from the model's own ``numpy.random.Generator``, never from NumPy's global random state.

Notes
-----
``random``
    :math:`W \sim \mathcal N(0, 1)\times 0.01`: small weights, the seed's first method. Fine for
    shallow nets; in deep ones the signal shrinks by ~0.01 per layer.
``he``
    :math:`W \sim \mathcal N(0, 2/n_{l-1})` (He et al., 2015). A ReLU zeroes half of its inputs on
    average, so doubling the variance keeps :math:`\operatorname{Var}(Z^{[l]})` roughly constant
    from layer to layer. The default.
``xavier``
    :math:`W \sim \mathcal N(0, 1/n_{l-1})` (Glorot-style, fan-in version), suited to tanh and
    sigmoid layers.
``glorot_uniform``
    :math:`W \sim \mathcal U(-r, r)`, :math:`r = \sqrt{6 / (n_{l-1} + n_l)}` (Glorot and Bengio,
    2010): the variance :math:`2/(n_{l-1} + n_l)` averages what the forward and the backward pass
    each need. scikit-learn's MLPClassifier draws its weights *and biases* this way, with 2 in
    place of 6 for sigmoid layers; :class:`scratchnn.NNClassifier` does the same.
"""

import numpy as np

from .validation import lookup

__all__ = ["INITIALIZERS", "get"]


def random(W, rng):
    """Fill ``W`` in place with N(0, 1) samples scaled by 0.01."""
    W[...] = rng.standard_normal(W.shape) * 0.01


def he(W, rng):
    """Fill ``W`` in place with N(0, 2 / n_{l-1}) samples, ``n_{l-1} = W.shape[1]``."""
    W[...] = rng.standard_normal(W.shape) * np.sqrt(2.0 / W.shape[1])


def xavier(W, rng):
    """Fill ``W`` in place with N(0, 1 / n_{l-1}) samples, ``n_{l-1} = W.shape[1]``."""
    W[...] = rng.standard_normal(W.shape) * np.sqrt(1.0 / W.shape[1])


def glorot_uniform(W, rng, b=None, factor=6.0):
    r"""Fill ``W`` (and ``b``, if given) in place with uniform samples from :math:`[-r, r]`.

    :math:`r = \sqrt{f / (n_{l-1} + n_l)}` with ``f = factor`` (6 by default; MLPClassifier uses
    2 for sigmoid layers). ``W`` is drawn first, then ``b`` with the same bound.
    """
    bound = np.sqrt(factor / (W.shape[0] + W.shape[1]))
    W[...] = rng.uniform(-bound, bound, W.shape)
    if b is not None:
        b[...] = rng.uniform(-bound, bound, b.shape)


INITIALIZERS = {"random": random, "he": he, "xavier": xavier, "glorot_uniform": glorot_uniform}
"""All initializers by name."""


def get(identifier):
    """Return the initializer registered under ``identifier`` (a name, case-insensitive, or the
    function itself); see :func:`scratchnn.validation.lookup` for the errors."""
    return lookup(INITIALIZERS, identifier, "initialization_method")
