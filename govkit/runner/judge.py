"""Judging measurements against a suite's thresholds.

A check measures; this module decides. Every measurement whose name is a
threshold's ``metric`` (only overall figures when ``overall_only``) and whose
value is known is compared with the bound (a threshold with ``vs: NAME`` judges the paired
differences candidate minus baseline NAME instead of the candidate's own
figures; see :func:`applies_to`):

- ``point``: the point estimate;
- ``interval_lenient``: it fails only when the whole interval breaks the bound;
- ``interval_strict``: it passes only when the whole interval meets the bound.

A measurement without an interval is judged on its value in every mode.
The result is a status and one sentence naming the worst figure.

Missing evidence never passes. A figure the threshold applies to whose value
is unknown (a per-group AUC of a group with one class) makes the verdict
``insufficient_evidence`` unless another figure fails; it is never dropped
while the others pass. So does a figure that would pass but rests on fewer
than ``min_group_size`` rows (its ``n``: the rows it uses, e.g. the positive
labels for a recall), overall figures included.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Literal

from govkit.checks.base import Evidence
from govkit.report import Measurement
from govkit.suite import Threshold

__all__ = ["Finding", "Judgement", "applies_to", "describe_where", "format_number", "judge"]

Verdict = Literal["pass", "fail", "error", "insufficient_evidence"]

MAX_SMALL_GROUPS_SHOWN = 5


def format_number(value: float, *, against: float | None = None) -> str:
    """A figure for a sentence: 2 decimals, more when needed to differ from ``against``."""
    if not math.isfinite(value):
        return str(value)
    if abs(value) >= 1000:
        return f"{value:,.0f}"
    if value != 0 and abs(value) < 0.01:
        return f"{value:.2g}"
    if against is not None and value == against:
        against = None  # equal to the bound: more digits would not separate them
    for digits in range(2, 7):
        text = f"{value:.{digits}f}"
        if against is None or text != f"{against:.{digits}f}":
            return text
    return f"{value:.6f}"


def applies_to(t: Threshold, m: Measurement) -> bool:
    """Whether ``t`` judges ``m``: its metric, and whose figure it is.

    A threshold without ``vs`` judges only the candidate's own figures (``model``
    and ``vs`` null): a baseline's figures are context, never gated. A threshold
    with ``vs: NAME`` judges only the paired differences against NAME.

    With several training seeds, one seed's own figure (``seed`` set) is judged
    only by a threshold with ``seeds: all``, and such a threshold judges only
    those (with one checkpoint there are none, and :func:`judge` gives it the
    plain figures).
    """
    if m.name != t.metric:
        return False
    if (m.seed is not None) != (t.seeds == "all"):
        return False
    if t.vs is None:
        return m.model is None and m.vs is None
    return m.vs == t.vs


def describe_where(m: Measurement) -> str | None:
    """Where a figure applies, for a reviewer: ``sex=Female``, ``sex``, or nothing (overall)."""
    if m.group:
        return ", ".join(f"{k}={v}" for k, v in m.group.items())
    return m.feature


def _figure(m: Measurement, against: float | None = None) -> str:
    """``0.19 [0.18, 0.20]`` (``n=…`` is left to the table)."""
    if m.value is None:
        return "n/a"
    text = format_number(m.value, against=against)
    if m.ci is not None:
        lo, hi = m.ci
        text += f" [{format_number(lo, against=against)}, {format_number(hi, against=against)}]"
    return text


@dataclass(frozen=True)
class Finding:
    """One measurement judged against one threshold."""

    measurement: Measurement
    threshold: Threshold
    passed: bool
    #: how far the judged figure lies beyond (positive) or inside (negative) the bound
    margin: float

    def sentence(self) -> str:
        m, t = self.measurement, self.threshold
        bound, kind = (
            (t.max, "maximum")
            if t.max is not None and self._breaks_max()
            else ((t.min, "minimum") if t.min is not None else (t.max, "maximum"))
        )
        subject = _subject(m)
        fig = _figure(m, against=bound)
        b = format_number(bound, against=m.value) if bound is not None else "?"
        side = "above" if kind == "maximum" else "below"
        within = "below" if kind == "maximum" else "above"
        if self.passed:
            return f"{subject} is {fig}, {within} the {kind} {b}"
        if t.on == "interval_lenient" and m.ci is not None:
            return f"{subject} is {fig}: the whole interval is {side} the {kind} {b}"
        if t.on == "interval_strict" and m.ci is not None:
            return f"{subject} is {fig}: the interval is not entirely {within} the {kind} {b}"
        return f"{subject} is {fig}, {side} the {kind} {b}"

    def key_figure(self) -> str:
        """``name value [lo, hi]`` with enough digits to compare with the bound."""
        t = self.threshold
        bound = t.max if t.max is not None else t.min
        m = self.measurement
        name = m.name if m.vs is None else f"{m.name} vs {m.vs}"
        return f"{name} {_figure(m, against=bound)}"

    def _breaks_max(self) -> bool:
        t, m = self.threshold, self.measurement
        if t.max is None or m.value is None:
            return False
        lo, hi = _judged_span(m, t)
        return (
            hi > t.max
            if t.on == "interval_strict"
            else (lo > t.max if t.on == "interval_lenient" else m.value > t.max)
        )


def _judged_span(m: Measurement, t: Threshold) -> tuple[float, float]:
    value = float("nan") if m.value is None else float(m.value)
    if t.on != "point" and m.ci is not None:
        return float(m.ci[0]), float(m.ci[1])
    return value, value


def _assess(m: Measurement, t: Threshold) -> Finding:
    lo, hi = _judged_span(m, t)
    margins: list[float] = []
    if t.max is not None:
        # lenient: the low end must break it; strict: the high end must stay within
        judged = lo if t.on == "interval_lenient" else hi
        margins.append(judged - t.max)
    if t.min is not None:
        judged = hi if t.on == "interval_lenient" else lo
        margins.append(t.min - judged)
    margin = max(margins)
    return Finding(m, t, passed=margin <= 0, margin=margin)


@dataclass
class Judgement:
    """The verdict on one check's evidence."""

    status: Verdict
    message: str
    key_figure: str = "-"
    findings: list[Finding] = field(default_factory=list)


