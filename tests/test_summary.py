"""The Keras-style model summary (scratchnn.summary)."""

import re

import numpy as np
import pytest

from scratchnn import ClassifierNN
from scratchnn.summary import summary


def rows(text):
    return [line for line in text.splitlines() if re.match(r"(input|dense_\d)", line)]


def test_one_row_per_layer_with_shapes_activations_and_counts():
    nn = ClassifierNN([4, 25, 15, 3], ["relu", "tanh", "softmax"], seed=0)
    text = summary(nn)
    assert text.splitlines()[0] == "Model: ClassifierNN"
    table = [line.split() for line in rows(text)]
    assert table[0][:4] == ["input", "(None,", "4)", "-"] and table[0][4] == "0"
    assert table[1][:5] == ["dense_1", "(None,", "25)", "relu", "125"]  # 25*4 + 25
    assert table[2][:5] == ["dense_2", "(None,", "15)", "tanh", "390"]  # 15*25 + 15
    assert table[3][:6] == ["dense_3", "(output)", "(None,", "3)", "softmax", "48"]
    assert f"Total params: {nn.n_parameters}" in text
    assert f"Trainable params: {nn.n_parameters}" in text
    assert "Non-trainable params: 0\n" in text
    assert "Dtype: float64" in text
    assert not text.endswith("\n")


def test_batch_norm_counts_running_statistics_as_non_trainable():
    nn = ClassifierNN([3, 8, 2], ["relu", "softmax"], batch_norm=True, seed=0,
                      dtype="float32")
    text = summary(nn)
    # W1 24 + gamma1/beta1 16 trainable, running mean/var 16 not; the output keeps its bias.
    assert nn.n_parameters == 24 + 16 + 18
    assert f"Trainable params: {nn.n_parameters}" in text
    assert "Non-trainable params: 16 (batch-norm running statistics)" in text
    assert f"Total params: {nn.n_parameters + 16}" in text
    assert "gamma1, beta1" in text and "Dtype: float32" in text


def test_metadata_is_listed_under_training():
    nn = ClassifierNN([2, 1], ["sigmoid"], seed=0)
    text = summary(nn, {"feature_names": ["u", "v"], "feature_mean": np.zeros(2),
                        "target": "answer", "label_names": ["no", "yes"],
                        "training": {"learning_rate": 0.01, "batch_norm": False,
                                     "validation_accuracy": None, "hidden": [4, 2]}},
                   title="Model: mine")
    lines = text.splitlines()
    assert lines[0] == "Model: mine"
    training = lines[lines.index("Training:") + 1:]
    assert re.match(r"\s+features\s+2 \(standardized\): u, v$", training[0])
    assert any(re.match(r"\s+target column\s+answer$", line) for line in training)
    assert any(re.match(r"\s+labels\s+2: no, yes$", line) for line in training)
    assert any(re.match(r"\s+learning rate\s+0.01$", line) for line in training)
    assert any(re.match(r"\s+batch norm\s+no$", line) for line in training)
    assert any(re.match(r"\s+validation accuracy\s+-$", line) for line in training)
    assert any(re.match(r"\s+hidden\s+4, 2$", line) for line in training)


@pytest.mark.parametrize("metadata", [None, {}])
def test_no_training_section_without_metadata(metadata):
    assert "Training:" not in summary(ClassifierNN([2, 2], ["softmax"], seed=0), metadata)
