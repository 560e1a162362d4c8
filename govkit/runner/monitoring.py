"""``monitoring.json``: what operations watches once the release ships.

``govkit check`` writes it beside report.json. It holds the reference the
release was judged on, so that production data can be compared with it, and
the rules that gated the release, so that production figures can be judged
by them:

- ``features``: for every column of the evaluation data (label and prediction
  columns aside), its missing share and either quantiles (numeric columns) or
  category frequencies (the others);
- ``score``: quantiles of the predicted positive-class probability (binary);
- ``groups``: for every group of every sensitive column, its share of rows,
  base rate (observed positives) and selection rate (predicted positives);
- ``gates``: the thresholds of the blocking checks that gated this release;
- ``rollback``: for every figure those thresholds judged (and every criterion
  of a registered experiment plan), the bound past which it would have blocked
  this release, beside the released value: a production figure past it is the
  rollback signal.

Privacy: nothing here is a row. A category or group observed fewer than
``min_group_size`` times (the largest of the suite's checks) is folded into
``other (n<k)``, so a rare value, which could single a person out, never
appears; quantiles run from 5% to 95% (never a minimum or a maximum, which is
one person's value) and are given only for a column with at least
``min_group_size`` values. Columns found to hold personal data show no
category names at all.
"""

from __future__ import annotations

import json
import math
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any, Literal

from pydantic import Field

from govkit.report import PlanResult, Report
from govkit.runner.judge import applies_to
from govkit.strict import StrictModel
from govkit.suite import Threshold

if TYPE_CHECKING:
    import pandas as pd

    from govkit.checks.context import Predictions
    from govkit.runner.plan import PlannedCheck

__all__ = [
    "QUANTILES",
    "FeatureReference",
    "GroupReference",
    "Monitoring",
    "RollbackRule",
    "build_monitoring",
    "gates_and_rollback",
    "monitoring_json",
]

#: the quantiles given for numeric columns and the score (no extremes: each is one row)
QUANTILES: tuple[float, ...] = (0.05, 0.1, 0.25, 0.5, 0.75, 0.9, 0.95)
DEFAULT_MIN_GROUP_SIZE = 30


def other_label(k: int) -> str:
    """The name rare categories are folded under."""
    return f"other (n<{k})"


class FeatureReference(StrictModel):
    """Reference statistics of one column of the evaluation data."""

    name: str
    kind: Literal["numeric", "categorical"]
    n: int = Field(description="Rows with a value.")
    missing_share: float = Field(description="Share of rows without a value.")
    quantiles: dict[str, float] | None = Field(
        default=None,
        description="Numeric columns: quantile (0.05 ... 0.95) -> value; null with too few values.",
    )
    frequencies: dict[str, float] | None = Field(
        default=None,
        description="Categorical columns: category -> share of rows with a value; rare "
        "categories are folded into 'other (n<k)'.",
    )
    personal_data: bool = Field(
        default=False, description="True when the column holds personal data (no names shown)."
    )


class ScoreReference(StrictModel):
    """The predicted positive-class probability on the evaluation data."""

    n: int
    mean: float
    quantiles: dict[str, float]


class GroupReference(StrictModel):
    """One group of a sensitive column (or the rare groups folded together)."""

    column: str
    group: str
    n: int
    share: float = Field(description="Share of the evaluation rows.")
    base_rate: float | None = Field(description="Share of rows whose label is positive.")
    selection_rate: float | None = Field(description="Share of rows predicted positive.")


class Gate(StrictModel):
    """A threshold of a blocking check that gated this release."""

    check: str
    metric: str
    min: float | None = None
    max: float | None = None
    on: str
    overall_only: bool
    vs: str | None = None


class RollbackRule(StrictModel):
    """A figure that gated this release, its released value, and the bound that would block."""

    source: Literal["suite", "plan"]
    check: str | None
    metric: str
    where: str | None = Field(description="Group or grouping; null for the overall figure.")
    vs: str | None = None
    released: float | None = Field(description="The figure in this release.")
    ci: tuple[float, float] | None = None
    n: int | None = None
    min: float | None = Field(default=None, description="Roll back below this value.")
    max: float | None = Field(default=None, description="Roll back above this value.")
    on: str = Field(description="What is compared with the bound: point or an interval end.")


