"""What a Hugging Face model card says, sorted into govkit model card fields.

:class:`CardReader` walks the card's metadata and its sections (see
:mod:`govkit.export._markdown`) and builds the model card's data, field by
field, with the line each field came from. Nothing is dropped silently: what
has no field becomes a comment under the nearest field and a note, and what
``govkit export hf`` regenerates from report.json is named in a note. The
layout it reads is the one :mod:`govkit.export.hf` writes, plus the Hub's
template (``- **Developed by:**``, "[More Information Needed]", ``[optional]``).
"""

from __future__ import annotations

import re
from typing import Any

import yaml

from govkit.documents.lint import PLACEHOLDER
from govkit.errors import InputError
from govkit.export._hub_license import from_hub
from govkit.export._markdown import Block, Section, one_line, paragraphs
from govkit.export.hf import NOT_APPLICABLE, TITLE_PREFIX
from govkit.sourcefile import ParsedFile

__all__ = ["CardReader"]

# sections `govkit export hf` writes from report.json: regenerated, not imported
_GENERATED = {
    "results",
    "overall",
    "gaps between groups",
    "per group",
    "summary",
    "governance",
    "waivers",
    "review packet",
    "compute infrastructure",
}
# for a section govkit has no field for: the field its comment goes under, by the
# titles of the headings above it (the nearest one that is listed wins)
_NEAREST = {
    "model details": "description",
    "model description": "description",
    "model sources": "references",
    "uses": "intended_uses",
    "direct use": "intended_uses",
    "downstream use": "downstream_uses",
    "out-of-scope use": "out_of_scope_uses",
    "bias, risks, and limitations": "limitations",
    "recommendations": "caveats_and_recommendations",
    "how to get started with the model": "get_started",
    "training details": "training_procedure",
    "training data": "training_data",
    "training procedure": "training_procedure",
    "evaluation": "evaluation_data",
    "testing data, factors & metrics": "evaluation_data",
    "testing data": "evaluation_data",
    "factors": "factors",
    "metrics": "metrics",
    "model examination": "explainability",
    "environmental impact": "compute_and_environment",
    "technical specifications": "architecture",
    "model architecture and objective": "architecture",
    "compute infrastructure": "software_env",
    "citation": "citation",
    "glossary": "glossary",
    "more information": "references",
    "model card authors": "meta",
    "model card contact": "contact",
}
_KNOWN_META = {
    "license",
    "license_name",
    "license_link",
    "datasets",
    "base_model",
    "metrics",
    "model-index",
    "govkit",
}
# what each section handler reads besides text and bullets; the rest becomes a comment
_READS_TABLES = {
    "model_details",
    "model_description",
    "decision_thresholds",
    "training_data",
    "testing_data",
    "factors",
    "metrics",
}
_READS_CODE = {"how_to_get_started_with_the_model", "citation"}
_READS_LABELS = {
    "model_details",
    "model_description",
    "model_sources",
    "ethical_considerations",
    "privacy",
    "training_procedure",
    "testing_data",
    "environmental_impact",
}
# the field a handled section's unread parts are kept under
_HANDLED_FIELD = {
    "direct_use": "intended_uses",
    "intended_users": "intended_users",
    "downstream_use": "downstream_uses",
    "out_of_scope_use": "out_of_scope_uses",
    "foreseeable_misuse": "foreseeable_misuse",
    "bias_risks_and_limitations": "limitations",
    "fairness_criteria": "fairness",
    "recommendations": "caveats_and_recommendations",
    "training_data": "training_data",
    "model_examination": "explainability",
    "model_architecture_and_objective": "architecture",
    "glossary": "glossary",
    "model_card_contact": "contact",
    "model_card_authors": "meta",
    "model_sources": "references",
    "decision_thresholds": "decision_thresholds",
    "factors": "factors",
    "metrics": "metrics",
}
_BOLD = re.compile(r"^\s*\*\*[^*]+\*\*:?\s*$")
_METRIC_KEYS = {"metrics[].type", "metrics[].value", "metrics[].name", "metrics[].args"}
_RESULT_KEYS = {"results[].task", "results[].dataset", "results[].metrics"}
_DATASET_KEYS = {"dataset.type", "dataset.name", "dataset.split"}
_OUTPUTS = ("scores", "labels", "generated", "other")
_FACTOR_KINDS = ("group", "instrumentation", "environment")


