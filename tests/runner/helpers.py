"""Tiny data, models and project folders for the runner's tests (made in seconds)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import yaml

FEATURES = ["x1", "x2", "x3"]
CLASSES3 = ["high", "low", "mid"]  # sorted, as the runner orders multiclass labels


def make_frame(n: int = 300, seed: int = 0) -> pd.DataFrame:
    """Features, two sensitive columns, labels in several codings, and prediction columns."""
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(n, 3)).astype(np.float32)
    sex = rng.choice(["Female", "Male"], size=n)
    race = rng.choice(["A", "B"], size=n)
    logit = 2.0 * x[:, 0] - 1.0 * x[:, 1]
    y = (logit + rng.logistic(size=n) > 0).astype(np.int64)
    p = 1.0 / (1.0 + np.exp(-logit))
    level = np.digitize(logit, [-1.0, 1.0])  # 0 low, 1 mid, 2 high
    return pd.DataFrame(
        {
            "x1": x[:, 0],
            "x2": x[:, 1],
            "x3": x[:, 2],
            "sex": sex,
            "race": race,
            "label": y,
            "income": np.where(y == 1, ">50K", "<=50K"),
            "level": np.array(["low", "mid", "high"])[level],
            "pred_score": p,
            "pred_label": (p >= 0.5).astype(np.int64),
        }
    )


def multiclass_targets(frame: pd.DataFrame) -> np.ndarray:
    return frame["level"].map({c: i for i, c in enumerate(CLASSES3)}).to_numpy()


def train_tiny(frame: pd.DataFrame, *, out_dim: int = 1, seed: int = 0, steps: int = 150) -> Any:
    """A small MLP fitted to ``label`` (out_dim 1) or ``level`` (out_dim 3)."""
    import torch

    torch.manual_seed(seed)
    model = torch.nn.Sequential(torch.nn.Linear(3, 8), torch.nn.ReLU(), torch.nn.Linear(8, out_dim))
    x = torch.tensor(frame[FEATURES].to_numpy(np.float32))
    opt = torch.optim.Adam(model.parameters(), lr=0.05)
    if out_dim == 1:
        target = torch.tensor(frame["label"].to_numpy(np.float32))
        loss_fn: Any = lambda out: torch.nn.functional.binary_cross_entropy_with_logits(  # noqa: E731
            out[:, 0], target
        )
    else:
        target_c = torch.tensor(multiclass_targets(frame))
        loss_fn = lambda out: torch.nn.functional.cross_entropy(out, target_c)  # noqa: E731
    for _ in range(steps):
        opt.zero_grad()
        loss_fn(model(x)).backward()
        opt.step()
    return model.eval()


FACTORY_SOURCE = """
import torch


def build():
    return torch.nn.Sequential(torch.nn.Linear(3, 8), torch.nn.ReLU(), torch.nn.Linear(8, 1))
"""


def write_suite(root: Path, checks: list[dict[str, Any]], name: str = "suite.yaml") -> str:
    (root / name).write_text(
        yaml.safe_dump({"suite": 1, "name": "test", "checks": checks}, sort_keys=False)
    )
    return name


def write_project(
    root: Path,
    *,
    model: dict[str, Any],
    data: dict[str, Any] | None = None,
    suite: str | list[dict[str, Any]] = "suite.yaml",
    frame: pd.DataFrame | None = None,
    **extra: Any,
) -> Path:
    """govkit.yaml (and eval.csv, and suite.yaml when ``suite`` is a list) under ``root``."""
    root.mkdir(parents=True, exist_ok=True)
    if frame is None:
        frame = make_frame()
    if not (root / "eval.csv").exists():
        frame.to_csv(root / "eval.csv", index=False)
    if isinstance(suite, list):
        suite = write_suite(root, suite)
    cfg: dict[str, Any] = {
        "govkit": 1,
        "system": {"name": "tiny", "version": "1.0"},
        "model": model,
        "data": data
        or {
            "eval": "eval.csv",
            "label": "label",
            "features": FEATURES,
            "sensitive": ["sex", "race"],
        },
        "suite": suite,
        "output": "out",
        **extra,
    }
    path = root / "govkit.yaml"
    path.write_text(yaml.safe_dump(cfg, sort_keys=False))
    return path


ACCURACY_SUITE: list[dict[str, Any]] = [
    {
        "id": "test.accuracy",
        "params": {"n_boot": 50},
        "thresholds": [{"metric": "accuracy", "min": 0.6}],
    },
]