class Monitoring(StrictModel):
    """monitoring.json: the reference and the rules a release hands to operations."""

    monitoring_version: Literal[1] = 1
    system: dict[str, str]
    eval_data_sha256: str | None = Field(description="The evaluation data the reference is from.")
    rows: int = Field(description="Evaluation rows.")
    min_group_size: int = Field(description="Categories and groups rarer than this are folded.")
    features: list[FeatureReference]
    score: ScoreReference | None
    groups: list[GroupReference]
    gates: list[Gate]
    rollback: list[RollbackRule]


def _quantiles(values: Any) -> dict[str, float]:
    import numpy as np

    points = np.quantile(np.asarray(values, dtype=np.float64), QUANTILES)
    return {f"{q:g}": float(v) for q, v in zip(QUANTILES, points, strict=True)}


def _feature(column: pd.Series, k: int, personal: bool) -> FeatureReference:
    import pandas as pd

    total = len(column)
    present = column.dropna()
    n = len(present)
    missing = (total - n) / total if total else 0.0
    name = str(column.name)
    numeric = pd.api.types.is_numeric_dtype(present) and not pd.api.types.is_bool_dtype(present)
    if numeric and not personal:
        quantiles = _quantiles(present.to_numpy()) if n >= k else None
        return FeatureReference(
            name=name, kind="numeric", n=n, missing_share=missing, quantiles=quantiles
        )
    counts = present.astype(str).value_counts(sort=False)
    frequencies: dict[str, float] = {}
    rare = 0
    for value, count in sorted(counts.items()):
        if count < k or personal:
            rare += int(count)
        else:
            frequencies[str(value)] = int(count) / n
    if rare:
        frequencies[other_label(k)] = rare / n
    return FeatureReference(
        name=name,
        kind="categorical",
        n=n,
        missing_share=missing,
        frequencies=frequencies,
        personal_data=personal,
    )


def _groups(
    frame: pd.DataFrame, sensitive: Sequence[str], y_true: Any, predicted: Any, k: int
) -> list[GroupReference]:
    import numpy as np

    out: list[GroupReference] = []
    total = len(frame)
    for column in sensitive:
        values = frame[column].astype(str).to_numpy()
        rare = np.zeros(total, dtype=bool)
        for value in sorted(set(values)):
            mask = values == value
            if mask.sum() < k:
                rare |= mask
                continue
            out.append(_group(column, value, mask, y_true, predicted, total))
        if rare.any():
            out.append(_group(column, other_label(k), rare, y_true, predicted, total))
    return out


def _group(
    column: str, name: str, mask: Any, y_true: Any, predicted: Any, total: int
) -> GroupReference:
    n = int(mask.sum())
    return GroupReference(
        column=column,
        group=name,
        n=n,
        share=n / total,
        base_rate=float(y_true[mask].mean()) if y_true is not None else None,
        selection_rate=float(predicted[mask].mean()) if predicted is not None else None,
    )


def _where(group: dict[str, str] | None, feature: str | None) -> str | None:
    if group:
        return ", ".join(f"{k}={v}" for k, v in group.items())
    return feature


def _recorded_thresholds(report: Report) -> list[tuple[str, Threshold]]:
    """The thresholds of the blocking checks, as each result records them."""
    out: list[tuple[str, Threshold]] = []
    for r in report.results:
        record = r.threshold or {}
        if record.get("severity") != "block":
            continue
        for rule in record.get("rules") or []:
            try:
                out.append((r.id, Threshold.model_validate(rule)))
            except ValueError:
                continue  # a report written by another version: its rule is left out
    return out


