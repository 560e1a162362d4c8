"""The gate's policy: which results block a release, and what a waiver may hide.

A check measures and :mod:`govkit.runner.judge` turns its evidence into a
status. This module decides what that status means for the release, so the
rules sit in one place:

- A blocking check needs a criterion: thresholds in the suite, the check's
  default thresholds, or failures it reports by itself (``judges_itself``).
  Without one it could only ever pass, so it is a configuration error.
- A blocking check skipped because an input is missing blocks: the evidence
  the suite asks for is not there, and a green gate would claim it was. The
  message names the input to add. A check that is not applicable by design
  (:class:`~govkit.checks.base.NotApplicable`) and a ``warn`` check never block.
- A waiver hides a failure only when every reason the result blocks lies
  inside its scope (``metric``, ``feature``, ``group``) and within its
  ``limit``. Failures a check reports by itself and skips carry no metric or
  group, so only an unscoped waiver (today's meaning, with a warning that
  suggests a scope) covers them. The first active waiver of the check that
  covers everything applies.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import TYPE_CHECKING, Any, Protocol

from govkit.checks.base import Check, Evidence
from govkit.checks.registry import available_checks
from govkit.diagnostics import Diagnostic, closest
from govkit.errors import ConfigError
from govkit.project import Project, Waiver
from govkit.report import CheckResult, Measurement, ResultStatus, ResultWaiver
from govkit.runner.judge import applies_to
from govkit.runner.plan import PlannedCheck
from govkit.suite import LoadedSuite, Threshold

if TYPE_CHECKING:
    from govkit.checks.context import CheckContext
    from govkit.runner.judge import Finding, Judgement

__all__ = [
    "ActiveWaiver",
    "Blocker",
    "GateDecision",
    "active_waivers",
    "blockers_of",
    "blockers_of_result",
    "check_waiver_groups",
    "covers",
    "decide",
    "missing_input",
    "require_criteria",
    "scope_text",
    "suggest_scope",
    "unscoped_unused_warnings",
]


class _Warn(Protocol):
    def warn(self, text: str) -> None: ...


# --- criteria ------------------------------------------------------------------------------------


def require_criteria(plans: Sequence[PlannedCheck], suite: LoadedSuite) -> list[PlannedCheck]:
    """The plans with their effective thresholds; a blocking check without a criterion is an error.

    A blocking suite entry without thresholds, of a check that reports no
    failures by itself, takes the check's ``default_thresholds`` (as an
    ``--only`` check outside the suite does): before, it was judged on
    nothing and always passed. A ``warn`` entry without thresholds, and a
    check that judges itself, keep reporting as they are.

    Raises
    ------
    ConfigError
        One located diagnostic per blocking check that has no threshold, no
        default thresholds and no failures of its own to report.
    """
    resolved: list[PlannedCheck] = []
    problems: list[Diagnostic] = []
    for plan in plans:
        if plan.severity != "block" or plan.thresholds or plan.cls.judges_itself:
            resolved.append(plan)
            continue
        if plan.cls.default_thresholds:
            resolved.append(
                dataclasses.replace(plan, thresholds=tuple(plan.cls.default_thresholds))
            )
            continue
        resolved.append(plan)
        message = (
            f"check '{plan.id}' blocks the release but has no threshold, and it reports no "
            "failure by itself, so it could only ever pass"
        )
        hint = (
            "add `thresholds:` (a metric with `max` or `min`) to this entry, "
            "or set `severity: warn` to report its figures without judging them"
        )
        if plan.index is None:
            raise ConfigError(
                f"--only: {message}; it is not in the suite {suite.parsed.path}, so add it "
                "there with thresholds, or leave it out of --only"
            )
        line, col = suite.parsed.locate(("checks", plan.index)) or (None, None)
        problems.append(
            Diagnostic(
                path=suite.parsed.path,
                line=line,
                column=col,
                severity="error",
                message=message,
                field=f"checks[{plan.index}]",
                hint=hint,
            )
        )
    if problems:
        raise ConfigError(f"invalid suite {suite.parsed.path}", diagnostics=problems)
    return resolved


# --- skips ---------------------------------------------------------------------------------------


def missing_input(cls: type[Check], ctx: CheckContext) -> str | None:
    """Why ``cls`` cannot run on ``ctx`` for want of an input, naming the input to add; else None."""
    if cls.requires_model and not ctx.has_model:
        return (
            "it runs the model itself, and this project is in predictions-only mode "
            "(model.predictions); set model.path to run it"
        )
    if cls.requires_train and ctx.train is None:
        return "it needs the training split; add `data.train: PATH` to govkit.yaml"
    # checks that need real scores declare it; without a score column only labels are real
    if cls.requires_scores and not ctx.predictions("eval").has_scores:
        return "it needs predicted scores; set model.predictions.score in govkit.yaml"
    if cls.requires_sensitive and not ctx.sensitive:
        return (
            "it compares groups and govkit.yaml names no sensitive column; add "
            "`data.sensitive: [...]` (the columns to compare groups on) to govkit.yaml"
        )
    if cls.requires_quasi_identifiers and not ctx.quasi_identifiers:
        return (
            "no quasi-identifiers are declared; add `data.quasi_identifiers: [...]` "
            "(the columns that together could single out a person) to govkit.yaml"
        )
    return None


# --- waivers -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ActiveWaiver:
    """A waiver that counts today, with where it is written (for messages)."""

    index: int
    waiver: Waiver
    where: str

    def record(self) -> ResultWaiver:
        w = self.waiver
        return ResultWaiver(
            owner=w.owner,
            justification=w.justification,
            expires=w.expires,
            metric=w.metric,
            feature=w.feature,
            group=w.group,
            limit=w.limit,
        )

    def label(self) -> str:
        """``waivers[0] (feature=sex, limit=0.25)``."""
        scope = ", ".join(f"{k}={_scope_text(v)}" for k, v in self.waiver.scope().items())
        return f"waivers[{self.index}]" + (f" ({scope})" if scope else "")


def _scope_text(value: object) -> str:
    if isinstance(value, dict):
        return "{" + ", ".join(f"{k}: {v}" for k, v in value.items()) + "}"
    return str(value)


def _where(project: Project, loc: tuple[str | int, ...]) -> str:
    line = (project.parsed.locate(loc) or (None, None))[0]
    return f"{project.parsed.path}:{line}" if line else project.parsed.path


def _scope_problems(
    project: Project, i: int, w: Waiver, plans: dict[str, PlannedCheck]
) -> list[Diagnostic]:
    """Scope keys that name nothing: checked before any data is read."""
    sensitive = list(project.model.data.sensitive)
    problems: list[Diagnostic] = []

    def bad(key: str, message: str, hint: str) -> None:
        problems.extend(project.error(("waivers", i, key), message, hint=hint).diagnostics)

    plan = plans.get(w.check)
    if w.metric is not None and plan is not None:
        judged = sorted({t.metric for t in plan.thresholds})
        if w.metric not in judged:
            guess = closest(w.metric, judged)
            bad(
                "metric",
                f"'{w.metric}' is not a metric the suite judges for check '{w.check}' "
                f"(it judges {', '.join(judged) or 'no metric'})",
                f"did you mean '{guess}'?" if guess else "name one of those metrics",
            )
    if w.feature is not None:
        columns = w.feature.split("&")
        unknown = [c for c in columns if c not in sensitive]
        whole = len(columns) > 1 and set(columns) == set(sensitive)
        if unknown:
            guess = closest(unknown[0], sensitive)
            bad(
                "feature",
                f"'{unknown[0]}' is not a sensitive column (data.sensitive: "
                f"{', '.join(sensitive) or 'none'})",
                f"did you mean '{guess}'?" if guess else "name a column of data.sensitive",
            )
        elif len(columns) > 1 and not whole:
            bad(
                "feature",
                f"'{w.feature}' is not a grouping the checks report: they compare each "
                f"sensitive column and the intersection of all of them ({'&'.join(sensitive)})",
                f"use one column or '{'&'.join(sensitive)}'",
            )
    # a group scope may name a slice too: its figures are keyed like a group's
    grouped = sensitive + [c.column for c in project.model.data.slice_specs()]
    for column in w.group or {}:
        if column not in grouped:
            guess = closest(column, grouped)
            bad(
                "group",
                f"'{column}' is not a sensitive column, nor a slice (data.sensitive: "
                f"{', '.join(sensitive) or 'none'}; data.slices: "
                f"{', '.join(grouped[len(sensitive) :]) or 'none'})",
                f"did you mean '{guess}'?"
                if guess
                else "key the group by columns of data.sensitive or data.slices",
            )
    return problems


def active_waivers(
    project: Project, plans: Sequence[PlannedCheck], console: _Warn, today: date
) -> dict[str, list[ActiveWaiver]]:
    """The waivers that count today, per check id, in the order written.

    Raises
    ------
    ConfigError
        A scope key that names no sensitive column or no metric the suite
        judges for that check, located in govkit.yaml. (Groups are checked
        against the data by :func:`check_waiver_groups`.)
    """
    by_id = {p.id: p for p in plans}
    known = sorted(available_checks())
    active: dict[str, list[ActiveWaiver]] = {}
    problems: list[Diagnostic] = []
    for i, w in enumerate(project.model.waivers):
        where = _where(project, ("waivers", i))
        if w.check not in known:
            # a warning, not an error: the check may come from a package not installed here
            guess = closest(w.check, known)
            console.warn(
                f"{where}: warning: waivers[{i}]: no check is named '{w.check}'; "
                "the waiver applies to nothing"
                + (f" (hint: did you mean '{guess}'?)" if guess else "")
            )
        problems += _scope_problems(project, i, w, by_id)
        if w.expires < today:
            if w.check in by_id:
                console.warn(
                    f"{where}: warning: waivers[{i}]: the waiver for '{w.check}' "
                    f"expired on {w.expires}; it no longer counts"
                )
            continue
        active.setdefault(w.check, []).append(ActiveWaiver(i, w, where))
    if problems:
        raise ConfigError(f"invalid waiver in {project.parsed.path}", diagnostics=problems)
    return active


def check_waiver_groups(project: Project, frame: Any, slices: Sequence[Any] = ()) -> None:
    """Every ``group`` value of a waiver must occur in the evaluation data.

    ``slices`` are ``data.slices`` already cut (:class:`govkit.stats.slices.Slicing`):
    their groups are used as they are, which matters when ``frame`` holds cells
    rather than rows (quantile edges come from every row).

    Raises
    ------
    ConfigError
        Located at the waiver's ``group`` in govkit.yaml, listing the values found.
    """
    from govkit.stats.groups import make_grouping
    from govkit.stats.slices import make_slicing

    binned = {s.column: s for s in project.model.data.slice_specs() if s.bins or s.quantiles}
    problems: list[Diagnostic] = []
    seen: dict[str, list[str]] = {}
    for i, w in enumerate(project.model.waivers):
        for column, value in (w.group or {}).items():
            if column not in frame.columns:
                continue  # not a sensitive column: reported by active_waivers
            if column not in seen:
                cut_already = {sl.grouping.feature: sl for sl in slices}
                if column in binned and column in cut_already:
                    grouping = cut_already[column].grouping
                elif column in binned:  # a binned slice is named by its bins
                    spec = binned[column]
                    try:
                        cut = make_slicing(frame, column, bins=spec.bins, quantiles=spec.quantiles)
                    except ValueError:
                        continue  # reported at data.slices when the context is built
                    grouping = cut.grouping
                else:
                    grouping = make_grouping(frame, [column])
                seen[column] = [g[column] for g in grouping.labels]
            values = seen[column]
            if value not in values:
                guess = closest(value, values)
                shown = ", ".join(values[:10]) + (" …" if len(values) > 10 else "")
                problems += project.error(
                    ("waivers", i, "group", column),
                    f"no row of the evaluation data has {column}={value} (its values: {shown})",
                    hint=f"did you mean '{guess}'?" if guess else "name a group that exists",
                ).diagnostics
    if problems:
        raise ConfigError(f"invalid waiver in {project.parsed.path}", diagnostics=problems)


# --- what a result blocks on ----------------------------------------------------------------------


@dataclass(frozen=True)
class Blocker:
    """One reason a result fails the gate, as a waiver's scope sees it.

    ``value`` is the figure the threshold judged (the point, or the interval's
    end the mode compares); ``larger_is_worse`` says which way ``limit`` reads.
    A blocker that is not ``scopable`` (a failure the check reports by
    itself, a skip) is covered only by a waiver without scope.
    """

    text: str
    metric: str | None = None
    feature: str | None = None
    group: dict[str, str] | None = None
    value: float | None = None
    larger_is_worse: bool = True
    scopable: bool = True


def _judged_value(m: Measurement, t: Threshold, upper: bool) -> float | None:
    if m.value is None or not math.isfinite(m.value):
        return None
    if t.on == "point" or m.ci is None:
        return float(m.value)
    lo, hi = float(m.ci[0]), float(m.ci[1])
    # the end of the interval the mode compares with the bound, as the judge does
    if upper:
        return lo if t.on == "interval_lenient" else hi
    return hi if t.on == "interval_lenient" else lo


def _feature_of(m: Measurement) -> str | None:
    if m.group:
        return "&".join(m.group)
    return m.feature


def _where_text(m: Measurement) -> str:
    if m.group:
        return ", ".join(f"{k}={v}" for k, v in m.group.items())
    return m.feature or "overall"


def _finding_blocker(f: Finding) -> Blocker:
    m, t = f.measurement, f.threshold
    upper_value = _judged_value(m, t, upper=True)
    breaks_max = t.max is not None and upper_value is not None and upper_value > t.max
    upper = breaks_max or t.min is None
    return Blocker(
        text=f"{m.name} for {_where_text(m)}",
        metric=m.name,
        feature=_feature_of(m),
        group=dict(m.group) if m.group else None,
        value=_judged_value(m, t, upper=upper),
        larger_is_worse=upper,
    )


def _outside_intervals(text: str) -> str:
    """``text`` with each ", " between pairs made a NUL, and those inside an interval
    kept: a binned slice's value holds one (``age=[25, 40)``)."""
    out, depth = [], 0
    for i, c in enumerate(text):
        if c in "[(":
            depth += 1
        elif c in "])":
            depth = max(depth - 1, 0)
        between_pairs = c == "," and depth == 0 and text[i + 1 : i + 2] == " "
        out.append("\0" if between_pairs else c)
    return "".join(out).replace("\0 ", "\0")


