"""Classification performance overall and in every group of the sensitive columns."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

import numpy as np

from govkit.checks.base import Check, CheckParams, Evidence
from govkit.report import Measurement
from govkit.stats.bootstrap import bootstrap_rows, poisson_counts
from govkit.stats.confusion import (
    accuracy,
    balanced_accuracy,
    confusion_counts,
    f1,
    macro_f1,
    precision,
    recall,
)
from govkit.stats.intervals import interval_bounds, pick_ci, to_value
from govkit.stats.layers import Layer, layers
from govkit.stats.rates import wilson_interval
from govkit.stats.scores import group_indicator, weighted_roc_auc
from govkit.stats.seeding import derive_seed

if TYPE_CHECKING:
    from govkit.checks.context import CheckContext

__all__ = ["Classification"]

_CountMetric = Callable[[np.ndarray], np.ndarray]
_Support = Callable[[np.ndarray], np.ndarray]


def _rows(cm: np.ndarray) -> np.ndarray:
    return cm.sum(axis=(-2, -1))


#: metric -> (function of per-group counts, its sample size from the counts)
_BINARY_COUNT_METRICS: dict[str, tuple[_CountMetric, _Support]] = {
    "accuracy": (accuracy, _rows),
    "balanced_accuracy": (balanced_accuracy, _rows),
    "precision": (precision, lambda cm: cm[..., :, 1].sum(axis=-1)),
    "recall": (recall, lambda cm: cm[..., 1, :].sum(axis=-1)),
    "f1": (f1, _rows),
}
_MULTICLASS_COUNT_METRICS: dict[str, tuple[_CountMetric, _Support]] = {
    "accuracy": (accuracy, _rows),
    "balanced_accuracy": (balanced_accuracy, _rows),
    "f1": (macro_f1, _rows),
}


def _correct(cm: np.ndarray) -> np.ndarray:
    return np.trace(cm, axis1=-2, axis2=-1)


def _true_positives(cm: np.ndarray) -> np.ndarray:
    return cm[..., 1, 1]


#: the metrics that are a share of events among the rows in their ``n``: their
#: interval is a Wilson score interval, which never collapses to [1, 1] on a
#: small group that made no error (a percentile bootstrap does)
_RATE_EVENTS: dict[str, _CountMetric] = {
    "accuracy": _correct,
    "precision": _true_positives,
    "recall": _true_positives,
}


class Classification(Check):
    """Accuracy, balanced accuracy, precision, recall, F1, ROC AUC, log loss and Brier score.

    Figures are given overall (group null) and for every group of each
    sensitive column and of their intersection. Binary tasks get every metric
    (class 1 positive); multiclass tasks get accuracy, balanced accuracy,
    macro F1 (named ``f1``) and log loss. Score metrics are left out when the
    predictions carry no scores. Intervals: accuracy, precision and recall are
    rates, with Wilson score intervals; balanced accuracy and F1 resample
    per-group confusion counts; score metrics use the Poisson row bootstrap.

    Each figure's ``n`` is the rows it rests on, which the runner holds to
    ``min_group_size`` before a figure may pass: positive labels for recall,
    predicted positives for precision, the smaller class for ROC AUC, all
    rows otherwise. "Recall 1.0 on a group of 300 rows" with 3 positives is
    ``insufficient_evidence``, not a pass.
    """

    id = "performance.classification"
    title = "Classification performance, overall and per group"

    def measure(self, ctx: CheckContext, params: CheckParams) -> Evidence:
        y_true = np.asarray(ctx.eval.y_true, dtype=np.int64)
        preds = ctx.predictions("eval")
        y_pred = np.asarray(preds.labels, dtype=np.int64)
        if y_true.shape != y_pred.shape:
            raise ValueError(
                f"{y_true.shape[0]} labels but {y_pred.shape[0]} predictions on the eval split"
            )
        binary = ctx.task == "binary"
        n_classes = (
            2
            if binary
            else int(
                max(
                    np.asarray(preds.log_probs).shape[-1],
                    y_true.max(initial=0) + 1,
                    y_pred.max(initial=0) + 1,
                )
            )
        )
        all_layers = layers(ctx.eval.frame, list(ctx.sensitive))
        notes: list[str] = []
        evidence = Evidence(
            details={
                "task": ctx.task,
                "averaging": "binary, class 1 positive" if binary else "macro over classes present",
                "notes": notes,
            }
        )

        count_metrics = _BINARY_COUNT_METRICS if binary else _MULTICLASS_COUNT_METRICS
        score_names = ["roc_auc", "log_loss", "brier_score"] if binary else ["log_loss"]
        if not preds.has_scores:
            notes.append(f"the predictions carry no scores: {', '.join(score_names)} omitted")
            score_names = []
        elif not binary:
            notes.append("roc_auc and brier_score are reported for binary tasks only")

        score_values: dict[str, np.ndarray] = {}
        score_bounds: dict[str, np.ndarray | None] = {}
        if score_names:
            score_values, score_bounds = _score_metrics(
                ctx, params, all_layers, y_true, preds.log_probs, preds.scores, binary
            )

        offset = 0
        for layer in all_layers:
            counts = confusion_counts(layer.codes, layer.n_groups, y_true, y_pred, n_classes)
            reps = None
            if params.n_boot > 0:
                seed = derive_seed(ctx.seed, "classification", layer.feature or "(overall)")
                reps = poisson_counts(counts, n_boot=params.n_boot, seed=seed)
            sizes = _rows(counts)
            for name, (fn, support) in count_metrics.items():
                value = fn(counts)
                n = support(counts)
                bounds: np.ndarray | None
                if name in _RATE_EVENTS:
                    bounds = wilson_interval(_RATE_EVENTS[name](counts), n, params.confidence)
                else:
                    bounds = interval_bounds(None if reps is None else fn(reps), params.confidence)
                for g in range(layer.n_groups):
                    evidence.measurements.append(
                        Measurement(
                            name=name,
                            group=layer.label(g),
                            value=to_value(value[g]),
                            ci=pick_ci(bounds, g),
                            n=int(n[g]),
                        )
                    )
            # a rank statistic is as precise as its smaller class allows
            both_classes = counts[:, :2, :].sum(axis=-1).min(axis=-1) if binary else sizes
            for name in score_names:
                n_used = both_classes if name == "roc_auc" else sizes
                for g in range(layer.n_groups):
                    evidence.measurements.append(
                        Measurement(
                            name=name,
                            group=layer.label(g),
                            value=to_value(score_values[name][offset + g]),
                            ci=pick_ci(score_bounds[name], offset + g),
                            n=int(n_used[g]),
                        )
                    )
                    if name == "roc_auc" and np.isnan(score_values[name][offset + g]):
                        notes.append(
                            f"roc_auc is undefined for {layer.describe(g)}: "
                            "only one class among its true labels"
                        )
            for g in range(layer.n_groups):
                if layer.grouping is not None and sizes[g] < params.min_group_size:
                    evidence.small_groups.append(f"{layer.describe(g)} (n={int(sizes[g])})")
            offset += layer.n_groups

        overall = {m.name: m.value for m in evidence.measurements if m.group is None}
        acc = overall.get("accuracy")
        evidence.summary = (
            f"Accuracy {acc:.3f} over {y_true.shape[0]} rows"
            if acc is not None
            else f"{y_true.shape[0]} rows evaluated"
        )
        evidence.summary += f", in {len(all_layers) - 1} grouping(s)."
        return evidence


def _score_metrics(
    ctx: CheckContext,
    params: CheckParams,
    all_layers: list[Layer],
    y_true: np.ndarray,
    log_probs: np.ndarray,
    scores: np.ndarray,
    binary: bool,
) -> tuple[dict[str, np.ndarray], dict[str, np.ndarray | None]]:
    """Point values and interval bounds of the score metrics, for every group of every layer.

    Each result is indexed by the position of the group in the concatenation
    of all layers' groups (overall first).
    """
    log_probs = np.asarray(log_probs, dtype=np.float64)
    n = y_true.shape[0]
    codes = [layer.codes for layer in all_layers]
    sizes = [layer.n_groups for layer in all_layers]
    # log-probabilities give the loss of confident rows exactly, where clipped
    # probabilities would not
    loss = -log_probs[np.arange(n), y_true]
    count_m = group_indicator(codes, sizes)
    loss_m = group_indicator(codes, sizes, loss)
    names = ["log_loss"]
    brier_m = None
    groups_sorted: list[np.ndarray] = []
    p1 = np.asarray(scores, dtype=np.float64).reshape(-1) if binary else np.empty(0)
    if binary:
        names = ["roc_auc", "log_loss", "brier_score"]
        brier_m = group_indicator(codes, sizes, (p1 - y_true) ** 2)
        # rows of each group, sorted by score once for every replicate
        order = np.argsort(p1, kind="stable")
        for layer in all_layers:
            sorted_codes = layer.codes[order]
            for g in range(layer.n_groups):
                groups_sorted.append(order[sorted_codes == g])

    def statistic(weights: np.ndarray) -> np.ndarray:
        wt = weights.T
        total = np.asarray(count_m @ wt).T
        with np.errstate(invalid="ignore", divide="ignore"):
            out = {"log_loss": np.asarray(loss_m @ wt).T / total}
            if brier_m is not None:
                out["brier_score"] = np.asarray(brier_m @ wt).T / total
        if binary:
            out["roc_auc"] = np.stack(
                [weighted_roc_auc(p1[idx], y_true[idx], weights.T[idx].T) for idx in groups_sorted],
                axis=1,
            )
        return np.stack([out[k] for k in names], axis=-1)  # (B, groups, metrics)

    point = statistic(np.ones((1, n)))[0]
    values = {k: point[:, i] for i, k in enumerate(names)}
    bounds: dict[str, np.ndarray | None] = dict.fromkeys(names)
    if params.n_boot > 0:
        reps = bootstrap_rows(
            statistic, n, n_boot=params.n_boot, seed=derive_seed(ctx.seed, "classification-scores")
        )
        b = interval_bounds(reps, params.confidence)
        if b is not None:
            bounds = {k: b[:, :, i] for i, k in enumerate(names)}
    return values, bounds
