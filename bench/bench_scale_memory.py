"""Memory flat in rows: peak RSS and time of the gate on a small and a 10x larger lake, DuckDB engine.

Two synthetic predictions-only lakes (hive-partitioned Parquet, written in
chunks so the generator itself stays flat) are measured, each in a fresh
process whose peak RSS is read from ``os.wait4``:

- the gate with the DuckDB engine (fairness, classification, calibration,
  data quality and k-anonymity): ``govkit check --engine duckdb``, and the
  engine's statistics those checks need alone (cells, profile, class sizes,
  row count);
- the anchor: DuckDB alone scanning the same files for the (group, label,
  prediction) counts;
- the floor of any gate that measures this suite exactly and traces its
  inputs: the interpreter importing what ``govkit check`` imports, every
  file hashed (the report records each file's SHA-256, on the same threads
  the gate uses) and DuckDB reading every column the data-quality check
  profiles, once, into the cheapest aggregate that must see each value
  (``min``); and, beside it, DuckDB alone computing the cells
  themselves (those keys and the score level: millions of groups) in one
  GROUP BY, what the cells cost before any check; and DuckDB alone computing
  every statistic the suite needs in plain SQL (the cells, the missing
  counts, the column figures with sketches, the k-anonymity classes);
- on the small lake only, beside them: the pandas path (every row in memory)
  and fairlearn's MetricFrame (selection rate, TPR, FPR by sex and race).

Targets: peak RSS grows less than 30% from the small lake to the large one;
the large run takes at most 3x the DuckDB anchor. The floor shows how much of
that budget no exact gate of this suite can avoid.

Run: ``.venv/bin/python bench/bench_scale_memory.py [--small 1000000 --large 5000000] [--full]``
(``--full``: 5M and 50M rows, about 1.2 GB of disk; ``--repeat``: runs of each
measurement, the fastest shown, default 2; pandas and fairlearn run once).
Prints figures; asserts nothing.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

# this checkout's govkit, whichever one the environment has installed
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parent))
from _scale_data import AGE_BINS, folder_bytes, write_lake

REPO = Path(__file__).resolve().parents[1]
HERE = Path(__file__).resolve()
QUASI_IDENTIFIERS = ("zip3", "age", "sex")
PROFILED = ("sex", "race", "age", "zip3", "income", "hours", "education", "label", "pred", "score")


def _measure(command: list[str]) -> tuple[float, float, int, str]:
    """Run ``command``; its wall time (s), peak RSS (MB), exit status and the tail of its output."""
    with tempfile.TemporaryFile() as out:
        start = time.perf_counter()
        proc = subprocess.Popen(command, stdout=out, stderr=subprocess.STDOUT, cwd=REPO)
        _, status, usage = os.wait4(proc.pid, 0)
        wall = time.perf_counter() - start
        proc.returncode = os.waitstatus_to_exitcode(status)
        out.seek(0)
        text = out.read().decode(errors="replace")
    return wall, usage.ru_maxrss / 1024.0, proc.returncode, text[-3000:]


def _best(command: list[str], repeat: int) -> tuple[float, float, int, str]:
    """``command`` run ``repeat`` times: the shortest wall time and the largest peak RSS.

    The shortest time, because what slows a run down (another process, a page
    cache the machine reclaimed) is noise; the largest peak, so memory is never
    understated.
    """
    runs = [_measure(command) for _ in range(repeat)]
    fastest = min(runs, key=lambda r: r[0])
    failed = next((r for r in runs if r[2] not in (0, 1)), fastest)
    return fastest[0], max(r[1] for r in runs), failed[2], failed[3]


# --- what each measured process runs (this script, called with --child) -------------------


def _files(lake: str) -> tuple[str, ...]:
    return tuple(sorted(str(p) for p in Path(lake).rglob("*.parquet")))


def child_engine(lake: str) -> None:
    """The DuckDB engine computing what the five checks need."""
    from govkit.scale.cells import CellSpec, Key
    from govkit.scale.engines.base import ProfileSpec, TableRef
    from govkit.scale.engines.duckdb_engine import DuckDBEngine

    table = [TableRef(_files(lake), hive=True)]
    with DuckDBEngine() as engine:
        engine.n_rows(table)
        spec = CellSpec(
            keys=(Key("sex"), Key("race"), Key("age", AGE_BINS)),
            label="label",
            pred="pred",
            score="score",
        )
        cells = engine.cells(table, spec)
        engine.profile(
            table,
            ProfileSpec(columns=PROFILED, groups=("sex", "race"), label="label", markers=("?",)),
        )
        engine.class_sizes(table, list(QUASI_IDENTIFIERS), "race")
    print(json.dumps({"cells": len(cells)}))


def child_anchor(lake: str) -> None:
    """DuckDB alone: the (group, label, prediction) counts of the same files."""
    import duckdb

    files = ", ".join("'" + f.replace("'", "''") + "'" for f in _files(lake))
    con = duckdb.connect()
    rows = con.execute(
        f"SELECT sex, race, label, pred, count(*) FROM read_parquet([{files}], "
        "hive_partitioning = true) GROUP BY ALL"
    ).fetchall()
    print(json.dumps({"groups": len(rows)}))


def child_floor(lake: str) -> None:
    """What no exact, traced gate of this suite avoids: imports, hashing every file, one read of every column."""
    import duckdb
    import pandas  # noqa: F401  (what a statistics run imports, whatever it then measures)

    import govkit.checks.registry
    import govkit.runner.run
    import govkit.runner.statistics
    import govkit.scale.engines.duckdb_engine  # noqa: F401
    from govkit.runner.provenance import _artifacts

    files = _files(lake)
    _artifacts("eval_data", [Path(f) for f in files], Path(lake))
    listed = ", ".join("'" + f.replace("'", "''") + "'" for f in files)
    con = duckdb.connect()
    row = con.execute(
        f"SELECT {', '.join(f'min({c})' for c in PROFILED)} FROM read_parquet([{listed}], "
        "hive_partitioning = true)"
    ).fetchall()
    print(json.dumps({"columns": len(row[0])}))


def _duckdb_source(lake: str) -> tuple[Any, str]:
    import duckdb

    files = ", ".join("'" + f.replace("'", "''") + "'" for f in _files(lake))
    con = duckdb.connect()
    con.execute("SET preserve_insertion_order = false")
    return con, f"read_parquet([{files}], hive_partitioning = true)"


def _cells_query(src: str) -> str:
    level = "least(greatest(floor(score * 65536), 0), 65535)::BIGINT"
    age_bin = " + ".join(f"CAST(age >= {e} AS INTEGER)" for e in AGE_BINS)
    return (
        f"SELECT sex, race, {age_bin} AS age_bin, label, pred, "
        f"{level} AS level, count(*), sum(score) FROM {src} GROUP BY ALL"
    )


def child_anchor_cells(lake: str) -> None:
    """DuckDB alone: the cells themselves (group, label, pred, score level) in one GROUP BY."""
    con, src = _duckdb_source(lake)
    rows = con.execute(_cells_query(src)).fetchall()
    print(json.dumps({"cells": len(rows)}))


def child_anchor_suite(lake: str) -> None:
    """DuckDB alone, in plain SQL: every statistic the suite needs, as one would first write it.

    The cells (one GROUP BY), the missing values by (sex, race, label) with
    the ``?`` marker on text columns, each column's present and distinct
    counts (a HyperLogLog sketch), mean, standard deviation and quantiles (a
    t-digest sketch), and the k-anonymity classes with their distinct
    sensitive values.
    """
    con, src = _duckdb_source(lake)
    text = {"sex", "race", "education"}

    def missing(c: str) -> str:
        if c in text:
            return f"({c} IS NULL OR trim({c}) = '?')"
        return f"({c} IS NULL OR isnan({c}::DOUBLE))"

    con.execute(_cells_query(src)).fetchall()
    flags = ", ".join(f"sum({missing(c)}::BIGINT)" for c in PROFILED)
    any_missing = " OR ".join(missing(c) for c in PROFILED)
    con.execute(
        f"SELECT sex, race, label, count(*), {flags}, sum(({any_missing})::BIGINT) "
        f"FROM {src} GROUP BY ALL"
    ).fetchall()
    figures = []
    for c in PROFILED:
        value = f"CASE WHEN {missing(c)} THEN NULL ELSE {c} END"
        figures += [f"count({value})", f"approx_count_distinct({value})"]
        if c not in text:
            number = f"CASE WHEN {missing(c)} THEN NULL ELSE {c}::DOUBLE END"
            figures += [
                f"avg({number})",
                f"stddev_pop({number})",
                f"approx_quantile({number}, [0.05, 0.5, 0.95])",
            ]
    con.execute(f"SELECT {', '.join(figures)} FROM {src}").fetchall()
    classes = con.execute(
        f"SELECT {', '.join(QUASI_IDENTIFIERS)}, count(*), count(DISTINCT race) "
        f"FROM {src} GROUP BY ALL"
    ).fetchall()
    print(json.dumps({"classes": len(classes)}))


def child_pandas(lake: str) -> None:
    """The rows in memory: the pandas reference of the same statistics."""
    import pyarrow.dataset as pads

    from govkit.scale.cells import CellSpec, Key, cells_of_frame
    from govkit.scale.engines.base import ProfileSpec, class_sizes_of_frame, profile_of_frame

    dataset = pads.dataset(
        list(_files(lake)),
        format="parquet",
        partitioning=pads.HivePartitioning.discover(infer_dictionary=False),
        partition_base_dir=lake,
    )
    frame = dataset.to_table().to_pandas()
    spec = CellSpec(
        keys=(Key("sex"), Key("race"), Key("age", AGE_BINS)),
        label="label",
        pred="pred",
        score="score",
    )
    cells = cells_of_frame(frame, spec)
    profile_of_frame(
        frame, ProfileSpec(columns=PROFILED, groups=("sex", "race"), label="label", markers=("?",))
    )
    class_sizes_of_frame(frame, list(QUASI_IDENTIFIERS), "race")
    print(json.dumps({"cells": len(cells)}))


def child_fairlearn(lake: str) -> None:
    """fairlearn's MetricFrame by sex and race on the rows (read with pandas)."""
    import fairlearn.metrics as flm
    import pandas as pd

    frame = pd.read_parquet(lake, columns=["sex", "race", "label", "pred"])
    flm.MetricFrame(
        metrics={
            "selection_rate": flm.selection_rate,
            "tpr": flm.true_positive_rate,
            "fpr": flm.false_positive_rate,
        },
        y_true=frame["label"],
        y_pred=frame["pred"],
        sensitive_features=frame[["sex", "race"]],
    )
    print(json.dumps({"rows": len(frame)}))


