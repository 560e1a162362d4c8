"""Row fingerprints that survive formatting: the basis of leakage and membership checks.

Two rows are "the same" when every shared column holds the same value after
normalising text (surrounding and repeated whitespace, case) and numbers
(``"1.0"``, ``"1"``, ``1`` and ``1.00`` are one value). Each column becomes a
64-bit hash per row, computed on the column's unique values only, and the
columns are combined with a multiply-xor mix, so fingerprinting is linear in
the rows and comparing two splits is a hash-table lookup.

Numbers hash by their float64 value, except integers beyond 2**53: float64
cannot tell 2**53 from 2**53 + 1, so two different account or card numbers
would become one value. Those hash by their exact decimal digits instead,
stored as integers or written as text alike.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

__all__ = ["content_hashes", "exact_row_hashes", "normalise_column", "row_hashes"]

_FNV_PRIME = np.uint64(0x100000001B3)
_SEED = np.uint64(0xCBF29CE484222325)
_THOUSANDS = r"^[+-]?[0-9]{1,3}(?:,[0-9]{3})+(?:\.[0-9]+)?$"
_NUMBER = r"^[+-]?(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:e[+-]?[0-9]+)?$"
_INTEGER = r"^[+-]?[0-9]+$"
#: float64 holds every integer up to this exactly; beyond it, neighbours merge
_EXACT_FLOAT_INT = 2**53


def _float_hash(values: np.ndarray) -> np.ndarray:
    x = np.asarray(values, dtype=np.float64) + 0.0  # -0.0 + 0.0 == +0.0: one zero
    x[np.isnan(x)] = np.nan  # one NaN bit pattern for every missing value
    return pd.util.hash_array(x, categorize=False)


def _big_int_hash(digits: np.ndarray) -> np.ndarray:
    """Hash of canonical decimal integers (no sign '+', no leading zeros), apart from floats."""
    return pd.util.hash_array(
        np.array(["\0int:" + str(d) for d in digits], dtype=object), categorize=False
    )


def _integer_hash(series: pd.Series) -> np.ndarray:
    """Hash of an integer column: by float64 value, or by exact digits beyond 2**53."""
    missing = series.isna().to_numpy(dtype=bool)
    unsigned = pd.api.types.is_unsigned_integer_dtype(series.dtype)
    values = series.to_numpy(dtype=np.uint64 if unsigned else np.int64, na_value=0)
    out = _float_hash(np.where(missing, np.nan, values.astype(np.float64)))
    # two comparisons, not abs(): abs(-2**63) overflows int64
    big = ~missing & (values > _EXACT_FLOAT_INT)
    if not unsigned:
        big |= ~missing & (values < -_EXACT_FLOAT_INT)
    if big.any():  # rare: ids and account numbers; one str() per such value
        out[big] = _big_int_hash(values[big])
    return out


def normalise_column(series: pd.Series) -> np.ndarray:
    """64-bit hash per row of one column's normalised values.

    Numbers (numeric dtypes and text that parses as a number, ``"1,000"``
    included) hash by their float64 value; other text by its stripped,
    whitespace-collapsed, lower-case form. Missing values share one hash.

    Parameters
    ----------
    series
        One column.

    Returns
    -------
    numpy.ndarray
        uint64 hashes, one per row.
    """
    if pd.api.types.is_integer_dtype(series.dtype) and not pd.api.types.is_bool_dtype(series.dtype):
        return _integer_hash(series)
    if pd.api.types.is_bool_dtype(series.dtype) or pd.api.types.is_numeric_dtype(series.dtype):
        return _float_hash(series.to_numpy(dtype=np.float64, na_value=np.nan))
    if pd.api.types.is_datetime64_any_dtype(series.dtype):
        return _float_hash(np.where(series.isna(), np.nan, series.astype("int64").to_numpy()))
    codes, uniques = pd.factorize(series, use_na_sentinel=True)
    # Arrow-backed strings run the normalising passes in C, not per value in Python
    raw = pd.Series(np.asarray(uniques, dtype=object), dtype=object).astype(str)
    text = (
        raw.astype("string[pyarrow]").str.strip().str.replace(r"\s+", " ", regex=True).str.lower()
    )
    thousands = text.str.fullmatch(_THOUSANDS).to_numpy(dtype=bool)
    text = text.where(~thousands, text.str.replace(",", "", regex=False))
    # only number-shaped text goes through the slow parser
    numeric = text.str.fullmatch(_NUMBER).to_numpy(dtype=bool)
    numbers = np.full(len(text), np.nan)
    numbers[numeric] = pd.to_numeric(text[numeric].astype(object), errors="coerce").to_numpy(
        dtype=np.float64
    )
    is_number = ~np.isnan(numbers)
    hashes = pd.util.hash_array(text.to_numpy(dtype=object), categorize=False)
    hashes = np.where(is_number, _float_hash(numbers), hashes)
    # integer text beyond 2**53 keeps its digits, as an integer column does
    big = (
        is_number
        & (np.abs(numbers) >= _EXACT_FLOAT_INT)
        & text.str.fullmatch(_INTEGER).to_numpy(dtype=bool)
    )
    if big.any():
        exact = [int(t) for t in text[big]]  # few values; Python ints are exact
        keep = np.array([abs(v) > _EXACT_FLOAT_INT for v in exact])
        rows = np.flatnonzero(big)[keep]
        hashes[rows] = _big_int_hash(np.array(exact, dtype=object)[keep])
    missing_hash = _float_hash(np.array([np.nan]))[0]
    out = np.full(len(series), missing_hash, dtype=np.uint64)
    present = codes >= 0
    out[present] = hashes[codes[present]]
    return out


def _combine(columns: list[np.ndarray], n_rows: int) -> np.ndarray:
    h = np.full(n_rows, _SEED, dtype=np.uint64)
    for col in columns:  # over columns, not rows; uint64 arithmetic wraps around
        h = (h ^ col) * _FNV_PRIME
        h ^= h >> np.uint64(29)
    return h


def row_hashes(frame: pd.DataFrame, columns: list[str] | None = None) -> np.ndarray:
    """Normalised 64-bit fingerprint per row over ``columns`` (default: all, sorted by name).

    Columns are taken in sorted order so frames with the same columns in a
    different order fingerprint alike.
    """
    cols = sorted(str(c) for c in (columns if columns is not None else frame.columns))
    return _combine([normalise_column(frame[c]) for c in cols], len(frame))


def content_hashes(frame: pd.DataFrame, columns: list[str], labels: np.ndarray) -> np.ndarray:
    """Normalised fingerprint per row of ``columns`` and a label (class indices) beside them.

    Rows with equal features but another label get another fingerprint: the
    content a model learns from is the pair.
    """
    content = frame[columns].copy()
    content["\0label"] = np.asarray(labels, dtype=np.int64)  # a name no data column has
    return row_hashes(content)


def exact_row_hashes(frame: pd.DataFrame, columns: list[str] | None = None) -> np.ndarray:
    """Fingerprint per row of the values exactly as stored (no normalisation)."""
    cols = sorted(str(c) for c in (columns if columns is not None else frame.columns))
    parts = [
        pd.util.hash_array(frame[c].astype(str).to_numpy(dtype=object), categorize=True)
        for c in cols
    ]
    return _combine(parts, len(frame))
