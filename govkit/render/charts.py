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
from govkit.report import CheckResult, Measurement
from govkit.safe_text import visible

if TYPE_CHECKING:
    from matplotlib.figure import Figure

__all__ = ["MAX_BARS", "MAX_CURVE_POINTS", "MAX_GROUP_CHARTS", "Chart", "charts_for", "thin"]

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
_BLUE = "#1a4d8f"
_GREY = "#888888"


_Plan = tuple[str, "Callable[[Figure], None]", float]


@dataclass(frozen=True)
class Chart:
    """A chart: a caption and an ``image/svg+xml`` data URI."""

    title: str
    uri: str


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
    return max(1.4, 0.7 + 0.16 * n)


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


def _group_rates(result: CheckResult) -> list[_Plan]:
    by_name: dict[str, list[Measurement]] = {}
    for m in result.measurements:
        if m.group and _finite(m.value):
            by_name.setdefault(m.name, []).append(m)
    judged = [r.get("metric") for r in result.threshold.get("rules", []) if isinstance(r, dict)]
    names = sorted(by_name, key=lambda n: (n not in judged, list(by_name).index(n)))
    out: list[_Plan] = []
    for name in names[:MAX_GROUP_CHARTS]:
        ms = by_name[name]
        shown = ms[:MAX_BARS]

        def draw(fig: Figure, shown: list[Measurement] = shown, name: str = name) -> None:
            ax = fig.add_subplot()
            labels = [visible(format_group(m.group)) for m in shown]
            values = [float(m.value or 0.0) for m in shown]
            ys = list(range(len(shown)))
            # no caps: they double the SVG nodes the PDF must draw, and add nothing
            _draw_intervals(ax, shown, ys)
            ax.plot(values, ys, "o", color=_BLUE, markersize=4, zorder=4)
            ax.set_yticks(ys, labels)
            ax.invert_yaxis()
            ax.set_xlabel(name)
            ax.grid(axis="x", color="#dddddd", linewidth=0.5)

        extra = f" (first {MAX_BARS} of {len(ms)})" if len(ms) > MAX_BARS else ""
        title = f"{name} by group, with 95% intervals{extra}{_outside_note(shown)}"
        out.append((title, draw, _bar_height(len(shown))))
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
    return [(title, draw, _bar_height(len(ms)))]


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

    return [("ROC curve of the membership inference attack", draw, 3.2)]


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

    return [("Calibration curve (overall)", draw, 3.2)]


def charts_for(result: CheckResult) -> list[Chart]:
    """Every chart the result has data for (none when it has none)."""
    plans = _group_rates(result) + _attribution(result) + _roc(result) + _calibration(result)
    if not plans:
        return []
    # Figures are built directly and saved as SVG: no pyplot, no GUI backend, no
    # global figure registry (and a quicker import)
    import matplotlib
    from matplotlib.figure import Figure

    charts = []
    with matplotlib.rc_context(_RC), warnings.catch_warnings():  # type: ignore[arg-type]
        # a group name in a script the chart font lacks is drawn as a box; the
        # packet's tables hold the text, so the warning would only be noise on stderr
        warnings.filterwarnings("ignore", message="Glyph .* missing from font")
        for title, draw, height in plans:
            fig = Figure(figsize=(6.0, height))
            draw(fig)
            charts.append(Chart(title=title, uri=_to_uri(fig)))
    return charts
