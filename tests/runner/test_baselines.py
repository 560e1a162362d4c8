"""Baselines: predictions.parquet, the three kinds of baseline, paired figures, vs thresholds.

Bad input about a baseline is exit 2 at its line in govkit.yaml (or the suite)
and writes nothing.
"""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
import torch

from govkit.cli import main
from govkit.project import load_project_file
from govkit.report import Report
from govkit.runner import execute_run
from govkit.runner.predictions_file import read_predictions, row_keys
from tests.runner.helpers import FEATURES, make_frame, train_tiny, write_project

PRED_MODEL = {"predictions": {"label": "pred_label", "score": "pred_score"}}
CLASSIFICATION = [
    {
        "id": "performance.classification",
        "params": {"n_boot": 200},
        "thresholds": [{"metric": "accuracy", "min": 0.5}],
    }
]


def _run(root: Path, *, suite: list[dict[str, Any]], **kw: Any) -> Report:
    config = write_project(root, suite=suite, **kw)
    return execute_run(load_project_file(config), quiet=True).report


def _figure(report: Report, name: str, **where: Any) -> Any:
    result = report.results[0]
    group = where.pop("group", None)
    hits = [
        m
        for m in result.measurements
        if m.name == name
        and m.group == group
        and m.feature == where.get("feature")
        and m.model == where.get("model")
        and m.vs == where.get("vs")
    ]
    assert len(hits) == 1, hits
    return hits[0]


# --- the row key and predictions.parquet -------------------------------------------------------


def test_row_keys_ignore_column_order_and_dtypes_and_tell_duplicates_apart() -> None:
    frame = make_frame(50)[[*FEATURES, "sex"]]
    frame = pd.concat([frame, frame.iloc[:3]], ignore_index=True)  # three duplicated rows
    keys = row_keys(frame, [*FEATURES, "sex"])
    assert len(set(keys.tolist())) == len(frame)
    other = frame[["sex", *FEATURES[::-1]]].astype({"x1": "float64"})
    other["sex"] = other["sex"].str.upper() + " "
    assert np.array_equal(row_keys(other, ["sex", *FEATURES]), keys)
    assert not np.array_equal(row_keys(frame.assign(x2=frame["x2"] + 1), FEATURES), keys[:50])


def test_check_writes_predictions_without_features_or_labels(tmp_path: Path) -> None:
    report = _run(tmp_path, model=PRED_MODEL, suite=CLASSIFICATION)
    assert report.baselines == []
    path = tmp_path / "out" / "predictions.parquet"
    table = pq.read_table(path)
    assert table.column_names == ["row_key", "label", "score"]
    assert table.num_rows == 300
    frame = make_frame()
    np.testing.assert_allclose(table.column("score").to_numpy(), frame["pred_score"], rtol=1e-6)
    recorded = read_predictions(path)
    assert recorded.task == "binary"
    assert recorded.classes == ["0", "1"]
    # the key covers the features the project names, nothing else
    assert recorded.key_columns == FEATURES
    np.testing.assert_array_equal(recorded.keys, row_keys(frame, FEATURES))


# --- the three kinds of baseline ----------------------------------------------------------------


def _with_weaker_columns(frame: pd.DataFrame, seed: int = 5) -> pd.DataFrame:
    """A baseline column: the candidate's scores with noise, so a worse model."""
    rng = np.random.default_rng(seed)
    logit = np.log(frame["pred_score"] / (1 - frame["pred_score"])) + rng.normal(0, 1.5, len(frame))
    score = 1 / (1 + np.exp(-logit))
    return frame.assign(old_score=score, old_label=(score >= 0.5).astype(int))


