"""Helpers shared by the test folders: example documents, a realistic report, a project.

Fixtures stay in each folder's ``conftest.py``; what several folders build
with (the packet tests, the reliability tests, the document tests) lives here,
so no test imports another folder's ``conftest.py``.

The report is built from govkit.report models, with figures computed from a
planted data set (selection rates that differ by group, attributions), and
with the calibration and membership-inference results measured by the real
checks on planted predictions, so the charts read exactly the ``details``
those checks write. No model is trained.
"""

from __future__ import annotations

import copy
import hashlib
import json
import shutil
from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import Any

import numpy as np
import yaml

from govkit.report import (
    Artifact,
    CheckResult,
    Measurement,
    Provenance,
    Report,
    ReportSystem,
    ResultWaiver,
)

REPO = Path(__file__).resolve().parents[1]
MINIMAL = REPO / "examples" / "minimal"
ADULT_DOCS = REPO / "examples" / "adult" / "docs"
KINDS = ("dataset_card", "model_card", "experiment_plan", "risk_checklist")
FINISHED_AT = "2025-03-04T05:06:07Z"


def minimal(kind: str) -> dict[str, Any]:
    """A fresh copy of the minimal example document of ``kind`` as data."""
    return copy.deepcopy(yaml.safe_load((MINIMAL / f"{kind}.yaml").read_text(encoding="utf-8")))


def _rate_ci(hits: np.ndarray, rng: np.random.Generator) -> tuple[float, float]:
    # A small percentile bootstrap: enough to give honest intervals in fixtures.
    n = hits.size
    reps = rng.binomial(n, hits.mean(), size=400) / n
    lo, hi = np.quantile(reps, [0.025, 0.975])
    return float(lo), float(hi)


def _log_probs(score: np.ndarray) -> np.ndarray:
    p = np.clip(score, 1e-6, 1 - 1e-6)
    return np.log(np.stack([1 - p, p], axis=1))


def _measured_results(
    sex: np.ndarray, race: np.ndarray, y: np.ndarray, score: np.ndarray, seed: int
) -> tuple[CheckResult, CheckResult]:
    """performance.calibration and privacy.membership_inference, measured by the checks.

    The training split is planted as memorised: its scores lean towards the
    true label, so the attack has a curve above chance to draw.
    """
    import pandas as pd

    from govkit.checks.calibration import Calibration
    from govkit.checks.context import CheckContext, Predictions, Split
    from govkit.checks.membership_inference import MembershipInference

    rng = np.random.default_rng(seed + 7)
    n = y.size
    eval_frame = pd.DataFrame({"x": rng.normal(size=n), "sex": sex, "race": race})
    train_frame = pd.DataFrame({"x": rng.normal(size=n), "sex": sex, "race": race})
    train_y = rng.binomial(1, 0.25, n)
    train_score = np.clip(rng.normal(0.3, 0.15, n) + 0.35 * train_y, 0, 1)
    scores = {"eval": score, "train": train_score}

    def predict(split: str) -> Predictions:
        lp = _log_probs(scores[split])
        probs = np.exp(lp)
        return Predictions(log_probs=lp, scores=probs[:, 1], labels=probs.argmax(axis=1))

    ctx = CheckContext(
        task="binary",
        seed=seed,
        device="cpu",
        eval=Split("eval", eval_frame, np.asarray(y, dtype=np.int64)),
        train=Split("train", train_frame, np.asarray(train_y, dtype=np.int64)),
        sensitive=["sex", "race"],
        predictions_of=predict,  # type: ignore[arg-type]
    )
    calibration = _measured(Calibration(), ctx, "warn", n_boot=50)
    membership = _measured(MembershipInference(), ctx, "pass", n_boot=50)
    return calibration, membership


