"""``govkit export hf-dataset``: the dataset card as a Hugging Face dataset card ``README.md``.

The metadata is what the Hub indexes (licence, languages, task categories, size
category, pretty name, tags); the body follows the Hub's dataset card template
section by section, filled from the dataset card's fields. The project's first
dataset card is exported. Personal data stays described, never shown: the card
names sensitive fields and how they are handled, and a PII scan appears only as
its counts.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, cast

from govkit.documents.fields import NotApplicable
from govkit.export._hub_license import to_hub
from govkit.export._markdown import bullet, labelled, one_line, paragraphs, table
from govkit.export.hf import NOT_APPLICABLE, dump_metadata

if TYPE_CHECKING:
    from govkit.documents.dataset_card import DatasetCard
    from govkit.export import ExportSource

__all__ = ["export_hf_dataset_card", "size_category"]

_SIZES = (
    (1_000, "n<1K"),
    (10_000, "1K<n<10K"),
    (100_000, "10K<n<100K"),
    (1_000_000, "100K<n<1M"),
    (10_000_000, "1M<n<10M"),
    (100_000_000, "10M<n<100M"),
    (1_000_000_000, "100M<n<1B"),
    (10_000_000_000, "1B<n<10B"),
    (100_000_000_000, "10B<n<100B"),
    (1_000_000_000_000, "100B<n<1T"),
)
_TASKS = {
    "tabular": "tabular-classification",
    "text": "text-classification",
    "image": "image-classification",
    "audio": "audio-classification",
    "video": "video-classification",
}


def size_category(rows: int) -> str:
    """The Hub's ``size_categories`` value for a data set of ``rows`` rows."""
    for bound, name in _SIZES:
        if rows < bound:
            return name
    return "n>1T"


def _answer(value: Any) -> str:
    if isinstance(value, NotApplicable):
        return NOT_APPLICABLE + one_line(value.not_applicable)
    return paragraphs(str(value))


def _rows(card: DatasetCard) -> int | None:
    """The data set's size: the counts a check recorded, else the sizes of its splits."""
    if card.instances.counts:
        return sum(card.instances.counts.values())
    sizes = [s.size for s in card.splits]
    if sizes and all(s is not None for s in sizes):
        return sum(cast(list[int], sizes))
    return None


class _Body:
    def __init__(self) -> None:
        self.lines: list[str] = []

    def heading(self, level: int, title: str) -> None:
        self.lines += ["#" * level + " " + title, ""]

    def para(self, text: str) -> None:
        self.lines += [text, ""]

    def items(self, items: list[str]) -> None:
        if items:
            self.lines += [*(bullet(i) for i in items), ""]

    def labels(self, pairs: list[tuple[str, str | None]]) -> None:
        lines = [labelled(k, v) for k, v in pairs if v]
        if lines:
            self.lines += [*lines, ""]

    def rows(self, headers: list[str], rows: list[list[str | None]]) -> None:
        if rows:
            self.lines += [*table(headers, rows), ""]

    def text(self) -> str:
        return "\n".join(self.lines).rstrip("\n") + "\n"


def _metadata(card: DatasetCard, task: str | None) -> dict[str, Any]:
    licence = to_hub(card.license.spdx_id, card.license.name, card.license.url)
    meta: dict[str, Any] = {"license": licence.license}
    if licence.name is not None:
        meta["license_name"] = licence.name
    if licence.link is not None:
        meta["license_link"] = licence.link
    if isinstance(card.languages, list) and card.languages:
        meta["language"] = list(card.languages)
    if task is not None:
        meta["task_categories"] = [task]
    rows = _rows(card)
    if rows is not None:
        meta["size_categories"] = [size_category(rows)]
    meta["pretty_name"] = one_line(card.name)
    meta["tags"] = list(dict.fromkeys(["govkit", card.modality, *card.tags]))
    meta["govkit"] = {"dataset_card": card.doc_id, "dataset_version": card.dataset_version}
    return meta


