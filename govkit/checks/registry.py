"""The registry of checks: a stable id -> "module:Class".

Built-in checks are listed here by name, the smallest possible registry.
Third-party packages add theirs through the entry-point group
``govkit.checks`` (name = check id, value = "module:Class"). Saved suites name
checks by id, never by module path, so modules can move freely.
"""

from __future__ import annotations

import importlib
from importlib.metadata import entry_points

from govkit.checks.base import Check
from govkit.errors import ConfigError
from govkit.validation import closest

__all__ = ["BUILTIN_CHECKS", "available_checks", "load_check"]

BUILTIN_CHECKS: dict[str, str] = {
    "performance.classification": "govkit.checks.classification:Classification",
    "performance.calibration": "govkit.checks.calibration:Calibration",
    "fairness.demographic_parity": "govkit.checks.demographic_parity:DemographicParity",
    "fairness.equalized_odds": "govkit.checks.equalized_odds:EqualizedOdds",
    "fairness.equal_opportunity": "govkit.checks.equal_opportunity:EqualOpportunity",
    "fairness.counterfactual_flip": "govkit.checks.counterfactual_flip:CounterfactualFlip",
    "attribution.importance": "govkit.checks.importance:Importance",
    "attribution.completeness": "govkit.checks.completeness:Completeness",
    "attribution.sanity": "govkit.checks.sanity:Sanity",
    "attribution.sensitive_reliance": "govkit.checks.sensitive_reliance:SensitiveReliance",
    "privacy.membership_inference": "govkit.checks.membership_inference:MembershipInference",
    "privacy.pii": "govkit.checks.pii:Pii",
    "privacy.k_anonymity": "govkit.checks.k_anonymity:KAnonymity",
    "data.leakage": "govkit.checks.leakage:Leakage",
    "data.quality": "govkit.checks.quality:Quality",
}


def available_checks() -> dict[str, str]:
    """Built-in and installed third-party checks."""
    found = dict(BUILTIN_CHECKS)
    for ep in entry_points(group="govkit.checks"):
        found.setdefault(ep.name, ep.value)
    return found


def load_check(check_id: str) -> type[Check]:
    """Import the class registered under ``check_id`` and validate it."""
    registry = available_checks()
    target = registry.get(check_id)
    if target is None:
        guess = closest(check_id, list(registry))
        hint = (
            f"did you mean '{guess}'?" if guess else f"known checks: {', '.join(sorted(registry))}"
        )
        raise ConfigError(f"unknown check '{check_id}'; {hint}")
    module_name, _, class_name = target.partition(":")
    try:
        cls = getattr(importlib.import_module(module_name), class_name)
    except (ImportError, AttributeError) as err:
        raise ConfigError(
            f"check '{check_id}' is registered as '{target}', which cannot be imported: {err}"
        ) from err
    if not (isinstance(cls, type) and issubclass(cls, Check)):
        raise ConfigError(f"check '{check_id}' ({target}) is not a govkit Check subclass")
    if getattr(cls, "id", None) != check_id:
        raise ConfigError(f"check '{check_id}' ({target}) declares id {getattr(cls, 'id', None)!r}")
    return cls
