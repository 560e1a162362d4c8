"""Integrated Gradients: govkit against captum, the compute floor, and shap.

An MLP 64-256-256-2 explains 10,000 rows with 50 integration steps. Three
figures for the same work:

- the floor: one forward and one input-gradient backward over the 10,000 rows,
  timed, times 50 (what any 50-step method must at least spend);
- a direct call of captum's ``IntegratedGradients.attribute`` (its default
  Gauss-Legendre rule, one batch);
- govkit's batched implementation (``govkit.attribution.integrated_gradients``).

It also reports rows per second for shap's GradientExplainer (50 samples per
row) and KernelExplainer (a small sample of rows), which explain the same
score. The attributions of govkit and captum are compared.

Run: ``.venv/bin/python bench/bench_attribution.py [--rows 10000] [--device cpu|cuda]``.
Prints figures and ratios; asserts nothing.
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Callable
from typing import Any

import numpy as np
import torch
from torch import nn


def _sync(device: torch.device) -> None:
    if device.type == "cuda":
        torch.cuda.synchronize(device)


def _best_of(repeats: int, fn: Callable[[], Any], device: torch.device) -> tuple[float, Any]:
    best, result = float("inf"), None
    for _ in range(repeats):
        _sync(device)
        start = time.perf_counter()
        result = fn()
        _sync(device)
        best = min(best, time.perf_counter() - start)
    return best, result


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=10_000)
    parser.add_argument("--steps", type=int, default=50)
    parser.add_argument("--device", default="cuda" if torch.cuda.is_available() else "cpu")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument(
        "--shap-rows", type=int, default=200, help="rows explained by shap GradientExplainer"
    )
    parser.add_argument(
        "--kernel-rows", type=int, default=4, help="rows explained by shap KernelExplainer"
    )
    args = parser.parse_args(argv)

    from captum.attr import IntegratedGradients

    from govkit.attribution import TargetScore, integrated_gradients
    from govkit.runner.outputs import to_log_probs

    device = torch.device(args.device)
    torch.manual_seed(0)
    model = (
        nn.Sequential(
            nn.Linear(64, 256), nn.ReLU(), nn.Linear(256, 256), nn.ReLU(), nn.Linear(256, 2)
        )
        .to(device)
        .eval()
    )
    x = torch.randn(args.rows, 64, device=device)
    baseline = x.mean(dim=0)
    score = TargetScore(model, lambda raw: to_log_probs(raw, "binary", "logits"), "binary")
    steps = args.steps
    print(
        f"Integrated Gradients, MLP 64-256-256-2, {args.rows:,} rows x {steps} steps "
        f"on {device} (torch {torch.__version__}, {torch.get_num_threads()} threads)"
    )

    def one_pass() -> torch.Tensor:
        leaf = x.detach().requires_grad_(True)
        (grad,) = torch.autograd.grad(score(leaf).sum(), leaf)
        return grad

    _best_of(1, one_pass, device)  # warm-up
    t_pass, _ = _best_of(args.repeats * 2, one_pass, device)
    t_floor = t_pass * steps

    def run_govkit() -> torch.Tensor:
        return integrated_gradients(score, x, baseline, n_steps=steps, device=device).attributions

    captum_ig = IntegratedGradients(lambda z: score(z))

    def run_captum() -> torch.Tensor:
        return captum_ig.attribute(x, baselines=baseline.expand_as(x), n_steps=steps)

    run_govkit()  # warm-up
    t_gov, ours = _best_of(args.repeats, run_govkit, device)
    t_cap, theirs = _best_of(args.repeats, run_captum, device)
    diff = (ours - theirs.detach().float().cpu()).abs().max().item()
    scale = theirs.abs().max().item()

    rows = args.rows
    print(f"{'':34}{'seconds':>10}{'rows/s':>12}{'floor/time':>12}")
    for name, t in (
        ("floor (1 fwd+bwd x steps)", t_floor),
        ("govkit integrated_gradients", t_gov),
        ("captum IntegratedGradients", t_cap),
    ):
        print(f"{name:34}{t:10.3f}{rows / t:12,.0f}{t_floor / t:12.2f}")
    print(
        f"govkit / floor: {t_gov / t_floor:.2f}x the floor's time; "
        f"captum / govkit: {t_cap / t_gov:.2f}x (captum reaches {t_floor / t_cap:.0%} of "
        f"the floor, govkit {t_floor / t_gov:.0%})"
    )
    print(f"max |govkit - captum| = {diff:.2e} (largest attribution {scale:.2e})")

    # shap explains the same score; its explainers loop over rows in Python
    import shap

    class Score(nn.Module):
        def forward(self, z: torch.Tensor) -> torch.Tensor:
            return score(z).unsqueeze(1)

    background = x[
        torch.randperm(rows, generator=torch.Generator().manual_seed(0))[:100].to(device)
    ]
    grad_rows = min(args.shap_rows, rows)
    explainer = shap.GradientExplainer(Score(), background)

    def run_shap_gradient() -> Any:
        return explainer.shap_values(x[:grad_rows], nsamples=steps, rseed=0)

    t_sg, _ = _best_of(1, run_shap_gradient, device)
    gov_rate = rows / t_gov
    print(
        f"shap GradientExplainer ({steps} samples/row, {grad_rows} rows): "
        f"{grad_rows / t_sg:,.0f} rows/s; govkit IG is {gov_rate / (grad_rows / t_sg):,.0f}x faster"
    )

    def predict(z: np.ndarray) -> np.ndarray:
        with torch.inference_mode():
            t = torch.as_tensor(z, dtype=torch.float32, device=device)
            return score(t).double().cpu().numpy()

    kernel_bg = background[:20].cpu().numpy()
    kernel = shap.KernelExplainer(predict, kernel_bg)
    kernel_rows = min(args.kernel_rows, rows)
    t_ks, _ = _best_of(
        1, lambda: kernel.shap_values(x[:kernel_rows].cpu().numpy(), silent=True), device
    )
    print(
        f"shap KernelExplainer (20 background rows, default samples, {kernel_rows} rows): "
        f"{kernel_rows / t_ks:,.2f} rows/s; govkit IG is "
        f"{gov_rate / (kernel_rows / t_ks):,.0f}x faster"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
