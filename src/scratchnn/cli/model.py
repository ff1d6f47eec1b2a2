"""``scratchnn info`` and ``scratchnn export``: what a model file holds, and the same as ONNX."""

from __future__ import annotations

from ._common import check_output, load_model, printable

# --------------------------------------------------------------------------- info


def add_info(subparsers):
    parser = subparsers.add_parser(
        "info",
        help="summarize a model file: layers, shapes, parameters, columns, training settings",
        description="Print a summary of a model file, like Keras's model.summary(), and for a "
        "model made by `scratchnn train` how each column is treated.",
    )
    parser.add_argument("model", metavar="MODEL.npz")
    parser.set_defaults(handler=_run_info)


def _run_info(args):
    from ..summary import summary

    network, metadata, bundle = load_model(args.model, require_cli=False)
    text = summary(network, metadata, title=f"Model: {type(network).__name__} ({args.model})")
    if bundle is not None:
        if bundle.regression:
            task = f"regression of {', '.join(repr(name) for name in bundle.targets)}"
        else:
            task = f"classification of {bundle.target!r} ({len(bundle.label_names)} labels)"
        text += f"\n\nTask: {task}"
        text += "\n\nColumns:\n" + "\n".join(f"  {line}" for line in bundle.describe())
    print(printable(text))
    return 0


# --------------------------------------------------------------------------- export


def add_export(subparsers):
    parser = subparsers.add_parser(
        "export",
        help="export a model file as ONNX",
        description="Write MODEL.npz as an ONNX graph. For a model made by `scratchnn train` "
        "the graph takes the raw feature columns, one input of shape (batch, 1) each (float32 "
        "with NaN for a missing number; strings for a text column), and applies imputation, "
        "one-hot encoding, standardization and the network inside; a classifier's outputs the "
        "label (batch,) and the probabilities (batch, n_classes), a regression's the predictions "
        "(batch, n_targets), float64, de-standardized as predict does. A file written by "
        "ClassifierNN.save or RegressorNN.save becomes a graph from float32 (batch, n_features) to "
        "the network's "
        "outputs. Needs the onnx package: pip install 'scratchnn[onnx]'.",
    )
    parser.add_argument("model", metavar="MODEL.npz")
    parser.add_argument("onnx", metavar="MODEL.onnx")
    parser.set_defaults(handler=_run_export)


def _run_export(args):
    from ..export import to_onnx

    check_output(args.onnx, "MODEL.onnx", [(args.model, "MODEL.npz")])
    network, _, bundle = load_model(args.model, require_cli=False)
    if bundle is None:
        to_onnx(network, args.onnx)
    else:
        bundle.to_onnx(args.onnx)
    print(f"saved {args.onnx}")
    return 0
