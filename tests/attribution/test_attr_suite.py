"""The built-in attribution suite, and what loading the checks costs."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from govkit.checks.registry import load_check
from govkit.suite import load_suite

IDS = [
    "attribution.importance",
    "attribution.completeness",
    "attribution.sanity",
    "attribution.sensitive_reliance",
    "fairness.counterfactual_flip",
]


def test_the_suite_names_the_five_checks_with_valid_params() -> None:
    loaded = load_suite("attribution", Path.cwd())
    assert [e.id for e in loaded.model.checks] == IDS
    for entry in loaded.model.checks:
        cls = load_check(entry.id)
        cls.Params(**entry.params)
        assert cls.requires_model
        for threshold in entry.thresholds:
            assert threshold.metric in {
                "rank_correlation",
                "sensitive_attribution_share",
                "proxy_attribution_share",
                "counterfactual_flip_rate",
            }


def test_loading_the_checks_imports_no_torch() -> None:
    """A predictions-only run validates its suite without importing torch."""
    code = (
        "import sys\n"
        "from govkit.checks.registry import load_check\n"
        f"for c in {IDS!r}: load_check(c)\n"
        "print(sorted(m for m in ('torch', 'captum', 'shap', 'scipy') if m in sys.modules))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=120
    )
    assert done.stdout.strip() == "[]"
