"""Running the model: batched, under ``torch.inference_mode``, once per split.

Outputs are normalised to (N, C) log-probabilities in float64 on the CPU. The
normalisation runs in float64 after the batch leaves the device, so the
numbers do not depend on the device's float32 transcendental functions more
than the model itself does. When a batch runs out of memory (CUDA or host) it is
halved and retried from where it stopped.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any, Literal

from govkit.checks.context import Predictions
from govkit.errors import InputError
from govkit.runner.outputs import to_log_probs

if TYPE_CHECKING:
    import numpy as np
    import torch

__all__ = ["predict_log_probs_numpy", "predictions_from_log_probs"]

Task = Literal["binary", "multiclass"]
Output = Literal["logits", "probabilities"]


def _is_oom(err: BaseException) -> bool:
    import torch

    text = str(err)
    return (
        isinstance(err, torch.cuda.OutOfMemoryError)
        or "out of memory" in text
        or "can't allocate memory" in text
    )


def predict_log_probs_numpy(
    model: Any,
    inputs: torch.Tensor,
    *,
    device: str,
    batch_size: int,
    task: Task,
    output: Output,
    on_batch: Callable[[int, int], None] | None = None,
) -> np.ndarray:
    """(N, C) float64 log-probabilities of ``model`` on ``inputs``.

    Parameters
    ----------
    model
        A callable module already on ``device``.
    inputs
        float32 (N, F) CPU tensor.
    device, batch_size
        Where to run and how many rows at a time (halved on CUDA out-of-memory).
    task, output
        How to read the raw outputs (see :func:`govkit.runner.outputs.to_log_probs`).
    on_batch
        Called with (rows done, rows total) after each batch, for progress.

    Raises
    ------
    InputError
        When the model fails on the inputs or returns outputs of the wrong shape.
    """
    import torch

    n = int(inputs.shape[0])
    parts: list[torch.Tensor] = []
    start, size = 0, max(1, int(batch_size))
    with torch.inference_mode():
        while start < n:
            stop = min(n, start + size)
            try:
                raw = model(inputs[start:stop].to(device, non_blocking=False))
            except Exception as err:
                if _is_oom(err) and size > 1:
                    # free the failed batch's memory and try again with half as many rows
                    del err
                    if device.startswith("cuda"):
                        torch.cuda.empty_cache()
                    size = max(1, size // 2)
                    continue
                text = str(err).strip()
                # a torch.export program traced with a fixed batch size rejects other sizes
                hint = (
                    "; export the model with a dynamic batch dimension "
                    "(torch.export.export(..., dynamic_shapes=...))"
                    if "Guard failed" in text or "size()[0]" in text
                    else ""
                )
                raise InputError(
                    f"the model failed on inputs of shape "
                    f"{tuple(inputs[start:stop].shape)}: {type(err).__name__}: "
                    f"{text[:300]}{hint}"
                ) from err
            if not isinstance(raw, torch.Tensor):
                raise InputError(
                    f"the model returned {type(raw).__name__}; govkit expects "
                    "a tensor of scores, shape (N,), (N, 1) or (N, C)"
                )
            if raw.ndim == 0 or raw.shape[0] != stop - start:
                raise InputError(
                    f"the model returned shape {tuple(raw.shape)} for "
                    f"{stop - start} rows; expected one row of scores per input"
                )
            try:
                lp = to_log_probs(raw.detach().to("cpu", torch.float64), task, output)
            except ValueError as err:
                raise InputError(
                    f"{err}; check model.task and model.output in govkit.yaml"
                ) from err
            parts.append(lp)
            start = stop
            if on_batch is not None:
                on_batch(start, n)
    if not parts:
        raise InputError("the split has no rows to predict")
    return torch.cat(parts).numpy()


def predictions_from_log_probs(
    log_probs: np.ndarray, task: Task, threshold: float, *, has_scores: bool = True
) -> Predictions:
    """Scores and labels from (N, C) log-probabilities (binary: P(positive) >= threshold)."""
    import numpy as np

    probs = np.exp(log_probs)
    if task == "binary":
        scores = probs[:, 1]
        labels = (scores >= threshold).astype(np.int64)
    else:
        scores = probs
        labels = np.argmax(log_probs, axis=1).astype(np.int64)
    return Predictions(log_probs=log_probs, scores=scores, labels=labels, has_scores=has_scores)
