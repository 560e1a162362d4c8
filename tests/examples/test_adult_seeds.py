"""The Adult example's five training seeds: trained together, named in govkit.yaml, promised
by the plan."""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from types import ModuleType

import pytest
import torch
import yaml

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "adult"

Loader = Callable[[Path, str], ModuleType]


@pytest.fixture
def train_module(load_file: Loader) -> Iterator[ModuleType]:
    """examples/adult/train.py imported, sys.path and adult_model restored afterwards."""
    saved_path, saved_module = sys.path.copy(), sys.modules.pop("adult_model", None)
    try:
        yield load_file(EXAMPLE / "train.py", "_adult_train_seeds")
    finally:
        sys.path[:] = saved_path
        sys.modules.pop("adult_model", None)
        if saved_module is not None:
            sys.modules["adult_model"] = saved_module


def test_seeds_trained_together_equal_each_trained_alone(train_module: ModuleType) -> None:
    # the batched training must be exactly K separate trainings: same initial weights,
    # same batches, same updates; a seed mixed into another's gradient would show here
    gen = torch.Generator().manual_seed(7)
    x = torch.randn(600, 12, generator=gen)
    y = (x[:, 0] + 0.5 * torch.randn(600, generator=gen) > 0).float()
    together = train_module.fit_seeds(x, y, epochs=2, seeds=[3, 11])
    for seed, model in zip([3, 11], together, strict=True):
        alone = train_module.fit(x, y, epochs=2, seed=seed)
        for (name, a), b in zip(
            alone.state_dict().items(), model.state_dict().values(), strict=True
        ):
            torch.testing.assert_close(b, a, atol=2e-5, rtol=1e-4, msg=f"seed {seed} {name}")
    first, second = (dict(m.state_dict()) for m in together)
    assert not torch.equal(first["net.0.weight"], second["net.0.weight"])


def test_project_names_the_seeds_train_writes_and_the_plan_promises(
    train_module: ModuleType,
) -> None:
    project = yaml.safe_load((EXAMPLE / "govkit.yaml").read_text(encoding="utf-8"))
    plan = yaml.safe_load((EXAMPLE / "docs" / "experiment_plan.yaml").read_text("utf-8"))
    n = train_module.N_SEEDS
    assert n == 5
    assert "path" not in project["model"]
    assert project["model"]["paths"] == [f"artifacts/seed_{k}.pt2" for k in range(n)]
    assert plan["sample_size"]["n_seeds"] == n
    assert plan["sample_size"]["seeds"] == list(range(n))


def test_train_writes_one_checkpoint_per_seed_and_drops_stale_ones(
    tmp_path: Path,
    example_copy: Callable[[str, Path], Path],
    train_adult: Callable[..., None],
) -> None:
    folder = example_copy("adult", tmp_path)
    stale = folder / "artifacts" / "seed_4.pt2"
    stale.parent.mkdir(parents=True)
    stale.write_bytes(b"an earlier run's checkpoint")
    train_adult(folder, "--rows", "3000", "--epochs", "1", "--seeds", "2")
    written = sorted(p.name for p in (folder / "artifacts").glob("*.pt2"))
    assert written == ["logistic.pt2", "seed_0.pt2", "seed_1.pt2"]
    weights = [
        torch.export.load(str(folder / "artifacts" / f"seed_{k}.pt2")).state_dict["net.0.weight"]
        for k in range(2)
    ]
    assert not torch.equal(weights[0], weights[1])
