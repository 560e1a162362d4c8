"""Classification performance overall and in every group of the sensitive columns."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

from govkit.checks._cells import COARSE_LEVELS, cells_record, coarse_rows, max_group_bound
from govkit.checks._figures import per_group
from govkit.checks._slices import slice_notes, worst_slices
from govkit.checks.base import Check, CheckParams, Evidence
from govkit.scale.cells import auc_error_bound, score_level
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
from govkit.stats.intervals import interval_bounds
from govkit.stats.layers import Layer, group_sizes
from govkit.stats.paired import joint_counts, paired_interval, split_joint
from govkit.stats.rates import wilson_interval
from govkit.stats.scores import group_indicator, weighted_roc_auc
from govkit.stats.seeding import derive_seed

if TYPE_CHECKING:
    from govkit.checks.context import CheckContext, Predictions

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

    Each slice of ``data.slices`` gets the same figures as a group
    (``group: {"region": "EU"}``), with the same intervals and small-group
    rule; ``details.worst_slices`` names, per metric, the worst slice and its
    gap to the overall figure.

    Each figure's ``n`` is the rows it rests on, which the runner holds to
    ``min_group_size`` before a figure may pass: positive labels for recall,
    predicted positives for precision, the smaller class for ROC AUC, all
    rows otherwise. "Recall 1.0 on a group of 300 rows" with 3 positives is
    ``insufficient_evidence``, not a pass.

    Each baseline gets the same figures (``model`` set) and the paired
    differences candidate minus baseline (``vs`` set): count metrics from one
    resample of the cells crossed by both models' labels, score metrics from
    the same row weights for every model (so the candidate's own figures do
    not change when a baseline is added).

    On a split of weighted cells (``Split.weights``) the count figures are
    those of the rows; ROC AUC is within ``details.statistics.auc_error_bound``
    of the rows' value, and the score figures' replicates come from the cells
    merged to :data:`~govkit.checks._cells.COARSE_LEVELS` levels, each with a
    Poisson(count) weight, so their cost does not grow with the rows.
    """

    id = "performance.classification"
    title = "Classification performance, overall and per group"
    measures_baselines = True

    def measure(self, ctx: CheckContext, params: CheckParams) -> Evidence:
        y_true = np.asarray(ctx.eval.y_true, dtype=np.int64)
        preds = ctx.predictions("eval")
        models = _Models.of(ctx, y_true)
        binary = ctx.task == "binary"
        n_classes = (
            2
            if binary
            else int(
                max(
                    [np.asarray(p.log_probs).shape[-1] for p in models.preds]
                    + [y_true.max(initial=0) + 1]
                    + [p.labels.max(initial=0) + 1 for p in models.preds]
                )
            )
        )
        all_layers = ctx.eval.layers(list(ctx.sensitive), [s.grouping for s in ctx.slices])
        weights = ctx.eval.weights
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
        # baselines without scores take no part in the score metrics
        scored = [i for i, p in enumerate(models.preds) if p.has_scores] if score_names else []
        scores = _score_metrics(ctx, params, all_layers, y_true, models, scored, binary)
        if weights is not None:
            evidence.details["statistics"] = scores.statistics or cells_record(ctx)

        offset = 0
        for layer in all_layers:
            sizes = group_sizes(layer.codes, layer.n_groups, weights)
            for i, (name, p) in enumerate(zip(models.names, models.preds, strict=True)):
                counts = confusion_counts(
                    layer.codes, layer.n_groups, y_true, p.labels, n_classes, weights
                )
                _count_figures(evidence, ctx, params, layer, counts, count_metrics, model=name)
                if i in scored:
                    _score_figures(evidence, scores, layer, offset, counts, binary, i, model=name)
                if name is None:  # the candidate itself
                    continue
                joint = joint_counts(
                    layer.codes, layer.n_groups, y_true, preds.labels, p.labels, n_classes, weights
                )
                _count_differences(evidence, ctx, params, layer, joint, count_metrics, vs=name)
                if i in scored and 0 in scored:
                    _score_figures(evidence, scores, layer, offset, counts, binary, i, vs=name)
            for g in range(layer.n_groups):
                if "roc_auc" in score_names and np.isnan(scores.values[0]["roc_auc"][offset + g]):
                    notes.append(
                        f"roc_auc is undefined for {layer.describe(g)}: "
                        "only one class among its true labels"
                    )
                if layer.grouping is not None and sizes[g] < params.min_group_size:
                    evidence.small_groups.append(f"{layer.describe(g)} (n={int(sizes[g])})")
            offset += layer.n_groups

        overall = {
            m.name: m.value
            for m in evidence.measurements
            if m.group is None and m.model is None and m.vs is None
        }
        acc = overall.get("accuracy")
        n_rows = ctx.eval.n_rows
        evidence.summary = (
            f"Accuracy {acc:.3f} over {n_rows} rows"
            if acc is not None
            else f"{n_rows} rows evaluated"
        )
        evidence.summary += f", in {len(all_layers) - 1} grouping(s)."
        if ctx.slices:
            notes.extend(slice_notes(ctx.slices))
            evidence.details["slices"] = [s.describe() for s in ctx.slices]
            evidence.details["worst_slices"] = worst_slices(
                evidence.measurements, ctx.slices, params.min_group_size
            )
        return evidence


