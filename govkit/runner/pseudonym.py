"""Pseudonyms for group values that are personal data.

A sensitive attribute or quasi-identifier names the groups a check reports
on, and each group's value is printed in report.json, junit.xml and the
packet. When that column holds personal data (an e-mail address, a phone
number...), those outputs would publish it. So before anything is written,
every column named as sensitive or quasi-identifier is scanned with
:func:`govkit.privacy.pii_scan.scan_column` (the same detection
``privacy.pii`` uses), and the values of a column where it finds personal
data are replaced, everywhere in the report, by a stable pseudonym:
``email#3f2a9c1d``, the kind of data and a keyed hash prefix.

The key
    The hash is an HMAC-SHA-256 keyed by a secret that never enters an
    output: ``$GOVKIT_PSEUDONYM_KEY`` when set (for CI, from its secret
    store), else a random key created once per user in
    ``$XDG_CACHE_HOME/govkit/pseudonym.key`` (``~/.cache/govkit/``), readable
    by the user alone. The same value therefore gets the same pseudonym on
    every run on the same machine, so reports can be compared; without the
    key, a pseudonym cannot be turned back into its value by hashing guesses.
    When no key can be kept, a random one is used for this run only, and the
    report says the pseudonyms are not stable.

The system name and the column are hashed with the value, so one address
has unrelated pseudonyms in two systems or two columns.

A column of personal data is a poor group for fairness in any case (every
group holds one person); the fairness checks' messages say so.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import re
import secrets
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import Any

from govkit.atomic import create_atomic
from govkit.errors import InputError
from govkit.report import CheckResult, Measurement
from govkit.safe_read import ReadRefused, read_capped

__all__ = [
    "KEY_ENV",
    "PersonalColumn",
    "Pseudonymiser",
    "find_personal_columns",
    "key_path",
    "local_key",
]

KEY_ENV = "GOVKIT_PSEUDONYM_KEY"
_KEY_BYTES = 32
#: hex digits of the hash kept: 32 bits, so a clash within a column of a few
#: thousand values is rare; a clash lengthens that column's pseudonyms
_DIGITS = 8
#: values shorter than this are replaced in free text only where a group is
#: written (``column=value``): anywhere else they would match unrelated words
_MIN_TEXT_MATCH = 4
_FAIRNESS_PREFIX = "fairness."
_RUN = re.compile(r"[^\W_]+")  # a run of letters and digits


def _swap_group(pseudonyms: dict[str, str], match: re.Match[str]) -> str:
    """``column=value`` with the value (group 1) swapped for its pseudonym."""
    head = match.group(0)[: match.start(1) - match.start(0)]
    return head + pseudonyms[match.group(1)]


def _bounded(text: str, start: int, end: int) -> bool:
    """Whether ``text[start:end]`` is not part of a longer word on either side."""
    before = start > 0 and text[start - 1].isalnum() and text[start].isalnum()
    after = end < len(text) and text[end].isalnum() and text[end - 1].isalnum()
    return not (before or after)


@dataclass(frozen=True)
class PersonalColumn:
    """A sensitive or quasi-identifier column found to hold personal data.

    Attributes
    ----------
    column
        The column name.
    kind
        The kind found in most rows (``email``, ``phone``...), or ``name``
        for a column of people's names.
    roles
        ``sensitive`` and/or ``quasi_identifier``: how govkit.yaml declares it.
    """

    column: str
    kind: str
    roles: tuple[str, ...]


def key_path() -> Path:
    """Where the per-user key is kept: ``$XDG_CACHE_HOME/govkit/pseudonym.key``."""
    cache = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(cache) / "govkit" / "pseudonym.key"


def local_key() -> tuple[bytes, bool]:
    """The pseudonym key and whether it is stable across runs.

    Raises
    ------
    InputError
        When ``$GOVKIT_PSEUDONYM_KEY`` is set but too short to be a secret.
    """
    env = os.environ.get(KEY_ENV)
    if env is not None:
        if len(env) < 16:
            raise InputError(
                f"{KEY_ENV}: at least 16 characters expected for a secret key, got {len(env)}; "
                "e.g. the output of `python -c 'import secrets; print(secrets.token_hex(32))'`"
            )
        return env.encode("utf-8"), True
    path = key_path()
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        # created whole or not at all: two first runs at once both read the one key
        create_atomic(path, secrets.token_bytes(_KEY_BYTES), mode=0o600)
    except FileExistsError:
        pass
    except OSError:
        return secrets.token_bytes(_KEY_BYTES), False
    try:
        key = read_capped(path, cap=4096)
    except ReadRefused:
        return secrets.token_bytes(_KEY_BYTES), False
    if len(key) < _KEY_BYTES:  # a damaged key file: not a secret worth keeping stable
        return secrets.token_bytes(_KEY_BYTES), False
    return key, True


def _column_kind(series: Any) -> str | None:
    """The kind of personal data in most rows of ``series``, or None when there is none."""
    from govkit.privacy.pii_scan import is_name_column, scan_column, text_columns

    name = str(series.name)
    if is_name_column(name):
        return "name"
    if not text_columns(series.to_frame()):
        return None  # numbers are not scanned, as privacy.pii does not scan them
    scan = scan_column(series, dates_are_births="birth" in name.lower(), max_examples=0)
    if not scan.any_rows:
        return None
    return max(scan.counts, key=lambda kind: scan.counts[kind])


def find_personal_columns(
    frames: Sequence[Any], *, sensitive: Sequence[str], quasi_identifiers: Sequence[str]
) -> list[PersonalColumn]:
    """The declared sensitive and quasi-identifier columns that hold personal data.

    Parameters
    ----------
    frames
        The data splits (pandas DataFrames); a column is scanned in each that has it.
    sensitive, quasi_identifiers
        The columns govkit.yaml declares.
    """
    import pandas as pd

    found = []
    for column in dict.fromkeys([*sensitive, *quasi_identifiers]):
        parts = [f[column] for f in frames if column in f.columns]
        if not parts:
            continue
        kind = _column_kind(pd.concat(parts, ignore_index=True).rename(column))
        if kind is None:
            continue
        roles = tuple(
            role
            for role, names in (("sensitive", sensitive), ("quasi_identifier", quasi_identifiers))
            if column in names
        )
        found.append(PersonalColumn(column=column, kind=kind, roles=roles))
    return found


def _distinct_text(frames: Sequence[Any], column: str) -> list[str]:
    """The column's distinct values as group labels spell them (see govkit.stats.groups)."""
    values: set[str] = set()
    for frame in frames:
        if column in frame.columns:
            values.update(frame[column].astype("string").dropna().astype(str).unique())
    return sorted(values)


