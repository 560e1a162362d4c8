"""The statistics path: the check context built from an engine's statistics, not from rows.

With the DuckDB or Ray engine the evaluation rows are never loaded. The
engine returns:

- the **cells** (:mod:`govkit.scale.cells`) keyed by the sensitive columns,
  the slice columns (binned ones by their bin), the true label, the
  predicted label and the score level: a weighted split (``Split.weights``)
  whose score column holds each cell's mean score. Group fairness,
  classification and calibration measure it (:data:`CELLS_CHECKS`);
- a seeded **sample** of at most :data:`SAMPLE_ROWS` rows of each split,
  stratified by the label and the sensitive columns: every other check
  (membership inference, attribution, counterfactual flips, PII, leakage,
  data quality, k-anonymity) runs on it as its split, and says so in its
  details.

Predictions come from the data's columns (``model.predictions``) or, with a
model, from a scorer the engine calls on each batch of rows
(:func:`govkit.scale.stream.scorer_for_project`). Configurations that need
every row's prediction side by side (baselines, several seeds) are refused
at their govkit.yaml key.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from govkit.checks.context import CheckContext, Predictions, Split
from govkit.errors import ConfigError
from govkit.project import Project
from govkit.runner.console import Console
from govkit.runner.data import LabelCoding, LoadedData, SplitSource
from govkit.runner.tables import SplitTables

if TYPE_CHECKING:
    import numpy as np
    import pandas as pd

    from govkit.scale.cells import CellSpec
    from govkit.scale.choose import EngineChoice
    from govkit.scale.engines.base import Engine, TableRef
    from govkit.stats.slices import Slicing

__all__ = [
    "CELLS_CHECKS",
    "PROFILE_CHECKS",
    "SAMPLE_ROWS",
    "StatisticsRun",
    "build_statistics_run",
]

#: the checks that measure the cells; every other check runs on the sample
CELLS_CHECKS = frozenset(
    {
        "performance.classification",
        "performance.calibration",
        "fairness.demographic_parity",
        "fairness.equalized_odds",
        "fairness.equal_opportunity",
    }
)

#: checks that run on the sample's context but measure an engine's statistics of every row
#: (the profile, the class sizes) through ``CheckContext.profile`` / ``class_sizes``
PROFILE_CHECKS = frozenset({"data.quality", "privacy.k_anonymity"})

#: rows of each split's seeded sample for the checks that need rows
SAMPLE_ROWS = 100_000

#: columns of the cells holding a streamed model's predicted class and score
PRED_COLUMN = "__govkit_pred"
SCORE_COLUMN = "__govkit_score"

Loc = tuple[str | int, ...]


@dataclass
class StatisticsRun:
    """What the statistics path gives the runner: two contexts and what they were built from."""

    #: the sample's splits, as the rows path would have loaded them
    data: LoadedData
    #: the context of the checks that run on rows: the sample
    sample: CheckContext
    #: the context of :data:`CELLS_CHECKS`: the weighted cells
    cells: CheckContext
    #: evaluation rows measured by the engine
    rows: int
    #: what the report's ``engine.statistics`` records
    record: dict[str, Any] = field(default_factory=dict)

    def context_for(self, check_id: str) -> CheckContext:
        """The cells for :data:`CELLS_CHECKS`, the sample for the others."""
        return self.cells if check_id in CELLS_CHECKS else self.sample

    def on_sample(self, check_id: str) -> bool:
        """Whether the check measures the sample only (and says so in its details)."""
        return check_id not in CELLS_CHECKS and check_id not in PROFILE_CHECKS

    def sample_note(self) -> str:
        """What a check run on the sample says in its details."""
        n = len(self.sample.eval.frame)
        return (
            f"ran on a seeded sample of {n:,} of {self.rows:,} evaluation rows, stratified "
            "by the label and the sensitive columns"
        )


def refuse_unsupported(project: Project, choice: EngineChoice) -> None:
    """Configurations the statistics path cannot serve: exit 2 at their govkit.yaml key."""
    from govkit.runner.seeds import checkpoint_paths

    m = project.model
    fix = "or run with --engine pandas, which loads every row"
    if m.baselines:
        raise project.error(
            ("baselines",),
            f"baselines are compared row by row with the candidate, which the {choice.name} "
            "engine does not load",
            hint=f"remove baselines for this run, {fix}",
        )
    if isinstance(m.model.predictions, list) and len(m.model.predictions) > 1:
        raise project.error(
            ("model", "predictions"),
            f"several seeds' prediction columns need every row side by side; the {choice.name} "
            "engine measures one seed",
            hint=f"name one seed's columns, {fix}",
        )
    if m.model.paths is not None and len(checkpoint_paths(project)) > 1:
        raise project.error(
            ("model", "paths"),
            f"several checkpoints need every row side by side; the {choice.name} engine "
            "measures one model",
            hint=f"set model.path to one checkpoint, {fix}",
        )


def _check_named_columns(project: Project, tables: SplitTables, *, train: bool) -> None:
    import pandas as pd

    from govkit.runner.data import _check_columns

    display = _display(project, tables.path)
    problems = _check_columns(project, pd.DataFrame(columns=tables.columns), display, train=train)
    if problems:
        raise ConfigError(
            f"{len(problems)} problem(s) with the columns named in {project.parsed.path}",
            diagnostics=problems,
        )


def _display(project: Project, path: Path) -> str:
    try:
        return str(path.relative_to(project.root))
    except ValueError:
        return str(path)


def _loaded_data(
    project: Project,
    sample_eval: pd.DataFrame,
    sample_train: pd.DataFrame | None,
    eval_tables: SplitTables,
    train_tables: SplitTables | None,
    labels: pd.Series,
) -> LoadedData:
    """The samples as :class:`LoadedData`, the label coded from every label value the cells hold."""
    from govkit.runner.data import _coding

    label = project.model.data.label
    # the coding sees every true label value (the cells hold them all), sample or not
    frames = [labels.to_frame(label)] + ([sample_train] if sample_train is not None else [])
    coding = _coding(project, frames)
    splits: list[Split | None] = []
    for name, frame, tables in (
        ("eval", sample_eval, eval_tables),
        ("train", sample_train, train_tables),
    ):
        if frame is None or tables is None:
            splits.append(None)
            continue
        y = coding.encode(
            frame[label],
            what=f"label column '{label}' of {_display(project, tables.path)}",
            project=project,
            loc=("data", "label"),
        )
        splits.append(Split(name, frame, y, sampled_from=tables.n_rows))  # type: ignore[arg-type]
    eval_split = splits[0]
    assert eval_split is not None

    def source(tables: SplitTables | None) -> SplitSource | None:
        if tables is None:
            return None
        return SplitSource(tables.path, tuple(Path(f) for ref in tables.tables for f in ref.files))

    eval_source = source(eval_tables)
    assert eval_source is not None
    return LoadedData(
        eval=eval_split,
        train=splits[1],
        coding=coding,
        eval_path=eval_tables.path,
        train_path=train_tables.path if train_tables is not None else None,
        eval_source=eval_source,
        train_source=source(train_tables),
    )


def _cell_spec(
    project: Project,
    engine: Engine,
    tables: SplitTables,
    *,
    pred: str | None,
    score: str | None,
) -> tuple[CellSpec, dict[str, list[float]]]:
    """The cells' keys: sensitive columns as they are, slice columns binned by their edges."""
    from govkit.scale.cells import CellSpec, Key
    from govkit.stats.slices import distinct_edges, quantile_probabilities

    d = project.model.data
    keys: list[Key] = [Key(c) for c in d.sensitive]
    quantile_edges: dict[str, list[float]] = {}
    for i, s in enumerate(d.slice_specs()):
        if s.bins is None and s.quantiles is None:
            edges = None
        elif s.bins is not None:
            edges = list(s.bins)
        else:
            raw = engine.quantiles(
                tables.tables, s.column, quantile_probabilities(int(s.quantiles or 0))
            )
            try:
                edges = distinct_edges([e for e in raw if e == e])
            except (ValueError, IndexError):
                raise project.error(
                    ("data", "slices", i),
                    f"slice column '{s.column}' has no numeric values to compute quantiles on",
                ) from None
            quantile_edges[s.column] = edges
        if any(k.column == s.column for k in keys):
            continue  # a sensitive column keeps its values, which cut into any bins
        keys.append(Key(s.column, None if edges is None else tuple(edges)))
    return CellSpec(tuple(keys), d.label, pred=pred, score=score), quantile_edges


