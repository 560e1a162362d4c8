"""From a check context to per-row, per-feature attributions.

The check-facing step shared by every attribution check: choose the rows (a
stratified sample of large eval sets), the baseline and the target class
from the context's data and model, hand them to the engine
(:func:`govkit.attribution.attribute`), and memoise the result in the
context, so checks with the same parameters (importance, sensitive reliance,
sanity) pay for one computation. Needs torch; the check modules import it on
first use.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np
import torch

from govkit.attribution._explain import AttributionSetup, Explanation, attribute
from govkit.attribution._grouping import feature_map
from govkit.attribution._sampling import stratified_sample
from govkit.attribution._target import TargetScore, predict_log_probs_tensor
from govkit.checks._attribution import AttributionParams, require_model
from govkit.checks.base import SkipCheck
from govkit.stats.groups import make_grouping

if TYPE_CHECKING:
    from govkit.checks.context import CheckContext

__all__ = ["explain", "prepare", "target_score"]


def target_score(ctx: CheckContext, model: Any = None) -> TargetScore:
    """The per-row score of ``model`` (default: the context's model)."""
    if ctx.log_probs_of is None:
        raise SkipCheck("needs the model's output convention; there is none without a model")
    return TargetScore(ctx.model if model is None else model, ctx.log_probs_of, ctx.task)


def prepare(ctx: CheckContext, params: AttributionParams) -> AttributionSetup:
    """Choose rows, baselines and targets (memoised per sampling parameters)."""
    key = f"attribution:setup:{params.baseline}:{params.n_baselines}:{params.max_rows}"
    return ctx.memo(key, lambda: _prepare(ctx, params))


def _prepare(ctx: CheckContext, params: AttributionParams) -> AttributionSetup:
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
        lp = predict_log_probs_tensor(score, inputs, device=device, batch_size=ctx.batch_size)
        target = lp.argmax(dim=1)
    fmap = feature_map(int(inputs.shape[1]), list(ctx.feature_names), dict(ctx.feature_groups))
    return AttributionSetup(
        rows, n_eval, stratified_by, inputs, baselines, source, target, fmap, device
    )


def _strata(ctx: CheckContext, n: int) -> tuple[np.ndarray, list[str]]:
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
    ctx: CheckContext, params: AttributionParams, x_eval: torch.Tensor
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


def explain(ctx: CheckContext, params: AttributionParams, *, model: Any = None) -> Explanation:
    """Attributions of the eval rows chosen by :func:`prepare`.

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

    def compute() -> Explanation:
        return attribute(
            prepare(ctx, params),
            target_score(ctx, model),
            method=params.method,
            n_steps=params.n_steps,
            integration=params.integration,
            n_samples=params.n_samples,
            seed=ctx.seed,
        )

    if model is not None:
        return compute()
    key = (
        f"attribution:explain:{params.method}:{params.n_steps}:{params.integration}:"
        f"{params.baseline}:{params.n_baselines}:{params.n_samples}:{params.max_rows}"
    )
    return ctx.memo(key, compute)
