"""A playground session's settings: what a page may ask for, checked, and what they build.

:class:`PlaygroundConfig` is the settings a page sends (JSON), each checked against
:data:`LIMITS` with a ValueError or TypeError that names it; :func:`parse_csv` reads an uploaded
data set; :func:`make_data` and :func:`make_plan` turn settings into the data, the network's
shape and the arguments of ``ClassifierNN.train``; :func:`options` is what the page may choose
from, read from the registries.
"""

import csv
import inspect
import io
import math
from dataclasses import asdict, dataclass, field, fields, replace

import numpy as np

from .. import activations as _activations
from .. import callbacks as _callbacks
from .. import datasets as _datasets
from .. import initializers as _initializers
from .. import optimizers as _optimizers
from ..network import ClassifierNN
from ..validation import check_bool, check_float, check_int
from .features import DEFAULT_FEATURES, FEATURES
from .pictures import GRID_SIZES, UNIT_GRID

__all__ = ["DATASETS", "LIMITS", "Limits", "Plan", "PlaygroundConfig", "bounded_float",
           "bounded_int", "diagnostics_class",
           "hidden_activation_names", "make_data", "make_plan", "options", "parse_csv",
           "schedule_names", "train_parameters"]

DATASETS = ("moons", "circles", "spiral", "xor", "blobs", "csv")


@dataclass(frozen=True)
class Limits:
    """What one page may ask for; every setting outside these bounds is refused with a message."""

    min_points: int = 20
    max_points: int = 2000
    max_hidden_layers: int = 6
    max_units: int = 16
    max_classes: int = 5
    max_epochs: int = 10000
    max_upload_bytes: int = 200_000
    max_feature: float = 1e300  # beyond this the picture's extent (and rounding) overflow
    max_sessions: int = 8
    session_unwatched_seconds: float = 10.0  # no event stream and no request: the page is gone
    session_idle_seconds: float = 1800.0  # no request: the place goes to a new session that needs it
    boundary_grid: int = GRID_SIZES["still"]  # while training runs: GRID_SIZES["running"]
    unit_grid: int = UNIT_GRID  # a sample of the boundary's grid: one forward pass for both
    max_weight: float = 100.0  # a weight set by hand on the page


LIMITS = Limits()


def schedule_names():
    """The learning-rate schedules ``train`` accepts by name, read when called (empty if none).

    A name of the :mod:`scratchnn.schedules` registry is offered when ``ClassifierNN.train``
    takes an ``lr_schedule`` argument and ``schedules.get(name, num_epochs)`` builds it from the
    name alone (a schedule that needs more arguments is left out).
    """
    try:
        from .. import schedules
    except ImportError:
        return []
    registry = getattr(schedules, "SCHEDULES", None)
    get = getattr(schedules, "get", None)
    if not isinstance(registry, dict) or get is None or "lr_schedule" not in train_parameters():
        return []
    names = []
    for name in sorted(registry):
        try:
            get(name, 10)
        except (TypeError, ValueError):
            continue
        names.append(name)
    return names


def train_parameters():
    """The parameters of ``ClassifierNN.train`` (what the training loop offers)."""
    return inspect.signature(ClassifierNN.train).parameters


def hidden_activation_names():
    """Activations a hidden layer may use (read from the registry)."""
    return [name for name in _activations.ACTIVATIONS if name != "softmax"]


def options():
    """What the page may choose from, read from the registries, plus the limits and defaults
    (the formulas come with each session's state, for its network: :func:`.learn.lesson`)."""
    return {
        "datasets": list(DATASETS),
        "activations": hidden_activation_names(),
        "initializers": sorted(_initializers.INITIALIZERS),
        "optimizers": list(_optimizers.OPTIMIZERS),
        "schedules": schedule_names(),
        "diagnostics": diagnostics_class() is not None,
        "limits": asdict(LIMITS),
        "features": {name: label for name, (label, _) in FEATURES.items()},
        "defaults": PlaygroundConfig().to_json(),
    }


