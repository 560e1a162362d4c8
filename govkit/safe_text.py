"""Text from data made safe to show: control characters visible, XML-legal.

Group values and column names come from the user's data, so they can hold
anything: an ESC that recolours a terminal or hides a line, a NUL or other C0
control that XML 1.0 forbids (a junit.xml or SVG that no parser accepts), a
bidirectional override that makes ``A`` read as ``B`` (the "Trojan Source"
trick), or a lone surrogate that cannot be encoded as UTF-8 at all.

:func:`visible` turns each of these into a visible ``\\uXXXX`` escape
instead of dropping it, so two groups that differ only by an invisible
character still read differently (``\\x1b`` → ``\\u001b``). The escape is
plain ASCII, so every font can draw it: Unicode's control pictures (``␛``)
are missing from the fonts the charts and the PDF use. Every sink (Markdown,
HTML, SVG and Matplotlib text, XML, the terminal) applies it on top of its
own escaping.

This module is small and has no dependencies, so the pre-commit path can use it.
"""

from __future__ import annotations

__all__ = ["visible"]


def _escape(code: int) -> str:
    return f"\\u{code:04x}"


def _table(keep_newlines: bool) -> dict[int, str]:
    table: dict[int, str] = {c: _escape(c) for c in range(0x20)}  # C0 controls
    if keep_newlines:
        for c in (0x09, 0x0A, 0x0D):  # tab, line feed, carriage return: legal in XML text
            del table[c]
    table[0x7F] = _escape(0x7F)  # DEL
    table.update({c: _escape(c) for c in range(0x80, 0xA0)})  # C1 controls
    # zero-width and bidirectional format characters: invisible, or reorder what follows
    for first, last in ((0x200B, 0x200F), (0x202A, 0x202E), (0x2060, 0x2069), (0xFEFF, 0xFEFF)):
        table.update({c: _escape(c) for c in range(first, last + 1)})
    table.update({c: _escape(c) for c in range(0xD800, 0xE000)})  # lone surrogates
    table.update({0xFFFE: _escape(0xFFFE), 0xFFFF: _escape(0xFFFF)})
    return table


_ONE_LINE = _table(keep_newlines=False)
_MULTI_LINE = _table(keep_newlines=True)


def visible(text: object, *, keep_newlines: bool = False) -> str:
    """``text`` with every control and invisible format character made visible.

    Parameters
    ----------
    text
        Any value; it is converted with ``str``.
    keep_newlines
        Keep tab, line feed and carriage return (for multi-line text such as a
        message); otherwise they are escaped too.

    Examples
    --------
    >>> print(visible("a\\x1b[31mb"))
    a\\u001b[31mb
    >>> print(visible("x\\u202ey"))
    x\\u202ey
    """
    return str(text).translate(_MULTI_LINE if keep_newlines else _ONE_LINE)
