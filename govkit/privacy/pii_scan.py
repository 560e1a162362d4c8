"""Finding personal data in the columns of a table.

Each detector is a compiled regular expression, and the kinds that have a
checksum (payment cards: Luhn; IBANs: their country's length and mod 97;
IPv6: the address grammar) are validated after matching, so a sixteen-digit
order number is not reported as a card. People's names are recognised by
column name, value shape and a short list of common names (see
:mod:`govkit.privacy.names`). Numeric columns are scanned too: a card number
stored as an integer or a float is its digits (a number column counts as
cards when most of its card-shaped numbers pass Luhn), and a number in a
column whose name says phone is a phone number. The work runs on each column's *unique*
values with pandas' vectorised string methods; counts are then weighted by
how often each value occurs. Only masked examples leave this module, never a
matched value.
"""

from __future__ import annotations

import ipaddress
import re
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from govkit.privacy.checksums import iban_valid, luhn_valid
from govkit.privacy.masking import MASKERS
from govkit.privacy.names import is_name_column, name_values

__all__ = [
    "PII_KINDS",
    "ColumnScan",
    "is_name_column",
    "numeric_columns",
    "scan_column",
    "scan_frame",
    "scanned_columns",
    "text_columns",
]

#: every kind of personal data the scan looks for, in report order
PII_KINDS: tuple[str, ...] = (
    "email",
    "phone",
    "credit_card",
    "iban",
    "ssn",
    "ip_address",
    "date_of_birth",
    "person_name",
)

_EMAIL = re.compile(r"([A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,})")
# the look-arounds stop a match inside a longer run of digit groups (cards, IBANs, IPs)
_PHONE = re.compile(
    r"(?<![0-9])(?<![0-9][ .-])("
    r"\+[0-9]{7,15}"
    r"|(?:\+[0-9]{1,3}[ .-]?)?(?:\([0-9]{1,4}\)[ .-]?|[0-9]{2,4}[ .-])[0-9]{3,4}[ .-]?[0-9]{3,4}"
    r")(?![ .-]?[0-9])"
)
_CARD = re.compile(r"(?<![0-9])(?<![0-9][ -])((?:[0-9][ -]?){12,18}[0-9])(?![ -]?[0-9])")
_IBAN = re.compile(r"(?<![A-Za-z0-9])([A-Za-z]{2}[0-9]{2}(?: ?[A-Za-z0-9]){11,30})(?![A-Za-z0-9])")
_SSN = re.compile(
    r"(?<![0-9-])((?!000|666|9[0-9]{2})[0-9]{3}-(?!00)[0-9]{2}-(?!0000)[0-9]{4})(?![0-9-])"
)
_IPV4 = re.compile(
    r"(?<![0-9.])((?:(?:25[0-5]|2[0-4][0-9]|1[0-9]{2}|[1-9]?[0-9])\.){3}"
    r"(?:25[0-5]|2[0-4][0-9]|1[0-9]{2}|[1-9]?[0-9]))(?![0-9.])"
)
# a candidate only; the ipaddress module decides (times like 12:30:45 are rejected there)
_IPV6 = re.compile(r"(?<![0-9A-Fa-f:])((?:[0-9A-Fa-f]{0,4}:){2,7}[0-9A-Fa-f]{0,4})(?![0-9A-Fa-f:])")
_DATE = re.compile(
    r"(?<![0-9])("
    r"(?:19|20)[0-9]{2}[-/.](?:0?[1-9]|1[0-2])[-/.](?:0?[1-9]|[12][0-9]|3[01])"
    r"|(?:0?[1-9]|[12][0-9]|3[01])[-/.](?:0?[1-9]|1[0-2])[-/.](?:19|20)?[0-9]{2}"
    r"|(?:0?[1-9]|1[0-2])[-/.](?:0?[1-9]|[12][0-9]|3[01])[-/.](?:19|20)?[0-9]{2}"
    r")(?![0-9])"
)
_BIRTH_COLUMN = re.compile(r"birth|(^|[^a-z])dob([^a-z]|$)|(^|[^a-z])born([^a-z]|$)", re.IGNORECASE)
_PHONE_COLUMN = re.compile(r"phone|(^|[^a-z])tel([^a-z]|$)|mobile|cell|fax|msisdn", re.IGNORECASE)
#: payment card numbers start with 2-6 (ISO/IEC 7812 major industry identifiers of
#: banking and finance); a number column is checked against this, text is not
_CARD_FIRST_DIGITS = "23456"
#: a number column holds cards when at least this share of its card-shaped rows pass Luhn
MIN_CARD_SHARE = 0.5
#: whole numbers at or above this are no card (20 digits) and do not fit uint64
_NUMBER_CEILING = 1e19


