"""The run: suites, judging, waivers, outputs, determinism and exit codes."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import xml.etree.ElementTree as ET
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest

from govkit.cli import main
from govkit.errors import ConfigError
from govkit.project import load_project_file
from govkit.report import Report, load_report
from govkit.runner import execute_run
from tests.runner.helpers import ACCURACY_SUITE, make_frame, write_project

REPO = Path(__file__).resolve().parents[2]
PRED_MODEL = {"predictions": {"label": "pred_label", "score": "pred_score"}}
RELEASE_CHECKS = [
    "performance.classification",
    "performance.calibration",
    "fairness.demographic_parity",
    "fairness.equalized_odds",
    "fairness.equal_opportunity",
]


def _run(tmp_path: Path, suite: list[dict[str, Any]], **kw: Any) -> Report:
    config = write_project(
        tmp_path, model=kw.pop("model", PRED_MODEL), suite=suite, **kw.pop("extra", {})
    )
    return execute_run(load_project_file(config), quiet=True, **kw).report


def _echo(**params: Any) -> dict[str, Any]:
    thresholds = params.pop("thresholds", [{"metric": "score", "max": 0.10}])
    severity = params.pop("severity", "block")
    return {"id": "test.echo", "severity": severity, "params": params, "thresholds": thresholds}


# --- judging -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("params", "on", "status"),
    [
        ({"value": 0.19, "lo": 0.18, "hi": 0.20}, "point", "fail"),
        ({"value": 0.08, "lo": 0.05, "hi": 0.11}, "point", "pass"),
        ({"value": 0.12, "lo": 0.08, "hi": 0.16}, "interval_lenient", "pass"),
        ({"value": 0.19, "lo": 0.12, "hi": 0.25}, "interval_lenient", "fail"),
        ({"value": 0.08, "lo": 0.05, "hi": 0.11}, "interval_strict", "fail"),
        ({"value": 0.08, "lo": 0.05, "hi": 0.09}, "interval_strict", "pass"),
        ({"value": 0.12}, "interval_lenient", "fail"),  # no interval: the value is judged
        ({"value": 0.08}, "interval_strict", "pass"),
    ],
)
def test_threshold_modes_max(tmp_path: Path, params: dict[str, Any], on: str, status: str) -> None:
    suite = [_echo(**params, thresholds=[{"metric": "score", "max": 0.10, "on": on}])]
    result = _run(tmp_path, suite).results[0]
    assert result.status == status, result.message
    assert result.blocking is (status == "fail")


@pytest.mark.parametrize(
    ("params", "on", "status"),
    [
        ({"value": 0.65, "lo": 0.60, "hi": 0.72}, "point", "fail"),
        ({"value": 0.65, "lo": 0.60, "hi": 0.72}, "interval_lenient", "pass"),
        ({"value": 0.75, "lo": 0.69, "hi": 0.80}, "interval_strict", "fail"),
        ({"value": 0.75, "lo": 0.71, "hi": 0.80}, "interval_strict", "pass"),
    ],
)
def test_threshold_modes_min(tmp_path: Path, params: dict[str, Any], on: str, status: str) -> None:
    suite = [_echo(**params, thresholds=[{"metric": "score", "min": 0.70, "on": on}])]
    assert _run(tmp_path, suite).results[0].status == status


def test_failure_message_names_the_worst_figure(tmp_path: Path) -> None:
    suite = [
        _echo(
            metric="demographic_parity_difference",
            feature="sex",
            value=0.19,
            lo=0.18,
            hi=0.20,
            thresholds=[{"metric": "demographic_parity_difference", "max": 0.10}],
        )
    ]
    result = _run(tmp_path, suite).results[0]
    assert result.message == (
        "demographic_parity_difference for sex is 0.19 [0.18, 0.20], above the maximum 0.10."
    )
    assert result.threshold == {
        "severity": "block",
        "rules": [
            {
                "metric": "demographic_parity_difference",
                "max": 0.10,
                "on": "point",
                "overall_only": False,
            }
        ],
    }


def test_close_figures_get_enough_digits(tmp_path: Path) -> None:
    result = _run(tmp_path, [_echo(value=0.1004)]).results[0]
    assert result.status == "fail" and "0.1004" in result.message and "0.1000" in result.message


def test_overall_only_ignores_groups(tmp_path: Path) -> None:
    # per-group accuracy of the planted predictions is about 0.8: only groups would fail 0.99
    suite = [
        {
            "id": "test.accuracy",
            "params": {"n_boot": 20},
            "thresholds": [{"metric": "mean_score", "max": 0.99, "overall_only": True}],
        }
    ]
    assert _run(tmp_path, suite).results[0].status == "pass"
    suite[0]["thresholds"] = [{"metric": "accuracy", "min": 0.99, "overall_only": True}]
    result = _run(tmp_path, suite).results[0]
    assert (
        result.status == "fail" and "accuracy is" in result.message and "sex" not in result.message
    )


def test_intrinsic_failures_fail(tmp_path: Path) -> None:
    result = _run(tmp_path, [_echo(value=0.01, failures=["A column holds e-mail addresses."])])
    assert result.results[0].status == "fail"
    assert result.results[0].message == "A column holds e-mail addresses."


def test_small_groups_are_insufficient_evidence(tmp_path: Path) -> None:
    # an aggregate across the groups of `race` depends on every group's size
    small = ["race=Other (n=12)"]
    result = _run(tmp_path, [_echo(value=0.01, feature="race", small=small)]).results[0]
    assert result.status == "insufficient_evidence" and result.blocking
    assert "race=Other (n=12)" in result.message
    for remedy in ("collect more data", "merge", "waiver"):
        assert remedy in result.message


def test_small_groups_do_not_block_an_overall_figure(tmp_path: Path) -> None:
    # a figure over all rows does not depend on the size of any group
    result = _run(tmp_path, [_echo(value=0.01, small=["race=Other (n=12)"])]).results[0]
    assert result.status == "pass"


def test_small_groups_do_not_hide_a_failure(tmp_path: Path) -> None:
    result = _run(tmp_path, [_echo(value=0.5, small=["race=Other (n=12)"])]).results[0]
    assert result.status == "fail"


def test_real_small_groups_from_a_check(tmp_path: Path) -> None:
    frame = make_frame(n=300)
    frame.loc[:9, "race"] = "C"  # a group of 10 rows
    suite = [
        {
            "id": "test.accuracy",
            "params": {"n_boot": 20},
            "thresholds": [{"metric": "accuracy", "min": 0.5}],
        }
    ]
    result = _run(tmp_path, suite, extra={"frame": frame}).results[0]
    assert result.status == "insufficient_evidence" and "race=C (n=10)" in result.message


def test_threshold_on_an_unmeasured_metric_is_an_error(tmp_path: Path) -> None:
    result = _run(tmp_path, [_echo(thresholds=[{"metric": "scroe", "max": 1}])]).results[0]
    assert result.status == "error" and "'scroe'" in result.message and result.blocking


def test_unknown_values_cannot_pass(tmp_path: Path) -> None:
    result = _run(tmp_path, [_echo(value=None)]).results[0]
    assert result.status == "insufficient_evidence"


def test_warn_severity_does_not_block(tmp_path: Path) -> None:
    report = _run(tmp_path, [_echo(value=0.5, severity="warn")])
    assert report.results[0].status == "warn" and not report.results[0].blocking
    assert report.status == "pass"


def test_a_check_that_raises_does_not_stop_the_others(tmp_path: Path) -> None:
    report = _run(tmp_path, [{"id": "test.raises"}, *ACCURACY_SUITE, {"id": "test.skips"}])
    raised, accuracy, skipped = report.results
    assert raised.status == "error" and raised.message == "RuntimeError: boom" and raised.blocking
    assert accuracy.status == "pass"
    assert skipped.status == "skipped" and "nothing to measure" in skipped.message
    # a blocking check that could not measure is missing evidence: it blocks
    assert skipped.blocking and report.status == "fail"


# --- waivers -----------------------------------------------------------------------------------


def _waiver(days: int) -> dict[str, Any]:
    return {
        "check": "test.echo",
        "owner": "Risk board",
        "justification": "Accepted for the pilot; retrain planned.",
        "expires": (date.today() + timedelta(days=days)).isoformat(),
    }


def test_valid_waiver_unblocks(tmp_path: Path) -> None:
    report = _run(tmp_path, [_echo(value=0.5)], extra={"waivers": [_waiver(30)]})
    result = report.results[0]
    assert result.status == "fail" and not result.blocking and result.waiver is not None
    assert result.waiver.owner == "Risk board" and "waived by Risk board" in result.message
    assert report.status == "pass"


def test_expired_waiver_is_ignored_with_a_warning(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    report = _run(tmp_path, [_echo(value=0.5)], extra={"waivers": [_waiver(-1)]})
    assert report.results[0].blocking and report.results[0].waiver is None
    assert report.status == "fail"
    err = capsys.readouterr().err
    assert "expired" in err and "govkit.yaml:" in err and "waivers[0]" in err


def test_waiver_does_not_apply_to_a_passing_check(tmp_path: Path) -> None:
    report = _run(tmp_path, [_echo(value=0.01)], extra={"waivers": [_waiver(30)]})
    assert report.results[0].waiver is None


# --- suites and --only -------------------------------------------------------------------------


def _suite_error(tmp_path: Path, suite_text: str) -> ConfigError:
    config = write_project(tmp_path, model=PRED_MODEL, suite="suite.yaml")
    (tmp_path / "suite.yaml").write_text(suite_text)
    with pytest.raises(ConfigError) as info:
        execute_run(load_project_file(config), quiet=True)
    return info.value


def test_misspelled_param_is_located_with_a_guess(tmp_path: Path) -> None:
    err = _suite_error(
        tmp_path,
        "suite: 1\nname: t\nchecks:\n  - id: test.accuracy\n"
        "    params:\n      n_boot: 10\n      min_group_sise: 5\n",
    )
    d = err.diagnostics[0]
    assert d.path.endswith("suite.yaml") and d.line == 7
    assert d.field == "checks[0].params.min_group_sise"
    assert "did you mean 'min_group_size'" in (d.hint or "")


def test_bad_param_value(tmp_path: Path) -> None:
    err = _suite_error(
        tmp_path, "suite: 1\nname: t\nchecks:\n  - id: test.accuracy\n    params: {n_boot: many}\n"
    )
    assert err.diagnostics[0].field == "checks[0].params.n_boot"
    assert "integer" in err.diagnostics[0].message


def test_unknown_check_id_in_suite(tmp_path: Path) -> None:
    err = _suite_error(
        tmp_path,
        "suite: 1\nname: t\nchecks:\n  - id: test.accuracyy\n"
        "  - id: test.echo\n  - id: test.echo\n",
    )
    first, second = err.diagnostics
    assert first.line == 4 and "unknown check 'test.accuracyy'" in first.message
    assert "did you mean 'test.accuracy'" in (first.hint or "")
    assert second.line == 6 and "listed twice" in second.message


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("suite: 1\nname: t\nchecks:\n  - id: test.echo\n    severity: fatal\n", "severity"),
        ("suite: 1\nname: t\nchecks:\n  - id: test.echo\n    paramz: {}\n", "unknown key 'paramz'"),
        (
            "suite: 1\nname: t\nchecks:\n  - id: test.echo\n    thresholds: [{metric: score}]\n",
            "needs `max` or `min`",
        ),
        ("suite: 2\nname: t\nchecks: []\n", "suite"),
    ],
)
def test_bad_suite_files(tmp_path: Path, text: str, expected: str) -> None:
    err = _suite_error(tmp_path, text)
    assert any(expected in d.format() for d in err.diagnostics)


def test_only_runs_the_named_checks(tmp_path: Path) -> None:
    suite = [_echo(value=0.5), *ACCURACY_SUITE]
    report = _run(tmp_path, suite, only=["test.accuracy"])
    assert [r.id for r in report.results] == ["test.accuracy"]
    assert report.results[0].params["n_boot"] == 50  # the suite's params


def test_only_outside_the_suite_uses_defaults(tmp_path: Path) -> None:
    report = _run(tmp_path, [_echo(value=0.5)], only=["test.accuracy"])
    result = report.results[0]
    assert result.params["n_boot"] == 1000
    assert result.threshold["rules"] == [
        {"metric": "accuracy", "min": 0.6, "on": "point", "overall_only": False}
    ]


def test_only_unknown_id(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    config = write_project(tmp_path, model=PRED_MODEL, suite=ACCURACY_SUITE)
    assert main(["check", "-c", str(config), "--only", "test.acuracy"]) == 2
    err = capsys.readouterr().err
    assert "--only" in err and "did you mean 'test.accuracy'" in err


# --- predictions-only mode ---------------------------------------------------------------------


def test_predictions_only_skips_model_checks(tmp_path: Path) -> None:
    report = _run(tmp_path, [{"id": "test.model"}, {"id": "test.scores"}])
    model, scores = report.results
    assert model.status == "skipped" and "predictions-only" in model.message
    assert scores.status == "pass"
    no_score = _run(
        tmp_path / "b", [{"id": "test.scores"}], model={"predictions": {"label": "pred_label"}}
    )
    assert no_score.results[0].status == "skipped" and "score" in no_score.results[0].message


def test_score_outside_unit_interval(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    frame = make_frame()
    frame["pred_score"] = frame["pred_score"] * 4 - 2
    config = write_project(tmp_path, model=PRED_MODEL, suite=ACCURACY_SUITE, frame=frame)
    assert main(["check", "-c", str(config)]) == 2
    err = capsys.readouterr().err
    assert "model.predictions.score" in err and "outside [0, 1]" in err


def test_predictions_only_multiclass(tmp_path: Path) -> None:
    frame = make_frame()
    frame["pred_level"] = frame["level"].where(frame.index % 4 != 0, "mid")
    data = {"eval": "eval.csv", "label": "level", "sensitive": ["sex"]}
    report = _run(
        tmp_path,
        ACCURACY_SUITE,
        extra={"frame": frame, "data": data},
        model={"task": "multiclass", "predictions": {"label": "pred_level"}},
    )
    overall = report.results[0].measurements[0]
    assert overall.value == pytest.approx(float((frame["pred_level"] == frame["level"]).mean()))


def test_predictions_only_never_imports_torch(tmp_path: Path) -> None:
    # every built-in check of the release suite, and one that needs the model (skipped)
    builtin = [
        {"id": check_id, "severity": "warn", "params": {"n_boot": 20}}
        for check_id in RELEASE_CHECKS
    ]
    config = write_project(
        tmp_path, model=PRED_MODEL, suite=[*ACCURACY_SUITE, {"id": "test.model"}, *builtin]
    )
    setup = (
        "from govkit.checks import registry\n"
        "from tests.runner.checkdefs import TEST_CHECKS\n"
        "registry.BUILTIN_CHECKS.update(TEST_CHECKS)\n"
    )
    assert _imported_by_check(config, "torch", setup=setup) is False
    report = json.loads((tmp_path / "out" / "report.json").read_text())
    assert all(r["status"] != "error" for r in report["results"]), report["results"]


def test_a_gate_of_cells_never_imports_scipy_stats(tmp_path: Path) -> None:
    """scipy.stats costs a second of imports; only seed-level figures need it."""
    suite = [
        {"id": c, "severity": "warn", "params": {"n_boot": 20}}
        for c in (
            "performance.classification",
            "performance.calibration",
            "fairness.demographic_parity",
            "fairness.equalized_odds",
        )
    ]
    config = write_project(tmp_path, model=PRED_MODEL, suite=suite)
    assert _imported_by_check(config, "scipy.stats") is False


def _imported_by_check(config: Path, module: str, *, setup: str = "") -> bool:
    """Whether ``govkit check`` of ``config``, in a fresh interpreter, imported ``module``."""
    code = (
        f"import sys\n{setup}"
        "from govkit.cli import main\n"
        f"rc = main(['check', '-c', {str(config)!r}, '-q'])\n"
        f"print('RC', rc, 'IMPORTED', {module!r} in sys.modules)\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        cwd=REPO,
        timeout=120,
        env={**os.environ, "PYTHONPATH": str(REPO)},
    )
    assert "RC 0" in done.stdout or "RC 1" in done.stdout, done.stdout + done.stderr
    return "IMPORTED True" in done.stdout


# --- outputs -----------------------------------------------------------------------------------


def test_junit_parses_back(tmp_path: Path) -> None:
    suite = [
        _echo(value=0.5),
        {"id": "test.raises"},
        {"id": "test.skips", "severity": "warn"},
        _echo(value=0.5, severity="warn"),
        *ACCURACY_SUITE,
    ]
    suite[3]["id"] = "test.echo"
    suite = [suite[0], suite[1], suite[2], suite[4]]
    report = _run(tmp_path, suite)
    root = ET.parse(tmp_path / "out" / "junit.xml").getroot()
    (testsuite,) = root.findall("testsuite")
    cases = {c.get("name"): c for c in testsuite.findall("testcase")}
    assert list(cases) == [r.id for r in report.results]
    assert testsuite.get("tests") == "4" and testsuite.get("failures") == "1"
    assert testsuite.get("errors") == "1" and testsuite.get("skipped") == "1"
    failure = cases["test.echo"].find("failure")
    assert failure is not None and "above the maximum" in (failure.get("message") or "")
    assert cases["test.raises"].find("error") is not None
    assert cases["test.skips"].find("skipped") is not None
    assert cases["test.accuracy"].find("failure") is None


def test_report_json_round_trips(tmp_path: Path) -> None:
    report = _run(tmp_path, ACCURACY_SUITE)
    loaded = load_report(tmp_path / "out" / "report.json")
    assert loaded == report
    prov = loaded.provenance
    assert prov.device == "cpu" and prov.seed == 0 and prov.started_at.endswith("Z")
    roles = {a.role for a in prov.artifacts}
    assert roles == {"eval_data", "suite"} and len(prov.config_sha256) == 64
    assert prov.git_commit is None  # tmp folders are not repositories


def test_git_commit_is_recorded(tmp_path: Path) -> None:
    env = {
        **os.environ,
        "GIT_AUTHOR_NAME": "t",
        "GIT_AUTHOR_EMAIL": "t@example.org",
        "GIT_COMMITTER_NAME": "t",
        "GIT_COMMITTER_EMAIL": "t@example.org",
    }
    write_project(tmp_path, model=PRED_MODEL, suite=ACCURACY_SUITE)
    subprocess.run(["git", "init", "-q"], cwd=tmp_path, check=True, env=env)
    subprocess.run(["git", "add", "."], cwd=tmp_path, check=True, env=env)
    subprocess.run(["git", "commit", "-qm", "x"], cwd=tmp_path, check=True, env=env)
    head = subprocess.run(
        ["git", "rev-parse", "HEAD"], cwd=tmp_path, capture_output=True, text=True, check=True
    ).stdout.strip()
    report = execute_run(
        load_project_file(tmp_path / "govkit.yaml"), quiet=True, out=str(tmp_path / "elsewhere")
    ).report
    assert report.provenance.git_commit == head
    assert (tmp_path / "elsewhere" / "report.json").is_file()


def _strip_volatile(data: dict[str, Any]) -> dict[str, Any]:
    data["provenance"].pop("started_at")
    data["provenance"].pop("finished_at")
    for r in data["results"]:
        r.pop("duration_s")
    return data


@pytest.mark.slow
def test_same_inputs_same_report(tmp_path: Path) -> None:
    import torch

    from tests.runner.helpers import train_tiny

    model = train_tiny(make_frame())
    torch.jit.trace(model, (torch.zeros(2, 3),)).save(str(tmp_path / "model.pt"))
    builtin = [
        "performance.classification",
        "performance.calibration",
        "fairness.demographic_parity",
        "fairness.equalized_odds",
        "fairness.equal_opportunity",
    ]
    suite = [
        *ACCURACY_SUITE,
        {"id": "test.model"},
        # warn: no thresholds here, and a blocking check needs a criterion
        *({"id": c, "severity": "warn", "params": {"n_boot": 200}} for c in builtin),
    ]
    config = write_project(
        tmp_path, model={"path": "model.pt"}, suite=suite, documents=["card.yaml"]
    )
    (tmp_path / "card.yaml").write_text("kind: model_card\n")
    texts = []
    for run in range(2):
        execute_run(load_project_file(config), quiet=True, out=str(tmp_path / f"run{run}"))
        texts.append(json.loads((tmp_path / f"run{run}" / "report.json").read_text()))
    assert _strip_volatile(texts[0]) == _strip_volatile(texts[1])
    intervals = [m["ci"] for r in texts[0]["results"] for m in r["measurements"] if m["ci"]]
    assert len(intervals) > 50  # the bootstrap ran, and gave the same intervals twice
    assert {a["role"] for a in texts[0]["provenance"]["artifacts"]} == {
        "model",
        "eval_data",
        "suite",
        "document",
    }


# --- the command -------------------------------------------------------------------------------


def test_exit_codes(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    passing = write_project(tmp_path / "ok", model=PRED_MODEL, suite=ACCURACY_SUITE)
    assert main(["check", "-c", str(passing)]) == 0
    out = capsys.readouterr().out
    assert "test.accuracy" in out and "PASS" in out and "BLOCKING" in out
    failing = write_project(tmp_path / "bad", model=PRED_MODEL, suite=[_echo(value=0.5)])
    assert main(["check", "-c", str(failing)]) == 1
    captured = capsys.readouterr()
    assert "FAIL" in captured.out and "Traceback" not in captured.err
    assert main(["check", "-c", str(failing), "--device", "tpu"]) == 2
    assert "--device" in capsys.readouterr().err


def test_a_failed_run_leaves_no_folder_it_created(tmp_path: Path) -> None:
    config = write_project(tmp_path, model=PRED_MODEL, suite=ACCURACY_SUITE)
    (tmp_path / "eval.csv").unlink()  # the run stops on bad input (exit 2)
    assert main(["check", "-c", str(config), "--out", str(tmp_path / "new" / "out")]) == 2
    # the folders it made are gone; the lock file beside the output folder keeps its parent
    assert not (tmp_path / "new" / "out").exists()
    assert [p.name for p in (tmp_path / "new").iterdir()] == [".out.govkit-lock"]
    assert main(["check", "-c", str(config)]) == 2
    assert not (tmp_path / "out").exists()
    # a folder that was there before stays, with what it held
    make_frame().to_csv(tmp_path / "eval.csv", index=False)
    assert main(["check", "-c", str(config)]) == 0
    before = sorted(p.name for p in (tmp_path / "out").iterdir())
    (tmp_path / "eval.csv").unlink()
    assert main(["check", "-c", str(config)]) == 2
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == before


def test_format_json(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    config = write_project(tmp_path, model=PRED_MODEL, suite=ACCURACY_SUITE)
    assert main(["check", "-c", str(config), "--format", "json"]) == 0
    printed = json.loads(capsys.readouterr().out)
    assert printed == json.loads((tmp_path / "out" / "report.json").read_text())
    # warnings and progress never reach stdout, even on a terminal and when the gate fails
    monkeypatch.setattr(sys.stderr, "isatty", lambda: True)
    failing = write_project(
        tmp_path / "fail",
        model=PRED_MODEL,
        suite=[_echo(value=0.5), {"id": "test.raises"}],
        documents=["missing_card.yaml"],
        waivers=[_waiver(-1)],
    )
    assert main(["check", "-c", str(failing), "--format", "json"]) == 1
    captured = capsys.readouterr()
    assert captured.out == (tmp_path / "fail" / "out" / "report.json").read_text()
    assert json.loads(captured.out)["status"] == "fail"
    assert "expired" in captured.err and "missing_card.yaml" in captured.err
    assert "[1/2] test.echo" in captured.err


def test_cuda_without_cuda(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    import torch

    if torch.cuda.is_available():
        pytest.skip("CUDA is available here")
    torch.jit.trace(torch.nn.Linear(3, 1), (torch.zeros(2, 3),)).save(str(tmp_path / "m.pt"))
    config = write_project(tmp_path, model={"path": "m.pt"}, suite=ACCURACY_SUITE)
    assert main(["check", "-c", str(config), "--device", "cuda"]) == 2
    assert "CUDA is not available" in capsys.readouterr().err
    config = write_project(tmp_path, model={"path": "m.pt"}, suite=ACCURACY_SUITE, device="cuda:1")
    assert main(["check", "-c", str(config)]) == 2
    # the flag overrides the file
    assert main(["check", "-c", str(config), "--device", "cpu", "-q"]) in (0, 1)


@pytest.mark.slow
def test_python_m_govkit_check(tmp_path: Path) -> None:
    """The real command, in its own process, with the built-in fairness suite."""
    config = write_project(tmp_path, model=PRED_MODEL, suite="fairness", frame=make_frame(n=600))
    done = subprocess.run(
        [sys.executable, "-m", "govkit", "check", "-c", str(config), "-q", "--format", "json"],
        capture_output=True,
        text=True,
        cwd=REPO,
        timeout=120,
    )
    assert done.returncode in (0, 1), done.stderr
    report = json.loads(done.stdout)
    assert [r["id"] for r in report["results"]] == [
        "fairness.demographic_parity",
        "fairness.equalized_odds",
        "fairness.equal_opportunity",
    ]
    assert all(r["status"] != "error" for r in report["results"]), report["results"]
    assert done.returncode == (1 if report["status"] == "fail" else 0)
    (tmp_path / "eval.csv").unlink()
    done = subprocess.run(
        [sys.executable, "-m", "govkit", "check", "-c", str(config)],
        capture_output=True,
        text=True,
        cwd=REPO,
        timeout=120,
    )
    assert done.returncode == 2
    assert "eval.csv" in done.stderr and "Traceback" not in done.stderr


@pytest.mark.parametrize(
    ("tty", "quiet", "shown"), [(True, False, True), (True, True, False), (False, False, False)]
)
def test_progress_only_on_a_terminal_without_quiet(
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    tty: bool,
    quiet: bool,
    shown: bool,
) -> None:
    config = write_project(tmp_path, model=PRED_MODEL, suite=ACCURACY_SUITE)
    monkeypatch.setattr(sys.stderr, "isatty", lambda: tty)
    assert main(["check", "-c", str(config), *(["--quiet"] if quiet else [])]) == 0
    captured = capsys.readouterr()
    assert ("[1/1] test.accuracy" in captured.err) is shown
    assert "[1/1]" not in captured.out


# --- the report.json contract ------------------------------------------------------------------

CONTRACT_KEYS = {
    "report": {
        "report_version",
        "status",
        "system",
        "provenance",
        "results",
        "baselines",
        "plan",
        "engine",
    },
    "provenance": {
        "govkit_version",
        "python",
        "torch",
        "device",
        "seed",
        "started_at",
        "finished_at",
        "git_commit",
        "config_sha256",
        "artifacts",
    },
    "artifact": {"role", "path", "sha256", "bytes"},
    # `details` is govkit's one addition: curves and bins for the packet's charts
    "result": {
        "id",
        "title",
        "status",
        "blocking",
        "message",
        "params",
        "threshold",
        "waiver",
        "duration_s",
        "measurements",
        "details",
    },
    "measurement": {
        "name",
        "group",
        "feature",
        "value",
        "ci",
        "n",
        "model",
        "vs",
        "seed_sd",
        "seed",
    },
}


def _contract_report(tmp_path: Path) -> dict[str, Any]:
    """A real report with every status the run can give, a waiver, nulls and a document."""
    waiver = {
        "check": "test.echo",
        "owner": "Risk board",
        "justification": "Accepted for the pilot; retrain planned.",
        "expires": (date.today() + timedelta(days=30)).isoformat(),
    }
    suite = [
        *ACCURACY_SUITE,
        _echo(value=0.5),
        {"id": "test.raises"},
        {"id": "test.skips"},
        {"id": "test.model"},
    ]
    (tmp_path / "card.yaml").write_text("kind: model_card\n")
    _run(tmp_path, suite, extra={"waivers": [waiver], "documents": ["card.yaml"]})
    return dict(json.loads((tmp_path / "out" / "report.json").read_text()))


def test_report_validates_against_the_shipped_schema(tmp_path: Path) -> None:
    import jsonschema

    from govkit.resources import data_dir

    schema = json.loads((data_dir("schemas") / "report.schema.json").read_text())
    validator = jsonschema.Draft202012Validator(schema)
    report = _contract_report(tmp_path)
    assert {r["status"] for r in report["results"]} == {"pass", "fail", "error", "skipped"}
    assert [e.message for e in validator.iter_errors(report)] == []

    def rejected(change: Any) -> bool:
        broken = json.loads(json.dumps(report))
        change(broken)
        return not validator.is_valid(broken)

    assert rejected(lambda r: r["results"][0].update(status="passed"))
    assert rejected(lambda r: r["results"][0].pop("waiver"))
    assert rejected(lambda r: r["results"][0]["measurements"][0].pop("ci"))
    assert rejected(lambda r: r["provenance"]["artifacts"][0].update(role="config"))
    assert rejected(lambda r: r["provenance"].update(extra=1))
    assert rejected(lambda r: r.update(status="warn"))


def test_report_keys_are_the_contract(tmp_path: Path) -> None:
    report = _contract_report(tmp_path)
    prov = report["provenance"]
    assert set(report) == CONTRACT_KEYS["report"] and report["report_version"] == 1
    assert set(prov) == CONTRACT_KEYS["provenance"]
    assert {a["role"] for a in prov["artifacts"]} == {"eval_data", "suite", "document"}
    assert all(set(a) == CONTRACT_KEYS["artifact"] for a in prov["artifacts"])
    for result in report["results"]:
        assert set(result) == CONTRACT_KEYS["result"]
        for m in result["measurements"]:
            assert set(m) == CONTRACT_KEYS["measurement"]
    waived = next(r for r in report["results"] if r["id"] == "test.echo")
    assert waived["waiver"]["owner"] == "Risk board" and waived["blocking"] is False
