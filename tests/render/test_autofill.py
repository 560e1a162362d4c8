"""Automated document fields filled from the report: labelled, never over a human value."""

from __future__ import annotations

import dataclasses
import html as htmllib
import re
import typing
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
from pydantic import BaseModel

from govkit.documents.fields import FILL_AUTOMATED
from govkit.documents.kinds import KINDS as DOCUMENT_MODELS
from govkit.project import load_project_file
from govkit.render.autofill import RULES, data_splits, fills_for
from govkit.render.context import build_context, format_interval, format_value
from govkit.render.markdown import FILLED_BY, to_html
from govkit.render.packet import load_inputs, render_markdown
from govkit.report import CheckResult, Measurement, Report
from tests.helpers import (
    PLANTED_EMAILS,
    PLANTED_PHONE,
    Edit,
    build_full_report,
    make_project,
    planted_frame,
)


@pytest.fixture(scope="module")
def full_report() -> Report:
    return build_full_report()


def _text(markdown: str) -> str:
    """The visible text of Markdown, as a reader of the HTML sees it."""
    fragment, _ = to_html(markdown, anchor_prefix="t")
    return htmllib.unescape(re.sub(r"<[^>]+>", " ", fragment))


def _squash(text: str) -> str:
    return " ".join(text.split())


def _markdown(
    root: Path, report: Report | None, edits: dict[str, Edit] | None = None
) -> dict[str, str]:
    """Each document's Markdown, rendered from the minimal project and ``report``."""
    config = make_project(root, edits=edits)
    inputs = load_inputs(load_project_file(config), None)
    ctx = build_context(dataclasses.replace(inputs, report=report))
    return render_markdown(ctx, None)


def _not_provided(markdown: str) -> list[str]:
    """The fields of a document's "Not provided" table (Markdown escapes undone)."""
    table = markdown.split("\n## Not provided\n", 1)[1]
    rows = [line for line in table.splitlines() if line.startswith("| ")][1:]
    return [row.split(" | ")[0].removeprefix("| ").replace("\\", "") for row in rows]


def _section(markdown: str, heading: str) -> str:
    """The text of one ``### heading`` of a document, up to the next heading."""
    match = re.search(rf"^### {re.escape(heading)}\n(.*?)(?=^##)", markdown, re.M | re.S)
    assert match, f"no section {heading!r}"
    return match.group(1)


def _measurement(report: Report, check: str, name: str, **where: Any) -> Measurement:
    result = report.result(check)
    assert result is not None
    for m in result.measurements:
        if m.name == name and all(getattr(m, k) == v for k, v in where.items()):
            return m
    raise AssertionError(f"{check} has no {name} {where}")


# --- the mapping itself -----------------------------------------------------------------


def _field_type(annotation: Any) -> type[BaseModel] | None:
    """The document model inside an annotation (list items and OrNA unwrapped)."""
    found: list[type[BaseModel]] = []

    def walk(a: Any) -> None:
        if isinstance(a, type) and issubclass(a, BaseModel):
            if set(a.model_fields) != {"not_applicable"}:
                found.append(a)
            return
        for arg in typing.get_args(a):
            walk(arg)

    walk(annotation)
    return found[0] if found else None


@pytest.mark.parametrize("rule", RULES, ids=lambda r: f"{r.kind}:{'.'.join(r.path)}")
def test_every_rule_fills_an_automated_field(rule: Any) -> None:
    model: type[BaseModel] | None = DOCUMENT_MODELS[rule.kind]
    steps = [s for s in rule.path if s != "*"]
    for step in steps[:-1]:
        assert model is not None and step in model.model_fields
        model = _field_type(model.model_fields[step].annotation)
    assert model is not None and steps[-1] in model.model_fields
    extra = model.model_fields[steps[-1]].json_schema_extra
    assert isinstance(extra, dict) and extra.get("x-fill") == FILL_AUTOMATED


# --- dataset card ---------------------------------------------------------------------------


