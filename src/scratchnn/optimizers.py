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

import math

import numpy as np

from .validation import lookup

__all__ = ["OPTIMIZERS", "get", "GradientDescent", "Momentum", "Nesterov", "RMSprop", "Adam",
           "AdamW", "NAdam", "LBFGS"]


class Optimizer:
    r"""Shared hyperparameters, the finite-update guard and state; subclasses define ``_delta``.

    Parameters
    ----------
    size : int
        Number of parameters (``theta.size``).
    dtype : numpy dtype
        The parameters' dtype; moments are kept in it.
    learning_rate, beta1, beta2, epsilon : float
        Hyperparameters, already validated by the caller.

    Notes
    -----
    Running averages are stored *unnormalized*: instead of :math:`V \leftarrow \beta V +
    (1-\beta) g` the optimizers keep the decayed sum :math:`V_\Sigma = V / (1 - \beta)`,
    which obeys :math:`V_\Sigma \leftarrow \beta V_\Sigma + g` (two ufunc passes instead of three), and fold the factor
    :math:`1 - \beta` into the scalar step size. The updates are the textbook ones exactly (up to
    rounding); :meth:`state` reports the textbook :math:`V` and :math:`S`.
    """

    name = None
    moment_decays = {}
    default_weight_decay = 0.0
    """The ``weight_decay`` a ``train`` call uses when it is not given (0.01 for AdamW)."""
    full_batch = False
    """True for a solver that is not a per-step update (L-BFGS); the loop hands over to it."""
    """Each stored moment's name and the hyperparameter that is its decay rate, e.g.
    ``{"v": "beta1", "s": "beta2"}`` for Adam."""

    def __init__(self, size, dtype, learning_rate=0.01, beta1=0.9, beta2=0.999, epsilon=1e-8):
        self.learning_rate = learning_rate
        self.beta1 = beta1
        self.beta2 = beta2
        self.epsilon = epsilon
        self.t = 0
        self.epoch = 0  # epochs completed; a learning-rate schedule continues from it on resume
        self.weight_decay = 0.0
        self.decayed = ()  # slices of theta that weight decay shrinks (the weights W)
        self.callback_states = {}  # callbacks' state kept for resume (see scratchnn.callbacks)
        self._moments = {name: np.zeros(size, dtype=dtype) for name in self.moment_decays}
        self._delta_buffer = np.empty(size, dtype=dtype)

    def state(self):
        """The step count ``t`` and the textbook moments (``v``: gradients, ``s``: squares)."""
        out = {"t": self.t}
        for name, unnormalized in self._moments.items():
            out[name] = unnormalized * (1.0 - self._decay(name))
        return out

    @property
    def stored_moments(self):
        """The arrays the optimizer keeps (unnormalized, see the class notes), by state name.

        Checkpoints save these exactly, so a resumed run continues bit for bit.
        """
        return self._moments

    def configure(self, learning_rate, beta1, beta2, epsilon):
        """Change the hyperparameters, keeping the textbook moments (used by ``resume=True``)."""
        rescale = (beta1, beta2) != (self.beta1, self.beta2)
        state = self.state() if rescale else None  # unchanged betas: keep the moments bit for bit
        self.learning_rate, self.beta1, self.beta2, self.epsilon = (
            learning_rate, beta1, beta2, epsilon)
        if rescale:
            self.load_state(state)

    def load_state(self, state):
        """Restore what :meth:`state` returned (the moments are copied into this optimizer)."""
        self.t = int(state["t"])
        for name, unnormalized in self._moments.items():
            np.divide(state[name], 1.0 - self._decay(name), out=unnormalized)

    def _decay(self, moment):
        """The decay rate of the stored moment ``moment`` (see :attr:`moment_decays`)."""
        return getattr(self, self.moment_decays[moment])

    def set_weight_decay(self, weight_decay, decayed):
        r"""Decoupled weight decay of rate ``weight_decay`` on the slices ``decayed`` of theta.

        Each step then shrinks those parameters before subtracting the update,

        .. math:: W \leftarrow W - \alpha \lambda_{wd} W,

        as ``torch.optim.AdamW`` does (Loshchilov & Hutter, "Decoupled weight decay
        regularization"): unlike the L2 term ``lambd``, the shrinking is not part of the gradient,
        so Adam's per-parameter scaling does not weaken it.
        """
        self.weight_decay, self.decayed = weight_decay, tuple(decayed)

    def step(self, theta, grad):
        """Apply one update ``theta -= delta`` in place (after the weight decay, if any).

        Returns
        -------
        bool
            False, with ``theta`` left untouched, when the update is not finite (the training
            loop then reports divergence); True otherwise.
        """
        self.t += 1
        delta = self._delta(grad, self._delta_buffer)
        # One read of delta: its squared norm is finite exactly when every entry is (short of an
        # update so large, ~1e19 in float32, that training has diverged anyway).
        if not math.isfinite(float(np.dot(delta, delta))):
            return False
        if self.weight_decay:
            shrink = 1.0 - self.learning_rate * self.weight_decay
            for part in self.decayed:
                theta[part] *= shrink
        theta -= delta
        return True

    def _delta(self, grad, out):  # pragma: no cover - abstract
        """Write the amount to subtract from ``theta`` into ``out`` and return it."""
        raise NotImplementedError


