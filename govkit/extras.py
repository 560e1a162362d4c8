"""Which optional extra brings which package, and which extras are installed here.

govkit's core (documents, ``validate``, ``init``, ``schema``, the pre-commit
hook) needs only pydantic, jinja2, markdown-it-py, PyYAML and click. Measuring
and rendering need more, grouped in extras of the distribution
:data:`DISTRIBUTION`:

- ``tabular``: the checks that need only predictions and data (numpy, pandas,
  pyarrow, scikit-learn, SciPy, fairlearn, and DuckDB for data larger than
  memory), without torch;
- ``torch``: ``tabular`` plus torch, captum and shap, to run a PyTorch model
  (model checks, attribution, membership inference on a model);
- ``pdf``: WeasyPrint, matplotlib and pypdf, for HTML and PDF packets;
- ``mlflow``: MLflow, for ``govkit check --mlflow``; imported only when asked;
- ``ray``: Ray Data, for ``govkit check --engine ray``; imported only when asked.

Whether a package is installed is asked with :func:`importlib.util.find_spec`,
which finds a module without importing it: ``govkit --version`` and the checks
for a missing extra stay instant and never load torch.

This module is the one place an install command is written, so every hint
names the same distribution and never asks for an unpinned torch.
"""

from __future__ import annotations

import importlib.util
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

from govkit.errors import ConfigError

__all__ = [
    "COMMAND_EXTRAS",
    "DISTRIBUTION",
    "EXTRAS",
    "TORCH_PIN",
    "Extra",
    "MissingExtraError",
    "Package",
    "extra_status",
    "install_command",
    "installed_extras",
    "missing_packages",
    "require_extras",
    "version_line",
]

#: the name on the package index; the import package and the command stay ``govkit``
DISTRIBUTION = "govkit-rai"

#: torch is never installed unpinned: an unpinned torch pulls a multi-GB CUDA build
TORCH_PIN = "torch==2.13.0"


@dataclass(frozen=True)
class Package:
    """One package of an extra: its name on the index and the module it installs."""

    distribution: str
    module: str


@dataclass(frozen=True)
class Extra:
    """An optional extra: its own packages and the extras it includes."""

    name: str
    packages: tuple[Package, ...]
    includes: tuple[str, ...] = ()


def _pkg(distribution: str, module: str | None = None) -> Package:
    return Package(distribution, module or distribution)


#: every extra that brings packages, in the order ``--version`` lists them
EXTRAS: dict[str, Extra] = {
    "tabular": Extra(
        "tabular",
        (
            _pkg("numpy"),
            _pkg("pandas"),
            _pkg("pyarrow"),
            _pkg("scikit-learn", "sklearn"),
            _pkg("scipy"),
            _pkg("fairlearn"),
            _pkg("duckdb"),
        ),
    ),
    "torch": Extra(
        "torch",
        (_pkg("torch"), _pkg("captum"), _pkg("shap")),
        includes=("tabular",),
    ),
    "pdf": Extra(
        "pdf",
        (_pkg("weasyprint"), _pkg("matplotlib"), _pkg("pypdf")),
    ),
    "mlflow": Extra("mlflow", (_pkg("mlflow"),)),
    "ray": Extra("ray", (_pkg("ray"),), includes=("tabular",)),
}


#: what each command needs beyond the core, as the README's reference shows it
COMMAND_EXTRAS: dict[str, str] = {
    "check": "tabular; torch when govkit.yaml sets `model.path` (the model runs); "
    "mlflow with `--mlflow`",
    "init": "core",
    "render": "core for `--format md`; pdf for `html` (its charts) and `pdf`; "
    "mlflow with `--mlflow`",
    "schema": "core",
    "sign": "core",
    "validate": "core",
    "verify": "core",
    "export": "core; tabular for `croissant` (it reads the data's columns)",
    "diff": "core",
    "import": "core",
}


def _all_packages(extra: str) -> tuple[Package, ...]:
    """The packages of ``extra`` and of the extras it includes, included ones first."""
    spec = EXTRAS[extra]
    found: list[Package] = []
    for inner in spec.includes:
        found += _all_packages(inner)
    return tuple(found) + spec.packages


