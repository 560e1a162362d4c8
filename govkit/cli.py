"""The ``govkit`` command line: a thin layer over the library.

Each command parses its flags and calls one function in ``govkit.commands``;
heavy libraries are imported there, lazily, so ``govkit validate`` (the
pre-commit hook) starts in a fraction of a second. ``main`` is the one place
where exceptions become exit codes: expected errors print their message
(no traceback), bugs print a short notice and exit 3, Ctrl-C exits 130.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence

import click

from govkit import __version__
from govkit.errors import EXIT_INTERNAL, EXIT_INTERRUPTED, EXIT_USAGE, GovkitError

__all__ = ["app", "main"]

_FORMATS = click.Choice(["text", "json"])
_config_option = click.option(
    "-c",
    "--config",
    "config",
    default="govkit.yaml",
    show_default=True,
    type=click.Path(path_type=str),
    help="The project file.",
)


def _print_version(ctx: click.Context, _param: click.Parameter, value: bool) -> None:
    """``--version``: the version, the distribution and the extras installed here."""
    if not value or ctx.resilient_parsing:
        return
    from govkit.extras import version_line

    click.echo(version_line(__version__))
    ctx.exit()


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.option(
    "--version",
    is_flag=True,
    expose_value=False,
    is_eager=True,
    callback=_print_version,
    help="Show the version and the installed extras, and exit.",
)
def app() -> None:
    """Governance documents, release checks and verifiable review packets."""


@app.command("validate")
@click.argument("paths", nargs=-1, type=click.Path(path_type=str))
@click.option("--strict", is_flag=True, help="Treat lint warnings as errors.")
@click.option("--coverage", is_flag=True, help="Print the standards coverage matrix.")
@click.option("--format", "fmt", type=_FORMATS, default="text", show_default=True)
def validate_cmd(paths: tuple[str, ...], strict: bool, coverage: bool, fmt: str) -> int:
    """Validate documents and govkit.yaml; reports every problem, not the first."""
    from govkit.commands.validate import run_validate

    return run_validate(list(paths), strict=strict, coverage=coverage, fmt=fmt)


@app.command("init")
@click.argument("kind")
@click.argument("path", required=False)
def init_cmd(kind: str, path: str | None) -> int:
    """Write a commented skeleton of a document (never overwrites a file)."""
    from govkit.commands.init import run_init

    return run_init(kind, path)


@app.command("schema")
@click.option(
    "--out",
    "out",
    type=click.Path(path_type=str),
    default=None,
    help="Folder to write the JSON Schemas to (default: the shipped schemas/).",
)
@click.option("--check", "check", is_flag=True, help="Fail when the folder is stale.")
def schema_cmd(out: str | None, check: bool) -> int:
    """Export the JSON Schema of every document kind, govkit.yaml, suites and the report."""
    from govkit.commands.schema import run_schema

    return run_schema(out, check=check)


@app.command("check")
@_config_option
@click.option(
    "--out",
    "out",
    default=None,
    type=click.Path(path_type=str),
    help="Folder for report.json and junit.xml (default: `output` in govkit.yaml).",
)
@click.option("--device", "device", default=None, help="auto | cpu | cuda | cuda:N")
@click.option("--only", "only", multiple=True, help="Run only this check id (repeatable).")
@click.option("--format", "fmt", type=_FORMATS, default="text", show_default=True)
@click.option("--quiet", "-q", is_flag=True, help="No progress on stderr.")
def check_cmd(
    config: str, out: str | None, device: str | None, only: tuple[str, ...], fmt: str, quiet: bool
) -> int:
    """Run the suite on the model and data; exit 1 when a blocking check fails."""
    from govkit.commands.check import run_check

    return run_check(config, out=out, device=device, only=list(only), fmt=fmt, quiet=quiet)


@app.command("render")
@_config_option
@click.option(
    "--report",
    "report",
    default=None,
    type=click.Path(path_type=str),
    help="The report.json to render (default: report.json in `output`).",
)
@click.option(
    "--out",
    "out",
    default=None,
    type=click.Path(path_type=str),
    help="Folder for the packet (default: `output`/packet).",
)
@click.option(
    "--format",
    "formats",
    default="md,html,pdf",
    show_default=True,
    help="Comma-separated formats: md, html, pdf.",
)
@click.option(
    "--templates",
    "templates",
    default=None,
    type=click.Path(path_type=str),
    help="A folder whose templates override the built-in ones.",
)
def render_cmd(
    config: str, report: str | None, out: str | None, formats: str, templates: str | None
) -> int:
    """Render the review packet: Markdown, HTML and PDF, with a manifest."""
    from govkit.commands.render import run_render

    return run_render(config, report=report, out=out, formats=formats, templates=templates)


@app.command("verify")
@click.argument("directory", type=click.Path(path_type=str))
def verify_cmd(directory: str) -> int:
    """Re-hash a packet against its manifest.json."""
    from govkit.commands.verify import run_verify

    return run_verify(directory)


def main(argv: Sequence[str] | None = None) -> int:
    """Run the CLI and return its exit code (never raises)."""
    args = list(sys.argv[1:] if argv is None else argv)
    try:
        result = app.main(args=args, prog_name="govkit", standalone_mode=False)
    except GovkitError as err:
        click.echo(err.render(), err=True)
        return err.exit_code
    except click.exceptions.Abort:
        click.echo("interrupted", err=True)
        return EXIT_INTERRUPTED
    except click.ClickException as err:
        err.show()
        return EXIT_USAGE
    except click.exceptions.Exit as err:
        return int(err.exit_code)
    except KeyboardInterrupt:
        click.echo("interrupted", err=True)
        return EXIT_INTERRUPTED
    except BrokenPipeError:
        return 0
    except Exception as err:  # a bug: say so plainly and keep the details out of the way
        import tempfile
        import traceback

        with tempfile.NamedTemporaryFile(
            "w", prefix="govkit-crash-", suffix=".log", delete=False
        ) as log:
            traceback.print_exc(file=log)
        click.echo(
            f"internal error: {type(err).__name__}: {err}\n"
            f"this is a bug in govkit; the traceback is in {log.name}",
            err=True,
        )
        return EXIT_INTERNAL
    return int(result or 0)


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
