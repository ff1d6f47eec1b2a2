r"""Export a trained :class:`~scratchnn.ClassifierNN` or :class:`~scratchnn.RegressorNN` as a
standard ONNX graph.

The graph takes ``input``, float32 of shape ``(batch, n_features)`` (one example per **row**, the
way ONNX runtimes and most other tools lay data out), and returns ``probabilities`` (a
classifier) or ``predictions`` (a regressor), float32 of shape ``(batch, n_outputs)``: the
transpose of what :meth:`ClassifierNN.predict_proba` or :meth:`RegressorNN.predict` returns.
It uses only standard ONNX operators, so any ONNX runtime can run it without scratchnn:

- each layer is one ``Gemm``, :math:`Z = A W^\top + b` (``transB=1``, so ``W`` is stored in the
  model's own ``(n_l, n_{l-1})`` layout);
- then its activation: ``Relu``, ``Sigmoid``, ``Tanh``, ``LeakyRelu`` (``alpha=0.01``),
  ``Identity`` for ``linear``, and ``Softmax`` over the units (``axis=1``), in hidden layers too;
- batch normalization is folded into the ``Gemm`` before it (see :func:`fold_batch_norm`);
- an optional standardization :math:`(x - \mu) / \sigma` runs in front as ``Sub`` and ``Div``.

The ``onnx`` package is an optional dependency (``pip install 'scratchnn[onnx]'``), imported only
when a model is exported.
"""

from __future__ import annotations

import json
import os

import numpy as np

from .fileio import atomic_write

__all__ = ["OPSET", "IR_VERSION", "fold_batch_norm", "to_onnx", "network_nodes", "write_onnx"]

OPSET = 17
"""The ONNX operator set the graph declares. 17 is old enough for every current runtime and new
enough that ``Softmax(axis=1)`` normalizes over that one axis (before opset 13 it flattened all
axes from ``axis`` on)."""

IR_VERSION = 8
"""The ONNX IR version that goes with opset 17; newer ``onnx`` releases default to a newer IR that
older runtimes refuse."""

_MISSING_ONNX = "ONNX export needs the onnx package: pip install 'scratchnn[onnx]'"

# ONNX operator (and attributes) for each scratchnn activation name.
_ACTIVATION_OPS = {
    "relu": ("Relu", {}),
    "sigmoid": ("Sigmoid", {}),
    "tanh": ("Tanh", {}),
    "leaky_relu": ("LeakyRelu", {"alpha": 0.01}),
    "linear": ("Identity", {}),
    "softmax": ("Softmax", {"axis": 1}),
}


def fold_batch_norm(W, gamma, beta, running_mean, running_var, epsilon):
    r"""Fold inference-mode batch normalization into the dense layer before it.

    At inference a batch-normalized layer computes

    .. math:: \gamma \frac{W a - \mu}{\sqrt{\sigma^2 + \varepsilon}} + \beta
              = W' a + b', \qquad
              W' = \frac{\gamma}{\sqrt{\sigma^2 + \varepsilon}} W, \qquad
              b' = \beta - \frac{\gamma\, \mu}{\sqrt{\sigma^2 + \varepsilon}}

    with the running mean :math:`\mu` and variance :math:`\sigma^2`: an ordinary dense layer.

    Parameters
    ----------
    W : ndarray of shape (n_l, n_{l-1})
    gamma, beta, running_mean, running_var : ndarray of shape (n_l, 1)
    epsilon : float
        The :math:`\varepsilon` the layer normalizes with (:data:`scratchnn.layers.BN_EPSILON`).

    Returns
    -------
    W_folded : ndarray of shape (n_l, n_{l-1}), float64
    b_folded : ndarray of shape (n_l, 1), float64
    """
    W, gamma, beta, mean, var = (
        np.asarray(a, dtype=np.float64) for a in (W, gamma, beta, running_mean, running_var)
    )
    factor = gamma / np.sqrt(var + epsilon)
    return factor * W, beta - factor * mean


