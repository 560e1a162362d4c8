"""Step one of rendering: a typed context built from the documents and the report.

Templates see only these frozen dataclasses, never the raw files, so a typo
in a template is an attribute error (StrictUndefined), and the same context
feeds the Markdown and the HTML templates. Nothing here reads the clock: the
one date of the packet comes from the report (``finished_at``), else from
``SOURCE_DATE_EPOCH``, else a fixed epoch.
"""

from __future__ import annotations

import dataclasses
import functools
import hashlib
import os
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from pydantic import BaseModel

from govkit.render.autofill import document_fills, filled_refs
from govkit.render.coverage import CoverageView, coverage_view
from govkit.render.decision import DecisionView, SignoffRow, decision_view, signoff_rows
from govkit.render.fields import (
    FieldPath,
    FieldView,
    FilledNode,
    Gap,
    describe_model,
    filled_paths,
    format_scalar,
    gather_gaps,
)
from govkit.render.formatting import format_count, format_group, format_interval, format_value
from govkit.render.plan_view import HandoffView, PlanView, handoff_view, plan_view
from govkit.render.slices_view import WorstSliceView, worst_slice_views
from govkit.render.thresholds import parse_rules, rule_scope, threshold_sentence
from govkit.report import STATUS_ORDER, CheckResult, Measurement, Report, ResultWaiver
from govkit.signing.records import SignatureRow

__all__ = [
    "FIXED_EPOCH",
    "STATUS_ORDER",
    "ApprovalRow",
    "ArtifactRow",
    "CheckLink",
    "CoverageView",
    "DocumentView",
    "MeasurementView",
    "MethodView",
    "PacketContext",
    "PacketInputs",
    "ResultView",
    "RiskTrace",
    "Section",
    "SourceDocument",
    "WaiverView",
    "build_context",
    "format_group",
    "format_interval",
    "format_value",
    "packet_instant",
]

#: 1980-01-01T00:00:00Z, the earliest date a ZIP file can hold; used when nothing else dates the packet.
FIXED_EPOCH = 315532800
NO_SCOPE = "every failure of the check (no scope)"
_UNDOCUMENTED = "Not documented: the check has no entry in govkit's Methods."
_HEADER_FIELDS = ("kind", "schema_version", "meta")


@dataclass(frozen=True)
class SourceDocument:
    """A document as read from disk: its model, where it came from and its bytes."""

    path: Path
    display_path: str
    model: BaseModel
    data: bytes

    @property
    def sha256(self) -> str:
        return hashlib.sha256(self.data).hexdigest()


@dataclass(frozen=True)
class PacketInputs:
    """Everything a packet is made from, read once (see :func:`govkit.render.load_inputs`).

    Attributes
    ----------
    system_name, system_version
        The system under review, as the project names it (the report's win
        when there is a report).
    documents
        The loaded governance documents, in the order the project lists them.
    report
        The check report, or None for a documents-only packet.
    report_bytes
        The report file as read, hashed into the packet id.
    config
        ``(display path, bytes)`` of govkit.yaml, for the provenance appendix.
    """

    system_name: str
    system_version: str
    documents: Sequence[SourceDocument]
    report: Report | None = None
    report_bytes: bytes | None = None
    config: tuple[str, bytes] | None = None


@dataclass(frozen=True)
class Section:
    """A titled group of fields, in the order a template asked for."""

    title: str
    fields: tuple[FieldView, ...]


