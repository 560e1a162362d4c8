"""Scoped waivers, on simulated data whose gaps are known.

A waiver accepts a failure only when every failing figure lies inside its
scope and within its limit, so a new failure elsewhere still blocks. The data
are predictions-only frames in which the selection rate of each group is set
by design; groups hold a thousand rows or more, so each planted gap is far
outside the sampling noise (its standard error is about 0.02) and the tests
repeat over three seeds.
"""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
import yaml

from govkit.cli import main
from govkit.documents.validate import validate_documents
from govkit.errors import ConfigError
from govkit.project import load_project_file
from govkit.report import Report
from govkit.runner import execute_run
from tests.runner.helpers import ACCURACY_SUITE, write_project

PRED_MODEL = {"predictions": {"label": "pred_label", "score": "pred_score"}}
DP = "fairness.demographic_parity"
DPD = "demographic_parity_difference"
SEEDS = (0, 1, 2)


def planted_frame(
    n: int, *, sex_gap: float, race_gap: float = 0.0, base: float = 0.1, seed: int = 0
) -> pd.DataFrame:
    """Selection rate ``base + sex_gap·[Male] + race_gap·[race B]``: the true gaps are known."""
    rng = np.random.default_rng(seed)
    sex = rng.choice(["Female", "Male"], size=n)
    race = rng.choice(["A", "B"], size=n)
    p = base + sex_gap * (sex == "Male") + race_gap * (race == "B")
    pred = (rng.random(n) < p).astype(np.int64)
    label = (rng.random(n) < 0.4).astype(np.int64)
    x = rng.normal(size=(n, 3)).astype(np.float32)
    return pd.DataFrame(
        {
            "x1": x[:, 0],
            "x2": x[:, 1],
            "x3": x[:, 2],
            "sex": sex,
            "race": race,
            "label": label,
            "pred_label": pred,
            "pred_score": np.clip(p + rng.normal(scale=0.05, size=n), 0.01, 0.99),
        }
    )


def waiver(**scope: Any) -> dict[str, Any]:
    return {
        "check": scope.pop("check", DP),
        "owner": "Fairness board",
        "justification": "Accepted while the retrained model is reviewed.",
        "expires": (date.today() + timedelta(days=30)).isoformat(),
        **scope,
    }


def dp_suite(**threshold: Any) -> list[dict[str, Any]]:
    rule = {"metric": DPD, "max": 0.10, "overall_only": True, **threshold}
    return [{"id": DP, "params": {"n_boot": 50}, "thresholds": [rule]}]


def run(
    root: Path,
    frame: pd.DataFrame,
    waivers: list[dict[str, Any]],
    *,
    sensitive: tuple[str, ...] = ("sex", "race"),
    suite: list[dict[str, Any]] | None = None,
    seed: int = 0,
) -> Report:
    data = {"eval": "eval.csv", "label": "label", "sensitive": list(sensitive)}
    config = write_project(
        root,
        model=PRED_MODEL,
        data=data,
        suite=suite or dp_suite(),
        frame=frame,
        waivers=waivers,
        seed=seed,
    )
    return execute_run(load_project_file(config), quiet=True).report


# --- scope --------------------------------------------------------------------------------------


@pytest.mark.parametrize("seed", SEEDS)
def test_a_feature_scope_does_not_hide_a_new_failure_on_another_column(
    tmp_path: Path, seed: int
) -> None:
    # the sex gap (0.3) is accepted for sex and for the intersection it carries into
    accepted = [waiver(feature="sex"), waiver(feature="sex&race")]
    known = run(tmp_path / "a", planted_frame(4000, sex_gap=0.3, seed=seed), accepted, seed=seed)
    (result,) = known.results
    assert result.status == "fail" and not result.blocking and known.status == "pass"
    assert result.waiver is not None and result.waiver.feature == "sex"
    assert [w.feature for w in result.waiver.also] == ["sex&race"]
    # the same waivers, and a new gap of 0.4 on race: the gate fails again
    new = run(
        tmp_path / "b",
        planted_frame(4000, sex_gap=0.3, race_gap=0.4, seed=seed),
        accepted,
        seed=seed,
    )
    (result,) = new.results
    assert result.status == "fail" and result.blocking and new.status == "fail"
    assert result.waiver is None
    assert f"not waived: {DPD} for race lies outside" in result.message


