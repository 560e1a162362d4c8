"""Calibration: do predicted probabilities match observed frequencies, overall and per group?"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np
from pydantic import Field

from govkit.checks.base import Check, CheckParams, Evidence, SkipCheck
from govkit.report import Measurement
from govkit.stats.bootstrap import bootstrap_rows
from govkit.stats.calibration_error import (
    calibration_error,
    debiased_squared_error,
    shifted_interval,
)
from govkit.stats.intervals import pick_ci, to_value
from govkit.stats.layers import layers
from govkit.stats.scores import bin_index, expected_calibration_error, group_indicator
from govkit.stats.seeding import derive_seed

if TYPE_CHECKING:
    from govkit.checks.context import CheckContext

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
    """

    id = "performance.calibration"
    title = "Calibration of predicted probabilities"
    Params = CalibrationParams
    requires_scores = True

    def measure(self, ctx: CheckContext, params: CalibrationParams) -> Evidence:
        preds = ctx.predictions("eval")
        if not preds.has_scores:  # also guarded by the runner through requires_scores
            raise SkipCheck("the predictions carry no scores; calibration needs probabilities")
        y_true = np.asarray(ctx.eval.y_true, dtype=np.int64)
        if ctx.task == "binary":
            predicted = np.asarray(preds.scores, dtype=np.float64).reshape(-1)
            observed = (y_true == 1).astype(np.float64)
            kind = "positive-class probability vs rate of class 1"
        else:
            probs = np.exp(np.asarray(preds.log_probs, dtype=np.float64))
            predicted = probs.max(axis=1)
            observed = (probs.argmax(axis=1) == y_true).astype(np.float64)
            kind = "top-label confidence vs accuracy"
        if predicted.shape != y_true.shape:
            raise ValueError(
                f"{y_true.shape[0]} labels but {predicted.shape[0]} scores on the eval split"
            )

        k = params.n_bins
        bins = bin_index(predicted, k)
        all_layers = layers(ctx.eval.frame, list(ctx.sensitive))
        cells = [layer.codes * k + bins for layer in all_layers]
        n_cells = [layer.n_groups * k for layer in all_layers]
        n_total_groups = sum(layer.n_groups for layer in all_layers)

        # exact per-bin sums for the point estimate and the reliability table
        count = np.concatenate(
            [np.bincount(c, minlength=m) for c, m in zip(cells, n_cells, strict=True)]
        )
        sum_pred = np.concatenate(
            [np.bincount(c, predicted, minlength=m) for c, m in zip(cells, n_cells, strict=True)]
        )
        sum_obs = np.concatenate(
            [np.bincount(c, observed, minlength=m) for c, m in zip(cells, n_cells, strict=True)]
        )
        shape = (n_total_groups, k)
        sums = (count.reshape(shape), sum_pred.reshape(shape), sum_obs.reshape(shape))
        plug_in = expected_calibration_error(*sums)
        squared = debiased_squared_error(*sums)
        ece = calibration_error(squared)

        bounds = None
        if params.n_boot > 0:
            count_m = group_indicator(cells, n_cells)
            pred_m = group_indicator(cells, n_cells, predicted)
            obs_m = group_indicator(cells, n_cells, observed)

            def statistic(weights: np.ndarray) -> np.ndarray:
                wt = weights.T
                b = weights.shape[0]
                parts = [np.asarray(m @ wt).T.reshape(b, *shape) for m in (count_m, pred_m, obs_m)]
                return debiased_squared_error(*parts)

            reps = bootstrap_rows(
                statistic,
                y_true.shape[0],
                n_boot=params.n_boot,
                seed=derive_seed(ctx.seed, "calibration", str(k)),
            )
            bounds = shifted_interval(reps, squared, params.confidence)

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
        edges = np.linspace(0.0, 1.0, k + 1)
        offset = 0
        for layer in all_layers:
            sizes = np.bincount(layer.codes, minlength=layer.n_groups)
            for g in range(layer.n_groups):
                i = offset + g
                evidence.measurements.append(
                    Measurement(
                        name="ece",
                        group=layer.label(g),
                        value=to_value(ece[i]),
                        ci=pick_ci(bounds, i),
                        n=int(sizes[g]),
                    )
                )
                evidence.details["plug_in_ece"].append(
                    {"group": layer.label(g), "value": to_value(plug_in[i])}
                )
                evidence.details["reliability"].append(
                    {
                        "group": layer.label(g),
                        "bins": _reliability(
                            edges,
                            count.reshape(shape)[i],
                            sum_pred.reshape(shape)[i],
                            sum_obs.reshape(shape)[i],
                        ),
                    }
                )
                if layer.grouping is not None and sizes[g] < params.min_group_size:
                    evidence.small_groups.append(f"{layer.describe(g)} (n={int(sizes[g])})")
            offset += layer.n_groups

        overall = to_value(ece[0])
        evidence.summary = (
            f"Calibration error {overall:.3f} overall (debiased, {k} bins; "
            f"plug-in ECE {float(plug_in[0]):.3f})."
            if overall is not None
            else "No rows to measure calibration on."
        )
        return evidence


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
