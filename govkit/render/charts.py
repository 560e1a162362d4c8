"""Charts for the packet: matplotlib figures written as deterministic SVG data URIs.

Each chart is drawn from what the report holds and skipped when it lacks the
data: per-group rates with interval whiskers, attribution bars, the ROC curve
of the strongest membership attack (``details.roc_curve`` as
``privacy.membership_inference`` writes it: ``{"fpr": [...], "tpr": [...]}``)
and the overall calibration curve (the ``details.reliability`` entry whose
``group`` is null, as ``performance.calibration`` writes it: ``bins`` of
``mean_predicted`` and ``observed_rate``, null for an empty bin). Long series
are thinned and long bar lists cut, so a chart's size does not grow with the
number of data rows.

Intervals are drawn as they are, from their low to their high end, never as
offsets from the point: a bootstrap interval of a biased estimator (the
calibration error, say) need not contain its point estimate, and the chart
shows that instead of failing on a negative error bar. The caption says how
many points lie outside their interval.

Text from data (group values, feature names) is drawn literally: math text
and TeX are off, so ``$x$`` is five characters, not a formula, and control
characters are shown (``␛``), as in every other part of the packet.

Determinism: SVG ids are salted with a fixed string and the SVG carries no
date, so the same report gives the same bytes.
"""

from __future__ import annotations

import base64
import io
import math
import warnings
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from govkit.render.context import format_group
from govkit.render.formatting import format_count
from govkit.render.thresholds import bound_phrase, parse_rules
from govkit.report import CheckResult, Measurement
from govkit.runner.judge import format_number
from govkit.safe_text import visible

if TYPE_CHECKING:
    from matplotlib.figure import Figure

    from govkit.suite import Threshold

__all__ = [
    "MAX_BARS",
    "MAX_CURVE_POINTS",
    "MAX_GROUP_CHARTS",
    "Chart",
    "charts_for",
    "figures_for",
    "thin",
]

MAX_BARS = 30
MAX_CURVE_POINTS = 300
#: per-group charts per check: the judged metrics first, then the first measured;
#: the tables beside them hold every figure
MAX_GROUP_CHARTS = 2
_RC: dict[str, Any] = {
    "svg.hashsalt": "govkit",
    "svg.fonttype": "none",
    "font.family": "DejaVu Sans",
    "font.size": 8,
    "axes.spines.top": False,
    "axes.spines.right": False,
    # labels are data: a group named "$x$" must not be parsed as math text or TeX
    "text.usetex": False,
    "text.parse_math": False,
}
# Okabe-Ito colours, chosen for distinct lightness too: judged groups dark blue
# (filled circles), groups not judged orange (hollow squares), the bound
# black and dashed. Shape, fill and dash carry the meaning, so the chart reads
# in greyscale and for colour-blind readers.
_BLUE = "#0072B2"
_ORANGE = "#E69F00"
_BOUND = "#000000"
_GREY = "#888888"


#: (caption, draw, height in inches, text alternative)
_Plan = tuple[str, "Callable[[Figure], None]", float, str]


@dataclass(frozen=True)
class Chart:
    """A chart: a caption, an ``image/svg+xml`` data URI, and its text alternative.

    ``alt`` says in words what the chart shows (the extreme groups and their
    figures, the bound); the packet uses it as the image's ``alt`` and ``title``.
    """

    title: str
    uri: str
    alt: str = ""


def thin(
    xs: Sequence[float], ys: Sequence[float], limit: int = MAX_CURVE_POINTS
) -> tuple[list[float], list[float]]:
    """At most ``limit`` points of a curve, evenly spaced, keeping both ends."""
    n = min(len(xs), len(ys))
    if n <= limit:
        return list(xs[:n]), list(ys[:n])
    step = (n - 1) / (limit - 1)
    idx = sorted({round(i * step) for i in range(limit)})
    return [xs[i] for i in idx], [ys[i] for i in idx]


def _bar_height(n: int) -> float:
    # rows a little over a line of 8 pt text apart: a chart of 17 groups fits a third of a page
    return max(1.3, 0.7 + 0.14 * n)


