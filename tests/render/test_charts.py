"""Charts: drawn from what the report has, deterministic, bounded in size."""

from __future__ import annotations

import base64

from govkit.render.charts import MAX_CURVE_POINTS, Chart, charts_for, thin
from govkit.report import CheckResult, Report

ROC = "ROC curve of the membership inference attack"
CALIBRATION = "Calibration curve (overall)"


def _titles(result: CheckResult | None) -> list[str]:
    assert result is not None
    return [c.title for c in charts_for(result)]


def test_each_chart_comes_from_its_data(report: Report) -> None:
    assert _titles(report.result("fairness.demographic_parity")) == [
        "selection_rate by group, with 95% intervals"
    ]
    assert _titles(report.result("attribution.importance")) == [
        "Mean absolute attribution by feature"
    ]
    # Both checks also measure per group, so their judged figures get group charts too.
    # The fixture's groups have fewer than 1,000 non-members: their TPR at 1% FPR is null
    # and not charted.
    assert _titles(report.result("privacy.membership_inference")) == [
        "roc_auc by group, with 95% intervals",
        "membership_advantage by group, with 95% intervals",
        ROC,
    ]
    assert _titles(report.result("performance.calibration")) == [
        "ece by group, with 95% intervals",
        CALIBRATION,
    ]
    assert _titles(report.result("data.leakage")) == []


def _curves(result: CheckResult) -> list[Chart]:
    return [c for c in charts_for(result) if c.title in (ROC, CALIBRATION)]


def _svg(chart_uri: str) -> bytes:
    return base64.b64decode(chart_uri.split(",", 1)[1])


def test_roc_chart_reads_the_membership_check_details(report: Report) -> None:
    # The fixture's result comes from privacy.membership_inference itself.
    result = report.result("privacy.membership_inference")
    assert result is not None
    attack = result.details["strongest_attack"]
    assert isinstance(attack, str) and result.details["roc_curve"]["fpr"]
    (chart,) = _curves(result)
    assert f"{attack} attack".encode() in _svg(chart.uri)
    # Without a strongest attack the check writes roc_curve null: no chart, no error.
    nulled = {**result.details, "roc_curve": None, "strongest_attack": None}
    assert _curves(result.model_copy(update={"details": nulled})) == []


def test_calibration_chart_reads_the_overall_reliability_bins(report: Report) -> None:
    # The fixture's result comes from performance.calibration itself.
    result = report.result("performance.calibration")
    assert result is not None
    entries = result.details["reliability"]
    assert entries[0]["group"] is None and len(entries) > 1
    # Only the per-group entries left: nothing overall to draw.
    groups_only = {**result.details, "reliability": entries[1:]}
    assert _curves(result.model_copy(update={"details": groups_only})) == []
    # Empty bins hold null figures; they are left out, and all-empty draws nothing.
    bins = [dict(b) for b in entries[0]["bins"]]
    for b in bins[1:]:
        b.update(mean_predicted=None, observed_rate=None, count=0)
    sparse = {**result.details, "reliability": [{"group": None, "bins": bins}]}
    assert [c.title for c in _curves(result.model_copy(update={"details": sparse}))] == [
        CALIBRATION
    ]
    for b in bins:
        b.update(mean_predicted=None, observed_rate=None, count=0)
    assert _curves(result.model_copy(update={"details": sparse})) == []


def test_missing_or_malformed_details_are_skipped(report: Report) -> None:
    result = report.result("privacy.membership_inference")
    assert result is not None
    for details in (
        {},
        {"roc_curve": {"fpr": [0.1]}},
        {"roc_curve": {"fpr": [0.1, 0.2], "tpr": ["x", 0.3]}},
        {"roc_curve": "nonsense"},
        {"reliability": "nonsense"},
        {"reliability": [{"group": None, "bins": [{"mean_predicted": 0.2}]}]},
    ):
        assert _curves(result.model_copy(update={"details": details})) == [], details


def test_charts_are_deterministic_svg(report: Report) -> None:
    result = report.result("fairness.demographic_parity")
    assert result is not None
    first, second = charts_for(result), charts_for(result)
    assert [c.uri for c in first] == [c.uri for c in second]
    svg = base64.b64decode(first[0].uri.split(",", 1)[1])
    assert svg.lstrip().startswith(b"<?xml") and b"<dc:date>" not in svg
    assert b"sex=Female" in svg


def test_chart_size_does_not_grow_with_rows(report: Report) -> None:
    # The check stores a bounded curve; a longer one (another check, an older
    # report) in the same layout is thinned to a bounded chart all the same.
    result = report.result("privacy.membership_inference")
    assert result is not None

    def with_points(n: int) -> CheckResult:
        xs = [i / (n - 1) for i in range(n)]
        curve = {"fpr": xs, "tpr": [x**0.5 for x in xs]}
        return result.model_copy(update={"details": {**result.details, "roc_curve": curve}})

    size_small = len(_curves(with_points(1_000))[0].uri)
    size_large = len(_curves(with_points(50_000))[0].uri)
    assert size_large < 1.5 * size_small


def test_thin_keeps_ends_and_limits_points() -> None:
    xs = [i / 9999 for i in range(10_000)]
    tx, _ty = thin(xs, xs)
    assert len(tx) <= MAX_CURVE_POINTS and tx[0] == 0.0 and tx[-1] == 1.0
    assert thin([1.0, 2.0], [3.0, 4.0]) == ([1.0, 2.0], [3.0, 4.0])


def test_group_chart_draws_an_interval_that_misses_its_point(report: Report) -> None:
    # A bootstrap interval of a biased statistic (ECE) can lie wholly above the
    # point estimate; the German Credit packet has such groups. The chart draws it.
    result = report.result("performance.calibration")
    assert result is not None
    shifted = [
        m.model_copy(update={"ci": (m.value + 0.01, m.value + 0.1)})
        if m.group and m.value is not None
        else m
        for m in result.measurements
    ]
    charts = charts_for(result.model_copy(update={"measurements": shifted}))
    assert any(c.title.startswith("ece by group, with 95% intervals") for c in charts)
