"""The PDF read back as a screen reader and an archive see it: tags, language, outline, attachments."""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterator
from html import unescape
from pathlib import Path

import pikepdf
import pytest

from govkit.report import Report

pytestmark = pytest.mark.slow  # shares the session's rendered packet with test_packet.py


@pytest.fixture(scope="module")
def pdf(rendered: Path) -> Iterator[pikepdf.Pdf]:
    with pikepdf.open(rendered / "packet.pdf") as opened:
        yield opened


@pytest.fixture(scope="module")
def html(rendered: Path) -> str:
    return (rendered / "packet.html").read_text(encoding="utf-8")


def _elements(node: object) -> Iterator[pikepdf.Dictionary]:
    """Every structure element under ``node``, depth first (marked-content ids are skipped)."""
    if isinstance(node, pikepdf.Array):
        for child in node:
            yield from _elements(child)
    elif isinstance(node, pikepdf.Dictionary) and "/S" in node:
        yield node
        if "/K" in node:
            yield from _elements(node.K)


@pytest.fixture(scope="module")
def tags(pdf: pikepdf.Pdf) -> list[pikepdf.Dictionary]:
    return list(_elements(pdf.Root.StructTreeRoot.K))


def _outline(pdf: pikepdf.Pdf) -> list[tuple[int, str]]:
    with pdf.open_outline() as outline:

        def walk(items: list[pikepdf.OutlineItem], level: int) -> Iterator[tuple[int, str]]:
            for item in items:
                yield level, item.title
                yield from walk(item.children, level + 1)

        return list(walk(outline.root, 1))


def test_marked_and_in_english(pdf: pikepdf.Pdf) -> None:
    assert bool(pdf.Root.MarkInfo.Marked) is True
    assert str(pdf.Root.Lang) == "en"
    assert bool(pdf.Root.ViewerPreferences.DisplayDocTitle) is True


def test_identified_as_pdf_a_3a(pdf: pikepdf.Pdf) -> None:
    meta = pdf.open_metadata()
    assert meta["pdfaid:part"] == "3"
    assert meta["pdfaid:conformance"] == "A"


def test_headings_are_heading_structure(tags: list[pikepdf.Dictionary], html: str) -> None:
    kinds = Counter(str(t.S) for t in tags)
    assert kinds["/Document"] == 1
    # every h1-h3 of the page is a heading element in the tree (a heading never
    # splits over two pages: the style sheet keeps it with what follows)
    for level in (1, 2, 3):
        assert kinds[f"/H{level}"] == len(re.findall(rf"<h{level}[\s>]", html)), level
    assert kinds["/H2"] >= 10


def test_table_header_cells_are_th(tags: list[pikepdf.Dictionary], html: str) -> None:
    kinds = Counter(str(t.S) for t in tags)
    # a header row repeats on every page its table spans, so there may be more
    assert kinds["/TH"] >= len(re.findall(r"<th[\s>]", html)) > 20
    assert kinds["/Table"] >= len(re.findall(r"<table[\s>]", html))  # again per page
    for t in tags:
        if t.S == "/TH":
            assert str(t.P.S) == "/TR"
    # every data cell names its header cells: the column's, and the row's in label-value tables
    ids = {str(t.ID) for t in tags if t.S == "/TH"}
    cells = [t for t in tags if t.S == "/TD"]
    assert cells
    for cell in cells:
        headers = [str(h) for h in cell.A.get("/Headers", [])]
        assert headers and set(headers) <= ids


def test_every_figure_has_its_alternative_text(
    tags: list[pikepdf.Dictionary], html: str, report: Report
) -> None:
    figures = [t for t in tags if t.S == "/Figure"]
    alts = re.findall(r'<img\b[^>]*\salt="([^"]*)"', html)
    assert len(figures) == html.count("<img") == len(alts) >= 3
    assert sorted(str(f.Alt) for f in figures) == sorted(unescape(a) for a in alts)
    assert all(str(f.Alt).strip() for f in figures)


def test_outline_has_every_section_and_every_check(pdf: pikepdf.Pdf, report: Report) -> None:
    outline = _outline(pdf)
    titles = [t for _, t in outline]
    for section in (
        "Contents",
        "Check results",
        "Risk traceability matrix",
        "Standards coverage matrix",
        "Sign-off",
        "Provenance",
        "Minimal model card",
        "Model details",
    ):
        assert section in titles, section
    for r in report.results:
        entries = [(lvl, t) for lvl, t in outline if t.startswith(f"{r.id}: ")]
        assert entries == [(2, f"{r.id}: {r.title}")], r.id
    # a check sits under "Check results" in the outline
    results_at = titles.index("Check results")
    first_check = min(titles.index(f"{r.id}: {r.title}") for r in report.results)
    assert first_check == results_at + 1


def test_attachments_stay_associated_files(pdf: pikepdf.Pdf, rendered: Path, project: Path) -> None:
    attached = pdf.attachments
    assert (
        attached["report.json"].get_file().read_bytes() == (rendered / "report.json").read_bytes()
    )
    source = (project.parent / "docs" / "model_card.yaml").read_bytes()
    assert attached["docs_model_card.yaml"].get_file().read_bytes() == source
    associated = {str(spec.UF): str(spec.AFRelationship) for spec in pdf.Root.AF}
    assert associated["report.json"] == "/Data"
    for name in ("dataset_card", "model_card", "experiment_plan", "risk_checklist"):
        assert associated[f"docs_{name}.yaml"] == "/Source"


def test_folded_sections_are_laid_out_in_full(rendered: Path, html: str) -> None:
    from pypdf import PdfReader

    assert html.count('<details class="fold">') >= 20
    # words inside folded sections: the dataset card's last one, the model card's first
    wanted = {"Document header": 1, "Flags readings above a fixed temperature.": 1}
    text = ""
    for page in PdfReader(rendered / "packet.pdf").pages:  # stop once all are found
        text += " " + " ".join((page.extract_text() or "").split())
        if all(text.count(words) >= n for words, n in wanted.items()):
            break
    for words, n in wanted.items():
        assert text.count(words) >= n, words
