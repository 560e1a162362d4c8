"""The ``govkit`` command line: a thin layer over the library.

Each command parses its flags and calls one function in ``govkit.commands``;
heavy libraries are imported there, lazily, so ``govkit validate`` (the
pre-commit hook) starts in a fraction of a second. ``main`` is the one place
where exceptions become exit codes: expected errors print their message
(no traceback), bugs print a short notice and exit 3, Ctrl-C exits 130.
Every command writes through :mod:`govkit.output` (results to stdout,
diagnostics to stderr), and ``main`` guards stdout so a failed write exits 2.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Sequence
from typing import Any, TextIO

import click

from govkit import __version__
from govkit.errors import EXIT_INTERNAL, EXIT_INTERRUPTED, EXIT_USAGE, GovkitError
from govkit.output import diagnostic, result

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


def _mlflow_option(what: str) -> Any:
    """``--mlflow [TRACKING_URI]``: the value is optional (MLflow's own default without one)."""
    return click.option(
        "--mlflow",
        "mlflow",
        is_flag=False,
        flag_value="",
        default=None,
        metavar="[TRACKING_URI]",
        help=f"{what} (default URI: MLflow's own, e.g. MLFLOW_TRACKING_URI).",
    )


def _print_version(ctx: click.Context, _param: click.Parameter, value: bool) -> None:
    """``--version``: the version, the distribution and the extras installed here."""
    if not value or ctx.resilient_parsing:
        return
    from govkit.extras import version_line

    result(version_line(__version__))
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
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["text", "json", "sarif"]),
    default="text",
    show_default=True,
    help="sarif: a SARIF 2.1.0 log on stdout, for GitHub code scanning.",
)
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
    help="Folder for report.json, junit.xml, predictions.parquet and monitoring.json "
    "(default: `output` in govkit.yaml).",
)
@click.option("--device", "device", default=None, help="auto | cpu | cuda | cuda:N")
@click.option("--only", "only", multiple=True, help="Run only this check id (repeatable).")
@click.option("--format", "fmt", type=_FORMATS, default="text", show_default=True)
@click.option("--quiet", "-q", is_flag=True, help="No progress on stderr.")
@click.option(
    "--engine",
    "engine",
    default=None,
    help="auto | pandas | duckdb | ray: what computes the figures (default: engine.name "
    "in govkit.yaml, else auto).",
)
@click.option(
    "--address", "address", default=None, help="The Ray cluster to connect to (--engine ray)."
)
@_mlflow_option("Log the figures, verdict and report files to MLflow")
def check_cmd(
    config: str,
    out: str | None,
    device: str | None,
    only: tuple[str, ...],
    fmt: str,
    quiet: bool,
    engine: str | None,
    address: str | None,
    mlflow: str | None,
) -> int:
    """Run the suite on the model and data; exit 1 when a blocking check fails."""
    from govkit.commands.check import run_check

    return run_check(
        config,
        out=out,
        device=device,
        only=list(only),
        fmt=fmt,
        quiet=quiet,
        mlflow=mlflow,
        engine=engine,
        address=address,
    )


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
@click.option(
    "--force",
    "force",
    is_flag=True,
    help="Render a report that contradicts itself or names another system (with a warning).",
)
@click.option(
    "--overwrite-edited",
    "overwrite_edited",
    is_flag=True,
    help="Replace an earlier packet even where one of its files was edited.",
)
@_mlflow_option("Add the packet to the MLflow run that logged its report")
def render_cmd(
    config: str,
    report: str | None,
    out: str | None,
    formats: str,
    templates: str | None,
    force: bool,
    overwrite_edited: bool,
    mlflow: str | None,
) -> int:
    """Render the review packet: Markdown, HTML and PDF, with a manifest."""
    from govkit.commands.render import run_render

    return run_render(
        config,
        report=report,
        out=out,
        formats=formats,
        templates=templates,
        force=force,
        overwrite_edited=overwrite_edited,
        mlflow=mlflow,
    )


@app.command("export")
@click.argument("fmt", metavar="FORMAT")
@_config_option
@click.option(
    "--report",
    "report",
    default=None,
    type=click.Path(path_type=str),
    help="The report.json to export from (default: report.json in `output`).",
)
@click.option(
    "--out",
    "out",
    default=None,
    type=click.Path(path_type=str),
    help="The file to write (default: `output`/export/ and the format's file name).",
)
def export_cmd(fmt: str, config: str, report: str | None, out: str | None) -> int:
    """Write one file for another ecosystem: hf, hf-dataset, cyclonedx or croissant."""
    from govkit.commands.export import run_export

    return run_export(fmt, config, report=report, out=out)


@app.command("import")
@click.argument("source", metavar="FORMAT", type=click.Choice(["hf"]))
@click.argument("card", type=click.Path(path_type=str))
@click.option(
    "--out",
    "out",
    default=None,
    type=click.Path(path_type=str),
    help="The model card YAML to write (default: model_card.yaml).",
)
@click.option("--force", is_flag=True, help="Replace --out when it exists.")
def import_cmd(source: str, card: str, out: str | None, force: bool) -> int:
    """Read another ecosystem's card into a govkit document: hf (a Hugging Face model card)."""
    from govkit.commands.import_hf import run_import_hf

    return run_import_hf(card, out=out, force=force)


