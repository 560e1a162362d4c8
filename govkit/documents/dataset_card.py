"""The dataset card: what a data set is, where it came from, and how to use it.

Covers Datasheets for Datasets, Croissant RAI, the Hugging Face dataset card
and AI Act Art. 10 (see the standards crosswalk for the item-by-item map).
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import Field, model_validator

from govkit.documents.base import DocumentBase
from govkit.documents.fields import (
    SPECIAL_CATEGORIES,
    Answer,
    CheckRecord,
    Date,
    GovModel,
    HubId,
    License,
    Link,
    NonEmptyStr,
    OrNA,
    Person,
    Sha256,
    automated,
    conditional,
)

__all__ = [
    "Annotation",
    "BiasReport",
    "CodeRef",
    "Collection",
    "ConsentInfo",
    "DataField",
    "DatasetCard",
    "DateRange",
    "Distribution",
    "Instances",
    "Maintenance",
    "MissingData",
    "ProcessingStep",
    "QualityReport",
    "Sampling",
    "SensitiveField",
    "Source",
    "SplitSpec",
    "SubgroupStat",
]

Modality = Literal[
    "tabular", "text", "image", "audio", "video", "time_series", "graph", "multimodal", "other"
]
CollectionType = Literal[
    "survey",
    "census",
    "direct_measurement",
    "sensor",
    "logs",
    "web_scraping",
    "api",
    "crowdsourcing",
    "manual_curation",
    "derived",
    "synthetic",
    "other",
]
SensitiveCategory = Literal[
    "personal_identifier",
    "quasi_identifier",
    "demographic",
    "financial",
    "location",
    "criminal_record",
    "racial_or_ethnic_origin",
    "political_opinions",
    "religious_beliefs",
    "trade_union_membership",
    "genetic",
    "biometric",
    "health",
    "sex_life_or_orientation",
    "other",
]


class Instances(GovModel):
    """What one instance is, and how many there are."""

    description: NonEmptyStr = Field(
        description="What an instance represents (a person, a photo...)."
    )
    counts: dict[str, int] | None = automated("Number of instances by type or split.")


class DataField(GovModel):
    """One column or field of the data."""

    name: NonEmptyStr = Field(description="Column name as it appears in the data.")
    dtype: NonEmptyStr = Field(description="Data type, e.g. int, float, category, string.")
    description: NonEmptyStr = Field(description="What the field holds and its unit.")
    role: Literal["feature", "target", "identifier", "weight", "metadata"] = Field(
        default="feature", description="Part the field plays; a 'target' makes `labels` required."
    )
    sensitive: bool = Field(
        default=False, description="true for a sensitive or protected attribute."
    )


class Sampling(GovModel):
    """Whether the data is a sample, and of what."""

    is_sample: bool = Field(description="true when the data is a sample of a larger population.")
    population: NonEmptyStr = Field(description="The population the data is drawn from.")
    strategy: Answer = Field(description="Sampling strategy (random, stratified, convenience...).")
    representativeness: Answer = Field(
        description="How representative the sample is, and how that was checked."
    )


class MissingData(GovModel):
    """Missing values: how many (automated) and why (human)."""

    rates: dict[str, float] | None = automated("Fraction of missing values per field.")
    encoding: str | None = Field(
        default=None, description="How missing values are written, e.g. '?'."
    )
    reasons: Answer = Field(description="Why values are missing and whether that is random.")


class SplitSpec(GovModel):
    """A data split."""

    name: NonEmptyStr = Field(description="Split name, e.g. train, test.")
    size: int | None = Field(default=None, ge=0, description="Number of rows (filled by checks).")
    rationale: NonEmptyStr = Field(description="How and why the split was made.")
    group_keys: list[str] = Field(
        default_factory=list, description="Columns kept within one split to prevent leakage."
    )


class QualityReport(GovModel):
    """Known errors, noise, duplicates and outliers."""

    duplicates: int | None = automated("Number of duplicate rows.", ge=0)
    description: Answer = Field(
        description="Known errors, noise and outliers and how they were handled."
    )
    result: CheckRecord | None = automated("Output of the data quality check.")


class SubgroupStat(GovModel):
    """A subpopulation: how it is identified and how it is distributed."""

    attribute: NonEmptyStr = Field(description="Attribute defining the groups, e.g. sex.")
    identification: NonEmptyStr = Field(
        description="How group membership is known (self-reported...)."
    )
    distribution: dict[str, float] | None = automated("Share of each group.")


class SensitiveField(GovModel):
    """A field holding personal or sensitive information."""

    field: NonEmptyStr = Field(description="Field name.")
    category: SensitiveCategory = Field(description="Kind of sensitive information.")
    collected_intentionally: bool = Field(description="true when it was collected on purpose.")
    handling: NonEmptyStr = Field(description="How it is protected, kept, used or removed.")


class Source(GovModel):
    """Where raw data came from."""

    name: NonEmptyStr = Field(description="Name of the source.")
    url: str | None = Field(default=None, description="Where it can be found.")
    license: License | None = Field(default=None, description="Licence of the source data.")
    original_purpose: str | None = Field(
        default=None, description="Why the source collected the data (for personal data)."
    )


class DateRange(GovModel):
    """When data was collected, and when the data set was created."""

    start: Date = Field(description="First day of collection.")
    end: Date = Field(description="Last day of collection.")
    created: Date | None = Field(default=None, description="Day the data set was assembled.")

    @model_validator(mode="after")
    def _ordered(self) -> DateRange:
        if self.end < self.start:
            raise ValueError("`end` is before `start`")
        return self


class Collection(GovModel):
    """How the data was acquired."""

    types: list[CollectionType] = Field(min_length=1, description="Kinds of collection used.")
    methods: NonEmptyStr = Field(description="How the data was acquired and validated.")
    sources: list[Source] = Field(min_length=1, description="Origins of the raw data.")
    timeframe: DateRange = Field(description="When the data was collected.")
    workforce: OrNA[NonEmptyStr] | None = conditional(
        "Who collected the data and how they were paid.", "relates_to_people is true"
    )


class ConsentInfo(GovModel):
    """Notice and consent of the people in the data."""

    collected_from: Literal["individuals", "third_party", "both"] = Field(
        description="Collected from the people directly or via a third party."
    )
    notice: Answer = Field(description="Were people told about the collection; how.")
    consent: Answer = Field(description="Did people consent; to what.")
    revocation: Answer = Field(description="Can people revoke consent; how.")


class ProcessingStep(GovModel):
    """One preprocessing, cleaning or labelling step, in order."""

    kind: Literal[
        "preprocessing",
        "manipulation",
        "imputation",
        "filtering",
        "feature_engineering",
        "anonymisation",
        "other",
    ] = Field(description="Kind of step (Croissant RAI protocols).")
    operation: NonEmptyStr = Field(description="What the step does.")
    fields: list[str] = Field(default_factory=list, description="Fields it touches.")
    tool: str | None = Field(default=None, description="tool@version that ran it.")


class CodeRef(GovModel):
    """The code that produced something."""

    repo: NonEmptyStr = Field(description="Repository URL or path.")
    commit: str | None = Field(default=None, description="Commit id.")
    path: str | None = Field(default=None, description="File in the repository.")
    sha256: Sha256 | None = Field(default=None, description="SHA-256 of the file, when pinned.")


class Annotation(GovModel):
    """How labels were produced (Croissant RAI annotation keys)."""

    protocol: NonEmptyStr = Field(description="Annotation guidelines and process.")
    platform: NonEmptyStr = Field(description="Platform or tool used by annotators.")
    annotations_per_item: int | None = Field(default=None, ge=1, description="Labels per item.")
    agreement: float | None = automated("Inter-annotator agreement.")
    annotator_demographics: Answer = Field(description="Who the annotators were.")
    machine_tools: list[str] = Field(default_factory=list, description="Models used to pre-label.")


class BiasReport(GovModel):
    """Representation gaps (automated) and known biases (human)."""

    representation: CheckRecord | None = automated("Group representation measured by a check.")
    known_biases: list[NonEmptyStr] = Field(
        description="Biases known in the data; any entry makes `bias_mitigation` required."
    )


class Distribution(GovModel):
    """Who receives the data, and how."""

    recipients: NonEmptyStr = Field(description="Who the data is shared with.")
    method: NonEmptyStr = Field(description="How it is shared (download, API...).")
    first_release: Date | None = Field(default=None, description="When it was first released.")
    doi: str | None = Field(default=None, description="DOI, when there is one.")
    gated: bool = Field(default=False, description="true when access needs an agreement.")
    gating_terms: str | None = Field(default=None, description="Terms a user must accept.")


class Maintenance(GovModel):
    """Who maintains the data and how it changes."""

    maintainer: Person = Field(description="Who supports and maintains the data.")
    contact: NonEmptyStr = Field(description="How to reach the maintainer.")
    status: Literal["active", "limited", "deprecated", "archived"] = Field(
        description="Maintenance status."
    )
    cadence: NonEmptyStr = Field(description="How often it is updated.")
    versioning: NonEmptyStr = Field(description="How versions are numbered and older ones kept.")
    contributions: Answer = Field(description="How others can extend or correct it.")


class DatasetCard(DocumentBase):
    """A dataset card (Datasheets for Datasets, Croissant RAI, AI Act Art. 10)."""

    kind: Literal["dataset_card"] = Field(description="Document kind: dataset_card.")
    name: NonEmptyStr = Field(description="Name of the data set.")
    summary: NonEmptyStr = Field(description="Summary of up to 200 words.")
    dataset_version: NonEmptyStr = Field(description="Version of the data.")
    content_sha256: dict[str, Sha256] | None = automated("SHA-256 of each split's file.")
    hub_id: HubId | None = Field(
        default=None,
        description="Hugging Face Hub id of the data set (owner/name), when it is published there.",
    )
    creators: list[Person] = Field(min_length=1, description="Who created the data, for whom.")
    funding: list[str] = Field(default_factory=list, description="Grants and sponsors.")
    license: License = Field(description="Licence and terms of use.")
    languages: OrNA[list[NonEmptyStr]] | None = conditional(
        "BCP-47 codes of the languages in the data.", "modality is text, audio or multimodal"
    )
    modality: Modality = Field(description="Kind of data.")
    tags: list[str] = Field(default_factory=list, description="Discovery tags and task categories.")
    purpose: Answer = Field(description="Why the data set was created; the gap it fills.")
    intended_uses: list[NonEmptyStr] = Field(min_length=1, description="Recommended uses.")
    prior_uses: list[Link] = Field(default_factory=list, description="Known uses and papers.")
    out_of_scope_uses: list[NonEmptyStr] = Field(min_length=1, description="Uses to avoid.")
    use_impact_notes: Answer = Field(
        description="Properties of the data that could lead to unfair treatment or harm."
    )
    instances: Instances = Field(description="What an instance is and how many there are.")
    data_fields: list[DataField] = Field(min_length=1, description="Columns of the data.")
    labels: Answer | None = conditional(
        "Target definition and label distribution.", "a data field has role 'target'"
    )
    sampling: Sampling = Field(description="Sample or full population; strategy.")
    missing_data: MissingData = Field(description="Missing values and why.")
    relationships: Answer | None = Field(default=None, description="Links between instances.")
    external_resources: Answer | None = Field(
        default=None, description="External resources the data depends on."
    )
    splits: list[SplitSpec] = Field(min_length=1, description="Splits, sizes and rationale.")
    quality_issues: QualityReport = Field(description="Errors, noise, duplicates, outliers.")
    statistics: CheckRecord | None = automated("Descriptive statistics per field.")
    relates_to_people: bool = Field(
        description="true when the data is about people; makes the people-related fields required."
    )
    subpopulations: OrNA[list[SubgroupStat]] | None = conditional(
        "Subpopulations, how they are identified and distributed.", "relates_to_people is true"
    )
    sensitive_data: list[SensitiveField] = Field(
        description="Fields with personal or sensitive information (an empty list if none)."
    )
    pii_scan: CheckRecord | None = automated("Output of the PII scan.")
    offensive_content: Answer = Field(description="Content that may offend or distress.")
    collection: Collection = Field(description="How, from where and when the data was collected.")
    ethics_review: Answer | None = conditional(
        "Ethical review (IRB or other) and its outcome.", "relates_to_people is true"
    )
    consent: OrNA[ConsentInfo] | None = conditional(
        "Notice, consent and revocation.", "relates_to_people is true"
    )
    impact_assessment: Answer | None = conditional(
        "Data protection impact assessment or equivalent.", "relates_to_people is true"
    )
    preprocessing: list[ProcessingStep] = Field(description="Ordered preprocessing steps.")
    raw_data_retained: Answer = Field(description="Is the raw data kept; where.")
    processing_code: CodeRef | None = automated("Code of the processing pipeline.")
    annotation: OrNA[Annotation] | None = conditional(
        "How the labels were produced.", "`labels` is given"
    )
    assumptions: Answer | None = conditional(
        "What the data is meant to measure and represent (A10(2)(d)).", "high-risk use"
    )
    suitability: Answer | None = conditional(
        "Availability, quantity and suitability of the data (A10(2)(e)).", "high-risk use"
    )
    bias_examination: BiasReport = Field(description="Representation gaps and known biases.")
    bias_mitigation: Answer | None = conditional(
        "Measures to detect, prevent and mitigate the biases found.",
        "bias_examination.known_biases is not empty",
    )
    data_gaps: Answer = Field(description="Data gaps and how they are addressed.")
    deployment_context: Answer | None = conditional(
        "Setting the data reflects: geography, behaviour, context (A10(4)).", "high-risk use"
    )
    special_category_processing: Answer | None = conditional(
        "Safeguards for special-category data used to detect bias (A10(5)).",
        "a sensitive field is a GDPR special category",
    )
    limitations: NonEmptyStr = Field(description="Known limitations and caveats.")
    social_impact: str | None = Field(default=None, description="Social impact of the data.")
    recommendations: str | None = Field(default=None, description="Recommendations for users.")
    distribution: Distribution = Field(description="Who receives it, how, DOI, gating.")
    restrictions: Answer = Field(description="Third-party IP, export or regulatory restrictions.")
    maintenance: Maintenance = Field(description="Maintainer, status, cadence, versioning.")
    erratum: Link | None = Field(default=None, description="Where errata are published.")
    retention: Answer | None = conditional(
        "Limits on keeping data about people.", "relates_to_people is true"
    )
    citation: str | None = Field(default=None, description="How to cite the data (BibTeX).")

    def _conditions(self) -> list[tuple[tuple[str | int, ...], Any, str | None]]:
        people = self._when(self.relates_to_people, "relates_to_people is true")
        has_target = any(f.role == "target" for f in self.data_fields)
        special = [s.field for s in self.sensitive_data if s.category in SPECIAL_CATEGORIES]
        return [
            (
                ("languages",),
                self.languages,
                self._when(
                    self.modality in ("text", "audio", "multimodal"), f"modality is {self.modality}"
                ),
            ),
            (("labels",), self.labels, self._when(has_target, "a data field has role 'target'")),
            (
                ("annotation",),
                self.annotation,
                self._when(self.labels is not None, "the data is labelled (`labels` is given)"),
            ),
            (("subpopulations",), self.subpopulations, people),
            (("collection", "workforce"), self.collection.workforce, people),
            (("ethics_review",), self.ethics_review, people),
            (("consent",), self.consent, people),
            (("impact_assessment",), self.impact_assessment, people),
            (("retention",), self.retention, people),
            (("assumptions",), self.assumptions, self._when(False, "")),
            (("suitability",), self.suitability, self._when(False, "")),
            (("deployment_context",), self.deployment_context, self._when(False, "")),
            (
                ("bias_mitigation",),
                self.bias_mitigation,
                self._when(
                    bool(self.bias_examination.known_biases),
                    "bias_examination.known_biases lists biases",
                ),
            ),
            (
                ("special_category_processing",),
                self.special_category_processing,
                self._when(
                    bool(special),
                    f"sensitive_data holds special-category fields ({', '.join(special)})",
                ),
            ),
        ]
