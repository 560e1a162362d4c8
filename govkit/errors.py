"""Exceptions raised by the library; the CLI maps them to exit codes.

The library never exits and never prints: it raises. ``govkit.cli.main`` is the
one place that turns an exception into a message and an exit code, so every
function here also works from a notebook.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from govkit.diagnostics import Diagnostic

__all__ = [
    "EXIT_FINDINGS",
    "EXIT_INTERNAL",
    "EXIT_INTERRUPTED",
    "EXIT_OK",
    "EXIT_USAGE",
    "ConfigError",
    "GovkitError",
    "InputError",
    "UnsafeModelError",
]

EXIT_OK = 0
EXIT_FINDINGS = 1
EXIT_USAGE = 2
EXIT_INTERNAL = 3
EXIT_INTERRUPTED = 130


class GovkitError(Exception):
    """Base of every expected error. ``exit_code`` is what the CLI returns."""

    exit_code: int = EXIT_USAGE

    def __init__(self, message: str, *, diagnostics: Sequence[Diagnostic] = ()) -> None:
        super().__init__(message)
        self.message = message
        self.diagnostics = list(diagnostics)

    def render(self) -> str:
        """The text shown to the user: the diagnostics when there are some, else the message."""
        if self.diagnostics:
            return "\n".join(d.format() for d in self.diagnostics)
        return f"error: {self.message}"


class InputError(GovkitError):
    """A file that is missing, unreadable, or not what it should be (exit 2)."""


class ConfigError(GovkitError):
    """An invalid govkit.yaml, suite or flag (exit 2)."""


class UnsafeModelError(InputError):
    """A model file that could only be loaded by running arbitrary code (exit 2)."""
