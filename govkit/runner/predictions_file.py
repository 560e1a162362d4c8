"""``predictions.parquet``: the candidate's predictions per evaluation row, keyed by row.

A later release names this file as a baseline (``predictions_file:``), so the
previous release's model code need not stay runnable. Rows are joined by
``row_key``, a 64-bit fingerprint of the row's feature values:

- the columns it covers are the model's raw inputs: ``data.features`` when the
  project lists them, else every column but the label and the prediction
  columns (a transform may read any of them);
- values are normalised as :func:`govkit.privacy.rowhash.row_hashes` does
  (numbers by value, text trimmed and lower-cased, columns by name), and
  fractional numbers are first taken at float32 precision, so the key
  does not depend on pandas dtypes, float32 or float64, a CSV's decimal
  text, column order, file format or machine;
- identical rows are told apart by their occurrence: the k-th row with the
  same feature values gets key ``mix(fingerprint, k)``. Identical inputs give
  identical predictions, so which copy matches which does not change a figure.

The file holds no feature value and no label: ``row_key`` (uint64), ``label``
(the predicted class index) and, for a binary task, ``score`` (the
positive-class probability; null when the predictions carry no score); for a
multiclass task ``score_0`` ... ``score_{C-1}`` (each class's probability).
Its schema metadata (key ``govkit``) records the task, the class names and
the key columns, which a reader checks before joining.

A run over several training seeds records every seed, so that a later release
can pair its seeds with them: ``label`` and the score columns are the first
seed's (a reader that knows one model reads that seed), and seed j >= 1 adds
the same columns suffixed ``.seed{j}`` (``label.seed1``, ``score.seed1`` or
``score_0.seed1`` ...). The metadata's ``seeds`` lists the seeds' names in
order; a file without it holds one model.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from govkit.privacy.rowhash import row_hashes

if TYPE_CHECKING:
    import pandas as pd

    from govkit.checks.context import Predictions
    from govkit.project import Project

__all__ = [
    "FILE_NAME",
    "METADATA_KEY",
    "RecordedPredictions",
    "RecordedSeed",
    "is_own_predictions",
    "key_columns",
    "predictions_bytes",
    "read_predictions",
    "row_keys",
]

FILE_NAME = "predictions.parquet"
METADATA_KEY = b"govkit"
_FORMAT = 1
_PRIME = np.uint64(0x9E3779B97F4A7C15)


def key_columns(project: Project, frame: pd.DataFrame) -> list[str]:
    """The columns a row key covers: the model's raw inputs, as far as govkit can know them."""
    d = project.model.data
    if d.features and d.transform is None:
        return [str(c) for c in d.features]
    excluded = {d.label}
    specs = [*project.model.model.seed_columns] + [
        spec for b in project.model.baselines for spec in b.seed_columns
    ]
    for spec in specs:
        if spec is not None:
            excluded |= {c for c in (spec.label, spec.score) if c is not None}
    return [str(c) for c in frame.columns if c not in excluded]


def row_keys(frame: pd.DataFrame, columns: list[str]) -> np.ndarray:
    """uint64 key per row: the normalised fingerprint of ``columns``, mixed with its occurrence.

    Examples
    --------
    >>> import pandas as pd
    >>> a = pd.DataFrame({"x": [1, 1, 2], "s": ["A", "A ", "b"]})
    >>> b = pd.DataFrame({"s": ["b", "a", "a"], "x": [2.0, 1.0, 1.0]})
    >>> sorted(row_keys(a, ["x", "s"])) == sorted(row_keys(b, ["s", "x"]))
    True
    >>> len(set(row_keys(a, ["x", "s"])))
    3
    """
    import pandas as pd

    fingerprint = row_hashes(_canonical_floats(frame[columns]), columns)
    occurrence = pd.Series(fingerprint).groupby(fingerprint).cumcount().to_numpy(np.uint64)
    with np.errstate(over="ignore"):
        key = (fingerprint ^ (occurrence * _PRIME)) * _PRIME  # uint64 arithmetic wraps around
        key ^= key >> np.uint64(31)
    return key


