"""govkit: governance documents, release checks and verifiable review packets.

The Python version is checked first, with syntax that old interpreters still
parse, so that govkit started by an old Python says so in one line instead of
failing later in a module with a SyntaxError or an ImportError.
"""

from __future__ import annotations

import sys

__all__ = ["MIN_PYTHON", "__version__"]

__version__ = "0.2.0.dev0"

#: the oldest Python govkit runs on; ``requires-python`` in pyproject.toml says the same
MIN_PYTHON = (3, 11)

if tuple(sys.version_info[:2]) < MIN_PYTHON:
    _found = ".".join(str(part) for part in sys.version_info[:2])
    sys.stderr.write(
        f"error: govkit {__version__} needs Python {MIN_PYTHON[0]}.{MIN_PYTHON[1]} or newer; "
        f"this is Python {_found} ({sys.executable or 'unknown interpreter'}). "
        "Install govkit into an environment made with a newer Python "
        "(e.g. python3.11 -m venv .venv).\n"
    )
    raise SystemExit(2)