class GradientDescent(Optimizer):
    r"""Plain gradient descent.

    .. math:: \theta \leftarrow \theta - \alpha g
    """

    name = "gd"

    def _delta(self, grad, out):
        return np.multiply(grad, self.learning_rate, out=out)


class Momentum(Optimizer):
    r"""Gradient descent with momentum: an exponentially weighted average of the gradients.

    .. math:: V \leftarrow \beta_1 V + (1 - \beta_1) g, \qquad \theta \leftarrow \theta - \alpha V

    Oscillating gradient components cancel in the average while consistent ones accumulate.
    Stored as :math:`V_\Sigma = V/(1-\beta_1)`: :math:`V_\Sigma \leftarrow \beta_1 V_\Sigma + g`,
    :math:`\theta \leftarrow \theta - \alpha(1-\beta_1) V_\Sigma`.
    """

    name = "momentum"
    moment_decays = {"v": "beta1"}

    def _delta(self, grad, out):
        v_sum = self._moments["v"]
        v_sum *= self.beta1
        v_sum += grad
        return np.multiply(v_sum, self.learning_rate * (1.0 - self.beta1), out=out)


class Nesterov(Optimizer):
    r"""Nesterov momentum, in the seed's averaged form: step along the *next* average.

    .. math:: V \leftarrow \beta_1 V + (1 - \beta_1) g, \qquad
              \theta \leftarrow \theta - \alpha\left(\beta_1 V + (1 - \beta_1) g\right)

    Plain momentum steps along :math:`V`; Nesterov looks one averaging step ahead, the gradient
    entering once more with weight :math:`1 - \beta_1`, which damps the overshoot of momentum.
    (It is PyTorch's ``SGD(momentum=beta1, nesterov=True)`` with the learning rate
    :math:`\alpha(1-\beta_1)`: PyTorch keeps the sum :math:`V_\Sigma` below.) Stored as
    :math:`V_\Sigma = V/(1-\beta_1)`: the update is
    :math:`\alpha(1-\beta_1)(\beta_1 V_\Sigma + g)`.
    """

    name = "nesterov"
    moment_decays = {"v": "beta1"}

    def _delta(self, grad, out):
        v_sum = self._moments["v"]
        v_sum *= self.beta1
        v_sum += grad
        np.multiply(v_sum, self.beta1, out=out)
        out += grad
        out *= self.learning_rate * (1.0 - self.beta1)
        return out


class RMSprop(Optimizer):
    r"""RMSprop: divide each step by a running root-mean-square of the gradients.

    .. math:: S \leftarrow \beta_1 S + (1 - \beta_1) g^2, \qquad
              \theta \leftarrow \theta - \alpha \frac{g}{\sqrt{S} + \varepsilon}

    The decay rate is ``beta1`` (default 0.9, Keras's ``rho``), as in the seed's code.
    Stored as :math:`S_\Sigma = S/(1-\beta_1)`; with :math:`c = \sqrt{1-\beta_1}`,
    :math:`\frac{g}{\sqrt S + \varepsilon} = \frac1c \cdot
    \frac{g}{\sqrt{S_\Sigma} + \varepsilon/c}`.
    """

    name = "rmsprop"
    moment_decays = {"s": "beta1"}

    def _delta(self, grad, out):
        s_sum = self._moments["s"]
        c = math.sqrt(1.0 - self.beta1)
        s_sum *= self.beta1
        np.multiply(grad, grad, out=out)
        s_sum += out
        np.sqrt(s_sum, out=out)
        out += self.epsilon / c
        np.divide(grad, out, out=out)
        out *= self.learning_rate / c
        return out


