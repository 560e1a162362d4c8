"""The packet as a page to mail or open offline: folding documents, scrolling tables, nothing fetched.

The packet HTML is made of two kinds of text only: the autoescaped packet
template and the documents' Markdown converted with raw HTML off. In both, a
``<`` in the user's text comes out as ``&lt;``, so every ``<h2``, ``<table``
or ``<img`` left in the page is markup govkit wrote. That is what lets the
small rewrites below work on the text of the page: they can never match
inside a document's words.

One rule holds for the finished page, checked by :func:`off_page_references`:
it loads nothing from anywhere else. Charts are ``data:`` URIs, the style
sheet is inline, there are no scripts or web fonts. Links a document gives
(http, https, mailto) stay clickable; following one is the reader's choice,
not a request the page makes when it opens.
"""

from __future__ import annotations

import base64
import binascii
import re
from html.parser import HTMLParser

__all__ = [
    "FALLBACK_ALT",
    "LINK_SCHEMES",
    "finish_page",
    "fold_sections",
    "off_page_references",
]

#: The alternative text of a figure that came without one: never silent for a screen reader.
FALLBACK_ALT = "Chart of this check's figures; the table below gives the same figures as text."

#: Where a link may point when followed (a navigation, not a request made on opening).
LINK_SCHEMES = ("http://", "https://", "mailto:")

_SVG_URI = "data:image/svg+xml;base64,"
_H2 = re.compile(r"<h2[\s>]")
_H2_END = "</h2>"
# Tables never nest in the packet (Markdown has no nested tables, the template none),
# so the first </table> after a <table> closes it.
_TABLE = re.compile(r"<table[\s>].*?</table>", re.DOTALL)
_IMG = re.compile(r"<img\b[^>]*>")
_TH = re.compile(r"<th(?=[\s>])(?![^>]*\sscope=)")
_ROW_TH = re.compile(r"(<tr[^>]*>\s*)<th(?=[\s>])(?![^>]*\sscope=)")
_ID = re.compile(r'\sid="([^"]+)"')
_IN_PAGE_LINK = re.compile(r'<a href="#([^"]*)">(.*?)</a>', re.DOTALL)
_ALT = re.compile(r'\salt="([^"]*)"')


def fold_sections(fragment: str) -> str:
    """Put each second-level section of a document into a ``<details>`` that expands.

    The heading stays a real ``<h2>`` inside the ``<summary>``, so the
    section is still a heading for screen readers, the PDF structure tree and
    its bookmarks, and the table of contents still links to it. Print and PDF
    show every section in full (the style sheet opens them for print;
    WeasyPrint lays out closed ones anyway).
    """
    starts = [m.start() for m in _H2.finditer(fragment)]
    if not starts:
        return fragment
    out = [fragment[: starts[0]]]
    for i, start in enumerate(starts):
        end = starts[i + 1] if i + 1 < len(starts) else len(fragment)
        section = fragment[start:end]
        cut = section.index(_H2_END) + len(_H2_END)
        heading, body = section[:cut], section[cut:]
        out.append(
            f'<details class="fold"><summary>{heading}</summary>\n{body.strip()}\n</details>\n'
        )
    return "".join(out)


def _with_alt(match: re.Match[str]) -> str:
    tag = match.group(0)
    alt = _ALT.search(tag)
    if alt is not None and alt.group(1).strip():
        return tag
    if alt is not None:
        tag = tag[: alt.start()] + tag[alt.end() :]
    return tag[:4] + f' alt="{FALLBACK_ALT}"' + tag[4:]


def _scoped(table: str) -> str:
    """Say which cells a header cell heads: its column (in the head) or its row (first in a row).

    WeasyPrint links every data cell of the tagged PDF to its header cells
    from these; a label-value table (``<tr><th>Packet id</th><td>…``) would
    otherwise have its labels taken as column headers of an empty column.
    """
    cut = table.find("</thead>")
    head, body = (table[:cut], table[cut:]) if cut >= 0 else ("", table)
    return _TH.sub('<th scope="col"', head) + _ROW_TH.sub(r'\1<th scope="row"', body)


def _wrapped(match: re.Match[str]) -> str:
    return f'<div class="table-scroll">{_scoped(match.group(0))}</div>'


def finish_page(html: str) -> str:
    """The last touches to the whole page, for screens and for assistive technology.

    * Every table sits in a ``<div class="table-scroll">``: on a narrow
      screen a wide table scrolls inside it instead of widening the page.
      The style sheet makes it scroll on screens only; print lays tables out
      as before. Its header cells say whether they head a column or a row.
    * Every image has non-empty alternative text; WeasyPrint turns it into
      the ``/Alt`` of the Figure element in the tagged PDF.
    * A link to a part of the page that is not there (a risk control naming
      a check the report does not hold) becomes plain text: a link that goes
      nowhere misleads a screen reader and is a dead link in the PDF.
    """
    html = _TABLE.sub(_wrapped, html)
    html = _IMG.sub(_with_alt, html)
    ids = set(_ID.findall(html))
    return _IN_PAGE_LINK.sub(lambda m: m.group(0) if m.group(1) in ids else m.group(2), html)


class _References(HTMLParser):
    """Collects every URL the page would load, and every link it offers."""

    #: Attributes that make a browser fetch something (or run it) as the page opens.
    LOADING = frozenset(
        {"src", "srcset", "poster", "data", "action", "formaction", "background", "ping"}
    )

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.loads: list[str] = []
        self.links: list[str] = []
        self._in_style = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        for name, value in attrs:
            value = (value or "").strip()
            if name == "href":
                (self.links if tag == "a" else self.loads).append(value)
            elif name in self.LOADING or name.endswith(":href"):
                self.loads.append(value)
            elif name == "style":
                self.loads.extend(_css_urls(value))
        if tag == "script":
            self.loads.append("<script>")
        self._in_style = tag == "style"

    def handle_endtag(self, tag: str) -> None:
        self._in_style = False

    def handle_data(self, data: str) -> None:
        if self._in_style:
            self.loads.extend(_css_urls(data))


def _css_urls(css: str) -> list[str]:
    found = re.findall(r"url\(\s*['\"]?([^'\")\s]*)", css)
    found += re.findall(r"@import\s+['\"]([^'\"]*)", css)
    return found


def off_page_references(html: str) -> list[str]:
    """Every reference in ``html`` that would reach outside the page; empty when self-contained.

    What the page loads (``src``, ``<link href>``, ``url(...)`` in CSS,
    scripts) must be a ``data:`` URI or an in-page ``#anchor``. A link
    (``<a href>``) is an ``#anchor`` or an http, https or mailto address.
    """
    parser = _References()
    parser.feed(html)
    parser.close()
    bad = [u for u in parser.loads if not u.startswith(("#", "data:"))]
    bad += [u for u in parser.links if not u.startswith(("#", *LINK_SCHEMES))]
    for uri in parser.loads:  # an inline SVG chart is a page of its own: look inside it too
        if uri.startswith(_SVG_URI):
            try:
                svg = base64.b64decode(uri[len(_SVG_URI) :], validate=True).decode("utf-8")
            except (binascii.Error, UnicodeDecodeError):
                bad.append(uri[:40] + "... (not readable base64 SVG)")
                continue
            bad += off_page_references(svg)
    return bad