def _missing(value: str | None) -> bool:
    return value is None or not value.strip() or PLACEHOLDER in value


def _answer(text: str | None) -> Any:
    if _missing(text):
        return None
    assert text is not None
    if text.startswith(NOT_APPLICABLE):
        return {"not_applicable": text[len(NOT_APPLICABLE) :].strip() or PLACEHOLDER}
    return text


def _yes(text: str | None) -> bool | None:
    if text is None:
        return None
    return {"yes": True, "true": True, "no": False, "false": False}.get(text.strip().lower())


def _number(text: str | None) -> float | None:
    if text is None:
        return None
    match = re.match(r"^\s*([-+]?\d+(?:\.\d*)?(?:[eE][-+]?\d+)?)", text)
    return float(match.group(1)) if match else None


class CardReader:
    """Builds the model card's data from one Hugging Face card."""

    def __init__(self, display: str, parsed: ParsedFile | None) -> None:
        self.display = display
        self.parsed = parsed
        self.meta: dict[str, Any] = parsed.data if parsed is not None else {}
        self.data: dict[str, Any] = {}
        self.comments: dict[str, list[str]] = {}
        self.notes: list[str] = []
        # the line each imported field was read from, for errors about its value
        self.origin: dict[str, int] = {}
        self.at: int | None = None

    # --- where things go -----------------------------------------------------

    def line(self, loc: tuple[str | int, ...]) -> str:
        spot = self.parsed.locate(loc) if self.parsed is not None else None
        return f"{self.display}:{spot[0]}" if spot else self.display

    def comment(self, field_name: str, where: str, text: str) -> None:
        if not re.sub(r"[\W_]+", "", text.replace(PLACEHOLDER, "")):
            return  # the template's unanswered prompt: nothing to keep
        self.comments.setdefault(field_name, []).append(f"{where}: {one_line(text)}")
        self.notes.append(f"{where}: no govkit field; kept as a comment under `{field_name}`")

    def put(self, path: str, value: Any) -> None:
        if value is None or value == [] or value == {}:
            return
        if self.at is not None:
            self.origin[path] = self.at
        node = self.data
        *parents, last = path.split(".")
        for key in parents:
            node = node.setdefault(key, {})
        node[last] = value

    def get(self, path: str) -> Any:
        node: Any = self.data
        for key in path.split("."):
            if not isinstance(node, dict) or key not in node:
                return None
            node = node[key]
        return node

    # --- metadata -------------------------------------------------------------

    def metadata(self) -> None:
        meta = self.meta
        if "license" in meta:
            self.licence(meta)
        govkit = meta.get("govkit")
        if isinstance(govkit, dict):
            doc_id = govkit.get("model_card")
            if isinstance(doc_id, str) and re.match(r"^[a-z0-9][a-z0-9._-]*$", doc_id):
                self.put("meta.doc_id", doc_id)
            regenerated = sorted(k for k in govkit if k != "model_card")
            if regenerated:
                self.notes.append(
                    f"{self.line(('govkit',))}: govkit.{', govkit.'.join(regenerated)} come from "
                    "report.json; `govkit export hf` writes them again"
                )
        base = meta.get("base_model")
        names = [base] if isinstance(base, str) else base if isinstance(base, list) else []
        if names:
            self.put("base_model", [{"name": str(n)} for n in names])
            self.put("model_type.fine_tuned", True)
        if "model-index" in meta:
            self.model_index(meta["model-index"])
        for key in meta:
            if key in _KNOWN_META:
                continue
            value = meta[key]
            where = f"{self.line((key,))}: metadata `{key}`"
            text = (
                value if isinstance(value, str) else yaml.safe_dump(value, default_flow_style=True)
            )
            if key in ("library_name", "pipeline_tag", "tags"):
                self.comments.setdefault("model_type", []).append(f"{where}: {one_line(text)}")
                self.notes.append(f"{where}: kept as a comment under `model_type`")
            else:
                self.comment("description", where, text)

    def licence(self, meta: dict[str, Any]) -> None:
        hub, name, link = meta.get("license"), meta.get("license_name"), meta.get("license_link")
        if not isinstance(hub, str):
            raise InputError(
                f"{self.line(('license',))}: license must be a licence id such as apache-2.0, "
                f"got {hub!r} (fix: write one SPDX or Hub licence id)"
            )
        mapped = from_hub(
            hub,
            name if isinstance(name, str) else None,
            link if isinstance(link, str) else None,
        )
        if mapped is None:
            raise InputError(
                f"{self.line(('license',))}: unknown licence '{hub}': neither an SPDX id nor one "
                "of the Hugging Face Hub's licence ids (fix: use e.g. apache-2.0, mit, "
                "cc-by-4.0, or `license: other` with license_name and license_link)"
            )
        spdx, lname, url = mapped
        licence: dict[str, Any] = {"spdx_id": spdx}
        if lname is not None:
            licence["name"] = lname
        if url is not None:
            licence["url"] = url
        if spdx == "other":
            licence.setdefault("name", PLACEHOLDER)
            licence.setdefault("url", PLACEHOLDER)
        self.put("license", licence)

    def _shape(self, loc: tuple[str | int, ...], expected: str) -> InputError:
        dotted = "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in loc).lstrip(".")
        return InputError(
            f"{self.line(loc)}: {dotted}: expected {expected} (fix: model-index is a list of "
            "{name, results: [{task: {type}, dataset: {type, name}, metrics: [{type, value}]}]}, "
            "as huggingface.co/docs/hub/model-cards describes)"
        )

    def model_index(self, index: Any) -> None:
        root: tuple[str | int, ...] = ("model-index",)
        if not isinstance(index, list):
            raise self._shape(root, "a list of models")
        found: dict[str, list[dict[str, Any]]] = {
            "overall": [],
            "unitary": [],
            "intersectional": [],
        }
        dropped: set[str] = set()
        for i, model in enumerate(index):
            here = (*root, i)
            if not isinstance(model, dict) or not isinstance(model.get("name"), str):
                raise self._shape(here, "a mapping with a `name`")
            results = model.get("results")
            if not isinstance(results, list):
                raise self._shape((*here, "results"), "a list of results")
            for j, result in enumerate(results):
                spot = (*here, "results", j)
                if not isinstance(result, dict):
                    raise self._shape(spot, "a mapping with task, dataset and metrics")
                task, dataset = result.get("task"), result.get("dataset")
                if not isinstance(task, dict) or not isinstance(task.get("type"), str):
                    raise self._shape((*spot, "task"), "a mapping with a `type`")
                if (
                    not isinstance(dataset, dict)
                    or not isinstance(dataset.get("type"), str)
                    or not isinstance(dataset.get("name"), str)
                ):
                    raise self._shape((*spot, "dataset"), "a mapping with `type` and `name`")
                metrics = result.get("metrics")
                if not isinstance(metrics, list):
                    raise self._shape((*spot, "metrics"), "a list of metrics")
                split = dataset.get("split")
                dropped |= {f"results[].{k}" for k in result} - _RESULT_KEYS
                dropped |= {f"dataset.{k}" for k in dataset} - _DATASET_KEYS
                dropped |= {f"task.{k}" for k in task if k != "type"}
                for k, metric in enumerate(metrics):
                    mloc = (*spot, "metrics", k)
                    if not isinstance(metric, dict) or not isinstance(metric.get("type"), str):
                        raise self._shape(mloc, "a mapping with `type` and `value`")
                    value = metric.get("value")
                    if isinstance(value, bool) or not isinstance(value, int | float):
                        raise self._shape((*mloc, "value"), f"a number, got {value!r}")
                    entry, where = self._figure(metric, split)
                    args = metric.get("args")
                    dropped |= {f"metrics[].{k}" for k in metric} - _METRIC_KEYS
                    dropped |= {f"args.{k}" for k in (args if isinstance(args, dict) else {})}
                    found[where].append(entry)
        for where, entries in found.items():
            if entries:
                self.put(f"results.{where}", entries)
        dropped -= {"args.n", "args.ci"}
        if dropped:
            self.notes.append(
                f"{self.line(root)}: model-index keys {', '.join(sorted(dropped))} have no "
                "field in results and are not imported (a card `govkit export hf` wrote gets "
                "them again from report.json and the project)"
            )

    def _figure(self, metric: dict[str, Any], split: Any) -> tuple[dict[str, Any], str]:
        kind = str(metric["type"])
        name = metric.get("name")
        entry: dict[str, Any] = {"metric": kind, "value": float(metric["value"])}
        where = "overall"
        match = re.match(r"^(.*) \[(.*)\]$", name) if isinstance(name, str) else None
        if match and match.group(1) == kind:
            parts = [p.strip() for p in match.group(2).split(", ")]
            if all("=" in p for p in parts):
                entry["slice"] = dict(p.split("=", 1) for p in parts)
                where = "unitary" if len(parts) == 1 else "intersectional"
            else:
                entry["metric"] = name
        if isinstance(split, str):
            entry["split"] = split
        args = metric.get("args")
        if isinstance(args, dict):
            n, ci = args.get("n"), args.get("ci")
            if isinstance(n, int) and not isinstance(n, bool) and n >= 0:
                entry["n"] = n
            if (
                isinstance(ci, list)
                and len(ci) == 2
                and all(isinstance(c, int | float) for c in ci)
            ):
                entry["ci_low"], entry["ci_high"] = float(ci[0]), float(ci[1])
        return entry, where

    # --- sections -------------------------------------------------------------

    def sections(self, sections: list[Section]) -> None:
        generated: list[str] = []
        self._sections(sections, generated)
        if generated:
            self.notes.append(
                f"{self.display}: sections {', '.join(generated)} are not imported: "
                "`govkit export hf` writes them again from report.json (the model-index "
                "figures are in results)"
            )

    def _sections(self, sections: list[Section], generated: list[str]) -> None:
        for section in sections:
            title = section.title.lower().removesuffix(" [optional]").strip()
            where = f"{self.display}:{section.line}: section '{section.title or '(top)'}'"
            block = section.block
            if section.level == 0:
                if not block.is_empty():
                    self.comment(
                        "description",
                        f"{self.display}:{section.line}: text before the title",
                        _flat(block),
                    )
                continue
            if section.level == 1:
                name = section.title.removeprefix(TITLE_PREFIX).strip()
                if not _missing(name) and "{{" not in name:
                    self.put("name", name)
                self.put("summary", _text_or_none(block))
                continue
            if title in _GENERATED and "govkit" not in self.meta:
                # a card from elsewhere: its own results and infrastructure text is kept
                if not block.is_empty():
                    self.comment(_NEAREST.get(title, "results"), where, _flat(block))
                continue
            if title in _GENERATED:
                if not block.is_empty():
                    generated.append(f"'{section.title}' (line {section.line})")
                continue
            key = re.sub(r"[^a-z]+", "_", title).strip("_")
            handler = getattr(self, "s_" + key, None)
            if handler is not None:
                self.at = section.line
                handler(block, where)
                self.at = None
                self.unread(key, block, where)
            elif not block.is_empty():
                nearest = next(
                    (
                        _NEAREST[t.removesuffix(" [optional]")]
                        for t in reversed(section.path)
                        if t.removesuffix(" [optional]") in _NEAREST
                    ),
                    "description",
                )
                self.comment(nearest, where, _flat(block))

    def unread(self, key: str, block: Block, where: str) -> None:
        """The shapes a section's handler does not read (a table under Direct Use): comments."""
        target = _HANDLED_FIELD.get(key, "description")
        if block.tables and key not in _READS_TABLES:
            for rows in block.tables:
                text = " / ".join("; ".join(f"{k}: {v}" for k, v in r.items() if v) for r in rows)
                self.comment(target, f"{where}, table", text)
        if block.code and key not in _READS_CODE:
            self.comment(target, f"{where}, code", " / ".join(block.code))
        if block.labels and key not in _READS_LABELS:
            for label, value in block.labels.items():
                self.comment(target, f"{where}, '{block.label_names[label]}'", value)

    def leftover(self, block: Block, where: str, field_name: str, used: set[str]) -> None:
        """Labelled lines of a section that no field took: a comment, never dropped."""
        for key, value in block.labels.items():
            if key not in used and not _missing(value):
                self.comment(field_name, f"{where}, '{block.label_names[key]}'", value)

    def s_model_details(self, block: Block, where: str) -> None:
        self.s_model_description(block, where)

    def s_model_description(self, block: Block, where: str) -> None:
        labels = block.labels
        self.put("description", _text_or_none(block))
        if block.tables:
            developers = []
            for row in block.tables[0]:
                person = {"name": row.get("developer"), "role": row.get("role") or PLACEHOLDER}
                for key in ("affiliation", "contact"):
                    if row.get(key):
                        person[key] = row[key]
                if person["name"]:
                    developers.append(person)
            self.put("developers", developers)
        elif not _missing(labels.get("developed by")):
            names = [n.strip() for n in labels["developed by"].split(";") if n.strip()]
            self.put("developers", [{"name": n, "role": "developer"} for n in names])
        self.put(
            "model_type.task", None if _missing(labels.get("model type")) else labels["model type"]
        )
        self.put(
            "model_type.family",
            None if _missing(labels.get("model family")) else labels["model family"],
        )
        outputs = labels.get("outputs")
        if outputs in _OUTPUTS:
            self.put("model_type.outputs", outputs)
        fine_tuned = _yes(labels.get("fine-tuned"))
        if fine_tuned is not None:
            self.put("model_type.fine_tuned", fine_tuned)
        for label, path in (
            ("model version", "model_version.version"),
            ("previous version", "model_version.previous"),
            ("changes", "model_version.diff"),
        ):
            if not _missing(labels.get(label)):
                self.put(path, labels[label])
        if not _missing(labels.get("finetuned from model")) and self.get("base_model") is None:
            self.put("base_model", [{"name": labels["finetuned from model"]}])
            self.put("model_type.fine_tuned", True)
        used = {
            "developed by", "model type", "model family", "outputs", "fine-tuned",
            "model version", "previous version", "changes", "license", "finetuned from model",
        }  # fmt: skip
        self.leftover(block, where, "description", used)

    def s_model_sources(self, block: Block, where: str) -> None:
        links = []
        for item in block.bullets:
            match = re.match(r"^\[(.*)\]\((\S+)\)$", item)
            if match:
                links.append({"title": match.group(1), "url": match.group(2)})
            elif not _missing(item):
                self.comment("references", where, item)
        for key, value in block.labels.items():
            match = re.search(r"\((https?://\S+)\)|(https?://\S+)", value)
            if match:
                links.append(
                    {"title": block.label_names[key], "url": match.group(1) or match.group(2)}
                )
            elif not _missing(value):
                self.comment("references", f"{where}, '{block.label_names[key]}'", value)
        self.put("references", links)

    def s_decision_thresholds(self, block: Block, where: str) -> None:
        if block.tables:
            rows = []
            for row in block.tables[0]:
                value = _number(row.get("threshold"))
                if value is not None:
                    rows.append({"value": value, "rationale": row.get("rationale") or PLACEHOLDER})
            self.put("decision_thresholds", rows)
        else:
            text = _text_or_none(block)
            if text and text.startswith(NOT_APPLICABLE):
                self.put("decision_thresholds", _answer(text))

    def _list(self, path: str, block: Block, none_text: str | None = None) -> None:
        items = [b for b in block.bullets if not _missing(b)]
        text = block.paragraph_text
        if text and text != none_text and not _missing(text):
            items = [*items, *block.text]
        self.put(path, items)

    def s_direct_use(self, block: Block, where: str) -> None:
        self._list("intended_uses", block)

    def s_intended_users(self, block: Block, where: str) -> None:
        self._list("intended_users", block)

    def s_downstream_use(self, block: Block, where: str) -> None:
        self._list("downstream_uses", block, "None listed.")

    def s_out_of_scope_use(self, block: Block, where: str) -> None:
        self._list("out_of_scope_uses", block)

    def s_foreseeable_misuse(self, block: Block, where: str) -> None:
        self._list("foreseeable_misuse", block)

    def s_bias_risks_and_limitations(self, block: Block, where: str) -> None:
        self.put("limitations", _prose(block))

    def s_ethical_considerations(self, block: Block, where: str) -> None:
        for label, key in (
            ("sensitive data", "sensitive_data"),
            ("human life", "human_life"),
            ("mitigations", "mitigations"),
            ("risks and harms", "risks_and_harms"),
            ("fraught use cases", "fraught_use_cases"),
        ):
            self.put(f"ethical_considerations.{key}", _answer(block.labels.get(label)))
        used = {
            "sensitive data",
            "human life",
            "mitigations",
            "risks and harms",
            "fraught use cases",
        }
        self.leftover(block, where, "ethical_considerations", used)
        if block.paragraph_text or block.bullets:
            self.comment("ethical_considerations", where, _prose(block) or "")

    def s_fairness_criteria(self, block: Block, where: str) -> None:
        text = _prose(block)
        answer = _answer(text)
        if isinstance(answer, dict):
            self.put("fairness", answer)
        elif answer is not None:
            self.put("fairness.criteria", answer)

    def s_privacy(self, block: Block, where: str) -> None:
        answer = _answer(block.paragraph_text)
        epsilon = _number(block.labels.get("differential privacy epsilon"))
        if isinstance(answer, dict) and epsilon is None:
            self.put("privacy", answer)
        else:
            self.put("privacy.approach", answer)
            self.put("privacy.dp_epsilon", epsilon)
        self.leftover(block, where, "privacy", {"differential privacy epsilon"})

    def s_recommendations(self, block: Block, where: str) -> None:
        self.put("caveats_and_recommendations", _prose(block))

    def s_how_to_get_started_with_the_model(self, block: Block, where: str) -> None:
        if block.code and not _missing(block.code[0]):
            self.put("get_started", block.code[0])
        elif not _missing(_prose(block)):
            self.put("get_started", _prose(block))

    def _datasets(self, path: str, block: Block) -> None:
        refs = []
        for row in block.tables[0] if block.tables else []:
            card_id = row.get("dataset card")
            if not card_id:
                continue
            ref: dict[str, Any] = {"card_id": card_id}
            if row.get("version"):
                ref["version"] = row["version"]
            if row.get("splits"):
                ref["splits"] = [s.strip() for s in str(row["splits"]).split(", ")]
            if row.get("hub id"):
                ref["hub_id"] = row["hub id"]
            refs.append(ref)
        self.put(path, refs)

    def s_training_data(self, block: Block, where: str) -> None:
        self.put("training_data.summary", _prose(block))
        self._datasets("training_data.datasets", block)

    def s_training_procedure(self, block: Block, where: str) -> None:
        labels = block.labels
        for label, key in (
            ("objective", "objective"),
            ("optimizer", "optimizer"),
            ("precision", "precision"),
        ):
            if not _missing(labels.get(label)):
                self.put(f"training_procedure.{key}", labels[label])
        self.put(
            "training_procedure.fairness_constraints", _answer(labels.get("fairness constraints"))
        )
        self.leftover(
            block,
            where,
            "training_procedure",
            {"objective", "optimizer", "precision", "fairness constraints"},
        )
        if block.paragraph_text or block.bullets or block.code:
            self.comment("training_procedure", where, _flat(block, labels=False))

    def s_testing_data(self, block: Block, where: str) -> None:
        self.put("evaluation_data.motivation", _prose(block))
        if not _missing(block.labels.get("preprocessing")):
            self.put("evaluation_data.preprocessing", block.labels["preprocessing"])
        self._datasets("evaluation_data.datasets", block)
        self.leftover(block, where, "evaluation_data", {"preprocessing"})

    def s_factors(self, block: Block, where: str) -> None:
        factors = []
        for row in block.tables[0] if block.tables else []:
            if not row.get("factor"):
                continue
            kind = row.get("kind")
            factor: dict[str, Any] = {
                "name": row["factor"],
                "kind": kind if kind in _FACTOR_KINDS else "group",
                "values": [
                    v.strip() for v in str(row.get("values") or "").split(", ") if v.strip()
                ],
                "evaluated": bool(_yes(row.get("evaluated"))),
                "rationale": row.get("rationale") or PLACEHOLDER,
            }
            if not factor["values"]:
                del factor["values"]
            factors.append(factor)
        self.put("factors", factors)
        if not block.tables and not block.is_empty():
            self.comment("factors", where, _flat(block))

    def s_metrics(self, block: Block, where: str) -> None:
        specs = []
        for row in block.tables[0] if block.tables else []:
            if row.get("metric"):
                specs.append(
                    {
                        "name": row["metric"],
                        "definition": row.get("definition") or PLACEHOLDER,
                        "higher_is_better": bool(_yes(row.get("higher is better"))),
                        "rationale": row.get("rationale") or PLACEHOLDER,
                    }
                )
        self.put("metrics", specs)
        if not block.tables and not block.is_empty():
            self.comment("metrics", where, _flat(block))

    def s_model_examination(self, block: Block, where: str) -> None:
        self.put("explainability.interpretation_guidance", _prose(block))

    def s_environmental_impact(self, block: Block, where: str) -> None:
        labels = block.labels
        hardware = labels.get("hardware type")
        if _missing(hardware):
            if not block.is_empty() and any(not _missing(v) for v in labels.values()):
                self.comment("compute_and_environment", where, _flat(block))
            return
        compute: dict[str, Any] = {"hardware": hardware}
        hours, co2 = _number(labels.get("hours used")), _number(labels.get("carbon emitted"))
        if hours is not None:
            compute["hours"] = hours
        if not _missing(labels.get("cloud provider")):
            compute["provider"] = labels["cloud provider"]
        if not _missing(labels.get("compute region")):
            compute["region"] = labels["compute region"]
        if co2 is not None:
            compute["co2e_kg"] = co2
        self.put("compute_and_environment", compute)
        used = {"hardware type", "hours used", "cloud provider", "compute region", "carbon emitted"}
        self.leftover(block, where, "compute_and_environment", used)

    def s_model_architecture_and_objective(self, block: Block, where: str) -> None:
        self.put("architecture.description", _prose(block))

    def s_citation(self, block: Block, where: str) -> None:
        code = [c for c in block.code if not _missing(c)]
        if code:
            self.put("citation", code[0])
        elif not _missing(_prose(block)):
            self.put("citation", _prose(block))

    def s_glossary(self, block: Block, where: str) -> None:
        self.put("glossary", _prose(block))

    def s_model_card_contact(self, block: Block, where: str) -> None:
        text = _prose(block)
        self.put("contact", None if text is None else one_line(text))

    def s_model_card_authors(self, block: Block, where: str) -> None:
        names = [b for b in block.bullets if not _missing(b)]
        text = block.paragraph_text
        if not names and not _missing(text):
            names = [n.strip() for n in str(text).split(",") if n.strip()]
        self.put("meta.authors", [{"name": n, "role": "model card author"} for n in names])

    def listed_in_metadata(self) -> None:
        """Metrics and data sets the metadata lists but the sections do not describe."""
        names = {m["name"] for m in self.get("metrics") or []}
        meta_metrics = self.meta.get("metrics")
        extra = (
            [m for m in meta_metrics or [] if isinstance(m, str) and m not in names]
            if isinstance(meta_metrics, list)
            else []
        )
        if extra:
            specs = self.get("metrics") or []
            self.put(
                "metrics",
                [
                    *specs,
                    *(
                        {
                            "name": m,
                            "definition": PLACEHOLDER,
                            "higher_is_better": True,
                            "rationale": PLACEHOLDER,
                        }
                        for m in extra
                    ),
                ],
            )
        datasets = self.meta.get("datasets")
        if isinstance(datasets, list):
            known = {
                r.get("hub_id")
                for part in ("training_data", "evaluation_data")
                for r in (self.get(f"{part}.datasets") or [])
            }
            for hub in datasets:
                if not isinstance(hub, str) or hub in known:
                    continue
                if re.match(r"^[A-Za-z0-9][A-Za-z0-9_.-]*/[A-Za-z0-9][A-Za-z0-9_.-]*$", hub):
                    refs = self.get("training_data.datasets") or []
                    self.put(
                        "training_data.datasets",
                        [*refs, {"card_id": hub.split("/")[1], "hub_id": hub}],
                    )
                else:
                    self.comment(
                        "training_data", f"{self.line(('datasets',))}: metadata `datasets`", hub
                    )


def _text_or_none(block: Block) -> str | None:
    text = block.paragraph_text
    return None if _missing(text) else text


def _prose(block: Block) -> str | None:
    """A text field's paragraphs, with any bullets each as a paragraph of their own."""
    parts = [*block.text, *block.bullets]
    # the template's unanswered prompts and bare sub-labels ("**BibTeX:**") are not text
    kept = [p for p in parts if p.strip() and p.strip() != PLACEHOLDER and not _BOLD.match(p)]
    text = "\n\n".join(kept)
    return None if _missing(text) else paragraphs(text)


def _flat(block: Block, *, labels: bool = True) -> str:
    parts = [*block.text, *block.bullets, *block.code]
    if labels:
        parts += [
            f"{block.label_names[k]}: {v}" for k, v in block.labels.items() if not _missing(v)
        ]
    for rows in block.tables:
        parts += ["; ".join(f"{k}: {v}" for k, v in row.items() if v) for row in rows]
    return " / ".join(one_line(p) for p in parts if p.strip())
