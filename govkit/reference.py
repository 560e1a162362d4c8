"""The README's reference sections, generated from the code so they cannot drift.

Each command and each built-in check says which optional extra it needs
(:mod:`govkit.extras`), so a reader knows what to install before running it.

``python -m govkit.reference`` rewrites the blocks of README.md that sit
between ``<!-- reference:NAME -->`` and ``<!-- /reference:NAME -->``;
``--check`` exits 1 when one is stale (a test runs it).
"""

from __future__ import annotations

import argparse
import re
import sys
import typing
from collections.abc import Callable
from pathlib import Path
from typing import Any

import click
from pydantic import BaseModel
from pydantic.fields import FieldInfo

from govkit.atomic import write_atomic

__all__ = ["SECTIONS", "cli_reference", "model_reference", "update_readme"]


def _type_name(annotation: Any) -> str:
    if typing.get_origin(annotation) is typing.Literal:
        return " or ".join(f"`{a}`" for a in typing.get_args(annotation))
    text = str(annotation) if not isinstance(annotation, type) else annotation.__name__
    text = re.sub(r"typing\.|govkit\.[\w.]+\.|<class '|'>", "", text)
    return text.replace("NoneType", "null")


def _cell(text: str) -> str:
    """Text for one Markdown table cell: one line, and ``|`` escaped so it
    cannot split the cell (``auto | cpu | cuda``)."""
    return " ".join(text.split()).replace("|", "\\|")


def _default_text(info: FieldInfo) -> str | None:
    """A field's default as the reference prints it; None when there is none
    worth printing (required, or empty).

    ``default_factory`` fields are called, so a factory's value shows instead
    of pydantic's ``PydanticUndefined`` placeholder.
    """
    if info.is_required():
        return None
    value = info.get_default(call_default_factory=True)
    if value is None or value == [] or value == {}:
        return None
    return _cell(str(value))


def cli_reference() -> str:
    """Every command with its arguments and options, as Markdown."""
    from govkit.cli import app
    from govkit.extras import COMMAND_EXTRAS

    lines: list[str] = []
    ctx = click.Context(app, info_name="govkit")
    for name in app.list_commands(ctx):
        command = app.get_command(ctx, name)
        if command is None or command.hidden:
            continue
        lines.append(f"#### `govkit {name}`\n")
        lines.append(f"{command.help or ''}\n".strip() + "\n")
        lines.append(f"Extra: {COMMAND_EXTRAS.get(name, 'core')}.\n")
        usage = command.get_usage(click.Context(command, info_name=name, parent=ctx))
        lines.append(f"```\n{usage}\n```\n")
        # Click's own help record, with defaults shown, so the table says what
        # `--help` says (and never prints Click's internal "unset" sentinel).
        sub = click.Context(command, info_name=name, parent=ctx, show_default=True)
        rows = []
        for param in command.params:
            record = param.get_help_record(sub) if isinstance(param, click.Option) else None
            if record is not None:
                flags, meaning = record
                rows.append(f"| `{_cell(flags)}` | {_cell(meaning)} |")
        if rows:
            lines.append("| option | meaning |\n|---|---|")
            lines.extend(rows)
            lines.append("")
    return "\n".join(lines).rstrip() + "\n"


def model_reference(model: type[BaseModel], prefix: str = "") -> str:
    """A table of every key of a pydantic model, nested models flattened."""
    rows: list[str] = []

    def walk(cls: type[BaseModel], path: str) -> None:
        for name, info in cls.model_fields.items():
            key = f"{path}{name}"
            required = "yes" if info.is_required() else "no"
            default = _default_text(info)
            default = f" Default: `{default}`." if default is not None else ""
            nested = _nested_model(info.annotation)
            kind = "mapping" if nested else _type_name(info.annotation)
            if nested and typing.get_origin(info.annotation) is list:
                kind = "list of mappings"
            desc = _cell(info.description or "")
            rows.append(f"| `{key}` | {kind.replace('|', 'or')} | {required} | {desc}{default} |")
            if nested:
                walk(nested, f"{key}{'[]' if kind.startswith('list') else ''}.")

    walk(model, prefix)
    return "| key | type | required | meaning |\n|---|---|---|---|\n" + "\n".join(rows) + "\n"


def _nested_model(annotation: Any) -> type[BaseModel] | None:
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    for arg in typing.get_args(annotation):
        found = _nested_model(arg)
        if found is not None:
            return found
    return None


def _project_reference() -> str:
    from govkit.project import ProjectFile

    return model_reference(ProjectFile)


def _suite_reference() -> str:
    from govkit.suite import Suite

    return model_reference(Suite)


def _checks_reference() -> str:
    from govkit.checks.registry import BUILTIN_CHECKS, check_extra, load_check

    rows = [
        "| id | title | parameters (default) | needs | extra |",
        "|---|---|---|---|---|",
    ]
    for check_id in BUILTIN_CHECKS:
        cls = load_check(check_id)
        params = ", ".join(
            f"`{name}` ({_cell(str(info.get_default(call_default_factory=True)))})"
            for name, info in cls.Params.model_fields.items()
        )
        needs = (
            ", ".join(
                n
                for n, flag in (("model", cls.requires_model), ("train split", cls.requires_train))
                if flag
            )
            or "predictions"
        )
        rows.append(
            f"| `{check_id}` | {cls.title} | {params} | {needs} | {check_extra(check_id)} |"
        )
    note = (
        "\nThe extra is what a check needs on recorded predictions (`model.predictions`), "
        "where the checks marked torch are skipped. A project that runs its PyTorch model "
        "(`model.path`) needs the torch extra for every check.\n"
    )
    return "\n".join(rows) + "\n" + note


SECTIONS: dict[str, Callable[[], str]] = {
    "cli": cli_reference,
    "project": _project_reference,
    "suite": _suite_reference,
    "checks": _checks_reference,
}


def update_readme(path: Path, *, check: bool) -> list[str]:
    """Rewrite (or, with ``check``, compare) the generated blocks; the stale names."""
    text = path.read_text(encoding="utf-8")
    stale: list[str] = []
    for name, build in SECTIONS.items():
        pattern = re.compile(
            rf"(<!-- reference:{name} -->\n)(.*?)(<!-- /reference:{name} -->)", re.DOTALL
        )
        match = pattern.search(text)
        if match is None:
            continue
        fresh = build()
        if match.group(2) != fresh:
            stale.append(name)
            text = text[: match.start(2)] + fresh + text[match.end(2) :]
    if stale and not check:
        write_atomic(path, text)
    return stale


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m govkit.reference")
    parser.add_argument("readme", nargs="?", default="README.md")
    parser.add_argument("--check", action="store_true", help="exit 1 when a block is stale")
    args = parser.parse_args(argv)
    stale = update_readme(Path(args.readme), check=args.check)
    if stale:
        verb = "stale" if args.check else "updated"
        print(f"{args.readme}: {verb}: {', '.join(stale)}", file=sys.stderr)
        return 1 if args.check else 0
    return 0


if __name__ == "__main__":
    sys.exit(main())
