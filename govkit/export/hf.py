"""``govkit export hf``: the model card as a Hugging Face model card ``README.md``.

The card has two halves. The YAML metadata is what the Hub indexes: licence,
library, pipeline tag, data sets, metrics, and a ``model-index`` with one entry
per figure that ``govkit check`` measured for the candidate model (performance
and fairness checks; a baseline's figures and paired comparisons are left out,
they describe other models). A ``govkit:`` block beside it carries the gate's
verdict, the review packet's id and the report's SHA-256, so a reader can tell
which evidence the card speaks for.

The body follows the Hub's model card template, section by section, with the
model card's fields in the shapes of :mod:`govkit.export._markdown`, and adds a
Governance section. Everything written here from the model card is read back by
:mod:`govkit.export.hf_import` (the layout below is the contract between them):
exporting the imported card gives the same file, byte for byte. What comes from
the report (results, verdict, waivers) is regenerated, never imported.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, cast

import yaml

from govkit.documents.fields import NotApplicable
from govkit.export._hub_license import to_hub
from govkit.export._markdown import bullet, labelled, one_line, paragraphs, table

if TYPE_CHECKING:
    from govkit.documents.dataset_card import DatasetCard
    from govkit.documents.fields import DatasetRef
    from govkit.documents.model_card import ModelCard
    from govkit.export import ExportSource
    from govkit.report import Report

__all__ = [
    "FIGURE_CHECK_AREAS",
    "NOT_APPLICABLE",
    "Figure",
    "dump_metadata",
    "export_hf_model_card",
    "measured_figures",
    "pipeline_tag",
]

#: the check families whose figures go into ``model-index``
FIGURE_CHECK_AREAS = ("performance", "fairness")
#: how an explicit ``{not_applicable: reason}`` answer is written in the card
NOT_APPLICABLE = "Not applicable: "
TITLE_PREFIX = "Model Card for "

_PIPELINE = {
    "tabular": "tabular-classification",
    "text": "text-classification",
    "image": "image-classification",
    "audio": "audio-classification",
    "video": "video-classification",
}


@dataclass(frozen=True)
class Figure:
    """One measured figure of the candidate model, as ``model-index`` lists it."""

    check: str
    metric: str
    slice: str | None  # "sex=Female", "race=Black, sex=Female", or a grouping ("sex&race")
    value: float
    n: int | None
    ci: tuple[float, float] | None

    @property
    def name(self) -> str:
        return self.metric if self.slice is None else f"{self.metric} [{self.slice}]"


def measured_figures(report: Report) -> list[Figure]:
    """The report's performance and fairness figures of the candidate model, in report order."""
    figures = []
    for result in report.results:
        if result.id.split(".")[0] not in FIGURE_CHECK_AREAS:
            continue
        for m in result.own_measurements():
            if m.value is None or not math.isfinite(m.value):
                continue
            parts = [f"{k}={v}" for k, v in sorted((m.group or {}).items())]
            if m.feature is not None:
                parts.append(m.feature)
            figures.append(
                Figure(
                    check=result.id,
                    metric=m.name,
                    slice=", ".join(parts) or None,
                    value=float(m.value),
                    n=m.n,
                    ci=(float(m.ci[0]), float(m.ci[1])) if m.ci is not None else None,
                )
            )
    return figures


def pipeline_tag(task: str, modality: str | None) -> str:
    """The Hub's pipeline tag for a classifier of ``task`` on data of ``modality``."""
    del task  # binary and multiclass share the tag; the project has no other task
    return _PIPELINE.get(modality or "tabular", "tabular-classification")


def _answer(value: Any) -> str:
    if isinstance(value, str):
        return paragraphs(value)
    return NOT_APPLICABLE + one_line(value.not_applicable)


def _num(value: float) -> str:
    return f"{value:.4g}"


def _interval(ci: tuple[float, float] | None) -> str:
    return "" if ci is None else f"[{_num(ci[0])}, {_num(ci[1])}]"