def _small_group_blocker(entry: str, sensitive: Sequence[str]) -> Blocker:
    """``"sex=Female, race=B, label=1 (n=4)"`` as a blocker on that group (no metric, no value)."""
    head = entry.rsplit(" (", 1)[0] if entry.endswith(")") else entry
    group: dict[str, str] = {}
    for part in _outside_intervals(head).split("\0"):
        key, sep, value = part.partition("=")
        if sep and key in sensitive:
            group[key] = value
    if not group:
        return Blocker(text=f"too few rows: {entry}", scopable=False)
    return Blocker(text=f"too few rows: {entry}", feature="&".join(group), group=group, value=None)


def _judges_groups(findings: Sequence[Finding]) -> bool:
    # as the judge: small groups matter when a per-group or between-group figure is judged
    return not findings or any(
        f.measurement.group is not None or f.measurement.feature is not None for f in findings
    )


def blockers_of(
    status: ResultStatus,
    evidence: Evidence | None,
    judgement: Judgement | None,
    thresholds: Sequence[Threshold],
    sensitive: Sequence[str],
    skip_reason: str | None = None,
) -> list[Blocker]:
    """Every reason a ``fail``, ``insufficient_evidence`` or blocking ``skipped`` result blocks.

    Failing findings of the judgement, the check's own failures, groups too
    small to judge, and judged figures that could not be computed.
    """
    if status == "skipped":
        return [Blocker(text=f"skipped: {skip_reason or 'no evidence'}", scopable=False)]
    if evidence is None or judgement is None:
        return [Blocker(text=status, scopable=False)]
    found = [_finding_blocker(f) for f in judgement.findings if not f.passed]
    found += [Blocker(text=text, scopable=False) for text in evidence.failures]
    if evidence.small_groups and _judges_groups(judgement.findings):
        found += [_small_group_blocker(e, sensitive) for e in evidence.small_groups]
    for t in thresholds:
        for m in evidence.measurements:
            unknown = m.value is None or not math.isfinite(m.value)
            if applies_to(t, m) and unknown and (m.group is None or not t.overall_only):
                found.append(
                    Blocker(
                        text=f"{m.name} for {_where_text(m)} could not be computed",
                        metric=m.name,
                        feature=_feature_of(m),
                        group=dict(m.group) if m.group else None,
                        larger_is_worse=t.max is not None,
                    )
                )
    if not found:  # a status the parts above do not explain: only an unscoped waiver covers it
        found.append(Blocker(text=judgement.message, scopable=False))
    return found