def diagnostics_class():
    """``scratchnn.callbacks.Diagnostics`` where it exists and ``train`` takes ``callbacks``
    (the way to hand it to the training loop), else None."""
    if "callbacks" not in train_parameters():
        return None
    return getattr(_callbacks, "Diagnostics", None)


# --------------------------------------------------------------------------- settings
def bounded_int(value, name, low, high):
    """``value`` checked as an integer in ``[low, high]`` (``high``: the playground's limit)."""
    value = check_int(value, name, minimum=low)
    if value > high:
        raise ValueError(f"{name} must be at most {high} (the playground's limit), got {value}")
    return value


def bounded_float(value, name, low, high, low_open=False):
    """``value`` checked as a real number in ``[low, high]`` (``(low, high]`` if ``low_open``)."""
    # check_float reads the number through validation.to_float, the one rule for numbers from
    # anywhere: a 400-digit integer of JSON is a ValueError naming the setting.
    return check_float(value, name, low=low, high=high, low_open=low_open)


def _choice(value, name, choices):
    if not isinstance(value, str):
        raise TypeError(f"{name} must be a string, got {value!r}")
    if value not in choices:
        raise ValueError(f"{name} must be one of {list(choices)}, got {value!r}")
    return value


@dataclass(frozen=True)
class PlaygroundConfig:
    """A session's settings, as the page sends them (JSON) and :meth:`from_json` checks them.

    ``hidden`` is one ``{"units": n, "activation": name}`` per hidden layer; ``keep_prob`` is
    dropout's keep probability for every hidden layer's output (1 turns dropout off); ``l2`` and
    ``l1`` are the penalties' strengths; ``features`` the network's inputs (names of
    :data:`~.features.FEATURES`). ``discretize`` (the boundary in plain class colours) and
    ``show_test`` (the test points drawn) change only the picture.
    """

    dataset: str = "moons"
    n_points: int = 500
    noise: float = 0.1
    classes: int = 3
    test_fraction: float = 0.3
    seed: int = 0
    hidden: tuple = ({"units": 8, "activation": "tanh"}, {"units": 8, "activation": "tanh"})
    batch_norm: bool = False
    keep_prob: float = 1.0
    initialization: str = "he"
    optimizer: str = "adam"
    learning_rate: float = 0.03
    schedule: str = None
    batch_size: int = 32
    l2: float = 0.0
    l1: float = 0.0
    epochs: int = 2000
    features: tuple = DEFAULT_FEATURES
    discretize: bool = False
    show_test: bool = True

    @classmethod
    def from_json(cls, data, base=None):
        """Check a JSON object of settings; missing ones keep ``base``'s (default: the defaults)."""
        if not isinstance(data, dict):
            raise TypeError(f"the settings must be a JSON object, got {type(data).__name__}")
        base = base or cls()
        names = [f.name for f in fields(cls)]
        unknown = sorted(set(data) - set(names))
        if unknown:
            raise ValueError(f"unknown setting {unknown[0]!r}; expected some of {names}")
        merged = {**asdict(base), **data}
        lim = LIMITS
        hidden = merged["hidden"]
        if not isinstance(hidden, (list, tuple)):
            raise TypeError(f"hidden must be a list of layers, got {hidden!r}")
        if len(hidden) > lim.max_hidden_layers:
            raise ValueError(f"hidden may have at most {lim.max_hidden_layers} layers (the "
                             f"playground's limit), got {len(hidden)}")
        layers = []
        for i, layer in enumerate(hidden):
            where = f"hidden[{i}]"
            if not isinstance(layer, dict) or set(layer) != {"units", "activation"}:
                raise TypeError(f"{where} must be an object with 'units' and 'activation', "
                                f"got {layer!r}")
            layers.append({
                "units": bounded_int(layer["units"], f"{where}.units", 1, lim.max_units),
                "activation": _choice(layer["activation"], f"{where}.activation",
                                      hidden_activation_names()),
            })
        features = merged["features"]
        if not isinstance(features, (list, tuple)) or not all(
                isinstance(name, str) for name in features):
            raise TypeError(f"features must be a list of feature names, got {features!r}")
        unknown = [name for name in features if name not in FEATURES]
        if unknown or not features or len(set(features)) != len(features):
            raise ValueError(f"features must be one or more distinct names of {list(FEATURES)}, "
                             f"got {list(features)!r}")
        features = tuple(name for name in FEATURES if name in features)  # the page's order
        schedule = merged["schedule"]
        if schedule is not None:
            schedule = _choice(schedule, "schedule", schedule_names())
        config = cls(
            dataset=_choice(merged["dataset"], "dataset", DATASETS),
            n_points=bounded_int(merged["n_points"], "n_points", lim.min_points,
                                  lim.max_points),
            noise=bounded_float(merged["noise"], "noise", 0.0, 1.0),
            classes=bounded_int(merged["classes"], "classes", 2, lim.max_classes),
            test_fraction=bounded_float(merged["test_fraction"], "test_fraction", 0.1, 0.9),
            seed=bounded_int(merged["seed"], "seed", 0, 2**31 - 1),
            hidden=tuple(layers),
            batch_norm=check_bool(merged["batch_norm"], "batch_norm"),
            keep_prob=bounded_float(merged["keep_prob"], "keep_prob", 0.1, 1.0),
            initialization=_choice(merged["initialization"], "initialization",
                                   sorted(_initializers.INITIALIZERS)),
            optimizer=_choice(merged["optimizer"], "optimizer", list(_optimizers.OPTIMIZERS)),
            learning_rate=bounded_float(merged["learning_rate"], "learning_rate", 0.0, 10.0,
                                         low_open=True),
            schedule=schedule,
            batch_size=bounded_int(merged["batch_size"], "batch_size", 1, lim.max_points),
            l2=bounded_float(merged["l2"], "l2", 0.0, 1.0),
            l1=bounded_float(merged["l1"], "l1", 0.0, 1.0),
            epochs=bounded_int(merged["epochs"], "epochs", 1, lim.max_epochs),
            features=features,
            discretize=check_bool(merged["discretize"], "discretize"),
            show_test=check_bool(merged["show_test"], "show_test"),
        )
        return config

    def to_json(self):
        out = asdict(self)
        out["hidden"] = [dict(layer) for layer in self.hidden]
        out["features"] = list(self.features)
        return out

    def same_run(self, other):
        """Whether ``other`` trains exactly as this one: it may differ only in what the page
        shows (``discretize``, ``show_test``)."""
        return replace(self, discretize=other.discretize, show_test=other.show_test) == other


