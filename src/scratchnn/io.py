"""Model files: ``.npz`` arrays plus a JSON header, never pickle.

A file holds

``header``
    UTF-8 JSON as a ``uint8`` array: format name and version, ``layer_dims``, ``activations``,
    ``batch_norm``, ``dtype``, ``initialization_method`` and the name and shape of every
    parameter in buffer order;
``theta``
    the flat parameter buffer;
``running_mean{l}``, ``running_var{l}``
    batch-normalization running statistics, for each normalized layer;
``meta.{key}``
    one numeric array per array-valued entry of the optional ``metadata``.

``metadata`` is what a caller wants to keep beside the network; the ``scratchnn`` command line
keeps the feature names, the standardization and the label names there, so one file is enough to
predict from a CSV. Its JSON values live in the header under ``"metadata"``; its NumPy arrays are
stored as the ``meta.{key}`` arrays and described (dtype and shape) under ``"metadata_arrays"``, so
that they are checked on load like every other array. Files without metadata are exactly what
:meth:`ClassifierNN.save` has always written.

Files are written to a temporary file in the same folder and then renamed over the target, so a
crash mid-write never leaves a half-written model under the final name. Loading uses
``allow_pickle=False`` (a model file can hold data only, never code) and checks the header against
the arrays before building the model; any mismatch raises ``ValueError``.
"""

import json
import math
import os
import re
import zipfile

import numpy as np

from .fileio import atomic_write
from .parameters import parameter_shapes

__all__ = ["FORMAT", "FORMAT_VERSION", "save", "load", "load_with_metadata",
           "register_model_class"]

FORMAT = "scratchnn.ClassifierNN"
FORMAT_VERSION = 1
MAX_HEADER_BYTES = 1 << 20
"""A header is a few hundred bytes; anything larger than 1 MiB is not one of ours."""

METADATA_PREFIX = "meta."
"""Array-valued metadata entry ``key`` is stored as the array ``meta.{key}``."""

_METADATA_KEY = re.compile(r"[A-Za-z_][A-Za-z0-9_]{0,63}\Z")
# Keys become archive member names, so they are restricted to short identifiers: no path
# separators, no clash with "header" or "theta" (which have no "meta." prefix).


_MODEL_CLASSES = {}


def register_model_class(cls):
    """Make ``cls`` the class that :func:`load` rebuilds files of format ``FORMAT`` as.

    :mod:`scratchnn.network` registers :class:`ClassifierNN` when it is imported (which
    ``import scratchnn`` always does), so this module never imports the model: it writes a
    model's :meth:`get_config` and arrays, and rebuilds one with ``from_config`` (Keras's
    arrangement).
    """
    _MODEL_CLASSES[FORMAT] = cls
    return cls


def _header(model):
    config = model.get_config()
    return {
        "format": FORMAT,
        "format_version": FORMAT_VERSION,
        "layer_dims": config["layer_dims"],
        "activations": config["activations"],
        "batch_norm": config["batch_norm"],
        "dtype": model.compute_dtype.name,
        # Whether the dtype was chosen by the user (dtype=...) or follows the training data.
        "dtype_fixed": config["dtype"] is not None,
        "initialization_method": config["initialization_method"],
        "parameters": [[name, list(shape)] for name, shape in model.parameter_shapes.items()],
    }


def _split_metadata(metadata):
    """Check ``metadata`` and split it into JSON values and numeric arrays.

    Returns
    -------
    values : dict of str to JSON value
    arrays : dict of str to ndarray
    """
    if metadata is None:
        return {}, {}
    if not isinstance(metadata, dict):
        raise TypeError(f"metadata must be a dict or None, got {type(metadata).__name__}")
    values, arrays = {}, {}
    for key, value in metadata.items():
        if not isinstance(key, str) or not _METADATA_KEY.match(key):
            raise ValueError(
                f"metadata keys must be identifiers of at most 64 characters (letters, digits, "
                f"underscores), got {key!r}"
            )
        if isinstance(value, np.ndarray):
            if value.dtype.kind not in "biuf":
                raise TypeError(
                    f"metadata[{key!r}] must be an array of numbers, got dtype {value.dtype}"
                )
            if value.dtype.kind == "f" and not np.all(np.isfinite(value)):
                raise ValueError(f"metadata[{key!r}] contains NaN or infinite values")
            # Native byte order, so the dtype named in the header is the one read back.
            arrays[key] = value.astype(value.dtype.newbyteorder("="), copy=False)
            continue
        try:
            # allow_nan=False: NaN and Infinity are not JSON, and other readers would choke on them.
            json.dumps(value, allow_nan=False)
        except (TypeError, ValueError) as exc:
            raise TypeError(
                f"metadata[{key!r}] must be a NumPy array or JSON-serializable (str, int, float, "
                f"bool, None, lists and str-keyed dicts of those; no NaN): {exc}"
            ) from None
        values[key] = value
    return values, arrays