def blockers_of_result(result: CheckResult) -> list[Blocker]:
    """The failing figures of a result as written in report.json (for ``govkit validate``).

    Only the figures its threshold rules break are known from a report: a
    failure the check reported by itself shows as an unscopable blocker.
    """
    if result.status not in ("fail", "insufficient_evidence", "warn"):
        return []
    rules = result.threshold.get("rules", []) if isinstance(result.threshold, dict) else []
    found: list[Blocker] = []
    for raw in rules:
        try:
            t = Threshold.model_validate(raw)
        except ValueError:
            continue
        for m in result.measurements:
            if not applies_to(t, m) or (t.overall_only and m.group is not None):
                continue
            high = _judged_value(m, t, upper=True)
            low = _judged_value(m, t, upper=False)
            breaks_max = t.max is not None and high is not None and high > t.max
            breaks_min = t.min is not None and low is not None and low < t.min
            if breaks_max or breaks_min:
                found.append(
                    Blocker(
                        text=f"{m.name} for {_where_text(m)}",
                        metric=m.name,
                        feature=_feature_of(m),
                        group=dict(m.group) if m.group else None,
                        value=high if breaks_max else low,
                        larger_is_worse=breaks_max,
                    )
                )
    if not found:
        found.append(Blocker(text=result.message, scopable=False))
    return found


