"""Run govkit as if some packages were not installed, for the missing-extra tests.

``python -m tests.install.blocked numpy,fairlearn -- check -c govkit.yaml`` puts
a finder first on ``sys.meta_path`` that refuses the named top-level packages,
exactly as an environment without them would: ``import`` raises
ModuleNotFoundError and ``importlib.util.find_spec`` finds nothing.
"""

from __future__ import annotations

import importlib.abc
import sys
from collections.abc import Sequence
from importlib.machinery import ModuleSpec
from types import ModuleType


class Refuse(importlib.abc.MetaPathFinder):
    """A finder that makes the given top-level packages uninstalled."""

    def __init__(self, blocked: set[str]) -> None:
        self.blocked = blocked

    def find_spec(
        self,
        fullname: str,
        path: Sequence[str] | None,
        target: ModuleType | None = None,
    ) -> ModuleSpec | None:
        if fullname.partition(".")[0] in self.blocked:
            raise ModuleNotFoundError(f"No module named {fullname!r}", name=fullname)
        return None


def main(argv: list[str]) -> int:
    blocked, _, rest = argv[0], argv[1], argv[2:]
    sys.meta_path.insert(0, Refuse({name for name in blocked.split(",") if name}))
    from govkit.cli import main as govkit_main

    code = govkit_main(rest)
    loaded = sorted(
        m for m in ("torch", "numpy", "pandas", "fairlearn", "weasyprint") if m in sys.modules
    )
    print(f"LOADED {','.join(loaded)}", file=sys.stderr)
    return code


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
