"""The DuckDB engine's fast paths give the reference's figures whichever path a column takes.

The profile guesses from a probe which columns to count value by value,
brackets each quantile from the probe, and falls back on a bucket search;
the stratified sample filters ranks under a threshold and falls back on
ranking a stratum whole. Each guess is forced wrong here, and the figures
must not change.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from govkit.scale.engines import _duckdb_profile as profiling
from govkit.scale.engines import duckdb_engine
from govkit.scale.engines.base import ProfileSpec, TableRef, profile_of_frame
from govkit.scale.engines.duckdb_engine import DuckDBEngine
from tests.scale.test_duckdb_engine import MARKERS, _arrow

pytest.importorskip("duckdb")

SPEC = ProfileSpec(
    columns=("text", "income", "band", "age", "sex", "zip3", "score", "heavy", "member"),
    groups=("sex",),
    label="label",
    markers=MARKERS,
)


@pytest.fixture(scope="module")
def lake(tmp_path_factory: pytest.TempPathFactory) -> tuple[TableRef, pd.DataFrame]:
    """Four files; ``heavy`` has atoms, a long tail, negatives and -0.0 (hard to bucket)."""
    folder = tmp_path_factory.mktemp("profile")
    files = []
    for i in range(4):
        table = _arrow(3_000, 10 + i)
        rng = np.random.default_rng(i)
        heavy = np.where(rng.random(3_000) < 0.4, 7.0, rng.standard_cauchy(3_000) * 1e3)
        heavy[rng.random(3_000) < 0.05] = -0.0
        heavy[rng.random(3_000) < 0.05] = np.nan
        table = table.append_column("heavy", pa.array(heavy, pa.float64()))
        path = folder / f"part-{i}.parquet"
        pq.write_table(table, path, row_group_size=1_000)
        files.append(str(path))
    frame = pa.concat_tables(pq.read_table(f) for f in files).to_pandas()
    return TableRef(tuple(files)), frame


def _assert_profile_equal(got: object, want: object) -> None:
    assert isinstance(got, type(want))
    pd.testing.assert_frame_equal(got.counts, want.counts)  # type: ignore[attr-defined]
    exact = ["dtype", "present", "distinct"]
    pd.testing.assert_frame_equal(got.columns[exact], want.columns[exact])  # type: ignore[attr-defined]
    figures = ["mean", "std", "p05", "median", "p95"]
    np.testing.assert_allclose(
        got.columns[figures].to_numpy(dtype=float),  # type: ignore[attr-defined]
        want.columns[figures].to_numpy(dtype=float),  # type: ignore[attr-defined]
        rtol=1e-9,
        equal_nan=True,
    )


@pytest.mark.parametrize("few", [True, False], ids=["all-by-value", "none-by-value"])
def test_a_wrong_guess_of_few_values_changes_no_figure(
    lake: tuple[TableRef, pd.DataFrame], monkeypatch: pytest.MonkeyPatch, few: bool
) -> None:
    table, frame = lake
    monkeypatch.setattr(profiling, "is_few_valued", lambda distinct, rows: few)
    with DuckDBEngine(threads=2) as e:
        got = e.profile([table], SPEC)
    _assert_profile_equal(got, profile_of_frame(frame, SPEC))


def test_quantiles_missed_by_their_brackets_come_from_the_bucket_search(
    lake: tuple[TableRef, pd.DataFrame], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Brackets that hold no rank, and buckets fetched only when tiny: several passes."""
    table, frame = lake
    monkeypatch.setattr(profiling, "is_few_valued", lambda distinct, rows: False)
    monkeypatch.setattr(profiling, "brackets", lambda found, wanted: [(np.inf, np.inf)] * wanted)
    monkeypatch.setattr(profiling, "FETCH_LIMIT", 40)
    monkeypatch.setattr(profiling, "BUCKETS", 16)
    queries: list[str] = []
    real = profiling.BucketSearch._split

    def counted(self: profiling.BucketSearch, targets: list[object]) -> None:
        queries.append("split")
        real(self, targets)  # type: ignore[arg-type]

    monkeypatch.setattr(profiling.BucketSearch, "_split", counted)
    with DuckDBEngine(threads=2) as e:
        got = e.profile([table], SPEC)
    want = profile_of_frame(frame, SPEC)
    _assert_profile_equal(got, want)
    assert len(queries) >= 3  # narrowed down more than once
    figures = ["p05", "median", "p95"]
    for column in ("income", "score", "heavy", "band"):
        np.testing.assert_array_equal(
            got.columns.loc[column, figures].to_numpy(dtype=float),
            want.columns.loc[column, figures].to_numpy(dtype=float),
        )


