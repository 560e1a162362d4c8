"""German Credit with a real model's recorded predictions, for predictions-only runs.

The example's own ``make_predictions.py`` trains its logistic regression
in-process (well under a second) and writes ``build/eval.csv`` and
``build/train.csv`` under a folder of the test's choosing.
"""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

from tests.helpers import REPO

__all__ = ["write_german_predictions"]


def write_german_predictions(root: Path) -> Path:
    """Write the predictions under ``root``; returns the evaluation split's CSV."""
    script = REPO / "examples" / "german_credit" / "make_predictions.py"
    name = "german_make_predictions_for_tests"
    module = sys.modules.get(name)
    if module is None:
        spec = importlib.util.spec_from_file_location(name, script)
        assert spec is not None and spec.loader is not None
        module = importlib.util.module_from_spec(spec)
        sys.modules[name] = module
        spec.loader.exec_module(module)
    assert module.main(["--root", str(root)]) == 0
    return root / "build" / "eval.csv"