def test_a_feature_scope_alone_does_not_cover_the_intersection(tmp_path: Path) -> None:
    # a sex gap shows in sex&race too: a waiver for sex alone leaves that figure unwaived
    report = run(tmp_path, planted_frame(4000, sex_gap=0.3), [waiver(feature="sex")])
    assert report.status == "fail" and report.results[0].waiver is None
    assert "sex&race lies outside waivers[0] (feature=sex)" in report.results[0].message


@pytest.mark.parametrize("seed", SEEDS)
def test_a_limit_does_not_hide_a_larger_gap(tmp_path: Path, seed: int) -> None:
    frame = planted_frame(4000, sex_gap=0.4, seed=seed)
    capped = run(
        tmp_path / "a", frame, [waiver(feature="sex", limit=0.25)], sensitive=("sex",), seed=seed
    )
    assert capped.status == "fail" and capped.results[0].waiver is None
    assert "lies outside waivers[0] (feature=sex, limit=0.25)" in capped.results[0].message
    # the same gap under a limit above it is accepted, and the report keeps the scope
    wide = run(
        tmp_path / "b", frame, [waiver(feature="sex", limit=0.45)], sensitive=("sex",), seed=seed
    )
    assert wide.status == "pass"
    applied = wide.results[0].waiver
    assert applied is not None and (applied.feature, applied.limit) == ("sex", 0.45)
    assert "waived for feature: sex, limit: 0.45 by Fairness board" in wide.results[0].message


def test_a_limit_is_read_on_the_figure_the_threshold_judges(tmp_path: Path) -> None:
    # interval_strict judges the interval's upper end: a limit just above the point
    # estimate but below that end does not cover the figure
    frame = planted_frame(4000, sex_gap=0.4)
    suite = dp_suite(on="interval_strict")
    probe = run(tmp_path / "probe", frame, [], sensitive=("sex",), suite=suite)
    gap = next(m for m in probe.results[0].measurements if m.name == DPD)
    assert gap.value is not None and gap.ci is not None and gap.ci[1] > gap.value + 0.005
    limit = round((gap.value + gap.ci[1]) / 2, 4)
    report = run(tmp_path / "a", frame, [waiver(limit=limit)], sensitive=("sex",), suite=suite)
    assert report.status == "fail"
    report = run(
        tmp_path / "b", frame, [waiver(limit=gap.ci[1] + 0.001)], sensitive=("sex",), suite=suite
    )
    assert report.status == "pass"


def test_a_metric_scope_does_not_cover_another_metric(tmp_path: Path) -> None:
    frame = planted_frame(4000, sex_gap=0.4)
    suite = [
        {
            "id": DP,
            "params": {"n_boot": 50},
            "thresholds": [
                {"metric": DPD, "max": 0.10, "overall_only": True},
                {"metric": "demographic_parity_ratio", "min": 0.8, "overall_only": True},
            ],
        }
    ]
    report = run(tmp_path, frame, [waiver(metric=DPD)], sensitive=("sex",), suite=suite)
    assert report.status == "fail"
    assert "demographic_parity_ratio for sex lies outside" in report.results[0].message


def _accuracy_frame(n: int, seed: int, wrong: dict[str, str]) -> pd.DataFrame:
    """Predictions right in 90% of rows, but in 50% of the rows of the groups in ``wrong``."""
    frame = planted_frame(n, sex_gap=0.0, seed=seed)
    rng = np.random.default_rng(seed + 100)
    bad = np.zeros(n, dtype=bool)
    for column, value in wrong.items():
        bad |= (frame[column] == value).to_numpy()
    flip = rng.random(n) < np.where(bad, 0.5, 0.1)
    frame["pred_label"] = np.where(flip, 1 - frame["label"], frame["label"])
    return frame