@dataclass(frozen=True)
class DocumentView:
    """One document, ready for a template: header facts plus every field in order."""

    kind: str
    doc_id: str
    title: str
    version: str
    status: str
    source: str
    sha256: str
    anchor: str
    filename: str
    meta: tuple[FieldView, ...]
    fields: tuple[FieldView, ...]
    #: Automated fields shown with figures from the report (dotted paths), in document order.
    filled: tuple[str, ...] = ()
    #: Optional fields left empty, at any depth: the document's "Not provided" table.
    gaps: tuple[Gap, ...] = ()

    def field(self, name: str) -> FieldView:
        """The field called ``name``; a KeyError (loud) when the schema has no such field."""
        for f in self.fields:
            if f.name == name:
                return f
        raise KeyError(f"{self.kind} has no field {name!r}")

    def has(self, name: str) -> bool:
        """Whether the document's schema has a field called ``name``."""
        return any(f.name == name for f in self.fields)

    def arrange(
        self, spec: Sequence[Sequence[Any]], rest: str = "Further details"
    ) -> list[Section]:
        """Group the fields into sections: ``[(title, [field names]), ...]``.

        A name the schema does not have is skipped, and every field no section
        names is collected in a last section titled ``rest``, so a document is
        always shown in full, whatever its schema version.
        """
        seen: set[str] = set()
        sections: list[Section] = []
        for title, names in spec:
            fields = tuple(self.field(n) for n in names if self.has(n) and n not in seen)
            seen.update(f.name for f in fields)
            if fields:
                sections.append(Section(title=str(title), fields=fields))
        leftover = tuple(f for f in self.fields if f.name not in seen)
        if leftover:
            sections.append(Section(title=rest, fields=leftover))
        return sections


@dataclass(frozen=True)
class MeasurementView:
    """One measurement, formatted the way the packet prints it."""

    name: str
    group: str
    feature: str
    value: str
    interval: str
    n: str


@dataclass(frozen=True)
class StabilityRow:
    """One figure across training seeds: its mean, spread, range and seed-level interval."""

    name: str
    where: str
    mean: str
    sd: str
    low: str
    high: str
    interval: str
    seeds: int


@dataclass(frozen=True)
class FigureCell:
    """One figure in a table of figures: value, interval and sample size."""

    value: str
    interval: str
    n: str


@dataclass(frozen=True)
class FigureTable:
    """A check's figures with one row per place (overall, a group, a feature) and
    one column per measurement name: a quarter of the rows of a long table, so a
    reviewer can compare groups across a line and the PDF lays out far fewer cells."""

    columns: tuple[str, ...]
    rows: tuple[tuple[str, tuple[FigureCell | None, ...]], ...]


#: measurement names per figure table; more go into a further table below
FIGURE_COLUMNS = 3


@dataclass(frozen=True)
class WaiverView:
    """A waiver that accepted a result, with its scope in words, and those applied with it."""

    owner: str
    justification: str
    expires: str
    #: ``feature=sex, limit=0.25``, or a sentence saying it has no scope
    scope: str = NO_SCOPE
    also: tuple[WaiverView, ...] = ()


@dataclass(frozen=True)
class MethodView:
    """One check's entry of the Methods appendix."""

    id: str
    title: str
    anchor: str
    documented: bool
    estimator: str
    interval: str
    group_size: str
    judging: str


@dataclass(frozen=True)
class ResultView:
    """One check result, with its figures formatted."""

    id: str
    title: str
    status: str
    blocking: bool
    message: str
    anchor: str
    waiver: WaiverView | None
    threshold: tuple[tuple[str, str], ...]
    params: tuple[tuple[str, str], ...]
    measurements: tuple[MeasurementView, ...]
    figure_tables: tuple[FigureTable, ...] = ()
    #: with several training seeds, each seed-level figure's spread (the stability table)
    stability: tuple[StabilityRow, ...] = ()
    #: the check's note on training seeds (one checkpoint: no seed variation in the figures)
    seed_note: str = ""
    #: each threshold rule as a sentence ("roc_auc overall must be at least 0.70 (blocking)");
    #: the raw record in ``threshold`` when the report holds a shape this version cannot read
    rules: tuple[str, ...] = ()
    #: performance checks with data.slices: per metric, the worst slice and its gap
    worst_slices: tuple[WorstSliceView, ...] = ()


@dataclass(frozen=True)
class CheckLink:
    """A check id named by a risk, with what the report says about it."""

    id: str
    title: str
    status: str
    anchor: str
    waiver: WaiverView | None


