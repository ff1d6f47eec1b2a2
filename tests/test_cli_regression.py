"""The command line's continuous targets: the rule that makes a regression, train, info, predict,
evaluate and export of a regression, checked against independent NumPy computations."""

import csv
import datetime

import numpy as np
import pytest

from cli_run import one_line_error, refusal, run, table, write
from scratchnn.bundle import Bundle
from scratchnn.cli.regression import RegressionScores, looks_continuous

pytest.importorskip("pandas")

EFFECT = {"north": 30.0, "south": -20.0, "east": 0.0}


def house_rows(n, seed=0):
    """A messy table of house prices: an id, a number with missing cells, a number, a text column
    with missing cells, a date and a continuous target ``price`` (around 1000, so that a model
    that forgets to de-standardize is far off)."""
    rng = np.random.default_rng(seed)
    x1, x2 = rng.normal(size=n), rng.uniform(-2, 2, n)
    region = rng.choice(list(EFFECT), n)
    days = rng.integers(0, 365, n)
    price = (1000 + 50 * x1 - 25 * x2 ** 2 + np.array([EFFECT[r] for r in region]) + 0.1 * days
             + rng.normal(0, 5, n))
    start = datetime.date(2024, 1, 1)
    return [[f"H{i:04d}", "" if i % 37 == 5 else f"{x1[i]:.4f}", f"{x2[i]:.4f}",
             "" if i % 41 == 3 else region[i], (start + datetime.timedelta(int(days[i]))).isoformat(),
             f"{price[i]:.2f}"] for i in range(n)]


HEADER = ["house", "x1", "x2", "region", "sold", "price"]


def read_csv(path):
    with open(path, newline="") as f:
        rows = list(csv.reader(f))
    return rows[0], rows[1:]


@pytest.fixture(scope="module")
def houses(tmp_path_factory):
    """Trained once: ``train`` on 500 rows (every row a training row, so that the target's
    standardization is the whole column's), ``predict`` on 100 new ones."""
    folder = tmp_path_factory.mktemp("houses")
    rows = house_rows(600)
    data = write(folder / "train.csv", table(HEADER, rows[:500]))
    new = write(folder / "new.csv", table(HEADER, rows[500:]))
    model = folder / "price.npz"
    status, out, err = run(["train", data, "--target", "price", "--id", "house", "--out", model,
                            "--epochs", 200, "--val-split", 0, "--quiet"])
    assert status == 0, err
    predictions = folder / "pred.csv"
    status, _, err = run(["predict", model, new, "--out", predictions])
    assert status == 0, err
    return {"data": data, "new": new, "model": model, "train_out": out, "train_rows": rows[:500],
            "new_rows": rows[500:], "predictions": predictions, "folder": folder}


def test_train_says_it_fits_a_regression_and_scores_it_in_the_targets_units(houses):
    line, = [line for line in houses["train_out"].splitlines() if line.startswith("train")]
    assert line.startswith("train: RMSE ") and line.endswith("(500 rows)")
    assert "accuracy" not in houses["train_out"]
    r2 = float(line.split("R2 ")[1].split()[0])
    assert r2 > 0.9  # learned: price is a smooth function of the columns


def test_the_bundle_stores_the_targets_standardization(houses):
    network, metadata, bundle = Bundle.load(houses["model"])
    price = np.array([float(row[-1]) for row in houses["train_rows"]])
    assert bundle.task == "regression" and metadata["task"] == "regression"
    assert metadata["cli_format"] == 4 and bundle.targets == ["price"]
    np.testing.assert_allclose(bundle.target_mean, [price.mean()], rtol=1e-12)
    np.testing.assert_allclose(bundle.target_scale, [price.std()], rtol=1e-12)
    assert network.layer_dims[-1] == 1 and network.activations[-1] == "linear"
    assert "label_names" not in metadata


