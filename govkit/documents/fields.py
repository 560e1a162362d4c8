"""Field types and sub-models the four documents share.

Conventions every document field follows:

- unknown keys are errors everywhere (``extra="forbid"``), types are strict
  (a number is not a string, ``"yes"`` is not ``true``); dates are ISO dates;
- a human answer (:data:`Answer`) is a non-empty string or an explicit
  ``{not_applicable: reason}``, so "filled" always means "someone answered";
- fields filled later by ``govkit check`` (automated, "A" in the standards)
  are optional, so a document written by hand validates without them;
- conditional fields ("C") are optional until their condition holds, or the
  document's ``compliance_profile`` is ``eu_high_risk``; :func:`raise_missing`
  reports each one that is missing, with the reason.

The document header and the base every document kind extends live in
:mod:`govkit.documents.base`.
"""

from __future__ import annotations

import re
from datetime import date, datetime
from typing import Annotated, Any, Literal, NamedTuple, TypeVar

from pydantic import (
    AfterValidator,
    BeforeValidator,
    ConfigDict,
    Discriminator,
    Field,
    Strict,
    StringConstraints,
    Tag,
    WithJsonSchema,
    model_validator,
)
from pydantic_core import PydanticCustomError

from govkit.documents.spdx import OTHER, SPDX_IDS
from govkit.report import ResultStatus
from govkit.strict import FrozenModel

__all__ = [
    "CONDITIONAL_MISSING",
    "FILL_AUTOMATED",
    "SPECIAL_CATEGORIES",
    "Answer",
    "Approval",
    "ChangelogEntry",
    "CheckId",
    "CheckRecord",
    "DatasetRef",
    "Date",
    "DocId",
    "GovModel",
    "HubId",
    "License",
    "Link",
    "MetricResult",
    "MetricSpec",
    "Missing",
    "NonEmptyStr",
    "NotApplicable",
    "OrNA",
    "Person",
    "Sha256",
    "ValueProvenance",
    "automated",
    "conditional",
    "is_filled",
    "raise_missing",
]

T = TypeVar("T")

#: The pydantic error type a conditional requirement raises; govkit.diagnostics
#: turns it into one located "required field is missing" diagnostic per field.
CONDITIONAL_MISSING = "conditional_missing"
FILL_AUTOMATED = "automated"


#: GDPR Art. 9 special categories; processing them for bias work needs A10(5) safeguards.
SPECIAL_CATEGORIES = frozenset(
    {
        "racial_or_ethnic_origin",
        "political_opinions",
        "religious_beliefs",
        "trade_union_membership",
        "genetic",
        "biometric",
        "health",
        "sex_life_or_orientation",
    }
)


class GovModel(FrozenModel):
    """Base of every document model: unknown keys and loose types are errors."""

    model_config = ConfigDict(strict=True)


# --- scalar types -------------------------------------------------------------

NonEmptyStr = Annotated[str, StringConstraints(min_length=1)]


def _date_input(value: Any) -> Any:
    # YAML gives a date object; JSON gives a string. Timestamps and datetimes are
    # refused rather than silently truncated to a day.
    if isinstance(value, datetime):
        raise PydanticCustomError("date_type", "expected a date (YYYY-MM-DD), got a date and time")
    if isinstance(value, date):
        return value
    if isinstance(value, str):
        try:
            return date.fromisoformat(value)
        except ValueError:
            raise PydanticCustomError(
                "date_parsing", "expected a date (YYYY-MM-DD), got '{value}'", {"value": value[:40]}
            ) from None
    raise PydanticCustomError("date_type", "Input should be a valid date")


Date = Annotated[date, BeforeValidator(_date_input), Strict(False)]
"""An ISO date: ``2025-01-31`` in YAML or a ``"2025-01-31"`` string in JSON."""

_SHA256 = re.compile(r"^[0-9a-f]{64}$")


def _check_sha256(value: str) -> str:
    if not _SHA256.match(value):
        raise PydanticCustomError(
            "sha256",
            "expected a SHA-256 digest (64 lowercase hexadecimal characters), got {found}",
            {"found": f"{len(value)} characters"},
        )
    return value


Sha256 = Annotated[
    str,
    AfterValidator(_check_sha256),
    WithJsonSchema({"type": "string", "pattern": _SHA256.pattern}),
]

_DOC_ID = r"^[a-z0-9][a-z0-9._-]*$"
DocId = Annotated[str, StringConstraints(pattern=_DOC_ID)]
"""A document id: lowercase letters, digits, ``.``, ``_`` and ``-`` (``adult-model-card``)."""

_HUB_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,95}/[A-Za-z0-9][A-Za-z0-9_.-]{0,95}$")


def _check_hub_id(value: str) -> str:
    if not _HUB_ID.match(value):
        raise PydanticCustomError(
            "hub_id",
            "expected a Hugging Face Hub id 'owner/name' (letters, digits, '-', '_', '.'), "
            "got '{value}'",
            {"value": value[:60]},
        )
    return value