def _scorer(project: Project, ctx: CheckContext, columns: Sequence[str], n_classes: int) -> Any:
    """The model as a scorer of row batches; ``columns`` are the data's, the scorer reads its inputs."""
    from govkit.scale.stream import scorer_for_project

    assert ctx.encode is not None  # a model run always encodes
    return scorer_for_project(
        project, ctx.model, ctx.encode, device=ctx.device, columns=columns, n_classes=n_classes
    )


def build_statistics_run(
    project: Project,
    choice: EngineChoice,
    engine: Engine,
    eval_tables: SplitTables,
    train_tables: SplitTables | None,
    *,
    requested_device: str,
    console: Console,
) -> tuple[StatisticsRun, str]:
    """Both contexts of a statistics run, and the device as the report records it.

    Raises
    ------
    ConfigError
        Unsupported settings or unknown columns, at their govkit.yaml key (exit 2).
    InputError
        Unreadable data or a model that cannot run (exit 2).
    """
    import numpy as np

    from govkit.runner.context import model_context, predictions_only_context
    from govkit.scale.cells import (
        LEVEL,
        LEVELS,
        MISSING_LEVEL,
        OUTSIDE_LEVEL,
        SCORE_SUM,
        WEIGHT,
        auc_error_bound,
        score_level,
    )

    refuse_unsupported(project, choice)
    _check_named_columns(project, eval_tables, train=False)
    if train_tables is not None:
        _check_named_columns(project, train_tables, train=True)
    d, m = project.model.data, project.model.model
    strata = list(dict.fromkeys([d.label, *d.sensitive]))
    console.progress(f"sampling {SAMPLE_ROWS:,} rows of {eval_tables.n_rows:,} with {choice.name}")
    sample_eval = engine.sample(
        eval_tables.tables, SAMPLE_ROWS, seed=project.model.seed, strata=strata
    )
    sample_train = (
        engine.sample(train_tables.tables, SAMPLE_ROWS, seed=project.model.seed, strata=[d.label])
        if train_tables is not None
        else None
    )
    if len(sample_eval) == 0:
        raise project.error(("data", "eval"), f"{_display(project, eval_tables.path)}: no rows")

    predictions_only = m.predictions is not None
    columns_spec = m.columns
    if not predictions_only:
        from govkit.runner.data import _check_features

        # a model's inputs must be numeric and complete, as on the rows path (seen on the sample)
        problems = _check_features(project, sample_eval, _display(project, eval_tables.path))
        if problems:
            raise ConfigError(
                f"{len(problems)} problem(s) with the columns named in {project.parsed.path}",
                diagnostics=problems,
            )
    # the sample's contexts first: a broken model is an input error before any pass over the data
    provisional = _loaded_data(
        project, sample_eval, sample_train, eval_tables, train_tables, sample_eval[d.label]
    )
    if predictions_only:
        sample_ctx, device_text = predictions_only_context(project, provisional, console)
    else:
        sample_ctx, device_text = model_context(project, provisional, requested_device, console)

    if predictions_only:
        assert columns_spec is not None
        pred, score = columns_spec.label, columns_spec.score
        scorer = None
        read: list[str] = []
    else:
        from govkit.runner.predictions_file import key_columns

        pred, score = PRED_COLUMN, (SCORE_COLUMN if m.task == "binary" else None)
        import pandas as pd

        inputs = key_columns(project, pd.DataFrame(columns=eval_tables.columns))
        scorer = _scorer(project, sample_ctx, eval_tables.columns, len(provisional.coding.classes))
        read = inputs
    spec, quantile_edges = _cell_spec(project, engine, eval_tables, pred=pred, score=score)
    console.progress(f"counting cells of {eval_tables.n_rows:,} rows with {choice.name}")
    cells = engine.cells(
        eval_tables.tables,
        spec,
        scorer=scorer,
        columns=list(dict.fromkeys([*read, *(k.column for k in spec.keys), d.label])),
    )
    if len(cells) == 0:
        raise project.error(("data", "eval"), f"{_display(project, eval_tables.path)}: no rows")
    weights = cells[WEIGHT].to_numpy(dtype=np.float64)
    rows = round(float(weights.sum()))
    if score is not None and predictions_only:
        # a missing score, or one outside [0, 1], has a level of its own; the rows path
        # refuses both, and so does this one
        level = cells[LEVEL].to_numpy()
        missing = round(float(weights[level == MISSING_LEVEL].sum()))
        outside = round(float(weights[level == OUTSIDE_LEVEL].sum()))
        if missing or outside:
            problem = (
                f"{missing} missing value(s)" if missing else (f"{outside} value(s) outside [0, 1]")
            )
            raise project.error(
                ("model", "predictions", "score"),
                f"score column '{score}' of {_display(project, eval_tables.path)} has {problem}",
                hint=None if missing else "give the probability of the positive class, not a logit",
            )
    if score is not None:
        cells[score] = cells[SCORE_SUM].to_numpy(dtype=np.float64) / weights

    # the label coding of the cells (every value) and of the samples must agree
    data = _loaded_data(
        project, sample_eval, sample_train, eval_tables, train_tables, cells[d.label]
    )
    if data.coding.classes != provisional.coding.classes:
        sample_ctx, device_text = (
            predictions_only_context(project, data, console)
            if predictions_only
            else model_context(project, data, requested_device, console)
        )
    display = _display(project, eval_tables.path)
    y_cells = data.coding.encode(
        cells[d.label],
        what=f"label column '{d.label}' of {display}",
        project=project,
        loc=("data", "label"),
    )
    split = Split("eval", cells, y_cells, weights=weights)
    coding = data.coding

    def cells_predictions(name: str) -> Predictions:
        if name != "eval":
            raise LookupError("the cells are of the evaluation split only")
        if predictions_only:
            from govkit.runner.columns import column_predictions

            return column_predictions(project, split, coding, display)
        return _model_cell_predictions(cells, m.task, len(coding.classes))

    cells_ctx = dataclasses.replace(
        sample_ctx,
        eval=split,
        slices=_cell_slices(project, cells, weights, quantile_edges),
        predictions_of=cells_predictions,
    )
    cells_ctx.predictions("eval")  # bad prediction columns are configuration errors: find them now
    _attach_engine_statistics(project, sample_ctx, engine, eval_tables, train_tables, coding)
    record: dict[str, Any] = {
        "cells": len(cells),
        "levels": LEVELS if score is not None else None,
        "sample_rows": len(sample_eval),
        "sample": "seeded, stratified by the label and the sensitive columns",
        "cells_checks": sorted(CELLS_CHECKS),
    }
    if score is not None and m.task == "binary":
        p = cells_ctx.predictions("eval")
        record["auc_error_bound"] = auc_error_bound(
            score_level(np.asarray(p.scores, dtype=np.float64)), y_cells == 1, weights
        )
    if quantile_edges:
        record["quantile_edges"] = quantile_edges
    return StatisticsRun(data, sample_ctx, cells_ctx, rows, record), device_text


