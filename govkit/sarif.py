"""SARIF 2.1.0 for ``govkit validate --format sarif``: diagnostics as code-scanning results.

GitHub code scanning (and other SARIF viewers) show each result on the line it
names, so a broken card is annotated on the changed line of a pull request.
Three things make that work across commits:

- **stable rule ids**: a diagnostic's ``code`` (a pydantic error type or one
  of govkit's own codes) maps to one ``GK-...`` rule through :data:`RULES`; the
  mapping is part of the contract (the README lists it) and a new code maps
  to ``GK-invalid-value`` until it is given a rule of its own;
- **repository-relative paths** with forward slashes, so the viewer finds the
  file in its checkout;
- **fingerprints from the document id and the field path**, not the line: a
  finding that moves down the file when lines are added above it is the same
  finding, and GitHub keeps its history (and a dismissal) attached.

Nothing here reads the network: the ``$schema`` URI is a name, never fetched.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import Any
from urllib.parse import quote

from govkit import __version__
from govkit.diagnostics import Diagnostic

__all__ = ["RULES", "SARIF_SCHEMA", "SARIF_VERSION", "Rule", "rule_for", "sarif_log"]

SARIF_VERSION = "2.1.0"
SARIF_SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"
#: the key of ``partialFingerprints``; the suffix changes if the recipe ever does
FINGERPRINT_KEY = "govkitFinding/v1"


@dataclass(frozen=True)
class Rule:
    """One SARIF rule: a stable id, a name, what it finds and the codes it covers."""

    id: str
    name: str
    text: str
    codes: tuple[str, ...] = ()
    level: str = "error"


#: Every rule, in a fixed order (a result's ``ruleIndex`` points into it).
RULES: tuple[Rule, ...] = (
    Rule("GK-missing-required", "MissingRequired", "A required field is missing.", ("missing",)),
    Rule(
        "GK-unknown-key",
        "UnknownKey",
        "A key the document kind does not have (often a typo).",
        ("extra_forbidden",),
    ),
    Rule("GK-wrong-type", "WrongType", "A field holds the wrong type of value."),
    Rule(
        "GK-invalid-value",
        "InvalidValue",
        "A field's value breaks its rule (a choice, a bound, a format, a length).",
        ("invalid",),
    ),
    Rule(
        "GK-unknown-kind", "UnknownKind", "The document's `kind:` is missing or unknown.", ("kind",)
    ),
    Rule(
        "GK-syntax",
        "Syntax",
        "The file is not readable YAML, JSON or front matter.",
        ("syntax", "front_matter", "empty", "duplicate_key"),
    ),
    Rule(
        "GK-unreadable",
        "Unreadable",
        "The file cannot be read: missing, not a regular file, binary, not UTF-8 or too large.",
        ("unreadable", "binary", "encoding", "too_large"),
    ),
    Rule(
        "GK-reference",
        "Reference",
        "A reference between documents is unresolved, duplicated or of the wrong kind.",
        ("unresolved_reference", "wrong_reference", "duplicate_id", "unknown_criterion"),
    ),
    Rule(
        "GK-artifact",
        "Artifact",
        "A file a document names is missing or its hash differs.",
        ("missing_file", "hash_mismatch"),
    ),
    Rule(
        "GK-registration",
        "Registration",
        "A registered plan changed, or a decision contradicts the risk checklist.",
        ("unregistered_change", "go_with_open_risk", "score"),
    ),
    Rule(
        "GK-placeholder",
        "Placeholder",
        "A field still holds the placeholder text of `govkit init`.",
        ("placeholder", "empty_section"),
        "warning",
    ),
    Rule(
        "GK-review",
        "Review",
        "A review is overdue, or a document is not approved.",
        ("overdue", "unapproved"),
        "warning",
    ),
    Rule(
        "GK-risk",
        "Risk",
        "A risk above the threshold, or without a control.",
        ("no_controls", "above_threshold"),
        "warning",
    ),
    Rule(
        "GK-waiver-scope",
        "WaiverScope",
        "A waiver without a scope hides every failure of its check.",
        ("unscoped_waiver",),
        "warning",
    ),
    Rule(
        "GK-plan-criterion",
        "PlanCriterion",
        "A plan criterion names a metric, check or baseline that the run does not measure.",
        ("unmeasured_metric", "ambiguous_metric", "unknown_check", "unknown_baseline"),
    ),
    Rule(
        "GK-plan-suite",
        "PlanSuite",
        "The experiment plan and the suite set different bounds on the same metric.",
        ("plan_suite_disagree",),
        "warning",
    ),
)

_BY_ID = {rule.id: rule for rule in RULES}
_BY_CODE = {code: rule for rule in RULES for code in rule.codes}
_INDEX = {rule.id: i for i, rule in enumerate(RULES)}


def rule_for(code: str) -> Rule:
    """The rule of a diagnostic code; pydantic's ``*_type``/``*_parsing`` are wrong types.

    Any other code (pydantic's bounds, lengths, literals, value errors, or a
    code added later) is an invalid value, so every diagnostic has a rule.
    """
    if code in _BY_CODE:
        return _BY_CODE[code]
    if code.endswith(("_type", "_parsing")):
        return _BY_ID["GK-wrong-type"]
    return _BY_ID["GK-invalid-value"]


def _repo_root(start: Path) -> Path | None:
    """The nearest folder at or above ``start`` holding ``.git`` (a folder or a worktree file)."""
    for folder in (start, *start.parents):
        if (folder / ".git").exists():
            return folder
    return None


def artifact_uri(path: str, *, cwd: Path, root: Path | None) -> str:
    """``path`` relative to the repository root (else to ``cwd``), with forward slashes.

    A path outside both stays as it was given, with forward slashes; the URI
    is percent-encoded so a space or ``#`` in a file name survives.
    """
    absolute = Path(os.path.abspath(cwd / path))
    for base in (root, cwd):
        if base is None:
            continue
        try:
            relative = absolute.relative_to(base)
        except ValueError:
            continue
        return quote(PurePosixPath(*relative.parts).as_posix())
    return quote(path.replace(os.sep, "/"))


def _fingerprint(document: str, field: str, rule_id: str, occurrence: int) -> str:
    # the line is left out on purpose: a finding moved by an edit above it is the same finding
    text = "\0".join([document, field, rule_id, str(occurrence)])
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def _message(diag: Diagnostic) -> str:
    text = f"{diag.field}: {diag.message}" if diag.field else diag.message
    return text + (f" (hint: {diag.hint})" if diag.hint else "")


def _result(diag: Diagnostic, uri: str, document: str, occurrence: int) -> dict[str, Any]:
    rule = rule_for(diag.code)
    location: dict[str, Any] = {"artifactLocation": {"uri": uri}}
    if diag.line is not None:
        region: dict[str, int] = {"startLine": diag.line}
        if diag.column is not None:
            region["startColumn"] = diag.column
        location["region"] = region
    return {
        "ruleId": rule.id,
        "ruleIndex": _INDEX[rule.id],
        "level": "error" if diag.severity == "error" else "warning",
        "message": {"text": _message(diag)},
        "locations": [{"physicalLocation": location}],
        "partialFingerprints": {
            FINGERPRINT_KEY: _fingerprint(document, diag.field or "", rule.id, occurrence)
        },
        "properties": {"code": diag.code},
    }


def _rule_record(rule: Rule) -> dict[str, Any]:
    return {
        "id": rule.id,
        "name": rule.name,
        "shortDescription": {"text": rule.text},
        "defaultConfiguration": {"level": rule.level},
    }


def sarif_log(
    diagnostics: Iterable[Diagnostic],
    *,
    doc_ids: Mapping[str, str | None] | None = None,
    exit_code: int = 0,
    notifications: Sequence[str] = (),
    cwd: Path | None = None,
) -> dict[str, Any]:
    """The SARIF log of one ``govkit validate`` run.

    Parameters
    ----------
    diagnostics
        Every diagnostic of the run, in the order they were found.
    doc_ids
        File path (as the diagnostics name it) -> its document id, where known;
        a file without one is fingerprinted by its repository-relative path.
    exit_code
        The run's exit code; 2 (unreadable input) marks the run unsuccessful.
    notifications
        Errors that stopped the run before any file was read.
    cwd
        The folder relative paths start from (default: the current one).

    Returns
    -------
    dict
        A SARIF 2.1.0 log with one run, ready for ``json.dumps``.
    """
    here = Path(os.path.abspath(cwd or Path.cwd()))
    root = _repo_root(here)
    ids = doc_ids or {}
    results = []
    seen: dict[tuple[str, str, str], int] = {}
    for diag in diagnostics:
        uri = artifact_uri(diag.path, cwd=here, root=root)
        document = ids.get(diag.path) or uri
        key = (document, diag.field or "", rule_for(diag.code).id)
        occurrence = seen.get(key, 0)
        seen[key] = occurrence + 1
        results.append(_result(diag, uri, document, occurrence))
    invocation: dict[str, Any] = {"executionSuccessful": exit_code != 2, "exitCode": exit_code}
    if notifications:
        invocation["toolExecutionNotifications"] = [
            {"level": "error", "message": {"text": text}} for text in notifications
        ]
    return {
        "$schema": SARIF_SCHEMA,
        "version": SARIF_VERSION,
        "runs": [
            {
                "tool": {
                    "driver": {
                        "name": "govkit",
                        "version": __version__,
                        "rules": [_rule_record(rule) for rule in RULES],
                    }
                },
                "invocations": [invocation],
                "columnKind": "unicodeCodePoints",
                "results": results,
            }
        ],
    }
