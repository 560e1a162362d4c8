"""Hostile text from data in every sink: Markdown, HTML, SVG, Matplotlib, junit XML, terminal.

A group value is data: it may hold Markdown and HTML syntax, Matplotlib math
text, an ANSI escape, a NUL, a bidi override and a lone surrogate. Rendered,
it must stay inert text in each output, and every control character must be
shown, not passed on.
"""

from __future__ import annotations

import base64
import re
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from govkit.cli import main
from govkit.render.charts import charts_for
from govkit.render.verify import verify_packet
from govkit.report import CheckResult, Measurement, Report
from govkit.runner.console import format_summary
from govkit.runner.write import write_junit
from govkit.safe_text import visible
from tests.helpers import build_report, make_project

#: math text that Matplotlib cannot parse (an unclosed \frac), markup, controls
HOSTILE = "$\\frac{a}{$ <b>x</b> *y* | ]]> \x1b[31mred\x00 \u202eevil \x85 end"
#: how the controls read in every output
SHOWN = "\\u001b[31mred\\u0000"
#: what must never appear raw in any output
RAW_CONTROLS = ("\x1b", "\x00", "\u202e", "\x85")


def _hostile_report() -> Report:
    report = build_report(n_rows=400)
    results: list[CheckResult] = []
    for r in report.results:
        if r.id == "fairness.demographic_parity":
            ms = [
                m.model_copy(update={"group": {"sex": HOSTILE}})
                if m.group == {"sex": "Female"}
                else m
                for m in r.measurements
            ]
            ms.append(Measurement(name="selection_rate", group={HOSTILE: "x"}, value=0.5, n=40))
            r = r.model_copy(
                update={"measurements": ms, "message": f"Rates differ for sex={HOSTILE}."}
            )
        if r.id == "attribution.importance":
            ms = [r.measurements[0].model_copy(update={"feature": HOSTILE}), *r.measurements[1:]]
            r = r.model_copy(update={"measurements": ms})
        results.append(r)
    return report.model_copy(update={"results": results})


@pytest.fixture(scope="module")
def hostile_report() -> Report:
    return _hostile_report()


@pytest.fixture(scope="module")
def packet(tmp_path_factory: pytest.TempPathFactory, hostile_report: Report) -> Path:
    root = tmp_path_factory.mktemp("hostile")
    config = make_project(root, report=hostile_report)
    assert main(["render", "-c", str(config), "--format", "md,html"]) == 0
    return root / "build" / "packet"


def _no_raw_controls(text: str) -> None:
    for char in RAW_CONTROLS:
        assert char not in text, f"{char!r} reached the output"


def test_markdown_shows_the_value_literally(packet: Path) -> None:
    text = (packet / "report.md").read_text(encoding="utf-8")
    _no_raw_controls(text)
    # escaped for Markdown: the math, the HTML and the emphasis are literal characters
    # (\x85 is whitespace to Python: one line of Markdown folds it into a space)
    assert (
        "\\$\\\\frac{a}{\\$ \\<b\\>x\\</b\\> \\*y\\* \\| \\]\\]\\> "
        "\\\\u001b\\[31mred\\\\u0000 \\\\u202eevil end"
    ) in text


def test_html_escapes_markup_and_shows_controls(packet: Path) -> None:
    html = (packet / "packet.html").read_text(encoding="utf-8")
    _no_raw_controls(html)
    assert "<b>x</b>" not in html
    assert "&lt;b&gt;x&lt;/b&gt;" in html and SHOWN in html
    assert verify_packet(packet).ok


def _svgs(html: str) -> list[str]:
    uris = re.findall(r"data:image/svg\+xml;base64,([A-Za-z0-9+/=]+)", html)
    return [base64.b64decode(u).decode("utf-8") for u in uris]


def test_svg_charts_are_well_formed_and_draw_text_literally(packet: Path) -> None:
    svgs = _svgs((packet / "packet.html").read_text(encoding="utf-8"))
    assert svgs
    labelled = [s for s in svgs if "frac" in s]
    # the group chart and the attribution chart both carry the hostile label
    assert len(labelled) >= 2
    for svg in svgs:
        ET.fromstring(svg)  # every SVG parses as XML: no raw control character in it
        _no_raw_controls(svg)
    for svg in labelled:
        # svg.fonttype none writes text as text: the dollar signs are drawn, not parsed
        assert "$\\frac{a}{$" in svg and SHOWN in svg


def test_math_text_in_a_group_value_draws(hostile_report: Report) -> None:
    result = next(r for r in hostile_report.results if r.id == "fairness.demographic_parity")
    for value in ("$x$", "$\\frac{", "$$", "a$b$c$", "\\$"):
        ms = [m.model_copy(update={"group": {"g": value}}) for m in result.measurements[2:4]]
        charts = charts_for(result.model_copy(update={"measurements": ms}))
        assert charts, value


def test_junit_xml_is_valid_and_shows_controls(tmp_path: Path, hostile_report: Report) -> None:
    path = write_junit(hostile_report, tmp_path, suite_name="hostile")
    raw = path.read_text(encoding="utf-8")
    _no_raw_controls(raw)
    root = ET.parse(path).getroot()
    messages = [el.get("message") or "" for el in root.iter() if el.get("message")]
    outputs = [el.text or "" for el in root.iter("system-out")]
    shown = [t for t in messages + outputs if "frac" in t]
    assert shown and all(SHOWN in t and "<b>x</b>" in t for t in shown)


def test_terminal_summary_has_no_escape_sequences(hostile_report: Report) -> None:
    text = format_summary(hostile_report, {r.id: HOSTILE for r in hostile_report.results})
    _no_raw_controls(text)
    assert SHOWN in text


@pytest.mark.parametrize(
    ("raw", "shown"),
    [
        ("a\x1bb", "a\\u001bb"),
        ("\x00\x07\x7f", "\\u0000\\u0007\\u007f"),
        ("tab\there", "tab\\u0009here"),
        ("\u200bzero\u2066", "\\u200bzero\\u2066"),
        ("\ud800", "\\ud800"),
        ("\ufffe", "\\ufffe"),
        ("plain é ü 中文 🙂", "plain é ü 中文 🙂"),
    ],
)
def test_visible_maps_each_invisible_character(raw: str, shown: str) -> None:
    assert visible(raw) == shown
    assert visible("a\nb\tc", keep_newlines=True) == "a\nb\tc"


def test_non_finite_figures_read_n_a() -> None:
    from govkit.render.formatting import format_interval, format_value

    for value in (float("nan"), float("inf"), float("-inf")):
        assert format_value(value) == "n/a"
    assert format_interval((float("-inf"), 0.5)) == "[n/a, 0.5000]"