def _attach_engine_statistics(
    project: Project,
    ctx: CheckContext,
    engine: Engine,
    eval_tables: SplitTables,
    train_tables: SplitTables | None,
    coding: LabelCoding,
) -> None:
    """Data quality and k-anonymity measure every row through the engine, not the sample."""
    from govkit.checks.quality import CLASS
    from govkit.scale.engines.base import Profile, ProfileSpec

    label = project.model.data.label
    display = _display(project, eval_tables.path)

    def tables_for(which: str) -> list[TableRef]:
        if which == "train" and train_tables is not None:
            return list(train_tables.tables)
        if which == "all" and train_tables is not None:
            return [*train_tables.tables, *eval_tables.tables]
        return list(eval_tables.tables)

    def profile_of(
        which: str,
        columns: tuple[str, ...],
        groups: tuple[str, ...],
        markers: tuple[str, ...],
    ) -> Profile:
        spec = ProfileSpec(columns, groups, label, markers)
        profile = engine.profile(tables_for(which), spec)
        counts = profile.counts.copy()
        # the quality check reads the label as a class index, as the rows path codes it
        counts[CLASS] = coding.encode(
            counts[label],
            what=f"label column '{label}' of {display}",
            project=project,
            loc=("data", "label"),
        )
        return Profile(counts, profile.columns, list(profile.approximate))

    def class_sizes_of(which: str, columns: tuple[str, ...], sensitive: str | None) -> pd.DataFrame:
        return engine.class_sizes(tables_for(which), columns, sensitive)

    ctx.profile_of = profile_of
    ctx.class_sizes_of = class_sizes_of


