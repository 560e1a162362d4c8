"""The page rewrites: folding sections, scrolling tables, alt text, and nothing loaded from elsewhere."""

from __future__ import annotations

import base64
from pathlib import Path

import pytest

from govkit.render.markdown import to_html
from govkit.render.page import FALLBACK_ALT, finish_page, fold_sections, off_page_references

DOC = """# A card

- **Version:** 1.0

## Overview

Plain words. <h2>not a heading</h2> and <table> typed by a user.

| a | b |
| --- | --- |
| 1 | 2 |

## Risks

### Bias

More words.
"""


def test_each_section_folds_and_keeps_its_heading() -> None:
    html, headings = to_html(DOC, anchor_prefix="doc-a")
    folded = fold_sections(html)
    assert folded.count('<details class="fold">') == 2
    # the heading is still an h2 with its anchor, now the summary of its section
    for h in (h for h in headings if h.level == 2):
        assert f'<summary><h2 id="{h.anchor}">{h.text}</h2></summary>' in folded
    # the title and the header list stay outside, always visible
    head = folded[: folded.index("<details")]
    assert "<h1" in head and "Version:" in head
    # a user's typed markup is text, never a place to cut
    assert "&lt;h2&gt;not a heading&lt;/h2&gt;" in folded
    # nothing is lost: stripping the wrappers gives back every word
    for word in ("Plain words.", "More words.", "<h3", "<td>2</td>"):
        assert word in folded
    assert folded.count("<details") == folded.count("</details>")


def test_a_fragment_without_sections_is_unchanged() -> None:
    html, _ = to_html("# Title\n\nJust text.\n", anchor_prefix="d")
    assert fold_sections(html) == html


def test_tables_get_a_scrolling_wrapper_and_images_an_alt() -> None:
    page = (
        "<p>&lt;table&gt;</p><table class='x'><tr><td>1</td></tr></table>"
        '<img src="data:image/png;base64,AA==">'
        '<img src="data:image/png;base64,AA==" alt="">'
        '<img src="data:image/png;base64,AA==" alt="Accuracy by group">'
    )
    out = finish_page(page)
    assert out.count('<div class="table-scroll"><table') == 1
    assert "<p>&lt;table&gt;</p>" in out
    assert out.count(f'alt="{FALLBACK_ALT}"') == 2
    assert 'alt="Accuracy by group"' in out and 'alt=""' not in out


def test_header_cells_say_what_they_head() -> None:
    page = finish_page(
        "<table><thead><tr><th>Status</th><th style='x'>Checks</th></tr></thead>"
        "<tbody><tr><td>pass</td><td>3</td></tr></tbody></table>"
        "<table><tr><th>Packet id</th><td>GK-1</td></tr>\n<tr>\n  <th>Date</th><td>d</td></tr></table>"
    )
    assert page.count('<th scope="col"') == 2 and page.count('<th scope="row"') == 2
    assert "<th>" not in page


def test_links_to_nothing_become_text() -> None:
    page = (
        '<nav><a href="#check-a">a</a></nav><article id="check-a">A</article>'
        '<td><a href="#check-missing">missing.check</a></td>'
    )
    out = finish_page(page)
    assert '<a href="#check-a">a</a>' in out
    assert "<td>missing.check</td>" in out


@pytest.mark.parametrize(
    "page",
    [
        '<img src="https://example.org/x.png" alt="x">',
        '<img srcset="//cdn.example.org/x.png 2x" alt="x">',
        '<link rel="stylesheet" href="https://example.org/a.css">',
        "<style>body { background: url('https://example.org/bg.png') }</style>",
        '<style>@import "https://example.org/a.css";</style>',
        '<p style="background:url(file:///etc/passwd)">x</p>',
        "<script>1</script>",
        '<a href="javascript:alert(1)">x</a>',
        '<a href="file:///etc/passwd">x</a>',
        '<svg><image xlink:href="https://example.org/x.png"/></svg>',
        '<img alt="c" src="data:image/svg+xml;base64,'
        + base64.b64encode(b'<svg><image href="https://example.org/x.png"/></svg>').decode()
        + '">',
    ],
)
def test_anything_loaded_from_elsewhere_is_found(page: str) -> None:
    assert off_page_references(f"<html><body>{page}</body></html>")


def test_anchors_data_uris_and_followed_links_are_on_the_page() -> None:
    page = (
        '<a href="#check-x">x</a><img src="data:image/png;base64,AA==" alt="c">'
        "<style>.a { color: red }</style>"
        '<a href="https://example.org/dataset">source</a><a href="mailto:a@example.org">m</a>'
    )
    assert off_page_references(page) == []


def test_a_template_that_loads_from_elsewhere_is_refused(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from govkit.cli import main
    from tests.helpers import make_project

    config = make_project(tmp_path)
    mine = tmp_path / "my_templates"
    mine.mkdir()
    (mine / "packet.css").write_text(
        "body { background: url('https://fonts.example.org/paper.png'); }\n", encoding="utf-8"
    )
    out = tmp_path / "packet"
    code = main(
        [
            "render",
            "-c",
            str(config),
            "--format",
            "html",
            "--templates",
            str(mine),
            "--out",
            str(out),
        ]
    )
    err = capsys.readouterr().err
    assert code == 2
    assert "https://fonts.example.org/paper.png" in err and "data: URI" in err
    assert "Traceback" not in err
    assert not out.exists()