def save(model, path, metadata=None):
    """Write ``model`` to ``path`` atomically (the name is used as given; no suffix is added).

    Parameters
    ----------
    model : ClassifierNN
    path : str or os.PathLike
    metadata : dict, optional
        Extra entries to keep with the model, read back by :func:`load_with_metadata`. Keys are
        identifiers (letters, digits and underscores, at most 64 characters). Values are either
        NumPy arrays of numbers (bool, integer or finite float, any shape), stored as arrays with
        their dtype, or JSON-serializable values (``str``, ``int``, ``float``, ``bool``,
        ``None``, and lists and str-keyed dicts of those), stored in the header; tuples come back
        as lists.

    Raises
    ------
    TypeError
        If ``metadata`` is not a dict or holds a value that is neither a numeric array nor JSON.
    ValueError
        If a key of ``metadata`` is not an identifier, or a float array holds NaN or infinity.
    OSError
        If the file cannot be written; an existing file of that name is then left untouched.
    """
    values, meta_arrays = _split_metadata(metadata)
    path = os.fspath(path)
    header = _header(model)
    if values or meta_arrays:
        header["metadata"] = values
        header["metadata_arrays"] = {
            key: {"dtype": value.dtype.name, "shape": list(value.shape)}
            for key, value in meta_arrays.items()
        }
    header = np.frombuffer(json.dumps(header).encode("utf-8"), dtype=np.uint8)
    arrays = {"header": header, "theta": model.theta}
    arrays.update(model.bn_state)
    arrays.update({METADATA_PREFIX + key: value for key, value in meta_arrays.items()})
    with atomic_write(path, suffix=".npz") as f:
        np.savez(f, **arrays)


def _invalid(path, why):
    return ValueError(f"{path} is not a valid scratchnn model file: {why}")


