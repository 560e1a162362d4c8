"""Model card fields filled from the report: results, fairness, explainability, privacy.

Results and fairness gather every ``performance.*`` and ``fairness.*`` check;
explainability and privacy each read one check; the software environment and
the uncertainty settings come from the run itself.
"""

from __future__ import annotations

from collections.abc import Sequence

from pydantic import BaseModel

from govkit.render.autofill.common import (
    NO_FIGURES,
    FillInput,
    FillRule,
    as_int,
    figure_cells,
    filled,
    make_table,
    number,
    overall_of,
    percent,
    provenance_source,
    source_of,
    titled,
    titled_text,
)
from govkit.render.fields import FilledNode, FillSource, TableNode
from govkit.render.formatting import format_count, format_group, format_interval, format_value
from govkit.report import CheckResult, Measurement, Report

__all__ = ["RULES"]

# Rows shown in a ranking before the rest is summarised in a note.
_TOP = 15
# Metrics side by side in a per-group table: more would not fit an A4 page.
_PIVOT_METRICS = 4


def _headline(r: CheckResult) -> str:
    """The first overall figure of a check, with its interval: ``name value [lo, hi]``."""
    ms = overall_of(r) or [m for m in r.own_measurements() if m.group is None]
    if not ms:
        return r.message
    m = ms[0]
    where = f" ({m.feature})" if m.feature else ""
    return f"{m.name}{where} {format_value(m.value)} {format_interval(m.ci)}"


def _results_of(report: Report, prefix: str) -> list[CheckResult]:
    return [r for r in report.results if r.id.startswith(prefix)]


def _declared_metrics(document: BaseModel) -> list[str]:
    return [str(m.name) for m in getattr(document, "metrics", None) or []]


def _judged(r: CheckResult) -> list[str]:
    rules = r.threshold.get("rules")
    rules = rules if isinstance(rules, list) else [r.threshold]
    return [str(rule["metric"]) for rule in rules if isinstance(rule, dict) and "metric" in rule]


def _pivot(grouped: Sequence[Measurement], metrics: Sequence[str]) -> TableNode:
    """One row per group, one column per metric: ``value [low, high]``.

    The n column is the group's size for the first metric; a cell whose n
    differs (precision counts predicted positives) says so.
    """
    cells: dict[str, dict[str, Measurement]] = {}
    for m in grouped:
        if m.name in metrics:
            cells.setdefault(format_group(m.group), {}).setdefault(m.name, m)
    rows = []
    for group, by_metric in cells.items():
        first = next((by_metric[n] for n in metrics if n in by_metric), None)
        n = first.n if first is not None else None
        row = [group, format_count(n)]
        for name in metrics:
            cell = by_metric.get(name)
            if cell is None:
                row.append("—")
                continue
            text = f"{format_value(cell.value)} {format_interval(cell.ci)}"
            row.append(text if cell.n == n else f"{text} (n={format_count(cell.n)})")
        rows.append(row)
    return make_table(("Group", "n", *metrics), rows)


def _results(inp: FillInput) -> FilledNode | None:
    checks = [r for r in _results_of(inp.report, "performance.") if r.status not in NO_FIGURES]
    if not checks:
        return None
    overall = [m for r in checks for m in overall_of(r)]
    grouped = [m for r in checks for m in r.own_measurements() if m.group and m.feature is None]
    # Group tables keep to the metrics the card declares (else the judged
    # ones), a few at most, so they stay readable on a page.
    present = {m.name for m in grouped}
    wanted = [n for n in _declared_metrics(inp.document) if n in present]
    wanted = wanted or [n for r in checks for n in _judged(r) if n in present]
    wanted = list(dict.fromkeys(wanted or sorted(present)[:1]))[:_PIVOT_METRICS]
    entries = []
    if overall:
        rows = [(m.name, *figure_cells(m)) for m in overall]
        entries.append(
            titled("Overall", make_table(("Metric", "Value", "95% interval", "n"), rows))
        )
    single = [m for m in grouped if len(m.group or {}) == 1]
    multi = [m for m in grouped if len(m.group or {}) > 1]
    if single:
        entries.append(titled("Per group", _pivot(single, wanted)))
    if multi:
        entries.append(titled("Intersectional", _pivot(multi, wanted)))
    note = ""
    if grouped:
        note = (
            f"Groups shown for {', '.join(wanted)}, each as value [95% interval]; "
            "every figure is under the check results."
        )
    return filled([source_of(r) for r in checks], entries, note=note)


