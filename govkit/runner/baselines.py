"""Baselines: the models the candidate is compared with, on exactly its evaluation rows.

Each entry of govkit.yaml's ``baselines`` becomes predictions on the
evaluation split, row for row with the candidate's, before any check runs:

- a model file is loaded by the candidate's loader and run on the candidate's
  inputs (the same transform, the same device), read like the candidate's
  outputs (``model.task``, ``model.output``);
- prediction columns are read like the candidate's ``model.predictions``;
- a ``predictions.parquet`` written by an earlier ``govkit check`` is joined
  by row key (:mod:`govkit.runner.predictions_file`). At least 99% of the
  evaluation rows must find their key in it; on the few rows that do not, the
  baseline is taken to predict what the candidate predicts, so a difference
  is never inflated by them (it shrinks by at most that share). A file from
  a run over several seeds is a baseline with those seeds.

Anything that does not fit (another task, another number of classes, a file
made from other data or with other columns) is a configuration error at the
baseline's entry in govkit.yaml (exit 2), found before any check runs.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Literal

import numpy as np

from govkit.checks.context import CheckContext, Predictions
from govkit.errors import InputError
from govkit.project import BaselineSection, PredictionColumns, Project
from govkit.runner.columns import column_predictions
from govkit.runner.console import Console
from govkit.runner.data import LoadedData
from govkit.runner.predictions_file import (
    PredictionsFileError,
    RecordedSeed,
    read_predictions,
)

if TYPE_CHECKING:
    import torch

__all__ = ["MIN_MATCH", "Baseline", "load_baselines"]

#: the share of evaluation rows a recorded predictions file must cover
MIN_MATCH = 0.99
_EPS = 1e-12

Source = Literal["model", "columns", "predictions_file"]


@dataclass(frozen=True)
class Baseline:
    """One baseline's predictions on the evaluation split and how many rows they cover."""

    name: str
    source: Source
    predictions: Predictions
    rows_matched: int
    rows: int
    #: with several training seeds (``paths``, a list of column pairs, or a predictions file
    #: of a run over seeds): every seed's predictions, the first being ``predictions``; empty
    #: for a single model
    seeds: tuple[Predictions, ...] = ()


def _display(project: Project, path: Path) -> str:
    try:
        return str(path.relative_to(project.root))
    except ValueError:
        return str(path)


def _source(entry: BaselineSection) -> Source:
    if entry.path is not None or entry.paths is not None:
        return "model"
    return "columns" if entry.predictions is not None else "predictions_file"


def load_baselines(
    project: Project, data: LoadedData, ctx: CheckContext, keys: np.ndarray, console: Console
) -> list[Baseline]:
    """Every baseline of govkit.yaml, predicted or read on the evaluation split.

    Parameters
    ----------
    project, data
        The loaded govkit.yaml and its splits.
    ctx
        The candidate's context, its evaluation predictions made.
    keys
        The evaluation rows' keys (:func:`govkit.runner.predictions_file.row_keys`).
    console
        Where progress goes.

    Raises
    ------
    ConfigError
        At ``baselines[i]`` of govkit.yaml: a baseline of another task or
        output shape, a predictions file that is not govkit's or covers fewer
        than 99% of the rows, or prediction columns that are not predictions.
    """
    found: list[Baseline] = []
    candidate = ctx.predictions("eval")
    n = int(ctx.eval.y_true.shape[0])
    for i, entry in enumerate(project.model.baselines):
        loc: tuple[str | int, ...] = ("baselines", i)
        console.progress(f"baseline {entry.name}: reading its predictions")
        matched = n
        seeds: tuple[Predictions, ...] = ()
        if entry.paths is not None:
            seeds = _seed_models(project, data, ctx, entry, loc, candidate)
            preds = seeds[0]
        elif isinstance(entry.predictions, list):
            seeds = tuple(
                column_predictions(
                    project,
                    data.eval,
                    data.coding,
                    _display(project, data.eval_path),
                    spec=spec,
                    loc=(*loc, "predictions", j),
                )
                for j, spec in enumerate(entry.predictions)
            )
            preds = seeds[0]
        elif entry.path is not None:
            preds = _model_predictions(project, data, ctx, entry, loc)
            # columns and recorded files are held to the label's classes as they are read
            _same_output(project, entry, loc, candidate, preds)
        elif isinstance(entry.predictions, PredictionColumns):
            preds = column_predictions(
                project,
                data.eval,
                data.coding,
                _display(project, data.eval_path),
                spec=entry.predictions,
                loc=(*loc, "predictions"),
            )
        else:
            recorded, matched = _recorded_predictions(project, data, entry, loc, keys, candidate)
            preds = recorded[0]
            if len(recorded) > 1:
                seeds = recorded
        if len(seeds) > 1 and len(seeds) != len(ctx.seed_predictions):
            raise project.error(
                loc,
                f"baseline '{entry.name}' has {len(seeds)} seeds and the candidate "
                f"{max(1, len(ctx.seed_predictions))}; seed i of a baseline is paired with "
                "seed i of the candidate",
                hint=(
                    "name the predictions.parquet of a run over as many seeds as this one, "
                    "or of a run over one model"
                    if entry.predictions_file is not None
                    else "give the baseline one model, or as many seeds as the candidate"
                ),
            )
        found.append(Baseline(entry.name, _source(entry), preds, matched, n, seeds))
    return found