def test_info_says_the_task_and_the_targets_standardization(houses):
    status, out, _ = run(["info", houses["model"]])
    assert status == 0
    assert out.startswith("Model: RegressorNN (")
    assert "Task: regression of 'price'" in out
    _, _, bundle = Bundle.load(houses["model"])
    assert (f"price: target, regression (standardized with mean {bundle.target_mean[0]:.6g}, "
            f"standard deviation {bundle.target_scale[0]:.6g})") in out
    assert "house: id, copied to predictions" in out


def test_predict_writes_the_values_de_standardized(houses):
    header, rows = read_csv(houses["predictions"])
    assert header == ["house", "predicted_price"]
    assert [row[0] for row in rows] == [row[0] for row in houses["new_rows"]]
    predicted = np.array([float(row[1]) for row in rows])
    # The network's output (standardized units), times the column's std, plus its mean:
    # computed here from the CSV, not from the bundle's stored statistics.
    _, _, bundle = Bundle.load(houses["model"])
    price = np.array([float(row[-1]) for row in houses["train_rows"]])
    import pandas

    frame = pandas.read_csv(houses["new"], dtype=str, keep_default_na=False)
    X, _, _ = bundle.inputs(frame, "new.csv", str)
    expected = bundle.network.predict(X)[0].astype(np.float64) * price.std() + price.mean()
    np.testing.assert_allclose(predicted, expected, rtol=1e-12)


def scores_from_numpy(y, p):
    rmse = np.sqrt(np.mean((y - p) ** 2))
    mae = np.mean(np.abs(y - p))
    r2 = 1 - np.sum((y - p) ** 2) / np.sum((y - y.mean()) ** 2)
    return rmse, mae, r2


def evaluate_table(out):
    """``{target: (rmse, mae, r2)}`` from evaluate's report."""
    lines = out.splitlines()
    start = next(i for i, line in enumerate(lines) if line.split()[:4] == ["target", "RMSE",
                                                                           "MAE", "R2"])
    return {name: tuple(float(v) for v in values)
            for name, *values in (line.split() for line in lines[start + 1:])
            if not name.startswith("(")}


def test_evaluate_prints_rmse_mae_and_r2_as_numpy_computes_them_from_the_predictions(houses):
    status, out, err = run(["evaluate", houses["model"], houses["new"]])
    assert status == 0, err
    assert out.splitlines()[0] == (f"{houses['model']} on {houses['new']} (100 rows, target "
                                   f"'price')")
    y = np.array([float(row[-1]) for row in houses["new_rows"]])
    _, rows = read_csv(houses["predictions"])
    p = np.array([float(row[1]) for row in rows])
    rmse, mae, r2 = scores_from_numpy(y, p)
    printed = evaluate_table(out)
    assert list(printed) == ["price"]
    np.testing.assert_allclose(printed["price"][:2], [rmse, mae], rtol=1e-5)
    assert printed["price"][2] == pytest.approx(r2, abs=5e-5)
    assert r2 > 0.85  # new rows too
    # The missing feature cells are filled as in training, with the warning classifiers get.
    assert "missing cells were filled as in training" in err and "'x1': 3 of 100" in err


def test_evaluate_refuses_rows_without_a_target_unless_told_to_leave_them_out(houses, tmp_path):
    rows = [list(row) for row in houses["new_rows"]]
    rows[3][-1] = ""
    rows[7][-1] = "NA"
    data = write(tmp_path / "gaps.csv", table(HEADER, rows))
    err = one_line_error(["evaluate", houses["model"], data])
    assert "the target ['price'] is empty on 2 row(s) (the first on line 5)" in err
    assert "--drop-missing-target" in err
    status, out, err = run(["evaluate", houses["model"], data, "--drop-missing-target"])
    assert status == 0 and "(98 rows, target 'price')" in out
    assert "left out 2 row(s) whose target is empty" in err
    rows[9][-1] = "cheap"
    data = write(tmp_path / "word.csv", table(HEADER, rows))
    err = one_line_error(["evaluate", houses["model"], data, "--drop-missing-target"])
    assert "line 11: the target 'price' is 'cheap', not a number" in err