def test_dataset_card_shows_statistics_missing_rates_and_pii_from_the_checks(
    tmp_path: Path, full_report: Report
) -> None:
    md = _markdown(tmp_path, full_report)["minimal-dataset-card.md"]
    frame, _ = planted_frame()

    stats = _squash(_text(_section(md, "Statistics")))
    assert f"{FILLED_BY} from check data.quality (pass)" in stats
    assert f"{len(frame):,}" in stats
    assert format_value(float(frame["age"].mean())) in stats
    assert format_value(float(frame["age"].std(ddof=0))) in stats

    missing = _squash(_text(_section(md, "Missing data")))
    rate = _measurement(full_report, "data.quality", "missing_rate", feature="age")
    assert rate.value == pytest.approx(frame["age"].isna().mean())
    assert f"{FILLED_BY} from check data.quality (pass)" in missing
    assert f"age {format_value(rate.value)} {format_interval(rate.ci)}" in missing
    # Columns without gaps are named, not given a row each.
    assert "No missing values : sex, notes" in missing

    pii = _squash(_text(_section(md, "Pii scan")))
    assert f"{FILLED_BY} from check privacy.pii (fail)" in pii
    assert "eval notes email 20" in pii and "eval notes phone 5" in pii
    assert "j***@e***.org" in pii

    counts = _squash(_text(_section(md, "Instances")))
    assert f"{FILLED_BY} from check data.quality (pass)" in counts
    assert f"all {len(frame):,}" in counts

    hashes = _squash(_text(_section(md, "Content sha256")))
    digest = next(a for a in full_report.provenance.artifacts if a.role == "eval_data").sha256
    assert "the report's provenance" in hashes and f"eval data.csv {digest}" in hashes


def test_no_raw_personal_value_reaches_the_packet(tmp_path: Path, full_report: Report) -> None:
    # A report whose scan wrote an unmasked example by mistake: the packet masks it again.
    pii = full_report.result("privacy.pii")
    assert pii is not None
    leaky = dict(pii.details)
    leaky["masked_examples"] = {"notes": {"email": [PLANTED_EMAILS[0]], "phone": [PLANTED_PHONE]}}
    results = [
        r.model_copy(update={"details": leaky}) if r.id == pii.id else r
        for r in full_report.results
    ]
    report = full_report.model_copy(update={"results": results})
    md = _markdown(tmp_path, report)
    everything = "\n".join(md.values())
    for raw in (*PLANTED_EMAILS, PLANTED_PHONE, "jane.roe", "415-555"):
        assert raw not in everything and raw not in _text(everything)
    assert "j\\*\\*\\*@e\\*\\*\\*.org" in md["minimal-dataset-card.md"]


@pytest.mark.parametrize(
    ("kind", "raw"),
    [
        ("email", "jane.roe@example.org"),
        ("phone", "+1 415-555-0132"),
        ("credit_card", "4111 1111 1111 1111"),
        ("iban", "DE89 3704 0044 0532 0130 00"),
        ("ssn", "123-45-6789"),
        ("ip_address", "192.168.1.20"),
        ("date_of_birth", "1984-03-07"),
    ],
)
def test_examples_are_masked_once_more(kind: str, raw: str) -> None:
    from govkit.privacy.masking import MASKERS
    from govkit.render.autofill.dataset_card import _masked

    masked = MASKERS[kind](raw)
    assert _masked(kind, masked) == masked  # the scan's masking is shown as written
    assert _masked(kind, raw) == masked  # a raw value is masked before it is shown
    assert _masked("unknown_kind", raw) == "[withheld]"


# --- model card -------------------------------------------------------------------------------