def _seed_models(
    project: Project,
    data: LoadedData,
    ctx: CheckContext,
    entry: BaselineSection,
    loc: tuple[str | int, ...],
    candidate: Predictions,
) -> tuple[Predictions, ...]:
    """A baseline's seed checkpoints, each loaded once and scored in one shared data pass."""
    from govkit.runner.model import load_model
    from govkit.runner.predict import predictions_from_log_probs
    from govkit.runner.seeds import expand_paths, same_architecture, score_together

    assert entry.paths is not None
    m = project.model.model
    files = expand_paths(project, entry.paths, (*loc, "paths"))
    models = [load_model(project, path=files[0][0], factory=entry.factory, loc=files[0][1])]
    for path, where in files[1:]:
        models.append(load_model(project, path=path, factory=entry.factory, loc=where))
        same_architecture(project, models[0], models[-1], (files[0][0], path), where)
    x = _model_inputs(project, data, ctx, loc)
    try:
        log_probs = score_together(
            [model.to(ctx.device) for model in models],
            x,
            device=ctx.device,
            batch_size=m.batch_size,
            task=m.task,
            output=m.output,
        )
    except InputError as err:
        raise project.error(
            (*loc, "paths"),
            f"baseline '{entry.name}': {err.message}",
            hint="a baseline reads the candidate's inputs and gives outputs of its task",
        ) from err
    found = []
    for (_, where), lp in zip(files, log_probs, strict=True):
        preds = predictions_from_log_probs(lp, m.task, m.threshold)
        _same_output(project, entry, where, candidate, preds)
        found.append(preds)
    return tuple(found)


def _same_output(
    project: Project,
    entry: BaselineSection,
    loc: tuple[str | int, ...],
    candidate: Predictions,
    preds: Predictions,
) -> None:
    classes = np.shape(candidate.log_probs)[1]
    got = np.shape(preds.log_probs)[1]
    if got != classes or np.shape(preds.labels) != np.shape(candidate.labels):
        raise project.error(
            loc,
            f"baseline '{entry.name}' gives {got} class scores per row where the candidate "
            f"gives {classes}; a baseline must do the candidate's task",
            hint="compare with a model of the same task and classes",
        )


def _model_inputs(
    project: Project, data: LoadedData, ctx: CheckContext, loc: tuple[str | int, ...]
) -> torch.Tensor:
    if ctx.inputs_of is not None:
        return ctx.inputs("eval")
    d = project.model.data
    if not d.features and d.transform is None:
        raise project.error(
            (*loc, "path"),
            "a model baseline needs its inputs, and this project names none",
            hint="set data.features or data.transform",
        )
    from govkit.runner.encode import make_encoder

    try:
        _, x = make_encoder(project, data.eval.frame)
    except InputError as err:
        key = "transform" if d.transform is not None else "features"
        raise project.error(("data", key), err.message) from err
    return x


