"""The pandas engine: the tables read into memory, each statistic by its reference function.

It computes exactly what :mod:`govkit.scale.engines.base` defines, by running
the ``_of_frame`` functions on the whole table, so it is the anchor the other
engines are tested against and what ``govkit check`` uses on data that fits
in memory comfortably. It holds every row at once: for more rows than memory
allows, use DuckDB or Ray.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

from govkit.errors import InputError
from govkit.scale.cells import CellSpec, cells_of_frame
from govkit.scale.engines.base import (
    Profile,
    ProfileSpec,
    Scorer,
    TableRef,
    class_sizes_of_frame,
    footer_rows,
    profile_of_frame,
)

__all__ = ["PandasEngine", "read_tables", "sample_of_frame"]


def read_tables(tables: Sequence[TableRef], columns: Sequence[str] = ()) -> pd.DataFrame:
    """The union of ``tables`` as one frame (every column, or only ``columns``).

    Raises
    ------
    InputError
        A file that cannot be read or lacks a column, naming the file.
    """
    import pyarrow.dataset as ds

    frames = []
    for ref in tables:
        for path in ref.files:
            try:
                dataset = ds.dataset(path, format="parquet", partitioning=None)
                # hive keys live in the folder names, not in the file
                wanted = [c for c in columns if c in dataset.schema.names] if columns else None
                table = dataset.to_table(columns=wanted)
            except Exception as err:  # pyarrow raises many types; all mean "unreadable here"
                raise InputError(
                    f"{path}: cannot read the file: {type(err).__name__}: {err}"
                ) from err
            frame = table.to_pandas()
            if ref.hive:
                # key=value folders above the file are columns too
                for part in reversed(path.replace("\\", "/").split("/")[:-1]):
                    if "=" in part:
                        key, _, value = part.partition("=")
                        if not columns or key in columns:
                            frame[key] = value
            lacking = [c for c in columns if c not in frame.columns]
            if lacking:
                raise InputError(f"{path}: has no column {', '.join(map(repr, lacking))}")
            frames.append(frame[list(columns)] if columns else frame)
    if not frames:
        return pd.DataFrame({c: pd.Series(dtype=object) for c in columns})
    return pd.concat(frames, ignore_index=True)


def sample_of_frame(
    frame: pd.DataFrame, n: int, *, seed: int, strata: Sequence[str] = ()
) -> pd.DataFrame:
    """About ``n`` rows, uniformly without replacement, each stratum keeping its share.

    A stratum of ``s`` rows among ``N`` keeps ``round(n * s / N)`` rows, at
    least one, so with strata the total may miss ``n`` by the rounding (a
    few rows either way); without strata it is ``min(n, N)``. Rows keep
    their order in ``frame``. The same seed and frame
    give the same rows.
    """
    total = len(frame)
    if total <= n:
        return frame.reset_index(drop=True)
    rng = np.random.default_rng(seed)
    if not strata:
        keep = np.sort(rng.choice(total, size=n, replace=False))
        return frame.iloc[keep].reset_index(drop=True)
    codes = frame.groupby(list(strata), dropna=False, sort=True, observed=True).ngroup()
    codes_arr = codes.to_numpy()
    chosen: list[np.ndarray] = []
    for code in np.unique(codes_arr):
        rows = np.flatnonzero(codes_arr == code)
        size = max(1, round(n * rows.size / total))
        chosen.append(rng.choice(rows, size=min(size, rows.size), replace=False))
    keep = np.sort(np.concatenate(chosen))
    return frame.iloc[keep].reset_index(drop=True)


class PandasEngine:
    """Every statistic computed in memory by the reference functions (exact)."""

    name = "pandas"

    def __init__(self, *, progress: Any = None) -> None:
        self._progress = progress

    def describe(self) -> dict[str, Any]:
        """The engine's name and pandas' version."""
        return {"name": self.name, "version": pd.__version__}

    def n_rows(self, tables: Sequence[TableRef]) -> int:
        return footer_rows(tables)

    def cells(
        self,
        tables: Sequence[TableRef],
        spec: CellSpec,
        *,
        scorer: Scorer | None = None,
        columns: Sequence[str] = (),
    ) -> pd.DataFrame:
        frame = read_tables(tables)
        if scorer is not None:
            labels, scores = scorer(frame)
            frame = frame.copy()
            if spec.pred is not None:
                frame[spec.pred] = labels
            if spec.score is not None and scores is not None:
                frame[spec.score] = scores
        self._advance(len(frame))
        return cells_of_frame(frame, spec)

    def profile(self, tables: Sequence[TableRef], spec: ProfileSpec) -> Profile:
        return profile_of_frame(read_tables(tables), spec)

    def class_sizes(
        self, tables: Sequence[TableRef], columns: Sequence[str], sensitive: str | None = None
    ) -> pd.DataFrame:
        return class_sizes_of_frame(read_tables(tables), columns, sensitive)

    def quantiles(
        self, tables: Sequence[TableRef], column: str, probabilities: Sequence[float]
    ) -> list[float]:
        values = read_tables(tables, [column])[column].to_numpy(dtype=np.float64, na_value=np.nan)
        finite = values[np.isfinite(values)]
        if finite.size == 0:
            return [float("nan")] * len(probabilities)
        return [float(q) for q in np.quantile(finite, list(probabilities))]

    def sample(
        self,
        tables: Sequence[TableRef],
        n: int,
        *,
        seed: int,
        columns: Sequence[str] = (),
        strata: Sequence[str] = (),
    ) -> pd.DataFrame:
        frame = read_tables(tables, columns)
        return sample_of_frame(frame, n, seed=seed, strata=strata)

    def close(self) -> None:
        return None

    def _advance(self, rows: int) -> None:
        if self._progress is not None:
            self._progress.advance(rows)
