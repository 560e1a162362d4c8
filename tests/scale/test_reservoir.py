"""The reservoir sample: uniform, seeded, the same however the rows are batched or merged."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from govkit.attribution import stratified_sample
from govkit.scale.reservoir import Reservoir, allocate

#: false-alarm rate of every uniformity test here
ALPHA = 1e-3


def _table(n: int, seed: int = 0) -> pd.DataFrame:
    """Distinct rows: a position column, a float, text with missing values, and strata."""
    rng = np.random.default_rng(seed)
    return pd.DataFrame(
        {
            "pos": np.arange(n),
            "x": rng.normal(size=n),
            "city": rng.choice(["Lyon", "Oslo", None], size=n),
            "sex": rng.choice(["F", "M"], size=n, p=[0.3, 0.7]),
            "label": rng.integers(0, 2, size=n),
        }
    )


def _lean(n: int) -> pd.DataFrame:
    """Distinct rows of two numeric columns: the uniformity tests draw thousands of samples."""
    return pd.DataFrame({"pos": np.arange(n), "x": np.random.default_rng(n).normal(size=n)})


def _sample(frame: pd.DataFrame, n: int, seed: int, strata: tuple[str, ...] = ()) -> pd.DataFrame:
    r = Reservoir(n, seed=seed, strata=strata)
    r.add(frame)
    return r.result()


def _position_statistic(hits: np.ndarray, rounds: int, n: int) -> float:
    """Chi-square p-value of how often each of N rows was drawn, n rows a round, without replacement.

    Each count is Binomial(rounds, n/N) and the counts sum to rounds * n,
    so the scaled sum of squares is chi-square with N - 1 degrees of freedom.
    """
    big_n = hits.size
    p = n / big_n
    expected = rounds * p
    statistic = ((hits - expected) ** 2).sum() / (expected * (1 - p)) * (big_n - 1) / big_n
    return float(stats.chi2.sf(statistic, big_n - 1))


def test_every_row_is_drawn_equally_often_over_seeds() -> None:
    frame = _lean(60)
    rounds, n = 1000, 12
    hits = np.zeros(len(frame))
    for seed in range(rounds):
        drawn = _sample(frame, n, seed)["pos"].to_numpy()
        assert len(set(drawn)) == n  # without replacement
        hits[drawn] += 1
    assert _position_statistic(hits, rounds, n) > ALPHA
    # the test has power: a draw that favours the first half by 15% is caught
    rng = np.random.default_rng(0)
    weights = np.where(np.arange(60) < 30, 1.15, 1.0)
    biased = np.zeros(60)
    for _ in range(rounds):
        biased[rng.choice(60, size=n, replace=False, p=weights / weights.sum())] += 1
    assert _position_statistic(biased, rounds, n) < ALPHA


def test_rows_are_drawn_independently_of_each_other() -> None:
    """The rows drawn from the first half follow the hypergeometric law of a simple random sample."""
    frame = _lean(40)
    rounds, n = 1000, 10
    first_half = np.array(
        [int((_sample(frame, n, seed)["pos"] < 20).sum()) for seed in range(rounds)]
    )
    law = stats.hypergeom(40, 20, n)
    observed = np.bincount(first_half, minlength=n + 1)
    expected = law.pmf(np.arange(n + 1)) * rounds
    # pool the tails, where expected counts are too small for the chi-square law
    keep = expected >= 5
    obs = np.r_[observed[keep], observed[~keep].sum()]
    exp = np.r_[expected[keep], expected[~keep].sum()]
    assert stats.chisquare(obs, exp).pvalue > ALPHA


def test_the_same_seed_gives_the_same_sample_and_another_seed_another() -> None:
    frame = _table(5000)
    a, b = _sample(frame, 200, 7), _sample(frame, 200, 7)
    pd.testing.assert_frame_equal(a, b)
    c = _sample(frame, 200, 8)
    assert len(set(a["pos"]) & set(c["pos"])) < 40  # about 200 * 200 / 5000 = 8 in common


def _with_repeats(seed: int = 0) -> pd.DataFrame:
    """Rows with pairs and triples of identical rows, and an integer column with holes."""
    base = _table(3000, seed).drop(columns="pos")
    base["count"] = pd.array(np.arange(len(base)) % 7, dtype="Int64")
    base.loc[base.index % 211 == 0, "count"] = pd.NA
    base["member"] = pd.array(np.arange(len(base)) % 3 == 0, dtype="boolean")
    base.loc[base.index % 307 == 0, "member"] = pd.NA
    return pd.concat([base, base.iloc[:300], base.iloc[:100]], ignore_index=True)


def _arrow_batches(frame: pd.DataFrame, parts: int, seed: int) -> list[pd.DataFrame]:
    """Shuffled batches as a Parquet reader gives them to pandas.

    An integer column with a missing value turns float, a boolean one turns
    into Python objects; without missing values they stay integer and boolean.
    """
    rng = np.random.default_rng(seed)
    out = []
    for rows in np.array_split(rng.permutation(len(frame)), parts):
        batch = frame.iloc[rows]
        holes = batch["count"].isna().any()
        batch = batch.astype({"count": "float64" if holes else "int64"})
        member = batch["member"]
        if member.isna().any():
            batch["member"] = member.astype(object).where(member.notna(), None)
        else:
            batch["member"] = member.astype(bool)
        out.append(batch)
    return out


@pytest.mark.parametrize("strata", [(), ("sex", "label"), ("member",)])
def test_batches_order_and_partitions_do_not_change_the_sample(strata: tuple[str, ...]) -> None:
    frame = _with_repeats()
    n = 150
    whole = Reservoir(n, seed=3, strata=strata)
    whole.add(_arrow_batches(frame, 1, 0)[0])
    expected = whole.result()
    assert len(expected) == n

    for order_seed in range(3):
        streamed = Reservoir(n, seed=3, strata=strata)
        for batch in _arrow_batches(frame, 37, order_seed):
            streamed.add(batch)
        pd.testing.assert_frame_equal(streamed.result(), expected, check_dtype=False)

    # partitions on workers, merged in a tree and in a chain
    parts = []
    for batch in _arrow_batches(frame, 37, 99):
        part = Reservoir(n, seed=3, strata=strata)
        part.add(batch)
        parts.append(part)
    chain = Reservoir(n, seed=3, strata=strata)
    for part in parts[::-1]:
        chain.merge(part)
    pd.testing.assert_frame_equal(chain.result(), expected, check_dtype=False)
    while len(parts) > 1:
        merged = []
        for left, right in zip(parts[::2], parts[1::2], strict=False):
            left.merge(right)
            merged.append(left)
        parts = merged + ([parts[-1]] if len(parts) % 2 else [])
    pd.testing.assert_frame_equal(parts[0].result(), expected, check_dtype=False)
    assert parts[0].n_seen == len(frame)


def test_repeated_rows_keep_their_share() -> None:
    """Rows in pairs and triples are drawn as often as rows that occur once."""
    base = _lean(3000)
    frame = pd.concat([base, base.iloc[:300], base.iloc[:100]], ignore_index=True)
    repeated = frame["pos"] < 300
    assert frame.duplicated(keep=False).equals(repeated)
    rounds, n = 400, 200
    counts = np.array([(_sample(frame, n, seed)["pos"] < 300).sum() for seed in range(rounds)])
    expected = n * repeated.mean()  # 700 of 3,400 rows
    se = counts.std(ddof=1) / np.sqrt(rounds)
    assert abs(counts.mean() - expected) < stats.norm.isf(ALPHA / 2) * se, (counts.mean(), se)


def test_strata_get_their_proportional_share_every_time() -> None:
    frame = _table(4000, seed=2)
    strata = ("sex", "label")
    sizes = frame.groupby(list(strata)).size()
    for seed in range(20):
        sample = _sample(frame, 300, seed, strata)
        got = sample.groupby(list(strata)).size().reindex(sizes.index, fill_value=0)
        np.testing.assert_array_equal(got.to_numpy(), allocate(sizes.to_numpy(), 300))
    # the in-memory run allocates the same rows to each stratum
    codes = frame.groupby(list(strata)).ngroup().to_numpy()
    rows = stratified_sample(codes, 300, seed=0)
    np.testing.assert_array_equal(
        np.bincount(codes[rows], minlength=len(sizes)), allocate(sizes.to_numpy(), 300)
    )


def test_rows_within_a_stratum_are_drawn_uniformly() -> None:
    frame = _lean(120)
    frame["g"] = np.where(frame["pos"] < 40, 0, 1)
    rounds, n = 1000, 15  # the small stratum gets 5 of its 40 rows a round
    hits = np.zeros(40)
    for seed in range(rounds):
        sample = _sample(frame, n, seed, ("g",))
        small = sample.loc[sample["g"] == 0, "pos"].to_numpy()
        assert len(small) == 5
        hits[small] += 1
    assert _position_statistic(hits, rounds, 5) > ALPHA


def test_every_non_empty_stratum_gets_a_row() -> None:
    frame = _table(1000)
    frame["g"] = np.where(frame["pos"] < 3, "rare", "common")
    sample = _sample(frame, 50, 0, ("g",))
    assert sample["g"].value_counts().to_dict() == {"common": 49, "rare": 1}
    assert allocate(np.array([997, 3]), 50).tolist() == [49, 1]
    assert allocate(np.array([5, 1, 1, 1]), 2).tolist() == [1, 1, 1, 1]  # more strata than n
    assert allocate(np.array([10, 0, 10]), 5).tolist() == [3, 0, 2]
    assert allocate(np.array([3, 4]), 50).tolist() == [3, 4]


def test_memory_is_bounded_by_twice_n_per_stratum() -> None:
    rng = np.random.default_rng(0)
    r = Reservoir(100, seed=0, strata=("g",))
    for i in range(60):
        batch = pd.DataFrame(
            {"x": rng.normal(size=2000), "g": rng.choice(list("abc"), size=2000), "i": i}
        )
        r.add(batch)
        assert r.n_kept <= 2 * 3 * 100
    assert r.n_seen == 120_000
    assert len(r.result()) == 100


def test_small_tables_are_returned_whole() -> None:
    frame = _table(30)
    sample = _sample(frame, 100, 0, ("sex",))
    assert sorted(sample["pos"]) == list(range(30))
    empty = Reservoir(5, seed=0)
    assert empty.result().empty
    empty.add(frame.iloc[:0])
    assert list(empty.result().columns) == list(frame.columns)


def test_misuse_is_a_clear_error() -> None:
    frame = _table(10)
    with pytest.raises(ValueError, match="at least one row"):
        Reservoir(0, seed=0)
    r = Reservoir(5, seed=0, strata=("sex",))
    with pytest.raises(ValueError, match=r"strata column\(s\) \['sex'\]"):
        r.add(frame.drop(columns="sex"))
    r.add(frame)
    with pytest.raises(ValueError, match="the earlier ones"):
        r.add(frame.drop(columns="x"))
    with pytest.raises(ValueError, match="cannot merge a reservoir of n=5, seed=1"):
        r.merge(Reservoir(5, seed=1, strata=("sex",)))


def test_a_reservoir_travels_between_processes() -> None:
    """Workers send their partition's reservoir back pickled; it merges as the original."""
    import pickle

    frame = _with_repeats()
    left, right = Reservoir(50, seed=1, strata=("sex",)), Reservoir(50, seed=1, strata=("sex",))
    left.add(frame.iloc[:1700])
    right.add(frame.iloc[1700:])
    left.merge(pickle.loads(pickle.dumps(right)))
    whole = Reservoir(50, seed=1, strata=("sex",))
    whole.add(frame)
    pd.testing.assert_frame_equal(left.result(), whole.result())
