"""The command line on generated CSV files and options: exit 0, or 1 or 2 with a one-line message.

Whatever the file holds (numbers, words, blanks, ragged rows, odd headers) and whatever the
options, ``scratchnn`` must finish with status 0, or 1 (a data/model error) or 2 (a usage error),
printing a single ``scratchnn: error: ...`` line (argparse's usage text for 2), never a traceback.
"""


import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from cli_run import run

SETTINGS = settings(deadline=None, suppress_health_check=[HealthCheck.too_slow,
                                                        HealthCheck.function_scoped_fixture])
NAMES = st.sampled_from(["a", "b", "c", "label", "", " a", "x,y", "é"])
CELLS = st.one_of(st.floats(allow_nan=True, allow_infinity=True).map(repr),
                  st.integers(-3, 3).map(str), st.sampled_from(["", "cat", "dog", "1e999", "nan",
                                                                "  2 ", '"q"']))


def mostly(valid, invalid, one_in=8):
    return st.integers(0, one_in - 1).flatmap(lambda i: invalid if i == 0 else valid)


@st.composite
def csv_text(draw):
    names = draw(mostly(st.just(["a", "b", "label"]), st.lists(NAMES, min_size=0, max_size=4)))
    n_rows = draw(st.integers(0, 8))
    rows = []
    for _ in range(n_rows):
        if names == ["a", "b", "label"] and draw(st.integers(0, 5)) > 0:
            rows.append([repr(draw(st.floats(-3, 3))), repr(draw(st.floats(-3, 3))),
                         draw(st.sampled_from(["cat", "dog", "bird"]))])
        else:
            rows.append(draw(st.lists(CELLS, min_size=0, max_size=4)))
    return "\n".join(",".join(row) for row in [names] + rows) + "\n"


def check_outcome(status, err):
    assert "Traceback" not in err
    event(f"exit {status}")
    if status == 0:
        return
    assert status in (1, 2), status
    if status == 1:
        # One error line, or a table refused for several reasons: a line for each and the
        # command to run instead; warnings and notes come only once the data has passed every
        # check.
        lines = err.strip().splitlines()
        assert lines[0].startswith("scratchnn: error: "), err
        if len(lines) > 1:
            assert lines[0].endswith("problem(s) to fix before training:"), err
            assert all(line.startswith(("  - ", "run instead:", "  scratchnn "))
                       for line in lines[1:]), err
    else:
        assert "error:" in err


OPTIONS = st.lists(st.one_of(
    st.tuples(st.just("--epochs"), mostly(st.sampled_from(["1", "2"]), st.sampled_from(
        ["0", "-1", "x", "1.5"]))),
    st.tuples(st.just("--hidden"), mostly(st.sampled_from(["3", "4"]), st.sampled_from(
        ["0", "-2", "a"]))),
    st.tuples(st.just("--lr"), mostly(st.sampled_from(["0.1", "0.01"]), st.sampled_from(
        ["0", "-1", "nan", "inf", "x"]))),
    st.tuples(st.just("--dropout"), mostly(st.sampled_from(["0", "0.2"]), st.sampled_from(
        ["1", "-0.1", "x"]))),
    st.tuples(st.just("--val-split"), mostly(st.sampled_from(["0.25", "0.5"]), st.sampled_from(
        ["0", "1", "2", "x"]))),
    st.tuples(st.just("--batch-size"), mostly(st.sampled_from(["2", "64"]), st.sampled_from(
        ["0", "x"]))),
    st.tuples(st.just("--activation"), mostly(st.sampled_from(["relu", "tanh"]),
                                              st.just("swish"))),
    st.tuples(st.just("--optimizer"), mostly(st.sampled_from(["adam", "gd"]), st.just("lbfgs"))),
), max_size=3)


@SETTINGS
@given(text=csv_text(), target=mostly(st.just("label"), NAMES), options=OPTIONS,
       batch_norm=st.booleans())
def test_train_on_generated_csv(tmp_path_factory, text, target, options, batch_norm):
    folder = tmp_path_factory.mktemp("cli")
    data = folder / "data.csv"
    data.write_text(text, encoding="utf-8")
    argv = ["train", str(data), "--target", target, "--out", str(folder / "m.npz"), "--quiet",
            "--epochs", "1"]
    for option, value in options:
        argv += [option, value]
    if batch_norm:
        argv.append("--batch-norm")
    status, _, err = run(argv)
    check_outcome(status, err)
    if status == 0:  # the model it wrote evaluates and predicts on the same file
        for command in (["evaluate", str(folder / "m.npz"), str(data), "--target", target],
                        ["predict", str(folder / "m.npz"), str(data)]):
            status, _, err = run(command)
            check_outcome(status, err)


@pytest.fixture(scope="module")
def trained_model(tmp_path_factory):
    folder = tmp_path_factory.mktemp("model")
    data = folder / "train.csv"
    data.write_text("a,b,label\n" + "\n".join(
        f"{i % 3},{(i * 7) % 5},{'cat' if i % 2 else 'dog'}" for i in range(12)) + "\n")
    status, _, err = run(["train", str(data), "--target", "label", "--out",
                          str(folder / "m.npz"), "--quiet", "--epochs", "2"])
    assert status == 0, err
    return folder / "m.npz"


@SETTINGS
@given(text=csv_text(), proba=st.booleans())
def test_predict_on_generated_csv(tmp_path_factory, trained_model, text, proba):
    data = tmp_path_factory.mktemp("predict") / "data.csv"
    data.write_text(text, encoding="utf-8")
    status, out, err = run(["predict", str(trained_model), str(data)]
                           + (["--proba"] if proba else []))
    check_outcome(status, err)
    if status == 0:
        lines = out.strip().splitlines()
        assert lines[0].split(",")[0] == "predicted_label"
        assert all(line.split(",")[0] in ("cat", "dog") for line in lines[1:])
