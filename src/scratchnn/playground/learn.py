r"""The Learn panel: the formulas of the network on the page, in the order a step computes them.

:func:`lesson` reads a session's settings and returns sections the page shows as they are: a
title, a sentence or two, and formulas as MathML (:func:`~.mathml.to_mathml`) made from the
documentation's own TeX (:data:`scratchnn.formulas.FORMULAS`), never a second copy. It follows
the network on screen: each hidden layer's activation and derivative (layers that share one are
shown together), batch normalization and dropout when they are on, the output and its loss with
the fused delta, backpropagation, L2 and L1 when their strengths are above 0, the optimizer's
update with the hyperparameters this run uses, and the learning-rate schedule.
"""

import inspect

from .. import optimizers as _optimizers
from ..formulas import FORMULAS
from ..network import ClassifierNN
from .features import FEATURES
from .mathml import to_mathml

__all__ = ["lesson"]

_ACTIVATION_WORDS = {
    "sigmoid": "squashes each net input into (0, 1)",
    "relu": "passes positive net inputs and zeroes the rest; its gradient is 0 for a unit that "
            "is off, so a unit off for every point stops learning (a dead ReLU)",
    "tanh": "squashes each net input into (-1, 1), centred on 0",
    "leaky_relu": "is ReLU with a small slope for negative inputs, so no unit can die",
    "linear": "leaves the net input as it is; a stack of linear layers is one linear map",
    "softmax": "turns each column into probabilities that sum to 1",
}

_OPTIMIZER_WORDS = {
    "gd": "steps against the gradient of each mini-batch.",
    "momentum": "averages the gradients, so steps that agree add up and oscillations cancel.",
    "nesterov": "steps along the next average of the gradients (momentum, looking ahead).",
    "rmsprop": "divides each step by a running root mean square of the gradients.",
    "adam": "combines momentum with RMSprop's scaling, both corrected for starting at zero.",
    "adamw": "is Adam with decoupled weight decay: the weights shrink before each Adam step.",
    "nadam": "is Adam with Nesterov's look-ahead momentum.",
    "lbfgs": "builds an approximation of the inverse Hessian from the last steps and searches "
             "along it, over the whole training set at once (each epoch is one iteration).",
}

_LOSS_NAMES = {"BinaryCrossEntropy": ("binary cross-entropy", "loss.binary"),
               "CategoricalCrossEntropy": ("categorical cross-entropy", "loss.categorical"),
               "SparseCategoricalCrossEntropy": ("sparse categorical cross-entropy",
                                                 "loss.sparse"),
               "MeanSquaredError": ("half the squared error", "loss.mse")}

_OUTPUT_WORDS = {"sigmoid": ": the probability of class 1.",
                 "softmax": ": one probability per class.",
                 "linear": ": the predicted value, any real number."}


def _math(name, prefix=""):
    """The MathML of a formula; one line of several (``\\qquad`` apart) becomes one formula
    each, to fit the panel's width."""
    parts = [part.strip().rstrip(",").strip() for part in FORMULAS[name].split(r"\qquad")]
    return [to_mathml(prefix + part if i == 0 else part) for i, part in enumerate(parts)]


def _values(pairs):
    """``α = 0.03, β₁ = 0.9`` as MathML, from ``(tex name, value)`` pairs."""
    return to_mathml(r",\quad ".join(f"{tex} = {_number(value)}" for tex, value in pairs))


def _shown(value):
    """``value`` as the shortest text that reads back as it (``repr``, without a trailing
    ``.0``): the page shows the number the run uses, not one rounded to 6 digits."""
    if isinstance(value, int):
        return str(value)
    text = repr(float(value))
    return text[:-2] if text.endswith(".0") else text


def _number(value):
    text = _shown(value)
    if "e" in text:
        mantissa, exponent = text.split("e")
        return rf"{mantissa} \times 10^{{{int(exponent)}}}"
    return text


def _section(title, text, math=()):
    flat = []
    for item in math:
        flat.extend([item] if isinstance(item, str) else item)
    return {"title": title, "text": text, "math": flat}


def _layer_runs(hidden):
    """Runs of consecutive hidden layers with the same activation: (first, last, activation)."""
    runs = []
    for number, layer in enumerate(hidden, start=1):
        if runs and runs[-1][2] == layer["activation"]:
            runs[-1][1] = number
        else:
            runs.append([number, number, layer["activation"]])
    return runs


