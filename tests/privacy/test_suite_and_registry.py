"""The built-in privacy suite loads, and each of its checks is registered and configured."""

from __future__ import annotations

from pathlib import Path

from govkit.checks.registry import load_check
from govkit.suite import builtin_suites, load_suite

#: measurement names each check emits (what a threshold may name)
EMITS = {
    "privacy.membership_inference": {
        "roc_auc",
        "tpr_at_fpr_0.01",
        "tpr_at_fpr_0.001",
        "membership_advantage",
    },
    "privacy.pii": {"pii_row_share"},
    "privacy.k_anonymity": {
        "k",
        "equivalence_classes",
        "small_class_rows",
        "small_class_share",
        "unique_row_share",
        "l_diversity",
    },
    "data.leakage": {
        "duplicate_count",
        "duplicate_share",
        "exact_duplicate_count",
        "exact_duplicate_share",
    },
    "data.quality": {
        "missing_rate",
        "missing_row_rate",
        "group_share",
        "group_share_difference",
        "base_rate",
        "class_share",
    },
}
IDS = set(EMITS)


def test_privacy_suite_loads_and_params_validate() -> None:
    assert "privacy" in builtin_suites()
    loaded = load_suite("privacy", Path.cwd())
    assert {entry.id for entry in loaded.model.checks} == IDS
    for entry in loaded.model.checks:
        cls = load_check(entry.id)
        cls.Params(**entry.params)
        assert {t.metric for t in entry.thresholds} <= EMITS[entry.id]


def test_every_check_has_defaults_for_only() -> None:
    for check_id in IDS - {"privacy.pii"}:
        defaults = load_check(check_id).default_thresholds
        assert defaults and {t.metric for t in defaults} <= EMITS[check_id]
