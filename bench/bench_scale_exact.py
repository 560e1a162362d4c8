"""Exactness at scale: the same figures from rows in memory, from DuckDB's cells and from Ray's.

A synthetic predictions-only lake (hive-partitioned Parquet: sensitive ``sex``
and ``race``, an ``age`` slice, label, prediction, score, features with
missing values, quasi-identifiers) is measured three ways:

- with ``govkit check --engine pandas|duckdb|ray`` on a generated project:
  the figures of report.json are compared
  one by one (fairness and classification must agree to 1e-9; calibration
  and AUC within the bound the report states, or the cells' own bound);
- with ``--statistics``, the statistics themselves: the cells of the rows read by
  pandas (:func:`govkit.scale.cells.cells_of_frame`), of DuckDB and of Ray
  (skipped with a message when its engine is absent), and the figures the
  checks compute from them (per-group selection rate, TPR and FPR and their
  differences, accuracy, precision, recall, F1, ECE, ROC AUC) against the
  same figures computed from the rows.

Run: ``.venv/bin/python bench/bench_scale_exact.py [--rows 1000000] [--full]``
(``--full``: 5M rows). Prints figures; asserts nothing.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _scale_data import AGE_BINS, folder_bytes, write_lake

REPO = Path(__file__).resolve().parents[1]
SENSITIVE = ("sex", "race")
ECE_BINS = 15
#: fairness and classification figures must agree to this
EXACT = 1e-9


def _timed(fn: Callable[[], Any]) -> tuple[float, Any]:
    start = time.perf_counter()
    out = fn()
    return time.perf_counter() - start, out


# --- the figures, from rows (weights 1) or from cells (weights = counts) -------------------


def _rates(parts: pd.DataFrame) -> pd.DataFrame:
    """Selection rate, TPR and FPR of each group, from the groups' weighted counts."""
    return pd.DataFrame(
        {
            "selection_rate": parts["predicted"] / parts["w"],
            "tpr": parts["true_positive"] / parts["positive"],
            "fpr": parts["false_positive"] / (parts["w"] - parts["positive"]),
        }
    )


def _classification(y: np.ndarray, p: np.ndarray, w: np.ndarray) -> dict[str, float]:
    tp = float((w * ((y == 1) & (p == 1))).sum())
    fp = float((w * ((y == 0) & (p == 1))).sum())
    fn = float((w * ((y == 1) & (p == 0))).sum())
    tn = float((w * ((y == 0) & (p == 0))).sum())
    precision, recall = tp / (tp + fp), tp / (tp + fn)
    return {
        "accuracy": (tp + tn) / (tp + fp + fn + tn),
        "precision": precision,
        "recall": recall,
        "f1": 2 * precision * recall / (precision + recall),
        "balanced_accuracy": 0.5 * (recall + tn / (tn + fp)),
    }


def _ece(score_sum: np.ndarray, y: np.ndarray, w: np.ndarray, bins: np.ndarray) -> float:
    """Plug-in l1 calibration error with equal-width bins: each row (or cell) in ``bins``."""
    total = w.sum()
    out = 0.0
    for b in range(ECE_BINS):
        m = bins == b
        if w[m].sum():
            out += abs(score_sum[m].sum() - (w[m] * (y[m] == 1)).sum()) / total
    return float(out)


def _auc_of_cells(level: np.ndarray, y: np.ndarray, w: np.ndarray) -> float:
    """ROC AUC of cells: pairs within one level count one half."""
    size = int(level.max()) + 1
    pos = np.bincount(level, weights=w * (y == 1), minlength=size)
    neg = np.bincount(level, weights=w * (y == 0), minlength=size)
    below = np.cumsum(neg) - neg
    return float((pos * (below + 0.5 * neg)).sum() / (pos.sum() * neg.sum()))


