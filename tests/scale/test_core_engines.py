"""The engine of a run: rows in pandas, or cells and samples from an engine, same figures.

A predictions-only project on a synthetic Parquet split is run with
``--engine pandas`` (every row in memory) and on the statistics path of each
engine (cells and a seeded sample). Count figures must be identical, the AUC
within its recorded bound, and report.json must say which engine ran.

What is compared is the engines, not their speed at scale: the split has
:data:`N_ROWS` rows and the sample is cut to :data:`SAMPLE_ROWS`, a fifth of
them, so the sample stays a proper part of the rows as it is on big data.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
import yaml

from govkit.errors import ConfigError
from govkit.project import load_project_file
from govkit.runner.run import execute_run

N_ROWS = 40_000
SAMPLE_ROWS = 8_000

SUITE: list[dict[str, Any]] = [
    {"id": "performance.classification", "params": {"n_boot": 50}, "severity": "warn"},
    {"id": "performance.calibration", "params": {"n_boot": 50}, "severity": "warn"},
    {"id": "fairness.demographic_parity", "params": {"n_boot": 50}, "severity": "warn"},
    {"id": "fairness.equalized_odds", "params": {"n_boot": 50}, "severity": "warn"},
    {"id": "data.quality", "severity": "warn"},
    {"id": "privacy.k_anonymity", "severity": "warn"},
    {"id": "privacy.pii", "severity": "warn"},
]


def _frame(n: int, seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    sex = rng.choice(["F", "M"], size=n)
    region = rng.choice(["north", "south", "east"], size=n, p=[0.5, 0.3, 0.2])
    age = rng.integers(18, 90, size=n)
    income = rng.lognormal(10, 0.5, size=n).round(-2)
    y = (rng.random(n) < np.where(sex == "F", 0.3, 0.4)).astype(np.int64)
    logit = rng.normal(1.5 * y - 0.75, 1.0)
    score = 1.0 / (1.0 + np.exp(-logit))
    return pd.DataFrame(
        {
            "sex": sex,
            "region": region,
            "age": age,
            "income": income,
            "zip": rng.integers(0, 50, size=n).astype(str),
            "label": y,
            "pred_score": score,
            "pred_label": (score >= 0.5).astype(np.int64),
        }
    )


@pytest.fixture(scope="module")
def project_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("engines")
    _frame(N_ROWS).to_parquet(root / "eval.parquet", index=False)
    (root / "suite.yaml").write_text(
        yaml.safe_dump({"suite": 1, "name": "scale", "checks": SUITE}, sort_keys=False)
    )
    _write_config(root)
    return root


def _write_config(root: Path, **extra: Any) -> Path:
    cfg = {
        "govkit": 1,
        "system": {"name": "scale", "version": "1.0"},
        "model": {"predictions": {"label": "pred_label", "score": "pred_score"}},
        "data": {
            "eval": "eval.parquet",
            "label": "label",
            "sensitive": ["sex", "region"],
            "quasi_identifiers": ["zip", "age"],
            "slices": [
                {"column": "income", "quantiles": 4},
                {"column": "age", "bins": [18, 40, 65]},
            ],
        },
        "suite": "suite.yaml",
        "output": "out",
        **extra,
    }
    path = root / "govkit.yaml"
    path.write_text(yaml.safe_dump(cfg, sort_keys=False))
    return path


def _figures(report: dict[str, Any], check: str) -> dict[tuple[str, str, str], dict[str, Any]]:
    result = next(r for r in report["results"] if r["id"] == check)
    return {
        (m["name"], json.dumps(m.get("group"), sort_keys=True), str(m.get("feature"))): m
        for m in result["measurements"]
    }


@pytest.fixture(scope="module")
def reports(project_dir: Path, local_ray: None) -> dict[str, dict[str, Any]]:
    from govkit.runner import statistics

    out: dict[str, dict[str, Any]] = {}
    engines = ["pandas", "pandas-cells", "duckdb", "ray"]
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(statistics, "SAMPLE_ROWS", SAMPLE_ROWS)
        for engine in engines:
            project = load_project_file(str(project_dir / "govkit.yaml"))
            outcome = execute_run(project, out=str(project_dir / engine), quiet=True, engine=engine)
            out[engine] = json.loads(outcome.report_path.read_text())
    return out


COUNT_FIGURES = {"accuracy", "balanced_accuracy", "precision", "recall", "f1"}


STATISTICS = ["pandas-cells", "duckdb", "ray"]


@pytest.mark.parametrize("engine", STATISTICS)
def test_count_figures_equal_and_auc_within_bound(
    reports: dict[str, dict[str, Any]], engine: str
) -> None:
    rows, cells = reports["pandas"], reports[engine]
    a = _figures(rows, "performance.classification")
    b = _figures(cells, "performance.classification")
    assert a.keys() == b.keys()
    bound = cells["engine"]["statistics"]["auc_error_bound"]
    assert 0 < bound < 1e-3
    for key, m in a.items():
        if key[0] in COUNT_FIGURES:
            assert b[key]["value"] == pytest.approx(m["value"], abs=1e-12), key
            assert b[key]["n"] == m["n"]
            assert b[key]["ci"] == pytest.approx(m["ci"], abs=1e-12), key
        elif key[0] == "roc_auc" and key[1] == "null":
            assert abs(b[key]["value"] - m["value"]) <= bound
    for check in ("fairness.demographic_parity", "fairness.equalized_odds"):
        a, b = _figures(rows, check), _figures(cells, check)
        assert a.keys() == b.keys()
        for key, m in a.items():
            assert b[key]["value"] == pytest.approx(m["value"], abs=1e-12), (check, key)


@pytest.mark.parametrize("engine", STATISTICS)
def test_quality_and_k_anonymity_measure_every_row(
    reports: dict[str, dict[str, Any]], engine: str
) -> None:
    for check in ("data.quality", "privacy.k_anonymity"):
        rows = next(r for r in reports["pandas"]["results"] if r["id"] == check)
        cells = next(r for r in reports[engine]["results"] if r["id"] == check)
        assert "sample" not in cells["details"]
        assert cells["measurements"] == rows["measurements"], check
        # an engine's sums may add in another order: statistics agree to rounding
        stats_rows = rows["details"].pop("statistics", None)
        stats_cells = cells["details"].pop("statistics", None)
        assert cells["details"] == rows["details"], check
        if stats_rows is not None:
            assert stats_cells.keys() == stats_rows.keys()
            for column, entry in stats_rows.items():
                got = stats_cells[column]
                assert got.keys() == entry.keys(), column
                for key, value in entry.items():
                    if isinstance(value, float):
                        assert got[key] == pytest.approx(value, rel=1e-9), (column, key)
                    else:
                        assert got[key] == value, (column, key)


def test_report_records_the_engine(reports: dict[str, dict[str, Any]]) -> None:
    rows, cells = reports["pandas"]["engine"], reports["pandas-cells"]["engine"]
    assert rows["name"] == "pandas" and rows["rows"] == N_ROWS and rows["reason"] == "asked for"
    assert cells["name"] == "pandas-cells" and cells["rows"] == N_ROWS
    stats = cells["statistics"]
    assert 0 < stats["cells"] < N_ROWS
    assert 0.99 * SAMPLE_ROWS <= stats["sample_rows"] <= SAMPLE_ROWS
    assert len(stats["quantile_edges"]["income"]) == 5
    pii = next(r for r in reports["pandas-cells"]["results"] if r["id"] == "privacy.pii")
    assert f"of {N_ROWS:,} evaluation rows" in pii["details"]["sample"]
    classification = next(
        r for r in reports["pandas-cells"]["results"] if r["id"] == "performance.classification"
    )
    assert "sample" not in classification["details"]
    assert classification["details"]["statistics"]["rows"] == N_ROWS


def test_the_packet_provenance_names_the_engine(reports: dict[str, dict[str, Any]]) -> None:
    from govkit.render.context import _provenance
    from govkit.report import Report

    rows = dict(_provenance(Report.model_validate(reports["pandas"])))
    assert rows["Engine"].startswith("pandas ") and f"{N_ROWS:,} evaluation rows" in rows["Engine"]
    cells = dict(_provenance(Report.model_validate(reports["pandas-cells"])))
    assert "cells (ROC AUC within" in cells["Engine"] and "seeded sample" in cells["Engine"]


def test_auto_keeps_pandas_for_small_data(project_dir: Path) -> None:
    from govkit.runner.engine import choose_run_engine

    project = load_project_file(str(project_dir / "govkit.yaml"))
    choice, _ = choose_run_engine(project, None, None)
    assert choice.name == "pandas" and "fit in memory" in choice.reason


def test_auto_takes_duckdb_above_the_rule() -> None:
    from govkit.scale.choose import AUTO_MAX_ROWS, choose_engine

    assert choose_engine("auto", n_rows=AUTO_MAX_ROWS + 1, total_bytes=1, parquet=True).name == (
        "duckdb"
    )
    assert choose_engine("auto", n_rows=10**9, total_bytes=10**12, parquet=False).name == "pandas"
    with pytest.raises(ConfigError, match="reads Parquet"):
        choose_engine("duckdb", n_rows=None, total_bytes=None, parquet=False)


def _cli(args: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str]:
    from govkit.cli import main

    code = main(args)
    captured = capsys.readouterr()
    return code, captured.out + captured.err


def test_unknown_engine_is_exit_2(project_dir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out = _cli(["check", "-c", str(project_dir / "govkit.yaml"), "--engine", "spark"], capsys)
    assert code == 2 and "unknown engine 'spark'" in out and "duckdb" in out


def test_unknown_engine_in_yaml_is_located(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    config = _write_config(tmp_path, engine={"name": "spark"})
    code, out = _cli(["check", "-c", str(config)], capsys)
    assert code == 2 and "govkit.yaml:" in out and "engine.name" in out and "duckdb" in out


def test_address_without_ray_is_exit_2(
    project_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    config = str(project_dir / "govkit.yaml")
    code, out = _cli(["check", "-c", config, "--engine", "duckdb", "--address", "x:1"], capsys)
    assert code == 2 and "--address is for the ray engine" in out


def test_missing_extra_is_exit_2_with_the_install_command(
    project_dir: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    import importlib.util

    real = importlib.util.find_spec

    def find_spec(name: str, *args: Any, **kwargs: Any) -> Any:
        return None if name.split(".")[0] == "ray" else real(name, *args, **kwargs)

    monkeypatch.setattr(importlib.util, "find_spec", find_spec)
    code, out = _cli(["check", "-c", str(project_dir / "govkit.yaml"), "--engine", "ray"], capsys)
    assert code == 2 and "pip install" in out and "ray" in out


def test_missing_scores_are_refused_at_the_score_key(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    frame = _frame(2_000, seed=3)
    frame.loc[::100, "pred_score"] = np.nan
    frame.to_parquet(tmp_path / "eval.parquet", index=False)
    (tmp_path / "suite.yaml").write_text(
        yaml.safe_dump({"suite": 1, "name": "scale", "checks": SUITE[:1]}, sort_keys=False)
    )
    config = _write_config(tmp_path)
    code, out = _cli(["check", "-c", str(config), "--engine", "pandas-cells"], capsys)
    assert code == 2 and "missing value" in out and "govkit.yaml:" in out


@pytest.mark.parametrize("engine", ["pandas-cells", "duckdb"])
def test_a_score_outside_the_unit_interval_cannot_hide_in_a_cell(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, engine: str
) -> None:
    """1.0000001 beside scores of 0.99999 in the top level: their mean is inside [0, 1]."""
    from govkit.runner import statistics

    monkeypatch.setattr(statistics, "SAMPLE_ROWS", 50)  # the sample does not hold the row
    frame = _frame(4_000, seed=5)
    top = frame.index[(frame["sex"] == "F") & (frame["label"] == 1)][:40]
    frame.loc[top, ["pred_score", "pred_label"]] = [0.99999, 1]
    frame.loc[top[-1], "pred_score"] = 1.0000001
    frame.to_parquet(tmp_path / "eval.parquet", index=False)
    (tmp_path / "suite.yaml").write_text(
        yaml.safe_dump({"suite": 1, "name": "scale", "checks": SUITE[:1]}, sort_keys=False)
    )
    config = _write_config(tmp_path)
    code, out = _cli(["check", "-c", str(config), "--engine", engine], capsys)
    assert code == 2 and "1 value(s) outside [0, 1]" in out and "govkit.yaml:" in out


def test_an_engine_for_csv_data_is_exit_2(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    _frame(500).to_csv(tmp_path / "eval.csv", index=False)
    (tmp_path / "suite.yaml").write_text(
        yaml.safe_dump({"suite": 1, "name": "scale", "checks": SUITE[:1]}, sort_keys=False)
    )
    config = _write_config(tmp_path, engine={"name": "duckdb"})
    text = config.read_text().replace("eval.parquet", "eval.csv")
    config.write_text(text)
    code, out = _cli(["check", "-c", str(config)], capsys)
    assert code == 2 and "reads Parquet" in out and "engine" in out
    project = load_project_file(str(config))
    from govkit.runner.engine import choose_run_engine

    with pytest.raises(ConfigError):
        choose_run_engine(project, None, None)
    assert choose_run_engine(project, "auto", None)[0].name == "pandas"