def test_model_card_shows_results_fairness_and_explainability(
    tmp_path: Path, full_report: Report
) -> None:
    md = _markdown(tmp_path, full_report)["minimal-model-card.md"]

    results = _squash(_text(_section(md, "Results")))
    accuracy = _measurement(full_report, "performance.classification", "accuracy")
    assert f"{FILLED_BY} from checks performance.classification (pass)" in results
    assert (
        f"accuracy {format_value(accuracy.value)} {format_interval(accuracy.ci)} {accuracy.n:,}"
        in results
    )

    fairness = _squash(_text(_section(md, "Fairness")))
    gap = _measurement(
        full_report, "fairness.demographic_parity", "demographic_parity_difference", feature="sex"
    )
    assert "fairness.demographic_parity (fail, waived until 2027-05-31)" in fairness
    # The fixture measures differences only: the ratio column shows a dash.
    figure = f"{format_value(gap.value)} {format_interval(gap.ci)} — {gap.n:,} fail (waived)"
    assert f"demographic_parity sex {figure}" in fairness
    # The card has no fairness section of its own: the human part, required, stays a
    # gap marked where it stands.
    assert "Criteria : Gap: not provided (required)" in fairness

    explain = _squash(_text(_section(md, "Explainability")))
    importance = full_report.result("attribution.importance")
    assert importance is not None
    top = max(importance.measurements, key=lambda m: m.value or 0.0)
    assert f"1 {top.feature} {format_value(top.value)}" in explain

    env = _squash(_text(_section(md, "Software env")))
    assert f"Python : {full_report.provenance.python}" in env
    uncertainty = _squash(_text(_section(md, "Uncertainty")))
    assert "Poisson row bootstrap" in uncertainty and "Seeds : 0" in uncertainty


def test_privacy_is_filled_when_the_card_evaluates_it(tmp_path: Path, full_report: Report) -> None:
    def privacy(data: dict[str, Any]) -> None:
        data["privacy"] = {"approach": "Membership inference on a held-out split."}

    md = _markdown(tmp_path, full_report, edits={"model_card": privacy})["minimal-model-card.md"]
    text = _squash(_text(_section(md, "Privacy")))
    auc = _measurement(full_report, "privacy.membership_inference", "roc_auc", group=None)
    advantage = _measurement(
        full_report, "privacy.membership_inference", "membership_advantage", group=None
    )
    assert f"{FILLED_BY} from check privacy.membership_inference (pass)" in text
    assert f"roc_auc {format_value(auc.value)} {format_interval(auc.ci)}" in text
    assert f"membership_advantage {format_value(advantage.value)}" in text
    assert "Membership inference on a held-out split." in text
    assert "lower bound on leakage" in text


# --- a human value always wins ----------------------------------------------------------


def test_a_value_written_by_hand_is_not_overwritten(tmp_path: Path, full_report: Report) -> None:
    def dataset(data: dict[str, Any]) -> None:
        data["missing_data"]["rates"] = {"age": 0.5}

    def model(data: dict[str, Any]) -> None:
        data["privacy"] = {"not_applicable": "Declared by hand: no personal data."}
        data["uncertainty"] = {"method": "Hand-run bootstrap", "n_runs": 7, "ci_level": 0.9}

    md = _markdown(tmp_path, full_report, edits={"dataset_card": dataset, "model_card": model})
    missing = _squash(_text(_section(md["minimal-dataset-card.md"], "Missing data")))
    rate = _measurement(full_report, "data.quality", "missing_rate", feature="age")
    assert "age 0.5" in missing and format_interval(rate.ci) not in missing
    assert FILLED_BY not in missing
    assert "Written by hand; the report also has figures for this field, from check" in missing

    card = md["minimal-model-card.md"]
    uncertainty = _squash(_text(_section(card, "Uncertainty")))
    assert "Hand-run bootstrap" in uncertainty and "Poisson" not in uncertainty
    privacy = _squash(_text(_section(card, "Privacy")))
    assert "Declared by hand: no personal data." in privacy and FILLED_BY not in privacy
    assert "privacy.membership_inference" in privacy
    assert "missing_data.rates" not in md["minimal-dataset-card.md"].split("\n## ")[0]


# --- gaps stay visible --------------------------------------------------------------------