def _figures(
    table: pd.DataFrame,
    *,
    weight: np.ndarray,
    score_sum: np.ndarray,
    ece_bins: np.ndarray,
    auc: float,
) -> dict[tuple[str, str], float]:
    """Every figure, keyed by (feature or group, name)."""
    out: dict[tuple[str, str], float] = {}
    y, p = table["label"].to_numpy(), table["pred"].to_numpy()
    for name, value in _classification(y, p, weight).items():
        out["overall", name] = value
    out["overall", "ece"] = _ece(score_sum, y, weight, ece_bins)
    out["overall", "roc_auc"] = auc
    groupings = [*([c] for c in SENSITIVE), list(SENSITIVE), ["age"]]
    counts = table[[*SENSITIVE, "age"]].copy()
    counts["w"] = weight
    counts["predicted"] = weight * (p == 1)
    counts["positive"] = weight * (y == 1)
    counts["true_positive"] = weight * ((y == 1) & (p == 1))
    counts["false_positive"] = weight * ((y == 0) & (p == 1))
    for columns in groupings:
        feature = "&".join(columns)
        parts = counts.groupby(columns, dropna=False, sort=True).sum(numeric_only=True)
        rates = _rates(parts)
        for group, row in rates.iterrows():
            label = "|".join(str(g) for g in (group if isinstance(group, tuple) else (group,)))
            for name, value in row.items():
                out[f"{feature}={label}", str(name)] = float(value)
        for name in rates.columns:
            values = rates[name].dropna()
            out[feature, f"{name}_difference"] = float(values.max() - values.min())
    return out


def _from_rows(rows: pd.DataFrame) -> dict[tuple[str, str], float]:
    from sklearn.metrics import roc_auc_score

    from govkit.scale.cells import bin_representative

    table = rows.copy()
    table["age"] = bin_representative(table["age"].to_numpy(dtype=float), AGE_BINS)
    scores = table["score"].to_numpy()
    bins = np.minimum((scores * ECE_BINS).astype(int), ECE_BINS - 1)
    auc = float(roc_auc_score(table["label"], scores))
    ones = np.ones(len(table))
    return _figures(table, weight=ones, score_sum=scores, ece_bins=bins, auc=auc)


def _from_cells(cells: pd.DataFrame) -> tuple[dict[tuple[str, str], float], dict[str, float]]:
    """The figures of the cells, and the bounds of what quantising the scores can move."""
    from govkit.scale.cells import LEVEL, LEVELS, SCORE_SUM, WEIGHT, auc_error_bound

    w = cells[WEIGHT].to_numpy(dtype=float)
    level = cells[LEVEL].to_numpy()
    # a level lies in one ECE bin unless a bin edge falls strictly inside it
    low, high = level / LEVELS, (level + 1) / LEVELS
    bins = np.minimum((low * ECE_BINS).astype(int), ECE_BINS - 1)
    straddles = np.floor(high * ECE_BINS - 1e-12) > np.floor(low * ECE_BINS)
    y = cells["label"].to_numpy()
    figures = _figures(
        cells,
        weight=w,
        score_sum=cells[SCORE_SUM].to_numpy(),
        ece_bins=bins,
        auc=_auc_of_cells(level, y, w),
    )
    bounds = {
        "roc_auc": auc_error_bound(level, y == 1, w),
        # moving a row's mass to the neighbouring bin moves the l1 error by at most twice it
        "ece": 2.0 * float(w[straddles].sum() / w.sum()),
    }
    return figures, bounds


# --- the two ways of running ---------------------------------------------------------------


def _ray_available() -> bool:
    return importlib.util.find_spec("govkit.scale.engines.ray_engine") is not None


