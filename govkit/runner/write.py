"""Writing a report: report.json, junit.xml, and the summary table for a terminal."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from pathlib import Path

from govkit.report import CheckResult, Report
from govkit.safe_text import visible

__all__ = ["format_summary", "report_json", "write_junit", "write_report_json"]


def report_json(report: Report) -> str:
    """The report as JSON text: keys sorted so that equal reports are equal bytes."""
    return (
        json.dumps(
            report.model_dump(mode="json"),
            indent=2,
            sort_keys=True,
            ensure_ascii=False,
            allow_nan=False,
        )
        + "\n"
    )


def write_report_json(report: Report, folder: Path) -> Path:
    path = folder / "report.json"
    path.write_text(report_json(report), encoding="utf-8")
    return path


def _xml_text(text: str) -> str:
    """Text for an XML attribute or element: ElementTree escapes markup, not controls.

    XML 1.0 forbids most control characters even as references, so a group
    value holding one would make the whole junit.xml unreadable; they are
    shown as visible stand-ins instead (tab and newlines stay).
    """
    return visible(text, keep_newlines=True)


def _case(suite_el: ET.Element, r: CheckResult) -> None:
    message = _xml_text(r.message)
    case = ET.SubElement(
        suite_el,
        "testcase",
        {
            "classname": "govkit." + r.id.partition(".")[0],
            "name": r.id,
            "time": f"{r.duration_s:.3f}",
        },
    )
    props = ET.SubElement(case, "properties")
    ET.SubElement(props, "property", {"name": "status", "value": r.status})
    ET.SubElement(props, "property", {"name": "blocking", "value": str(r.blocking).lower()})
    if r.waiver is not None:
        ET.SubElement(
            props,
            "property",
            {"name": "waiver", "value": _xml_text(f"{r.waiver.owner} until {r.waiver.expires}")},
        )
    # only what blocks the gate turns the CI test red; warnings stay visible as output
    if r.blocking and r.status == "error":
        el = ET.SubElement(case, "error", {"message": message, "type": r.status})
        el.text = message
    elif r.blocking:
        el = ET.SubElement(case, "failure", {"message": message, "type": r.status})
        el.text = message
    elif r.status == "skipped":
        ET.SubElement(case, "skipped", {"message": message})
    else:
        out = ET.SubElement(case, "system-out")
        out.text = f"{r.status}: {message}"


def write_junit(report: Report, folder: Path, *, suite_name: str) -> Path:
    """One ``testsuite``, one ``testcase`` per check; blocking results fail or error."""
    results = report.results
    suite_el = ET.Element(
        "testsuite",
        {
            "name": _xml_text(f"govkit.{suite_name}"),
            "tests": str(len(results)),
            "failures": str(sum(r.blocking and r.status != "error" for r in results)),
            "errors": str(sum(r.blocking and r.status == "error" for r in results)),
            "skipped": str(sum(r.status == "skipped" for r in results)),
            "time": f"{sum(r.duration_s for r in results):.3f}",
            "timestamp": report.provenance.started_at,
        },
    )
    for r in results:
        _case(suite_el, r)
    root = ET.Element("testsuites", {"name": "govkit check"})
    root.append(suite_el)
    ET.indent(root)
    path = folder / "junit.xml"
    ET.ElementTree(root).write(path, encoding="utf-8", xml_declaration=True)
    return path


def format_summary(report: Report, key_figures: dict[str, str]) -> str:
    """A plain table: id, status, key figure, blocking; then one line per non-pass message."""
    rows = [("CHECK", "STATUS", "KEY FIGURE", "BLOCKING")]
    for r in report.results:
        status = r.status + (" (waived)" if r.waiver is not None else "")
        key = visible(key_figures.get(r.id, "-"))
        rows.append((r.id, status, key, "yes" if r.blocking else "no"))
    widths = [max(len(row[i]) for row in rows) for i in range(4)]
    lines = [
        "  ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=True)).rstrip()
        for row in rows
    ]
    # a message can quote group values from the data: no ESC may reach the terminal
    notes = [f"- {r.id}: {visible(r.message)}" for r in report.results if r.status != "pass"]
    blocking = sum(r.blocking for r in report.results)
    verdict = (
        f"FAIL: {blocking} blocking result(s)"
        if report.status == "fail"
        else "PASS: nothing blocks the release"
    )
    return "\n".join([*lines, "", *notes, *([""] if notes else []), verdict]) + "\n"