def _fairness(inp: FillInput) -> FilledNode | None:
    used: list[CheckResult] = []
    # (measure, sensitive column) -> {"difference": m, "ratio": m}, in report order
    pairs: dict[tuple[str, str], dict[str, Measurement]] = {}
    status_of: dict[tuple[str, str], str] = {}
    others: list[tuple[str, ...]] = []
    for r in _results_of(inp.report, "fairness."):
        ms = [m for m in r.own_measurements() if m.group is None and m.feature]
        if r.status in NO_FIGURES or not ms:
            continue
        used.append(r)
        status = r.status.replace("_", " ") + (" (waived)" if r.waiver is not None else "")
        for m in ms:
            base, _, kind = m.name.rpartition("_")
            if base and kind in ("difference", "ratio"):
                key = (base, str(m.feature))
                pairs.setdefault(key, {})[kind] = m
                status_of[key] = status
            else:
                others.append((m.name, str(m.feature), *figure_cells(m), status))
    entries = []
    if pairs:
        rows = []
        for key, by_kind in pairs.items():
            cells = [
                f"{format_value(m.value)} {format_interval(m.ci)}" if m is not None else "—"
                for m in (by_kind.get("difference"), by_kind.get("ratio"))
            ]
            n = next(m.n for m in by_kind.values())
            rows.append((*key, *cells, format_count(n), status_of[key]))
        columns = ("Measure", "Sensitive column", "Difference", "Ratio", "n", "Status")
        entries.append(titled("Gaps between groups", make_table(columns, rows)))
    if others:
        columns = ("Metric", "Sensitive column", "Value", "95% interval", "n", "Status")
        entries.append(titled("Other fairness figures", make_table(columns, others)))
    return filled(
        [source_of(r) for r in used],
        entries,
        note="Largest difference and smallest ratio between the groups of each sensitive "
        "column and their intersection, each as value [95% interval]; per-group figures are "
        "under the check results.",
    )


def _explainability(inp: FillInput) -> FilledNode | None:
    r = inp.checked()
    ranking = r.details.get("ranking")
    rows: list[tuple[str, ...]] = []
    if isinstance(ranking, list) and ranking:
        for i, entry in enumerate(ranking, start=1):
            if not isinstance(entry, dict):
                continue
            ci = entry.get("ci")
            rows.append(
                (
                    str(entry.get("rank", i)),
                    str(entry.get("feature", "—")),
                    number(entry.get("mean_abs_attribution")),
                    format_interval(tuple(ci)) if isinstance(ci, list) and len(ci) == 2 else "—",
                    percent(entry.get("share")),
                )
            )
    else:
        ms = sorted(
            (m for m in r.own_measurements() if m.feature and m.group is None),
            key=lambda m: -(m.value if m.value is not None else float("-inf")),
        )
        total = sum(abs(m.value) for m in ms if m.value is not None) or 1.0
        rows = [
            (
                str(i),
                str(m.feature),
                format_value(m.value),
                format_interval(m.ci),
                percent(abs(m.value) / total if m.value is not None else None),
            )
            for i, m in enumerate(ms, start=1)
        ]
    entries = []
    method = r.details.get("method") or r.params.get("method")
    target = r.details.get("target")
    if method:
        entries.append(
            titled_text("Method", f"{method}" + (f", attributing the {target}" if target else ""))
        )
    note = ""
    if rows:
        columns = ("Rank", "Feature", "Mean |attribution|", "95% interval", "Share")
        entries.append(titled("Ranking", make_table(columns, rows[:_TOP])))
        if len(rows) > _TOP:
            note = f"The {_TOP} strongest of {len(rows)} features."
    sources = [r]
    related = [
        x for x in _results_of(inp.report, "attribution.") if x.id != r.id and x.status != "skipped"
    ]
    if related:
        table = make_table(
            ("Check", "Status", "Headline figure"),
            ((x.id, source_of(x).status, _headline(x)) for x in related),
        )
        entries.append(titled("Related checks", table))
        sources += related
    return filled([source_of(x) for x in sources], entries, note=note)


