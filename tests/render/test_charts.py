"""Charts: drawn from what the report has, deterministic, bounded in size."""

from __future__ import annotations

import base64

from govkit.render.charts import MAX_CURVE_POINTS, charts_for, thin
from govkit.report import CheckResult, Report
from tests.render.conftest import build_report


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
    assert _titles(report.result("privacy.membership_inference")) == [
        "ROC curve of the membership inference attack"
    ]
    assert _titles(report.result("performance.calibration")) == ["Calibration curve"]
    assert _titles(report.result("data.leakage")) == []


def test_missing_or_malformed_details_are_skipped(report: Report) -> None:
    result = report.result("privacy.membership_inference")
    assert result is not None
    assert charts_for(result.model_copy(update={"details": {}})) == []
    assert charts_for(result.model_copy(update={"details": {"roc": {"fpr": [0.1]}}})) == []
    assert charts_for(result.model_copy(update={"details": {"roc": "nonsense"}})) == []


def test_charts_are_deterministic_svg(report: Report) -> None:
    result = report.result("fairness.demographic_parity")
    assert result is not None
    first, second = charts_for(result), charts_for(result)
    assert [c.uri for c in first] == [c.uri for c in second]
    svg = base64.b64decode(first[0].uri.split(",", 1)[1])
    assert svg.lstrip().startswith(b"<?xml") and b"<dc:date>" not in svg
    assert b"sex=Female" in svg


def test_chart_size_does_not_grow_with_rows() -> None:
    small = build_report(n_rows=1_000).result("privacy.membership_inference")
    large = build_report(n_rows=50_000).result("privacy.membership_inference")
    assert small is not None and large is not None
    assert len(large.details["roc"]["fpr"]) == 50_000
    size_small = len(charts_for(small)[0].uri)
    size_large = len(charts_for(large)[0].uri)
    assert size_large < 1.5 * size_small


def test_thin_keeps_ends_and_limits_points() -> None:
    xs = [i / 9999 for i in range(10_000)]
    tx, _ty = thin(xs, xs)
    assert len(tx) <= MAX_CURVE_POINTS and tx[0] == 0.0 and tx[-1] == 1.0
    assert thin([1.0, 2.0], [3.0, 4.0]) == ([1.0, 2.0], [3.0, 4.0])