@dataclass(frozen=True)
class RiskTrace:
    """risk -> controls (measures) -> checks -> status."""

    document: str
    risk_id: str
    title: str
    residual: str
    measures: tuple[str, ...]
    checks: tuple[CheckLink, ...]


@dataclass(frozen=True)
class ApprovalRow:
    document: str
    name: str
    role: str
    date: str
    decision: str
    signature_ref: str
    conditions: str


@dataclass(frozen=True)
class ArtifactRow:
    role: str
    path: str
    sha256: str
    bytes: str


@dataclass(frozen=True)
class BaselineRow:
    """A model the candidate was compared with, and how many evaluation rows it covered."""

    name: str
    source: str
    rows_matched: str
    rows: str


@dataclass(frozen=True)
class PacketContext:
    """Everything the templates may use."""

    packet_id: str
    system_name: str
    system_version: str
    report_date: str
    overall_status: str
    has_report: bool
    counts: tuple[tuple[str, int], ...]
    documents: tuple[DocumentView, ...]
    results: tuple[ResultView, ...]
    risks: tuple[RiskTrace, ...]
    coverage: CoverageView | None
    approvals: tuple[ApprovalRow, ...]
    provenance: tuple[tuple[str, str], ...]
    artifacts: tuple[ArtifactRow, ...]
    govkit_version: str
    instant: datetime = field(compare=False)
    #: Why the packet was rendered despite a refusal (``--force``), shown on its first page.
    warnings: tuple[str, ...] = ()
    methods: tuple[MethodView, ...] = ()
    gate_rules: tuple[str, ...] = ()
    #: Signatures of earlier renders, which do not cover this packet (see govkit.signing.carry).
    signatures: tuple[SignatureRow, ...] = ()
    #: The decision summary: the packet's first pages.
    decision: DecisionView | None = None
    #: "Plan versus result" (in the decision summary) and "Handoff" (govkit.render.plan_view)
    plan: PlanView | None = None
    handoff: HandoffView | None = None
    #: Who must sign, and whether they have (documents' owners and approvals;
    #: signatures of the packet may fill in more).
    signoff: tuple[SignoffRow, ...] = ()
    #: the baselines of the run (``report.json``'s ``baselines``), for the comparison table
    baselines: tuple[BaselineRow, ...] = ()


# --- formatting ---------------------------------------------------------------------


def _pairs(mapping: dict[str, Any]) -> tuple[tuple[str, str], ...]:
    return tuple((str(k), _plain(v)) for k, v in mapping.items())


def _plain(value: Any) -> str:
    if isinstance(value, float):
        return format_value(value)
    if isinstance(value, dict):
        return ", ".join(f"{k}={_plain(v)}" for k, v in value.items())
    if isinstance(value, list | tuple):
        return ", ".join(_plain(v) for v in value)
    if value is None:
        return "—"
    return format_scalar(value)


def anchor_for(prefix: str, name: str) -> str:
    """An HTML id made of safe characters."""
    safe = "".join(c if c.isalnum() else "-" for c in name.lower()).strip("-")
    return f"{prefix}-{safe}"


# --- the packet's one date -----------------------------------------------------------


def packet_instant(report: Report | None) -> datetime:
    """The instant the packet is dated: the report's end, else SOURCE_DATE_EPOCH, else 1980."""
    if report is not None:
        try:
            stamp = datetime.fromisoformat(report.provenance.finished_at.replace("Z", "+00:00"))
        except ValueError:
            stamp = None
        if stamp is not None:
            return stamp.astimezone(UTC) if stamp.tzinfo else stamp.replace(tzinfo=UTC)
    epoch = os.environ.get("SOURCE_DATE_EPOCH", "")
    seconds = int(epoch) if epoch.strip().isdigit() else FIXED_EPOCH
    return datetime.fromtimestamp(seconds, tz=UTC)


# --- views ----------------------------------------------------------------------------


def _measurement(m: Measurement) -> MeasurementView:
    return MeasurementView(
        name=_whose(m),
        group=format_group(m.group),
        feature=m.feature or "—",
        value=format_value(m.value),
        interval=format_interval(m.ci),
        n=format_count(m.n),
    )


