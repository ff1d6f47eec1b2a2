"""A text summary of a network, in the spirit of Keras's ``model.summary()``.

One row per layer with its output shape, activation and parameter count, then the totals, and,
for a model trained by the ``scratchnn train`` command, the settings it was trained with.
"""

from __future__ import annotations

__all__ = ["summary"]


def _layer_rows(model):
    """Yield ``(name, output shape, activation, trainable, non-trainable, detail)`` per layer."""
    dims = model.layer_dims
    L = len(dims) - 1
    yield ("input", f"(None, {dims[0]})", "-", 0, 0, "")
    for l in range(1, L + 1):
        n, n_prev = dims[l], dims[l - 1]
        weights = n * n_prev
        if model.batch_norm and l < L:
            # The bias is dropped: batch norm's beta already shifts each unit.
            trainable, frozen = weights + 2 * n, 2 * n
            detail = (f"W{l} ({n}, {n_prev}); batch norm gamma{l}, beta{l} ({n},), "
                      f"running mean/var ({n},)")
        else:
            trainable, frozen = weights + n, 0
            detail = f"W{l} ({n}, {n_prev}), b{l} ({n},)"
        name = f"dense_{l}" + (" (output)" if l == L else "")
        yield (name, f"(None, {n})", model.activations[l - 1], trainable, frozen, detail)


def _table(header, rows, right):
    """Format ``rows`` under ``header``, right-aligning the columns whose index is in ``right``."""
    widths = [max(len(str(row[i])) for row in [header, *rows]) for i in range(len(header))]

    def line(row):
        cells = [str(cell).rjust(w) if i in right else str(cell).ljust(w)
                 for i, (cell, w) in enumerate(zip(row, widths))]
        return "  ".join(cells).rstrip()

    rule = "-" * len(line(["-" * w for w in widths]))
    return [rule, line(header), rule.replace("-", "="), *(line(r) for r in rows), rule]


def _format_value(value):
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, float):
        return f"{value:.6g}"
    if isinstance(value, (list, tuple)):
        return ", ".join(_format_value(v) for v in value) if value else "-"
    if value is None:
        return "-"
    return str(value)


def summary(model, metadata=None, title=None):
    """Describe ``model`` as a table: layers, output shapes, activations and parameter counts.

    Parameters
    ----------
    model : ClassifierNN or RegressorNN
    metadata : dict, optional
        What ``scratchnn train`` saved with the model (:func:`scratchnn.io.load_with_metadata`):
        ``feature_names``, ``target``, ``label_names`` and ``training`` (a dict of settings)
        are listed below the table when present.
    title : str, optional
        First line; ``Model: `` and the model's class name (``ClassifierNN``, ``RegressorNN``)
        by default.

    Returns
    -------
    str
        The summary, without a trailing newline. ``None`` in a shape stands for the batch size.
        Trainable parameters are what gradients update (``W``, ``b``, ``gamma``, ``beta``);
        non-trainable ones are the batch-norm running statistics, as Keras counts them.
    """
    rows = list(_layer_rows(model))
    table = _table(
        ("Layer", "Output shape", "Activation", "Param #", "Parameters"),
        [(name, shape, act, f"{t + f:,}", detail) for name, shape, act, t, f, detail in rows],
        right={3},
    )
    trainable = sum(r[3] for r in rows)
    frozen = sum(r[4] for r in rows)
    lines = [title or f"Model: {type(model).__name__}", *table,
             f"Total params: {trainable + frozen:,}",
             f"Trainable params: {trainable:,}",
             f"Non-trainable params: {frozen:,}" + (" (batch-norm running statistics)"
                                                    if frozen else ""),
             f"Dtype: {model.compute_dtype}"]
    metadata = metadata or {}
    details = []
    if "feature_names" in metadata:
        names = list(metadata["feature_names"])
        standardized = " (standardized)" if "feature_mean" in metadata else ""
        details.append(("features", f"{len(names)}{standardized}: {', '.join(names)}"))
    if "target" in metadata:
        details.append(("target column", metadata["target"]))
    if "label_names" in metadata:
        labels = list(metadata["label_names"])
        details.append(("labels", f"{len(labels)}: {', '.join(labels)}"))
    for key, value in (metadata.get("training") or {}).items():
        details.append((key.replace("_", " "), _format_value(value)))
    if details:
        width = max(len(key) for key, _ in details)
        lines += ["", "Training:"]
        lines += [f"  {key.ljust(width)}  {value}" for key, value in details]
    return "\n".join(lines)
