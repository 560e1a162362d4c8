"""Several training seeds: checkpoints and prediction-column pairs, seed-level figures.

Real tiny models are trained with different seeds and saved as TorchScript; the
report must give each figure as the mean over the seeds with its SD and a
two-level interval, each seed's own figure beside it, and judge thresholds on
the mean unless they say ``seeds: all``. Bad input is exit 2 at its line.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
import torch
from scipy.stats import norm

from govkit.cli import main
from govkit.project import load_project_file
from govkit.report import Measurement, Report
from govkit.runner import execute_run
from govkit.runner.seed_figures import ONE_CHECKPOINT
from tests.runner.helpers import make_frame, train_tiny, write_project

SUITE = [
    {
        "id": "performance.classification",
        "params": {"n_boot": 200},
        "thresholds": [{"metric": "accuracy", "min": 0.5}],
    }
]


def _save(model: torch.nn.Module, path: Path) -> None:
    torch.jit.script(model).save(str(path))


def _overall(report: Report, name: str, **kw: Any) -> list[Measurement]:
    return [
        m
        for m in report.results[0].measurements
        if m.name == name
        and m.group is None
        and m.feature is None
        and m.model is None
        and m.vs is None
        and all(getattr(m, k) == v for k, v in kw.items())
    ]


@pytest.fixture(scope="module")
def frame() -> pd.DataFrame:
    return make_frame(400)


@pytest.fixture(scope="module")
def seeds_dir(tmp_path_factory: pytest.TempPathFactory, frame: pd.DataFrame) -> Path:
    root = tmp_path_factory.mktemp("seeds")
    (root / "models").mkdir()
    for seed in range(3):
        # few steps, so the seeds differ visibly
        _save(train_tiny(frame, seed=seed, steps=8), root / "models" / f"seed_{seed}.ts")
    return root


def _run(root: Path, suite: list[dict[str, Any]], frame: pd.DataFrame, **model: Any) -> Report:
    config = write_project(root, model=model, suite=suite, frame=frame)
    return execute_run(load_project_file(config), quiet=True).report


def test_a_glob_of_checkpoints_gives_seed_level_figures(
    seeds_dir: Path, frame: pd.DataFrame
) -> None:
    report = _run(seeds_dir, SUITE, frame, paths="models/seed_*.ts")
    [mean] = _overall(report, "accuracy", seed=None)
    per_seed = _overall(report, "accuracy")[1:]
    assert [m.seed for m in per_seed] == ["seed_0", "seed_1", "seed_2"]
    values = np.array([m.value for m in per_seed])
    assert mean.value == pytest.approx(values.mean())
    assert mean.seed_sd == pytest.approx(values.std(ddof=1))
    assert mean.seed_sd > 0
    assert mean.n == 400 and all(m.n == 400 for m in per_seed)
    # the seed-level interval covers both rows and seeds: wider than any seed's own
    assert mean.ci is not None
    width = mean.ci[1] - mean.ci[0]
    assert all(width > m.ci[1] - m.ci[0] for m in per_seed if m.ci is not None)
    details = report.results[0].details["seeds"]
    assert details["count"] == 3
    # every checkpoint is an artifact of the run
    models = [a.path for a in report.provenance.artifacts if a.role == "model"]
    assert len(models) == 3
    # the threshold judged the mean only: the message names no single seed
    assert "of seed" not in report.results[0].message
    assert "mean over 3 seeds" in report.results[0].message


def test_seeds_all_requires_the_bound_in_every_seed(seeds_dir: Path, frame: pd.DataFrame) -> None:
    report = _run(seeds_dir, SUITE, frame, paths="models/seed_*.ts")
    per_seed = sorted(m.value for m in _overall(report, "accuracy") if m.seed is not None)
    [mean] = _overall(report, "accuracy", seed=None)
    # a bound between the worst seed and the mean: the mean meets it, one seed does not
    bound = (per_seed[0] + mean.value) / 2
    assert per_seed[0] < bound < mean.value
    rules = [
        {"metric": "accuracy", "min": bound, "overall_only": True},
        {"metric": "accuracy", "min": bound, "overall_only": True, "seeds": "all"},
    ]
    suites = [[{**SUITE[0], "thresholds": [r]}] for r in rules]
    mean_based = _run(seeds_dir / "a", suites[0], frame, paths="../models/seed_*.ts")
    every_seed = _run(seeds_dir / "b", suites[1], frame, paths="../models/seed_*.ts")
    assert mean_based.results[0].status == "pass"
    assert every_seed.results[0].status == "fail"
    assert "of seed seed_" in every_seed.results[0].message


def test_max_seed_sd_bounds_the_spread(seeds_dir: Path, frame: pd.DataFrame) -> None:
    suite = [{**SUITE[0], "thresholds": [{"metric": "accuracy", "max_seed_sd": 1e-6}]}]
    report = _run(seeds_dir / "c", suite, frame, paths="../models/seed_*.ts")
    assert report.results[0].status == "fail"
    assert "accuracy seed_sd" in report.results[0].message


def test_prediction_column_pairs_are_seeds(tmp_path: Path) -> None:
    frame = make_frame()
    rng = np.random.default_rng(1)
    pairs = []
    for j in range(4):
        logit = np.log(frame["pred_score"] / (1 - frame["pred_score"])) + rng.normal(0, 1, 300)
        p = 1 / (1 + np.exp(-logit))
        frame[f"s{j}"] = p
        frame[f"l{j}"] = (p >= 0.5).astype(int)
        pairs.append({"label": f"l{j}", "score": f"s{j}"})
    report = _run(tmp_path, SUITE, frame, predictions=pairs)
    [mean] = _overall(report, "roc_auc", seed=None)
    per_seed = [m for m in _overall(report, "roc_auc") if m.seed is not None]
    assert [m.seed for m in per_seed] == ["0", "1", "2", "3"]
    assert mean.value == pytest.approx(np.mean([m.value for m in per_seed]))
    assert report.results[0].status == "pass"


def test_one_checkpoint_says_figures_hold_no_seed_variation(tmp_path: Path) -> None:
    report = _run(
        tmp_path, SUITE, make_frame(), predictions={"label": "pred_label", "score": "pred_score"}
    )
    result = report.results[0]
    assert result.details["seeds"] == {"count": 1, "note": ONE_CHECKPOINT}
    assert all(m.seed is None and m.seed_sd is None for m in result.measurements)
    from govkit.render.context import build_context
    from govkit.render.packet import load_inputs, render_markdown

    project = load_project_file(tmp_path / "govkit.yaml")
    text = render_markdown(build_context(load_inputs(project, None)), None)["report.md"]
    assert "do not include the variation between training seeds" in text
    assert "Stability across" not in text


# --- bad input: exit 2 at the line --------------------------------------------------------------


def _fails_at(config: Path, text: str, capsys: pytest.CaptureFixture[str]) -> str:
    code = main(["check", "-c", str(config), "-q"])
    err = capsys.readouterr().err
    assert code == 2, err
    line = next(i for i, s in enumerate(config.read_text().splitlines(), 1) if text in s)
    assert f"govkit.yaml:{line}:" in err, err
    assert "Traceback" not in err
    assert not (config.parent / "out" / "report.json").exists()
    return err


def test_a_glob_matching_nothing(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    config = write_project(tmp_path, model={"paths": "models/*.ts"}, suite=SUITE)
    err = _fails_at(config, "paths:", capsys)
    assert "matches no file" in err


def test_checkpoints_of_different_architectures(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], frame: pd.DataFrame
) -> None:
    _save(train_tiny(frame, steps=2), tmp_path / "a.ts")
    torch.manual_seed(0)
    wider = torch.nn.Sequential(torch.nn.Linear(3, 16), torch.nn.ReLU(), torch.nn.Linear(16, 1))
    _save(wider.eval(), tmp_path / "b.ts")
    config = write_project(tmp_path, model={"paths": ["a.ts", "b.ts"]}, suite=SUITE)
    err = _fails_at(config, "- b.ts", capsys)
    assert "not the architecture of a.ts" in err


def test_pairs_with_and_without_scores(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    pairs = [{"label": "pred_label", "score": "pred_score"}, {"label": "pred_label"}]
    config = write_project(tmp_path, model={"predictions": pairs}, suite=SUITE)
    err = _fails_at(config, "predictions:", capsys)
    assert "1 of 2 pairs lack one" in err


# --- paired comparisons over seeds: known truth ----------------------------------------------------

BASE_AUC = 0.80
#: each seed's true AUC minus the baseline's: +0.02 on average, one seed worse
SEED_GAINS = [0.04, 0.03, 0.03, 0.02, -0.02]


def _binormal(rng: np.random.Generator, y: np.ndarray, auc: float) -> np.ndarray:
    """Scores whose true ROC AUC is ``auc``: N(d, 1) for positives, N(0, 1) for negatives."""
    d = np.sqrt(2.0) * norm.ppf(auc)
    return 1.0 / (1.0 + np.exp(-(d * y + rng.standard_normal(y.shape[0]) - d / 2)))


def test_a_mean_win_with_one_losing_seed(tmp_path: Path) -> None:
    rng = np.random.default_rng(3)
    n = 10_000
    y = rng.integers(0, 2, n)
    frame = pd.DataFrame(
        {"x1": rng.standard_normal(n), "sex": rng.choice(["F", "M"], n), "label": y}
    )
    frame["base"] = _binormal(rng, y, BASE_AUC)
    pairs = []
    for j, gain in enumerate(SEED_GAINS):
        frame[f"s{j}"] = _binormal(rng, y, BASE_AUC + gain)
        frame[f"l{j}"] = (frame[f"s{j}"] >= 0.5).astype(int)
        pairs.append({"label": f"l{j}", "score": f"s{j}"})
    frame["base_label"] = (frame["base"] >= 0.5).astype(int)
    data = {"eval": "eval.csv", "label": "label", "sensitive": ["sex"]}
    rule = {"metric": "roc_auc", "vs": "base", "min": 0.0, "overall_only": True}
    reports = []
    for name, extra in (("mean", {}), ("all", {"seeds": "all"})):
        suite = [
            {
                "id": "performance.classification",
                "params": {"n_boot": 100},
                "thresholds": [{**rule, **extra}],
            }
        ]
        config = write_project(
            tmp_path / name,
            model={"predictions": pairs},
            data=data,
            suite=suite,
            frame=frame,
            baselines=[{"name": "base", "predictions": {"label": "base_label", "score": "base"}}],
        )
        reports.append(execute_run(load_project_file(config), quiet=True).report)
    mean_based, every_seed = (r.results[0] for r in reports)
    diff = next(
        m
        for m in mean_based.measurements
        if m.name == "roc_auc" and m.vs == "base" and m.seed is None and m.group is None
    )
    assert diff.value == pytest.approx(np.mean(SEED_GAINS), abs=0.01)
    assert diff.seed_sd == pytest.approx(np.std(SEED_GAINS, ddof=1), abs=0.01)
    assert mean_based.status == "pass"
    assert every_seed.status == "fail"
    assert "roc_auc vs base of seed 4" in every_seed.message
    assert mean_based.details["seeds"]["above_baseline"]["roc_auc vs base"] == 0.8


def test_packet_shows_the_stability_table(seeds_dir: Path, frame: pd.DataFrame) -> None:
    root = seeds_dir / "packet"
    report = _run(root, SUITE, frame, paths="../models/seed_*.ts")
    [mean] = _overall(report, "accuracy", seed=None)
    values = [m.value for m in _overall(report, "accuracy") if m.seed is not None]
    config = root / "govkit.yaml"
    for fmt in ("md", "html"):
        assert main(["render", "-c", str(config), "--format", fmt, "--out", str(root / fmt)]) == 0
    text = (root / "md" / "report.md").read_text()
    assert "Stability across 3 training seeds" in text
    row = next(line for line in text.splitlines() if line.startswith("| accuracy | overall |"))
    cells = [c.strip() for c in row.strip("|").split("|")]
    assert float(cells[2]) == pytest.approx(mean.value, abs=1e-4)
    assert float(cells[3]) == pytest.approx(mean.seed_sd, abs=1e-4)
    assert float(cells[4]) == pytest.approx(min(values), abs=1e-4)
    assert float(cells[5]) == pytest.approx(max(values), abs=1e-4)
    # each seed's own figure is labelled with its seed in the measurement list
    assert "| accuracy, seed seed\\_1 |" in text
    # the handoff's rollback rules hold the seed-level figure only
    handoff = text.split("## Handoff", 1)[1].split("## Results", 1)[0]
    assert handoff.count("| accuracy |") == 1
    html = next((root / "html").glob("*.html")).read_text()
    assert "Stability across 3 training seeds" in html


# --- baselines with seeds ------------------------------------------------------------------------


def test_baseline_seeds_are_paired_seed_by_seed(seeds_dir: Path, frame: pd.DataFrame) -> None:
    """The same checkpoints as candidate and baseline: paired seed by seed, every difference is 0."""
    config = write_project(
        seeds_dir / "self",
        model={"paths": "../models/seed_*.ts"},
        suite=SUITE,
        frame=frame,
        baselines=[{"name": "same", "paths": "../models/seed_*.ts"}],
    )
    report = execute_run(load_project_file(config), quiet=True).report
    ms = report.results[0].measurements
    diffs = [m for m in ms if m.vs == "same" and m.value is not None]
    assert diffs and all(m.value == pytest.approx(0.0, abs=1e-12) for m in diffs)
    # the baseline's own figures vary with its seeds like the candidate's
    [own] = [
        m
        for m in ms
        if m.name == "roc_auc" and m.model == "same" and m.group is None and m.seed is None
    ]
    [cand] = _overall(report, "roc_auc", seed=None)
    assert own.value == pytest.approx(cand.value) and own.seed_sd == pytest.approx(cand.seed_sd)
    roles = [a.role for a in report.provenance.artifacts]
    assert roles.count("baseline") == 3


def test_baseline_with_another_number_of_seeds(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    pairs = [{"label": "pred_label", "score": "pred_score"}] * 3
    config = write_project(
        tmp_path,
        model={"predictions": pairs},
        suite=SUITE,
        baselines=[{"name": "two", "predictions": pairs[:2]}],
    )
    err = _fails_at(config, "name: two", capsys)
    assert "baseline 'two' has 2 seeds and the candidate 3" in err


def test_mlflow_names_each_seeds_figure_apart() -> None:
    from govkit.runner.mlflow_log import metric_name

    level = Measurement(name="accuracy", value=0.8, seed_sd=0.01)
    one = Measurement(name="accuracy", value=0.79, seed="seed_1")
    names = {metric_name("performance.classification", m) for m in (level, one)}
    assert len(names) == 2
    assert metric_name("performance.classification", one).endswith("/seed.seed_1")


def test_strip_plot_draws_each_seed_of_each_judged_figure(
    seeds_dir: Path, frame: pd.DataFrame
) -> None:
    from govkit.render.charts import figures_for

    report = _run(seeds_dir / "strip", SUITE, frame, paths="../models/seed_*.ts")
    result = report.results[0]
    title, alt, fig = figures_for(result)[0]
    assert title == "Judged figures across 3 training seeds"
    [ax] = fig.axes
    dots = [c for c in ax.collections if c.get_offsets().shape[0] == 3]
    values = sorted(m.value for m in _overall(report, "accuracy") if m.seed is not None)
    assert len(dots) == 1  # accuracy is the one judged figure: one row of three seeds
    assert sorted(dots[0].get_offsets()[:, 0].tolist()) == pytest.approx(values)
    assert alt.startswith("Each judged figure in each of 3 training seeds: accuracy from")


def test_baseline_checkpoints_of_different_architectures(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], frame: pd.DataFrame
) -> None:
    _save(train_tiny(frame, steps=2), tmp_path / "a.ts")
    _save(train_tiny(frame, seed=1, steps=2), tmp_path / "b.ts")
    torch.manual_seed(0)
    wider = torch.nn.Sequential(torch.nn.Linear(3, 16), torch.nn.ReLU(), torch.nn.Linear(16, 1))
    _save(wider.eval(), tmp_path / "wide.ts")
    config = write_project(
        tmp_path,
        model={"paths": ["a.ts", "b.ts"]},
        suite=SUITE,
        baselines=[{"name": "old", "paths": ["a.ts", "wide.ts"]}],
    )
    err = _fails_at(config, "- wide.ts", capsys)
    assert "checkpoint wide.ts is not the architecture of a.ts" in err


def test_calibration_and_fairness_figures_are_seed_level_too(tmp_path: Path) -> None:
    frame = make_frame(600)
    rng = np.random.default_rng(2)
    pairs = []
    for j in range(3):
        logit = np.log(frame["pred_score"] / (1 - frame["pred_score"])) + rng.normal(0, 0.7, 600)
        frame[f"s{j}"] = 1 / (1 + np.exp(-logit))
        frame[f"l{j}"] = (frame[f"s{j}"] >= 0.5).astype(int)
        pairs.append({"label": f"l{j}", "score": f"s{j}"})
    suite = [
        {
            "id": "performance.calibration",
            "params": {"n_boot": 100},
            "thresholds": [{"metric": "ece", "max": 0.5}],
        },
        {
            "id": "fairness.demographic_parity",
            "params": {"n_boot": 100},
            "thresholds": [{"metric": "demographic_parity_difference", "max": 0.9}],
        },
    ]
    report = _run(tmp_path, suite, frame, predictions=pairs)
    for result in report.results:
        assert result.status != "error", result.message
        level = [m for m in result.measurements if m.seed is None and m.value is not None]
        own = [m for m in result.measurements if m.seed is not None]
        assert level and all(m.seed_sd is not None for m in level), result.id
        # every seed-level figure has each seed's own figure beside it
        assert len(own) == 3 * len([m for m in result.measurements if m.seed is None])
        assert result.details["seeds"]["count"] == 3
