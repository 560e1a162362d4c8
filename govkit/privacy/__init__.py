"""Privacy and data maths shared by the privacy and data checks.

PII detection and masking (people's names included), attack scores, member
sampling and ROC figures for membership inference, normalised row
fingerprints, equivalence classes, missing-value detection, and defensive
readers of what a dataset card declares.
"""

from govkit.privacy.attacks import (
    ATTACKS,
    attack_scores,
    logit_margins,
    membership_candidates,
    sample_membership,
)
from govkit.privacy.cards import (
    declared_missing_markers,
    declared_population_shares,
    declared_sensitive_columns,
)
from govkit.privacy.checksums import IBAN_LENGTHS, iban_valid, luhn_valid
from govkit.privacy.equivalence import class_codes, distinct_per_class
from govkit.privacy.masking import MASKERS
from govkit.privacy.missing import DEFAULT_MISSING_MARKERS, missing_mask
from govkit.privacy.names import is_name_column, name_values
from govkit.privacy.pii_scan import PII_KINDS, ColumnScan, scan_column, scan_frame
from govkit.privacy.roc import ATTACK_METRICS, RocInput, downsample_curve, roc_curve, roc_metrics
from govkit.privacy.rowhash import content_hashes, exact_row_hashes, normalise_column, row_hashes

__all__ = [
    "ATTACKS",
    "ATTACK_METRICS",
    "DEFAULT_MISSING_MARKERS",
    "IBAN_LENGTHS",
    "MASKERS",
    "PII_KINDS",
    "ColumnScan",
    "RocInput",
    "attack_scores",
    "class_codes",
    "content_hashes",
    "declared_missing_markers",
    "declared_population_shares",
    "declared_sensitive_columns",
    "distinct_per_class",
    "downsample_curve",
    "exact_row_hashes",
    "iban_valid",
    "is_name_column",
    "logit_margins",
    "luhn_valid",
    "membership_candidates",
    "missing_mask",
    "name_values",
    "normalise_column",
    "roc_curve",
    "roc_metrics",
    "row_hashes",
    "sample_membership",
    "scan_column",
    "scan_frame",
]
