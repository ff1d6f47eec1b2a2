"""Model files: ``.npz`` arrays plus a JSON header, never pickle.

A file holds

``header``
    UTF-8 JSON as a ``uint8`` array: format name and version, ``layer_dims``, ``activations``,
    ``batch_norm``, ``dtype``, ``initialization_method`` and the name and shape of every
    parameter in buffer order; for a model other than :class:`~scratchnn.ClassifierNN`, its
    class's name under ``"model"`` (``"RegressorNN"``), so that :func:`load` rebuilds that class
    (a classifier's file is exactly what it has always been, and a file without ``"model"`` is a
    classifier's);
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

Files are written through :func:`scratchnn.fileio.atomic_write` (a temporary file in the same
folder, renamed over the target), so a crash mid-write never leaves a half-written model under the
final name; :func:`save` first refuses anything :func:`load` would refuse. Loading reads the
archive through :class:`scratchnn.archive.NpzArchive`, which checks the zip layout before any
member is read, parses the header with bounded depth and numbers, checks every member's declared
size against the header, and only then reads the arrays, never unpickling (a model file can hold
data only, never code). Any failure is a ``ValueError`` naming the file: "is not a scratchnn model
file" for something that is no model at all, "is not a valid scratchnn model file" for a damaged
or hostile one.
"""

import json
import math
import os
import re
import stat

import numpy as np

from .archive import MAX_NPY_HEADER_BYTES, NotAnArchiveError, NpzArchive
from .fileio import atomic_write
from .parameters import parameter_shapes

__all__ = ["FORMAT", "FORMAT_VERSION", "save", "load", "load_with_metadata",
           "register_model_class"]

FORMAT = "scratchnn.ClassifierNN"
FORMAT_VERSION = 1
MAX_HEADER_BYTES = 1 << 20
"""A header is a few hundred bytes; anything larger than 1 MiB is not one of ours."""

MAX_JSON_DEPTH = 64
"""Headers nest at most this deep (a header of ours nests 3 deep, plus its metadata's own depth);
deeper JSON would exhaust Python's recursion limit while it is parsed or written."""

MAX_INT_DIGITS = 100
"""Integers in a header have at most 100 digits (a generator's 128-bit state takes 39); longer
ones are refused on save and on load, before Python is asked to convert them."""
_INT_LIMIT = 10 ** MAX_INT_DIGITS

METADATA_PREFIX = "meta."
"""Array-valued metadata entry ``key`` is stored as the array ``meta.{key}``."""

_METADATA_KEY = re.compile(r"[A-Za-z_][A-Za-z0-9_]{0,63}\Z")
# Keys become archive member names, so they are restricted to short identifiers: no path
# separators, no clash with "header" or "theta" (which have no "meta." prefix).


_MODEL_CLASSES = {}

DEFAULT_MODEL = "ClassifierNN"
"""The model class of a file whose header names none (every file before regression existed)."""


def _registered_name(cls):
    """The name under which ``cls`` or its nearest registered base class is registered."""
    for base in cls.__mro__:
        for name, registered in _MODEL_CLASSES.items():
            if registered is base:
                return name
    return None


def register_model_class(cls):
    """Make ``cls`` the class that :func:`load` rebuilds its kind of model files as.

    :mod:`scratchnn.network` registers :class:`~scratchnn.ClassifierNN` and
    :mod:`scratchnn.regressor` :class:`~scratchnn.RegressorNN` when they are imported (which
    ``import scratchnn`` always does), so this module never imports a model: it writes a
    model's ``get_config()`` and arrays, and rebuilds one with ``from_config`` (Keras's
    arrangement). A subclass of a registered class takes that class's place (files of
    classifiers then load as the subclass); any other class is registered under its own name.
    """
    _MODEL_CLASSES[_registered_name(cls) or cls.__name__] = cls
    return cls


