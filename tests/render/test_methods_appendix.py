"""The packet's Methods appendix, and each waiver's scope in the packet.

Every built-in check has a Methods entry (estimator, interval, group-size
rule, judging rule), and the rendered packet carries the entry of every
check in its report, in Markdown, HTML and PDF.
"""

from __future__ import annotations

import html
import re
from datetime import date
from pathlib import Path

import pytest

from govkit.checks.methods import GATE_RULES, METHODS, method_for
from govkit.checks.registry import BUILTIN_CHECKS
from govkit.commands.render import run_render
from govkit.report import CheckResult, Report, ResultWaiver
from tests.helpers import build_report, make_project

FIELDS = ("estimator", "interval", "group_size", "judging")


def test_every_builtin_check_has_a_complete_entry() -> None:
    assert set(METHODS) == set(BUILTIN_CHECKS)
    for check_id, method in METHODS.items():
        for name in FIELDS:
            text = getattr(method, name)
            # a short statement or two, each a finished sentence
            assert 20 <= len(text) <= 700, (check_id, name, len(text))
            assert text.rstrip().endswith("."), (check_id, name)
    assert method_for("vendor.custom") is None
    assert all(rule.endswith(".") for rule in GATE_RULES)


def _scoped(report: Report) -> Report:
    """The fixture report, with a scoped waiver and a second one applied with it."""
    results: list[CheckResult] = []
    for r in report.results:
        if r.waiver is not None:
            second = ResultWaiver(
                owner="Data Office",
                justification="Intersection accepted for one release.",
                expires=date(2027, 1, 31),
                feature="sex&race",
            )
            waiver = r.waiver.model_copy(update={"feature": "sex", "limit": 0.25, "also": [second]})
            r = r.model_copy(update={"waiver": waiver})
        results.append(r)
    third_party = results[0].model_copy(update={"id": "vendor.custom", "title": "Vendor check"})
    return report.model_copy(update={"results": [*results, third_party]})


@pytest.fixture(scope="module")
def packet(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Report]:
    report = _scoped(build_report(n_rows=400))
    root = tmp_path_factory.mktemp("methods")
    config = make_project(root, report=report)
    out = root / "packet"
    code = run_render(str(config), report=None, out=str(out), formats="md,html", templates=None)
    assert code == 0
    return out, report


def _unescape_md(text: str) -> str:
    """Markdown text as a reader sees it: the renderer escapes ``_``, ``*`` and the like."""
    return re.sub(r"\\([\\`*_{}\[\]()#+\-.!|<>&])", r"\1", text)


def _text(markup: str) -> str:
    return re.sub(r"\s+", " ", html.unescape(re.sub(r"<[^>]+>", " ", markup)))


def test_html_appendix_lists_every_check_of_the_report(packet: tuple[Path, Report]) -> None:
    out, report = packet
    page = (out / "packet.html").read_text(encoding="utf-8")
    appendix = _text(page[page.index('<section class="chapter" id="methods">') :])
    assert appendix.startswith(" Methods ")
    assert 'href="#methods"' in page  # listed in the contents
    for rule in GATE_RULES:
        assert rule in appendix
    for r in report.results:
        assert f"{r.id}: {r.title}" in appendix
        method = method_for(r.id)
        if method is None:
            assert "Not documented" in appendix
            continue
        for name in FIELDS:
            assert getattr(method, name) in appendix, (r.id, name)


def test_markdown_report_has_the_appendix(packet: tuple[Path, Report]) -> None:
    out, report = packet
    text = _unescape_md((out / "report.md").read_text(encoding="utf-8"))
    appendix = text[text.index("## Methods") :]
    for r in report.results:
        assert f"### {r.id}: {r.title}" in appendix
    assert METHODS["fairness.demographic_parity"].judging in appendix


def test_the_packet_shows_each_waivers_scope(packet: tuple[Path, Report]) -> None:
    out, _ = packet
    page = _text((out / "packet.html").read_text(encoding="utf-8"))
    assert "Waived by Review Board until 2027-05-31, for feature=sex, limit=0.25" in page
    assert "Waived by Data Office until 2027-01-31, for feature=sex&race" in page
    # the traceability matrix names the scope beside the owner
    trace = page[page.index("Risk traceability matrix") :]
    assert "for feature=sex, limit=0.25" in trace
    md = _unescape_md((out / "report.md").read_text(encoding="utf-8"))
    assert "accepted by Review Board until 2027-05-31, for feature=sex, limit=0.25" in md


def test_an_unscoped_waiver_says_so(tmp_path: Path) -> None:
    report = build_report(n_rows=400)
    config = make_project(tmp_path, report=report)
    assert (
        run_render(
            str(config), report=None, out=str(tmp_path / "p"), formats="html", templates=None
        )
        == 0
    )
    page = _text((tmp_path / "p" / "packet.html").read_text(encoding="utf-8"))
    assert "for every failure of the check (no scope)" in page


@pytest.mark.slow
def test_pdf_has_the_appendix_with_every_check(rendered: Path, report: Report) -> None:
    from pypdf import PdfReader

    reader = PdfReader(rendered / "packet.pdf")
    text = re.sub(r"\s+", " ", "\n".join(page.extract_text() or "" for page in reader.pages))
    start = text.rindex("Methods How the gate reaches its verdict")
    appendix = text[start:]
    for r in report.results:
        assert r.id in appendix, r.id
    assert "Estimator" in appendix and "Group size" in appendix and "Judging" in appendix
