"""Checksums that separate real card numbers and IBANs from look-alike digit runs.

A regular expression finds sixteen digits; only the Luhn check says whether
they can be a payment card, and only the ISO 7064 mod-97 check whether a
string can be an IBAN. Both run on whole arrays at once: the strings become a
fixed-width byte matrix and the loop runs over character positions (at most
34), never over rows.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

__all__ = ["iban_valid", "luhn_valid"]

_CARD_WIDTH = 19  # longest payment card number (ISO/IEC 7812)
_IBAN_WIDTH = 34  # longest IBAN (ISO 13616)


def _byte_matrix(values: np.ndarray, width: int) -> np.ndarray:
    """(N, width) uint8 matrix of ASCII strings, right-aligned with leading '0'."""
    padded = np.char.zfill(np.asarray(values, dtype=f"U{width}"), width).astype(f"S{width}")
    matrix = np.frombuffer(padded.tobytes(), dtype=np.uint8).reshape(-1, width)
    return matrix.astype(np.int64)


def luhn_valid(digits: np.ndarray) -> np.ndarray:
    """Whether each digit string passes the Luhn check (ISO/IEC 7812-1).

    Parameters
    ----------
    digits
        1-D array of strings of ASCII digits, at most 19 long.

    Returns
    -------
    numpy.ndarray
        Boolean array, False for strings with any non-digit or of the wrong length.

    Examples
    --------
    >>> luhn_valid(np.array(["4111111111111111", "4111111111111112"])).tolist()
    [True, False]
    """
    values = pd.Series(np.asarray(digits, dtype=object), dtype=object).astype(str)
    if values.empty:
        return np.zeros(0, dtype=bool)
    ok_shape = values.str.fullmatch(r"[0-9]{1,19}").to_numpy(dtype=bool)
    # leading zeros add nothing to the Luhn sum, so left-padding keeps the answer
    safe = np.where(ok_shape, values.to_numpy(dtype=str), "0")
    d = _byte_matrix(safe, _CARD_WIDTH) - ord("0")
    # double every second digit counting from the rightmost (check) digit
    doubled = d[:, _CARD_WIDTH - 2 :: -2] * 2
    doubled = np.where(doubled > 9, doubled - 9, doubled)
    total = d[:, _CARD_WIDTH - 1 :: -2].sum(axis=1) + doubled.sum(axis=1)
    return ok_shape & (total % 10 == 0)


def iban_valid(ibans: np.ndarray) -> np.ndarray:
    """Whether each string is an IBAN with a correct mod-97 check (ISO 13616).

    Parameters
    ----------
    ibans
        1-D array of strings without spaces, e.g. ``"GB82WEST12345698765432"``;
        lower case is accepted.

    Returns
    -------
    numpy.ndarray
        Boolean array; False for anything not shaped like an IBAN.

    Examples
    --------
    >>> iban_valid(np.array(["GB82WEST12345698765432", "GB83WEST12345698765432"])).tolist()
    [True, False]
    """
    values = pd.Series(np.asarray(ibans, dtype=object), dtype=object).astype(str).str.upper()
    if values.empty:
        return np.zeros(0, dtype=bool)
    ok_shape = values.str.fullmatch(r"[A-Z]{2}[0-9]{2}[A-Z0-9]{11,30}").to_numpy(dtype=bool)
    safe = values.where(ok_shape, "AA00000000000000")
    # move country code and check digits to the end, as the standard prescribes
    rearranged = (safe.str.slice(4) + safe.str.slice(0, 4)).to_numpy(dtype=str)
    m = _byte_matrix(rearranged, _IBAN_WIDTH)
    is_letter = m >= ord("A")
    value = np.where(is_letter, m - ord("A") + 10, m - ord("0"))
    rem = np.zeros(len(values), dtype=np.int64)
    for j in range(_IBAN_WIDTH):  # over character positions, not rows
        rem = np.where(is_letter[:, j], rem * 100 + value[:, j], rem * 10 + value[:, j]) % 97
    return ok_shape & (rem == 1)
