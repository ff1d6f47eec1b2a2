"""Model files: ``.npz`` arrays plus a JSON header, never pickle.

A file holds

``header``
    UTF-8 JSON as a ``uint8`` array: format name and version, ``layer_dims``, ``activations``,
    ``batch_norm``, ``dtype``, ``initialization_method`` and the name and shape of every
    parameter in buffer order;
``theta``
    the flat parameter buffer;
``running_mean{l}``, ``running_var{l}``
    batch-normalization running statistics, for each normalized layer.

Files are written to a temporary file in the same folder and then renamed over the target, so a
crash mid-write never leaves a half-written model under the final name. Loading uses
``allow_pickle=False`` (a model file can hold data only, never code) and checks the header against
the arrays before building the model; any mismatch raises ``ValueError``.
"""

import json
import os
import tempfile

import numpy as np

__all__ = ["FORMAT", "FORMAT_VERSION", "save", "load"]

FORMAT = "scratchnn.ClassifierNN"
FORMAT_VERSION = 1
MAX_HEADER_BYTES = 1 << 20
"""A header is a few hundred bytes; anything larger than 1 MiB is not one of ours."""


def _header(model):
    return {
        "format": FORMAT,
        "format_version": FORMAT_VERSION,
        "layer_dims": model.layer_dims,
        "activations": model.activations,
        "batch_norm": model.batch_norm,
        "dtype": model.compute_dtype.name,
        "initialization_method": model.initialization_method,
        "parameters": [[name, list(shape)] for name, shape in model._shapes.items()],
    }


def save(model, path):
    """Write ``model`` to ``path`` atomically (the name is used as given; no suffix is added).

    Parameters
    ----------
    model : ClassifierNN
    path : str or os.PathLike
    """
    path = os.fspath(path)
    header = np.frombuffer(json.dumps(_header(model)).encode("utf-8"), dtype=np.uint8)
    arrays = {"header": header, "theta": model._theta}
    arrays.update(model.bn_state)
    folder = os.path.dirname(os.path.abspath(path))
    fd, tmp = tempfile.mkstemp(prefix=".tmp-", suffix=".npz", dir=folder)
    try:
        with os.fdopen(fd, "wb") as f:
            np.savez(f, **arrays)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        os.unlink(tmp)
        raise


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
    from .network import ClassifierNN

    path = os.fspath(path)
    try:
        npz = np.load(path, allow_pickle=False)
    except FileNotFoundError:
        raise
    except Exception as exc:  # whatever a damaged file makes the parser raise, it is invalid
        raise _invalid(path, f"{type(exc).__name__}: {exc}") from None
    if not isinstance(npz, np.lib.npyio.NpzFile):  # a bare .npy array
        raise _invalid(path, "it is not an .npz archive")
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
    try:
        model = ClassifierNN(header["layer_dims"], header["activations"],
                             header.get("initialization_method", "he"),
                             batch_norm=header["batch_norm"], dtype=header["dtype"])
    except (KeyError, TypeError, ValueError) as exc:
        raise _invalid(path, f"the header describes no valid network ({exc})") from None
    expected = [[name, list(shape)] for name, shape in model._shapes.items()]
    if header.get("parameters") != expected:
        raise _invalid(path, "the header's parameter list does not match its layers")
    expected_arrays = {"header", "theta", *model.bn_state}
    if set(files) != expected_arrays:
        raise _invalid(path, f"it holds arrays {sorted(files)}, expected {sorted(expected_arrays)}")
    theta = files["theta"]
    if theta.dtype != model.compute_dtype or theta.shape != model._theta.shape:
        raise _invalid(path, f"theta must be {model.compute_dtype} of shape {model._theta.shape}, "
                             f"got {theta.dtype} of shape {theta.shape}")
    for name, target in model.bn_state.items():
        value = files[name]
        if value.dtype != target.dtype or value.shape != target.shape:
            raise _invalid(path, f"{name} must be {target.dtype} of shape {target.shape}")
        if name.startswith("running_var") and np.any(value < 0):
            raise _invalid(path, f"{name} holds negative variances")
    if not all(np.all(np.isfinite(files[name])) for name in expected_arrays - {"header"}):
        raise _invalid(path, "it holds NaN or infinite values")
    model._theta[...] = theta
    for name, target in model.bn_state.items():
        target[...] = files[name]
    return model