def _layers(model):
    """Yield ``(W, b, activation)`` per layer, float64, batch normalization folded in."""
    from .layers import BN_EPSILON

    L = len(model.layer_dims) - 1
    for l in range(1, L + 1):
        W = model.parameters[f"W{l}"]
        if model.batch_norm and l < L:
            W, b = fold_batch_norm(
                W, model.parameters[f"gamma{l}"], model.parameters[f"beta{l}"],
                model.bn_state[f"running_mean{l}"], model.bn_state[f"running_var{l}"], BN_EPSILON,
            )
        else:
            W, b = np.asarray(W, np.float64), np.asarray(model.parameters[f"b{l}"], np.float64)
        yield W, b.reshape(-1), model.activations[l - 1]


def _check_standardization(mean, scale, n_features):
    if (mean is None) != (scale is None):
        raise ValueError("mean and scale must be given together (or neither)")
    if mean is None:
        return None, None
    checked = []
    for name, value in (("mean", mean), ("scale", scale)):
        try:
            value = np.asarray(value, dtype=np.float64)
        except (TypeError, ValueError):
            raise TypeError(f"{name} must be a numeric array of shape ({n_features},)") from None
        if value.shape != (n_features,):
            raise ValueError(f"{name} must have shape ({n_features},), got {value.shape}")
        if not np.all(np.isfinite(value)):
            raise ValueError(f"{name} contains NaN or infinite values")
        checked.append(value)
    if np.any(checked[1] <= 0):
        raise ValueError("scale must be > 0 for every feature")
    return checked


def _check_names(names, length, name):
    if names is None:
        return None
    if isinstance(names, (str, bytes)) or not all(isinstance(n, str) for n in names):
        raise TypeError(f"{name} must be a sequence of strings")
    names = list(names)
    if len(names) != length:
        raise ValueError(f"{name} must have {length} entries, got {len(names)}")
    return names


def to_onnx(model, path, *, mean=None, scale=None, feature_names=None, label_names=None):
    """Write ``model`` to ``path`` as an ONNX graph of standard operators.

    Parameters
    ----------
    model : ClassifierNN or RegressorNN
    path : str or os.PathLike
        Where to write the ``.onnx`` file (written to a temporary file and renamed into place).
    mean, scale : array_like of shape (n_features,), optional
        A standardization to apply in front, ``(input - mean) / scale`` (``scale > 0``), so the
        graph takes raw features. Give both or neither.
    feature_names : sequence of str, length n_features, optional
    label_names : sequence of str, optional
        Stored as JSON in the model's metadata (``feature_names``, ``label_names``) for whoever
        runs the graph; they do not change the computation. ``label_names`` has one entry per
        class: ``n_outputs`` entries for a softmax output, 2 for a single sigmoid output; for a
        regressor, one per output (the targets' names).

    Returns
    -------
    onnx.ModelProto
        The exported model (already checked with ``onnx.checker``).

    Raises
    ------
    ImportError
        If the ``onnx`` package is not installed, naming the extra that installs it.
    TypeError
        If ``model`` is not a scratchnn model, ``path`` is not path-like, or a
        name list is not a sequence of strings.
    ValueError
        If ``mean``/``scale`` or a name list has the wrong length or values.
    OSError
        If the file cannot be written.

    Notes
    -----
    The graph computes in float32 whatever the model's dtype; its probabilities agree with
    ``predict_proba`` (a regressor's values with ``predict``) to about 1e-6 relative.
    """
    # Duck-typed, so that this module needs no import of the model (imports run one way).
    if not all(hasattr(model, name) for name in ("get_config", "parameters", "bn_state")):
        raise TypeError(f"model must be a ClassifierNN or a RegressorNN, got "
                        f"{type(model).__name__}")
    if not isinstance(path, (str, bytes, os.PathLike)):
        raise TypeError(f"path must be a str or an os.PathLike, got {type(path).__name__}")
    n_features, n_outputs = model.layer_dims[0], model.layer_dims[-1]
    mean, scale = _check_standardization(mean, scale, n_features)
    feature_names = _check_names(feature_names, n_features, "feature_names")
    regression = getattr(model, "task", "classification") == "regression"
    n_classes = 2 if n_outputs == 1 and not regression else n_outputs
    label_names = _check_names(label_names, n_classes, "label_names")
    output = "predictions" if regression else "probabilities"
    try:
        from onnx import TensorProto, helper
    except ImportError as exc:
        raise ImportError(_MISSING_ONNX) from exc

    nodes, initializers = network_nodes(model, "input", output, mean, scale)
    graph = helper.make_graph(
        nodes, f"scratchnn_{type(model).__name__}",
        [helper.make_tensor_value_info("input", TensorProto.FLOAT, ["batch", n_features])],
        [helper.make_tensor_value_info(output, TensorProto.FLOAT, ["batch", n_outputs])],
        initializers,
    )
    from .version import __version__

    onnx_model = helper.make_model(
        graph, producer_name="scratchnn", producer_version=__version__, ir_version=IR_VERSION,
        opset_imports=[helper.make_opsetid("", OPSET)],
        doc_string=f"{model!r}; input (batch, {n_features}) float32 -> {output} "
                   f"(batch, {n_outputs})",
    )
    properties = {"layer_dims": model.layer_dims, "activations": model.activations}
    if feature_names is not None:
        properties["feature_names"] = feature_names
    if label_names is not None:
        properties["label_names"] = label_names
    helper.set_model_props(onnx_model, {k: json.dumps(v) for k, v in properties.items()})
    return write_onnx(onnx_model, path)