def parse_csv(text):
    """Points from CSV text: two feature columns and an integer label per row.

    A first row that is not numeric is taken as a header. Labels are mapped to ``0 .. k - 1`` in
    sorted order (the original labels are returned too). Lines may end in LF, CR LF or CR alone
    (old Mac spreadsheets), as for the command line. A feature larger in magnitude than
    ``LIMITS.max_feature`` is refused: the picture's extent around it would overflow to
    infinity, which JSON cannot carry.

    Returns
    -------
    X : ndarray of shape (n, 2), float64
    y : ndarray of shape (n,), int64
    labels : list
        The original label of each class index.
    """
    if not isinstance(text, str):
        raise TypeError(f"the CSV must be text, got {type(text).__name__}")
    lim = LIMITS
    if len(text.encode()) > lim.max_upload_bytes:
        raise ValueError(f"the CSV is larger than {lim.max_upload_bytes} bytes (the playground's "
                         f"limit)")
    reader = csv.reader(io.StringIO(text, newline=""))  # "": the reader sees CR-only line ends
    try:
        rows = [row for row in reader if any(cell.strip() for cell in row)]
    except csv.Error as exc:  # a field over csv.field_size_limit(), a NUL, ...
        raise ValueError(f"the CSV cannot be read at line {reader.line_num}: {exc}") from None
    if rows:
        try:
            [float(cell) for cell in rows[0]]
        except ValueError:
            rows = rows[1:]  # a header
    if not lim.min_points <= len(rows) <= lim.max_points:
        raise ValueError(f"the CSV must have between {lim.min_points} and {lim.max_points} rows "
                         f"of data, got {len(rows)}")
    X = np.empty((len(rows), 2))
    raw = []
    for i, row in enumerate(rows, start=1):
        if len(row) != 3:
            raise ValueError(f"CSV row {i} must have 3 columns (x1, x2, label), got {len(row)}")
        try:
            X[i - 1] = [float(row[0]), float(row[1])]
            label = float(row[2])
        except ValueError:
            raise ValueError(f"CSV row {i} must hold numbers, got {row!r}") from None
        if not (np.all(np.isfinite(X[i - 1])) and math.isfinite(label)
                and label == int(label)):
            raise ValueError(f"CSV row {i} must hold finite features and an integer label, "
                             f"got {row!r}")
        for column in (0, 1):
            if abs(X[i - 1, column]) > lim.max_feature:
                raise ValueError(f"CSV row {i}, column {column + 1} (x{column + 1}): "
                                 f"{row[column]} is too large; the playground accepts features "
                                 f"of magnitude at most {lim.max_feature:g}")
        raw.append(int(label))
    labels = sorted(set(raw))
    if not 2 <= len(labels) <= lim.max_classes:
        raise ValueError(f"the CSV must have between 2 and {lim.max_classes} distinct labels, "
                         f"got {len(labels)}")
    index = {label: k for k, label in enumerate(labels)}
    y = np.array([index[label] for label in raw], dtype=np.int64)
    return X, y, labels