class Pseudonymiser:
    """Replaces the values of personal-data columns in check results.

    Parameters
    ----------
    columns
        From :func:`find_personal_columns`.
    frames
        The data splits, for every value each column holds.
    key
        The secret of :func:`local_key`.
    system
        The system name, hashed with each value.
    """

    def __init__(
        self, columns: Sequence[PersonalColumn], frames: Sequence[Any], *, key: bytes, system: str
    ) -> None:
        self.columns = {c.column: c for c in columns}
        self.mapping: dict[str, dict[str, str]] = {}
        for col in columns:
            values = _distinct_text(frames, col.column)
            self.mapping[col.column] = self._pseudonyms(values, col, key, system)
        flat: dict[str, str] = {}
        for per_column in self.mapping.values():
            flat.update(per_column)
        self._flat = flat
        # free text is searched by word: each value is indexed under its rarest run
        # of letters and digits (and where that run starts in it). A regular
        # expression of every value compiles and runs in seconds for a column of
        # thousands of addresses; this is one dict lookup per word of text, and
        # the rarest run keeps the candidates per word few even when every
        # address starts alike (``first.last@company.com``).
        words = {v: [(m.group(), m.start()) for m in _RUN.finditer(v)] for v in flat}
        counts = Counter(w for runs in words.values() for w in {w for w, _ in runs})
        self._index: dict[str, list[tuple[int, str]]] = {}
        for v in sorted(flat, key=len, reverse=True):
            if len(v) < _MIN_TEXT_MATCH or not words[v]:
                continue
            word, at = min(words[v], key=lambda run: (counts[run[0]], -len(run[0])))
            self._index.setdefault(word, []).append((at, v))
        # a short value ("Al") is searched for only as a group is written, ``column=value``
        self._short: list[tuple[re.Pattern[str], dict[str, str]]] = []
        for column, per_column in self.mapping.items():
            short = sorted((v for v in per_column if len(v) < _MIN_TEXT_MATCH), key=len)[::-1]
            if short:
                alternatives = "|".join(re.escape(v) for v in short)
                pattern = re.compile(rf"(?<![^\W_]){re.escape(column)}=({alternatives})(?![^\W_])")
                self._short.append((pattern, per_column))

    @staticmethod
    def _pseudonyms(
        values: Iterable[str], col: PersonalColumn, key: bytes, system: str
    ) -> dict[str, str]:
        digests = {
            v: hmac.new(
                key,
                "\0".join((system, col.column, v)).encode("utf-8", "surrogatepass"),
                hashlib.sha256,
            ).hexdigest()
            for v in values
        }
        digits = _DIGITS
        while len({d[:digits] for d in digests.values()}) < len(digests) and digits < 64:
            digits += 4  # two values would share a pseudonym: lengthen them all
        return {v: f"{col.kind}#{d[:digits]}" for v, d in digests.items()}

    def text(self, value: str) -> str:
        """Free text with every personal value in it replaced (leftmost, longest first)."""
        if value in self._flat:
            return self._flat[value]
        for pattern, per_column in self._short:
            value = pattern.sub(partial(_swap_group, per_column), value)
        if not self._index:
            return value
        out: list[str] = []
        done = pos = 0
        while (word := _RUN.search(value, pos)) is not None:
            pos = word.end()
            for offset, raw in self._index.get(word.group(), ()):
                start = word.start() - offset
                end = start + len(raw)
                if start >= done and value.startswith(raw, start) and _bounded(value, start, end):
                    out += [value[done:start], self._flat[raw]]
                    done = pos = end
                    break
        return "".join([*out, value[done:]]) if out else value

    def _tree(self, value: Any) -> Any:
        if isinstance(value, str):
            return self.text(value)
        if isinstance(value, dict):
            return {self.text(str(k)): self._tree(v) for k, v in value.items()}
        if isinstance(value, list | tuple):
            return [self._tree(v) for v in value]
        return value

    def _group(self, group: dict[str, str] | None) -> dict[str, str] | None:
        if group is None:
            return None
        return {
            k: self.mapping[k].get(v, v) if k in self.mapping else self.text(v)
            for k, v in group.items()
        }

    def _measurement(self, m: Measurement) -> Measurement:
        feature = self.text(m.feature) if m.feature is not None else None
        return m.model_copy(update={"group": self._group(m.group), "feature": feature})

    def result(self, r: CheckResult, *, stable: bool) -> CheckResult:
        """``r`` with personal values replaced, and a note saying which columns were."""
        measurements = [self._measurement(m) for m in r.measurements]
        grouped = sorted({k for m in r.measurements for k in (m.group or {}) if k in self.columns})
        message = self.text(r.message)
        details = self._tree(r.details)
        if grouped:
            names = ", ".join(f"'{c}' ({self.columns[c].kind})" for c in grouped)
            message = (
                f"{message.rstrip()} Group values of {names} are personal data and are "
                "shown as pseudonyms."
            )
            details["pseudonymised_columns"] = {c: self.columns[c].kind for c in grouped}
            if not stable:
                details["pseudonyms_stable"] = False
        personal_groups = [c for c, col in self.columns.items() if "sensitive" in col.roles]
        if r.id.startswith(_FAIRNESS_PREFIX) and personal_groups:
            names = ", ".join(f"'{c}' ({self.columns[c].kind})" for c in personal_groups)
            message = (
                f"{message.rstrip()} The sensitive column(s) {names} hold personal data: "
                "such a column should not be used as a group (each group is about one "
                "person); declare a coarser attribute instead."
            )
            details["personal_data_groups"] = {c: self.columns[c].kind for c in personal_groups}
        return r.model_copy(
            update={"measurements": measurements, "message": message, "details": details}
        )


def pseudonymise(
    results: Sequence[CheckResult],
    key_figures: dict[str, str],
    *,
    frames: Sequence[Any],
    sensitive: Sequence[str],
    quasi_identifiers: Sequence[str],
    system: str,
) -> tuple[list[CheckResult], dict[str, str], list[PersonalColumn]]:
    """Check results and key figures with the values of personal-data columns replaced.

    Parameters
    ----------
    results, key_figures
        What the checks produced, before anything is written.
    frames
        The data splits (pandas DataFrames).
    sensitive, quasi_identifiers
        The columns govkit.yaml declares.
    system
        The system name, hashed with each value.

    Returns
    -------
    results, key_figures, columns
        Unchanged (and no key made) when no declared column holds personal data.
    """
    columns = find_personal_columns(
        frames, sensitive=sensitive, quasi_identifiers=quasi_identifiers
    )
    if not columns:
        return list(results), dict(key_figures), []
    key, stable = local_key()
    mapper = Pseudonymiser(columns, frames, key=key, system=system)
    return (
        [mapper.result(r, stable=stable) for r in results],
        {k: mapper.text(v) for k, v in key_figures.items()},
        columns,
    )
