"""The fast paths of the checks on millions of cells equal the general ones to the last bit.

On weighted cells the classification check sums by bincount instead of
sparse group matrices, the coarse histogram packs its keys into one integer,
the per-group AUC bound reads one histogram per layer, and a split encodes
its groupings once. Each is compared here with the general computation on
random cells (ties in scores, whole and fractional weights, empty groups);
equality is exact (``np.testing.assert_array_equal``), not approximate.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from govkit.checks._cells import _unique_rows, max_group_bound
from govkit.checks.classification import _row_scores, _score_statistic, _weighted_point
from govkit.checks.context import Predictions, Split
from govkit.scale.cells import auc_error_bound, score_level
from govkit.stats.groups import groupings, present_codes


def _cells(n: int, seed: int, *, whole: bool) -> dict[str, np.ndarray]:
    rng = np.random.default_rng(seed)
    y = rng.integers(0, 2, n)
    # few distinct scores: many ties, inside a group and across groups
    score = np.round(np.clip(rng.normal(0.35 + 0.3 * y, 0.2), 0.0, 1.0), 2)
    weights = rng.integers(1, 500, n).astype(np.float64)
    if not whole:
        weights = weights * rng.random(n) + 0.01
    return {
        "y": y,
        "score": score,
        "weights": weights,
        "a": rng.integers(0, 3, n),
        # code 4 of 6 never used: an empty group
        "b": rng.choice([0, 1, 2, 3, 5], n),
    }


def _predictions(score: np.ndarray) -> Predictions:
    p = np.clip(score, 1e-15, 1 - 1e-15)
    return Predictions(
        log_probs=np.stack([np.log1p(-p), np.log(p)], axis=1),
        scores=p,
        labels=(p >= 0.5).astype(np.int64),
    )


@pytest.mark.parametrize("whole", [True, False])
@pytest.mark.parametrize("seed", [0, 1, 2])
def test_weighted_point_equals_the_sparse_statistic(seed: int, whole: bool) -> None:
    c = _cells(3000, seed, whole=whole)
    codes = [np.zeros(c["y"].size, dtype=np.int64), c["a"], c["b"]]
    sizes = [1, 3, 6]
    names = ["roc_auc", "log_loss", "brier_score"]
    rows = [
        _row_scores(_predictions(c["score"]), c["y"], True),
        _row_scores(_predictions(1.0 - c["score"]), c["y"], True),
    ]
    general = _score_statistic(codes, sizes, c["y"], rows, names, True)(c["weights"][None, :])[0]
    fast = _weighted_point(codes, sizes, c["y"], rows, names, c["weights"])
    assert fast.shape == general.shape == (10, 3, 2)
    assert np.isnan(fast[1 + 3 + 4]).all()  # the empty group
    np.testing.assert_array_equal(fast, general)


def test_weighted_point_multiclass_log_loss_equals_the_sparse_statistic() -> None:
    rng = np.random.default_rng(7)
    n = 2000
    y = rng.integers(0, 3, n)
    logits = rng.normal(size=(n, 3))
    log_probs = logits - np.log(np.exp(logits).sum(axis=1, keepdims=True))
    preds = Predictions(log_probs=log_probs, scores=np.exp(log_probs), labels=logits.argmax(1))
    codes = [np.zeros(n, dtype=np.int64), rng.integers(0, 4, n)]
    weights = rng.integers(1, 90, n).astype(np.float64)
    rows = [_row_scores(preds, y, False)]
    general = _score_statistic(codes, [1, 4], y, rows, ["log_loss"], False)(weights[None, :])[0]
    fast = _weighted_point(codes, [1, 4], y, rows, ["log_loss"], weights)
    np.testing.assert_array_equal(fast, general)


@pytest.mark.parametrize("seed", [0, 1])
def test_packed_unique_rows_equal_the_row_sort(seed: int) -> None:
    rng = np.random.default_rng(seed)
    n = 5000
    key = [rng.integers(0, 3, n), rng.integers(0, 7, n), rng.integers(0, 2, n)]
    key.append(score_level(rng.random(n), 1 << 10))
    first, inverse = _unique_rows(key)
    _, want_first, want_inverse = np.unique(
        np.stack(key, axis=1), axis=0, return_index=True, return_inverse=True
    )
    np.testing.assert_array_equal(first, want_first)
    np.testing.assert_array_equal(inverse, want_inverse.reshape(-1))


def test_unique_rows_too_wide_to_pack_fall_back_to_the_row_sort() -> None:
    rng = np.random.default_rng(3)
    key = [rng.integers(0, 2**40, 300), rng.integers(0, 2**30, 300) // 2**29]
    first, inverse = _unique_rows(key)
    _, want_first, want_inverse = np.unique(
        np.stack(key, axis=1), axis=0, return_index=True, return_inverse=True
    )
    np.testing.assert_array_equal(first, want_first)
    np.testing.assert_array_equal(inverse, want_inverse.reshape(-1))


@pytest.mark.parametrize("whole", [True, False])
def test_max_group_bound_equals_the_bound_of_each_group(whole: bool) -> None:
    c = _cells(4000, 11, whole=whole)
    levels = score_level(c["score"])
    codes = [np.zeros(c["y"].size, dtype=np.int64), c["a"], c["b"]]
    worst = 0.0
    for layer in codes:
        for g in np.unique(layer):
            at = layer == g
            bound = auc_error_bound(levels[at], c["y"][at] == 1, c["weights"][at])
            if not np.isnan(bound):
                worst = max(worst, bound)
    assert worst > 0
    assert max_group_bound(codes, levels, c["y"], c["weights"]) == worst


def test_a_split_encodes_its_groupings_once_per_frame() -> None:
    frame = pd.DataFrame({"s": ["x", "y", "x", None], "t": ["p", "p", "q", "q"]})
    split = Split("eval", frame, np.zeros(4, dtype=np.int64))
    first = split.groupings(["s", "t"])
    assert split.groupings(["s", "t"]) is first
    want = groupings(frame, ["s", "t"])
    assert [g.labels for g in first] == [g.labels for g in want]
    for got, expected in zip(first, want, strict=True):
        np.testing.assert_array_equal(got.codes, expected.codes)
    # another frame is encoded afresh
    split.frame = frame.assign(s=["y", "y", "y", "y"])
    assert split.groupings(["s"])[0].labels == [{"s": "y"}]
    layers = split.layers(["s"])
    assert [layer.n_groups for layer in layers] == [1, 1]


def _reference_groupings(
    frame: pd.DataFrame, sensitive: list[str]
) -> list[tuple[list, np.ndarray]]:
    """Groupings by sorting each row's text values: what the counting encoder must equal."""
    text = {
        c: frame[c].astype("string").fillna("(missing)").astype(str).to_numpy() for c in sensitive
    }
    per = {c: np.unique(text[c], return_inverse=True) for c in sensitive}
    out = [([{c: str(u)} for u in per[c][0]], per[c][1].reshape(-1)) for c in sensitive]
    if len(sensitive) > 1:
        stacked = np.stack([per[c][1].reshape(-1) for c in sensitive], axis=1)
        present, inverse = np.unique(stacked, axis=0, return_inverse=True)
        labels = [{c: str(per[c][0][row[i]]) for i, c in enumerate(sensitive)} for row in present]
        out.append((labels, inverse.reshape(-1)))
    return out


