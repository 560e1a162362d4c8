"""The rendered packet, read back: files, PDF content, attachments, metadata, security."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from pypdf import PdfReader

from govkit.render.context import format_interval, format_value
from govkit.render.manifest import MANIFEST_NAME
from govkit.report import Report

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
            "packet.pdf",
            "report.json",
            "report.md",
        ]
    )
    manifest = json.loads((rendered / MANIFEST_NAME).read_text(encoding="utf-8"))
    listed = {e["path"]: e for e in manifest["files"]}
    assert set(listed) == set(names) - {MANIFEST_NAME}
    assert listed["packet.pdf"]["bytes"] == (rendered / "packet.pdf").stat().st_size


def test_pdf_has_cover_contents_and_every_section(pdf: PdfReader, pdf_text: str) -> None:
    assert len(pdf.pages) >= 10
    cover = pdf.pages[0].extract_text()
    for expected in ("adult-income", "Version 1.0.0", "2025-03-04 05:06 UTC", "pass", "skipped"):
        assert expected in cover
    contents = pdf.pages[1].extract_text()
    for entry in (
        "Contents",
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
    assert b'pdfaid:part="3"' in xmp and b'pdfaid:conformance="B"' in xmp
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


def test_rendering_twice_gives_identical_bytes(rendered: Path, project: Path) -> None:
    from govkit.commands.render import run_render

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
