"""The attribution engine knows tensors, not checks.

``govkit.attribution`` computes attributions from tensors and arrays; the
check-facing side (parameters, skip guards, the explain-and-memoise step) is
in ``govkit.checks``. If an engine module imported ``govkit.checks``, the two
would again depend on each other, so every module's imports are read here,
including those made inside functions and under ``TYPE_CHECKING``, and the
engine is run here on tensors alone, with no check context.
"""

from __future__ import annotations

import ast
import importlib
import pkgutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import torch

import govkit.attribution
from govkit.attribution import AttributionSetup, TargetScore, attribute, feature_map

ENGINE = Path(govkit.attribution.__file__).parent

#: what an engine module may import from govkit: only the engine itself and
#: the statistics helpers it builds its estimators on
ALLOWED_GOVKIT = ("govkit.attribution", "govkit.stats")


def _modules() -> list[str]:
    names = [m.name for m in pkgutil.iter_modules([str(ENGINE)])]
    return ["govkit.attribution"] + [f"govkit.attribution.{n}" for n in sorted(names)]


def _imported(module: str) -> set[str]:
    """Every absolute module name ``module`` imports, anywhere in its source."""
    spec = importlib.util.find_spec(module)
    assert spec is not None and spec.origin is not None
    tree = ast.parse(Path(spec.origin).read_text(encoding="utf-8"))
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module)
    # the package's lazy names are imported by string (PEP 562)
    found.update(getattr(importlib.import_module(module), "_LAZY", {}).values())
    return found


def test_every_engine_module_is_read() -> None:
    modules = _modules()
    assert "govkit.attribution._explain" in modules
    assert "govkit.attribution._target" in modules
    assert len(modules) >= 10


def test_no_engine_module_imports_the_checks() -> None:
    offending = {
        module: sorted(
            name
            for name in _imported(module)
            if name.split(".")[0] == "govkit" and not name.startswith(ALLOWED_GOVKIT)
        )
        for module in _modules()
    }
    assert {m: names for m, names in offending.items() if names} == {}


def test_the_reader_finds_checks_imports_where_there_are_some() -> None:
    # the check-facing side imports the checks in all three ways the reader handles:
    # at the top, inside a function (importance.measure) and under TYPE_CHECKING
    assert "govkit.checks.base" in _imported("govkit.checks._attribution")
    assert "govkit.checks._attribution_explain" in _imported("govkit.checks.importance")
    assert "govkit.checks.context" in _imported("govkit.checks._attribution_explain")


def test_loading_the_whole_engine_loads_no_check() -> None:
    # a fresh interpreter, so modules other tests loaded do not count
    code = (
        "import importlib, sys\n"
        f"for m in {_modules()!r}: importlib.import_module(m)\n"
        "print(sorted(m for m in sys.modules if m.startswith('govkit.checks')))\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=120
    )
    assert out.stdout.strip() == "[]"


def _linear_setup(n_baselines: int) -> tuple[AttributionSetup, TargetScore, np.ndarray]:
    """A two-logit linear model on 3 input columns, columns 1 and 2 one feature."""
    rng = np.random.default_rng(7)
    w = torch.as_tensor(rng.normal(size=(3, 2)), dtype=torch.float32)
    x = torch.as_tensor(rng.normal(size=(40, 3)), dtype=torch.float32)
    baselines = torch.as_tensor(rng.normal(size=(n_baselines, 3)), dtype=torch.float32)

    def model(inputs: torch.Tensor) -> torch.Tensor:
        return inputs @ w

    score = TargetScore(model, lambda raw: torch.log_softmax(raw, dim=1), "binary")
    fmap = feature_map(3, ["age", "c1", "c2"], {"colour": [1, 2]})
    setup = AttributionSetup(
        np.arange(40), 40, [], x, baselines, "test", None, fmap, torch.device("cpu")
    )
    # the score is the logit difference, linear: each column's exact attribution is
    # its weight times its distance from the baseline, averaged over the baselines
    direction = (w[:, 1] - w[:, 0]).double().numpy()
    expected = direction * (x.double().numpy() - baselines.double().numpy().mean(axis=0))
    return setup, score, expected


@pytest.mark.parametrize("n_baselines", [1, 3])
def test_the_engine_explains_tensors_without_a_check_context(n_baselines: int) -> None:
    setup, score, expected = _linear_setup(n_baselines)
    exp = attribute(
        setup,
        score,
        method="integrated_gradients",
        n_steps=8,
        integration="gausslegendre",
        n_samples=1,
        seed=0,
    )
    assert exp.features == ["colour", "age"]
    np.testing.assert_allclose(exp.inputs, expected, atol=1e-5)
    np.testing.assert_allclose(exp.per_row[:, 0], expected[:, 1] + expected[:, 2], atol=1e-5)
    np.testing.assert_allclose(exp.per_row[:, 1], expected[:, 0], atol=1e-5)
    assert exp.scores is not None  # completeness: attributions add up to the change in score
    np.testing.assert_allclose(exp.inputs.sum(axis=1), exp.scores[0] - exp.scores[1], atol=1e-4)


def test_the_engine_refuses_a_method_it_does_not_have() -> None:
    setup, score, _ = _linear_setup(1)
    with pytest.raises(ValueError, match="unknown attribution method 'lime'"):
        attribute(
            setup,
            score,
            method="lime",
            n_steps=8,
            integration="gausslegendre",
            n_samples=1,
            seed=0,
        )