def _small_groups_sentence(evidence: Evidence) -> str:
    groups = evidence.small_groups
    shown = ", ".join(groups[:MAX_SMALL_GROUPS_SHOWN])
    if len(groups) > MAX_SMALL_GROUPS_SHOWN:
        shown += f" and {len(groups) - MAX_SMALL_GROUPS_SHOWN} more"
    # the reason is in each entry: fewer rows than the floor, or than a precise rate needs
    return (
        f"Too few rows to judge {len(groups)} group(s): {shown}; collect more data, "
        "merge small groups, or record a waiver"
    )


def _sentence(text: str) -> str:
    text = text.strip()
    return text if text.endswith((".", "!", "?")) else text + "."


def judge(
    evidence: Evidence,
    thresholds: list[Threshold] | tuple[Threshold, ...],
    *,
    min_group_size: int | None = None,
) -> Judgement:
    """Judge ``evidence`` against ``thresholds``.

    Returns
    -------
    Judgement
        ``fail`` when a threshold is broken or the evidence holds failures;
        ``insufficient_evidence`` when it would pass but some group is too
        small or a threshold's metric could not be computed; else ``pass``.
    """
    findings: list[Finding] = []
    unjudged: list[str] = []
    unmeasured: list[str] = []
    for t in thresholds:
        named = _judged_by(t, evidence.measurements)
        if not named:
            unmeasured.append(t.metric)
        if t.max_seed_sd is not None:
            spread, unknown = _spread_findings(t, named)
            findings += spread
            unjudged += unknown
            if t.max is None and t.min is None:
                continue
        candidates = [m for m in named if not t.overall_only or m.group is None]
        if named and not candidates:
            unjudged.append(t.metric)
        for m in candidates:
            if m.value is not None and math.isfinite(m.value):
                findings.append(_assess(m, t))
            else:
                unjudged.append(_subject(m))
    failed = sorted((f for f in findings if not f.passed), key=lambda f: -f.margin)
    if unmeasured:
        measured = sorted({m.name for m in evidence.measurements if m.vs is None})
        names = ", ".join(f"'{n}'" for n in unmeasured)
        return Judgement(
            "error",
            f"The suite sets a threshold on {names}, which this check does not measure "
            f"(it measures {', '.join(measured[:8]) or 'nothing'}); fix the metric name.",
            key_figure="-",
            findings=findings,
        )
    if failed or evidence.failures:
        if failed:
            worst = failed[0]
            text = worst.sentence()
            key = worst.key_figure()
        else:
            text, key = evidence.failures[0].rstrip("."), "-"
        others = len(failed) + len(evidence.failures) - 1
        if others > 0:
            text += f" ({others} more finding(s))"
        return Judgement("fail", _sentence(text), key, findings)
    closest = max(findings, key=lambda f: f.margin) if findings else None
    key = closest.key_figure() if closest else _first_figure(evidence.measurements)
    # An overall figure over all rows does not depend on any group's size; only
    # judging per-group figures, or aggregates across groups, needs every group
    # to be large enough. With no threshold at all, stay conservative.
    judges_groups = not findings or any(
        f.measurement.group is not None or f.measurement.feature is not None for f in findings
    )
    if evidence.small_groups and judges_groups:
        return Judgement(
            "insufficient_evidence",
            _sentence(_small_groups_sentence(evidence)),
            key,
            findings,
        )
    if unjudged:
        shown = ", ".join(dict.fromkeys(unjudged[:MAX_SMALL_GROUPS_SHOWN]))
        if len(unjudged) > MAX_SMALL_GROUPS_SHOWN:
            shown += f" and {len(unjudged) - MAX_SMALL_GROUPS_SHOWN} more"
        return Judgement(
            "insufficient_evidence",
            _sentence(
                f"{shown} could not be computed on this data, so "
                f"{'its threshold' if len(unjudged) == 1 else 'their thresholds'} "
                "could not be judged"
            ),
            key,
            findings,
        )
    thin = [f for f in findings if _too_few_rows(f.measurement, min_group_size)]
    if thin:
        described = ", ".join(
            f"{_subject(f.measurement)} (n={f.measurement.n})"
            for f in thin[:MAX_SMALL_GROUPS_SHOWN]
        )
        if len(thin) > MAX_SMALL_GROUPS_SHOWN:
            described += f" and {len(thin) - MAX_SMALL_GROUPS_SHOWN} more"
        return Judgement(
            "insufficient_evidence",
            _sentence(
                f"Too few rows to judge {described}: fewer than min_group_size "
                f"{min_group_size} rows behind the figure; collect more data or record a waiver"
            ),
            key,
            findings,
        )
    if evidence.summary:
        message = evidence.summary
    elif closest is not None:
        message = closest.sentence()
        if len(findings) > 1:
            message += f" (closest of {len(findings)} figures judged)"
    else:
        message = f"Measured {len(evidence.measurements)} figure(s); no threshold applies"
    return Judgement("pass", _sentence(message), key, findings)