def test_the_onnx_export_includes_the_de_standardization_and_matches_predict(houses):
    pytest.importorskip("onnx")
    ort = pytest.importorskip("onnxruntime")
    path = houses["folder"] / "price.onnx"
    status, _, err = run(["export", houses["model"], path])
    assert status == 0, err
    session = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    assert [o.name for o in session.get_outputs()] == ["predictions"]
    import json

    import onnx

    props = {p.key: json.loads(p.value) for p in onnx.load(str(path)).metadata_props}
    price = np.array([float(row[-1]) for row in houses["train_rows"]])
    assert props["task"] == "regression" and props["targets"] == ["price"]
    np.testing.assert_allclose(props["target_mean"], [price.mean()], rtol=1e-12)
    np.testing.assert_allclose(props["target_scale"], [price.std()], rtol=1e-12)
    rows = houses["new_rows"]

    def number(text):
        return np.nan if text == "" else float(text)

    epoch = datetime.date(1970, 1, 1)
    feeds = {
        "x1": np.array([[number(r[1])] for r in rows], dtype=np.float32),
        "x2": np.array([[number(r[2])] for r in rows], dtype=np.float32),
        "region": np.array([[r[3]] for r in rows], dtype=object),
        "sold": np.array([[(datetime.date.fromisoformat(r[4]) - epoch).days] for r in rows],
                         dtype=np.float64),
    }
    value, = session.run(["predictions"], feeds)
    assert value.dtype == np.float64 and value.shape == (100, 1)
    _, predicted = read_csv(houses["predictions"])
    predicted = np.array([float(row[1]) for row in predicted])
    _, _, bundle = Bundle.load(houses["model"])
    # To 1e-5 in the network's own (standardized) units: the graph and NumPy run float32
    # matrix products that may round differently.
    np.testing.assert_allclose(value[:, 0], predicted, rtol=0,
                               atol=1e-5 * bundle.target_scale[0])


# --------------------------------------------------------------------------- the rule


@pytest.mark.parametrize(("values", "continuous"), [
    (np.arange(10) + 0.5, False),               # 10 distinct fractional numbers: classes
    (np.arange(11) + 0.5, True),                # 11: continuous
    (np.repeat(np.arange(20), 2), False),       # 20 distinct whole numbers, 2 rows each
    (np.repeat(np.arange(21), 2), True),        # 21 distinct whole numbers
    (np.repeat(np.arange(15), 2), False),       # 15 whole numbers in 30 rows: 2 rows each
    (np.r_[np.arange(15), np.arange(14)], True),  # 15 in 29 rows: fewer than 2 rows each
    (np.repeat(np.arange(11) * 1.0, 5), False),   # 11 whole numbers (1.0 is whole), 5 each
    (np.repeat(np.arange(11) + 0.25, 5), True),   # 11 fractional numbers, 5 each
])
def test_the_rule_of_continuity(values, continuous):
    assert looks_continuous(np.asarray(values, dtype=float))[0] is continuous


def rule_table(tmp_path, targets, extra=()):
    rows = [[f"{np.sin(i):.3f}", t, *extra] for i, t in enumerate(targets)]
    return write(tmp_path / "d.csv", table(["x", "y"], rows))


@pytest.mark.parametrize(("targets", "task"), [
    ([f"{k % 10 + 0.5}" for k in range(40)], "classification"),
    ([f"{k % 11 + 0.5}" for k in range(40)], "regression"),
    ([str(k % 20) for k in range(40)], "classification"),
    ([str(k % 21) for k in range(42)], "regression"),
    ([f"w{k}" for k in range(40)], "classification"),  # text labels are classes
    ([str(k) for k in range(39)] + ["many"], "classification"),  # a word: not all numbers
])
def test_train_follows_the_rule(tmp_path, targets, task):
    data = rule_table(tmp_path, targets)
    status, _, err = run(["train", data, "--target", "y", "--out", tmp_path / "m.npz",
                          "--epochs", 1, "--quiet", "--val-split", 0])
    assert status == 0, err
    assert Bundle.load(tmp_path / "m.npz")[2].task == task


