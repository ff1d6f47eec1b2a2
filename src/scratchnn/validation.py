"""Argument checks shared by the public entry points.

Each check raises ``TypeError`` for a value of the wrong kind and ``ValueError`` for a value of
the right kind but out of range, and names the argument, so that a bad input never surfaces as a
NumPy broadcasting error or a silent NaN deep inside training.
"""

import numbers

import numpy as np

MAX_COUNT = 2 ** 53
"""The largest step, epoch or other count a checkpoint may hold: every integer up to it is exact
as a float64, so a count can be compared, stored and continued without rounding."""

__all__ = [
    "check_layer_dims",
    "check_int",
    "check_float",
    "to_float",
    "MAX_COUNT",
    "check_bool",
    "check_X",
    "check_keep_prob",
    "check_sample_weight",
    "outside_interval",
    "lookup",
    "resolve_dtype",
]


def check_int(value, name, minimum=None, allow_none=False, maximum=None):
    """Return ``value`` as a Python int, rejecting bools, floats and values outside
    ``[minimum, maximum]``."""
    if value is None and allow_none:
        return None
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, numbers.Integral):
        raise TypeError(f"{name} must be an integer, got {value!r}")
    value = int(value)
    if minimum is not None and value < minimum:
        raise ValueError(f"{name} must be >= {minimum}, got {value}")
    if maximum is not None and value > maximum:
        raise ValueError(f"{name} must be <= {maximum}, got a number of {len(str(value))} digits"
                         if value > 10 ** 30 else f"{name} must be <= {maximum}, got {value}")
    return value


def check_float(value, name, low=None, high=None, low_open=False, high_open=False,
                allow_none=False):
    """Return ``value`` as a finite Python float inside the given interval.

    ``low``/``high`` are the bounds (``None`` for unbounded); ``*_open`` excludes the bound;
    ``allow_none`` lets ``None`` through.
    """
    if value is None and allow_none:
        return None
    value = to_float(value, name)
    if not np.isfinite(value):
        raise ValueError(f"{name} must be finite, got {value}")
    interval = outside_interval(value, low, high, low_open, high_open)
    if interval:
        raise ValueError(f"{name} must be in {interval}, got {value:g}")
    return value


def to_float(value, name, *, text=False):
    """Convert a number given for the argument ``name`` to a Python float, or say why not.

    The one place where a number from anywhere (a Python or NumPy real, a ``Fraction``, a
    400-digit integer, and with ``text=True`` a string from a command line, a form or a file)
    becomes a float. ``float()`` itself raises a bare ``OverflowError: int too large to convert
    to float`` or ``ValueError: could not convert string to float`` that names no argument; here
    every failure is a ``TypeError`` or ``ValueError`` whose message starts with ``name``.

    Parameters
    ----------
    value : real number, or str when ``text`` is true
        Bools (Python or NumPy) are refused: ``True`` is not a learning rate.
    name : str
        The argument's name, the first word of every error message.
    text : bool, default False
        Also accept a string holding a number (``"0.01"``, ``"1e-3"``); surrounding spaces are
        ignored.

    Returns
    -------
    float
        Possibly infinite or NaN (``float("inf")``, ``np.nan``): range checks are the caller's
        (:func:`check_float` refuses both).

    Raises
    ------
    TypeError
        For a bool, a string (unless ``text``) or anything that is not a real number.
    ValueError
        For a number too large for a float (an integer of 400 digits, ``"1" * 400`` is fine:
        it reads as ``inf``) or a string that does not hold a number.
    """
    if text and isinstance(value, str):
        try:
            return float(value.strip())
        except ValueError:
            shown = value if len(value) <= 40 else value[:40] + "..."
            raise ValueError(f"{name} must be a number, got {shown!r}") from None
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, numbers.Real):
        raise TypeError(f"{name} must be a real number, got {_short_repr(value)}")
    try:
        return float(value)
    except (OverflowError, ValueError):
        if isinstance(value, numbers.Integral):
            digits = _digits(int(value))
            raise ValueError(f"{name} must be a finite number within the float range, got an "
                             f"integer of {digits} digits") from None
        raise ValueError(f"{name} must be a finite number within the float range, got "
                         f"{_short_repr(value)}") from None