def _to_uri(fig: Figure) -> str:
    buf = io.BytesIO()
    fig.savefig(buf, format="svg", metadata={"Date": None}, bbox_inches="tight")
    return "data:image/svg+xml;base64," + base64.b64encode(buf.getvalue()).decode("ascii")


def _finite(value: float | None) -> bool:
    return value is not None and math.isfinite(value)


def _interval(m: Measurement) -> tuple[float, float] | None:
    """The interval as drawn: ends in order, or None when it has a non-finite end."""
    if m.ci is None or not all(math.isfinite(v) for v in m.ci):
        return None
    return min(m.ci), max(m.ci)


def _outside(ms: Sequence[Measurement]) -> int:
    """How many points lie outside their own interval."""
    count = 0
    for m in ms:
        ci = _interval(m)
        if ci is not None and m.value is not None and not ci[0] <= m.value <= ci[1]:
            count += 1
    return count


def _draw_intervals(ax: Any, ms: Sequence[Measurement], ys: Sequence[int]) -> None:
    """Each interval as a line from its low to its high end (no negative error bars)."""
    spans = [(y, ci) for y, m in zip(ys, ms, strict=True) if (ci := _interval(m)) is not None]
    if spans:
        ax.hlines(
            [y for y, _ in spans],
            [ci[0] for _, ci in spans],
            [ci[1] for _, ci in spans],
            color=_GREY,
            linewidth=1.0,
            zorder=3,
        )


def _outside_note(ms: Sequence[Measurement]) -> str:
    outside = _outside(ms)
    if not outside:
        return ""
    return (
        f"; {outside} point estimate(s) lie outside their interval, "
        "as a bootstrap interval of a biased estimator can"
    )


def _unjudged(result: CheckResult, name: str) -> set[frozenset[tuple[str, str]]]:
    """Groups the check did not judge for rate ``name`` (``details.groupings[].groups[]``)."""
    out: set[frozenset[tuple[str, str]]] = set()
    groupings = result.details.get("groupings")
    for grouping in groupings if isinstance(groupings, list) else []:
        groups = grouping.get("groups") if isinstance(grouping, dict) else None
        for g in groups if isinstance(groups, list) else []:
            if not isinstance(g, dict) or not isinstance(g.get("group"), dict):
                continue
            rates = g.get("rates")
            entry = rates.get(name) if isinstance(rates, dict) else None
            judged = entry.get("judged") if isinstance(entry, dict) else g.get("judged")
            if judged is False:
                out.add(frozenset((str(k), str(v)) for k, v in g["group"].items()))
    return out


@dataclass(frozen=True)
class _Bound:
    """Where a chart draws its bound, and how the alt text and legend name it."""

    x: float
    label: str
    words: str


def _rules(result: CheckResult) -> list[Threshold]:
    parsed = parse_rules(result.threshold)
    return parsed[1] if parsed is not None else []


def _bound(result: CheckResult, name: str, ms: Sequence[Measurement]) -> _Bound | None:
    """The bound of a per-group chart: on the figure itself, else on the gap between groups.

    A bound on a difference (at most d) is drawn at the highest judged group's
    figure minus d, a bound on a ratio (at least r) at that figure times r: a
    group to the left of the line lies further from the highest than the bound allows.
    """
    for rule in _rules(result):
        x = rule.min if rule.min is not None else rule.max
        if rule.metric == name and not rule.overall_only and rule.vs is None and x is not None:
            words = f"bound {bound_phrase(rule)}"
            return _Bound(float(x), words, words)
    judged = [float(m.value) for m in ms if m.value is not None]
    if not judged:
        return None
    top = max(judged)
    for rule in _rules(result):
        if rule.vs is not None:
            continue
        if rule.metric.endswith("_difference") and rule.max is not None:
            d = format_number(rule.max)
            return _Bound(
                top - rule.max,
                f"highest − {d} (bound on the difference)",
                f"bound on the difference {d}",
            )
        if rule.metric.endswith("_ratio") and rule.min is not None:
            r = format_number(rule.min)
            return _Bound(
                top * rule.min, f"highest × {r} (bound on the ratio)", f"bound on the ratio {r}"
            )
    return None


