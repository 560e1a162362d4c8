"""The progress bar: one redrawn line on a terminal, nothing anywhere else."""

from __future__ import annotations

import io
import sys

import pytest

from govkit.scale.progress import REDRAW_SECONDS, Progress, progress_enabled


class FakeTerminal(io.StringIO):
    """A stream that says it is a terminal."""

    def isatty(self) -> bool:
        return True


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def _bar(stream: io.StringIO, clock: Clock, total: int | None = 1000) -> Progress:
    return Progress(
        total_rows=total,
        label="scoring eval",
        enabled=progress_enabled(False, stream),
        stream=stream,
        clock=clock,
    )


def test_a_terminal_sees_one_line_redrawn_in_place() -> None:
    term, clock = FakeTerminal(), Clock()
    bar = _bar(term, clock)
    clock.now += 1.0
    bar.advance(250)
    first = term.getvalue()
    assert first.startswith("\rscoring eval  [######")
    assert "250/1,000 rows (25%)" in first
    assert "250 rows/s" in first and "ETA 0:03" in first
    bar.close()
    out = term.getvalue()
    assert out.endswith("\n") and out.count("\n") == 1  # one line, finished
    assert "\r" in out[len(first) :]  # the final count drawn over the same line


def test_redraws_are_at_most_ten_a_second() -> None:
    term, clock = FakeTerminal(), Clock()
    bar = _bar(term, clock, total=None)
    for _ in range(1000):  # a thousand batches in one second
        clock.now += 0.001
        bar.advance(10)
    assert 1 <= term.getvalue().count("\r") <= int(1.0 / REDRAW_SECONDS) + 1
    assert bar.rows == 10_000
    bar.close()
    assert "10,000 rows" in term.getvalue().rsplit("\r", 1)[1]
    assert "ETA" not in term.getvalue()  # no total, no time left


def test_nothing_is_written_off_a_terminal_or_when_quiet() -> None:
    for stream, quiet in ((io.StringIO(), False), (FakeTerminal(), True)):
        clock = Clock()
        bar = Progress(
            total_rows=10,
            label="x",
            enabled=progress_enabled(quiet, stream),
            stream=stream,
            clock=clock,
        )
        clock.now += 1
        bar.advance(10)
        bar.close()
        assert stream.getvalue() == ""
    off = Progress.off()
    off.advance(5)
    off.close()
    assert off.rows == 5 and not off.enabled


def test_progress_enabled_follows_stderr(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sys, "stderr", FakeTerminal())
    assert progress_enabled(False) is True
    assert progress_enabled(True) is False
    monkeypatch.setattr(sys, "stderr", io.StringIO())
    assert progress_enabled(False) is False


def test_a_shorter_line_blanks_out_the_longer_one_before_it() -> None:
    term, clock = FakeTerminal(), Clock()
    bar = _bar(term, clock)
    clock.now += 0.001
    bar.advance(1)  # a huge rate: a long line
    clock.now += 1000
    bar.advance(1)
    lines = term.getvalue().split("\r")[1:]
    assert len(lines[1]) >= len(lines[0].rstrip())


def test_closing_twice_and_escapes_in_labels_are_harmless() -> None:
    term, clock = FakeTerminal(), Clock()
    bar = Progress(total_rows=5, label="file \x1b[31mred", enabled=True, stream=term, clock=clock)
    with bar:
        bar.advance(5)
    bar.close()
    assert "\x1b" not in term.getvalue()
    assert term.getvalue().count("\n") == 1
    with pytest.raises(ValueError, match="total_rows must be >= 0"):
        Progress(total_rows=-1, label="", enabled=False)
