"""Per-group charts draw the bound, mark the groups not judged, and say in words what they show.

The result charted is real: a logistic regression trained on a sample of the
Adult data, measured by the demographic parity check and judged by the gate,
as ``govkit check`` would. The sample is small enough that some race groups
are too small to judge.
"""

from __future__ import annotations

import itertools
import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from govkit.checks._fairness import FairnessParams
from govkit.checks.demographic_parity import DemographicParity
from govkit.render.charts import charts_for, figures_for
from govkit.report import CheckResult
from govkit.runner.judge import judge
from govkit.suite import Threshold
from tests.checks.helpers import Trained, make_context

ADULT = Path(__file__).resolve().parents[2] / "examples" / "adult" / "data" / "adult.csv"
NUMERIC = ["age", "education-num", "hours-per-week", "capital-gain"]


def _train(frame: pd.DataFrame, y: np.ndarray, seed: int = 0) -> np.ndarray:
    """A logistic regression fitted by gradient descent; returns its scores on ``frame``."""
    x = frame[NUMERIC].to_numpy(dtype=np.float64)
    x = np.column_stack([(x - x.mean(0)) / x.std(0), np.ones(len(x))])
    w = np.random.default_rng(seed).normal(0, 0.01, x.shape[1])
    for _ in range(300):
        p = 1 / (1 + np.exp(-x @ w))
        w -= 0.5 * x.T @ (p - y) / len(y)
    return np.asarray(1 / (1 + np.exp(-x @ w)))


@pytest.fixture(scope="module")
def result() -> CheckResult:
    frame = pd.read_csv(ADULT, skipinitialspace=True).sample(n=3000, random_state=0)
    frame = frame.reset_index(drop=True)
    y = frame["class"].str.contains(">50K").to_numpy().astype(np.int64)
    scores = _train(frame, y)
    data = Trained(frame=frame, y_true=y, labels=(scores >= 0.5).astype(np.int64), scores=scores)
    ctx = make_context(data, sensitive=["sex", "race"])
    check = DemographicParity()
    evidence = check.measure(ctx, FairnessParams(n_boot=200))
    rule = Threshold(metric="demographic_parity_difference", max=0.10, on="interval_lenient")
    verdict = judge(evidence, [rule])
    return CheckResult(
        id=check.id,
        title=check.title,
        status=verdict.status,
        blocking=verdict.status != "pass",
        message=verdict.message,
        threshold={"severity": "block", "rules": [rule.model_dump(exclude_none=True)]},
        measurements=evidence.measurements,
        details=evidence.details,
    )


def _unjudged_groups(result: CheckResult) -> list[str]:
    return [
        ", ".join(f"{k}={v}" for k, v in g["group"].items())
        for grouping in result.details["groupings"]
        for g in grouping["groups"]
        if not g["rates"]["selection_rate"]["judged"]
    ]


def test_the_chart_draws_the_bound_and_marks_groups_not_judged(result: CheckResult) -> None:
    (caption, _alt, fig), *_ = figures_for(result)
    assert caption.startswith("selection_rate by group")
    ax = fig.axes[0]
    lines = {line.get_gid(): line for line in ax.get_lines() if line.get_gid()}
    # the bound: a dashed vertical line at the highest judged rate minus 0.10
    bound = lines["bound"]
    assert bound.get_linestyle() == "--"
    xs = set(np.asarray(bound.get_xdata(), dtype=float))
    judged = lines["judged"]
    assert len(xs) == 1 and xs.pop() == pytest.approx(max(judged.get_xdata()) - 0.10)
    # judged groups filled circles, the others hollow squares in another colour
    unjudged = _unjudged_groups(result)
    assert unjudged, "the sample should leave some race group too small to judge"
    hollow = lines["not-judged"]
    assert len(hollow.get_xdata()) == len(unjudged)
    assert judged.get_marker() == "o" and hollow.get_marker() == "s"
    assert hollow.get_markerfacecolor() == "none" and judged.get_markerfacecolor() != "none"
    assert judged.get_color() != hollow.get_color()
    legend = [t.get_text() for t in ax.get_legend().get_texts()]
    assert "judged group" in legend and "not judged (too few rows)" in legend
    assert any("bound on the difference" in text for text in legend)


def test_the_palette_reads_in_greyscale(result: CheckResult) -> None:
    from matplotlib.colors import to_rgb

    (_, _, fig), *_ = figures_for(result)
    lines = {line.get_gid(): line for line in fig.axes[0].get_lines() if line.get_gid()}

    def lightness(colour: str) -> float:
        r, g, b = to_rgb(colour)
        return 0.2126 * r + 0.7152 * g + 0.0722 * b

    shades = sorted(lightness(lines[k].get_color()) for k in ("judged", "not-judged", "bound"))
    assert min(b - a for a, b in itertools.pairwise(shades)) > 0.1


def test_the_text_alternative_says_worst_group_figure_and_bound(result: CheckResult) -> None:
    (_, alt, _), *_ = figures_for(result)
    rates = {
        ", ".join(f"{k}={v}" for k, v in m.group.items()): m
        for m in result.measurements
        if m.name == "selection_rate" and m.group
    }
    lowest = min(rates, key=lambda g: rates[g].value or 0.0)
    highest = max(rates, key=lambda g: rates[g].value or 0.0)
    assert alt.startswith("selection_rate by group: lowest " + lowest)
    assert f"(n={rates[lowest].n:,})" in alt
    assert f"highest {highest}" in alt
    assert "bound on the difference 0.10" in alt
    assert f"{len(_unjudged_groups(result))} group(s) not judged" in alt


def test_the_html_uses_the_alt_text(result: CheckResult) -> None:
    chart = charts_for(result)[0]
    assert chart.alt.startswith("selection_rate by group")
    from govkit.render.environment import make_environment

    env = make_environment("html")
    html = env.from_string('<img src="{{ c.uri }}" alt="{{ c.alt }}" title="{{ c.alt }}">').render(
        c=chart
    )
    assert re.search(r'alt="selection_rate by group: lowest [^"]+"', html)
