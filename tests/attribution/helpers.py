"""Planted data, tiny trained models and hand-built contexts for the attribution tests."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
import pandas as pd
import torch
from torch import nn

from govkit.checks.base import Evidence
from govkit.checks.context import CheckContext, Predictions, Split
from govkit.runner.outputs import to_log_probs
from govkit.suite import Threshold

Encoder = Callable[[pd.DataFrame], torch.Tensor]


def numeric_encoder(columns: Sequence[str]) -> Encoder:
    """Encode numeric columns as they are."""
    cols = list(columns)

    def encode(frame: pd.DataFrame) -> torch.Tensor:
        return torch.as_tensor(frame[cols].to_numpy(dtype=np.float32, copy=True))

    return encode


def onehot_encoder(
    numeric: Sequence[str], categorical: dict[str, list[str]]
) -> tuple[Encoder, list[str], dict[str, list[int]]]:
    """Numeric columns, then one-hot columns per categorical feature."""
    names = list(numeric)
    groups: dict[str, list[int]] = {}
    for col, levels in categorical.items():
        groups[col] = list(range(len(names), len(names) + len(levels)))
        names.extend(f"{col}={v}" for v in levels)

    def encode(frame: pd.DataFrame) -> torch.Tensor:
        parts = [frame[list(numeric)].to_numpy(dtype=np.float32)] if numeric else []
        for col, levels in categorical.items():
            values = frame[col].astype(str).to_numpy()
            parts.append(np.stack([(values == v) for v in levels], axis=1).astype(np.float32))
        return torch.as_tensor(np.concatenate(parts, axis=1))

    return encode, names, groups


def train(
    model: nn.Module,
    x: torch.Tensor,
    y: np.ndarray,
    *,
    epochs: int = 300,
    lr: float = 0.03,
    seed: int = 0,
) -> nn.Module:
    """Full-batch Adam on cross-entropy; a few hundred steps take well under a second."""
    torch.manual_seed(seed)
    target = torch.as_tensor(y, dtype=torch.long)
    opt = torch.optim.Adam(model.parameters(), lr=lr)
    for _ in range(epochs):
        opt.zero_grad()
        out = model(x)
        loss = (
            nn.functional.binary_cross_entropy_with_logits(out[:, 0], target.float())
            if out.shape[1] == 1
            else nn.functional.cross_entropy(out, target)
        )
        loss.backward()
        opt.step()
    return model.eval()


def mlp(
    n_in: int, n_out: int = 2, hidden: int = 32, seed: int = 0, act: type[nn.Module] = nn.ReLU
) -> nn.Sequential:
    torch.manual_seed(seed)
    return nn.Sequential(
        nn.Linear(n_in, hidden), act(), nn.Linear(hidden, hidden), act(), nn.Linear(hidden, n_out)
    )


class Masked(nn.Module):
    """A model that, by construction, sees only the input columns in ``keep``."""

    def __init__(self, inner: nn.Module, n_in: int, keep: Sequence[int]) -> None:
        super().__init__()
        mask = torch.zeros(n_in)
        mask[list(keep)] = 1.0
        self.register_buffer("mask", mask)
        self.inner = inner

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.inner(x * self.mask)


def make_ctx(
    model: Any,
    eval_frame: pd.DataFrame,
    eval_y: np.ndarray,
    encode: Encoder,
    *,
    feature_names: list[str],
    feature_groups: dict[str, list[int]] | None = None,
    train_frame: pd.DataFrame | None = None,
    train_y: np.ndarray | None = None,
    sensitive: list[str] | None = None,
    proxies: list[str] | None = None,
    task: str = "binary",
    device: str = "cpu",
    seed: int = 0,
) -> CheckContext:
    """A CheckContext as the runner builds it, with the model on ``device``."""
    splits = {"eval": Split("eval", eval_frame, np.asarray(eval_y, dtype=np.int64))}
    if train_frame is not None:
        splits["train"] = Split("train", train_frame, np.asarray(train_y, dtype=np.int64))

    def log_probs_of(raw: torch.Tensor) -> torch.Tensor:
        return to_log_probs(raw, task, "logits")  # type: ignore[arg-type]

    def inputs(split: str) -> torch.Tensor:
        with torch.inference_mode():  # as the runner does: inference tensors
            return encode(splits[split].frame)

    def predict(split: str) -> Predictions:
        with torch.inference_mode():
            lp = log_probs_of(model(inputs(split).to(device))).double().cpu().numpy()
        probs = np.exp(lp)
        return Predictions(
            log_probs=lp,
            scores=probs[:, 1] if task == "binary" else probs,
            labels=probs.argmax(axis=1),
        )

    return CheckContext(
        task=task,  # type: ignore[arg-type]
        seed=seed,
        device=device,
        eval=splits["eval"],
        train=splits.get("train"),
        sensitive=list(sensitive or []),
        proxies=list(proxies or []),
        feature_names=feature_names,
        feature_groups=dict(feature_groups or {}),
        model=model,
        log_probs_of=log_probs_of,
        encode=encode,
        inputs_of=inputs,
        predictions_of=predict,
    )


def violations(evidence: Evidence, thresholds: Sequence[Threshold]) -> list[str]:
    """Measurements that break a threshold on their point estimate (the runner's rule)."""
    broken = []
    for th in thresholds:
        for m in evidence.measurements:
            if m.name != th.metric or m.value is None:
                continue
            if th.overall_only and m.group is not None:
                continue
            if (th.max is not None and m.value > th.max) or (
                th.min is not None and m.value < th.min
            ):
                broken.append(f"{m.name} {m.group or m.feature or ''}={m.value:.3f}")
    return broken


def measurement(evidence: Evidence, name: str, **where: Any) -> Any:
    """The one measurement named ``name`` whose fields match ``where``."""
    found = [
        m
        for m in evidence.measurements
        if m.name == name and all(getattr(m, k) == v for k, v in where.items())
    ]
    if len(found) != 1:
        raise LookupError(f"{len(found)} measurements named {name} with {where}")
    return found[0]
