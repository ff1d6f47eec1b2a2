"""float32 training computes in float32: the labels, the cost and the output delta never
promote to float64, whatever the labels' own dtype (a dtype check, not a timing)."""

import numpy as np
import pytest

from scratchnn import ClassifierNN, losses


@pytest.fixture
def seen(monkeypatch):
    """The dtypes every cost and delta of the binary and categorical losses computes in."""
    dtypes = []
    for cls in (losses.BinaryCrossEntropy, losses.CategoricalCrossEntropy,
                losses.SparseCategoricalCrossEntropy):
        for name in ("cost", "delta"):
            original = getattr(cls, name)

            # Class indices (sparse labels) only index; any other label array enters the
            # arithmetic, and NumPy computes in the type that holds every operand's values.
            indices = cls is losses.SparseCategoricalCrossEntropy

            def spy(A, Y, *args, _original=original, _indices=indices, **kwargs):
                arrays = [A] + [a for a in (None if _indices else Y, kwargs.get("Z"),
                                            kwargs.get("weights")) if isinstance(a, np.ndarray)]
                dtypes.append(np.result_type(*arrays))
                result = _original(A, Y, *args, **kwargs)
                if isinstance(result, np.ndarray):
                    dtypes.append(result.dtype)
                return result

            monkeypatch.setattr(cls, name, staticmethod(spy))
    return dtypes


def data(m=300, n=5, seed=0):
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((n, m)).astype(np.float32)
    return X, (X[0] > 0).astype(np.int64), (X[0] + X[1] > 0).astype(np.int64) + (X[2] > 0)


@pytest.mark.parametrize("label_dtype", [np.int64, np.int32, np.uint8, np.bool_, np.float64])
@pytest.mark.parametrize("smoothing", [0.0, 0.1])
@pytest.mark.parametrize("weighted", [False, True])
def test_float32_binary_training_with_any_label_dtype_stays_float32(seen, label_dtype,
                                                                    smoothing, weighted):
    X, y, _ = data()
    nn = ClassifierNN([5, 8, 1], ["relu", "sigmoid"], seed=0)
    nn.train(X, y.astype(label_dtype).reshape(1, -1), num_epochs=2, batch_size=64,
             optimizer="adam", print_cost=False, label_smoothing=smoothing,
             sample_weight=np.linspace(0.5, 1.5, X.shape[1]) if weighted else None,
             validation_data=(X, y.astype(label_dtype).reshape(1, -1)))
    assert seen and set(seen) == {np.dtype(np.float32)}
    assert nn.theta.dtype == np.float32


@pytest.mark.parametrize("loss, smoothing", [
    ("SparseCategoricalCrossEntropy", 0.0), ("SparseCategoricalCrossEntropy", 0.1),
    ("CategoricalCrossEntropy", 0.0), ("CategoricalCrossEntropy", 0.1)])
def test_float32_multiclass_training_stays_float32(seen, loss, smoothing):
    X, _, y = data()
    Y = y.reshape(1, -1) if loss.startswith("Sparse") else np.eye(3, dtype=np.int64)[:, y]
    nn = ClassifierNN([5, 8, 3], ["relu", "softmax"], seed=0)
    nn.train(X, Y, loss=loss, num_epochs=2, batch_size=64, optimizer="adam", print_cost=False,
             label_smoothing=smoothing)
    assert seen and set(seen) == {np.dtype(np.float32)}


def test_integer_and_float32_labels_train_alike():
    """Integer 0/1 labels are the same targets as float32 0/1: the same parameters bit for bit."""
    X, y, _ = data()
    thetas = []
    for labels in (y, y.astype(np.float32), y.astype(np.uint8)):
        nn = ClassifierNN([5, 8, 1], ["relu", "sigmoid"], seed=0)
        nn.train(X, labels.reshape(1, -1), num_epochs=3, batch_size=64, optimizer="adam",
                 print_cost=False)
        thetas.append(nn.theta.copy())
    np.testing.assert_array_equal(thetas[0], thetas[1])
    np.testing.assert_array_equal(thetas[0], thetas[2])


def test_float32_estimator_training_stays_float32(seen):
    pytest.importorskip("sklearn")
    from scratchnn import NNClassifier

    X, y, y3 = data()
    for target in (y, y3, np.array(["a", "b"])[y]):
        NNClassifier(hidden_layer_sizes=(4,), max_epochs=2, random_state=0,
                     early_stopping=True).fit(X.T, target)
    assert seen and set(seen) == {np.dtype(np.float32)}
