"""How well one feature predicts a sensitive attribute: its proxy AUC.

A model that never sees ``race`` can still use it through a feature that
predicts it. The strength of that proxy is measured on the data, not on the
model: the AUC of predicting the sensitive attribute from the feature alone
(one-vs-rest for each group, macro-averaged over the groups; 0.5 means the
feature says nothing about the attribute, 1.0 that it identifies it).

The score of a row is the share of each group among rows with the same
feature value: the best score a single discrete feature allows. A feature
made of several encoded columns (a one-hot ``occupation``) takes each
distinct pattern of its columns as a category; a numeric column with many
values is cut at its quantiles into ``n_bins`` categories. The shares are
cross-fitted (each row is scored from the other folds, with one pseudo-row
at the overall shares), so a feature with many rare categories does not
predict the attribute merely by remembering the rows: an independent feature
stays near 0.5. The AUC is computed within each fold and averaged over the
folds, so rows of one category keep one score and tie. The interval is a
Poisson row bootstrap of that AUC with the cross-fitted scores held fixed.
"""

from __future__ import annotations

import numpy as np

from govkit.attribution._statistics import Estimate, _estimate

__all__ = ["feature_categories", "proxy_auc"]

#: a numeric column with at most this many distinct values is taken as categorical
MAX_CATEGORIES = 20


def feature_categories(columns: np.ndarray, *, n_bins: int = 10) -> np.ndarray:
    """(N,) int64 category of each row from the (N, C) encoded columns of one feature.

    Several columns: each distinct row pattern is a category. One column with
    at most ``MAX_CATEGORIES`` distinct values: each value is a category.
    Otherwise: ``n_bins`` quantile bins of the value.
    """
    x = np.asarray(columns, dtype=np.float64).reshape(columns.shape[0], -1)
    if x.shape[1] > 1:
        return np.unique(x, axis=0, return_inverse=True)[1].reshape(-1).astype(np.int64)
    v = x[:, 0]
    uniques, codes = np.unique(v, return_inverse=True)
    if uniques.size <= MAX_CATEGORIES:
        return codes.astype(np.int64)
    edges = np.unique(np.quantile(v, np.linspace(0.0, 1.0, n_bins + 1)[1:-1]))
    return np.searchsorted(edges, v, side="right").astype(np.int64)


def _cross_fitted_shares(
    categories: np.ndarray, groups: np.ndarray, n_groups: int, *, n_folds: int, seed: int
) -> tuple[np.ndarray, np.ndarray]:
    """(N, G) share of each group among the row's category counted on the other folds,
    and the (N,) fold of each row."""
    n = categories.size
    n_cat = int(categories.max()) + 1 if n else 0
    fold = np.random.default_rng(seed).permutation(n) % n_folds
    cell = categories * n_groups + groups
    per_fold = np.stack(
        [np.bincount(cell[fold == f], minlength=n_cat * n_groups) for f in range(n_folds)]
    ).reshape(n_folds, n_cat, n_groups)
    other = per_fold.sum(axis=0, keepdims=True) - per_fold  # (K, cats, G)
    prior = other.sum(axis=1, keepdims=True) / np.maximum(other.sum(axis=(1, 2), keepdims=True), 1)
    # one pseudo-row at the overall shares: an unseen category scores the prior
    shares = (other + prior) / (other.sum(axis=2, keepdims=True) + 1.0)
    return np.asarray(shares[fold, categories]), fold


def _auc_parts(
    score: np.ndarray, positive: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Sort order, tie-block starts and positive mask for a weighted Mann-Whitney AUC."""
    order = np.argsort(score, kind="stable")
    ordered = score[order]
    starts = np.flatnonzero(np.r_[True, ordered[1:] != ordered[:-1]])
    return order, starts, positive[order]


def _weighted_auc(
    w: np.ndarray, rows: np.ndarray, starts: np.ndarray, positive: np.ndarray
) -> np.ndarray:
    """(B,) AUC of ``rows`` (in score order) under row weights (B, N); ties count one half."""
    ws = w[:, rows]
    pos = np.add.reduceat(ws * positive, starts, axis=1)
    neg = np.add.reduceat(ws * ~positive, starts, axis=1)
    below = np.cumsum(neg, axis=1) - neg
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.asarray(
            (pos * (below + 0.5 * neg)).sum(axis=1) / (pos.sum(axis=1) * neg.sum(axis=1))
        )


def proxy_auc(
    categories: np.ndarray,
    groups: np.ndarray,
    n_groups: int,
    *,
    n_boot: int,
    seed: int,
    confidence: float = 0.95,
    n_folds: int = 5,
) -> Estimate:
    """Macro one-vs-rest AUC of predicting ``groups`` from ``categories`` alone.

    Parameters
    ----------
    categories
        (N,) int64 category of each row (see :func:`feature_categories`).
    groups
        (N,) int64 sensitive group code, ``0 .. n_groups-1``.
    n_groups
        Number of sensitive groups.
    n_boot, seed, confidence
        Bootstrap replicates, seed (also of the folds) and interval level.
    n_folds
        Folds of the cross-fitted group shares.

    Returns
    -------
    Estimate
        One value: the mean over groups that have rows on both sides of their
        one-vs-rest split; NaN when no group has.

    Examples
    --------
    >>> import numpy as np
    >>> g = np.repeat([0, 1], 500)
    >>> round(float(proxy_auc(g, g, 2, n_boot=0, seed=0).value[0]), 3)
    1.0
    """
    cats = np.asarray(categories, dtype=np.int64)
    codes = np.asarray(groups, dtype=np.int64)
    shares, fold = _cross_fitted_shares(cats, codes, n_groups, n_folds=n_folds, seed=seed)
    # one AUC per fold and group: within a fold, rows of one category share one score,
    # so a tie stays a tie (scores mixed across folds would break ties against the truth)
    parts: dict[int, list[tuple[np.ndarray, np.ndarray, np.ndarray]]] = {}
    for f in range(n_folds):
        rows = np.flatnonzero(fold == f)
        for g in range(n_groups):
            positive = codes[rows] == g
            if positive.any() and not positive.all():
                order, starts, pos = _auc_parts(shares[rows, g], positive)
                parts.setdefault(g, []).append((rows[order], starts, pos))

    def stat(w: np.ndarray) -> np.ndarray:
        if not parts:
            return np.full((w.shape[0], 1), np.nan)
        per_group = [
            np.nanmean(np.stack([_weighted_auc(w, *p) for p in folds], axis=1), axis=1)
            for folds in parts.values()
        ]
        return np.asarray(np.nanmean(np.stack(per_group, axis=1), axis=1, keepdims=True))

    return _estimate(stat, cats.size, n_boot=n_boot, seed=seed, confidence=confidence)
