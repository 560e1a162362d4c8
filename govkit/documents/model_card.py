"""The model card: what a model is for, how it was built, and how well it does.

Covers Mitchell et al.'s Model Cards, the Hugging Face model card, the Model
Card Toolkit schema, AI Act Annex IV and Art. 13/15 (see the crosswalk).
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import Field

from govkit.documents.base import DocumentBase
from govkit.documents.fields import (
    Answer,
    CheckRecord,
    DatasetRef,
    Date,
    DocId,
    GovModel,
    License,
    Link,
    MetricResult,
    MetricSpec,
    NonEmptyStr,
    OrNA,
    Person,
    Sha256,
    automated,
    conditional,
)

__all__ = [
    "Architecture",
    "ComputeAndEnvironment",
    "DataSection",
    "DecisionThreshold",
    "Deployment",
    "EthicalConsiderations",
    "EvaluationData",
    "Explainability",
    "Factor",
    "Fairness",
    "LinkedDocs",
    "ModelCard",
    "ModelRef",
    "ModelType",
    "ModelVersion",
    "MonitoringHandoff",
    "Privacy",
    "Results",
    "Robustness",
    "Security",
    "SoftwareEnv",
    "TrainingProcedure",
    "Uncertainty",
]


class ModelVersion(GovModel):
    """The version and how it relates to earlier ones."""

    version: NonEmptyStr = Field(description="Version of the model, e.g. 1.2.0.")
    previous: str | None = Field(default=None, description="Version it replaces.")
    diff: str | None = Field(default=None, description="What changed since the previous version.")


class ModelType(GovModel):
    """What kind of model this is."""

    task: NonEmptyStr = Field(description="Task, e.g. binary classification.")
    family: NonEmptyStr = Field(description="Model family, e.g. multilayer perceptron.")
    outputs: Literal["scores", "labels", "generated", "other"] = Field(
        description="What the model outputs; 'scores' makes decision_thresholds required."
    )
    fine_tuned: bool = Field(
        default=False,
        description="true when fine-tuned from a pre-trained model (needs base_model).",
    )


class ModelRef(GovModel):
    """A pre-trained component."""

    name: NonEmptyStr = Field(description="Model name or id.")
    version: str | None = Field(default=None, description="Version or revision.")
    source: str | None = Field(default=None, description="Where it came from.")
    license: License | None = Field(default=None, description="Its licence.")
    sha256: Sha256 | None = Field(default=None, description="SHA-256 of the weights file.")


class Architecture(GovModel):
    """Architecture and tensor interface."""

    description: NonEmptyStr = Field(description="Layers, sizes and activations.")
    n_params: int | None = automated("Number of parameters (from torch).", ge=0)
    input_spec: str | None = Field(
        default=None, description="Input tensor: shape, dtype and feature order (filled by checks)."
    )
    output_spec: str | None = Field(
        default=None, description="Output tensor: shape, dtype and meaning (filled by checks)."
    )


class TrainingProcedure(GovModel):
    """How the model was trained."""

    objective: NonEmptyStr = Field(description="Loss function and what it optimises.")
    optimizer: NonEmptyStr = Field(description="Optimiser and learning-rate schedule.")
    hyperparameters: dict[str, str | int | float | bool] | None = automated(
        "Hyperparameters from the run configuration."
    )
    precision: str | None = Field(default=None, description="Numeric precision, e.g. float32.")
    seeds: list[int] | None = automated("Random seeds of the training runs.")
    fairness_constraints: Answer = Field(description="Fairness constraints applied in training.")


class SoftwareEnv(GovModel):
    """Software the model was trained and evaluated with."""

    python: NonEmptyStr = Field(description="Python version.")
    torch: NonEmptyStr = Field(description="PyTorch version.")
    cuda: str | None = Field(default=None, description="CUDA version, when used.")
    lockfile_sha256: Sha256 | None = Field(default=None, description="SHA-256 of the lock file.")
    git_commit: str | None = Field(default=None, description="Commit of the training code.")
    packages: dict[str, str] = Field(default_factory=dict, description="Other package versions.")


class Deployment(GovModel):
    """How the system is shipped and run (Annex IV 1(b), (d)-(h))."""

    forms: Answer = Field(description="Forms in which it is placed on the market or put into use.")
    hardware: Answer = Field(description="Hardware it runs on.")
    interactions: Answer = Field(description="Other systems and hardware it interacts with.")
    ui: Answer = Field(description="User interface given to deployers.")
    instructions_for_use: Answer = Field(description="Where the instructions for use are.")


class Factor(GovModel):
    """An axis along which results are broken down."""

    name: NonEmptyStr = Field(description="Factor, e.g. sex.")
    kind: Literal["group", "instrumentation", "environment"] = Field(description="Kind of factor.")
    values: list[str] = Field(default_factory=list, description="Values considered.")
    evaluated: bool = Field(description="true when results are reported along this factor.")
    rationale: NonEmptyStr = Field(description="Why the factor matters.")


class DecisionThreshold(GovModel):
    """An operating point."""

    value: float = Field(description="Threshold on the model's score.")
    rationale: NonEmptyStr = Field(description="Why this threshold.")


class Uncertainty(GovModel):
    """How confidence intervals were computed."""

    method: NonEmptyStr = Field(description="Method, e.g. bootstrap.")
    n_runs: int | None = Field(default=None, ge=1, description="Replicates or runs.")
    seeds: list[int] = Field(default_factory=list, description="Seeds.")
    ci_level: float = Field(default=0.95, gt=0, lt=1, description="Confidence level.")


class DataSection(GovModel):
    """Training data, by reference to dataset cards."""

    datasets: list[DatasetRef] = Field(min_length=1, description="Dataset cards used.")
    summary: NonEmptyStr = Field(description="What the data is and how it was used.")


class EvaluationData(GovModel):
    """Evaluation data and why it was chosen."""

    datasets: list[DatasetRef] = Field(min_length=1, description="Dataset cards used.")
    motivation: NonEmptyStr = Field(description="Why these data sets were chosen.")
    preprocessing: NonEmptyStr = Field(description="How the data was preprocessed for evaluation.")


class Results(GovModel):
    """Measured results (filled by checks)."""

    overall: list[MetricResult] = Field(default_factory=list, description="Headline metrics.")
    unitary: list[MetricResult] = Field(default_factory=list, description="Results per group.")
    intersectional: list[MetricResult] = Field(
        default_factory=list, description="Results for combined groups."
    )


class MonitoringHandoff(GovModel):
    """What operations watches after release (filled from govkit check's monitoring.json)."""

    reference: NonEmptyStr = Field(
        description="Where the reference statistics of the evaluation data are."
    )
    rollback_rule: list[NonEmptyStr] = Field(
        default_factory=list,
        description="Figures that gated the release and the bounds past which to roll back.",
    )


class Fairness(GovModel):
    """Fairness criteria and the measured gaps."""

    criteria: NonEmptyStr = Field(description="Which fairness criteria apply, and why.")
    result: CheckRecord | None = automated("Measured gaps (fairness checks).")


class Explainability(GovModel):
    """Attributions and how to read the model's outputs."""

    interpretation_guidance: NonEmptyStr = Field(description="How to read and explain outputs.")
    result: CheckRecord | None = automated("Attribution check output.")


class Privacy(GovModel):
    """Privacy evaluation: membership inference and differential privacy."""

    approach: Answer = Field(
        description="How privacy of the training data is protected and tested."
    )
    dp_epsilon: float | None = Field(
        default=None, gt=0, description="Epsilon, when trained with DP."
    )
    result: CheckRecord | None = automated("Membership-inference check output.")


class Robustness(GovModel):
    """Perturbation and shift tests."""

    description: Answer = Field(description="Robustness tests and their conclusions.")
    result: CheckRecord | None = automated("Robustness check output.")


class Security(GovModel):
    """Threats considered and measures taken (A15(5))."""

    threats_considered: list[NonEmptyStr] = Field(
        min_length=1, description="Poisoning, evasion, model extraction, ..."
    )
    measures: list[NonEmptyStr] = Field(min_length=1, description="Measures against them.")


class ComputeAndEnvironment(GovModel):
    """Compute used and emissions."""

    hardware: NonEmptyStr = Field(description="Hardware used for training.")
    hours: float | None = Field(default=None, ge=0, description="Hours of compute.")
    provider: str | None = Field(default=None, description="Cloud provider or on premises.")
    region: str | None = Field(default=None, description="Compute region.")
    co2e_kg: float | None = Field(default=None, ge=0, description="Estimated emissions, kg CO2e.")


class EthicalConsiderations(GovModel):
    """Mitchell et al. §8: the five ethical prompts."""

    sensitive_data: Answer = Field(description="Does the model use sensitive data?")
    human_life: Answer = Field(description="Is it meant to inform decisions central to human life?")
    mitigations: Answer = Field(description="Risk mitigation strategies used.")
    risks_and_harms: Answer = Field(description="Risks and harms, their likelihood and magnitude.")
    fraught_use_cases: Answer = Field(description="Known fraught use cases.")


class LinkedDocs(GovModel):
    """The documents this card relies on."""

    experiment_plans: list[DocId] = Field(min_length=1, description="doc_ids of experiment plans.")
    risk_checklist: DocId = Field(description="doc_id of the risk checklist.")
    dataset_cards: list[DocId] = Field(
        default_factory=list,
        description="doc_ids of further dataset cards (training/evaluation data are linked already).",
    )


class ModelCard(DocumentBase):
    """A model card (Model Cards, HF model card, Annex IV, Art. 13/15)."""

    kind: Literal["model_card"] = Field(description="Document kind: model_card.")
    name: NonEmptyStr = Field(description="Name of the model.")
    summary: NonEmptyStr = Field(description="One-paragraph overview.")
    description: NonEmptyStr = Field(description="Longer description.")
    developers: list[Person] = Field(min_length=1, description="Who developed and provides it.")
    model_date: Date | None = automated("Date training ended.")
    model_version: ModelVersion = Field(description="Version and relation to earlier versions.")
    model_type: ModelType = Field(description="Task, family and outputs.")
    base_model: OrNA[list[ModelRef]] | None = conditional(
        "Pre-trained components used.", "model_type.fine_tuned is true"
    )
    architecture: Architecture = Field(description="Architecture and tensor interface.")
    training_procedure: TrainingProcedure = Field(description="How the model was trained.")
    design_rationale: Answer | None = conditional(
        "Key design choices, what is optimised, trade-offs.", "high-risk use"
    )
    license: License = Field(description="Licence of the model.")
    references: list[Link] = Field(default_factory=list, description="Papers and resources.")
    citation: str | None = Field(default=None, description="How to cite the model (BibTeX).")
    contact: NonEmptyStr = Field(description="Where to send questions or comments.")
    software_env: SoftwareEnv | None = automated(
        "Python, torch and CUDA versions, lockfile, commit."
    )
    deployment: OrNA[Deployment] | None = conditional(
        "How the system is shipped and run.", "high-risk use"
    )
    intended_uses: list[NonEmptyStr] = Field(min_length=1, description="Primary intended uses.")
    intended_users: list[NonEmptyStr] = Field(min_length=1, description="Primary intended users.")
    downstream_uses: list[str] = Field(default_factory=list, description="Integration uses.")
    out_of_scope_uses: list[NonEmptyStr] = Field(min_length=1, description="Uses not supported.")
    foreseeable_misuse: list[NonEmptyStr] = Field(
        min_length=1, description="Reasonably foreseeable misuse."
    )
    factors: list[Factor] = Field(min_length=1, description="Axes results are broken down by.")
    metrics: list[MetricSpec] = Field(min_length=1, description="Metrics and why each was chosen.")
    decision_thresholds: OrNA[list[DecisionThreshold]] | None = conditional(
        "Operating points.", "model_type.outputs is 'scores'"
    )
    uncertainty: Uncertainty | None = automated("How confidence intervals were computed.")
    training_data: DataSection = Field(description="Training data (dataset cards).")
    evaluation_data: EvaluationData = Field(description="Evaluation data (dataset cards).")
    results: Results | None = automated("Measured results, overall and per group.")
    fairness: OrNA[Fairness] | None = conditional(
        "Fairness criteria and measured gaps.", "a factor of kind 'group' is listed"
    )
    explainability: Explainability = Field(description="Attributions and interpretation guidance.")
    privacy: OrNA[Privacy] = Field(description="Privacy evaluation (or not_applicable).")
    robustness: OrNA[Robustness] | None = conditional(
        "Perturbation and shift tests.", "high-risk use"
    )
    security: OrNA[Security] | None = conditional("Threats and measures.", "high-risk use")
    compute_and_environment: ComputeAndEnvironment | None = automated("Compute used and emissions.")
    limitations: NonEmptyStr = Field(description="Known failure conditions.")
    ethical_considerations: EthicalConsiderations = Field(description="Ethical analysis.")
    caveats_and_recommendations: NonEmptyStr = Field(
        description="Further tests needed; groups not represented."
    )
    human_oversight: Answer | None = conditional("Human oversight measures.", "high-risk use")
    predetermined_changes: Answer | None = conditional("Planned updates.", "high-risk use")
    lifetime_maintenance_logging: Answer | None = conditional(
        "Expected lifetime, maintenance and logging.", "high-risk use"
    )
    monitoring: MonitoringHandoff | None = automated(
        "Drift reference and rollback rule handed to operations (monitoring.json)."
    )
    linked_docs: LinkedDocs = Field(description="Experiment plans and risk checklist.")
    get_started: str | None = Field(default=None, description="Usage snippet.")
    glossary: str | None = Field(default=None, description="Glossary of terms.")

    def dataset_card_ids(self) -> list[str]:
        """doc_ids of every dataset card this card references."""
        ids = [d.card_id for d in self.training_data.datasets]
        ids += [d.card_id for d in self.evaluation_data.datasets]
        ids += list(self.linked_docs.dataset_cards)
        return list(dict.fromkeys(ids))

    def _conditions(self) -> list[tuple[tuple[str | int, ...], Any, str | None]]:
        never = self._when(False, "")
        return [
            (
                ("base_model",),
                self.base_model,
                self._when(self.model_type.fine_tuned, "model_type.fine_tuned is true"),
            ),
            (("design_rationale",), self.design_rationale, never),
            (("deployment",), self.deployment, never),
            (
                ("decision_thresholds",),
                self.decision_thresholds,
                self._when(self.model_type.outputs == "scores", "model_type.outputs is 'scores'"),
            ),
            (
                ("fairness",),
                self.fairness,
                self._when(
                    any(f.kind == "group" for f in self.factors),
                    "a factor of kind 'group' is listed",
                ),
            ),
            (("robustness",), self.robustness, never),
            (("security",), self.security, never),
            (("human_oversight",), self.human_oversight, never),
            (("predetermined_changes",), self.predetermined_changes, never),
            (("lifetime_maintenance_logging",), self.lifetime_maintenance_logging, never),
        ]
