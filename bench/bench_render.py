"""Benchmark: rendering the review packet of examples/adult.

Prints the time to render Markdown, HTML and the PDF (target: under 10 s on
two cores), the packet's size (target: under 5 MB), and the sizes for
reports measured on 1,000 and 100,000 data rows, to show that the packet
does not grow with the data. Uses examples/adult/build/govkit/report.json
when `govkit check` has written it (or the report named as the first
argument), else a synthetic report of the same shape. Prints, never asserts.

It also times `govkit render --format pdf` against WeasyPrint alone laying
out and writing the same HTML in the same run, and prints the ratio (target:
at most 1.3): what govkit adds to the PDF (the context, the charts, the
Markdown, the attachments, the manifest and its verification) must stay small
next to the layout itself.

Run: .venv/bin/python bench/bench_render.py [REPORT_JSON]
"""

from __future__ import annotations

import hashlib
import itertools
import os
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))


from govkit.privacy.roc import RocInput, downsample_curve, roc_curve  # noqa: E402
from govkit.project import load_project_file  # noqa: E402
from govkit.render.packet import PacketInputs, load_inputs, render_packet  # noqa: E402
from govkit.report import (  # noqa: E402
    Artifact,
    CheckResult,
    Measurement,
    Provenance,
    Report,
    ReportSystem,
)

ADULT = REPO / "examples" / "adult" / "govkit.yaml"


def _ci(p: float, n: int) -> tuple[float, float]:
    half = 1.96 * float(np.sqrt(max(p * (1 - p), 1e-9) / max(n, 1)))
    return max(0.0, p - half), min(1.0, p + half)


def synthetic_report(n_rows: int, seed: int = 0) -> Report:
    """A report shaped like the adult suite's, measured on ``n_rows`` synthetic rows."""
    rng = np.random.default_rng(seed)
    sex = rng.choice(["Female", "Male"], n_rows, p=[0.33, 0.67])
    race = rng.choice(
        ["White", "Black", "Asian-Pac-Islander", "Amer-Indian-Eskimo", "Other"],
        n_rows,
        p=[0.85, 0.09, 0.03, 0.01, 0.02],
    )
    y = rng.binomial(1, np.where(sex == "Male", 0.31, 0.11))
    score = np.clip(0.4 * y + rng.normal(0.25, 0.18, n_rows), 0, 1)
    pred = score >= 0.5
    groups = []
    for col, values in (("sex", sex), ("race", race)):
        for level in np.unique(values):
            mask = values == level
            rate = float(pred[mask].mean())
            groups.append(
                Measurement(
                    name="selection_rate",
                    group={col: str(level)},
                    value=rate,
                    ci=_ci(rate, int(mask.sum())),
                    n=int(mask.sum()),
                )
            )
    # The attack's ROC, thinned as privacy.membership_inference stores it.
    member = rng.binomial(1, 0.5, n_rows)
    attack = rng.normal(0, 1, n_rows) + 0.05 * member
    full_fpr, full_tpr = roc_curve(RocInput.from_scores(attack, member.astype(bool)))
    roc = downsample_curve(full_fpr, full_tpr)
    # The overall reliability bins, as performance.calibration stores them.
    edges = np.linspace(0, 1, 11)
    inside = [
        (score >= a) & ((score < b) if b < 1 else (score <= b))
        for a, b in itertools.pairwise(edges)
    ]
    bins = [
        {
            "low": float(a),
            "high": float(b),
            "count": int(m.sum()),
            "mean_predicted": float(score[m].mean()) if m.any() else None,
            "observed_rate": float(y[m].mean()) if m.any() else None,
        }
        for (a, b), m in zip(itertools.pairwise(edges), inside, strict=True)
    ]
    features = [f"feature_{i}" for i in range(100)]
    acc = float((pred == y).mean())
    results = [
        CheckResult(
            id="performance.classification",
            title="Classification performance",
            status="pass",
            blocking=False,
            message="Accuracy meets the floor.",
            measurements=[Measurement(name="accuracy", value=acc, ci=_ci(acc, n_rows), n=n_rows)],
        ),
        CheckResult(
            id="performance.calibration",
            title="Calibration",
            status="pass",
            blocking=False,
            message="Calibrated.",
            details={"n_bins": 10, "reliability": [{"group": None, "bins": bins}]},
            measurements=[Measurement(name="ece", value=0.03, ci=(0.02, 0.04), n=n_rows)],
        ),
        CheckResult(
            id="fairness.demographic_parity",
            title="Demographic parity",
            status="fail",
            blocking=False,
            message="Selection rates differ by sex.",
            measurements=[
                Measurement(
                    name="demographic_parity_difference",
                    feature="sex",
                    value=0.19,
                    ci=(0.18, 0.2),
                    n=n_rows,
                ),
                *groups,
            ],
        ),
        CheckResult(
            id="attribution.importance",
            title="Feature importance",
            status="pass",
            blocking=False,
            message="Attributions computed.",
            measurements=[
                Measurement(name="mean_abs_attribution", feature=f, value=float(v), n=1000)
                for f, v in zip(features, rng.uniform(0, 1, 100), strict=True)
            ],
        ),
        CheckResult(
            id="privacy.membership_inference",
            title="Membership inference",
            status="pass",
            blocking=False,
            message="At chance.",
            details={"strongest_attack": "loss", "roc_curve": roc},
            measurements=[Measurement(name="attack_auc", value=0.51, ci=(0.5, 0.52), n=n_rows)],
        ),
    ]
    return Report(
        status="pass",
        system=ReportSystem(name="adult-income", version="1.0.0"),
        provenance=Provenance(
            govkit_version="0.1.0",
            python="3.11",
            torch="2.13.0",
            device="cpu",
            seed=seed,
            started_at="2025-01-01T00:00:00Z",
            finished_at="2025-01-01T00:01:00Z",
            git_commit=None,
            config_sha256=hashlib.sha256(b"c").hexdigest(),
            artifacts=[
                Artifact(
                    role="model",
                    path="artifacts/model.pt2",
                    sha256=hashlib.sha256(b"m").hexdigest(),
                    bytes=1,
                )
            ],
        ),
        results=results,
    )


