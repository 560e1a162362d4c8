"""From a check context to per-row, per-feature attributions.

One place does the shared work of every attribution check: choose the rows
(a stratified sample of large eval sets), the baseline and the target class,
run the chosen method on the context's device, and sum encoded columns back
to the original features. The result is memoised in the context, so checks
with the same parameters (importance, sensitive reliance, sanity) pay for
one computation.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import torch

from govkit.attribution._explainers import gradient_shap, shap_gradient
from govkit.attribution._grouping import FeatureMap, feature_map
from govkit.attribution._guards import require_model
from govkit.attribution._integrated_gradients import IGResult, integrated_gradients
from govkit.attribution._params import AttributionParams
from govkit.attribution._sampling import stratified_sample
from govkit.attribution._target import TargetScore, predict_log_probs
from govkit.checks.base import SkipCheck
from govkit.stats.groups import make_grouping

__all__ = [
    "AttributionSetup",
    "Explanation",
    "explain",
    "prepare",
    "require_model",
    "run_ig",
    "target_score",
]


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


def target_score(ctx: Any, model: Any = None) -> TargetScore:
    """The per-row score of ``model`` (default: the context's model)."""
    return TargetScore(ctx.model if model is None else model, ctx.log_probs_of, ctx.task)


def prepare(ctx: Any, params: AttributionParams) -> AttributionSetup:
    """Choose rows, baselines and targets (memoised per sampling parameters)."""
    key = f"attribution:setup:{params.baseline}:{params.n_baselines}:{params.max_rows}"
    cached = ctx._cache.get(key)
    if cached is not None:
        return cached  # type: ignore[no-any-return]
    require_model(ctx)
    device = torch.device(ctx.device)
    x_eval = ctx.inputs("eval")
    n_eval = int(x_eval.shape[0])
    if n_eval == 0:
        raise SkipCheck("the eval split has no rows to explain")
    strata, stratified_by = _strata(ctx, n_eval)
    rows = stratified_sample(strata, params.max_rows, seed=ctx.seed)
    # clone: the runner's tensors may be inference tensors, which autograd refuses
    inputs = x_eval[torch.as_tensor(rows)].float().clone()
    baselines, source = _baselines(ctx, params, x_eval)
    score = target_score(ctx)
    target = None
    if ctx.task == "multiclass":
        lp = predict_log_probs(score, inputs, device=device, batch_size=ctx.batch_size)
        target = lp.argmax(dim=1)
    fmap = feature_map(int(inputs.shape[1]), list(ctx.feature_names), dict(ctx.feature_groups))
    setup = AttributionSetup(
        rows, n_eval, stratified_by, inputs, baselines, source, target, fmap, device
    )
    ctx._cache[key] = setup
    return setup


def _strata(ctx: Any, n: int) -> tuple[np.ndarray, list[str]]:
    labels = np.asarray(ctx.eval.y_true, dtype=np.int64).reshape(-1)
    by = ["label"]
    strata = labels - labels.min() if labels.size == n else np.zeros(n, dtype=np.int64)
    if labels.size != n:
        by = []
    present = [c for c in ctx.sensitive if c in ctx.eval.frame.columns]
    if present and len(ctx.eval.frame) == n:
        grouping = make_grouping(ctx.eval.frame, present)
        strata = strata * grouping.n_groups + grouping.codes
        by.append("&".join(present))
    return strata.astype(np.int64), by


def _baselines(
    ctx: Any, params: AttributionParams, x_eval: torch.Tensor
) -> tuple[torch.Tensor, str]:
    source = "eval"
    pool = x_eval
    if ctx.train is not None:
        try:
            pool = ctx.inputs("train")
            source = "train"
        except LookupError:
            pool = x_eval
    if params.baseline == "train_mean":
        return pool.double().mean(dim=0, keepdim=True).float(), f"mean of the {source} inputs"
    k = min(params.n_baselines, int(pool.shape[0]))
    rng = np.random.default_rng(ctx.seed)
    idx = np.sort(rng.choice(int(pool.shape[0]), size=k, replace=False))
    return pool[torch.as_tensor(idx)].float().clone(), f"{k} seeded {source} rows"


def run_ig(
    setup: AttributionSetup,
    score: TargetScore,
    *,
    n_steps: int,
    integration: Any = "gausslegendre",
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


def explain(ctx: Any, params: AttributionParams, *, model: Any = None) -> Explanation:
    """Attributions of the eval rows chosen by ``prepare``.

    Parameters
    ----------
    ctx
        The check context (its model, inputs, device, seed).
    params
        Method, steps, baseline and sample size.
    model
        Explain this model instead of the context's (same rows, baselines and
        targets); the result is then not memoised.

    Returns
    -------
    Explanation
    """
    key = (
        f"attribution:explain:{params.method}:{params.n_steps}:{params.integration}:"
        f"{params.baseline}:{params.n_baselines}:{params.n_samples}:{params.max_rows}"
    )
    if model is None and key in ctx._cache:
        return ctx._cache[key]  # type: ignore[no-any-return]
    setup = prepare(ctx, params)
    score = target_score(ctx, model)
    scores = None
    if params.method == "integrated_gradients":
        res = run_ig(setup, score, n_steps=params.n_steps, integration=params.integration)
        attr = res.attributions
        scores = (res.score_inputs.numpy(), res.score_baselines.numpy())
    elif params.method == "gradient_shap":
        attr = gradient_shap(
            score,
            setup.inputs,
            setup.baselines,
            n_samples=params.n_samples,
            seed=ctx.seed,
            target=setup.target,
            device=setup.device,
        )
    else:
        attr = shap_gradient(
            score,
            setup.inputs,
            setup.baselines,
            n_samples=params.n_samples,
            seed=ctx.seed,
            device=setup.device,
        )
    raw = attr.double().numpy()
    result = Explanation(setup, params.method, setup.fmap.group(raw), raw, scores)
    if model is None:
        ctx._cache[key] = result
    return result
