"""Building the :class:`~govkit.checks.context.CheckContext` every check of a run shares.

Two kinds of run, one context: with ``model.predictions`` set, the predictions
are columns of the data and torch is never imported; otherwise the model is
loaded on its device and the evaluation split is predicted once, here, so that
a broken model or a bad encoding is an input error (exit 2) found before any
check runs. The governance documents named in govkit.yaml are loaded for the
checks that read them; an invalid one is left out with a warning, since
``govkit validate`` is where documents are judged.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from govkit.checks.context import CheckContext, Predictions, SplitName
from govkit.errors import GovkitError, InputError
from govkit.project import Project
from govkit.runner.columns import column_predictions
from govkit.runner.console import Console
from govkit.runner.data import LoadedData

if TYPE_CHECKING:
    from pathlib import Path

    from govkit.stats.slices import Slicing

__all__ = ["base_context", "load_documents", "model_context", "predictions_only_context"]


def _file_display(project: Project, path: Path) -> str:
    try:
        return str(path.relative_to(project.root))
    except ValueError:
        return str(path)


def predictions_only_context(
    project: Project, data: LoadedData, console: Console
) -> tuple[CheckContext, str]:
    """A context whose predictions are the data's columns; torch is never imported.

    Parameters
    ----------
    project, data
        The loaded govkit.yaml and its splits.
    console
        Where progress goes.

    Returns
    -------
    tuple of CheckContext and str
        The context, with the evaluation split's predictions already read, and
        the device as the report records it (``cpu``).

    Raises
    ------
    ConfigError
        Prediction columns that are missing or not predictions, located at
        ``model.predictions`` (exit 2).
    """
    import numpy as np

    np.random.seed(project.model.seed)
    spec = project.model.model.columns
    displays = {
        "eval": _file_display(project, data.eval_path),
        "train": _file_display(project, data.train_path) if data.train_path else "",
    }

    def predict(name: SplitName) -> Predictions:
        split = ctx.split(name)
        if (
            spec is not None
            and name == "train"
            and (
                spec.label not in split.frame.columns
                or (spec.score is not None and spec.score not in split.frame.columns)
            )
        ):
            raise LookupError("the training split has no prediction columns")
        return column_predictions(project, split, data.coding, displays[name])

    ctx = base_context(project, data, device="cpu")
    ctx.predictions_of = predict
    console.progress("reading predictions from the data columns")
    ctx.predictions("eval")  # bad prediction columns are configuration errors: find them now
    return ctx, "cpu"


def _located(project: Project, err: InputError, loc: tuple[str | int, ...]) -> InputError:
    """``err`` pointing at the govkit.yaml key it is about, keeping its class (exit code)."""
    if err.diagnostics:
        return err
    return type(err)(err.message, diagnostics=project.error(loc, err.message).diagnostics)


def base_context(project: Project, data: LoadedData, *, device: str) -> CheckContext:
    """The context both kinds of run start from: the splits, the columns' roles, the settings."""
    d = project.model.data
    return CheckContext(
        task=project.model.model.task,
        seed=project.model.seed,
        device=device,
        eval=data.eval,
        train=data.train,
        sensitive=list(d.sensitive),
        proxies=list(d.proxies),
        quasi_identifiers=list(d.quasi_identifiers),
        slices=_slicings(project, data),
        label_column=d.label,
        prediction_columns=_prediction_columns(project),
        batch_size=project.model.model.batch_size,
        decision_threshold=project.model.model.threshold,
    )


def _slicings(project: Project, data: LoadedData) -> list[Slicing]:
    """``data.slices`` cut on the evaluation split; a column that cannot be cut is exit 2."""
    from govkit.stats.slices import make_slicing

    result = []
    for i, spec in enumerate(project.model.data.slice_specs()):
        try:
            result.append(
                make_slicing(data.eval.frame, spec.column, bins=spec.bins, quantiles=spec.quantiles)
            )
        except ValueError as err:
            raise project.error(
                ("data", "slices", i), f"slice column '{spec.column}' {err}"
            ) from None
    return result


def _prediction_columns(project: Project) -> list[str]:
    return [
        c
        for spec in project.model.model.seed_columns
        for c in (spec.label, spec.score)
        if c is not None
    ]