@dataclass(frozen=True)
class _Models:
    """The candidate (first, name None) and each baseline, with predictions on the same rows."""

    names: list[str | None]
    preds: list[Predictions]

    @classmethod
    def of(cls, ctx: CheckContext, y_true: np.ndarray) -> _Models:
        baselines = ctx.baselines()
        names: list[str | None] = [None, *baselines]
        preds = [ctx.predictions("eval")] + [ctx.predictions_of_baseline(n) for n in baselines]
        for p in preds:
            if np.shape(p.labels) != y_true.shape:
                raise ValueError(
                    f"{y_true.shape[0]} labels but {np.shape(p.labels)[0]} predictions "
                    "on the eval split"
                )
        return cls(names, preds)


def _emit(
    evidence: Evidence,
    name: str,
    layer: Layer,
    value: np.ndarray,
    bounds: np.ndarray | None,
    n: np.ndarray,
    *,
    model: str | None = None,
    vs: str | None = None,
) -> None:
    """One measurement per group of ``layer``."""
    evidence.measurements.extend(per_group(name, layer, value, bounds, n, model=model, vs=vs))


def _count_figures(
    evidence: Evidence,
    ctx: CheckContext,
    params: CheckParams,
    layer: Layer,
    counts: np.ndarray,
    metrics: dict[str, tuple[_CountMetric, _Support]],
    *,
    model: str | None,
) -> None:
    """One model's count metrics for every group of ``layer``."""
    reps = None
    if params.n_boot > 0:
        seed = derive_seed(ctx.seed, "classification", layer.feature or "(overall)")
        reps = poisson_counts(counts, n_boot=params.n_boot, seed=seed)
    for name, (fn, support) in metrics.items():
        n = support(counts)
        bounds: np.ndarray | None
        if name in _RATE_EVENTS:
            bounds = wilson_interval(_RATE_EVENTS[name](counts), n, params.confidence)
        else:
            bounds = interval_bounds(None if reps is None else fn(reps), params.confidence)
        _emit(evidence, name, layer, fn(counts), bounds, n, model=model)


def _count_differences(
    evidence: Evidence,
    ctx: CheckContext,
    params: CheckParams,
    layer: Layer,
    joint: np.ndarray,
    metrics: dict[str, tuple[_CountMetric, _Support]],
    *,
    vs: str,
) -> None:
    """Candidate minus baseline for the count metrics, from one resample of the joint cells."""
    ca, cb = split_joint(joint)
    reps_a = reps_b = None
    if params.n_boot > 0:
        seed = derive_seed(ctx.seed, "classification-vs", vs, layer.feature or "(overall)")
        reps_a, reps_b = split_joint(poisson_counts(joint, n_boot=params.n_boot, seed=seed))
    for name, (fn, support) in metrics.items():
        bounds = (
            None
            if reps_a is None or reps_b is None
            else paired_interval(fn(reps_a), fn(reps_b), params.confidence)
        )
        n = np.minimum(support(ca), support(cb))
        _emit(evidence, name, layer, fn(ca) - fn(cb), bounds, n, vs=vs)


