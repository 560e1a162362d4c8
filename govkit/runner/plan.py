"""Which checks run, with which validated parameters and thresholds.

Every entry of the suite is resolved to its check class and its ``params``
are validated against the class's own parameter model, so a misspelled
parameter is an error at its line in the suite, with a did-you-mean. All
problems are reported at once.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Literal

from pydantic import ValidationError

from govkit.checks.base import Check, CheckParams
from govkit.checks.registry import available_checks, load_check
from govkit.diagnostics import Diagnostic, closest, diagnostics_from_error
from govkit.errors import ConfigError
from govkit.sourcefile import ParsedFile
from govkit.suite import LoadedSuite, Threshold

__all__ = ["PlannedCheck", "plan_checks", "require_known_baselines"]


@dataclass(frozen=True)
class PlannedCheck:
    """One check to run."""

    id: str
    cls: type[Check]
    params: CheckParams
    thresholds: tuple[Threshold, ...]
    severity: Literal["block", "warn"]
    #: position in the suite, None for an ``--only`` check outside it
    index: int | None


def _located(
    suite: LoadedSuite, index: int, key: str, message: str, hint: str | None = None
) -> Diagnostic:
    line, col = suite.parsed.locate(("checks", index, key)) or (None, None)
    return Diagnostic(
        path=suite.parsed.path,
        line=line,
        column=col,
        severity="error",
        message=message,
        field=f"checks[{index}].{key}",
        hint=hint,
    )


def _params_view(suite: LoadedSuite, index: int) -> ParsedFile:
    """The entry's ``params`` as a file of its own, keeping the suite's positions."""
    prefix = ("checks", index, "params")
    cut = len(prefix)
    entry = suite.model.checks[index]
    return ParsedFile(
        path=suite.parsed.path,
        data=dict(entry.params),
        positions={k[cut:]: v for k, v in suite.parsed.positions.items() if k[:cut] == prefix},
        key_positions={
            k[cut:]: v for k, v in suite.parsed.key_positions.items() if k[:cut] == prefix
        },
    )


def _validate_params(
    suite: LoadedSuite, index: int, cls: type[Check]
) -> tuple[CheckParams | None, list[Diagnostic]]:
    entry = suite.model.checks[index]
    try:
        return cls.Params.model_validate(entry.params), []
    except ValidationError as err:
        view = _params_view(suite, index)
        problems = diagnostics_from_error(err, view, cls.Params)
        base = f"checks[{index}].params"
        if not view.positions:  # no params block written: point at the entry itself
            line, col = suite.parsed.locate(("checks", index)) or (None, None)
            problems = [dataclasses.replace(d, line=line, column=col) for d in problems]
        return None, [
            dataclasses.replace(d, field=f"{base}.{d.field}" if d.field else base) for d in problems
        ]


def _from_suite(suite: LoadedSuite) -> tuple[list[PlannedCheck], list[Diagnostic]]:
    planned: list[PlannedCheck] = []
    problems: list[Diagnostic] = []
    seen: dict[str, int] = {}
    for i, entry in enumerate(suite.model.checks):
        if entry.id in seen:
            problems.append(
                _located(
                    suite,
                    i,
                    "id",
                    f"check '{entry.id}' is listed twice",
                    hint=f"it is already checks[{seen[entry.id]}]; keep one",
                )
            )
            continue
        seen[entry.id] = i
        try:
            cls = load_check(entry.id)
        except ConfigError as err:
            message, _, hint = err.message.partition("; ")
            problems.append(_located(suite, i, "id", message, hint=hint or None))
            continue
        params, bad = _validate_params(suite, i, cls)
        problems += bad
        if params is not None:
            planned.append(
                PlannedCheck(entry.id, cls, params, tuple(entry.thresholds), entry.severity, i)
            )
    return planned, problems


def plan_checks(suite: LoadedSuite, only: list[str] | tuple[str, ...] = ()) -> list[PlannedCheck]:
    """The checks to run, in suite order (or in ``--only`` order).

    ``--only`` ids in the suite keep the suite's params, thresholds and
    severity; ids outside it run with default params and the check's
    ``default_thresholds``, blocking.

    Raises
    ------
    ConfigError
        Located diagnostics for every bad entry of the suite, or an unknown
        ``--only`` id with the closest known one.
    """
    planned, problems = _from_suite(suite)
    if problems:
        raise ConfigError(f"invalid suite {suite.parsed.path}", diagnostics=problems)
    if not only:
        return planned
    by_id = {p.id: p for p in planned}
    known = sorted(set(available_checks()) | set(by_id))
    chosen: list[PlannedCheck] = []
    for check_id in dict.fromkeys(only):  # keep order, drop repeats
        if check_id in by_id:
            chosen.append(by_id[check_id])
            continue
        if check_id not in known:
            guess = closest(check_id, known)
            hint = f"did you mean '{guess}'?" if guess else f"known checks: {', '.join(known)}"
            raise ConfigError(f"--only: unknown check '{check_id}'; {hint}")
        cls = load_check(check_id)
        chosen.append(
            PlannedCheck(check_id, cls, cls.Params(), tuple(cls.default_thresholds), "block", None)
        )
    return chosen


def require_known_baselines(
    plans: list[PlannedCheck], suite: LoadedSuite, baselines: list[str]
) -> None:
    """ConfigError at the threshold's line for every ``vs`` that cannot be judged.

    A ``vs`` must name a baseline of govkit.yaml, on a check that measures
    baselines. Called before any data is read, so a misspelling costs nothing.
    """
    problems: list[Diagnostic] = []
    for plan in plans:
        if plan.index is None:  # --only outside the suite: default thresholds, no vs
            continue
        for j, t in enumerate(plan.thresholds):
            if t.vs is None or (t.vs in baselines and plan.cls.measures_baselines):
                continue
            if not plan.cls.measures_baselines:
                message = f"{plan.id} does not compare with baselines, so `vs` cannot apply"
                hint = (
                    "`vs` applies to performance.classification, performance.calibration "
                    "and the group fairness checks; remove it here"
                )
            else:
                guess = closest(t.vs, baselines)
                if guess:
                    hint = f"did you mean '{guess}'?"
                elif baselines:
                    hint = f"govkit.yaml's baselines are: {', '.join(baselines)}"
                else:
                    hint = "add the model to compare with under `baselines:` in govkit.yaml"
                message = (
                    f"threshold on {t.metric} compares with baseline '{t.vs}', "
                    "which govkit.yaml does not name"
                )
            problems.append(
                suite.diagnostic(
                    ("checks", plan.index, "thresholds", j, "vs"),
                    message,
                    code="unknown_baseline",
                    hint=hint,
                )
            )
    if problems:
        raise ConfigError(f"invalid suite {suite.parsed.path}", diagnostics=problems)