def network_nodes(model, input_name, output_name, mean=None, scale=None):
    """The ONNX nodes and initializers of ``model``: optional standardization, then the layers.

    Parameters
    ----------
    model : ClassifierNN or RegressorNN
    input_name, output_name : str
        The graph values the network reads, float32 ``(batch, n_features)``, and writes,
        ``(batch, n_outputs)``.
    mean, scale : ndarray of shape (n_features,), optional
        ``(input - mean) / scale`` in front, as ``Sub`` and ``Div``.

    Returns
    -------
    nodes : list of onnx.NodeProto
    initializers : list of onnx.TensorProto
    """
    try:
        from onnx import helper, numpy_helper
    except ImportError as exc:
        raise ImportError(_MISSING_ONNX) from exc

    def constant(name, value):
        return numpy_helper.from_array(np.asarray(value, dtype=np.float32), name=name)

    nodes, initializers = [], []
    current = input_name
    if mean is not None:
        initializers += [constant("mean", mean), constant("scale", scale)]
        nodes.append(helper.make_node("Sub", [current, "mean"], ["centered"],
                                      name="standardize_sub"))
        nodes.append(helper.make_node("Div", ["centered", "scale"], ["standardized"],
                                      name="standardize_div"))
        current = "standardized"
    layers = list(_layers(model))
    for l, (W, b, activation) in enumerate(layers, 1):
        initializers += [constant(f"W{l}", W), constant(f"b{l}", b)]
        nodes.append(helper.make_node("Gemm", [current, f"W{l}", f"b{l}"], [f"Z{l}"],
                                      name=f"dense{l}", transB=1))
        op, attributes = _ACTIVATION_OPS[activation]
        current = output_name if l == len(layers) else f"A{l}"
        nodes.append(helper.make_node(op, [f"Z{l}"], [current], name=f"{activation}{l}",
                                      **attributes))
    return nodes, initializers


def write_onnx(onnx_model, path):
    """Check ``onnx_model`` with ``onnx.checker`` and write it atomically to ``path``.

    Returns ``onnx_model``.
    """
    import onnx

    onnx.checker.check_model(onnx_model, full_check=True)
    with atomic_write(os.fsdecode(os.fspath(path)), suffix=".onnx") as f:
        f.write(onnx_model.SerializeToString())
    return onnx_model