def _is_installed(module: str) -> bool:
    try:
        return importlib.util.find_spec(module) is not None
    except (ImportError, ValueError):  # a broken parent package, or a module without a spec
        return False


def missing_packages(extra: str, *, modules: Iterable[str] | None = None) -> list[Package]:
    """The packages of ``extra`` (and of the extras it includes) not installed here.

    Parameters
    ----------
    extra
        A key of :data:`EXTRAS`.
    modules
        Only these modules of the extra matter (e.g. ``matplotlib`` alone for
        HTML charts); default: all of them.

    Returns
    -------
    list of Package
        Empty when the extra is fully installed.
    """
    wanted = None if modules is None else set(modules)
    return [
        p
        for p in _all_packages(extra)
        if (wanted is None or p.module in wanted) and not _is_installed(p.module)
    ]


def extra_status(extra: str) -> str:
    """``"installed"``, ``"partial"`` (some of its packages missing) or ``"missing"``."""
    packages = _all_packages(extra)
    missing = missing_packages(extra)
    if not missing:
        return "installed"
    return "missing" if len(missing) == len(packages) else "partial"


def installed_extras() -> list[str]:
    """The extras whose every package is installed, in :data:`EXTRAS` order."""
    return [name for name in EXTRAS if extra_status(name) == "installed"]


def install_command(extra: str) -> str:
    """The command that adds ``extra`` to an installed govkit.

    With govkit already installed (from a wheel or a clone), pip finds the
    distribution satisfied and installs only the extra's packages.
    """
    command = f"pip install '{DISTRIBUTION}[{extra}]'"
    if "torch" in {p.module for p in _all_packages(extra)}:
        command += f" '{TORCH_PIN}'"
    return command


def version_line(version: str) -> str:
    """What ``govkit --version`` prints: the version, the distribution and the extras."""
    installed = installed_extras()
    text = f"govkit {version} ({DISTRIBUTION}; extras: {', '.join(installed) or 'none'}"
    # an extra is "partly installed" by its own packages: torch is not partly
    # installed because numpy (of the tabular extra it includes) is present
    for name, extra in EXTRAS.items():
        own = {p.module for p in extra.packages}
        missing = [p.distribution for p in missing_packages(name, modules=own)]
        if 0 < len(missing) < len(own):
            text += f"; {name} partly installed, missing {', '.join(missing)}"
    return text + ")"


class MissingExtraError(ConfigError):
    """Something asked for needs an extra that is not (fully) installed (exit 2).

    The message holds one line per missing extra, each naming what needs it
    and the command that installs it.
    """

    def render(self) -> str:
        return "\n".join(f"error: {line}" for line in self.message.splitlines())


def _needs_sentence(users: Sequence[str], extra: str) -> str:
    verb = "needs" if len(users) == 1 else "need"
    return f"{', '.join(users)} {verb} the {extra} extra"


def require_extras(
    needs: Mapping[str, Sequence[str]],
    *,
    modules: Mapping[str, Iterable[str]] | None = None,
    why: Mapping[str, str] | None = None,
) -> None:
    """Raise one error listing every extra that ``needs`` asks for and is missing.

    Parameters
    ----------
    needs
        Extra name -> what needs it, as shown to the user (check ids in
        backticks, a command, a key of govkit.yaml).
    modules
        Extra name -> the only modules of that extra that matter here.
    why
        Extra name -> a reason shown after the users, when it is not obvious.

    Raises
    ------
    MissingExtraError
        One line per missing extra, not one per check: which checks or
        commands need it, which of its packages are absent when it is only
        partly installed, and the command that installs it.
    """
    lines: list[str] = []
    for extra, users in needs.items():
        if not users:
            continue
        only = set(modules[extra]) if modules is not None and extra in modules else None
        missing = missing_packages(extra, modules=only)
        if not missing:
            continue
        sentence = _needs_sentence(list(dict.fromkeys(users)), extra)
        if why is not None and extra in why:
            sentence += f" ({why[extra]})"
        wanted = [p for p in _all_packages(extra) if only is None or p.module in only]
        if len(missing) < len(wanted):
            names = ", ".join(p.distribution for p in missing)
            sentence += f", which is only partly installed (missing: {names})"
        lines.append(f"{sentence}: {install_command(extra)}")
    if lines:
        raise MissingExtraError("\n".join(lines))
