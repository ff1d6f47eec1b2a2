r"""Optimizers: one ``step(theta, grad)`` over the whole flat parameter buffer, in place.

Because every parameter lives in one array (:mod:`scratchnn.parameters`), an update is a handful
of in-place ufunc calls, whatever the number of layers, and the optimizer's moments are arrays the
size of ``theta`` in the same dtype. A scratch array of that size is reused for the intermediate
terms so a step allocates nothing.

Notation: :math:`\theta` is every parameter (``W``, ``b``, ``gamma``, ``beta``), :math:`g` its
gradient, :math:`\alpha` the learning rate, :math:`\beta_1, \beta_2` the decay rates and
:math:`\varepsilon` the small constant that keeps a division finite. As in PyTorch and Keras,
:math:`\varepsilon` is added *outside* the square root.
"""

import numpy as np

__all__ = ["OPTIMIZERS", "get", "GradientDescent", "Momentum", "RMSprop", "Adam"]


class Optimizer:
    """Shared hyperparameters and state handling; subclasses define :meth:`step`.

    Parameters
    ----------
    size : int
        Number of parameters (``theta.size``).
    dtype : numpy dtype
        The parameters' dtype; moments are kept in it.
    learning_rate, beta1, beta2, epsilon : float
        Hyperparameters, already validated by the caller.
    """

    name = None
    state_names = ()

    def __init__(self, size, dtype, learning_rate=0.01, beta1=0.9, beta2=0.999, epsilon=1e-8):
        self.learning_rate = learning_rate
        self.beta1 = beta1
        self.beta2 = beta2
        self.epsilon = epsilon
        self.t = 0
        for name in self.state_names:
            setattr(self, name, np.zeros(size, dtype=dtype))
        self._tmp = np.empty(size, dtype=dtype) if self.state_names else None

    def state(self):
        """The optimizer's state: the step count and its moment arrays (copies)."""
        out = {"t": self.t}
        out.update({name: getattr(self, name).copy() for name in self.state_names})
        return out

    def step(self, theta, grad):  # pragma: no cover - abstract
        raise NotImplementedError


class GradientDescent(Optimizer):
    r"""Plain gradient descent.

    .. math:: \theta \leftarrow \theta - \alpha g
    """

    name = "gd"

    def step(self, theta, grad):
        self.t += 1
        theta -= self.learning_rate * grad


class Momentum(Optimizer):
    r"""Gradient descent with momentum: an exponentially weighted average of the gradients.

    .. math:: V \leftarrow \beta_1 V + (1 - \beta_1) g, \qquad \theta \leftarrow \theta - \alpha V

    Oscillating gradient components cancel in the average while consistent ones accumulate.
    """

    name = "momentum"
    state_names = ("v",)

    def step(self, theta, grad):
        self.t += 1
        v, tmp = self.v, self._tmp
        v *= self.beta1
        np.multiply(grad, 1.0 - self.beta1, out=tmp)
        v += tmp
        np.multiply(v, self.learning_rate, out=tmp)
        theta -= tmp


class RMSprop(Optimizer):
    r"""RMSprop: divide each step by a running root-mean-square of the gradients.

    .. math:: S \leftarrow \beta_1 S + (1 - \beta_1) g^2, \qquad
              \theta \leftarrow \theta - \alpha \frac{g}{\sqrt{S} + \varepsilon}

    The decay rate is ``beta1`` (default 0.9, Keras's ``rho``), as in the seed's code.
    """

    name = "rmsprop"
    state_names = ("s",)

    def step(self, theta, grad):
        self.t += 1
        s, tmp = self.s, self._tmp
        s *= self.beta1
        np.multiply(grad, grad, out=tmp)
        tmp *= 1.0 - self.beta1
        s += tmp
        np.sqrt(s, out=tmp)
        tmp += self.epsilon
        np.divide(grad, tmp, out=tmp)
        tmp *= self.learning_rate
        theta -= tmp


class Adam(Optimizer):
    r"""Adam: momentum on the gradients and RMSprop on their squares, both bias-corrected.

    .. math::
        V &\leftarrow \beta_1 V + (1 - \beta_1) g, \qquad
        S \leftarrow \beta_2 S + (1 - \beta_2) g^2 \\
        \hat V &= \frac{V}{1 - \beta_1^t}, \qquad \hat S = \frac{S}{1 - \beta_2^t}, \qquad
        \theta \leftarrow \theta - \alpha \frac{\hat V}{\sqrt{\hat S} + \varepsilon}

    where ``t`` counts the updates made so far (1 on the first). The moments start at zero, so
    without the correction the first steps would be biased toward zero.

    The two corrections are folded into scalars (as scikit-learn's ``AdamOptimizer`` and Keras's
    ``Adam`` do) so no corrected copy of ``V`` or ``S`` is made. Multiplying numerator and
    denominator by :math:`\sqrt{1-\beta_2^t}` gives exactly the same update:

    .. math:: \theta \leftarrow \theta - \alpha_t \frac{V}{\sqrt{S} + \hat\varepsilon_t}, \qquad
              \alpha_t = \alpha\frac{\sqrt{1-\beta_2^t}}{1-\beta_1^t}, \qquad
              \hat\varepsilon_t = \varepsilon\sqrt{1-\beta_2^t}
    """

    name = "adam"
    state_names = ("v", "s")

    def step(self, theta, grad):
        self.t += 1
        b1, b2 = self.beta1, self.beta2
        v, s, tmp = self.v, self.s, self._tmp
        v *= b1
        np.multiply(grad, 1.0 - b1, out=tmp)
        v += tmp
        s *= b2
        np.multiply(grad, grad, out=tmp)
        tmp *= 1.0 - b2
        s += tmp
        correction2 = np.sqrt(1.0 - b2 ** self.t)
        alpha_t = self.learning_rate * correction2 / (1.0 - b1 ** self.t)
        np.sqrt(s, out=tmp)
        tmp += self.epsilon * correction2
        np.divide(v, tmp, out=tmp)
        tmp *= alpha_t
        theta -= tmp


OPTIMIZERS = {cls.name: cls for cls in (GradientDescent, Momentum, RMSprop, Adam)}
"""All optimizers by name."""


def get(identifier):
    """Return the optimizer class registered under ``identifier`` (case-insensitive).

    Raises
    ------
    ValueError
        For an unknown name, listing the valid ones.
    TypeError
        For a non-string.
    """
    if not isinstance(identifier, str):
        raise TypeError(f"optimizer must be a string, got {type(identifier).__name__}")
    try:
        return OPTIMIZERS[identifier.lower()]
    except KeyError:
        raise ValueError(
            f"unknown optimizer {identifier!r}; expected one of {sorted(OPTIMIZERS)}"
        ) from None