def covers(w: Waiver, b: Blocker) -> bool:
    """Whether ``b`` lies inside the scope of ``w`` and within its limit."""
    if not w.scoped:
        return True
    if not b.scopable:
        return False
    # a group too small to judge has no metric: it stops the judging of every metric
    if w.metric is not None and b.metric is not None and b.metric != w.metric:
        return False
    if w.feature is not None and (
        b.feature is None or set(b.feature.split("&")) != set(w.feature.split("&"))
    ):
        return False
    if w.group is not None and (
        b.group is None or any(b.group.get(k) != v for k, v in w.group.items())
    ):
        return False
    if w.limit is not None:
        # an unknown figure cannot be shown to be within the limit
        if b.value is None:
            return False
        if b.larger_is_worse and b.value > w.limit:
            return False
        if not b.larger_is_worse and b.value < w.limit:
            return False
    return True


def suggest_scope(blockers: Sequence[Blocker]) -> dict[str, object] | None:
    """The narrowest scope that covers ``blockers``; None when no scope can (a skip, own failures)."""
    if not blockers or not all(b.scopable for b in blockers):
        return None
    scope: dict[str, object] = {}
    metrics = {b.metric for b in blockers}
    if len(metrics) == 1 and None not in metrics:
        scope["metric"] = next(iter(metrics))
    features = {frozenset(b.feature.split("&")) if b.feature else None for b in blockers}
    if len(features) == 1 and None not in features:
        scope["feature"] = next(b.feature for b in blockers if b.feature)
    groups = {tuple(sorted(b.group.items())) if b.group else None for b in blockers}
    if len(groups) == 1 and None not in groups:
        scope["group"] = dict(blockers[0].group or {})
    sides = {b.larger_is_worse for b in blockers}
    values = [b.value for b in blockers]
    if len(sides) == 1 and all(v is not None for v in values):
        known = [float(v) for v in values if v is not None]
        # rounded outwards to two decimals: the figure today is accepted, a worse one is not
        scope["limit"] = (
            math.ceil(max(known) * 100) / 100
            if sides == {True}
            else math.floor(min(known) * 100) / 100
        )
    return scope or None