def test_a_group_scope_covers_that_group_only(tmp_path: Path) -> None:
    suite = [{**ACCURACY_SUITE[0], "thresholds": [{"metric": "accuracy", "min": 0.8}]}]
    accepted = [waiver(check="test.accuracy", group={"race": "B"})]
    # race=B is accepted, and the overall accuracy (about 0.7) breaks the bound too: the
    # overall figure is outside any group, so the waiver does not apply
    report = run(tmp_path / "a", _accuracy_frame(4000, 0, {"race": "B"}), accepted, suite=suite)
    assert report.status == "fail"
    assert "accuracy for overall lies outside" in report.results[0].message
    # a lower bound that the overall figure meets: race=B (about 0.5) alone fails, and is waived
    loose = [{**ACCURACY_SUITE[0], "thresholds": [{"metric": "accuracy", "min": 0.55}]}]
    report = run(tmp_path / "b", _accuracy_frame(4000, 0, {"race": "B"}), accepted, suite=loose)
    (result,) = report.results
    assert result.status == "fail" and report.status == "pass" and result.waiver is not None
    assert result.waiver.group == {"race": "B"}
    # a new failure in sex=Female is outside the scope
    frame = _accuracy_frame(4000, 0, {"race": "B", "sex": "Female"})
    report = run(tmp_path / "c", frame, accepted, suite=loose)
    assert report.status == "fail"
    assert "accuracy for sex=Female lies outside waivers[0]" in report.results[0].message


