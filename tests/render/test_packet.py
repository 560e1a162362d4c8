"""The rendered packet, read back: files, PDF content, attachments, metadata, security."""

from __future__ import annotations

import hashlib
import json
import re
from pathlib import Path
from typing import Any

import pytest
import yaml
from pypdf import PdfReader

from govkit.render.context import format_interval, format_value
from govkit.render.manifest import MANIFEST_NAME
from govkit.report import STATUS_ORDER, Report

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def pdf(rendered: Path) -> PdfReader:
    return PdfReader(rendered / "packet.pdf")


@pytest.fixture(scope="module")
def pdf_text(pdf: PdfReader) -> str:
    # Drop the line breaks WeasyPrint puts in long table cells and paragraphs.
    return "\n".join(page.extract_text() or "" for page in pdf.pages)


def test_packet_files(rendered: Path) -> None:
    names = sorted(p.name for p in rendered.iterdir())
    assert names == sorted(
        [
            "manifest.json",
            "minimal-dataset-card.md",
            "minimal-experiment-plan.md",
            "minimal-model-card.md",
            "minimal-risk-checklist.md",
            "packet.html",
            "packet.intoto.json",
            "packet.pdf",
            "report.json",
            "report.md",
        ]
    )
    manifest = json.loads((rendered / MANIFEST_NAME).read_text(encoding="utf-8"))
    listed = {e["path"]: e for e in manifest["files"]}
    assert set(listed) == set(names) - {MANIFEST_NAME}
    assert listed["packet.pdf"]["bytes"] == (rendered / "packet.pdf").stat().st_size


def _contents_pages(pdf: PdfReader) -> list[str]:
    """The text of the contents pages: from page 2 up to the decision summary's first page."""
    pages = []
    for page in pdf.pages[1:]:
        text = page.extract_text() or ""
        if text.startswith("Decision summary"):
            break
        pages.append(text)
    return pages


def test_pdf_has_cover_contents_and_every_section(pdf: PdfReader, pdf_text: str) -> None:
    assert len(pdf.pages) >= 10
    cover = pdf.pages[0].extract_text()
    for expected in ("adult-income", "Version 1.0.0", "2025-03-04 05:06 UTC", "pass", "skipped"):
        assert expected in cover
    contents = "\n".join(_contents_pages(pdf))
    for entry in (
        "Contents",
        "Decision summary",
        "Minimal model card",
        "Check results",
        "fairness.demographic_parity: Demographic parity",
        "Risk traceability matrix",
        "Standards coverage matrix",
        "Sign-off",
        "Provenance",
    ):
        assert entry in contents, entry
    # The contents give a page number for each entry, and pages say "page X of Y".
    assert "page 2 of " + str(len(pdf.pages)) in contents
    for title in (
        "Minimal dataset card",
        "Minimal experiment plan",
        "Minimal risk checklist",
        "Model details",
        "Check results",
        "Risk traceability matrix",
        "Standards coverage matrix",
        "Sign-off",
        "Provenance",
        "Hashes",
    ):
        assert title in pdf_text, title


def test_pdf_shows_figures_from_the_report(pdf_text: str, report: Report) -> None:
    result = report.result("fairness.demographic_parity")
    assert result is not None
    dpd = next(m for m in result.measurements if m.name == "demographic_parity_difference")
    assert format_value(dpd.value) in pdf_text
    assert format_interval(dpd.ci) in pdf_text
    assert "Waived by Review Board until 2027-05-31" in pdf_text
    # Charts are embedded SVG with real text: the axis names come through.
    assert "selection_rate by group, with 95% intervals" in pdf_text
    assert "ROC curve of the membership inference attack" in pdf_text
    assert "Calibration curve" in pdf_text
    assert "Mean absolute attribution by feature" in pdf_text


def test_traceability_signoff_and_provenance(pdf_text: str) -> None:
    page = pdf_text[pdf_text.rindex("Risk traceability matrix") :]
    trace = page[: page.index("Standards coverage matrix")]
    for line in (
        "fairness.demographic_parity fail Review Board until",
        "privacy.membership_inference pass",
        "robustness.missing_check not run",
    ):
        # Text extraction may drop the gap between adjacent cells.
        assert line.replace(" ", "") in "".join(trace.split()), line
    flat = " ".join(pdf_text[pdf_text.rindex("Sign-off") :].split())
    assert "Dana Reviewer" in flat and "approved with conditions" in flat
    assert "0123456789abcdef0123456789abcdef01234567" in flat
    assert "2.13.0" in flat


