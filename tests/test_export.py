"""ONNX export: the graph run by onnxruntime gives predict_proba's probabilities.

Every hidden activation, both output kinds, batch normalization with trained running statistics
(folded into the Gemm before it) and a standardization in front are checked on random inputs
against ``ClassifierNN.predict_proba``, to 1e-5.
"""

import os
import sys

import numpy as np
import pytest

from scratchnn import ClassifierNN
from scratchnn.export import OPSET, fold_batch_norm, to_onnx
from scratchnn.layers import BN_EPSILON

onnx = pytest.importorskip("onnx")
ort = pytest.importorskip("onnxruntime")

TOLERANCE = 1e-5
HIDDEN = ["relu", "sigmoid", "tanh", "leaky_relu", "linear", "softmax"]
ONNX_OP = {"relu": "Relu", "sigmoid": "Sigmoid", "tanh": "Tanh", "leaky_relu": "LeakyRelu",
           "linear": "Identity", "softmax": "Softmax"}


def trained(hidden, output="softmax", batch_norm=False, dtype=None, seed=0):
    """A [3, 6, 5, n_out] network trained for a few epochs on shifted, scaled random data."""
    rng = np.random.default_rng(seed)
    # Shifted and scaled, so batch-norm running statistics move far from their 0 and 1.
    X = rng.standard_normal((3, 120)) * np.array([[2.0], [0.5], [3.0]]) + np.array([[1.0], [-2.0],
                                                                                   [0.5]])
    if output == "softmax":
        dims, loss = [3, 6, 5, 3], "SparseCategoricalCrossEntropy"
        Y = np.digitize(X[0] + X[2], [0.0, 3.0]).reshape(1, -1)
    elif output == "sigmoid":
        dims, loss = [3, 6, 5, 1], "BinaryCrossEntropy"
        Y = (X[0] > 1.0).astype(float).reshape(1, -1)
    else:  # two independent sigmoid outputs (multi-label)
        dims, loss, output = [3, 6, 5, 2], "BinaryCrossEntropy", "sigmoid"
        Y = np.vstack([X[0] > 1.0, X[1] > -2.0]).astype(float)
    nn = ClassifierNN(dims, [hidden, hidden, output], batch_norm=batch_norm, seed=seed,
                      dtype=dtype)
    if dtype == "float32":
        X = X.astype(np.float32)
    nn.train(X, Y, loss=loss, num_epochs=8, batch_size=16, learning_rate=0.02,
             optimizer="adam", print_cost=False)
    return nn


def run_onnx(path, X_rows):
    session = ort.InferenceSession(os.fspath(path), providers=["CPUExecutionProvider"])
    (output,) = session.run(None, {"input": X_rows.astype(np.float32)})
    return output


def random_rows(n_features, m=64, seed=1):
    rng = np.random.default_rng(seed)
    return (rng.standard_normal((m, n_features)) * 2.5 + 0.5).astype(np.float32)


def assert_matches(nn, path, X_rows, mean=None, scale=None):
    X = X_rows.astype(np.float64)
    if mean is not None:
        X = (X - mean) / scale
    expected = nn.predict_proba(X.T).T  # (m, n_outputs), one example per row like the graph
    got = run_onnx(path, X_rows)
    assert got.shape == expected.shape
    assert got.dtype == np.float32
    assert np.max(np.abs(got - expected)) <= TOLERANCE


# ----------------------------------------------------------------------------- parity
@pytest.mark.parametrize("hidden", HIDDEN)
@pytest.mark.parametrize("output", ["softmax", "sigmoid", "sigmoid2"])
def test_every_hidden_activation_and_output_matches_predict_proba(tmp_path, hidden, output):
    nn = trained(hidden, output)
    path = tmp_path / "model.onnx"
    nn.to_onnx(path)
    assert_matches(nn, path, random_rows(3))


