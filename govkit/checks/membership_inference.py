"""privacy.membership_inference: can an attacker tell training rows from unseen rows?

Members are a seeded sample of training rows and non-members an equal-size
sample of evaluation rows, both drawn by one rule: a row qualifies when its
content (features and label) occurs in no other training row (see
:func:`govkit.privacy.attacks.membership_candidates`), so a model that
memorises nothing scores both sides alike, on low-cardinality data too.
Two attacks score every row from the model's float64 logit margin on its true
label (see :mod:`govkit.privacy.attacks`); each figure is reported for the
stronger attack, overall and per group of the sensitive columns, with a
Poisson-bootstrap interval that reuses the same replicate weights for both
attacks and every group. When the check runs on a CUDA device, the ROC
arithmetic of every replicate runs there, in float64.

These attacks give a lower bound on leakage: a low AUC says that *these*
attacks fail, not that every attack would. A figure is judged on the smaller
of its members and non-members; a TPR at FPR ``f`` is reported only with at
least ``10 / f`` non-members (null otherwise, so a threshold on it is
``insufficient_evidence``).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import pandas as pd
from pydantic import Field

from govkit.checks.base import Check, CheckParams, Evidence, SkipCheck
from govkit.checks.context import CheckContext
from govkit.privacy.attacks import (
    ATTACKS,
    attack_scores,
    logit_margins,
    membership_candidates,
    sample_membership,
)
from govkit.privacy.roc import (
    ATTACK_METRICS,
    RocInput,
    downsample_curve,
    min_non_members,
    roc_curve,
    roc_metrics,
)
from govkit.privacy.rowhash import content_hashes
from govkit.report import Measurement
from govkit.stats.bootstrap import bootstrap_rows, percentile_interval
from govkit.stats.groups import groupings
from govkit.suite import Threshold

__all__ = [
    "MembershipInference",
    "MembershipInferenceParams",
    "attack_statistic",
    "device_attack_statistic",
]


class MembershipInferenceParams(CheckParams):
    """Parameters of the membership-inference check."""

    max_per_side: int = Field(
        default=20_000, ge=10, description="At most this many members and as many non-members."
    )


#: what every result of this check says about its figures
LOWER_BOUND = (
    "These attacks give a lower bound on leakage: a figure near chance says that these "
    "attacks fail, not that every attack would."
)


def _finite(x: float) -> float | None:
    return float(x) if np.isfinite(x) else None


def attack_statistic(
    inputs: dict[str, list[RocInput]], device: str = "cpu"
) -> Callable[[np.ndarray], np.ndarray]:
    """(B, N) row weights -> (B, attacks * subsets * metrics) attack figures.

    On a CUDA device the cumulative sums run there in float64 (see
    :mod:`govkit.privacy.roc_device`); anywhere else numpy computes them, and
    torch is never imported. The weights come from numpy on every device, so
    both paths resample the same rows.
    """
    if not device.startswith("cuda"):

        def on_host(weights: np.ndarray) -> np.ndarray:
            # (B, attacks, subsets, metrics), flattened for the bootstrap helper
            parts = [roc_metrics(inp, weights) for a in ATTACKS for inp in inputs[a]]
            return np.stack(parts, axis=1).reshape(weights.shape[0], -1)

        return on_host
    return device_attack_statistic(inputs, device)


def device_attack_statistic(
    inputs: dict[str, list[RocInput]], device: str
) -> Callable[[np.ndarray], np.ndarray]:
    """:func:`attack_statistic` computed with torch on ``device`` (any device torch knows)."""
    import torch

    from govkit.privacy.roc_device import DeviceRoc, roc_metrics_on_device

    moved = [DeviceRoc.from_input(inp, device) for a in ATTACKS for inp in inputs[a]]

    def on_device(weights: np.ndarray) -> np.ndarray:
        # one host-to-device copy per chunk of replicates, shared by every attack and group
        w = torch.as_tensor(weights, dtype=torch.float64, device=device)
        parts = [roc_metrics_on_device(inp, w) for inp in moved]
        return torch.stack(parts, dim=1).reshape(w.shape[0], -1).cpu().numpy()

    return on_device


class MembershipInference(Check):
    """Loss-threshold and per-class confidence attacks on the model's outputs.

    Measurements, overall and per group, each for the stronger attack:
    ``roc_auc``, ``tpr_at_fpr_0.01`` and ``tpr_at_fpr_0.001`` (null with fewer
    than 1,000 / 10,000 non-members), ``membership_advantage``. ``n`` is the
    smaller of the members and non-members. The figures are a lower bound on
    leakage.
    """

    id = "privacy.membership_inference"
    title = "Membership inference"
    Params = MembershipInferenceParams
    requires_train = True
    default_thresholds = (
        Threshold(metric="roc_auc", max=0.6, overall_only=True),
        # groups are judged on the interval: a small group's point AUC is noisy
        Threshold(metric="roc_auc", max=0.6, on="interval_lenient"),
        Threshold(metric="tpr_at_fpr_0.001", max=0.01, on="interval_lenient", overall_only=True),
    )

    def measure(self, ctx: CheckContext, params: Any) -> Evidence:
        if ctx.train is None:
            raise SkipCheck("membership inference needs the training split (data.train)")
        try:
            pred_train = ctx.predictions("train")
        except LookupError as err:
            # predictions-only mode reads the training split's predictions from its columns
            raise SkipCheck(
                f"membership inference needs predictions on the training split, and {err}; "
                "add the model.predictions columns to data.train to run it"
            ) from err
        pred_eval = ctx.predictions("eval")
        if not (pred_train.has_scores and pred_eval.has_scores):
            raise SkipCheck("membership inference needs scores; the predictions hold only labels")
        train, evl = ctx.train, ctx.eval
        # content = the features and the label; prediction columns are outputs, not content
        left_out = {ctx.label_column, *ctx.prediction_columns}
        shared = [
            c for c in train.frame.columns if c in set(evl.frame.columns) and c not in left_out
        ]
        train_h = content_hashes(train.frame, shared, train.y_true)
        eval_h = content_hashes(evl.frame, shared, evl.y_true)
        eligible_members, eligible_non_members = membership_candidates(train_h, eval_h)
        members, non_members = sample_membership(
            train_h, eval_h, max_per_side=params.max_per_side, seed=ctx.seed
        )
        n_side = len(members)
        if n_side < 2:
            # not a missing input but missing evidence: every evaluation row repeats a
            # training row (or the reverse), as on tables of few distinct values
            reason = (
                f"all attacked rows ({int(eligible_members.sum())} training rows and "
                f"{int(eligible_non_members.sum())} evaluation rows have content that occurs "
                "in no other training row; at least two of each are needed)"
            )
            return Evidence(
                measurements=[Measurement(name=m, value=None, n=n_side) for m in ATTACK_METRICS],
                small_groups=[reason],
                details={
                    "eligible_members": int(eligible_members.sum()),
                    "eligible_non_members": int(eligible_non_members.sum()),
                    "lower_bound": LOWER_BOUND,
                },
            )

        y = np.concatenate([train.y_true[members], evl.y_true[non_members]]).astype(np.int64)
        margins = np.concatenate(
            [
                logit_margins(pred_train.log_probs[members], train.y_true[members]),
                logit_margins(pred_eval.log_probs[non_members], evl.y_true[non_members]),
            ]
        )
        is_member = np.repeat([True, False], n_side)
        scores = attack_scores(margins, y)

        sensitive = [
            c for c in ctx.sensitive if c in train.frame.columns and c in evl.frame.columns
        ]
        attacked = pd.concat(
            [train.frame.iloc[members][sensitive], evl.frame.iloc[non_members][sensitive]],
            ignore_index=True,
        )
        subsets: list[tuple[dict[str, str] | None, np.ndarray | None]] = [(None, None)]
        small: list[str] = []
        # a figure is only as good as the smaller side it separates
        if n_side < params.min_group_size:
            small.append(f"all attacked rows ({n_side} members, {n_side} non-members)")
        for grouping in groupings(attacked, sensitive) if sensitive else []:
            for code in range(grouping.n_groups):
                mask = grouping.codes == code
                subsets.append((grouping.labels[code], mask))
                inside = int(is_member[mask].sum())
                outside = int(mask.sum()) - inside
                if min(inside, outside) < params.min_group_size:
                    small.append(
                        f"{grouping.describe(code)} ({inside} members, {outside} non-members)"
                    )

        inputs = {
            a: [RocInput.from_scores(scores[a], is_member, m) for _, m in subsets] for a in ATTACKS
        }

        statistic = attack_statistic(inputs, ctx.device)
        shape = (len(ATTACKS), len(subsets), len(ATTACK_METRICS))
        n_rows = 2 * n_side
        point = statistic(np.ones((1, n_rows)))[0].reshape(shape)
        if params.n_boot > 0:
            reps = bootstrap_rows(statistic, n_rows, n_boot=params.n_boot, seed=ctx.seed)
            ci = percentile_interval(reps, params.confidence).reshape((2, *shape))
        else:
            ci = np.full((2, *shape), np.nan)

        measurements, per_group = self._measurements(point, ci, subsets, is_member)
        curves = {a: downsample_curve(*roc_curve(inputs[a][0])) for a in ATTACKS}
        overall_auc = point[:, 0, 0]
        strongest = (
            ATTACKS[int(np.nanargmax(overall_auc))] if np.isfinite(overall_auc).any() else None
        )
        details: dict[str, Any] = {
            "score": "float64 logit margin log p_y - logsumexp_{c != y} log p_c",
            "attacks": {
                a: {
                    "overall": {m: _finite(point[i, 0, j]) for j, m in enumerate(ATTACK_METRICS)},
                    "roc_curve": curves[a],
                }
                for i, a in enumerate(ATTACKS)
            },
            "strongest_attack": strongest,
            "roc_curve": curves[strongest] if strongest else None,
            "n_members": n_side,
            "n_non_members": n_side,
            "sampling": "members and non-members: rows whose content (features and label) "
            "occurs in no other training row, sampled to equal size",
            "eligible_members": int(eligible_members.sum()),
            "eligible_non_members": int(eligible_non_members.sum()),
            "eval_rows_in_train": int(np.isin(eval_h, np.unique(train_h)).sum()),
            "min_non_members": {
                m: min_non_members(m) for m in ATTACK_METRICS if min_non_members(m) > 1
            },
            "lower_bound": LOWER_BOUND,
            "per_group": per_group,
        }
        auc = _finite(point[:, 0, 0].max()) if strongest else None
        summary = (
            f"The strongest attack ({strongest}) separates {n_side} training rows from "
            f"{n_side} unseen rows with ROC AUC {auc:.3f} (0.5 = chance). {LOWER_BOUND}"
            if auc is not None
            else None
        )
        return Evidence(
            measurements=measurements, small_groups=small, details=details, summary=summary
        )

    @staticmethod
    def _measurements(
        point: np.ndarray,
        ci: np.ndarray,
        subsets: list[tuple[dict[str, str] | None, np.ndarray | None]],
        is_member: np.ndarray,
    ) -> tuple[list[Measurement], list[dict[str, Any]]]:
        """Per subset and metric, the figure of the attack that does best (the privacy worst case)."""
        measurements: list[Measurement] = []
        per_group: list[dict[str, Any]] = []
        for s, (group, mask) in enumerate(subsets):
            rows = is_member if mask is None else is_member[mask]
            inside = int(rows.sum())
            outside = len(rows) - inside
            # judged on the smaller side: n members against 10 n non-members is no better
            n = min(inside, outside)
            row: dict[str, Any] = {
                "group": group,
                "n": len(rows),
                "members": inside,
                "non_members": outside,
            }
            for j, metric in enumerate(ATTACK_METRICS):
                values = point[:, s, j]
                if outside < min_non_members(metric):
                    # too few non-members to reach this FPR: the curve's first step is above it
                    value, interval = None, None
                    row[metric] = None
                elif np.isfinite(values).any():
                    best = int(np.nanargmax(values))
                    lo, hi = ci[0, best, s, j], ci[1, best, s, j]
                    value = _finite(values[best])
                    interval = (
                        (float(lo), float(hi)) if np.isfinite(lo) and np.isfinite(hi) else None
                    )
                    row[metric] = value
                    row[f"{metric}_attack"] = ATTACKS[best]
                else:
                    value, interval = None, None
                    row[metric] = None
                measurements.append(
                    Measurement(name=metric, group=group, value=value, ci=interval, n=n)
                )
            if group is not None:
                per_group.append(row)
        return measurements, per_group
