"""Scale-out through dask: dask-ml's Incremental drives NNClassifier.partial_fit (and
NNRegressor.partial_fit) over a dask array's chunks on a dask.distributed cluster of two worker
processes."""

import numpy as np
import pytest

pytest.importorskip("sklearn")
da = pytest.importorskip("dask.array")
distributed = pytest.importorskip("dask.distributed")
wrappers = pytest.importorskip("dask_ml.wrappers")

from scratchnn.sklearn import NNClassifier


def quadrants(n, chunk_rows, seed):
    """XOR of the signs of two features, plus eight noise features: no linear model beats 50%."""
    rs = da.random.RandomState(seed)
    X = rs.standard_normal(size=(n, 10), chunks=(chunk_rows, 10))
    y = (X[:, 0] * X[:, 1] > 0).astype(np.int64)
    return X, y


@pytest.fixture(scope="module")
def client():
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                                  dashboard_address=None) as cluster:
        with distributed.Client(cluster) as client:
            yield client


def test_incremental_trains_on_a_dask_array_across_worker_processes(client):
    X, y = quadrants(100_000, 20_000, seed=0)
    X_test, y_test = quadrants(20_000, 10_000, seed=1)
    assert X.numblocks[0] == 5
    model = wrappers.Incremental(
        NNClassifier(hidden_layer_sizes=(32,), learning_rate=0.003, random_state=0),
        scoring="accuracy", random_state=0,
    )
    model.fit(X, y, classes=[0, 1])  # one pass: partial_fit on each chunk, in a worker
    assert model.estimator_.n_iter_ == 5
    model.partial_fit(X, y, classes=[0, 1])  # a second pass continues the same optimizer
    network = model.estimator_.network_
    assert model.estimator_.n_iter_ == 10 and network.optimizer.t == 10 * 100
    accuracy = model.score(X_test, y_test)
    assert accuracy > 0.97
    # The fitted estimator is an ordinary one: it predicts NumPy data too.
    X_local, y_local = X_test[:1000].compute(), y_test[:1000].compute()
    assert model.estimator_.score(X_local, y_local) > 0.95
    predicted = model.predict(X_test[:1000]).compute()
    np.testing.assert_array_equal(predicted, model.estimator_.predict(X_local))


def waves(n, chunk_rows, seed):
    """y = sin(2 x0) + x1 * x2, plus eight noise features: nonlinear, R² near 0 for no model."""
    rs = da.random.RandomState(seed)
    X = rs.standard_normal(size=(n, 10), chunks=(chunk_rows, 10))
    y = da.sin(2 * X[:, 0]) + X[:, 1] * X[:, 2]
    return X, y


def test_incremental_trains_a_regressor_on_a_dask_array_across_worker_processes(client):
    from sklearn.metrics import r2_score

    from scratchnn.sklearn import NNRegressor

    X, y = waves(60_000, 15_000, seed=0)
    X_test, y_test = waves(10_000, 5_000, seed=1)
    model = wrappers.Incremental(
        NNRegressor(hidden_layer_sizes=(32,), learning_rate=0.003, random_state=0),
        random_state=0,
    )
    model.fit(X, y)  # one pass: partial_fit on each chunk, in a worker
    first = model.estimator_
    assert first.n_iter_ == 4
    mean, scale = first.y_mean_.copy(), first.y_scale_.copy()
    for _ in range(3):
        model.partial_fit(X, y)  # more passes continue the same optimizer and standardization
    estimator = model.estimator_
    assert estimator.n_iter_ == 16 and estimator.network_.optimizer.t == 16 * 75
    assert estimator.y_mean_ == mean and estimator.y_scale_ == scale
    # model.predict maps the fitted estimator over the chunks. (dask-ml's own "r2" scorer fails
    # on this version of dask for scikit-learn's regressors too: "cannot broadcast shape (nan,)",
    # so R² is computed here from the predictions.)
    predicted = model.predict(X_test).compute()
    assert r2_score(y_test.compute(), predicted) > 0.9
    X_local = X_test[:1000].compute()
    np.testing.assert_allclose(predicted[:1000], estimator.predict(X_local), rtol=1e-12)