@pytest.mark.parametrize("hidden", HIDDEN)
def test_batch_norm_is_folded_and_matches(tmp_path, hidden):
    nn = trained(hidden, batch_norm=True)
    means = np.concatenate([v.ravel() for k, v in nn.bn_state.items() if "mean" in k])
    variances = np.concatenate([v.ravel() for k, v in nn.bn_state.items() if "var" in k])
    assert np.abs(means).max() > 0.5 and np.abs(variances - 1).max() > 0.5  # trained statistics
    path = tmp_path / "bn.onnx"
    model = to_onnx(nn, path)
    ops = [node.op_type for node in model.graph.node]
    assert "BatchNormalization" not in ops
    assert ops == ["Gemm", ONNX_OP[hidden], "Gemm", ONNX_OP[hidden], "Gemm", "Softmax"]
    assert_matches(nn, path, random_rows(3))


def test_float32_model_and_sigmoid_batch_norm(tmp_path):
    nn = trained("tanh", "sigmoid", batch_norm=True, dtype="float32")
    assert nn.compute_dtype == np.float32
    path = tmp_path / "f32.onnx"
    nn.to_onnx(path)
    assert_matches(nn, path, random_rows(3))


def test_standardization_runs_in_front(tmp_path):
    nn = trained("relu")
    mean, scale = np.array([10.0, -3.0, 0.5]), np.array([4.0, 0.25, 2.0])
    path = tmp_path / "std.onnx"
    model = to_onnx(nn, path, mean=mean, scale=scale, feature_names=["a", "b", "c"],
                    label_names=["x", "y", "z"])
    assert [node.op_type for node in model.graph.node][:2] == ["Sub", "Div"]
    raw = random_rows(3) * 3 + mean.astype(np.float32)
    assert_matches(nn, path, raw, mean, scale)
    props = {p.key: p.value for p in model.metadata_props}
    assert props["feature_names"] == '["a", "b", "c"]'
    assert props["label_names"] == '["x", "y", "z"]'


@pytest.mark.parametrize("m", [1, 7, 300])
def test_batch_dimension_is_dynamic(tmp_path, m):
    nn = trained("leaky_relu")
    path = tmp_path / "model.onnx"
    nn.to_onnx(path)
    assert_matches(nn, path, random_rows(3, m=m))


def test_graph_interface(tmp_path):
    nn = trained("relu", "sigmoid")
    path = tmp_path / "model.onnx"
    returned = nn.to_onnx(path)
    model = onnx.load(path)
    assert model == returned
    onnx.checker.check_model(model)
    (graph_input,) = model.graph.input
    (graph_output,) = model.graph.output
    assert graph_input.name == "input" and graph_output.name == "probabilities"
    assert graph_input.type.tensor_type.elem_type == onnx.TensorProto.FLOAT
    in_dims = graph_input.type.tensor_type.shape.dim
    out_dims = graph_output.type.tensor_type.shape.dim
    assert in_dims[0].dim_param == "batch" and in_dims[1].dim_value == 3
    assert out_dims[0].dim_param == "batch" and out_dims[1].dim_value == 1
    assert [op.version for op in model.opset_import] == [OPSET]
    gemms = [node for node in model.graph.node if node.op_type == "Gemm"]
    assert all(onnx.helper.get_attribute_value(g.attribute[0]) == 1 for g in gemms)  # transB


def test_leaky_relu_slope_is_exported(tmp_path):
    nn = ClassifierNN([2, 3, 1], ["leaky_relu", "sigmoid"], seed=0)
    model = to_onnx(nn, tmp_path / "model.onnx")
    (node,) = [n for n in model.graph.node if n.op_type == "LeakyRelu"]
    assert onnx.helper.get_attribute_value(node.attribute[0]) == pytest.approx(0.01)


# ----------------------------------------------------------------------------- folding
def test_fold_batch_norm_matches_the_inference_formula():
    rng = np.random.default_rng(3)
    W = rng.standard_normal((4, 3))
    gamma, beta = rng.standard_normal((4, 1)), rng.standard_normal((4, 1))
    mean, var = rng.standard_normal((4, 1)), rng.uniform(0.1, 3.0, (4, 1))
    A = rng.standard_normal((3, 9))
    W_f, b_f = fold_batch_norm(W, gamma, beta, mean, var, BN_EPSILON)
    expected = gamma * (W @ A - mean) / np.sqrt(var + BN_EPSILON) + beta
    np.testing.assert_allclose(W_f @ A + b_f, expected, rtol=1e-12, atol=1e-12)


