"""Thresholds as sentences: what a suite's bound asks, in the words a reviewer reads.

The report records each check's bounds as the suite wrote them
(``{"severity": "block", "rules": [{"metric": "roc_auc", "min": 0.7, ...}]}``).
Printed as ``key=value`` pairs they need the suite's reference to read; this
module turns one rule into one sentence:

- ``roc_auc overall must be at least 0.70 (blocking)``
- ``demographic_parity_difference on sex must be at most 0.10, judged on the
  interval's lenient end (blocking)``
- ``roc_auc overall must be no more than 0.005 below baseline `previous` (blocking)``

Where a rule applies (``overall``, ``on sex``, ``in each group of race``) comes
from the figures it was judged on, so the sentence names the columns of this
run; without figures it says what ``overall_only`` allows. Numbers are printed
as the gate's own messages print them (:func:`govkit.runner.judge.format_number`).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from pydantic import ValidationError

from govkit.report import Measurement
from govkit.runner.judge import applies_to, format_number
from govkit.suite import Threshold

__all__ = ["bound_phrase", "parse_rules", "rule_scope", "threshold_sentence"]

_ON = {
    "point": "",
    "interval_lenient": ", judged on the interval's lenient end",
    "interval_strict": ", judged on the interval's strict end (the whole interval must meet it)",
}
_SEVERITY = {"block": "blocking", "warn": "a warning only"}


def _join(words: Sequence[str]) -> str:
    """``a``, ``a and b``, ``a, b and c``."""
    if len(words) <= 1:
        return "".join(words)
    return ", ".join(words[:-1]) + " and " + words[-1]


def _baseline_bound(rule: Threshold) -> str:
    """The bound on a difference to a baseline (candidate minus baseline), in words."""
    base = f"baseline `{rule.vs}`"
    parts: list[str] = []
    if rule.min is not None:
        if rule.min < 0:
            parts.append(f"no more than {format_number(-rule.min)} below {base}")
        elif rule.min == 0:
            parts.append(f"no lower than {base}")
        else:
            parts.append(f"at least {format_number(rule.min)} above {base}")
    if rule.max is not None:
        if rule.max > 0:
            parts.append(f"no more than {format_number(rule.max)} above {base}")
        elif rule.max == 0:
            parts.append(f"no higher than {base}")
        else:
            parts.append(f"at least {format_number(-rule.max)} below {base}")
    return " and ".join(parts)


def bound_phrase(rule: Threshold) -> str:
    """``at least 0.70``, ``at most 0.10``, ``between 0.80 and 1.25``, or the baseline form;
    with the training-seed terms (``in every training seed``, the SD across seeds)."""
    parts: list[str] = []
    if rule.min is not None or rule.max is not None:
        parts.append(_value_bound(rule))
        if rule.seeds == "all":
            parts[-1] += " in every training seed"
    if rule.max_seed_sd is not None:
        parts.append(f"an SD across training seeds of at most {format_number(rule.max_seed_sd)}")
    return ", with ".join(parts)


def _value_bound(rule: Threshold) -> str:
    if rule.vs is not None:
        return _baseline_bound(rule)
    if rule.min is not None and rule.max is not None:
        return f"between {format_number(rule.min)} and {format_number(rule.max)}"
    if rule.min is not None:
        return f"at least {format_number(rule.min)}"
    assert rule.max is not None  # the caller holds a value bound
    return f"at most {format_number(rule.max)}"


def rule_scope(rule: Threshold, measurements: Iterable[Measurement] = ()) -> str:
    """Where the rule applies, from the figures it was judged on.

    ``overall`` (a figure over every row), ``on sex and race`` (differences
    between the groups of a column), ``in each group of sex`` (a figure per
    group); joined when several kinds were judged. Without figures, what the
    rule allows: ``overall`` when ``overall_only``, else ``wherever measured``.
    """
    judged = [
        m for m in measurements if applies_to(rule, m) and not (rule.overall_only and m.group)
    ]
    overall = any(m.group is None and not m.feature for m in judged)
    features = list(dict.fromkeys(m.feature for m in judged if m.group is None and m.feature))
    columns = list(dict.fromkeys(k for m in judged if m.group for k in m.group))
    parts = []
    if overall:
        parts.append("overall")
    if features:
        parts.append("on " + _join(features))
    if columns:
        parts.append("in each group of " + _join(columns))
    if parts:
        return _join(parts)
    return "overall" if rule.overall_only else "wherever measured"


def threshold_sentence(rule: Threshold, severity: str, scope: str | None = None) -> str:
    """One rule as a sentence, e.g. ``roc_auc overall must be at least 0.70 (blocking)``.

    Parameters
    ----------
    rule
        The suite's threshold.
    severity
        ``block`` or ``warn`` (the check's severity in the suite).
    scope
        Where it applies (:func:`rule_scope`); None: what ``overall_only`` allows.
    """
    where = scope if scope is not None else rule_scope(rule)
    how = _ON.get(rule.on, f", judged on {rule.on}")
    label = _SEVERITY.get(severity, severity)
    return f"{rule.metric} {where} must be {bound_phrase(rule)}{how} ({label})"


def parse_rules(threshold: Mapping[str, Any]) -> tuple[str, list[Threshold]] | None:
    """``(severity, rules)`` from a report's ``threshold`` record; None when it is not one.

    A report written by another version may hold a shape this one does not
    know; the packet then prints the record as it is instead of failing.
    """
    raw = threshold.get("rules")
    severity = threshold.get("severity")
    if not isinstance(raw, list) or not isinstance(severity, str):
        return None
    try:
        return severity, [Threshold.model_validate(r) for r in raw]
    except ValidationError:
        return None
