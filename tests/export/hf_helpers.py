"""A copy of the Adult example's documents with a report, for the export tests.

The copy holds the example's govkit.yaml, documents and data; the report is
either the realistic one of :func:`tests.helpers.build_report` (made for the
same system, adult-income 1.0.0) or one that ``govkit check`` measured.
"""

from __future__ import annotations

import shutil
from pathlib import Path

from govkit import cli
from govkit.report import Report
from tests.helpers import REPO, write_report

ADULT = REPO / "examples" / "adult"


def adult_copy(dest: Path, report: Report | None = None) -> Path:
    """The Adult example's sources, documents and data in ``dest/adult``; its govkit.yaml."""
    folder = Path(
        shutil.copytree(
            ADULT,
            dest / "adult",
            ignore=shutil.ignore_patterns("build", "artifacts", "__pycache__"),
        )
    )
    if report is not None:
        write_report(report, folder / "build" / "govkit" / "report.json")
    return folder / "govkit.yaml"


def govkit(*args: str | Path) -> int:
    """Run the command line in this process; its exit code."""
    return cli.main([str(a) for a in args])
