"""Diagnostics: one problem found in one file, located to the line and column."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any, Literal

__all__ = ["Diagnostic", "Severity"]

Severity = Literal["error", "warning"]


@dataclass(frozen=True)
class Diagnostic:
    """A problem, in the form ``path:line:col: severity: field: message``.

    ``line`` and ``column`` are 1-based; ``None`` when the problem has no place
    in the file (an unreadable file, a rule across several documents).
    """

    path: str
    line: int | None
    column: int | None
    severity: Severity
    message: str
    field: str | None = None
    hint: str | None = None
    code: str = "invalid"

    def format(self) -> str:
        where = self.path
        if self.line is not None:
            where += f":{self.line}"
            if self.column is not None:
                where += f":{self.column}"
        text = f"{where}: {self.severity}: "
        if self.field:
            text += f"{self.field}: "
        text += self.message
        if self.hint:
            text += f" (hint: {self.hint})"
        return text

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)

    def as_error(self) -> Diagnostic:
        """The same finding promoted to an error (``--strict``)."""
        return Diagnostic(**{**asdict(self), "severity": "error"})
