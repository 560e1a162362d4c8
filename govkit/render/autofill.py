"""Automated document fields, filled from the check report when a document leaves them empty.

The standards behind the documents mark some fields "automated": figures a
check measures (statistics, missing rates, results, fairness gaps...), which
nobody should type by hand. A document may leave them empty; the packet then
shows what the report holds, labelled with the check it came from and that
check's status, so a filled figure can never pass as a human statement.

:data:`RULES` is the whole mapping, one declarative row per field: the
document kind, the field's path (``"*"`` stands for every item of a list) and
the function of the report that fills it. Each function returns a
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

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from pydantic import BaseModel

from govkit.render.fields import (
    FieldPath,
    FieldView,
    FilledNode,
    FillSource,
    MappingNode,
    Node,
    TableNode,
    TextNode,
)
from govkit.render.formatting import format_count, format_group, format_interval, format_value
from govkit.report import CheckResult, Measurement, Report

__all__ = [
    "RULES",
    "FillInput",
    "FillRule",
    "data_splits",
    "document_fills",
    "filled_refs",
    "fills_for",
]

SPLITS = frozenset({"train", "eval"})
_ROLE_SPLIT = {"eval_data": "eval", "train_data": "train"}
# A check with one of these statuses measured nothing; its message says why.
_NO_FIGURES = ("skipped", "error")
# Rows shown in a ranking before the rest is summarised in a note.
_TOP = 15
# Metrics side by side in a per-group table: more would not fit an A4 page.
_PIVOT_METRICS = 4


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
    """

    report: Report
    document: BaseModel
    item: BaseModel | None
    splits: frozenset[str]


Filler = Callable[[FillInput], FilledNode | None]


@dataclass(frozen=True)
class FillRule:
    """One automated field and how the report fills it."""

    kind: str
    path: tuple[str, ...]
    source: str
    fill: Filler


# --- small builders --------------------------------------------------------------------


def _source(r: CheckResult) -> FillSource:
    status = r.status.replace("_", " ")
    if r.waiver is not None:
        status += f", waived until {r.waiver.expires.isoformat()}"
    return FillSource(check_id=r.id, title=r.title, status=status)


def _provenance(report: Report) -> FillSource:
    return FillSource(
        check_id=None, title="provenance", status=f"check run of {report.provenance.finished_at}"
    )


def _entry(title: str, node: Node) -> FieldView:
    return FieldView(name=title, title=title, description="", node=node)


def _text(title: str, text: str) -> FieldView:
    return _entry(title, TextNode(text=text))


def _table(columns: Sequence[str], rows: Iterable[Sequence[str]]) -> TableNode:
    return TableNode(columns=tuple(columns), rows=tuple(tuple(r) for r in rows))


def _filled(
    sources: Sequence[FillSource], entries: Sequence[FieldView], note: str = ""
) -> FilledNode | None:
    """A filled node holding ``entries``; None when there is nothing to show."""
    if not entries:
        return None
    body: Node = entries[0].node if len(entries) == 1 else MappingNode(entries=tuple(entries))
    return FilledNode(sources=tuple(sources), body=body, note=note)


def _no_figures(r: CheckResult) -> FilledNode | None:
    """A check that measured nothing: its message fills the field, so the gap is explained."""
    if r.status not in _NO_FIGURES:
        return None
    return FilledNode(sources=(_source(r),), body=TextNode(text=r.message))