class _Card:
    """The pieces of one export: the documents it reads and the text it writes."""

    def __init__(self, source: ExportSource) -> None:
        from govkit.documents.dataset_card import DatasetCard
        from govkit.documents.model_card import ModelCard

        self.source = source
        self.card = cast(ModelCard, source.document("model_card", format_name="hf").model)
        self.datasets: dict[str, DatasetCard] = {}
        for doc in source.documents_of("dataset_card"):
            model = doc.model
            if isinstance(model, DatasetCard):
                self.datasets.setdefault(model.doc_id, model)
        self.report = source.report
        self.lines: list[str] = []

    # --- metadata -------------------------------------------------------------

    def hub_id(self, ref: DatasetRef) -> str | None:
        if ref.hub_id is not None:
            return ref.hub_id
        dataset = self.datasets.get(ref.card_id)
        return dataset.hub_id if dataset is not None else None

    def refs(self) -> list[DatasetRef]:
        return [*self.card.training_data.datasets, *self.card.evaluation_data.datasets]

    def modality(self) -> str | None:
        for ref in self.refs():
            dataset = self.datasets.get(ref.card_id)
            if dataset is not None:
                return dataset.modality
        return None

    def metadata(self) -> dict[str, Any]:
        card = self.card
        licence = to_hub(card.license.spdx_id, card.license.name, card.license.url)
        tag = pipeline_tag(self.source.project.model.model.task, self.modality())
        meta: dict[str, Any] = {"license": licence.license}
        if licence.name is not None:
            meta["license_name"] = licence.name
        if licence.link is not None:
            meta["license_link"] = licence.link
        meta["library_name"] = "pytorch"
        meta["pipeline_tag"] = tag
        modality = self.modality()
        meta["tags"] = ["govkit", "model-card", *([modality] if modality else [])]
        hub_ids = list(dict.fromkeys(h for r in self.refs() if (h := self.hub_id(r))))
        if hub_ids:
            meta["datasets"] = hub_ids
        if isinstance(card.base_model, list) and card.base_model:
            names = [m.name for m in card.base_model]
            meta["base_model"] = names[0] if len(names) == 1 else names
        meta["metrics"] = list(dict.fromkeys(m.name for m in card.metrics))
        if self.report is not None:
            index = self.model_index(tag)
            if index:
                meta["model-index"] = index
        meta["govkit"] = {
            "verdict": self.report.status if self.report is not None else None,
            "packet_id": self.source.packet_id,
            "report_sha256": self.source.report_sha256,
            "model_card": card.doc_id,
        }
        return meta

    def model_index(self, tag: str) -> list[dict[str, Any]]:
        assert self.report is not None
        figures = measured_figures(self.report)
        if not figures:
            return []
        ref = self.card.evaluation_data.datasets[0]
        dataset_card = self.datasets.get(ref.card_id)
        dataset: dict[str, Any] = {
            "type": self.hub_id(ref) or ref.card_id,
            "name": dataset_card.name if dataset_card is not None else ref.card_id,
        }
        if ref.splits:
            dataset["split"] = ", ".join(ref.splits)
        metrics = []
        for f in figures:
            args: dict[str, Any] = {"check": f.check, "n": f.n}
            args["ci"] = _Pair(f.ci) if f.ci is not None else None
            metrics.append({"type": f.metric, "name": f.name, "value": f.value, "args": args})
        result = {
            "task": {"type": tag, "name": self.card.model_type.task},
            "dataset": dataset,
            "metrics": metrics,
        }
        return [{"name": self.card.name, "results": [result]}]

    # --- body -----------------------------------------------------------------

    def add(self, *lines: str) -> None:
        self.lines.extend(lines)

    def heading(self, level: int, title: str) -> None:
        self.add("#" * level + " " + title, "")

    def para(self, text: str) -> None:
        self.add(text, "")

    def items(self, items: list[str]) -> None:
        if items:
            self.add(*(bullet(i) for i in items), "")

    def rows(self, headers: list[str], rows: list[list[str | None]]) -> None:
        if rows:
            self.add(*table(headers, rows), "")

    def body(self) -> str:
        card = self.card
        self.heading(1, TITLE_PREFIX + one_line(card.name))
        self.para(paragraphs(card.summary))
        self.model_details()
        self.uses()
        self.bias()
        if card.get_started:
            self.heading(2, "How to Get Started with the Model")
            self.add("```", *card.get_started.strip("\n").split("\n"), "```", "")
        self.training()
        self.evaluation()
        self.heading(2, "Model Examination")
        self.para(paragraphs(card.explainability.interpretation_guidance))
        self.environment()
        self.heading(2, "Technical Specifications")
        self.heading(3, "Model Architecture and Objective")
        self.para(paragraphs(card.architecture.description))
        self.infrastructure()
        self.governance()
        if card.citation:
            self.heading(2, "Citation")
            self.add("```bibtex", *card.citation.strip("\n").split("\n"), "```", "")
        if card.glossary:
            self.heading(2, "Glossary")
            self.para(paragraphs(card.glossary))
        self.heading(2, "Model Card Contact")
        self.para(one_line(card.contact))
        return "\n".join(self.lines).rstrip("\n") + "\n"

    def model_details(self) -> None:
        card = self.card
        self.heading(2, "Model Details")
        self.heading(3, "Model Description")
        self.para(paragraphs(card.description))
        developers = [
            f"{d.name} ({', '.join(x for x in (d.role, d.affiliation, d.contact) if x)})"
            for d in card.developers
        ]
        lines = [labelled("Developed by", "; ".join(developers))]
        lines.append(labelled("Model type", card.model_type.task))
        lines.append(labelled("Model family", card.model_type.family))
        lines.append(labelled("Outputs", card.model_type.outputs))
        lines.append(labelled("Fine-tuned", "yes" if card.model_type.fine_tuned else "no"))
        lines.append(labelled("Model version", card.model_version.version))
        if card.model_version.previous:
            lines.append(labelled("Previous version", card.model_version.previous))
        if card.model_version.diff:
            lines.append(labelled("Changes", card.model_version.diff))
        lines.append(labelled("License", _license_text(card)))
        self.add(*lines, "")
        self.rows(
            ["Developer", "Role", "Affiliation", "Contact"],
            [[d.name, d.role, d.affiliation, d.contact] for d in card.developers],
        )
        links = [r for r in card.references if r.url]
        if links:
            self.heading(3, "Model Sources")
            self.items([f"[{one_line(r.title or r.url or '')}]({r.url})" for r in links])
        self.heading(3, "Decision Thresholds")
        thresholds = card.decision_thresholds
        if thresholds is None:
            self.para("None given.")
        elif isinstance(thresholds, list):
            self.rows(
                ["Threshold", "Rationale"], [[repr(t.value), t.rationale] for t in thresholds]
            )
        else:
            self.para(_answer(thresholds))

    def uses(self) -> None:
        card = self.card
        self.heading(2, "Uses")
        self.heading(3, "Direct Use")
        self.items(card.intended_uses)
        self.heading(4, "Intended Users")
        self.items(card.intended_users)
        self.heading(3, "Downstream Use")
        if card.downstream_uses:
            self.items(card.downstream_uses)
        else:
            self.para("None listed.")
        self.heading(3, "Out-of-Scope Use")
        self.items(card.out_of_scope_uses)
        self.heading(4, "Foreseeable Misuse")
        self.items(card.foreseeable_misuse)

    def bias(self) -> None:
        card = self.card
        ethics = card.ethical_considerations
        self.heading(2, "Bias, Risks, and Limitations")
        self.para(paragraphs(card.limitations))
        self.heading(3, "Ethical Considerations")
        self.add(
            labelled("Sensitive data", _answer(ethics.sensitive_data)),
            labelled("Human life", _answer(ethics.human_life)),
            labelled("Mitigations", _answer(ethics.mitigations)),
            labelled("Risks and harms", _answer(ethics.risks_and_harms)),
            labelled("Fraught use cases", _answer(ethics.fraught_use_cases)),
            "",
        )
        if card.fairness is not None:
            self.heading(3, "Fairness Criteria")
            fairness = card.fairness
            if isinstance(fairness, NotApplicable):
                self.para(_answer(fairness))
            else:
                self.para(paragraphs(fairness.criteria))
        self.heading(3, "Privacy")
        privacy = card.privacy
        if isinstance(privacy, NotApplicable):
            self.para(_answer(privacy))
        else:
            self.para(_answer(privacy.approach))
            if privacy.dp_epsilon is not None:
                self.add(labelled("Differential privacy epsilon", repr(privacy.dp_epsilon)), "")
        self.heading(3, "Recommendations")
        self.para(paragraphs(card.caveats_and_recommendations))

    def dataset_rows(self, refs: list[DatasetRef]) -> None:
        self.rows(
            ["Dataset card", "Name", "Version", "Splits", "Hub id"],
            [
                [
                    r.card_id,
                    self.datasets[r.card_id].name if r.card_id in self.datasets else None,
                    r.version,
                    ", ".join(r.splits) or None,
                    self.hub_id(r),
                ]
                for r in refs
            ],
        )

    def training(self) -> None:
        card = self.card
        procedure = card.training_procedure
        self.heading(2, "Training Details")
        self.heading(3, "Training Data")
        self.para(paragraphs(card.training_data.summary))
        self.dataset_rows(card.training_data.datasets)
        self.heading(3, "Training Procedure")
        lines = [labelled("Objective", procedure.objective)]
        lines.append(labelled("Optimizer", procedure.optimizer))
        if procedure.precision:
            lines.append(labelled("Precision", procedure.precision))
        lines.append(labelled("Fairness constraints", _answer(procedure.fairness_constraints)))
        self.add(*lines, "")

    def evaluation(self) -> None:
        card = self.card
        self.heading(2, "Evaluation")
        self.heading(3, "Testing Data, Factors & Metrics")
        self.heading(4, "Testing Data")
        self.para(paragraphs(card.evaluation_data.motivation))
        self.add(labelled("Preprocessing", card.evaluation_data.preprocessing), "")
        self.dataset_rows(card.evaluation_data.datasets)
        self.heading(4, "Factors")
        self.rows(
            ["Factor", "Kind", "Values", "Evaluated", "Rationale"],
            [
                [
                    f.name,
                    f.kind,
                    ", ".join(f.values) or None,
                    "yes" if f.evaluated else "no",
                    f.rationale,
                ]
                for f in card.factors
            ],
        )
        self.heading(4, "Metrics")
        self.rows(
            ["Metric", "Definition", "Higher is better", "Rationale"],
            [
                [m.name, m.definition, "yes" if m.higher_is_better else "no", m.rationale]
                for m in card.metrics
            ],
        )
        self.heading(3, "Results")
        self.results()

    def results(self) -> None:
        if self.report is None:
            self.para(
                "No results: this card was exported from the documents alone, without a "
                "`govkit check` report, so it has no measured figures and no verdict."
            )
            return
        figures = measured_figures(self.report)
        if not figures:
            self.para("The report holds no performance or fairness figures of this model.")
            return
        self.para(
            "Measured by `govkit check` on the evaluation data: each figure with its 95% "
            "interval and the number of rows it rests on (n)."
        )
        overall = [f for f in figures if f.slice is None]
        gaps = [f for f in figures if f.slice is not None and "=" not in f.slice]
        groups = [f for f in figures if f.slice is not None and "=" in f.slice]
        self.heading(4, "Overall")
        self.rows(
            ["Metric", "Value", "95% interval", "n", "Check"],
            [[f.metric, _num(f.value), _interval(f.ci), _count(f.n), f.check] for f in overall],
        )
        if gaps:
            self.heading(4, "Gaps Between Groups")
            self.rows(
                ["Grouping", "Metric", "Value", "95% interval", "n", "Check"],
                [
                    [f.slice, f.metric, _num(f.value), _interval(f.ci), _count(f.n), f.check]
                    for f in gaps
                ],
            )
        if groups:
            self.heading(4, "Per Group")
            self.rows(
                ["Group", "Metric", "Value", "95% interval", "n", "Check"],
                [
                    [f.slice, f.metric, _num(f.value), _interval(f.ci), _count(f.n), f.check]
                    for f in groups
                ],
            )

    def environment(self) -> None:
        compute = self.card.compute_and_environment
        self.heading(2, "Environmental Impact")
        if compute is None:
            self.para("Not reported: the model card gives no compute figures.")
            return
        lines = [labelled("Hardware Type", compute.hardware)]
        if compute.hours is not None:
            lines.append(labelled("Hours used", repr(compute.hours)))
        if compute.provider:
            lines.append(labelled("Cloud Provider", compute.provider))
        if compute.region:
            lines.append(labelled("Compute Region", compute.region))
        if compute.co2e_kg is not None:
            lines.append(labelled("Carbon Emitted", f"{compute.co2e_kg!r} kg CO2e"))
        self.add(*lines, "")

    def infrastructure(self) -> None:
        """Where the evidence was measured: the report's provenance, not the card's claims."""
        if self.report is None:
            return
        run = self.report.provenance
        self.heading(3, "Compute Infrastructure")
        software = [f"Python {run.python}"]
        if run.torch:
            software.append(f"torch {run.torch}")
        software.append(f"govkit {run.govkit_version}")
        self.add(
            labelled("Evaluated on", run.device),
            labelled("Software", ", ".join(software)),
            labelled("Seed", str(run.seed)),
            "",
        )

    def governance(self) -> None:
        self.heading(2, "Governance")
        report = self.report
        if report is None:
            self.para(
                "No `govkit check` report was given: the release gate's verdict is unknown "
                "(`govkit.verdict: null` in the metadata)."
            )
        else:
            blocking = [r for r in report.results if r.blocking]
            self.para(
                f"Release gate verdict: **{report.status}** ({len(blocking)} blocking of "
                f"{len(report.results)} results), from the report with SHA-256 "
                f"`{self.source.report_sha256}`."
            )
            self.rows(
                ["Check", "Status", "Blocking", "Waived"],
                [
                    [r.id, r.status, "yes" if r.blocking else "no", "yes" if r.waiver else "no"]
                    for r in report.results
                ],
            )
            self.heading(3, "Waivers")
            waived = [r for r in report.results if r.waiver is not None]
            if not waived:
                self.para("No result is waived.")
            for r in waived:
                w = r.waiver
                assert w is not None
                self.add(
                    labelled(r.id, f"accepted by {w.owner} until {w.expires.isoformat()}"),
                    "",
                    paragraphs(w.justification),
                    "",
                )
        self.heading(3, "Review Packet")
        if self.source.packet_id is None or self.source.packet_path is None:
            self.para("No review packet was rendered from this report; `govkit render` writes one.")
        else:
            self.para(
                f"The review packet `{self.source.packet_id}` is in "
                f"[{self.source.packet_path}]({self.source.packet_path}); "
                "`govkit verify` re-hashes it against its manifest."
            )


def _count(n: int | None) -> str:
    return "" if n is None else str(n)


def _license_text(card: ModelCard) -> str:
    licence = card.license
    if licence.spdx_id == "other":
        return one_line(licence.name or "other")
    return licence.spdx_id


class _Dumper(yaml.SafeDumper):
    """Block-style YAML; long lines are not folded, so values read back unchanged."""


class _Pair(list[float]):
    """An interval, written inline: ``ci: [0.84, 0.86]``."""


_Dumper.add_representer(
    _Pair,
    lambda dumper, data: dumper.represent_sequence("tag:yaml.org,2002:seq", data, flow_style=True),
)


def dump_metadata(data: dict[str, Any]) -> str:
    """YAML for a card's metadata block: keys in the order given, long values on one line."""
    return yaml.dump(
        data,
        Dumper=_Dumper,
        sort_keys=False,
        allow_unicode=True,
        default_flow_style=False,
        width=10_000,
    )


def export_hf_model_card(source: ExportSource) -> str:
    """The project's model card as a Hugging Face ``README.md`` (metadata and body)."""
    card = _Card(source)
    meta = card.metadata()
    body = card.body()
    return f"---\n{dump_metadata(meta)}---\n\n{body}"