def test_task_regression_overrides_the_rule_with_a_note(tmp_path):
    data = rule_table(tmp_path, [str(k % 2) for k in range(40)])
    status, _, err = run(["train", data, "--target", "y", "--out", tmp_path / "m.npz",
                          "--epochs", 1, "--quiet", "--task", "regression"])
    assert status == 0, err
    assert ("the target 'y' has 2 distinct numbers only; trained as a regression, as --task "
            "regression asks (without it, 2 classes)") in err
    _, _, bundle = Bundle.load(tmp_path / "m.npz")
    assert bundle.task == "regression" and bundle.label_names == []


def test_task_classification_of_a_continuous_target_warns(tmp_path):
    data = rule_table(tmp_path, [f"{k * 0.37:.2f}" for k in range(30)])
    status, _, err = run(["train", data, "--target", "y", "--out", tmp_path / "m.npz",
                          "--epochs", 1, "--quiet", "--task", "classification"])
    assert status == 0, err
    assert ("warning: " in err and "the target 'y' looks continuous (30 distinct numbers in 30 "
            "rows, some fractional); trained as 30 classes") in err


def test_task_regression_refuses_a_target_that_is_not_numbers(tmp_path):
    targets = [f"{k * 0.5}" for k in range(30)]
    targets[6] = "lots"
    data = rule_table(tmp_path, targets)
    err = refusal(["train", data, "--target", "y", "--out", tmp_path / "m.npz",
                   "--task", "regression"])
    assert ("the target 'y' is 'lots' on line 8, not a finite number; a regression (--task "
            "regression) needs numbers") in err
    targets[6] = "\"1,5\""
    data = rule_table(tmp_path, targets)
    err = refusal(["train", data, "--target", "y", "--out", tmp_path / "m.npz",
                   "--task", "regression"])
    assert "(numbers written with a decimal comma need --decimal ,)" in err
    targets[6] = "inf"
    data = rule_table(tmp_path, targets)
    err = refusal(["train", data, "--target", "y", "--out", tmp_path / "m.npz",
                   "--task", "regression"])
    assert "the target 'y' is 'inf' on line 8, not a finite number" in err


def test_a_constant_target_is_refused_for_a_regression(tmp_path):
    data = rule_table(tmp_path, ["2.5"] * 30)
    err = one_line_error(["train", data, "--target", "y", "--out", tmp_path / "m.npz",
                          "--task", "regression"])
    assert "the target 'y' holds one value only (2.5); a regression needs at least two" in err


def test_empty_target_cells_are_refused_or_left_out_as_for_classes(tmp_path):
    targets = [f"{k * 0.37:.2f}" for k in range(40)]
    targets[4] = ""
    data = rule_table(tmp_path, targets)
    err = refusal(["train", data, "--target", "y", "--out", tmp_path / "m.npz"])
    assert "the target 'y' is empty on 1 row(s) (the first on line 6) (--drop-missing-target)" \
        in err
    status, _, err = run(["train", data, "--target", "y", "--out", tmp_path / "m.npz",
                          "--epochs", 1, "--quiet", "--drop-missing-target"])
    assert status == 0 and "left out 1 row(s) whose target 'y' is empty" in err
    _, _, bundle = Bundle.load(tmp_path / "m.npz")
    assert bundle.task == "regression"
    assert bundle.training["dropped_rows_missing_target"] == 1


@pytest.mark.parametrize(("option", "named"), [
    (["--class-weight", "balanced"], "--class-weight"),
    (["--label-smoothing", "0.1"], "--label-smoothing"),
])
def test_classification_options_are_refused_for_a_regression(tmp_path, option, named):
    data = rule_table(tmp_path, [f"{k * 0.37:.2f}" for k in range(30)])
    err = one_line_error(["train", data, "--target", "y", "--out", tmp_path / "m.npz", *option])
    assert f"{named} is for classifiers only; the target is continuous, so train fits a " \
           f"regression (--task classification classifies it)" in err
    err = one_line_error(["train", data, "--target", "y", "--out", tmp_path / "m.npz", *option,
                          "--task", "regression"])
    assert f"{named} is for classifiers only; train fits a regression (--task regression)" in err


