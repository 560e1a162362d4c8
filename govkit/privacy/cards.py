"""Reading what a dataset card declares, defensively.

The data checks compare what they measure with what the dataset card says:
which columns hold personal data, how the population is distributed, how
missing values are written. Cards arrive as loaded models (or, from older
tools, plain mappings), and a card may omit any of these optional parts, so
every reader here accepts either form and returns an empty answer rather than
failing.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

__all__ = [
    "dataset_cards",
    "declared_missing_markers",
    "declared_population_shares",
    "declared_sensitive_columns",
]

_NAME_KEYS = ("field", "column", "name", "attribute")
_SHARE_KEYS = (
    "population_shares",
    "population_distribution",
    "population",
    "expected",
    "distribution",
)


def _get(obj: Any, key: str) -> Any:
    if isinstance(obj, Mapping):
        return obj.get(key)
    return getattr(obj, key, None)


def _as_list(value: Any) -> list[Any]:
    if value is None or isinstance(value, (str, bytes, Mapping)):
        return []
    if isinstance(value, Iterable):
        return list(value)
    return []


def dataset_cards(documents: Mapping[str, Any] | None) -> list[Any]:
    """The loaded dataset cards (an empty list when there are none)."""
    if not documents:
        return []
    found = documents.get("dataset_card")
    if found is None:
        return []
    if isinstance(found, (list, tuple)):
        return list(found)
    return [found]


def declared_sensitive_columns(documents: Mapping[str, Any] | None) -> set[str] | None:
    """Columns the dataset cards declare as personal or sensitive.

    Reads ``sensitive_data[].field`` and the fields marked ``sensitive`` in
    ``data_fields``. Returns None when there is no dataset card at all, so a
    caller can tell "nothing declared" from "no card".
    """
    cards = dataset_cards(documents)
    if not cards:
        return None
    declared: set[str] = set()
    for card in cards:
        for entry in _as_list(_get(card, "sensitive_data")):
            if isinstance(entry, str):
                declared.add(entry)
                continue
            for key in _NAME_KEYS:
                name = _get(entry, key)
                if isinstance(name, str) and name:
                    declared.add(name)
                    break
            for key in ("fields", "columns"):
                declared.update(n for n in _as_list(_get(entry, key)) if isinstance(n, str))
        for spec in _as_list(_get(card, "data_fields")):
            name = _get(spec, "name")
            if _get(spec, "sensitive") is True and isinstance(name, str):
                declared.add(name)
    return declared


def declared_population_shares(documents: Mapping[str, Any] | None) -> dict[str, dict[str, float]]:
    """Attribute -> group value -> population share, from ``subpopulations``.

    Entries with no usable shares are skipped; shares that are not numbers
    are ignored.
    """
    out: dict[str, dict[str, float]] = {}
    for card in dataset_cards(documents):
        for entry in _as_list(_get(card, "subpopulations")):
            attribute = next((a for k in _NAME_KEYS if isinstance(a := _get(entry, k), str)), None)
            if attribute is None:
                continue
            for key in _SHARE_KEYS:
                shares = _get(entry, key)
                if isinstance(shares, Mapping) and shares:
                    clean = {
                        str(g): float(v)
                        for g, v in shares.items()
                        if isinstance(v, (int, float)) and not isinstance(v, bool)
                    }
                    if clean:
                        out.setdefault(attribute, clean)
                        break
    return out


def declared_missing_markers(documents: Mapping[str, Any] | None) -> list[str]:
    """How the cards say missing values are written (``missing_data.encoding``), if they say."""
    markers: list[str] = []
    for card in dataset_cards(documents):
        encoding = _get(_get(card, "missing_data"), "encoding")
        if not isinstance(encoding, str):
            continue
        token = encoding.strip().strip("'\"`")
        # a short token such as "?" or "NA" is a marker; a sentence describes one and is skipped
        if token and len(token) <= 10 and " " not in token:
            markers.append(token)
    return markers
