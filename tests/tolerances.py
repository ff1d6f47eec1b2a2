"""Comparing results that were computed along different paths, for the tests.

BLAS rounds a matrix product differently depending on the CPU (OpenBLAS picks other kernels for
other instruction sets) and on the matrix shape (blocking, small-matrix kernels, threads). So the
same model gives probabilities that differ in the last bits when its rows come in chunks of
another size, one at a time instead of in a batch, as a subset, or through onnxruntime instead of
NumPy. A float32 result read in chunks of 7 rows moved by 3e-8 (2e-6 relative) on an AMD EPYC.
Such results are equal only to their dtype's rounding:

- float32 along different paths: :func:`assert_float32_close`, and labels with
  :func:`assert_labels_agree` (exactly, except on a near tie, which rounding may break either way);
- float64 along different paths: ``assert_allclose`` with an ``rtol`` of about 1e-12 to 1e-10,
  by the depth of the computation;
- bit for bit (``assert_array_equal``) only for the same computation on the same shapes: the same
  seed twice, a save and load round trip, two spellings of the same call.

A plain module next to the tests (like ``cli_run``), not ``conftest.py``: the tests import these
functions by name, and pytest's documentation advises against importing from ``conftest.py``.
"""

import numpy as np

FLOAT32_RTOL = 1e-5
"""Relative tolerance for float32 results along different paths: about 100 units of float32
rounding (``eps`` = 1.2e-7), room for the rounding of a few layers' products and sums."""

FLOAT32_ATOL = 1e-6
"""Absolute tolerance for float32 values of order 1 (probabilities in [0, 1]): it covers values
near 0, where the relative tolerance alone would ask for more than the rounding of the larger
terms they came from allows."""


def assert_float32_close(actual, desired, rtol=FLOAT32_RTOL, atol=FLOAT32_ATOL, err_msg=""):
    """``actual`` equals ``desired`` up to float32 rounding: ``|a - d| <= atol + rtol |d|``.

    For float32 results computed along different paths (other shapes, chunks, onnxruntime);
    the defaults suit values of order 1 such as probabilities. Both sides are compared as
    float64 (a CSV column, a pandas Series or an array of either dtype).
    """
    np.testing.assert_allclose(np.asarray(actual, dtype=np.float64),
                               np.asarray(desired, dtype=np.float64), rtol=rtol, atol=atol,
                               err_msg=err_msg)


def assert_labels_agree(actual, desired, proba, classes,
                        margin=2 * (FLOAT32_ATOL + FLOAT32_RTOL), err_msg=""):
    """``actual`` labels are ``desired`` wherever ``desired`` was clear-cut.

    ``proba`` holds the probabilities ``desired`` was taken from, one row per example and one
    column per class of ``classes``. On a row whose two largest probabilities differ by more than
    ``margin`` (twice the tolerance of each probability) rounding cannot change the argmax, and
    the labels must be equal. On a near tie either class may win: the ``actual`` label must then
    be one of the classes within ``margin`` of the largest probability.

    Returns the boolean mask of the near-tie rows, so that a test can keep an exact comparison
    of something derived from the labels where there were none.
    """
    actual, desired = np.asarray(actual, dtype=object), np.asarray(desired, dtype=object)
    proba = np.asarray(proba, dtype=np.float64)
    assert actual.shape == desired.shape == proba.shape[:1], (actual.shape, desired.shape,
                                                               proba.shape)
    top_two = np.sort(proba, axis=1)[:, -2:]
    near_tie = top_two[:, 1] - top_two[:, 0] <= margin
    differ = np.flatnonzero(~near_tie & (actual != desired))
    assert differ.size == 0, (f"{err_msg}: " if err_msg else "") + (
        f"{differ.size} clear-cut label(s) differ, rows {differ[:10].tolist()}: "
        f"{actual[differ[:10]].tolist()} instead of {desired[differ[:10]].tolist()}")
    classes = np.asarray(classes, dtype=object)
    for row in np.flatnonzero(near_tie):
        close = classes[proba[row] >= proba[row].max() - margin]
        assert actual[row] in close, (f"{err_msg}: " if err_msg else "") + (
            f"row {row} is a near tie of {close.tolist()} but got {actual[row]!r}")
    return near_tie