def test_recorded_predictions_are_joined_by_row_key(tmp_path: Path) -> None:
    first = tmp_path / "first"
    _run(first, model=PRED_MODEL, suite=CLASSIFICATION)
    second = tmp_path / "second"
    second.mkdir()
    shutil.copy(first / "out" / "predictions.parquet", second / "previous.parquet")
    # the next release's data: the same rows shuffled, columns reordered, written as Parquet
    frame = make_frame().sample(frac=1.0, random_state=3)
    frame[frame.columns[::-1]].to_parquet(second / "eval.parquet")
    data = {"eval": "eval.parquet", "label": "label", "features": FEATURES, "sensitive": ["sex"]}
    report = _run(
        second,
        model=PRED_MODEL,
        data=data,
        suite=CLASSIFICATION,
        baselines=[{"name": "previous", "predictions_file": "previous.parquet"}],
    )
    assert [(b.name, b.source, b.rows_matched, b.rows) for b in report.baselines] == [
        ("previous", "predictions_file", 300, 300)
    ]
    roles = {(a.role, a.path) for a in report.provenance.artifacts}
    assert ("baseline", "previous.parquet") in roles
    # the same predictions, matched row for row: every paired difference is 0 (to the
    # float32 precision of the scores in this Parquet copy of the data)
    diffs = [m for m in report.results[0].measurements if m.vs == "previous"]
    assert len(diffs) == 8 * 3  # eight metrics, overall and for two groups
    assert all(abs(m.value) < 1e-6 for m in diffs if m.value is not None)
    own = _figure(report, "roc_auc", model="previous")
    assert own.value == _figure(report, "roc_auc").value


def test_column_baseline_gives_own_figures_and_paired_differences(tmp_path: Path) -> None:
    frame = _with_weaker_columns(make_frame(1500))
    report = _run(
        tmp_path,
        model=PRED_MODEL,
        frame=frame,
        suite=CLASSIFICATION,
        baselines=[{"name": "old", "predictions": {"label": "old_label", "score": "old_score"}}],
    )
    cand, old = _figure(report, "roc_auc"), _figure(report, "roc_auc", model="old")
    diff = _figure(report, "roc_auc", vs="old")
    assert diff.value == pytest.approx(cand.value - old.value)
    assert diff.value > 0.02
    # the paired interval is narrower than the two separate intervals together
    assert diff.ci[1] - diff.ci[0] < (cand.ci[1] - cand.ci[0]) + (old.ci[1] - old.ci[0])
    for name in ("accuracy", "recall", "brier_score"):
        g = {"sex": "Female"}
        paired = _figure(report, name, group=g, vs="old")
        own = _figure(report, name, group=g, model="old")
        assert paired.value == pytest.approx(_figure(report, name, group=g).value - own.value)
    # existing thresholds judge the candidate alone: its message names no baseline
    assert "old" not in report.results[0].message


def _export(model: torch.nn.Module, path: Path) -> None:
    batch = torch.export.Dim("batch")
    program = torch.export.export(model, (torch.zeros(4, 3),), dynamic_shapes=({0: batch},))
    torch.export.save(program, path)


@pytest.mark.slow  # trains and exports two models
def test_model_baseline_runs_on_the_candidates_inputs(tmp_path: Path) -> None:
    frame = make_frame(600)
    tmp_path.mkdir(exist_ok=True)
    _export(train_tiny(frame, steps=150), tmp_path / "model.pt2")
    _export(train_tiny(frame, steps=3, seed=1), tmp_path / "weak.pt2")
    suite = [
        {
            "id": "performance.classification",
            "params": {"n_boot": 100},
            "thresholds": [{"metric": "roc_auc", "vs": "weak", "min": 0.0, "overall_only": True}],
        }
    ]
    report = _run(
        tmp_path,
        model={"path": "model.pt2", "task": "binary"},
        frame=frame,
        suite=suite,
        baselines=[{"name": "weak", "path": "weak.pt2"}],
    )
    assert report.baselines[0].source == "model"
    assert report.results[0].status == "pass"
    # a barely trained baseline ranks worse than the candidate on the same rows
    diff = _figure(report, "roc_auc", vs="weak")
    assert diff.ci is not None and diff.ci[0] > 0
    assert diff.n == _figure(report, "roc_auc").n


# --- a regression confined to one group ----------------------------------------------------------


