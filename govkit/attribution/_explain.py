"""Attributions of chosen rows, summed back to the original features.

Every attribution check explains the same things: a set of eval rows, the
baselines they are integrated from, the target class per row and the map
from encoded input columns to original features (:class:`AttributionSetup`).
:func:`attribute` runs the chosen method on them on the setup's device and
sums encoded columns back to features (:class:`Explanation`). Choosing the
rows from a check context, and memoising the result there, is the checks'
side: :mod:`govkit.checks._attribution_explain`.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch

from govkit.attribution._explainers import gradient_shap, shap_gradient
from govkit.attribution._grouping import FeatureMap
from govkit.attribution._integrated_gradients import IGResult, integrated_gradients
from govkit.attribution._quadrature import QuadratureMethod
from govkit.attribution._target import TargetScore

__all__ = ["AttributionSetup", "Explanation", "attribute", "run_ig"]


@dataclass
class AttributionSetup:
    """What to explain: rows, inputs, baselines, target classes and the feature map."""

    rows: np.ndarray  # indices into the eval split
    n_eval: int
    stratified_by: list[str]
    inputs: torch.Tensor  # (n, F) float32, CPU
    baselines: torch.Tensor  # (K, F) float32, CPU: one shared row, or a sample
    baseline_source: str
    target: torch.Tensor | None  # (n,) int64 class per row (multiclass)
    fmap: FeatureMap
    device: torch.device

    @property
    def n(self) -> int:
        return int(self.rows.shape[0])

    def describe_sample(self) -> str:
        if self.n == self.n_eval:
            return f"all {self.n} eval rows"
        by = " and ".join(self.stratified_by) or "nothing"
        return f"a seeded sample of {self.n} of {self.n_eval} eval rows, stratified by {by}"


@dataclass
class Explanation:
    """Attributions of the rows of a setup.

    ``per_row`` is (n, n_features) signed float64 per original feature;
    ``inputs`` the same per input column. ``scores`` holds ``f(x)`` and
    ``f(baseline)`` (averaged over baselines) for Integrated Gradients.
    """

    setup: AttributionSetup
    method: str
    per_row: np.ndarray
    inputs: np.ndarray
    scores: tuple[np.ndarray, np.ndarray] | None = None

    @property
    def features(self) -> list[str]:
        return self.setup.fmap.names

    @property
    def magnitudes(self) -> np.ndarray:
        return np.abs(self.per_row)


def run_ig(
    setup: AttributionSetup,
    score: TargetScore,
    *,
    n_steps: int,
    integration: QuadratureMethod = "gausslegendre",
    subset: np.ndarray | None = None,
) -> IGResult:
    """Integrated Gradients of ``score`` on the setup's rows, averaged over its baselines."""
    x = setup.inputs if subset is None else setup.inputs[torch.as_tensor(subset)]
    t = setup.target
    if t is not None and subset is not None:
        t = t[torch.as_tensor(subset)]
    n, f = x.shape
    k = int(setup.baselines.shape[0])
    if k == 1:
        return integrated_gradients(
            score,
            x,
            setup.baselines[0],
            n_steps=n_steps,
            method=integration,
            target=t,
            device=setup.device,
        )
    # every row against every sampled baseline: rows repeated, baselines tiled
    xs = x.repeat_interleave(k, dim=0)
    bs = setup.baselines.repeat(n, 1)
    ts = None if t is None else t.repeat_interleave(k)
    res = integrated_gradients(
        score, xs, bs, n_steps=n_steps, method=integration, target=ts, device=setup.device
    )
    return IGResult(
        res.attributions.view(n, k, f).mean(dim=1),
        res.score_inputs.view(n, k)[:, 0].clone(),
        res.score_baselines.view(n, k).mean(dim=1),
    )


def attribute(
    setup: AttributionSetup,
    score: TargetScore,
    *,
    method: str,
    n_steps: int,
    integration: QuadratureMethod,
    n_samples: int,
    seed: int,
) -> Explanation:
    """Attributions of the rows of ``setup`` for ``score``, summed per original feature.

    Parameters
    ----------
    setup
        Rows, baselines, targets and feature map (see :class:`AttributionSetup`).
    score
        The per-row score to explain.
    method
        ``integrated_gradients``, ``gradient_shap`` or ``shap_gradient``.
    n_steps, integration
        Integration points per row and their quadrature rule (Integrated Gradients).
    n_samples, seed
        Random samples per row and their seed (GradientShap, shap GradientExplainer).

    Returns
    -------
    Explanation
    """
    scores = None
    if method == "integrated_gradients":
        res = run_ig(setup, score, n_steps=n_steps, integration=integration)
        attr = res.attributions
        scores = (res.score_inputs.numpy(), res.score_baselines.numpy())
    elif method == "gradient_shap":
        attr = gradient_shap(
            score,
            setup.inputs,
            setup.baselines,
            n_samples=n_samples,
            seed=seed,
            target=setup.target,
            device=setup.device,
        )
    elif method == "shap_gradient":
        attr = shap_gradient(
            score,
            setup.inputs,
            setup.baselines,
            n_samples=n_samples,
            seed=seed,
            device=setup.device,
        )
    else:
        raise ValueError(f"unknown attribution method {method!r}")
    raw = attr.double().numpy()
    return Explanation(setup, method, setup.fmap.group(raw), raw, scores)
