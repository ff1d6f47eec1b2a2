"""The Diagnostics panel's findings and advice: vanishing and exploding gradients flagged at the
stated ratio, advice in the page's controls, He never advised to a network that has it."""

import re
import time
from types import SimpleNamespace

import numpy as np
import pytest

from scratchnn.diagnostics import Problem
from scratchnn.playground import PlaygroundConfig, Session
from scratchnn.playground.advice import GRADIENT_RATIO, page_problems

PYTHON_WORDS = re.compile(r"=|batch_norm|initialization_method|learning_rate|random_state|'\w+'")


def diagnostics(grad_norm, problems=()):
    """What page_problems reads of a Diagnostics callback."""
    names = [f"layer {l} (tanh)" for l in range(1, len(grad_norm) + 1)]
    return SimpleNamespace(problems=lambda: list(problems), layer_names=names,
                           last=lambda name: np.array(grad_norm))


@pytest.mark.parametrize(("norms", "kind"), [
    ([0.9 / GRADIENT_RATIO, 0.5, 1.0], "vanishing"),  # 111 times smaller
    ([1.1 / GRADIENT_RATIO, 0.5, 1.0], None),  # 91 times: under the stated threshold
    ([1.0, 0.5, 1.0], None),
    ([1.1 * GRADIENT_RATIO, 5.0, 1.0], "exploding"),
    ([0.9 * GRADIENT_RATIO, 5.0, 1.0], None),
    ([0.0, 0.5, 1.0], None),  # no signal at all: a dead first layer, not a vanishing gradient
    ([np.nan, 0.5, 1.0], None),
])
def test_gradient_ratios_over_the_stated_threshold_are_flagged(norms, kind):
    sentences = page_problems(diagnostics(norms), "he")
    if kind is None:
        assert sentences == []
        return
    [sentence] = sentences
    assert sentence.startswith(f"{kind} gradients: the gradient norm of layer 1 (tanh)")
    assert f"more than {GRADIENT_RATIO:g} times" in sentence  # the threshold, stated
    assert "layer 3 (tanh)" in sentence
    assert not PYTHON_WORDS.search(sentence), sentence


@pytest.mark.parametrize(("initialization", "he_advised"), [("he", False), ("xavier", True),
                                                            ("random", True)])
def test_advice_names_the_page_controls_and_he_only_when_not_chosen(initialization, he_advised):
    dead = Problem("layer 1 (relu): 6 of 8 units ended the training dead", "dead",
                   initialization)
    vanishing = Problem("vanishing gradients: the gradient norm of layer 1 (sigmoid) (1e-09) is "
                        "1e-08 times that of layer 3 (sigmoid) (0.1)", "vanishing",
                        initialization)
    sentences = page_problems(diagnostics([1e-9, 1e-3, 0.1], [dead, vanishing]), initialization)
    assert len(sentences) == 2  # the library's vanishing finding is not said twice
    assert sentences[0].startswith(dead.finding + "; what helps: ")
    assert "leaky_relu" in sentences[0] and "Batch norm" in sentences[0]
    assert "Learning rate" in sentences[0] and "Seed" in sentences[0]
    for sentence in sentences:
        assert ("Initialization he" in sentence) is he_advised
        assert not PYTHON_WORDS.search(sentence.split("what helps:")[1]), sentence


def test_a_deep_sigmoid_stack_is_flagged_on_the_page():
    """Issue 22's stalled run: six sigmoid layers with gd; the first layer's gradient is
    hundreds of times smaller than the output's from the first epoch."""
    session = Session(PlaygroundConfig(hidden=[{"units": 8, "activation": "sigmoid"}] * 6,
                                       optimizer="gd", learning_rate=0.3, n_points=200))
    session.step()
    deadline = time.monotonic() + 60
    while not (session.frame["epoch"] == 1 and session.status == "paused"):
        assert time.monotonic() < deadline, "the step never ended"
        time.sleep(0.02)
    norms = session.frame["diagnostics"]["values"]["grad_norm"]
    assert norms[-1] > GRADIENT_RATIO * norms[0]
    problems = session.frame["diagnostics"]["problems"]
    assert [p for p in problems if p.startswith("vanishing gradients")], problems
    assert all("Initialization he" not in p for p in problems)  # He is the default here
    session.close()


@pytest.mark.parametrize(("initialization", "xavier_advised"), [("xavier", False), ("he", True),
                                                                ("random", True)])
def test_exploding_advice_names_xavier_only_when_not_chosen(initialization, xavier_advised):
    [sentence] = page_problems(diagnostics([1.1 * GRADIENT_RATIO, 5.0, 1.0]), initialization)
    assert sentence.startswith("exploding gradients")
    assert ("Initialization xavier" in sentence) is xavier_advised
    assert "Learning rate" in sentence and "Batch norm" in sentence