def _folder_bytes(folder: Path) -> int:
    return sum(p.stat().st_size for p in folder.rglob("*") if p.is_file())


def _timed(inputs: PacketInputs, formats: set[str], out: Path) -> tuple[float, float]:
    wall, cpu = time.perf_counter(), time.process_time()
    render_packet(inputs, out, formats=formats)
    return time.perf_counter() - wall, time.process_time() - cpu


def _pdf_against_weasyprint(inputs: PacketInputs, work: Path) -> None:
    """``govkit render --format pdf`` against WeasyPrint alone on the same HTML.

    WeasyPrint runs twice: plain, and with the packet's PDF options (the PDF/A
    variant and the same attachments), so the second ratio is what govkit adds
    to the PDF it asks WeasyPrint for.
    """
    from weasyprint import HTML, Attachment

    from govkit.render.pdf import PDF_VARIANT
    from govkit.resources import data_dir

    render_packet(inputs, work / "warm", formats={"pdf"})  # imports and fonts loaded once
    html_out = work / "html-only"
    render_packet(inputs, html_out, formats={"html"})
    html = (html_out / "packet.html").read_text(encoding="utf-8")
    base = data_dir("templates").resolve().as_uri() + "/"
    blobs = [inputs.report_bytes or b"", *(d.data for d in inputs.documents)]
    times: dict[str, list[float]] = {"govkit": [], "plain": [], "same": []}
    for i in range(3):
        wall = time.perf_counter()
        render_packet(inputs, work / f"pdf-{i}", formats={"pdf"})
        times["govkit"].append(time.perf_counter() - wall)
        wall = time.perf_counter()
        HTML(string=html, base_url=base).write_pdf()
        times["plain"].append(time.perf_counter() - wall)
        wall = time.perf_counter()
        attachments = [Attachment(string=b, name=f"a{j}") for j, b in enumerate(blobs)]
        HTML(string=html, base_url=base).write_pdf(pdf_variant=PDF_VARIANT, attachments=attachments)
        times["same"].append(time.perf_counter() - wall)
    g, plain, same = (min(times[k]) for k in ("govkit", "plain", "same"))
    print(f"\n{'pdf, best of 3':<44}{'wall s':>10}{'ratio':>8}")
    print(f"{'govkit render --format pdf':<44}{g:>10.2f}")
    print(f"{'WeasyPrint alone, same HTML, plain PDF':<44}{plain:>10.2f}{g / plain:>8.2f}")
    print(f"{'WeasyPrint alone, same HTML, PDF/A + files':<44}{same:>10.2f}{g / same:>8.2f}")
    print("target: govkit at most 1.3x WeasyPrint alone")


def main() -> None:
    project = load_project_file(ADULT)
    real = project.resolve(project.model.output) / "report.json"
    if len(sys.argv) > 1:
        real = Path(sys.argv[1]).resolve()
    print(f"cores: {os.cpu_count()}  project: {ADULT.relative_to(REPO)}")
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        if real.is_file():
            report_path, source = real, "report from govkit check"
        else:
            report_path = work / "report.json"
            report_path.write_text(synthetic_report(32_561).model_dump_json(), encoding="utf-8")
            source = "synthetic report (adult-sized, 32,561 rows)"
        inputs = load_inputs(project, report_path)
        print(f"inputs: {len(inputs.documents)} documents, {source}")
        print(f"{'step':<22}{'wall s':>10}{'cpu s':>10}")
        for label, formats in (
            ("markdown", {"md"}),
            ("markdown + html", {"md", "html"}),
            ("markdown + html + pdf", {"md", "html", "pdf"}),
        ):
            wall, cpu = _timed(inputs, formats, work / label.replace(" ", ""))
            print(f"{label:<22}{wall:>10.2f}{cpu:>10.2f}")
        full = work / "markdown+html+pdf"
        print(
            f"packet size: {_folder_bytes(full) / 1e6:.2f} MB "
            f"(pdf {(full / 'packet.pdf').stat().st_size / 1e6:.2f} MB; target < 5 MB)"
        )
        _pdf_against_weasyprint(inputs, work)

        print("\nsize against data rows (synthetic reports, same documents):")
        print(
            f"{'rows':>10}{'report.json MB':>16}{'packet.pdf MB':>15}{'html MB':>10}"
            f"{'packet MB':>11}"
        )
        for n in (1_000, 100_000):
            path = work / f"report-{n}.json"
            path.write_text(synthetic_report(n).model_dump_json(), encoding="utf-8")
            out = work / f"rows-{n}"
            render_packet(load_inputs(project, path), out, formats={"md", "html", "pdf"})
            print(
                f"{n:>10,}{path.stat().st_size / 1e6:>16.2f}"
                f"{(out / 'packet.pdf').stat().st_size / 1e6:>15.2f}"
                f"{(out / 'packet.html').stat().st_size / 1e6:>10.2f}"
                f"{_folder_bytes(out) / 1e6:>11.2f}"
            )
        print(
            "(the checks and the charts keep a fixed number of curve points, so nothing "
            "grows with the rows)"
        )


if __name__ == "__main__":
    main()
