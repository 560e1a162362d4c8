"""Suites: which checks run, with which parameters, thresholds and severity.

A suite is data (YAML). Built-in suites live in the top-level ``checks/``
folder; a project names one (``suite: release``) or gives a path. Each
entry's ``params`` are validated against that check's own parameter model
when the suite is loaded for a run, so a misspelled threshold is an error
with its line, never silently ignored.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from pydantic import Field, model_validator

from govkit.errors import ConfigError
from govkit.resources import data_dir
from govkit.sourcefile import Loaded, load_validated
from govkit.strict import FrozenModel

__all__ = ["LoadedSuite", "Suite", "SuiteEntry", "Threshold", "builtin_suites", "load_suite"]


class Threshold(FrozenModel):
    """A bound on every measurement named ``metric``.

    ``on`` says what is compared with the bound:

    - ``point``: the point estimate;
    - ``interval_lenient``: fail only when the whole interval breaks the bound;
    - ``interval_strict``: pass only when the whole interval meets the bound.
    """

    metric: str = Field(description="Measurement name, e.g. demographic_parity_difference.")
    max: float | None = Field(default=None, description="Fail above this value.")
    min: float | None = Field(default=None, description="Fail below this value.")
    on: Literal["point", "interval_lenient", "interval_strict"] = Field(
        default="point",
        description="Judge the point estimate; or fail only when the whole interval breaks "
        "the bound (lenient); or pass only when the whole interval meets it (strict).",
    )
    overall_only: bool = Field(
        default=False, description="Judge only overall figures (group null), not each group."
    )
    vs: str | None = Field(
        default=None,
        description="A baseline's name: judge the candidate minus that baseline, paired "
        "on the same rows (e.g. `min: -0.005` allows at most 0.005 worse).",
    )
    seeds: Literal["mean", "all"] = Field(
        default="mean",
        description="With several training seeds: judge the mean over seeds (`mean`), or "
        "require the bound to hold in every seed (`all`).",
    )
    max_seed_sd: float | None = Field(
        default=None,
        ge=0.0,
        description="With several training seeds: fail when the figure's standard deviation "
        "across seeds is above this.",
    )

    @model_validator(mode="after")
    def _a_bound(self) -> Threshold:
        if self.max is None and self.min is None and self.max_seed_sd is None:
            raise ValueError("a threshold needs `max` or `min` (or `max_seed_sd`)")
        return self


class SuiteEntry(FrozenModel):
    id: str = Field(description="Check id, e.g. fairness.demographic_parity.")
    severity: Literal["block", "warn"] = Field(
        default="block", description="`block` fails the gate; `warn` only reports."
    )
    params: dict[str, Any] = Field(
        default_factory=dict, description="The check's parameters (see Built-in checks)."
    )
    thresholds: list[Threshold] = Field(
        default_factory=list, description="Bounds on the check's measurements."
    )


class Suite(FrozenModel):
    suite: Literal[1] = Field(description="Suite format version.")
    name: str = Field(description="Name shown in reports.")
    description: str | None = Field(default=None, description="What the suite is for.")
    checks: list[SuiteEntry] = Field(description="The checks to run, in order.")


@dataclass(frozen=True)
class LoadedSuite(Loaded[Suite]):
    """A suite and the file it came from (for located errors and provenance)."""

    def entry(self, check_id: str) -> tuple[int, SuiteEntry] | None:
        for i, entry in enumerate(self.model.checks):
            if entry.id == check_id:
                return i, entry
        return None


def builtin_suites() -> dict[str, Path]:
    """Built-in suite names and their files."""
    folder = data_dir("checks")
    return {p.stem: p for p in sorted(folder.glob("*.yaml"))}


def load_suite(name_or_path: str, base: Path) -> LoadedSuite:
    """Load a built-in suite by name, or a suite file relative to ``base``."""
    builtins = builtin_suites()
    candidate = Path(name_or_path)
    if not candidate.is_absolute():
        candidate = base / candidate
    if name_or_path in builtins and not candidate.is_file():
        path = builtins[name_or_path]
    elif candidate.is_file():
        path = candidate
    else:
        raise ConfigError(
            f"suite '{name_or_path}' is neither a built-in suite "
            f"({', '.join(builtins) or 'none'}) nor a file next to govkit.yaml"
        )
    loaded = load_validated(path, Suite, "suite")
    return LoadedSuite(model=loaded.model, path=loaded.path, parsed=loaded.parsed)
