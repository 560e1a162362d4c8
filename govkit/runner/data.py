"""Reading the data splits and turning the label column into class indices.

Splits are ``.csv``, ``.parquet`` or ``.npz`` files named in govkit.yaml,
relative to it, or many Parquet files read as one table (a folder, hive
partitions included, a glob, or a list; see :mod:`govkit.scale.sources`).
An ``.npz`` holds ``X`` (N x F features), optionally ``y`` (the labels, read
as the column ``y``), ``feature_names`` (F strings) and any number of named
1-D arrays of length N (sensitive columns, prediction columns); it is read
with ``allow_pickle=False``, so it can never run code.

Every column govkit.yaml names is checked against the file before anything
runs, and each problem is reported at its key in govkit.yaml with the
closest real column.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from govkit.checks.context import Split
from govkit.diagnostics import Diagnostic, closest
from govkit.errors import ConfigError, InputError
from govkit.project import Project
from govkit.safe_read import require_regular
from govkit.scale.sources import ParquetSource, is_single_file, resolve_source

if TYPE_CHECKING:
    import numpy as np
    import pandas as pd

__all__ = ["LabelCoding", "LoadedData", "SplitSource", "load_data", "read_table"]

SUFFIXES = (".csv", ".parquet", ".pq", ".npz")
Loc = tuple[str | int, ...]


def _npz_frame(path: Path, display: str, features: list[str]) -> pd.DataFrame:
    import numpy as np
    import pandas as pd

    with np.load(path, allow_pickle=False) as archive:
        arrays = {name: archive[name] for name in archive.files}
    if "X" not in arrays:
        raise InputError(
            f"{display}: an .npz split needs an array named 'X' (the features); "
            f"found {', '.join(sorted(arrays)) or 'no arrays'}"
        )
    x = arrays.pop("X")
    if x.ndim == 1:
        x = x[:, None]
    if x.ndim != 2:
        raise InputError(f"{display}: 'X' must be 2-D (rows x features), got shape {x.shape}")
    n_rows, n_feat = x.shape
    names_arr = arrays.pop("feature_names", None)
    if names_arr is not None:
        names = [str(v) for v in names_arr.tolist()]
        if len(names) != n_feat:
            raise InputError(
                f"{display}: 'feature_names' has {len(names)} names for "
                f"{n_feat} feature columns in 'X'"
            )
    elif len(features) == n_feat:
        names = list(features)  # the project's feature list names X's columns in order
    else:
        names = [f"x{i}" for i in range(n_feat)]
    columns: dict[str, Any] = {
        name: x[:, i].astype(np.float32, copy=False) for i, name in enumerate(names)
    }
    for name, arr in arrays.items():
        if arr.ndim != 1 or arr.shape[0] != n_rows:
            raise InputError(
                f"{display}: array '{name}' has shape {arr.shape}; named arrays "
                f"must be 1-D with one value per row ({n_rows})"
            )
        if name in columns:
            raise InputError(f"{display}: array '{name}' has the same name as a column of 'X'")
        columns[name] = arr
    return pd.DataFrame(columns)


def read_table(path: Path, display: str, *, features: list[str] | None = None) -> pd.DataFrame:
    """Read one split into a DataFrame.

    Raises
    ------
    InputError
        When the file cannot be parsed, has an unsupported suffix or no rows.
    """
    import pandas as pd

    # a FIFO or a device would block the parser or never end: refuse before opening
    require_regular(path, display)
    suffix = path.suffix.lower()
    try:
        if suffix == ".csv":
            frame = pd.read_csv(path)
        elif suffix in (".parquet", ".pq"):
            frame = pd.read_parquet(path)
        elif suffix == ".npz":
            frame = _npz_frame(path, display, features or [])
        else:
            raise InputError(
                f"{display}: unsupported data file type '{suffix or path.name}'; "
                f"expected one of {', '.join(SUFFIXES)}"
            )
    except InputError:
        raise
    except ValueError as err:
        if "allow_pickle" in str(err):
            raise InputError(
                f"{display}: holds Python objects, which would need unpickling; "
                "govkit reads only plain numeric and string arrays"
            ) from err
        raise InputError(f"{display}: cannot read the file: {err}") from err
    except Exception as err:  # parsers raise many types; all mean "not a readable table"
        raise InputError(f"{display}: cannot read the file: {type(err).__name__}: {err}") from err
    if len(frame) == 0:
        raise InputError(f"{display}: the file has no rows")
    frame.columns = [str(c) for c in frame.columns]
    return frame


def _values_text(values: list[Any], limit: int = 5) -> str:
    shown = ", ".join(repr(v) for v in values[:limit])
    return shown + (f" and {len(values) - limit} more" if len(values) > limit else "")


def _sorted_values(values: list[Any]) -> list[Any]:
    try:
        return sorted(values)
    except TypeError:  # mixed types: order by their text, still deterministic
        return sorted(values, key=str)


@dataclass
class LabelCoding:
    """How label values (true or predicted) become class indices."""

    task: Literal["binary", "multiclass"]
    positive: Any = None
    classes: list[Any] = field(default_factory=list)

    @property
    def class_names(self) -> list[str]:
        return [str(c) for c in self.classes]

    def encode(self, series: pd.Series, *, what: str, project: Project, loc: Loc) -> np.ndarray:
        """Class indices (int64) for ``series``; errors are located at ``loc``."""
        import numpy as np

        if series.isna().any():
            raise project.error(
                loc,
                f"{what} has {int(series.isna().sum())} missing value(s)",
                hint="drop or fill the rows without a label",
            )
        if self.task == "binary" and self.positive is not None:
            hit = _matches(series, self.positive)
            others = _sorted_values(series[~hit].unique().tolist())
            if len(others) > 1:
                raise project.error(
                    loc,
                    f"{what} has {len(others) + int(hit.any())} distinct values "
                    f"({_values_text(others)} besides {self.positive!r}); a binary task needs two",
                    hint="map the labels to two values, or set model.task: multiclass",
                )
            return hit.to_numpy(dtype=np.int64)
        if self.task == "binary":
            if series.dtype == bool:
                return series.to_numpy(dtype=np.int64)
            values = series.unique().tolist()
            numeric = all(
                isinstance(v, int | float | np.integer | np.floating) and not isinstance(v, bool)
                for v in values
            )
            if numeric and set(values) <= {0, 1}:
                return series.to_numpy().astype(np.int64)
            raise project.error(
                loc,
                f"{what} holds values other than 0/1 ({_values_text(_sorted_values(values))})",
                hint="set data.positive_label to the value that counts as the positive class",
            )
        index = {v: i for i, v in enumerate(self.classes)}
        mapped = series.map(index)
        if mapped.isna().any():  # e.g. predicted labels written as text, true labels as numbers
            by_text = {str(v): i for i, v in enumerate(self.classes)}
            mapped = series.astype(str).map(by_text)
        if mapped.isna().any():
            unknown = _sorted_values(series[mapped.isna()].unique().tolist())
            raise project.error(
                loc,
                f"{what} has values that are not classes of the label "
                f"column: {_values_text(unknown)}",
                hint=f"known classes: {_values_text(self.classes, 10)}",
            )
        return mapped.to_numpy().astype(np.int64)


def _matches(series: pd.Series, value: Any) -> pd.Series:
    hit = series == value
    if not hit.any():  # a YAML int against a text column, or the other way round
        hit = series.astype(str) == str(value)
    return hit


@dataclass(frozen=True)
class SplitSource:
    """Where a split was read from.

    Attributes
    ----------
    path
        The file; for many files, the folder, the glob (as a path) or the
        listed files' common folder: what messages name the split by.
    files
        Every file read, in the order of the rows (one for a single file).
    parquet
        The many-file source; None for a single file.
    """

    path: Path
    files: tuple[Path, ...]
    parquet: ParquetSource | None = None


@dataclass
class LoadedData:
    """The splits with their labels as class indices.

    ``eval_path`` and ``train_path`` are :attr:`SplitSource.path` of the
    splits (what messages name them by); ``eval_source`` and ``train_source``
    list every file read.
    """

    eval: Split
    train: Split | None
    coding: LabelCoding
    eval_path: Path
    train_path: Path | None
    eval_source: SplitSource
    train_source: SplitSource | None


def _missing_column(
    project: Project, loc: Loc, column: str, frame: pd.DataFrame, display: str
) -> Diagnostic:
    guess = closest(column, list(frame.columns))
    cols = list(frame.columns)
    hint = (
        f"did you mean '{guess}'?"
        if guess
        else (f"columns: {', '.join(cols[:12])}" + (" ..." if len(cols) > 12 else ""))
    )
    return project.error(loc, f"column '{column}' is not in {display}", hint=hint).diagnostics[0]


def _column_keys(project: Project) -> list[tuple[Loc, str]]:
    d = project.model.data
    keys: list[tuple[Loc, str]] = [(("data", "label"), d.label)]
    for key in ("features", "sensitive", "proxies", "quasi_identifiers"):
        keys += [(("data", key, i), c) for i, c in enumerate(getattr(d, key))]
    keys += [(("data", "slices", i), s.column) for i, s in enumerate(d.slice_specs())]
    m = project.model.model
    for j, preds in enumerate(m.seed_columns):
        at: Loc = (
            ("model", "predictions", j)
            if isinstance(m.predictions, list)
            else (
                "model",
                "predictions",
            )
        )
        keys.append(((*at, "label"), preds.label))
        if preds.score is not None:
            keys.append(((*at, "score"), preds.score))
    for i, baseline in enumerate(project.model.baselines):  # eval-only columns
        listed = isinstance(baseline.predictions, list)
        for j, spec in enumerate(baseline.seed_columns):
            loc: Loc = ("baselines", i, "predictions", *((j,) if listed else ()))
            keys.append(((*loc, "label"), spec.label))
            if spec.score is not None:
                keys.append(((*loc, "score"), spec.score))
    return keys


def _check_columns(
    project: Project, frame: pd.DataFrame, display: str, *, train: bool
) -> list[Diagnostic]:
    problems: list[Diagnostic] = []
    for loc, column in _column_keys(project):
        # the training split needs what the model and label need; the rest is eval-only
        if train and loc[1] not in ("label", "features"):
            continue
        if column not in frame.columns:
            problems.append(_missing_column(project, loc, column, frame, display))
    return problems


def _check_features(project: Project, frame: pd.DataFrame, display: str) -> list[Diagnostic]:
    import pandas as pd

    problems: list[Diagnostic] = []
    for i, column in enumerate(project.model.data.features):
        series = frame[column]
        if not (pd.api.types.is_numeric_dtype(series) or pd.api.types.is_bool_dtype(series)):
            problems.append(
                project.error(
                    ("data", "features", i),
                    f"column '{column}' of {display} is not numeric ({series.dtype})",
                    hint="list numeric columns in data.features, or encode the data with "
                    "data.transform",
                ).diagnostics[0]
            )
        elif series.isna().any():
            problems.append(
                project.error(
                    ("data", "features", i),
                    f"column '{column}' of {display} has {int(series.isna().sum())} missing value(s)",
                    hint="fill or drop them, or handle them in data.transform",
                ).diagnostics[0]
            )
    return problems


def _display(project: Project, path: Path) -> str:
    try:
        return str(path.relative_to(project.root))
    except ValueError:
        return str(path)


def _read_many(project: Project, key: Literal["eval", "train"]) -> tuple[pd.DataFrame, SplitSource]:
    """A split of many Parquet files, checked from their footers, then read whole."""
    spec = getattr(project.model.data, key)
    source = resolve_source(spec, base_dir=project.root, origin=project, key=("data", key))
    if source.n_rows == 0:
        message = f"{source.display}: its files have no rows"
        raise InputError(
            message,
            diagnostics=[
                project.diagnostic(("data", key), message, hint="name files that hold the split")
            ],
        )
    # a folder or glob is named as written; a list by the folder its files share
    where = project.resolve(spec) if isinstance(spec, str) else source.base_dir
    return source.to_pandas(), SplitSource(where, source.files, source)


def _read_split(
    project: Project, key: Literal["eval", "train"]
) -> tuple[pd.DataFrame, SplitSource]:
    relative = getattr(project.model.data, key)
    if not is_single_file(relative, base_dir=project.root):
        return _read_many(project, key)
    path = project.resolve(relative)
    display = _display(project, path)
    if not path.is_file():
        what = "is a folder, expected a file" if path.is_dir() else "no such file"
        raise project.error(
            ("data", key),
            f"{display}: {what} ({path})",
            hint="paths are relative to the folder of govkit.yaml",
        )
    if path.suffix.lower() not in SUFFIXES:
        raise project.error(
            ("data", key),
            f"{display}: unsupported data file type '{path.suffix or path.name}'",
            hint=f"use {', '.join(SUFFIXES)}",
        )
    frame = read_table(path, display, features=project.model.data.features)
    return frame, SplitSource(path, (path,))


def _coding(project: Project, frames: list[pd.DataFrame]) -> LabelCoding:
    d, task = project.model.data, project.model.model.task
    label = d.label
    if task == "binary":
        if d.positive_label is not None:
            eval_labels = frames[0][label]
            if not _matches(eval_labels, d.positive_label).any():
                values = _sorted_values(eval_labels.dropna().unique().tolist())
                raise project.error(
                    ("data", "positive_label"),
                    f"{d.positive_label!r} is not a value of the label column "
                    f"'{label}' (found {_values_text(values)})",
                    hint="write the positive value exactly as in the data",
                )
            others = _sorted_values(
                eval_labels[~_matches(eval_labels, d.positive_label)].dropna().unique().tolist()
            )
            negative = others[0] if len(others) == 1 else f"not {d.positive_label}"
            return LabelCoding("binary", d.positive_label, [negative, d.positive_label])
        return LabelCoding("binary", None, [0, 1])
    found: set[Any] = set()
    for frame in frames:
        found.update(frame[label].dropna().unique().tolist())
    classes = _sorted_values(list(found))
    if len(classes) < 2:
        raise project.error(
            ("data", "label"),
            f"the label column '{label}' has "
            f"{len(classes)} class(es); a multiclass task needs at least two",
        )
    return LabelCoding("multiclass", None, classes)


def load_data(project: Project, *, check_features: bool) -> LoadedData:
    """Read the splits, check every named column, and encode the labels.

    Parameters
    ----------
    project
        The loaded govkit.yaml.
    check_features
        Whether ``data.features`` feed a model (they must then be numeric and complete).

    Raises
    ------
    ConfigError
        One located diagnostic per unknown column or bad label.
    InputError
        A data file that is missing or unreadable.
    """
    eval_frame, eval_source = _read_split(project, "eval")
    eval_path = eval_source.path
    train_frame, train_source, train_path = None, None, None
    if project.model.data.train is not None:
        train_frame, train_source = _read_split(project, "train")
        train_path = train_source.path
    problems = _check_columns(project, eval_frame, _display(project, eval_path), train=False)
    if train_frame is not None and train_path is not None:
        problems += _check_columns(project, train_frame, _display(project, train_path), train=True)
    if not problems and check_features:
        problems += _check_features(project, eval_frame, _display(project, eval_path))
        if train_frame is not None and train_path is not None:
            problems += _check_features(project, train_frame, _display(project, train_path))
    if problems:
        raise ConfigError(
            f"{len(problems)} problem(s) with the columns named in {project.parsed.path}",
            diagnostics=problems,
        )
    frames = [eval_frame] + ([train_frame] if train_frame is not None else [])
    coding = _coding(project, frames)
    label = project.model.data.label
    loc: Loc = ("data", "label")
    eval_split = Split(
        "eval",
        eval_frame,
        coding.encode(
            eval_frame[label],
            what=f"label column '{label}' of {_display(project, eval_path)}",
            project=project,
            loc=loc,
        ),
    )
    train_split = None
    if train_frame is not None and train_path is not None:
        train_split = Split(
            "train",
            train_frame,
            coding.encode(
                train_frame[label],
                what=f"label column '{label}' of {_display(project, train_path)}",
                project=project,
                loc=loc,
            ),
        )
    return LoadedData(
        eval_split, train_split, coding, eval_path, train_path, eval_source, train_source
    )