def _where(m: Measurement) -> str:
    if m.group:
        return format_group(m.group)
    return m.feature or "overall"


def _whose(m: Measurement) -> str:
    """A figure's column: ``roc_auc``, a baseline's ``roc_auc (logistic)``, a paired
    difference ``roc_auc vs logistic``."""
    name = m.name if m.vs is None else f"{m.name} vs {m.vs}"
    if m.model is not None:
        name = f"{m.name} ({m.model})"
    return name if m.seed is None else f"{name}, seed {m.seed}"


def _seed_note(r: CheckResult) -> str:
    seeds = r.details.get("seeds") if isinstance(r.details, dict) else None
    if isinstance(seeds, dict) and seeds.get("count") == 1 and isinstance(seeds.get("note"), str):
        return seeds["note"][0].upper() + seeds["note"][1:] + "."
    return ""


def stability_rows(measurements: list[Measurement]) -> tuple[StabilityRow, ...]:
    """The stability table: every seed-level figure with its seeds' SD, minimum and maximum.

    Overall figures and aggregates only (a per-group figure's spread is in report.json):
    the table is for reading at a glance whether a result holds across seeds.
    """
    per_seed: dict[tuple[str, str | None, str | None], list[float]] = {}
    for m in measurements:
        if m.seed is not None and m.group is None and m.value is not None:
            per_seed.setdefault((m.name, m.feature, m.vs), []).append(m.value)
    rows = []
    for m in measurements:
        if m.seed is not None or m.seed_sd is None or m.group is not None:
            continue
        values = per_seed.get((m.name, m.feature, m.vs), [])
        rows.append(
            StabilityRow(
                name=_whose(m),
                where=_where(m),
                mean=format_value(m.value),
                sd=format_value(m.seed_sd),
                low=format_value(min(values)) if values else "—",
                high=format_value(max(values)) if values else "—",
                interval=format_interval(m.ci),
                seeds=len(values),
            )
        )
    return tuple(rows)


def figure_tables(measurements: list[Measurement]) -> tuple[FigureTable, ...]:
    """The measurements pivoted: rows are places in first-seen order, columns names.

    A baseline's own figure per group is left out of these tables (the paired
    difference beside the candidate's figure is what is judged); report.md and
    the attached report.json list every figure.
    """
    names: list[str] = []
    places: list[str] = []
    cells: dict[tuple[str, str], FigureCell] = {}
    for m in measurements:
        if m.seed is not None:
            continue  # one training seed's figure: the table shows the seed-level figure
        if m.model is not None and m.group is not None:
            continue
        where = _where(m)
        name = _whose(m)
        if name not in names:
            names.append(name)
        if where not in places:
            places.append(where)
        cells[(where, name)] = FigureCell(
            value=format_value(m.value), interval=format_interval(m.ci), n=format_count(m.n)
        )
    tables = []
    for start in range(0, len(names), FIGURE_COLUMNS):
        columns = tuple(names[start : start + FIGURE_COLUMNS])
        rows = tuple(
            (where, tuple(cells.get((where, name)) for name in columns))
            for where in places
            if any((where, name) in cells for name in columns)
        )
        tables.append(FigureTable(columns=columns, rows=rows))
    return tuple(tables)


def _waiver_view(w: ResultWaiver) -> WaiverView:
    parts = []
    if w.metric is not None:
        parts.append(f"metric={w.metric}")
    if w.feature is not None:
        parts.append(f"feature={w.feature}")
    if w.group:
        parts.append("group=" + format_group(w.group))
    if w.limit is not None:
        parts.append(f"limit={format_value(w.limit)}")
    return WaiverView(
        owner=w.owner,
        justification=w.justification,
        expires=w.expires.isoformat(),
        scope=", ".join(parts) if parts else NO_SCOPE,
        also=tuple(_waiver_view(a) for a in w.also),
    )


def _waiver(result: CheckResult | None) -> WaiverView | None:
    if result is None or result.waiver is None:
        return None
    return _waiver_view(result.waiver)


