"""A one-line progress bar on stderr for passes over many rows.

A pass over hundreds of millions of rows takes minutes, so a person at a
terminal is shown how far it has got: the label, the rows done, the rate and,
when the total is known, a bar and the time left. The line is redrawn in
place at most :data:`REDRAW_SECONDS` apart (a redraw per batch would cost more
than the batch on a fast engine and flood a slow terminal) and finished with
a newline on :meth:`Progress.close`, so the next message starts on a line of
its own.

Progress is only for a person watching: the caller decides ``enabled`` as
``govkit check`` decides for its other progress lines
(:class:`govkit.runner.console.Console`): not with ``--quiet``, and only when
stderr is a terminal (:func:`progress_enabled`). A disabled bar writes nothing
at all, so logs and pipes never see carriage returns.
"""

from __future__ import annotations

import math
import sys
import threading
import time
from collections.abc import Callable
from typing import TextIO

from govkit.safe_text import visible

__all__ = ["REDRAW_SECONDS", "Progress", "progress_enabled"]

#: the shortest time between two redraws of the line
REDRAW_SECONDS = 0.1
_BAR_WIDTH = 24


def progress_enabled(quiet: bool, stream: TextIO | None = None) -> bool:
    """Whether to show a bar: not ``quiet``, and ``stream`` (default stderr) is a terminal."""
    target = sys.stderr if stream is None else stream
    if quiet:
        return False
    try:
        return bool(target.isatty())
    except (AttributeError, ValueError):  # a closed or foreign stream is not a terminal
        return False


def _count(n: float) -> str:
    """1234 -> '1,234'; 12_345_678 -> '12.3M': short enough for one line."""
    if n >= 10_000_000_000:
        return f"{n / 1e9:.1f}G"
    if n >= 10_000_000:
        return f"{n / 1e6:.1f}M"
    return f"{int(n):,}"


def _duration(seconds: float) -> str:
    s = max(0, math.ceil(seconds))
    h, rest = divmod(s, 3600)
    m, s = divmod(rest, 60)
    return f"{h}:{m:02d}:{s:02d}" if h else f"{m}:{s:02d}"


class Progress:
    """Rows done of a pass, drawn on one line of stderr.

    Parameters
    ----------
    total_rows
        Rows the pass will read, or None when unknown (no bar, no time left).
    label
        What the pass does, e.g. ``"scoring eval"``.
    enabled
        Whether to draw; see :func:`progress_enabled`.
    stream
        Where to draw (default: stderr at each draw, as :mod:`govkit.output` does).
    clock
        Seconds as a float (default :func:`time.monotonic`); tests pass their own.

    Notes
    -----
    :meth:`advance` may be called from several threads (an engine's workers):
    the count is kept under a lock.

    Examples
    --------
    >>> import io
    >>> p = Progress(total_rows=100, label="scoring", enabled=False, stream=io.StringIO())
    >>> p.advance(100)
    >>> p.rows
    100
    >>> p.close()
    """

    def __init__(
        self,
        *,
        total_rows: int | None,
        label: str,
        enabled: bool,
        stream: TextIO | None = None,
        clock: Callable[[], float] | None = None,
    ) -> None:
        if total_rows is not None and total_rows < 0:
            raise ValueError(f"total_rows must be >= 0 or None, got {total_rows}")
        self.total_rows = total_rows
        # a label can carry a column or file name from the data: no escape reaches the terminal
        self.label = visible(label)
        self.enabled = enabled
        self.rows = 0
        self._stream = stream
        self._clock = clock or time.monotonic
        self._started = self._clock()
        self._drawn_at: float | None = None
        self._width = 0
        self._closed = False
        self._lock = threading.Lock()

    @classmethod
    def off(cls) -> Progress:
        """A progress that counts but never draws."""
        return cls(total_rows=None, label="", enabled=False)

    def advance(self, rows: int) -> None:
        """Count ``rows`` more rows done; redraw when the last draw is old enough."""
        with self._lock:
            self.rows += int(rows)
            if not self.enabled or self._closed:
                return
            now = self._clock()
            if self._drawn_at is not None and now - self._drawn_at < REDRAW_SECONDS:
                return
            self._draw(now)

    def close(self) -> None:
        """Draw the final count and end the line; later calls do nothing."""
        with self._lock:
            if self._closed:
                return
            self._closed = True
            if self.enabled:
                self._draw(self._clock())
                self._write("\n")

    def __enter__(self) -> Progress:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def line(self, now: float) -> str:
        """The text of the line at time ``now`` (without the carriage return)."""
        elapsed = max(now - self._started, 1e-9)
        rate = self.rows / elapsed
        parts = [self.label] if self.label else []
        total = self.total_rows
        if total:
            share = min(1.0, self.rows / total)
            filled = int(share * _BAR_WIDTH)
            bar = "#" * filled + "-" * (_BAR_WIDTH - filled)
            parts.append(f"[{bar}] {_count(self.rows)}/{_count(total)} rows ({share:.0%})")
        else:
            parts.append(f"{_count(self.rows)} rows")
        parts.append(f"{_count(rate)} rows/s")
        if total and self.rows < total and rate > 0:
            parts.append(f"ETA {_duration((total - self.rows) / rate)}")
        elif total and self.rows >= total:
            parts.append(f"in {_duration(elapsed)}")
        return "  ".join(parts)

    def _draw(self, now: float) -> None:
        text = self.line(now)
        # pad over what a longer previous line left behind
        pad = " " * max(0, self._width - len(text))
        self._width = len(text)
        self._drawn_at = now
        self._write("\r" + text + pad)

    def _write(self, text: str) -> None:
        stream = sys.stderr if self._stream is None else self._stream
        try:
            stream.write(text)
            stream.flush()
        except (OSError, ValueError):  # a closed terminal must not stop the pass
            self.enabled = False
