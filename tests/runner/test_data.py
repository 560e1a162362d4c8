"""Data splits, label coding, column checks, transforms and govkit.yaml mistakes."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
import yaml

from govkit.cli import main
from govkit.errors import ConfigError, InputError
from govkit.project import load_project_file
from govkit.runner import execute_run
from govkit.runner.data import load_data, read_table
from govkit.runner.encode import derive_feature_groups
from tests.runner.helpers import ACCURACY_SUITE, FEATURES, make_frame, write_project

PRED_MODEL = {"predictions": {"label": "pred_label", "score": "pred_score"}}


def _planted_accuracy(frame: pd.DataFrame) -> float:
    return float((frame["pred_label"] == frame["label"]).mean())


def _accuracy(config: Path) -> float:
    report = execute_run(load_project_file(config), quiet=True).report
    result = report.result("test.accuracy")
    assert result is not None
    value = next(m.value for m in result.measurements if m.name == "accuracy" and m.group is None)
    assert value is not None
    return value


@pytest.mark.parametrize("suffix", ["csv", "parquet", "npz"])
def test_every_file_type_reads_the_same(tmp_path: Path, suffix: str) -> None:
    frame = make_frame()
    path = tmp_path / f"eval.{suffix}"
    if suffix == "csv":
        frame.to_csv(path, index=False)
    elif suffix == "parquet":
        frame.to_parquet(path)
    else:
        np.savez(
            path,
            X=frame[FEATURES].to_numpy(np.float32),
            y=frame["label"].to_numpy(),
            sex=frame["sex"].to_numpy(str),
            race=frame["race"].to_numpy(str),
            pred_label=frame["pred_label"].to_numpy(),
            pred_score=frame["pred_score"].to_numpy(),
        )
    data = {
        "eval": path.name,
        "label": "y" if suffix == "npz" else "label",
        "features": FEATURES,
        "sensitive": ["sex", "race"],
    }
    config = write_project(tmp_path, model=PRED_MODEL, data=data, suite=ACCURACY_SUITE, frame=frame)
    assert _accuracy(config) == pytest.approx(_planted_accuracy(frame))


def test_npz_columns_and_names(tmp_path: Path) -> None:
    x = np.arange(12, dtype=np.float32).reshape(4, 3)
    np.savez(tmp_path / "a.npz", X=x, y=np.array([0, 1, 0, 1]))
    assert list(read_table(tmp_path / "a.npz", "a.npz").columns) == ["x0", "x1", "x2", "y"]
    np.savez(tmp_path / "b.npz", X=x, feature_names=np.array(["a", "b", "c"]))
    assert list(read_table(tmp_path / "b.npz", "b.npz").columns) == ["a", "b", "c"]
    assert list(read_table(tmp_path / "a.npz", "a.npz", features=["p", "q", "r"]).columns)[:3] == [
        "p",
        "q",
        "r",
    ]


@pytest.mark.parametrize(
    ("arrays", "message"),
    [
        ({"y": np.zeros(3)}, "needs an array named 'X'"),
        ({"X": np.zeros((3, 2)), "s": np.zeros(4)}, "one value per row"),
        ({"X": np.zeros((3, 2)), "s": np.array([{"a": 1}] * 3, dtype=object)}, "unpickling"),
    ],
)
def test_bad_npz(tmp_path: Path, arrays: dict[str, Any], message: str) -> None:
    np.savez(tmp_path / "bad.npz", **arrays)
    with pytest.raises(InputError, match=message):
        read_table(tmp_path / "bad.npz", "bad.npz")


def test_unreadable_and_empty_tables(tmp_path: Path) -> None:
    (tmp_path / "empty.csv").write_text("a,b\n")
    with pytest.raises(InputError, match="no rows"):
        read_table(tmp_path / "empty.csv", "empty.csv")
    (tmp_path / "bad.parquet").write_bytes(b"not parquet")
    with pytest.raises(InputError, match="cannot read"):
        read_table(tmp_path / "bad.parquet", "bad.parquet")


def test_positive_label_maps_text_labels(tmp_path: Path) -> None:
    frame = make_frame()
    frame["pred_text"] = np.where(frame["pred_label"] == 1, ">50K", "<=50K")
    data = {"eval": "eval.csv", "label": "income", "positive_label": ">50K", "sensitive": ["sex"]}
    model = {"predictions": {"label": "pred_text", "score": "pred_score"}}
    config = write_project(tmp_path, model=model, data=data, suite=ACCURACY_SUITE, frame=frame)
    loaded = load_data(load_project_file(config), check_features=False)
    np.testing.assert_array_equal(loaded.eval.y_true, frame["label"].to_numpy())
    assert loaded.coding.class_names == ["<=50K", ">50K"]
    assert _accuracy(config) == pytest.approx(_planted_accuracy(frame))


def _config_error(config: Path) -> ConfigError:
    with pytest.raises(ConfigError) as info:
        load_data(load_project_file(config), check_features=True)
    return info.value


def test_positive_label_not_in_the_data(tmp_path: Path) -> None:
    data = {"eval": "eval.csv", "label": "income", "positive_label": ">50k"}
    err = _config_error(write_project(tmp_path, model=PRED_MODEL, data=data, suite=ACCURACY_SUITE))
    d = err.diagnostics[0]
    assert d.field == "data.positive_label" and d.line is not None and "'>50K'" in d.message


def test_binary_labels_must_be_two_values(tmp_path: Path) -> None:
    data = {"eval": "eval.csv", "label": "level", "positive_label": "high"}
    err = _config_error(write_project(tmp_path, model=PRED_MODEL, data=data, suite=ACCURACY_SUITE))
    assert "a binary task needs two" in err.diagnostics[0].message
    assert "multiclass" in (err.diagnostics[0].hint or "")


def test_text_labels_need_a_positive_label(tmp_path: Path) -> None:
    data = {"eval": "eval.csv", "label": "income"}
    err = _config_error(write_project(tmp_path, model=PRED_MODEL, data=data, suite=ACCURACY_SUITE))
    assert "other than 0/1" in err.diagnostics[0].message
    assert "positive_label" in (err.diagnostics[0].hint or "")


def test_missing_label_values(tmp_path: Path) -> None:
    frame = make_frame()
    frame["label"] = frame["label"].astype(float)
    frame.loc[3, "label"] = np.nan
    err = _config_error(
        write_project(tmp_path, model=PRED_MODEL, suite=ACCURACY_SUITE, frame=frame)
    )
    assert "1 missing value" in err.diagnostics[0].message


def test_bool_labels(tmp_path: Path) -> None:
    frame = make_frame()
    frame["label"] = frame["label"].astype(bool)
    frame.to_parquet(tmp_path / "eval.parquet")
    data = {"eval": "eval.parquet", "label": "label", "sensitive": ["sex"]}
    config = write_project(tmp_path, model=PRED_MODEL, data=data, suite=ACCURACY_SUITE)
    assert _accuracy(config) == pytest.approx(_planted_accuracy(frame))


@pytest.mark.parametrize(
    ("key", "value", "field", "guess"),
    [
        ("label", "labl", "data.label", "label"),
        ("features", ["x1", "xx2", "x3"], "data.features[1]", "x2"),
        ("sensitive", ["sex", "rac"], "data.sensitive[1]", "race"),
        ("proxies", ["x_1"], "data.proxies[0]", "x1"),
        ("quasi_identifiers", ["sexx"], "data.quasi_identifiers[0]", "sex"),
    ],
)
def test_unknown_data_columns(tmp_path: Path, key: str, value: Any, field: str, guess: str) -> None:
    data: dict[str, Any] = {"eval": "eval.csv", "label": "label", "features": FEATURES}
    data[key] = value
    err = _config_error(
        write_project(tmp_path, model={"path": "m.pt2"}, data=data, suite=ACCURACY_SUITE)
    )
    d = err.diagnostics[0]
    assert d.field == field and d.line is not None and d.path.endswith("govkit.yaml")
    assert "eval.csv" in d.message and f"did you mean '{guess}'" in (d.hint or "")


@pytest.mark.parametrize(
    ("key", "field"), [("label", "model.predictions.label"), ("score", "model.predictions.score")]
)
def test_unknown_prediction_columns(tmp_path: Path, key: str, field: str) -> None:
    model = {"predictions": {"label": "pred_label", "score": "pred_score"}}
    model["predictions"][key] = "pred_" + key + "s"
    err = _config_error(write_project(tmp_path, model=model, suite=ACCURACY_SUITE))
    assert err.diagnostics[0].field == field and "did you mean" in (err.diagnostics[0].hint or "")


def test_every_unknown_column_is_reported_at_once(tmp_path: Path) -> None:
    data = {"eval": "eval.csv", "label": "lbl", "features": ["x9"], "sensitive": ["gender"]}
    err = _config_error(
        write_project(tmp_path, model={"path": "m.pt2"}, data=data, suite=ACCURACY_SUITE)
    )
    assert [d.field for d in err.diagnostics] == [
        "data.label",
        "data.features[0]",
        "data.sensitive[0]",
    ]


def test_train_split_columns_are_checked(tmp_path: Path) -> None:
    make_frame(seed=1).drop(columns=["x2"]).to_csv(tmp_path / "train.csv", index=False)
    data = {"eval": "eval.csv", "train": "train.csv", "label": "label", "features": FEATURES}
    err = _config_error(
        write_project(tmp_path, model={"path": "m.pt2"}, data=data, suite=ACCURACY_SUITE)
    )
    assert "train.csv" in err.diagnostics[0].message


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda f: f.assign(x2=f["sex"]), "is not numeric"),
        (lambda f: f.assign(x2=f["x2"].where(f.index != 5)), "missing value"),
    ],
)
def test_features_must_be_numeric_and_complete(tmp_path: Path, change: Any, message: str) -> None:
    config = write_project(
        tmp_path, model={"path": "m.pt2"}, suite=ACCURACY_SUITE, frame=change(make_frame())
    )
    assert message in _config_error(config).diagnostics[0].message


def test_missing_data_file_exits_2_with_the_path(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    data = {"eval": "data/nope.csv", "label": "label"}
    config = write_project(tmp_path, model=PRED_MODEL, data=data, suite=ACCURACY_SUITE)
    assert main(["check", "-c", str(config)]) == 2
    err = capsys.readouterr().err
    assert "data/nope.csv" in err and "data.eval" in err and "Traceback" not in err


def test_unsupported_data_suffix(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "eval.xlsx").write_bytes(b"x")
    config = write_project(
        tmp_path, model=PRED_MODEL, data={"eval": "eval.xlsx", "label": "y"}, suite=ACCURACY_SUITE
    )
    assert main(["check", "-c", str(config)]) == 2
    assert "unsupported data file type" in capsys.readouterr().err


# --- govkit.yaml mistakes, through the command ------------------------------------------------


def _write_raw(tmp_path: Path, cfg: dict[str, Any]) -> Path:
    write_project(tmp_path, model=PRED_MODEL, suite=ACCURACY_SUITE)
    base = yaml.safe_load((tmp_path / "govkit.yaml").read_text())
    for dotted, value in cfg.items():
        node = base
        *parents, last = dotted.split(".")
        for p in parents:
            node = node[p]
        if value is _DELETE:
            del node[last]
        else:
            node[last] = value
    (tmp_path / "govkit.yaml").write_text(yaml.safe_dump(base, sort_keys=False))
    return tmp_path / "govkit.yaml"


_DELETE = object()


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        ({"seed": "abc"}, "seed: expected an integer"),
        ({"modle": {}}, "unknown key 'modle'"),
        ({"data.label": _DELETE}, "data.label"),
        ({"data.sensitive": "sex"}, "expected a list"),
        ({"model.batch_size": 0}, "model.batch_size"),
        ({"model.task": "regression"}, "model.task"),
        ({"model.factory": "not a ref"}, "expected 'package.module:function'"),
        ({"data.transform": "pkg.mod"}, "expected 'package.module:function'"),
        ({"device": "gpu"}, "expected auto, cpu, cuda or cuda:N"),
        (
            {
                "waivers": [
                    {
                        "check": "test.accuracy",
                        "owner": "a",
                        "justification": "long enough",
                        "expires": "soon",
                    }
                ]
            },
            "date",
        ),
        ({"suite": "no_such_suite"}, "neither a built-in suite"),
        ({"govkit": 2}, "govkit"),
    ],
)
def test_bad_project_file(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], change: dict[str, Any], expected: str
) -> None:
    config = _write_raw(tmp_path, change)
    assert main(["check", "-c", str(config), "-q"]) == 2
    err = capsys.readouterr().err
    assert expected in err and "Traceback" not in err
    assert "govkit.yaml" in err


def test_missing_project_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["check", "-c", str(tmp_path / "govkit.yaml")]) == 2
    assert "no such file" in capsys.readouterr().err


# --- transforms --------------------------------------------------------------------------------

TRANSFORM_SOURCE = """
import numpy as np
import torch


