"""The project file, ``govkit.yaml``: what to check, on which model and data.

Paths in the file are relative to the file's folder. The model here is light
(pydantic only) so ``govkit validate`` can check a project file without
importing torch.
"""

from __future__ import annotations

import itertools
import re
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Annotated, Literal

from pydantic import (
    Discriminator,
    Field,
    Tag,
    ValidationInfo,
    field_validator,
    model_validator,
)

from govkit.diagnostics import Diagnostic
from govkit.sourcefile import Loaded, load_validated
from govkit.strict import FrozenModel

__all__ = [
    "BaselineSection",
    "DataSection",
    "ModelSection",
    "PredictionColumns",
    "Project",
    "ProjectFile",
    "SliceSpec",
    "SystemInfo",
    "Waiver",
    "load_project_file",
    "waiver_warnings",
]

_IMPORT_REF = re.compile(r"^[A-Za-z_][\w.]*:[A-Za-z_]\w*$")
_DEVICE = re.compile(r"^(auto|cpu|cuda(:\d+)?)$")


def _check_import_ref(value: str | None) -> str | None:
    if value is not None and not _IMPORT_REF.match(value):
        raise ValueError(f"expected 'package.module:function', got {value!r}")
    return value


class SystemInfo(FrozenModel):
    """The system under review, as the packet names it."""

    name: str = Field(min_length=1, description="Name of the AI system.")
    version: str = Field(min_length=1, description="Version being released.")


class PredictionColumns(FrozenModel):
    """Predictions-only mode: the model's outputs are columns of the evaluation data."""

    label: str = Field(description="Column with the predicted label.")
    score: str | None = Field(
        default=None, description="Column with the predicted probability of the positive class."
    )


def _as_list(value: PredictionColumns | list[PredictionColumns] | None) -> list[PredictionColumns]:
    if value is None:
        return []
    return list(value) if isinstance(value, list) else [value]


def _check_seed_pairs(
    value: PredictionColumns | list[PredictionColumns] | None,
) -> PredictionColumns | list[PredictionColumns] | None:
    """One ``{label, score}`` pair per seed: at least one, and all with scores or none."""
    if not isinstance(value, list):
        return value
    if not value:
        raise ValueError("lists no column pair; give one `{label, score}` pair per seed")
    lacking = sum(p.score is None for p in value)
    if 0 < lacking < len(value):
        raise ValueError(
            "every seed's prediction columns need a `score`, or none do: "
            f"{lacking} of {len(value)} pairs lack one"
        )
    return value


class ModelSection(FrozenModel):
    """How to load the model and read its outputs."""

    path: str | None = Field(
        default=None,
        description="torch.export program (.pt2), TorchScript (.ts/.pt) or a state_dict "
        "(.pt/.pth/.safetensors) with `factory`.",
    )
    factory: str | None = Field(
        default=None,
        description="'package.module:function' returning the nn.Module, for state_dict files.",
    )
    task: Literal["binary", "multiclass"] = Field(
        default="binary", description="Kind of classifier."
    )
    output: Literal["logits", "probabilities"] = Field(
        default="logits", description="What the model returns."
    )
    threshold: float = Field(default=0.5, ge=0.0, le=1.0, description="Binary decision threshold.")
    paths: list[str] | str | None = Field(
        default=None,
        description="Several checkpoints of one architecture trained with different seeds: "
        "a list of files or a glob such as `models/seed_*.pt`, each read like `path`.",
    )
    predictions: PredictionColumns | list[PredictionColumns] | None = Field(
        default=None,
        description="Use prediction columns instead of running a model; a list of "
        "`{label, score}` pairs, one per training seed.",
    )
    batch_size: int = Field(default=8192, ge=1, description="Rows per inference batch.")

    @field_validator("factory")
    @classmethod
    def _factory_ref(cls, value: str | None) -> str | None:
        return _check_import_ref(value)

    @model_validator(mode="after")
    def _model_or_predictions(self) -> ModelSection:
        given = [k for k in ("path", "paths", "predictions") if getattr(self, k) is not None]
        if not given:
            raise ValueError(
                "set `path` (a model file), `paths` (one checkpoint per seed) or "
                "`predictions` (prediction columns)"
            )
        if given == ["path", "predictions"]:
            raise ValueError("set either `path` or `predictions`, not both")
        if len(given) > 1:
            raise ValueError(
                f"set only one of `path`, `paths` or `predictions`; got {', '.join(given)}"
            )
        if isinstance(self.paths, list) and not self.paths:
            raise ValueError("`paths` lists no checkpoint")
        return self

    @field_validator("predictions")
    @classmethod
    def _seed_pairs(
        cls, value: PredictionColumns | list[PredictionColumns] | None
    ) -> PredictionColumns | list[PredictionColumns] | None:
        return _check_seed_pairs(value)

    @property
    def runs_model(self) -> bool:
        """True when a model file (or several checkpoints) is run, not prediction columns."""
        return self.predictions is None

    @property
    def columns(self) -> PredictionColumns | None:
        """The first seed's prediction columns (the only ones with a single pair)."""
        if isinstance(self.predictions, list):
            return self.predictions[0]
        return self.predictions

    @property
    def seed_columns(self) -> list[PredictionColumns]:
        """Every seed's prediction columns, in order (empty when a model is run)."""
        return _as_list(self.predictions)


