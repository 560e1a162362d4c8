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

__all__ = [
    "ATTACKS",
    "attack_scores",
    "logit_margins",
    "membership_candidates",
    "sample_membership",
]

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


def membership_candidates(
    train_hashes: np.ndarray, eval_hashes: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Rows eligible as members and as non-members, by one rule for both sides.

    A row is eligible when its content (features and label) occurs in no
    *other* training row: for a training row, no training row but itself;
    for an evaluation row, no training row at all. Both sides are thus
    conditioned on the same event, "unseen among about ``len(train)`` random
    rows", and have the same distribution of content when the two splits are
    random draws from one population. A model that memorises nothing then
    scores both sides alike, whatever the cardinality of the data.

    Filtering only the evaluation side (dropping its rows that occur in
    training) leaves the rare contents there and the common ones among the
    members; on low-cardinality data a model that outputs the true
    ``P(y | x)`` is then more confident on members, an attack AUC near 1
    with nothing memorised. Dropping, on each side, the rows whose content
    occurs on the other side is symmetric only when both splits have the
    same size.

    Returns
    -------
    tuple of numpy.ndarray
        Boolean masks over the train and the eval rows.
    """
    train = np.asarray(train_hashes)
    _, inverse, counts = np.unique(train, return_inverse=True, return_counts=True)
    members = counts[inverse.reshape(-1)] == 1
    non_members = ~np.isin(np.asarray(eval_hashes), train)
    return members, non_members


def sample_membership(
    train_hashes: np.ndarray, eval_hashes: np.ndarray, *, max_per_side: int, seed: int
) -> tuple[np.ndarray, np.ndarray]:
    """Seeded, equal-size samples of members (train rows) and non-members (eval rows).

    Both are drawn from the rows :func:`membership_candidates` finds
    eligible: content that occurs in no other training row. An evaluation
    row that equals a training row is never a non-member (the model has
    seen it), and a training row repeated in training is never a member.

    Returns
    -------
    tuple of numpy.ndarray
        Positions of the members in the train split and of the non-members in
        the eval split, each sorted.
    """
    eligible_train, eligible_eval = membership_candidates(train_hashes, eval_hashes)
    member_rows, non_member_rows = np.flatnonzero(eligible_train), np.flatnonzero(eligible_eval)
    n = min(len(member_rows), len(non_member_rows), max_per_side)
    rng = np.random.default_rng(seed)
    members = np.sort(rng.choice(member_rows, size=n, replace=False))
    non_members = np.sort(rng.choice(non_member_rows, size=n, replace=False))
    return members, non_members