def test_a_drop_on_one_group_fails_a_per_group_vs_threshold_and_names_it(tmp_path: Path) -> None:
    """The candidate is sharper on men and noisier on women: overall AUC rises, women's falls."""
    rng = np.random.default_rng(0)
    frame = make_frame(3000)
    logit = np.log(frame["pred_score"] / (1 - frame["pred_score"]))
    base = logit + rng.normal(0, 2.0, len(frame))
    female = (frame["sex"] == "Female").to_numpy()
    cand = np.where(female, logit + rng.normal(0, 2.5, len(frame)), logit)
    score_b, score_c = 1 / (1 + np.exp(-base)), 1 / (1 + np.exp(-cand))
    frame = frame.assign(
        c_score=score_c,
        c_label=(score_c >= 0.5).astype(int),
        b_score=score_b,
        b_label=(score_b >= 0.5).astype(int),
    )
    suite = [
        {
            "id": "performance.classification",
            "params": {"n_boot": 200},
            "thresholds": [{"metric": "roc_auc", "vs": "previous", "min": -0.005}],
        }
    ]
    report = _run(
        tmp_path,
        model={"predictions": {"label": "c_label", "score": "c_score"}},
        frame=frame,
        data={"eval": "eval.csv", "label": "label", "sensitive": ["sex"]},
        suite=suite,
        baselines=[{"name": "previous", "predictions": {"label": "b_label", "score": "b_score"}}],
    )
    assert _figure(report, "roc_auc", vs="previous").value > 0
    assert _figure(report, "roc_auc", group={"sex": "Female"}, vs="previous").value < -0.02
    result = report.results[0]
    assert result.status == "fail"
    assert "roc_auc vs previous for sex=Female" in result.message
    assert report.status == "fail"


# --- bad input: exit 2 at the line, nothing written ------------------------------------------------


def _cli(config: Path, capsys: pytest.CaptureFixture[str]) -> tuple[int, str]:
    code = main(["check", "-c", str(config), "-q"])
    return code, capsys.readouterr().err


def _line_of(path: Path, text: str) -> int:
    return next(i for i, line in enumerate(path.read_text().splitlines(), 1) if text in line)


def test_vs_naming_no_baseline_is_located_in_the_suite(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    suite = [
        {
            "id": "performance.classification",
            "thresholds": [{"metric": "roc_auc", "vs": "previus", "min": -0.01}],
        }
    ]
    config = write_project(
        tmp_path,
        model=PRED_MODEL,
        suite=suite,
        baselines=[{"name": "previous", "predictions": {"label": "pred_label"}}],
    )
    code, err = _cli(config, capsys)
    assert code == 2
    line = _line_of(tmp_path / "suite.yaml", "vs: previus")
    assert f"suite.yaml:{line}:" in err
    assert "did you mean 'previous'" in err
    assert not (tmp_path / "out" / "report.json").exists()


def _bad_baseline(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], baseline: dict[str, Any], **kw: Any
) -> str:
    config = write_project(tmp_path, suite=CLASSIFICATION, baselines=[baseline], **kw)
    code, err = _cli(config, capsys)
    assert code == 2, err
    # located at the baseline's entry: its own line or one of its keys
    start = _line_of(config, "name: " + baseline["name"])
    where = err.split("govkit.yaml:", 1)[1].split(":", 1)[0]
    assert start <= int(where) <= start + 3, err
    assert "baselines[0]" in err
    assert "Traceback" not in err
    assert not (tmp_path / "out" / "predictions.parquet").exists()
    assert not (tmp_path / "out" / "report.json").exists()
    return err


