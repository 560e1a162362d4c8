"""The risk checklist: hazards, their controls, residual risk and the go decision.

Each risk names the govkit checks that evidence its controls (``controls``:
check ids such as ``fairness.demographic_parity``), so the review packet can
show risk -> control -> check -> status. Covers AI Act Art. 9, NIST AI RMF
and ISO/IEC 23894-style risk criteria (see the crosswalk).
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import Field

from govkit.documents.base import DocumentBase
from govkit.documents.fields import (
    Answer,
    CheckId,
    CheckRecord,
    Date,
    DocId,
    GovModel,
    License,
    Link,
    NonEmptyStr,
    OrNA,
    Person,
    conditional,
)

__all__ = [
    "AccuracyRobustnessSecurity",
    "Context",
    "Decision",
    "Incident",
    "IndependentReview",
    "MeasurementItem",
    "OverallResidualRisk",
    "PostMarketMonitoring",
    "RegulatoryClassification",
    "Risk",
    "RiskChecklist",
    "RiskCriteria",
    "SystemScope",
    "Testing",
    "ThirdPartyComponent",
    "Treatment",
]

RiskCategory = Literal[
    # NIST AI RMF trustworthiness characteristics
    "valid_reliable",
    "safe",
    "secure_resilient",
    "accountable_transparent",
    "explainable_interpretable",
    "privacy_enhanced",
    "fair_harmful_bias_managed",
    # NIST AI 600-1 generative AI risks 1-12
    "gai_cbrn",
    "gai_confabulation",
    "gai_dangerous_violent_hateful_content",
    "gai_data_privacy",
    "gai_environmental",
    "gai_harmful_bias_homogenization",
    "gai_human_ai_configuration",
    "gai_information_integrity",
    "gai_information_security",
    "gai_intellectual_property",
    "gai_obscene_degrading_abusive_content",
    "gai_value_chain_component_integration",
]

Rating = Literal[1, 2, 3, 4, 5]

MeasureRef = Literal[
    "MS-1.1", "MS-1.2", "MS-1.3", "MS-2.1", "MS-2.2", "MS-2.3", "MS-2.4", "MS-2.5", "MS-2.6",
    "MS-2.7", "MS-2.8", "MS-2.9", "MS-2.10", "MS-2.11", "MS-2.12", "MS-2.13", "MS-3.1",
    "MS-3.2", "MS-3.3", "MS-4.1", "MS-4.2", "MS-4.3",
]  # fmt: skip


class SystemScope(GovModel):
    """The system in scope."""

    name: NonEmptyStr = Field(description="Name of the AI system.")
    version: str | None = Field(default=None, description="Version assessed.")
    model_card_ids: list[DocId] = Field(
        default_factory=list, description="doc_ids of the model cards of the system."
    )
    dataset_card_ids: list[DocId] = Field(
        default_factory=list, description="doc_ids of the dataset cards of the system."
    )


class Context(GovModel):
    """Where and for whom the system is used."""

    purpose: NonEmptyStr = Field(description="Intended purpose (as in the model card).")
    setting: NonEmptyStr = Field(description="Setting it is used in.")
    users: list[NonEmptyStr] = Field(min_length=1, description="Who uses it.")
    affected_parties: list[NonEmptyStr] = Field(min_length=1, description="Who is affected by it.")


class RegulatoryClassification(GovModel):
    """Regulatory classification; it decides the compliance profile."""

    eu_category: Literal[
        "minimal_risk", "limited_risk", "high_risk", "prohibited", "out_of_scope"
    ] = Field(description="Category under the AI Act.")
    annex_iii_area: str | None = Field(default=None, description="Annex III area, if high risk.")
    rationale: NonEmptyStr = Field(description="Why this category.")
    other_laws: list[str] = Field(default_factory=list, description="Other laws that apply.")


class RiskCriteria(GovModel):
    """Scales and tolerance for rating risks."""

    likelihood_scale: list[NonEmptyStr] = Field(
        min_length=5, max_length=5, description="Meaning of likelihood 1 to 5."
    )
    severity_scale: list[NonEmptyStr] = Field(
        min_length=5, max_length=5, description="Meaning of severity 1 to 5."
    )
    matrix: NonEmptyStr = Field(description="How likelihood and severity combine into a score.")
    acceptance_threshold: int = Field(
        ge=1, le=25, description="Highest residual score that can be accepted."
    )


class Treatment(GovModel):
    """How a risk is treated."""

    option: Literal["mitigate", "transfer", "avoid", "accept"] = Field(description="Option.")
    measures: list[NonEmptyStr] = Field(default_factory=list, description="Measures taken.")
    due: Date | None = Field(default=None, description="When the measures are due.")


class Risk(GovModel):
    """One hazard, rated before and after treatment."""

    id: NonEmptyStr = Field(description="Short id, e.g. R1.")
    title: NonEmptyStr = Field(description="Title.")
    description: NonEmptyStr = Field(description="The hazard and how it leads to harm.")
    category: list[RiskCategory] = Field(min_length=1, description="Taxonomy (NIST AI RMF, 600-1).")
    harm_domain: Literal["health", "safety", "fundamental_rights", "environment", "other"] = Field(
        description="Kind of harm."
    )
    source_stage: Literal["data", "model", "deployment", "third_party", "human_ai"] = Field(
        description="Where the risk originates."
    )
    scenario: Literal["intended_use", "foreseeable_misuse", "post_market"] = Field(
        description="Context of the risk."
    )
    affected: list[NonEmptyStr] = Field(min_length=1, description="Who is harmed.")
    likelihood: Rating = Field(description="Inherent likelihood, 1 (rare) to 5 (almost certain).")
    severity: Rating = Field(description="Inherent severity, 1 (negligible) to 5 (critical).")
    inherent_score: int | None = Field(
        default=None, description="likelihood x severity (computed when absent)."
    )
    controls: list[CheckId] = Field(
        default_factory=list,
        description="Check ids whose results evidence the controls, e.g. fairness.demographic_parity.",
    )
    evidence: list[CheckRecord | Link] = Field(
        default_factory=list, description="Check outputs or links (filled by checks)."
    )
    treatment: Treatment = Field(description="Treatment option and measures.")
    residual_likelihood: Rating = Field(description="Likelihood after treatment.")
    residual_severity: Rating = Field(description="Severity after treatment.")
    residual_score: int | None = Field(default=None, description="Residual score (computed).")
    residual_acceptable: bool = Field(description="true when the residual risk is accepted.")
    residual_rationale: NonEmptyStr = Field(
        description="Why the residual risk is (not) acceptable."
    )
    residual_accepted_by: str | None = Field(
        default=None, description="Who accepted the residual risk."
    )
    owner: Person = Field(description="Accountable person.")
    status: Literal["open", "mitigating", "monitoring", "accepted", "closed"] = Field(
        description="Status."
    )
    next_review: Date = Field(description="Next review date; flagged when overdue.")
    communicated_to_deployers: bool | None = Field(
        default=None,
        description="Whether deployers were told of the risk (required under eu_high_risk).",
        json_schema_extra={"x-required-when": "compliance_profile is eu_high_risk"},
    )

    @property
    def score(self) -> int:
        """The inherent score: likelihood x severity."""
        return self.likelihood * self.severity

    @property
    def residual(self) -> int:
        """The residual score: residual likelihood x residual severity."""
        return self.residual_likelihood * self.residual_severity


class MeasurementItem(GovModel):
    """A row of the NIST AI RMF MEASURE self-assessment."""

    ref: MeasureRef = Field(description="MEASURE subcategory, e.g. MS-2.11.")
    question: NonEmptyStr = Field(description="The question.")
    answer: Literal["yes", "no", "na"] = Field(description="yes, no or na.")
    justification: NonEmptyStr = Field(description="Why.")
    evidence: list[str] = Field(default_factory=list, description="Check ids or links.")


class Testing(GovModel):
    """The test plan (A9(6)-(8))."""

    experiment_plan_ids: list[DocId] = Field(
        min_length=1, description="doc_ids of the experiment plans."
    )
    metrics_thresholds: NonEmptyStr = Field(
        description="Metrics and thresholds defined in advance."
    )
    real_world_testing: Answer = Field(description="Testing in real-world conditions.")


class AccuracyRobustnessSecurity(GovModel):
    """Art. 15 declarations."""

    declared_accuracy: NonEmptyStr | None = Field(
        default=None, description="Accuracy declared to deployers (from the model card)."
    )
    resilience_measures: Answer = Field(description="Resilience to errors and faults.")
    feedback_loop_controls: Answer = Field(description="Controls against feedback loops.")
    attacks_considered: list[NonEmptyStr] = Field(min_length=1, description="Attacks considered.")


class ThirdPartyComponent(GovModel):
    """A supplied component."""

    name: NonEmptyStr = Field(description="Component.")
    supplier: NonEmptyStr = Field(description="Supplier.")
    version: str | None = Field(default=None, description="Version (from the lock file).")
    license: License | None = Field(default=None, description="Licence.")
    risks: str | None = Field(default=None, description="Risks it brings.")


class PostMarketMonitoring(GovModel):
    """The monitoring plan."""

    metrics: list[NonEmptyStr] = Field(min_length=1, description="Metrics monitored.")
    frequency: NonEmptyStr = Field(description="How often.")
    drift_triggers: list[NonEmptyStr] = Field(min_length=1, description="What triggers a review.")
    incident_process: NonEmptyStr = Field(description="How incidents are handled.")
    feedback_channel: NonEmptyStr = Field(description="How users report problems and appeal.")


class IndependentReview(GovModel):
    """Review by someone outside the development team."""

    reviewer: Person = Field(description="Reviewer.")
    independent: bool = Field(description="true when outside the development team.")
    date: Date = Field(description="Date of the review.")
    findings: NonEmptyStr = Field(description="Findings.")


class OverallResidualRisk(GovModel):
    """The overall residual risk."""

    level: Literal["low", "medium", "high", "unacceptable"] = Field(description="Level.")
    acceptable: bool = Field(description="true when acceptable.")
    rationale: NonEmptyStr = Field(description="Why.")


class Decision(GovModel):
    """Go / no-go."""

    go: bool = Field(description="true to release.")
    conditions: list[NonEmptyStr] = Field(default_factory=list, description="Conditions on the go.")
    decided_by: NonEmptyStr = Field(description="Who decided.")
    date: Date = Field(description="When.")


class Incident(GovModel):
    """An entry of the incident log."""

    date: Date = Field(description="When it happened.")
    description: NonEmptyStr = Field(description="What happened.")
    severity: Literal["low", "medium", "high", "critical"] = Field(description="Severity.")
    actions: NonEmptyStr = Field(description="Actions taken.")


class RiskChecklist(DocumentBase):
    """A risk checklist (AI Act Art. 9, NIST AI RMF, ISO/IEC 23894 risk criteria)."""

    kind: Literal["risk_checklist"] = Field(description="Document kind: risk_checklist.")
    system: SystemScope = Field(description="System in scope and its documents.")
    context: Context = Field(description="Purpose, setting, users and affected parties.")
    regulatory_classification: RegulatoryClassification = Field(
        description="Classification under the AI Act and other laws."
    )
    risk_criteria: RiskCriteria = Field(description="Scales and risk tolerance.")
    vulnerable_groups: Answer = Field(description="Under-18s and other vulnerable groups affected.")
    risks: list[Risk] = Field(min_length=1, description="One entry per hazard.")
    measurement_checklist: list[MeasurementItem] = Field(
        description="NIST AI RMF MEASURE self-assessment."
    )
    unmeasured_risks: Answer = Field(description="Risks that are not or cannot be measured.")
    testing: OrNA[Testing] | None = conditional("Test plan (A9(6)-(8)).", "high-risk use")
    accuracy_robustness_security: OrNA[AccuracyRobustnessSecurity] | None = conditional(
        "Accuracy, robustness and security (A15).", "high-risk use"
    )
    human_oversight: Answer | None = conditional("Oversight measures (A14).", "high-risk use")
    third_party_components: list[ThirdPartyComponent] = Field(
        description="Supply chain: data, libraries, pre-trained models."
    )
    post_market_monitoring: OrNA[PostMarketMonitoring] | None = conditional(
        "Monitoring plan.", "high-risk use"
    )
    independent_review: OrNA[IndependentReview] | None = conditional(
        "Independent review.", "high-risk use"
    )
    overall_residual_risk: OverallResidualRisk = Field(description="Overall residual risk.")
    decision: Decision = Field(description="Go / no-go decision.")
    standards_applied: OrNA[list[NonEmptyStr]] | None = conditional(
        "Harmonised standards applied (Annex IV 7).", "high-risk use"
    )
    conformity_declaration_ref: OrNA[Link] | None = conditional(
        "EU declaration of conformity (Annex IV 8).", "high-risk use"
    )
    decommissioning: Answer | None = Field(default=None, description="End-of-life plan.")
    incidents: list[Incident] = Field(default_factory=list, description="Incident log.")

    def controls_by_risk(self) -> dict[str, list[str]]:
        """Each risk id mapped to the check ids that evidence its controls."""
        return {r.id: list(r.controls) for r in self.risks}

    def _conditions(self) -> list[tuple[tuple[str | int, ...], Any, str | None]]:
        never = self._when(False, "")
        out: list[tuple[tuple[str | int, ...], Any, str | None]] = [
            ((name,), getattr(self, name), never)
            for name in (
                "testing", "accuracy_robustness_security", "human_oversight",
                "post_market_monitoring", "independent_review", "standards_applied",
                "conformity_declaration_ref",
            )
        ]  # fmt: skip
        out += [
            (("risks", i, "communicated_to_deployers"), r.communicated_to_deployers, never)
            for i, r in enumerate(self.risks)
        ]
        return out