@dataclass
class ColumnScan:
    """What the scan found in one column.

    Attributes
    ----------
    column
        The column name.
    rows
        Rows scanned (non-missing values).
    counts
        PII kind -> rows holding at least one finding of that kind.
    examples
        PII kind -> up to ``max_examples`` distinct masked findings.
    any_rows
        Rows holding at least one finding of any kind.
    """

    column: str
    rows: int
    counts: dict[str, int] = field(default_factory=dict)
    examples: dict[str, list[str]] = field(default_factory=dict)
    any_rows: int = 0


def text_columns(frame: pd.DataFrame) -> list[str]:
    """Columns holding text or categories (object, string, category), plus datetimes."""
    out = []
    for name, dtype in frame.dtypes.items():
        if (
            isinstance(dtype, pd.CategoricalDtype)
            or pd.api.types.is_object_dtype(dtype)
            or pd.api.types.is_string_dtype(dtype)
            or pd.api.types.is_datetime64_any_dtype(dtype)
        ):
            out.append(str(name))
    return out


def numeric_columns(frame: pd.DataFrame) -> list[str]:
    """Integer and float columns (booleans excluded): card and phone numbers stored as numbers."""
    return [
        str(name)
        for name, dtype in frame.dtypes.items()
        if pd.api.types.is_numeric_dtype(dtype) and not pd.api.types.is_bool_dtype(dtype)
    ]


def scanned_columns(frame: pd.DataFrame) -> list[str]:
    """Every column the scan reads: text, categorical, datetime and numeric, in table order."""
    chosen = set(text_columns(frame)) | set(numeric_columns(frame))
    return [str(c) for c in frame.columns if str(c) in chosen]


def _matches(
    values: pd.Series, arrow: pd.Series, prefilter: str, pattern: re.Pattern[str]
) -> pd.Series:
    """Every match of ``pattern``'s group, indexed by the position of its value.

    ``prefilter`` is a cheap necessary condition run by Arrow's RE2 engine in C
    over all values; Python's ``re`` (needed for look-behind) then runs only on
    the values that pass it.
    """
    candidates = values[arrow.str.contains(prefilter, regex=True).to_numpy(dtype=bool)]
    if candidates.empty:
        return pd.Series([], dtype=object)
    found = candidates.str.findall(pattern).explode().dropna()
    return pd.Series(found.to_numpy(dtype=object), index=found.index.to_numpy(dtype=np.int64))


def _valid_cards(found: pd.Series) -> pd.Series:
    digits = found.str.replace(r"[^0-9]", "", regex=True)
    # a run of one repeated digit passes Luhn (0000...) but is a placeholder, not a card
    repeated = digits.str.fullmatch(r"([0-9])\1*").to_numpy(dtype=bool)
    ok = luhn_valid(digits.to_numpy(dtype=str)) & (digits.str.len() >= 13).to_numpy() & ~repeated
    return found[ok]


def _valid_ibans(found: pd.Series) -> pd.Series:
    compact = found.str.replace(" ", "", regex=False).str.upper()
    return found[iban_valid(compact.to_numpy(dtype=str))]


