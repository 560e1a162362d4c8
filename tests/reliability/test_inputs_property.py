"""Property: no report and no group name makes rendering fail with an internal error.

Hypothesis writes report.json files whose group names, group values, feature
names, messages and figures are drawn from all of Unicode (controls, bidi
marks, lone surrogates, ``$`` math, markup) and from every finite float
(huge, tiny, negative; intervals that do not contain their point, reversed
intervals).
``govkit render`` must answer each with 0, 1 or 2: a packet, or a clear
input error. Exit 3 (a bug in govkit) fails the property, and Hypothesis
shrinks the report to the smallest one that shows it.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from govkit.cli import main
from govkit.errors import EXIT_INTERNAL
from tests.helpers import build_report, make_project

# every code point, lone surrogates included (JSON can carry them as \ud800 escapes)
_ANY_CHAR = st.characters(min_codepoint=0, max_codepoint=0x10FFFF, exclude_categories=())
_TRICKY = st.sampled_from(
    ["$x$", "$\\frac{", "\x1b[31m", "\x00", "\u202e", "<b>", "]]>", "|", "*", "\ud800", "\n"]
)
TEXT = st.one_of(
    st.text(_ANY_CHAR, max_size=12),
    st.lists(st.one_of(_TRICKY, st.text(_ANY_CHAR, max_size=3)), max_size=4).map("".join),
)
# finite floats of every magnitude (NaN and Infinity are refused when the report is
# read: tests/reliability/test_inputs_files.py), and the usual rates in [0, 1]
FLOAT = st.floats(allow_nan=False, allow_infinity=False) | st.floats(0, 1)
CI = st.none() | st.tuples(FLOAT, FLOAT).map(list)


def _measurement(name: str) -> st.SearchStrategy[dict[str, Any]]:
    return st.fixed_dictionaries(
        {
            "name": st.just(name),
            "group": st.none() | st.dictionaries(TEXT, TEXT, min_size=1, max_size=2),
            "feature": st.none() | TEXT,
            "value": st.none() | FLOAT,
            "ci": CI,
            "n": st.none() | st.integers(0, 10**6),
        }
    )


RESULT = st.fixed_dictionaries(
    {
        "title": TEXT,
        "message": TEXT,
        "measurements": st.lists(
            st.one_of(_measurement("selection_rate"), _measurement("mean_abs_attribution")),
            max_size=6,
        ),
        "details": st.fixed_dictionaries({"strongest_attack": TEXT, "note": TEXT}),
    }
)


CODES: list[int] = []


@pytest.fixture(scope="module")
def base(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, Any]]:
    report = build_report(n_rows=400)
    keep = {"fairness.demographic_parity", "attribution.importance", "data.leakage"}
    small = report.model_copy(update={"results": [r for r in report.results if r.id in keep]})
    root = tmp_path_factory.mktemp("property")
    config = make_project(root)
    return config, json.loads(small.model_dump_json())


def _render(config: Path, report: dict[str, Any], tmp: Path, formats: str) -> int:
    path = tmp / "report.json"
    # ensure_ascii: lone surrogates travel as escapes; allow_nan: NaN/Infinity as Python writes them
    path.write_text(json.dumps(report, ensure_ascii=True, allow_nan=True), encoding="utf-8")
    return main(
        [
            "render",
            "-c",
            str(config),
            "--report",
            str(path),
            "--format",
            formats,
            "--out",
            str(tmp / "packet"),
        ]
    )


def _apply(report: dict[str, Any], results: list[dict[str, Any]]) -> dict[str, Any]:
    out = json.loads(json.dumps(report))
    for target, drawn in zip(out["results"], results, strict=False):
        target.update(drawn)
    return out


# about 0.3 s a render on one core: 25 examples stay under 10 s; no example database on disk
_SETTINGS = {
    "deadline": None,
    "database": None,
    "suppress_health_check": [HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
}


@pytest.mark.slow
@settings(max_examples=25, **_SETTINGS)
@given(results=st.lists(RESULT, min_size=1, max_size=3))
def test_markdown_and_html_never_exit_3(
    base: tuple[Path, dict[str, Any]],
    tmp_path_factory: pytest.TempPathFactory,
    results: list[dict[str, Any]],
) -> None:
    config, report = base
    code = _render(config, _apply(report, results), tmp_path_factory.mktemp("md"), "md,html")
    CODES.append(code)
    assert code in (0, 1, 2)
    assert code != EXIT_INTERNAL


@pytest.mark.slow  # WeasyPrint looks for a font for every exotic glyph: seconds a PDF
@settings(max_examples=1, **_SETTINGS)
@given(results=st.lists(RESULT, min_size=2, max_size=2))
def test_pdf_never_exits_3(
    base: tuple[Path, dict[str, Any]],
    tmp_path_factory: pytest.TempPathFactory,
    results: list[dict[str, Any]],
) -> None:
    pytest.importorskip("weasyprint")
    config, report = base
    code = _render(config, _apply(report, results), tmp_path_factory.mktemp("pdf"), "pdf")
    assert code in (0, 1, 2)


@pytest.mark.slow  # reads what the (slow) property test above recorded
def test_the_property_rendered_packets() -> None:
    # runs after the property in this module: most drawn reports are valid
    # and give a packet (exit 0), so the property tested rendering, not only refusals
    if not CODES:
        pytest.skip("the property test did not run")
    assert CODES.count(0) >= len(CODES) // 2, CODES
