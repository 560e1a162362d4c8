"""Checks that exist only for the runner's tests; registered by tests/runner/conftest.py."""

from __future__ import annotations

from typing import ClassVar

import numpy as np
from pydantic import Field

from govkit.checks.base import Check, CheckParams, Evidence, SkipCheck
from govkit.checks.context import CheckContext
from govkit.report import Measurement
from govkit.stats.bootstrap import bootstrap_rows, percentile_interval
from govkit.suite import Threshold

TEST_CHECKS = {
    "test.accuracy": "tests.runner.checkdefs:Accuracy",
    "test.echo": "tests.runner.checkdefs:Echo",
    "test.raises": "tests.runner.checkdefs:Raises",
    "test.skips": "tests.runner.checkdefs:Skips",
    "test.model": "tests.runner.checkdefs:NeedsModel",
    "test.scores": "tests.runner.checkdefs:NeedsScores",
    "test.train": "tests.runner.checkdefs:NeedsTrain",
}


def _accuracy_with_ci(correct: np.ndarray, params: CheckParams, seed: int) -> Measurement:
    n = int(correct.shape[0])
    reps = bootstrap_rows(
        lambda w: (w @ correct) / w.sum(axis=1), n, n_boot=params.n_boot, seed=seed
    )
    lo, hi = percentile_interval(reps, params.confidence)
    return Measurement(name="accuracy", value=float(correct.mean()), ci=(float(lo), float(hi)), n=n)


class Accuracy(Check):
    """Accuracy overall and per group of each sensitive column."""

    id = "test.accuracy"
    title = "Accuracy (test)"
    default_thresholds: ClassVar[tuple[Threshold, ...]] = (Threshold(metric="accuracy", min=0.6),)

    def measure(self, ctx: CheckContext, params: CheckParams) -> Evidence:
        preds = ctx.predictions("eval")
        correct = (preds.labels == ctx.eval.y_true).astype(np.float64)
        out = [_accuracy_with_ci(correct, params, ctx.seed)]
        small: list[str] = []
        for column in ctx.sensitive:
            values = ctx.eval.frame[column].astype(str).to_numpy()
            for value in sorted(set(values)):
                mask = values == value
                m = _accuracy_with_ci(correct[mask], params, ctx.seed)
                out.append(m.model_copy(update={"group": {column: value}}))
                if mask.sum() < params.min_group_size:
                    small.append(f"{column}={value} (n={int(mask.sum())})")
        p_pos = preds.scores if ctx.task == "binary" else preds.scores.max(axis=1)
        out.append(Measurement(name="mean_score", value=float(np.mean(p_pos)), n=len(p_pos)))
        return Evidence(
            measurements=out,
            small_groups=small,
            details={"scores_head": preds.scores[:3], "has_scores": preds.has_scores},
        )


class EchoParams(CheckParams):
    metric: str = "score"
    value: float | None = 0.5
    lo: float | None = None
    hi: float | None = None
    feature: str | None = None
    failures: list[str] = Field(default_factory=list)
    small: list[str] = Field(default_factory=list)


class Echo(Check):
    """Reports exactly what its parameters say: planted measurements for judging tests."""

    id = "test.echo"
    title = "Echo (test)"
    Params = EchoParams
    judges_itself = True  # it reports the failures its parameters name

    def measure(self, ctx: CheckContext, params: EchoParams) -> Evidence:  # type: ignore[override]
        ci = (params.lo, params.hi) if params.lo is not None and params.hi is not None else None
        m = Measurement(
            name=params.metric, feature=params.feature, value=params.value, ci=ci, n=100
        )
        return Evidence(
            measurements=[m], failures=list(params.failures), small_groups=list(params.small)
        )


class Raises(Check):
    id = "test.raises"
    title = "Raises (test)"
    default_thresholds = (Threshold(metric="never_measured", max=1.0),)

    def measure(self, ctx: CheckContext, params: CheckParams) -> Evidence:
        raise RuntimeError("boom")


class Skips(Check):
    id = "test.skips"
    title = "Skips (test)"
    default_thresholds = (Threshold(metric="never_measured", max=1.0),)

    def measure(self, ctx: CheckContext, params: CheckParams) -> Evidence:
        raise SkipCheck("nothing to measure here")


class NeedsModel(Check):
    """Re-encodes a changed frame and runs the model on it (a counterfactual)."""

    id = "test.model"
    title = "Needs the model (test)"
    requires_model = True
    default_thresholds = (Threshold(metric="shifted_positive_rate", max=1.0),)

    def measure(self, ctx: CheckContext, params: CheckParams) -> Evidence:
        import torch

        if ctx.encode is None or ctx.log_probs_of is None:
            raise SkipCheck("no encoder")
        frame = ctx.eval.frame.copy()
        frame["x1"] = frame["x1"] + 10.0
        with torch.inference_mode():
            lp = ctx.log_probs_of(ctx.model(ctx.encode(frame).to(ctx.device)))
        shifted = float(lp.exp()[:, -1].mean())
        return Evidence(
            measurements=[Measurement(name="shifted_positive_rate", value=shifted)],
            details={"feature_names": ctx.feature_names, "feature_groups": ctx.feature_groups},
        )


class NeedsScores(Check):
    id = "test.scores"
    title = "Needs scores (test)"
    requires_scores = True
    default_thresholds = (Threshold(metric="mean_score", max=1.0),)

    def measure(self, ctx: CheckContext, params: CheckParams) -> Evidence:
        return Evidence(
            measurements=[
                Measurement(name="mean_score", value=float(ctx.predictions().scores.mean()))
            ]
        )


class NeedsTrain(Check):
    id = "test.train"
    title = "Needs train (test)"
    requires_train = True
    default_thresholds = (Threshold(metric="train_accuracy", min=0.0),)

    def measure(self, ctx: CheckContext, params: CheckParams) -> Evidence:
        preds = ctx.predictions("train")
        acc = float((preds.labels == ctx.split("train").y_true).mean())
        return Evidence(measurements=[Measurement(name="train_accuracy", value=acc)])
