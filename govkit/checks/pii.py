"""privacy.pii: personal data in the columns, against what the dataset card declares.

Every text, categorical and numeric column of each split is scanned for
e-mail addresses, phone numbers, payment card numbers (Luhn-checked, also
when stored as integers or floats), IBANs (country length and mod 97), US
social security numbers, IP addresses, dates of birth and people's names
(column name, value shape and a list of common names). The report holds counts and at most a few *masked* examples per
column and kind, never a raw value. Personal data in a column the dataset
card does not declare as sensitive is a failure: the card would be wrong.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from pydantic import Field

from govkit.checks.base import Check, CheckParams, Evidence
from govkit.checks.context import CheckContext
from govkit.privacy.cards import declared_sensitive_columns
from govkit.privacy.pii_scan import PII_KINDS, ColumnScan, scan_frame, scanned_columns
from govkit.report import Measurement
from govkit.stats.rates import wilson_interval

__all__ = ["Pii", "PiiParams"]


class PiiParams(CheckParams):
    """Parameters of the PII scan."""

    max_examples: int = Field(
        default=3, ge=0, le=3, description="Masked examples per column and kind."
    )
    ignore_columns: list[str] = Field(default_factory=list, description="Columns not scanned.")


class Pii(Check):
    """Counts of personal data per column and kind, with masked examples."""

    id = "privacy.pii"
    title = "Personal data scan"
    judges_itself = True
    Params = PiiParams
    # undeclared personal data is a failure by itself; this bounds the rest
    default_thresholds = ()

    def measure(self, ctx: CheckContext, params: Any) -> Evidence:
        splits = [ctx.eval] + ([ctx.train] if ctx.train is not None else [])
        declared = declared_sensitive_columns(ctx.documents)
        counts: dict[str, dict[str, dict[str, int]]] = {}
        examples: dict[str, dict[str, list[str]]] = {}
        rows_with_pii: dict[str, int] = {}
        rows_scanned: dict[str, int] = {}
        for split in splits:
            columns = [
                c for c in scanned_columns(split.frame) if c not in set(params.ignore_columns)
            ]
            scans: list[ColumnScan] = scan_frame(
                split.frame, columns=columns, max_examples=params.max_examples
            )
            counts[split.name] = {}
            for scan in scans:
                rows_scanned[scan.column] = rows_scanned.get(scan.column, 0) + len(split.frame)
                rows_with_pii[scan.column] = rows_with_pii.get(scan.column, 0) + scan.any_rows
                if not scan.counts:
                    continue
                counts[split.name][scan.column] = dict(scan.counts)
                merged = examples.setdefault(scan.column, {})
                for kind, masked in scan.examples.items():
                    have = merged.setdefault(kind, [])
                    have.extend(m for m in masked if m not in have)
                    del have[params.max_examples :]

        found_columns = sorted(c for c, k in rows_with_pii.items() if k > 0)
        undeclared = [c for c in found_columns if declared is None or c not in declared]
        failures = []
        for column in undeclared:
            kinds = _kinds_in(column, counts)
            where = (
                "no dataset card declares it"
                if declared is None
                else ("the dataset card does not declare it in sensitive_data")
            )
            failures.append(f"column '{column}' holds personal data ({kinds}) but {where}")

        measurements = self._measurements(rows_with_pii, rows_scanned, params)
        totals = {
            kind: sum(c.get(kind, 0) for s in counts.values() for c in s.values())
            for kind in PII_KINDS
        }
        details: dict[str, Any] = {
            "pii_counts": counts,
            "pii_totals": {k: v for k, v in totals.items() if v},
            "masked_examples": examples,
            "columns_scanned": sorted(rows_scanned),
            "columns_with_pii": found_columns,
            "declared_sensitive_columns": sorted(declared) if declared is not None else None,
            "undeclared_columns_with_pii": undeclared,
        }
        summary = (
            f"No personal data found in {len(rows_scanned)} columns."
            if not found_columns
            else f"Personal data found in {len(found_columns)} column(s), all declared as sensitive."
        )
        return Evidence(
            measurements=measurements, failures=failures, details=details, summary=summary
        )

    @staticmethod
    def _measurements(
        rows_with_pii: dict[str, int], rows_scanned: dict[str, int], params: Any
    ) -> list[Measurement]:
        """Per column, the share of rows holding any personal data."""
        columns = sorted(rows_scanned)
        if not columns:
            return []
        hits = np.array([rows_with_pii[c] for c in columns], dtype=np.float64)
        n = np.array([rows_scanned[c] for c in columns], dtype=np.float64)
        share = hits / np.maximum(n, 1)
        # Wilson score intervals: a column with no finding still gets an upper bound
        ci = wilson_interval(hits, n, params.confidence)
        return [
            Measurement(
                name="pii_row_share",
                feature=c,
                value=float(share[i]),
                n=int(n[i]),
                ci=(float(ci[0, i]), float(ci[1, i])) if n[i] > 0 else None,
            )
            for i, c in enumerate(columns)
        ]


def _kinds_in(column: str, counts: dict[str, dict[str, dict[str, int]]]) -> str:
    total: dict[str, int] = {}
    for per_split in counts.values():
        for kind, k in per_split.get(column, {}).items():
            total[kind] = total.get(kind, 0) + k
    return ", ".join(f"{kind}: {k} rows" for kind, k in total.items())