CHILDREN = {
    "engine": child_engine,
    "anchor": child_anchor,
    "floor": child_floor,
    "anchor-cells": child_anchor_cells,
    "anchor-suite": child_anchor_suite,
    "pandas": child_pandas,
    "fairlearn": child_fairlearn,
}


# --- the gate through the command line ----------------------------------------------------


def _project(folder: Path, lake: Path) -> Path:
    import yaml

    checks = [
        "performance.classification",
        "performance.calibration",
        "fairness.demographic_parity",
        "fairness.equalized_odds",
        "fairness.equal_opportunity",
        "data.quality",
        "privacy.k_anonymity",
    ]
    suite = {
        "suite": 1,
        "name": "scale-memory",
        # no bootstrap: the run measures reading and aggregating, not resampling
        "checks": [{"id": c, "severity": "warn", "params": {"n_boot": 0}} for c in checks],
    }
    (folder / "suite.yaml").write_text(yaml.safe_dump(suite, sort_keys=False))
    config = {
        "govkit": 1,
        "system": {"name": "scale-memory", "version": "1"},
        "model": {"predictions": {"label": "pred", "score": "score"}},
        "data": {
            "eval": str(lake),
            "label": "label",
            "sensitive": ["sex", "race"],
            "quasi_identifiers": list(QUASI_IDENTIFIERS),
            "slices": [{"column": "age", "bins": list(AGE_BINS)}],
        },
        "suite": "suite.yaml",
        "output": str(folder / "out"),
    }
    path = folder / "govkit.yaml"
    path.write_text(yaml.safe_dump(config, sort_keys=False))
    return path