def test_an_unscoped_waiver_keeps_its_meaning_with_a_suggested_scope(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    report = run(tmp_path, planted_frame(4000, sex_gap=0.3), [waiver()], sensitive=("sex",))
    assert report.status == "pass" and report.results[0].waiver is not None
    err = capsys.readouterr().err
    assert "govkit.yaml:" in err and "waivers[0]" in err and "has no scope" in err
    gap = next(m for m in report.results[0].measurements if m.name == DPD)
    assert gap.value is not None
    limit = np.ceil(gap.value * 100) / 100
    assert f"metric: {DPD}, feature: sex, limit: {limit}" in err
    # govkit validate reads the same failure from the last report.json
    (diag,) = validate_documents([str(tmp_path / "govkit.yaml")]).warnings
    assert f"last report: metric: {DPD}, feature: sex, limit: {limit}" in (diag.hint or "")


def test_validate_warns_about_an_unscoped_waiver(tmp_path: Path) -> None:
    config = write_project(
        tmp_path,
        model=PRED_MODEL,
        suite=dp_suite(),
        waivers=[waiver(), waiver(feature="sex")],
    )
    result = validate_documents([str(config)])
    warnings = [d for d in result.warnings if d.field and d.field.startswith("waivers")]
    assert len(warnings) == 1 and warnings[0].field == "waivers[0]"
    assert warnings[0].line is not None and "no scope" in warnings[0].message
    assert "metric" in (warnings[0].hint or "") and result.exit_code == 0
    assert validate_documents([str(config)], strict=True).exit_code == 1  # lint counts


# --- bad input ----------------------------------------------------------------------------------


def _yaml_line(config: Path, needle: str) -> int:
    lines = config.read_text().splitlines()
    return next(i for i, line in enumerate(lines, start=1) if needle in line)


@pytest.mark.parametrize(
    ("scope", "key", "needle", "expected"),
    [
        ({"metric": "demographic_parity_diference"}, "metric", "metric:", "did you mean"),
        ({"feature": "gender"}, "feature", "feature:", "not a sensitive column"),
        ({"feature": "sex&x1"}, "feature", "feature:", "'x1' is not a sensitive column"),
        ({"group": {"ethnicity": "B"}}, "group", "group:", "not a sensitive column"),
        ({"group": {"race": "Q"}}, "group.race", "race: Q", "no row of the evaluation data"),
    ],
)
def test_a_scope_key_that_names_nothing_is_a_located_error(
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    scope: dict[str, Any],
    key: str,
    needle: str,
    expected: str,
) -> None:
    config = write_project(
        tmp_path,
        model=PRED_MODEL,
        data={"eval": "eval.csv", "label": "label", "sensitive": ["sex", "race"]},
        suite=dp_suite(),
        frame=planted_frame(500, sex_gap=0.0),
        waivers=[waiver(**scope)],
    )
    assert main(["check", "-c", str(config), "-q"]) == 2
    err = capsys.readouterr().err
    line = _yaml_line(config, needle)
    assert f"govkit.yaml:{line}" in err and f"waivers[0].{key}" in err and expected in err
    assert "Traceback" not in err
    assert not (tmp_path / "out" / "report.json").exists()  # no check ran


def test_a_scope_on_a_three_column_project_names_the_intersection(tmp_path: Path) -> None:
    frame = planted_frame(500, sex_gap=0.0)
    frame["age"] = np.where(frame["x1"] > 0, "old", "young")
    data = {"eval": "eval.csv", "label": "label", "sensitive": ["sex", "race", "age"]}
    config = write_project(
        tmp_path,
        model=PRED_MODEL,
        data=data,
        suite=dp_suite(),
        frame=frame,
        waivers=[waiver(feature="race&sex")],
    )
    with pytest.raises(ConfigError) as info:
        execute_run(load_project_file(config), quiet=True)
    (diag,) = info.value.diagnostics
    assert diag.field == "waivers[0].feature" and "sex&race&age" in diag.message


def test_a_valid_scope_in_another_order_is_accepted(tmp_path: Path) -> None:
    report = run(tmp_path, planted_frame(4000, sex_gap=0.0), [waiver(feature="race&sex")])
    assert report.status == "pass" and report.results[0].waiver is None


def test_waiver_group_values_from_yaml_numbers_match_the_data(tmp_path: Path) -> None:
    frame = _accuracy_frame(2000, 0, {})
    frame["band"] = np.where(frame["x1"] > 0, 1, 2)
    frame.loc[frame["band"] == 2, "pred_label"] = 1
    config = write_project(
        tmp_path,
        model=PRED_MODEL,
        data={"eval": "eval.csv", "label": "label", "sensitive": ["band"]},
        suite=[{**ACCURACY_SUITE[0], "thresholds": [{"metric": "accuracy", "min": 0.45}]}],
        frame=frame,
        waivers=[waiver(check="test.accuracy", group={"band": 2})],
    )
    assert yaml.safe_load(config.read_text())["waivers"][0]["group"] == {"band": 2}
    report = execute_run(load_project_file(config), quiet=True).report
    assert report.status == "pass"
    assert report.results[0].waiver is not None
    assert report.results[0].waiver.group == {"band": "2"}


def test_a_failure_the_check_reports_itself_needs_an_unscoped_waiver(tmp_path: Path) -> None:
    echo = {
        "id": "test.echo",
        "params": {"value": 0.01, "failures": ["column 'notes' holds personal data"]},
        "thresholds": [{"metric": "score", "max": 0.1}],
    }
    scoped = run(
        tmp_path / "a",
        planted_frame(500, sex_gap=0.0),
        [waiver(check="test.echo", metric="score")],
        suite=[echo],
    )
    assert scoped.status == "fail"
    assert (
        "not waived: column 'notes' holds personal data lies outside" in scoped.results[0].message
    )
    plain = run(
        tmp_path / "b", planted_frame(500, sex_gap=0.0), [waiver(check="test.echo")], suite=[echo]
    )
    assert plain.status == "pass" and plain.results[0].waiver is not None
