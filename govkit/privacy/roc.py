"""ROC maths for attacks, with weights, so the bootstrap is one matrix operation.

Membership-inference results are read off the ROC curve of an attack score:
the area under it, the true-positive rate at a low false-positive rate (the
figure that matters for privacy: can an attacker be *sure* about anyone?), and
the membership advantage ``max(TPR - FPR)`` (Yeom et al., 2018).

Rows are sorted by score once. A bootstrap replicate is a row of Poisson
weights, and a weighted ROC is then two cumulative sums over the sorted rows,
so B replicates are (B, N) cumulative sums — no loop over replicates. Tied
scores form one threshold: only the last row of each tie block is a point of
the curve.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

__all__ = [
    "ATTACK_METRICS",
    "FPR_LEVELS",
    "NON_MEMBERS_PER_FPR_EVENT",
    "RocInput",
    "downsample_curve",
    "min_non_members",
    "roc_curve",
    "roc_metrics",
]

#: the metrics :func:`roc_metrics` returns, in column order
ATTACK_METRICS: tuple[str, ...] = (
    "roc_auc",
    "tpr_at_fpr_0.01",
    "tpr_at_fpr_0.001",
    "membership_advantage",
)
_FPR_LEVELS = (0.01, 0.001)
#: metric -> its false-positive rate, for the metrics read at a fixed FPR
FPR_LEVELS: dict[str, float] = {f"tpr_at_fpr_{level:g}": level for level in _FPR_LEVELS}
#: a TPR at FPR f needs at least this many / f non-members (Carlini et al. 2022): with
#: fewer, the smallest FPR the curve can show is above f, and the figure is a TPR at
#: another, larger FPR
NON_MEMBERS_PER_FPR_EVENT = 10
_CHUNK_CELLS = 1 << 22  # replicate x row cells per cumulative sum: 32 MB of float64


@dataclass(frozen=True)
class RocInput:
    """Rows sorted by decreasing score, split into positives and negatives.

    Build it with :meth:`from_scores`. ``pos_at`` / ``neg_at`` give, for the
    origin and each tie block's end, how many positives / negatives score at
    least that high: the curve's points are cumulative weights read there.
    """

    pos_rows: np.ndarray  # original positions of the positives, by decreasing score
    neg_rows: np.ndarray
    pos_at: np.ndarray  # (K+1,) positives counted through each threshold, starting at 0
    neg_at: np.ndarray

    @classmethod
    def from_scores(
        cls, scores: np.ndarray, positive: np.ndarray, subset: np.ndarray | None = None
    ) -> RocInput:
        """Sort ``scores`` (float64, higher = more likely positive), optionally of ``subset`` rows."""
        idx = np.arange(len(scores)) if subset is None else np.flatnonzero(subset)
        s = np.asarray(scores, dtype=np.float64)[idx]
        local = np.argsort(-s, kind="stable")
        s_sorted = s[local]
        pos = np.asarray(positive, dtype=bool)[idx[local]]
        ends = np.flatnonzero(np.append(s_sorted[1:] != s_sorted[:-1], True))
        zero = np.zeros(1, dtype=np.int64)
        return cls(
            pos_rows=idx[local][pos],
            neg_rows=idx[local][~pos],
            pos_at=np.concatenate([zero, np.cumsum(pos)[ends]]),
            neg_at=np.concatenate([zero, np.cumsum(~pos)[ends]]),
        )


def min_non_members(metric: str) -> int:
    """Non-members needed to report ``metric``: ``10 / f`` for a TPR at FPR ``f``, else 1."""
    level = FPR_LEVELS.get(metric)
    return 1 if level is None else round(NON_MEMBERS_PER_FPR_EVENT / level)


def _cumulative(
    weights: np.ndarray, rows: np.ndarray, at: np.ndarray, dtype: type[np.floating]
) -> np.ndarray:
    """(B, K+1) cumulative weight of ``rows`` (in score order) read at counts ``at``."""
    if len(rows) == 0:
        return np.zeros((weights.shape[0], len(at)), dtype=dtype)
    cum = np.cumsum(weights[:, rows], axis=1, dtype=dtype)
    out = cum[:, np.maximum(at - 1, 0)]
    out[:, at == 0] = 0.0  # thresholds above every such row
    return out


def _curves(inp: RocInput, weights: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(B, K+1) FPR and TPR at each threshold, from (B, N) row weights in original order."""
    # Poisson weights are small integers: float32 sums them exactly (below 2**24) at half
    # the memory traffic; the unit-weight point estimate stays in float64
    dtype = np.float64 if weights.shape[0] == 1 else np.float32
    tp = _cumulative(weights, inp.pos_rows, inp.pos_at, dtype)
    fp = _cumulative(weights, inp.neg_rows, inp.neg_at, dtype)
    with np.errstate(invalid="ignore", divide="ignore"):
        return fp / fp[:, -1:], tp / tp[:, -1:]


