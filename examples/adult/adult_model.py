"""The Adult income model: its input encoding and its network.

govkit imports ``adult_model:transform`` (see ``govkit.yaml``) to turn the raw
rows of the evaluation and training splits into the float32 tensor the
exported model takes. The encoding is fixed at training time and stored as
plain JSON (``artifacts/preprocess.json``), never as a pickle, so reviewers
can read it and loading it cannot run code.

Encoded columns are named ``"age"`` for a numeric feature and
``"sex=Female"`` for one level of a categorical feature. The original feature
of any encoded column is the part of its name before ``=``, which is how
attribution checks add the one-hot columns of a feature back together.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import torch
from torch import nn

__all__ = [
    "CATEGORICAL",
    "DROPPED",
    "LABEL",
    "LOG_SCALED",
    "MISSING",
    "NUMERIC",
    "POSITIVE_LABEL",
    "PREPROCESS_PATH",
    "IncomeMLP",
    "Preprocessor",
    "feature_of",
    "transform",
]

#: numeric inputs, standardised with the training split's mean and standard deviation
NUMERIC: tuple[str, ...] = (
    "age",
    "education-num",
    "capital-gain",
    "capital-loss",
    "hours-per-week",
)
#: heavy-tailed (mostly zero, a few very large values): log1p before standardising
LOG_SCALED: tuple[str, ...] = ("capital-gain", "capital-loss")
#: categorical inputs, one-hot over the levels seen in the training split
CATEGORICAL: tuple[str, ...] = (
    "workclass",
    "marital-status",
    "occupation",
    "relationship",
    "race",
    "sex",
    "native-country",
)
#: raw columns the model does not use: ``fnlwgt`` is the census sampling weight (a property
#: of the survey design, not of the person) and ``education`` is one-to-one with
#: ``education-num``
DROPPED: tuple[str, ...] = ("fnlwgt", "education")
LABEL = "class"
POSITIVE_LABEL = ">50K"
#: the raw data writes a missing value as "?"; it becomes a level of its own
MISSING = "unknown"

PREPROCESS_PATH = Path(__file__).resolve().parent / "artifacts" / "preprocess.json"
_FORMAT = 1


def feature_of(column: str) -> str:
    """The original feature of an encoded column name (``"sex=Female"`` -> ``"sex"``)."""
    return column.split("=", 1)[0]


def _clean(values: pd.Series) -> np.ndarray:
    # "?" and empty cells mean "not recorded"; stray spaces appear in other copies of Adult
    text = values.astype("string").str.strip().fillna("?")
    return np.where(text.isin(["?", ""]).to_numpy(), MISSING, text.to_numpy(dtype=object))


def _numeric(frame: pd.DataFrame, column: str) -> np.ndarray:
    values = pd.to_numeric(frame[column], errors="coerce").to_numpy(dtype=np.float64)
    if column in LOG_SCALED:
        values = np.log1p(np.clip(values, 0.0, None))
    return values


@dataclass(frozen=True)
class Preprocessor:
    """Fixed encoding statistics: numeric means and scales, categorical vocabularies."""

    mean: dict[str, float]
    scale: dict[str, float]
    vocabulary: dict[str, list[str]]

    @classmethod
    def fit(cls, frame: pd.DataFrame) -> Preprocessor:
        """Learn the statistics from the training split only (no evaluation data leaks in)."""
        mean: dict[str, float] = {}
        scale: dict[str, float] = {}
        for column in NUMERIC:
            values = _numeric(frame, column)
            mean[column] = float(np.nanmean(values))
            std = float(np.nanstd(values))
            scale[column] = std if std > 0 else 1.0
        vocabulary = {c: sorted(set(_clean(frame[c]).tolist())) for c in CATEGORICAL}
        return cls(mean=mean, scale=scale, vocabulary=vocabulary)

    @property
    def columns(self) -> list[str]:
        """Encoded column names, in the order of the tensor's columns."""
        names = list(NUMERIC)
        for column in CATEGORICAL:
            names.extend(f"{column}={level}" for level in self.vocabulary[column])
        return names

    def encode(self, frame: pd.DataFrame) -> torch.Tensor:
        """Encode raw rows as a float32 (N, F) tensor.

        A missing numeric value becomes the training mean (0 after
        standardising); a categorical level never seen in training encodes as
        all zeros, so new data cannot shift the columns.
        """
        missing = [c for c in (*NUMERIC, *CATEGORICAL) if c not in frame.columns]
        if missing:
            raise KeyError(f"the Adult encoding needs the columns {missing}")
        blocks: list[np.ndarray] = []
        for column in NUMERIC:
            z = (_numeric(frame, column) - self.mean[column]) / self.scale[column]
            blocks.append(np.nan_to_num(z, nan=0.0)[:, None])
        for column in CATEGORICAL:
            levels = np.asarray(self.vocabulary[column], dtype=object)
            blocks.append(_clean(frame[column])[:, None] == levels[None, :])
        matrix = np.concatenate([b.astype(np.float32) for b in blocks], axis=1)
        return torch.from_numpy(np.ascontiguousarray(matrix))

    def to_json(self) -> dict[str, Any]:
        return {
            "format": _FORMAT,
            "numeric": {c: {"mean": self.mean[c], "scale": self.scale[c]} for c in NUMERIC},
            "log_scaled": list(LOG_SCALED),
            "categorical": {c: self.vocabulary[c] for c in CATEGORICAL},
            "columns": self.columns,
        }

    def save(self, path: Path) -> None:
        """Write the statistics as readable JSON."""
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(self.to_json(), indent=2) + "\n", encoding="utf-8")

    @classmethod
    def load(cls, path: Path) -> Preprocessor:
        """Read statistics written by :meth:`save`."""
        if not path.is_file():
            raise FileNotFoundError(f"{path} is missing; run train.py first")
        raw = json.loads(path.read_text(encoding="utf-8"))
        if raw.get("format") != _FORMAT:
            raise ValueError(f"{path}: unsupported format {raw.get('format')!r}")
        numeric = raw["numeric"]
        mean = {c: float(numeric[c]["mean"]) for c in NUMERIC}
        scale = {c: float(numeric[c]["scale"]) for c in NUMERIC}
        if not all(math.isfinite(v) for v in (*mean.values(), *scale.values())):
            raise ValueError(f"{path}: non-finite statistics")
        vocabulary = {c: [str(v) for v in raw["categorical"][c]] for c in CATEGORICAL}
        return cls(mean=mean, scale=scale, vocabulary=vocabulary)


def transform(frame: pd.DataFrame) -> tuple[torch.Tensor, list[str]]:
    """Encode raw Adult rows for the model.

    Parameters
    ----------
    frame
        Raw rows with at least the columns in ``NUMERIC`` and ``CATEGORICAL``;
        other columns (the label, ``fnlwgt``, ``education``) are ignored.

    Returns
    -------
    tuple
        A float32 (N, F) tensor and the F column names; a name's part before
        ``=`` is the original feature it encodes.
    """
    # read on every call: the file is small, and a retrained model is never paired with stale
    # statistics
    pre = Preprocessor.load(PREPROCESS_PATH)
    return pre.encode(frame), pre.columns


class IncomeMLP(nn.Module):
    """A small multilayer perceptron returning one logit per row (class ``>50K``)."""

    def __init__(self, n_inputs: int, hidden: tuple[int, ...] = (64, 32)) -> None:
        super().__init__()
        layers: list[nn.Module] = []
        width = n_inputs
        for size in hidden:
            layers += [nn.Linear(width, size), nn.ReLU()]
            width = size
        layers.append(nn.Linear(width, 1))
        self.net = nn.Sequential(*layers)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.net(x).squeeze(-1)