def test_without_a_report_the_gaps_stay_visible(tmp_path: Path) -> None:
    md = _markdown(tmp_path, None)
    assert all(FILLED_BY not in text for text in md.values())
    # optional and empty: listed once, in the document's "Not provided" table
    assert "statistics" in _not_provided(md["minimal-dataset-card.md"])
    assert "results" in _not_provided(md["minimal-model-card.md"])
    assert "### Statistics" not in md["minimal-dataset-card.md"]


def test_fields_the_report_cannot_fill_stay_gaps(tmp_path: Path, full_report: Report) -> None:
    md = _markdown(tmp_path, full_report)
    card = md["minimal-model-card.md"]
    assert "model_date" in _not_provided(card) and "### Model date" not in card
    header = card.split("\n## ")[0]
    assert "Filled by govkit from the check report:** software\\_env, uncertainty" in header
    # A skipped check explains the gap instead of leaving it silent.
    plan = _squash(_text(md["minimal-experiment-plan.md"]))
    assert "data.leakage (skipped)" in plan and "no training split was given" in plan


def test_a_card_about_other_data_is_not_filled() -> None:
    model = SimpleNamespace(
        kind="model_card",
        training_data=SimpleNamespace(datasets=[SimpleNamespace(card_id="train-card")]),
        evaluation_data=SimpleNamespace(datasets=[SimpleNamespace(card_id="eval-card")]),
    )

    def card(doc_id: str) -> SimpleNamespace:
        return SimpleNamespace(kind="dataset_card", meta=SimpleNamespace(doc_id=doc_id))

    docs: list[Any] = [model, card("train-card"), card("eval-card"), card("benchmark-card")]
    assert data_splits(docs) == [
        frozenset(),
        frozenset({"train"}),
        frozenset({"eval"}),
        frozenset(),
    ]
    assert data_splits(docs[1:]) == [frozenset({"train", "eval"})] * 3


def test_data_checks_fill_only_a_card_covering_the_measured_splits(full_report: Report) -> None:
    from govkit.documents.load import load_document
    from tests.helpers import MINIMAL

    card = load_document(MINIMAL / "dataset_card.yaml").model
    # data.quality measured the eval split; a card about the training split gets nothing from it.
    train_only = fills_for(card, full_report, frozenset({"train"}))
    assert ("statistics",) not in train_only and ("pii_scan",) not in train_only
    both = fills_for(card, full_report, frozenset({"train", "eval"}))
    assert {("statistics",), ("pii_scan",), ("missing_data", "rates")} <= set(both)


def test_a_check_with_an_error_fills_nothing_but_its_message(full_report: Report) -> None:
    from govkit.documents.load import load_document
    from tests.helpers import MINIMAL

    broken = CheckResult(
        id="data.quality",
        title="Data quality",
        status="error",
        blocking=True,
        message="the check crashed reading the data",
    )
    results = [broken if r.id == "data.quality" else r for r in full_report.results]
    report = full_report.model_copy(update={"results": results})
    card = load_document(MINIMAL / "dataset_card.yaml").model
    fill = fills_for(card, report, frozenset({"eval"}))[("statistics",)]
    assert fill.sources[0].status == "error"
    assert "crashed" in getattr(fill.body, "text", "")


def _filled_by(rule: Any, fills: dict[Any, Any]) -> list[Any]:
    """The concrete paths of ``fills`` that ``rule`` fills (list indices dropped to compare)."""
    pattern = tuple(s for s in rule.path if s != "*")
    return [p for p in fills if tuple(s for s in p if isinstance(s, str)) == pattern]


