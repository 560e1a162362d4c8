"""data.slices end to end: per-slice figures in report.json, per-slice vs thresholds,
plan criteria on a slice, and bad slice settings (exit 2 at their line, nothing written)."""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
import yaml

from govkit.checks.classification import Classification
from govkit.cli import main
from govkit.documents.load import load_document
from govkit.project import load_project_file
from govkit.report import Report
from govkit.runner import execute_run
from govkit.runner.plan import PlannedCheck
from govkit.runner.plan_criteria import ProjectPlan, evaluate_plan
from tests.helpers import minimal
from tests.runner.helpers import FEATURES, make_frame, train_tiny, write_project

PRED_MODEL = {"predictions": {"label": "pred_label", "score": "pred_score"}}


def _frame(n: int = 3000, seed: int = 0) -> pd.DataFrame:
    """make_frame plus a region and an age; the baseline is a tiny model trained
    without x2 (an earlier version that did not use it)."""
    import torch

    frame = make_frame(n, seed)
    rng = np.random.default_rng(seed + 1)
    frame["region"] = rng.choice(["APAC", "EU", "US"], size=n)
    frame["age"] = rng.integers(18, 95, size=n)
    without_x2 = frame.assign(x2=0.0)
    model = train_tiny(without_x2.iloc[: n // 3], seed=seed, steps=60)
    with torch.no_grad():
        x = torch.tensor(without_x2[FEATURES].to_numpy(np.float32))
        frame["b_score"] = torch.sigmoid(model(x)[:, 0]).numpy().astype(np.float64)
    frame["b_label"] = (frame["b_score"] >= 0.5).astype(np.int64)
    return frame


def _data(**extra: Any) -> dict[str, Any]:
    return {
        "eval": "eval.csv",
        "label": "label",
        "features": FEATURES,
        "sensitive": ["sex"],
        **extra,
    }


def _plan(root: Path, criteria: list[dict[str, Any]]) -> ProjectPlan:
    doc = minimal("experiment_plan")
    doc["acceptance_criteria"] = criteria
    doc["metrics"]["guardrail"] = []
    path = root / "plan.yaml"
    path.write_text(yaml.safe_dump(doc, sort_keys=False))
    return ProjectPlan(load_document(path), "plan.yaml")


@pytest.mark.slow  # trains a baseline, bootstraps 3,000 rows and renders the packet
def test_a_regression_on_one_slice_fails_the_per_slice_vs_threshold_and_is_named_worst(
    tmp_path: Path,
) -> None:
    """The candidate is the true score except in APAC, where it is noisy: it beats the
    trained baseline overall and in EU and US, and falls behind it in APAC."""
    frame = _frame()
    rng = np.random.default_rng(3)
    logit = np.log(frame["pred_score"] / (1 - frame["pred_score"]))
    apac = (frame["region"] == "APAC").to_numpy()
    cand = np.where(apac, logit + rng.normal(0, 3.0, len(frame)), logit)
    frame["pred_score"] = 1 / (1 + np.exp(-cand))
    frame["pred_label"] = (frame["pred_score"] >= 0.5).astype(np.int64)
    suite = [
        {
            "id": "performance.classification",
            "params": {"n_boot": 200},
            "thresholds": [{"metric": "roc_auc", "vs": "previous", "min": -0.01}],
        }
    ]
    config = write_project(
        tmp_path,
        model=PRED_MODEL,
        frame=frame,
        suite=suite,
        data=_data(slices=["region", {"column": "age", "bins": [18, 40, 65, 95]}]),
        baselines=[{"name": "previous", "predictions": {"label": "b_label", "score": "b_score"}}],
    )
    report = execute_run(load_project_file(config), quiet=True).report
    result = report.results[0]
    assert result.status == "fail"
    assert "roc_auc vs previous for region=APAC" in result.message

    def figure(**where: Any) -> Any:
        (m,) = [
            m
            for m in result.measurements
            if m.name == "roc_auc" and m.group == where.get("group") and m.vs == where.get("vs")
        ]
        return m

    eu = figure(group={"region": "EU"}, vs="previous")
    apac_vs = figure(group={"region": "APAC"}, vs="previous")
    assert eu.ci is not None and eu.ci[0] > 0  # EU improves, with its interval and n
    assert apac_vs.ci is not None and apac_vs.ci[1] < 0
    assert apac_vs.n is not None and 0 < apac_vs.n < int(apac.sum())  # the smaller class
    # every slice is reported like a group, binned ones under their interval
    ages = {m.group["age"] for m in result.measurements if m.group and "age" in m.group}
    assert ages == {"[18, 40)", "[40, 65)", "[65, 95]"}
    worst = {w["metric"]: w for w in result.details["worst_slices"]}
    assert worst["roc_auc"]["slice"] == "region=APAC" and worst["roc_auc"]["gap"] < -0.05
    assert worst["log_loss"]["slice"] == "region=APAC" and worst["log_loss"]["gap"] > 0
    assert result.details["slices"][1]["edges"] == [18, 40, 65, 95]

    # the packet gives the worst-slice table first in the check's section
    assert main(["render", "-c", str(config), "--format", "md,html"]) == 0
    markdown = (tmp_path / "out" / "packet" / "report.md").read_text()
    section = markdown.split("### performance.classification", 1)[1]
    table = section.index("| Metric | Worst slice |")
    assert table < section.index("| Measurement | Group |")
    assert "| roc\\_auc | region=APAC |" in section[table:]
    html = (tmp_path / "out" / "packet" / "packet.html").read_text()
    assert html.index("worst-slices") < html.index('<table class="figures">')

    # a plan criterion addresses a slice as it does a group
    plan = _plan(
        tmp_path,
        [
            {
                "metric": "roc_auc",
                "op": ">=",
                "threshold": 0.0,
                "vs": "previous",
                "slice": "region=EU",
            },
            {
                "metric": "roc_auc",
                "op": ">=",
                "threshold": 0.0,
                "vs": "previous",
                "slice": "region=APAC",
            },
            {"metric": "roc_auc", "op": ">=", "threshold": 0.7, "slice": "age=[18, 40)"},
        ],
    )
    planned = [
        PlannedCheck(
            id="performance.classification",
            cls=Classification,
            params=Classification.Params(),
            thresholds=(),
            severity="block",
            index=0,
        )
    ]
    judged = evaluate_plan(plan, [result], planned)
    assert [(c.where, c.status) for c in judged.criteria] == [
        ("region=EU", "met"),
        ("region=APAC", "not_met"),
        ("age=[18, 40)", "met"),
    ]


def test_outside_bins_and_quantiles_reach_the_report_and_warn(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    frame = _frame(600)
    slices = [{"column": "age", "bins": [18, 40, 65]}, {"column": "x1", "quantiles": 4}]
    suite = [
        {
            "id": "performance.calibration",
            "params": {"n_boot": 50},
            "thresholds": [{"metric": "ece", "max": 0.5}],
        }
    ]
    config = write_project(
        tmp_path, model=PRED_MODEL, frame=frame, suite=suite, data=_data(slices=slices)
    )
    code = main(["check", "-c", str(config), "-q"])
    err = capsys.readouterr().err
    outside = int((frame["age"] > 65).sum())
    assert code in (0, 1), err
    assert f"slice column 'age': {outside} row(s) lie outside the bins [18, 65]" in err
    report = Report.model_validate_json((tmp_path / "out" / "report.json").read_text())
    result = report.results[0]
    groups = [m.group for m in result.measurements if m.group and m.model is None]
    assert {"age": "outside bins"} in groups
    described = result.details["slices"]
    assert described[0]["outside_bins"] == outside
    edges = described[1]["edges"]
    np.testing.assert_allclose(edges, np.quantile(frame["x1"], [0, 0.25, 0.5, 0.75, 1]), rtol=1e-6)
    sizes = [m.n for m in result.measurements if m.group and "x1" in m.group]
    assert sizes == [150, 150, 150, 150]
    assert result.details["worst_slices"][0]["metric"] == "ece"


@pytest.mark.parametrize(
    ("slices", "message"),
    [
        (["regoin"], "column 'regoin' is not in"),
        ([{"column": "age", "bins": [40, 18, 65]}], "bin edges must increase strictly"),
        ([{"column": "age", "bins": [18]}], "at least 2"),
        ([{"column": "age", "bins": [18, 65], "quantiles": 4}], "either bins or quantiles"),
        ([{"column": "region", "quantiles": 4}], "slice column 'region' is not numeric"),
        (["sex"], "already a sensitive column"),
        (["region", "region"], "named twice"),
    ],
)
def test_bad_slices_are_exit_2_at_their_line_and_write_nothing(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], slices: list[Any], message: str
) -> None:
    suite = [
        {
            "id": "performance.classification",
            "params": {"n_boot": 0},
            "thresholds": [{"metric": "accuracy", "min": 0.5}],
        }
    ]
    frame = make_frame(200).assign(region="EU", age=30)
    config = write_project(
        tmp_path, model=PRED_MODEL, frame=frame, suite=suite, data=_data(slices=slices)
    )
    code = main(["check", "-c", str(config), "-q"])
    err = capsys.readouterr().err
    assert code == 2, err
    assert message in err
    assert "Traceback" not in err
    assert "expected a string" not in err  # a mapping's errors only, not the other form's
    start = next(
        i for i, line in enumerate(config.read_text().splitlines(), 1) if "slices:" in line
    )
    where = int(err.split("govkit.yaml:", 1)[1].split(":", 1)[0])
    assert start <= where <= start + 4, err
    assert not (tmp_path / "out" / "report.json").exists()


def _waiver(**scope: Any) -> dict[str, Any]:
    return {
        "check": "performance.classification",
        "owner": "Product review board",
        "justification": "APAC launches after the retrained model; accepted until then.",
        "expires": (date.today() + timedelta(days=30)).isoformat(),
        **scope,
    }


def test_a_waiver_scoped_to_a_slice_covers_that_slice_only(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    frame = make_frame(2000)
    rng = np.random.default_rng(5)
    frame["region"] = rng.choice(["APAC", "EU", "US"], size=len(frame))
    frame["age"] = rng.integers(18, 90, size=len(frame))
    # half of APAC's predictions are flipped: its accuracy falls near 0.5, overall stays above 0.7
    flip = (frame["region"] == "APAC").to_numpy() & (rng.random(len(frame)) < 0.5)
    frame.loc[flip, "pred_label"] = 1 - frame.loc[flip, "pred_label"]
    suite = [
        {
            "id": "performance.classification",
            "params": {"n_boot": 0},
            "thresholds": [{"metric": "accuracy", "min": 0.65}],
        }
    ]
    slices = ["region", {"column": "age", "bins": [18, 40, 90]}]

    def run(root: Path, waiver: dict[str, Any]) -> Path:
        return write_project(
            root,
            model=PRED_MODEL,
            frame=frame,
            suite=suite,
            data=_data(slices=slices),
            waivers=[waiver],
        )

    report = execute_run(
        load_project_file(run(tmp_path / "a", _waiver(group={"region": "APAC"}))), quiet=True
    ).report
    (result,) = report.results
    assert result.status == "fail" and "for region=APAC" in result.message
    assert report.status == "pass" and result.waiver is not None
    assert result.waiver.group == {"region": "APAC"}
    # scoped to another slice, it does not cover the failure
    report = execute_run(
        load_project_file(run(tmp_path / "b", _waiver(group={"age": "[18, 40)"}))), quiet=True
    ).report
    assert report.status == "fail"
    # a bin that does not exist is exit 2 at the waiver, listing the bins
    config = run(tmp_path / "c", _waiver(group={"age": "[0, 18)"}))
    assert main(["check", "-c", str(config), "-q"]) == 2
    err = capsys.readouterr().err
    assert "no row of the evaluation data has age=[0, 18) (its values: [18, 40), [40, 90]" in err
    assert "waivers[0]" in err and "Traceback" not in err


def test_a_small_bin_keeps_the_check_from_passing_and_a_waiver_on_that_bin_covers_it(
    tmp_path: Path,
) -> None:
    frame = make_frame(600)
    frame["age"] = np.random.default_rng(2).integers(18, 91, size=len(frame))
    few = int((frame["age"] >= 89).sum())
    assert 0 < few < 30
    suite = [
        {
            "id": "performance.classification",
            "params": {"n_boot": 0},
            "thresholds": [{"metric": "accuracy", "min": 0.5}],
        }
    ]
    data = _data(slices=[{"column": "age", "bins": [18, 50, 89, 95]}])

    def run(root: Path, **extra: Any) -> Report:
        config = write_project(root, model=PRED_MODEL, frame=frame, suite=suite, data=data, **extra)
        return execute_run(load_project_file(config), quiet=True).report

    (result,) = run(tmp_path / "a").results
    assert result.status == "insufficient_evidence"
    assert f"age=[89, 95] (n={few})" in result.message
    waived = run(tmp_path / "b", waivers=[_waiver(group={"age": "[89, 95]"})])
    assert waived.status == "pass" and waived.results[0].waiver is not None
    other = run(tmp_path / "c", waivers=[_waiver(group={"age": "[18, 50)"})])
    assert other.status != "pass"
