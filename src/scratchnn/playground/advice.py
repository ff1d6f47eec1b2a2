"""What the Diagnostics panel says is wrong, and what helps, in the words of the page's controls.

:class:`scratchnn.callbacks.Diagnostics` reports mostly dead or saturated hidden layers and
vanishing gradients (:meth:`~scratchnn.diagnostics.Diagnostics.problems`) with advice in the
library's words (``batch_norm=True``, ``initialization_method='he'``). A learner on the page
needs the page's controls instead, and a sharper eye for gradients: the page flags the first
layer's gradient norm when it is more than :data:`GRADIENT_RATIO` times smaller than the output
layer's (vanishing) or larger (exploding), the threshold stated in the sentence. He or Xavier
initialization is never advised to a network that has it.
"""

import math

__all__ = ["GRADIENT_RATIO", "PAGE_ADVICE", "page_problems"]

GRADIENT_RATIO = 100.0
"""The first layer's gradient norm more than this many times smaller than the output layer's is
flagged as vanishing gradients, more than this many times larger as exploding ones."""

PAGE_ADVICE = {
    "dead": "set that layer's activation to leaky_relu, lower the Learning rate, tick Batch norm, "
            "{he}or change the Seed",
    "vanishing": "set the hidden layers' activation to relu or leaky_relu, tick Batch norm, "
                 "{he}remove a hidden layer (the − button), or change the Seed",
    "exploding": "lower the Learning rate, tick Batch norm, {xavier}or remove a hidden layer "
                 "(the − button)",
}
"""What helps against each problem, naming the page's controls ({he}: He initialization,
{xavier}: Xavier initialization, each left out where the network has it)."""

_HE = "choose Initialization he, "
_XAVIER = "choose Initialization xavier, "


def _sentence(finding, kind, initialization):
    he = "" if initialization == "he" else _HE
    xavier = "" if initialization == "xavier" else _XAVIER
    return f"{finding}; what helps: {PAGE_ADVICE[kind].format(he=he, xavier=xavier)}"


def page_problems(diagnostics, initialization):
    """The sentences of the Diagnostics panel for the last epoch ``diagnostics`` recorded.

    Parameters
    ----------
    diagnostics : Diagnostics
        Its ``problems()``, ``layer_names`` and ``last("grad_norm")`` are read.
    initialization : str
        The network's initialization (He is not advised to a network that has it).

    Returns
    -------
    list of str
        The library's findings with the page's advice, then the gradient-ratio findings.
    """
    sentences, vanishing = [], False
    for problem in diagnostics.problems():
        kind = getattr(problem, "kind", None)
        if kind in PAGE_ADVICE:
            vanishing = vanishing or kind == "vanishing"
            sentences.append(_sentence(problem.finding, kind, initialization))
        else:  # a sentence of another Diagnostics: as it is
            sentences.append(str(problem))
    names = list(diagnostics.layer_names)
    norms = [float(value) for value in diagnostics.last("grad_norm")]
    if len(norms) < 2:
        return sentences
    first, last = norms[0], norms[-1]
    if not (math.isfinite(first) and math.isfinite(last) and first > 0 and last > 0):
        return sentences  # no signal (a dead first layer, reported above), or no number
    if first * GRADIENT_RATIO < last and not vanishing:
        sentences.append(_sentence(
            f"vanishing gradients: the gradient norm of {names[0]} ({first:.3g}) is "
            f"{last / first:.3g} times smaller than that of {names[-1]} ({last:.3g}); the page "
            f"flags more than {GRADIENT_RATIO:g} times, so the first layers hardly learn",
            "vanishing", initialization))
    elif first > GRADIENT_RATIO * last:
        sentences.append(_sentence(
            f"exploding gradients: the gradient norm of {names[0]} ({first:.3g}) is "
            f"{first / last:.3g} times larger than that of {names[-1]} ({last:.3g}); the page "
            f"flags more than {GRADIENT_RATIO:g} times, so the first layers take wild steps",
            "exploding", initialization))
    return sentences