_BASELINE_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_.-]*$")


class BaselineSection(FrozenModel):
    """A model the candidate is compared with, evaluated on exactly the same rows.

    One of: a model file (``path``, optional ``factory``), prediction columns of
    the evaluation data (``predictions``), or the ``predictions.parquet`` an
    earlier ``govkit check`` wrote (``predictions_file``), joined by row key.
    """

    name: str = Field(
        description="How thresholds and plan criteria name it (`vs: NAME`), e.g. previous."
    )
    path: str | None = Field(
        default=None, description="Model file, in any format the candidate may use."
    )
    paths: list[str] | str | None = Field(
        default=None,
        description="Several seeds' checkpoints of one architecture (a list or a glob); "
        "seed i is paired with the candidate's seed i.",
    )
    factory: str | None = Field(
        default=None, description="'package.module:function' returning the nn.Module."
    )
    predictions: PredictionColumns | list[PredictionColumns] | None = Field(
        default=None,
        description="Prediction columns of the evaluation data; a list of pairs, one per seed.",
    )
    predictions_file: str | None = Field(
        default=None,
        description="predictions.parquet written by an earlier `govkit check`; from a run "
        "over several seeds, the baseline has those seeds.",
    )

    @field_validator("name")
    @classmethod
    def _name(cls, value: str) -> str:
        if not _BASELINE_NAME.match(value):
            raise ValueError(f"expected a name of letters, digits, '_', '.' or '-', got {value!r}")
        return value

    @field_validator("factory")
    @classmethod
    def _factory_ref(cls, value: str | None) -> str | None:
        return _check_import_ref(value)

    @model_validator(mode="after")
    def _one_source(self) -> BaselineSection:
        sources = [
            k for k in ("path", "paths", "predictions", "predictions_file") if getattr(self, k)
        ]
        if len(sources) != 1:
            raise ValueError(
                "set exactly one of `path` (a model file), `paths` (one checkpoint per "
                "seed), `predictions` (prediction columns) or `predictions_file` (an "
                "earlier predictions.parquet)"
            )
        if self.factory is not None and self.path is None and self.paths is None:
            raise ValueError("`factory` goes with `path` or `paths`")
        return self

    @field_validator("predictions")
    @classmethod
    def _seed_pairs(
        cls, value: PredictionColumns | list[PredictionColumns] | None
    ) -> PredictionColumns | list[PredictionColumns] | None:
        return _check_seed_pairs(value)

    @property
    def seed_columns(self) -> list[PredictionColumns]:
        """Every seed's prediction columns, in order (empty without columns)."""
        return _as_list(self.predictions)