def _gate_command(folder: Path, lake: Path, engine: str) -> list[str]:
    config = _project(folder, lake)
    return [
        sys.executable,
        "-m",
        "govkit",
        "check",
        "-c",
        str(config),
        "-q",
        "--engine",
        engine,
    ]


def _line(name: str, measured: tuple[float, float, int, str]) -> str:
    wall, rss, code, _ = measured
    note = "" if code in (0, 1) else f"  (exit {code})"
    return f"  {name:38s} {wall:8.1f} s  {rss:8.0f} MB peak RSS{note}"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--small", type=int, default=1_000_000)
    parser.add_argument("--large", type=int, default=5_000_000)
    parser.add_argument("--full", action="store_true", help="5M and 50M rows")
    parser.add_argument("--repeat", type=int, default=2, help="runs of each; the fastest is shown")
    parser.add_argument("--dir", default=None, help="where the lakes are written (default: TMP)")
    parser.add_argument("--child", choices=sorted(CHILDREN), help=argparse.SUPPRESS)
    parser.add_argument("lake", nargs="?", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        CHILDREN[args.child](args.lake)
        return 0
    small, large = (5_000_000, 50_000_000) if args.full else (args.small, args.large)
    how = "govkit check --engine duckdb"
    import duckdb

    print(f"DuckDB {duckdb.__version__}, {os.cpu_count()} CPUs")
    results: dict[int, dict[str, Any]] = {}
    with tempfile.TemporaryDirectory(prefix="govkit-bench-", dir=args.dir) as tmp:
        for rows in (small, large):
            folder = Path(tmp) / str(rows)
            folder.mkdir()
            lake = folder / "lake"
            start = time.perf_counter()
            files = write_lake(lake, rows)
            print(
                f"\n{rows:,} rows: {len(files)} files, {folder_bytes(lake) / 1e6:.0f} MB "
                f"(written in {time.perf_counter() - start:.0f} s)"
            )

            def child(name: str, lake: Path = lake) -> list[str]:
                return [sys.executable, str(HERE), "--child", name, str(lake)]

            gate = _best(_gate_command(folder, lake, "duckdb"), args.repeat)
            alone = _best(child("engine"), args.repeat)
            anchor = _best(child("anchor"), args.repeat)
            floor = _best(child("floor"), args.repeat)
            cells = _best(child("anchor-cells"), args.repeat)
            suite = _best(child("anchor-suite"), args.repeat)
            print(_line(how, gate))
            print(_line("the engine's statistics alone", alone))
            print(_line("DuckDB alone: (group, label, pred)", anchor))
            print(_line("floor: imports, hashes, one read", floor))
            print(_line("DuckDB alone: the cells, one GROUP BY", cells))
            print(_line("DuckDB alone: the suite in plain SQL", suite))
            if gate[2] not in (0, 1):
                print(gate[3])
            results[rows] = {"gate": gate, "anchor": anchor, "suite": suite, "floor": floor}
            if rows == small:
                fits = rows * 200 < (os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")) // 2
                if fits:
                    print(
                        _line(
                            "pandas (rows in memory)",
                            _best(_gate_command(folder, lake, "pandas"), 1),
                        )
                    )
                    fl = _best(child("fairlearn"), 1)
                    print(_line("fairlearn MetricFrame (sex, race)", fl))
                else:
                    print(
                        "  pandas and fairlearn: skipped, the rows would not fit in half the memory"
                    )
            shutil.rmtree(lake)
    g_small, g_large = results[small]["gate"], results[large]["gate"]
    growth = g_large[1] / g_small[1] - 1.0
    ratio = g_large[0] / results[large]["anchor"][0]
    print(
        f"\npeak RSS {small:,} -> {large:,} rows: {g_small[1]:.0f} -> {g_large[1]:.0f} MB, "
        f"growth {growth:+.0%} (target < +30%)"
    )
    print(f"time of the {large:,}-row run against DuckDB alone: {ratio:.1f}x (target <= 3x)")
    least = results[large]["floor"][0]
    print(
        f"the floor of any exact gate of this suite against DuckDB alone: "
        f"{least / results[large]['anchor'][0]:.1f}x; the gate against that floor: "
        f"{g_large[0] / least:.1f}x"
    )
    same = g_large[0] / results[large]["suite"][0]
    print(f"against DuckDB alone computing the suite's statistics in plain SQL: {same:.2f}x")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