def _model_predictions(
    project: Project,
    data: LoadedData,
    ctx: CheckContext,
    entry: BaselineSection,
    loc: tuple[str | int, ...],
) -> Predictions:
    from govkit.runner.model import load_model
    from govkit.runner.predict import predict_log_probs_numpy, predictions_from_log_probs

    m = project.model.model
    x = _model_inputs(project, data, ctx, loc)
    try:
        model = load_model(project, path=entry.path, factory=entry.factory, loc=loc).to(ctx.device)
        lp = predict_log_probs_numpy(
            model, x, device=ctx.device, batch_size=m.batch_size, task=m.task, output=m.output
        )
    except InputError as err:
        if err.diagnostics:
            raise
        raise project.error(
            (*loc, "path"),
            f"baseline '{entry.name}': {err.message}",
            hint="a baseline reads the candidate's inputs and gives outputs of its task",
        ) from err
    return predictions_from_log_probs(lp, m.task, m.threshold)


def _recorded_predictions(
    project: Project,
    data: LoadedData,
    entry: BaselineSection,
    loc: tuple[str | int, ...],
    keys: np.ndarray,
    candidate: Predictions,
) -> tuple[tuple[Predictions, ...], int]:
    """A recorded file's predictions on the evaluation rows, one per seed it records."""
    import pandas as pd

    assert entry.predictions_file is not None
    where = (*loc, "predictions_file")
    path = project.resolve(entry.predictions_file)
    display = _display(project, path)
    hint = "name the predictions.parquet an earlier `govkit check` wrote into its output folder"
    if not path.is_file():
        raise project.error(where, f"{display}: no such file", hint=hint)
    try:
        recorded = read_predictions(path)
    except PredictionsFileError as err:
        raise project.error(where, f"{display}: {err}", hint=hint) from err
    coding = data.coding
    if recorded.task != coding.task or recorded.classes != coding.class_names:
        raise project.error(
            where,
            f"{display} holds predictions of a {recorded.task} task with classes "
            f"{recorded.classes}; this project is a {coding.task} task with classes "
            f"{coding.class_names}",
            hint="a baseline must do the candidate's task on the same classes",
        )
    index = pd.Index(recorded.keys)
    if not index.is_unique:
        raise project.error(where, f"{display}: its row keys repeat", hint=hint)
    at = index.get_indexer(keys)
    found = at >= 0
    matched = int(found.sum())
    n = int(keys.shape[0])
    if n == 0 or matched < MIN_MATCH * n:
        raise project.error(
            where,
            f"{display}: only {matched:,} of the {n:,} evaluation rows "
            f"({100.0 * matched / max(n, 1):.1f}%) have a prediction in it, fewer than "
            f"{MIN_MATCH:.0%}; it was made from other data",
            hint="run `govkit check` of the baseline on this evaluation data and name the "
            "predictions.parquet it writes (row keys cover the feature columns; "
            f"the file's: {', '.join(recorded.key_columns[:8]) or 'unknown'})",
        )
    seeds = tuple(
        _joined(seed, at, found, candidate, task=coding.task, has_scores=recorded.has_scores)
        for seed in recorded.seeds
    )
    return seeds, matched


def _joined(
    seed: RecordedSeed,
    at: np.ndarray,
    found: np.ndarray,
    candidate: Predictions,
    *,
    task: str,
    has_scores: bool,
) -> Predictions:
    """One recorded seed's predictions on the evaluation rows (``at``: each row's place in the
    file); a row missing from the file takes the candidate's prediction."""
    labels = np.where(found, seed.labels[np.maximum(at, 0)], candidate.labels)
    if task == "binary":
        p = np.where(found, seed.scores[np.maximum(at, 0)], candidate.scores)
        p = np.clip(p, _EPS, 1.0 - _EPS)
        log_probs = np.stack([np.log1p(-p), np.log(p)], axis=1)
        scores = p
    else:
        probs = seed.scores[np.maximum(at, 0)]
        probs = np.where(found[:, None], probs, np.exp(candidate.log_probs))
        log_probs = np.log(np.clip(probs, _EPS, 1.0))
        scores = probs
    if not has_scores:
        onehot = np.zeros_like(log_probs)
        onehot[np.arange(labels.shape[0]), labels] = 1.0
        log_probs = np.log(np.clip(onehot, _EPS, 1.0))
        scores = labels.astype(np.float64) if task == "binary" else np.exp(log_probs)
    return Predictions(
        log_probs=log_probs,
        scores=scores,
        labels=labels.astype(np.int64),
        has_scores=has_scores,
    )
