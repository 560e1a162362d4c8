"""Writing a report: results made JSON-safe, then report.json and junit.xml.

A check's evidence may hold numpy values, NaN or infinity, which JSON cannot
carry; :func:`clean_measurement` and :func:`jsonable` turn them into plain
numbers, lists and null before a result is built.

The files (and ``predictions.parquet``) are written atomically (:func:`govkit.atomic.write_atomic`), and
only over a file govkit wrote itself (:func:`refuse_foreign_outputs`): a
report.json is govkit's when it is a JSON object with ``report_version`` and
``provenance.govkit_version``; a junit.xml is govkit's when its root element
is ``<testsuites name="govkit check">``; a predictions.parquet when its schema
metadata carries govkit's key.
"""

from __future__ import annotations

import json
import math
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

from govkit.atomic import write_all_atomic, write_atomic
from govkit.errors import InputError
from govkit.report import CheckResult, Measurement, Report
from govkit.safe_text import visible

__all__ = [
    "OUTPUT_NAMES",
    "clean_measurement",
    "jsonable",
    "junit_xml",
    "refuse_foreign_outputs",
    "report_json",
    "write_junit",
    "write_outputs",
    "write_report_json",
]

#: The files ``govkit check`` writes into its output folder.
OUTPUT_NAMES = ("report.json", "junit.xml", "predictions.parquet", "monitoring.json")
_JUNIT_ROOT = "govkit check"
# A report larger than this is not one govkit wrote for a suite of checks.
_MAX_OWN_REPORT = 256 * 1024 * 1024
_JUNIT_HEAD = 4096


def clean_measurement(m: Any) -> Measurement:
    """A Measurement with NaN/inf turned into null (JSON has no NaN)."""
    if not isinstance(m, Measurement):
        m = Measurement.model_validate(m)
    value = m.value if m.value is not None and math.isfinite(m.value) else None
    ci = m.ci
    if ci is not None and not all(math.isfinite(v) for v in ci):
        ci = None
    if value is m.value and ci is m.ci:
        return m
    return m.model_copy(update={"value": value, "ci": ci})


def jsonable(value: Any) -> Any:
    """Check details made JSON-safe: numpy scalars and arrays to lists, NaN to null."""
    if isinstance(value, dict):
        return {str(k): jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [jsonable(v) for v in value]
    if hasattr(value, "tolist") and callable(value.tolist):  # numpy arrays and scalars
        return jsonable(value.tolist())
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if value is None or isinstance(value, str | int | bool):
        return value
    return str(value)


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
    """Write ``folder/report.json`` atomically; returns its path."""
    return write_atomic(folder / "report.json", report_json(report))


def _own_json(path: Path) -> dict[str, Any] | None:
    """The JSON object in ``path`` when it is small enough to be one govkit wrote, else None."""
    try:
        if path.stat().st_size > _MAX_OWN_REPORT:
            return None
        raw = json.loads(path.read_bytes())
    except (OSError, ValueError, RecursionError):
        return None
    return raw if isinstance(raw, dict) else None


def _is_own_report(path: Path) -> bool:
    raw = _own_json(path)
    if raw is None or not isinstance(raw.get("report_version"), int):
        return False
    provenance = raw.get("provenance")
    return isinstance(provenance, dict) and isinstance(provenance.get("govkit_version"), str)


def _is_own_monitoring(path: Path) -> bool:
    raw = _own_json(path)
    return raw is not None and isinstance(raw.get("monitoring_version"), int)


def _is_own_junit(path: Path) -> bool:
    # The head is enough: govkit writes the XML declaration, then its root element.
    try:
        with path.open("rb") as fh:
            head = fh.read(_JUNIT_HEAD).decode("utf-8", errors="replace")
    except OSError:
        return False
    return f'<testsuites name="{_JUNIT_ROOT}">' in head


def refuse_foreign_outputs(folder: Path) -> None:
    """InputError (exit 2) when ``folder`` holds an output (report.json...) govkit did not write.

    Called before the checks run, so a refusal costs nothing and touches nothing.
    """
    tests = {
        "report.json": _is_own_report,
        "junit.xml": _is_own_junit,
        "predictions.parquet": _is_own_predictions,
        "monitoring.json": _is_own_monitoring,
    }
    for name in OUTPUT_NAMES:
        path = folder / name
        if not (path.exists() or path.is_symlink()):
            continue
        if path.is_symlink() or not path.is_file() or not tests[name](path):
            raise InputError(
                f"{path}: exists and was not written by govkit check; "
                "govkit only replaces its own outputs. Move the file away or choose another --out"
            )


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


def _plan_cases(suite_el: ET.Element, report: Report) -> None:
    """One testcase per criterion of the experiment plan; an unmet registered one fails."""
    assert report.plan is not None
    for c in report.plan.criteria:
        case = ET.SubElement(
            suite_el,
            "testcase",
            {"classname": "govkit.plan", "name": _xml_text(f"{c.ref} {c.metric}"), "time": "0"},
        )
        message = _xml_text(f"{c.status}: {c.reason}")
        if c.blocking:
            el = ET.SubElement(case, "failure", {"message": message, "type": c.status})
            el.text = message + " The experiment plan is registered, so this blocks the release."
        else:
            out = ET.SubElement(case, "system-out")
            out.text = message + (f" Deviation {_xml_text(c.deviation)}" if c.deviation else "")
    blocking = sum(c.blocking for c in report.plan.criteria)
    suite_el.set("tests", str(int(suite_el.get("tests", "0")) + len(report.plan.criteria)))
    suite_el.set("failures", str(int(suite_el.get("failures", "0")) + blocking))


def write_junit(report: Report, folder: Path, *, suite_name: str) -> Path:
    """Write ``folder/junit.xml`` atomically; returns its path."""
    return write_atomic(folder / "junit.xml", junit_xml(report, suite_name=suite_name))


def write_outputs(
    report: Report,
    folder: Path,
    *,
    suite_name: str,
    predictions: bytes | None = None,
    monitoring: str | None = None,
) -> tuple[Path, Path]:
    """Write report.json, junit.xml, predictions.parquet and monitoring.json together.

    All are new, or all unchanged. ``predictions`` is the Parquet file's bytes
    (:func:`govkit.runner.predictions_file.predictions_bytes`) and ``monitoring``
    the handoff's JSON text; None writes no such file.
    """
    report_path, junit_path = folder / "report.json", folder / "junit.xml"
    files: dict[Path, bytes | str] = {
        report_path: report_json(report),
        junit_path: junit_xml(report, suite_name=suite_name),
    }
    if predictions is not None:
        files[folder / "predictions.parquet"] = predictions
    if monitoring is not None:
        files[folder / "monitoring.json"] = monitoring
    write_all_atomic(files)
    return report_path, junit_path


def junit_xml(report: Report, *, suite_name: str) -> bytes:
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
    if report.plan is not None:
        _plan_cases(suite_el, report)
    root = ET.Element("testsuites", {"name": _JUNIT_ROOT})
    root.append(suite_el)
    ET.indent(root)
    return ET.tostring(root, encoding="utf-8", xml_declaration=True)


def _is_own_predictions(path: Path) -> bool:
    # pyarrow is imported only when such a file is there to test
    from govkit.runner.predictions_file import is_own_predictions

    return is_own_predictions(path)