# ----------------------------------------------------------------------------- files
def test_export_overwrites_and_leaves_no_temporary_files(tmp_path):
    nn = trained("tanh")
    path = tmp_path / "model.onnx"
    path.write_bytes(b"old")
    nn.to_onnx(str(path))
    nn.to_onnx(path)
    assert os.listdir(tmp_path) == ["model.onnx"]
    assert_matches(nn, path, random_rows(3))


def test_export_keeps_the_mode_and_follows_a_symlink_like_save(tmp_path):
    import stat

    nn = trained("tanh")
    target = tmp_path / "real.onnx"
    target.write_bytes(b"old")
    os.chmod(target, 0o640)
    link = tmp_path / "model.onnx"
    link.symlink_to(target)
    old_umask = os.umask(0o022)
    try:
        nn.to_onnx(link)
        nn.to_onnx(tmp_path / "new.onnx")
    finally:
        os.umask(old_umask)
    assert link.is_symlink() and stat.S_IMODE(target.stat().st_mode) == 0o640
    assert stat.S_IMODE((tmp_path / "new.onnx").stat().st_mode) == 0o644  # umask, not 0600
    assert_matches(nn, target, random_rows(3))
    assert sorted(os.listdir(tmp_path)) == ["model.onnx", "new.onnx", "real.onnx"]


def test_export_into_a_missing_folder_raises(tmp_path):
    with pytest.raises(FileNotFoundError):
        trained("relu").to_onnx(tmp_path / "missing" / "model.onnx")
    assert os.listdir(tmp_path) == []


# ----------------------------------------------------------------------------- errors
@pytest.mark.parametrize(("kwargs", "error", "match"), [
    ({"mean": [0.0, 0.0, 0.0]}, ValueError, "together"),
    ({"scale": [1.0, 1.0, 1.0]}, ValueError, "together"),
    ({"mean": [0.0, 0.0], "scale": [1.0, 1.0]}, ValueError, "mean must have shape"),
    ({"mean": [0.0, 0.0, 0.0], "scale": [1.0, 0.0, 1.0]}, ValueError, "scale must be > 0"),
    ({"mean": [0.0, np.nan, 0.0], "scale": [1.0, 1.0, 1.0]}, ValueError, "mean contains NaN"),
    ({"mean": ["a", "b", "c"], "scale": [1.0, 1.0, 1.0]}, TypeError,
     "mean must be a numeric array"),
    ({"feature_names": ["a", "b"]}, ValueError, "feature_names must have 3"),
    ({"feature_names": "abc"}, TypeError, "feature_names"),
    ({"label_names": ["x", "y"]}, ValueError, "label_names must have 3"),
    ({"label_names": [1, 2, 3]}, TypeError, "label_names"),
])
def test_bad_arguments_name_themselves(tmp_path, kwargs, error, match):
    nn = ClassifierNN([3, 4, 3], ["relu", "softmax"], seed=0)
    with pytest.raises(error, match=match):
        to_onnx(nn, tmp_path / "model.onnx", **kwargs)
    assert not (tmp_path / "model.onnx").exists()


def test_bad_model_and_path(tmp_path):
    with pytest.raises(TypeError, match="model must be a ClassifierNN"):
        to_onnx(object(), tmp_path / "model.onnx")
    with pytest.raises(TypeError, match="path"):
        to_onnx(ClassifierNN([2, 2], ["softmax"], seed=0), 42)


def test_missing_onnx_names_the_extra(tmp_path, monkeypatch):
    monkeypatch.setitem(sys.modules, "onnx", None)  # makes `import onnx` fail
    with pytest.raises(ImportError, match=r"scratchnn\[onnx\]"):
        ClassifierNN([2, 3, 1], ["relu", "sigmoid"], seed=0).to_onnx(tmp_path / "m.onnx")
    assert not (tmp_path / "m.onnx").exists()