def gates_and_rollback(report: Report) -> tuple[list[Gate], list[RollbackRule]]:
    """The thresholds that gated ``report``, and the rollback rule they imply.

    Read from the report alone (each result records its thresholds and
    severity), so ``govkit render`` shows the same rule ``govkit check`` wrote.
    """
    gates: list[Gate] = []
    rules: list[RollbackRule] = []
    for check_id, t in _recorded_thresholds(report):
        gates.append(
            Gate(
                check=check_id,
                metric=t.metric,
                min=t.min,
                max=t.max,
                on=t.on,
                overall_only=t.overall_only,
                vs=t.vs,
            )
        )
        result = report.result(check_id)
        # production runs one model: its rule bounds the seed-level figure, even where the
        # gate also required the bound in every seed
        seed_level = t.model_copy(update={"seeds": "mean"})
        for m in result.measurements if result is not None else []:
            if not applies_to(seed_level, m) or (t.min is None and t.max is None):
                continue
            if t.overall_only and m.group is not None:
                continue
            rules.append(
                RollbackRule(
                    source="suite",
                    check=check_id,
                    metric=m.name,
                    where=_where(m.group, m.feature),
                    vs=m.vs,
                    released=m.value,
                    ci=m.ci,
                    n=m.n,
                    min=t.min,
                    max=t.max,
                    on=t.on,
                )
            )
    rules += _plan_rules(report.plan)
    return gates, rules


def _plan_rules(plan: PlanResult | None) -> list[RollbackRule]:
    if plan is None or not plan.registered:
        return []
    out: list[RollbackRule] = []
    for c in plan.criteria:
        if c.kind != "acceptance":
            continue  # a guardrail's bound is relative to a baseline's figure, not a number
        key = "min" if c.op in (">=", ">") else "max"
        out.append(
            RollbackRule.model_validate(
                {
                    "source": "plan",
                    "check": c.check_id,
                    "metric": c.metric,
                    "where": c.slice or None,
                    "vs": c.vs,
                    "released": c.value,
                    "ci": c.ci,
                    "n": c.n,
                    key: c.threshold,
                    "on": "point",
                }
            )
        )
    return out


def build_monitoring(
    report: Report,
    plans: Sequence[PlannedCheck],
    frame: pd.DataFrame,
    *,
    label_column: str,
    y_true: Any,
    predictions: Predictions | None,
    sensitive: Sequence[str],
    skip_columns: Sequence[str] = (),
    personal: Sequence[str] = (),
) -> Monitoring:
    """The monitoring reference of one run.

    Parameters
    ----------
    report
        The run's report (its results, plan and provenance).
    plans
        The checks that ran (their ``min_group_size`` sets the folding floor).
    frame
        The evaluation data as loaded.
    label_column, y_true
        The label's column (left out of ``features``) and the labels as class
        indices (binary: 0/1).
    predictions
        The model's predictions on the evaluation data; None when unavailable.
    sensitive
        The sensitive columns whose groups are described.
    skip_columns
        Further columns that are not features (recorded prediction columns).
    personal
        Columns that hold personal data: their category names are never shown.
    """
    import numpy as np

    k = max(
        [
            int(getattr(p.params, "min_group_size", 0) or 0)
            for p in plans
            if isinstance(getattr(p.params, "min_group_size", None), int)
        ]
        or [DEFAULT_MIN_GROUP_SIZE]
    )
    skip = {label_column, *skip_columns}
    features = [
        _feature(frame[c], k, personal=str(c) in personal) for c in frame.columns if c not in skip
    ]
    binary = predictions is not None and np.ndim(predictions.scores) == 1
    score = None
    if (
        binary
        and predictions is not None
        and predictions.has_scores
        and len(predictions.scores) >= k
    ):
        scores = np.asarray(predictions.scores, dtype=np.float64)
        scores = scores[np.isfinite(scores)]
        score = ScoreReference(
            n=len(scores), mean=float(scores.mean()), quantiles=_quantiles(scores)
        )
    y = np.asarray(y_true) if binary else None
    predicted = np.asarray(predictions.labels) if binary and predictions is not None else None
    groups = _groups(frame, [s for s in sensitive if s not in personal], y, predicted, k)
    gates, rules = gates_and_rollback(report)
    eval_hash = report.provenance.data_sha256("eval_data")
    return Monitoring(
        system={"name": report.system.name, "version": report.system.version},
        eval_data_sha256=eval_hash,
        rows=len(frame),
        min_group_size=k,
        features=features,
        score=score,
        groups=groups,
        gates=gates,
        rollback=rules,
    )


def monitoring_json(monitoring: Monitoring) -> str:
    """The file's text: sorted keys, no NaN."""
    data = monitoring.model_dump(mode="json")
    return json.dumps(_finite(data), indent=2, sort_keys=True, allow_nan=False) + "\n"


def _finite(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _finite(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_finite(v) for v in value]
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value
