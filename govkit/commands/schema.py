"""``govkit schema [--out DIR] [--check]``: export the JSON Schemas."""

from __future__ import annotations

from pathlib import Path

from govkit.atomic import write_atomic
from govkit.errors import EXIT_FINDINGS, EXIT_OK, InputError
from govkit.output import diagnostic, result

__all__ = ["run_schema"]


def run_schema(out: str | None, *, check: bool) -> int:
    """Write (or, with ``check``, compare) the JSON Schema files.

    Parameters
    ----------
    out
        Folder of the schemas (default: the shipped ``schemas/``).
    check
        Write nothing; exit 1 listing every file that is missing or differs.

    Returns
    -------
    int
        0 when written or up to date, 1 when stale.
    """
    from govkit.resources import data_dir
    from govkit.schemas import schema_files

    folder = Path(out) if out else data_dir("schemas")
    files = schema_files()
    if check:
        stale = []
        for name, text in files.items():
            target = folder / name
            try:
                current = target.read_text(encoding="utf-8") if target.is_file() else None
            except OSError:
                current = None
            if current != text:
                stale.append(target)
        for target in stale:
            diagnostic(f"{target}: stale (missing or out of date)")
        if stale:
            diagnostic("run `govkit schema` (or `make schemas`) to regenerate them")
            return EXIT_FINDINGS
        result(f"{len(files)} schema(s) in {folder} are up to date")
        return EXIT_OK
    if folder.exists() and not folder.is_dir():
        raise InputError(f"{folder} is not a folder")
    try:
        folder.mkdir(parents=True, exist_ok=True)
        for name, text in files.items():
            target = folder / name
            if not target.is_file() or target.read_text(encoding="utf-8") != text:
                write_atomic(target, text)
    except OSError as err:
        raise InputError(f"cannot write schemas to {folder}: {err.strerror}") from err
    result(f"wrote {len(files)} schema(s) to {folder}")
    return EXIT_OK
