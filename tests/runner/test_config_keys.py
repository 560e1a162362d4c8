"""Every key of govkit.yaml and of a suite, given a bad value: exit 2 and a located message.

Each case runs the real command. The message must point at a line of the
right file, name the key, say what is wrong, and the line it points at must be
the one holding that key (or its parent, when the key is missing).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml

from govkit.cli import main
from tests.runner.helpers import write_project

PRED_MODEL = {"predictions": {"label": "pred_label", "score": "pred_score"}}
SUITE = [{"id": "test.accuracy", "params": {"n_boot": 20}}]
WAIVER = {
    "check": "test.accuracy",
    "owner": "Risk board",
    "justification": "Accepted for the pilot.",
    "expires": "2099-01-01",
}
Change = Callable[[dict[str, Any]], Any]


def _located(err: str, file: str) -> tuple[int, str]:
    """The line and field of the first error in ``err`` about ``file``."""
    found = re.search(rf"{re.escape(file)}:(\d+):\d+: error: ([^:]+): ", err)
    assert found is not None, err
    return int(found.group(1)), found.group(2)


def _waiver(**change: Any) -> Change:
    return lambda d: d.update(waivers=[{**WAIVER, **change}])


def _waiver_without(key: str) -> Change:
    return lambda d: d.update(waivers=[{k: v for k, v in WAIVER.items() if k != key}])


def _model_file(d: dict[str, Any], **model: Any) -> None:
    d["model"] = {"path": "model.pt", **model}


# (change to govkit.yaml, field named, text of the line pointed at, words of the message)
PROJECT_CASES: list[tuple[str, Change, str, str, str]] = [
    ("govkit", lambda d: d.update(govkit=2), "govkit", "govkit: 2", "1"),
    ("unknown_key", lambda d: d.update(verbose=True), "verbose", "verbose:", "unknown key"),
    ("system", lambda d: d.update(system="tiny"), "system", "system:", "expected"),
    ("system.name", lambda d: d["system"].update(name=""), "system.name", "name:", "empty"),
    ("system.version", lambda d: d["system"].pop("version"), "system.version", "system:", "miss"),
    ("documents", lambda d: d.update(documents="card.yaml"), "documents", "documents:", "list"),
    (
        "model",
        lambda d: d["model"].update(path="model.pt"),
        "model",
        "model:",
        "either `path` or `predictions`",
    ),
    (
        "model.path",
        lambda d: _model_file(d, path="nope.pt"),
        "model.path",
        "path: nope.pt",
        "no such file",
    ),
    (
        "model.path.corrupt",
        lambda d: _model_file(d, path="eval.csv"),
        "model.path",
        "path: eval.csv",
        "cannot read",
    ),
    (
        "model.factory",
        lambda d: _model_file(d, factory="not a ref"),
        "model.factory",
        "factory:",
        "package.module:function",
    ),
    ("model.task", lambda d: d["model"].update(task="regression"), "model.task", "task:", "binary"),
    (
        "model.output",
        lambda d: d["model"].update(output="raw"),
        "model.output",
        "output:",
        "logits",
    ),
    (
        "model.threshold",
        lambda d: d["model"].update(threshold=1.5),
        "model.threshold",
        "threshold:",
        "1",
    ),
    (
        "model.batch_size",
        lambda d: d["model"].update(batch_size=0),
        "model.batch_size",
        "batch_size:",
        "1",
    ),
    (
        "model.predictions.label",
        lambda d: d["model"]["predictions"].update(label="predicted"),
        "model.predictions.label",
        "label: predicted",
        "not in eval.csv",
    ),
    (
        "model.predictions.score",
        lambda d: d["model"]["predictions"].update(score="x1"),
        "model.predictions.score",
        "score: x1",
        "outside [0, 1]",
    ),
    (
        "data.eval",
        lambda d: d["data"].update(eval="nope.csv"),
        "data.eval",
        "eval: nope.csv",
        "no such file",
    ),
    (
        "data.train",
        lambda d: d["data"].update(train="nope.csv"),
        "data.train",
        "train: nope.csv",
        "no such file",
    ),
    ("data.label", lambda d: d["data"].update(label="y"), "data.label", "label: y", "not in"),
    (
        "data.positive_label",
        lambda d: d["data"].update(positive_label="yes"),
        "data.positive_label",
        "positive_label:",
        "not a value of the label column",
    ),
    (
        "data.features",
        lambda d: (_model_file(d), d["data"].update(features=["x1", "x9"])),
        "data.features[1]",
        "- x9",
        "not in eval.csv",
    ),
    (
        "data.transform",
        lambda d: (_model_file(d), d["data"].update(transform="no_such_module:encode")),
        "data.transform",
        "transform:",
        "no_such_module",
    ),
    (
        "data.sensitive",
        lambda d: d["data"].update(sensitive=["gender"]),
        "data.sensitive[0]",
        "- gender",
        "not in eval.csv",
    ),
    (
        "data.proxies",
        lambda d: d["data"].update(proxies=["zip"]),
        "data.proxies[0]",
        "- zip",
        "not in eval.csv",
    ),
    (
        "data.quasi_identifiers",
        lambda d: d["data"].update(quasi_identifiers=["zip"]),
        "data.quasi_identifiers[0]",
        "- zip",
        "not in eval.csv",
    ),
    ("suite", lambda d: d.update(suite="nope"), "suite", "suite: nope", "neither a built-in"),
    ("device", lambda d: d.update(device="gpu"), "device", "device: gpu", "cuda"),
    ("seed", lambda d: d.update(seed=-1), "seed", "seed: -1", "0"),
    ("output", lambda d: d.update(output="eval.csv"), "output", "output: eval.csv", "cannot"),
    ("waivers.check", _waiver(check=["test.accuracy"]), "waivers[0].check", "check:", "string"),
    ("waivers.owner", _waiver(owner=""), "waivers[0].owner", "owner:", "empty"),
    (
        "waivers.justification",
        _waiver(justification="ok"),
        "waivers[0].justification",
        "justification: ok",
        "10",
    ),
    ("waivers.expires", _waiver(expires="soon"), "waivers[0].expires", "expires: soon", "date"),
    (
        "waivers.expires.missing",
        _waiver_without("expires"),
        "waivers[0].expires",
        "check:",
        "missing",
    ),
    ("waivers.extra", _waiver(approved=True), "waivers[0].approved", "approved:", "unknown key"),
]

NEEDS_A_MODEL_FILE = {"model.factory", "data.features[1]", "data.transform"}


@pytest.mark.parametrize(
    ("change", "field", "line_text", "words"),
    [case[1:] for case in PROJECT_CASES],
    ids=[case[0] for case in PROJECT_CASES],
)
def test_every_project_key_is_checked(
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    change: Change,
    field: str,
    line_text: str,
    words: str,
) -> None:
    config = write_project(tmp_path, model=dict(PRED_MODEL), suite=SUITE)
    if field in NEEDS_A_MODEL_FILE:
        import torch

        torch.jit.trace(torch.nn.Linear(3, 1), (torch.zeros(2, 3),)).save(tmp_path / "model.pt")
    cfg = yaml.safe_load(config.read_text())
    change(cfg)
    config.write_text(yaml.safe_dump(cfg, sort_keys=False))
    assert main(["check", "-c", str(config), "-q"]) == 2
    captured = capsys.readouterr()
    assert "Traceback" not in captured.err and captured.out == ""
    line, named = _located(captured.err, "govkit.yaml")
    assert named == field, captured.err
    assert line_text in config.read_text().splitlines()[line - 1], captured.err
    assert words in captured.err


SUITE_HEAD = "suite: 1\nname: t\nchecks:\n"
ENTRY = "  - id: test.accuracy\n"

# (suite text, field named, text of the line pointed at, words of the message)
SUITE_CASES: list[tuple[str, str, str, str, str]] = [
    ("suite", "suite: 2\nname: t\nchecks: []\n", "suite", "suite: 2", "1"),
    ("name", "suite: 1\nchecks: []\n", "name", "suite: 1", "missing"),
    ("description", SUITE_HEAD.replace("checks:", "description: [a]\nchecks:"), "description",
     "description:", "string"),
    ("unknown_key", SUITE_HEAD + ENTRY + "owner: x\n", "owner", "owner:", "unknown key"),
    ("checks", "suite: 1\nname: t\nchecks: all\n", "checks", "checks: all", "list"),
    ("checks.id", SUITE_HEAD + "  - severity: warn\n", "checks[0].id", "severity", "missing"),
    ("checks.id.unknown", SUITE_HEAD + "  - id: test.acuracy\n", "checks[0].id", "test.acuracy",
     "did you mean 'test.accuracy'"),
    ("checks.id.twice", SUITE_HEAD + ENTRY + ENTRY, "checks[1].id", "id: test.accuracy", "twice"),
    ("checks.unknown_key", SUITE_HEAD + ENTRY + "    paramz: {}\n", "checks[0].paramz", "paramz",
     "unknown key"),
    ("checks.severity", SUITE_HEAD + ENTRY + "    severity: fatal\n", "checks[0].severity",
     "severity: fatal", "block"),
    ("checks.params", SUITE_HEAD + ENTRY + "    params: many\n", "checks[0].params",
     "params: many", "mapping"),
    ("checks.params.key", SUITE_HEAD + ENTRY + "    params: {n_bot: 5}\n",
     "checks[0].params.n_bot", "n_bot", "did you mean 'n_boot'"),
    ("checks.params.value", SUITE_HEAD + ENTRY + "    params: {confidence: 2}\n",
     "checks[0].params.confidence", "confidence", "1"),
    ("checks.thresholds", SUITE_HEAD + ENTRY + "    thresholds: accuracy\n", "checks[0].thresholds",
     "thresholds: accuracy", "list"),
    ("thresholds.metric", SUITE_HEAD + ENTRY + "    thresholds: [{max: 1}]\n",
     "checks[0].thresholds[0].metric", "thresholds:", "missing"),
    ("thresholds.max", SUITE_HEAD + ENTRY + "    thresholds: [{metric: accuracy, max: high}]\n",
     "checks[0].thresholds[0].max", "max: high", "number"),
    ("thresholds.min", SUITE_HEAD + ENTRY + "    thresholds: [{metric: accuracy, min: low}]\n",
     "checks[0].thresholds[0].min", "min: low", "number"),
    ("thresholds.bound", SUITE_HEAD + ENTRY + "    thresholds: [{metric: accuracy}]\n",
     "checks[0].thresholds[0]", "metric: accuracy", "`max` or `min`"),
    ("thresholds.on", SUITE_HEAD + ENTRY
     + "    thresholds: [{metric: accuracy, min: 0.5, 'on': sometimes}]\n",
     "checks[0].thresholds[0].on", "sometimes", "interval_strict"),
    ("thresholds.overall_only", SUITE_HEAD + ENTRY
     + "    thresholds: [{metric: accuracy, min: 0.5, overall_only: maybe}]\n",
     "checks[0].thresholds[0].overall_only", "maybe", "true or false"),
    ("thresholds.unknown_key", SUITE_HEAD + ENTRY
     + "    thresholds: [{metric: accuracy, min: 0.5, per_group: true}]\n",
     "checks[0].thresholds[0].per_group", "per_group", "unknown key"),
]  # fmt: skip


@pytest.mark.parametrize(
    ("text", "field", "line_text", "words"),
    [case[1:] for case in SUITE_CASES],
    ids=[case[0] for case in SUITE_CASES],
)
def test_every_suite_key_is_checked(
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    text: str,
    field: str,
    line_text: str,
    words: str,
) -> None:
    config = write_project(tmp_path, model=PRED_MODEL, suite="suite.yaml")
    (tmp_path / "suite.yaml").write_text(text)
    assert main(["check", "-c", str(config), "-q"]) == 2
    captured = capsys.readouterr()
    assert "Traceback" not in captured.err and captured.out == ""
    line, named = _located(captured.err, "suite.yaml")
    assert named == field, captured.err
    assert line_text in text.splitlines()[line - 1], captured.err
    assert words in captured.err
    assert not (tmp_path / "out" / "report.json").exists()  # nothing ran


def test_a_waiver_for_an_unknown_check_warns_at_its_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # a warning, not an error: the check may come from a package installed elsewhere
    waivers = [{**WAIVER, "check": "test.acuracy"}]
    config = write_project(tmp_path, model=PRED_MODEL, suite=SUITE, waivers=waivers)
    assert main(["check", "-c", str(config), "-q"]) == 0
    err = capsys.readouterr().err
    found = re.search(r"govkit\.yaml:(\d+): warning: waivers\[0\]: no check is named", err)
    assert found is not None, err
    assert "check: test.acuracy" in config.read_text().splitlines()[int(found.group(1)) - 1]
    assert "did you mean 'test.accuracy'" in err