def run_statistics(lake: Path, rows: int) -> None:
    import pyarrow.dataset as pads

    from govkit.scale.cells import SCORE_SUM, WEIGHT, CellSpec, Key, cells_of_frame
    from govkit.scale.engines.base import TableRef
    from govkit.scale.engines.duckdb_engine import DuckDBEngine

    files = tuple(sorted(str(p) for p in lake.rglob("*.parquet")))
    table = TableRef(files, hive=True)
    spec = CellSpec(
        keys=(Key("sex"), Key("race"), Key("age", AGE_BINS)),
        label="label",
        pred="pred",
        score="score",
    )
    needed = ["sex", "race", "age", "label", "pred", "score"]

    def read_rows() -> pd.DataFrame:
        dataset = pads.dataset(
            list(files),
            format="parquet",
            partitioning=pads.HivePartitioning.discover(infer_dictionary=False),
            partition_base_dir=str(lake),
        )
        return dataset.to_table(columns=needed).to_pandas()

    t_read, frame = _timed(read_rows)
    t_pandas, pandas_cells = _timed(lambda: cells_of_frame(frame, spec))
    with DuckDBEngine() as engine:
        t_duck, duck_cells = _timed(lambda: engine.cells([table], spec))
        described = engine.describe()
    engines = {"duckdb": duck_cells}
    print(f"\ncells of {rows:,} rows ({len(pandas_cells):,} cells)")
    print(f"  pandas  read {t_read:6.2f} s + cells {t_pandas:6.2f} s")
    print(
        f"  duckdb  {t_duck:6.2f} s  ({described['threads']} threads, "
        f"memory limit {described['memory_limit']})"
    )
    if _ray_available():
        from govkit.scale.engines.ray_engine import RayEngine  # type: ignore[import-not-found]

        ray_engine = RayEngine()
        try:
            t_ray, ray_cells = _timed(lambda: ray_engine.cells([table], spec))
        finally:
            ray_engine.close()
        engines["ray"] = ray_cells
        print(f"  ray     {t_ray:6.2f} s")
    else:
        print("  ray     skipped: govkit.scale.engines.ray_engine is not installed here")

    keys = [c for c in pandas_cells.columns if c not in (WEIGHT, SCORE_SUM)]
    for name, cells in engines.items():
        same_keys = cells[keys].equals(pandas_cells[keys])
        same_counts = bool((cells[WEIGHT].to_numpy() == pandas_cells[WEIGHT].to_numpy()).all())
        worst = float(
            np.max(
                np.abs(cells[SCORE_SUM].to_numpy() - pandas_cells[SCORE_SUM].to_numpy())
                / np.maximum(np.abs(pandas_cells[SCORE_SUM].to_numpy()), 1e-300)
            )
        )
        print(
            f"  {name} vs pandas cells: keys equal {same_keys}, counts equal {same_counts}, "
            f"score sums max relative difference {worst:.1e}"
        )

    t_rows, from_rows = _timed(lambda: _from_rows(frame))
    print(f"\nfigures from the rows in memory: {len(from_rows)} ({t_rows:.1f} s)")
    for name, cells in {"pandas": pandas_cells, **engines}.items():
        figures, bounds = _from_cells(cells)
        exact = [
            abs(figures[k] - from_rows[k]) for k in from_rows if k[1] not in ("ece", "roc_auc")
        ]
        print(
            f"  {name:7s} cells: fairness + classification ({len(exact)} figures) max |diff| "
            f"{max(exact):.1e} (target {EXACT:.0e}); "
            + "; ".join(
                f"{m} |diff| {abs(figures['overall', m] - from_rows['overall', m]):.1e} "
                f"(bound {bounds[m]:.1e})"
                for m in ("roc_auc", "ece")
            )
        )


def _project(folder: Path, lake: Path) -> Path:
    import yaml

    suite = {
        "suite": 1,
        "name": "scale-exact",
        "checks": [
            {"id": "performance.classification", "severity": "warn", "params": {"n_boot": 0}},
            {"id": "performance.calibration", "severity": "warn", "params": {"n_boot": 0}},
            {"id": "fairness.demographic_parity", "severity": "warn", "params": {"n_boot": 0}},
            {"id": "fairness.equalized_odds", "severity": "warn", "params": {"n_boot": 0}},
            {"id": "fairness.equal_opportunity", "severity": "warn", "params": {"n_boot": 0}},
        ],
    }
    (folder / "suite.yaml").write_text(yaml.safe_dump(suite, sort_keys=False))
    config = {
        "govkit": 1,
        "system": {"name": "scale-exact", "version": "1"},
        "model": {"predictions": {"label": "pred", "score": "score"}},
        "data": {
            "eval": str(lake),
            "label": "label",
            "sensitive": list(SENSITIVE),
            "slices": [{"column": "age", "bins": list(AGE_BINS)}],
        },
        "suite": "suite.yaml",
        "output": "out",
    }
    path = folder / "govkit.yaml"
    path.write_text(yaml.safe_dump(config, sort_keys=False))
    return path


def _measurements(report: Path) -> dict[tuple[Any, ...], tuple[float, dict[str, Any]]]:
    data = json.loads(report.read_text())
    out: dict[tuple[Any, ...], tuple[float, dict[str, Any]]] = {}
    for result in data["results"]:
        for m in result.get("measurements", []):
            if m.get("value") is None:
                continue
            group = tuple(sorted((m.get("group") or {}).items()))
            key = (result["id"], m["name"], group, m.get("feature"), m.get("model"), m.get("vs"))
            out[key] = (float(m["value"]), result.get("details", {}))
    return out


