"""What each built-in check measures: its measurement names, declared without importing it.

A criterion of the experiment plan names a metric; when no check of the run
measures it, the criterion could only ever lack evidence, so ``govkit check``
refuses it before any check runs (exit 2, at the criterion's line). That needs
the names up front, from the suite alone: they are listed here, next to the
registry, and a test runs the checks and compares what they report with this
list. A third-party check is not listed; its criteria are not refused.
"""

from __future__ import annotations

__all__ = ["MEASURES", "measured_by"]

_LEAKAGE = ("duplicate", "exact_duplicate", "feature_duplicate", "label_conflict")

MEASURES: dict[str, frozenset[str]] = {
    "performance.classification": frozenset(
        {
            "accuracy",
            "balanced_accuracy",
            "precision",
            "recall",
            "f1",
            "roc_auc",
            "log_loss",
            "brier_score",
        }
    ),
    "performance.calibration": frozenset({"ece"}),
    "fairness.demographic_parity": frozenset(
        {"selection_rate", "demographic_parity_difference", "demographic_parity_ratio"}
    ),
    "fairness.equalized_odds": frozenset(
        {
            "true_positive_rate",
            "false_positive_rate",
            "equalized_odds_difference",
            "equalized_odds_ratio",
        }
    ),
    "fairness.equal_opportunity": frozenset(
        {"true_positive_rate", "equal_opportunity_difference", "equal_opportunity_ratio"}
    ),
    "fairness.counterfactual_flip": frozenset(
        {"counterfactual_flip_rate", "counterfactual_flip_rate_to"}
    ),
    "attribution.importance": frozenset({"mean_abs_attribution"}),
    "attribution.completeness": frozenset({"completeness_delta_median", "completeness_delta_p95"}),
    "attribution.sanity": frozenset({"rank_correlation", "row_rank_correlation_mean"}),
    "attribution.sensitive_reliance": frozenset(
        {
            "sensitive_attribution_share",
            "attribution_share",
            "proxy_attribution_share",
            "proxy_strength",
        }
    ),
    "privacy.membership_inference": frozenset(
        {"roc_auc", "tpr_at_fpr_0.01", "tpr_at_fpr_0.001", "membership_advantage"}
    ),
    "privacy.pii": frozenset({"pii_row_share"}),
    "privacy.k_anonymity": frozenset(
        {
            "k",
            "equivalence_classes",
            "small_class_rows",
            "small_class_share",
            "unique_row_share",
            "l_diversity",
        }
    ),
    "data.leakage": frozenset(
        {f"{name}_{unit}" for name in _LEAKAGE for unit in ("count", "share")}
    ),
    "data.quality": frozenset(
        {
            "missing_rate",
            "missing_row_rate",
            "group_share",
            "group_share_difference",
            "base_rate",
            "class_share",
        }
    ),
}


def measured_by(check_id: str) -> frozenset[str] | None:
    """The names ``check_id`` measures; None when it is not a built-in check."""
    return MEASURES.get(check_id)