def _score_figures(
    evidence: Evidence,
    scores: _ScoreFigures,
    layer: Layer,
    offset: int,
    counts: np.ndarray,
    binary: bool,
    index: int,
    *,
    model: str | None = None,
    vs: str | None = None,
) -> None:
    """Model ``index``'s score metrics (or, with ``vs``, candidate minus it) for ``layer``."""
    sizes = _rows(counts)
    # a rank statistic is as precise as its smaller class allows
    both_classes = counts[:, :2, :].sum(axis=-1).min(axis=-1) if binary else sizes
    where = slice(offset, offset + layer.n_groups)
    for name in scores.names:
        n_used = both_classes if name == "roc_auc" else sizes
        if vs is None:
            value = scores.values[index][name][where]
            bounds = scores.bounds(index, name)
        else:
            value = scores.values[0][name][where] - scores.values[index][name][where]
            bounds = scores.difference_bounds(index, name)
        _emit(
            evidence,
            name,
            layer,
            value,
            None if bounds is None else bounds[:, where],
            n_used,
            model=model,
            vs=vs,
        )


@dataclass(frozen=True)
class _ScoreFigures:
    """Score metrics of every model, indexed by the group's position over all layers."""

    names: list[str]
    #: per model (None: no scores), metric -> (groups,) point values
    values: list[dict[str, np.ndarray]]
    #: (B, groups, metrics, models) replicates from one row resample, or None
    replicates: np.ndarray | None
    #: position of each model in the last axis of ``replicates``
    column: dict[int, int]
    confidence: float
    #: on weighted cells: what the figures were computed from, for ``details.statistics``
    statistics: dict[str, Any] | None = None

    def bounds(self, index: int, name: str) -> np.ndarray | None:
        if self.replicates is None:
            return None
        reps = self.replicates[:, :, self.names.index(name), self.column[index]]
        return interval_bounds(reps, self.confidence)

    def difference_bounds(self, index: int, name: str) -> np.ndarray | None:
        if self.replicates is None:
            return None
        reps = self.replicates[:, :, self.names.index(name)]
        return paired_interval(
            reps[..., self.column[0]], reps[..., self.column[index]], self.confidence
        )


def _score_metrics(
    ctx: CheckContext,
    params: CheckParams,
    all_layers: list[Layer],
    y_true: np.ndarray,
    models: _Models,
    scored: list[int],
    binary: bool,
) -> _ScoreFigures:
    """Point values and replicates of the score metrics, for every group and scored model.

    Every model is computed from the same row weights in each replicate, so
    the candidate's figures are the same with or without baselines and each
    difference is paired. On weighted cells the point values are computed on
    the cells and the replicates on a coarser histogram of them
    (:func:`govkit.checks._cells.coarse_rows`), so the bootstrap's cost does not grow with the rows.
    """
    names = (["roc_auc", "log_loss", "brier_score"] if binary else ["log_loss"]) if scored else []
    values: list[dict[str, np.ndarray]] = [{} for _ in models.preds]
    if not scored:
        return _ScoreFigures(names, values, None, {}, params.confidence)
    n = y_true.shape[0]
    weights = ctx.eval.weights
    codes = [layer.codes for layer in all_layers]
    sizes = [layer.n_groups for layer in all_layers]
    rows = [_row_scores(models.preds[i], y_true, binary) for i in scored]
    if weights is None:
        statistic = _score_statistic(codes, sizes, y_true, rows, names, binary)
        point = statistic(np.ones((1, n)))[0]
    else:
        # millions of cells: sums by bincount, no (groups x cells) matrices
        point = _weighted_point(codes, sizes, y_true, rows, names, weights)
    for j, i in enumerate(scored):
        values[i] = {k: point[:, m, j] for m, k in enumerate(names)}
    reps = None
    seed = derive_seed(ctx.seed, "classification-scores")
    record: dict[str, Any] | None = None
    if weights is None:
        if params.n_boot > 0:
            reps = bootstrap_rows(statistic, n, n_boot=params.n_boot, seed=seed)
    else:
        coarse = coarse_rows(
            codes,
            y_true,
            weights,
            scores=[r[0] for r in rows] if binary else [],
            values=[v for r in rows for v in r],
        )
        merged: list[_RowScores] = []
        for j in range(len(rows)):
            p1, loss, squared = coarse.means[3 * j : 3 * j + 3]
            assert p1 is not None and loss is not None
            merged.append((p1, loss, squared))
        record = cells_record(ctx)
        if binary:
            levels = score_level(rows[0][0])
            record["auc_error_bound"] = auc_error_bound(levels, y_true == 1, weights)
            record["auc_error_bound_max_group"] = max_group_bound(codes, levels, y_true, weights)
        record["bootstrap"] = (
            f"score figures resampled on {coarse.counts.size} merged cells "
            f"({COARSE_LEVELS} score levels per group and label), each a Poisson(count) "
            "weight; point values on the cells"
        )
        if binary:
            record["bootstrap_auc_error_bound"] = auc_error_bound(
                score_level(merged[0][0], COARSE_LEVELS), coarse.y_true == 1, coarse.counts
            )
        if params.n_boot > 0:
            coarse_statistic = _score_statistic(
                coarse.codes, sizes, coarse.y_true, merged, names, binary
            )
            reps = bootstrap_rows(
                coarse_statistic,
                coarse.counts.size,
                n_boot=params.n_boot,
                seed=seed,
                counts=coarse.counts,
            )
    column = {i: j for j, i in enumerate(scored)}
    return _ScoreFigures(names, values, reps, column, params.confidence, record)


