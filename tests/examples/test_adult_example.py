"""The Adult example: the training script, the exported model and the input encoding."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from types import ModuleType

import pandas as pd
import pytest
import torch

pytestmark = pytest.mark.slow  # every test here uses the Adult model, trained on the full data

N_ROWS = 32_561  # adult.csv without its header


Loader = Callable[[Path, str], ModuleType]


@pytest.fixture
def adult_model(
    trained_adult: Path, load_file: Loader, request: pytest.FixtureRequest
) -> ModuleType:
    """The trained copy's adult_model module, under a name of its own."""
    return load_file(trained_adult / "adult_model.py", f"_adult_model_{request.node.name}")


def _accuracy(folder: Path, module: ModuleType, split: str) -> float:
    frame = pd.read_parquet(folder / "build" / "data" / f"{split}.parquet")
    x, _ = module.transform(frame)
    program = torch.export.load(str(folder / "artifacts" / "seed_0.pt2"))
    with torch.inference_mode():
        logits = program.module()(x)
    predicted = (logits > 0).numpy()
    truth = (frame["class"] == ">50K").to_numpy()
    return float((predicted == truth).mean())


def test_exported_model_is_accurate_on_eval(trained_adult: Path, adult_model: ModuleType) -> None:
    # a majority-class guess scores 0.76 on Adult; a working MLP clears 0.8 comfortably
    assert _accuracy(trained_adult, adult_model, "eval") > 0.8


def test_splits_keep_raw_columns_and_partition_the_data(trained_adult: Path) -> None:
    train = pd.read_parquet(trained_adult / "build" / "data" / "train.parquet")
    evaluation = pd.read_parquet(trained_adult / "build" / "data" / "eval.parquet")
    raw = pd.read_csv(trained_adult / "data" / "adult.csv")
    assert list(train.columns) == list(raw.columns) == list(evaluation.columns)
    assert len(train) + len(evaluation) == len(raw) == N_ROWS
    # 30%, up to rounding in each label x sex x race stratum
    assert len(evaluation) == pytest.approx(0.3 * N_ROWS, abs=20)
    # no evaluation row is also a training row (identical rows stay together)
    assert pd.merge(train.drop_duplicates(), evaluation.drop_duplicates()).empty
    # stratified: the positive rate is the same in both splits
    rate = lambda f: float((f["class"] == ">50K").mean())  # noqa: E731
    assert rate(train) == pytest.approx(rate(evaluation), abs=0.002)
    # and so is every sex x race group's share
    shares = [f.groupby(["sex", "race"]).size() / len(f) for f in (train, evaluation)]
    assert (shares[0] - shares[1]).abs().max() < 0.002
    # every raw row lands in exactly one split, unedited
    both = pd.concat([train, evaluation]).sort_values(list(raw.columns)).reset_index(drop=True)
    expected = raw.sort_values(list(raw.columns)).reset_index(drop=True)
    pd.testing.assert_frame_equal(both, expected, check_dtype=False)


def test_transform_names_and_groups_columns(trained_adult: Path, adult_model: ModuleType) -> None:
    module = adult_model
    frame = pd.read_parquet(trained_adult / "build" / "data" / "eval.parquet")
    x, names = module.transform(frame)
    stored = json.loads((trained_adult / "artifacts" / "preprocess.json").read_text())

    assert x.dtype == torch.float32
    assert x.shape == (len(frame), len(names))
    assert names == stored["columns"]
    assert names[: len(module.NUMERIC)] == list(module.NUMERIC)
    assert {"sex=Female", "sex=Male", "race=White", "race=Black"} <= set(names)
    assert "workclass=unknown" in names  # "?" in the raw data
    assert not any(n.startswith(("fnlwgt", "education=")) for n in names)
    groups = {module.feature_of(n) for n in names}
    assert groups == set(module.NUMERIC) | set(module.CATEGORICAL)

    # one-hot blocks: each row has exactly one level per categorical feature
    for feature in module.CATEGORICAL:
        columns = [i for i, n in enumerate(names) if module.feature_of(n) == feature]
        assert torch.all(x[:, columns].sum(dim=1) <= 1)
        assert float(x[:, columns].sum(dim=1).mean()) > 0.99
    sex_female = names.index("sex=Female")
    assert torch.equal(x[:, sex_female] == 1, torch.tensor((frame["sex"] == "Female").to_numpy()))
    # numeric columns are standardised with the training statistics
    assert abs(float(x[:, 0].mean())) < 0.1


def test_transform_handles_missing_and_unseen_values(
    trained_adult: Path, adult_model: ModuleType
) -> None:
    module = adult_model
    frame = pd.read_parquet(trained_adult / "build" / "data" / "eval.parquet").head(3).copy()
    frame["workclass"] = ["?", "Never-seen-before", "Private"]
    frame.loc[frame.index[0], "age"] = float("nan")
    x, names = module.transform(frame)
    block = [i for i, n in enumerate(names) if n.startswith("workclass=")]
    assert x[0, names.index("workclass=unknown")] == 1
    assert torch.all(x[1, block] == 0)  # an unseen level moves no column
    assert x[2, names.index("workclass=Private")] == 1
    assert x[0, names.index("age")] == 0  # missing -> the training mean
    assert torch.isfinite(x).all()


def test_transform_needs_its_columns(trained_adult: Path, adult_model: ModuleType) -> None:
    module = adult_model
    frame = pd.read_parquet(trained_adult / "build" / "data" / "eval.parquet").drop(columns="sex")
    with pytest.raises(KeyError, match="sex"):
        module.transform(frame)


def test_exported_model_takes_any_batch_size(trained_adult: Path) -> None:
    program = torch.export.load(str(trained_adult / "artifacts" / "seed_0.pt2"))
    width = len(
        json.loads((trained_adult / "artifacts" / "preprocess.json").read_text())["columns"]
    )
    for rows in (1, 3, 1000):
        assert program.module()(torch.zeros(rows, width)).shape == (rows,)


def _state(folder: Path, name: str = "seed_0") -> tuple[dict[str, torch.Tensor], bytes]:
    program = torch.export.load(str(folder / "artifacts" / f"{name}.pt2"))
    weights = {k: v.detach().clone() for k, v in program.state_dict.items()}
    return weights, (folder / "artifacts" / "preprocess.json").read_bytes()


def test_training_is_deterministic(
    tmp_path: Path,
    example_copy: Callable[[str, Path], Path],
    train_adult: Callable[..., None],
) -> None:
    folders = [example_copy("adult", tmp_path / run) for run in ("a", "b")]
    for folder in folders:
        train_adult(folder, "--rows", "4000", "--epochs", "2", "--seed", "3")
    (first, pre_a), (second, pre_b) = (_state(f) for f in folders)
    assert pre_a == pre_b
    assert first.keys() == second.keys() and first
    for key in first:
        assert torch.equal(first[key], second[key]), key
    for split in ("train", "eval"):
        frames = [pd.read_parquet(f / "build" / "data" / f"{split}.parquet") for f in folders]
        pd.testing.assert_frame_equal(frames[0], frames[1])