def _canonical_floats(frame: pd.DataFrame) -> pd.DataFrame:
    """Float columns at float32 precision.

    A float32 column saved to Parquet, the same column written to a CSV (as
    the shortest text that reads back to the float32) and read as float64,
    and a float64 column of either, all become the same float32 value.
    """
    import pandas as pd

    out = frame.copy()
    for column in out.columns:
        series = out[column]
        if pd.api.types.is_float_dtype(series.dtype):
            x = series.to_numpy(dtype=np.float64, na_value=np.nan)
            with np.errstate(over="ignore"):  # beyond float32's range: infinity, one value
                out[column] = x.astype(np.float32).astype(np.float64)
    return out


def _suffix(seed: int) -> str:
    """Seed ``seed``'s column suffix: none for the first seed, ``.seed{j}`` after it."""
    return "" if seed == 0 else f".seed{seed}"


def _score_names(task: str, n_classes: int) -> list[str]:
    return ["score"] if task == "binary" else [f"score_{k}" for k in range(n_classes)]


def _prediction_columns(predictions: Predictions, task: str, suffix: str) -> dict[str, Any]:
    import pyarrow as pa

    data: dict[str, Any] = {
        f"label{suffix}": pa.array(np.asarray(predictions.labels, dtype=np.int64)),
    }
    if task == "binary":
        scores = np.asarray(predictions.scores, dtype=np.float64).reshape(-1)
        data[f"score{suffix}"] = pa.array(
            scores, mask=np.full(scores.shape, not predictions.has_scores)
        )
    else:
        probs = np.exp(np.asarray(predictions.log_probs, dtype=np.float64))
        for k in range(probs.shape[1]):
            data[f"score_{k}{suffix}"] = pa.array(
                probs[:, k], mask=np.full(probs.shape[0], not predictions.has_scores)
            )
    return data


def predictions_bytes(
    keys: np.ndarray,
    predictions: Predictions,
    *,
    task: str,
    classes: list[str],
    columns: list[str],
    seeds: Sequence[tuple[str, Predictions]] = (),
) -> bytes:
    """The Parquet file's bytes, for an atomic write beside report.json.

    ``seeds`` is every training seed's (name, predictions) when the run had
    several, the first being ``predictions``; each is recorded, so a later run
    can pair its seeds with them.
    """
    import pyarrow as pa
    import pyarrow.parquet as pq

    data: dict[str, Any] = {"row_key": pa.array(np.asarray(keys, dtype=np.uint64))}
    data.update(_prediction_columns(predictions, task, ""))
    several = len(seeds) > 1
    if several:
        for j, (_, seed) in enumerate(seeds[1:], start=1):
            data.update(_prediction_columns(seed, task, _suffix(j)))
    meta: dict[str, Any] = {
        "format": _FORMAT,
        "task": task,
        "classes": classes,
        "key_columns": columns,
        "has_scores": bool(predictions.has_scores),
    }
    if several:
        meta["seeds"] = [name for name, _ in seeds]
    table = pa.table(data).replace_schema_metadata({METADATA_KEY: json.dumps(meta).encode()})
    sink = pa.BufferOutputStream()
    pq.write_table(table, sink)
    return bytes(sink.getvalue().to_pybytes())


@dataclass(frozen=True)
class RecordedSeed:
    """One training seed's columns of a predictions.parquet."""

    name: str
    labels: np.ndarray
    #: (N,) positive-class probability (binary) or (N, C) probabilities (multiclass)
    scores: np.ndarray


@dataclass(frozen=True)
class RecordedPredictions:
    """A predictions.parquet as read back: its metadata and columns."""

    task: str
    classes: list[str]
    key_columns: list[str]
    has_scores: bool
    keys: np.ndarray
    #: every recorded seed in order; one for a file of one model
    seeds: tuple[RecordedSeed, ...]

    @property
    def labels(self) -> np.ndarray:
        """The first seed's predicted class indices."""
        return self.seeds[0].labels

    @property
    def scores(self) -> np.ndarray:
        """The first seed's probabilities."""
        return self.seeds[0].scores


