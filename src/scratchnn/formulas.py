r"""The formulas of "How it works", in one place: the documentation and the playground show these.

Each entry of :data:`FORMULAS` is the TeX of one formula (or of one line of formulas), named by
what it describes. The documentation's pages include them by name (the ``formula`` directive and
role that ``docs/conf.py`` defines, used in the pages' Markdown), so a page
never holds a second copy; the playground's Learn panel turns the same TeX into MathML
(:mod:`scratchnn.playground.mathml`) for the network on its screen. A formula changed here
changes in both places.

The TeX is the subset that both MathJax (the documentation) and the playground's converter
read: letters, numbers and operators, ``^`` and ``_``, ``{...}`` groups, ``\frac``, ``\sqrt``,
``\hat``, ``\tilde``, ``\text``, ``\operatorname``, ``\mathbf``, ``\mathcal``, ``\left`` /
``\right``, Greek letters and a few named symbols. Nothing here is imported by the model: it is
documentation, kept as data.

Names
-----
``forward.layer``
    One dense layer's forward pass.
``activation.NAME`` / ``derivative.NAME``
    Each activation of :data:`scratchnn.activations.ACTIVATIONS`, as :math:`g(Z)`, and its
    derivative written from the output :math:`A`.
``backward.activation``, ``backward.dense``
    Backpropagation through an activation and through a dense layer.
``loss.binary``, ``loss.categorical``, ``loss.sparse``
    The cross-entropies, and ``delta.fused`` the output delta they share with their output
    activation.
``batch_norm.*``, ``dropout``, ``l2``, ``l1``
    Batch normalization (forward, running statistics, backward), inverted dropout and the
    weight penalties.
``optimizer.NAME`` (and ``optimizer.adam.update``, ``optimizer.adamw.decay``)
    The update rule of each optimizer of :data:`scratchnn.optimizers.OPTIMIZERS` that has one.
``schedule.NAME``
    The learning rate of epoch :math:`e` under each schedule of
    :data:`scratchnn.schedules.SCHEDULES`.
"""

__all__ = ["FORMULAS"]

