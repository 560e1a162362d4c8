"""``govkit check --mlflow`` and ``govkit render --mlflow`` on German Credit, read back.

The store is a local SQLite database (MLflow's recommended local backend; MLflow
3 refuses new file stores) and the run is read back with MLflow's own client:
its metrics equal the report's figures, its tags the verdict, the statuses and
the input hashes, its artifacts the report files and the packet.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from govkit.cli import main
from govkit.report import Report
from govkit.runner.mlflow_log import figures

pytestmark = pytest.mark.slow  # MLflow creates its database tables in each store (seconds)


@pytest.fixture(scope="module")
def german(
    tmp_path_factory: pytest.TempPathFactory,
    example_copy: Callable[[str, Path], Path],
    script: Callable[..., str],
) -> Iterator[Path]:
    folder = example_copy("german_credit", tmp_path_factory.mktemp("mlflow"))
    script(folder, "make_predictions.py")
    yield folder


def _client(uri: str) -> Any:
    from mlflow.tracking import MlflowClient

    return MlflowClient(tracking_uri=uri)


def _artifacts(client: Any, run_id: str, path: str) -> set[str]:
    return {a.path for a in client.list_artifacts(run_id, path)}


def test_check_logs_figures_tags_and_files(
    german: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.chdir(german)  # MLflow's default artifact root is ./mlruns
    uri = f"sqlite:///{german.parent}/mlflow.db"
    summary = german.parent / "summary.md"
    summary.write_text("earlier step\n", encoding="utf-8")
    monkeypatch.setenv("GITHUB_STEP_SUMMARY", str(summary))
    monkeypatch.delenv("MLFLOW_RUN_ID", raising=False)

    code = main(["check", "-c", "govkit.yaml", "--mlflow", uri, "-q"])
    err = capsys.readouterr().err
    assert code in (0, 1) and "Traceback" not in err
    assert "INFO" not in err  # MLflow's database messages stay off stderr
    report = Report.model_validate_json((german / "build/govkit/report.json").read_bytes())
    assert code == (1 if report.status == "fail" else 0)

    client = _client(uri)
    (run,) = client.search_runs(["0"])
    assert run.info.status == "FINISHED"  # started here, so ended here
    assert f"mlflow run: {run.info.run_id}" in err
    metrics, tags = run.data.metrics, run.data.tags

    found, null = figures(report)
    assert found and null > 0  # German Credit has figures too small to compute
    for f in found:
        assert metrics[f.name] == pytest.approx(f.measurement.value, rel=1e-12)
        if f.measurement.ci is not None:
            assert metrics[f"{f.name}/ci_low"] == pytest.approx(f.measurement.ci[0], rel=1e-12)
        assert metrics[f"{f.name}/n"] == f.measurement.n
    by_id = {r.id: r for r in report.results}
    rate = by_id["fairness.demographic_parity"].measurements
    female = next(m for m in rate if m.group == {"sex": "female"})
    assert metrics["fairness.demographic_parity/selection_rate/sex.female"] == female.value

    assert tags["govkit.verdict"] == report.status
    assert tags["govkit.null_figures"] == str(null)
    assert tags["govkit.config_sha256"] == report.provenance.config_sha256
    for r in report.results:
        assert tags[f"govkit.status.{r.id}"].startswith(r.status)
    for a in report.provenance.artifacts:
        assert a.sha256 in tags.values()

    files = _artifacts(client, run.info.run_id, "govkit")
    assert {"govkit/report.json", "govkit/junit.xml", "govkit/metrics.json"} <= files
    index = json.loads(
        Path(client.download_artifacts(run.info.run_id, "govkit/metrics.json")).read_text()
    )
    assert set(index) == {f.name for f in found}

    # the job summary was appended after the earlier step's text
    text = summary.read_text(encoding="utf-8")
    assert text.startswith("earlier step\n") and f"**{report.status.upper()}" in text

    # a report no run logged: exit 2 before anything is rendered
    other = german.parent / "other-report.json"
    other.write_text(
        (german / "build/govkit/report.json").read_text(encoding="utf-8") + "\n", encoding="utf-8"
    )
    code = main(
        ["render", "-c", "govkit.yaml", "--format", "md", "--report", str(other), "--mlflow", uri]
    )
    assert code == 2 and "no run tagged with this report" in capsys.readouterr().err
    assert not (german / "build/govkit/packet").exists()

    # render --mlflow finds the run by the report's hash and adds the packet
    code = main(["render", "-c", "govkit.yaml", "--format", "md", "--mlflow", uri])
    assert code == 0, capsys.readouterr().err
    packet = _artifacts(client, run.info.run_id, "govkit/packet")
    assert "govkit/packet/manifest.json" in packet and "govkit/packet/report.md" in packet


def test_active_run_is_used_and_left_open(
    german: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    import mlflow

    monkeypatch.chdir(german)
    uri = f"sqlite:///{german.parent}/mlflow.db"  # the store of the test above: no new tables
    monkeypatch.setenv("MLFLOW_TRACKING_URI", uri)
    run = mlflow.start_run()
    try:
        mlflow.log_param("trained_by", "test")
        code = main(["check", "-c", "govkit.yaml", "--mlflow", "-q"])
        assert code in (0, 1), capsys.readouterr().err
        assert mlflow.active_run() is not None
        assert _client(uri).get_run(run.info.run_id).info.status == "RUNNING"
    finally:
        mlflow.end_run()
    logged = _client(uri).get_run(run.info.run_id)
    assert logged.data.params == {"trained_by": "test"}
    assert logged.data.tags["govkit.verdict"] in ("pass", "fail")
    runs = _client(uri).search_runs(["0"], filter_string="params.trained_by = 'test'")
    assert [r.info.run_id for r in runs] == [run.info.run_id]  # no second run was started