def _group_alt(name: str, ms: Sequence[Measurement], bound: _Bound | None, unjudged: int) -> str:
    """``selection_rate by group: lowest sex=Female 0.11 (n=4,421), highest ...; bound ...``."""
    valued = [m for m in ms if m.value is not None]
    low = min(valued, key=lambda m: float(m.value or 0.0))
    high = max(valued, key=lambda m: float(m.value or 0.0))

    def say(m: Measurement) -> str:
        n = f" (n={format_count(m.n)})" if m.n is not None else ""
        return f"{visible(format_group(m.group))} {format_number(float(m.value or 0.0))}{n}"

    text = f"{name} by group: lowest {say(low)}, highest {say(high)}"
    text += f"; {bound.words}" if bound is not None else "; no bound on this figure"
    if unjudged:
        text += f"; {unjudged} group(s) not judged (too few rows), drawn as hollow squares"
    return text + "."


def _group_rates(result: CheckResult) -> list[_Plan]:
    by_name: dict[str, list[Measurement]] = {}
    for m in result.own_measurements():  # baselines' figures are in the tables, not charted
        if m.group and _finite(m.value):
            by_name.setdefault(m.name, []).append(m)
    judged_names = [r.metric for r in _rules(result)]
    names = sorted(by_name, key=lambda n: (n not in judged_names, list(by_name).index(n)))
    out: list[_Plan] = []
    for name in names[:MAX_GROUP_CHARTS]:
        ms = by_name[name]
        shown = ms[:MAX_BARS]
        skipped = _unjudged(result, name)
        # the legend speaks of judged groups only where the check judges groups one by one
        judging = isinstance(result.details.get("groupings"), list)
        flags = [frozenset((m.group or {}).items()) in skipped for m in shown]
        bound = _bound(result, name, [m for m, f in zip(shown, flags, strict=True) if not f])

        def draw(
            fig: Figure,
            shown: list[Measurement] = shown,
            name: str = name,
            flags: list[bool] = flags,
            bound: _Bound | None = bound,
            judging: bool = judging,
        ) -> None:
            ax = fig.add_subplot()
            labels = [visible(format_group(m.group)) for m in shown]
            ys = list(range(len(shown)))
            # no caps: they double the SVG nodes the PDF must draw, and add nothing
            _draw_intervals(ax, shown, ys)
            for hollow, colour, marker, label in (
                (False, _BLUE, "o", "judged group" if judging else "group"),
                (True, _ORANGE, "s", "not judged (too few rows)"),
            ):
                pts = [
                    (float(m.value or 0.0), y)
                    for m, y, f in zip(shown, ys, flags, strict=True)
                    if f is hollow
                ]
                if pts:
                    ax.plot(
                        [p[0] for p in pts],
                        [p[1] for p in pts],
                        marker,
                        color=colour,
                        markerfacecolor="none" if hollow else colour,
                        markersize=4.5,
                        linestyle="none",
                        label=label,
                        zorder=4,
                        gid="not-judged" if hollow else "judged",
                    )
            if bound is not None:
                ax.axvline(
                    bound.x,
                    color=_BOUND,
                    linestyle="--",
                    linewidth=1.0,
                    label=bound.label,
                    gid="bound",
                )
            ax.set_yticks(ys, labels)
            ax.invert_yaxis()
            ax.set_xlabel(name)
            ax.grid(axis="x", color="#dddddd", linewidth=0.5)
            if bound is not None or any(flags) or judging:
                ax.legend(loc="best", frameon=False, fontsize=7)

        extra = f" (first {MAX_BARS} of {len(ms)})" if len(ms) > MAX_BARS else ""
        title = f"{name} by group, with 95% intervals{extra}{_outside_note(shown)}"
        alt = _group_alt(name, shown, bound, sum(flags))
        out.append((title, draw, _bar_height(len(shown)), alt))
    return out