class Adam(Optimizer):
    r"""Adam: momentum on the gradients and RMSprop on their squares, both bias-corrected.

    .. math::
        V &\leftarrow \beta_1 V + (1 - \beta_1) g, \qquad
        S \leftarrow \beta_2 S + (1 - \beta_2) g^2 \\
        \hat V &= \frac{V}{1 - \beta_1^t}, \qquad \hat S = \frac{S}{1 - \beta_2^t}, \qquad
        \theta \leftarrow \theta - \alpha \frac{\hat V}{\sqrt{\hat S} + \varepsilon}

    where ``t`` counts the updates made so far (1 on the first). The moments start at zero, so
    without the correction the first steps would be biased toward zero.

    The corrections are folded into scalars (as scikit-learn's ``AdamOptimizer`` and Keras's
    ``Adam`` do), so no corrected copy of ``V`` or ``S`` is made. With the stored sums
    :math:`V_\Sigma = V/(1-\beta_1)` and :math:`S_\Sigma = S/(1-\beta_2)`
    (:math:`V_\Sigma \leftarrow \beta_1 V_\Sigma + g`,
    :math:`S_\Sigma \leftarrow \beta_2 S_\Sigma + g^2`), multiplying
    numerator and denominator by :math:`1/c_2` gives exactly the same update:

    .. math:: \theta \leftarrow \theta - \frac{\alpha c_1}{c_2}
              \frac{V_\Sigma}{\sqrt{S_\Sigma} + \varepsilon / c_2}, \qquad
              c_1 = \frac{1-\beta_1}{1-\beta_1^t}, \qquad
              c_2 = \sqrt{\frac{1-\beta_2}{1-\beta_2^t}}
    """

    name = "adam"
    moment_decays = {"v": "beta1", "s": "beta2"}

    def _delta(self, grad, out):
        b1, b2, t = self.beta1, self.beta2, self.t
        v_sum, s_sum = self._moments["v"], self._moments["s"]
        v_sum *= b1
        v_sum += grad
        s_sum *= b2
        np.multiply(grad, grad, out=out)
        s_sum += out
        c1 = (1.0 - b1) / (1.0 - b1 ** t)
        c2 = math.sqrt((1.0 - b2) / (1.0 - b2 ** t))
        np.sqrt(s_sum, out=out)
        out += self.epsilon / c2
        np.divide(v_sum, out, out=out)
        out *= self.learning_rate * c1 / c2
        return out


class AdamW(Adam):
    r"""Adam with decoupled weight decay, as ``torch.optim.AdamW``.

    .. math:: W \leftarrow W - \alpha \lambda_{wd} W, \qquad
              \theta \leftarrow \theta - \alpha \frac{\hat V}{\sqrt{\hat S} + \varepsilon}

    the first on the weights ``W`` only (biases and batch-norm ``gamma``/``beta`` are not decayed,
    as a PyTorch parameter group without decay), the second :class:`Adam`'s step.
    ``weight_decay`` defaults to 0.01, PyTorch's default; with ``weight_decay=0`` it is Adam.
    """

    name = "adamw"
    default_weight_decay = 0.01


