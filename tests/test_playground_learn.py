"""The Learn panel: TeX to MathML, one formula source shared with the docs, and the lesson that
follows the network on the page."""

import re
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from scratchnn import activations, optimizers, schedules
from scratchnn.formulas import FORMULAS
from scratchnn.playground import PlaygroundConfig, Session
from scratchnn.playground.learn import lesson
from scratchnn.playground.mathml import to_mathml
from scratchnn.playground.settings import make_plan

DOCS = Path(__file__).resolve().parents[1] / "docs"
MATHML = "{http://www.w3.org/1998/Math/MathML}"


def body(tex):
    """The MathML inside ``<math><mrow>``, for comparing with hand-written markup."""
    markup = to_mathml(tex)
    head = '<math xmlns="http://www.w3.org/1998/Math/MathML" display="block"><mrow>'
    assert markup.startswith(head) and markup.endswith("</mrow></math>")
    return markup[len(head):-len("</mrow></math>")]


# --------------------------------------------------------------------------- TeX to MathML
@pytest.mark.parametrize(("tex", "expected"), [
    ("x + 1", "<mi>x</mi><mo>+</mo><mn>1</mn>"),
    ("a - b", "<mi>a</mi><mo>−</mo><mi>b</mi>"),  # a minus sign, not a hyphen
    (r"\frac{a}{2}", "<mfrac><mrow><mi>a</mi></mrow><mrow><mn>2</mn></mrow></mfrac>"),
    ("W^{[l]}", "<msup><mi>W</mi><mrow><mo>[</mo><mi>l</mi><mo>]</mo></mrow></msup>"),
    ("x_i^2", "<msubsup><mi>x</mi><mi>i</mi><mn>2</mn></msubsup>"),
    (r"\sum_j Z", '<munder><mo largeop="true" movablelimits="true">∑</mo><mi>j</mi></munder>'
                  "<mi>Z</mi>"),
    (r"\sqrt{S} + \varepsilon", "<msqrt><mrow><mi>S</mi></mrow></msqrt><mo>+</mo><mi>ε</mi>"),
    (r"\hat V", '<mover accent="true"><mi>V</mi><mo>^</mo></mover>'),
    (r"\text{ if } x", "<mtext> if </mtext><mi>x</mi>"),
    (r"\operatorname{sign}(W)", "<mi>sign</mi><mo>(</mo><mi>W</mi><mo>)</mo>"),
    (r"\left(a\right)", '<mrow><mo stretchy="true">(</mo><mi>a</mi>'
                        '<mo stretchy="true">)</mo></mrow>'),
    ("g'(Z)", "<msup><mi>g</mi><mo>′</mo></msup><mo>(</mo><mi>Z</mi><mo>)</mo>"),
    (r"a \odot b \leftarrow 0.5", "<mi>a</mi><mo>⊙</mo><mi>b</mi><mo>←</mo><mn>0.5</mn>"),
    ("a < b", "<mi>a</mi><mo>&lt;</mo><mi>b</mi>"),  # escaped, never markup
])
def test_tex_becomes_the_mathml_written_by_hand(tex, expected):
    assert body(tex) == expected


@pytest.mark.parametrize(("tex", "error", "message"), [
    (r"\begin{cases} a \end{cases}", ValueError, r"\\begin"),
    (r"\frac{a}{b", ValueError, "unmatched '{'"),
    ("a}", ValueError, "unmatched '}'"),
    (r"a \right)", ValueError, r"\\right without \\left"),
    (r"\frac{a \right)}{b}", ValueError, r"\\right without \\left"),
    (r"\frac{a}", ValueError, "ends too early"),
    ("x^", ValueError, "ends too early"),
    (r"\left( a", ValueError, r"\\left without \\right"),
    (r"\left\langle a \right\rangle", ValueError, r"\\langle as a delimiter"),
    (3, TypeError, "tex must be a string"),
])
def test_tex_outside_the_subset_is_refused_by_name(tex, error, message):
    with pytest.raises(error, match=message):
        to_mathml(tex)


@pytest.mark.parametrize("name", sorted(FORMULAS))
def test_every_shared_formula_becomes_well_formed_mathml_with_no_tex_left(name):
    root = ET.fromstring(to_mathml(FORMULAS[name]))
    assert root.tag == f"{MATHML}math" and root.get("display") == "block"
    text = "".join(root.itertext())
    assert "\\" not in text and "$" not in text, text


# --------------------------------------------------------------------------- one source
def _pages():
    return {page: page.read_text(encoding="utf-8") for page in DOCS.rglob("*.md")
            if "_build" not in page.parts}


def test_the_docs_include_the_shared_formulas_and_hold_no_copy_of_them():
    used = {}
    for page, text in _pages().items():
        for name in re.findall(r"```\{formula\} (\S+)|\{formula\}`([^`]+)`", text):
            used.setdefault(name[0] or name[1], []).append(page.name)
    assert set(used) <= set(FORMULAS), f"unknown formulas in the docs: {set(used) - set(FORMULAS)}"
    assert set(FORMULAS) - set(used) == set(), "formulas no docs page shows"
    for page, text in _pages().items():
        copies = [name for name, tex in FORMULAS.items() if len(tex) > 12 and f"${tex}$" in text]
        assert copies == [], f"{page.name} holds a copy of {copies}: use the formula directive"


def test_the_registries_each_have_their_formulas():
    for name in activations.ACTIVATIONS:
        assert f"activation.{name}" in FORMULAS and f"derivative.{name}" in FORMULAS
    for name in optimizers.OPTIMIZERS:
        if name != "lbfgs":  # a line search, no one-line update
            assert f"optimizer.{name}" in FORMULAS or f"optimizer.{name}.decay" in FORMULAS
    for name in schedules.SCHEDULES:
        assert f"schedule.{name}" in FORMULAS