def _digits(integer):
    """How many decimal digits ``integer`` has (counted without ``str``, which refuses more than
    4,300 digits)."""
    integer = abs(integer)
    digits = max(1, int(integer.bit_length() * 0.30102999566398120))  # log10(2)
    return digits + (integer >= 10 ** digits)


def _short_repr(value, limit=60):
    """``repr(value)``, cut to ``limit`` characters (a 5,000-digit number stays one line)."""
    text = repr(value)
    return text if len(text) <= limit else text[:limit] + "..."


def outside_interval(value, low=None, high=None, low_open=False, high_open=False):
    """The interval as text (e.g. ``"[0, 1)"``) if ``value`` lies outside it, else ``""``.

    ``low``/``high`` are the bounds (``None`` for unbounded); ``*_open`` excludes the bound.
    """
    too_low = low is not None and (value <= low if low_open else value < low)
    too_high = high is not None and (value >= high if high_open else value > high)
    if not (too_low or too_high):
        return ""
    return (("(" if low_open else "[") + ("-inf" if low is None else f"{low:g}") + ", "
            + ("inf" if high is None else f"{high:g}") + (")" if high_open or high is None else "]"))


def check_bool(value, name):
    """Return ``value`` as a bool; only ``True``/``False`` (Python or NumPy) are accepted."""
    if not isinstance(value, (bool, np.bool_)):
        raise TypeError(f"{name} must be True or False, got {value!r}")
    return bool(value)


def resolve_dtype(dtype, name="dtype"):
    """Turn ``None``, ``'float32'``, ``np.float64`` ... into ``None`` or a float32/float64 dtype."""
    if dtype is None:
        return None
    try:
        resolved = np.dtype(dtype)
    except TypeError:
        raise TypeError(f"{name} must be None, 'float32' or 'float64', got {dtype!r}") from None
    if resolved not in (np.float32, np.float64):
        raise ValueError(f"{name} must be None, 'float32' or 'float64', got {dtype!r}")
    return resolved


def _as_numeric_array(X, name):
    """``np.asarray(X)`` restricted to real numbers; object arrays are converted if they can be."""
    try:
        X = np.asarray(X)
    except (ValueError, TypeError) as exc:
        raise TypeError(f"{name} must be a numeric array: {exc}") from None
    if X.dtype.kind == "O":
        try:
            X = X.astype(np.float64)
        except (ValueError, TypeError):
            raise TypeError(f"{name} must hold numbers, got an object array that does not") from None
    if X.dtype.kind not in "biuf":
        raise TypeError(f"{name} must hold real numbers, got an array of dtype {X.dtype}")
    return X


def check_X(X, n_features, name="X"):
    """Validate an input matrix of shape ``(n_features, m)``; return it as a float array.

    Bool and integer arrays become float64, float16 becomes float64, float32 and float64 are kept
    (the caller casts to the model's dtype). Empty, non-2-D, NaN/inf or wrongly sized arrays raise.
    """
    X = _as_numeric_array(X, name)
    if X.ndim != 2:
        raise ValueError(
            f"{name} must be a 2-D array of shape (n_features, m) = ({n_features}, m), one example "
            f"per column, got shape {X.shape}"
        )
    if X.shape[0] != n_features:
        hint = " (did you pass (m, n_features)? use X.T)" if X.shape[1] == n_features else ""
        raise ValueError(
            f"{name} has {X.shape[0]} rows (features) but the network expects {n_features}: "
            f"shape must be ({n_features}, m){hint}"
        )
    if X.shape[1] == 0:
        raise ValueError(f"{name} is empty: it has no examples (columns)")
    if X.dtype not in (np.float32, np.float64):
        X = X.astype(np.float64)
    # A finite sum means every entry is finite: one pass over X and no temporary as large as X
    # (np.isfinite(X) would allocate one). Only a sum that is not finite (a bad entry, or finite
    # entries so large that they overflow) needs min and max, NaN or infinite exactly when some
    # entry is.
    with np.errstate(over="ignore", invalid="ignore"):
        total = X.sum()
    if not np.isfinite(total) and not (np.isfinite(X.min()) and np.isfinite(X.max())):
        raise ValueError(f"{name} contains NaN or infinite values")
    return X