class SliceSpec(FrozenModel):
    """A column to report performance on, as is or cut into bins.

    Without ``bins`` or ``quantiles`` every distinct value is a slice. With
    ``bins`` the edges cut half-open intervals ``[a, b)`` (the last one closed);
    with ``quantiles`` the edges are the evaluation data's quantiles, reported
    with the check's results.
    """

    column: str = Field(min_length=1, description="Column of the evaluation data.")
    bins: list[float] | None = Field(
        default=None,
        min_length=2,
        description="Increasing bin edges, e.g. [0, 25, 40, 65, 120]: slices [0, 25), "
        "[25, 40), ... [65, 120]; a value outside them is the slice 'outside bins'.",
    )
    quantiles: int | None = Field(
        default=None,
        ge=2,
        le=100,
        description="Cut the column into this many equal-count bins of the evaluation data.",
    )

    @field_validator("bins")
    @classmethod
    def _increasing(cls, value: list[float] | None) -> list[float] | None:
        if value is not None:
            if any(v != v or v in (float("inf"), float("-inf")) for v in value):
                raise ValueError("bin edges must be finite numbers")
            if any(b <= a for a, b in itertools.pairwise(value)):
                raise ValueError(
                    f"bin edges must increase strictly, got {value}; e.g. [0, 25, 40, 65, 120]"
                )
        return value

    @model_validator(mode="after")
    def _one_cut(self) -> SliceSpec:
        if self.bins is not None and self.quantiles is not None:
            raise ValueError("give either bins or quantiles for a slice column, not both")
        return self


def _slice_kind(value: object) -> str:
    # a plain name or a mapping: only that form's errors are shown, not both forms'
    # (capitalised tags are left out of the error's location, as pydantic's own are)
    return "Column" if isinstance(value, str) else "SliceSpec"


_SliceEntry = Annotated[
    Annotated[str, Tag("Column")] | Annotated[SliceSpec, Tag("SliceSpec")],
    Discriminator(_slice_kind),
]


class DataSection(FrozenModel):
    """The data the checks run on."""

    eval: str | list[str] = Field(
        description="Evaluation split: one .csv, .parquet or .npz file; or many Parquet files "
        "read as one table: a folder (key=value sub-folders are hive partitions, their keys "
        "become columns), a glob (lake/**/*.parquet) or a list of files."
    )
    train: str | list[str] | None = Field(
        default=None,
        description="Training split (privacy and leakage checks); the same forms as eval.",
    )
    label: str = Field(description="Column holding the true label.")
    positive_label: str | int | float | bool | None = Field(
        default=None,
        description="Label value that counts as the positive class (binary); "
        "by default the label must already be 0/1.",
    )
    features: list[str] = Field(
        default_factory=list, description="Model inputs in order (a float32 tensor N x F)."
    )
    transform: str | None = Field(
        default=None, description="'package.module:function': DataFrame -> float32 tensor."
    )
    sensitive: list[str] = Field(
        default_factory=list, description="Group columns; their intersection is evaluated too."
    )
    proxies: list[str] = Field(
        default_factory=list, description="Features known to stand in for a sensitive attribute."
    )
    quasi_identifiers: list[str] = Field(
        default_factory=list, description="Columns that together could re-identify a person."
    )
    slices: list[_SliceEntry] = Field(
        default_factory=list,
        description="Columns to report performance and calibration on apart from the "
        "sensitive ones (region, device, age band): a column name, or "
        "{column, bins} / {column, quantiles} for a numeric column.",
    )

    @field_validator("slices")
    @classmethod
    def _slice_specs(
        cls, value: list[str | SliceSpec], info: ValidationInfo
    ) -> list[str | SliceSpec]:
        columns = [v if isinstance(v, str) else v.column for v in value]
        twice = sorted({c for c in columns if columns.count(c) > 1})
        if twice:
            raise ValueError(f"slice column(s) named twice: {', '.join(twice)}")
        # a sensitive column is already reported per group, and judged for fairness
        both = [c for c in columns if c in info.data.get("sensitive", [])]
        if both:
            raise ValueError(
                f"{', '.join(both)} is already a sensitive column, reported per group; "
                "remove it from data.slices"
            )
        return value

    def slice_specs(self) -> list[SliceSpec]:
        """``slices`` with every bare column name as a spec of its own."""
        return [SliceSpec(column=v) if isinstance(v, str) else v for v in self.slices]

    @field_validator("transform")
    @classmethod
    def _transform_ref(cls, value: str | None) -> str | None:
        return _check_import_ref(value)