def build_report(n_rows: int = 2000, seed: int = 0) -> Report:
    """A report with every kind of figure the packet draws, computed on planted data."""
    rng = np.random.default_rng(seed)
    sex = rng.choice(["Female", "Male"], size=n_rows, p=[0.35, 0.65])
    race = rng.choice(["White", "Black", "Other"], size=n_rows, p=[0.8, 0.12, 0.08])
    y = rng.binomial(1, np.where(sex == "Male", 0.3, 0.11))
    score = np.clip(0.25 * y + rng.normal(0.3, 0.15, n_rows) + 0.08 * (sex == "Male"), 0, 1)
    pred = (score >= 0.5).astype(int)

    groups: list[Measurement] = []
    rates: dict[str, float] = {}
    for col, values in (("sex", sex), ("race", race)):
        for level in sorted(set(values)):
            mask = values == level
            rate = float(pred[mask].mean())
            rates[f"{col}={level}"] = rate
            groups.append(
                Measurement(
                    name="selection_rate",
                    group={col: str(level)},
                    value=rate,
                    ci=_rate_ci(pred[mask], rng),
                    n=int(mask.sum()),
                )
            )
    dpd_sex = abs(rates["sex=Male"] - rates["sex=Female"])
    race_rates = [v for k, v in rates.items() if k.startswith("race=")]
    dpd_race = max(race_rates) - min(race_rates)

    calibration, membership = _measured_results(sex, race, y, score, seed)
    accuracy = float((pred == y).mean())
    features = ["age", "education-num", "hours-per-week", "capital-gain", "relationship"]
    weights = rng.uniform(0.01, 0.4, len(features))

    results = [
        CheckResult(
            id="performance.classification",
            title="Classification performance",
            status="pass",
            blocking=False,
            message="Accuracy meets the floor.",
            threshold={"metric": "accuracy", "min": 0.7},
            measurements=[
                Measurement(
                    name="accuracy",
                    value=accuracy,
                    ci=_rate_ci((pred == y).astype(float), rng),
                    n=n_rows,
                )
            ],
        ),
        calibration,
        CheckResult(
            id="fairness.demographic_parity",
            title="Demographic parity",
            status="fail",
            blocking=False,
            message="Selection rates differ by sex beyond the threshold.",
            threshold={"metric": "demographic_parity_difference", "max": 0.1},
            waiver=ResultWaiver(
                owner="Review Board",
                justification="Labels differ at the source.",
                expires=date(2027, 5, 31),
            ),
            measurements=[
                Measurement(
                    name="demographic_parity_difference",
                    feature="sex",
                    value=dpd_sex,
                    ci=(dpd_sex - 0.02, dpd_sex + 0.02),
                    n=n_rows,
                ),
                Measurement(
                    name="demographic_parity_difference",
                    feature="race",
                    value=dpd_race,
                    ci=(max(0.0, dpd_race - 0.03), dpd_race + 0.03),
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
            message="Attributions computed for every feature.",
            measurements=[
                Measurement(
                    name="mean_abs_attribution",
                    feature=f,
                    value=float(w),
                    ci=(float(w) * 0.9, float(w) * 1.1),
                    n=500,
                )
                for f, w in zip(features, weights, strict=True)
            ],
        ),
        membership,
        CheckResult(
            id="data.leakage",
            title="Train/eval leakage",
            status="skipped",
            blocking=False,
            message="Skipped: no training split was given.",
        ),
    ]
    digest = hashlib.sha256(b"model").hexdigest()
    return Report(
        status="pass",
        system=ReportSystem(name="adult-income", version="1.0.0"),
        provenance=Provenance(
            govkit_version="0.1.0",
            python="3.11.9",
            torch="2.13.0",
            device="cpu",
            seed=seed,
            started_at="2025-03-04T05:00:00Z",
            finished_at=FINISHED_AT,
            git_commit="0123456789abcdef0123456789abcdef01234567",
            config_sha256=hashlib.sha256(b"config").hexdigest(),
            artifacts=[
                Artifact(role="model", path="artifacts/model.pt2", sha256=digest, bytes=12345)
            ],
        ),
        results=results,
    )


def write_report(report: Report, path: Path) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(report.model_dump_json(indent=2) + "\n", encoding="utf-8")
    return path


Edit = Callable[[dict[str, Any]], None]


def make_project(
    root: Path, *, edits: dict[str, Edit] | None = None, report: Report | None = None
) -> Path:
    """A project folder with the four minimal documents (optionally edited) and govkit.yaml."""
    docs = root / "docs"
    docs.mkdir(parents=True, exist_ok=True)
    for kind in KINDS:
        src = MINIMAL / f"{kind}.yaml"
        if edits and kind in edits:
            data = yaml.safe_load(src.read_text(encoding="utf-8"))
            edits[kind](data)
            (docs / f"{kind}.yaml").write_text(
                yaml.safe_dump(data, sort_keys=False), encoding="utf-8"
            )
        else:
            shutil.copy(src, docs / f"{kind}.yaml")
    config = {
        "govkit": 1,
        "system": {"name": "adult-income", "version": "1.0.0"},
        "documents": [f"docs/{k}.yaml" for k in KINDS],
        "model": {"predictions": {"label": "pred"}},
        "data": {"eval": "data.csv", "label": "y"},
        "output": "build",
    }
    (root / "govkit.yaml").write_text(yaml.safe_dump(config, sort_keys=False), encoding="utf-8")
    if report is not None:
        write_report(report, root / "build" / "report.json")
    return root / "govkit.yaml"


def add_risk_controls(data: dict[str, Any]) -> None:
    """Make the minimal risk checklist's risk cite fairness and privacy checks."""
    data["risks"][0]["controls"] = [
        "fairness.demographic_parity",
        "privacy.membership_inference",
        "robustness.missing_check",
    ]


def add_approval(data: dict[str, Any]) -> None:
    data["meta"]["approvals"] = [
        {
            "name": "Dana Reviewer",
            "role": "head of model risk",
            "date": date(2025, 3, 5),
            "decision": "approved_with_conditions",
            "signature_ref": "signed commit abc123",
            "conditions": "Re-run the fairness checks each quarter.",
        }
    ]


class Sink:
    """A local HTTP server that counts requests: proof that rendering fetched nothing."""

    def __init__(self) -> None:
        import http.server
        import threading

        self.hits: list[str] = []
        sink = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                sink.hits.append(self.path)
                self.send_response(404)
                self.end_headers()

            def log_message(self, *args: Any) -> None:
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


def hostile_text(url: str) -> str:
    """Document text that would be code if the renderer ever treated it as such."""
    return (
        "Scores {{ 7*7 }} and {% if true %}yes{% endif %} with a | pipe. "
        "<script>alert(1)</script> "
        f'<img src="{url}/tracker.png"> '
        "[click me](javascript:alert(2))"
    )


def report_json(path: Path) -> dict[str, Any]:
    return json.loads(path.read_text(encoding="utf-8"))


# --- data checks, for automated fields filled from the report -------------------------

#: Raw personal data planted in the fixture's data; no packet may ever show it.
PLANTED_EMAILS = ("jane.roe@example.org", "max.mustermann@example.net")
PLANTED_PHONE = "+1 415-555-0132"


def planted_frame(n_rows: int = 400, seed: int = 0) -> tuple[Any, np.ndarray]:
    """A small data set with missing values, groups and personal data in a notes column."""
    import pandas as pd

    rng = np.random.default_rng(seed)
    sex = rng.choice(["Female", "Male"], size=n_rows, p=[0.4, 0.6])
    age = rng.integers(18, 80, size=n_rows).astype(float)
    age[rng.random(n_rows) < 0.1] = np.nan  # about 10% missing, planted
    notes = np.array(["no remarks"] * n_rows, dtype=object)
    notes[:20] = [PLANTED_EMAILS[i % 2] for i in range(20)]
    notes[20:25] = PLANTED_PHONE
    y = rng.binomial(1, np.where(sex == "Male", 0.4, 0.2))
    frame = pd.DataFrame({"age": age, "sex": sex, "notes": notes})
    return frame, y


def _measured(check: Any, ctx: Any, status: str, **params_: Any) -> CheckResult:
    """Run a real check on the planted data and wrap its evidence as the runner would."""
    params = check.Params(**params_)
    evidence = check.measure(ctx, params)
    return CheckResult(
        id=check.id,
        title=check.title,
        status=status,  # type: ignore[arg-type]
        blocking=False,
        message=evidence.failures[0] if evidence.failures else evidence.summary,
        params=params.model_dump(mode="json"),
        measurements=evidence.measurements,
        details=evidence.details,
    )


def build_full_report(seed: int = 0) -> Report:
    """:func:`build_report` plus the data checks (quality, PII), run for real on planted data."""
    from govkit.checks.context import CheckContext, Split
    from govkit.checks.pii import Pii
    from govkit.checks.quality import Quality

    frame, y = planted_frame(seed=seed)
    ctx = CheckContext(
        task="binary",
        seed=seed,
        device="cpu",
        eval=Split("eval", frame, np.asarray(y, dtype=np.int64)),
        sensitive=["sex"],
    )
    base = build_report(seed=seed)
    data = [_measured(Quality(), ctx, "pass"), _measured(Pii(), ctx, "fail")]
    eval_bytes = frame.to_csv(index=False).encode("utf-8")
    artifact = Artifact(
        role="eval_data",
        path="data.csv",
        sha256=hashlib.sha256(eval_bytes).hexdigest(),
        bytes=len(eval_bytes),
    )
    provenance = base.provenance.model_copy(
        update={"artifacts": [*base.provenance.artifacts, artifact]}
    )
    results = [*base.results, *data]
    return base.model_copy(update={"results": results, "provenance": provenance})
