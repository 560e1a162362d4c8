"""The registry of checks: a stable id -> "module:Class".

Built-in checks are listed here by name, the smallest possible registry.
Third-party packages add theirs through the entry-point group
``govkit.checks`` (name = check id, value = "module:Class"). Saved suites name
checks by id, never by module path, so modules can move freely.

Every built-in check needs an optional extra (see :mod:`govkit.extras`): the
tabular extra to measure recorded predictions and data, the torch extra to run
a PyTorch model. That is declared here, next to the ids, so a missing extra is
found from the suite alone, before any check module is imported, and reported
once per extra instead of once per check.
"""

from __future__ import annotations

import importlib
from collections.abc import Iterable
from importlib.metadata import entry_points

from govkit.checks.base import Check
from govkit.diagnostics import closest
from govkit.errors import ConfigError
from govkit.extras import require_extras

__all__ = [
    "BUILTIN_CHECKS",
    "MODEL_CHECKS",
    "available_checks",
    "check_extra",
    "load_check",
    "require_check_extras",
]

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

#: built-in checks that run the model themselves (``requires_model``): the torch extra.
#: Every other built-in check needs only the tabular extra on recorded predictions.
MODEL_CHECKS: frozenset[str] = frozenset(
    {
        "fairness.counterfactual_flip",
        "attribution.importance",
        "attribution.completeness",
        "attribution.sanity",
        "attribution.sensitive_reliance",
    }
)


def check_extra(check_id: str) -> str | None:
    """The extra a built-in check needs to run; None for a third-party check.

    A project that runs its model (``model.path``) needs the torch extra for
    every check; this is what the check itself needs.
    """
    if check_id not in BUILTIN_CHECKS:
        return None
    return "torch" if check_id in MODEL_CHECKS else "tabular"


def require_check_extras(check_ids: Iterable[str], *, runs_model: bool) -> None:
    """Raise one error naming every extra the checks need and this install lacks.

    Parameters
    ----------
    check_ids
        The checks about to run; unknown and third-party ids are left to
        :func:`load_check`.
    runs_model
        The project runs its PyTorch model (``model.path``), so every check
        needs torch. In predictions-only mode the checks that run the model
        are skipped and only the tabular extra is needed.

    Raises
    ------
    govkit.extras.MissingExtraError
        One line per missing extra listing the checks that need it (exit 2).
    """
    extra = "torch" if runs_model else "tabular"
    users = [f"`{c}`" for c in dict.fromkeys(check_ids) if c in BUILTIN_CHECKS]
    why = {"torch": "govkit.yaml sets model.path, so govkit runs the PyTorch model"}
    # the run reads its data with pandas even when only third-party checks are chosen
    require_extras({extra: users or ["`govkit check`"]}, why=why if runs_model else None)


def _third_party() -> dict[str, tuple[str, str]]:
    """Entry points of the group ``govkit.checks``: id -> ("module:Class", distribution)."""
    found: dict[str, tuple[str, str]] = {}
    for ep in entry_points(group="govkit.checks"):
        dist = getattr(ep, "dist", None)
        found.setdefault(ep.name, (ep.value, str(getattr(dist, "name", None) or "unknown")))
    return found


def available_checks() -> dict[str, str]:
    """Built-in and installed third-party checks.

    A built-in id wins over a third-party registration of the same id, so an
    installed package can never silently replace a built-in check.
    """
    found = dict(BUILTIN_CHECKS)
    for check_id, (target, _) in _third_party().items():
        found.setdefault(check_id, target)
    return found


def _origin(check_id: str) -> str:
    """Where a registration comes from, for error messages."""
    if check_id in BUILTIN_CHECKS:
        return "built-in"
    dist = _third_party().get(check_id, ("", "unknown"))[1]
    return f"entry point 'govkit.checks' of the package {dist}"


def _unimportable(check_id: str, target: str, err: Exception) -> ConfigError:
    return ConfigError(
        f"check '{check_id}' is registered as '{target}' ({_origin(check_id)}), which "
        f"cannot be imported: {type(err).__name__}: {err}; fix or reinstall that package"
    )


def load_check(check_id: str) -> type[Check]:
    """Import the class registered under ``check_id`` and validate it.

    Raises
    ------
    ConfigError
        An unknown id (with the closest known one), or a registration that
        cannot be imported or is not a :class:`Check` subclass declaring that id;
        the message names the registration and the package it comes from. A
        built-in check whose extra is missing raises
        :class:`govkit.extras.MissingExtraError`, naming the extra.
    """
    registry = available_checks()
    target = registry.get(check_id)
    if target is None:
        guess = closest(check_id, list(registry))
        hint = (
            f"did you mean '{guess}'?" if guess else f"known checks: {', '.join(sorted(registry))}"
        )
        raise ConfigError(f"unknown check '{check_id}'; {hint}")
    module_name, sep, class_name = target.partition(":")
    if not sep or not module_name or not class_name:
        raise ConfigError(
            f"check '{check_id}' is registered as '{target}' ({_origin(check_id)}); "
            "expected 'package.module:ClassName'"
        )
    try:
        cls = getattr(importlib.import_module(module_name), class_name)
    except ModuleNotFoundError as err:
        extra = check_extra(check_id)
        if extra is not None:  # a built-in check: name the extra, not the module
            require_extras({extra: [f"`{check_id}`"]})
        raise _unimportable(check_id, target, err) from err
    except Exception as err:  # a third-party module may fail in any way while importing
        raise _unimportable(check_id, target, err) from err
    if not (isinstance(cls, type) and issubclass(cls, Check)):
        raise ConfigError(
            f"check '{check_id}' ({target}, {_origin(check_id)}) is not a subclass of "
            "govkit.checks.base.Check"
        )
    if getattr(cls, "id", None) != check_id:
        raise ConfigError(
            f"check '{check_id}' ({target}, {_origin(check_id)}) declares id "
            f"{getattr(cls, 'id', None)!r}; the class's `id` must equal its registered name"
        )
    return cls
