"""The model card's monitoring field, filled from the report's blocking thresholds."""

from __future__ import annotations

import dataclasses
from pathlib import Path

from govkit.project import load_project_file
from govkit.render.context import build_context
from govkit.render.packet import load_inputs, render_markdown
from tests.helpers import build_report, make_project


def test_model_card_monitoring_shows_the_rollback_rule(tmp_path: Path) -> None:
    report = build_report()
    gate = next(r for r in report.results if r.id == "fairness.demographic_parity")
    gate.threshold = {
        "severity": "block",
        "rules": [{"metric": "demographic_parity_difference", "max": 0.1}],
    }
    warned = next(r for r in report.results if r.id != gate.id and r.measurements)
    warned.threshold = {"severity": "warn", "rules": [{"metric": "anything", "max": 1.0}]}
    config = make_project(tmp_path)
    inputs = load_inputs(load_project_file(config), None)
    ctx = build_context(dataclasses.replace(inputs, report=report))
    card = render_markdown(ctx, None)["minimal-model-card.md"]
    section = card.split("Monitoring", 1)[1]
    assert "Filled by govkit" in section and "monitoring.json" in section
    gaps = [m for m in gate.measurements if m.name == "demographic_parity_difference"]
    assert gaps
    for m in gaps:
        assert m.feature is not None
        assert f"demographic\\_parity\\_difference ({m.feature})" in section
    assert section.count("above 0.1000") == len(gaps)
    assert "anything" not in section  # a warn check gates nothing
    # the packet's Handoff section shows the same rule
    assert ctx.handoff is not None and len(ctx.handoff.rows) == len(gaps)