def _stated_bounds(details: Any, prefix: str = "") -> dict[str, float]:
    """Every number under a key naming a bound in a result's details (e.g. the AUC error bound)."""
    out: dict[str, float] = {}
    if isinstance(details, dict):
        for key, value in details.items():
            if isinstance(value, int | float) and "bound" in str(key):
                out[str(key)] = max(out.get(str(key), float("-inf")), float(value))
            elif isinstance(value, dict | list):
                for k, v in _stated_bounds(value).items():
                    out[k] = max(out.get(k, float("-inf")), v)
    elif isinstance(details, list):
        for item in details:
            for k, v in _stated_bounds(item).items():
                out[k] = max(out.get(k, float("-inf")), v)
    return out


def run_cli(folder: Path, lake: Path) -> None:
    config = _project(folder, lake)
    engines = ["pandas", "duckdb", *(["ray"] if _ray_available() else [])]
    if not _ray_available():
        print("ray: skipped, govkit.scale.engines.ray_engine is not installed here")
    found: dict[str, dict[tuple[Any, ...], tuple[float, dict[str, Any]]]] = {}
    for engine in engines:
        out = folder / f"out-{engine}"
        wall, done = _timed(
            lambda engine=engine, out=out: subprocess.run(
                [
                    sys.executable,
                    "-m",
                    "govkit",
                    "check",
                    "-c",
                    str(config),
                    "-q",
                    "--engine",
                    engine,
                    "--out",
                    str(out),
                ],
                capture_output=True,
                text=True,
                cwd=REPO,
                check=False,
            )
        )
        if done.returncode not in (0, 1):
            print(f"{engine}: govkit check exited {done.returncode}\n{done.stderr[-2000:]}")
            continue
        found[engine] = _measurements(out / "report.json")
        print(f"govkit check --engine {engine:7s} {wall:7.1f} s, {len(found[engine])} figures")
    if "pandas" not in found:
        return
    reference = found["pandas"]
    for engine, figures in found.items():
        if engine == "pandas":
            continue
        exact: list[float] = []
        bounded: dict[str, list[float]] = {}
        missing = [k for k in reference if k not in figures]
        for key, (value, _) in reference.items():
            if key not in figures:
                continue
            diff = abs(figures[key][0] - value)
            if key[0] == "performance.calibration" or key[1] in ("roc_auc", "auc"):
                bounded.setdefault(f"{key[0]}:{key[1]}", []).append(diff)
            else:
                exact.append(diff)
        print(
            f"{engine} vs pandas: fairness + classification ({len(exact)} figures) max |diff| "
            f"{max(exact, default=float('nan')):.1e} (target {EXACT:.0e}); "
            f"{len(missing)} figures of pandas absent"
        )
        stated = {key[0]: _stated_bounds(details) for key, (_, details) in figures.items()}
        for name, diffs in sorted(bounded.items()):
            check = name.split(":")[0]
            bounds = ", ".join(f"{k} {v:.1e}" for k, v in sorted(stated.get(check, {}).items()))
            print(
                f"  {name}: max |diff| {max(diffs):.1e} over {len(diffs)} figures "
                f"(the report's bounds: {bounds or 'none stated'})"
            )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--full", action="store_true", help="5M rows")
    parser.add_argument(
        "--statistics",
        action="store_true",
        help="compare the statistics directly rather than govkit check's reports",
    )
    args = parser.parse_args(argv)
    rows = 5_000_000 if args.full else args.rows

    with tempfile.TemporaryDirectory(prefix="govkit-bench-") as tmp:
        folder = Path(tmp)
        lake = folder / "lake"
        t_write, files = _timed(lambda: write_lake(lake, rows))
        print(
            f"data: {rows:,} rows in {len(files)} hive-partitioned Parquet files, "
            f"{folder_bytes(lake) / 1e6:.0f} MB, written in {t_write:.1f} s"
        )
        if args.statistics:
            run_statistics(lake, rows)
        else:
            run_cli(folder, lake)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
