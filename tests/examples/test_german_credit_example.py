"""The German Credit example: predictions written for govkit's predictions-only mode."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from govkit.project import load_project_file

pytestmark = pytest.mark.slow  # the module fixture runs make_predictions.py in its own process

RAW_COLUMNS = [
    "risk",
    "sex",
    "job",
    "housing",
    "saving_accounts",
    "checking_account",
    "credit_amount",
    "duration",
    "purpose",
    "age",
]


@pytest.fixture(scope="module")
def german_credit(
    tmp_path_factory: pytest.TempPathFactory,
    example_copy: Callable[[str, Path], Path],
    script: Callable[..., str],
) -> Path:
    folder = example_copy("german_credit", tmp_path_factory.mktemp("german"))
    script(folder, "make_predictions.py")
    return folder


def test_predictions_file_has_the_declared_columns(german_credit: Path) -> None:
    project = load_project_file(german_credit / "govkit.yaml").model
    predictions = project.model.predictions
    assert predictions is not None and predictions.score is not None
    frame = pd.read_csv(german_credit / project.data.eval)

    declared = {predictions.label, predictions.score, project.data.label, *project.data.sensitive}
    assert declared <= set(frame.columns)
    assert list(frame.columns[: len(RAW_COLUMNS)]) == RAW_COLUMNS
    assert set(frame[predictions.label].unique()) <= {0, 1}
    assert frame[predictions.score].between(0, 1).all()
    # the label is the score against the project's threshold
    expected = (frame[predictions.score] >= project.model.threshold).astype(int)
    assert (frame[predictions.label] == expected).all()


def test_age_groups_bucket_age(german_credit: Path) -> None:
    frame = pd.read_csv(german_credit / "build" / "eval.csv")
    bucket = np.select([frame["age"] <= 25, frame["age"] <= 40], ["<=25", "26-40"], default=">40")
    assert (frame["age_group"] == bucket).all()
    # every group is large enough to be judged (min_group_size 30)
    assert frame["age_group"].value_counts().min() >= 30


def test_splits_partition_the_data(german_credit: Path) -> None:
    raw = pd.read_csv(german_credit / "data" / "german_credit.csv")
    parts = [pd.read_csv(german_credit / "build" / f"{s}.csv") for s in ("train", "eval")]
    assert len(parts[0]) == 700 and len(parts[1]) == 300
    rejoined = pd.concat([p[RAW_COLUMNS] for p in parts]).sort_values(RAW_COLUMNS)
    pd.testing.assert_frame_equal(
        rejoined.reset_index(drop=True), raw.sort_values(RAW_COLUMNS).reset_index(drop=True)
    )
    # better than always predicting "good" (70% of rows)
    evaluation = parts[1]
    assert float((evaluation["predicted_risk"] == evaluation["risk"]).mean()) > 0.70
