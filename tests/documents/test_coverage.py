"""The standards crosswalk and `govkit validate --coverage`."""

from __future__ import annotations

import json
from collections.abc import Callable

import pytest

from govkit.documents import compute_coverage, load_document
from govkit.documents.coverage import field_exists, load_crosswalk
from tests.helpers import ADULT_DOCS, KINDS, MINIMAL

Run = Callable[..., tuple[int, str, str]]

EXPECTED = {
    "model_cards": 29, "datasheets": 52, "eu_ai_act_annex_iv": 23, "eu_ai_act_articles": 34,
    "nist_rmf_measure": 22, "nist_rmf_other": 26, "nist_600_1": 12, "croissant_rai": 20,
    "neurips_checklist": 16, "osf_prereg": 23, "ml_reproducibility": 19, "reforms": 8,
}  # fmt: skip


def test_crosswalk_has_all_284_items() -> None:
    crosswalk = load_crosswalk()
    assert {s.id: len(s.items) for s in crosswalk.standards} == EXPECTED
    assert crosswalk.n_items == 284
    out_of_scope = [(s.id, i.id) for s in crosswalk.standards for i in s.items if i.out_of_scope]
    assert out_of_scope == [("eu_ai_act_annex_iv", "1(f)"), ("neurips_checklist", "Q3")]


def test_every_crosswalk_field_exists() -> None:
    for standard in load_crosswalk().standards:
        for item in standard.items:
            assert item.fields or item.out_of_scope, item.id
            for ref in item.fields:
                assert field_exists(ref), f"{standard.id} {item.id}: {ref}"


@pytest.mark.parametrize("ref", ["model_card:nope", "model_card:results.nope", "bogus:meta"])
def test_field_exists_rejects_typos(ref: str) -> None:
    assert not field_exists(ref)


def test_no_documents_cover_nothing() -> None:
    report = compute_coverage([])
    assert report.count("covered") == 0 and report.count("out_of_scope") == 2
    assert report.count("missing") == 282


def test_adult_coverage_structured() -> None:
    docs = [load_document(ADULT_DOCS / f"{k}.yaml") for k in KINDS]
    report = compute_coverage(docs)
    assert len(report.items) == 284
    by_id = {(i.standard, i.item_id): i for i in report.items}
    assert by_id[("datasheets", "Mot Q1")].status == "covered"
    assert by_id[("eu_ai_act_annex_iv", "1(f)")].status == "out_of_scope"
    # filled by `govkit check` later, so still missing in hand-written documents
    assert by_id[("model_cards", "§7 unitary")].status == "missing"
    # GAI items count only when a risk carries that category
    assert by_id[("nist_600_1", "GAI 6")].status == "covered"
    assert by_id[("nist_600_1", "GAI 1")].status == "missing"
    totals = {t.standard: t for t in report.totals}
    assert sum(t.total for t in totals.values()) == 284
    assert totals["model_cards"].covered + totals["model_cards"].missing == 29


def test_coverage_text_and_json(cli: Run) -> None:
    paths = [str(MINIMAL / f"{k}.yaml") for k in KINDS]
    code, out, _ = cli("validate", "--coverage", *paths)
    assert code == 0
    assert "== Model Cards (Mitchell et al., 2019)" in out
    assert "covered" in out and "MISSING" in out and "out of scope" in out
    assert "overall:" in out and "284 items" in out
    code, out, _ = cli("validate", "--coverage", "--format", "json", *paths)
    payload = json.loads(out)
    assert code == 0 and payload["ok"]
    assert payload["coverage"]["overall"]["total"] == 284
    assert len(payload["coverage"]["totals"]) == 12


def test_fields_the_report_fills_count_as_covered() -> None:
    docs = [load_document(ADULT_DOCS / f"{k}.yaml") for k in KINDS]
    before = compute_coverage(docs)
    after = compute_coverage(docs, filled=["model_card:results", "dataset_card:pii_scan"])
    item = {(i.standard, i.item_id): i for i in after.items}[("model_cards", "§7 unitary")]
    assert item.status == "covered"
    assert any(ref.endswith("(report)") for ref in item.covered_by)
    assert after.count("covered") > before.count("covered")
    # nothing already covered is lost, and unrelated refs change nothing
    assert compute_coverage(docs, filled=["model_card:no_such_field"]).count("covered") == (
        before.count("covered")
    )