@app.command("verify")
@click.argument("directory", type=click.Path(path_type=str))
@click.option(
    "--expect-sha256",
    "expect_sha256",
    default=None,
    metavar="HASH",
    help="The manifest SHA-256 that `govkit render` printed; fail on any other manifest.",
)
@click.option(
    "--allowed-signers",
    "allowed_signers",
    default=None,
    metavar="FILE",
    type=click.Path(path_type=str),
    help="An ssh-keygen allowed_signers file; check every signature against it.",
)
def verify_cmd(directory: str, expect_sha256: str | None, allowed_signers: str | None) -> int:
    """Re-hash a packet against its manifest.json, and check its signatures."""
    from govkit.commands.verify import run_verify

    return run_verify(directory, expect_sha256=expect_sha256, allowed_signers=allowed_signers)


@app.command("sign")
@click.argument("directory", type=click.Path(path_type=str))
@click.option(
    "--key",
    "key",
    required=True,
    metavar="PRIVATE_KEY",
    type=click.Path(path_type=str),
    help="The SSH private key to sign with (ed25519, ecdsa, or rsa of 2048 bits or more).",
)
@click.option("--role", "role", default=None, help="Your role, as the sign-off section shows it.")
@click.option(
    "--name",
    "name",
    default=None,
    help="Your identity as allowed_signers names it (default: the key's comment).",
)
def sign_cmd(directory: str, key: str, role: str | None, name: str | None) -> int:
    """Sign a packet's manifest.json with an SSH key (ssh-keygen -Y sign)."""
    from govkit.commands.sign import run_sign

    return run_sign(directory, key=key, role=role or "", name=name)


@app.command("diff")
@click.argument("old", type=click.Path(path_type=str))
@click.argument("new", type=click.Path(path_type=str))
@click.option("--format", "fmt", type=_FORMATS, default="text", show_default=True)
def diff_cmd(old: str, new: str, fmt: str) -> int:
    """Compare two report.json files figure by figure (reports; never gates)."""
    from govkit.commands.diff import run_diff

    return run_diff(old, new, fmt=fmt)


class StdoutError(GovkitError):
    """Standard output could not be written (a full disk, a closed pipe): exit 2."""


class _GuardedStdout:
    """Standard output whose write failures are a :class:`StdoutError`, not a crash.

    A full disk under ``> file`` or a reader that went away (``| head``) is
    the caller's environment, not a bug in govkit: exit 2 with a message.
    """

    def __init__(self, stream: TextIO) -> None:
        self._stream = stream
        self.failed = False

    def _failed(self, err: OSError) -> StdoutError:
        self.failed = True
        return StdoutError(
            f"cannot write to standard output ({err.strerror or type(err).__name__}); "
            "the output is incomplete. Check the disk or the pipe stdout goes to"
        )

    def write(self, text: str) -> int:
        try:
            return self._stream.write(text)
        except OSError as err:
            raise self._failed(err) from err

    def flush(self) -> None:
        try:
            self._stream.flush()
        except OSError as err:
            raise self._failed(err) from err

    def __getattr__(self, name: str) -> Any:
        return getattr(self._stream, name)


def _silence_stdout() -> None:
    # Python flushes stdout again at exit; point the real descriptor at /dev/null
    # so that flush cannot fail a second time (and change the exit code to 120).
    if sys.stdout is not sys.__stdout__ or sys.__stdout__ is None:
        return  # a test harness's stream: nothing is flushed at exit
    try:
        null = os.open(os.devnull, os.O_WRONLY)
        os.dup2(null, sys.__stdout__.fileno())
        os.close(null)
    except (OSError, ValueError):
        pass


def main(argv: Sequence[str] | None = None) -> int:
    """Run the CLI and return its exit code (never raises)."""
    args = list(sys.argv[1:] if argv is None else argv)
    real_stdout = sys.stdout
    guard = _GuardedStdout(real_stdout)
    sys.stdout = guard  # type: ignore[assignment]
    try:
        code = _run(args)
        try:
            guard.flush()
        except StdoutError as err:
            diagnostic(err.render())
            code = err.exit_code
    finally:
        sys.stdout = real_stdout
    if guard.failed:
        _silence_stdout()
    return code


def _run(args: list[str]) -> int:
    try:
        code = app.main(args=args, prog_name="govkit", standalone_mode=False)
    except GovkitError as err:
        diagnostic(err.render())
        return err.exit_code
    except click.exceptions.Abort:
        diagnostic("interrupted")
        return EXIT_INTERRUPTED
    except click.ClickException as err:
        err.show()
        return EXIT_USAGE
    except click.exceptions.Exit as err:
        return int(err.exit_code)
    except KeyboardInterrupt:
        diagnostic("interrupted")
        return EXIT_INTERRUPTED
    except BrokenPipeError:  # a closed pipe reached another way than sys.stdout
        diagnostic("error: standard output was closed; the output is incomplete")
        return EXIT_USAGE
    except Exception as err:
        return _internal(err)
    return int(code or 0)


def _internal(err: BaseException) -> int:
    """A bug: say so plainly and keep the details out of the way (exit 3)."""
    import tempfile
    import traceback

    with tempfile.NamedTemporaryFile(
        "w", prefix="govkit-crash-", suffix=".log", delete=False
    ) as log:
        traceback.print_exception(err, file=log)
    diagnostic(
        f"internal error: {type(err).__name__}: {err}\n"
        f"this is a bug in govkit; the traceback is in {log.name}"
    )
    return EXIT_INTERNAL


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
