"""What every engine computes, and the pandas reference each must reproduce.

An engine reads Parquet tables and returns statistics, never rows (except the
bounded, seeded samples the model-bound checks need):

- :meth:`Engine.cells`: the cells of :mod:`govkit.scale.cells`, for group
  fairness, classification and calibration;
- :meth:`Engine.profile`: per-group missing counts and per-column statistics,
  for data quality;
- :meth:`Engine.class_sizes`: the equivalence classes of the
  quasi-identifiers, for k-anonymity;
- :meth:`Engine.quantiles`: the edges of a quantile-binned slice;
- :meth:`Engine.sample`: a seeded sample of rows.

The functions ending in ``_of_frame`` define each statistic on a pandas frame:
they are the reference the engines are tested against, and what the pandas
engine runs.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

import numpy as np
import pandas as pd

from govkit.errors import InputError
from govkit.privacy.missing import missing_mask
from govkit.scale.cells import WEIGHT, CellSpec

__all__ = [
    "ANY_MISSING",
    "DISTINCT_SENSITIVE",
    "Engine",
    "Profile",
    "ProfileSpec",
    "Scorer",
    "TableRef",
    "class_sizes_of_frame",
    "footer_rows",
    "missing_column",
    "profile_of_frame",
]

#: column of a profile's counts: rows with at least one missing value
ANY_MISSING = "__govkit_any_missing"
#: column of class sizes: distinct values of the sensitive column in the class
DISTINCT_SENSITIVE = "__govkit_distinct_sensitive"


def missing_column(column: str) -> str:
    """The profile counts' column holding ``column``'s missing values."""
    return f"__govkit_missing::{column}"


@dataclass(frozen=True)
class TableRef:
    """Parquet files read as one table; several refs together are their union (UNION ALL).

    ``hive`` says the files lie in ``key=value`` folders whose keys are columns too.
    """

    files: tuple[str, ...]
    hive: bool = False


#: a batch of rows -> (predicted label index, positive-class score or None): a streamed model
Scorer = Callable[[pd.DataFrame], tuple[np.ndarray, np.ndarray | None]]


@dataclass(frozen=True)
class ProfileSpec:
    """What data quality needs: which columns, grouped by which sensitive columns."""

    columns: tuple[str, ...]
    groups: tuple[str, ...]
    label: str
    #: text values meaning missing, compared after stripping whitespace (text columns only)
    markers: tuple[str, ...]


@dataclass
class Profile:
    """The data-quality statistics of a table.

    ``counts`` has one row per combination of ``groups`` and the label
    (missing values a combination of their own): the columns ``groups``,
    ``label``, :data:`WEIGHT` (rows), :func:`missing_column` of each column,
    and :data:`ANY_MISSING`. ``columns`` is indexed by column name with
    ``dtype``, ``present``, ``distinct`` (non-missing distinct values) and,
    for numeric columns, ``mean``, ``std`` (population), ``p05``, ``median``,
    ``p95`` (linear interpolation, as numpy's percentile), NaN otherwise.
    ``approximate`` names the statistics an engine could only estimate.
    """

    counts: pd.DataFrame
    columns: pd.DataFrame
    approximate: list[str] = field(default_factory=list)


def _is_numeric(series: pd.Series) -> bool:
    return bool(
        pd.api.types.is_numeric_dtype(series.dtype) and not pd.api.types.is_bool_dtype(series.dtype)
    )


def profile_of_frame(frame: pd.DataFrame, spec: ProfileSpec) -> Profile:
    """The reference profile of ``frame`` (see :class:`Profile`)."""
    columns = list(spec.columns)
    missing = missing_mask(frame[columns], list(spec.markers))
    table = frame[[*spec.groups, spec.label]].copy()
    table[WEIGHT] = 1
    for j, column in enumerate(columns):
        table[missing_column(column)] = missing[:, j].astype(np.int64)
    table[ANY_MISSING] = missing.any(axis=1).astype(np.int64)
    keys = [*spec.groups, spec.label]
    counts = (
        table.groupby(keys, dropna=False, sort=False, observed=True)
        .sum()
        .reset_index()
        .sort_values(keys, na_position="last", kind="mergesort")
        .reset_index(drop=True)
    )
    rows: list[dict[str, Any]] = []
    for j, column in enumerate(columns):
        series = frame[column][~missing[:, j]]
        entry: dict[str, Any] = {
            "column": column,
            "dtype": str(frame[column].dtype),
            "present": len(series),
            "distinct": int(series.nunique()),
        }
        stats = dict.fromkeys(("mean", "std", "p05", "median", "p95"), np.nan)
        if _is_numeric(frame[column]) and len(series):
            values = series.to_numpy(dtype=np.float64)
            q = np.percentile(values, [5, 50, 95])
            stats = {
                "mean": float(values.mean()),
                "std": float(values.std()),
                "p05": float(q[0]),
                "median": float(q[1]),
                "p95": float(q[2]),
            }
        rows.append(entry | stats)
    return Profile(counts=counts, columns=pd.DataFrame(rows).set_index("column"))


def class_sizes_of_frame(
    frame: pd.DataFrame, columns: Sequence[str], sensitive: str | None = None
) -> pd.DataFrame:
    """The equivalence classes of ``columns``: one row per combination present.

    Columns: ``columns`` (a missing value is a value of its own), :data:`WEIGHT`
    (rows in the class) and, with ``sensitive``, :data:`DISTINCT_SENSITIVE`
    (distinct values of that column in the class, a missing one counted).
    Sorted by ``columns`` with missing values last.
    """
    keys = list(columns)
    grouped = frame.groupby(keys, dropna=False, sort=False, observed=True)
    out = grouped.size().rename(WEIGHT).to_frame()
    if sensitive is not None:
        out[DISTINCT_SENSITIVE] = grouped[sensitive].nunique(dropna=False)
    out = out.reset_index().sort_values(keys, na_position="last", kind="mergesort")
    return out.reset_index(drop=True).astype({WEIGHT: np.int64})


def footer_rows(tables: Sequence[TableRef]) -> int:
    """Rows of the union of ``tables``, from the files' Parquet footers: no row is read.

    Raises
    ------
    InputError
        A file whose footer cannot be read, named.
    """
    import pyarrow.parquet as pq

    total = 0
    for table in tables:
        for path in table.files:
            try:
                total += pq.read_metadata(path).num_rows
            except (OSError, ValueError) as err:  # pyarrow's ArrowInvalid is a ValueError
                raise InputError(
                    f"{path}: cannot read the Parquet file: {type(err).__name__}: {err} "
                    "(hint: the file is damaged, not Parquet, or changed since it was listed; "
                    "write it again, or remove it from the data source)"
                ) from err
    return total


class Engine(Protocol):
    """One way to compute the statistics. ``tables`` are read as their union."""

    name: str

    def describe(self) -> dict[str, Any]:
        """What the report records of the engine: name, version, memory limit, workers."""
        ...

    def n_rows(self, tables: Sequence[TableRef]) -> int: ...

    def cells(
        self,
        tables: Sequence[TableRef],
        spec: CellSpec,
        *,
        scorer: Scorer | None = None,
        columns: Sequence[str] = (),
    ) -> pd.DataFrame:
        """The cells of the rows (:func:`govkit.scale.cells.cells_of_frame`).

        With ``scorer``, the rows are read in batches of ``columns`` (the
        model's inputs and the keys), each batch is scored, and its predicted
        label and score are written into ``spec.pred`` and ``spec.score``
        before the batch's cells are added up: memory stays flat in rows.
        """
        ...

    def profile(self, tables: Sequence[TableRef], spec: ProfileSpec) -> Profile: ...

    def class_sizes(
        self, tables: Sequence[TableRef], columns: Sequence[str], sensitive: str | None = None
    ) -> pd.DataFrame: ...

    def quantiles(
        self, tables: Sequence[TableRef], column: str, probabilities: Sequence[float]
    ) -> list[float]:
        """Exact quantiles of a numeric column, linear interpolation (numpy's default)."""
        ...

    def sample(
        self,
        tables: Sequence[TableRef],
        n: int,
        *,
        seed: int,
        columns: Sequence[str] = (),
        strata: Sequence[str] = (),
    ) -> pd.DataFrame:
        """``n`` rows drawn uniformly without replacement, seeded (all, when fewer).

        With ``strata``, each combination of those columns keeps its share of
        the rows (rounded, at least one row per non-empty stratum, so the
        total may differ from ``n`` by the rounding). The same
        seed and data give the same rows.
        """
        ...

    def close(self) -> None: ...