def _attribution(result: CheckResult) -> list[_Plan]:
    ms = [
        m
        for m in result.measurements
        if m.name == "mean_abs_attribution" and m.feature and _finite(m.value) and not m.group
    ]
    if not ms:
        return []
    ms = sorted(ms, key=lambda m: -float(m.value or 0.0))[:MAX_BARS]

    def draw(fig: Figure) -> None:
        ax = fig.add_subplot()
        ys = list(range(len(ms)))
        values = [float(m.value or 0.0) for m in ms]
        ax.barh(ys, values, color=_BLUE)
        _draw_intervals(ax, ms, ys)
        ax.set_yticks(ys, [visible(m.feature) for m in ms])
        ax.invert_yaxis()
        ax.set_xlabel("mean |attribution|")

    title = f"Mean absolute attribution by feature{_outside_note(ms)}"
    top, low = ms[0], ms[-1]
    alt = (
        f"Mean absolute attribution of {len(ms)} feature(s): highest {visible(top.feature)} "
        f"{format_number(float(top.value or 0.0))}, lowest {visible(low.feature)} "
        f"{format_number(float(low.value or 0.0))}."
    )
    return [(title, draw, _bar_height(len(ms)), alt)]


def _pairs(raw: Any, x_key: str, y_key: str) -> tuple[list[float], list[float]] | None:
    """Two aligned float lists from ``{x: [...], y: [...]}`` or ``[{x:, y:}, ...]``.

    Points with a null coordinate (an empty calibration bin) are dropped; any
    other shape gives None, so a malformed ``details`` means no chart, never an error.
    """
    try:
        if isinstance(raw, dict):
            xs, ys = [float(v) for v in raw[x_key]], [float(v) for v in raw[y_key]]
        elif isinstance(raw, list) and all(isinstance(r, dict) for r in raw):
            pts = [(r.get(x_key), r.get(y_key)) for r in raw]
            kept = [(float(x), float(y)) for x, y in pts if x is not None and y is not None]
            xs, ys = [p[0] for p in kept], [p[1] for p in kept]
        else:
            return None
    except (KeyError, TypeError, ValueError):
        return None
    if not xs or len(xs) != len(ys):
        return None
    return xs, ys


def _roc(result: CheckResult) -> list[_Plan]:
    curve = _pairs(result.details.get("roc_curve"), "fpr", "tpr")
    if curve is None:
        return []
    fpr, tpr = thin(*curve)
    attack = result.details.get("strongest_attack")
    label = f"{visible(attack)} attack" if isinstance(attack, str) and attack else "attack"

    def draw(fig: Figure) -> None:
        ax = fig.add_subplot()
        ax.plot(fpr, tpr, color=_BLUE, linewidth=1.2, label=label)
        ax.plot([0, 1], [0, 1], color=_GREY, linestyle="--", linewidth=0.8, label="chance")
        ax.set_xlabel("false positive rate")
        ax.set_ylabel("true positive rate")
        ax.set_xlim(0, 1)
        ax.set_ylim(0, 1)
        ax.set_aspect("equal")
        ax.legend(loc="lower right", frameon=False)

    auc = next(
        (
            m
            for m in result.measurements
            if m.name == "roc_auc" and not m.group and _finite(m.value)
        ),
        None,
    )
    alt = f"ROC curve of the {label} against chance (the diagonal)"
    if auc is not None:
        alt += f": ROC AUC {format_number(float(auc.value or 0.0))}, where 0.5 is chance"
    return [("ROC curve of the membership inference attack", draw, 3.2, alt + ".")]


def _overall_reliability(details: dict[str, Any]) -> Any:
    """The ``bins`` of the overall entry of ``details.reliability`` (group null), if any."""
    entries = details.get("reliability")
    if not isinstance(entries, list):
        return None
    for entry in entries:
        if isinstance(entry, dict) and entry.get("group") is None:
            return entry.get("bins")
    return None


def _calibration(result: CheckResult) -> list[_Plan]:
    curve = _pairs(_overall_reliability(result.details), "mean_predicted", "observed_rate")
    if curve is None:
        return []
    pred, obs = thin(*curve)

    def draw(fig: Figure) -> None:
        ax = fig.add_subplot()
        ax.plot([0, 1], [0, 1], color=_GREY, linestyle="--", linewidth=0.8, label="perfect")
        ax.plot(pred, obs, marker="o", markersize=3, color=_BLUE, linewidth=1.2, label="model")
        ax.set_xlabel("mean predicted probability")
        ax.set_ylabel("observed frequency")
        ax.set_xlim(0, 1)
        ax.set_ylim(0, 1)
        ax.set_aspect("equal")
        ax.legend(loc="upper left", frameon=False)

    gap = max(abs(o - p) for p, o in zip(pred, obs, strict=True))
    alt = (
        f"Calibration curve over {len(pred)} bin(s) against the diagonal of perfect "
        f"calibration: the largest gap between predicted and observed is {format_number(gap)}."
    )
    return [("Calibration curve (overall)", draw, 3.2, alt)]


