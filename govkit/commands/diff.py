"""``govkit diff OLD NEW``: every figure two reports share, side by side.

Release over release, the question is what changed. A figure is the same
figure in both reports when its check id, name, group, feature, ``model`` and
``vs`` agree (a report written before ``model`` and ``vs`` existed reads them
as null: the candidate's own figures). For each, the diff shows both values,
the change, and whether the two 95% intervals separate (do not overlap).

Separate intervals are a conservative sign of a real change when the two runs
used independent data. When both reports were made on the same evaluation
data (the same ``eval_data`` artifact hash), the runs share their rows, the
two intervals are not independent, and the right question is a paired one: a
threshold with ``vs`` naming the earlier release's ``predictions.parquet`` as a
baseline answers it. The diff says so.

It reports; it does not gate: the exit code is 0 whatever changed, and 2 when
a report cannot be read.
"""

from __future__ import annotations

import json
import math
from dataclasses import asdict, dataclass

from govkit.errors import EXIT_OK
from govkit.output import result
from govkit.report import Measurement, Report, load_report
from govkit.runner.judge import format_number
from govkit.safe_text import visible

__all__ = ["FigureChange", "compare_reports", "run_diff"]

FigureKey = tuple[str, str, tuple[tuple[str, str], ...], str | None, str | None, str | None]


@dataclass(frozen=True)
class FigureChange:
    """One figure both reports hold."""

    check: str
    name: str
    where: str | None
    model: str | None
    vs: str | None
    old: float | None
    new: float | None
    change: float | None
    old_ci: tuple[float, float] | None
    new_ci: tuple[float, float] | None
    old_n: int | None
    new_n: int | None
    #: True when both intervals exist and do not overlap; None when one is missing
    separated: bool | None


def _key(check: str, m: Measurement) -> FigureKey:
    group = tuple(sorted((m.group or {}).items()))
    return (check, m.name, group, m.feature, m.model, m.vs)


def _figures(report: Report) -> dict[FigureKey, Measurement]:
    out: dict[FigureKey, Measurement] = {}
    for r in report.results:
        for m in r.measurements:
            out.setdefault(_key(r.id, m), m)
    return out


def _where(key: FigureKey) -> str | None:
    _, _, group, feature, _, _ = key
    if group:
        return ", ".join(f"{k}={v}" for k, v in group)
    return feature


def _separated(a: Measurement, b: Measurement) -> bool | None:
    if a.ci is None or b.ci is None:
        return None
    return a.ci[1] < b.ci[0] or b.ci[1] < a.ci[0]


def _eval_hash(report: Report) -> str | None:
    return report.provenance.data_sha256("eval_data")


@dataclass(frozen=True)
class CriterionChange:
    """One experiment-plan criterion both reports judged (matched by reference and metric)."""

    ref: str
    metric: str
    old_status: str
    new_status: str
    old: float | None
    new: float | None


@dataclass(frozen=True)
class Comparison:
    """What two reports share, and what only one of them holds."""

    changes: list[FigureChange]
    only_old: int
    only_new: int
    same_eval_data: bool
    criteria: list[CriterionChange]


def _criteria(old: Report, new: Report) -> list[CriterionChange]:
    if old.plan is None or new.plan is None:
        return []
    before = {(c.ref, c.metric): c for c in old.plan.criteria}
    out = []
    for c in new.plan.criteria:
        a = before.get((c.ref, c.metric))
        if a is not None:
            out.append(CriterionChange(c.ref, c.metric, a.status, c.status, a.value, c.value))
    return out


def compare_reports(old: Report, new: Report) -> Comparison:
    """Match the two reports' figures and describe each change."""
    before, after = _figures(old), _figures(new)
    changes: list[FigureChange] = []
    for key, b in after.items():
        a = before.get(key)
        if a is None:
            continue
        change = (
            b.value - a.value
            if a.value is not None and b.value is not None and math.isfinite(b.value - a.value)
            else None
        )
        check, name, _, _, model, vs = key
        changes.append(
            FigureChange(
                check=check,
                name=name,
                where=_where(key),
                model=model,
                vs=vs,
                old=a.value,
                new=b.value,
                change=change,
                old_ci=a.ci,
                new_ci=b.ci,
                old_n=a.n,
                new_n=b.n,
                separated=_separated(a, b),
            )
        )
    old_hash, new_hash = _eval_hash(old), _eval_hash(new)
    return Comparison(
        changes=changes,
        only_old=len(before.keys() - after.keys()),
        only_new=len(after.keys() - before.keys()),
        same_eval_data=old_hash is not None and old_hash == new_hash,
        criteria=_criteria(old, new),
    )


def _figure(value: float | None, ci: tuple[float, float] | None, n: int | None) -> str:
    if value is None:
        return "n/a"
    text = format_number(value)
    if ci is not None:
        text += f" [{format_number(ci[0])}, {format_number(ci[1])}]"
    return text + (f" n={n}" if n is not None else "")


def _signed(value: float | None) -> str:
    if value is None:
        return "-"
    return ("+" if value > 0 else "") + format_number(value)


def _text(comparison: Comparison, old_path: str, new_path: str) -> str:
    rows = [("CHECK", "FIGURE", "OLD", "NEW", "CHANGE", "SEPARATE")]
    for c in comparison.changes:
        figure = c.name + (f" ({c.where})" if c.where else "")
        if c.model:
            figure += f" of {c.model}"
        if c.vs:
            figure += f" vs {c.vs}"
        separate = {True: "yes", False: "no", None: "-"}[c.separated]
        rows.append(
            (
                c.check,
                figure,
                _figure(c.old, c.old_ci, c.old_n),
                _figure(c.new, c.new_ci, c.new_n),
                _signed(c.change),
                separate,
            )
        )
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    lines = [
        "  ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=True)).rstrip()
        for row in rows
    ]
    head = f"govkit diff: {old_path} -> {new_path}: {len(comparison.changes)} shared figure(s)"
    notes = [
        f"Plan {c.ref} ({c.metric}): {c.old_status} -> {c.new_status}"
        + ("" if c.old_status == c.new_status else " (changed)")
        for c in comparison.criteria
    ]
    if comparison.only_old or comparison.only_new:
        notes.append(
            f"{comparison.only_old} figure(s) only in the old report, "
            f"{comparison.only_new} only in the new one."
        )
    notes.append(
        "SEPARATE: the two 95% intervals do not overlap, a conservative sign of a real change."
    )
    if comparison.same_eval_data:
        notes.append(
            "Both reports were made on the same evaluation data (same eval_data sha256): the "
            "two runs share their rows, so for the paired answer name the old release's "
            "predictions.parquet as a baseline and judge a threshold with `vs`."
        )
    return visible("\n".join([head, *lines, "", *notes]) + "\n", keep_newlines=True)


def run_diff(old_path: str, new_path: str, *, fmt: str = "text") -> int:
    """Print the figures two reports share; exit 0 (bad files raise InputError, exit 2)."""
    old, new = load_report(old_path), load_report(new_path)
    comparison = compare_reports(old, new)
    if fmt == "json":
        payload = {
            "old": old_path,
            "new": new_path,
            "same_eval_data": comparison.same_eval_data,
            "only_old": comparison.only_old,
            "only_new": comparison.only_new,
            "figures": [asdict(c) for c in comparison.changes],
            "plan": [asdict(c) for c in comparison.criteria],
        }
        result(json.dumps(payload, indent=2, sort_keys=True, allow_nan=False))
    else:
        result(_text(comparison, old_path, new_path), end="")
    return EXIT_OK
