"""``govkit export hf-dataset``: the dataset card as the Hub's dataset card."""

from __future__ import annotations

from pathlib import Path

import pytest
from huggingface_hub import DatasetCard

from govkit.export.hf_dataset import size_category
from tests.export.hf_helpers import adult_copy, govkit


def test_dataset_card_parses_with_huggingface_hub(tmp_path: Path) -> None:
    config = adult_copy(tmp_path)
    out = tmp_path / "README.md"
    assert govkit("export", "hf-dataset", "-c", config, "--out", out) == 0
    card = DatasetCard.load(out)
    data = card.data.to_dict()
    assert data["license"] == "cc-by-4.0"
    assert data["pretty_name"] == "UCI Adult (Census Income)"
    assert data["task_categories"] == ["tabular-classification"]
    assert data["tags"][:2] == ["govkit", "tabular"]
    assert data["govkit"]["dataset_card"] == "adult-dataset-card"
    for section in (
        "## Dataset Details",
        "## Uses",
        "## Dataset Structure",
        "## Dataset Creation",
        "## Personal and Sensitive Information",
        "## Bias, Risks, and Limitations",
        "## Licensing",
    ):
        assert f"\n{section}\n" in card.text
    # sensitive fields are described by name and handling, with no values of them
    assert "| sex | demographic |" in card.text
    again = tmp_path / "again.md"
    assert govkit("export", "hf-dataset", "-c", config, "--out", again) == 0
    assert again.read_bytes() == out.read_bytes()


def test_a_project_without_a_dataset_card_is_a_config_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    config = adult_copy(tmp_path)
    text = config.read_text(encoding="utf-8").replace("  - docs/dataset_card.yaml\n", "")
    config.write_text(text, encoding="utf-8")
    assert govkit("export", "hf-dataset", "-c", config, "--out", tmp_path / "x.md") == 2
    err = capsys.readouterr().err
    assert "needs a dataset_card" in err and "Traceback" not in err


@pytest.mark.parametrize(
    ("rows", "category"),
    [
        (0, "n<1K"),
        (999, "n<1K"),
        (1_000, "1K<n<10K"),
        (32_561, "10K<n<100K"),
        (2 * 10**9, "1B<n<10B"),
        (10**13, "n>1T"),
    ],
)
def test_size_categories_are_the_hubs(rows: int, category: str) -> None:
    assert size_category(rows) == category
