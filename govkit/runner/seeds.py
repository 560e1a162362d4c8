"""Several training seeds of one model: each checkpoint's predictions on the evaluation rows.

``model.paths`` (a list or a glob) names checkpoints of one architecture trained
with different seeds; in predictions-only mode ``model.predictions`` may list one
``{label, score}`` pair per seed. The first seed is the run's model (attribution,
privacy and the recorded predictions use it); every seed's predictions on the
evaluation split are made here, before any check runs, so that checkpoints that
do not fit together are a configuration error (exit 2) at their govkit.yaml key.

Checkpoints share the data pass: each batch of inputs is moved to the device once
and every checkpoint scores it, so K seeds cost K forward passes, not K runs.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from govkit.checks.context import CheckContext, Predictions
from govkit.errors import InputError
from govkit.project import Project
from govkit.runner.columns import column_predictions
from govkit.runner.console import Console
from govkit.runner.data import LoadedData

if TYPE_CHECKING:
    import numpy as np
    import torch

__all__ = [
    "Seed",
    "checkpoint_paths",
    "expand_paths",
    "same_architecture",
    "score_together",
    "seed_predictions",
]

Loc = tuple[str | int, ...]


@dataclass(frozen=True)
class Seed:
    """One training seed: how the report names it and its evaluation predictions."""

    name: str
    predictions: Predictions


def checkpoint_paths(project: Project) -> list[tuple[str, Loc]]:
    """The model files to run, each with the govkit.yaml key it comes from.

    The key is what :func:`govkit.runner.model.load_model` locates its errors
    under: ``model`` for a single ``model.path``, else the ``model.paths`` entry.

    Raises
    ------
    ConfigError
        A glob in ``model.paths`` that matches no file.
    """
    m = project.model.model
    if m.paths is None:
        return [(m.path, ("model",))] if m.path is not None else []
    return expand_paths(project, m.paths, ("model", "paths"))


def expand_paths(project: Project, paths: list[str] | str, loc: Loc) -> list[tuple[str, Loc]]:
    """A ``paths`` key's files (a list, or a glob expanded in sorted order), each located.

    Raises
    ------
    ConfigError
        A glob that matches no file.
    """
    if isinstance(paths, list):
        return [(p, (*loc, i)) for i, p in enumerate(paths)]
    pattern = paths
    root = project.root
    if Path(pattern).is_absolute():
        anchor = Path(Path(pattern).anchor)
        found = sorted(anchor.glob(str(Path(pattern).relative_to(anchor))))
    else:
        found = sorted(root.glob(pattern))
    files = [p for p in found if p.is_file()]
    if not files:
        raise project.error(
            loc,
            f"the glob '{pattern}' matches no file under {root}",
            hint="name the checkpoints' files, e.g. `models/seed_*.pt`, relative to govkit.yaml",
        )
    return [(str(p), loc) for p in files]


def _shapes(model: Any) -> dict[str, tuple[int, ...]]:
    state = model.state_dict() if hasattr(model, "state_dict") else {}
    return {k: tuple(v.shape) for k, v in state.items()}


def same_architecture(
    project: Project, first: Any, other: Any, files: tuple[str, str], loc: Loc
) -> None:
    """Raise a located ConfigError when ``other``'s weights differ in name or shape."""
    a, b = _shapes(first), _shapes(other)
    if a != b:
        differ = sorted(set(a.items()) ^ set(b.items()))[:3]
        raise project.error(
            loc,
            f"checkpoint {files[1]} is not the architecture of {files[0]}: "
            f"its weights differ in {', '.join(f'{k} {s}' for k, s in differ)}",
            hint="every checkpoint of one model must be that model trained with another seed",
        )


def seed_predictions(
    project: Project, data: LoadedData, ctx: CheckContext, console: Console
) -> list[Seed]:
    """Every seed's evaluation predictions; one seed when a single model is given.

    Raises
    ------
    ConfigError
        Checkpoints of different architectures or output shapes, at their
        ``model.paths`` entry; prediction columns that are not predictions.
    """
    m = project.model.model
    if not m.runs_model:
        columns = m.seed_columns
        if len(columns) == 1:
            return [Seed("0", ctx.predictions("eval"))]
        display = _display(project, data.eval_path)
        return [
            Seed(
                str(j),
                column_predictions(
                    project,
                    data.eval,
                    data.coding,
                    display,
                    spec=spec,
                    loc=("model", "predictions", j),
                ),
            )
            for j, spec in enumerate(columns)
        ]
    files = checkpoint_paths(project)
    if len(files) <= 1:
        return [Seed("0", ctx.predictions("eval"))]
    return _run_checkpoints(project, ctx, files, console)


def _display(project: Project, path: Path) -> str:
    try:
        return str(path.relative_to(project.root))
    except ValueError:
        return str(path)


def _run_checkpoints(
    project: Project, ctx: CheckContext, files: list[tuple[str, Loc]], console: Console
) -> list[Seed]:
    from govkit.runner.model import load_model
    from govkit.runner.predict import predictions_from_log_probs

    m = project.model.model
    models = [ctx.model]
    names = [Path(files[0][0]).stem]
    for path, loc in files[1:]:
        console.progress(f"loading checkpoint {path}")
        model = load_model(project, path=path, factory=m.factory, loc=loc)
        same_architecture(project, ctx.model, model, (files[0][0], path), loc)
        models.append(model.to(ctx.device))
        names.append(Path(path).stem)
    if len(set(names)) != len(names):
        names = [str(i) for i in range(len(names))]
    console.progress(f"scoring {len(models)} checkpoints in one pass over the data")
    log_probs = score_together(
        models,
        ctx.inputs("eval"),
        device=ctx.device,
        batch_size=m.batch_size,
        task=m.task,
        output=m.output,
    )
    widths = {lp.shape[1] for lp in log_probs}
    if len(widths) > 1:
        odd = next(i for i, lp in enumerate(log_probs) if lp.shape[1] != log_probs[0].shape[1])
        raise project.error(
            files[odd][1],
            f"checkpoint {files[odd][0]} gives {log_probs[odd].shape[1]} class scores per row "
            f"where {files[0][0]} gives {log_probs[0].shape[1]}",
            hint="every entry of model.paths must be the same model trained with another seed",
        )
    return [
        Seed(name, predictions_from_log_probs(lp, m.task, m.threshold))
        for name, lp in zip(names, log_probs, strict=True)
    ]


def score_together(
    models: list[Any],
    inputs: torch.Tensor,
    *,
    device: str,
    batch_size: int,
    task: Literal["binary", "multiclass"],
    output: Literal["logits", "probabilities"],
) -> list[np.ndarray]:
    """(N, C) float64 log-probabilities of each model; each batch goes to the device once.

    Raises
    ------
    InputError
        A model that fails on a batch.
    """
    import torch

    from govkit.runner.outputs import to_log_probs

    n = int(inputs.shape[0])
    parts: list[list[torch.Tensor]] = [[] for _ in models]
    with torch.inference_mode():
        for start in range(0, n, max(1, batch_size)):
            batch = inputs[start : start + batch_size].to(device)
            for k, model in enumerate(models):
                try:
                    raw = model(batch)
                    parts[k].append(
                        to_log_probs(raw.detach().to("cpu", torch.float64), task, output)
                    )
                except Exception as err:
                    raise InputError(
                        f"checkpoint {k} failed on a batch of shape {tuple(batch.shape)}: "
                        f"{type(err).__name__}: {str(err)[:300]}"
                    ) from err
    return [torch.cat(p).numpy() for p in parts]