def test_the_estimated_profile_keeps_exact_quantiles(
    lake: tuple[TableRef, pd.DataFrame],
) -> None:
    table, frame = lake
    with DuckDBEngine(threads=2, exact_profile_rows=1_000) as e:
        got = e.profile([table], SPEC)
    want = profile_of_frame(frame, SPEC)
    figures = ["mean", "std", "p05", "median", "p95"]
    np.testing.assert_allclose(
        got.columns[figures].to_numpy(dtype=float),
        want.columns[figures].to_numpy(dtype=float),
        rtol=1e-12,
        equal_nan=True,
    )


def test_histogram_figures_apply_the_marker_rule_once_per_value() -> None:
    pairs = [(" ? ", 3), ("a", 2), (None, 4), ("\u00a0NA\t", 1), ("b", 5)]
    got = profiling.histogram_figures(pairs, "text", ["?", "NA"], (0.5,))
    assert (got.present, got.distinct, got.nulls, got.missing) == (7, 2, 4, 8)
    assert sorted(got.markers) == sorted([" ? ", "\u00a0NA\t"])
    assert profiling.marker_test("t", "VARCHAR", got.markers) == (
        "(\"t\" IS NULL OR \"t\" IN (' ? ', '\u00a0NA\t'))"
    )


def test_shifted_moments_keep_their_digits_far_from_zero() -> None:
    rng = np.random.default_rng(0)
    values = 1e9 + rng.normal(0, 1e-3, 10_000)
    shift = float(values[0])
    mean, std = profiling.shifted_moments(
        len(values), float((values - shift).sum()), float(((values - shift) ** 2).sum()), shift
    )
    assert mean == pytest.approx(values.mean(), rel=1e-15)
    assert std == pytest.approx(values.std(), rel=1e-6)


def _sample_lake(tmp_path: Path) -> TableRef:
    rng = np.random.default_rng(3)
    files = []
    for i in range(3):
        rows = 20_000
        stratum = rng.choice(["big", "mid", "tiny"], size=rows, p=[0.8, 0.1999, 0.0001])
        label = rng.integers(0, 2, size=rows)
        path = tmp_path / f"s-{i}.parquet"
        pq.write_table(
            pa.table({"g": stratum, "label": label, "x": rng.random(rows)}),
            path,
            row_group_size=5_000,
        )
        files.append(str(path))
    return TableRef(tuple(files))


def test_stratified_sample_is_the_same_through_every_fallback(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Thresholds so low every stratum falls short, or no threshold at all: the same rows."""
    table = _sample_lake(tmp_path)
    with DuckDBEngine(threads=2) as e:
        want = e.sample([table], 2_000, seed=7, strata=["g", "label"])
        monkeypatch.setattr(duckdb_engine, "_sampling_rate", lambda quota, size: 1e-6)
        short = e.sample([table], 2_000, seed=7, strata=["g", "label"])
        monkeypatch.setattr(duckdb_engine, "_RATE_CAP", 0.0)
        whole = e.sample([table], 2_000, seed=7, strata=["g", "label"])
    pd.testing.assert_frame_equal(short, want)
    pd.testing.assert_frame_equal(whole, want)
    counts = want.groupby(["g", "label"]).size()
    assert counts.loc[("tiny", 0)] >= 1 or counts.loc[("tiny", 1)] >= 1


def test_the_sampling_threshold_almost_never_falls_short() -> None:
    """Over 2,000 seeded draws at the rate the threshold uses, no stratum falls short."""
    rng = np.random.default_rng(11)
    short = 0
    for _ in range(2_000):
        size = int(rng.integers(50, 5_000_000))
        quota = max(1, int(rng.integers(1, max(2, size // 10))))
        rate = duckdb_engine._sampling_rate(quota, size)
        short += int(rng.binomial(size, rate) < quota)
    assert short == 0
