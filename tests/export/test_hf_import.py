"""``govkit import hf``: any Hugging Face model card in, a govkit model card out, nothing lost."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from huggingface_hub import ModelCard, ModelCardData

from govkit.documents.load import load_document
from govkit.documents.model_card import ModelCard as GovkitModelCard
from tests.export.hf_helpers import govkit


def _load(path: Path) -> GovkitModelCard:
    model = load_document(path).model
    assert isinstance(model, GovkitModelCard)
    return model


def _hub_card(path: Path) -> Path:
    """A card made with the Hub's own template, as `huggingface_hub` fills it in."""
    data = ModelCardData(
        language="en",
        license="mit",
        library_name="pytorch",
        datasets=["scikit-learn/adult-census-income"],
        metrics=["accuracy"],
        base_model="acme/tabular-base",
    )
    card = ModelCard.from_template(
        data,
        model_id="acme/income-mlp",
        model_summary="Predicts whether income exceeds $50K.",
        developers="ACME Lab",
        direct_use="Teaching fairness evaluation.",
        out_of_scope_use="Credit or hiring decisions.",
        bias_risks_limitations="Learned from 1994 census data.",
        hardware_type="1 CPU core",
        hours_used="0.1",
        testing_metrics="Accuracy on a held-out split, because classes are balanced.",
        citation_bibtex="@misc{acme2026, title={Income MLP}}",
    )
    card.save(path)
    return path


