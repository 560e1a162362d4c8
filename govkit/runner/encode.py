"""Model inputs: a DataFrame becomes a float32 (N, F) tensor.

Either the columns of ``data.features`` are stacked in order, or
``data.transform`` (``package.module:function``) is called on the frame. A
transform returns a tensor, or ``(tensor, feature_names)``, or
``(tensor, feature_names, feature_groups)``; it may also carry
``feature_names`` / ``feature_groups`` as attributes. Without groups, they are
derived from one-hot style names (``"sex=Female"`` belongs to ``sex``).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from govkit.errors import InputError
from govkit.project import Project
from govkit.runner.refs import import_ref, on_path

if TYPE_CHECKING:
    import pandas as pd
    import torch

__all__ = ["Encoder", "derive_feature_groups", "make_encoder"]


def derive_feature_groups(names: list[str]) -> dict[str, list[int]]:
    """Original feature -> input columns, grouping one-hot names by the text before ``=``."""
    groups: dict[str, list[int]] = {}
    for i, name in enumerate(names):
        groups.setdefault(name.split("=", 1)[0], []).append(i)
    return groups


@dataclass
class Encoder:
    """Turns frames into model inputs and knows the input columns' names."""

    encode: Callable[[pd.DataFrame], torch.Tensor]
    feature_names: list[str] = field(default_factory=list)
    feature_groups: dict[str, list[int]] = field(default_factory=dict)


def _as_tensor(value: Any, n_rows: int, source: str) -> torch.Tensor:
    import numpy as np
    import torch

    if isinstance(value, np.ndarray):
        value = torch.from_numpy(np.ascontiguousarray(value))
    if not isinstance(value, torch.Tensor):
        raise InputError(
            f"{source} returned {type(value).__name__}; expected a float32 tensor, "
            "(tensor, feature_names) or (tensor, feature_names, feature_groups)"
        )
    if value.ndim == 1:
        value = value[:, None]
    if value.ndim != 2 or value.shape[0] != n_rows:
        raise InputError(
            f"{source} returned shape {tuple(value.shape)}; expected "
            f"({n_rows}, n_features), one row per data row"
        )
    return value.detach().to("cpu", torch.float32).contiguous()


def _features_encoder(columns: list[str]) -> Encoder:
    # the columns were checked numeric and complete when the data was loaded
    def encode(frame: pd.DataFrame) -> torch.Tensor:
        import numpy as np
        import torch

        return torch.from_numpy(np.ascontiguousarray(frame[columns].to_numpy(dtype=np.float32)))

    return Encoder(encode, list(columns), {c: [i] for i, c in enumerate(columns)})


def _transform_encoder(
    project: Project, ref: str, frame: pd.DataFrame
) -> tuple[Encoder, torch.Tensor]:
    fn = import_ref(project, ref, ("data", "transform"))
    source = f"data.transform '{ref}'"

    def call(frame: pd.DataFrame) -> Any:
        try:
            with on_path(project.root):
                return fn(frame)
        except Exception as err:  # user code: report it as an input problem, not a crash
            raise InputError(f"{source} failed: {type(err).__name__}: {err}") from err

    # the first call runs on the whole split: a transform that one-hot encodes the values it
    # sees must see them all, and its result is the split's inputs anyway
    first = call(frame)
    names: list[str] | None = getattr(fn, "feature_names", None)
    groups: dict[str, list[int]] | None = getattr(fn, "feature_groups", None)
    tensor_part = first
    if isinstance(first, tuple):
        if not 1 <= len(first) <= 3:
            raise InputError(
                f"{source} returned a tuple of {len(first)} items; expected "
                "(tensor,), (tensor, feature_names) or "
                "(tensor, feature_names, feature_groups)"
            )
        tensor_part = first[0]
        names = list(first[1]) if len(first) > 1 and first[1] is not None else names
        groups = first[2] if len(first) > 2 and first[2] is not None else groups
    x = _as_tensor(tensor_part, len(frame), source)
    n_feat = int(x.shape[1])
    if names is None:
        features = project.model.data.features
        names = list(features) if len(features) == n_feat else [f"x{i}" for i in range(n_feat)]
    names = [str(n) for n in names]
    if len(names) != n_feat:
        raise InputError(f"{source} gave {len(names)} feature names for {n_feat} input columns")
    if groups is None:
        groups = derive_feature_groups(names)
    clean_groups: dict[str, list[int]] = {}
    for key, idx in dict(groups).items():
        cols = [int(i) for i in idx]
        if any(not 0 <= i < n_feat for i in cols):
            raise InputError(
                f"{source}: feature group '{key}' names a column outside 0..{n_feat - 1}"
            )
        clean_groups[str(key)] = cols

    def encode(frame: pd.DataFrame) -> torch.Tensor:
        out = call(frame)
        t = _as_tensor(out[0] if isinstance(out, tuple) else out, len(frame), source)
        if t.shape[1] != n_feat:
            raise InputError(
                f"{source} returned {t.shape[1]} columns here but {n_feat} for the "
                "evaluation split; it must encode every frame the same way"
            )
        return t

    return Encoder(encode, names, clean_groups), x


def make_encoder(project: Project, frame: pd.DataFrame) -> tuple[Encoder, torch.Tensor]:
    """The project's encoder and the inputs of ``frame`` (the evaluation split).

    Raises
    ------
    InputError
        The transform fails or returns something other than an (N, F) tensor.
    ConfigError
        The transform cannot be imported.
    """
    ref = project.model.data.transform
    if ref is not None:
        return _transform_encoder(project, ref, frame)
    encoder = _features_encoder(list(project.model.data.features))
    return encoder, encoder.encode(frame)