class NAdam(Optimizer):
    r"""Nesterov-accelerated Adam, as ``torch.optim.NAdam`` (Dozat, 2016), momentum decay 0.004.

    With a momentum coefficient that warms up over the steps,

    .. math::
        \mu_t = \beta_1\left(1 - \tfrac12\, 0.96^{\,t\,\psi}\right), \qquad
        \psi = 0.004, \qquad \Pi_t = \prod_{i=1}^{t}\mu_i

    and Adam's moments :math:`V, S` (:class:`Adam`),

    .. math::
        \theta \leftarrow \theta
          - \alpha\frac{1-\mu_t}{1-\Pi_t}\,\frac{g}{\sqrt{\hat S}+\varepsilon}
          - \alpha\frac{\mu_{t+1}}{1-\Pi_{t+1}}\,\frac{V}{\sqrt{\hat S}+\varepsilon},
        \qquad \hat S = \frac{S}{1-\beta_2^t}

    the current gradient and the momentum each with their own bias correction, the momentum
    taken one step ahead (the Nesterov look-ahead). :math:`\Pi_t` follows from ``t``, so the
    state is Adam's. Stored sums as in :class:`Adam`, with
    :math:`c_2 = \sqrt{(1-\beta_2)/(1-\beta_2^t)}`:
    :math:`\sqrt{\hat S} + \varepsilon = c_2(\sqrt{S_\Sigma} + \varepsilon/c_2)`.
    """

    name = "nadam"
    moment_decays = {"v": "beta1", "s": "beta2"}
    momentum_decay = 0.004

    def __init__(self, size, dtype, *args, **kwargs):
        super().__init__(size, dtype, *args, **kwargs)
        self._numerator = np.empty(size, dtype=dtype)
        self._mu_product = (0, 1.0)  # (t, prod of mu_1..mu_t), extended as t grows

    def _mu(self, t):
        return self.beta1 * (1.0 - 0.5 * 0.96 ** (t * self.momentum_decay))

    def mu_product(self, t):
        r""":math:`\Pi_t = \prod_{i \le t} \mu_i`, multiplied in step order (as PyTorch does)."""
        done, product = self._mu_product
        if done > t:
            done, product = 0, 1.0
        for i in range(done + 1, t + 1):
            product *= self._mu(i)
        self._mu_product = (t, product)
        return product

    def configure(self, learning_rate, beta1, beta2, epsilon):
        super().configure(learning_rate, beta1, beta2, epsilon)
        self._mu_product = (0, 1.0)  # mu depends on beta1

    def _delta(self, grad, out):
        b1, b2, t = self.beta1, self.beta2, self.t
        v_sum, s_sum = self._moments["v"], self._moments["s"]
        mu, mu_next = self._mu(t), self._mu(t + 1)
        product = self.mu_product(t)
        product_next = product * mu_next
        v_sum *= b1
        v_sum += grad
        s_sum *= b2
        np.multiply(grad, grad, out=out)
        s_sum += out
        c2 = math.sqrt((1.0 - b2) / (1.0 - b2 ** t))
        a = self.learning_rate * (1.0 - mu) / (1.0 - product) / c2
        b = self.learning_rate * mu_next * (1.0 - b1) / (1.0 - product_next) / c2
        numerator = np.multiply(grad, a, out=self._numerator)
        np.multiply(v_sum, b, out=out)
        numerator += out
        np.sqrt(s_sum, out=out)
        out += self.epsilon / c2
        return np.divide(numerator, out, out=out)


class LBFGS(Optimizer):
    r"""Full-batch L-BFGS, through ``scipy.optimize.minimize(method="L-BFGS-B")``.

    Not a per-step update: the training loop hands the whole objective
    :meth:`ClassifierNN.cost_and_gradient` to SciPy, which builds a low-rank approximation of the
    inverse Hessian from the last few (10) parameter and gradient differences
    :math:`s_k = \theta_{k+1}-\theta_k`, :math:`y_k = g_{k+1}-g_k` and steps along
    :math:`-H_k g_k` with a line search. Needs the ``scipy`` extra.
    """

    name = "lbfgs"
    full_batch = True

    def _delta(self, grad, out):
        raise TypeError("L-BFGS does not take single steps; scratchnn.training.fit runs it whole")


OPTIMIZERS = {cls.name: cls for cls in (GradientDescent, Momentum, Nesterov, RMSprop, Adam, AdamW,
                                        NAdam, LBFGS)}
"""All optimizers by name."""


def get(identifier):
    """Return the optimizer class registered under ``identifier`` (a name, case-insensitive, or
    the class itself); see :func:`scratchnn.validation.lookup` for the errors."""
    return lookup(OPTIMIZERS, identifier, "optimizer")
