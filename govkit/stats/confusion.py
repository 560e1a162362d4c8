"""Confusion-matrix statistics on per-group cell counts, for any number of replicates.

Every metric here is a function of a confusion matrix of counts with shape
``(..., C, C)`` (rows: true class, columns: predicted class). The leading axes
are free: ``(G, C, C)`` gives one value per group, ``(B, G, C, C)`` one per
bootstrap replicate and group, all computed at once. Counts may be floats
(Poisson-resampled counts are).

Zero denominators follow scikit-learn and fairlearn, so that every figure
agrees with them: a rate whose denominator is zero in a non-empty group is 0
(a group without positive labels has a true positive rate of 0), while an
empty group — possible only in a bootstrap replicate — gives NaN, meaning
"absent", which the between-group aggregates skip exactly as fairlearn skips
a group that does not occur.
"""

from __future__ import annotations

import numpy as np

__all__ = [
    "accuracy",
    "balanced_accuracy",
    "between_groups_difference",
    "between_groups_ratio",
    "confusion_counts",
    "f1",
    "false_positive_rate",
    "first_max",
    "first_min",
    "macro_f1",
    "precision",
    "recall",
    "selection_rate",
    "true_positive_rate",
]


def confusion_counts(
    codes: np.ndarray,
    n_groups: int,
    y_true: np.ndarray,
    y_pred: np.ndarray,
    n_classes: int = 2,
    weights: np.ndarray | None = None,
) -> np.ndarray:
    """Per-group confusion matrices in one pass over the rows.

    Parameters
    ----------
    codes
        Group code of each row, ``0 .. n_groups - 1`` (all zeros for overall figures).
    n_groups
        Number of groups.
    y_true, y_pred
        Class indices ``0 .. n_classes - 1``.
    n_classes
        Number of classes.
    weights
        Rows each entry stands for (the row counts of cells,
        :mod:`govkit.scale.cells`); None counts each entry once.

    Returns
    -------
    numpy.ndarray
        int64 counts of shape ``(n_groups, n_classes, n_classes)``.
    """
    # in place: on millions of cells each temporary is tens of megabytes
    cell = np.asarray(codes, dtype=np.int64) * n_classes
    cell += np.asarray(y_true, dtype=np.int64)
    cell *= n_classes
    cell += np.asarray(y_pred, dtype=np.int64)
    size = n_groups * n_classes * n_classes
    if weights is None:
        counts = np.bincount(cell, minlength=size)
    else:
        # row counts are whole numbers; summed as floats they stay exact below 2^53
        counts = np.rint(np.bincount(cell, np.asarray(weights, np.float64), minlength=size))
    return counts.reshape(n_groups, n_classes, n_classes).astype(np.int64)


def _safe_divide(num: np.ndarray, den: np.ndarray, present: np.ndarray) -> np.ndarray:
    """num / den; 0 where den is 0 in a present group, NaN where the group is absent."""
    num = np.asarray(num, dtype=np.float64)
    den = np.asarray(den, dtype=np.float64)
    out = np.divide(num, den, out=np.zeros(np.broadcast(num, den).shape), where=den > 0)
    return np.where(present, out, np.nan)


def _total(cm: np.ndarray) -> np.ndarray:
    return np.asarray(cm, dtype=np.float64).sum(axis=(-2, -1))


def selection_rate(cm: np.ndarray) -> np.ndarray:
    """Share of rows predicted positive (class 1): ``(TP + FP) / n``."""
    n = _total(cm)
    return _safe_divide(cm[..., :, 1].sum(axis=-1), n, n > 0)


def true_positive_rate(cm: np.ndarray) -> np.ndarray:
    """``TP / (TP + FN)``; 0 for a group without positive labels, as in fairlearn."""
    return _safe_divide(cm[..., 1, 1], cm[..., 1, :].sum(axis=-1), _total(cm) > 0)


def false_positive_rate(cm: np.ndarray) -> np.ndarray:
    """``FP / (FP + TN)``; 0 for a group without negative labels, as in fairlearn."""
    return _safe_divide(cm[..., 0, 1], cm[..., 0, :].sum(axis=-1), _total(cm) > 0)