def _valid_ipv6(found: pd.Series) -> pd.Series:
    uniques = pd.unique(found.to_numpy(dtype=object))
    good = set()
    for candidate in uniques:  # candidates are rare; the grammar check is exact
        try:
            ipaddress.IPv6Address(str(candidate))
        except ValueError:
            continue
        good.add(candidate)
    return found[found.isin(good)]


def _found_by_kind(values: pd.Series, *, dates_are_births: bool) -> dict[str, pd.Series]:
    """PII kind -> matched strings indexed by the position of the unique value."""
    arrow = values.astype("string[pyarrow]")
    found: dict[str, pd.Series] = {
        "email": _matches(values, arrow, r"@[A-Za-z0-9-]+\.", _EMAIL),
        "phone": _matches(values, arrow, r"[0-9]{3}[ .-]?[0-9]{3}|\+[0-9]{7}", _PHONE),
        "credit_card": _valid_cards(_matches(values, arrow, r"(?:[0-9][ -]?){12}[0-9]", _CARD)),
        "iban": _valid_ibans(_matches(values, arrow, r"[A-Za-z]{2}[0-9]{2}", _IBAN)),
        "ssn": _matches(values, arrow, r"[0-9]{3}-[0-9]{2}-[0-9]{4}", _SSN),
        "ip_address": pd.concat(
            [
                _matches(values, arrow, r"[0-9]{1,3}(?:\.[0-9]{1,3}){3}", _IPV4),
                _valid_ipv6(_matches(values, arrow, r":[0-9A-Fa-f]*:", _IPV6)),
            ]
        ),
    }
    if dates_are_births:
        found["date_of_birth"] = _matches(
            values, arrow, r"[0-9]{1,4}[-/.][0-9]{1,2}[-/.][0-9]{2}", _DATE
        )
    return found


def scan_column(
    series: pd.Series, *, dates_are_births: bool = False, max_examples: int = 3
) -> ColumnScan:
    """Scan one column for personal data.

    Parameters
    ----------
    series
        The column; missing values are skipped.
    dates_are_births
        Count date-like values as dates of birth (the column's name says so,
        or the table has a column of names beside it).
    max_examples
        At most this many masked examples per kind.

    Returns
    -------
    ColumnScan
        Row counts per kind and masked examples; no raw value.
    """
    if pd.api.types.is_numeric_dtype(series.dtype) and not pd.api.types.is_bool_dtype(series.dtype):
        return _scan_numbers(series, max_examples)
    present = series.dropna()
    if pd.api.types.is_datetime64_any_dtype(present.dtype):
        present = present.dt.strftime("%Y-%m-%d")
    text = present.astype(str).astype(object)
    counts = text.value_counts(sort=False)
    scan = ColumnScan(column=str(series.name), rows=len(text))
    if counts.empty:
        return scan
    # positional index, so matches map back to their value's frequency
    uniques = pd.Series(counts.index.to_numpy(dtype=object), dtype=object)
    weights = counts.to_numpy(dtype=np.int64)
    any_hit = np.zeros(len(uniques), dtype=bool)
    for kind, matched in _found_by_kind(uniques, dates_are_births=dates_are_births).items():
        if matched.empty:
            continue
        hit = np.zeros(len(uniques), dtype=bool)
        hit[matched.index.to_numpy(dtype=np.int64)] = True
        any_hit |= hit
        scan.counts[kind] = int(weights[hit].sum())
        masked: list[str] = []
        # first matches in order of appearance: deterministic, and no sort of every match
        for raw in matched.drop_duplicates().head(8 * max(max_examples, 1)).to_numpy(dtype=str):
            m = MASKERS[kind](raw)
            if m not in masked and len(masked) < max_examples:
                masked.append(m)
        scan.examples[kind] = masked
    if not pd.api.types.is_datetime64_any_dtype(series.dtype):
        names = name_values(uniques, weights, column=scan.column)
        _record(
            scan, "person_name", names, uniques[names].to_numpy(), weights, any_hit, max_examples
        )
    scan.any_rows = int(weights[any_hit].sum())
    return scan