@pytest.mark.parametrize("wide", [False, True])
def test_groupings_equal_grouping_by_sorting(wide: bool) -> None:
    rng = np.random.default_rng(5)
    n = 3000
    many = 1000 if wide else 4  # wide: more combinations than the encoder counts densely
    frame = pd.DataFrame(
        {
            "s": pd.array(rng.choice(["f", "m", None], n), dtype="string"),
            "r": rng.integers(0, many, n),
            "z": rng.choice([1.5, 2.0, np.nan], n) if not wide else rng.integers(0, many, n) / 2,
        }
    )
    sensitive = ["s", "r", "z"]
    got = groupings(frame, sensitive)
    want = _reference_groupings(frame, sensitive)
    assert len(got) == len(want) == 4
    for g, (labels, codes) in zip(got, want, strict=True):
        assert g.labels == labels
        np.testing.assert_array_equal(g.codes, codes)


@pytest.mark.parametrize("span", [7, 5_000_000])
def test_present_codes_equal_np_unique(span: int) -> None:
    rng = np.random.default_rng(9)
    values = rng.choice(rng.integers(0, span, 40), 2000)
    present, inverse = present_codes(values, span)
    want_present, want_inverse = np.unique(values, return_inverse=True)
    np.testing.assert_array_equal(present, want_present)
    np.testing.assert_array_equal(inverse, want_inverse)
