"""``govkit validate``: check documents and project files; every problem, not the first."""

from __future__ import annotations

import json
from pathlib import Path

from govkit.diagnostics import Diagnostic
from govkit.errors import EXIT_USAGE, InputError
from govkit.output import diagnostic, result

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
        ``text`` (diagnostics on stderr, results on stdout), ``json`` (one
        object on stdout) or ``sarif`` (a SARIF 2.1.0 log on stdout, the
        diagnostics also on stderr).

    Returns
    -------
    int
        0 when everything is valid, 1 for invalid documents, 2 when a path
        cannot be read (missing, a folder).
    """
    # The documents package imports pydantic models only: never torch or pandas,
    # so the pre-commit hook starts fast.
    from govkit.documents.validate import validate_documents

    if fmt == "sarif" and coverage:
        raise InputError("--coverage has no SARIF form; use --format text or --format json")
    if not paths:
        if not Path("govkit.yaml").is_file():
            message = _NO_PATHS + "; run `govkit validate PATH ...`"
            if fmt == "sarif":  # a CI step uploads whatever stdout holds: keep it a SARIF log
                _print_sarif([], {}, exit_code=EXIT_USAGE, notifications=[message])
            raise InputError(message)
        paths = ["govkit.yaml"]
    outcome = validate_documents(paths, strict=strict)
    if fmt == "sarif":
        doc_ids = {f.path: f.doc_id for f in outcome.files}
        _print_sarif(outcome.diagnostics, doc_ids, exit_code=outcome.exit_code)
        # and, as with text, the diagnostics and the summary for the person reading the log
    report = None
    if coverage:
        from govkit.documents.coverage import compute_coverage

        report = compute_coverage(outcome.documents)

    if fmt == "json":
        payload = {
            "ok": outcome.exit_code == 0,
            "exit_code": outcome.exit_code,
            "files": [f.as_dict() for f in outcome.files],
            "diagnostics": [d.as_dict() for d in outcome.diagnostics],
            "summary": {
                "files": len(outcome.files),
                "errors": len(outcome.errors),
                "warnings": len(outcome.warnings),
            },
        }
        if report is not None:
            payload["coverage"] = report.as_dict()
        result(json.dumps(payload, indent=2, ensure_ascii=False, default=str))
        return outcome.exit_code

    for diag in outcome.diagnostics:
        diagnostic(diag.format())
    if report is not None:
        result(report.format_text())
    n_err, n_warn = len(outcome.errors), len(outcome.warnings)
    summary = (
        f"{len(outcome.files)} file(s) checked: {n_err} error(s), {n_warn} warning(s)"
        if n_err or n_warn
        else f"{len(outcome.files)} file(s) checked: all valid"
    )
    diagnostic(summary)
    return outcome.exit_code


def _print_sarif(
    diagnostics: list[Diagnostic],
    doc_ids: dict[str, str | None],
    *,
    exit_code: int,
    notifications: list[str] | None = None,
) -> None:
    from govkit.sarif import sarif_log

    log = sarif_log(
        diagnostics, doc_ids=doc_ids, exit_code=exit_code, notifications=notifications or ()
    )
    result(json.dumps(log, indent=2, ensure_ascii=False))