# --- the decision --------------------------------------------------------------------------------


@dataclass
class GateDecision:
    """What one result means for the release."""

    status: ResultStatus
    message: str
    blocking: bool
    waiver: ResultWaiver | None = None
    #: warnings for stderr (an unscoped waiver, a waiver that did not cover)
    warnings: list[str] = field(default_factory=list)


def scope_text(scope: dict[str, object]) -> str:
    """``metric: x, feature: sex, limit: 0.31``: a scope as it is written in govkit.yaml."""
    return _scope_yaml(scope)


def _scope_yaml(scope: dict[str, object]) -> str:
    return ", ".join(f"{k}: {_scope_text(v)}" for k, v in scope.items())


def decide(
    plan: PlannedCheck,
    status: ResultStatus,
    message: str,
    *,
    evidence: Evidence | None,
    judgement: Judgement | None,
    waivers: Sequence[ActiveWaiver],
    sensitive: Sequence[str],
    skip_reason: str | None = None,
    not_applicable: bool = False,
) -> GateDecision:
    """Settle one result: its final status, whether it blocks, and the waiver that applies.

    Parameters
    ----------
    plan
        The check as planned (severity, thresholds).
    status, message
        The judge's verdict, or ``skipped``/``error`` with their sentence.
    evidence, judgement
        What the check measured and how it was judged (None when it did not run).
    waivers
        The check's active waivers, in the order written.
    sensitive
        The project's sensitive and slice columns (to read group descriptions).
    skip_reason
        Why a ``skipped`` check did not run.
    not_applicable
        The skip is by design (:class:`~govkit.checks.base.NotApplicable`).

    Returns
    -------
    GateDecision
        ``fail`` under ``warn`` severity becomes ``warn``; a blocking skip for
        a missing input blocks; the first waiver whose scope covers every
        blocker applies and unblocks the result.
    """
    if status == "fail" and plan.severity == "warn":
        status = "warn"
    if status == "skipped" and not_applicable:
        return GateDecision(status, message, blocking=False)
    blocks = plan.severity == "block" and status in (
        "fail",
        "error",
        "insufficient_evidence",
        "skipped",
    )
    if status == "skipped" and blocks:
        message = (
            f"{message.rstrip('.')}. The suite makes this check blocking, so the gate "
            "fails until the input is added, the check is set to `severity: warn`, or a "
            "waiver is recorded."
        )
    waivable = status in ("fail", "insufficient_evidence") or (status == "skipped" and blocks)
    if not waivable or not waivers:
        return GateDecision(status, message, blocking=blocks)
    blockers = blockers_of(
        status, evidence, judgement, plan.thresholds, sensitive, skip_reason=skip_reason
    )
    warnings: list[str] = []
    # each blocker is covered by the first waiver (in the order written) whose scope holds it
    chosen: dict[int, ActiveWaiver] = {}
    uncovered: Blocker | None = None
    for b in blockers:
        holder = next((a for a in waivers if covers(a.waiver, b)), None)
        if holder is None:
            uncovered = b
            break
        chosen.setdefault(holder.index, holder)
    if uncovered is None:
        applied = [chosen[i] for i in sorted(chosen)]
        record = applied[0].record()
        record.also = [a.record() for a in applied[1:]]
        who = "; ".join(_waived_by(a.waiver) for a in applied)
        message = f"{message.rstrip('.')}; waived {who}."
        warnings += [
            _unscoped_warning(a, plan.id, blockers) for a in applied if not a.waiver.scoped
        ]
        return GateDecision(status, message, False, record, warnings)
    labels = ", ".join(a.label() for a in waivers)
    message = f"{message.rstrip('.')}; not waived: {uncovered.text} lies outside {labels}."
    return GateDecision(status, message, blocks, None, warnings)


