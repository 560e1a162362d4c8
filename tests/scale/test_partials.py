"""The batch-by-batch statistics merge to the pandas references, whatever the batches.

No Ray here: the partials of :mod:`govkit.scale.engines._partials` and the
rank search of :mod:`govkit.scale.engines._ranks` are pure functions, so they
are checked directly on many random splits of data with known answers.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable

import numpy as np
import pandas as pd
import pytest

from govkit.scale.engines._partials import (
    ClassesMerge,
    ProfileMerge,
    class_partial,
    common_dtype,
    numeric_keys,
    present_values,
    profile_partial,
)
from govkit.scale.engines._ranks import (
    RankSearch,
    answer_requests,
    interpolate,
    order_statistics_needed,
    sortable_keys,
    top_histogram,
    values_of_keys,
)
from govkit.scale.engines.base import ProfileSpec, class_sizes_of_frame, profile_of_frame


def _split(frame: pd.DataFrame, rng: np.random.Generator) -> list[pd.DataFrame]:
    cuts = np.sort(rng.choice(np.arange(1, len(frame)), size=rng.integers(1, 6), replace=False))
    edges = [0, *cuts.tolist(), len(frame)]
    return [frame.iloc[a:b].reset_index(drop=True) for a, b in itertools.pairwise(edges)]


def _draw(kind: str, rng: np.random.Generator, n: int) -> np.ndarray:
    if kind == "normal":
        return rng.normal(size=n)
    if kind == "ties":
        return rng.integers(-3, 3, size=n).astype(float)
    if kind == "tiny":
        return rng.exponential(size=n) * 1e-300
    return rng.normal(size=n) * 10.0 ** rng.integers(-200, 200, size=n)


def test_keys_keep_the_order_of_the_values() -> None:
    values = np.array([-np.inf, -1e300, -1.0, -1e-300, -0.0, 0.0, 1e-300, 1.0, 1e300, np.inf])
    keys = sortable_keys(values)
    assert (np.diff(keys.astype(np.float64)) >= 0).all()
    assert np.array_equal(np.argsort(keys, kind="stable"), np.arange(len(values)))
    assert np.array_equal(values_of_keys(keys), values + 0.0)


@pytest.mark.parametrize("kind", ["normal", "ties", "tiny", "wide"])
def test_rank_search_gives_numpys_quantiles_bit_for_bit(kind: str) -> None:
    """Random data, random batches, random limits: every quantile equals numpy's exactly."""
    rng = np.random.default_rng(["normal", "ties", "tiny", "wide"].index(kind))
    for _ in range(40):
        n = int(rng.integers(1, 3_000))
        x = _draw(kind, rng, n)
        batches = np.array_split(x, int(rng.integers(1, 7)))
        q = [*rng.uniform(0, 1, size=3).tolist(), 0.0, 1.0, 0.05, 0.5, 0.95]
        prev, nxt, gamma = order_statistics_needed(len(x), q)
        search = RankSearch(fetch_limit=int(rng.integers(1, 60)))
        for batch in batches:
            search.add_histogram("c", *top_histogram(sortable_keys(batch)))
        search.want("c", [*prev.tolist(), *nxt.tolist()])
        passes = 0
        while requests := search.requests():
            passes += 1
            search.add_answers([answer_requests(_keys_of_array(b), requests) for b in batches])
        found = np.asarray(search.values("c"))
        got = interpolate(found[: len(q)], found[len(q) :], gamma)
        assert np.array_equal(got, np.quantile(x, q))
        assert passes <= 4


def _keys_of_array(values: np.ndarray) -> Callable[[str], np.ndarray]:
    return lambda _column: sortable_keys(values)


def _keys_of_frame(frame: pd.DataFrame, markers: tuple[str, ...]) -> Callable[[str], np.ndarray]:
    return lambda column: numeric_keys(present_values(frame, column, markers))


def _frame(rows: int, seed: int) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    band = pd.array(rng.integers(0, 5, size=rows), dtype="Int64").astype(object)
    band[rng.random(rows) < 0.1] = None
    return pd.DataFrame(
        {
            "sex": pd.Series(rng.choice(np.array(["f", "m", None], dtype=object), size=rows)),
            "band": pd.Series(band, dtype="float64"),
            "income": np.where(rng.random(rows) < 0.1, np.nan, rng.normal(5e4, 1e4, rows)),
            "text": rng.choice(["a", "b", "?", " NA ", "c"], size=rows),
            "label": rng.integers(0, 2, size=rows),
        }
    )


@pytest.mark.parametrize("limit", [3, 4096])
def test_profile_partials_merge_to_the_reference(limit: int) -> None:
    rng = np.random.default_rng(limit)
    frame = _frame(2_000, limit)
    spec = ProfileSpec(("income", "band", "text"), ("sex",), "label", ("?", "NA"))
    merge = ProfileMerge(spec)
    batches = _split(frame, rng)
    for batch in batches:
        merge.add(profile_partial(batch, spec, limit))
    merge.set_ranks()
    while requests := merge.search.requests():
        merge.search.add_answers(
            [answer_requests(_keys_of_frame(b, spec.markers), requests) for b in batches]
        )
    counts = {c: frame[c][~frame[c].isna()].nunique() for c in merge.needs_distinct_count()}
    got = merge.result(counts)
    expected = profile_of_frame(frame, spec)
    pd.testing.assert_frame_equal(got.counts, expected.counts, check_dtype=False)
    pd.testing.assert_frame_equal(got.columns, expected.columns, check_exact=False, rtol=1e-10)


def test_class_partials_merge_to_the_reference() -> None:
    rng = np.random.default_rng(5)
    frame = _frame(3_000, 5)
    merge = ClassesMerge(("sex", "band"), "text")
    for batch in _split(frame, rng):
        merge.add(class_partial(batch, ["sex", "band"], "text"))
    pd.testing.assert_frame_equal(
        merge.result(), class_sizes_of_frame(frame, ["sex", "band"], "text"), check_dtype=False
    )


def test_dtypes_merge_as_pandas_concat_merges_them() -> None:
    assert common_dtype(["int64", "float64"]) == "float64"
    assert common_dtype(["int64", "int64"]) == "int64"
    assert common_dtype(["bool", "object"]) == "object"
    assert common_dtype(["str", "str"]) == "str"