def test_predictions_file_from_other_data(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    other = tmp_path / "other"
    write_project(other, model=PRED_MODEL, suite=CLASSIFICATION, frame=make_frame(seed=9))
    execute_run(load_project_file(other / "govkit.yaml"), quiet=True)
    here = tmp_path / "here"
    here.mkdir()
    shutil.copy(other / "out" / "predictions.parquet", here / "old.parquet")
    err = _bad_baseline(
        here, capsys, {"name": "old", "predictions_file": "old.parquet"}, model=PRED_MODEL
    )
    assert "old.parquet: only 0 of the 300 evaluation rows" in err
    assert "made from other data" in err


def test_predictions_file_with_wrong_columns(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    tmp_path.mkdir(exist_ok=True)
    pq.write_table(pa.table({"id": [1, 2], "p": [0.1, 0.2]}), tmp_path / "old.parquet")
    err = _bad_baseline(
        tmp_path, capsys, {"name": "old", "predictions_file": "old.parquet"}, model=PRED_MODEL
    )
    assert "not written by `govkit check`" in err


def test_baseline_of_another_task(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    frame = make_frame(300)
    tmp_path.mkdir(exist_ok=True)
    _export(train_tiny(frame, steps=20), tmp_path / "model.pt2")
    _export(train_tiny(frame, out_dim=3, steps=5), tmp_path / "three.pt2")
    err = _bad_baseline(
        tmp_path,
        capsys,
        {"name": "three", "path": "three.pt2"},
        model={"path": "model.pt2", "task": "binary"},
    )
    assert "baseline 'three'" in err


def test_baseline_columns_that_are_not_predictions(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    err = _bad_baseline(
        tmp_path,
        capsys,
        {"name": "old", "predictions": {"label": "pred_label", "score": "x1"}},
        model=PRED_MODEL,
    )
    assert "outside [0, 1]" in err


def test_packet_tables_keep_baseline_figures_apart_and_cards_ignore_them() -> None:
    from govkit.render.context import figure_tables
    from govkit.report import CheckResult, Measurement

    ms = [
        Measurement(name="roc_auc", value=0.91, n=100),
        Measurement(name="roc_auc", value=0.90, n=100, model="logistic"),
        Measurement(name="roc_auc", value=0.01, n=100, vs="logistic"),
    ]
    (table,) = figure_tables(ms)
    assert table.columns == ("roc_auc", "roc_auc (logistic)", "roc_auc vs logistic")
    assert [c.value for c in table.rows[0][1] if c is not None] == ["0.9100", "0.9000", "0.0100"]
    result = CheckResult(
        id="performance.classification",
        title="t",
        status="pass",
        blocking=False,
        message="m",
        measurements=ms,
    )
    assert result.own_measurements() == ms[:1]


def test_fairness_checks_pair_rates_and_gaps(tmp_path: Path) -> None:
    frame = _with_weaker_columns(make_frame(2000))
    suite = [
        {
            "id": "fairness.demographic_parity",
            "params": {"n_boot": 200},
            "thresholds": [
                {"metric": "demographic_parity_difference", "max": 0.5},
                {"metric": "demographic_parity_difference", "vs": "old", "max": 0.2},
            ],
        }
    ]
    report = _run(
        tmp_path,
        model=PRED_MODEL,
        frame=frame,
        data={"eval": "eval.csv", "label": "label", "sensitive": ["sex"]},
        suite=suite,
        baselines=[{"name": "old", "predictions": {"label": "old_label", "score": "old_score"}}],
    )
    for where in ({"group": {"sex": "Male"}}, {"group": None}):
        paired = _figure(report, "selection_rate", **where, vs="old")
        own = _figure(report, "selection_rate", **where, model="old")
        assert paired.value == pytest.approx(
            _figure(report, "selection_rate", **where).value - own.value
        )
        assert paired.ci[0] <= paired.value <= paired.ci[1]
    gap = {"feature": "sex"}
    paired = _figure(report, "demographic_parity_difference", **gap, vs="old")
    own = _figure(report, "demographic_parity_difference", **gap, model="old")
    cand = _figure(report, "demographic_parity_difference", **gap)
    assert paired.value == pytest.approx(cand.value - own.value)
    assert report.results[0].status == "pass"


def test_baseline_figures_never_meet_the_candidates_thresholds(tmp_path: Path) -> None:
    """A hopeless baseline breaks every bound; only the candidate is judged without vs."""
    frame = make_frame(600).assign(old_label=0, old_score=0.01)
    report = _run(
        tmp_path,
        model=PRED_MODEL,
        frame=frame,
        suite=CLASSIFICATION,
        baselines=[{"name": "old", "predictions": {"label": "old_label", "score": "old_score"}}],
    )
    assert _figure(report, "accuracy", model="old").value < 0.6
    result = report.results[0]
    assert result.status == "pass" and not result.blocking


def test_a_file_covering_99_percent_of_rows_is_used_and_says_so(tmp_path: Path) -> None:
    first = tmp_path / "first"
    _run(first, model=PRED_MODEL, suite=CLASSIFICATION)
    table = pq.read_table(first / "out" / "predictions.parquet")
    second = tmp_path / "second"
    second.mkdir()
    pq.write_table(table.slice(0, 298), second / "previous.parquet")  # 2 of 300 rows missing
    report = _run(
        second,
        model=PRED_MODEL,
        suite=CLASSIFICATION,
        baselines=[{"name": "previous", "predictions_file": "previous.parquet"}],
    )
    assert (report.baselines[0].rows_matched, report.baselines[0].rows) == (298, 300)
    # the unmatched rows count as agreeing with the candidate: the difference stays 0
    assert _figure(report, "accuracy", vs="previous").value == 0.0


@pytest.mark.slow  # trains and exports two models
def test_multiclass_predictions_file_round_trips(tmp_path: Path) -> None:
    frame = make_frame(400)
    tmp_path.mkdir(exist_ok=True)
    _export(train_tiny(frame, out_dim=3, steps=60), tmp_path / "model.pt2")
    data = {"eval": "eval.csv", "label": "level", "features": FEATURES, "sensitive": ["sex"]}
    model = {"path": "model.pt2", "task": "multiclass"}
    first = _run(tmp_path, model=model, frame=frame, data=data, suite=CLASSIFICATION)
    recorded = read_predictions(tmp_path / "out" / "predictions.parquet")
    assert recorded.task == "multiclass" and recorded.scores.shape == (400, 3)
    np.testing.assert_allclose(recorded.scores.sum(axis=1), 1.0, rtol=1e-9)
    shutil.move(tmp_path / "out" / "predictions.parquet", tmp_path / "previous.parquet")
    report = _run(
        tmp_path,
        model=model,
        frame=frame,
        data=data,
        suite=CLASSIFICATION,
        baselines=[{"name": "previous", "predictions_file": "previous.parquet"}],
    )
    assert report.baselines[0].rows_matched == 400
    assert _figure(report, "log_loss", vs="previous").value == pytest.approx(0.0, abs=1e-9)
    assert _figure(report, "accuracy").value == _figure(first, "accuracy").value


def test_vs_on_a_check_that_measures_no_baselines_is_located(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    suite = [
        {
            "id": "data.quality",
            "thresholds": [{"metric": "missing_rate", "vs": "old", "max": 0.0}],
        }
    ]
    config = write_project(
        tmp_path,
        model=PRED_MODEL,
        suite=suite,
        baselines=[{"name": "old", "predictions": {"label": "pred_label"}}],
    )
    code, err = _cli(config, capsys)
    assert code == 2
    assert f"suite.yaml:{_line_of(tmp_path / 'suite.yaml', 'vs: old')}:" in err
    assert "data.quality does not compare with baselines" in err


def test_a_foreign_predictions_parquet_is_never_overwritten(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    config = write_project(tmp_path, model=PRED_MODEL, suite=CLASSIFICATION)
    (tmp_path / "out").mkdir()
    theirs = tmp_path / "out" / "predictions.parquet"
    pq.write_table(pa.table({"customer": ["a", "b"]}), theirs)
    before = theirs.read_bytes()
    code, err = _cli(config, capsys)
    assert code == 2
    assert "predictions.parquet: exists and was not written by govkit check" in err
    assert theirs.read_bytes() == before
    assert not (tmp_path / "out" / "report.json").exists()


def test_report_markdown_lists_the_baselines_and_labels_their_figures(tmp_path: Path) -> None:
    from govkit.render.context import build_context
    from govkit.render.packet import load_inputs, render_markdown

    frame = _with_weaker_columns(make_frame(400))
    config = write_project(
        tmp_path,
        model=PRED_MODEL,
        frame=frame,
        suite=CLASSIFICATION,
        baselines=[{"name": "old", "predictions": {"label": "old_label", "score": "old_score"}}],
    )
    project = load_project_file(config)
    execute_run(project, quiet=True)
    text = render_markdown(build_context(load_inputs(project, None)), None)["report.md"]
    assert "## Baselines" in text
    assert "| old | prediction columns | 400 | 400 |" in text
    assert "| accuracy (old) | overall |" in text
    assert "| accuracy vs old | overall |" in text