def _waived_by(w: Waiver) -> str:
    scope = f" for {_scope_yaml(w.scope())}" if w.scoped else ""
    return f"{scope.strip()} by {w.owner} until {w.expires.isoformat()}".strip()


def _unscoped_warning(active: ActiveWaiver, check_id: str, blockers: Sequence[Blocker]) -> str:
    scope = suggest_scope(blockers)
    text = (
        f"{active.where}: warning: waivers[{active.index}]: the waiver for '{check_id}' has "
        "no scope, so it hides every failure of the check, a new one included"
    )
    if scope is None:
        return text + (
            " (today's failure is a skip or a failure the check reports by itself, "
            "which only an unscoped waiver covers)"
        )
    return text + f" (hint: narrow it to today's failure: {_scope_yaml(scope)})"


def unscoped_unused_warnings(
    waivers: dict[str, list[ActiveWaiver]], applied: set[int], ran: set[str]
) -> list[str]:
    """Warnings for unscoped waivers of checks that ran but needed no waiver this time."""
    out: list[str] = []
    for check_id, actives in waivers.items():
        for a in actives:
            if check_id in ran and not a.waiver.scoped and a.index not in applied:
                out.append(
                    f"{a.where}: warning: waivers[{a.index}]: the waiver for '{check_id}' "
                    "has no scope, so it would hide every future failure of the check "
                    "(hint: add metric, feature, group or limit)"
                )
    return out