HubId = Annotated[
    str,
    AfterValidator(_check_hub_id),
    WithJsonSchema({"type": "string", "pattern": _HUB_ID.pattern}),
]
"""A Hugging Face Hub repository id, ``owner/name`` (``scikit-learn/adult-census-income``)."""

_CHECK_ID = r"^[a-z][a-z0-9_]*\.[a-z][a-z0-9_]*$"
CheckId = Annotated[str, StringConstraints(pattern=_CHECK_ID)]
"""A check id, ``<area>.<snake_name>`` (``fairness.demographic_parity``)."""


def _check_spdx(value: str) -> str:
    if value == OTHER or value in SPDX_IDS:
        return value
    import difflib

    lowered = {s.lower(): s for s in SPDX_IDS}
    guess = lowered.get(value.lower()) or next(
        iter(difflib.get_close_matches(value, SPDX_IDS, n=1, cutoff=0.6)), None
    )
    hint = f"did you mean '{guess}'? " if guess else ""
    raise PydanticCustomError(
        "spdx",
        "unknown SPDX licence id '{value}'; {hint}use an SPDX id, or 'other' with name and url",
        {"value": value[:40], "hint": hint},
    )


SpdxId = Annotated[
    str,
    AfterValidator(_check_spdx),
    WithJsonSchema({"type": "string", "enum": [*SPDX_IDS, OTHER]}),
]


# --- the Answer convention -------------------------------------------------------


class NotApplicable(GovModel):
    """An explicit "does not apply", with the reason why."""

    not_applicable: NonEmptyStr = Field(description="Why this question does not apply.")


def _na_or_value(value: Any) -> str:
    # Route by shape so an error names one expectation, not one per union branch.
    if isinstance(value, NotApplicable) or (isinstance(value, dict) and "not_applicable" in value):
        return "NotApplicable"
    return "Value"


OrNA = Annotated[
    Annotated[T, Tag("Value")] | Annotated[NotApplicable, Tag("NotApplicable")],
    Discriminator(_na_or_value),
]
"""``T``, or ``{not_applicable: reason}``."""

Answer = OrNA[NonEmptyStr]
"""A human answer: non-empty text, or ``{not_applicable: reason}``."""


def is_filled(value: Any) -> bool:
    """Whether a value counts as answered (an explicit N/A does)."""
    if value is None:
        return False
    if isinstance(value, str):
        return bool(value.strip())
    if isinstance(value, list | dict | tuple):
        return len(value) > 0
    return True


def automated(description: str, **kwargs: Any) -> Any:
    """A field filled by ``govkit check``: optional when the document is written."""
    return Field(
        default=None,
        description=description,
        json_schema_extra={"x-fill": FILL_AUTOMATED},
        **kwargs,
    )


def conditional(description: str, when: str, **kwargs: Any) -> Any:
    """A field that becomes required when ``when`` holds or under ``eu_high_risk``."""
    return Field(
        default=None,
        description=description,
        json_schema_extra={"x-required-when": f"{when}, or compliance_profile is eu_high_risk"},
        **kwargs,
    )


# --- shared sub-models ------------------------------------------------------------


class Person(GovModel):
    """A person or organisation with a role."""

    name: NonEmptyStr = Field(description="Full name of the person or organisation.")
    role: NonEmptyStr = Field(description="Role, e.g. 'maintainer', 'data steward', 'risk owner'.")
    affiliation: str | None = Field(default=None, description="Organisation the person belongs to.")
    contact: str | None = Field(default=None, description="E-mail address or other contact.")


class License(GovModel):
    """Licence and terms of use: an SPDX id, or 'other' with a name and a link."""

    spdx_id: SpdxId = Field(description="SPDX licence id (e.g. CC-BY-4.0, Apache-2.0) or 'other'.")
    name: str | None = Field(default=None, description="Licence name; required for 'other'.")
    url: str | None = Field(default=None, description="Link to the licence text.")

    @model_validator(mode="after")
    def _other_is_named(self) -> License:
        if self.spdx_id == OTHER:
            missing = [Missing(("name",), "spdx_id is 'other'")] if not self.name else []
            if not self.url:
                missing.append(Missing(("url",), "spdx_id is 'other'"))
            raise_missing(missing)
        return self


class Link(GovModel):
    """A reference: a URL, or a file relative to the document (optionally hashed)."""

    title: str | None = Field(default=None, description="What the link points to.")
    url: str | None = Field(default=None, description="Web address.")
    path: str | None = Field(
        default=None, description="File path, relative to this document; checked to exist."
    )
    sha256: Sha256 | None = Field(
        default=None, description="SHA-256 of the file at `path`; checked when given."
    )

    @model_validator(mode="after")
    def _points_somewhere(self) -> Link:
        if not self.url and not self.path:
            raise ValueError("a link needs a `url` or a `path`")
        return self