def _methods(report: Report | None) -> tuple[MethodView, ...]:
    """One Methods entry per check of the report, in the report's order."""
    from govkit.checks.methods import method_for

    if report is None:
        return ()
    views: list[MethodView] = []
    seen: set[str] = set()
    for r in report.results:
        if r.id in seen:
            continue
        seen.add(r.id)
        m = method_for(r.id)
        views.append(
            MethodView(
                id=r.id,
                title=r.title,
                anchor=anchor_for("method", r.id),
                documented=m is not None,
                estimator=m.estimator if m else _UNDOCUMENTED,
                interval=m.interval if m else "—",
                group_size=m.group_size if m else "—",
                judging=m.judging if m else "—",
            )
        )
    return tuple(views)


def _result(r: CheckResult) -> ResultView:
    return ResultView(
        id=r.id,
        title=r.title,
        status=r.status,
        blocking=r.blocking,
        message=r.message,
        anchor=anchor_for("check", r.id),
        waiver=_waiver(r),
        threshold=_pairs(r.threshold),
        params=_pairs(r.params),
        measurements=tuple(_measurement(m) for m in r.measurements),
        figure_tables=figure_tables(r.measurements),
        stability=stability_rows(r.measurements),
        seed_note=_seed_note(r),
        rules=_rule_sentences(r),
        worst_slices=worst_slice_views(r.details),
    )


def _rule_sentences(r: CheckResult) -> tuple[str, ...]:
    parsed = parse_rules(r.threshold)
    if parsed is None:
        return ()
    severity, rules = parsed
    return tuple(
        threshold_sentence(rule, severity, rule_scope(rule, r.measurements)) for rule in rules
    )


def _document(
    doc: SourceDocument,
    filenames: dict[int, str],
    index: int,
    fills: dict[FieldPath, FilledNode] | None = None,
) -> DocumentView:
    model = doc.model
    meta = getattr(model, "meta", None)
    kind = str(getattr(model, "kind", type(model).__name__))
    every = tuple(f for f in describe_model(model, fills) if f.name not in _HEADER_FIELDS)
    fields, gaps = gather_gaps(every)
    meta_fields, meta_gaps = gather_gaps(
        describe_model(meta) if isinstance(meta, BaseModel) else (), prefix="meta."
    )
    asked = _asked_by(kind)
    doc_id = str(getattr(meta, "doc_id", "") or Path(doc.display_path).stem)
    return DocumentView(
        kind=kind,
        doc_id=doc_id,
        title=str(getattr(meta, "title", doc_id)),
        version=str(getattr(meta, "doc_version", "")),
        status=str(getattr(meta, "status", "")),
        source=doc.display_path,
        sha256=doc.sha256,
        anchor=anchor_for("doc", doc_id),
        filename=filenames[index],
        meta=meta_fields,
        fields=fields,
        filled=filled_paths(fields),
        gaps=tuple(
            dataclasses.replace(g, asked_by=asked.get(_INDEX.sub("", g.path), ()))
            for g in (*gaps, *meta_gaps)
        ),
    )


#: list positions in a gap's path (``factors[1].rationale``), absent from the crosswalk's refs
_INDEX = re.compile(r"\[\d+\]")


@functools.cache
def _asked_by(kind: str) -> dict[str, tuple[str, ...]]:
    """Field path -> the standard items that ask for it (``Model Cards §1 date``)."""
    from govkit.documents.coverage import load_crosswalk

    found: dict[str, list[str]] = {}
    for std in load_crosswalk().standards:
        short = std.name.split(" (")[0]
        for item in std.items:
            for ref in item.fields:
                ref_kind, _, path = ref.partition(":")
                if ref_kind in (kind, "*") and path:
                    found.setdefault(path.replace("[]", ""), []).append(f"{short} {item.id}")
    return {path: tuple(dict.fromkeys(items)) for path, items in found.items()}