def test_a_hub_template_card_becomes_a_valid_model_card(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    card = _hub_card(tmp_path / "README.md")
    out = tmp_path / "model_card.yaml"
    assert govkit("import", "hf", card, "--out", out) == 0
    err = capsys.readouterr().err

    model = _load(out)  # valid as written
    assert model.name == "acme/income-mlp"
    assert model.summary == "Predicts whether income exceeds $50K."
    assert model.license.spdx_id == "MIT"
    assert [d.name for d in model.developers] == ["ACME Lab"]
    assert model.intended_uses == ["Teaching fairness evaluation."]
    assert model.out_of_scope_uses == ["Credit or hiring decisions."]
    assert model.limitations == "Learned from 1994 census data."
    assert model.model_type.fine_tuned is True
    assert isinstance(model.base_model, list)
    assert [m.name for m in model.base_model] == ["acme/tabular-base"]
    assert [d.hub_id for d in model.training_data.datasets] == ["scikit-learn/adult-census-income"]
    compute = model.compute_and_environment
    assert compute is not None and (compute.hardware, compute.hours) == ("1 CPU core", 0.1)
    assert model.citation == "@misc{acme2026, title={Income MLP}}"

    # what has no govkit field is a comment under the nearest field, and reported
    text = out.read_text(encoding="utf-8")
    assert "metadata `language`: en" in text
    assert "metadata `language`" in err and "kept as a comment under `description`" in err
    # the Metrics section's prose has no table to read: kept under `metrics`
    assert "Accuracy on a held-out split" in text
    # every required field the card lacks is the placeholder validate flags
    assert "[More Information Needed]" in text
    assert govkit("validate", out) == 0
    assert govkit("validate", "--strict", out) == 1
    strict = capsys.readouterr().err
    assert "placeholder text '[More Information Needed]'" in strict


def test_model_index_figures_become_results(tmp_path: Path) -> None:
    card = tmp_path / "README.md"
    card.write_text(
        "---\nlicense: apache-2.0\nmodel-index:\n- name: m\n  results:\n"
        "  - task: {type: tabular-classification}\n"
        "    dataset: {type: acme/adult, name: Adult, split: test}\n"
        "    metrics:\n"
        "    - {type: accuracy, value: 0.85, args: {n: 9770, ci: [0.84, 0.86]}}\n"
        "    - {type: selection_rate, name: 'selection_rate [sex=Female]', value: 0.09}\n"
        "    - {type: selection_rate, name: 'selection_rate [race=Black, sex=Female]', value: 0.04}\n"
        "---\n# Model Card for m\n",
        encoding="utf-8",
    )
    out = tmp_path / "mc.yaml"
    assert govkit("import", "hf", card, "--out", out) == 0
    results = _load(out).results
    assert results is not None
    (overall,) = results.overall
    assert (overall.metric, overall.value, overall.n) == ("accuracy", 0.85, 9770)
    assert (overall.ci_low, overall.ci_high, overall.split) == (0.84, 0.86, "test")
    assert results.unitary[0].slice == {"sex": "Female"}
    assert results.intersectional[0].slice == {"race": "Black", "sex": "Female"}


def _run_bad(tmp_path: Path, text: str, capsys: pytest.CaptureFixture[str]) -> str:
    card = tmp_path / "README.md"
    card.write_text(text, encoding="utf-8")
    assert govkit("import", "hf", card, "--out", tmp_path / "mc.yaml") == 2
    err = capsys.readouterr().err
    assert "Traceback" not in err and "internal error" not in err
    assert not (tmp_path / "mc.yaml").exists()
    return err


def test_broken_yaml_front_matter_names_the_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    err = _run_bad(tmp_path, "---\nlicense: mit\ntags: [a, b\n---\n# x\n", capsys)
    assert "README.md:4" in err and "invalid YAML" in err and "fix:" in err
    err = _run_bad(tmp_path, "---\nlicense: mit\n# x\n", capsys)
    assert "README.md:1" in err and "not closed" in err
    err = _run_bad(tmp_path, "---\n- license\n- mit\n---\n# x\n", capsys)
    assert "README.md:2" in err and "must be a YAML mapping" in err


def test_a_missing_card_is_an_input_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert govkit("import", "hf", tmp_path / "nope.md", "--out", tmp_path / "mc.yaml") == 2
    err = capsys.readouterr().err
    assert "nope.md" in err and "Traceback" not in err


def test_a_card_without_metadata_still_imports(tmp_path: Path) -> None:
    for text in ("# Model Card for m\n\nA model.\n", "---\n\n---\n# Model Card for m\n"):
        card = tmp_path / "README.md"
        card.write_text(text, encoding="utf-8")
        out = tmp_path / "mc.yaml"
        assert govkit("import", "hf", card, "--out", out, "--force") == 0
        assert _load(out).name == "m"


@pytest.mark.parametrize(
    ("model_index", "line", "what"),
    [
        ("model-index: {name: m}\n", 2, "model-index: expected a list of models"),
        ("model-index:\n- name: m\n  results: 3\n", 4, "model-index[0].results"),
        (
            "model-index:\n- name: m\n  results:\n  - task: {type: t}\n    dataset: {type: d, name: n}\n"
            "    metrics:\n    - {type: accuracy, value: high}\n",
            8,
            "model-index[0].results[0].metrics[0].value: expected a number, got 'high'",
        ),
        (
            "model-index:\n- name: m\n  results:\n  - task: {type: t}\n    metrics: []\n",
            5,
            "model-index[0].results[0].dataset",
        ),
    ],
)
def test_a_model_index_of_the_wrong_shape_names_the_line(
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    model_index: str,
    line: int,
    what: str,
) -> None:
    err = _run_bad(tmp_path, f"---\n{model_index}---\n# m\n", capsys)
    assert f"README.md:{line}" in err, err
    assert what in err and "fix:" in err


def test_an_unknown_licence_names_the_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    err = _run_bad(
        tmp_path, "---\nlibrary_name: pytorch\nlicense: my-own-licence\n---\n# m\n", capsys
    )
    assert "README.md:3" in err and "unknown licence 'my-own-licence'" in err
    assert "license: other" in err


@pytest.mark.parametrize(
    ("front", "spdx", "name"),
    [
        ("license: cc-by-4.0\n", "CC-BY-4.0", None),
        ("license: gpl-3.0\n", "GPL-3.0-only", None),
        ("license: Apache-2.0\n", "Apache-2.0", None),
        ("license: other\nlicense_name: GPL-3.0-or-later\n", "GPL-3.0-or-later", None),
        (
            "license: other\nlicense_name: acme-research\nlicense_link: LICENSE\n",
            "other",
            "acme-research",
        ),
    ],
)
def test_hub_and_spdx_licences_are_read(
    tmp_path: Path, front: str, spdx: str, name: str | None
) -> None:
    card = tmp_path / "README.md"
    card.write_text(f"---\n{front}---\n# Model Card for m\n", encoding="utf-8")
    out = tmp_path / "mc.yaml"
    assert govkit("import", "hf", card, "--out", out) == 0
    licence = _load(out).license
    assert (licence.spdx_id, licence.name) == (spdx, name)


def test_an_existing_output_is_kept_without_force(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    card = _hub_card(tmp_path / "README.md")
    out = tmp_path / "model_card.yaml"
    out.write_text("mine\n", encoding="utf-8")
    assert govkit("import", "hf", card, "--out", out) == 2
    err = capsys.readouterr().err
    assert "already exists" in err and "--force" in err
    assert out.read_text(encoding="utf-8") == "mine\n"
    assert govkit("import", "hf", card, "--out", out, "--force") == 0
    assert yaml.safe_load(out.read_text(encoding="utf-8"))["kind"] == "model_card"


def test_what_has_no_field_is_kept_as_a_comment_never_dropped(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    card = tmp_path / "README.md"
    card.write_text(
        "---\nlicense: mit\nlanguage: [en, de]\n---\n"
        "# Model Card for m\n\nA model.\n\n"
        "## Uses\n\n### Direct Use\n\n- Teaching.\n- **Audience:** students\n\n"
        "| Setting | Allowed |\n|---|---|\n| classroom | yes |\n\n"
        "## Quantization\n\nWeights are stored in int8.\n",
        encoding="utf-8",
    )
    out = tmp_path / "mc.yaml"
    assert govkit("import", "hf", card, "--out", out) == 0
    err = capsys.readouterr().err
    assert _load(out).intended_uses == ["Teaching."]
    text = out.read_text(encoding="utf-8")
    for kept in ("students", "classroom", "int8", "[en, de]"):
        assert kept in text, kept
        assert text.index(kept) > text.index("\nkind:")  # a comment in the body, not the header
    assert "section 'Quantization'" in err and "section 'Direct Use', 'Audience'" in err
    # the comments sit under the nearest field
    uses = text.index("\nintended_uses:")
    assert uses < text.index("classroom") < text.index("\nintended_users:")


def test_a_value_no_model_card_can_hold_is_an_input_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    err = _run_bad(
        tmp_path,
        "---\nlicense: mit\n---\n# Model Card for m\n\n## Training Details\n\n### Training Data\n\n"
        "Census rows.\n\n| Dataset card | Hub id |\n|---|---|\n| adult | adult |\n",
        capsys,
    )
    assert "README.md:8: the card's `training_data.datasets.0.hub_id`" in err
    assert "expected a Hugging Face Hub id 'owner/name'" in err and "fix:" in err
