"""Calibration: do predicted probabilities match observed frequencies, overall and per group?"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np
from pydantic import Field

from govkit.checks._cells import COARSE_LEVELS, cells_record, coarse_rows
from govkit.checks._slices import worst_slices
from govkit.checks.base import Check, CheckParams, Evidence, SkipCheck
from govkit.report import Measurement
from govkit.scale.cells import LEVELS, score_level
from govkit.stats.bootstrap import bootstrap_rows
from govkit.stats.calibration_error import (
    calibration_error,
    debiased_squared_error,
    shifted_interval,
)
from govkit.stats.intervals import pick_ci, to_value
from govkit.stats.layers import group_sizes
from govkit.stats.paired import paired_interval
from govkit.stats.scores import bin_index, expected_calibration_error, group_indicator
from govkit.stats.seeding import derive_seed

if TYPE_CHECKING:
    from govkit.checks.context import CheckContext, Predictions

__all__ = ["Calibration", "CalibrationParams"]


class CalibrationParams(CheckParams):
    """Parameters of ``performance.calibration``."""

    n_bins: int = Field(
        default=10,
        ge=2,
        le=1000,
        description="Equal-width probability bins for the calibration error.",
    )


class Calibration(Check):
    """Debiased calibration error (``ece``) with equal-width bins, and reliability bins.

    Binary tasks compare the positive-class probability with the observed rate
    of class 1; multiclass tasks compare the top-label confidence with the
    observed accuracy. ``ece`` is the debiased l2 calibration error of Kumar et
    al. (2019): the square root of ``sum_b (n_b / n) [(observed_b -
    predicted_b)^2 - observed_b (1 - observed_b) / (n_b - 1)]``, truncated at
    0 (see :mod:`govkit.stats.calibration_error`); the last bin is closed at 1.
    The plug-in ECE ``sum_b (n_b / n) |predicted_b - observed_b|``, biased
    upwards on small groups, stays in ``details.plug_in_ece``. Intervals come
    from the Poisson row bootstrap, all groups and replicates at once, shifted
    by the bootstrap's own bias.

    Each baseline with scores gets its own ``ece`` (``model`` set) and the
    paired difference candidate minus baseline (``vs`` set), every model
    computed from the same row weights in each replicate; the difference's
    interval is the percentile interval of the paired replicates.

    On a split of weighted cells (``Split.weights``) each cell is binned by
    its mean score; ``details.statistics`` bounds what cells whose score level
    holds a bin edge can change, and the replicates come from the cells merged
    to coarse score levels.
    """

    id = "performance.calibration"
    title = "Calibration of predicted probabilities"
    measures_baselines = True
    Params = CalibrationParams
    requires_scores = True

    def measure(self, ctx: CheckContext, params: CalibrationParams) -> Evidence:
        preds = ctx.predictions("eval")
        if not preds.has_scores:  # also guarded by the runner through requires_scores
            raise SkipCheck("the predictions carry no scores; calibration needs probabilities")
        y_true = np.asarray(ctx.eval.y_true, dtype=np.int64)
        kind = (
            "positive-class probability vs rate of class 1"
            if ctx.task == "binary"
            else "top-label confidence vs accuracy"
        )
        # the candidate first, then each baseline with scores (without, it has no calibration)
        names: list[str | None] = [None]
        models = [preds]
        for baseline in ctx.baselines():
            if ctx.predictions_of_baseline(baseline).has_scores:
                names.append(baseline)
                models.append(ctx.predictions_of_baseline(baseline))
        k = params.n_bins
        all_layers = ctx.eval.layers(list(ctx.sensitive), [s.grouping for s in ctx.slices])
        codes = [layer.codes for layer in all_layers]
        sizes_of = [layer.n_groups for layer in all_layers]
        weights = ctx.eval.weights
        compared = [_compared(p, y_true, ctx.task) for p in models]
        # on cells the replicates come from merged cells (below): the cells' bins give the point
        binned = [
            _Binned.of(pred, obs, codes, sizes_of, k, weights, resampled=weights is None)
            for pred, obs in compared
        ]
        squared = np.stack([calibration_error_parts(b) for b in binned], axis=-1)  # (groups, M)
        ece = calibration_error(squared)

        reps = None
        seed = derive_seed(ctx.seed, "calibration", str(k))
        counts = None
        record: dict[str, Any] | None = None
        if weights is not None:
            # replicates on the cells merged to coarse score levels: cost independent of rows
            coarse = coarse_rows(
                codes,
                y_true,
                weights,
                scores=[pred for pred, _ in compared],
                values=[v for pair in compared for v in pair],
            )
            binned_reps = []
            for m in range(len(compared)):
                pred, obs = coarse.means[2 * m], coarse.means[2 * m + 1]
                assert pred is not None and obs is not None
                binned_reps.append(_Binned.of(pred, obs, coarse.codes, sizes_of, k, None))
            counts = coarse.counts
            record = cells_record(ctx) | _straddle(compared[0][0], weights, codes, k)
            record["bootstrap"] = (
                f"resampled on {counts.size} merged cells ({COARSE_LEVELS} score levels per "
                "group and label), each a Poisson(count) weight; point values on the cells"
            )
        else:
            binned_reps = binned
        if params.n_boot > 0:

            def statistic(w: np.ndarray) -> np.ndarray:
                return np.stack([b.replicate(w) for b in binned_reps], axis=-1)

            reps = bootstrap_rows(
                statistic,
                y_true.shape[0] if counts is None else counts.size,
                n_boot=params.n_boot,
                seed=seed,
                counts=counts,
            )

        evidence = Evidence(
            details={
                "n_bins": k,
                "binning": "equal-width",
                "compares": kind,
                "estimator": "debiased l2 calibration error (Kumar et al. 2019), "
                "square root truncated at 0",
                "interval": "Poisson row bootstrap, percentiles shifted by the bootstrap bias",
                "plug_in_ece": [],
                "reliability": [],
            }
        )
        if record is not None:
            evidence.details["statistics"] = record
        candidate = binned[0]
        plug_in = expected_calibration_error(*candidate.sums)
        edges = np.linspace(0.0, 1.0, k + 1)
        for m, name in enumerate(names):
            own = (
                None
                if reps is None
                else shifted_interval(reps[..., m], squared[:, m], params.confidence)
            )
            vs = (
                None
                if reps is None or name is None
                else paired_interval(
                    calibration_error(reps[..., 0]),
                    calibration_error(reps[..., m]),
                    params.confidence,
                )
            )
            offset = 0
            for layer in all_layers:
                sizes = group_sizes(layer.codes, layer.n_groups, weights)
                for g in range(layer.n_groups):
                    i = offset + g
                    evidence.measurements.append(
                        Measurement(
                            name="ece",
                            group=layer.label(g),
                            value=to_value(ece[i, m]),
                            ci=pick_ci(own, i),
                            n=int(sizes[g]),
                            model=name,
                        )
                    )
                    if name is not None:
                        evidence.measurements.append(
                            Measurement(
                                name="ece",
                                group=layer.label(g),
                                value=to_value(ece[i, 0] - ece[i, m]),
                                ci=pick_ci(vs, i),
                                n=int(sizes[g]),
                                vs=name,
                            )
                        )
                        continue
                    evidence.details["plug_in_ece"].append(
                        {"group": layer.label(g), "value": to_value(plug_in[i])}
                    )
                    count, sum_pred, sum_obs = (part[i] for part in candidate.sums)
                    evidence.details["reliability"].append(
                        {
                            "group": layer.label(g),
                            "bins": _reliability(edges, count, sum_pred, sum_obs),
                        }
                    )
                    if layer.grouping is not None and sizes[g] < params.min_group_size:
                        evidence.small_groups.append(f"{layer.describe(g)} (n={int(sizes[g])})")
                offset += layer.n_groups

        if ctx.slices:
            evidence.details["slices"] = [s.describe() for s in ctx.slices]
            evidence.details["worst_slices"] = worst_slices(
                evidence.measurements, ctx.slices, params.min_group_size
            )
        overall = to_value(ece[0, 0])
        evidence.summary = (
            f"Calibration error {overall:.3f} overall (debiased, {k} bins; "
            f"plug-in ECE {float(plug_in[0]):.3f})."
            if overall is not None
            else "No rows to measure calibration on."
        )
        return evidence


def calibration_error_parts(binned: _Binned) -> np.ndarray:
    """The debiased squared calibration error of every group, from exact bin sums."""
    return debiased_squared_error(*binned.sums)


@dataclass(frozen=True)
class _Binned:
    """One model's probabilities binned within every group of every layer."""

    #: sparse (groups * bins, n) indicators of rows, predicted and observed values per cell
    #: (None when only the point estimate is needed)
    indicators: tuple[Any, Any, Any] | None
    #: (count, sum predicted, sum observed), each (groups, bins)
    sums: tuple[np.ndarray, np.ndarray, np.ndarray]

    @classmethod
    def of(
        cls,
        predicted: np.ndarray,
        observed: np.ndarray,
        codes: list[np.ndarray],
        sizes: list[int],
        k: int,
        weights: np.ndarray | None,
        *,
        resampled: bool = True,
    ) -> _Binned:
        bins = bin_index(predicted, k)
        cells = [c * k + bins for c in codes]
        n_cells = [n * k for n in sizes]
        shape = (sum(sizes), k)
        w = None if weights is None else np.asarray(weights, dtype=np.float64)
        # exact per-bin sums for the point estimate and the reliability table
        sums = tuple(
            np.concatenate(
                [np.bincount(c, values, minlength=m) for c, m in zip(cells, n_cells, strict=True)]
            )
            .astype(np.float64)
            .reshape(shape)
            for values in (
                (None, predicted, observed) if w is None else (w, w * predicted, w * observed)
            )
        )
        if not resampled:
            return cls(None, (sums[0], sums[1], sums[2]))
        indicators = tuple(group_indicator(cells, n_cells, v) for v in (None, predicted, observed))
        return cls((indicators[0], indicators[1], indicators[2]), (sums[0], sums[1], sums[2]))

    def replicate(self, weights: np.ndarray) -> np.ndarray:
        """(B, groups) debiased squared errors under the row weights ``weights`` (B, n)."""
        if self.indicators is None:
            raise ValueError("these bins were built for the point estimate only")
        wt = weights.T
        b = weights.shape[0]
        shape = self.sums[0].shape
        parts = [np.asarray(m @ wt).T.reshape(b, *shape) for m in self.indicators]
        return debiased_squared_error(*parts)