def _filenames(docs: Sequence[SourceDocument]) -> dict[int, str]:
    names: dict[int, str] = {}
    used: set[str] = set()
    for i, doc in enumerate(docs):
        meta = getattr(doc.model, "meta", None)
        stem = str(getattr(meta, "doc_id", "") or doc.path.stem)
        stem = "".join(c if c.isalnum() or c in "._-" else "-" for c in stem) or "document"
        name, n = f"{stem}.md", 1
        while name in used or name in ("report.md",):
            n += 1
            name = f"{stem}-{n}.md"
        used.add(name)
        names[i] = name
    return names


def _traces(docs: Sequence[SourceDocument], report: Report | None) -> tuple[RiskTrace, ...]:
    rows: list[RiskTrace] = []
    for doc in docs:
        model = doc.model
        if getattr(model, "kind", None) != "risk_checklist":
            continue
        doc_id = str(getattr(getattr(model, "meta", None), "doc_id", doc.display_path))
        for risk in getattr(model, "risks", []) or []:
            links = []
            for check_id in getattr(risk, "controls", []) or []:
                result = report.result(check_id) if report is not None else None
                if report is None:
                    status = "no report"
                elif result is None:
                    status = "not run"
                else:
                    status = result.status
                links.append(
                    CheckLink(
                        id=check_id,
                        title=result.title if result is not None else "",
                        status=status,
                        anchor=anchor_for("check", check_id),
                        waiver=_waiver(result),
                    )
                )
            treatment = getattr(risk, "treatment", None)
            measures = tuple(str(m) for m in getattr(treatment, "measures", []) or [])
            residual = getattr(risk, "residual", None)
            rows.append(
                RiskTrace(
                    document=doc_id,
                    risk_id=str(getattr(risk, "id", "")),
                    title=str(getattr(risk, "title", "")),
                    residual="—" if residual is None else str(residual),
                    measures=measures,
                    checks=tuple(links),
                )
            )
    return tuple(rows)


def _approvals(docs: Sequence[SourceDocument]) -> tuple[ApprovalRow, ...]:
    rows = []
    for doc in docs:
        meta = getattr(doc.model, "meta", None)
        title = str(getattr(meta, "title", doc.display_path))
        for a in getattr(meta, "approvals", []) or []:
            rows.append(
                ApprovalRow(
                    document=title,
                    name=str(a.name),
                    role=str(a.role),
                    date=format_scalar(a.date),
                    decision=str(a.decision).replace("_", " "),
                    signature_ref=str(a.signature_ref or "—"),
                    conditions=str(a.conditions or "—"),
                )
            )
    return tuple(rows)


def _provenance(report: Report | None) -> tuple[tuple[str, str], ...]:
    if report is None:
        return ()
    p = report.provenance
    return (
        ("govkit version (check run)", p.govkit_version),
        ("Python", p.python),
        ("PyTorch", p.torch or "—"),
        ("Device", p.device),
        ("Seed", str(p.seed)),
        ("Started", p.started_at),
        ("Finished", p.finished_at),
        ("Git commit", p.git_commit or "—"),
        ("Project file SHA-256", p.config_sha256),
        *_engine_row(report),
    )


def _engine_row(report: Report) -> tuple[tuple[str, str], ...]:
    """What computed the figures, in one line: the engine, why, and what it measured from."""
    e = report.engine
    if e is None:
        return ()
    text = e.name + (f" {e.version}" if e.version else "") + f" ({e.reason})"
    if e.rows is not None:
        text += f"; {e.rows:,} evaluation rows"
    stats = e.statistics
    if stats.get("cells") is not None:
        text += f"; fairness, performance and calibration on {stats['cells']:,} cells"
        bound = stats.get("auc_error_bound")
        if isinstance(bound, int | float):
            text += f" (ROC AUC within {bound:.1e})"
    if stats.get("sample_rows") is not None:
        text += f"; the other checks on a seeded sample of {stats['sample_rows']:,} rows"
    return (("Engine", text),)


