"""``govkit validate``: check documents and project files; every problem, not the first."""

from __future__ import annotations

import json
from pathlib import Path

import click

from govkit.errors import InputError

__all__ = ["run_validate"]

_NO_PATHS = "no documents given, and there is no govkit.yaml in this folder"


def run_validate(paths: list[str], *, strict: bool, coverage: bool, fmt: str) -> int:
    """Validate documents and print the diagnostics; return the exit code.

    Parameters
    ----------
    paths
        Document or project files; none means ``govkit.yaml`` in the current folder.
    strict
        Lint warnings count as errors.
    coverage
        Also print the standards coverage matrix of the valid documents.
    fmt
        ``text`` (diagnostics on stderr, results on stdout) or ``json`` (one
        object on stdout).

    Returns
    -------
    int
        0 when everything is valid, 1 for invalid documents, 2 when a path
        cannot be read (missing, a folder).
    """
    # The documents package imports pydantic models only: never torch or pandas,
    # so the pre-commit hook starts fast.
    from govkit.documents.validate import validate_documents

    if not paths:
        if not Path("govkit.yaml").is_file():
            raise InputError(_NO_PATHS + "; run `govkit validate PATH ...`")
        paths = ["govkit.yaml"]
    result = validate_documents(paths, strict=strict)
    report = None
    if coverage:
        from govkit.documents.coverage import compute_coverage

        report = compute_coverage(result.documents)

    if fmt == "json":
        payload = {
            "ok": result.exit_code == 0,
            "exit_code": result.exit_code,
            "files": [f.as_dict() for f in result.files],
            "diagnostics": [d.as_dict() for d in result.diagnostics],
            "summary": {
                "files": len(result.files),
                "errors": len(result.errors),
                "warnings": len(result.warnings),
            },
        }
        if report is not None:
            payload["coverage"] = report.as_dict()
        click.echo(json.dumps(payload, indent=2, ensure_ascii=False, default=str))
        return result.exit_code

    for diag in result.diagnostics:
        click.echo(diag.format(), err=True)
    if report is not None:
        click.echo(report.format_text())
    n_err, n_warn = len(result.errors), len(result.warnings)
    summary = (
        f"{len(result.files)} file(s) checked: {n_err} error(s), {n_warn} warning(s)"
        if n_err or n_warn
        else f"{len(result.files)} file(s) checked: all valid"
    )
    click.echo(summary, err=True)
    return result.exit_code