def _body(card: DatasetCard) -> str:
    b = _Body()
    b.heading(1, "Dataset Card for " + one_line(card.name))
    b.para(paragraphs(card.summary))

    b.heading(2, "Dataset Details")
    b.heading(3, "Dataset Description")
    creators = "; ".join(
        f"{c.name} ({', '.join(x for x in (c.role, c.affiliation) if x)})" for c in card.creators
    )
    languages = ", ".join(card.languages) if isinstance(card.languages, list) else None
    b.labels(
        [
            ("Curated by", creators),
            ("Funded by", "; ".join(card.funding) or None),
            ("Language(s)", languages),
            ("Modality", card.modality),
            ("Version", card.dataset_version),
            ("License", card.license.name or card.license.spdx_id),
        ]
    )
    sources = [s for s in card.collection.sources if s.url]
    if sources or card.prior_uses:
        b.heading(3, "Dataset Sources")
        b.items([f"[{one_line(s.name)}]({s.url})" for s in sources])
        b.items(
            [f"[{one_line(u.title or u.url or '')}]({u.url})" for u in card.prior_uses if u.url]
        )

    b.heading(2, "Uses")
    b.heading(3, "Direct Use")
    b.items(card.intended_uses)
    b.heading(3, "Out-of-Scope Use")
    b.items(card.out_of_scope_uses)

    b.heading(2, "Dataset Structure")
    b.para(one_line(card.instances.description))
    b.rows(
        ["Field", "Type", "Role", "Sensitive", "Description"],
        [
            [f.name, f.dtype, f.role, "yes" if f.sensitive else "no", f.description]
            for f in card.data_fields
        ],
    )
    b.rows(
        ["Split", "Rows", "How it was made"],
        [[s.name, None if s.size is None else str(s.size), s.rationale] for s in card.splits],
    )

    b.heading(2, "Dataset Creation")
    b.heading(3, "Curation Rationale")
    b.para(_answer(card.purpose))
    b.heading(3, "Source Data")
    b.heading(4, "Data Collection and Processing")
    b.para(paragraphs(card.collection.methods))
    span = card.collection.timeframe
    b.labels(
        [
            ("Collection", ", ".join(card.collection.types)),
            ("Collected", f"{span.start.isoformat()} to {span.end.isoformat()}"),
            ("Sampling", _answer(card.sampling.strategy)),
            ("Missing data", _answer(card.missing_data.reasons)),
        ]
    )
    b.items([f"{p.operation}" for p in card.preprocessing])
    b.heading(4, "Who are the source data producers?")
    b.items([one_line(s.name) for s in card.collection.sources])
    b.heading(3, "Annotations")
    annotation = card.annotation
    if annotation is None:
        b.para(_answer(card.labels) if card.labels is not None else "No annotation.")
    elif isinstance(annotation, NotApplicable):
        b.para(_answer(annotation))
    else:
        b.labels(
            [
                ("Protocol", annotation.protocol),
                ("Platform", annotation.platform),
                ("Annotators", _answer(annotation.annotator_demographics)),
            ]
        )

    b.heading(2, "Personal and Sensitive Information")
    if not card.sensitive_data:
        b.para("The dataset card lists no personal or sensitive fields.")
    b.rows(
        ["Field", "Category", "Collected intentionally", "Handling"],
        [
            [s.field, s.category, "yes" if s.collected_intentionally else "no", s.handling]
            for s in card.sensitive_data
        ],
    )
    scan = card.pii_scan
    if scan is not None:  # counts only: a scan's findings never leave as raw values
        b.para(f"PII scan ({scan.check_id}): {scan.status}. {one_line(scan.summary)}")

    b.heading(2, "Bias, Risks, and Limitations")
    b.para(paragraphs(card.limitations))
    b.items(card.bias_examination.known_biases)
    b.labels(
        [("Use impact", _answer(card.use_impact_notes)), ("Data gaps", _answer(card.data_gaps))]
    )
    b.heading(3, "Recommendations")
    b.para(paragraphs(card.recommendations) if card.recommendations else "None given.")

    b.heading(2, "Licensing")
    licence = card.license
    b.labels(
        [
            ("License", licence.name or licence.spdx_id),
            ("License text", licence.url),
            ("Restrictions", _answer(card.restrictions)),
        ]
    )

    b.heading(2, "Dataset Card Contact")
    b.para(one_line(card.maintenance.contact))
    return b.text()


def export_hf_dataset_card(source: ExportSource) -> str:
    """The project's first dataset card as a Hugging Face dataset ``README.md``."""
    from govkit.documents.dataset_card import DatasetCard

    card = source.document("dataset_card", format_name="hf-dataset").model
    assert isinstance(card, DatasetCard)
    has_target = any(f.role == "target" for f in card.data_fields)
    task = _TASKS.get(card.modality) if has_target else None
    return f"---\n{dump_metadata(_metadata(card, task))}---\n\n{_body(card)}"