def accuracy(cm: np.ndarray) -> np.ndarray:
    """Share of rows whose predicted class is the true class."""
    n = _total(cm)
    return _safe_divide(np.trace(cm, axis1=-2, axis2=-1), n, n > 0)


def precision(cm: np.ndarray) -> np.ndarray:
    """Binary precision ``TP / (TP + FP)``; 0 without positive predictions (scikit-learn)."""
    return _safe_divide(cm[..., 1, 1], cm[..., :, 1].sum(axis=-1), _total(cm) > 0)


def recall(cm: np.ndarray) -> np.ndarray:
    """Binary recall, the true positive rate."""
    return true_positive_rate(cm)


def f1(cm: np.ndarray) -> np.ndarray:
    """Binary F1 ``2TP / (2TP + FP + FN)``; 0 when that denominator is 0 (scikit-learn)."""
    tp = cm[..., 1, 1]
    return _safe_divide(2 * tp, 2 * tp + cm[..., 0, 1] + cm[..., 1, 0], _total(cm) > 0)


def balanced_accuracy(cm: np.ndarray) -> np.ndarray:
    """Mean per-class recall over the classes that occur among the true labels.

    Classes without true rows are left out of the mean, as scikit-learn's
    ``balanced_accuracy_score`` does.
    """
    cm = np.asarray(cm, dtype=np.float64)
    support = cm.sum(axis=-1)
    occurs = support > 0
    per_class = np.divide(
        np.diagonal(cm, axis1=-2, axis2=-1), support, out=np.zeros(support.shape), where=occurs
    )
    k = occurs.sum(axis=-1)
    return _safe_divide(per_class.sum(axis=-1), k, k > 0)


def macro_f1(cm: np.ndarray) -> np.ndarray:
    """Unweighted mean of per-class F1 over the classes present in the true or predicted labels.

    Matches scikit-learn's ``f1_score(average="macro")``, whose labels are the
    classes seen in either array.
    """
    cm = np.asarray(cm, dtype=np.float64)
    tp = np.diagonal(cm, axis1=-2, axis2=-1)
    den = cm.sum(axis=-1) + cm.sum(axis=-2)  # 2TP + FN + FP per class
    seen = den > 0
    per_class = np.divide(2 * tp, den, out=np.zeros(den.shape), where=seen)
    k = seen.sum(axis=-1)
    return _safe_divide(per_class.sum(axis=-1), k, k > 0)


def between_groups_difference(rates: np.ndarray) -> np.ndarray:
    """Largest minus smallest rate over the groups (last axis), skipping absent (NaN) groups.

    fairlearn's ``difference(method="between_groups")``; NaN when no group is present.
    """
    present = ~np.isnan(rates)
    any_present = present.any(axis=-1)
    high = np.max(np.where(present, rates, -np.inf), axis=-1)
    low = np.min(np.where(present, rates, np.inf), axis=-1)
    with np.errstate(invalid="ignore"):
        return np.where(any_present, high - low, np.nan)


def between_groups_ratio(rates: np.ndarray) -> np.ndarray:
    """Smallest over largest rate over the groups (last axis), skipping absent groups.

    fairlearn's ``ratio(method="between_groups")``: NaN when every present
    group's rate is 0 (0/0), 0 when only some are.
    """
    present = ~np.isnan(rates)
    any_present = present.any(axis=-1)
    high = np.max(np.where(present, rates, -np.inf), axis=-1)
    low = np.min(np.where(present, rates, np.inf), axis=-1)
    with np.errstate(invalid="ignore", divide="ignore"):
        ratio = np.where(high != 0, low / np.where(high != 0, high, 1.0), np.nan)
    return np.where(any_present, ratio, np.nan)


def first_max(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Element-wise ``max(a, b)`` with Python's semantics: ``b`` only when ``b > a``.

    fairlearn aggregates equalized odds with the built-in ``max`` over
    (TPR figure, FPR figure); reproducing its NaN behaviour keeps every value
    identical to fairlearn's.
    """
    return np.where(b > a, b, a)


def first_min(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Element-wise ``min(a, b)`` with Python's semantics: ``b`` only when ``b < a``."""
    return np.where(b < a, b, a)
