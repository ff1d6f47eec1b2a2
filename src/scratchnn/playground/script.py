"""The Python script a playground session becomes: the same data, network and training.

:func:`python_code` writes a script that rebuilds the data with the same generator and seed,
builds the same ``ClassifierNN`` and calls ``train`` with the same settings for the epochs
trained so far, so it ends with the session's parameters bit for bit.
"""

from .features import DEFAULT_FEATURES, FEATURES, feature_code

__all__ = ["python_code"]


def _train_lines(epochs, arguments, total_epochs, schedule):
    if epochs == 0:
        return ["# Not trained yet: the playground's network is still as initialized."]
    if schedule is None or epochs == total_epochs:
        return ["model.train(",
                f"    X_train.T, y_train.reshape(1, -1), num_epochs={epochs}, print_cost=False,",
                *(f"    {argument}," for argument in arguments),
                ")"]
    # The schedule's rates depend on the run's length: train for the playground's number of
    # epochs, and stop where the playground was.
    return [f"# The {schedule!r} schedule spreads over {total_epochs} epochs; the playground "
            f"stopped after {epochs}.",
            "model.train(",
            f"    X_train.T, y_train.reshape(1, -1), num_epochs={total_epochs}, "
            f"print_cost=False,",
            *(f"    {argument}," for argument in arguments),
            f"    callback=lambda epoch, cost: epoch >= {epochs},",
            ")"]


def _edit_lines(edits):
    """The script's lines for the weights set by hand on the page (:meth:`Session.set_weight <scratchnn.playground.session.Session.set_weight>`):
    the ones made before training are replayed; later ones cannot be inside one ``train`` call,
    and the script says so."""
    before = [edit for edit in edits if edit[0] == 0]
    during = [edit for edit in edits if edit[0] > 0]
    lines = []
    if before:
        lines.append("# Weights set by hand on the page before training:")
        lines += [f"model.parameters['W{layer}'][{row}, {column}] = {value!r}"
                  for _, layer, row, column, value in before]
    if during:
        listed = ", ".join(f"W{layer}[{row}, {column}] = {value!r} after epoch {epoch}"
                           for epoch, layer, row, column, value in during)
        lines += ["# Weights were also set by hand while training ran, which one train call",
                  f"# cannot replay: {listed}.",
                  "# This script ends where the page would have without them."]
    return lines


def python_code(config, plan, epochs, upload=None, edits=()):
    """The script of :meth:`Session.python_code <scratchnn.playground.session.Session.python_code>`:
    ``config`` (a PlaygroundConfig), ``plan`` (its :class:`~.settings.Plan`), the ``epochs``
    trained, the ``(X, y, labels)`` of an uploaded CSV, and the weights set by hand
    (``Session.edits``)."""
    c = config
    imports = ["from scratchnn import ClassifierNN"]
    if c.dataset == "csv":
        imports = ["import numpy as np", "", *imports]
        X, y, labels = upload
        data = [
            f"# The uploaded CSV's points; labels {labels} are classes 0 .. {len(labels) - 1}.",
            "X = np.array([",
            *(f"    [{a!r}, {b!r}]," for a, b in X.tolist()),
            "])",
            f"y = np.array({y.tolist()!r})",
        ]
        imports.append("from scratchnn.datasets import train_test_split")
    else:
        maker = f"make_{c.dataset}"
        imports.append(f"from scratchnn.datasets import {maker}, train_test_split")
        if c.dataset in ("spiral", "blobs"):
            call = f"{maker}({c.n_points}, {c.classes}, {c.noise!r}, seed={c.seed})"
        else:
            call = f"{maker}({c.n_points}, {c.noise!r}, seed={c.seed})"
        data = [f"X, y = {call}"]
    features = []
    if tuple(c.features) != DEFAULT_FEATURES:
        if "import numpy as np" not in imports:
            imports = ["import numpy as np", "", *imports]
        labels = ", ".join(FEATURES[name][0] for name in c.features)
        features = [
            f"# The network's inputs: {labels} of each point (the page's features).",
            f"X_train, X_test = [{feature_code(c.features)} for X in (X_train, X_test)]",
        ]
    kwargs = dict(plan.train_kwargs)
    arguments = [f"{key}={value!r}" for key, value in kwargs.items()]
    lines = [
        f'"""A scratchnn playground session, {epochs} epoch(s) of training, as a script.',
        "",
        "It rebuilds the same data, the same network with the same seed, and trains it with the",
        "same settings, so the model ends with the playground's parameters bit for bit.",
        f"On the page: discretize output {'on' if c.discretize else 'off'}, test points "
        f"{'shown' if c.show_test else 'hidden'} (they change only the picture).",
        '"""',
        "",
        *imports,
        "",
        "# The data: one example per row, as scikit-learn has it.",
        *data,
        f"X_train, X_test, y_train, y_test = train_test_split(X, y, test_size={c.test_fraction!r},"
        f" seed={c.seed})",
        *features,
        "",
        "# The network: ClassifierNN wants one example per column, hence the .T below.",
        f"model = ClassifierNN({plan.layer_dims!r}, {plan.activations!r}, {c.initialization!r},",
        f"                     batch_norm={c.batch_norm!r}, seed={c.seed})",
        *_edit_lines(edits),
        *_train_lines(epochs, arguments, c.epochs, c.schedule),
        "",
        'print(f"train accuracy {model.accuracy(X_train.T, y_train):.4f}")',
        'print(f"test accuracy {model.accuracy(X_test.T, y_test):.4f}")',
        "",
    ]
    return "\n".join(lines)