@pytest.mark.parametrize(
    "rule", [r for r in RULES if r.check], ids=lambda r: f"{r.kind}:{'.'.join(r.path)}"
)
def test_a_rule_with_a_check_fills_from_that_check_alone(rule: Any, full_report: Report) -> None:
    from govkit.checks.registry import BUILTIN_CHECKS
    from govkit.documents.dataset_card import SubgroupStat
    from govkit.documents.load import load_document
    from tests.helpers import MINIMAL

    assert rule.check in BUILTIN_CHECKS
    document = load_document(MINIMAL / f"{rule.kind}.yaml").model
    if rule.kind == "dataset_card":  # a subpopulation the data check measured
        group = SubgroupStat(attribute="sex", identification="self-reported")
        document = document.model_copy(update={"subpopulations": [group]})
    every_split = frozenset({"train", "eval"})
    paths = _filled_by(rule, fills_for(document, full_report, every_split))
    assert paths, "the full report fills the field"
    # Without its check, the field is left alone, whatever else the report holds.
    others = [r for r in full_report.results if r.id != rule.check]
    without = full_report.model_copy(update={"results": others})
    assert _filled_by(rule, fills_for(document, without, every_split)) == []
    # A skipped check fills the field with its message and nothing else.
    skipped = CheckResult(
        id=rule.check, title="planted", status="skipped", blocking=False, message="planted skip"
    )
    results = [skipped if r.id == rule.check else r for r in full_report.results]
    fills = fills_for(document, full_report.model_copy(update={"results": results}), every_split)
    for path in paths:
        assert [s.check_id for s in fills[path].sources] == [rule.check]
        assert getattr(fills[path].body, "text", None) == "planted skip"
    # A data check fills only a document about the data it measured.
    if rule.scope == "data":
        assert _filled_by(rule, fills_for(document, full_report, frozenset())) == []


def test_a_packet_computes_the_fills_once(
    tmp_path: Path, full_report: Report, monkeypatch: pytest.MonkeyPatch
) -> None:
    import govkit.render.context as context

    calls: list[int] = []
    real = context.document_fills

    def counted(documents: Any, report: Report | None) -> Any:
        calls.append(len(documents))
        return real(documents, report)

    monkeypatch.setattr(context, "document_fills", counted)
    inputs = load_inputs(load_project_file(make_project(tmp_path)), None)
    ctx = build_context(dataclasses.replace(inputs, report=full_report))
    assert calls == [len(inputs.documents)]
    # the coverage matrix still counts the fields the report fills
    bare = build_context(inputs)
    assert ctx.coverage is not None and bare.coverage is not None
    covered = [int(row[1]) for row in ctx.coverage.totals]
    assert sum(covered) > sum(int(row[1]) for row in bare.coverage.totals)


# --- the whole packet -----------------------------------------------------------------------


@pytest.mark.slow
def test_filled_packet_is_labelled_in_html_and_pdf_and_reproducible(
    tmp_path: Path, full_report: Report
) -> None:
    from pypdf import PdfReader

    from govkit.commands.render import run_render
    from tests.helpers import write_report

    config = make_project(tmp_path)
    report_path = write_report(full_report, tmp_path / "build" / "report.json")
    outs = [tmp_path / "one", tmp_path / "two"]
    for out, formats in zip(outs, ("md,html,pdf", "md,html"), strict=True):
        code = run_render(
            str(config), report=str(report_path), out=str(out), formats=formats, templates=None
        )
        assert code == 0
    for name in ("minimal-dataset-card.md", "minimal-model-card.md", "packet.html"):
        assert (outs[0] / name).read_bytes() == (outs[1] / name).read_bytes()

    page = (outs[0] / "packet.html").read_text(encoding="utf-8")
    assert "<blockquote>" in page and "Filled by govkit</strong> from check" in page
    pdf = "\n".join(p.extract_text() or "" for p in PdfReader(outs[0] / "packet.pdf").pages)
    accuracy = _measurement(full_report, "performance.classification", "accuracy")
    flat = _squash(pdf)
    assert "Filled by govkit from check data.quality (pass)" in flat
    assert format_interval(accuracy.ci) in flat
    for raw in (*PLANTED_EMAILS, PLANTED_PHONE):
        assert raw not in page and raw not in flat