def _record(
    scan: ColumnScan,
    kind: str,
    hit: np.ndarray,
    shown: np.ndarray,
    weights: np.ndarray,
    any_hit: np.ndarray,
    max_examples: int,
) -> None:
    """Add one kind's rows and masked examples (``shown``: the matched text per hit value)."""
    if not hit.any():
        return
    any_hit |= hit
    scan.counts[kind] = int(weights[hit].sum())
    masked: list[str] = []
    for raw in shown[: 8 * max(max_examples, 1)]:
        m = MASKERS[kind](str(raw))
        if m not in masked and len(masked) < max_examples:
            masked.append(m)
    scan.examples[kind] = masked


def _digits(values: np.ndarray) -> pd.Series:
    """Decimal digits of whole, non-negative numbers; None for anything else."""
    v = np.asarray(values)
    if np.issubdtype(v.dtype, np.integer):
        out = pd.Series(v.astype(str), dtype=object)
        return out.where(v >= 0, None)
    f = v.astype(np.float64)
    whole = np.isfinite(f) & (f >= 0) & (f < _NUMBER_CEILING) & (np.floor(f) == f)
    # float64 holds a 16-digit card exactly below 2**53; above it, whatever digits it kept
    text = np.where(whole, f, 0.0).astype(np.uint64).astype(str)
    return pd.Series(text, dtype=object).where(whole, None)


def _scan_numbers(series: pd.Series, max_examples: int) -> ColumnScan:
    """Card numbers (and, in a phone column, phone numbers) stored as numbers."""
    present = series.dropna()
    counts = present.value_counts(sort=False)
    scan = ColumnScan(column=str(series.name), rows=len(present))
    if counts.empty:
        return scan
    digits = _digits(counts.index.to_numpy())
    weights = counts.to_numpy(dtype=np.int64)
    known = digits.notna().to_numpy(dtype=bool)
    text = digits.fillna("").astype(str)
    length = text.str.len().to_numpy()
    any_hit = np.zeros(len(text), dtype=bool)
    repeated = text.str.fullmatch(r"([0-9])\1*").to_numpy(dtype=bool)
    card_shaped = (
        known
        & (length >= 13)
        & (length <= 19)
        & text.str[:1].isin(list(_CARD_FIRST_DIGITS)).to_numpy(dtype=bool)
        & ~repeated
    )
    card = card_shaped & luhn_valid(text.to_numpy(dtype=str))
    # a column of card numbers passes Luhn throughout; a column of random 16-digit ids
    # passes it one time in ten, and is not a card column
    shaped_rows = float(weights[card_shaped].sum())
    if shaped_rows == 0 or float(weights[card].sum()) / shaped_rows < MIN_CARD_SHARE:
        card = np.zeros_like(card)
    _record(scan, "credit_card", card, text[card].to_numpy(), weights, any_hit, max_examples)
    if _PHONE_COLUMN.search(str(series.name)):
        # a leading 0 or + is lost when a number is stored: 7 to 15 digits (E.164) remain
        phone = known & (length >= 7) & (length <= 15) & ~repeated & ~card
        _record(scan, "phone", phone, text[phone].to_numpy(), weights, any_hit, max_examples)
    scan.any_rows = int(weights[any_hit].sum())
    return scan


def scan_frame(
    frame: pd.DataFrame, *, columns: list[str] | None = None, max_examples: int = 3
) -> list[ColumnScan]:
    """Scan the text and numeric columns of ``frame`` (or ``columns``) for personal data.

    A date-like value counts as a date of birth when its column's name says
    birth/dob/born, or when the table also holds a column of names.
    """
    names = columns if columns is not None else scanned_columns(frame)
    has_names = any(is_name_column(str(c)) for c in frame.columns)
    out = []
    for column in names:
        births = bool(_BIRTH_COLUMN.search(column)) or (has_names and not is_name_column(column))
        out.append(
            scan_column(
                frame[column].rename(column), dates_are_births=births, max_examples=max_examples
            )
        )
    return out