#: per scored model: (positive-class score or empty, per-row loss, per-row squared error or None)
_RowScores = tuple[np.ndarray, np.ndarray, np.ndarray | None]


def _row_scores(preds: Predictions, y_true: np.ndarray, binary: bool) -> _RowScores:
    """What the score metrics average over the rows: the score, the loss, the squared error."""
    log_probs = np.asarray(preds.log_probs, dtype=np.float64)
    # log-probabilities give the loss of confident rows exactly, where clipped
    # probabilities would not
    loss = -log_probs[np.arange(y_true.shape[0]), y_true]
    if not binary:
        return np.empty(0), loss, None
    p1 = np.asarray(preds.scores, dtype=np.float64).reshape(-1)
    return p1, loss, (p1 - y_true) ** 2


def _score_statistic(
    codes: list[np.ndarray],
    sizes: list[int],
    y_true: np.ndarray,
    rows: list[_RowScores],
    names: list[str],
    binary: bool,
) -> Callable[[np.ndarray], np.ndarray]:
    """(B, n) row weights -> (B, groups, metrics, models) score figures."""
    count_m = group_indicator(codes, sizes)
    parts = [_ScoreParts.of(r, codes, sizes, y_true, binary) for r in rows]

    def statistic(weights: np.ndarray) -> np.ndarray:
        wt = weights.T
        total = np.asarray(count_m @ wt).T
        return np.stack([part.statistic(weights, wt, total, names) for part in parts], axis=-1)

    return statistic


def _weighted_point(
    codes: list[np.ndarray],
    sizes: list[int],
    y_true: np.ndarray,
    rows: list[_RowScores],
    names: list[str],
    weights: np.ndarray,
) -> np.ndarray:
    """(groups, metrics, models) score figures under one weight vector, without matrices.

    Equal to ``_score_statistic(...)(weights[None, :])[0]`` to the last bit:
    each group's sums add the same products in the same order (a bincount
    walks the entries as a sparse row does), and each group's ROC AUC is
    computed on its entries in the same score order. What it saves is the
    (groups x entries) sparse matrices and their memory, which dominate on
    millions of cells.
    """
    w = np.asarray(weights, dtype=np.float64)
    total = _group_sums(codes, sizes, w)
    per_model = []
    for p1, loss, squared in rows:
        with np.errstate(invalid="ignore", divide="ignore"):
            out = {"log_loss": _group_sums(codes, sizes, loss * w) / total}
            if squared is not None:
                out["brier_score"] = _group_sums(codes, sizes, squared * w) / total
        if squared is not None:
            out["roc_auc"] = _group_auc(codes, sizes, p1, y_true, w)
        per_model.append(np.stack([out[k] for k in names], axis=-1))
    return np.stack(per_model, axis=-1)