# --------------------------------------------------------------------------- the lesson
def _lesson(**settings):
    n_classes = settings.pop("_classes", 2)
    config = PlaygroundConfig.from_json(settings)
    return lesson(config, make_plan(config, n_classes))


def _titles(sections):
    return [section["title"] for section in sections]


def _pieces(name):
    return [to_mathml(part.strip().rstrip(",").strip())
            for part in FORMULAS[name].split(r"\qquad")]


def _section(sections, start):
    [found] = [s for s in sections if s["title"].startswith(start)]
    return found


def test_the_lesson_follows_each_hidden_layer():
    sections = _lesson(hidden=[{"units": 4, "activation": "relu"},
                               {"units": 3, "activation": "tanh"},
                               {"units": 2, "activation": "tanh"}])
    titles = _titles(sections)
    assert "Layer 1: relu (4 units)" in titles and "Layers 2–3: tanh (3, 2 units)" in titles
    relu = _section(sections, "Layer 1: relu")
    assert relu["math"] == [to_mathml("A = g(Z) = " + FORMULAS["activation.relu"]),
                            to_mathml("g'(Z) = " + FORMULAS["derivative.relu"])]
    assert "dead" in relu["text"]
    assert _section(sections, "Output: sigmoid")["math"] == [
        to_mathml("A = " + FORMULAS["activation.sigmoid"])]
    assert _section(sections, "The fused output delta")["math"] == _pieces("delta.fused")
    assert _section(sections, "Loss: binary")["math"] == _pieces("loss.binary")


def test_the_lesson_shows_batch_norm_dropout_and_penalties_only_when_on():
    plain = _titles(_lesson())
    assert not [t for t in plain if re.match("Batch|Dropout|L2|L1|Backward through", t)]
    sections = _lesson(batch_norm=True, keep_prob=0.8, l2=0.01)
    assert _section(sections, "Batch normalization")["math"] == (
        _pieces("batch_norm.forward") + _pieces("batch_norm.running"))
    assert _section(sections, "Backward through batch norm")["math"] == (
        _pieces("batch_norm.backward.parameters") + _pieces("batch_norm.backward"))
    assert _section(sections, "Dropout (keep probability p = 0.8)")["math"] == _pieces("dropout")
    assert _section(sections, "L2 regularization (λ = 0.01)")["math"] == _pieces("l2")
    assert _section(_lesson(l1=0.02), "L1 regularization (λ₁ = 0.02)")["math"] == _pieces("l1")
    crossed = _section(_lesson(features=["x1", "sin_x2"]), "Forward: a layer")["text"]
    assert "inputs x1, sin x2" in crossed and "2 → 8 → 8 → 1" in crossed


def test_the_lesson_shows_the_update_with_this_runs_hyperparameters():
    adam = _section(_lesson(optimizer="adam", learning_rate=0.05), "Update: adam")
    assert adam["math"][:-1] == _pieces("optimizer.adam") + _pieces("optimizer.adam.update")
    assert adam["math"][-1] == to_mathml(
        r"\alpha = 0.05,\quad \beta_1 = 0.9,\quad \beta_2 = 0.999,\quad"
        r" \varepsilon = 1 \times 10^{-8}")
    gd = _section(_lesson(optimizer="gd", batch_size=16), "Update: gd")
    assert gd["math"] == _pieces("optimizer.gd") + [to_mathml(r"\alpha = 0.03")]
    assert "mini-batches of 16" in gd["text"]
    for name in optimizers.OPTIMIZERS:
        section = _section(_lesson(optimizer=name), f"Update: {name}")
        assert section["text"].startswith(name) and len(section["text"]) > 40


def test_the_lesson_shows_the_schedule():
    assert _section(_lesson(), "Learning rate: constant")["math"] == _pieces("schedule.constant")
    cosine = _section(_lesson(schedule="cosine", epochs=300), "Learning rate: cosine")
    assert cosine["math"] == _pieces("schedule.cosine") + [
        to_mathml(r"\alpha_0 = 0.03,\quad \alpha_{\min} = 0,\quad T = 300")]


def test_a_multiclass_lesson_uses_softmax_and_the_sparse_loss():
    sections = _lesson(dataset="spiral", classes=3, _classes=3)
    assert _section(sections, "Output: softmax")["math"] == _pieces("activation.softmax")
    assert _section(sections, "Loss: sparse categorical")["math"] == _pieces("loss.sparse")


def test_a_sessions_state_carries_the_lesson_of_its_network():
    session = Session(PlaygroundConfig(n_points=40, batch_norm=True))
    assert session.state()["lesson"] == lesson(session.config, session.plan)
    session.reset(PlaygroundConfig(n_points=40))
    assert "Batch normalization" not in str(_titles(session.state()["lesson"]))


def test_the_lesson_writes_each_setting_as_the_run_uses_it_not_rounded():
    # Eight significant digits: a six-digit format (:g) would show 0.0123457, another rate.
    rate, l2, l1, keep = 0.012345678, 0.0012345678, 1.2345678e-07, 0.87654321
    sections = _lesson(learning_rate=rate, l2=l2, l1=l1, keep_prob=keep, optimizer="gd")
    titles = _titles(sections)
    assert f"L2 regularization (λ = {l2!r})" in titles
    assert f"L1 regularization (λ₁ = {l1!r})" in titles
    assert f"Dropout (keep probability p = {keep!r})" in titles
    assert f"α₀ = {rate!r}." in _section(sections, "Learning rate: constant")["text"]
    update = _section(sections, "Update: ")["math"][-1]
    assert update == to_mathml(rf"\alpha = {rate!r}")