def model_context(
    project: Project, data: LoadedData, requested: str, console: Console
) -> tuple[CheckContext, str]:
    """Load the model on the device and predict the evaluation split once.

    Parameters
    ----------
    project, data
        The loaded govkit.yaml and its splits.
    requested
        ``auto``, ``cpu``, ``cuda`` or ``cuda:N``.
    console
        Where progress goes.

    Returns
    -------
    tuple of CheckContext and str
        The context, with the evaluation split's predictions already made, and
        the device as the report records it (``cpu`` or ``cuda:N (device name)``).

    Raises
    ------
    InputError
        A model that cannot be loaded, moved or run, or features that cannot be
        encoded, located at their govkit.yaml key where there is one (exit 2).
    """
    import numpy as np
    import torch

    from govkit.runner.device import describe_device, resolve_device
    from govkit.runner.encode import make_encoder
    from govkit.runner.model import load_model
    from govkit.runner.outputs import to_log_probs
    from govkit.runner.predict import predict_log_probs_numpy, predictions_from_log_probs

    device = resolve_device(requested)
    seed = project.model.seed
    np.random.seed(seed)
    torch.manual_seed(seed)
    m = project.model.model
    from govkit.runner.seeds import checkpoint_paths

    first, first_loc = checkpoint_paths(project)[0]
    console.progress(f"loading model {first} on {device}")
    try:
        model = load_model(project, path=first, factory=m.factory, loc=first_loc)
    except InputError as err:
        where = ("model", "path") if first_loc == ("model",) else first_loc
        raise _located(project, err, where) from err
    try:
        model = model.to(device)
    except Exception as err:  # some exported programs cannot move; say which device failed
        raise InputError(f"cannot move the model to {device}: {type(err).__name__}: {err}") from err
    try:
        encoder, eval_inputs = make_encoder(project, data.eval.frame)
    except InputError as err:
        key = "transform" if project.model.data.transform is not None else "features"
        raise _located(project, err, ("data", key)) from err

    def log_probs_of(raw: torch.Tensor) -> torch.Tensor:
        return to_log_probs(raw, m.task, m.output)

    def inputs(name: SplitName) -> torch.Tensor:
        return encoder.encode(ctx.split(name).frame)

    def predict(name: SplitName) -> Predictions:
        x = ctx.inputs(name)

        shown = [0]  # tenths already reported: at most ten progress lines per split

        def on_batch(done: int, total: int) -> None:
            tenth = done * 10 // total
            if total > m.batch_size and tenth > shown[0]:
                shown[0] = tenth
                console.progress(f"predicting {name}: {done:,}/{total:,} rows")

        lp = predict_log_probs_numpy(
            model,
            x,
            device=device,
            batch_size=m.batch_size,
            task=m.task,
            output=m.output,
            on_batch=on_batch,
        )
        n_classes = len(data.coding.classes)
        if m.task == "multiclass" and lp.shape[1] < n_classes:
            raise InputError(
                f"the model returns {lp.shape[1]} class scores but the label column "
                f"has {n_classes} classes ({', '.join(data.coding.class_names)})"
            )
        return predictions_from_log_probs(lp, m.task, m.threshold)

    ctx = base_context(project, data, device=device)
    ctx.model = model
    ctx.log_probs_of = log_probs_of
    ctx.encode = encoder.encode
    ctx.feature_names = encoder.feature_names
    ctx.feature_groups = encoder.feature_groups
    ctx.inputs_of = inputs
    ctx.predictions_of = predict
    ctx.memo("inputs:eval", lambda: eval_inputs)  # encoded already, with the encoder
    ctx.predictions("eval")  # the model runs once here; a broken model is an input error
    return ctx, describe_device(device)


def load_documents(project: Project, console: Console) -> dict[str, list[Any]]:
    """The governance documents' models by kind, for checks that read them.

    An invalid document does not stop the gate (``govkit validate`` is where it is
    reported in full); it is left out, with a warning.
    """
    paths = [project.resolve(doc) for doc in project.model.documents]
    paths = [p for p in paths if p.is_file()]
    if not paths:
        return {}
    from govkit.documents.load import load_document

    loaded: dict[str, list[Any]] = {}
    for path in paths:
        shown = _file_display(project, path)
        try:
            document = load_document(path, display=shown, roots=(project.root,))
        except GovkitError as err:
            first = err.diagnostics[0].format() if err.diagnostics else err.message
            console.warn(
                f"warning: {shown} is not a valid document and is not given to the "
                f"checks ({first}); run `govkit validate` for every problem"
            )
            continue
        loaded.setdefault(document.kind, []).append(document.model)
    return loaded