def test_predict_proba_and_evaluate_plot_are_refused_for_a_regression(houses, tmp_path):
    err = one_line_error(["predict", houses["model"], houses["new"], "--proba"])
    assert "--proba:" in err and "is a regression of ['price']" in err
    err = one_line_error(["evaluate", houses["model"], houses["new"], "--plot",
                          tmp_path / "c.png"])
    assert "--plot draws a confusion matrix, which only a classifier has" in err


# --------------------------------------------------------------------------- several targets


def test_several_targets_make_one_regression(tmp_path):
    rng = np.random.default_rng(1)
    X = rng.normal(size=(300, 2))
    a = 3 * X[:, 0] - X[:, 1] + rng.normal(0, 0.1, 300)
    b = 100 + 20 * X[:, 1] ** 2 + rng.normal(0, 1, 300)
    # b holds whole numbers only: several targets make a regression all the same.
    rows = [[f"{u:.4f}", f"{v:.4f}", f"{p:.3f}", f"{round(q)}"] for (u, v), p, q in zip(X, a, b)]
    data = write(tmp_path / "d.csv", table(["u", "v", "a", "b"], rows[:250]))
    new = write(tmp_path / "n.csv", table(["u", "v", "a", "b"], rows[250:]))
    model = tmp_path / "m.npz"
    status, out, err = run(["train", data, "--target", "a", "--target", "b", "--out", model,
                            "--epochs", 200, "--quiet"])
    assert status == 0, err
    assert "train 'a': RMSE" in out and "validation 'b': RMSE" in out
    _, _, bundle = Bundle.load(model)
    assert bundle.targets == ["a", "b"] and bundle.network.layer_dims[-1] == 2
    assert bundle.column_names == ["u", "v"]
    status, out, err = run(["predict", model, new, "--out", tmp_path / "p.csv"])
    assert status == 0, err
    header, predicted = read_csv(tmp_path / "p.csv")
    assert header == ["predicted_a", "predicted_b"]
    P = np.array(predicted, dtype=float).T
    Y = np.array([[float(r[2]), float(r[3])] for r in rows[250:]]).T
    status, out, err = run(["evaluate", model, new])
    assert status == 0, err
    assert "(50 rows, targets ['a', 'b'])" in out.splitlines()[0]
    printed = evaluate_table(out)
    assert list(printed) == ["a", "b", "mean"]
    computed = [scores_from_numpy(y, p) for y, p in zip(Y, P)]
    for name, numbers in zip("ab", computed):
        np.testing.assert_allclose(printed[name][:2], numbers[:2], rtol=1e-5)
        assert printed[name][2] == pytest.approx(numbers[2], abs=5e-5)
    assert printed["mean"][2] == pytest.approx(np.mean([c[2] for c in computed]), abs=5e-5)
    assert min(c[2] for c in computed) > 0.8
    err = one_line_error(["evaluate", model, new, "--target", "a"])
    assert "predicts 2 target(s) ['a', 'b'], one --target each, in that order" in err
    err = one_line_error(["train", data, "--target", "a", "--target", "b", "--out", model,
                          "--task", "classification"])
    assert "--task classification takes one --target" in err
    err = one_line_error(["train", data, "--target", "a", "--target", "a", "--out", model])
    assert "--target a is given more than once" in err