def check_keep_prob(keep_prob, n_layers):
    """Validate dropout keep probabilities: one per layer before the output, each in (0, 1].

    Returns a tuple of floats, or ``None`` when ``keep_prob`` is ``None``.
    """
    if keep_prob is None:
        return None
    if isinstance(keep_prob, (str, bytes)) or not hasattr(keep_prob, "__len__"):
        raise TypeError(
            f"keep_prob must be None or a sequence of {n_layers} probabilities (one per layer "
            f"before the output, the input first), got {keep_prob!r}"
        )
    if len(keep_prob) != n_layers:
        raise ValueError(
            f"keep_prob must have {n_layers} entries (one per layer before the output, the input "
            f"first), got {len(keep_prob)}"
        )
    return tuple(
        check_float(p, f"keep_prob[{i}]", low=0.0, high=1.0, low_open=True)
        for i, p in enumerate(keep_prob)
    )


def check_sample_weight(sample_weight, m, dtype):
    """Validate per-example weights; return them as a (1, m) array of ``dtype`` (or None)."""
    if sample_weight is None:
        return None
    weights = np.asarray(sample_weight)
    if weights.dtype.kind not in "biuf":
        raise TypeError(f"sample_weight must hold numbers, got dtype {weights.dtype}")
    if weights.ndim == 2 and weights.shape[0] == 1:
        weights = weights[0]
    if weights.shape != (m,):
        raise ValueError(f"sample_weight must have shape ({m},), one weight per example, got "
                         f"shape {np.shape(sample_weight)}")
    if not np.all(np.isfinite(weights)) or np.any(weights < 0) or not np.any(weights > 0):
        raise ValueError("sample_weight must be finite and non-negative, and not all zero")
    return weights.astype(dtype).reshape(1, -1)


def lookup(registry, identifier, what, aliases=None):
    """Resolve a name from one of the registries (activations, losses, initializers, optimizers).

    Parameters
    ----------
    registry : dict of str to object
        The registered objects by name.
    identifier : str or object
        A registered name or alias (case-insensitive), or a registered object itself.
    what : str
        The argument's name, for the error messages.
    aliases : dict of str to object, optional
        Extra accepted names (not listed in the error message).

    Raises
    ------
    TypeError
        For anything that is neither a string nor a registered object.
    ValueError
        For an unknown name, listing the valid ones.
    """
    if any(identifier is value for value in registry.values()):
        return identifier
    if not isinstance(identifier, str):
        raise TypeError(f"{what} must be a string, got {type(identifier).__name__}")
    names = {name.lower(): value for name, value in {**registry, **(aliases or {})}.items()}
    try:
        return names[identifier.lower()]
    except KeyError:
        raise ValueError(
            f"unknown {what} {identifier!r}; expected one of {sorted(registry)}"
        ) from None


def check_layer_dims(layer_dims):
    """Return ``layer_dims`` as a list of ints >= 1, at least two of them."""
    if isinstance(layer_dims, (str, bytes)) or not hasattr(layer_dims, "__len__"):
        raise TypeError(f"layer_dims must be a list of integers, got {layer_dims!r}")
    if len(layer_dims) < 2:
        raise ValueError(
            "layer_dims must have at least 2 entries: [n_features, ..., n_outputs], got "
            f"{list(layer_dims)}"
        )
    return [check_int(n, f"layer_dims[{i}]", minimum=1) for i, n in enumerate(layer_dims)]