def _mapping(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _percent(value: Any) -> str:
    if not isinstance(value, int | float) or value != value:
        return "—"
    return f"{100 * value:.1f}%"


def _int(value: Any) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def _number(value: Any) -> str:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return "—"
    return format_value(float(value))


def _figure(m: Measurement) -> tuple[str, str, str]:
    """Value, interval and n of a measurement, as the packet prints them."""
    return format_value(m.value), format_interval(m.ci), format_count(m.n)


def _overall(r: CheckResult) -> list[Measurement]:
    return [m for m in r.measurements if m.group is None and m.feature is None]


def _headline(r: CheckResult) -> str:
    """The first overall figure of a check, with its interval: ``name value [lo, hi]``."""
    ms = _overall(r) or [m for m in r.measurements if m.group is None]
    if not ms:
        return r.message
    m = ms[0]
    where = f" ({m.feature})" if m.feature else ""
    return f"{m.name}{where} {format_value(m.value)} {format_interval(m.ci)}"


# --- which data a dataset card describes ---------------------------------------------------


def _report_splits(report: Report) -> frozenset[str]:
    found = {_ROLE_SPLIT[a.role] for a in report.provenance.artifacts if a.role in _ROLE_SPLIT}
    # A report that names no data file still measured the evaluation data.
    return frozenset(found) or frozenset({"eval"})


def _measured(report: Report, r: CheckResult) -> frozenset[str]:
    """The splits a data check read: its ``split`` parameter, else every split of the run."""
    split = r.params.get("split")
    if split in SPLITS:
        return frozenset({str(split)})
    return _report_splits(report)


def _data_check(inp: FillInput, check_id: str) -> CheckResult | None:
    """The result of a data check, when the document describes all the data it measured."""
    r = inp.report.result(check_id)
    if r is None or not inp.splits or not _measured(inp.report, r) <= inp.splits:
        return None
    return r


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


# --- dataset card --------------------------------------------------------------------------


def _statistics(inp: FillInput) -> FilledNode | None:
    r = _data_check(inp, "data.quality")
    if r is None:
        return None
    if (skipped := _no_figures(r)) is not None:
        return skipped
    d = r.details
    entries: list[FieldView] = []
    rows = _int(d.get("rows"))
    if rows is not None:
        entries.append(_text("Rows", f"{rows:,} (split measured: {d.get('split', 'all')})"))
    with_missing = _int(d.get("rows_with_missing"))
    if with_missing is not None and rows:
        entries.append(
            _text(
                "Rows with a missing value", f"{with_missing:,} ({_percent(with_missing / rows)})"
            )
        )
    labels = d.get("label_distribution")
    if isinstance(labels, dict) and labels:
        total = sum(v for v in labels.values() if _int(v) is not None) or 1
        entries.append(
            _entry(
                "Label distribution",
                _table(
                    ("Label (encoded)", "Rows", "Share"),
                    (
                        (str(k), format_count(_int(v)), _percent((_int(v) or 0) / total))
                        for k, v in labels.items()
                    ),
                ),
            )
        )
    stats = d.get("statistics")
    missing = _mapping(d.get("missing_rate"))
    distinct = _mapping(d.get("distinct_values"))
    if isinstance(stats, dict) and stats:
        entries.extend(_column_tables(stats, missing, distinct))
    else:
        rates = [m for m in r.measurements if m.name == "missing_rate" and m.feature]
        if rates:
            entries.append(
                _entry(
                    "Per column",
                    _table(
                        ("Column", "Missing rate", "95% interval", "n"),
                        ((str(m.feature), *_figure(m)) for m in rates),
                    ),
                )
            )
    return _filled([_source(r)], entries)


def _column_tables(
    stats: dict[str, Any], missing: dict[str, Any], distinct: dict[str, Any]
) -> list[FieldView]:
    """Numeric and categorical columns in two tables: each keeps to the figures it has."""
    numeric, other = [], []
    for name, entry in stats.items():
        e = _mapping(entry)
        present = format_count(_int(e.get("present")))
        lead = (str(name), str(e.get("dtype", "—")), present, _percent(missing.get(name)))
        if "mean" in e:
            figures = (_number(e.get(k)) for k in ("mean", "std", "median", "p05", "p95"))
            numeric.append((*lead, *figures))
        else:
            other.append((*lead, format_count(_int(e.get("distinct", distinct.get(name))))))
    head = ("Column", "Type", "Present", "Missing")
    out = []
    if numeric:
        columns = (*head, "Mean", "Std", "Median", "5th pct", "95th pct")
        out.append(_entry("Numeric columns", _table(columns, numeric)))
    if other:
        out.append(_entry("Other columns", _table((*head, "Distinct values"), other)))
    return out


def _missing_rates(inp: FillInput) -> FilledNode | None:
    r = _data_check(inp, "data.quality")
    if r is None:
        return None
    if (skipped := _no_figures(r)) is not None:
        return skipped
    counts = _mapping(r.details.get("missing_count"))
    rates = [
        m for m in r.measurements if m.name == "missing_rate" and m.feature and m.group is None
    ]
    if not rates:
        raw = r.details.get("missing_rate")
        rates = [
            Measurement(name="missing_rate", feature=str(k), value=float(v), n=None)
            for k, v in (raw.items() if isinstance(raw, dict) else [])
            if isinstance(v, int | float)
        ]
    if not rates:
        return None
    some = [m for m in rates if m.value]
    none = [str(m.feature) for m in rates if not m.value]
    rows = (
        (
            str(m.feature),
            format_value(m.value),
            format_interval(m.ci),
            format_count(_int(counts.get(str(m.feature)))),
            format_count(m.n),
        )
        for m in some
    )
    entries = []
    if some:
        columns = ("Column", "Missing rate", "95% interval", "Missing rows", "n")
        entries.append(_entry("Columns with missing values", _table(columns, rows)))
    if none:
        entries.append(_text("No missing values", ", ".join(none)))
    return _filled([_source(r)], entries)


def _masked(kind: str, example: str) -> str:
    """An example as the scan masked it, masked once more so a raw value can never slip through.

    Masking a masked value changes nothing, except for card numbers, whose
    masker keeps only the last four digits of whatever it is given; a card
    example that already shows no more than four digits is kept as written.
    An example of a kind govkit does not know is withheld.
    """
    from govkit.privacy.masking import MASKERS

    masker = MASKERS.get(kind)
    if masker is None:
        return "[withheld]"
    again = masker(example)
    if kind == "credit_card" and sum(c.isdigit() for c in example) <= 4:
        return example
    return again


def _pii_scan(inp: FillInput) -> FilledNode | None:
    r = _data_check(inp, "privacy.pii")
    if r is None:
        return None
    if (skipped := _no_figures(r)) is not None:
        return skipped
    d = r.details
    entries = [_text("Result", r.message)]
    scanned = d.get("columns_scanned")
    if isinstance(scanned, list):
        names = ", ".join(str(c) for c in scanned) or "none"
        entries.append(_text("Columns scanned", f"{len(scanned)}: {names}"))
    examples = _mapping(d.get("masked_examples"))
    rows = []
    for split, columns in _mapping(d.get("pii_counts")).items():
        for column, kinds in _mapping(columns).items():
            for kind, n in _mapping(kinds).items():
                found = _mapping(examples.get(column)).get(kind)
                shown = [_masked(str(kind), str(e)) for e in found or []]
                rows.append(
                    (str(split), str(column), str(kind), format_count(_int(n)), ", ".join(shown))
                )
    if rows:
        columns = ("Split", "Column", "Kind", "Rows", "Masked examples")
        entries.append(_entry("Findings", _table(columns, rows)))
    undeclared = d.get("undeclared_columns_with_pii")
    if isinstance(undeclared, list) and undeclared:
        entries.append(
            _text("Not declared in sensitive_data", ", ".join(str(c) for c in undeclared))
        )
    return _filled(
        [_source(r)], entries, note="Counts per column and kind; examples are masked by the scan."
    )


def _content_sha256(inp: FillInput) -> FilledNode | None:
    rows = [
        (_ROLE_SPLIT[a.role], a.path, a.sha256, format_count(a.bytes))
        for a in inp.report.provenance.artifacts
        if _ROLE_SPLIT.get(a.role) in inp.splits
    ]
    if not rows:
        return None
    table = _table(("Split", "File", "SHA-256", "Bytes"), rows)
    return _filled(
        [_provenance(inp.report)],
        [_entry("Files", table)],
        note="The data files govkit check read, hashed when it read them.",
    )


def _instance_counts(inp: FillInput) -> FilledNode | None:
    counts: dict[str, int] = {}
    sources: list[FillSource] = []
    leakage = inp.report.result("data.leakage")
    if leakage is not None and leakage.status not in _NO_FIGURES:
        for split in ("train", "eval"):
            n = _int(leakage.details.get(f"{split}_rows"))
            if n is not None and split in inp.splits:
                counts[split] = n
        if counts:
            sources.append(_source(leakage))
    quality = _data_check(inp, "data.quality")
    rows = _int(quality.details.get("rows")) if quality is not None else None
    if quality is not None and rows is not None:
        split = str(quality.details.get("split", "all"))
        if split not in counts:
            counts[split] = rows
            sources.append(_source(quality))
    if not counts:
        return None
    table = _table(("Split", "Rows"), ((k, f"{v:,}") for k, v in counts.items()))
    return _filled(sources, [_entry("Rows", table)])


def _quality_result(inp: FillInput) -> FilledNode | None:
    r = _data_check(inp, "data.quality")
    if r is None:
        return None
    if (skipped := _no_figures(r)) is not None:
        return skipped
    entries = [_text("Result", r.message)]
    for key, title in (
        ("constant_columns", "Constant columns"),
        ("all_missing_columns", "Columns with no value"),
    ):
        value = r.details.get(key)
        if isinstance(value, list):
            entries.append(_text(title, ", ".join(str(v) for v in value) or "none"))
    return _filled([_source(r)], entries)


def _group_rows(r: CheckResult, attributes: Sequence[str] | None) -> list[tuple[str, ...]]:
    """Group share, size, base rate and missing-row rate per group of the data check."""
    by_group: dict[str, dict[str, Measurement]] = {}
    for m in r.measurements:
        if not m.group or (attributes is not None and sorted(m.group) != sorted(attributes)):
            continue
        by_group.setdefault(format_group(m.group), {})[m.name] = m
    rows: list[tuple[str, ...]] = []
    for label, ms in by_group.items():
        share = ms.get("group_share")
        size = ms.get("missing_row_rate") or ms.get("base_rate")
        base = ms.get("base_rate")
        rows.append(
            (
                label,
                format_count(size.n if size is not None else None),
                format_value(share.value) if share else "—",
                format_interval(share.ci) if share else "—",
                format_value(base.value) if base else "—",
            )
        )
    return rows


def _subgroup_distribution(inp: FillInput) -> FilledNode | None:
    r = _data_check(inp, "data.quality")
    attribute = getattr(inp.item, "attribute", None)
    if r is None or not attribute:
        return None
    if (skipped := _no_figures(r)) is not None:
        return skipped
    rows = _group_rows(r, [str(attribute)])
    if not rows:
        return None
    columns = ("Group", "Rows", "Share", "95% interval", "Positive label rate")
    return _filled([_source(r)], [_entry("Groups", _table(columns, rows))])


def _representation(inp: FillInput) -> FilledNode | None:
    r = _data_check(inp, "data.quality")
    if r is None:
        return None
    if (skipped := _no_figures(r)) is not None:
        return skipped
    rows = _group_rows(r, None)
    if not rows:
        return None
    columns = ("Group", "Rows", "Share", "95% interval", "Positive label rate")
    return _filled(
        [_source(r)],
        [_entry("Groups", _table(columns, rows))],
        note="Share of the rows and rate of the positive label per group and intersection.",
    )


# --- model card ----------------------------------------------------------------------------


def _results_of(report: Report, prefix: str) -> list[CheckResult]:
    return [r for r in report.results if r.id.startswith(prefix)]


def _declared_metrics(document: BaseModel) -> list[str]:
    return [str(m.name) for m in getattr(document, "metrics", None) or []]


def _judged(r: CheckResult) -> list[str]:
    rules = r.threshold.get("rules")
    rules = rules if isinstance(rules, list) else [r.threshold]
    return [str(rule["metric"]) for rule in rules if isinstance(rule, dict) and "metric" in rule]


def _pivot(grouped: Sequence[Measurement], metrics: Sequence[str]) -> TableNode:
    """One row per group, one column per metric: ``value [low, high]``.

    The n column is the group's size for the first metric; a cell whose n
    differs (precision counts predicted positives) says so.
    """
    cells: dict[str, dict[str, Measurement]] = {}
    for m in grouped:
        if m.name in metrics:
            cells.setdefault(format_group(m.group), {}).setdefault(m.name, m)
    rows = []
    for group, by_metric in cells.items():
        first = next((by_metric[n] for n in metrics if n in by_metric), None)
        n = first.n if first is not None else None
        row = [group, format_count(n)]
        for name in metrics:
            cell = by_metric.get(name)
            if cell is None:
                row.append("—")
                continue
            text = f"{format_value(cell.value)} {format_interval(cell.ci)}"
            row.append(text if cell.n == n else f"{text} (n={format_count(cell.n)})")
        rows.append(row)
    return _table(("Group", "n", *metrics), rows)


def _results(inp: FillInput) -> FilledNode | None:
    checks = [r for r in _results_of(inp.report, "performance.") if r.status not in _NO_FIGURES]
    if not checks:
        return None
    overall = [m for r in checks for m in _overall(r)]
    grouped = [m for r in checks for m in r.measurements if m.group and m.feature is None]
    # Group tables keep to the metrics the card declares (else the judged
    # ones), a few at most, so they stay readable on a page.
    present = {m.name for m in grouped}
    wanted = [n for n in _declared_metrics(inp.document) if n in present]
    wanted = wanted or [n for r in checks for n in _judged(r) if n in present]
    wanted = list(dict.fromkeys(wanted or sorted(present)[:1]))[:_PIVOT_METRICS]
    entries = []
    if overall:
        rows = [(m.name, *_figure(m)) for m in overall]
        entries.append(_entry("Overall", _table(("Metric", "Value", "95% interval", "n"), rows)))
    single = [m for m in grouped if len(m.group or {}) == 1]
    multi = [m for m in grouped if len(m.group or {}) > 1]
    if single:
        entries.append(_entry("Per group", _pivot(single, wanted)))
    if multi:
        entries.append(_entry("Intersectional", _pivot(multi, wanted)))
    note = ""
    if grouped:
        note = (
            f"Groups shown for {', '.join(wanted)}, each as value [95% interval]; "
            "every figure is under the check results."
        )
    return _filled([_source(r) for r in checks], entries, note=note)


def _fairness(inp: FillInput) -> FilledNode | None:
    used: list[CheckResult] = []
    # (measure, sensitive column) -> {"difference": m, "ratio": m}, in report order
    pairs: dict[tuple[str, str], dict[str, Measurement]] = {}
    status_of: dict[tuple[str, str], str] = {}
    others: list[tuple[str, ...]] = []
    for r in _results_of(inp.report, "fairness."):
        ms = [m for m in r.measurements if m.group is None and m.feature]
        if r.status in _NO_FIGURES or not ms:
            continue
        used.append(r)
        status = r.status.replace("_", " ") + (" (waived)" if r.waiver is not None else "")
        for m in ms:
            base, _, kind = m.name.rpartition("_")
            if base and kind in ("difference", "ratio"):
                key = (base, str(m.feature))
                pairs.setdefault(key, {})[kind] = m
                status_of[key] = status
            else:
                others.append((m.name, str(m.feature), *_figure(m), status))
    entries = []
    if pairs:
        rows = []
        for key, by_kind in pairs.items():
            cells = [
                f"{format_value(m.value)} {format_interval(m.ci)}" if m is not None else "—"
                for m in (by_kind.get("difference"), by_kind.get("ratio"))
            ]
            n = next(m.n for m in by_kind.values())
            rows.append((*key, *cells, format_count(n), status_of[key]))
        columns = ("Measure", "Sensitive column", "Difference", "Ratio", "n", "Status")
        entries.append(_entry("Gaps between groups", _table(columns, rows)))
    if others:
        columns = ("Metric", "Sensitive column", "Value", "95% interval", "n", "Status")
        entries.append(_entry("Other fairness figures", _table(columns, others)))
    return _filled(
        [_source(r) for r in used],
        entries,
        note="Largest difference and smallest ratio between the groups of each sensitive "
        "column and their intersection, each as value [95% interval]; per-group figures are "
        "under the check results.",
    )


def _explainability(inp: FillInput) -> FilledNode | None:
    r = inp.report.result("attribution.importance")
    if r is None:
        return None
    if (skipped := _no_figures(r)) is not None:
        return skipped
    ranking = r.details.get("ranking")
    rows: list[tuple[str, ...]] = []
    if isinstance(ranking, list) and ranking:
        for i, entry in enumerate(ranking, start=1):
            if not isinstance(entry, dict):
                continue
            ci = entry.get("ci")
            rows.append(
                (
                    str(entry.get("rank", i)),
                    str(entry.get("feature", "—")),
                    _number(entry.get("mean_abs_attribution")),
                    format_interval(tuple(ci)) if isinstance(ci, list) and len(ci) == 2 else "—",
                    _percent(entry.get("share")),
                )
            )
    else:
        ms = sorted(
            (m for m in r.measurements if m.feature and m.group is None),
            key=lambda m: -(m.value if m.value is not None else float("-inf")),
        )
        total = sum(abs(m.value) for m in ms if m.value is not None) or 1.0
        rows = [
            (
                str(i),
                str(m.feature),
                format_value(m.value),
                format_interval(m.ci),
                _percent(abs(m.value) / total if m.value is not None else None),
            )
            for i, m in enumerate(ms, start=1)
        ]
    entries = []
    method = r.details.get("method") or r.params.get("method")
    target = r.details.get("target")
    if method:
        entries.append(
            _text("Method", f"{method}" + (f", attributing the {target}" if target else ""))
        )
    note = ""
    if rows:
        columns = ("Rank", "Feature", "Mean |attribution|", "95% interval", "Share")
        entries.append(_entry("Ranking", _table(columns, rows[:_TOP])))
        if len(rows) > _TOP:
            note = f"The {_TOP} strongest of {len(rows)} features."
    sources = [r]
    related = [
        x for x in _results_of(inp.report, "attribution.") if x.id != r.id and x.status != "skipped"
    ]
    if related:
        table = _table(
            ("Check", "Status", "Headline figure"),
            ((x.id, _source(x).status, _headline(x)) for x in related),
        )
        entries.append(_entry("Related checks", table))
        sources += related
    return _filled([_source(x) for x in sources], entries, note=note)


def _privacy(inp: FillInput) -> FilledNode | None:
    r = inp.report.result("privacy.membership_inference")
    if r is None:
        return None
    if (skipped := _no_figures(r)) is not None:
        return skipped
    entries = []
    overall = _overall(r)
    if overall:
        rows = [
            (m.name, format_value(m.value), format_interval(m.ci), format_count(m.n))
            for m in overall
        ]
        table = _table(("Metric", "Value", "95% interval", "n"), rows)
        entries.append(_entry("Attack against the training data", table))
    d = r.details
    facts = []
    if d.get("strongest_attack"):
        facts.append(f"strongest attack: {d['strongest_attack']}")
    members, others = _int(d.get("n_members")), _int(d.get("n_non_members"))
    if members is not None and others is not None:
        facts.append(f"{members:,} training rows against {others:,} held-out rows")
    if facts:
        entries.append(_text("Setup", "; ".join(facts)))
    # what a low attack figure means: these attacks fail, not every attack
    entries.append(
        _text(
            "Reading",
            str(d.get("lower_bound") or "These attacks give a lower bound on leakage."),
        )
    )
    per_group = [
        m for m in r.measurements if m.group and m.name == "roc_auc" and m.value is not None
    ]
    if per_group:
        worst = max(per_group, key=lambda m: m.value or 0.0)
        entries.append(
            _text(
                "Highest group attack AUC",
                f"{format_group(worst.group)}: {format_value(worst.value)} "
                f"{format_interval(worst.ci)} (n={format_count(worst.n)})",
            )
        )
    return _filled([_source(r)], entries)


def _software_env(inp: FillInput) -> FilledNode | None:
    p = inp.report.provenance
    entries = [
        _text("Python", p.python),
        _text("Torch", p.torch or "—"),
        _text("Device", p.device),
        _text("Git commit", p.git_commit or "—"),
        _text("Packages", f"govkit {p.govkit_version}"),
    ]
    return _filled(
        [_provenance(inp.report)],
        entries,
        note="The environment govkit check evaluated the model in; training may have used another.",
    )


def _uncertainty(inp: FillInput) -> FilledNode | None:
    with_ci = [r for r in inp.report.results if any(m.ci is not None for m in r.measurements)]
    if not with_ci:
        return None
    n_boot = sorted({int(v) for r in with_ci if isinstance(v := r.params.get("n_boot"), int)})
    levels = sorted(
        {float(v) for r in with_ci if isinstance(v := r.params.get("confidence"), int | float)}
    )
    entries = [
        _text("Method", "Poisson row bootstrap, percentile intervals"),
        _text("Replicates", ", ".join(f"{n:,}" for n in n_boot) or "—"),
        _text("Seeds", str(inp.report.provenance.seed)),
        _text("Confidence level", ", ".join(f"{v:g}" for v in levels) or "—"),
    ]
    settings = FillSource(
        check_id=None,
        title="check settings",
        status=f"{len(with_ci)} checks with intervals, run of {inp.report.provenance.finished_at}",
    )
    return _filled([settings], entries)


# --- experiment plan -------------------------------------------------------------------


def _leakage(inp: FillInput) -> FilledNode | None:
    r = inp.report.result("data.leakage")
    if r is None:
        return None
    if (skipped := _no_figures(r)) is not None:
        return skipped
    entries = [_text("Result", r.message)]
    rows = [
        (m.name, format_value(m.value), format_interval(m.ci), format_count(m.n))
        for m in _overall(r)
    ]
    if rows:
        entries.append(_entry("Figures", _table(("Metric", "Value", "95% interval", "n"), rows)))
    return _filled([_source(r)], entries)


#: Every automated field govkit fills from a report, in one place.
RULES: tuple[FillRule, ...] = (
    FillRule(
        "dataset_card", ("content_sha256",), "report provenance: data artifacts", _content_sha256
    ),
    FillRule(
        "dataset_card",
        ("instances", "counts"),
        "data.leakage rows per split; data.quality rows",
        _instance_counts,
    ),
    FillRule(
        "dataset_card", ("missing_data", "rates"), "data.quality missing_rate", _missing_rates
    ),
    FillRule("dataset_card", ("quality_issues", "result"), "data.quality", _quality_result),
    FillRule("dataset_card", ("statistics",), "data.quality details.statistics", _statistics),
    FillRule(
        "dataset_card",
        ("subpopulations", "*", "distribution"),
        "data.quality group_share",
        _subgroup_distribution,
    ),
    FillRule("dataset_card", ("pii_scan",), "privacy.pii counts and masked examples", _pii_scan),
    FillRule(
        "dataset_card",
        ("bias_examination", "representation"),
        "data.quality group_share and base_rate",
        _representation,
    ),
    FillRule("model_card", ("software_env",), "report provenance", _software_env),
    FillRule("model_card", ("uncertainty",), "bootstrap settings of the checks", _uncertainty),
    FillRule("model_card", ("results",), "performance.* measurements", _results),
    FillRule("model_card", ("fairness", "result"), "fairness.* aggregate gaps", _fairness),
    FillRule(
        "model_card",
        ("explainability", "result"),
        "attribution.importance ranking",
        _explainability,
    ),
    FillRule("model_card", ("privacy", "result"), "privacy.membership_inference", _privacy),
    FillRule("experiment_plan", ("splits", "leakage_checks"), "data.leakage", _leakage),
)


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
        for path, item in _expand(document, rule.path):
            node = rule.fill(FillInput(report=report, document=document, item=item, splits=splits))
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
