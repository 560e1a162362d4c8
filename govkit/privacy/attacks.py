"""Membership-inference attack scores and the member / non-member samples they are judged on.

Both attacks use the model's output on each row's true label, as a float64
logit margin ``log p_y - logsumexp_{c != y} log p_c`` (= ``logit(p_y)``).
A float32 loss rounds to exactly 0 for every confidently right row, so the
rows an attacker is surest about would all tie; the margin keeps them apart
and makes a TPR at 0.1% FPR meaningful.

- ``loss``: the loss-threshold attack (Yeom et al., 2018) — a row whose loss
  is low is called a member. The margin is a strictly decreasing function of
  the cross-entropy loss, so thresholding it *is* thresholding the loss,
  without the ties.
- ``confidence``: the margin standardised within each true class, i.e. one
  threshold per class. Classes differ in how confident a model is on them
  (a rare class rarely gets high confidence), and a per-class threshold
  catches memorisation that one global threshold misses. The mean and spread
  come from the attacked rows themselves, never from membership labels.
"""

from __future__ import annotations

import numpy as np

__all__ = ["ATTACKS", "attack_scores", "logit_margins", "sample_membership"]

#: the attacks, in report order
ATTACKS: tuple[str, ...] = ("loss", "confidence")


def logit_margins(log_probs: np.ndarray, y_true: np.ndarray) -> np.ndarray:
    """float64 margin of the true class over all others, per row.

    Parameters
    ----------
    log_probs
        (N, C) log-probabilities.
    y_true
        (N,) int class indices.

    Returns
    -------
    numpy.ndarray
        (N,) float64 ``log p_y - logsumexp_{c != y} log p_c``.
    """
    lp = np.asarray(log_probs, dtype=np.float64)
    y = np.asarray(y_true, dtype=np.int64)
    rows = np.arange(len(y))
    own = lp[rows, y]
    others = lp.copy()
    others[rows, y] = -np.inf
    top = np.max(others, axis=1, keepdims=True)
    top = np.where(np.isfinite(top), top, 0.0)
    with np.errstate(divide="ignore"):
        rest = np.log(np.sum(np.exp(others - top), axis=1)) + top[:, 0]
    return own - rest


def attack_scores(margins: np.ndarray, y_true: np.ndarray) -> dict[str, np.ndarray]:
    """Attack name -> float64 score per row (higher = more likely a member)."""
    m = np.asarray(margins, dtype=np.float64)
    y = np.asarray(y_true, dtype=np.int64)
    # clip infinite margins (p_y rounded to 1 or 0) so the class statistics stay finite
    finite = np.where(np.isfinite(m), m, np.sign(m) * np.finfo(np.float64).max / 4)
    n_classes = int(y.max()) + 1 if y.size else 0
    counts = np.bincount(y, minlength=n_classes).astype(np.float64)
    with np.errstate(invalid="ignore", divide="ignore"):
        mean = np.bincount(y, weights=finite, minlength=n_classes) / counts
        var = np.bincount(y, weights=(finite - mean[y]) ** 2, minlength=n_classes) / counts
    sd = np.sqrt(var)
    sd = np.where(np.isfinite(sd) & (sd > 0), sd, 1.0)
    return {"loss": m, "confidence": (finite - mean[y]) / sd[y]}


def sample_membership(
    train_hashes: np.ndarray, eval_hashes: np.ndarray, *, max_per_side: int, seed: int
) -> tuple[np.ndarray, np.ndarray]:
    """Seeded, equal-size samples of members (train rows) and non-members (eval rows).

    Eval rows whose content equals a train row are excluded from the
    non-members: the model has seen them, so calling them non-members would
    understate the attack.

    Returns
    -------
    tuple of numpy.ndarray
        Positions of the members in the train split and of the non-members in
        the eval split, each sorted.
    """
    train_set = np.unique(train_hashes)
    candidates = np.flatnonzero(~np.isin(eval_hashes, train_set))
    n = min(len(train_hashes), len(candidates), max_per_side)
    rng = np.random.default_rng(seed)
    members = np.sort(rng.choice(len(train_hashes), size=n, replace=False))
    non_members = np.sort(rng.choice(candidates, size=n, replace=False))
    return members, non_members
