"""``hub_id``: a data set's Hugging Face Hub id on dataset cards and dataset references."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from tests.helpers import minimal

Run = Callable[..., tuple[int, str, str]]
Write = Callable[..., Path]


@pytest.mark.parametrize("hub_id", ["scikit-learn/adult-census-income", "acme/data_v1.2"])
def test_an_owner_name_hub_id_validates(cli: Run, write: Write, hub_id: str) -> None:
    card = minimal("dataset_card")
    card["hub_id"] = hub_id
    model = minimal("model_card")
    model["training_data"]["datasets"][0]["hub_id"] = hub_id
    for name, data in (("dataset_card.yaml", card), ("model_card.yaml", model)):
        code, _, err = cli("validate", str(write(name, data)))
        assert code == 0, err


@pytest.mark.parametrize("hub_id", ["adult", "acme/", "acme/adult/extra", "-acme/adult", "a b/c"])
def test_a_malformed_hub_id_is_a_located_error(cli: Run, write: Write, hub_id: str) -> None:
    data = minimal("dataset_card")
    data["hub_id"] = hub_id
    path = write("dataset_card.yaml", data)
    code, _, err = cli("validate", str(path))
    assert code == 1
    line = next(t for t in err.splitlines() if "hub_id" in t)
    assert line.startswith(f"{path}:") and line.split(":")[1].isdigit()
    assert "expected a Hugging Face Hub id 'owner/name'" in line