def _compared(preds: Predictions, y_true: np.ndarray, task: str) -> tuple[np.ndarray, np.ndarray]:
    """(predicted probability, observed outcome) per row: what calibration compares."""
    if task == "binary":
        predicted = np.asarray(preds.scores, dtype=np.float64).reshape(-1)
        observed = (y_true == 1).astype(np.float64)
    else:
        probs = np.exp(np.asarray(preds.log_probs, dtype=np.float64))
        predicted = probs.max(axis=1)
        observed = (probs.argmax(axis=1) == y_true).astype(np.float64)
    if predicted.shape != y_true.shape:
        raise ValueError(
            f"{y_true.shape[0]} labels but {predicted.shape[0]} scores on the eval split"
        )
    return predicted, observed


def _straddle(
    predicted: np.ndarray, weights: np.ndarray, codes: list[np.ndarray], k: int
) -> dict[str, Any]:
    """The rows whose cell's score level straddles a calibration bin edge, and what they cost.

    A cell is binned by its mean score; its rows may lie on both sides of an
    edge only when its level contains the edge. Moving one row between bins
    changes the plug-in ECE's numerator by at most 2 (two terms of at most
    1), so the plug-in ECE of a group is off by at most twice the share of
    its rows in such cells.
    """
    levels = score_level(predicted)
    inner = np.arange(1, k) * LEVELS / k
    straddling = np.unique(np.floor(inner[inner != np.floor(inner)]).astype(np.int64))
    at = np.isin(levels, straddling)
    w = np.asarray(weights, dtype=np.float64)
    total = float(w.sum())
    rows = float(w[at].sum())
    worst = 0.0
    for layer_codes in codes:
        n = np.bincount(layer_codes, w)
        s = np.bincount(layer_codes, np.where(at, w, 0.0), minlength=n.size)
        shares = np.divide(s, n, out=np.zeros_like(s), where=n > 0)
        worst = max(worst, float(shares.max(initial=0.0)))
    return {
        "bin_edge_straddle_rows": round(rows),
        "plug_in_ece_error_bound": 2.0 * rows / total if total else 0.0,
        "plug_in_ece_error_bound_max_group": 2.0 * worst,
    }


def _reliability(
    edges: np.ndarray, count: np.ndarray, sum_pred: np.ndarray, sum_obs: np.ndarray
) -> list[dict[str, Any]]:
    """Reliability-diagram bins: range, mean predicted, observed rate, count."""
    out = []
    for b in range(count.shape[0]):
        c = int(count[b])
        out.append(
            {
                "low": float(edges[b]),
                "high": float(edges[b + 1]),
                "count": c,
                "mean_predicted": float(sum_pred[b] / c) if c else None,
                "observed_rate": float(sum_obs[b] / c) if c else None,
            }
        )
    return out
