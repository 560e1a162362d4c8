"""Thresholds read as sentences: every combination of bound, judging mode, scope, severity and baseline."""

from __future__ import annotations

import itertools
from typing import Any

import pytest

from govkit.render.thresholds import parse_rules, rule_scope, threshold_sentence
from govkit.report import Measurement
from govkit.suite import Threshold

BOUNDS: list[dict[str, float]] = [{"min": 0.7}, {"max": 0.1}, {"min": 0.8, "max": 1.25}]
MODES = ["point", "interval_lenient", "interval_strict"]
SEVERITIES = {"block": "(blocking)", "warn": "(a warning only)"}


def test_the_examples_read_as_written() -> None:
    auc = Threshold(metric="roc_auc", min=0.70, overall_only=True)
    assert threshold_sentence(auc, "block") == "roc_auc overall must be at least 0.70 (blocking)"
    dp = Threshold(metric="demographic_parity_difference", max=0.10, on="interval_lenient")
    sex = [Measurement(name="demographic_parity_difference", feature="sex", value=0.2, n=100)]
    assert threshold_sentence(dp, "block", rule_scope(dp, sex)) == (
        "demographic_parity_difference on sex must be at most 0.10, "
        "judged on the interval's lenient end (blocking)"
    )
    vs = Threshold(metric="roc_auc", min=-0.005, overall_only=True, vs="previous")
    assert threshold_sentence(vs, "block") == (
        "roc_auc overall must be no more than 0.005 below baseline `previous` (blocking)"
    )


@pytest.mark.parametrize(
    ("bound", "on", "overall_only", "severity"),
    list(itertools.product(BOUNDS, MODES, [True, False], list(SEVERITIES))),
)
def test_every_combination_says_each_part(
    bound: dict[str, float], on: Any, overall_only: bool, severity: str
) -> None:
    rule = Threshold(metric="accuracy", on=on, overall_only=overall_only, **bound)
    text = threshold_sentence(rule, severity)
    assert text.startswith("accuracy overall must be " if overall_only else "accuracy wherever")
    assert text.endswith(SEVERITIES[severity])
    if "min" in bound and "max" in bound:
        assert "must be between 0.80 and 1.25" in text
    elif "min" in bound:
        assert "must be at least 0.70" in text
    else:
        assert "must be at most 0.10" in text
    assert ("lenient end" in text) == (on == "interval_lenient")
    assert ("strict end" in text) == (on == "interval_strict")
    assert "judged on" not in text if on == "point" else "judged on" in text


@pytest.mark.parametrize(
    ("bound", "phrase"),
    [
        ({"min": -0.005}, "no more than 0.005 below baseline `base`"),
        ({"min": 0.0}, "no lower than baseline `base`"),
        ({"min": 0.02}, "at least 0.02 above baseline `base`"),
        ({"max": 0.01}, "no more than 0.01 above baseline `base`"),
        ({"max": 0.0}, "no higher than baseline `base`"),
        ({"max": -0.03}, "at least 0.03 below baseline `base`"),
        ({"min": -0.01, "max": 0.01}, "no more than 0.01 below baseline `base` and no more "),
    ],
)
@pytest.mark.parametrize("severity", list(SEVERITIES))
def test_a_bound_against_a_baseline_names_it(
    bound: dict[str, float], phrase: str, severity: str
) -> None:
    rule = Threshold(metric="roc_auc", overall_only=True, vs="base", **bound)
    text = threshold_sentence(rule, severity)
    assert text.startswith("roc_auc overall must be " + phrase), text
    assert text.endswith(SEVERITIES[severity])


def test_scope_comes_from_the_figures_judged() -> None:
    rule = Threshold(metric="recall", min=0.5)
    figures = [
        Measurement(name="recall", value=0.6, n=10),
        Measurement(name="recall", group={"sex": "F"}, value=0.6, n=10),
        Measurement(name="recall", group={"race": "A"}, value=0.6, n=10),
        Measurement(name="other", group={"age": "old"}, value=0.6, n=10),
    ]
    assert rule_scope(rule, figures) == "overall and in each group of sex and race"
    overall = Threshold(metric="recall", min=0.5, overall_only=True)
    assert rule_scope(overall, figures) == "overall"
    # a figure against a baseline is judged only by the rule that names that baseline
    paired = [Measurement(name="recall", value=0.01, n=10, vs="previous")]
    assert rule_scope(Threshold(metric="recall", min=-0.01, vs="previous"), paired) == "overall"
    assert rule_scope(Threshold(metric="recall", min=0.5), paired) == "wherever measured"


def test_a_record_this_version_cannot_read_is_not_made_up() -> None:
    assert parse_rules({"severity": "block", "rules": [{"metric": "x", "max": 1}]}) is not None
    assert parse_rules({"rules": [{"metric": "x"}]}) is None  # no severity, no bound
    assert parse_rules({"severity": "block", "rules": [{"metric": "x"}]}) is None
    assert parse_rules({}) is None