def test_pdf_attachments_and_metadata(pdf: PdfReader, rendered: Path, project: Path) -> None:
    attached = pdf.attachments
    assert attached["report.json"][0] == (rendered / "report.json").read_bytes()
    assert attached["report.json"][0] == (project.parent / "build" / "report.json").read_bytes()
    source = (project.parent / "docs" / "model_card.yaml").read_bytes()
    assert attached["docs_model_card.yaml"][0] == source
    meta = pdf.metadata
    assert meta is not None
    assert meta.title == "Review packet: adult-income 1.0.0"
    assert meta.subject is not None and "adult-income" in meta.subject
    assert meta.producer is not None and meta.producer.startswith("govkit ")
    root: Any = pdf.trailer["/Root"]  # pypdf types the trailer's values loosely
    xmp = root["/Metadata"].get_object().get_data()
    assert b'pdfaid:part="3"' in xmp and b'pdfaid:conformance="A"' in xmp
    assert b'Producer="govkit ' in xmp


def test_document_text_stays_inert(rendered: Path, pdf_text: str, sink: object) -> None:
    html = (rendered / "packet.html").read_text(encoding="utf-8")
    assert "<script" not in html
    assert "tracker.png" in html and '<img src="http' not in html
    assert 'href="javascript' not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    flat = " ".join(pdf_text.split())
    assert "{{ 7*7 }}" in flat and "Scores 49" not in flat
    assert "<script>alert(1)</script>" in flat
    assert "[click me](javascript:alert(2))" in flat
    assert sink.hits == []  # type: ignore[attr-defined]