def _model_cell_predictions(cells: pd.DataFrame, task: str, n_classes: int) -> Predictions:
    """Predictions of cells scored by a model: the class index and the mean score."""
    import numpy as np

    labels = cells[PRED_COLUMN].to_numpy(dtype=np.int64)
    if task == "binary":
        eps = 1e-15
        p = np.clip(cells[SCORE_COLUMN].to_numpy(dtype=np.float64), eps, 1 - eps)
        log_probs = np.stack([np.log1p(-p), np.log(p)], axis=1)
        return Predictions(log_probs=log_probs, scores=p, labels=labels)
    onehot = np.zeros((labels.size, max(n_classes, int(labels.max(initial=0)) + 1)))
    onehot[np.arange(labels.size), labels] = 1.0
    log_probs = np.log(np.clip(onehot, 1e-15, 1.0))
    # a multiclass model's cells keep its predicted class, not its probabilities
    return Predictions(
        log_probs=log_probs, scores=np.exp(log_probs), labels=labels, has_scores=False
    )


def _cell_slices(
    project: Project,
    cells: pd.DataFrame,
    weights: np.ndarray,
    quantile_edges: dict[str, list[float]],
) -> list[Slicing]:
    """``data.slices`` cut on the cells, quantile slices at the edges the engine computed."""
    from govkit.stats.slices import make_slicing

    result = []
    for i, s in enumerate(project.model.data.slice_specs()):
        try:
            result.append(
                make_slicing(
                    cells,
                    s.column,
                    bins=s.bins,
                    quantiles=s.quantiles,
                    quantile_edges=quantile_edges.get(s.column),
                    weights=weights,
                )
            )
        except ValueError as err:
            raise project.error(("data", "slices", i), f"slice column '{s.column}' {err}") from None
    return result