class Waiver(FrozenModel):
    """An accepted failing check. An expired waiver no longer counts.

    Without scope keys it accepts every failure of the check. With them it
    accepts a failure only when every failing figure lies inside the scope
    (``metric``, ``feature``, ``group``) and within ``limit``, so a new failure
    elsewhere still blocks the release.
    """

    check: str = Field(description="Check id, e.g. fairness.demographic_parity.")
    owner: str = Field(min_length=1, description="Who accepted the failure.")
    justification: str = Field(min_length=10, description="Why it is acceptable, for reviewers.")
    expires: date = Field(description="After this date the waiver no longer counts.")
    metric: str | None = Field(
        default=None,
        min_length=1,
        description="Scope: only failures of this measurement, e.g. demographic_parity_difference.",
    )
    feature: str | None = Field(
        default=None,
        min_length=1,
        description="Scope: only figures over this sensitive column, or an intersection "
        "such as `sex&race`.",
    )
    group: dict[str, str] | None = Field(
        default=None,
        min_length=1,
        description="Scope: only figures of this group, a mapping sensitive or slice column -> "
        "value (a between-group gap belongs to no group; scope it by feature).",
    )
    limit: float | None = Field(
        default=None,
        description="Scope: the worst value accepted; a figure beyond it is not waived.",
    )

    @field_validator("group", mode="before")
    @classmethod
    def _group_values_as_text(cls, value: object) -> object:
        # report.json names group values as text ("1", "True"): compare them the same way
        if isinstance(value, dict):
            return {
                k: str(v) if isinstance(v, bool | int | float) and v is not None else v
                for k, v in value.items()
            }
        return value

    @field_validator("feature")
    @classmethod
    def _feature_columns(cls, value: str | None) -> str | None:
        if value is None:
            return value
        parts = value.split("&")
        if any(not p.strip() for p in parts):
            raise ValueError(f"expected a column or columns joined by '&', got {value!r}")
        if len(set(parts)) != len(parts):
            raise ValueError(f"a column is named twice in {value!r}")
        return value

    @property
    def scoped(self) -> bool:
        """Whether any scope key is set (else the waiver covers every failure of the check)."""
        return any(v is not None for v in (self.metric, self.feature, self.group, self.limit))

    def scope(self) -> dict[str, object]:
        """The scope keys that are set, in a fixed order, for reports and messages."""
        keys: dict[str, object] = {
            "metric": self.metric,
            "feature": self.feature,
            "group": self.group,
            "limit": self.limit,
        }
        return {k: v for k, v in keys.items() if v is not None}


_MEMORY_LIMIT = re.compile(r"^\s*\d+(\.\d+)?\s*(B|KB|MB|GB|TB|KiB|MiB|GiB|TiB)\s*$", re.IGNORECASE)


class EngineSection(FrozenModel):
    """``engine``: what computes the figures on data that does not fit in memory."""

    name: Literal["auto", "pandas", "duckdb", "ray"] = Field(
        default="auto",
        description="pandas reads every row into memory; duckdb and ray compute sufficient "
        "statistics and samples; auto keeps pandas for up to 2,000,000 rows and 256 MB of "
        "Parquet per split and takes duckdb above.",
    )
    address: str | None = Field(
        default=None,
        description="The Ray cluster to connect to (ray only); null starts a local one.",
    )
    memory_limit: str | None = Field(
        default=None,
        description='DuckDB\'s memory limit, e.g. "4GB" (duckdb only); null: half the memory.',
    )

    @field_validator("memory_limit")
    @classmethod
    def _memory_limit(cls, value: str | None) -> str | None:
        if value is not None and not _MEMORY_LIMIT.match(value):
            raise ValueError(f'expected a size such as "4GB" or "512MB", got {value!r}')
        return value

    @model_validator(mode="after")
    def _address_for_ray(self) -> EngineSection:
        if self.address is not None and self.name != "ray":
            raise ValueError(
                f"address is for the ray engine; this engine is {self.name} "
                "(set name: ray, or drop address)"
            )
        return self


