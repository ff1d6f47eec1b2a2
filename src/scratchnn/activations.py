"""Activation functions: each forward formula beside its derivative.

Every activation is a small class with two methods:

``forward(Z, out=None)``
    the activation ``A = g(Z)``, computed so that it never overflows for any finite ``Z``;
``backward(dA, A, out=None)``
    the vector-Jacobian product ``dZ = dA * g'(Z)``, written in terms of the *output* ``A``.

``out``, when given, is a preallocated array of the result's shape and dtype that receives the
result (the training loop reuses its arrays from step to step); it must not be ``Z``/``dA``.

Expressing the derivative through ``A`` (``sigmoid' = A(1 - A)``, ``tanh' = 1 - A^2``,
``relu' = [A > 0]``) means the forward pass only has to keep ``A`` for backpropagation, the same
choice scikit-learn makes in ``sklearn/neural_network/_base.py``.

Arrays follow the documentation's convention: one example per column, so ``Z`` and ``A`` have shape
``(n_units, m)``.

Look an activation up by name with :func:`get`; :data:`ACTIVATIONS` lists the registry.
"""

import numpy as np

from .validation import lookup

__all__ = ["ACTIVATIONS", "HIDDEN_ACTIVATIONS", "OUTPUT_ACTIVATIONS", "get"]


class Sigmoid:
    r"""Logistic sigmoid, squashing to (0, 1).

    Notes
    -----
    .. math:: A = \sigma(Z) = \frac{1}{1 + e^{-Z}}, \qquad
              \frac{dA}{dZ} = \sigma(Z)\,(1 - \sigma(Z)) = A (1 - A)

    ``1 / (1 + exp(-Z))`` overflows ``exp`` for ``Z < -709`` (float64). With ``E = exp(-|Z|)``,
    which lies in (0, 1] for every finite ``Z``, the same function is ``1 / (1 + E)`` for ``Z >= 0``
    and ``E / (1 + E)`` for ``Z < 0``: no overflow, and full relative precision in both tails.
    """

    name = "sigmoid"

    @staticmethod
    def forward(Z, out=None):
        E = np.abs(Z, out=out)
        np.negative(E, out=E)
        np.exp(E, out=E)
        denominator = E + 1.0
        np.copyto(E, 1.0, where=Z >= 0)  # the numerator: 1 where Z >= 0, E elsewhere
        return np.divide(E, denominator, out=E)

    @staticmethod
    def backward(dA, A, out=None):
        dZ = np.subtract(1.0, A, out=out)
        dZ *= A
        dZ *= dA
        return dZ


class Tanh:
    r"""Hyperbolic tangent, squashing to (-1, 1).

    Notes
    -----
    .. math:: A = \tanh(Z) = \frac{e^{Z} - e^{-Z}}{e^{Z} + e^{-Z}}, \qquad
              \frac{dA}{dZ} = 1 - \tanh^2(Z) = 1 - A^2
    """

    name = "tanh"

    @staticmethod
    def forward(Z, out=None):
        return np.tanh(Z, out=out)

    @staticmethod
    def backward(dA, A, out=None):
        dZ = np.multiply(A, A, out=out)
        np.subtract(1.0, dZ, out=dZ)
        dZ *= dA
        return dZ


class ReLU:
    r"""Rectified linear unit.

    Notes
    -----
    .. math:: A = \max(0, Z), \qquad \frac{dA}{dZ} = [Z > 0] = [A > 0]

    At ``Z = 0`` the derivative is taken as 0 (a valid subgradient).
    """

    name = "relu"

    @staticmethod
    def forward(Z, out=None):
        if (out is not None and Z.dtype == out.dtype == np.float32
                and not np.may_share_memory(Z, out)):
            # NumPy's float32 maximum against a scalar runs without SIMD (NumPy 2.4): against
            # an array of zeros it is 2-3 times faster, with the same bits (float64 gains nothing).
            out.fill(0.0)
            return np.maximum(Z, out, out=out)
        return np.maximum(Z, 0.0, out=out)

    @staticmethod
    def backward(dA, A, out=None):
        return np.multiply(dA, A > 0, out=out)


