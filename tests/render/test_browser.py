"""packet.html in a real browser: self-contained, no sideways scrolling, every check visible.

Chromium comes from the system's packages (`.ci/run` installs it in CI);
playwright only drives it and never downloads a browser.
"""

from __future__ import annotations

import re
import shutil
import struct
from collections.abc import Iterator
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pytest

from govkit.render.context import anchor_for
from govkit.render.page import off_page_references
from govkit.report import Report

pytestmark = pytest.mark.slow  # a packet rendered, then a browser started

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
WIDTHS = {"desktop": 1280, "mobile": 375}


@pytest.fixture(scope="module")
def page_file(project: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The HTML packet alone (no PDF), rendered for this module."""
    from govkit.commands.render import run_render

    out = tmp_path_factory.mktemp("browser") / "packet"
    assert run_render(str(project), report=None, out=str(out), formats="html", templates=None) == 0
    return out / "packet.html"


class _Links(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.ids: set[str] = set()
        self.toc: list[str] = []
        self.in_page: list[str] = []
        self._in_toc = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        found = dict(attrs)
        if found.get("id"):
            self.ids.add(str(found["id"]))
        if tag == "nav":
            self._in_toc = True
        href = str(found.get("href"))
        if tag == "a" and self._in_toc:
            self.toc.append(href)
        if tag == "a" and href.startswith("#"):
            self.in_page.append(href[1:])

    def handle_endtag(self, tag: str) -> None:
        if tag == "nav":
            self._in_toc = False


def test_the_page_needs_nothing_from_elsewhere(page_file: Path) -> None:
    html = page_file.read_text(encoding="utf-8")
    assert off_page_references(html) == []
    # the check itself finds the charts: they are inline images
    assert re.search(r'<img src="data:image/(svg\+xml|png);base64,', html)
    assert "<link" not in html and "<script" not in html and "@font-face" not in html


def test_contents_link_to_every_section_and_check(page_file: Path, report: Report) -> None:
    parser = _Links()
    parser.feed(page_file.read_text(encoding="utf-8"))
    assert parser.toc and all(href.startswith("#") for href in parser.toc)
    assert set(parser.in_page) <= parser.ids  # no link on the page goes nowhere
    for anchor in ("results", "traceability", "coverage", "signoff", "provenance"):
        assert f"#{anchor}" in parser.toc
    for r in report.results:
        assert f"#{anchor_for('check', r.id)}" in parser.toc, r.id


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    if CHROMIUM is None:
        pytest.skip("Chromium is not installed: sudo apt-get install chromium")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as driver:
        launched = driver.chromium.launch(executable_path=CHROMIUM)
        yield launched
        launched.close()


_OVERFLOW = """() => {
  const width = window.innerWidth;
  const out = [];
  for (const el of document.body.querySelectorAll('*')) {
    // a wide table may scroll inside its wrapper; the wrapper itself must fit
    if (el.parentElement && el.parentElement.closest('.table-scroll')) continue;
    const box = el.getBoundingClientRect();
    if (box.width > 0 && (box.right > width + 0.5 || box.left < -0.5)) {
      out.push(`${el.tagName}.${el.className} [${box.left}, ${box.right}]`);
    }
  }
  return {scroll: document.documentElement.scrollWidth, inner: width, out: out.slice(0, 5)};
}"""

_VISIBLE_TEXT = """(id) => {
  const shown = [...document.querySelectorAll('#results h2')].filter(
    (h) => h.textContent.startsWith(id + ':') && h.checkVisibility({checkVisibilityCSS: true}));
  return {inText: document.body.innerText.includes(id), shown: shown.length};
}"""


def _png_size(path: Path) -> tuple[int, int]:
    data = path.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    width, height = struct.unpack(">II", data[16:24])
    return width, height


@pytest.mark.parametrize("name", sorted(WIDTHS))
def test_fits_the_screen_and_shows_every_check(
    browser: Any, page_file: Path, report: Report, tmp_path: Path, name: str
) -> None:
    width = WIDTHS[name]
    page = browser.new_page(viewport={"width": width, "height": 900})
    requested: list[str] = []
    page.on("request", lambda request: requested.append(request.url))
    page.goto(page_file.as_uri())

    assert requested == [page_file.as_uri()]  # nothing but the page itself is fetched
    fit = page.evaluate(_OVERFLOW)
    assert fit["scroll"] <= fit["inner"] == width, fit
    assert fit["out"] == [], fit
    for r in report.results:
        seen = page.evaluate(_VISIBLE_TEXT, r.id)
        assert seen == {"inText": True, "shown": 1}, r.id

    shot = tmp_path / f"packet-{name}.png"
    page.screenshot(path=str(shot), full_page=False)
    assert _png_size(shot) == (width, 900)
    page.close()


def test_folded_sections_open_when_printed_or_followed(browser: Any, page_file: Path) -> None:
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    page.goto(page_file.as_uri())
    body = "details.fold > p"
    assert page.locator(body).count() > 20
    assert not page.locator(body).first.is_visible()  # folded on screen
    page.emulate_media(media="print")
    assert page.evaluate(
        f"[...document.querySelectorAll('{body}')].every((p) => p.checkVisibility())"
    )
    page.emulate_media(media="screen")
    # a link to a section inside a fold opens it
    target = page.locator("details.fold").nth(3)
    anchor = target.locator("summary h2").get_attribute("id")
    page.locator(f'nav.toc a[href="#{anchor}"]').click()
    assert target.locator(":scope > p").first.is_visible()
    page.close()