def make_data(config, upload=None):
    """``(X, y)`` for ``config``: generated with its seed, or the uploaded ``(X, y)``."""
    n, noise, seed = config.n_points, config.noise, config.seed
    if config.dataset == "csv":
        if upload is None:
            raise ValueError("dataset 'csv' needs an uploaded CSV file first")
        return upload
    if config.dataset == "moons":
        return _datasets.make_moons(n, noise, seed=seed)
    if config.dataset == "circles":
        return _datasets.make_circles(n, noise, seed=seed)
    if config.dataset == "xor":
        return _datasets.make_xor(n, noise, seed=seed)
    if config.dataset == "spiral":
        return _datasets.make_spiral(n, config.classes, noise, seed=seed)
    return _datasets.make_blobs(n, config.classes, noise, seed=seed)


# --------------------------------------------------------------------------- the network
@dataclass(frozen=True)
class Plan:
    """The network and the ``train`` arguments a configuration and its data give."""

    layer_dims: list
    activations: list
    loss: str
    train_kwargs: dict = field(default_factory=dict)


def make_plan(config, n_classes):
    binary = n_classes == 2
    layer_dims = [len(config.features), *(layer["units"] for layer in config.hidden),
                  1 if binary else n_classes]
    activations = [layer["activation"] for layer in config.hidden]
    activations.append("sigmoid" if binary else "softmax")
    keep_prob = None
    if config.keep_prob < 1.0 and config.hidden:
        keep_prob = (1.0, *([config.keep_prob] * len(config.hidden)))
    loss = "BinaryCrossEntropy" if binary else "SparseCategoricalCrossEntropy"
    kwargs = {"loss": loss, "learning_rate": config.learning_rate,
              "batch_size": config.batch_size, "lambd": config.l2, "l1": config.l1,
              "keep_prob": keep_prob,
              "optimizer": config.optimizer}
    if config.schedule is not None:
        kwargs["lr_schedule"] = config.schedule
    return Plan(layer_dims, activations, loss, kwargs)