def test_rendering_twice_gives_identical_bytes(
    rendered: Path, project: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import time

    from govkit.commands.render import run_render

    # A later clock and no SOURCE_DATE_EPOCH: only the report may date the packet.
    later = time.time() + 400 * 86400
    monkeypatch.delenv("SOURCE_DATE_EPOCH", raising=False)
    monkeypatch.setattr(time, "time", lambda: later)
    again = project.parent / "packet-again"
    assert (
        run_render(str(project), report=None, out=str(again), formats="md,html,pdf", templates=None)
        == 0
    )
    first = {p.name: p.read_bytes() for p in rendered.iterdir()}
    second = {p.name: p.read_bytes() for p in again.iterdir()}
    assert first.keys() == second.keys()
    for name in first:
        assert first[name] == second[name], name


def _flat(text: str) -> str:
    """Text without whitespace: extraction breaks lines inside table cells and hashes."""
    return "".join(text.split())


def test_cover_counts_every_status(pdf: PdfReader, report: Report) -> None:
    cover = pdf.pages[0].extract_text()
    lines = {" ".join(line.split()) for line in cover.splitlines()}
    for status in STATUS_ORDER:
        count = sum(r.status == status for r in report.results)
        assert f"{status.replace('_', ' ')} {count}" in lines, status


def test_contents_page_numbers_point_at_their_sections(pdf: PdfReader, report: Report) -> None:
    pages = [page.extract_text() or "" for page in pdf.pages]
    entries = []
    for line in "\n".join(_contents_pages(pdf)).splitlines():
        if re.search(r"page \d+ of \d+$", line):
            continue  # the running footer of a contents page, not an entry
        title, dots, number = line.rpartition(" ")
        if number.isdigit() and dots:
            entries.append((title.rstrip(". "), int(number)))
    numbers = dict(entries)
    chapters = ["Decision summary", "Check results", "Risk traceability matrix"]
    chapters += ["Standards coverage matrix", "Sign-off", "Provenance"]
    checks = [f"{r.id}: {r.title}" for r in report.results]
    for title in [*chapters, *checks]:
        assert title in numbers, title
        page = pages[numbers[title] - 1]
        assert title in page, (title, numbers[title])
    for title in chapters[:-2]:
        # each chapter starts a page: its title is the page's first line (sign-off and
        # provenance, short records, follow the last document on its page)
        assert pages[numbers[title] - 1].lstrip().startswith(title), title
    assert [n for _, n in entries] == sorted(n for _, n in entries)
    assert len(entries) >= len(chapters) + len(checks) + 4  # a title per document too


def test_every_page_after_the_cover_has_header_and_footer(pdf: PdfReader, rendered: Path) -> None:
    html = (rendered / "packet.html").read_text(encoding="utf-8")
    start = html.index("packet GK-") + len("packet ")
    pid = html[start : start + len("GK-XXXX-XXXX-XXXX")]
    total = len(pdf.pages)
    for number, page in enumerate(pdf.pages, start=1):
        text = page.extract_text() or ""
        assert f"packet {pid}" in text, number
        assert f"page {number} of {total}" in text, number


def test_each_document_is_shown_in_full(pdf_text: str, project: Path) -> None:
    flat = _flat(pdf_text)
    for kind in ("dataset_card", "model_card", "experiment_plan", "risk_checklist"):
        data = yaml.safe_load((project.parent / "docs" / f"{kind}.yaml").read_text("utf-8"))
        leaves = _leaf_strings(data)
        assert len(leaves) > 10, kind
        for path, text in leaves:
            assert _flat(text) in flat, (kind, path)


def _leaf_strings(node: object, path: str = "") -> list[tuple[str, str]]:
    if isinstance(node, dict):
        return [p for k, v in node.items() for p in _leaf_strings(v, f"{path}.{k}")]
    if isinstance(node, list):
        return [p for i, v in enumerate(node) for p in _leaf_strings(v, f"{path}[{i}]")]
    return [(path, node)] if isinstance(node, str) and len(node) > 3 else []


def test_curves_come_from_the_checks_figures(pdf_text: str, report: Report) -> None:
    flat = " ".join(pdf_text.split())
    membership = report.result("privacy.membership_inference")
    calibration = report.result("performance.calibration")
    assert membership is not None and calibration is not None
    # The ROC chart's legend names the strongest attack the check found.
    assert f"{membership.details['strongest_attack']} attack" in flat
    assert "false positive rate" in flat and "true positive rate" in flat
    assert "mean predicted probability" in flat and "observed frequency" in flat
    for result, name in ((membership, "roc_auc"), (calibration, "ece")):
        m = next(m for m in result.measurements if m.name == name and m.group is None)
        assert f"overall {format_value(m.value)} {format_interval(m.ci)}" in flat, name


def test_coverage_matrix_totals(pdf_text: str, project: Path, report: Report) -> None:
    from govkit.documents.coverage import compute_coverage
    from govkit.documents.load import load_document
    from govkit.render.autofill import document_fills, filled_refs

    docs = [
        load_document(project.parent / "docs" / f"{k}.yaml").model
        for k in ("dataset_card", "model_card", "experiment_plan", "risk_checklist")
    ]
    flat = _flat(pdf_text[pdf_text.rindex("Standards coverage matrix") :])
    # fields the report fills are shown filled in the packet, so they count as covered
    filled = filled_refs(docs, document_fills(docs, report))
    assert filled
    totals = compute_coverage(docs, filled=filled).totals
    assert totals
    assert sum(t.covered for t in totals) > sum(t.covered for t in compute_coverage(docs).totals)
    # every item of the crosswalk is listed, under its status
    items = compute_coverage(docs, filled=filled).items
    assert len(items) == 284
    # a page break puts the running header and footer inside an item's text
    system = re.escape(_flat(f"{report.system.name} {report.system.version}"))
    running = re.compile(system + r"·packetGK-[0-9A-F-]+?(?:govkitreviewpacket|page\d+of\d+)")
    unbroken = running.sub("", flat)
    for item in items:
        assert _flat(f"{item.item_id} {item.label}") in unbroken, item.item_id
    assert _flat("Missing (") in flat and _flat("Covered (") in flat
    for t in totals:
        assert _flat(f"{t.name} {t.covered} {t.missing} {t.out_of_scope} {t.total}") in flat


def test_provenance_hashes_versions_seed_device(
    pdf_text: str, report: Report, project: Path
) -> None:
    flat = _flat(pdf_text[pdf_text.rindex("Provenance") :])
    p = report.provenance
    for fact in (f"Seed{p.seed}", f"Device{p.device}", f"Python{p.python}", p.config_sha256):
        assert fact in flat, fact
    for artifact in p.artifacts:
        assert artifact.sha256 in flat, artifact.role
    for path in [*(project.parent / "docs").glob("*.yaml"), project]:
        assert hashlib.sha256(path.read_bytes()).hexdigest() in flat, path.name


def test_every_status_badge_has_a_style(rendered: Path) -> None:
    import re

    html = (rendered / "packet.html").read_text(encoding="utf-8")
    badges = set(re.findall(r'<span class="status (status-[^"]+)">', html))
    # the cover counts every status, so each one is drawn at least once
    assert {f"status-{s.replace('_', '-')}" for s in STATUS_ORDER} <= badges
    style = html[html.index("<style>") : html.index("</style>")]
    for badge in badges:
        assert "_" not in badge and f".{badge}" in style, badge