def _read_header(path, files):
    if "header" not in files:
        raise _invalid(path, "it has no header")
    raw = files["header"]
    if raw.dtype != np.uint8 or raw.ndim != 1 or raw.size > MAX_HEADER_BYTES:
        raise _invalid(path, "the header is not a JSON byte string of at most 1 MiB")
    try:
        header = json.loads(raw.tobytes().decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise _invalid(path, f"the header is not JSON ({exc})") from None
    if not isinstance(header, dict) or header.get("format") != FORMAT:
        raise _invalid(path, f"the header does not name the format {FORMAT!r}")
    if header.get("format_version") != FORMAT_VERSION:
        raise _invalid(
            path, f"format_version {header.get('format_version')!r} is not {FORMAT_VERSION}"
        )
    return header


def _check_size(path, header, files):
    """Refuse a header whose network is not the size of the stored ``theta``.

    Checked before the network is built: a header may not make ``load`` allocate more memory
    than the parameters actually in the file.
    """
    dims = header.get("layer_dims")
    if not (isinstance(dims, list) and len(dims) >= 2 and all(
            isinstance(n, int) and not isinstance(n, bool) and n >= 1 for n in dims)):
        raise _invalid(path, "the header's layer_dims are not a list of positive integers")
    theta = files.get("theta")
    expected = sum(math.prod(shape) for shape in
                   parameter_shapes(dims, header.get("batch_norm") is True).values())
    if theta is None or theta.size != expected:
        raise _invalid(path, f"the header's layers need {expected} parameters, the file holds "
                             f"{'none' if theta is None else theta.size}")


def _read_metadata_spec(path, header):
    """Return the header's metadata values and the expected ``{key: (dtype, shape)}`` of arrays."""
    values = header.get("metadata", {})
    specs = header.get("metadata_arrays", {})
    if not isinstance(values, dict) or not isinstance(specs, dict):
        raise _invalid(path, "its metadata is not a JSON object")
    if not all(_METADATA_KEY.match(key) for key in values):
        raise _invalid(path, "its metadata has a key that is not an identifier")
    expected = {}
    for key, spec in specs.items():
        if not _METADATA_KEY.match(key) or key in values:
            raise _invalid(path, f"metadata array name {key!r} is not valid")
        if not isinstance(spec, dict) or set(spec) != {"dtype", "shape"}:
            raise _invalid(path, f"metadata array {key!r} is not described by a dtype and shape")
        shape = spec["shape"]
        if not isinstance(shape, list) or not all(
            isinstance(n, int) and not isinstance(n, bool) and n >= 0 for n in shape
        ):
            raise _invalid(path, f"metadata array {key!r} has no valid shape")
        try:
            dtype = np.dtype(spec["dtype"])
        except TypeError:
            raise _invalid(path, f"metadata array {key!r} has no valid dtype") from None
        if dtype.kind not in "biuf" or dtype.name != spec["dtype"]:
            raise _invalid(path, f"metadata array {key!r} has no valid dtype")
        expected[key] = (dtype, tuple(shape))
    return values, expected


def load(path):
    """Read a model written by :func:`save`.

    Parameters
    ----------
    path : str or os.PathLike

    Returns
    -------
    ClassifierNN
        A model that predicts bit-identically to the saved one. Its generator is freshly seeded
        from the operating system.

    Raises
    ------
    FileNotFoundError
        If ``path`` does not exist.
    ValueError
        If the file is not a valid model file: not an ``.npz`` archive, pickled objects, missing
        or malformed header, arrays that disagree with the header, non-finite values.
    """
    return _load(path)[0]


def load_with_metadata(path):
    """Read a model written by :func:`save` together with the metadata saved with it.

    Parameters
    ----------
    path : str or os.PathLike

    Returns
    -------
    model : ClassifierNN
        As returned by :func:`load`.
    metadata : dict
        The ``metadata`` given to :func:`save`, JSON values and arrays alike (arrays with their
        saved dtype and shape); empty for a file saved without metadata.

    Raises
    ------
    FileNotFoundError
        If ``path`` does not exist.
    ValueError
        If the file is not a valid model file (see :func:`load`), including metadata arrays that
        disagree with their description in the header.
    """
    return _load(path)


def _load(path):
    path = os.fspath(path)
    try:
        npz = np.load(path, allow_pickle=False)
    except FileNotFoundError:
        raise
    except Exception as exc:  # whatever a damaged file makes the parser raise, it is invalid
        raise _invalid(path, f"{type(exc).__name__}: {exc}") from None
    if not isinstance(npz, np.lib.npyio.NpzFile):  # a bare .npy array
        raise _invalid(path, "it is not an .npz archive")
    # save() stores members uncompressed, so no member holds more data than the file itself; a
    # compressed one could inflate a small file into gigabytes before any check could run.
    if any(info.compress_type != zipfile.ZIP_STORED for info in npz.zip.infolist()):
        npz.close()
        raise _invalid(path, "it has compressed members, which scratchnn never writes")
    try:
        with npz:
            files = {name: npz[name] for name in npz.files}
    except Exception as exc:
        raise _invalid(path, f"{type(exc).__name__}: {exc}") from None
    # NpzFile hands back raw bytes for a zip member that is not in the .npy format.
    not_arrays = sorted(name for name, value in files.items() if not isinstance(value, np.ndarray))
    if not_arrays:
        raise _invalid(path, f"{not_arrays} are not .npy arrays")
    header = _read_header(path, files)
    _check_size(path, header, files)
    try:
        model = _MODEL_CLASSES[FORMAT].from_config({
            "layer_dims": header["layer_dims"], "activations": header["activations"],
            "initialization_method": header.get("initialization_method", "he"),
            "batch_norm": header["batch_norm"], "dtype": header["dtype"]})
    except (KeyError, TypeError, ValueError) as exc:
        raise _invalid(path, f"the header describes no valid network ({exc})") from None
    if header.get("dtype_fixed") is False:
        model.dtype = None  # as saved: the next train call follows its data's dtype again
    expected = [[name, list(shape)] for name, shape in model.parameter_shapes.items()]
    if header.get("parameters") != expected:
        raise _invalid(path, "the header's parameter list does not match its layers")
    metadata, meta_specs = _read_metadata_spec(path, header)
    meta_names = {METADATA_PREFIX + key for key in meta_specs}
    expected_arrays = {"header", "theta", *model.bn_state, *meta_names}
    if set(files) != expected_arrays:
        raise _invalid(path, f"it holds arrays {sorted(files)}, expected {sorted(expected_arrays)}")
    theta = files["theta"]
    if theta.dtype != model.compute_dtype or theta.shape != model.theta.shape:
        raise _invalid(path, f"theta must be {model.compute_dtype} of shape {model.theta.shape}, "
                             f"got {theta.dtype} of shape {theta.shape}")
    for name, target in model.bn_state.items():
        value = files[name]
        if value.dtype != target.dtype or value.shape != target.shape:
            raise _invalid(path, f"{name} must be {target.dtype} of shape {target.shape}")
        if name.startswith("running_var") and np.any(value < 0):
            raise _invalid(path, f"{name} holds negative variances")
    for key, (dtype, shape) in meta_specs.items():
        value = files[METADATA_PREFIX + key]
        if value.dtype != dtype or value.shape != shape:
            raise _invalid(path, f"metadata array {key!r} must be {dtype} of shape {shape}, got "
                                 f"{value.dtype} of shape {value.shape}")
        metadata[key] = value
    # Every array is numeric by now (checked against the header), so isfinite cannot fail.
    if not all(np.all(np.isfinite(files[name])) for name in expected_arrays - {"header"}):
        raise _invalid(path, "it holds NaN or infinite values")
    model.theta[...] = theta
    for name, target in model.bn_state.items():
        target[...] = files[name]
    return model, metadata