def test_the_onnx_value_of_several_targets_matches_predict(tmp_path):
    pytest.importorskip("onnx")
    ort = pytest.importorskip("onnxruntime")
    rng = np.random.default_rng(2)
    X = rng.normal(size=(80, 2))
    rows = [[f"{u:.4f}", f"{v:.4f}", f"{u * 1e4 + 5e5:.2f}", f"{-v:.5f}"] for u, v in X]
    data = write(tmp_path / "d.csv", table(["u", "v", "a", "b"], rows))
    model = tmp_path / "m.npz"
    status, _, err = run(["train", data, "--target", "a", "--target", "b", "--out", model,
                          "--epochs", 5, "--quiet", "--dtype", "float64"])
    assert status == 0, err
    assert run(["export", model, tmp_path / "m.onnx"])[0] == 0
    assert run(["predict", model, data, "--out", tmp_path / "p.csv"])[0] == 0
    predicted = np.array(read_csv(tmp_path / "p.csv")[1], dtype=float)
    session = ort.InferenceSession(str(tmp_path / "m.onnx"), providers=["CPUExecutionProvider"])
    value, = session.run(["predictions"], {"u": X[:, :1].round(4).astype(np.float32),
                                     "v": X[:, 1:].round(4).astype(np.float32)})
    assert value.shape == (80, 2)
    _, _, bundle = Bundle.load(model)
    # The graph is float32 inside; a float64 model's predict is not: 1e-5 of each target's
    # standard deviation.
    np.testing.assert_allclose(value / bundle.target_scale, predicted / bundle.target_scale,
                               rtol=0, atol=1e-5)


# --------------------------------------------------------------------------- scores and files


def test_the_scores_merged_over_chunks_are_the_whole_tables():
    rng = np.random.default_rng(3)
    Y = 1e6 + rng.normal(size=(2, 1000))  # far from 0: sum(y^2) - m mean^2 would cancel
    P = Y + rng.normal(0, 0.3, size=Y.shape)
    scores = RegressionScores(2)
    for start, stop in ((0, 1), (1, 300), (300, 300), (300, 1000)):
        scores.add(Y[:, start:stop], P[:, start:stop])
    for k in range(2):
        rmse, mae, r2 = scores_from_numpy(Y[k], P[k])
        assert scores.rmse()[k] == pytest.approx(rmse, rel=1e-12)
        assert scores.mae()[k] == pytest.approx(mae, rel=1e-12)
        assert scores.r2()[k] == pytest.approx(r2, rel=1e-9)
    constant = RegressionScores(1)
    constant.add(np.full((1, 5), 2.0), np.ones((1, 5)))
    assert np.isnan(constant.r2()[0]) and constant.rmse()[0] == 1.0


@pytest.mark.parametrize(("change", "match"), [
    (lambda m: m.update(target_scale=-m["target_scale"]), "target_scale must be > 0"),
    (lambda m: m.update(target_mean=np.zeros(2)), "target_mean must be a finite float array"),
    (lambda m: m.update(targets=["a", "b"]), "targets must be 1 distinct names"),
    (lambda m: m.update(targets=["other"]), "the first the target"),
    (lambda m: m.pop("target_mean"), "target_mean must be"),
])
def test_invalid_regression_bundles_are_refused(houses, tmp_path, change, match):
    from scratchnn.io import load_with_metadata, save

    network, metadata = load_with_metadata(houses["model"])
    change(metadata)
    save(network, tmp_path / "bad.npz", metadata=metadata)
    err = one_line_error(["predict", tmp_path / "bad.npz", houses["new"]])
    assert "is not a model written by `scratchnn train`" in err and match in err


def test_task_is_validated_and_info_names_a_classifiers_task(tmp_path):
    data = rule_table(tmp_path, [str(k % 3) for k in range(30)])
    status, _, err = run(["train", data, "--target", "y", "--out", tmp_path / "m.npz",
                          "--task", "ranking"])
    assert status == 2 and "invalid choice: 'ranking'" in err
    status, _, err = run(["train", data, "--target", "y", "--out", tmp_path / "m.npz",
                          "--epochs", 1, "--quiet"])
    assert status == 0, err
    status, out, _ = run(["info", tmp_path / "m.npz"])
    assert "Task: classification of 'y' (3 labels)" in out and "Model: ClassifierNN" in out