FORMULAS = {
    # ---------------------------------------------------------------- forward
    "forward.layer":
        r"Z^{[l]} = W^{[l]} A^{[l-1]} + b^{[l]}, \qquad A^{[l]} = g^{[l]}\left(Z^{[l]}\right)",
    # ---------------------------------------------------------------- activations: g(Z), g'(Z)
    "activation.sigmoid": r"\sigma(Z) = \dfrac{1}{1 + e^{-Z}}",
    "derivative.sigmoid": r"A(1 - A)",
    "activation.relu": r"\max(0, Z)",
    "derivative.relu": r"[A > 0]",
    "activation.tanh": r"\tanh Z",
    "derivative.tanh": r"1 - A^2",
    "activation.leaky_relu": r"Z \text{ if } Z > 0 \text{, else } 0.01\,Z",
    "derivative.leaky_relu": r"1 \text{ if } A > 0 \text{, else } 0.01",
    "activation.linear": r"Z",
    "derivative.linear": r"1",
    "activation.softmax":
        r"A_i = \dfrac{e^{Z_i - \max_k Z_k}}{\sum_{k} e^{Z_k - \max_k Z_k}}",
    "derivative.softmax": r"dZ = A \odot \left(dA - \mathbf 1 \sum_{i} dA_i A_i\right)",
    # ---------------------------------------------------------------- losses and the delta
    "loss.binary":
        r"J = -\frac{1}{m} \sum_{i,j} \Big( Y_{ij} \log A_{ij} + (1 - Y_{ij}) \log(1 - A_{ij})"
        r" \Big)",
    "loss.categorical": r"J = -\frac{1}{m} \sum_{j=1}^{m} \sum_{i=1}^{C} Y_{ij} \log A_{ij}",
    "loss.sparse": r"J = -\frac{1}{m} \sum_{j=1}^{m} \log A_{y_j, j}",
    "delta.fused": r"dZ^{[L]} = \frac{A^{[L]} - Y}{m}",
    # ---------------------------------------------------------------- backward
    "backward.activation": r"dZ = dA \odot g'(Z)",
    "backward.dense":
        r"dW^{[l]} = dZ^{[l]} A^{[l-1]T} + \frac{\lambda}{m} W^{[l]}, \qquad "
        r"db^{[l]} = \sum_j dZ^{[l]}_{:,j}, \qquad dA^{[l-1]} = W^{[l]T} dZ^{[l]}",
    # ---------------------------------------------------------------- batch norm, dropout
    "batch_norm.forward":
        r"\mu = \frac{1}{m} \sum_j Z_{:,j}, \qquad \sigma^2 = \frac{1}{m} \sum_j (Z_{:,j} - \mu)^2,"
        r" \qquad \hat Z = \frac{Z - \mu}{\sqrt{\sigma^2 + \varepsilon}}, \qquad"
        r" \tilde Z = \gamma \odot \hat Z + \beta",
    "batch_norm.running":
        r"\mu_{\text{running}} \leftarrow 0.9\, \mu_{\text{running}} + 0.1\, \mu, \qquad"
        r" \sigma^2_{\text{running}} \leftarrow 0.9\, \sigma^2_{\text{running}} + 0.1\, \sigma^2",
    "batch_norm.backward.parameters":
        r"d\gamma = \sum_j d\tilde Z_{:,j} \odot \hat Z_{:,j}, \qquad d\beta = \sum_j d\tilde Z_{:,j}",
    "batch_norm.backward":
        r"dZ = \frac{1}{m\sqrt{\sigma^2 + \varepsilon}} \left( m\, d\hat Z - \sum_j d\hat Z_{:,j}"
        r" - \hat Z \odot \sum_j d\hat Z_{:,j} \odot \hat Z_{:,j} \right)",
    "dropout":
        r"D^{[l]} = \frac{[U < p]}{p}, \quad U \sim \mathcal U(0, 1), \qquad"
        r" A^{[l]} \leftarrow A^{[l]} \odot D^{[l]}",
    # ---------------------------------------------------------------- penalties
    "l2":
        r"J_{\text{regularized}} = J + \frac{\lambda}{2m} \sum_{l=1}^{L} \lVert W^{[l]}"
        r" \rVert_F^2, \qquad dW^{[l]} \mathrel{+}= \frac{\lambda}{m} W^{[l]}",
    "l1":
        r"J_{\text{regularized}} = J + \frac{\lambda_1}{m} \sum_{l=1}^{L} \sum_{i,j}"
        r" \left|W^{[l]}_{ij}\right|, \qquad dW^{[l]} \mathrel{+}= \frac{\lambda_1}{m}"
        r" \operatorname{sign}\left(W^{[l]}\right)",
    # ---------------------------------------------------------------- optimizers
    "optimizer.gd": r"\theta \leftarrow \theta - \alpha\, g",
    "optimizer.momentum":
        r"V \leftarrow \beta_1 V + (1 - \beta_1)\, g, \qquad \theta \leftarrow \theta - \alpha V",
    "optimizer.nesterov":
        r"V \leftarrow \beta_1 V + (1 - \beta_1)\, g, \qquad \theta \leftarrow \theta -"
        r" \alpha\left(\beta_1 V + (1 - \beta_1)\, g\right)",
    "optimizer.rmsprop":
        r"S \leftarrow \beta_1 S + (1 - \beta_1)\, g^2, \qquad \theta \leftarrow \theta -"
        r" \alpha \frac{g}{\sqrt{S} + \varepsilon}",
    "optimizer.adam":
        r"V \leftarrow \beta_1 V + (1 - \beta_1)\, g, \qquad S \leftarrow \beta_2 S +"
        r" (1 - \beta_2)\, g^2",
    "optimizer.adam.update":
        r"\hat V = \frac{V}{1 - \beta_1^t}, \qquad \hat S = \frac{S}{1 - \beta_2^t}, \qquad"
        r" \theta \leftarrow \theta - \alpha \frac{\hat V}{\sqrt{\hat S} + \varepsilon}",
    "optimizer.adamw.decay": r"W \leftarrow W - \alpha\lambda_{wd} W",
    "optimizer.nadam":
        r"\theta \leftarrow \theta - \alpha\frac{1-\mu_t}{1-\Pi_t}\frac{g}{\sqrt{\hat S}"
        r"+\varepsilon} - \alpha\frac{\mu_{t+1}}{1-\Pi_{t+1}}\frac{V}{\sqrt{\hat S}+\varepsilon}",
    # ---------------------------------------------------------------- schedules
    "schedule.constant": r"\alpha_e = \alpha_0",
    "schedule.step": r"\alpha_e = \alpha_0\, \gamma^{\lfloor e / \text{step\_size} \rfloor}",
    "schedule.exponential": r"\alpha_e = \alpha_0\, \gamma^{e}",
    "schedule.cosine":
        r"\alpha_e = \alpha_{\min} + (\alpha_0 - \alpha_{\min})\, \frac{1 + \cos(\pi e / T)}{2}",
}
"""TeX of each formula, by name (see the module's docstring for the names)."""
