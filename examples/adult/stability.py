"""Print the stability table of a ``govkit check`` run over several training seeds.

For every check measured once per seed, each overall figure's mean over the
seeds, its SD across them, the lowest and highest seed, and the interval for
rows and seeds: the same table the packet shows under each result, read from
``report.json``. A run over one checkpoint has no such table, and this says so.

Run ``python stability.py [build/govkit/report.json]`` from this folder.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence
from pathlib import Path

from govkit.render.context import stability_rows
from govkit.report import load_report

HERE = Path(__file__).resolve().parent
COLUMNS = ("figure", "over", "mean", "SD", "min", "max", "seed-level 95% interval")


def table(report_path: Path) -> list[str]:
    """The stability table's lines, one block per check measured over the seeds."""
    report = load_report(report_path)
    lines: list[str] = []
    for result in report.results:
        rows = stability_rows(result.measurements)
        if not rows:
            continue
        body = [(r.name, r.where, r.mean, r.sd, r.low, r.high, r.interval) for r in rows]
        widths = [max(len(str(c)) for c in column) for column in zip(COLUMNS, *body, strict=True)]
        lines.append(f"{result.id}: {rows[0].seeds} seeds")
        for row in (COLUMNS, *body):
            cells = (str(c).ljust(w) for c, w in zip(row, widths, strict=True))
            lines.append(("  " + "  ".join(cells)).rstrip())
    return lines


def main(argv: Sequence[str] | None = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    path = Path(args[0]) if args else HERE / "build" / "govkit" / "report.json"
    if not path.is_file():
        print(f"error: {path} is missing; run `govkit check` first", file=sys.stderr)
        return 2
    lines = table(path)
    print("\n".join(lines) if lines else "one checkpoint: no figure was measured over seeds")
    return 0


if __name__ == "__main__":
    sys.exit(main())