def encode(frame):
    sex = frame["sex"].to_numpy()
    cols = [frame["x1"].to_numpy(), frame["x2"].to_numpy(), frame["x3"].to_numpy(),
            (sex == "Female").astype("float32"), (sex == "Male").astype("float32")]
    names = ["x1", "x2", "x3", "sex=Female", "sex=Male"]
    return torch.tensor(np.stack(cols, 1), dtype=torch.float32), names


def plain(frame):
    return torch.tensor(frame[["x1", "x2", "x3"]].to_numpy("float32"))


plain.feature_groups = {"first_two": [0, 1], "third": [2]}


def broken(frame):
    raise KeyError("zip_code")


def wrong_rows(frame):
    return torch.zeros(3, 2)
"""


def _linear_model(path: Path, in_dim: int) -> None:
    import torch

    torch.manual_seed(0)
    model = torch.nn.Linear(in_dim, 1).eval()
    torch.jit.trace(model, (torch.zeros(2, in_dim),)).save(str(path))


@pytest.mark.parametrize(
    ("fn", "in_dim", "groups"),
    [
        ("encode", 5, {"x1": [0], "x2": [1], "x3": [2], "sex": [3, 4]}),
        ("plain", 3, {"first_two": [0, 1], "third": [2]}),
    ],
)
def test_transform_names_and_groups(
    tmp_path: Path, fn: str, in_dim: int, groups: dict[str, list[int]]
) -> None:
    mod = f"transform_{fn}_{abs(hash(str(tmp_path))) % 10**8}"
    (tmp_path / f"{mod}.py").write_text(TRANSFORM_SOURCE)
    _linear_model(tmp_path / "model.pt", in_dim)
    data = {"eval": "eval.csv", "label": "label", "transform": f"{mod}:{fn}", "sensitive": ["sex"]}
    config = write_project(
        tmp_path, model={"path": "model.pt"}, data=data, suite=[{"id": "test.model"}]
    )
    report = execute_run(load_project_file(config), quiet=True).report
    result = report.result("test.model")
    assert result is not None
    assert result.status == "pass", result.message
    assert result.details["feature_groups"] == groups
    if fn == "plain":
        # without names from the transform or data.features, inputs are numbered
        assert result.details["feature_names"] == ["x0", "x1", "x2"]


@pytest.mark.parametrize(
    ("fn", "expected"),
    [
        ("broken", "KeyError: 'zip_code'"),
        ("wrong_rows", "one row per data row"),
        ("nothing_here", "has no attribute"),
    ],
)
def test_bad_transform(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], fn: str, expected: str
) -> None:
    mod = f"transform_bad_{abs(hash(str(tmp_path))) % 10**8}"
    (tmp_path / f"{mod}.py").write_text(TRANSFORM_SOURCE)
    _linear_model(tmp_path / "model.pt", 3)
    data = {"eval": "eval.csv", "label": "label", "transform": f"{mod}:{fn}"}
    config = write_project(tmp_path, model={"path": "model.pt"}, data=data, suite=ACCURACY_SUITE)
    assert main(["check", "-c", str(config), "-q"]) == 2
    err = capsys.readouterr().err
    assert expected in err and "Traceback" not in err


def test_feature_groups_from_one_hot_names() -> None:
    assert derive_feature_groups(["age", "sex=F", "sex=M", "race=A"]) == {
        "age": [0],
        "sex": [1, 2],
        "race": [3],
    }