class LeakyReLU:
    r"""Leaky rectified linear unit with slope ``alpha = 0.01`` for negative inputs.

    Notes
    -----
    .. math:: A = \begin{cases} Z & Z > 0 \\ \alpha Z & Z \le 0 \end{cases}, \qquad
              \frac{dA}{dZ} = \begin{cases} 1 & A > 0 \\ \alpha & A \le 0 \end{cases}

    Since ``0 < alpha < 1``, :math:`A = \max(Z, \alpha Z)`, and ``A`` has the sign of ``Z``,
    so the derivative can be read from ``A``.
    """

    name = "leaky_relu"
    alpha = 0.01

    @classmethod
    def forward(cls, Z, out=None):
        return np.maximum(Z, Z * cls.alpha, out=out)

    @classmethod
    def backward(cls, dA, A, out=None):
        slope = np.where(A > 0, 1.0, cls.alpha).astype(A.dtype, copy=False)
        return np.multiply(dA, slope, out=out)


class Linear:
    r"""Identity: ``A = Z`` and ``dA/dZ = 1``."""

    name = "linear"

    @staticmethod
    def forward(Z, out=None):
        if out is None:
            return Z.copy()
        np.copyto(out, Z)
        return out

    @staticmethod
    def backward(dA, A, out=None):
        if out is None:
            return dA.copy()
        np.copyto(out, dA)
        return out


class Softmax:
    r"""Softmax over the units of each example (axis 0): a probability distribution per column.

    Notes
    -----
    .. math:: A_i = \frac{e^{Z_i - \max_j Z_j}}{\sum_k e^{Z_k - \max_j Z_j}}

    Subtracting each *column's* maximum leaves the result unchanged (it cancels between numerator
    and denominator) and keeps every exponent ``<= 0``, so nothing overflows. (The seed subtracted the
    maximum of the whole matrix, which still lets a column underflow to 0/0.)

    The Jacobian of softmax is not diagonal: :math:`\partial A_i / \partial Z_j = A_i(\delta_{ij} -
    A_j)`. Its vector-Jacobian product is

    .. math:: dZ = A \odot \left(dA - \textstyle\sum_i dA_i A_i\right)

    (the sum over units, per example). Using only the diagonal ``A(1 - A)`` is the classic mistake of
    from-scratch code, the seed's included. At the output layer with cross-entropy the product
    simplifies further to ``A - Y`` (see :mod:`scratchnn.losses`), and that fused form is used there.
    """

    name = "softmax"

    @staticmethod
    def forward(Z, out=None):
        # A column spanning more than the float range (say 1e308 and -1e308) overflows to -inf
        # here; exp(-inf) = 0 is then exactly right, so that overflow is harmless.
        with np.errstate(over="ignore"):
            A = np.subtract(Z, Z.max(axis=0, keepdims=True), out=out)
        np.exp(A, out=A)
        A /= A.sum(axis=0, keepdims=True)
        return A

    @staticmethod
    def backward(dA, A, out=None):
        dZ = np.multiply(dA, A, out=out)
        np.subtract(dA, dZ.sum(axis=0, keepdims=True), out=dZ)
        dZ *= A
        return dZ


ACTIVATIONS = {cls.name: cls for cls in (Sigmoid, ReLU, Tanh, Softmax, LeakyReLU, Linear)}
"""All activations by name; any of them may be used in a hidden layer."""

HIDDEN_ACTIVATIONS = tuple(ACTIVATIONS)
OUTPUT_ACTIVATIONS = ("sigmoid", "softmax")
"""A classifier's output must be probabilities: independent sigmoids or one softmax."""


def get(identifier):
    """Return the activation class registered under ``identifier`` (a name, case-insensitive, or
    the class itself); see :func:`scratchnn.validation.lookup` for the errors."""
    return lookup(ACTIVATIONS, identifier, "activation")