class ProjectFile(FrozenModel):
    """``govkit.yaml``."""

    govkit: Literal[1] = Field(description="Project file format version.")
    system: SystemInfo = Field(description="The system under review.")
    documents: list[str] = Field(default_factory=list, description="Governance documents.")
    model: ModelSection = Field(description="The model, or its prediction columns.")
    data: DataSection = Field(description="The data the checks run on.")
    suite: str = Field(default="release", description="Built-in suite name or a suite file path.")
    device: str = Field(default="auto", description="auto | cpu | cuda | cuda:N")
    seed: int = Field(default=0, ge=0, description="Seed of every sample and bootstrap.")
    output: str = Field(
        default="build/govkit",
        description="Folder for report.json, junit.xml and predictions.parquet.",
    )
    waivers: list[Waiver] = Field(default_factory=list, description="Accepted failing checks.")
    baselines: list[BaselineSection] = Field(
        default_factory=list,
        description="Models the candidate is compared with, on the same rows.",
    )
    engine: EngineSection = Field(
        default_factory=EngineSection,
        description="What computes the figures: pandas in memory, or DuckDB / Ray statistics.",
    )

    @field_validator("device")
    @classmethod
    def _device(cls, value: str) -> str:
        if not _DEVICE.match(value):
            raise ValueError(f"expected auto, cpu, cuda or cuda:N, got {value!r}")
        return value

    @model_validator(mode="after")
    def _inputs_declared(self) -> ProjectFile:
        if self.model.runs_model and not self.data.features and self.data.transform is None:
            raise ValueError("a model needs its inputs: set data.features or data.transform")
        names = [b.name for b in self.baselines]
        twice = sorted({n for n in names if names.count(n) > 1})
        if twice:
            raise ValueError(f"baseline names must differ; named twice: {', '.join(twice)}")
        return self


@dataclass(frozen=True)
class Project(Loaded[ProjectFile]):
    """A loaded project file: its model, its folder, and where each key sits."""

    @property
    def root(self) -> Path:
        return self.path.parent

    def resolve(self, relative: str) -> Path:
        """A path from the project file, made absolute against the file's folder."""
        p = Path(relative)
        return p if p.is_absolute() else (self.root / p)


def load_project_file(path: str | Path) -> Project:
    """Load and validate ``govkit.yaml``.

    Raises
    ------
    ConfigError
        With one located diagnostic per problem.
    """
    loaded = load_validated(path, ProjectFile, "project file")
    # paths in the file are relative to its folder, wherever govkit runs from
    return Project(model=loaded.model, path=loaded.path.resolve(), parsed=loaded.parsed)


def waiver_warnings(project: Project) -> list[Diagnostic]:
    """A lint warning for each waiver without scope keys: it hides every future failure.

    When the project's last ``report.json`` holds a failure of the waived
    check, the hint is a scope built from it (as ``govkit check`` gives);
    otherwise it names the keys to add.
    """
    found: list[Diagnostic] = []
    for i, w in enumerate(project.model.waivers):
        if w.scoped:
            continue
        line, col = project.parsed.locate(("waivers", i)) or (None, None)
        suggestion = _scope_from_last_report(project, w.check)
        hint = (
            f"narrow it to the failure in the last report: {suggestion}"
            if suggestion
            else "narrow it with metric, feature (a sensitive column or `a&b`), group "
            "and limit; `govkit check` suggests a scope from the current failure"
        )
        found.append(
            Diagnostic(
                path=project.parsed.path,
                line=line,
                column=col,
                severity="warning",
                message=f"the waiver for '{w.check}' has no scope, so it hides every failure "
                "of the check, a new one included",
                field=f"waivers[{i}]",
                hint=hint,
                code="unscoped_waiver",
            )
        )
    return found


def _scope_from_last_report(project: Project, check_id: str) -> str | None:
    """A scope covering the check's failure in ``<output>/report.json``, when there is one."""
    from govkit.errors import InputError
    from govkit.report import load_report

    path = project.resolve(project.model.output) / "report.json"
    if not path.is_file():
        return None
    try:
        result = load_report(path).result(check_id)
    except InputError:
        return None  # a stale or foreign report: no suggestion rather than a wrong one
    if result is None:
        return None
    from govkit.runner.gate import blockers_of_result, scope_text, suggest_scope

    scope = suggest_scope(blockers_of_result(result))
    return scope_text(scope) if scope else None
