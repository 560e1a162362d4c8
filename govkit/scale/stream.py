"""Streamed inference: scoring batches of raw rows with the loaded model.

A model that must score tens of millions of rows cannot have its whole split
encoded into one tensor first, as the in-memory run does. An engine instead
reads the rows in batches and hands each to a :class:`ModelScorer`, which
does for the batch exactly what :func:`govkit.runner.context.model_context`
does for the split:

1. the raw columns become the model's float32 inputs through the project's
   encoder (``data.features`` stacked in order, or ``data.transform``);
2. the model runs on its device under ``torch.inference_mode()``, in chunks
   of ``model.batch_size`` rows, halved on out-of-memory
   (:func:`govkit.runner.predict.predict_log_probs_numpy`);
3. raw outputs become float64 log-probabilities on the CPU
   (:func:`govkit.runner.outputs.to_log_probs`), then the predicted class
   index and, for a binary task, the positive-class probability, with the
   project's decision threshold
   (:func:`govkit.runner.predict.predictions_from_log_probs`).

Every step is the in-memory path's own function. Fed batches of a multiple
of ``model.batch_size`` rows, in the split's order (:func:`batched` re-cuts a
source's uneven batches so), the model sees exactly the chunks the in-memory
run gives it, and every label and score is bit for bit the same. Cut
otherwise, a row may meet another float32 kernel path inside the model (BLAS
and GPU kernels treat the last rows of a chunk apart), so scores agree to
float32 rounding (about 1e-7) and a label can differ only for a score that
close to the threshold. Nothing is kept between batches: memory is one
batch's rows, inputs and outputs, whatever the number of rows.

The runner builds a scorer from what it has already loaded::

    model = load_model(project).to(device)
    encoder, _ = make_encoder(project, first_batch)
    scorer = scorer_for_project(project, model, encoder.encode, device=device,
                                columns=schema_columns, n_classes=len(coding.classes))
    labels, scores = scorer(batch)

or calls :func:`make_scorer` with the pieces directly. ``scorer.columns`` are
the raw columns the scorer reads, for reading only those
(:func:`model_input_columns`). A transform that one-hot encodes the values it
sees must give every batch the same columns (fixed levels, as a transform
stored at training time does); one that does not is an input error naming the
transform, raised by the encoder.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterable, Iterator, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

import numpy as np
import pandas as pd

from govkit.errors import InputError

if TYPE_CHECKING:
    import torch

    from govkit.project import Project

__all__ = [
    "ModelScorer",
    "batched",
    "make_scorer",
    "model_input_columns",
    "scorer_for_project",
]

Task = Literal["binary", "multiclass"]
Output = Literal["logits", "probabilities"]


class ModelScorer:
    """A batch of raw rows -> (predicted class index, positive-class probability or None).

    Satisfies :data:`govkit.scale.engines.base.Scorer`. Build it with
    :func:`make_scorer` or :func:`scorer_for_project`.

    Attributes
    ----------
    columns
        The raw columns a batch must hold (and the only ones read).
    task
        ``binary`` (scores are P(positive)) or ``multiclass`` (no scores).
    """

    def __init__(
        self,
        model: Any,
        encode: Callable[[pd.DataFrame], torch.Tensor],
        *,
        columns: Sequence[str],
        device: str,
        task: Task,
        output: Output,
        threshold: float,
        batch_size: int,
        n_classes: int | None,
        complete: Sequence[str],
        reload: Callable[[], Any] | None = None,
    ) -> None:
        self.model = model
        #: loads the model again in another process (a Ray worker): a compiled or exported
        #: model cannot be pickled, so a scorer sent elsewhere carries this instead
        self.reload = reload
        self.encode = encode
        self.columns: tuple[str, ...] = tuple(columns)
        self.device = device
        self.task: Task = task
        self.output: Output = output
        self.threshold = float(threshold)
        self.batch_size = int(batch_size)
        self.n_classes = n_classes
        self.complete: tuple[str, ...] = tuple(complete)

    def __getstate__(self) -> dict[str, Any]:
        state = dict(self.__dict__)
        if self.reload is not None:
            state["model"] = None
        return state

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__dict__.update(state)
        if self.model is None and self.reload is not None:
            self.model = self.reload().to(self.device)

    def __call__(self, batch: pd.DataFrame) -> tuple[np.ndarray, np.ndarray | None]:
        """Labels (int64 class indices) and, for a binary task, scores (float64) of ``batch``.

        Raises
        ------
        InputError
            A batch lacking a column, an input column that is not numeric or has
            missing values, an encoder that fails, a model that fails or
            returns outputs of the wrong shape.
        """
        from govkit.runner.predict import predict_log_probs_numpy, predictions_from_log_probs

        missing = [c for c in self.columns if c not in batch.columns]
        if missing:
            raise InputError(
                f"the model's input column(s) {', '.join(map(repr, missing))} are not in the "
                f"data; it has {', '.join(map(repr, map(str, batch.columns)))}"
            )
        if len(batch) == 0:
            empty = np.zeros(0, dtype=np.int64)
            return empty, (np.zeros(0, dtype=np.float64) if self.task == "binary" else None)
        frame = batch[list(self.columns)]
        self._check_complete(frame)
        inputs = self.encode(frame)
        log_probs = predict_log_probs_numpy(
            self.model,
            inputs,
            device=self.device,
            batch_size=self.batch_size,
            task=self.task,
            output=self.output,
        )
        if (
            self.task == "multiclass"
            and self.n_classes is not None
            and log_probs.shape[1] < self.n_classes
        ):
            raise InputError(
                f"the model returns {log_probs.shape[1]} class scores but the label "
                f"column has {self.n_classes} classes"
            )
        predictions = predictions_from_log_probs(log_probs, self.task, self.threshold)
        labels = np.asarray(predictions.labels, dtype=np.int64)
        if self.task != "binary":
            return labels, None
        return labels, np.asarray(predictions.scores, dtype=np.float64)

    def _check_complete(self, frame: pd.DataFrame) -> None:
        """Feature columns must be numeric and complete, as the in-memory run checks on load.

        A whole split is checked before the model runs; a stream is checked
        batch by batch, and the first bad batch stops the pass.
        """
        for column in self.complete:
            series = frame[column]
            if not (
                pd.api.types.is_numeric_dtype(series.dtype)
                or pd.api.types.is_bool_dtype(series.dtype)
            ):
                raise InputError(
                    f"column '{column}' is not numeric ({series.dtype}); list numeric "
                    "columns in data.features, or encode the data with data.transform"
                )
            n_missing = int(series.isna().sum())
            if n_missing:
                raise InputError(
                    f"column '{column}' has {n_missing} missing value(s) in a batch of "
                    f"{len(series):,} rows; fill or drop them, or handle them in data.transform"
                )


def make_scorer(
    model: Any,
    encode: Callable[[pd.DataFrame], torch.Tensor],
    *,
    columns: Sequence[str],
    device: str,
    task: Task,
    output: Output,
    threshold: float,
    batch_size: int = 1024,
    n_classes: int | None = None,
    complete: Sequence[str] = (),
    reload: Callable[[], Any] | None = None,
) -> ModelScorer:
    """A scorer of raw batches by ``model``, predicting as the in-memory run does.

    Parameters
    ----------
    model
        The loaded module (:func:`govkit.runner.model.load_model`), already on
        ``device`` and in evaluation mode.
    encode
        Raw frame -> float32 (N, F) CPU tensor (:attr:`govkit.runner.encode.Encoder.encode`).
    columns
        The raw columns ``encode`` reads (:func:`model_input_columns`).
    device
        A resolved torch device string (:func:`govkit.runner.device.resolve_device`).
    task, output
        ``model.task`` and ``model.output``: how raw outputs are read.
    threshold
        ``model.threshold``: a binary row is positive when P(positive) >= threshold.
    batch_size
        ``model.batch_size``: rows per model call, halved on out-of-memory.
    n_classes
        Classes of the label column; a multiclass model returning fewer class
        scores is an input error.
    complete
        Columns that must be numeric without missing values (``data.features``
        when they are stacked as they are, without a transform).
    reload
        Loads the model again; a scorer pickled to another process (a Ray
        worker) carries this instead of the model, which may not pickle.

    Returns
    -------
    ModelScorer
        Call it on a batch; ``.columns`` are the columns it reads.

    Raises
    ------
    ValueError
        ``batch_size`` below 1, or ``columns`` not holding ``complete``.
    """
    if batch_size < 1:
        raise ValueError(f"batch_size must be >= 1, got {batch_size}")
    outside = [c for c in complete if c not in set(columns)]
    if outside:
        raise ValueError(f"complete columns {outside} are not among the scorer's columns")
    return ModelScorer(
        model,
        encode,
        columns=columns,
        device=device,
        task=task,
        output=output,
        threshold=threshold,
        batch_size=batch_size,
        n_classes=n_classes,
        complete=complete,
        reload=reload,
    )


def model_input_columns(project: Project, available: Sequence[str]) -> list[str]:
    """The raw columns the model reads, of the ``available`` columns of the data.

    ``data.features`` when the project lists them without a transform; with a
    transform, which may read any column, every available column except the
    label and the prediction columns (the same columns a predictions file's
    row key covers, :func:`govkit.runner.predictions_file.key_columns`).
    """
    from govkit.runner.predictions_file import key_columns

    return key_columns(project, pd.DataFrame(columns=list(available)))


def scorer_for_project(
    project: Project,
    model: Any,
    encode: Callable[[pd.DataFrame], torch.Tensor],
    *,
    device: str,
    columns: Sequence[str],
    n_classes: int | None = None,
) -> ModelScorer:
    """:func:`make_scorer` with the settings of govkit.yaml.

    ``columns`` are the data's columns (a source's schema); the scorer keeps
    the model's inputs among them (:func:`model_input_columns`).
    """
    from govkit.runner.seeds import checkpoint_paths

    m, d = project.model.model, project.model.data
    inputs = model_input_columns(project, columns)
    path, loc = checkpoint_paths(project)[0]
    return make_scorer(
        model,
        encode,
        columns=inputs,
        device=device,
        task=m.task,
        output=m.output,
        threshold=m.threshold,
        batch_size=m.batch_size,
        n_classes=n_classes,
        complete=list(d.features) if d.transform is None else (),
        reload=functools.partial(_load_checkpoint, project.path, path, m.factory, loc),
    )


def _load_checkpoint(
    config: Path, path: str, factory: str | None, loc: tuple[str | int, ...]
) -> Any:
    """The project's model loaded again from its file, as the run loaded it (another process)."""
    from govkit.project import load_project_file
    from govkit.runner.model import load_model

    return load_model(load_project_file(config), path=path, factory=factory, loc=loc)


