"""Automated document fields, filled from the check report when a document leaves them empty.

The standards behind the documents mark some fields "automated": figures a
check measures (statistics, missing rates, results, fairness gaps...), which
nobody should type by hand. A document may leave them empty; the packet then
shows what the report holds, labelled with the check it came from and that
check's status, so a filled figure can never pass as a human statement.

:data:`RULES` is the whole mapping, one declarative row per field, gathered
from one module per document kind (like :mod:`govkit.documents`): the
document kind, the field's path (``"*"`` stands for every item of a list),
the function of the report that fills it, and the check it reads with the
data it applies to. :func:`fills_for` looks that check up once for every
rule: a report without it fills nothing, and a check that measured nothing
(skipped, error) fills the field with its message. Each function returns a
:class:`~govkit.render.fields.FilledNode` (a small display tree plus its
sources) or None when the report has nothing for the field. A value written
by hand always wins: the walker in :mod:`govkit.render.fields` shows it and
only mentions the report beside it.

Data-set figures describe the data ``govkit check`` read; they fill a dataset
card only when that card covers every split the check measured (a model card
names the cards of its training and evaluation data), so a card about other
data is never filled with this data's figures.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from pydantic import BaseModel

from govkit.render.autofill import dataset_card, experiment_plan, model_card
from govkit.render.autofill.common import (
    NO_FIGURES,
    SPLITS,
    FillInput,
    FillRule,
    measured_splits,
    source_of,
)
from govkit.render.fields import FieldPath, FilledNode, TextNode
from govkit.report import CheckResult, Report

__all__ = [
    "RULES",
    "FillInput",
    "FillRule",
    "data_splits",
    "document_fills",
    "filled_refs",
    "fills_for",
]

#: Every automated field govkit fills from a report, by document kind.
RULES: tuple[FillRule, ...] = (
    *dataset_card.RULES,
    *model_card.RULES,
    *experiment_plan.RULES,
)


def data_splits(documents: Sequence[BaseModel]) -> list[frozenset[str]]:
    """For each document, the splits of the project's data it describes.

    A dataset card named as training or evaluation data by a model card of the
    packet describes those splits; when no model card names any dataset card,
    every dataset card is taken to describe the project's data. Other
    documents describe none.
    """
    named: dict[str, set[str]] = {}
    for model in documents:
        if getattr(model, "kind", None) != "model_card":
            continue
        for attr, split in (("training_data", "train"), ("evaluation_data", "eval")):
            section = getattr(model, attr, None)
            for ref in getattr(section, "datasets", None) or []:
                named.setdefault(str(ref.card_id), set()).add(split)
    out: list[frozenset[str]] = []
    for model in documents:
        if getattr(model, "kind", None) != "dataset_card":
            out.append(frozenset())
            continue
        doc_id = str(getattr(getattr(model, "meta", None), "doc_id", ""))
        out.append(frozenset(named.get(doc_id, ())) if named else SPLITS)
    return out


def _in_scope(rule: FillRule, report: Report, r: CheckResult, splits: frozenset[str]) -> bool:
    """Whether the rule's check may fill a document describing ``splits`` of the data."""
    if rule.scope != "data":
        return True
    # A data check fills a document only when it describes all the data measured.
    return bool(splits) and measured_splits(report, r) <= splits


def _no_figures(r: CheckResult) -> FilledNode:
    """A check that measured nothing: its message fills the field, so the gap is explained."""
    return FilledNode(sources=(source_of(r),), body=TextNode(text=r.message))


# --- applying the rules ------------------------------------------------------------------


def _expand(model: BaseModel, pattern: tuple[str, ...]) -> list[tuple[FieldPath, BaseModel | None]]:
    """Concrete paths of ``pattern`` in ``model``, each with the model holding the field.

    A ``"*"`` step expands over the items of a list; a missing parent stops
    only a ``"*"`` path (there are no items to fill), so an absent parent's
    automated fields can still be shown.
    """
    found: list[tuple[FieldPath, BaseModel | None]] = []

    def walk(value: Any, done: FieldPath, rest: tuple[str, ...]) -> None:
        if len(rest) == 1:
            found.append((done + rest, value if isinstance(value, BaseModel) else None))
            return
        step, tail = rest[0], rest[1:]
        if step == "*":
            if isinstance(value, list):
                for i, item in enumerate(value):
                    walk(item, (*done, i), tail)
            return
        child = getattr(value, step, None) if isinstance(value, BaseModel) else None
        if child is None and "*" in tail:
            return
        walk(child, (*done, step), tail)

    walk(model, (), pattern)
    return found


def fills_for(
    document: BaseModel, report: Report, splits: frozenset[str] = frozenset()
) -> dict[FieldPath, FilledNode]:
    """The automated fields of ``document`` the report can fill, by path.

    Every field with a rule is returned, filled by hand or not: the field
    walker decides (a human value wins, and the report is only mentioned).
    """
    kind = str(getattr(document, "kind", ""))
    out: dict[FieldPath, FilledNode] = {}
    for rule in RULES:
        if rule.kind != kind:
            continue
        result = None
        if rule.check is not None:
            result = report.result(rule.check)
            if result is None or not _in_scope(rule, report, result, splits):
                continue
        for path, item in _expand(document, rule.path):
            inp = FillInput(
                report=report, document=document, item=item, splits=splits, result=result
            )
            if result is not None and result.status in NO_FIGURES:
                node: FilledNode | None = _no_figures(result)
            else:
                node = rule.fill(inp)
            if node is not None:
                out[path] = node
    return out


def filled_refs(
    documents: Sequence[BaseModel], fills: Sequence[dict[FieldPath, FilledNode]]
) -> list[str]:
    """The fields filled, as ``kind:dotted.path`` crosswalk refs (list items dropped).

    ``fills`` are :func:`document_fills` of the same documents, computed once
    for the packet.
    """
    return sorted(
        {
            f"{getattr(doc, 'kind', '')}:{'.'.join(p for p in path if isinstance(p, str))}"
            for doc, doc_fills in zip(documents, fills, strict=True)
            for path in doc_fills
        }
    )


def document_fills(
    documents: Sequence[BaseModel], report: Report | None
) -> list[dict[FieldPath, FilledNode]]:
    """Fills for each document of a packet, in order; all empty without a report."""
    if report is None:
        return [{} for _ in documents]
    scopes = data_splits(documents)
    return [fills_for(doc, report, scope) for doc, scope in zip(documents, scopes, strict=True)]