def _header(model):
    config = model.get_config()
    header = {
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
    name = _registered_name(type(model)) or DEFAULT_MODEL
    if name != DEFAULT_MODEL:
        header["model"] = name
    return header


def _check_json_value(key, value):
    """Refuse a metadata value that :func:`load` would refuse: nested too deeply for the header,
    or holding an integer of more than ``MAX_INT_DIGITS`` digits. Walked without recursion, so depth cannot exhaust it."""
    # The header is an object, "metadata" is one inside it: the value starts 3 levels deep.
    pending = [(value, 3)]
    while pending:
        item, depth = pending.pop()
        if isinstance(item, (list, tuple, dict)):
            if depth > MAX_JSON_DEPTH:
                raise ValueError(f"metadata[{key!r}] is nested more than "
                                 f"{MAX_JSON_DEPTH - 2} levels deep")
            children = item.values() if isinstance(item, dict) else item
            pending.extend((child, depth + 1) for child in children)
        elif isinstance(item, int) and abs(item) >= _INT_LIMIT:
            raise ValueError(f"metadata[{key!r}] holds an integer of more than {MAX_INT_DIGITS} "
                             f"digits")


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
        _check_json_value(key, value)
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
    model : ClassifierNN or RegressorNN
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
        If a key of ``metadata`` is not an identifier, a float array holds NaN or infinity, a
        value nests more than 62 levels deep or holds an integer of more than 100 digits; if the model's
        parameters or running statistics are not finite, or a running variance is negative
        (:func:`load` would refuse the file); if ``path`` is a folder, a FIFO or another file
        that is neither regular nor a character device (see
        :func:`scratchnn.fileio.atomic_write`). Nothing is written then.
    OSError
        If the file cannot be written (the message names ``path``); an existing file of that
        name is then left untouched.
    """
    values, meta_arrays = _split_metadata(metadata)
    path = os.fspath(path)
    # What load would refuse is refused here, before the destination is touched.
    if not np.all(np.isfinite(model.theta)) or not all(
            np.all(np.isfinite(value)) for value in model.bn_state.values()):
        raise ValueError(f"cannot save to {path}: the model's parameters or running statistics "
                         f"hold NaN or infinite values")
    negative = [name for name, value in model.bn_state.items()
                if name.startswith("running_var") and np.any(value < 0)]
    if negative:
        raise ValueError(f"cannot save to {path}: {negative[0]} holds negative variances")
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


def _json_depth(value):
    """How deeply lists and dicts nest in ``value`` (1 for a flat list), walked without recursion."""
    deepest, pending = 0, [(value, 1)]
    while pending:
        item, depth = pending.pop()
        if isinstance(item, (list, dict)):
            deepest = max(deepest, depth)
            pending.extend((child, depth + 1)
                           for child in (item.values() if isinstance(item, dict) else item))
    return deepest


def _parse_int(digits):
    # Checked on the digits, before int() is asked to convert thousands of them.
    if len(digits.lstrip("-")) > MAX_INT_DIGITS:
        raise ValueError(f"the header holds an integer of {len(digits.lstrip('-'))} digits "
                         f"({digits[:20]}...), more than {MAX_INT_DIGITS}")
    return int(digits)


def _parse_float(text):
    value = float(text)
    if not math.isfinite(value):
        raise ValueError(f"the header holds the number {text[:30]}, too large for a float")
    return value


def _parse_constant(name):
    raise ValueError(f"the header holds {name}, which is not JSON")


def _read_header(path, raw):
    if raw.dtype != np.uint8 or raw.ndim != 1 or raw.size > MAX_HEADER_BYTES:
        raise _invalid(path, "the header is not a JSON byte string of at most 1 MiB")
    try:
        text = raw.tobytes().decode("utf-8")
    except UnicodeDecodeError as exc:
        raise _invalid(path, f"the header is not JSON ({exc})") from None
    too_deep = _invalid(path, f"the header nests more than {MAX_JSON_DEPTH} levels deep")
    try:
        header = json.loads(text, parse_int=_parse_int, parse_float=_parse_float,
                            parse_constant=_parse_constant)
    except json.JSONDecodeError as exc:
        raise _invalid(path, f"the header is not JSON ({exc})") from None
    except ValueError as exc:
        raise _invalid(path, exc) from None
    except RecursionError:
        # The parser recurses once per level and stops cleanly at Python's recursion limit
        # (about 1,000 levels), in time linear in the text: nothing that deep is a header.
        raise too_deep from None
    if _json_depth(header) > MAX_JSON_DEPTH:
        raise too_deep
    if not isinstance(header, dict) or header.get("format") != FORMAT:
        raise _not_a_model(path, f"its header does not name the format {FORMAT!r}")
    version = header.get("format_version")
    is_integer = isinstance(version, int) and not isinstance(version, bool)
    if is_integer and version > FORMAT_VERSION:
        raise _not_a_model(path, f"it is in a newer format (format_version {version}); this "
                                 f"scratchnn reads format_version {FORMAT_VERSION}")
    # An integer, not merely equal to one: True == 1 and 1.0 == 1 in Python, but neither is a
    # version that save writes.
    if not is_integer or version != FORMAT_VERSION:
        raise _invalid(path, f"format_version {version!r} is not {FORMAT_VERSION}")
    return header


def _check_size(path, header, archive):
    """Refuse a header whose network is not the size of the stored ``theta``; return its dtype.

    Checked before the network is built and before ``theta`` is read: a header may not make
    ``load`` allocate more memory than the parameters actually in the file.
    """
    dims = header.get("layer_dims")
    if not (isinstance(dims, list) and len(dims) >= 2 and all(
            isinstance(n, int) and not isinstance(n, bool) and n >= 1 for n in dims)):
        raise _invalid(path, "the header's layer_dims are not a list of positive integers")
    try:
        dtype = np.dtype(header.get("dtype"))
    except TypeError:
        dtype = None
    if dtype is None or dtype.kind != "f" or dtype.name != header.get("dtype"):
        raise _invalid(path, f"the header's dtype {header.get('dtype')!r} is not a float dtype")
    expected = sum(math.prod(shape) for shape in
                   parameter_shapes(dims, header.get("batch_norm") is True).values())
    declared = archive.size("theta") if "theta" in archive.names else None
    nbytes = expected * dtype.itemsize
    if declared is None or not nbytes < declared <= nbytes + MAX_NPY_HEADER_BYTES:
        raise _invalid(path, f"the header's layers need {expected} parameters ({nbytes} bytes of "
                             f"{dtype}), the file's theta holds "
                             f"{'none' if declared is None else f'{declared} bytes'}")
    return dtype


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
        except (TypeError, ValueError):
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
    ClassifierNN or RegressorNN
        A model that predicts bit-identically to the saved one. Its generator is freshly seeded
        from the operating system.

    Raises
    ------
    FileNotFoundError
        If ``path`` does not exist.
    ValueError
        If the file is not a model file ("<path> is not a scratchnn model file: <why>": a folder,
        a FIFO, not a zip archive, no header, another format or a newer format version) or not a
        valid one ("<path> is not a valid scratchnn model file: <why>": a zip layout that cannot
        be trusted, pickled objects, a malformed or too deeply nested header, arrays that
        disagree with the header, non-finite values).
    OSError
        If the file exists but cannot be read.
    """
    return _load(path)[0]


def load_with_metadata(path):
    """Read a model written by :func:`save` together with the metadata saved with it.

    Parameters
    ----------
    path : str or os.PathLike

    Returns
    -------
    model : ClassifierNN or RegressorNN
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


def _not_a_model(path, why):
    return ValueError(f"{path} is not a scratchnn model file: {why}")


def _open_archive(path):
    """Open ``path`` as a checked :class:`~scratchnn.archive.NpzArchive`, or say why it is not one."""
    # Neither a folder nor a FIFO is opened: opening a FIFO would wait for a writer forever.
    kind = os.stat(path).st_mode
    if stat.S_ISDIR(kind):
        raise _not_a_model(path, "it is a folder")
    if not stat.S_ISREG(kind):
        raise _not_a_model(path, "it is not a regular file")
    try:
        return NpzArchive(path)
    except NotAnArchiveError as exc:
        with open(path, "rb") as f:
            if f.read(6) == b"\x93NUMPY":
                raise _not_a_model(path, "it is an .npy array, not an .npz archive") from None
        raise _not_a_model(path, exc) from None
    except ValueError as exc:
        raise _invalid(path, exc) from None


def _check_declared_size(path, archive, name, dtype, shape):
    """Refuse member ``name`` unless its declared size fits an .npy array of ``dtype``, ``shape``.

    Checked before the member is read: the archive cannot make ``load`` read (or allocate) more
    than the header's description of the model needs.
    """
    nbytes = math.prod(shape) * dtype.itemsize
    declared = archive.size(name)
    if not nbytes < declared <= nbytes + MAX_NPY_HEADER_BYTES:
        raise _invalid(path, f"its member {name!r} declares {declared} bytes, but {dtype} of "
                             f"shape {tuple(shape)} needs {nbytes} bytes of data")


def _read(path, archive, name):
    try:
        return archive.read_array(name)
    except ValueError as exc:
        raise _invalid(path, exc) from None


def _load(path):
    path = os.fspath(path)
    if isinstance(path, bytes):
        path = os.fsdecode(path)
    with _open_archive(path) as archive:
        names = set(archive.names)
        if "header" not in names:
            raise _not_a_model(path, "it has no header member")
        if archive.size("header") > MAX_HEADER_BYTES + MAX_NPY_HEADER_BYTES:
            raise _invalid(path, "the header is not a JSON byte string of at most 1 MiB")
        header = _read_header(path, _read(path, archive, "header"))
        dtype = _check_size(path, header, archive)
        kind = header.get("model", DEFAULT_MODEL)
        if not isinstance(kind, str) or kind not in _MODEL_CLASSES:
            raise _invalid(path, f"the header's model {kind!r} is none of "
                                 f"{sorted(_MODEL_CLASSES)}")
        try:
            model = _MODEL_CLASSES[kind].from_config({
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
        specs = {"theta": (dtype, model.theta.shape)}
        specs.update({name: (value.dtype, value.shape) for name, value in model.bn_state.items()})
        specs.update({METADATA_PREFIX + key: spec for key, spec in meta_specs.items()})
        if names != {"header", *specs}:
            raise _invalid(path, f"it holds arrays {sorted(names)}, expected "
                                 f"{sorted({'header', *specs})}")
        # Every member's size is checked before any of them is read.
        for name, (member_dtype, shape) in specs.items():
            _check_declared_size(path, archive, name, member_dtype, shape)
        files = {name: _read(path, archive, name) for name in specs}
    for name, (member_dtype, shape) in specs.items():
        value = files[name]
        if value.dtype != member_dtype or value.shape != shape:
            what = (f"metadata array {name[len(METADATA_PREFIX):]!r}"
                    if name.startswith(METADATA_PREFIX) else name)
            raise _invalid(path, f"{what} must be {member_dtype} of shape {shape}, got "
                                 f"{value.dtype} of shape {value.shape}")
        if name.startswith("running_var") and np.any(value < 0):
            raise _invalid(path, f"{name} holds negative variances")
    # Every array is numeric by now (checked against the header), so isfinite cannot fail.
    if not all(np.all(np.isfinite(value)) for value in files.values()):
        raise _invalid(path, "it holds NaN or infinite values")
    for key in meta_specs:
        metadata[key] = files[METADATA_PREFIX + key]
    model.theta[...] = files["theta"]
    for name, target in model.bn_state.items():
        target[...] = files[name]
    return model, metadata