def _group_sums(codes: list[np.ndarray], sizes: list[int], values: np.ndarray) -> np.ndarray:
    """Per group of every layer, the sum of ``values`` over its entries (layers concatenated)."""
    return np.concatenate(
        [np.bincount(c, values, minlength=m) for c, m in zip(codes, sizes, strict=True)]
    ).astype(np.float64)


def _group_auc(
    codes: list[np.ndarray], sizes: list[int], p1: np.ndarray, y_true: np.ndarray, w: np.ndarray
) -> np.ndarray:
    """Weighted ROC AUC of every group of every layer (layers concatenated).

    One stable sort by score, then per layer one stable sort by group code:
    each group's entries then lie together, in the score order
    :meth:`_ScoreParts.of` gives them.
    """
    order = np.argsort(p1, kind="stable")
    # in score order once; each layer then only regroups (a stable counting sort of small codes)
    s_all, positive_all, w_all = p1[order], (y_true == 1)[order], w[order]
    out = []
    for layer_codes, n_groups in zip(codes, sizes, strict=True):
        if n_groups == 1:
            s, positive, wt = s_all, positive_all, w_all
            starts = np.array([0, order.size])
        else:
            narrow = layer_codes.astype(np.int16 if n_groups < 2**15 else np.int64)[order]
            by_group = np.argsort(narrow, kind="stable")
            starts = np.concatenate([[0], np.cumsum(np.bincount(narrow, minlength=n_groups))])
            s, positive, wt = s_all[by_group], positive_all[by_group], w_all[by_group]
            del narrow, by_group
        for g in range(n_groups):
            at = slice(int(starts[g]), int(starts[g + 1]))
            out.append(weighted_roc_auc(s[at], positive[at], wt[None, at])[0])
    return np.asarray(out, dtype=np.float64)


@dataclass(frozen=True)
class _ScoreParts:
    """What one model's score metrics need under row weights: per-row losses and sort orders."""

    loss_m: Any
    brier_m: Any
    p1: np.ndarray
    y_true: np.ndarray
    groups_sorted: list[np.ndarray]

    @classmethod
    def of(
        cls,
        rows: _RowScores,
        codes: list[np.ndarray],
        sizes: list[int],
        y_true: np.ndarray,
        binary: bool,
    ) -> _ScoreParts:
        p1, loss, squared = rows
        loss_m = group_indicator(codes, sizes, loss)
        brier_m = None
        groups_sorted: list[np.ndarray] = []
        if binary and squared is not None:
            brier_m = group_indicator(codes, sizes, squared)
            # rows of each group, sorted by score once for every replicate
            order = np.argsort(p1, kind="stable")
            for layer_codes, n_groups in zip(codes, sizes, strict=True):
                sorted_codes = layer_codes[order]
                for g in range(n_groups):
                    groups_sorted.append(order[sorted_codes == g])
        return cls(loss_m, brier_m, p1, y_true, groups_sorted)

    def statistic(
        self, weights: np.ndarray, wt: np.ndarray, total: np.ndarray, names: list[str]
    ) -> np.ndarray:
        """(B, groups, metrics) for the weight matrix ``weights`` (``wt`` its transpose)."""
        with np.errstate(invalid="ignore", divide="ignore"):
            out = {"log_loss": np.asarray(self.loss_m @ wt).T / total}
            if self.brier_m is not None:
                out["brier_score"] = np.asarray(self.brier_m @ wt).T / total
        if self.brier_m is not None:
            out["roc_auc"] = np.stack(
                [
                    weighted_roc_auc(self.p1[idx], self.y_true[idx], wt[idx].T)
                    for idx in self.groups_sorted
                ],
                axis=1,
            )
        return np.stack([out[k] for k in names], axis=-1)
