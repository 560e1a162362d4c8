"""``python -m govkit`` behaves exactly like the ``govkit`` command."""

from __future__ import annotations

import sys

from govkit.cli import main

if __name__ == "__main__":
    sys.exit(main())