def _judged_by(t: Threshold, measurements: list[Measurement]) -> list[Measurement]:
    """The figures ``t`` judges; ``seeds: all`` with one checkpoint judges the plain figures."""
    named = [m for m in measurements if applies_to(t, m)]
    if not named and t.seeds == "all" and not any(m.seed is not None for m in measurements):
        named = [m for m in measurements if applies_to(t.model_copy(update={"seeds": "mean"}), m)]
    return named


def _spread_findings(t: Threshold, named: list[Measurement]) -> tuple[list[Finding], list[str]]:
    """``max_seed_sd``: each seed-level figure's SD across seeds against the bound.

    With one checkpoint there is no spread to judge: the threshold lacks its evidence.
    """
    rule = Threshold(metric=f"{t.metric} seed_sd", max=t.max_seed_sd, vs=t.vs)
    found: list[Finding] = []
    unknown: list[str] = []
    for m in named:
        if m.seed is not None or (t.overall_only and m.group is not None):
            continue
        if m.seed_sd is None or not math.isfinite(m.seed_sd):
            unknown.append(f"the seed SD of {_subject(m)} (one checkpoint)")
            continue
        sd = m.model_copy(update={"name": f"{m.name} seed_sd", "value": m.seed_sd, "ci": None})
        found.append(_assess(sd, rule))
    return found, unknown


def _subject(m: Measurement) -> str:
    """``roc_auc for sex=Female``; a paired difference reads ``roc_auc vs logistic for ...``."""
    where = describe_where(m)
    name = m.name if m.vs is None else f"{m.name} vs {m.vs}"
    if m.seed is not None:
        name += f" of seed {m.seed}"
    return f"{name} for {where}" if where else name


def _too_few_rows(m: Measurement, min_group_size: int | None) -> bool:
    """A figure that rests on fewer rows than the floor (its ``n``: the rows it uses)."""
    return min_group_size is not None and m.n is not None and m.n < min_group_size


def _first_figure(measurements: list[Measurement]) -> str:
    for m in measurements:
        if m.group is None and m.value is not None and math.isfinite(m.value):
            return f"{m.name} {_figure(m)}"
    return "-"
