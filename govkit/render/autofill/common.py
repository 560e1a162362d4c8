"""What every fill function shares: its input, the rule that names it, and small builders.

A fill function returns a :class:`~govkit.render.fields.FilledNode` (a small
display tree plus the checks it came from) or None; the builders here keep
the labels, tables and number formats the same across document kinds.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any, Literal

from pydantic import BaseModel

from govkit.render.fields import (
    FieldView,
    FilledNode,
    FillSource,
    MappingNode,
    Node,
    TableNode,
    TextNode,
)
from govkit.render.formatting import format_count, format_interval, format_value
from govkit.report import CheckResult, Measurement, Report

__all__ = [
    "NO_FIGURES",
    "ROLE_SPLIT",
    "SPLITS",
    "FillInput",
    "FillRule",
    "Filler",
    "Scope",
    "as_int",
    "as_mapping",
    "data_result",
    "figure_cells",
    "filled",
    "make_table",
    "measured_splits",
    "number",
    "overall_of",
    "percent",
    "provenance_source",
    "report_splits",
    "source_of",
    "titled",
    "titled_text",
]

SPLITS = frozenset({"train", "eval"})
ROLE_SPLIT = {"eval_data": "eval", "train_data": "train"}
# A check with one of these statuses measured nothing; its message says why.
NO_FIGURES = ("skipped", "error")


@dataclass(frozen=True)
class FillInput:
    """What a fill function may look at.

    Attributes
    ----------
    report
        The check report.
    document
        The whole document being filled.
    item
        The model that holds the field (a list item for a ``"*"`` path; the
        parent model otherwise; None when that parent is absent).
    splits
        The splits of the project's data this document describes (dataset
        cards only; empty when it describes other data).
    result
        The result of the check the rule reads (see :attr:`FillRule.check`);
        None for a rule that names no check.
    """

    report: Report
    document: BaseModel
    item: BaseModel | None
    splits: frozenset[str]
    result: CheckResult | None = None

    def checked(self) -> CheckResult:
        """The result of the rule's check, which :func:`fills_for` found before filling.

        Raises
        ------
        LookupError
            The rule names no check (a fill that reads one must name it).
        """
        if self.result is None:
            raise LookupError("a fill read the result of its check, but its rule names none")
        return self.result


Filler = Callable[[FillInput], FilledNode | None]


#: ``"data"``: the check measured the project's data; ``"report"``: any document of the kind.
Scope = Literal["report", "data"]


@dataclass(frozen=True)
class FillRule:
    """One automated field and how the report fills it.

    Attributes
    ----------
    kind
        The document kind that holds the field.
    path
        The field's path; ``"*"`` stands for every item of a list.
    fill
        Builds the field's figures from a :class:`FillInput`; None when the
        report has nothing for it.
    check
        The check whose result the field shows, or None for a field made from
        several checks or the run's provenance. With a check, the field is
        left alone when the report lacks it, and shows the check's message in
        place of figures when the check measured nothing (skipped, error).
    scope
        ``"data"`` when the check's figures describe the data it read: the
        field is filled only in a document that describes every split the
        check measured, so a card about other data never shows them.
    """

    kind: str
    path: tuple[str, ...]
    fill: Filler
    check: str | None = None
    scope: Scope = "report"


# --- small builders --------------------------------------------------------------------


def source_of(r: CheckResult) -> FillSource:
    status = r.status.replace("_", " ")
    if r.waiver is not None:
        status += f", waived until {r.waiver.expires.isoformat()}"
    return FillSource(check_id=r.id, title=r.title, status=status)


def provenance_source(report: Report) -> FillSource:
    return FillSource(
        check_id=None, title="provenance", status=f"check run of {report.provenance.finished_at}"
    )


def titled(title: str, node: Node) -> FieldView:
    return FieldView(name=title, title=title, description="", node=node)


def titled_text(title: str, text: str) -> FieldView:
    return titled(title, TextNode(text=text))


def make_table(columns: Sequence[str], rows: Iterable[Sequence[str]]) -> TableNode:
    return TableNode(columns=tuple(columns), rows=tuple(tuple(r) for r in rows))


def filled(
    sources: Sequence[FillSource], entries: Sequence[FieldView], note: str = ""
) -> FilledNode | None:
    """A filled node holding ``entries``; None when there is nothing to show."""
    if not entries:
        return None
    body: Node = entries[0].node if len(entries) == 1 else MappingNode(entries=tuple(entries))
    return FilledNode(sources=tuple(sources), body=body, note=note)


def as_mapping(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def percent(value: Any) -> str:
    if not isinstance(value, int | float) or value != value:
        return "—"
    return f"{100 * value:.1f}%"


def as_int(value: Any) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def number(value: Any) -> str:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return "—"
    return format_value(float(value))


def figure_cells(m: Measurement) -> tuple[str, str, str]:
    """Value, interval and n of a measurement, as the packet prints them."""
    return format_value(m.value), format_interval(m.ci), format_count(m.n)


def overall_of(r: CheckResult) -> list[Measurement]:
    return [m for m in r.own_measurements() if m.group is None and m.feature is None]


# --- which data a dataset card describes ---------------------------------------------------


def report_splits(report: Report) -> frozenset[str]:
    found = {ROLE_SPLIT[a.role] for a in report.provenance.artifacts if a.role in ROLE_SPLIT}
    # A report that names no data file still measured the evaluation data.
    return frozenset(found) or frozenset({"eval"})


def measured_splits(report: Report, r: CheckResult) -> frozenset[str]:
    """The splits a data check read: its ``split`` parameter, else every split of the run."""
    split = r.params.get("split")
    if split in SPLITS:
        return frozenset({str(split)})
    return report_splits(report)


def data_result(inp: FillInput, check_id: str) -> CheckResult | None:
    """The result of a data check, when the document describes all the data it measured."""
    r = inp.report.result(check_id)
    if r is None or not inp.splits or not measured_splits(inp.report, r) <= inp.splits:
        return None
    return r