def _artifacts(
    report: Report | None, docs: Sequence[SourceDocument], config: tuple[str, bytes] | None
) -> tuple[ArtifactRow, ...]:
    rows: list[ArtifactRow] = []
    seen: set[tuple[str, str]] = set()
    if report is not None:
        for a in report.provenance.artifacts:
            rows.append(
                ArtifactRow(role=a.role, path=a.path, sha256=a.sha256, bytes=f"{a.bytes:,}")
            )
            seen.add((a.role, a.sha256))
    extra: list[tuple[str, str, bytes]] = [("document", d.display_path, d.data) for d in docs]
    if config is not None:
        extra.append(("config", config[0], config[1]))
    for role, path, data in extra:
        digest = hashlib.sha256(data).hexdigest()
        if (role, digest) not in seen:
            rows.append(ArtifactRow(role=role, path=path, sha256=digest, bytes=f"{len(data):,}"))
            seen.add((role, digest))
    return tuple(rows)


def _packet_id(
    report_bytes: bytes | None, docs: Iterable[SourceDocument], config: tuple[str, bytes] | None
) -> str:
    # Derived from the inputs' digests only, so the same inputs give the same id (and
    # bytes), and `govkit verify` can re-derive it from the digests the manifest lists.
    from govkit.render.manifest import packet_id_from_digests

    parts = [report_bytes or b"", *(d.data for d in docs), config[1] if config else b""]
    return packet_id_from_digests([hashlib.sha256(part).hexdigest() for part in parts])


def build_context(inputs: PacketInputs) -> PacketContext:
    """Build the template context of a packet.

    The report's automated fills are computed once here: the documents show
    them, and the coverage matrix counts the fields they fill.

    Parameters
    ----------
    inputs
        The documents, the report (when there is one) and govkit.yaml.

    Returns
    -------
    PacketContext
        Everything the templates may use.
    """
    from govkit import __version__

    report, documents, config = inputs.report, inputs.documents, inputs.config
    system_name, system_version = inputs.system_name, inputs.system_version
    instant = packet_instant(report)
    if report is not None:
        system_name, system_version = report.system.name, report.system.version
        counts = tuple((s, sum(r.status == s for r in report.results)) for s in STATUS_ORDER)
        overall: str = report.status
        report_date = instant.strftime("%Y-%m-%d %H:%M UTC")
        results = tuple(_result(r) for r in report.results)
    else:
        counts, report_date, results = (), "no report", ()
        overall = "not checked"
    names = _filenames(documents)
    models = [d.model for d in documents]
    fills = document_fills(models, report)
    views = tuple(_document(d, names, i, fills[i]) for i, d in enumerate(documents))
    coverage = coverage_view(models, filled_refs(models, fills))
    decision = decision_view(
        report, models, [(v.title, v.fields + v.meta) for v in views], coverage, instant.date()
    )
    return PacketContext(
        packet_id=_packet_id(inputs.report_bytes, documents, config),
        system_name=system_name,
        system_version=system_version,
        report_date=report_date,
        overall_status=overall,
        has_report=report is not None,
        counts=counts,
        documents=views,
        results=results,
        risks=_traces(documents, report),
        coverage=coverage,
        approvals=_approvals(documents),
        provenance=_provenance(report),
        artifacts=_artifacts(report, documents, config),
        govkit_version=__version__,
        instant=instant,
        methods=_methods(report),
        gate_rules=_gate_rules(report),
        decision=decision,
        plan=plan_view(report),
        handoff=handoff_view(report),
        signoff=signoff_rows(models),
        baselines=_baselines(report),
    )


_SOURCES = {
    "model": "model file",
    "columns": "prediction columns",
    "predictions_file": "recorded predictions",
}


def _baselines(report: Report | None) -> tuple[BaselineRow, ...]:
    if report is None:
        return ()
    return tuple(
        BaselineRow(
            name=b.name,
            source=_SOURCES.get(b.source, b.source),
            rows_matched=format_count(b.rows_matched),
            rows=format_count(b.rows),
        )
        for b in report.baselines
    )


def _gate_rules(report: Report | None) -> tuple[str, ...]:
    from govkit.checks.methods import GATE_RULES

    return GATE_RULES if report is not None else ()