def batched(batches: Iterable[pd.DataFrame], batch_size: int) -> Iterator[pd.DataFrame]:
    """Re-cut a stream of frames into frames of exactly ``batch_size`` rows (the last fewer).

    A source's batches follow its files and row groups (a few rows or
    millions); the model is best fed even batches. Frames are sliced and
    joined, never copied more than once, and empty frames are skipped.

    Examples
    --------
    >>> import pandas as pd
    >>> parts = [pd.DataFrame({"x": range(5)}), pd.DataFrame({"x": range(4)})]
    >>> [len(b) for b in batched(parts, 4)]
    [4, 4, 1]
    """
    if batch_size < 1:
        raise ValueError(f"batch_size must be >= 1, got {batch_size}")
    pending: list[pd.DataFrame] = []
    held = 0
    for frame in batches:
        start = 0
        while start < len(frame):
            take = min(batch_size - held, len(frame) - start)
            pending.append(frame.iloc[start : start + take])
            held += take
            start += take
            if held == batch_size:
                yield _join(pending)
                pending, held = [], 0
    if held:
        yield _join(pending)


def _join(parts: list[pd.DataFrame]) -> pd.DataFrame:
    if len(parts) == 1:
        return parts[0].reset_index(drop=True)
    return pd.concat(parts, ignore_index=True)
