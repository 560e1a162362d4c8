"""Dataset card fields filled from the data checks: statistics, missing values, PII, groups.

These figures describe the data ``govkit check`` read, so every rule that
reads a data check has the ``"data"`` scope: it fills a card only when that
card describes every split the check measured.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from govkit.render.autofill.common import (
    NO_FIGURES,
    ROLE_SPLIT,
    FillInput,
    FillRule,
    as_int,
    as_mapping,
    data_result,
    figure_cells,
    filled,
    make_table,
    number,
    percent,
    provenance_source,
    source_of,
    titled,
    titled_text,
)
from govkit.render.fields import FieldView, FilledNode, FillSource
from govkit.render.formatting import format_count, format_group, format_interval, format_value
from govkit.report import CheckResult, Measurement

__all__ = ["RULES"]


def _statistics(inp: FillInput) -> FilledNode | None:
    r = inp.checked()
    d = r.details
    entries: list[FieldView] = []
    rows = as_int(d.get("rows"))
    if rows is not None:
        entries.append(titled_text("Rows", f"{rows:,} (split measured: {d.get('split', 'all')})"))
    with_missing = as_int(d.get("rows_with_missing"))
    if with_missing is not None and rows:
        entries.append(
            titled_text(
                "Rows with a missing value", f"{with_missing:,} ({percent(with_missing / rows)})"
            )
        )
    labels = d.get("label_distribution")
    if isinstance(labels, dict) and labels:
        total = sum(v for v in labels.values() if as_int(v) is not None) or 1
        entries.append(
            titled(
                "Label distribution",
                make_table(
                    ("Label (encoded)", "Rows", "Share"),
                    (
                        (str(k), format_count(as_int(v)), percent((as_int(v) or 0) / total))
                        for k, v in labels.items()
                    ),
                ),
            )
        )
    stats = d.get("statistics")
    missing = as_mapping(d.get("missing_rate"))
    distinct = as_mapping(d.get("distinct_values"))
    if isinstance(stats, dict) and stats:
        entries.extend(_column_tables(stats, missing, distinct))
    else:
        rates = [m for m in r.measurements if m.name == "missing_rate" and m.feature]
        if rates:
            entries.append(
                titled(
                    "Per column",
                    make_table(
                        ("Column", "Missing rate", "95% interval", "n"),
                        ((str(m.feature), *figure_cells(m)) for m in rates),
                    ),
                )
            )
    return filled([source_of(r)], entries)


def _column_tables(
    stats: dict[str, Any], missing: dict[str, Any], distinct: dict[str, Any]
) -> list[FieldView]:
    """Numeric and categorical columns in two tables: each keeps to the figures it has."""
    numeric, other = [], []
    for name, entry in stats.items():
        e = as_mapping(entry)
        present = format_count(as_int(e.get("present")))
        lead = (str(name), str(e.get("dtype", "—")), present, percent(missing.get(name)))
        if "mean" in e:
            figures = (number(e.get(k)) for k in ("mean", "std", "median", "p05", "p95"))
            numeric.append((*lead, *figures))
        else:
            other.append((*lead, format_count(as_int(e.get("distinct", distinct.get(name))))))
    head = ("Column", "Type", "Present", "Missing")
    out = []
    if numeric:
        columns = (*head, "Mean", "Std", "Median", "5th pct", "95th pct")
        out.append(titled("Numeric columns", make_table(columns, numeric)))
    if other:
        out.append(titled("Other columns", make_table((*head, "Distinct values"), other)))
    return out


def _missing_rates(inp: FillInput) -> FilledNode | None:
    r = inp.checked()
    counts = as_mapping(r.details.get("missing_count"))
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
            format_count(as_int(counts.get(str(m.feature)))),
            format_count(m.n),
        )
        for m in some
    )
    entries = []
    if some:
        columns = ("Column", "Missing rate", "95% interval", "Missing rows", "n")
        entries.append(titled("Columns with missing values", make_table(columns, rows)))
    if none:
        entries.append(titled_text("No missing values", ", ".join(none)))
    return filled([source_of(r)], entries)


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
    r = inp.checked()
    d = r.details
    entries = [titled_text("Result", r.message)]
    scanned = d.get("columns_scanned")
    if isinstance(scanned, list):
        names = ", ".join(str(c) for c in scanned) or "none"
        entries.append(titled_text("Columns scanned", f"{len(scanned)}: {names}"))
    examples = as_mapping(d.get("masked_examples"))
    rows = []
    for split, columns in as_mapping(d.get("pii_counts")).items():
        for column, kinds in as_mapping(columns).items():
            for kind, n in as_mapping(kinds).items():
                found = as_mapping(examples.get(column)).get(kind)
                shown = [_masked(str(kind), str(e)) for e in found or []]
                rows.append(
                    (str(split), str(column), str(kind), format_count(as_int(n)), ", ".join(shown))
                )
    if rows:
        columns = ("Split", "Column", "Kind", "Rows", "Masked examples")
        entries.append(titled("Findings", make_table(columns, rows)))
    undeclared = d.get("undeclared_columns_with_pii")
    if isinstance(undeclared, list) and undeclared:
        entries.append(
            titled_text("Not declared in sensitive_data", ", ".join(str(c) for c in undeclared))
        )
    return filled(
        [source_of(r)], entries, note="Counts per column and kind; examples are masked by the scan."
    )


def _content_sha256(inp: FillInput) -> FilledNode | None:
    rows = [
        (ROLE_SPLIT[a.role], a.path, a.sha256, format_count(a.bytes))
        for a in inp.report.provenance.artifacts
        if ROLE_SPLIT.get(a.role) in inp.splits
    ]
    if not rows:
        return None
    table = make_table(("Split", "File", "SHA-256", "Bytes"), rows)
    return filled(
        [provenance_source(inp.report)],
        [titled("Files", table)],
        note="The data files govkit check read, hashed when it read them.",
    )


def _instance_counts(inp: FillInput) -> FilledNode | None:
    counts: dict[str, int] = {}
    sources: list[FillSource] = []
    leakage = inp.report.result("data.leakage")
    if leakage is not None and leakage.status not in NO_FIGURES:
        for split in ("train", "eval"):
            n = as_int(leakage.details.get(f"{split}_rows"))
            if n is not None and split in inp.splits:
                counts[split] = n
        if counts:
            sources.append(source_of(leakage))
    quality = data_result(inp, "data.quality")
    rows = as_int(quality.details.get("rows")) if quality is not None else None
    if quality is not None and rows is not None:
        split = str(quality.details.get("split", "all"))
        if split not in counts:
            counts[split] = rows
            sources.append(source_of(quality))
    if not counts:
        return None
    table = make_table(("Split", "Rows"), ((k, f"{v:,}") for k, v in counts.items()))
    return filled(sources, [titled("Rows", table)])


def _quality_result(inp: FillInput) -> FilledNode | None:
    r = inp.checked()
    entries = [titled_text("Result", r.message)]
    for key, title in (
        ("constant_columns", "Constant columns"),
        ("all_missing_columns", "Columns with no value"),
    ):
        value = r.details.get(key)
        if isinstance(value, list):
            entries.append(titled_text(title, ", ".join(str(v) for v in value) or "none"))
    return filled([source_of(r)], entries)


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
    r = inp.checked()
    attribute = getattr(inp.item, "attribute", None)
    if not attribute:
        return None
    rows = _group_rows(r, [str(attribute)])
    if not rows:
        return None
    columns = ("Group", "Rows", "Share", "95% interval", "Positive label rate")
    return filled([source_of(r)], [titled("Groups", make_table(columns, rows))])


def _representation(inp: FillInput) -> FilledNode | None:
    r = inp.checked()
    rows = _group_rows(r, None)
    if not rows:
        return None
    columns = ("Group", "Rows", "Share", "95% interval", "Positive label rate")
    return filled(
        [source_of(r)],
        [titled("Groups", make_table(columns, rows))],
        note="Share of the rows and rate of the positive label per group and intersection.",
    )


#: The dataset card's automated fields.
RULES: tuple[FillRule, ...] = (
    FillRule("dataset_card", ("content_sha256",), _content_sha256),
    FillRule("dataset_card", ("instances", "counts"), _instance_counts),
    FillRule(
        "dataset_card",
        ("missing_data", "rates"),
        _missing_rates,
        check="data.quality",
        scope="data",
    ),
    FillRule(
        "dataset_card",
        ("quality_issues", "result"),
        _quality_result,
        check="data.quality",
        scope="data",
    ),
    FillRule("dataset_card", ("statistics",), _statistics, check="data.quality", scope="data"),
    FillRule(
        "dataset_card",
        ("subpopulations", "*", "distribution"),
        _subgroup_distribution,
        check="data.quality",
        scope="data",
    ),
    FillRule("dataset_card", ("pii_scan",), _pii_scan, check="privacy.pii", scope="data"),
    FillRule(
        "dataset_card",
        ("bias_examination", "representation"),
        _representation,
        check="data.quality",
        scope="data",
    ),
)