def roc_metrics(inp: RocInput, weights: np.ndarray) -> np.ndarray:
    """Attack metrics for each row of ``weights``.

    Parameters
    ----------
    inp
        Sorted scores and labels.
    weights
        (B, N) row weights in the original row order (all ones for the
        point estimate, Poisson counts for bootstrap replicates).

    Returns
    -------
    numpy.ndarray
        (B, 4) float64, columns as :data:`ATTACK_METRICS`; NaN where a
        replicate has no positive or no negative row.
    """
    b = weights.shape[0]
    out = np.empty((b, len(ATTACK_METRICS)), dtype=np.float64)
    step = max(1, _CHUNK_CELLS // max(len(inp.pos_rows) + len(inp.neg_rows), 1))
    for start in range(0, b, step):  # chunks of replicates bound the memory, not a per-row loop
        fpr, tpr = _curves(inp, weights[start : start + step])
        rows = slice(start, start + fpr.shape[0])
        out[rows, 0] = np.sum(np.diff(fpr, axis=1) * (tpr[:, 1:] + tpr[:, :-1]) / 2.0, axis=1)
        for j, level in enumerate(_FPR_LEVELS, start=1):
            # the curve is monotone, so the best TPR within the FPR budget is at the last such point
            last = np.sum(fpr <= level + 1e-12, axis=1) - 1
            out[rows, j] = np.take_along_axis(tpr, np.maximum(last, 0)[:, None], axis=1)[:, 0]
        out[rows, 3] = np.max(tpr - fpr, axis=1)
        invalid = ~(np.isfinite(fpr[:, -1]) & np.isfinite(tpr[:, -1]))
        out[rows][invalid] = np.nan
    return out


def roc_curve(inp: RocInput) -> tuple[np.ndarray, np.ndarray]:
    """The unweighted ROC curve: FPR and TPR at every threshold, from (0, 0) to (1, 1)."""
    n = int(max(inp.pos_rows.max(initial=-1), inp.neg_rows.max(initial=-1))) + 1
    fpr, tpr = _curves(inp, np.ones((1, n)))
    return fpr[0], tpr[0]


def downsample_curve(
    fpr: np.ndarray, tpr: np.ndarray, max_points: int = 200
) -> dict[str, list[float]]:
    """At most ``max_points`` points of a ROC curve for a chart.

    Half the points are log-spaced in FPR (1e-4 to 1), half linear, so both a
    log-scale chart of the low-FPR region and a linear chart stay faithful.
    The TPR at each grid point is the best TPR reached within that FPR.
    """
    half = max(max_points // 2, 2)
    grid = np.unique(
        np.concatenate([[0.0], np.logspace(-4, 0, half - 1), np.linspace(0.0, 1.0, half)])
    )[:max_points]
    last = np.searchsorted(fpr, grid, side="right") - 1
    values = tpr[np.maximum(last, 0)]
    return {"fpr": [round(float(x), 6) for x in grid], "tpr": [round(float(y), 6) for y in values]}