def test_a_decimal_comma_target_with_decimal_comma_and_evaluate_reads_it_the_same_way(tmp_path):
    rng = np.random.default_rng(4)
    x = rng.normal(size=120)
    y = 2 * x + 10 + rng.normal(0, 0.05, 120)
    rows = [[f"{u:.4f}".replace(".", ","), f"{v:.4f}".replace(".", ",")] for u, v in zip(x, y)]
    data = write(tmp_path / "d.csv", table(["x", "y"], rows, sep=";"))
    model = tmp_path / "m.npz"
    status, _, err = run(["train", data, "--target", "y", "--out", model, "--epochs", 100,
                          "--quiet", "--val-split", 0])
    assert status == 0, err
    assert "hold numbers written with a decimal comma" in err
    _, _, bundle = Bundle.load(model)
    assert bundle.task == "regression" and bundle.reading["decimal"] == ","
    assert bundle.target_mean[0] == pytest.approx(np.round(y, 4).mean(), rel=1e-12)
    # evaluate reads the target in a column of another name, with the decimal comma stored.
    renamed = write(tmp_path / "e.csv", table(["x", "truth"], rows, sep=";"))
    status, out, err = run(["evaluate", model, renamed, "--target", "truth"])
    assert status == 0, err
    assert evaluate_table(out)["truth"][2] > 0.95


def test_a_target_alone_written_with_decimal_commas_asks_how_to_read_it(tmp_path):
    rows = [[k % 7, f"\"{k * 0.37:.2f}\"".replace(".", ",")] for k in range(40)]
    data = write(tmp_path / "d.csv", table(["x", "y"], rows))
    err = refusal(["train", data, "--target", "y", "--out", tmp_path / "m.npz"])
    assert ("the target 'y' holds numbers written with a decimal comma (40 distinct): read so, "
            "they are continuous and train fits a regression; read as text, each is a class "
            "(--decimal , or --task classification)") in err
    status, _, err = run(["train", data, "--target", "y", "--out", tmp_path / "m.npz",
                          "--decimal", ",", "--epochs", 1, "--quiet", "--val-split", 0])
    assert status == 0, err
    _, _, bundle = Bundle.load(tmp_path / "m.npz")
    assert bundle.task == "regression"
    assert bundle.target_mean[0] == pytest.approx(np.mean([round(k * 0.37, 2)
                                                           for k in range(40)]), rel=1e-12)


def test_a_row_is_left_out_when_any_of_several_targets_is_empty(tmp_path):
    rows = [[f"{np.sin(k):.3f}", f"{k * 0.37:.2f}", f"{k * 1.7:.1f}"] for k in range(40)]
    rows[5][2] = ""
    data = write(tmp_path / "d.csv", table(["x", "a", "b"], rows))
    argv = ["train", data, "--target", "a", "--target", "b", "--out", tmp_path / "m.npz"]
    err = refusal(argv)
    assert "a target of ['a', 'b'] is empty on 1 row(s) (the first on line 7)" in err
    status, _, err = run([*argv, "--drop-missing-target", "--epochs", 1, "--quiet"])
    assert status == 0, err
    assert "left out 1 row(s) where a target of ['a', 'b'] is empty" in err
    assert Bundle.load(tmp_path / "m.npz")[2].training["training_rows"] == 31  # 39 less 20%


def test_the_history_keeps_the_validation_r2_of_each_epoch(tmp_path):
    data = rule_table(tmp_path, [f"{np.sin(k) * 3 + 0.01 * k:.3f}" for k in range(60)])
    model = tmp_path / "m.npz"
    status, _, err = run(["train", data, "--target", "y", "--out", model, "--epochs", 4,
                          "--quiet", "--no-early-stopping"])
    assert status == 0, err
    _, metadata, bundle = Bundle.load(model)
    assert metadata["val_costs"].shape == metadata["val_r2"].shape == (4,)
    assert "val_accuracy" not in metadata
    # The last epoch's R² is the validation R² train reports (the last weights are kept).
    assert metadata["val_r2"][-1] == pytest.approx(bundle.training["validation_r2"], abs=1e-5)