class DatasetRef(GovModel):
    """A versioned, hashed reference to a data set described by a dataset card."""

    card_id: NonEmptyStr = Field(description="doc_id of the dataset card describing this data.")
    version: str | None = Field(default=None, description="Version of the data used.")
    splits: list[NonEmptyStr] = Field(
        default_factory=list, description="Splits used, e.g. [train] or [test]."
    )
    path: str | None = Field(
        default=None, description="Data file, relative to this document; checked to exist."
    )
    sha256: Sha256 | None = Field(
        default=None, description="SHA-256 of the data file at `path`; checked when given."
    )
    hub_id: HubId | None = Field(
        default=None,
        description="Hugging Face Hub id of the data set (owner/name), when it is published there.",
    )


class MetricSpec(GovModel):
    """A metric and why it was chosen."""

    name: NonEmptyStr = Field(description="Metric name, e.g. balanced_accuracy.")
    definition: NonEmptyStr = Field(description="How it is computed.")
    higher_is_better: bool = Field(description="true when a larger value is better.")
    rationale: NonEmptyStr = Field(description="Why this metric suits the task and its harms.")


class ValueProvenance(GovModel):
    """Where an automated value came from."""

    tool: NonEmptyStr = Field(description="Tool that produced the value, e.g. govkit.")
    tool_version: NonEmptyStr = Field(description="Version of that tool.")
    run_id: str | None = Field(default=None, description="Identifier of the run.")
    git_commit: str | None = Field(default=None, description="Commit the run used.")
    timestamp: Annotated[datetime, Strict(False)] | None = Field(
        default=None, description="When the run finished (UTC, ISO 8601)."
    )
    inputs_sha256: dict[str, Sha256] = Field(
        default_factory=dict, description="SHA-256 of each input file, by role."
    )


class MetricResult(GovModel):
    """One measured value, with its slice, sample size and interval."""

    metric: NonEmptyStr = Field(description="Metric name.")
    value: float = Field(description="Point estimate.")
    slice: dict[str, str] | None = Field(
        default=None, description="Group, e.g. {sex: Female}; null for the whole set."
    )
    split: str | None = Field(default=None, description="Data split, e.g. test.")
    n: int | None = Field(default=None, ge=0, description="Sample size.")
    ci_low: float | None = Field(default=None, description="Lower bound of the interval.")
    ci_high: float | None = Field(default=None, description="Upper bound of the interval.")
    ci_method: str | None = Field(default=None, description="How the interval was computed.")
    seeds: list[int] = Field(default_factory=list, description="Seeds of the runs.")
    threshold: float | None = Field(default=None, description="Threshold the value is judged on.")
    provenance: ValueProvenance | None = Field(
        default=None, description="Where the value came from."
    )


CheckKind = Literal[
    "fairness",
    "attribution",
    "membership_inference",
    "pii_scan",
    "data_stats",
    "performance",
    "robustness",
    "leakage",
    "other",
]


class CheckRecord(GovModel):
    """The outcome of one govkit check, as stored in a document."""

    check_id: CheckId = Field(description="Check id, e.g. fairness.demographic_parity.")
    kind: CheckKind = Field(description="Family of the check.")
    status: ResultStatus = Field(description="Outcome of the check.")
    summary: NonEmptyStr = Field(description="One sentence a reviewer understands.")
    results: list[MetricResult] = Field(default_factory=list, description="Measurements.")
    provenance: ValueProvenance | None = Field(default=None, description="Run that produced it.")


class Approval(GovModel):
    """A dated, signed decision on the document (Annex IV 2(g): "dated and signed")."""

    name: NonEmptyStr = Field(description="Who approved.")
    role: NonEmptyStr = Field(description="Their role, e.g. 'head of model risk'.")
    date: Date = Field(description="Date of the decision.")
    decision: Literal["approved", "approved_with_conditions", "rejected"] = Field(
        description="The decision."
    )
    signature_ref: str | None = Field(
        default=None, description="Reference to the signature (signed commit, ticket, e-signature)."
    )
    conditions: str | None = Field(default=None, description="Conditions attached to the approval.")


class ChangelogEntry(GovModel):
    """One change to the document or the system (Annex IV 6)."""

    version: NonEmptyStr = Field(description="Document version after the change.")
    date: Date = Field(description="Date of the change.")
    changes: NonEmptyStr = Field(description="What changed and why.")
    author: str | None = Field(default=None, description="Who made the change.")


# --- conditional requirements -------------------------------------------------------


class Missing(NamedTuple):
    """A conditional field that is required here but absent."""

    loc: tuple[str | int, ...]
    reason: str


def raise_missing(missing: list[Missing]) -> None:
    """Raise one error naming every missing conditional field (none: do nothing)."""
    if not missing:
        return
    summary = "; ".join(
        f"{'.'.join(str(p) for p in m.loc)} is required because {m.reason}" for m in missing
    )
    raise PydanticCustomError(
        CONDITIONAL_MISSING,
        "{summary}",
        {"summary": summary, "missing": [(list(m.loc), m.reason) for m in missing]},
    )