def _seed_strip(result: CheckResult) -> list[_Plan]:
    """Each judged overall figure's seeds as dots, their mean and seed-level interval as a bar.

    A reader sees at once whether a win holds in every seed or rests on one.
    """
    judged = {(t.metric, t.vs) for t in _rules(result)}
    level = [
        m
        for m in result.measurements
        if m.seed is None
        and m.seed_sd is not None
        and m.group is None
        and m.feature is None
        and m.model is None
        and (m.name, m.vs) in judged
        and _finite(m.value)
    ][:MAX_BARS]
    rows = []
    for m in level:
        seeds = [
            float(x.value or 0.0)
            for x in result.measurements
            if x.seed is not None
            and (x.name, x.vs, x.group, x.feature, x.model) == (m.name, m.vs, None, None, None)
            and _finite(x.value)
        ]
        if seeds:
            rows.append((m, seeds))
    if not rows:
        return []

    def draw(fig: Figure) -> None:
        ax = fig.add_subplot()
        for y, (m, seeds) in enumerate(rows):
            ax.scatter(seeds, [y] * len(seeds), color=_BLUE, s=18, zorder=3)
            ax.plot([float(m.value or 0.0)], [y], marker="|", color=_BOUND, markersize=14, zorder=4)
        _draw_intervals(ax, [m for m, _ in rows], list(range(len(rows))))
        labels = [m.name if m.vs is None else f"{m.name} vs {m.vs}" for m, _ in rows]
        ax.set_yticks(list(range(len(rows))), [visible(x) for x in labels])
        ax.invert_yaxis()
        ax.set_xlabel("value per training seed (dots); mean and its interval (bar)")

    k = len(rows[0][1])
    parts = [
        f"{visible(m.name if m.vs is None else f'{m.name} vs {m.vs}')} from "
        f"{format_number(min(v))} to {format_number(max(v))}, mean {format_number(float(m.value or 0))}"
        for m, v in rows
    ]
    alt = f"Each judged figure in each of {k} training seeds: " + "; ".join(parts) + "."
    return [(f"Judged figures across {k} training seeds", draw, _bar_height(len(rows)), alt)]


def figures_for(result: CheckResult) -> list[tuple[str, str, Figure]]:
    """``(caption, text alternative, figure)`` of every chart the result has data for.

    The figures are drawn but not saved: :func:`charts_for` writes them as SVG,
    and tests can inspect what was drawn (the bound line, the markers).
    """
    plans = (
        _seed_strip(result)
        + _group_rates(result)
        + _attribution(result)
        + _roc(result)
        + _calibration(result)
    )
    if not plans:
        return []
    # Figures are built directly: no pyplot, no GUI backend, no global figure
    # registry (and a quicker import)
    import matplotlib
    from matplotlib.figure import Figure

    out = []
    with matplotlib.rc_context(_RC), warnings.catch_warnings():  # type: ignore[arg-type]
        # a group name in a script the chart font lacks is drawn as a box; the
        # packet's tables hold the text, so the warning would only be noise on stderr
        warnings.filterwarnings("ignore", message="Glyph .* missing from font")
        for title, draw, height, alt in plans:
            fig = Figure(figsize=(6.0, height))
            draw(fig)
            out.append((title, alt, fig))
    return out


def charts_for(result: CheckResult) -> list[Chart]:
    """Every chart the result has data for (none when it has none)."""
    import matplotlib

    charts = []
    for title, alt, fig in figures_for(result):
        with matplotlib.rc_context(_RC), warnings.catch_warnings():  # type: ignore[arg-type]
            warnings.filterwarnings("ignore", message="Glyph .* missing from font")
            charts.append(Chart(title=title, uri=_to_uri(fig), alt=alt))
    return charts
