"""The package's metadata, extras and install instructions say the same thing everywhere.

pyproject.toml, govkit/extras.py, the registry, constraints.txt and every
install line in the README and the examples must agree: one distribution name
that is ours, extras that bring what their checks import, and never an
unpinned torch.
"""

from __future__ import annotations

import re
import shlex
import tomllib
from pathlib import Path

import click
import pytest

from govkit.checks.registry import BUILTIN_CHECKS, MODEL_CHECKS, check_extra, load_check
from govkit.cli import app
from govkit.extras import COMMAND_EXTRAS, DISTRIBUTION, EXTRAS, TORCH_PIN, install_command

REPO = Path(__file__).resolve().parents[2]
PYPROJECT = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))
CORE = {"pydantic", "jinja2", "markdown-it-py", "pyyaml", "click"}


def _name(requirement: str) -> str:
    return re.split(r"[\s<>=!~;\[]", requirement, maxsplit=1)[0].lower()


def _self_extras(requirement: str) -> set[str]:
    match = re.fullmatch(rf"{re.escape(DISTRIBUTION)}\[([\w,]+)\]", requirement)
    return set(match.group(1).split(",")) if match else set()


def _resolve(extra: str) -> set[str]:
    """Every distribution an extra of pyproject.toml brings, self-references followed."""
    found: set[str] = set()
    for requirement in PYPROJECT["project"]["optional-dependencies"][extra]:
        inner = _self_extras(requirement)
        found |= set().union(*(_resolve(e) for e in inner)) if inner else {_name(requirement)}
    return found


def _constraints() -> dict[str, str]:
    pins = {}
    for line in (REPO / "constraints.txt").read_text().splitlines():
        if line and not line.startswith("#"):
            name, _, version = line.partition("==")
            pins[name.lower().replace("_", "-")] = version
    return pins


def test_the_distribution_is_ours_and_the_command_stays_govkit() -> None:
    project = PYPROJECT["project"]
    assert project["name"] == DISTRIBUTION == "govkit-rai"
    assert project["scripts"] == {"govkit": "govkit.cli:main"}
    assert PYPROJECT["tool"]["hatch"]["version"]["path"] == "govkit/__init__.py"
    assert project["requires-python"] == ">=3.11"


def test_the_core_is_documents_only() -> None:
    assert {_name(r) for r in PYPROJECT["project"]["dependencies"]} == CORE


@pytest.mark.parametrize("extra", sorted(EXTRAS))
def test_extras_module_matches_pyproject(extra: str) -> None:
    declared = {p.distribution for p in EXTRAS[extra].packages}
    included = set().union(*(_resolve(e) for e in EXTRAS[extra].includes))
    assert _resolve(extra) == declared | included


def test_every_extra_of_pyproject_is_known_to_govkit() -> None:
    # a new extra goes into govkit/extras.py too, so --version and the errors know it
    combined = {"checks", "all", "dev"}
    assert set(PYPROJECT["project"]["optional-dependencies"]) == set(EXTRAS) | combined


def test_aliases_and_the_dev_extra() -> None:
    assert _resolve("checks") == _resolve("torch")
    assert _resolve("all") == _resolve("torch") | _resolve("pdf")
    assert "torch" not in _resolve("tabular") and "torch" not in _resolve("pdf")
    dev = _resolve("dev")
    assert _resolve("all") <= dev
    assert {"build", "twine", "hypothesis", "pytest"} <= dev


def test_constraints_pin_every_dependency_and_torch() -> None:
    pins = _constraints()
    wanted = CORE | _resolve("dev")
    assert not wanted - set(pins), f"constraints.txt does not pin {sorted(wanted - set(pins))}"
    assert f"torch=={pins['torch']}" == TORCH_PIN


def test_each_builtin_check_declares_its_extra() -> None:
    for check_id in BUILTIN_CHECKS:
        cls = load_check(check_id)
        assert (check_id in MODEL_CHECKS) == cls.requires_model, check_id
        assert check_extra(check_id) == ("torch" if cls.requires_model else "tabular")
    assert set(BUILTIN_CHECKS) >= MODEL_CHECKS
    assert check_extra("acme.custom") is None


def test_every_command_declares_its_extra() -> None:
    ctx = click.Context(app, info_name="govkit")
    assert set(app.list_commands(ctx)) == set(COMMAND_EXTRAS)


def test_install_commands_name_our_distribution_and_pin_torch() -> None:
    assert install_command("tabular") == "pip install 'govkit-rai[tabular]'"
    assert install_command("pdf") == "pip install 'govkit-rai[pdf]'"
    assert install_command("torch") == "pip install 'govkit-rai[torch]' 'torch==2.13.0'"


# --- every install instruction -------------------------------------------------------------

#: extras that bring torch: installing one of them must pin it
_TORCH_EXTRAS = {"torch", "checks", "all", "dev"}


def _install_lines() -> list[tuple[str, str]]:
    """(file, line) for every ``pip install`` in the docs, the examples and the code."""
    files = [
        REPO / "README.md",
        REPO / "Makefile",
        REPO / ".pre-commit-hooks.yaml",
        *sorted((REPO / "examples").glob("*/README.md")),
        *sorted((REPO / "examples").glob("*/*.sh")),
        *sorted((REPO / "govkit").rglob("*.py")),
    ]
    found = []
    for path in files:
        for line in path.read_text(encoding="utf-8").splitlines():
            if "pip install" in line:
                found.append((str(path.relative_to(REPO)), line))
    return found


def _requirements(line: str) -> list[str]:
    # the command ends at a comment, or at the backtick closing it in prose
    text = line.split("pip install", 1)[1].split(" #", 1)[0].split("`", 1)[0]
    text = re.sub(r"\$\(\w+\)", "", text)  # Makefile variables
    try:
        tokens = shlex.split(text)
    except ValueError:  # a line that quotes across lines: judge the raw words
        tokens = text.split()
    return [t.strip("`\"'") for t in tokens if not t.startswith("-") and t != "constraints.txt"]


def test_no_instruction_installs_the_index_govkit() -> None:
    lines = _install_lines()
    assert len(lines) >= 10, "the install instructions went missing"
    for where, line in lines:
        for requirement in _requirements(line):
            name = re.split(r"[\[<>=!~]", requirement, maxsplit=1)[0]
            assert name.lower() not in {"govkit", "govkit_rai"}, f"{where}: {line.strip()}"


def test_every_instruction_that_installs_torch_pins_it() -> None:
    for where, line in _install_lines():
        requirements = _requirements(line)
        extras = set().union(
            *(set(m.split(",")) for r in requirements for m in re.findall(r"\[([\w,]+)\]", r))
        )
        bare_torch = [r for r in requirements if re.match(r"torch\b", r)]
        if extras & _TORCH_EXTRAS or bare_torch:
            pinned = TORCH_PIN in requirements or (
                "-c" in line and "constraints.txt" in line and not bare_torch
            )
            assert pinned or TORCH_PIN in bare_torch, f"{where}: {line.strip()}"
        assert all(r == TORCH_PIN for r in bare_torch), f"{where}: {line.strip()}"


def test_install_hints_in_the_code_come_from_one_place() -> None:
    # a hint to install govkit itself or one of its extras is written by install_command;
    # other packages (safetensors, say) may be named directly
    for where, line in _install_lines():
        if where.startswith("govkit/") and where != "govkit/extras.py":
            assert "govkit" not in line.split("pip install", 1)[1], f"{where}: {line.strip()}"
