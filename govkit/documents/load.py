"""Loading a document file into its model, with located diagnostics.

YAML, JSON and Markdown front matter are read by :mod:`govkit.sourcefile`
(safe, size- and alias-limited, duplicate keys refused); the ``kind`` key picks
the model; :func:`govkit.diagnostics.validate_parsed` reports every problem.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from govkit.diagnostics import (
    Diagnostic,
    closest,
    describe_value,
    validate_parsed,
)
from govkit.documents.base import DocumentBase
from govkit.documents.kinds import KINDS
from govkit.errors import EXIT_FINDINGS, EXIT_USAGE, GovkitError
from govkit.sourcefile import Loaded, ParsedFile, SourceError, load_source

__all__ = [
    "DocumentError",
    "LoadedDocument",
    "document_from_parsed",
    "load_document",
]

_VALID_KINDS = ", ".join(KINDS)


class DocumentError(GovkitError):
    """A document that could not be loaded; ``diagnostics`` say why.

    ``unreadable`` is true when the path itself is wrong (missing, a folder):
    the CLI exits 2 then, and 1 for a document that is merely invalid.
    """

    def __init__(self, message: str, *, diagnostics: list[Diagnostic], unreadable: bool) -> None:
        super().__init__(message, diagnostics=diagnostics)
        self.unreadable = unreadable
        self.exit_code = EXIT_USAGE if unreadable else EXIT_FINDINGS


@dataclass(frozen=True)
class LoadedDocument(Loaded[DocumentBase]):
    """A validated document: its model instance and the file it came from."""

    @property
    def kind(self) -> str:
        """The document kind, e.g. ``model_card``."""
        return self.model.kind

    @property
    def doc_id(self) -> str:
        """The document id (``meta.doc_id``)."""
        return self.model.meta.doc_id


def _kind_problem(parsed: ParsedFile) -> Diagnostic | None:
    data = parsed.data
    if not isinstance(data, dict):
        return Diagnostic(
            path=parsed.path, line=1, column=1, severity="error", code="kind",
            message=f"expected a mapping with `kind:` at the top, got {describe_value(data)}",
            hint=f"start the document with 'kind: <one of {_VALID_KINDS}>'",
        )  # fmt: skip
    if "kind" not in data:
        return Diagnostic(
            path=parsed.path, line=1, column=1, severity="error", code="kind", field="kind",
            message=f"required field is missing; the document kind must be one of {_VALID_KINDS}",
            hint="add 'kind: model_card' (or another kind) as the first line",
        )  # fmt: skip
    kind = data["kind"]
    if isinstance(kind, str) and kind in KINDS:
        return None
    line, col = parsed.positions.get(("kind",), (1, 1))
    guess = closest(kind, list(KINDS)) if isinstance(kind, str) else None
    found = (
        f"unknown document kind {describe_value(kind)}"
        if isinstance(kind, str)
        else f"expected a document kind, got {describe_value(kind)}"
    )
    return Diagnostic(
        path=parsed.path, line=line, column=col, severity="error", code="kind", field="kind",
        message=f"{found}; expected one of {_VALID_KINDS}",
        hint=f"did you mean '{guess}'?" if guess else None,
    )  # fmt: skip


def document_from_parsed(parsed: ParsedFile, path: str | Path | None = None) -> LoadedDocument:
    """Validate an already parsed file as a document.

    Raises
    ------
    DocumentError
        With one located diagnostic per problem.
    """
    problem = _kind_problem(parsed)
    if problem is not None:
        raise DocumentError(
            f"{parsed.path}: not a govkit document", diagnostics=[problem], unreadable=False
        )
    model_cls = KINDS[parsed.data["kind"]]
    instance, diagnostics = validate_parsed(model_cls, parsed)
    if instance is None:
        raise DocumentError(
            f"{parsed.path}: invalid {parsed.data['kind']}",
            diagnostics=diagnostics,
            unreadable=False,
        )
    return LoadedDocument(model=instance, parsed=parsed, path=Path(path or parsed.path))


def load_document(
    path: str | Path, *, display: str | None = None, roots: Sequence[Path] | None = None
) -> LoadedDocument:
    """Load and validate one document (``.yaml``, ``.yml``, ``.json`` or ``.md``).

    Parameters
    ----------
    path
        The document file.
    display
        How diagnostics name the file (default: ``path`` as given).
    roots
        When given, a symlink must point inside one of these folders (the
        project folder, for a document that govkit.yaml lists).

    Returns
    -------
    LoadedDocument
        The model instance (``.model``), the parsed file with positions
        (``.parsed``) and the path.

    Raises
    ------
    DocumentError
        When the file cannot be read or is not a valid document; its
        ``diagnostics`` hold every problem, located to line and column.

    Examples
    --------
    >>> doc = load_document("examples/adult/docs/risk_checklist.yaml")  # doctest: +SKIP
    >>> doc.model.risks[0].controls  # doctest: +SKIP
    ['fairness.demographic_parity', 'fairness.equalized_odds']
    """
    try:
        parsed = load_source(path, display=display, roots=roots)
    except SourceError as err:
        raise DocumentError(
            f"cannot read {display or path}", diagnostics=err.diagnostics, unreadable=err.unreadable
        ) from err
    return document_from_parsed(parsed, path)