def test_evaluate_without_the_target_column_and_several_targets_with_a_word(houses, tmp_path):
    rows = [row[:-1] for row in houses["new_rows"]]
    data = write(tmp_path / "n.csv", table(HEADER[:-1], rows))
    err = one_line_error(["evaluate", houses["model"], data])
    assert "no target column(s) ['price'] (--target)" in err
    rows = [[f"{np.sin(k):.3f}", f"{k * 0.37:.2f}", "big" if k == 3 else str(k)]
            for k in range(30)]
    data = write(tmp_path / "d.csv", table(["x", "a", "b"], rows))
    err = refusal(["train", data, "--target", "a", "--target", "b", "--out", tmp_path / "m.npz"])
    assert ("the target 'b' is 'big' on line 5, not a finite number; a regression (several "
            "--target) needs numbers") in err


def test_a_bundle_whose_network_is_of_the_other_task_is_refused(houses, tmp_path):
    from scratchnn import ClassifierNN, RegressorNN
    from scratchnn.io import load_with_metadata, save

    network, metadata = load_with_metadata(houses["model"])
    dims = network.layer_dims
    classifier = ClassifierNN(dims, ["relu"] * (len(dims) - 2) + ["sigmoid"], seed=0)
    save(classifier, tmp_path / "bad.npz", metadata=metadata)
    err = one_line_error(["predict", tmp_path / "bad.npz", houses["new"]])
    assert "its task is 'regression' but its network a ClassifierNN" in err
    metadata.update(task="classification", label_names=["a", "b"])
    regressor = RegressorNN(dims, ["relu"] * (len(dims) - 2) + ["linear"], seed=0)
    save(regressor, tmp_path / "bad.npz", metadata=metadata)
    err = one_line_error(["predict", tmp_path / "bad.npz", houses["new"]])
    assert "its task is 'classification' but its network a RegressorNN" in err


@pytest.mark.parametrize(("targets", "said"), [
    ([f"{k % 10 / 2}" for k in range(40)], "holds 10 distinct numbers, some fractional; trained "
                                            "as 10 classes by the rule of --task auto"),
    ([str(k % 12) for k in range(40)], "holds 12 distinct numbers; trained as 12 classes"),
    ([str(k % 5) for k in range(40)], None),  # a few whole numbers: plainly classes
])
def test_numbers_classified_by_the_rule_get_a_note_near_the_line(tmp_path, targets, said):
    data = rule_table(tmp_path, targets)
    status, _, err = run(["train", data, "--target", "y", "--out", tmp_path / "m.npz",
                          "--epochs", 1, "--quiet"])
    assert status == 0, err
    if said is None:
        assert "distinct numbers" not in err
    else:
        assert f"note: {data}: the target 'y' {said}" in err
        assert "(--task regression predicts the numbers)" in err


def test_predict_to_parquet_keeps_every_digit_of_the_values(houses, tmp_path):
    pytest.importorskip("pyarrow")
    import pandas

    out = tmp_path / "p.parquet"
    status, _, err = run(["predict", houses["model"], houses["new"], "--out", out])
    assert status == 0, err
    frame = pandas.read_parquet(out)
    assert list(frame.columns) == ["house", "predicted_price"]
    assert frame["predicted_price"].dtype == np.float64
    _, rows = read_csv(houses["predictions"])
    np.testing.assert_array_equal(frame["predicted_price"].to_numpy(),
                                  [float(row[1]) for row in rows])


def test_a_table_of_targets_only_is_refused_naming_every_target(tmp_path):
    data = write(tmp_path / "t.csv", table(["a", "b"], [[1.5, 2.5], [3.5, 4.5], [5.5, 6.5]]))
    assert one_line_error(["train", data, "--target", "a", "--target", "b", "--out",
                           tmp_path / "m.npz"]) == (
        f"scratchnn: error: {data}: no feature columns besides the targets ['a', 'b']\n")