class PredictionsFileError(ValueError):
    """A file that is not a predictions.parquet govkit wrote, with the reason."""


def read_predictions(path: Path) -> RecordedPredictions:
    """Read a predictions.parquet; PredictionsFileError says what is wrong with it."""
    import pyarrow.parquet as pq

    try:
        table = pq.read_table(path)
    except Exception as err:  # not Parquet, truncated, unreadable
        raise PredictionsFileError(f"not a readable Parquet file ({type(err).__name__})") from err
    raw = (table.schema.metadata or {}).get(METADATA_KEY)
    try:
        meta = json.loads(raw) if raw is not None else None
    except ValueError:
        meta = None
    if not isinstance(meta, dict) or meta.get("format") != _FORMAT:
        raise PredictionsFileError("it was not written by `govkit check` (no govkit metadata)")
    task, classes = meta.get("task"), meta.get("classes")
    if task not in ("binary", "multiclass") or not isinstance(classes, list):
        raise PredictionsFileError("its govkit metadata has no task or classes")
    names = set(table.column_names)
    seed_names = meta.get("seeds")
    if seed_names is None:
        seed_names = ["0"]
    if (
        not isinstance(seed_names, list)
        or not seed_names
        or not all(isinstance(n, str) for n in seed_names)
    ):
        raise PredictionsFileError("its govkit metadata's seeds is not a list of names")
    score_names = _score_names(str(task), len(classes))
    wanted = [f"{c}{_suffix(j)}" for j in range(len(seed_names)) for c in ("label", *score_names)]
    missing = [c for c in ("row_key", *wanted) if c not in names]
    if missing:
        raise PredictionsFileError(
            f"it lacks the column(s) {', '.join(missing)}; it has {', '.join(sorted(names))}"
        )
    keys = table.column("row_key").to_numpy(zero_copy_only=False)
    if keys.dtype != np.uint64:
        raise PredictionsFileError("row_key must be uint64")
    has_scores = bool(meta.get("has_scores", True))
    seeds = tuple(
        _read_seed(table, str(name), _suffix(j), score_names, len(classes), has_scores)
        for j, name in enumerate(seed_names)
    )
    return RecordedPredictions(
        task=str(task),
        classes=[str(c) for c in classes],
        key_columns=[str(c) for c in meta.get("key_columns", [])],
        has_scores=has_scores,
        keys=keys,
        seeds=seeds,
    )


def _read_seed(
    table: Any,
    name: str,
    suffix: str,
    score_names: list[str],
    n_classes: int,
    has_scores: bool,
) -> RecordedSeed:
    """One seed's label and score columns, checked."""
    labels = table.column(f"label{suffix}").to_numpy(zero_copy_only=False)
    if not np.issubdtype(labels.dtype, np.integer):
        raise PredictionsFileError(f"label{suffix} must be an integer column")
    parts = []
    for score in score_names:
        column = table.column(f"{score}{suffix}")
        if has_scores and column.null_count:
            raise PredictionsFileError(
                f"column {score}{suffix} has {column.null_count} missing value(s)"
            )
        parts.append(column.to_numpy(zero_copy_only=False).astype(np.float64))
    scores = parts[0] if len(score_names) == 1 else np.stack(parts, axis=1)
    if has_scores and (np.isnan(scores).any() or (scores < 0).any() or (scores > 1).any()):
        raise PredictionsFileError(
            f"its scores{suffix and ' of ' + suffix[1:]} are not probabilities in [0, 1]"
        )
    if labels.size and (labels.min() < 0 or labels.max() >= n_classes):
        raise PredictionsFileError(
            f"its labels{suffix and ' of ' + suffix[1:]} are not class indices"
        )
    return RecordedSeed(name=name, labels=labels.astype(np.int64), scores=scores)


def is_own_predictions(path: Path) -> bool:
    """Whether ``path`` is a predictions.parquet govkit wrote (its metadata says so)."""
    import pyarrow.parquet as pq

    try:
        meta = pq.read_schema(path).metadata or {}
    except Exception:  # not Parquet at all
        return False
    return METADATA_KEY in meta
