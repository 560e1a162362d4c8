"""Fixtures: tiny real models with planted truth, and hand-built check contexts."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pandas as pd
import pytest
from sklearn.linear_model import LogisticRegression

from govkit.checks.context import CheckContext
from tests.checks.helpers import Trained, make_context


def _population(rng: np.random.Generator, n: int) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "sex": rng.choice(["Female", "Male"], size=n),
            "race": rng.choice(["A", "B", "C"], size=n, p=[0.5, 0.3, 0.2]),
            "x1": rng.normal(size=n),
            "x2": rng.normal(size=n),
        }
    )


def _train_binary(seed: int, n: int, biased: bool) -> Trained:
    """Logistic regression on synthetic rows; ``biased`` plants a dependence on sex.

    The biased world's labels favour one sex and the model sees the sex
    column, so its selection rates differ by group: a planted disparity.
    The fair world's labels ignore the groups and the model never sees them.
    """
    rng = np.random.default_rng(seed)
    frame = _population(rng, 2 * n)
    male = (frame["sex"] == "Male").to_numpy().astype(float)
    logit = 1.5 * frame["x1"].to_numpy() - 1.0 * frame["x2"].to_numpy()
    if biased:
        logit = logit + 2.0 * male - 1.0
    y = (rng.random(2 * n) < 1 / (1 + np.exp(-logit))).astype(np.int64)
    features = frame[["x1", "x2"]].to_numpy()
    if biased:
        features = np.column_stack([features, male])
    model = LogisticRegression().fit(features[:n], y[:n])
    scores = model.predict_proba(features[n:])[:, 1]
    eval_frame = frame.iloc[n:].reset_index(drop=True)
    return Trained(eval_frame, y[n:], (scores >= 0.5).astype(np.int64), scores)


@pytest.fixture(scope="session")
def biased_model() -> Trained:
    return _train_binary(seed=11, n=6000, biased=True)


@pytest.fixture(scope="session")
def fair_model() -> Trained:
    return _train_binary(seed=12, n=20000, biased=False)


@pytest.fixture(scope="session")
def multiclass_model() -> Trained:
    """Three classes from two features; a multinomial logistic regression."""
    rng = np.random.default_rng(5)
    n = 3000
    frame = _population(rng, 2 * n)
    x = frame[["x1", "x2"]].to_numpy()
    centres = np.array([[-1.0, 0.0], [1.0, 0.5], [0.0, -1.2]])
    logits = -((x[:, None, :] - centres[None]) ** 2).sum(axis=2)
    probs = np.exp(logits) / np.exp(logits).sum(axis=1, keepdims=True)
    y = (rng.random(2 * n)[:, None] > probs.cumsum(axis=1)).sum(axis=1).astype(np.int64)
    model = LogisticRegression().fit(x[:n], y[:n])
    p = model.predict_proba(x[n:])
    return Trained(
        frame.iloc[n:].reset_index(drop=True), y[n:], p.argmax(axis=1).astype(np.int64), p
    )


@pytest.fixture
def context_of() -> Callable[..., CheckContext]:
    return make_context


@pytest.fixture
def trained_type() -> type[Trained]:
    return Trained