def _privacy(inp: FillInput) -> FilledNode | None:
    r = inp.checked()
    entries = []
    overall = overall_of(r)
    if overall:
        rows = [
            (m.name, format_value(m.value), format_interval(m.ci), format_count(m.n))
            for m in overall
        ]
        table = make_table(("Metric", "Value", "95% interval", "n"), rows)
        entries.append(titled("Attack against the training data", table))
    d = r.details
    facts = []
    if d.get("strongest_attack"):
        facts.append(f"strongest attack: {d['strongest_attack']}")
    members, others = as_int(d.get("n_members")), as_int(d.get("n_non_members"))
    if members is not None and others is not None:
        facts.append(f"{members:,} training rows against {others:,} held-out rows")
    if facts:
        entries.append(titled_text("Setup", "; ".join(facts)))
    # what a low attack figure means: these attacks fail, not every attack
    entries.append(
        titled_text(
            "Reading",
            str(d.get("lower_bound") or "These attacks give a lower bound on leakage."),
        )
    )
    per_group = [
        m for m in r.own_measurements() if m.group and m.name == "roc_auc" and m.value is not None
    ]
    if per_group:
        worst = max(per_group, key=lambda m: m.value or 0.0)
        entries.append(
            titled_text(
                "Highest group attack AUC",
                f"{format_group(worst.group)}: {format_value(worst.value)} "
                f"{format_interval(worst.ci)} (n={format_count(worst.n)})",
            )
        )
    return filled([source_of(r)], entries)


def _software_env(inp: FillInput) -> FilledNode | None:
    p = inp.report.provenance
    entries = [
        titled_text("Python", p.python),
        titled_text("Torch", p.torch or "—"),
        titled_text("Device", p.device),
        titled_text("Git commit", p.git_commit or "—"),
        titled_text("Packages", f"govkit {p.govkit_version}"),
    ]
    return filled(
        [provenance_source(inp.report)],
        entries,
        note="The environment govkit check evaluated the model in; training may have used another.",
    )


def _uncertainty(inp: FillInput) -> FilledNode | None:
    with_ci = [r for r in inp.report.results if any(m.ci is not None for m in r.own_measurements())]
    if not with_ci:
        return None
    n_boot = sorted({int(v) for r in with_ci if isinstance(v := r.params.get("n_boot"), int)})
    levels = sorted(
        {float(v) for r in with_ci if isinstance(v := r.params.get("confidence"), int | float)}
    )
    entries = [
        titled_text("Method", "Poisson row bootstrap, percentile intervals"),
        titled_text("Replicates", ", ".join(f"{n:,}" for n in n_boot) or "—"),
        titled_text("Seeds", str(inp.report.provenance.seed)),
        titled_text("Confidence level", ", ".join(f"{v:g}" for v in levels) or "—"),
    ]
    settings = FillSource(
        check_id=None,
        title="check settings",
        status=f"{len(with_ci)} checks with intervals, run of {inp.report.provenance.finished_at}",
    )
    return filled([settings], entries)


def _monitoring(inp: FillInput) -> FilledNode | None:
    # the same rule govkit check writes to monitoring.json, read from the report
    from govkit.render.plan_view import handoff_view

    handoff = handoff_view(inp.report)
    if handoff is None or not handoff.rows:
        return None
    where = "monitoring.json, written by govkit check beside report.json"
    if handoff.eval_data_sha256:
        where += f" (evaluation data sha256 {handoff.eval_data_sha256[:12]}…)"
    rows = [(r.check, r.figure, r.released, r.bound) for r in handoff.rows]
    entries = [
        titled_text("Reference statistics", where),
        titled(
            "Rollback rule", make_table(("Check", "Figure", "Released", "Roll back when"), rows)
        ),
    ]
    return filled([provenance_source(inp.report)], entries)


#: The model card's automated fields.
RULES: tuple[FillRule, ...] = (
    FillRule("model_card", ("software_env",), _software_env),
    FillRule("model_card", ("uncertainty",), _uncertainty),
    FillRule("model_card", ("results",), _results),
    FillRule("model_card", ("fairness", "result"), _fairness),
    FillRule(
        "model_card", ("explainability", "result"), _explainability, check="attribution.importance"
    ),
    FillRule("model_card", ("privacy", "result"), _privacy, check="privacy.membership_inference"),
    FillRule("model_card", ("monitoring",), _monitoring),
)
