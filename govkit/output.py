"""The one path the CLI writes through: results to stdout, diagnostics to stderr.

A command's result (a table, a JSON document, the paths it wrote, a manifest
hash) is what a script reads, so it goes to stdout; everything meant for the
person at the terminal (errors, warnings, notes, progress, summaries of what
was checked) goes to stderr, so piping a result never mixes the two. Both
look the stream up when they write: ``govkit.cli.main`` guards stdout for
the length of a run, turning a failed write (a full disk, a closed pipe) into
exit 2, and a test harness may swap either stream. Each write is flushed so
results and diagnostics reach a terminal in the order they were written.
"""

from __future__ import annotations

import sys

__all__ = ["diagnostic", "result"]


def result(text: str = "", *, end: str = "\n") -> None:
    """Write a command's result to stdout.

    Parameters
    ----------
    text
        The text, written as given.
    end
        Appended to ``text``; ``""`` for text that already ends its lines.
    """
    sys.stdout.write(text + end)
    sys.stdout.flush()


def diagnostic(text: str = "", *, end: str = "\n") -> None:
    """Write an error, warning, note or progress line to stderr.

    Parameters
    ----------
    text
        The text, written as given.
    end
        Appended to ``text``.
    """
    sys.stderr.write(text + end)
    sys.stderr.flush()
