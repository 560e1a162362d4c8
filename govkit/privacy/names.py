"""Recognising a column of people's names.

No pattern describes a name, so three kinds of evidence are combined:

- the column's name (``name``, ``last_name``, ``customer_name``, ...);
- the value's shape: one to four words, each a capital letter followed by
  letters (apostrophes, hyphens and a final period allowed) or an initial,
  optionally written ``Family, Given``;
- a short list of common given and family names shipped with govkit
  (``govkit/privacy/name_lists/*.txt``): at least one word of the value must be
  on it.

A column whose name says it holds names counts every name-shaped value of
two or more words, or of one listed word. Any other column counts only when
at least half of its values are name-shaped, of two or more words, with a
listed word; so a ``race`` column holding ``White`` (also a family name) is
not a column of names. The limits are real: rare names are missed (false
negatives), and a column of two-word values that happen to be common names
(``Rose Hill``, a street or a firm) is reported (false positives).
"""

from __future__ import annotations

import re
from functools import lru_cache
from importlib import resources

import numpy as np
import pandas as pd

__all__ = ["MIN_NAME_SHARE", "is_name_column", "known_names", "name_values"]

#: a column without a telling name counts as names when at least this share of its rows are
MIN_NAME_SHARE = 0.5

# a capitalised word of two letters or more (all capitals too), or an initial "J."
_WORD = r"(?:[A-Z][A-Za-z'\-]*[A-Za-z]\.?|[A-Z]\.)"
# lower-case particles inside a name: "Maria de la Cruz", "Ludwig van Beethoven"
_SEP = r" (?:(?:de|del|della|der|den|da|di|du|la|le|van|von|bin|ibn|al|y) )*"
_ONE = re.compile(_WORD)
_SEVERAL = re.compile(
    rf"{_WORD}(?:{_SEP}{_WORD}){{1,3}}|{_WORD}(?:{_SEP}{_WORD}){{0,2}}, {_WORD}(?:{_SEP}{_WORD})?"
)
_SPLIT = re.compile(r"[\s.,'\-]+")
_NAME_COLUMN = re.compile(
    r"(?:(?:first|last|full|given|family|middle|maiden|sur|fore|person|customer|patient"
    r"|client|employee|contact|owner|holder|account_holder|card_holder)[ _-]?)?names?"
    r"|(?:surname|forename|fullname|firstname|lastname)s?"
)


@lru_cache(maxsize=1)
def known_names() -> frozenset[str]:
    """The shipped given and family names, lower case."""
    folder = resources.files("govkit.privacy").joinpath("name_lists")
    words: set[str] = set()
    for part in ("given.txt", "family.txt"):
        for line in folder.joinpath(part).read_text(encoding="utf-8").splitlines():
            word = line.strip()
            if word and not word.startswith("#"):
                words.add(word.lower())
    return frozenset(words)


def is_name_column(column: str) -> bool:
    """Whether a column's name says it holds people's names (``name``, ``last_name``...)."""
    key = column.strip().lower().replace(" ", "_")
    return _NAME_COLUMN.fullmatch(key) is not None


def name_values(uniques: pd.Series, weights: np.ndarray, *, column: str) -> np.ndarray:
    """Which unique values of one text column are people's names.

    Parameters
    ----------
    uniques
        The column's distinct non-missing values as strings, positionally indexed.
    weights
        How many rows hold each value.
    column
        The column's name.

    Returns
    -------
    numpy.ndarray
        Boolean per unique value; all False when the column does not hold names.
    """
    if uniques.empty:
        return np.zeros(0, dtype=bool)
    names = known_names()
    # one pass over the distinct values with compiled patterns: a column of names has
    # as many distinct values as rows, and the per-call cost of vectorised regex
    # engines outweighs the loop on the short columns this mostly sees
    text = [" ".join(str(v).split()) for v in uniques]
    several = np.array([_SEVERAL.fullmatch(t) is not None for t in text], dtype=bool)
    one = np.array([_ONE.fullmatch(t) is not None for t in text], dtype=bool)
    known = np.array([any(w in names for w in _SPLIT.split(t.lower())) for t in text], dtype=bool)
    if is_name_column(column):
        return several | (one & known)
    found = several & known
    total = float(np.sum(weights))
    if total == 0 or float(np.sum(weights[found])) / total < MIN_NAME_SHARE:
        return np.zeros(len(uniques), dtype=bool)
    return found