def lesson(config, plan):
    """The Learn panel's sections for ``config`` (a PlaygroundConfig) and its ``plan``.

    Returns
    -------
    list of dict
        ``{"title": str, "text": str, "math": [MathML str, ...]}`` in the order of a training
        step: forward, loss, backward, regularization, update, schedule.
    """
    c = config
    sections = []
    units = " → ".join(str(n) for n in plan.layer_dims)
    inputs = ", ".join(FEATURES[name][0] for name in c.features)
    forward = (f"The network {units}, its inputs {inputs}: each layer l multiplies the layer "
               f"below by its weights, adds its bias and applies its activation g.")
    if c.batch_norm:
        forward += (" With batch norm a hidden layer has no bias: it normalizes W A over the "
                    "mini-batch before g (below).")
    sections.append(_section("Forward: a layer", forward, [_math("forward.layer")]))
    for first, last, activation in _layer_runs(c.hidden):
        where = f"Layer {first}" if first == last else f"Layers {first}–{last}"
        counts = ", ".join(str(c.hidden[i - 1]["units"]) for i in range(first, last + 1))
        sections.append(_section(
            f"{where}: {activation} ({counts} units)",
            f"{activation} {_ACTIVATION_WORDS.get(activation, '')}. Its derivative, written "
            f"from the output A, is what backpropagation multiplies by.",
            [_math(f"activation.{activation}", "A = g(Z) = "),
             _math(f"derivative.{activation}", "g'(Z) = ")]))
    if c.batch_norm and c.hidden:
        sections.append(_section(
            "Batch normalization (every hidden layer)",
            "Each unit's net input is normalized over the mini-batch, then scaled by γ and "
            "shifted by β (both learned); predictions use running averages of μ and σ².",
            [_math("batch_norm.forward"), _math("batch_norm.running")]))
    if c.keep_prob < 1.0 and c.hidden:
        sections.append(_section(
            f"Dropout (keep probability p = {_shown(c.keep_prob)})",
            "In training each hidden layer's output keeps a random share p of its units and "
            "scales them by 1/p, so the expected output is unchanged; predictions use every "
            "unit.",
            [_math("dropout")]))
    output = plan.activations[-1]
    sections.append(_section(
        f"Output: {output}",
        f"The output layer's {output} {_ACTIVATION_WORDS[output]}" + _OUTPUT_WORDS[output],
        [_math(f"activation.{output}", "A = " if output != "softmax" else "")]))
    loss_words, loss_key = _LOSS_NAMES[plan.loss]
    sections.append(_section(
        f"Loss: {loss_words} ({plan.loss})",
        "Half the mean over the m points of a mini-batch of the squared distance between "
        "prediction and target." if plan.regression else
        "The mean over the m points of a mini-batch of how surprised the network is by the "
        "true class.",
        [_math(loss_key)]))
    sections.append(_section(
        "The fused output delta",
        ("The squared error's derivative is the residual A − Y (the half cancels the square's "
         "2), and the linear output passes it through unchanged: " if plan.regression else
         f"Chaining the loss's derivative through {output} cancels almost everything: ")
        + "backpropagation starts from the difference between prediction and truth.",
        [_math("delta.fused")]))
    sections.append(_section(
        "Backward: each layer, top to bottom",
        "Each hidden layer multiplies the gradient arriving from above by its activation's "
        "derivative, then gives its weights their gradient and passes the rest down"
        + (" (λ = 0 here: no L2 term)." if c.l2 == 0 else "."),
        [_math("backward.activation"), _math("backward.dense")]))
    if c.batch_norm and c.hidden:
        sections.append(_section(
            "Backward through batch norm",
            "γ and β get their gradients, and the gradient of the net input accounts for μ "
            "and σ² depending on every point of the mini-batch.",
            [_math("batch_norm.backward.parameters"), _math("batch_norm.backward")]))
    l1 = c.l1
    if c.l2 > 0:
        sections.append(_section(
            f"L2 regularization (λ = {_shown(c.l2)})",
            "A penalty on large weights: every step also shrinks each weight in proportion "
            "to its size.",
            [_math("l2")]))
    if l1 > 0:
        sections.append(_section(
            f"L1 regularization (λ₁ = {_shown(l1)})",
            "A penalty on the weights' magnitudes: every step also pulls each weight towards "
            "0 by the same amount, so small weights end near 0 (nearly sparse weights).",
            [_math("l1")]))
    sections.append(_optimizer_section(c))
    sections.append(_schedule_section(c))
    return sections


def _optimizer_section(c):
    defaults = {name: p.default for name, p in inspect.signature(ClassifierNN.train)
                .parameters.items() if p.default is not inspect.Parameter.empty}
    name = c.optimizer
    m = "the whole training set" if name == "lbfgs" else f"mini-batches of {c.batch_size}"
    text = (f"{name} {_OPTIMIZER_WORDS.get(name, '')} θ is every parameter (W, b, γ, β) and g "
            f"its gradient, from {m}.")
    pairs = [(r"\alpha", c.learning_rate)]
    if name in ("momentum", "nesterov", "rmsprop", "adam", "adamw", "nadam"):
        pairs.append((r"\beta_1", defaults["beta1"]))
    if name in ("adam", "adamw", "nadam"):
        pairs.append((r"\beta_2", defaults["beta2"]))
    if name in ("rmsprop", "adam", "adamw", "nadam"):
        pairs.append((r"\varepsilon", defaults["epsilon"]))
    math = []
    if name in ("adam", "adamw", "nadam"):
        math.append(_math("optimizer.adam"))
    if name in ("adam", "adamw"):
        math.append(_math("optimizer.adam.update"))
    if name == "adamw":
        decay = getattr(_optimizers.OPTIMIZERS[name], "default_weight_decay", None)
        if decay is not None:
            pairs.append((r"\lambda_{wd}", decay))
        math.append(_math("optimizer.adamw.decay"))
    elif f"optimizer.{name}" in FORMULAS and name != "adam":
        math.append(_math(f"optimizer.{name}"))
    if name != "lbfgs":
        math.append(_values(pairs))
    return _section(f"Update: {name}", text, math)


def _schedule_section(c):
    if c.schedule is None:
        return _section("Learning rate: constant",
                        f"Every epoch uses the same rate α₀ = {_shown(c.learning_rate)}.",
                        [_math("schedule.constant")])
    pairs = [(r"\alpha_0", c.learning_rate)]
    if c.schedule == "cosine":
        pairs += [(r"\alpha_{\min}", 0), ("T", c.epochs)]
    return _section(f"Learning rate: {c.schedule} schedule",
                    "The rate of epoch e, from the base rate α₀; every step of the epoch uses it.",
                    [_math(f"schedule.{c.schedule}"), _values(pairs)])
